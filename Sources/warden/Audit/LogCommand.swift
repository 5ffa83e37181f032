import ArgumentParser
import FoundationEssentials
import Glibc
import WardenAudit
import WardenJSON
import WardenSystem

struct LogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "Show the decision log, filtered.",
        discussion: """
            Every decision warden-hook takes, every connection through Warden's proxies and the \
            start and end of every sandboxed session is one record in an append-only, \
            hash-chained JSON Lines log. Without a subcommand, shows the records that match every filter given \
            (several values of one filter: any of them), as a table, or as JSON Lines with --json.
            """,
        subcommands: [LogVerifyCommand.self, LogPruneCommand.self, LogExportCommand.self]
    )

    @OptionGroup var location: AuditLocationOptions
    @OptionGroup var period: PeriodOptions

    @Option(help: ArgumentHelp("Only this Claude Code session (its id, or the beginning of it).", valueName: "id"))
    var session: [String] = []

    @Option(help: ArgumentHelp("Only this decision: allow, ask, deny, redact, block or none (several: deny,block).", valueName: "decision"))
    var decision: [String] = []

    @Option(help: ArgumentHelp("Only this tool (Bash, Read, WebFetch, …; any case).", valueName: "name"))
    var tool: [String] = []

    @Option(help: ArgumentHelp("Only decisions with a matching rule containing this text (curl finds Bash(curl:*)).", valueName: "text"))
    var rule: [String] = []

    @Option(help: ArgumentHelp("Only this event: a hook event (PreToolUse, PostToolUse, UserPromptSubmit, …), Network (proxy connections), SandboxStart or SandboxEnd; any case.", valueName: "event"))
    var event: [String] = []

    @Option(help: ArgumentHelp("Only hook records of sessions outside Warden's sandbox (outside), or handed over through a warden run's channel (sandbox).", valueName: "where"))
    var confinement: [String] = []

    @Option(help: ArgumentHelp("Show only the last N matching records.", valueName: "n"))
    var limit: Int?

    @Flag(help: "Print JSON Lines, one record a line, for tools.")
    var json = false

    func query() throws -> AuditQuery {
        var decisions: Set<AuditDecision> = []
        for text in decision.flatMap({ $0.split(separator: ",").map(String.init) }) {
            guard let value = AuditDecision(rawValue: text.lowercased()) else {
                throw UsageError("--decision: expected one of allow, ask, deny, redact, block, none, got \(JSONValue.quoted(text))")
            }
            decisions.insert(value)
        }
        for value in confinement where value != "outside" && value != "sandbox" {
            throw UsageError("--confinement: expected outside or sandbox, got \(JSONValue.quoted(value))")
        }
        if let limit, limit < 1 { throw UsageError("--limit: expected a number of records, 1 or more, got \(limit)") }
        let (since, until) = try period.period()
        var query = AuditQuery(sessions: session, decisions: decisions, tools: tool, rules: rule, events: event, since: since, until: until, limit: limit)
        query.confinements = confinement
        return query
    }

    func run() throws {
        try reportingFailures(runBody)
    }

    func runBody() throws {
        let query = try query()
        let log = try location.log()
        let records = query.apply(try location.records(of: log, where: query.matches))
        if json {
            var out = ""
            for record in records { out += record.json.serialized + "\n" }
            try emit(out, to: nil)
            return
        }
        if records.isEmpty {
            Files.writeAll(2, "warden: no decisions match in \(log.directory)\n")
            return
        }
        try emit(LogTable.render(records), to: nil)
    }
}

