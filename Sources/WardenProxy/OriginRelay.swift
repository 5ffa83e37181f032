import FoundationEssentials
import NIOCore
import NIOPosix

/// Relays every connection accepted on a unix socket to one fixed TCP address. This is how
/// `warden run` keeps a Messages API or gateway on the host's loopback working
/// (`ANTHROPIC_BASE_URL=http://127.0.0.1:PORT`): inside the sandbox 127.0.0.1 is the sandbox's
/// own, so the sandbox's init listens on 127.0.0.1:PORT there and hands each connection to this
/// relay's socket. The address is fixed when the relay starts, from the policy's origin, so nothing
/// the agent sends can choose another; each connection is one record in the decision log.
public final class OriginRelay: Sendable {
    private let server: any Channel
    private let ownedGroup: MultiThreadedEventLoopGroup?
    private let queue: ConnectionLogQueue?

    private init(server: any Channel, ownedGroup: MultiThreadedEventLoopGroup?, queue: ConnectionLogQueue?) {
        self.server = server
        self.ownedGroup = ownedGroup
        self.queue = queue
    }

    /// Listens on the unix socket `path` (replacing a stale socket there) and relays to `target`.
    public static func start(
        listen path: String, target: SocketAddress, log: (any ConnectionLog)?, group: (any EventLoopGroup)? = nil
    ) async throws -> OriginRelay {
        let ownedGroup = group == nil ? MultiThreadedEventLoopGroup(numberOfThreads: 1) : nil
        let queue = log.map { ConnectionLogQueue(sink: $0) }
        let asked = target.ipAddress.map { target.protocol == .inet6 ? "[\($0)]:\(target.port ?? 0)" : "\($0):\(target.port ?? 0)" } ?? "\(target)"
        let bootstrap = ServerBootstrap(group: group ?? ownedGroup!)
            .serverChannelOption(.backlog, value: 256)
            // Nothing is read from the client before its upstream is connected and glued.
            .childChannelOption(.autoRead, value: false)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { client in
                relay(client, to: target, asked: asked, log: queue)
                return client.eventLoop.makeSucceededVoidFuture()
            }
        var info = stat()
        if stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFSOCK { unlink(path) }
        do {
            let server = try await bootstrap.bind(unixDomainSocketPath: path).get()
            return OriginRelay(server: server, ownedGroup: ownedGroup, queue: queue)
        } catch {
            try? await ownedGroup?.shutdownGracefully()
            queue?.close()
            throw ProxyConfigurationError("cannot listen on \(path): \(Connector.describe(error))")
        }
    }

    private static func relay(_ client: any Channel, to target: SocketAddress, asked: String, log: ConnectionLogQueue?) {
        let tracker = ConnectionTracker(proto: .origin, client: "unix:origin", policyHash: nil, emit: { log?.enqueue($0) })
        tracker.record.asked = asked
        tracker.record.host = target.ipAddress
        tracker.record.port = target.port
        tracker.record.address = target.ipAddress
        tracker.record.key = "ANTHROPIC_BASE_URL"
        // Called on the client's event loop (its channel initialiser), where the connect completes too.
        Connector.bootstrap(on: client.eventLoop, timeout: .seconds(10)).connect(to: target).assumeIsolated().whenComplete { result in
            switch result {
            case .success(let upstream):
                tracker.record.decision = .allow
                tracker.record.reason = "the origin of ANTHROPIC_BASE_URL, relayed into the sandbox"
                do {
                    try Tunnel.relay(client: client, upstream: upstream, tracker: tracker)
                    client.closeFuture.and(upstream.closeFuture).assumeIsolated().whenComplete { _ in tracker.finish() }
                    client.setOption(.autoRead, value: true).whenFailure { _ in client.close(promise: nil) }
                } catch {
                    tracker.refuse(key: "proxy.relay", reason: "cannot relay: \(error)")
                    tracker.finish()
                    client.close(promise: nil)
                    upstream.close(promise: nil)
                }
            case .failure(let error):
                tracker.refuse(key: "ANTHROPIC_BASE_URL", reason: "cannot reach \(asked): \(Connector.describe(error))")
                tracker.finish()
                client.close(promise: nil)
            }
        }
    }

    /// Stops accepting; relays under way end with their connections. Queued records are written.
    public func shutdown() async {
        try? await server.close()
        try? await ownedGroup?.shutdownGracefully()
        queue?.close()
    }
}
