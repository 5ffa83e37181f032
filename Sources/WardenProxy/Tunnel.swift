import FoundationEssentials
import NIOCore
import NIOTLS
import WardenNetwork

/// The record of one connection being built up on its event loop; handed to the log once, when
/// the connection is over.
final class ConnectionTracker {
    var record: ConnectionRecord
    private let started = NIODeadline.now()
    private let emit: (ConnectionRecord) -> Void
    private var emitted = false
    /// The RelayHandlers are installed.
    var relaying = false

    init(proto: ConnectionRecord.Proto, client: String, policyHash: String?, emit: @escaping (ConnectionRecord) -> Void) {
        record = ConnectionRecord(proto: proto, client: client, asked: "", decision: .deny, key: "proxy.request", reason: "", start: Date(), policyHash: policyHash)
        self.emit = emit
    }

    func target(_ target: Target) {
        record.asked = target.asked
        record.host = target.host.description
        record.port = target.port
    }

    func verdict(_ verdict: EgressVerdict) {
        record.decision = verdict.allowed ? .allow : .deny
        record.rule = verdict.rule
        record.key = verdict.key
        record.reason = verdict.reason
    }

    /// A refusal that is the proxy's own (a malformed request, a limit), not the policy's.
    func refuse(key: String, reason: String) {
        record.decision = .deny
        record.rule = nil
        record.key = key
        record.reason = reason
    }

    func finish() {
        guard !emitted else { return }
        emitted = true
        record.durationMillis = Int((NIODeadline.now() - started).nanoseconds / 1_000_000)
        emit(record)
    }
}

/// What the client's first tunnel bytes must be.
struct PrefaceRules {
    var checkSNI: Bool
    var requireSNI: Bool
    var allowNonTLS: Bool
    var timeout: TimeAmount
    var policy: EgressPolicy
    var port: Int
}

/// Turns a client channel whose protocol handshake is over (CONNECT answered, SOCKS replied)
/// into a relay to `upstream`. With `rules.checkSNI` the client's first bytes are read first:
/// a TLS ClientHello whose SNI the policy does not allow closes both channels before a byte
/// reaches the upstream. The bytes read for the check are then relayed first, unchanged.
///
/// Call it on the event loop, *before* removing the protocol handlers, so the bytes they kept
/// come out into the handlers added here.
enum Tunnel {
    static func begin(
        client: any Channel, upstream: any Channel, rules: PrefaceRules, idleTimeout: TimeAmount,
        tracker: ConnectionTracker
    ) throws {
        let clientPipeline = client.pipeline.syncOperations
        try clientPipeline.addHandler(IdleCloseHandler(timeout: idleTimeout), position: .first)
        // The record is written when both channels are closed, whoever closes first.
        let bothClosed = client.closeFuture.and(upstream.closeFuture)
        bothClosed.assumeIsolated().whenComplete { _ in tracker.finish() }
        // Until the relay is in place nothing else ties the two together; after that the
        // RelayHandlers close each side once what was queued for it is written.
        client.closeFuture.assumeIsolated().whenComplete { _ in
            if !tracker.relaying { upstream.close(promise: nil) }
        }
        upstream.closeFuture.assumeIsolated().whenComplete { _ in
            if !tracker.relaying { client.close(promise: nil) }
        }

        guard rules.checkSNI else {
            try relay(client: client, upstream: upstream, tracker: tracker)
            return
        }
        let preface = PrefaceHandler(rules: rules, tracker: tracker) { outcome in
            switch outcome {
            case .relay:
                do {
                    try relay(client: client, upstream: upstream, tracker: tracker)
                } catch {
                    client.close(promise: nil)
                }
            case .refuse:
                upstream.close(promise: nil)
                client.close(promise: nil)
            }
        }
        let sni = ByteToMessageHandler(SNIHandler { [preface] result in
            preface.sniResult = result
            return client.eventLoop.makeSucceededVoidFuture()
        })
        try clientPipeline.addHandler(FirstByteSniffer(sni: sni))
        try clientPipeline.addHandler(sni)
        try clientPipeline.addHandler(preface)
        preface.startTimer(on: client.eventLoop)
    }

    /// Glue the two channels together; the upstream's kept bytes come out of its HoldHandler.
    static func relay(client: any Channel, upstream: any Channel, tracker: ConnectionTracker) throws {
        let (clientSide, upstreamSide) = RelayHandler.pair(
            clientBytes: { tracker.record.bytesUp += $0 },
            upstreamBytes: { tracker.record.bytesDown += $0 })
        tracker.relaying = true
        try client.pipeline.syncOperations.addHandler(clientSide)
        let upstreamPipeline = upstream.pipeline.syncOperations
        try upstreamPipeline.addHandler(upstreamSide)
        let hold = try upstreamPipeline.handler(type: HoldHandler.self)
        upstreamPipeline.removeHandler(hold, promise: nil)
        if !upstream.isActive { client.close(promise: nil) }
    }
}

