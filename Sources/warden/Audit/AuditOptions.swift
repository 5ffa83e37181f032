import ArgumentParser
import FoundationEssentials
import Glibc
import WardenAudit
import WardenJSON
import WardenSystem

/// Bad input on the command line: printed as `warden: MESSAGE`, exit status 64.
struct UsageError: Error, CustomStringConvertible {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

/// A failure the user can act on (a file that cannot be read or written): one line, exit 2.
struct AuditFailure: Error, CustomStringConvertible {
    let description: String
    let code: Int32
    init(_ description: String, code: Int32 = 2) {
        self.description = description
        self.code = code
    }
}

/// Runs a command's body: a usage error becomes `warden: MESSAGE` on standard error and exit
/// status 64, a failure one line and its own status, whatever root command runs it.
func reportingFailures(_ body: () throws -> Void) throws {
    do { try body() } catch { throw reported(error) }
}

/// The same for an asynchronous body.
func reportingFailures(_ body: () async throws -> Void) async throws {
    do { try await body() } catch { throw reported(error) }
}

/// Says a usage error or a failure on standard error and gives the exit status to end with;
/// any other error is handed on as it is.
private func reported(_ error: any Error) -> any Error {
    switch error {
    case let usage as UsageError:
        Files.writeAll(2, "warden: \(usage.message)\n")
        return ExitCode(64)
    case let failure as AuditFailure:
        Files.writeAll(2, "warden: \(failure.description)\n")
        return ExitCode(failure.code)
    default:
        return error
    }
}

/// Where the log is: options shared by `warden log`, `warden report` and `warden doctor`.
struct AuditLocationOptions: ParsableArguments {
    @Option(
        name: .customLong("log-dir"),
        help: ArgumentHelp(
            "The decision log's directory.",
            discussion: "Default: the policy's warden.audit.directory, else $XDG_STATE_HOME/warden (~/.local/state/warden).",
            valueName: "dir"))
    var logDirectory: String?

    @Option(
        help: ArgumentHelp(
            "The policy whose audit settings apply.",
            discussion: "Default: $WARDEN_POLICY, else /etc/claude-code/managed-settings.json when it exists.",
            valueName: "file"))
    var policy: String?

    /// The policy file in use, and whether it was named explicitly.
    func policyPath() -> (path: String, explicit: Bool)? {
        if let policy { return (policy, true) }
        if let env = ProcessInfo.processInfo.environment["WARDEN_POLICY"], !env.isEmpty { return (env, true) }
        let system = "/etc/claude-code/managed-settings.json"
        return FileManager.default.fileExists(atPath: system) ? (system, false) : nil
    }

    /// The audit settings from the policy; problems are `FILE:LINE:COLUMN: message`.
    func settings() throws -> (settings: AuditSettings, policy: String?, problems: [String]) {
        try fromPolicy(AuditSettings(), AuditSettings.read(policy:))
    }

    /// The export settings from the policy (`warden.export`); problems as for `settings()`.
    func exportSettings() throws -> (settings: ExportSettings, policy: String?, problems: [String]) {
        try fromPolicy(ExportSettings(), ExportSettings.read(policy:))
    }

    /// Settings read from the policy, `empty` when there is none or it does not parse. A named
    /// policy that cannot be read is an error.
    private func fromPolicy<Settings>(
        _ empty: Settings, _ read: (JSONValue) -> (settings: Settings, problems: [String])
    ) throws -> (settings: Settings, policy: String?, problems: [String]) {
        guard let (path, _) = policyPath() else { return (empty, nil, []) }
        guard let bytes = AuditLog.readFile(path, from: 0), FileManager.default.fileExists(atPath: path) else {
            throw AuditFailure("\(path): cannot read the policy")
        }
        let json: JSONValue
        do { json = try JSONValue.parse(bytes: bytes) } catch {
            return (empty, path, ["\(path):\(error)"])
        }
        let (settings, problems) = read(json)
        return (settings, path, problems.map { "\(path):\($0)" })
    }

