// Every answer of the hook becomes one record of the decision log (WardenAudit), after the
// decision is made and before the process exits. The log is evidence, not a gate: a record that
// cannot be written never changes the answer; it is reported on stderr (when that does not turn
// into a block reason) and by `warden doctor`.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import WardenAudit
import WardenHooks
import WardenPolicy
import WardenSystem

enum DecisionLogging {
    /// Monotonic microseconds, for the hook's own latency.
    static func monotonicMicros() -> Int {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Int(spec.tv_sec) * 1_000_000 + Int(spec.tv_nsec) / 1000
    }

    /// `latencyMicros`: the hook's time from start to answer; for `--run`, its own CPU time.
    /// `reportsTrouble`: whether a record that cannot be written is said on stderr; `--run` keeps
    /// quiet, as its stderr is the command's, which the model reads (`warden doctor` still tells).
    static func record(
        _ answer: HookAnswer, policy: (policy: Result<Policy, PolicyLoadError>, bytes: [UInt8]?),
        latencyMicros: @autoclosure () -> Int, reportsTrouble: Bool = true, confinement: String? = nil
    ) {
        let settings = (try? policy.policy.get())?.audit ?? AuditSettings()
        guard let directory = settings.directory ?? AuditLog.defaultDirectory() else {
            guard reportsTrouble else { return }
            report("no log directory: neither warden.audit.directory, $XDG_STATE_HOME nor $HOME is set", answer)
            return
        }
        let summary = answer.summary
        var record = AuditRecord(
            summary: AuditSummary(
                decision: AuditDecision(rawValue: summary.decision.rawValue) ?? .none, rules: summary.rules,
                reason: summary.reason, redactions: summary.redactions, subject: summary.subject),
            event: summary.event ?? "unknown", tool: summary.tool, session: summary.session ?? "",
            policy: policy.bytes.map(AuditChain.policyHash), latencyMicros: latencyMicros())
        record.confinement = confinement
        if let failure = settings.log(defaultDirectory: directory).append(record), reportsTrouble {
            report(failure.description, answer)
        }
    }

    /// This process's CPU time so far, user and system, in microseconds.
    static func cpuMicros() -> Int {
        var usage = rusage()
        guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return 0 }
        return (Int(usage.ru_utime.tv_sec) + Int(usage.ru_stime.tv_sec)) * 1_000_000
            + Int(usage.ru_utime.tv_usec) + Int(usage.ru_stime.tv_usec)
    }

    /// A block's stderr is its reason, shown to the model: the log's trouble stays out of it.
    static func report(_ message: String, _ answer: HookAnswer) {
        guard answer.exitStatus == 0 else { return }
        _ = Files.writeAll(2, "warden-hook: the decision log was not written: \(message)\n")
    }
}
