import NIOCore
import NIOExtras
import NIOHTTP1
import NIOPosix
import WardenNetwork

/// Where a client asked to go, canonicalised.
struct Target: Sendable {
    var host: Host
    var port: Int
    /// The host as the client wrote it.
    var asked: String

    /// The host as written on the wire to an upstream proxy or in a Host header.
    var hostText: String {
        switch host {
        case .name(let name): name
        case .address(let address): address.isIPv4 ? address.description : "[\(address)]"
        }
    }
}

/// The result of judging and connecting a target.
enum ConnectOutcome: Sendable {
    /// Connected: the channel is on the client's event loop, not reading yet (a `HoldHandler`
    /// keeps whatever the upstream sends first until the relay is in place).
    case connected(any Channel, address: String, verdict: EgressVerdict)
    /// The policy refused the name or every address it resolved to.
    case refused(EgressVerdict, address: String?)
    /// Allowed, but the connection failed (no such name, refused, timeout, upstream proxy
    /// said no): one line, never carrying a credential.
    case failed(String, verdict: EgressVerdict, address: String?)
}

/// Judges a target and connects to it: resolving once, judging each address, connecting to the
/// checked `SocketAddress`; or through the upstream proxy with `CONNECT`.
struct Connector {
    let configuration: ProxyConfiguration
    let resolver: any HostResolver

    func connect(_ target: Target, on eventLoop: any EventLoop) -> EventLoopFuture<ConnectOutcome> {
        let policy = configuration.policy
        let verdict = policy.judge(host: target.host, port: target.port)
        guard verdict.allowed else { return eventLoop.makeSucceededFuture(.refused(verdict, address: nil)) }

        if let upstream = configuration.upstream, !configuration.noProxy.bypasses(target.hostText) {
            // The upstream proxy resolves names; a literal address is still judged here.
            if case .address(let literal) = target.host {
                let addressVerdict = policy.judge(host: target.host, port: target.port, resolved: literal)
                guard addressVerdict.allowed else {
                    return eventLoop.makeSucceededFuture(.refused(addressVerdict, address: literal.description))
                }
            }
            return connectThrough(upstream, to: target, verdict: verdict, on: eventLoop)
        }

        let addresses: EventLoopFuture<[IPAddress]>
        switch target.host {
        case .address(let literal): addresses = eventLoop.makeSucceededFuture([literal])
        case .name(let name): addresses = resolver.resolve(name, on: eventLoop)
        }
        let timeout = configuration.connectTimeout
        return addresses.flatMap { resolved -> EventLoopFuture<ConnectOutcome> in
            var allowed: [(IPAddress, EgressVerdict)] = []
            var firstRefusal: (EgressVerdict, IPAddress)?
            for address in resolved {
                let addressVerdict = policy.judge(host: target.host, port: target.port, resolved: address)
                if addressVerdict.allowed {
                    allowed.append((address, addressVerdict))
                } else if firstRefusal == nil {
                    firstRefusal = (addressVerdict, address)
                }
            }
            if allowed.isEmpty, let (refusal, address) = firstRefusal {
                return eventLoop.makeSucceededFuture(.refused(refusal, address: address.description))
            }
            return Connector.connectInOrder(allowed[...], port: target.port, timeout: timeout, on: eventLoop, lastError: nil)
        }.flatMapErrorThrowing { error in
            .failed(String(describing: error), verdict: verdict, address: nil)
        }
    }

    /// Tries each allowed address in turn (getaddrinfo's order).
    private static func connectInOrder(
        _ candidates: ArraySlice<(IPAddress, EgressVerdict)>, port: Int, timeout: TimeAmount,
        on eventLoop: any EventLoop, lastError: String?
    ) -> EventLoopFuture<ConnectOutcome> {
        guard let (address, verdict) = candidates.first else {
            return eventLoop.makeSucceededFuture(.failed(lastError ?? "no address to connect to", verdict: EgressVerdict.noAddress, address: nil))
        }
        let socketAddress: SocketAddress
        do {
            socketAddress = try address.socketAddress(port: port)
        } catch {
            return eventLoop.makeSucceededFuture(.failed("\(address) is not a socket address", verdict: verdict, address: address.description))
        }
        return bootstrap(on: eventLoop, timeout: timeout).connect(to: socketAddress).map { channel -> ConnectOutcome in
            .connected(channel, address: address.description, verdict: verdict)
        }.flatMapError { error in
            let why = "could not connect to \(address) port \(port): \(Connector.describe(error))"
            if candidates.count > 1 {
                return connectInOrder(candidates.dropFirst(), port: port, timeout: timeout, on: eventLoop, lastError: why)
            }
            return eventLoop.makeSucceededFuture(.failed(why, verdict: verdict, address: address.description))
        }
    }

