import FoundationEssentials
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import WardenNetwork

/// The HTTP and SOCKS5 egress proxies: every connection judged by the egress policy, connected
/// to the address that was checked, relayed with backpressure, and recorded.
///
/// ```swift
/// let proxy = try await EgressProxy.start(configuration: configuration,
///     http: [.tcp(host: "127.0.0.1", port: 0)], socks: [.unix(path: "/run/x/socks")], log: log)
/// proxy.reload(newConfiguration)      // new connections see it, open tunnels stay
/// await proxy.shutdown(drainDeadline: .seconds(10))
/// ```
public final class EgressProxy: Sendable {
    /// The addresses actually bound (port 0 replaced by the port chosen), HTTP then SOCKS.
    public let httpAddresses: [ListenAddress]
    public let socksAddresses: [ListenAddress]

    private let runtime: ProxyRuntime
    private let servers: [any Channel]
    private let ownedGroup: MultiThreadedEventLoopGroup?
    private let ownedResolver: SystemResolver?

    private init(
        runtime: ProxyRuntime, servers: [any Channel], http: [ListenAddress], socks: [ListenAddress],
        ownedGroup: MultiThreadedEventLoopGroup?, ownedResolver: SystemResolver?
    ) {
        self.runtime = runtime
        self.servers = servers
        self.httpAddresses = http
        self.socksAddresses = socks
        self.ownedGroup = ownedGroup
        self.ownedResolver = ownedResolver
    }

    /// Binds every address and starts serving. `resolver` defaults to the system resolver on a
    /// thread pool of the proxy's own, started when the first name is resolved; `group` to an
    /// event loop group of the proxy's own (one loop per core). A unix socket path that exists as
    /// a socket is replaced.
    public static func start(
        configuration: ProxyConfiguration, http: [ListenAddress], socks: [ListenAddress],
        log: (any ConnectionLog)?, resolver: (any HostResolver)? = nil, group: (any EventLoopGroup)? = nil
    ) async throws -> EgressProxy {
        let ownedGroup = group == nil ? MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount) : nil
        let eventLoops: any EventLoopGroup = group ?? ownedGroup!
        let ownedResolver = resolver == nil ? SystemResolver(onDemandThreads: 4) : nil
        let chosenResolver: any HostResolver = resolver ?? ownedResolver!
        let runtime = ProxyRuntime(configuration: configuration, resolver: chosenResolver, log: log.map { ConnectionLogQueue(sink: $0) })
        var servers: [any Channel] = []
        var bound: [[ListenAddress]] = [[], []]
        do {
            for (index, (addresses, kind)) in [(http, ProxyRuntime.Kind.http), (socks, .socks)].enumerated() {
                for address in addresses {
                    let channels = try await runtime.listen(on: address, kind: kind, group: eventLoops)
                    servers.append(contentsOf: channels)
                    bound[index].append(Self.boundAddress(of: channels[0], asked: address))
                }
            }
        } catch {
            for server in servers { try? await server.close() }
            try? await ownedGroup?.shutdownGracefully()
            await ownedResolver?.shutdown()
            runtime.closeLog()
            throw error
        }
        return EgressProxy(runtime: runtime, servers: servers, http: bound[0], socks: bound[1], ownedGroup: ownedGroup, ownedResolver: ownedResolver)
    }

    private static func boundAddress(of channel: any Channel, asked: ListenAddress) -> ListenAddress {
        guard case .tcp(let host, _) = asked, let port = channel.localAddress?.port else { return asked }
        return .tcp(host: host, port: port)
    }

    /// New connections see `configuration`; connections already open keep the one they started with.
    public func reload(_ configuration: ProxyConfiguration) {
        runtime.configuration.withLockedValue { $0 = configuration }
    }

    /// Connections open now (tunnels and HTTP connections).
    public var openConnections: Int { runtime.openConnections }

    /// Stops accepting, lets open connections finish up to `drainDeadline`, then closes the
    /// rest and writes the last records.
    public func shutdown(drainDeadline: TimeAmount) async {
        for server in servers { try? await server.close() }
        let deadline = NIODeadline.now() + drainDeadline
        while runtime.openConnections > 0, NIODeadline.now() < deadline {
            try? await Task.sleep(nanoseconds: 20_000_000)
        }
        await runtime.closeAll()
        // Closing a client closes its upstream a few loop turns later, and a tunnel's record is
        // made when both are closed: wait for those records (briefly) before the log closes.
        let recordsDeadline = NIODeadline.now() + .seconds(1)
        while runtime.unfinishedRecords > 0, NIODeadline.now() < recordsDeadline {
            try? await Task.sleep(nanoseconds: 5_000_000)
        }
        runtime.closeLog()
        try? await ownedGroup?.shutdownGracefully()
        await ownedResolver?.shutdown()
    }
}

