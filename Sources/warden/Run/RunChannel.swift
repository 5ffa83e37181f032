import FoundationEssentials
import Glibc
import WardenAudit
import WardenChannel
import WardenPolicy
import WardenSandbox

/// `warden run`'s end of Warden's channel (WardenChannel): the server on the run directory's
/// `channel.sock`, which init's relay reaches from 127.0.0.1:PORT inside, and the port file the
/// hooks read. Records it takes go to the decision log stamped with this run's id; pseudonyms
/// are numbered in the session's book, which stays on the host.
struct RunChannel {
    let server: ChannelServer

    /// The books' directory, created (so that the plan can mask it inside); nil when there is no
    /// state directory.
    static func booksDirectory() -> String? {
        guard let directory = PseudonymStore.directory() else { return nil }
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        return directory
    }

    /// Nil when the plan has no channel (no init to relay it).
    static func start(plan: SandboxPlan, policy: Policy, runtimeDirectory: String) throws -> RunChannel? {
        guard let port = plan.network.channelPort else { return nil }
        let portFile = runtimeDirectory + "/" + ChannelProtocol.portFileName
        guard RunSupport.writeNewFile(portFile, "\(port)\n") else {
            throw CLIError("cannot write \(portFile)")
        }
        let settings = policy.audit
        let log = (settings.directory ?? AuditLog.defaultDirectory()).map { settings.log(defaultDirectory: $0) }
        let host = ChannelHost(log: log, keepDays: PseudonymStore.keepDays(cleanupPeriodDays: settings.cleanupPeriodDays))
        do {
            return RunChannel(server: try ChannelServer(socketPath: plan.network.channelSocketOnHost, host: host, run: "warden-run-\(getpid())"))
        } catch {
            throw CLIError("cannot serve Warden's channel: \(error)")
        }
    }

    func sandboxStarted(pid: pid_t) { server.sandboxStarted(pid: pid) }

    func stop() { server.stop() }
}
