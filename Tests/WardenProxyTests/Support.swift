import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing
import WardenNetwork
@testable import WardenProxy

// Real sockets on loopback: the proxy in-process on port 0 (or a unix socket), small servers
// of the tests' own, and blocking-socket clients that write exactly the bytes a case needs.

let testGroup = MultiThreadedEventLoopGroup(numberOfThreads: 2)

func scratchDirectory() -> String {
    let base = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
    let path = base + "/warden-proxy-tests-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Names the tests make up, resolved without DNS: an injected resolver stands in for
/// getaddrinfo (the rebinding case needs a wildcard name that resolves to loopback, which no
/// name on this machine does without editing /etc/hosts).
struct StaticResolver: HostResolver {
    var table: [String: [IPAddress]]
    func resolve(_ name: String, on eventLoop: any EventLoop) -> EventLoopFuture<[IPAddress]> {
        guard let addresses = table[name] else {
            return eventLoop.makeFailedFuture(ResolveError(description: "\(name) does not resolve (test resolver)"))
        }
        return eventLoop.makeSucceededFuture(addresses)
    }
}

let loopback4 = IPAddress.parse("127.0.0.1")!
let loopback6 = IPAddress.parse("::1")!

func egressPolicy(allow: [String], deny: [String] = []) -> EgressPolicy {
    EgressPolicy(
        allowed: allow.map { (entry: try! NetworkEntry(parsing: $0), key: "sandbox.network.allowedDomains") },
        denied: deny.map { (entry: try! NetworkEntry(parsing: $0), key: "sandbox.network.deniedDomains") })
}

/// A proxy for one test, with its log.
struct RunningProxy {
    let proxy: EgressProxy
    let log: MemoryConnectionLog

    var httpPort: Int { if case .tcp(_, let port) = proxy.httpAddresses[0] { port } else { 0 } }
    var socksPort: Int { if case .tcp(_, let port) = proxy.socksAddresses[0] { port } else { 0 } }

    static func start(
        allow: [String], deny: [String] = [], resolver: (any HostResolver)? = nil,
        http: [ListenAddress] = [.tcp(host: "127.0.0.1", port: 0)], socks: [ListenAddress] = [.tcp(host: "127.0.0.1", port: 0)],
        configure: (inout ProxyConfiguration) -> Void = { _ in }
    ) async throws -> RunningProxy {
        var configuration = ProxyConfiguration(policy: egressPolicy(allow: allow, deny: deny))
        configure(&configuration)
        let log = MemoryConnectionLog()
        let resolver = resolver ?? StaticResolver(table: [
            "allowed.test": [loopback4], "other.test": [loopback4], "evil.test": [loopback4], "a.wild.test": [loopback4],
            "v6.test": [loopback6],
        ])
        let proxy = try await EgressProxy.start(configuration: configuration, http: http, socks: socks, log: log, resolver: resolver, group: testGroup)
        return RunningProxy(proxy: proxy, log: log)
    }

    func stop() async { await proxy.shutdown(drainDeadline: .milliseconds(200)) }

    /// The records so far, waiting a little for the ones of connections just closed.
    func records(atLeast count: Int = 1) async -> [ConnectionRecord] {
        for _ in 0..<100 {
            let all = log.all
            if all.count >= count { return all }
            try? await Task.sleep(nanoseconds: 20_000_000)
        }
        return log.all
    }
}

// MARK: Servers

/// A TCP server on loopback port 0 whose connections are served by `handler` on a thread of
/// their own, with a blocking socket (simple to reason about for byte-exact cases).
final class TestServer: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private let accepted = NIOLockedValueBox<[Data]>([])
    private let connections = NIOLockedValueBox(0)
    private let closing = NIOLockedValueBox(false)
    private let acceptLoopEnded = DispatchSemaphore(value: 0)

    init(handler: @escaping @Sendable (Socket) -> Void) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        listener = fd
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        listen(fd, 128)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        port = Int(UInt16(bigEndian: address.sin_port))
        let (connections, closing, ended) = (self.connections, self.closing, self.acceptLoopEnded)
        // The accept loop owns the listening descriptor and closes it itself when it ends: were
        // `close()` to close it, its number could be reused by another test's listener (the
        // proxy's, say) before this loop's next accept, which would then take that test's
        // connections.
        Thread.detachNewThread {
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 && errno == EINTR && !closing.withLockedValue({ $0 }) { continue }
                if client < 0 || closing.withLockedValue({ $0 }) {
                    if client >= 0 { Glibc.close(client) }
                    Glibc.close(fd)
                    ended.signal()
                    return
                }
                connections.withLockedValue { $0 += 1 }
                Thread.detachNewThread { handler(Socket(fd: client)) }
            }
        }
    }

    var connectionCount: Int { connections.withLockedValue { $0 } }

    /// Stops accepting; returns once the listening socket is closed (its port free).
    func close() {
        let first = closing.withLockedValue { closing in
            defer { closing = true }
            return !closing
        }
        guard first else { return }
        // Wakes the accept loop (accept fails with EINVAL), which closes the socket.
        shutdown(listener, Int32(SHUT_RDWR))
        acceptLoopEnded.wait()
    }

    /// Answers every HTTP request with 200 and a body that is the request head it received,
    /// so tests see what the proxy forwarded. Keeps the connection until the client closes.
    static func httpEcho() -> TestServer {
        TestServer { socket in
            defer { socket.close() }
            while let head = socket.readHead() {
                var text = String(decoding: head, as: UTF8.self)
                if let length = text.headerValue("content-length").flatMap(Int.init), length > 0 {
                    text += String(decoding: socket.read(exactly: length) ?? [], as: UTF8.self)
                }
                let body = Array(text.utf8)
                socket.write("HTTP/1.1 200 OK\r\nContent-Length: \(body.count)\r\nX-Origin: test\r\n\r\n")
                socket.write(body)
                if text.lowercased().contains("connection: close") { return }
            }
        }
    }

    /// Echoes bytes back; at end of input says `bye` and shuts its output (half-close seen).
    static func echo() -> TestServer {
        TestServer { socket in
            defer { socket.close() }
            while let chunk = socket.readSome() { socket.write(chunk) }
            socket.write("bye")
            socket.shutdownOutput()
        }
    }
}