/// What every connection shares: the current configuration, the resolver, the log, the
/// connection counts per client.
final class ProxyRuntime: Sendable {
    enum Kind { case http, socks }

    let configuration: NIOLockedValueBox<ProxyConfiguration>
    let resolver: any HostResolver
    private let logQueue: ConnectionLogQueue?
    private struct Connections {
        var total = 0
        var perClient: [String: Int] = [:]
        var channels: [ObjectIdentifier: any Channel] = [:]
    }
    private let connections = NIOLockedValueBox(Connections())

    init(configuration: ProxyConfiguration, resolver: any HostResolver, log: ConnectionLogQueue?) {
        self.configuration = NIOLockedValueBox(configuration)
        self.resolver = resolver
        self.logQueue = log
    }

    var openConnections: Int { connections.withLockedValue { $0.total } }

    func emit(_ record: ConnectionRecord) { logQueue?.enqueue(record) }

    /// Records begun (a tracker made) and not yet handed to the log.
    private let unfinished = NIOLockedValueBox(0)
    var unfinishedRecords: Int { unfinished.withLockedValue { $0 } }

    /// A tracker whose record goes to the log when it finishes; counted until then, so that
    /// shutdown can wait for it. `policyHash`: of the configuration that judges the connection.
    func makeTracker(proto: ConnectionRecord.Proto, client: String, policyHash: String?) -> ConnectionTracker {
        unfinished.withLockedValue { $0 += 1 }
        return ConnectionTracker(proto: proto, client: client, policyHash: policyHash) { [self] record in
            emit(record)
            unfinished.withLockedValue { $0 -= 1 }
        }
    }

    func closeLog() { logQueue?.close() }

    func closeAll() async {
        let open = connections.withLockedValue { Array($0.channels.values) }
        for channel in open { try? await channel.close() }
    }

    /// Counts a new connection; nil when a cap is reached (the reason then, one line).
    func admit(_ channel: any Channel, client: String, limits: ProxyConfiguration) -> String? {
        connections.withLockedValue { state in
            if state.total >= limits.maxConnections {
                return "Warden refused the connection: \(state.total) connections are open, the most warden.sandbox.network.maxConnections allows"
            }
            if state.perClient[client, default: 0] >= limits.maxConnectionsPerClient {
                return "Warden refused the connection: \(client) has \(limits.maxConnectionsPerClient) connections open, the most warden.sandbox.network.maxConnectionsPerClient allows"
            }
            state.total += 1
            state.perClient[client, default: 0] += 1
            state.channels[ObjectIdentifier(channel)] = channel
            return nil
        }
    }

    func release(_ channel: any Channel, client: String) {
        connections.withLockedValue { state in
            state.total -= 1
            let left = state.perClient[client, default: 1] - 1
            state.perClient[client] = left > 0 ? left : nil
            state.channels[ObjectIdentifier(channel)] = nil
        }
    }