    /// The log, with the policy's settings (read here unless given).
    func log(settings given: AuditSettings? = nil) throws -> AuditLog {
        let settings = try given ?? settings().settings
        var directory = logDirectory
        if directory == nil { directory = settings.directory }
        if directory == nil { directory = AuditLog.defaultDirectory() }
        guard let directory else {
            throw UsageError("--log-dir: no directory given and neither $XDG_STATE_HOME nor $HOME is set")
        }
        let log = settings.log(defaultDirectory: directory)
        return AuditLog(directory: directory, segmentBytes: log.segmentBytes, retentionDays: log.retentionDays)
    }

    /// Every record, or one line saying why the log cannot be read. Unreadable lines are counted
    /// on standard error.
    func records(of log: AuditLog, where include: (AuditRecord) -> Bool = { _ in true }) throws -> [AuditRecord] {
        guard FileManager.default.fileExists(atPath: log.directory) else {
            throw AuditFailure("\(log.directory): no decision log here (it is created on the first decision)")
        }
        switch log.records(where: include) {
        case .success(let (records, unreadable)):
            if unreadable > 0 {
                Files.writeAll(2, "warden: \(unreadable) lines of \(log.directory) are not records; run 'warden log verify'\n")
            }
            return records
        case .failure(let error):
            throw AuditFailure(error.description)
        }
    }
}

/// `--since` and `--until`: a date, a time, or a duration back from now.
enum Moment {
    static func parse(_ text: String, option: String, now: AuditTime = .now()) throws -> AuditTime {
        if let time = AuditTime(rfc3339: text) { return time }
        if let duration = duration(text) { return now.adding(milliseconds: -duration) }
        if text == "now" { return now }
        if text == "today" { return AuditTime(milliseconds: now.day * 86_400_000) }
        throw UsageError("\(option): expected a date like 2026-11-01, a time like 2026-11-01T09:30:00Z or a duration like 7d, got \(JSONValue.quoted(text))")
    }

    /// `90m`, `12h`, `7d`, `2w` in milliseconds.
    static func duration(_ text: String) -> Int64? {
        guard let unit = text.last, let value = Int64(text.dropLast()), value >= 0 else { return nil }
        switch unit {
        case "m": return value * 60_000
        case "h": return value * 3_600_000
        case "d": return value * 86_400_000
        case "w": return value * 7 * 86_400_000
        default: return nil
        }
    }
}

/// `--since`/`--until` options shared by `warden log` and `warden report`.
struct PeriodOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Only decisions from this moment on.", discussion: "A date (2026-11-01, midnight UTC), an RFC 3339 time, or a duration back from now: 90m, 12h, 7d, 2w.", valueName: "when"))
    var since: String?

    @Option(help: ArgumentHelp("Only decisions before this moment.", discussion: "Same forms as --since.", valueName: "when"))
    var until: String?

    func period() throws -> (since: AuditTime?, until: AuditTime?) {
        let now = AuditTime.now()
        let since = try since.map { try Moment.parse($0, option: "--since", now: now) }
        let until = try until.map { try Moment.parse($0, option: "--until", now: now) }
        if let since, let until, since >= until {
            throw UsageError("--until: \(until.rfc3339) is not after --since \(since.rfc3339)")
        }
        return (since, until)
    }
}

/// Writes `text` to `path`, or to standard output when nil.
func emit(_ text: String, to path: String?) throws {
    guard let path else {
        Files.writeAll(1, text)
        return
    }
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw AuditFailure("\(path): cannot write: \(Files.errorText(errno))") }
    let written = Files.writeAll(fd, text)
    let failure = errno
    guard close(fd) == 0, written else { throw AuditFailure("\(path): cannot write: \(Files.errorText(written ? errno : failure))") }
}
