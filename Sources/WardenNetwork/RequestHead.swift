// Checks of an HTTP/1.1 request head that no parser here makes: NIOHTTP1 (llhttp) is lenient
// where a proxy must not be, since a request it and the upstream server read differently is
// request smuggling. The raw bytes are scanned before NIOHTTP1 sees them; the parsed headers
// are checked after.

/// Why a request head is refused.
public enum HeadProblem: Sendable, Hashable, CustomStringConvertible {
    /// A line ends in LF without CR.
    case bareLineFeed
    /// A CR not followed by LF.
    case bareCarriageReturn
    case nulByte
    /// A control byte other than HT (or a DEL) in the head.
    case controlByte(UInt8)
    /// A header line starting with a space or a tab (obsolete line folding).
    case obsoleteLineFolding
    /// Whitespace or an empty line before the request line.
    case leadingWhitespace
    /// A header line that is not `name: value` (no colon, a space before the colon, a name with
    /// characters outside RFC 9110's token).
    case malformedHeaderLine
    case headTooLarge(limit: Int)
    case tooManyHeaderLines(limit: Int)
    case contentLengthWithTransferEncoding
    case duplicateContentLength
    case invalidContentLength
    /// A Transfer-Encoding other than exactly `chunked`, or two Transfer-Encoding headers.
    case unsupportedTransferEncoding
    case duplicateHost

    /// The HTTP status to answer with: 431 for a head too large, 400 for the rest.
    public var status: Int {
        switch self {
        case .headTooLarge, .tooManyHeaderLines: 431
        default: 400
        }
    }

    public var description: String {
        switch self {
        case .bareLineFeed: "a line of the request head ends in LF without CR"
        case .bareCarriageReturn: "the request head has a CR not followed by LF"
        case .nulByte: "the request head contains a NUL byte"
        case .controlByte(let byte): "the request head contains the control byte 0x\(byte < 16 ? "0" : "")\(String(byte, radix: 16))"
        case .obsoleteLineFolding: "a header line starts with a space or a tab (obsolete line folding)"
        case .leadingWhitespace: "the request starts with whitespace or an empty line"
        case .malformedHeaderLine: "a header line is not 'name: value' (no colon, a space before it, or a bad character in the name)"
        case .headTooLarge(let limit): "the request head is larger than \(limit) bytes"
        case .tooManyHeaderLines(let limit): "the request has more than \(limit) header lines"
        case .contentLengthWithTransferEncoding: "the request has both Content-Length and Transfer-Encoding"
        case .duplicateContentLength: "the request has more than one Content-Length header"
        case .invalidContentLength: "the request's Content-Length is not a single non-negative number"
        case .unsupportedTransferEncoding: "the request's Transfer-Encoding is not exactly 'chunked'"
        case .duplicateHost: "the request has more than one Host header"
        }
    }
}

/// Scans the raw bytes of one HTTP/1.1 request head as they arrive, however they are split, and
/// says when the head is complete or why it is refused. Feed it from the first byte of a request;
/// `reset()` before the next request on a kept-alive connection.
public struct RequestHeadScanner: Sendable {
    public enum Result: Sendable, Hashable {
        case needMore
        /// The head is complete: its length in bytes from the first byte fed, the empty line
        /// included. Bytes after it (a body, the next request) are not looked at.
        case complete(headLength: Int)
        case invalid(HeadProblem)
    }

    public static let defaultMaxHeadBytes = 32 * 1024
    public static let defaultMaxHeaderLines = 100

    public let maxHeadBytes: Int
    public let maxHeaderLines: Int

    private var consumed = 0
    private var result = Result.needMore
    /// Bytes in the current line so far, CR excluded.
    private var lineLength = 0
    private var lineIndex = 0
    private var pendingCR = false
    /// In a header line: still reading the name, and whether it has a character yet.
    private var inName = true

    public init(maxHeadBytes: Int = RequestHeadScanner.defaultMaxHeadBytes, maxHeaderLines: Int = RequestHeadScanner.defaultMaxHeaderLines) {
        self.maxHeadBytes = maxHeadBytes
        self.maxHeaderLines = maxHeaderLines
    }

