import NIOCore
import NIOSOCKS
import WardenNetwork

/// SOCKS5 on one client connection, behind NIOSOCKS' `SOCKSServerHandshakeHandler` (which
/// parses the greeting and the request and refuses SOCKS4/4a by its version byte): only
/// `CONNECT` without authentication; a refused host gets reply 0x02 (not allowed by ruleset).
/// A tunnel to port 443 gets the same TLS SNI check as an HTTP CONNECT.
final class SOCKSProxyHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ClientMessage
    typealias OutboundIn = ServerMessage
    typealias OutboundOut = ServerMessage

    private let runtime: ProxyRuntime
    private let configuration: ProxyConfiguration
    private let refusal: String?
    private let tracker: ConnectionTracker
    private var holdingReads = false
    private var pendingRead = false
    private var finished = false
    private var headTimer: Scheduled<Void>?

    static func install(on channel: any Channel, runtime: ProxyRuntime, configuration: ProxyConfiguration, client: String, refusal: String?) throws {
        let sync = channel.pipeline.syncOperations
        try sync.addHandler(SOCKSServerHandshakeHandler())
        try sync.addHandler(SOCKSProxyHandler(runtime: runtime, configuration: configuration, client: client, refusal: refusal))
    }

    private init(runtime: ProxyRuntime, configuration: ProxyConfiguration, client: String, refusal: String?) {
        self.runtime = runtime
        self.configuration = configuration
        self.refusal = refusal
        tracker = runtime.makeTracker(proto: .socks5, client: client, policyHash: configuration.policyHash)
    }

    private static let unspecified = SOCKSAddress.address(try! SocketAddress(ipAddress: "0.0.0.0", port: 0))

    func handlerAdded(context: ChannelHandlerContext) {
        let timeout = configuration.headerTimeout
        headTimer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in
            guard !finished else { return }
            tracker.refuse(key: "warden.sandbox.network.headerTimeoutSeconds", reason: "Warden closed the connection: no SOCKS5 request within \(timeout.nanoseconds / 1_000_000_000) s (warden.sandbox.network.headerTimeoutSeconds)")
            end(context: context)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        headTimer?.cancel()
        if pendingRead {
            pendingRead = false
            context.read()
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !finished else { return }
        switch unwrapInboundIn(data) {
        case .greeting(let greeting):
            guard greeting.methods.contains(.noneRequired) else {
                tracker.refuse(key: "proxy.request", reason: "Warden refused the SOCKS5 greeting: it offers no method Warden accepts (only 'no authentication' is)")
                context.writeAndFlush(wrapOutboundOut(.selectedAuthenticationMethod(.init(method: .noneAcceptable))), promise: nil)
                end(context: context)
                return
            }
            context.writeAndFlush(wrapOutboundOut(.selectedAuthenticationMethod(.init(method: .noneRequired))), promise: nil)
        case .authenticationData:
            tracker.refuse(key: "proxy.request", reason: "Warden refused the SOCKS5 client: unexpected authentication data")
            end(context: context)
        case .request(let request):
            headTimer?.cancel()
            handle(request, context: context)
        }
    }

    private func handle(_ request: SOCKSRequest, context: ChannelHandlerContext) {
        let target: Target
        switch request.addressType {
        case .domain(let name, let port):
            tracker.record.asked = name
            do {
                target = Target(host: try canonicalHost(name), port: port, asked: name)
            } catch {
                reply(.notAllowed, key: "proxy.request", reason: "Warden refused the SOCKS5 target: \(error)", context: context)
                return
            }
        case .address(let address):
            guard let ip = IPAddress(socketAddress: address), let port = address.port,
                  let host = try? canonicalHost(ip.description) else {
                reply(.addressUnsupported, key: "proxy.request", reason: "Warden refused the SOCKS5 target: not an IPv4 or IPv6 address", context: context)
                return
            }
            target = Target(host: host, port: port, asked: ip.description)
        }
        tracker.target(target)
        if let refusal {
            reply(.serverFailure, key: "proxy.limits", reason: refusal, context: context)
            return
        }
        guard request.command == .connect else {
            let name = request.command == .bind ? "BIND" : request.command == .udpAssociate ? "UDP ASSOCIATE" : "command \(request.command.value)"
            reply(.commandUnsupported, key: "proxy.request", reason: "Warden refused the SOCKS5 \(name) request: only CONNECT is supported", context: context)
            return
        }
        holdingReads = true
        let connector = Connector(configuration: configuration, resolver: runtime.resolver)
        connector.connect(target, on: context.eventLoop).assumeIsolated().whenComplete { [self] result in
            guard !finished, context.channel.isActive else {
                if case .success(.connected(let channel, _, _)) = result { channel.close(promise: nil) }
                tracker.record.reason = "the client closed the connection before the upstream answered"
                tracker.finish()
                return
            }
            switch result {
            case .success(.connected(let upstream, let address, let verdict)):
                tracker.verdict(verdict)
                tracker.record.address = address
                openTunnel(to: upstream, target: target, context: context)
            case .success(.refused(let verdict, let address)):
                tracker.verdict(verdict)
                tracker.record.address = address
                reply(.notAllowed, key: verdict.key, reason: verdict.reason, context: context, verdictGiven: true)
            case .success(.failed(let why, let verdict, let address)):
                tracker.verdict(verdict)
                tracker.record.address = address
                tracker.record.reason = "allowed, but the connection failed: \(why)"
                reply(.hostUnreachable, key: verdict.key, reason: tracker.record.reason, context: context, verdictGiven: true)
            case .failure(let error):
                reply(.serverFailure, key: "proxy.request", reason: "\(error)", context: context)
            }
        }
    }

    private func openTunnel(to upstream: any Channel, target: Target, context: ChannelHandlerContext) {
        finished = true
        let bound = upstream.localAddress.map { SOCKSAddress.address($0) } ?? Self.unspecified
        context.writeAndFlush(wrapOutboundOut(.response(SOCKSResponse(reply: .succeeded, boundAddress: bound))), promise: nil)
        let rules = PrefaceRules(
            checkSNI: configuration.socksSNIPorts.contains(target.port), requireSNI: configuration.requireSNI, allowNonTLS: configuration.allowNonTLSConnect,
            timeout: configuration.headerTimeout, policy: configuration.policy, port: target.port)
        do {
            try Tunnel.begin(client: context.channel, upstream: upstream, rules: rules, idleTimeout: configuration.idleTimeout, tracker: tracker)
            let sync = context.pipeline.syncOperations
            let handshake = try sync.handler(type: SOCKSServerHandshakeHandler.self)
            sync.removeHandler(context: context, promise: nil)
            // Bytes the client sent after its request come out of the handshake handler.
            sync.removeHandler(handshake, promise: nil)
        } catch {
            upstream.close(promise: nil)
            context.close(promise: nil)
        }
    }

    private func reply(_ code: SOCKSServerReply, key: String, reason: String, context: ChannelHandlerContext, verdictGiven: Bool = false) {
        if !verdictGiven { tracker.refuse(key: key, reason: reason) }
        context.writeAndFlush(wrapOutboundOut(.response(SOCKSResponse(reply: code, boundAddress: Self.unspecified))), promise: nil)
        end(context: context)
    }

    /// Closes once what was written is flushed, and writes the record.
    private func end(context: ChannelHandlerContext) {
        finished = true
        headTimer?.cancel()
        // An empty write from the handshake handler's own context (below its state machine)
        // completes once every earlier write is on the wire.
        let sync = context.pipeline.syncOperations
        if let handshake = try? sync.handler(type: SOCKSServerHandshakeHandler.self),
           let handshakeContext = try? sync.context(handler: handshake) {
            handshakeContext.writeAndFlush(NIOAny(ByteBuffer())).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        } else {
            context.close(promise: nil)
        }
        tracker.finish()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard !finished else { return }
        // SOCKS4/4a (first byte 4), a bad reserved byte or address type: NIOSOCKS throws.
        let why: String
        if let version = error as? SOCKSError.InvalidProtocolVersion {
            why = version.actual == 4 ? "SOCKS4 and SOCKS4a are not supported, only SOCKS5" : "not a SOCKS5 client (version byte \(version.actual))"
        } else {
            why = "the SOCKS5 handshake is malformed (\(error))"
        }
        tracker.refuse(key: "proxy.request", reason: "Warden refused the connection: \(why)")
        finished = true
        headTimer?.cancel()
        tracker.finish()
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !finished {
            finished = true
            headTimer?.cancel()
            if tracker.record.reason.isEmpty { tracker.record.reason = "the client closed the connection during the SOCKS5 handshake" }
            if !holdingReads { tracker.finish() }
        }
        context.fireChannelInactive()
    }

    func read(context: ChannelHandlerContext) {
        if holdingReads {
            pendingRead = true
        } else {
            context.read()
        }
    }
}