    static func bootstrap(on eventLoop: any EventLoop, timeout: TimeAmount) -> ClientBootstrap {
        ClientBootstrap(group: eventLoop)
            .connectTimeout(timeout)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(HoldHandler())
                }
            }
    }

    /// A tunnel through the upstream proxy: connect to it (its own name resolved without
    /// judging, it is configuration), `CONNECT host:port` with Basic auth, then the raw channel.
    private func connectThrough(
        _ upstream: UpstreamProxy, to target: Target, verdict: EgressVerdict, on eventLoop: any EventLoop
    ) -> EventLoopFuture<ConnectOutcome> {
        let timeout = configuration.connectTimeout
        let proxyAddress: EventLoopFuture<SocketAddress>
        let port = upstream.authority.port
        switch upstream.authority.host {
        case .address(let literal):
            proxyAddress = eventLoop.makeCompletedFuture { try literal.socketAddress(port: port) }
        case .name(let name):
            proxyAddress = resolver.resolve(name, on: eventLoop).flatMapThrowing { addresses in
                try addresses[0].socketAddress(port: port)
            }
        }
        let proxyText = upstream.authority.description
        let described = "the upstream proxy \(proxyText)"
        return proxyAddress.flatMap { address in
            Connector.bootstrap(on: eventLoop, timeout: timeout).connect(to: address)
        }.flatMap { channel -> EventLoopFuture<ConnectOutcome> in
            let established = eventLoop.makePromise(of: Void.self)
            var headers = HTTPHeaders()
            headers.add(name: "Host", value: "\(target.hostText):\(target.port)")
            if let authorization = upstream.proxyAuthorization {
                headers.add(name: "Proxy-Authorization", value: authorization)
            }
            let connectHandler = NIOHTTP1ProxyConnectHandler(
                targetHost: target.hostText, targetPort: target.port, headers: headers,
                deadline: .now() + timeout, promise: established)
            let encoder = HTTPRequestEncoder()
            let decoder = ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .forwardBytes))
            do {
                let sync = channel.pipeline.syncOperations
                let hold = try sync.handler(type: HoldHandler.self)
                try sync.addHandler(encoder, position: .before(hold))
                try sync.addHandler(decoder, position: .before(hold))
                try sync.addHandler(connectHandler, position: .before(hold))
            } catch {
                channel.close(promise: nil)
                return eventLoop.makeSucceededFuture(.failed("\(described): \(error)", verdict: verdict, address: proxyText))
            }
            return established.futureResult.assumeIsolated().flatMap { () -> EventLoopFuture<ConnectOutcome> in
                let sync = channel.pipeline.syncOperations
                // The decoder's removal waits for the end of its decode loop (the 200 is being
                // decoded now): the channel is handed on only once all three are gone. Bytes the
                // upstream sent right after its 200 reach the HoldHandler.
                var removals = [sync.removeHandler(encoder), sync.removeHandler(decoder)]
                // NIOHTTP1ProxyConnectHandler leaves by itself once the tunnel is up.
                if (try? sync.context(handler: connectHandler)) != nil { removals.append(sync.removeHandler(connectHandler)) }
                return EventLoopFuture.andAllSucceed(removals, on: eventLoop).map {
                    .connected(channel, address: proxyText, verdict: verdict)
                }
            }.nonisolated().flatMapError { error in
                channel.close(promise: nil)
                return eventLoop.makeSucceededFuture(
                    .failed("\(described) refused the tunnel to \(target.hostText):\(target.port): \(Connector.describe(error))",
                            verdict: verdict, address: proxyText))
            }
        }.flatMapError { error in
            eventLoop.makeSucceededFuture(.failed("could not reach \(described): \(Connector.describe(error))", verdict: verdict, address: proxyText))
        }
    }

    /// One line for a connect error, without anything a client sent (so no credential).
    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as NIOHTTP1ProxyConnectHandler.Error:
            if error == .proxyAuthenticationRequired() { return "407 Proxy Authentication Required" }
            if error == .httpProxyHandshakeTimeout() { return "no answer in time" }
            if error == .remoteConnectionClosed() { return "it closed the connection" }
            // The only public trace of the upstream's status is the error's description.
            let text = String(describing: error)
            if let range = text.firstRange(of: "status: ") {
                let code = text[range.upperBound...].prefix { $0.isNumber || $0 == " " || $0.isLetter }
                return "it answered \(code.split(separator: " ").joined(separator: " "))"
            }
            return "it did not answer 200"
        case let error as IOError:
            return error.description
        case is ChannelError:
            if case .connectTimeout = error as? ChannelError { return "timed out" }
            return "\(error)"
        default:
            return "\(error)"
        }
    }
}

extension EgressVerdict {
    static let noAddress = EgressVerdict(allowed: true, rule: nil, key: "default", reason: "no address")
}

/// Keeps what a fresh channel reads until the relay replaces it, and stops reading after
/// 64 KiB so nothing is buffered without bound. Removing it hands the kept bytes on.
final class HoldHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer

    private var kept: [ByteBuffer] = []
    private var keptBytes = 0
    private var keptEndOfInput = false
    private var keptInactive = false
    private static let limit = 64 * 1024

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        keptBytes += buffer.readableBytes
        kept.append(buffer)
    }

    private var readHeld = false

    func read(context: ChannelHandlerContext) {
        if keptBytes < HoldHandler.limit {
            context.read()
        } else {
            readHeld = true
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            keptEndOfInput = true
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        keptInactive = true
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        for buffer in kept { context.fireChannelRead(wrapInboundOut(buffer)) }
        if !kept.isEmpty { context.fireChannelReadComplete() }
        kept = []
        if keptEndOfInput { context.fireUserInboundEventTriggered(ChannelEvent.inputClosed) }
        if keptInactive { context.fireChannelInactive() }
        if readHeld { context.read() }
    }
}
