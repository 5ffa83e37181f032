import FoundationEssentials
import Glibc
import WardenAudit
import WardenPolicy
import WardenSystem
import WardenSandbox

/// The decision log's records of one `warden run`: `SandboxStart` with the plan's digest and the
/// kernel features in use, `SandboxEnd` with the exit status and the duration. A log that cannot
/// be written is said once on standard error and stops nothing.
struct RunSession {
    let log: AuditLog?
    let planDigest: String
    let features: [String]
    let session = "warden-run-\(getpid())"
    let policyHash: String?
    let subject: String
    let startTime = Date()

    /// `policyHash`: of the bytes the plan was made from (read once, at the start).
    init(policy: Policy, policyHash: String?, plan: SandboxPlan) {
        let settings = policy.audit
        log = (settings.directory ?? AuditLog.defaultDirectory()).map { settings.log(defaultDirectory: $0) }
        // The plan as --dry-run --json prints it: the same plan, the same digest.
        planDigest = "sha256:" + Digests.sha256Hex(Data(plan.json.serialized.utf8))
        var features = ["bwrap", "seccomp", "user+pid+ipc+uts+net namespaces"]
        if plan.landlockABI > 0 { features.append("landlock ABI \(plan.landlockABI)") }
        features.append("limits: \(plan.limits.method.rawValue)")
        if plan.network.proxyAvailable { features.append("egress proxy") }
        if let port = plan.network.channelPort { features.append("channel 127.0.0.1:\(port)") }
        self.features = features
        self.policyHash = policyHash
        // The program, not its arguments: a prompt given on the command line may carry anything.
        subject = plan.command.first.map(Paths.lastComponent) ?? "?"
    }

    func started() {
        write(AuditRecord(sandboxStart: planDigest, features: features, session: session, policy: policyHash, subject: subject))
    }

    /// `status` nil: the sandbox could not be run at all.
    func ended(status: Int32?) {
        let millis = Int(Date().timeIntervalSince(startTime) * 1000)
        write(AuditRecord(
            sandboxEnd: planDigest, features: features, exitStatus: Int(status ?? 126), durationMillis: millis,
            session: session, policy: policyHash, subject: subject))
    }

    private func write(_ record: AuditRecord) {
        guard let log else {
            Files.writeAll(2, "warden: the session is not logged: no log directory (warden.audit.directory, $XDG_STATE_HOME or $HOME)\n")
            return
        }
        if let error = log.append(record) {
            Files.writeAll(2, "warden: the session's \(record.event) record was not logged: \(error)\n")
        }
    }
}
