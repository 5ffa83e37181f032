import ArgumentParser
import FoundationEssentials
import Glibc
import WardenAudit
import WardenJSON
import WardenSystem

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Summarise the decision log for a period.",
        discussion: """
            Decisions by kind and by day, the rules that denied most (only the rules that \
            decided), connections through the proxies with the hosts denied and allowed most, \
            sessions, redactions by kind, and the hook's latency. As text, as JSON for tools, or as a self-contained HTML \
            page with charts (no external assets or scripts) to share.
            """
    )

    enum Format: String, CaseIterable, ExpressibleByArgument {
        case text, json, html
    }

    @OptionGroup var location: AuditLocationOptions
    @OptionGroup var period: PeriodOptions

    @Option(help: ArgumentHelp("Output format: text, json or html.", valueName: "format"))
    var format: String = "text"

    @Option(name: .shortAndLong, help: ArgumentHelp("Write the report to this file instead of standard output.", valueName: "file"))
    var output: String?

    @Option(help: ArgumentHelp("How many rules and sessions to list.", valueName: "n"))
    var top: Int = 10

    func run() throws {
        try reportingFailures(runBody)
    }

    func runBody() throws {
        guard let format = Format(rawValue: format.lowercased()) else {
            throw UsageError("--format: expected text, json or html, got \(JSONValue.quoted(format))")
        }
        if top < 1 { throw UsageError("--top: expected a number, 1 or more, got \(top)") }
        let (since, until) = try period.period()
        let log = try location.log()
        let records = try location.records(of: log) { (since == nil || $0.time >= since!) && (until == nil || $0.time < until!) }
        let report = AuditReport(records: records, since: since, until: until, top: top)
        let text: String
        switch format {
        case .text: text = ReportText.render(report, directory: log.directory, top: top)
        case .json: text = ReportJSON.render(report, directory: log.directory, top: top).serialized + "\n"
        case .html: text = ReportHTML.render(report, directory: log.directory, top: top)
        }
        try emit(text, to: output)
        if let output { Files.writeAll(2, "warden: wrote \(output)\n") }
    }
}

/// Shared wording for the three formats.
enum ReportWords {
    static func period(_ report: AuditReport) -> String {
        func short(_ time: AuditTime) -> String {
            let text = time.rfc3339
            return String(text.prefix(10)) + " " + String(text.dropFirst(11).prefix(5))
        }
        let from = (report.since ?? report.firstRecord).map(short) ?? "the beginning"
        let to = (report.until ?? report.lastRecord).map(short) ?? "now"
        return "\(from) – \(to) UTC"
    }

    static func micros(_ value: Int?) -> String {
        guard let value else { return "–" }
        if value >= 1000 { return cFormat("%.1f ms", Double(value) / 1000) }
        return "\(value) µs"
    }

    static func percent(_ part: Int, of whole: Int) -> String {
        whole == 0 ? "0%" : cFormat("%.1f%%", Double(part) * 100 / Double(whole))
    }
}

enum ReportText {
    static func render(_ report: AuditReport, directory: String, top: Int) -> String {
        var out = "Warden decision report — \(ReportWords.period(report))\n"
        out += "Log: \(directory)\n\n"
        out += "\(report.total) decisions in \(report.sessions.count) sessions by \(report.users.count) users on \(report.hosts.count) hosts\n\n"
        out += "Decisions\n"
        for kind in AuditDecision.allCases {
            let count = report.decisions[kind] ?? 0
            out += "  " + pad(kind.rawValue, 8) + padLeft(String(count), 8) + "  " + padLeft(ReportWords.percent(count, of: report.total), 6) + "\n"
        }
        func section(_ title: String, _ counts: [AuditReport.Count], empty: String) {
            out += "\n\(title)\n"
            if counts.isEmpty { out += "  \(empty)\n" }
            let width = min(60, counts.map(\.name.count).max() ?? 0)
            for count in counts { out += "  " + pad(LogTable.oneLine(count.name, limit: 60), width) + padLeft(String(count.count), 8) + "\n" }
        }
        section("Top denied rules", report.topDeniedRules, empty: "none")
        section("Top rules asking", report.topAskedRules, empty: "none")
        out += "\nNetwork: \(report.networkRecords) connection\(report.networkRecords == 1 ? "" : "s"), \(report.networkAllowed) allowed, \(report.networkDenied) denied\n"
        func hostSection(_ title: String, _ hosts: [AuditReport.HostCount]) {
            out += "\n\(title)\n"
            if hosts.isEmpty { out += "  none\n" }
            let width = min(60, hosts.map(\.host.count).max() ?? 0)
            for host in hosts {
                out += "  " + pad(LogTable.oneLine(host.host, limit: 60), width) + padLeft(String(host.count), 8)
                    + "  ↑" + LogTable.byteCount(host.bytesUp) + " ↓" + LogTable.byteCount(host.bytesDown) + "\n"
            }
        }
        hostSection("Top denied hosts", report.topDeniedHosts)
        hostSection("Top allowed hosts", report.topAllowedHosts)
        section("Redactions by kind (\(report.totalRedactions))", report.redactions, empty: "none")
        section("Tools", Array(report.tools.prefix(top)), empty: "none")
        out += "\nSessions (\(report.sessions.count); top \(min(top, report.sessions.count)) by decisions)\n"
        for session in report.sessions.prefix(top) {
            out += "  \(session.id.prefix(8))  \(pad(session.user, 10)) \(padLeft(String(session.decisions), 6)) decisions, \(session.denied) denied, \(session.asked) asked, \(session.redactions) redacted  \(session.first.rfc3339) – \(session.last.rfc3339)\(session.outsideSandbox ? "  OUTSIDE the sandbox" : "")\n"
        }
        out += "\nHook latency: p50 \(ReportWords.micros(report.latencyP50)), p95 \(ReportWords.micros(report.latencyP95)), p99 \(ReportWords.micros(report.latencyP99)), max \(ReportWords.micros(report.latencyMax))\n"
        return out
    }

