import FoundationEssentials
import NIOConcurrencyHelpers
import Glibc
import WardenAudit
import WardenLaunch
import WardenPolicy
import WardenSandbox
import WardenSystem

/// `warden run`'s unix socket supervisor (allowUnixSockets): the channel over which init hands
/// over the seccomp listener, and the thread that answers the sandbox's connects. Every AF_UNIX
/// connect, allowed or refused, is a Network record (proto `unix`) in the decision log.
enum RunSupervisor {
    /// Starts the supervisor when the plan asks for one; returns the sandbox's end of the channel
    /// (for BubblewrapProcess.run), nil when the plan has none.
    static func start(plan: SandboxPlan, policy: Policy, policyHash: String?) throws(LaunchError) -> Int32? {
        guard plan.innerSpec.supervisorDescriptor != nil else { return nil }
        var ends: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &ends) == 0 else {
            throw LaunchError("cannot create the unix socket supervisor's channel: \(String(cString: strerror(errno)))")
        }
        let settings = policy.audit
        let log = (settings.directory ?? AuditLog.defaultDirectory()).map { settings.log(defaultDirectory: $0) }
        let session = "warden-run-\(getpid())"
        let origin = AuditOrigin.current()
        let complaint = Complaint()
        if let failure = UnixSocketSupervisor.start(channel: ends[0], plan: plan.unixSockets, report: { event in
            let record = AuditRecord(
                network: NetworkDetails(proto: .unix, asked: event.address, host: nil, port: 0),
                allowed: event.allowed, rule: event.allowed ? event.address : nil,
                reason: event.allowed ? "sandbox.network.allowUnixSockets" : event.reason + (event.errno.map { " (\(errnoName($0)))" } ?? ""),
                session: session, policy: policyHash, origin: origin)
            let problem: String?
            if let log { problem = log.append(record).map { "\($0)" } } else { problem = "no log directory (warden.audit.directory, $XDG_STATE_HOME or $HOME)" }
            if let problem { complaint.once("warden: unix socket connects are not logged: \(problem)\n") }
        }) {
            close(ends[0])
            close(ends[1])
            throw LaunchError(failure)
        }
        return ends[1]
    }

    static func errnoName(_ code: Int32) -> String {
        switch code {
        case EACCES: "EACCES"
        case ENOENT: "ENOENT"
        case ECONNREFUSED: "ECONNREFUSED"
        case EAGAIN: "EAGAIN"
        default: "errno \(code)"
        }
    }

    /// Says a logging failure once per session, from the supervisor thread.
    final class Complaint: @unchecked Sendable {
        private let lock = NIOLock()
        private var said = false
        func once(_ text: String) {
            lock.lock()
            defer { lock.unlock() }
            guard !said else { return }
            said = true
            Files.writeAll(2, text)
        }
    }
}
