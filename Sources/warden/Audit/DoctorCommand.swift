import ArgumentParser
import FoundationEssentials
import Glibc
import WardenAudit
import WardenSystem
import WardenExport

struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check the whole runtime: the sandbox, claude, the hook registration, the shell function, the policy and the decision log.",
        discussion: """
            Prints one line per check, ok or FAIL, every FAIL with the command that fixes it: the \
            policy; bwrap and user namespaces (a real sandbox is built; Ubuntu's AppArmor \
            restriction is named), seccomp, the Landlock ABI and warden-sandbox-init; the real \
            claude and its version; the hooks and the shell prefix registered in the managed \
            settings and pointing at this installation's warden-hook; the claude function active \
            in this shell; the sandbox's proxy ports; then the audit settings in the policy, the log \
            directory (writable, not writable by others), the hash chain, the head file, \
            retention (no segment kept past the retention period), and the export to a \
            collector (warden.export.otlp): where to, the cursor, and how many records are \
            still to send.
            Exit status: 0 every check passed, 1 a check failed.
            """
    )

    @OptionGroup var location: AuditLocationOptions

    @Flag(name: .customLong("log-only"), help: "Check only the decision log and its export, not the sandbox, claude and the registration.")
    var logOnly = false

    func run() throws {
        try reportingFailures(runBody)
    }

    func runBody() throws {
        var failed = false
        func report(_ ok: Bool, _ message: String) {
            if !ok { failed = true }
            print((ok ? "ok    " : "FAIL  ") + message)
        }

        // Settings.
        let settingsResult: (settings: AuditSettings, policy: String?, problems: [String])
        do { settingsResult = try location.settings() } catch {
            report(false, "policy: \(error)")
            settingsResult = (AuditSettings(), nil, [])
        }
        let (settings, policyPath, problems) = settingsResult
        if !logOnly {
            RuntimeChecks(policyPath: policyPath, environment: ProcessInfo.processInfo.environment, report: report).run()
        }
        if problems.isEmpty {
            report(true, "settings: \(policyPath.map { "from \($0)" } ?? "no policy file, defaults")")
        } else {
            for problem in problems { report(false, "settings: \(problem)") }
        }
        let log = try location.log(settings: settings)
        let retention = settings.effectiveRetention

        // Directory.
        if let isDirectory = HostPaths.isDirectory(log.directory) {
            if !isDirectory {
                report(false, "log directory: \(log.directory) is not a directory")
            } else if access(log.directory, W_OK) == 0 && access(log.headPath, F_OK) != 0 || access(log.headPath, W_OK) == 0 {
                report(true, "log directory: \(log.directory) is writable")
            } else {
                report(false, "log directory: \(log.directory) is not writable by \(HostPaths.userName): hooks cannot log decisions")
            }
            var info = stat()
            if stat(log.directory, &info) == 0 && info.st_mode & 0o002 != 0 {
                report(false, "permissions: \(log.directory) is writable by every user: anyone can replace the log")
            } else {
                report(true, "permissions: \(log.directory) is not writable by others")
            }
        } else {
            var ancestor = HostPaths.parent(log.directory)
            while !ancestor.isEmpty && ancestor != "/" && !Files.exists(ancestor) {
                ancestor = HostPaths.parent(ancestor)
            }
            if access(ancestor.isEmpty ? "/" : ancestor, W_OK) == 0 {
                report(true, "log directory: \(log.directory) does not exist yet; it will be created on the first decision")
            } else {
                report(false, "log directory: \(log.directory) does not exist and \(ancestor) is not writable: create it for the hooks' user")
            }
            print("ok    chain: no records yet")
            report(true, "retention: \(retention.days.map { "\($0) days" } ?? "forever") (\(retention.source))")
            checkExport(log: log, lastSeq: nil, report: report)
            if failed { throw ExitCode(1) }
            return
        }

        // Chain and head.
        let result = log.verify()
        if let error = result.readError {
            report(false, "chain: \(error)")
        } else if let problem = result.problem, problem.kind != .head {
            report(false, "chain: \(problem)")
        } else {
            report(true, "chain: " + VerifySummary.line(result, directory: log.directory).dropFirst(4).replacing("; the head matches", with: ""))
        }
        if let problem = result.headProblem {
            report(false, "head: \(problem)")
        } else if let head = result.head {
            // Compared with the newest segment's last record, whatever the chain before it, as of
            // the moment the check began (records appended since are not the head's yet).
            let newest = result.segments.last.flatMap { AuditLog.readFile($0.path, from: 0, upTo: result.sizes.last) }
            let lastLine = newest?.split(separator: 0x0A).last
            let last = lastLine.flatMap { try? AuditRecord(line: String(decoding: $0, as: UTF8.self)) }
            if let last, last.seq == head.seq, last.hash == head.hash {
                report(true, "head: seq \(head.seq) matches the last record")
            } else if let last {
                report(false, "head: records seq \(head.seq), but the last record is seq \(last.seq)\(last.seq == head.seq ? " with another hash" : ""): records were removed or replaced at the end")
            } else {
                report(false, "head: records seq \(head.seq), but the newest segment has no readable record")
            }
        } else {
            report(true, "head: none yet")
        }

        // Retention.
        if let days = retention.days {
            let cutoff = AuditTime.now().adding(days: -days)
            let segments = (try? log.segments().get()) ?? []
            var overdue = 0
            for segment in segments.dropLast() {
                guard let bytes = AuditLog.readFile(segment.path, from: 0),
                    let last = bytes.split(separator: 0x0A).last,
                    let record = try? AuditRecord(line: String(decoding: last, as: UTF8.self))
                else { continue }
                if record.time < cutoff { overdue += 1 }
            }
            if overdue > 0 {
                report(false, "retention: \(days) days (\(retention.source)), but \(overdue) segment\(overdue == 1 ? " is" : "s are") older: run 'warden log prune'")
            } else {
                report(true, "retention: \(days) days (\(retention.source)); segments rotate at \(settings.segmentBytes / 1024 / 1024) MB")
            }
        } else {
            report(true, "retention: forever (\(retention.source))")
        }
        checkExport(log: log, lastSeq: result.lastSeq ?? result.head?.seq, report: report)
        if failed { throw ExitCode(1) }
    }

    /// Where the export goes, how far it got, and how many records are still to send.
    func checkExport(log: AuditLog, lastSeq: Int?, report: (Bool, String) -> Void) {
        let settings: ExportSettings
        do {
            let (read, _, problems) = try location.exportSettings()
            for problem in problems { report(false, "export: \(problem)") }
            if !problems.isEmpty { return }
            settings = read
        } catch {
            return  // the policy cannot be read: said above
        }
        guard let otlp = settings.otlp else {
            report(true, "export: not configured (warden.export.otlp)")
            return
        }
        let url = otlp.endpoint.logsURL
        var notes = ""
        if otlp.endpoint.scheme == "https" {
            // The files the export would read: one it cannot use stops it (exit 2), so it fails here.
            do {
                _ = try ExportTLS.configuration(otlp)
            } catch {
                report(false, "export: \(error)")
                return
            }
            if let certificate = otlp.certificate { notes += "; CA certificates from \(certificate)" }
            if let client = otlp.clientCertificate { notes += "; client certificate \(client)" }
        }
        let unset = otlp.headersFromEnvironment.filter { (ProcessInfo.processInfo.environment[$0.value] ?? "").isEmpty }
        if !unset.isEmpty {
            notes = "; \(unset.map { "$\($0.value)" }.joined(separator: ", ")) not set here (headersFromEnvironment)"
        }
        let cursor: ExportCursor?
        switch ExportCursor.read(directory: log.directory) {
        case .success(let read): cursor = read
        case .failure(let error):
            report(false, "export: \(error)")
            return
        }
        let last = lastSeq ?? 0
        guard let cursor else {
            var reader = try? ExportReader(log: log, after: 0)
            let first = try? reader?.next(limit: 1).first
            let pending = first.flatMap { $0 }.map { max(0, last - $0.seq + 1) } ?? 0
            report(true, "export: to \(url); nothing acknowledged yet, \(pending) record\(pending == 1 ? "" : "s") to send\(notes)")
            return
        }
        var reader: ExportReader
        let first: AuditRecord?
        do throws(AuditWriteError) {
            reader = try ExportReader(log: log, after: cursor.seq)
            first = try reader.next(limit: 1).first
        } catch {
            report(false, "export: \(error)")
            return
        }
        let pending = first.map { max(0, last - $0.seq + 1) } ?? 0
        let position = "cursor at seq \(cursor.seq) (acknowledged \(cursor.time.rfc3339))"
        if cursor.endpoint != url { notes += "; the cursor was acknowledged by \(cursor.endpoint)" }
        switch ExportResume.check(cursor: cursor, reader: reader, firstPending: first) {
        case .matches:
            report(true, "export: to \(url); \(position), \(pending) record\(pending == 1 ? "" : "s") to send\(notes)")
        case .gap(let from, let to):
            report(false, "export: to \(url); \(position), but records seq \(from)–\(to) were removed before they were exported; \(pending) to send\(notes)")
        case .mismatch(let reason):
            report(false, "export: to \(url); the cursor does not match the log: \(reason); the next export sends every record kept again\(notes)")
        }
    }
}
