import NIOCore

/// One side of a byte relay between two channels on the same event loop (the glue-handler
/// pattern of swift-nio-examples' connect-proxy, plus half-close and byte counts, which that
/// example lacks). Backpressure: a side reads only while its partner's channel is writable, so
/// a fast sender into a slow receiver waits in the kernel's socket buffers, not in ours.
/// Half-close: end of input on one side shuts the other side's output; a channel closes when
/// both of its directions are done.
final class RelayHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var partner: RelayHandler?
    private var context: ChannelHandlerContext?
    private var pendingRead = false
    private var inputClosed = false
    private var outputClosed = false
    /// Bytes read from this side's channel (and handed to the partner).
    private(set) var bytesRead = 0
    private let onBytes: (Int) -> Void

    private init(onBytes: @escaping (Int) -> Void) { self.onBytes = onBytes }

    /// A matched pair; add the first to the client's channel, the second to the upstream's.
    static func pair(clientBytes: @escaping (Int) -> Void, upstreamBytes: @escaping (Int) -> Void) -> (RelayHandler, RelayHandler) {
        let client = RelayHandler(onBytes: clientBytes)
        let upstream = RelayHandler(onBytes: upstreamBytes)
        client.partner = upstream
        upstream.partner = client
        return (client, upstream)
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        self.partner = nil
    }

    // MARK: Called by the partner

    private func partnerWrite(_ data: NIOAny) { context?.write(data, promise: nil) }

    private func partnerFlush() { context?.flush() }

    private func partnerEndOfInput() {
        guard let context, !outputClosed else { return }
        outputClosed = true
        // Shutting the output fails the writes still queued (a slow reader's backlog): the end
        // of input is passed on only after they are written, as a write completes only after
        // every write before it.
        let inputClosed = self.inputClosed
        context.writeAndFlush(NIOAny(ByteBuffer())).assumeIsolated().whenComplete { _ in
            if inputClosed {
                context.close(promise: nil)
            } else {
                context.close(mode: .output, promise: nil)
            }
        }
    }

    private func partnerClosed() {
        guard let context else { return }
        // Whatever is still queued for this side is written before it closes (a write
        // completes only after every write before it).
        context.writeAndFlush(NIOAny(ByteBuffer())).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    private func partnerBecameWritable() {
        if pendingRead {
            pendingRead = false
            context?.read()
        }
    }

    private var isWritable: Bool { context?.channel.isWritable ?? false }

    // MARK: Channel events

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let count = unwrapInboundIn(data).readableBytes
        bytesRead += count
        onBytes(count)
        partner?.partnerWrite(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) { partner?.partnerFlush() }

    func channelInactive(context: ChannelHandlerContext) {
        partner?.partnerClosed()
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            inputClosed = true
            partner?.partnerEndOfInput()
            if outputClosed {
                // Both directions are done; what is still queued for this side goes out first.
                context.writeAndFlush(NIOAny(ByteBuffer())).assumeIsolated().whenComplete { _ in
                    context.close(promise: nil)
                }
            }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { partner?.partnerBecameWritable() }
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        if partner?.isWritable ?? true {
            context.read()
        } else {
            pendingRead = true
        }
    }
}
