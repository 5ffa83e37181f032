// The forwarders: 127.0.0.1:PORT inside the sandbox relayed to a unix socket bound in from the
// host, where Warden's proxy listens. Hand-written (a poll loop over plain sockets): init is
// Foundation-free and starts before anything else, and socat is what this replaces.
#if canImport(Glibc)
import Glibc
#endif
public import WardenSandbox
import WardenSystem

public enum ForwarderRelay {
    /// A listening socket and the unix socket its connections go to.
    public struct Listener: Sendable {
        public var fd: Int32
        public var port: Int
        public var socketPath: String
    }

    /// Binds and listens on 127.0.0.1:port for every forwarder, before anything else runs, so that
    /// the agent's first connection finds the port ready (connections wait in the backlog until
    /// the relay accepts them). The sockets are close-on-exec: the agent does not inherit them.
    public static func listen(_ forwarders: [SandboxInnerSpec.Forwarder]) -> Result<[Listener], ForwarderFailure> {
        var listeners: [Listener] = []
        for forwarder in forwarders {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { return .failure(ForwarderFailure("forwarder: cannot create a socket for port \(forwarder.port): \(SystemCallError(errno))")) }
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(forwarder.port).bigEndian)
            address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0 else {
                let error = SystemCallError(errno)
                close(fd)
                return .failure(ForwarderFailure("forwarder: cannot listen on 127.0.0.1:\(forwarder.port): \(error)"))
            }
            guard Glibc.listen(fd, 128) == 0 else { return .failure(ForwarderFailure("forwarder: listen on 127.0.0.1:\(forwarder.port): \(SystemCallError(errno))")) }
            listeners.append(Listener(fd: fd, port: forwarder.port, socketPath: forwarder.socketPath))
        }
        return .success(listeners)
    }

    public struct ForwarderFailure: Error, Sendable, CustomStringConvertible {
        public var message: String
        init(_ message: String) { self.message = message }
        public var description: String { message }
    }

    /// Forks the relay process for `listeners` and returns its pid. The relay runs outside the
    /// agent's Landlock domain and seccomp filter (both come after the fork): it must create
    /// AF_UNIX sockets to connect, which the agent may not. That is safe because it only ever
    /// connects to the fixed socket paths of the spec, reads no input that chooses a destination,
    /// and runs no other code; the agent cannot ptrace it (seccomp, and Landlock's domain
    /// boundary) nor, with Landlock ABI ≥ 6, signal it. It dies with its parent (PR_SET_PDEATHSIG)
    /// and with the sandbox's pid namespace.
    public static func start(_ listeners: [Listener]) -> Result<Int32, ForwarderFailure> {
        let parent = getpid()
        let child = fork()
        if child < 0 { return .failure(ForwarderFailure("forwarder: cannot fork the relay: \(SystemCallError(errno))")) }
        if child > 0 {
            for listener in listeners { close(listener.fd) }
            return .success(child)
        }
        // The relay. Parent death: init's pid becomes the agent's after exec, and the relay must
        // not outlive it; checking getppid closes the race with a parent that already died.
        _ = SystemCall.prctl(1 /* PR_SET_PDEATHSIG */, CLong(SIGKILL))
        if getppid() != parent { _exit(0) }
        // Holding the terminal or a pipe open would keep a reader of the agent's output waiting.
        let null = open("/dev/null", O_RDWR)
        if null >= 0 {
            for fd: Int32 in 0...2 { dup2(null, fd) }
            if null > 2 { close(null) }
        }
        signal(SIGPIPE, SIG_IGN)
        var relay = Relay(listeners: listeners)
        relay.run()
    }

    /// One accepted connection: two sockets and a bounded buffer per direction.
    struct Connection {
        var tcp: Int32
        var unix: Int32
        var toUnix = Pipe()
        var toTCP = Pipe()
    }

    /// One direction of a connection: bytes read from one side waiting to be written to the other.
    struct Pipe {
        static let capacity = 64 * 1024
        var buffer = [UInt8](repeating: 0, count: Pipe.capacity)
        var start = 0
        var end = 0
        var sourceClosed = false
        var shutDown = false
        var pending: Int { end - start }
        var wantsRead: Bool { !sourceClosed && end < Pipe.capacity }
        var done: Bool { shutDown }

        /// Reads what is available; false when the connection must be dropped (an error).
        mutating func fill(from fd: Int32) -> Bool {
            let count = buffer.withUnsafeMutableBufferPointer { recv(fd, $0.baseAddress! + end, Pipe.capacity - end, 0) }
            if count > 0 { end += count; return true }
            if count == 0 { sourceClosed = true; return true }
            return errno == EAGAIN || errno == EINTR
        }

        /// Writes what is pending, then relays the half-close once everything is out.
        mutating func drain(to fd: Int32) -> Bool {
            if pending > 0 {
                let count = buffer.withUnsafeBufferPointer { send(fd, $0.baseAddress! + start, pending, Int32(MSG_NOSIGNAL)) }
                if count > 0 { start += count } else if count < 0 && errno != EAGAIN && errno != EINTR { return false }
                if start == end { start = 0; end = 0 }
            }
            if sourceClosed && pending == 0 && !shutDown {
                shutdown(fd, Int32(SHUT_WR))
                shutDown = true
            }
            return true
        }
    }

    struct Relay {
        let listeners: [Listener]
        var connections: [Connection] = []

        mutating func run() -> Never {
            while true {
                var polled: [pollfd] = listeners.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
                for connection in connections {
                    var tcpEvents: Int32 = 0
                    var unixEvents: Int32 = 0
                    if connection.toUnix.wantsRead { tcpEvents |= Int32(POLLIN) }
                    if connection.toTCP.pending > 0 { tcpEvents |= Int32(POLLOUT) }
                    if connection.toTCP.wantsRead { unixEvents |= Int32(POLLIN) }
                    if connection.toUnix.pending > 0 { unixEvents |= Int32(POLLOUT) }
                    polled.append(pollfd(fd: connection.tcp, events: Int16(tcpEvents), revents: 0))
                    polled.append(pollfd(fd: connection.unix, events: Int16(unixEvents), revents: 0))
                }
                if poll(&polled, nfds_t(polled.count), -1) < 0 {
                    if errno == EINTR { continue }
                    _exit(1)
                }
                // Connections first (their pollfds follow the listeners'), newly accepted ones after.
                var kept: [Connection] = []
                for (index, var connection) in connections.enumerated() {
                    let tcpReady = polled[listeners.count + 2 * index].revents
                    let unixReady = polled[listeners.count + 2 * index + 1].revents
                    let readable = Int16(POLLIN | POLLHUP | POLLERR)
                    // An error on either socket ends the connection (a reset peer, or a full
                    // hang-up whose pending bytes can no longer be delivered).
                    var alive = (tcpReady | unixReady) & Int16(POLLERR) == 0
                    if tcpReady & readable != 0 && connection.toUnix.wantsRead { alive = alive && connection.toUnix.fill(from: connection.tcp) }
                    if unixReady & readable != 0 && connection.toTCP.wantsRead { alive = alive && connection.toTCP.fill(from: connection.unix) }
                    alive = alive && connection.toUnix.drain(to: connection.unix) && connection.toTCP.drain(to: connection.tcp)
                    if alive && !(connection.toUnix.done && connection.toTCP.done) {
                        kept.append(connection)
                    } else {
                        close(connection.tcp)
                        close(connection.unix)
                    }
                }
                connections = kept
                for (index, listener) in listeners.enumerated() where polled[index].revents & Int16(POLLIN) != 0 {
                    accept(listener)
                }
            }
        }

        /// Accepts one connection and connects it to the listener's unix socket; a connection the
        /// socket refuses is closed (the client sees the end of its stream).
        mutating func accept(_ listener: Listener) {
            // accept4 is not in Glibc's Swift module (it is a GNU extension).
            let tcp = Glibc.accept(listener.fd, nil, nil)
            guard tcp >= 0 else { return }
            _ = fcntl(tcp, F_SETFD, FD_CLOEXEC)
            _ = fcntl(tcp, F_SETFL, fcntl(tcp, F_GETFL) | O_NONBLOCK)
            let unix = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard unix >= 0 else { close(tcp); return }
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            let path = Array(listener.socketPath.utf8)
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                for (index, byte) in path.prefix(raw.count - 1).enumerated() { raw[index] = byte }
            }
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(unix, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            guard connected == 0 else { close(tcp); close(unix); return }
            _ = fcntl(unix, F_SETFL, fcntl(unix, F_GETFL) | O_NONBLOCK)
            var one: Int32 = 1
            setsockopt(tcp, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            connections.append(Connection(tcp: tcp, unix: unix))
        }
    }
}