// MARK: Blocking client sockets

final class Socket: @unchecked Sendable {
    let fd: Int32
    private var pending: [UInt8] = []

    init(fd: Int32) {
        self.fd = fd
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    static func connect(port: Int, host: String = "127.0.0.1") throws -> Socket {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr(host)
        address.sin_port = UInt16(port).bigEndian
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard status == 0 else { throw TestError("connect to \(host):\(port): errno \(errno)") }
        return Socket(fd: fd)
    }

    static func connect(unixPath path: String) throws -> Socket {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
        }
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard status == 0 else { throw TestError("connect to \(path): errno \(errno)") }
        return Socket(fd: fd)
    }

    func setReceiveBuffer(_ bytes: Int32) {
        var size = bytes
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
    }

    func write(_ text: String) { write(Array(text.utf8)) }

    func write(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written < 0 && errno == EINTR { continue }
            if written <= 0 { return }
            offset += written
        }
    }

    func shutdownOutput() { shutdown(fd, Int32(SHUT_WR)) }

    func close() { Glibc.close(fd) }

    /// Some bytes, or nil at end of input (or error, or the 10 s receive timeout).
    func readSome() -> [UInt8]? {
        if !pending.isEmpty {
            defer { pending = [] }
            return pending
        }
        var buffer = [UInt8](repeating: 0, count: 65536)
        var count: Int
        // A socket with SO_RCVTIMEO is never restarted after a signal handler (signal(7)), and
        // this process gets SIGCHLD from other tests' children: EINTR is not the end of input.
        repeat {
            count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        } while count < 0 && errno == EINTR
        guard count > 0 else { return nil }
        return Array(buffer[..<count])
    }

    func read(exactly count: Int) -> [UInt8]? {
        var result: [UInt8] = []
        while result.count < count {
            guard let chunk = readSome() else { return nil }
            result += chunk
        }
        if result.count > count {
            pending = Array(result[count...]) + pending
            result = Array(result[..<count])
        }
        return result
    }

    /// Up to and including the first CRLFCRLF.
    func readHead() -> [UInt8]? {
        var result: [UInt8] = []
        while true {
            if let end = result.firstRange(of: [13, 10, 13, 10]) {
                pending = Array(result[end.upperBound...]) + pending
                return Array(result[..<end.upperBound])
            }
            guard let chunk = readSome() else { return result.isEmpty ? nil : result }
            result += chunk
        }
    }

    /// Everything until the peer closes.
    func readToEnd() -> [UInt8] {
        var result: [UInt8] = []
        while let chunk = readSome() { result += chunk }
        return result
    }

    /// One HTTP response: the head and a Content-Length body.
    func readResponse() -> (status: Int, head: String, body: String)? {
        guard let head = readHead() else { return nil }
        let text = String(decoding: head, as: UTF8.self)
        let status = text.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        let length = text.headerValue("content-length").flatMap(Int.init) ?? 0
        let body = read(exactly: length) ?? []
        return (status, text, String(decoding: body, as: UTF8.self))
    }
}

struct TestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension String {
    func headerValue(_ name: String) -> String? {
        for line in split(separator: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            if line[..<colon].lowercased() == name { return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces) }
        }
        return nil
    }
}

/// Runs a blocking body off the cooperative pool.
func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}

/// A process run to its end, with a time limit.
@discardableResult
func runProcess(_ arguments: [String], stdin: String = "", timeout: TimeInterval = 20) throws -> (status: Int32, output: String, error: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    let input = Pipe(), output = Pipe(), error = Pipe()
    process.standardInput = input
    process.standardOutput = output
    process.standardError = error
    try process.run()
    input.fileHandleForWriting.write(Data(stdin.utf8))
    try? input.fileHandleForWriting.close()
    let deadline = Date().addingTimeInterval(timeout)
    let outData = NIOLockedValueBox(Data()), errData = NIOLockedValueBox(Data())
    let readers = DispatchGroup()
    for (pipe, box) in [(output, outData), (error, errData)] {
        readers.enter()
        Thread.detachNewThread {
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            box.withLockedValue { $0 = data }
            readers.leave()
        }
    }
    while process.isRunning && Date() < deadline { usleep(20_000) }
    if process.isRunning { process.terminate() }
    process.waitUntilExit()
    readers.wait()
    return (process.terminationStatus, String(decoding: outData.withLockedValue { $0 }, as: UTF8.self), String(decoding: errData.withLockedValue { $0 }, as: UTF8.self))
}
