// The host's side of the channel: who may talk (admission, pure), and what a request does
// (the record appended to the decision log, pseudonyms numbered in the session's book).

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
public import WardenAudit

/// Who connected, as the kernel says (SO_PEERCRED of the unix socket, then /proc).
public struct ChannelPeer: Sendable, Hashable {
    public var pid: Int32
    public var uid: UInt32
    /// `readlink /proc/PID/ns/pid` (`pid:[4026532…]`); nil when it could not be read.
    public var pidNamespace: String?

    public init(pid: Int32, uid: UInt32, pidNamespace: String?) {
        self.pid = pid
        self.uid = uid
        self.pidNamespace = pidNamespace
    }
}

/// The sandbox the channel serves: the developer's uid and the pid namespace of the sandbox's
/// first process (learnt from bwrap's `--info-fd` child pid once bwrap has started).
public struct ChannelIdentity: Sendable, Hashable {
    public var uid: UInt32
    public var pidNamespace: String?
    /// The run's id, `warden-run-PID`: the session of its SandboxStart and SandboxEnd records.
    public var run: String

    public init(uid: UInt32, pidNamespace: String?, run: String) {
        self.uid = uid
        self.pidNamespace = pidNamespace
        self.run = run
    }
}

public enum ChannelAdmission {
    /// Nil when `peer` is inside the sandbox `identity` names; else why not, in one line.
    /// Inside the sandbox nothing but init's relay can open a unix socket (seccomp refuses
    /// AF_UNIX to everything started after it), so the peer is the relay, whose pid namespace is
    /// the sandbox's; a process on the host that connects to the socket file is in another.
    public static func refusal(peer: ChannelPeer, identity: ChannelIdentity) -> ChannelRefusal? {
        guard peer.uid == identity.uid else {
            return ChannelRefusal("peer uid \(peer.uid) is not the developer's (\(identity.uid))")
        }
        guard let sandbox = identity.pidNamespace else {
            return ChannelRefusal("the sandbox has not started yet")
        }
        guard let namespace = peer.pidNamespace else {
            return ChannelRefusal("the peer's pid namespace cannot be read (pid \(peer.pid))")
        }
        guard namespace == sandbox else {
            return ChannelRefusal("the peer (pid \(peer.pid)) is not inside this run's sandbox (its pid namespace is \(namespace), the sandbox's \(sandbox))")
        }
        return nil
    }

    /// `readlink /proc/PID/ns/pid`.
    public static func pidNamespace(of pid: Int32) -> String? {
        var buffer = [CChar](repeating: 0, count: 64)
        let count = readlink("/proc/\(pid)/ns/pid", &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// What the host does with an admitted request.
public struct ChannelHost: Sendable {
    /// Names one session may hand out per kind through the channel. Every new name answers one
    /// guess ("is this SSN in the session's book?"), so this bounds how far a script inside can
    /// use the channel as an oracle; past it, the hook redacts with placeholders.
    public static let pseudonymLimitPerKind = 5000

    public let log: AuditLog?
    public let origin: AuditOrigin
    public let keepDays: Int
    public let booksDirectory: String?

    public init(log: AuditLog?, origin: AuditOrigin = .current(), keepDays: Int, booksDirectory: String? = PseudonymStore.directory()) {
        self.log = log
        self.origin = origin
        self.keepDays = keepDays
        self.booksDirectory = booksDirectory
    }

    public func handle(_ request: ChannelRequest, run: String) -> ChannelResponse {
        switch request {
        case .attest:
            return .done(run: run, numbers: nil)
        case .record(let record):
            guard let log else { return .refused("the decision log has no directory on the host") }
            if let failure = log.append(record.auditRecord(origin: origin, run: run)) {
                return .refused("the host could not write the record: \(failure)")
            }
            return .done(run: run, numbers: nil)
        case .pseudonyms(let session, let items):
            guard var store = PseudonymStore.open(session: session, keepDays: keepDays, directory: booksDirectory) else {
                return .refused("the host cannot open the session's pseudonym book")
            }
            guard let numbers = store.numbers(for: items, limitPerKind: Self.pseudonymLimitPerKind) else {
                store.release()
                return .refused("the session's pseudonym book is full (\(Self.pseudonymLimitPerKind) names of a kind)")
            }
            store.save(entries: store.entries)
            return .done(run: run, numbers: numbers)
        }
    }
}
