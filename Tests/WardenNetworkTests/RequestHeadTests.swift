import Testing
import WardenNetwork

/// Feeds `head` whole, then in two pieces at every split point, then a byte at a time: every way
/// must give the same answer.
private func scan(_ head: String, maxHeadBytes: Int = RequestHeadScanner.defaultMaxHeadBytes, maxHeaderLines: Int = 100) -> RequestHeadScanner.Result {
    let bytes = Array(head.utf8)
    var whole = RequestHeadScanner(maxHeadBytes: maxHeadBytes, maxHeaderLines: maxHeaderLines)
    let answer = whole.feed(bytes)
    for split in 0...bytes.count {
        var scanner = RequestHeadScanner(maxHeadBytes: maxHeadBytes, maxHeaderLines: maxHeaderLines)
        var result = scanner.feed(bytes[..<split])
        if case .needMore = result { result = scanner.feed(bytes[split...]) }
        #expect(result == answer, "split at \(split)")
    }
    var byteByByte = RequestHeadScanner(maxHeadBytes: maxHeadBytes, maxHeaderLines: maxHeaderLines)
    var last = RequestHeadScanner.Result.needMore
    for byte in bytes { last = byteByByte.feed([byte]) }
    #expect(last == answer, "byte by byte")
    return answer
}

@Suite struct RequestHeadScannerTests {
    @Test func completeHeads() {
        let get = "GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n"
        #expect(scan(get) == .complete(headLength: get.utf8.count))
        // Bytes after the head (a body, a pipelined request) are not part of it.
        let post = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n"
        #expect(scan(post + "hello\nGET") == .complete(headLength: post.utf8.count))
        let connect = "CONNECT example.com:443 HTTP/1.1\r\n\r\n"
        #expect(scan(connect) == .complete(headLength: connect.utf8.count))
        #expect(scan("GET / HTTP/1.1\r\nX-Empty:\r\nX-Tab:\tv\r\nX-Bytes: caf\u{e9}\r\n\r\n") != .needMore)
        #expect(scan("GET / HTTP/1.1\r\nHost: a\r\n") == .needMore)
        #expect(scan("GET / HTTP/1.1\r\nHost: a\r\n\r") == .needMore)
        #expect(scan("") == .needMore)
    }

    @Test(arguments: [
        ("GET / HTTP/1.1\nHost: a\r\n\r\n", HeadProblem.bareLineFeed),
        ("GET / HTTP/1.1\r\nHost: a\n\r\n", .bareLineFeed),
        ("GET / HTTP/1.1\r\nHost: a\r\n\n", .bareLineFeed),
        ("GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n", .bareCarriageReturn),
        ("GET / HTTP/1.1\r\nHost: a\r\r\n\r\n", .bareCarriageReturn),
        ("GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n", .nulByte),
        ("GET /\0 HTTP/1.1\r\n\r\n", .nulByte),
        ("GET / HTTP/1.1\r\nX: a\u{1}b\r\n\r\n", .controlByte(1)),
        ("GET / HTTP/1.1\r\nX: a\u{7f}\r\n\r\n", .controlByte(0x7f)),
        ("GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n", .obsoleteLineFolding),
        ("GET / HTTP/1.1\r\nX: a\r\n\tb\r\n\r\n", .obsoleteLineFolding),
        ("GET / HTTP/1.1\r\n Host: a\r\n\r\n", .obsoleteLineFolding),
        (" GET / HTTP/1.1\r\n\r\n", .leadingWhitespace),
        ("\r\nGET / HTTP/1.1\r\n\r\n", .leadingWhitespace),
        ("GET / HTTP/1.1\r\nHost : a\r\n\r\n", .malformedHeaderLine),
        ("GET / HTTP/1.1\r\nHost\r\n\r\n", .malformedHeaderLine),
        ("GET / HTTP/1.1\r\n: a\r\n\r\n", .malformedHeaderLine),
        ("GET / HTTP/1.1\r\nHo(st: a\r\n\r\n", .malformedHeaderLine),
        ("GET / HTTP/1.1\r\nTransfer-Encoding\t: chunked\r\n\r\n", .malformedHeaderLine),
    ])
    func refuses(head: String, problem: HeadProblem) {
        #expect(scan(head) == .invalid(problem))
        #expect(problem.status == 400)
    }