    /// Forgets the previous request, for the next one on the connection.
    public mutating func reset() {
        self = RequestHeadScanner(maxHeadBytes: maxHeadBytes, maxHeaderLines: maxHeaderLines)
    }

    /// Scans more bytes; once the answer is `.complete` or `.invalid` it stays so.
    public mutating func feed(_ bytes: some Sequence<UInt8>) -> Result {
        guard case .needMore = result else { return result }
        for byte in bytes {
            if let final = step(byte) {
                result = final
                return final
            }
        }
        return result
    }

    private mutating func step(_ byte: UInt8) -> Result? {
        consumed += 1
        if consumed > maxHeadBytes { return .invalid(.headTooLarge(limit: maxHeadBytes)) }
        if pendingCR {
            guard byte == 0x0a else { return .invalid(.bareCarriageReturn) }
            pendingCR = false
            return endOfLine()
        }
        switch byte {
        case 0x0d:
            pendingCR = true
            return nil
        case 0x0a:
            return .invalid(.bareLineFeed)
        case 0x00:
            return .invalid(.nulByte)
        case 0x20, 0x09:
            if lineLength == 0 { return .invalid(lineIndex == 0 ? .leadingWhitespace : .obsoleteLineFolding) }
            if lineIndex > 0 && inName { return .invalid(.malformedHeaderLine) }
        case 0x01...0x1f, 0x7f:
            return .invalid(.controlByte(byte))
        default:
            if lineIndex > 0 && inName {
                if byte == UInt8(ascii: ":") {
                    guard lineLength > 0 else { return .invalid(.malformedHeaderLine) }
                    inName = false
                } else if !isTokenByte(byte) {
                    return .invalid(.malformedHeaderLine)
                }
            }
        }
        lineLength += 1
        return nil
    }

    private mutating func endOfLine() -> Result? {
        defer {
            lineLength = 0
            inName = true
        }
        if lineLength == 0 {
            return lineIndex == 0 ? .invalid(.leadingWhitespace) : .complete(headLength: consumed)
        }
        if lineIndex > 0 && inName { return .invalid(.malformedHeaderLine) }
        lineIndex += 1
        if lineIndex - 1 > maxHeaderLines { return .invalid(.tooManyHeaderLines(limit: maxHeaderLines)) }
        return nil
    }
}

/// RFC 9110's tchar.
private func isTokenByte(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
        true
    default:
        Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
    }
}

/// Checks parsed request headers (names in any case) for the shapes two HTTP parsers can read
/// differently: Content-Length with Transfer-Encoding, Content-Length twice (even equal) or not a
/// plain number, Transfer-Encoding other than exactly `chunked`, Host twice. Nil when fine.
public func checkRequestHeaders(_ headers: [(name: String, value: String)]) -> HeadProblem? {
    var contentLengths = 0
    var transferEncodings = 0
    var hosts = 0
    for header in headers {
        switch asciiLowercased(header.name) {
        case "content-length":
            contentLengths += 1
            let value = trimmingOptionalWhitespace(header.value)
            guard !value.isEmpty, value.utf8.count <= 18, value.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
                return .invalidContentLength
            }
        case "transfer-encoding":
            transferEncodings += 1
            guard asciiLowercased(trimmingOptionalWhitespace(header.value)) == "chunked" else { return .unsupportedTransferEncoding }
        case "host":
            hosts += 1
        default:
            continue
        }
    }
    if contentLengths > 0 && transferEncodings > 0 { return .contentLengthWithTransferEncoding }
    if contentLengths > 1 { return .duplicateContentLength }
    if transferEncodings > 1 { return .unsupportedTransferEncoding }
    if hosts > 1 { return .duplicateHost }
    return nil
}

func asciiLowercased(_ text: String) -> String {
    String(decoding: text.utf8.map { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") ? $0 + 32 : $0 }, as: UTF8.self)
}

private func trimmingOptionalWhitespace(_ text: String) -> String {
    var bytes = Substring(text).utf8[...]
    while let first = bytes.first, first == 0x20 || first == 0x09 { bytes = bytes.dropFirst() }
    while let last = bytes.last, last == 0x20 || last == 0x09 { bytes = bytes.dropLast() }
    return String(decoding: bytes, as: UTF8.self)
}
