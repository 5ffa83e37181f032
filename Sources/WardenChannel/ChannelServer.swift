// The channel's unix socket on the host: one thread accepting connections, one request each.
// Hand-written over plain sockets (a blocking accept loop, SO_PEERCRED, /proc): a few hundred
// bytes a tool call, and the peer's credentials, which NIO's channels do not hand out.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

public final class ChannelServer: @unchecked Sendable {
    // The mutable state (the sandbox's pid namespace, the stop flag) is guarded by `lock`; the
    // rest is set once in init.
    public let socketPath: String
    let listener: Int32
    let host: ChannelHost
    let uid: UInt32
    let run: String
    private var lock = pthread_mutex_t()
    private var sandboxNamespace: String?
    private var stopped = false
    private var thread: pthread_t?

    /// How long one connection may take to send its request: a slow or silent peer holds the
    /// (single) accept loop for at most this long.
    public static let receiveTimeoutMillis = 2000

    /// Binds and listens on `socketPath` (mode 0600) and starts serving; `sandboxNamespace` may be
    /// given later (`sandboxStarted`): until then every request is refused.
    public init(socketPath: String, host: ChannelHost, uid: UInt32? = nil, run: String) throws(ChannelRefusal) {
        self.socketPath = socketPath
        self.host = host
        self.uid = uid ?? getuid()
        self.run = run
        pthread_mutex_init(&lock, nil)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ChannelRefusal("channel: cannot create a socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let path = Array(socketPath.utf8)
        guard path.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(fd)
            throw ChannelRefusal("channel: the socket path \(socketPath) is too long for a unix socket")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.enumerated() { raw[index] = byte }
        }
        let previousMask = umask(0o077)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        umask(previousMask)
        guard bound == 0, Glibc.listen(fd, 64) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw ChannelRefusal("channel: cannot listen on \(socketPath): \(reason)")
        }
        listener = fd
        start()
    }

    /// The sandbox's first process is `pid` (bwrap's `--info-fd` child pid): its pid namespace
    /// is the one requests must come from.
    public func sandboxStarted(pid: Int32) {
        let namespace = ChannelAdmission.pidNamespace(of: pid)
        pthread_mutex_lock(&lock)
        sandboxNamespace = namespace
        pthread_mutex_unlock(&lock)
    }

    var identity: ChannelIdentity {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        return ChannelIdentity(uid: uid, pidNamespace: sandboxNamespace, run: run)
    }

    var isStopped: Bool {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        return stopped
    }

    private func start() {
        let box = Unmanaged.passRetained(self).toOpaque()
        var created = pthread_t()
        let result = pthread_create(&created, nil, { argument in
            let server = Unmanaged<ChannelServer>.fromOpaque(argument!).takeRetainedValue()
            server.serve()
            return nil
        }, box)
        if result == 0 { thread = created } else { Unmanaged<ChannelServer>.fromOpaque(box).release() }
    }

    /// Stops accepting, waits for the loop to end, removes the socket file.
    public func stop() {
        pthread_mutex_lock(&lock)
        stopped = true
        pthread_mutex_unlock(&lock)
        // Wakes the accept(2) the loop is blocked in.
        shutdown(listener, Int32(SHUT_RDWR))
        if let thread { pthread_join(thread, nil) }
        close(listener)
        unlink(socketPath)
    }

    func serve() {
        while !isStopped {
            let connection = accept(listener, nil, nil)
            if connection < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                return
            }
            _ = fcntl(connection, F_SETFD, FD_CLOEXEC)
            let response = answer(connection)
            _ = response.line.utf8CString.withUnsafeBufferPointer { buffer in
                send(connection, buffer.baseAddress, buffer.count - 1, Int32(MSG_NOSIGNAL))
            }
            close(connection)
        }
    }

    func answer(_ connection: Int32) -> ChannelResponse {
        // The line is read before the peer is judged (but parsed only after): a peer that is
        // refused still gets its answer, rather than a reset for the bytes left unread.
        let received = Self.receiveLine(connection)
        guard let peer = Self.peer(of: connection) else { return .refused("the peer's credentials cannot be read") }
        let identity = identity
        if let refusal = ChannelAdmission.refusal(peer: peer, identity: identity) { return .refused(refusal.description) }
        let bytes: [UInt8]
        switch received {
        case .success(let line): bytes = line
        case .failure(let refusal): return .refused(refusal.description)
        }
        switch ChannelRequest.parse(bytes) {
        case .failure(let refusal): return .refused(refusal.description)
        case .success(let request): return host.handle(request, run: identity.run)
        }
    }

    /// SO_PEERCRED's `struct ucred` (pid, uid, gid), declared here as glibc hides it behind
    /// _GNU_SOURCE.
    struct Credentials {
        var pid: Int32 = 0
        var uid: UInt32 = 0
        var gid: UInt32 = 0
    }

    static func peer(of connection: Int32) -> ChannelPeer? {
        var credentials = Credentials()
        var length = socklen_t(MemoryLayout<Credentials>.size)
        guard getsockopt(connection, SOL_SOCKET, 17 /* SO_PEERCRED */, &credentials, &length) == 0, credentials.pid > 0 else { return nil }
        return ChannelPeer(pid: credentials.pid, uid: credentials.uid, pidNamespace: ChannelAdmission.pidNamespace(of: credentials.pid))
    }

    /// One line of at most `maximumRequestBytes`, within the receive timeout.
    static func receiveLine(_ connection: Int32) -> Result<[UInt8], ChannelRefusal> {
        var timeout = timeval(tv_sec: receiveTimeoutMillis / 1000, tv_usec: (receiveTimeoutMillis % 1000) * 1000)
        setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
            if count < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK {
                    return .failure(ChannelRefusal("request: not complete within \(receiveTimeoutMillis) ms"))
                }
                return .failure(ChannelRefusal("request: cannot be read: \(String(cString: strerror(errno)))"))
            }
            if count == 0 { break }
            bytes += buffer[0..<count]
            if bytes.count > ChannelProtocol.maximumRequestBytes {
                return .failure(ChannelRefusal("request: longer than \(ChannelProtocol.maximumRequestBytes) bytes"))
            }
            if buffer[0..<count].contains(UInt8(ascii: "\n")) { break }
        }
        guard bytes.contains(UInt8(ascii: "\n")) else { return .failure(ChannelRefusal("request: ended before its newline")) }
        return .success(bytes)
    }
}