/// The table `warden log` prints for people.
enum LogTable {
    static func render(_ records: [AuditRecord]) -> String {
        let headers = ["TIME (UTC)", "SEQ", "SESSION", "EVENT", "TOOL", "DECISION", "DETAIL"]
        var rows: [[String]] = []
        for record in records {
            let time = record.time.rfc3339
            let shortTime = String(time.prefix(10)) + " " + String(time.dropFirst(11).prefix(8))
            var parts: [String] = []
            if !record.rules.isEmpty { parts.append(record.rules.joined(separator: ", ")) }
            if let reason = record.reason, !reason.isEmpty { parts.append(reason) }
            if !record.redactions.isEmpty {
                parts.append(record.redactions.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: " "))
            }
            var detail = parts.joined(separator: "; ")
            // What a connection or sandbox session was stands where a hook call's subject does.
            var subject = record.subject ?? ""
            if let network = record.network {
                subject = networkDetail(network)
            } else if let sandbox = record.sandbox {
                subject = sandboxDetail(sandbox) + (subject.isEmpty ? "" : " · " + subject)
            }
            if !subject.isEmpty { detail += (detail.isEmpty ? "" : " · ") + subject }
            if let confinement = record.confinement {
                detail = (confinement == "outside" ? "[outside the sandbox] " : "[in \(confinement)] ") + detail
            }
            rows.append([
                shortTime, String(record.seq), String(record.session.prefix(8)), record.event, record.tool ?? "-",
                record.decision.rawValue, oneLine(detail, limit: 100),
            ])
        }
        var widths = headers.map(\.count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, cell in
                i == cells.count - 1 ? cell : cell + String(repeating: " ", count: widths[i] - cell.count)
            }.joined(separator: "  ")
        }
        return ([line(headers)] + rows.map(line)).joined(separator: "\n") + "\n"
    }

    /// `connect example.com:443 → 93.184.216.34 (asked Example.COM., sni example.com) ↑512 B ↓4.0 KiB 120 ms`.
    static func networkDetail(_ network: NetworkDetails) -> String {
        var text = network.proto.rawValue + " " + network.endpoint
        if let address = network.address { text += " → " + address }
        var notes: [String] = []
        if network.host != network.asked { notes.append("asked " + network.asked) }
        if let sni = network.sni, sni != network.host { notes.append("sni " + sni) }
        if !notes.isEmpty { text += " (" + notes.joined(separator: ", ") + ")" }
        text += " ↑\(byteCount(network.bytesUp)) ↓\(byteCount(network.bytesDown)) \(network.durationMillis) ms"
        return text
    }

    /// `plan sha256:0f3c… [userns, seccomp]`, then `exit 0 after 12.3 s` at the end.
    static func sandboxDetail(_ sandbox: SandboxDetails) -> String {
        var text = "plan " + (sandbox.planDigest.count > 20 ? String(sandbox.planDigest.prefix(19)) + "…" : sandbox.planDigest)
        text += " [" + sandbox.features.joined(separator: ", ") + "]"
        if let status = sandbox.exitStatus { text += " exit \(status)" }
        if let duration = sandbox.durationMillis { text += " after " + seconds(duration) }
        return text
    }

    static func seconds(_ millis: Int) -> String {
        "\(millis / 1000).\(millis % 1000 / 100) s"
    }

    /// 512 B, 4.0 KiB, 1.2 MiB, 3.4 GiB.
    static func byteCount(_ bytes: Int) -> String {
        if bytes < 1024 { return "\(bytes) B" }
        var value = Double(bytes) / 1024
        for unit in ["KiB", "MiB", "GiB"] {
            if value < 1024 || unit == "GiB" {
                let tenths = Int((value * 10).rounded())
                return "\(tenths / 10).\(tenths % 10) \(unit)"
            }
            value /= 1024
        }
        return "\(bytes) B"
    }

    /// Control characters shown as `\n`, `\u001b`, …; cut at `limit` characters.
    static func oneLine(_ text: String, limit: Int) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7F {
                out += scalar == "\n" ? "\\n" : scalar == "\t" ? "\\t" : "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out.count > limit ? String(out.prefix(limit - 1)) + "…" : out
    }
}

struct LogVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check the decision log's hash chain.",
        discussion: """
            Checks every record from the oldest segment kept to the head file: that its bytes \
            match its hash, that it links to the record before it, that no record is missing or \
            out of order, and that the log ends where the head file says. Prints the first \
            problem as FILE:LINE: what is wrong, naming the record's seq.
            Exit status: 0 the chain verifies, 1 a problem was found, 2 the log could not be read.
            """
    )

    @OptionGroup var location: AuditLocationOptions

    func run() throws {
        try reportingFailures(runBody)
    }

    func runBody() throws {
        let log = try location.log()
        guard FileManager.default.fileExists(atPath: log.directory) else {
            throw AuditFailure("\(log.directory): no decision log here (it is created on the first decision)")
        }
        let result = log.verify()
        if let error = result.readError { throw AuditFailure(error) }
        if let problem = result.problem ?? result.headProblem {
            print(problem.description)
            throw ExitCode(1)
        }
        print(VerifySummary.line(result, directory: log.directory))
    }
}

enum VerifySummary {
    static func line(_ result: AuditVerification, directory: String) -> String {
        guard let first = result.firstSeq, let last = result.lastSeq else {
            return "ok: \(directory): no records yet"
        }
        var text = "ok: \(result.records) records, seq \(first)–\(last), in \(result.segments.count) segment\(result.segments.count == 1 ? "" : "s") under \(directory); the head matches"
        if result.startsAfterPruning {
            text += " (verified from seq \(first): older segments were pruned)"
        }
        return text
    }
}

struct LogPruneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Remove segments older than the retention period.",
        discussion: """
            Removes whole segment files, oldest first, whose last record is older than the \
            retention period; never the segment being written. The head file keeps the link to \
            the last record removed, so 'warden log verify' goes on to work from the oldest \
            segment kept. Hooks also prune each time they start a new segment.
            """
    )

    @OptionGroup var location: AuditLocationOptions

    @Option(help: ArgumentHelp("Keep this many days.", discussion: "Default: the policy's warden.audit.retentionDays, else cleanupPeriodDays, else 30.", valueName: "days"))
    var days: Int?

    func run() throws {
        try reportingFailures(runBody)
    }

    func runBody() throws {
        if let days, days < 1 { throw UsageError("--days: expected a number of days, 1 or more, got \(days)") }
        let log = try location.log()
        let (settings, _, _) = try location.settings()
        guard let keep = days ?? settings.effectiveRetention.days else {
            print("\(log.directory): nothing pruned: \(settings.effectiveRetention.source)")
            return
        }
        switch log.prune(retentionDays: keep) {
        case .success(let removed):
            if removed.isEmpty {
                print("\(log.directory): nothing older than \(keep) days")
            } else {
                for name in removed { print("removed \(log.directory)/\(name)") }
            }
        case .failure(let error):
            throw AuditFailure(error.description)
        }
    }
}