    static func pad(_ s: String, _ width: Int) -> String { s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count) }
    static func padLeft(_ s: String, _ width: Int) -> String { s.count >= width ? s : String(repeating: " ", count: width - s.count) + s }
}

enum ReportJSON {
    static func render(_ report: AuditReport, directory: String, top: Int) -> JSONValue {
        func counts(_ list: [AuditReport.Count], key: String) -> JSONValue {
            .array(list.map { .object([JSONMember(key: key, value: .string($0.name)), JSONMember(key: "count", value: .number($0.count))]) })
        }
        func time(_ t: AuditTime?) -> JSONValue { t.map { .string($0.rfc3339) } ?? .null }
        func number(_ n: Int?) -> JSONValue { n.map { .number($0) } ?? .null }
        func hostList(_ hosts: [AuditReport.HostCount]) -> JSONValue {
            .array(hosts.map {
                .object([
                    JSONMember(key: "host", value: .string($0.host)), JSONMember(key: "count", value: .number($0.count)),
                    JSONMember(key: "bytesUp", value: .number($0.bytesUp)), JSONMember(key: "bytesDown", value: .number($0.bytesDown)),
                ])
            })
        }
        let decisions = AuditDecision.allCases.map { JSONMember(key: $0.rawValue, value: .number(report.decisions[$0] ?? 0)) }
        let sessions: [JSONValue] = report.sessions.prefix(top).map { s in
            .object([
                JSONMember(key: "session", value: .string(s.id)), JSONMember(key: "user", value: .string(s.user)),
                JSONMember(key: "host", value: .string(s.host)), JSONMember(key: "first", value: .string(s.first.rfc3339)),
                JSONMember(key: "last", value: .string(s.last.rfc3339)), JSONMember(key: "decisions", value: .number(s.decisions)),
                JSONMember(key: "denied", value: .number(s.denied)), JSONMember(key: "asked", value: .number(s.asked)),
                JSONMember(key: "redactions", value: .number(s.redactions)),
                JSONMember(key: "outsideSandbox", value: .bool(s.outsideSandbox)),
            ])
        }
        let days: [JSONValue] = report.days.map { day in
            .object([JSONMember(key: "day", value: .string(AuditTime.dayString(day.day)))]
                + AuditDecision.allCases.map { JSONMember(key: $0.rawValue, value: .number(day.counts[$0] ?? 0)) })
        }
        return .object([
            JSONMember(key: "log", value: .string(directory)),
            JSONMember(key: "since", value: time(report.since)),
            JSONMember(key: "until", value: time(report.until)),
            JSONMember(key: "firstRecord", value: time(report.firstRecord)),
            JSONMember(key: "lastRecord", value: time(report.lastRecord)),
            JSONMember(key: "total", value: .number(report.total)),
            JSONMember(key: "decisions", value: .object(decisions)),
            JSONMember(key: "events", value: counts(report.events, key: "event")),
            JSONMember(key: "tools", value: counts(report.tools, key: "tool")),
            JSONMember(key: "topDeniedRules", value: counts(report.topDeniedRules, key: "rule")),
            JSONMember(key: "topAskedRules", value: counts(report.topAskedRules, key: "rule")),
            JSONMember(key: "network", value: .object([
                JSONMember(key: "records", value: .number(report.networkRecords)),
                JSONMember(key: "allowed", value: .number(report.networkAllowed)),
                JSONMember(key: "denied", value: .number(report.networkDenied)),
                JSONMember(key: "topDeniedHosts", value: hostList(report.topDeniedHosts)),
                JSONMember(key: "topAllowedHosts", value: hostList(report.topAllowedHosts)),
            ])),
            JSONMember(key: "redactions", value: counts(report.redactions, key: "kind")),
            JSONMember(key: "sessionCount", value: .number(report.sessions.count)),
            JSONMember(key: "sessions", value: .array(sessions)),
            JSONMember(key: "users", value: counts(report.users, key: "user")),
            JSONMember(key: "hosts", value: counts(report.hosts, key: "host")),
            JSONMember(key: "days", value: .array(days)),
            JSONMember(key: "latencyUs", value: .object([
                JSONMember(key: "p50", value: number(report.latencyP50)), JSONMember(key: "p95", value: number(report.latencyP95)),
                JSONMember(key: "p99", value: number(report.latencyP99)), JSONMember(key: "max", value: number(report.latencyMax)),
            ])),
        ])
    }
}