    @Test func limits() {
        let head = "GET / HTTP/1.1\r\nHost: a\r\n\r\n"
        #expect(scan(head, maxHeadBytes: head.utf8.count) == .complete(headLength: head.utf8.count))
        #expect(scan(head, maxHeadBytes: head.utf8.count - 1) == .invalid(.headTooLarge(limit: head.utf8.count - 1)))
        let huge = "GET / HTTP/1.1\r\nX: " + String(repeating: "a", count: 40_000) + "\r\n\r\n"
        var scanner = RequestHeadScanner()
        #expect(scanner.feed(Array(huge.utf8)) == .invalid(.headTooLarge(limit: 32 * 1024)))
        #expect(HeadProblem.headTooLarge(limit: 32768).status == 431)
        let lines = (0..<3).map { "X-\($0): v\r\n" }.joined()
        #expect(scan("GET / HTTP/1.1\r\n" + lines + "\r\n", maxHeaderLines: 3) == .complete(headLength: 16 + lines.utf8.count + 2))
        #expect(scan("GET / HTTP/1.1\r\n" + lines + "X: v\r\n\r\n", maxHeaderLines: 3) == .invalid(.tooManyHeaderLines(limit: 3)))
    }

    @Test func answerStaysAndResetStartsOver() {
        var scanner = RequestHeadScanner()
        let head = Array("GET / HTTP/1.1\r\n\r\n".utf8)
        #expect(scanner.feed(head) == .complete(headLength: head.count))
        #expect(scanner.feed(Array("garbage\n".utf8)) == .complete(headLength: head.count))
        scanner.reset()
        #expect(scanner.feed(Array("GET / HTTP/1.1\n".utf8)) == .invalid(.bareLineFeed))
        #expect(scanner.feed(head) == .invalid(.bareLineFeed))
        scanner.reset()
        #expect(scanner.feed(head) == .complete(headLength: head.count))
    }
}

@Suite struct RequestHeaderCheckTests {
    @Test(arguments: [
        ([("Host", "a"), ("Content-Length", "5"), ("Transfer-Encoding", "chunked")], HeadProblem.contentLengthWithTransferEncoding as HeadProblem?),
        ([("transfer-encoding", "chunked"), ("CONTENT-LENGTH", "0")], .contentLengthWithTransferEncoding),
        ([("Content-Length", "5"), ("Content-Length", "5")], .duplicateContentLength),
        ([("Content-Length", "5"), ("content-length", "6")], .duplicateContentLength),
        ([("Content-Length", "-1")], .invalidContentLength),
        ([("Content-Length", "+5")], .invalidContentLength),
        ([("Content-Length", "5, 5")], .invalidContentLength),
        ([("Content-Length", "0x10")], .invalidContentLength),
        ([("Content-Length", "")], .invalidContentLength),
        ([("Content-Length", "1e3")], .invalidContentLength),
        ([("Content-Length", "99999999999999999999")], .invalidContentLength),
        ([("Transfer-Encoding", "gzip, chunked")], .unsupportedTransferEncoding),
        ([("Transfer-Encoding", "chunked, chunked")], .unsupportedTransferEncoding),
        ([("Transfer-Encoding", "identity")], .unsupportedTransferEncoding),
        ([("Transfer-Encoding", "xchunked")], .unsupportedTransferEncoding),
        ([("Transfer-Encoding", "chunked"), ("Transfer-Encoding", "chunked")], .unsupportedTransferEncoding),
        ([("Host", "a"), ("host", "b")], .duplicateHost),
        ([("Host", "a"), ("HOST", "a")], .duplicateHost),
        ([("Host", "a"), ("Content-Length", " 42 ")], nil),
        ([("Host", "a"), ("Transfer-Encoding", "Chunked")], nil),
        ([("Host", "a"), ("Content-Length", "0")], nil),
        ([], nil),
    ] as [([(String, String)], HeadProblem?)])
    func checks(headers: [(String, String)], problem: HeadProblem?) {
        #expect(checkRequestHeaders(headers.map { (name: $0.0, value: $0.1) }) == problem)
    }

    @Test func descriptionsAreOneLine() {
        let problems: [HeadProblem] = [
            .bareLineFeed, .bareCarriageReturn, .nulByte, .controlByte(7), .obsoleteLineFolding, .leadingWhitespace,
            .malformedHeaderLine, .headTooLarge(limit: 10), .tooManyHeaderLines(limit: 3), .contentLengthWithTransferEncoding,
            .duplicateContentLength, .invalidContentLength, .unsupportedTransferEncoding, .duplicateHost,
        ]
        for problem in problems {
            #expect(!problem.description.isEmpty && !problem.description.contains("\n"))
        }
        #expect(HeadProblem.controlByte(7).description == "the request head contains the control byte 0x07")
    }
}