    /// Listens on `address`. A TCP address gets one listening socket per event loop
    /// (`SO_REUSEPORT`, the kernel spreading connections over them), each serving its
    /// connections on its own loop: a connection then never crosses from an accepting thread to
    /// another loop, which cost a thread wake-up on every handshake (measured: issue 12). A unix
    /// socket has one listener, whose connections stay on its loop.
    func listen(on address: ListenAddress, kind: Kind, group: any EventLoopGroup) async throws -> [any Channel] {
        func bootstrap(_ group: any EventLoopGroup, childGroup: any EventLoopGroup) -> ServerBootstrap {
            ServerBootstrap(group: group, childGroup: childGroup)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.allowRemoteHalfClosure, value: true)
                .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
                .childChannelInitializer { [self] channel in
                    channel.eventLoop.makeCompletedFuture {
                        try self.initialize(channel, kind: kind, listener: address)
                    }
                }
        }
        var bound: [any Channel] = []
        do {
            switch address {
            case .tcp(let host, let port):
                var loops: [any EventLoop] = []
                for loop in group.makeIterator() { loops.append(loop) }
                guard loops.count > 1 else {
                    let fd = try Self.boundSocket(try SocketAddress.makeAddressResolvingHost(host, port: port), reusePort: false)
                    return [try await Self.listening(fd, bootstrap(group, childGroup: group))]
                }
                // The first socket picks the port (port 0: any free one); the others join it.
                // SO_REUSEPORT groups only sockets of the same user, so no other user's process
                // can join the group and take connections; a port something already listens
                // on is refused first, so two proxies never end up sharing one by accident.
                if port != 0 { try Self.refuseIfTaken(host: host, port: port) }
                var chosenPort = port
                for loop in loops {
                    let fd = try Self.boundSocket(try SocketAddress.makeAddressResolvingHost(host, port: chosenPort), reusePort: true)
                    let channel = try await Self.listening(fd, bootstrap(loop, childGroup: loop))
                    bound.append(channel)
                    chosenPort = channel.localAddress?.port ?? chosenPort
                }
                return bound
            case .unix(let path):
                var info = stat()
                if stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFSOCK { unlink(path) }
                // No SO_REUSEPORT for unix sockets: one loop accepts and serves them all (the
                // next listener gets the next loop), without a hand-over per connection. A
                // sandboxed session opens few tunnels at a time.
                let loop = group.next()
                let fd = try Self.boundSocket(try SocketAddress(unixDomainSocketPath: path), reusePort: false)
                return [try await Self.listening(fd, bootstrap(loop, childGroup: loop))]
            }
        } catch {
            for channel in bound { try? await channel.close() }
            throw ProxyConfigurationError("cannot listen on \(address): \(Connector.describe(error))")
        }
    }

    /// Connections waiting to be accepted, per listening socket.
    static let backlog: Int32 = 1024

    /// The channel serving `fd`, listening with `backlog`: NIO listens with its default (128) when
    /// it takes a bound socket, and a second listen(2) sets the queue's length.
    static func listening(_ fd: NIOBSDSocket.Handle, _ bootstrap: ServerBootstrap) async throws -> any Channel {
        let channel = try await bootstrap.withBoundSocket(fd).get()
        _ = Glibc.listen(fd, backlog)
        return channel
    }

    /// A socket bound to `address`, made here rather than by NIO's `bind` for one reason: NIO
    /// opens sockets without close-on-exec, so any program started while the proxy listens (by
    /// Foundation's Process, say, which passes such descriptors on) would hold the listening
    /// socket, and its port, for as long as it lived. NIO owns it once it serves it.
    static func boundSocket(_ address: SocketAddress, reusePort: Bool) throws -> NIOBSDSocket.Handle {
        let socketType = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
        let fd = socket(address.protocol.rawValue, socketType, 0)
        guard fd >= 0 else { throw IOError(errnoCode: errno, reason: "socket") }
        var one: Int32 = 1
        if case .unixDomainSocket = address {} else {
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            if reusePort { setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, socklen_t(MemoryLayout<Int32>.size)) }
        }
        let status = address.withSockAddr { bind(fd, $0, socklen_t($1)) }
        guard status == 0 else {
            let code = errno
            close(fd)
            throw IOError(errnoCode: code, reason: "bind")
        }
        return fd
    }

    /// Throws when a socket of any process is bound to `host:port` already (a plain bind fails).
    private static func refuseIfTaken(host: String, port: Int) throws {
        close(try boundSocket(try SocketAddress.makeAddressResolvingHost(host, port: port), reusePort: false))
    }

    private func initialize(_ channel: any Channel, kind: Kind, listener: ListenAddress) throws {
        let client: String
        switch (channel.remoteAddress, listener) {
        case (_, .unix(let path)): client = "unix:\(path)"
        case (let remote?, _): client = remote.ipAddress ?? "\(remote)"
        default: client = "unknown"
        }
        let limits = configuration.withLockedValue { $0 }
        let refusal = admit(channel, client: client, limits: limits)
        if refusal == nil {
            channel.closeFuture.whenComplete { [self] _ in release(channel, client: client) }
        }
        let sync = channel.pipeline.syncOperations
        switch kind {
        case .http:
            let scan = HeadScanHandler(maxHeadBytes: limits.maxHeaderBytes)
            try sync.addHandler(scan)
            try sync.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes)))
            try sync.addHandler(HTTPResponseEncoder())
            try sync.addHandler(HTTPProxyHandler(runtime: self, configuration: limits, client: client, scan: scan, refusal: refusal))
        case .socks:
            try SOCKSProxyHandler.install(on: channel, runtime: self, configuration: limits, client: client, refusal: refusal)
        }
    }
}
