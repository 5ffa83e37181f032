import NIOCore
import NIOHTTP1
import WardenNetwork

/// The HTTP/1.1 proxy on one client connection: `CONNECT host:port` becomes a tunnel,
/// an absolute-form request (`GET http://host/path`) is forwarded on a fresh upstream connection
/// of its own, and every request of a kept-alive connection is judged afresh. Requests are
/// handled one at a time; parts that arrive meanwhile wait in `queue` (bounded: reads stop
/// while a request is in flight, except for its body, which flows with backpressure).
final class HTTPProxyHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private enum State {
        /// Waiting for a request head.
        case idle
        /// Judging and connecting the current request.
        case connecting
        /// An absolute-form request is being forwarded to `origin`.
        case forwarding(origin: any Channel, originHandler: OriginHandler, requestDone: Bool)
        /// Answered with an error and closing, or handed over to a tunnel.
        case finished
    }

    private let runtime: ProxyRuntime
    private var configuration: ProxyConfiguration
    private let client: String
    private let scan: HeadScanHandler
    private let refusal: String?
    private var state = State.idle
    private var queue = CircularBuffer<HTTPServerRequestPart>()
    private var pendingRead = false
    private var headTimer: Scheduled<Void>?
    private var headsDecoded = 0
    private var context: ChannelHandlerContext?
    private var tracker: ConnectionTracker?
    /// The current request wants the connection kept open.
    private var keepAlive = true
    private var requestHasBody = false
    private var isConnect = false
    private var inputClosed = false

    init(runtime: ProxyRuntime, configuration: ProxyConfiguration, client: String, scan: HeadScanHandler, refusal: String?) {
        self.runtime = runtime
        self.configuration = configuration
        self.client = client
        self.scan = scan
        self.refusal = refusal
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        scan.onProblem = { [weak self] problem in
            guard let self, let context = self.context else { return }
            let tracker = self.newTracker(.http)
            tracker.refuse(key: "proxy.request", reason: "Warden refused the request: \(problem)")
            guard case .idle = self.state, self.queue.isEmpty else {
                // Mid-response: no room for an answer, only for closing.
                self.state = .finished
                tracker.finish()
                context.close(promise: nil)
                return
            }
            self.answer(status: HTTPResponseStatus(statusCode: problem.status), body: tracker.record.reason, close: true, context: context)
            tracker.finish()
        }
        if let refusal {
            let tracker = newTracker(.http)
            tracker.refuse(key: "proxy.limits", reason: refusal)
            answer(status: .serviceUnavailable, body: refusal, close: true, context: context)
            tracker.finish()
            return
        }
        armHeadTimer(context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        headTimer?.cancel()
        if pendingRead {
            pendingRead = false
            context.read()
        }
        self.context = nil
    }

    private func newTracker(_ proto: ConnectionRecord.Proto) -> ConnectionTracker {
        let tracker = runtime.makeTracker(proto: proto, client: client, policyHash: configuration.policyHash)
        self.tracker = tracker
        return tracker
    }

    private func armHeadTimer(context: ChannelHandlerContext) {
        headTimer?.cancel()
        let timeout = configuration.headerTimeout
        headTimer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in
            guard case .idle = state, let context = self.context else { return }
            let tracker = newTracker(.http)
            tracker.refuse(key: "warden.sandbox.network.headerTimeoutSeconds", reason: "Warden closed the connection: no complete request head within \(timeout.nanoseconds / 1_000_000_000) s (warden.sandbox.network.headerTimeoutSeconds)")
            answer(status: .requestTimeout, body: tracker.record.reason, close: true, context: context)
            tracker.finish()
        }
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if case .head = part { headsDecoded += 1 }
        switch state {
        case .finished:
            return
        case .forwarding(_, _, false) where queue.isEmpty:
            // With nothing queued, a next request's head waits at the front, which is the end.
            feedForwarding(part)
        case .idle where queue.isEmpty:
            // Other parts belong to a request already answered (refused, kept alive).
            if case .head(let head) = part { handleHead(head, context: context) }
        default:
            queue.append(part)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if case .forwarding(let origin, _, _) = state { origin.flush() }
        context.fireChannelReadComplete()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            inputClosed = true
            if case .idle = state { context.close(promise: nil) }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // NIOHTTP1 refuses what it cannot parse (after our scanner passed it).
        if case .idle = state, error is HTTPParserError {
            let tracker = newTracker(.http)
            tracker.refuse(key: "proxy.request", reason: "Warden refused the request: it is not valid HTTP/1.1 (\(error))")
            answer(status: .badRequest, body: tracker.record.reason, close: true, context: context)
            tracker.finish()
            return
        }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if case .forwarding(let origin, _, _) = state { origin.close(promise: nil) }
        if case .connecting = state {
            tracker?.record.reason = "the client closed the connection before the upstream answered"
        }
        tracker?.finish()
        state = .finished
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, case .forwarding(_, let originHandler, _) = state {
            originHandler.clientBecameWritable()
        }
        context.fireChannelWritabilityChanged()
    }

    // MARK: Outbound: reads are held while a request is judged or its upstream is not writable

    func read(context: ChannelHandlerContext) {
        switch state {
        case .idle where queue.isEmpty:
            context.read()
        case .forwarding(let origin, _, false) where origin.isWritable:
            context.read()
        default:
            pendingRead = true
        }
    }

    private func resumeReading(context: ChannelHandlerContext) {
        if pendingRead {
            pendingRead = false
            read(context: context)
        }
    }

    /// The origin's channel became writable again: more of the request body may be read.
    func originBecameWritable() {
        guard let context else { return }
        resumeReading(context: context)
    }

    // MARK: Requests

    private func handleHead(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        headTimer?.cancel()
        configuration = runtime.configuration.withLockedValue { $0 }
        keepAlive = head.isKeepAlive
        isConnect = head.method == .CONNECT
        let tracker = newTracker(isConnect ? .connect : .http)
        tracker.record.asked = String(head.uri.prefix(256))

        if headsDecoded > scan.headsScanned {
            refuse(.badRequest, key: "proxy.request", reason: "Warden refused the request: it was pipelined behind a chunked body, which this proxy does not accept", close: true)
            return
        }
        let fields = head.headers.map { (name: $0.name, value: $0.value) }
        if let problem = checkRequestHeaders(fields) {
            refuse(HTTPResponseStatus(statusCode: problem.status), key: "proxy.request", reason: "Warden refused the request: \(problem)", close: true)
            return
        }
        requestHasBody = head.headers.contains(name: "content-length") && head.headers.first(name: "content-length") != "0"
            || head.headers.contains(name: "transfer-encoding")
        if isConnect {
            scan.setBody(.passthrough)
            let authority: Authority
            do {
                authority = try parseAuthority(head.uri, defaultPort: nil)
            } catch {
                refuse(.badRequest, key: "proxy.request", reason: "Warden refused the CONNECT target: \(error)", close: true)
                return
            }
            let target = Target(host: authority.host, port: authority.port, asked: authority.asked)
            tracker.target(target)
            connect(target, context: context) { [self] channel in
                self.openTunnel(to: channel, target: target, context: context)
            }
            return
        }

        if let length = head.headers.first(name: "content-length"), let count = Int(length), count > 0 {
            scan.setBody(.body(remaining: count))
        } else if head.headers.contains(name: "transfer-encoding") {
            scan.setBody(.passthrough)
        } else {
            scan.expectHead()
        }
        guard !head.uri.hasPrefix("/") else {
            refuse(.badRequest, key: "proxy.request", reason: "Warden is a proxy: ask for an absolute URL (GET http://host/path) or CONNECT host:port, not \(head.method) \(head.uri.prefix(80))", close: true)
            return
        }
        let absolute: AbsoluteTarget
        do {
            absolute = try parseAbsoluteTarget(head.uri)
        } catch {
            refuse(.badRequest, key: "proxy.request", reason: "Warden refused the request target: \(error)", close: true)
            return
        }
        let target = Target(host: absolute.authority.host, port: absolute.authority.port, asked: absolute.authority.asked)
        tracker.target(target)
        let forwarded = Self.forwardedHead(head, target: target, pathAndQuery: absolute.pathAndQuery)
        connect(target, context: context) { [self] channel in
            self.forward(forwarded, to: channel, context: context)
        }
    }

    /// The request as the origin gets it: origin-form, the Host the target names (a client's
    /// disagreeing Host header loses), no hop-by-hop or Proxy-* headers, and `Connection: close`
    /// since every request has an upstream connection of its own.
    static func forwardedHead(_ head: HTTPRequestHead, target: Target, pathAndQuery: String) -> HTTPRequestHead {
        var headers = HTTPHeaders()
        let named = head.headers[canonicalForm: "connection"].map { $0.lowercased() }
        let hopByHop: Set<String> = ["connection", "keep-alive", "te", "trailer", "upgrade", "host"]
        for (name, value) in head.headers {
            let lower = name.lowercased()
            if hopByHop.contains(lower) || lower.hasPrefix("proxy-") || named.contains(where: { $0 == lower }) { continue }
            headers.add(name: name, value: value)
        }
        let host = target.port == 80 ? target.hostText : "\(target.hostText):\(target.port)"
        headers.replaceOrAdd(name: "Host", value: host)
        headers.add(name: "Connection", value: "close")
        return HTTPRequestHead(version: .http1_1, method: head.method, uri: pathAndQuery.isEmpty ? "/" : pathAndQuery, headers: headers)
    }

    private func connect(_ target: Target, context: ChannelHandlerContext, then: @escaping (any Channel) -> Void) {
        state = .connecting
        let connector = Connector(configuration: configuration, resolver: runtime.resolver)
        connector.connect(target, on: context.eventLoop).assumeIsolated().whenComplete { [self] result in
            guard case .connecting = state, self.context != nil else {
                if case .success(.connected(let channel, _, _)) = result { channel.close(promise: nil) }
                return
            }
            switch result {
            case .success(.connected(let channel, let address, let verdict)):
                tracker?.verdict(verdict)
                tracker?.record.address = address
                then(channel)
            case .success(.refused(let verdict, let address)):
                tracker?.verdict(verdict)
                tracker?.record.address = address
                refuse(.forbidden, key: verdict.key, reason: verdict.reason, close: requestHasBody || isConnect, verdictGiven: true)
            case .success(.failed(let why, let verdict, let address)):
                tracker?.verdict(verdict)
                tracker?.record.address = address
                tracker?.record.reason = "allowed, but the connection failed: \(why)"
                failUpstream("Warden could not reach \(target.hostText):\(target.port): \(why)")
            case .failure(let error):
                failUpstream("Warden could not reach \(target.hostText):\(target.port): \(error)")
            }
        }
    }

    private func openTunnel(to upstream: any Channel, target: Target, context: ChannelHandlerContext) {
        state = .finished
        headTimer?.cancel()
        guard let tracker else { return }
        do {
            let scanContext = try context.pipeline.syncOperations.context(handler: scan)
            var established = context.channel.allocator.buffer(capacity: 64)
            established.writeString("HTTP/1.1 200 Connection established\r\n\r\n")
            scanContext.writeAndFlush(NIOAny(established), promise: nil)
            let rules = PrefaceRules(
                checkSNI: true, requireSNI: configuration.requireSNI, allowNonTLS: configuration.allowNonTLSConnect,
                timeout: configuration.headerTimeout, policy: configuration.policy, port: target.port)
            try Tunnel.begin(client: context.channel, upstream: upstream, rules: rules, idleTimeout: configuration.idleTimeout, tracker: tracker)
            // The HTTP handlers leave; the bytes the decoder kept after the CONNECT head flow
            // into the tunnel handlers.
            let sync = context.pipeline.syncOperations
            let decoder = try sync.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            let encoder = try sync.handler(type: HTTPResponseEncoder.self)
            sync.removeHandler(context: context, promise: nil)
            sync.removeHandler(encoder, promise: nil)
            sync.removeHandler(decoder, promise: nil)
            sync.removeHandler(scan, promise: nil)
        } catch {
            upstream.close(promise: nil)
            context.close(promise: nil)
        }
    }

    private func forward(_ head: HTTPRequestHead, to origin: any Channel, context: ChannelHandlerContext) {
        let originHandler = OriginHandler(proxy: self, client: context.channel)
        do {
            let sync = origin.pipeline.syncOperations
            try sync.addHandler(HTTPRequestEncoder())
            try sync.addHandler(ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .dropBytes)))
            try sync.addHandler(originHandler)
            // Bytes the origin sent before the request (none, for HTTP) go to the decoder.
            let hold = try sync.handler(type: HoldHandler.self)
            sync.removeHandler(hold, promise: nil)
        } catch {
            origin.close(promise: nil)
            failUpstream("Warden could not set up the request to the origin")
            return
        }
        state = .forwarding(origin: origin, originHandler: originHandler, requestDone: false)
        origin.write(HTTPClientRequestPart.head(head), promise: nil)
        // Body parts that arrived while connecting.
        drainQueue(context: context)
        origin.flush()
        resumeReading(context: context)
    }

    /// Hands queued parts on; stops at the next head (it waits for this request to finish).
    private func drainQueue(context: ChannelHandlerContext) {
        while let part = queue.first {
            switch state {
            case .forwarding(_, _, false):
                _ = queue.removeFirst()
                feedForwarding(part)
            case .idle:
                _ = queue.removeFirst()
                if case .head(let head) = part { handleHead(head, context: context) }
                if case .idle = state { continue }
                return
            default:
                return
            }
        }
    }

    private func feedForwarding(_ part: HTTPServerRequestPart) {
        guard case .forwarding(let origin, let originHandler, false) = state else { return }
        switch part {
        case .head:
            queue.prepend(part)
        case .body(let body):
            tracker?.record.bytesUp += body.readableBytes
            origin.write(HTTPClientRequestPart.body(.byteBuffer(body)), promise: nil)
        case .end(let trailers):
            origin.writeAndFlush(HTTPClientRequestPart.end(trailers), promise: nil)
            state = .forwarding(origin: origin, originHandler: originHandler, requestDone: true)
        }
    }

    // MARK: Answers from the origin (called by OriginHandler)

    func originResponse(_ part: HTTPClientResponsePart) {
        guard let context, case .forwarding = state else { return }
        switch part {
        case .head(var head):
            let named = head.headers[canonicalForm: "connection"].map { $0.lowercased() }
            for name in ["connection", "keep-alive", "te", "trailer", "upgrade", "proxy-authenticate", "proxy-connection"] + named {
                head.headers.remove(name: name)
            }
            if !keepAlive { head.headers.add(name: "Connection", value: "close") }
            tracker?.record.reason = tracker?.record.reason ?? ""
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: head.status, headers: head.headers))), promise: nil)
        case .body(let body):
            tracker?.record.bytesDown += body.readableBytes
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        case .end(let trailers):
            context.writeAndFlush(wrapOutboundOut(.end(trailers)), promise: nil)
            finishForwarding(context: context)
        }
    }

    func originFlush() { context?.flush() }

    /// The origin closed: before the response ended, the client's connection is unusable.
    func originClosed() {
        guard let context, case .forwarding(_, _, _) = state else { return }
        state = .finished
        tracker?.finish()
        context.close(promise: nil)
    }

    private func finishForwarding(context: ChannelHandlerContext) {
        guard case .forwarding(let origin, _, let requestDone) = state else { return }
        tracker?.finish()
        tracker = nil
        if !keepAlive || !requestDone || inputClosed {
            state = .finished
            origin.close(promise: nil)
            context.close(promise: nil)
            return
        }
        // The state changes first: closing the origin tells this handler it closed.
        state = .idle
        origin.close(promise: nil)
        armHeadTimer(context: context)
        drainQueue(context: context)
        resumeReading(context: context)
    }

    // MARK: Refusals

    private func refuse(_ status: HTTPResponseStatus, key: String, reason: String, close: Bool, verdictGiven: Bool = false) {
        guard let context else { return }
        if !verdictGiven { tracker?.refuse(key: key, reason: reason) }
        let shouldClose = close || !keepAlive || inputClosed
        answer(status: status, body: reason, close: shouldClose, context: context)
        tracker?.finish()
        tracker = nil
        if !shouldClose {
            state = .idle
            armHeadTimer(context: context)
            drainQueue(context: context)
            resumeReading(context: context)
        }
    }

    private func failUpstream(_ reason: String) {
        guard let context else { return }
        answer(status: .badGateway, body: reason, close: true, context: context)
        tracker?.finish()
        tracker = nil
    }

    /// A one-line text/plain answer; with `close` the connection closes once it is written.
    private func answer(status: HTTPResponseStatus, body: String, close: Bool, context: ChannelHandlerContext) {
        if close { state = .finished }
        headTimer?.cancel()
        var buffer = context.channel.allocator.buffer(capacity: body.utf8.count + 1)
        buffer.writeString(body.replacingControlCharacters() + "\n")
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        headers.add(name: "Content-Length", value: String(buffer.readableBytes))
        headers.add(name: "Connection", value: close ? "close" : "keep-alive")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if close {
            written.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }
}

/// The origin side of a forwarded request: response parts go to the client's handler, and the
/// origin is read only while the client can take more (backpressure).
final class OriginHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = HTTPClientRequestPart

    private weak var proxy: HTTPProxyHandler?
    private let client: any Channel
    private var pendingRead = false
    private var context: ChannelHandlerContext?

    init(proxy: HTTPProxyHandler, client: any Channel) {
        self.proxy = proxy
        self.client = client
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        proxy?.originResponse(unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) { proxy?.originFlush() }

    func channelInactive(context: ChannelHandlerContext) { proxy?.originClosed() }

    func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { proxy?.originBecameWritable() }
    }

    func read(context: ChannelHandlerContext) {
        if client.isWritable {
            context.read()
        } else {
            pendingRead = true
        }
    }

    func clientBecameWritable() {
        if pendingRead, let context {
            pendingRead = false
            context.read()
        }
    }
}

extension String {
    /// Control bytes as `\xNN`, so an answer stays one line whatever a client sent.
    func replacingControlCharacters() -> String {
        var result = ""
        for scalar in unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7F {
                result += "\\x" + (scalar.value < 16 ? "0" : "") + String(scalar.value, radix: 16)
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
