import NIOCore
import WardenNetwork

/// Runs WardenNetwork's `RequestHeadScanner` over the raw bytes of every request head before
/// NIOHTTP1 parses them (llhttp accepts bare LF and obs-fold, which a proxy must refuse: the
/// origin may read such a head differently). It must know where a head starts: after a head it
/// lets a Content-Length body through by count, and a chunked body (or a tunnel) until the
/// HTTP handler says the next head is due.
final class HeadScanHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    enum Mode {
        case head
        case body(remaining: Int)
        /// Everything passes: a chunked body until `expectHead()`, or a tunnel.
        case passthrough
    }

    private var scanner: RequestHeadScanner
    private var mode = Mode.head
    /// Heads the scanner has passed as complete; the HTTP handler compares it with the heads
    /// NIOHTTP1 decoded, so a head that slipped by unscanned is refused, not forwarded.
    private(set) var headsScanned = 0
    /// Called with the problem when a head is refused; nothing more is passed on after it.
    var onProblem: ((HeadProblem) -> Void)?
    private var failed = false

    init(maxHeadBytes: Int) {
        scanner = RequestHeadScanner(maxHeadBytes: maxHeadBytes)
    }

    /// Set by the HTTP handler from inside the head's `channelRead` (synchronously, while this
    /// handler is still forwarding the head): what follows the head.
    func setBody(_ mode: Mode) { self.mode = mode }

    /// The next bytes start a request head.
    func expectHead() {
        scanner.reset()
        scannedBeforeThisBuffer = 0
        mode = .head
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        while buffer.readableBytes > 0, !failed {
            switch mode {
            case .passthrough:
                context.fireChannelRead(wrapInboundOut(buffer))
                return
            case .body(let remaining):
                let count = min(remaining, buffer.readableBytes)
                let slice = buffer.readSlice(length: count)!
                mode = remaining - count == 0 ? .head : .body(remaining: remaining - count)
                if remaining - count == 0 {
                    scanner.reset()
                    scannedBeforeThisBuffer = 0
                }
                context.fireChannelRead(wrapInboundOut(slice))
            case .head:
                switch scanner.feed(buffer.readableBytesView) {
                case .needMore:
                    scannedBeforeThisBuffer += buffer.readableBytes
                    context.fireChannelRead(wrapInboundOut(buffer))
                    return
                case .invalid(let problem):
                    failed = true
                    onProblem?(problem)
                    return
                case .complete(let headLength):
                    // headLength counts from the head's first byte; this buffer may hold only
                    // its tail: forward up to the head's end.
                    let inThisBuffer = headLength - (scannedBeforeThisBuffer)
                    let slice = buffer.readSlice(length: inThisBuffer)!
                    headsScanned += 1
                    scannedBeforeThisBuffer = 0
                    // The HTTP handler sets the mode for the body while the head passes.
                    mode = .passthrough
                    context.fireChannelRead(wrapInboundOut(slice))
                }
            }
        }
    }

    /// Bytes of the current head fed in earlier reads.
    private var scannedBeforeThisBuffer = 0
}
