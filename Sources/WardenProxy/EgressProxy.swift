import Foundation
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
    private let ownedPool: NIOThreadPool?

    private init(
        runtime: ProxyRuntime, servers: [any Channel], http: [ListenAddress], socks: [ListenAddress],
        ownedGroup: MultiThreadedEventLoopGroup?, ownedPool: NIOThreadPool?
    ) {
        self.runtime = runtime
        self.servers = servers
        self.httpAddresses = http
        self.socksAddresses = socks
        self.ownedGroup = ownedGroup
        self.ownedPool = ownedPool
    }

    /// Binds every address and starts serving. `resolver` defaults to the system resolver on a
    /// thread pool of the proxy's own; `group` to an event loop group of the proxy's own (one
    /// loop per core). A unix socket path that exists as a socket is replaced.
    public static func start(
        configuration: ProxyConfiguration, http: [ListenAddress], socks: [ListenAddress],
        log: (any ConnectionLog)?, resolver: (any HostResolver)? = nil, group: (any EventLoopGroup)? = nil
    ) async throws -> EgressProxy {
        let ownedGroup = group == nil ? MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount) : nil
        let eventLoops: any EventLoopGroup = group ?? ownedGroup!
        var ownedPool: NIOThreadPool?
        let chosenResolver: any HostResolver
        if let resolver {
            chosenResolver = resolver
        } else {
            let pool = NIOThreadPool(numberOfThreads: 4)
            pool.start()
            ownedPool = pool
            chosenResolver = SystemResolver(pool: pool)
        }
        let runtime = ProxyRuntime(configuration: configuration, resolver: chosenResolver, log: log.map { ConnectionLogQueue(sink: $0) })
        var servers: [any Channel] = []
        var bound: [[ListenAddress]] = [[], []]
        do {
            for (index, (addresses, kind)) in [(http, ProxyRuntime.Kind.http), (socks, .socks)].enumerated() {
                for address in addresses {
                    let channel = try await runtime.listen(on: address, kind: kind, group: eventLoops)
                    servers.append(channel)
                    bound[index].append(Self.boundAddress(of: channel, asked: address))
                }
            }
        } catch {
            for server in servers { try? await server.close() }
            try? await ownedGroup?.shutdownGracefully()
            try? await ownedPool?.shutdownGracefully()
            runtime.closeLog()
            throw error
        }
        return EgressProxy(runtime: runtime, servers: servers, http: bound[0], socks: bound[1], ownedGroup: ownedGroup, ownedPool: ownedPool)
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
        try? await ownedPool?.shutdownGracefully()
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
    /// shutdown can wait for it.
    func makeTracker(proto: ConnectionRecord.Proto, client: String) -> ConnectionTracker {
        unfinished.withLockedValue { $0 += 1 }
        return ConnectionTracker(proto: proto, client: client) { [self] record in
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

    func listen(on address: ListenAddress, kind: Kind, group: any EventLoopGroup) async throws -> any Channel {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try self.initialize(channel, kind: kind, listener: address)
                }
            }
        do {
            switch address {
            case .tcp(let host, let port):
                return try await bootstrap.bind(host: host, port: port).get()
            case .unix(let path):
                var info = stat()
                if stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFSOCK { unlink(path) }
                return try await bootstrap.bind(unixDomainSocketPath: path).get()
            }
        } catch {
            throw ProxyConfigurationError("cannot listen on \(address): \(Connector.describe(error))")
        }
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
