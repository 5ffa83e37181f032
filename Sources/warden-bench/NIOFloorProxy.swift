import ArgumentParser
import Foundation
import NIOCore
import NIOPosix

/// `warden-bench nio-floor`: the least an HTTP CONNECT and SOCKS5 proxy on SwiftNIO does, as a
/// reference row beside Warden's proxies in `Scripts/bench-proxy.sh`. It reads the handshake by
/// hand (one read, no validation), connects on the client's event loop, answers, and glues the two
/// channels; it listens the way Warden does (one SO_REUSEPORT socket per event loop, connections
/// served on the loop that accepted them). No policy, no decision log, no SNI check, no limits:
/// it is not a proxy to use, it measures what SwiftNIO itself costs a handshake, so that Warden's
/// figures can be read as "NIO's floor plus Warden's work".
struct NIOFloorProxy: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nio-floor",
        abstract: "A bare SwiftNIO CONNECT and SOCKS5 relay on 127.0.0.1 (no policy, no log): the floor for the proxy benchmark.")

    @Option(help: "The HTTP CONNECT port on 127.0.0.1.")
    var http: Int

    @Option(help: "The SOCKS5 port on 127.0.0.1.")
    var socks: Int

    @Option(help: "Event loops (default: one per core, as Warden's proxies).")
    var threads: Int = System.coreCount

    func validate() throws {
        guard (1...65535).contains(http), (1...65535).contains(socks) else { throw ValidationError("--http and --socks take a port, 1-65535") }
        guard threads > 0 else { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        for (port, kind) in [(http, FloorHandshake.Kind.http), (socks, .socks)] {
            for loop in group.makeIterator() {
                _ = try ServerBootstrap(group: loop, childGroup: loop)
                    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                    .serverChannelOption(ChannelOptions.Types.SocketOption(level: .socket, name: .init(rawValue: SO_REUSEPORT)), value: 1)
                    .serverChannelOption(.backlog, value: 1024)
                    .childChannelOption(.allowRemoteHalfClosure, value: true)
                    .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
                    .childChannelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(FloorHandshake(kind: kind))
                        }
                    }
                    .bind(host: "127.0.0.1", port: port).wait()
            }
        }
        FileHandle.standardError.write(Data("warden-bench nio-floor: listening on http 127.0.0.1:\(http), socks5 127.0.0.1:\(socks)\n".utf8))
        while true { sleep(3600) }
    }
}

/// The client's handshake, read in one go: `CONNECT 127.0.0.1:PORT …` or a SOCKS5 greeting and
/// an IPv4 request. Anything else closes the connection.
final class FloorHandshake: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    enum Kind { case http, socks }

    private let kind: Kind
    private var greeted = false

    init(kind: Kind) { self.kind = kind }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = Array(unwrapInboundIn(data).readableBytesView)
        let target: SocketAddress?
        switch kind {
        case .socks where !greeted:
            greeted = true
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: [5, 0])), promise: nil)
            return
        case .socks:
            target = bytes.count >= 10 && bytes[3] == 1
                ? try? SocketAddress(ipAddress: bytes[4..<8].map(String.init).joined(separator: "."), port: Int(bytes[8]) << 8 | Int(bytes[9]))
                : nil
        case .http:
            let line = String(decoding: bytes.prefix { $0 != 13 }, as: UTF8.self).split(separator: " ")
            let authority = line.count > 1 ? line[1].split(separator: ":") : []
            target = authority.count == 2 ? Int(authority[1]).flatMap { try? SocketAddress(ipAddress: String(authority[0]), port: $0) } : nil
        }
        guard let target else {
            context.close(promise: nil)
            return
        }
        let kind = self.kind
        ClientBootstrap(group: context.eventLoop)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connect(to: target)
            .assumeIsolated()
            .whenComplete { result in
                guard case .success(let upstream) = result else {
                    context.close(promise: nil)
                    return
                }
                let (clientSide, upstreamSide) = FloorGlue.pair()
                do {
                    try context.pipeline.syncOperations.addHandler(clientSide)
                    try upstream.pipeline.syncOperations.addHandler(upstreamSide)
                } catch {
                    upstream.close(promise: nil)
                    context.close(promise: nil)
                    return
                }
                let reply = kind == .socks
                    ? ByteBuffer(bytes: [5, 0, 0, 1, 127, 0, 0, 1, 0, 0])
                    : ByteBuffer(string: "HTTP/1.1 200 Connection established\r\n\r\n")
                context.writeAndFlush(self.wrapOutboundOut(reply), promise: nil)
                context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            }
    }
}

/// One side of the relay: what one channel reads, the other writes; end of input is passed on.
final class FloorGlue: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var partner: FloorGlue?
    private var context: ChannelHandlerContext?

    static func pair() -> (FloorGlue, FloorGlue) {
        let first = FloorGlue(), second = FloorGlue()
        first.partner = second
        second.partner = first
        return (first, second)
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil; partner = nil }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) { partner?.context?.write(data, promise: nil) }
    func channelReadComplete(context: ChannelHandlerContext) { partner?.context?.flush() }
    func channelInactive(context: ChannelHandlerContext) { partner?.context?.close(promise: nil) }
    func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            partner?.context?.close(mode: .output, promise: nil)
        }
    }
}