/// Waits for the SNIHandler's verdict on the client's first bytes, judges it, and then either
/// hands those bytes on to the relay or refuses the tunnel.
final class PrefaceHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    enum Outcome { case relay, refuse }

    /// Set by the SNIHandler's callback just before it hands its bytes on.
    var sniResult: SNIResult?
    private let rules: PrefaceRules
    private let tracker: ConnectionTracker
    private let decided: (Outcome) -> Void
    private var done = false
    private var kept: [ByteBuffer] = []
    private var timer: Scheduled<Void>?
    private weak var context: ChannelHandlerContext?

    init(rules: PrefaceRules, tracker: ConnectionTracker, decided: @escaping (Outcome) -> Void) {
        self.rules = rules
        self.tracker = tracker
        self.decided = decided
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func startTimer(on eventLoop: any EventLoop) {
        timer = eventLoop.assumeIsolated().scheduleTask(in: rules.timeout) { [self] in
            guard !done else { return }
            if kept.isEmpty, sniResult == nil, rules.allowNonTLS {
                // A protocol where the server speaks first (SMTP, FTP) sends nothing: allowed
                // through when non-TLS tunnels are.
                finish(.relay)
            } else {
                refuse("no TLS ClientHello arrived within \(rules.timeout.nanoseconds / 1_000_000_000) s")
            }
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        guard !done else {
            context.fireChannelRead(data)
            return
        }
        guard buffer.readableBytes > 0 else { return }
        kept.append(buffer)
        let isTLS = kept.first?.readableBytesView.first == 0x16
        // Not TLS: decided at once (the sniffer took the SNIHandler away); TLS: once the
        // SNIHandler has seen the whole ClientHello record.
        guard let result = isTLS ? sniResult : .fallback else { return }
        switch (isTLS, result) {
        case (true, .hostname(let name)):
            tracker.record.sni = name
            let host: WardenNetwork.Host
            do {
                host = try canonicalHost(name)
            } catch {
                refuse("the TLS server name is not a host name: \(error)")
                return
            }
            let verdict = rules.policy.judge(host: host, port: rules.port)
            if verdict.allowed {
                finish(.relay)
            } else {
                tracker.verdict(verdict)
                let asked = tracker.record.host ?? tracker.record.asked
                tracker.record.reason = "TLS server name \(host) differs from the tunnel's host \(asked) and is refused: \(verdict.reason)"
                finish(.refuse)
            }
        case (true, .fallback):
            if rules.requireSNI {
                refuse("the TLS ClientHello has no server name (SNI) or cannot be parsed, and warden.sandbox.network.requireSNI is true")
            } else {
                finish(.relay)
            }
        case (false, _):
            if rules.allowNonTLS {
                finish(.relay)
            } else {
                refuse("the tunnel does not start with a TLS ClientHello; set warden.sandbox.network.allowNonTLSConnect to allow other protocols")
            }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard !done, let event = event as? ChannelEvent, event == .inputClosed else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        // The client ended its side before a decision: decide on what came, and hand the end
        // of input on to the relay after the bytes.
        endOfInputSeen = true
        if kept.isEmpty {
            if rules.allowNonTLS { finish(.relay) } else { refuse("the client sent nothing before closing its side") }
        } else if rules.requireSNI {
            refuse("the TLS ClientHello is incomplete and warden.sandbox.network.requireSNI is true")
        } else {
            finish(.relay)
        }
    }

    private var endOfInputSeen = false

    private func refuse(_ reason: String) {
        tracker.refuse(key: "warden.sandbox.network", reason: "Warden refused the tunnel to \(tracker.record.host ?? tracker.record.asked):\(rules.port): \(reason)")
        finish(.refuse)
    }

    private func finish(_ outcome: Outcome) {
        guard !done, let context else { return }
        done = true
        timer?.cancel()
        decided(outcome)
        guard outcome == .relay else { return }
        // The relay handler now sits after this one: hand it the first bytes, then leave.
        for buffer in kept { context.fireChannelRead(wrapInboundOut(buffer)) }
        if !kept.isEmpty { context.fireChannelReadComplete() }
        kept = []
        if endOfInputSeen { context.fireUserInboundEventTriggered(ChannelEvent.inputClosed) }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        if let sni = try? context.pipeline.syncOperations.handler(type: ByteToMessageHandler<SNIHandler>.self) {
            context.pipeline.syncOperations.removeHandler(sni, promise: nil)
        }
    }
}

/// Looks at the tunnel's first byte: anything but a TLS handshake record (0x16) takes the
/// SNIHandler out of the way (it would wait for a five-byte record header that may never come)
/// and goes straight to the PrefaceHandler's verdict.
final class FirstByteSniffer: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let sni: ByteToMessageHandler<SNIHandler>

    init(sni: ByteToMessageHandler<SNIHandler>) { self.sni = sni }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        guard let first = buffer.readableBytesView.first else { return }
        let sync = context.pipeline.syncOperations
        if first != 0x16 { sync.removeHandler(sni, promise: nil) }
        context.fireChannelRead(data)
        if context.channel.isActive { sync.removeHandler(context: context, promise: nil) }
    }
}

/// Closes a tunnel when neither direction moved a byte for `timeout`.
final class IdleCloseHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let timeout: TimeAmount
    private var lastActivity = NIODeadline.now()
    private var timer: Scheduled<Void>?

    init(timeout: TimeAmount) { self.timeout = timeout }

    func handlerAdded(context: ChannelHandlerContext) { schedule(context: context, after: timeout) }

    func handlerRemoved(context: ChannelHandlerContext) { timer?.cancel() }

    private func schedule(context: ChannelHandlerContext, after delay: TimeAmount) {
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: delay) { [self] in
            let idle = NIODeadline.now() - lastActivity
            if idle >= timeout {
                context.close(promise: nil)
            } else {
                schedule(context: context, after: timeout - idle)
            }
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        lastActivity = .now()
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        lastActivity = .now()
        context.write(data, promise: promise)
    }
}
