import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import Testing
import WardenNetwork
@testable import WardenProxy

/// A TLS echo server on loopback with a throwaway self-signed certificate made by openssl.
final class TLSEchoServer {
    let channel: any Channel
    var port: Int { channel.localAddress!.port! }

    init() throws {
        let directory = scratchDirectory()
        let (status, _, error) = try runProcess([
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
            "-subj", "/CN=allowed.test", "-keyout", directory + "/key.pem", "-out", directory + "/cert.pem",
        ])
        guard status == 0 else { throw TestError("openssl req: \(error)") }
        let certificate = try NIOSSLCertificate.fromPEMFile(directory + "/cert.pem")
        let key = try NIOSSLPrivateKey(file: directory + "/key.pem", format: .pem)
        let context = try NIOSSLContext(configuration: .makeServerConfiguration(
            certificateChain: certificate.map { .certificate($0) }, privateKey: .privateKey(key)))
        channel = try ServerBootstrap(group: testGroup)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                    try channel.pipeline.syncOperations.addHandler(EchoHandler())
                }
            }
            .bind(host: "127.0.0.1", port: 0).wait()
    }

    func close() { try? channel.close().wait() }

    final class EchoHandler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            context.writeAndFlush(data).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }
}

@Suite("Tunnels", .serialized)
struct TunnelTests {
    /// `openssl s_client` through the HTTP proxy (it sends `CONNECT host:port` itself).
    static func sClient(proxyPort: Int, target: String, serverName: String?) throws -> (status: Int32, output: String) {
        var arguments = ["openssl", "s_client", "-quiet", "-proxy", "127.0.0.1:\(proxyPort)", "-connect", target]
        if let serverName { arguments += ["-servername", serverName] } else { arguments.append("-noservername") }
        let result = try runProcess(arguments, stdin: "ping-through-tls\n", timeout: 15)
        return (result.status, result.output)
    }

    @Test("TLS through CONNECT: an allowed SNI passes end to end with a real TLS client and server")
    func sniAllowed() async throws {
        let server = try TLSEchoServer()
        defer { server.close() }
        let proxy = try await RunningProxy.start(allow: ["allowed.test"])
        let (port, target) = (proxy.httpPort, server.port)
        let result = try await blocking { try Self.sClient(proxyPort: port, target: "allowed.test:\(target)", serverName: "allowed.test") }
        #expect(result.output.contains("ping-through-tls"))
        await proxy.stop()
        let record = try #require(await proxy.records().first)
        #expect(record.decision == .allow && record.sni == "allowed.test")
        #expect(record.bytesUp > 100 && record.bytesDown > 100)
    }

    @Test("an SNI the policy does not allow is refused, and the record names both names")
    func sniMismatch() async throws {
        let server = try TLSEchoServer()
        defer { server.close() }
        let proxy = try await RunningProxy.start(allow: ["allowed.test"])
        let (port, target) = (proxy.httpPort, server.port)
        let result = try await blocking { try Self.sClient(proxyPort: port, target: "allowed.test:\(target)", serverName: "evil.test") }
        #expect(!result.output.contains("ping-through-tls"))
        await proxy.stop()
        let record = try #require(await proxy.records().first)
        #expect(record.decision == .deny)
        #expect(record.sni == "evil.test")
        #expect(record.reason.contains("evil.test") && record.reason.contains("allowed.test"))
        #expect(record.bytesUp == 0)
    }

    @Test("a ClientHello without SNI is refused while requireSNI is on, passes when it is off")
    func sniMissing() async throws {
        let server = try TLSEchoServer()
        defer { server.close() }
        let proxy = try await RunningProxy.start(allow: ["allowed.test"])
        let (port, target) = (proxy.httpPort, server.port)
        let refused = try await blocking { try Self.sClient(proxyPort: port, target: "allowed.test:\(target)", serverName: nil) }
        #expect(!refused.output.contains("ping-through-tls"))
        let record = try #require(await proxy.records().first)
        #expect(record.decision == .deny && record.reason.contains("requireSNI"))
        proxy.proxy.reload(ProxyConfiguration(policy: egressPolicy(allow: ["allowed.test"]), requireSNI: false))
        let passed = try await blocking { try Self.sClient(proxyPort: port, target: "allowed.test:\(target)", serverName: nil) }
        #expect(passed.output.contains("ping-through-tls"))
        await proxy.stop()
    }

    /// The first bytes `openssl s_client` sends for `serverName`: a real ClientHello.
    static func clientHello(serverName: String) async throws -> [UInt8] {
        let captured = NIOLockedValueBox<[UInt8]>([])
        let catcher = TestServer { socket in
            let hello = socket.readSome() ?? []
            captured.withLockedValue { $0 = hello }
            socket.close()
        }
        defer { catcher.close() }
        let port = catcher.port
        _ = try await blocking { try runProcess(["openssl", "s_client", "-connect", "127.0.0.1:\(port)", "-servername", serverName], timeout: 10) }
        return captured.withLockedValue { $0 }
    }

    @Test("SOCKS5 to a TLS port gets the same SNI check (port 443; here the test server's port)")
    func socksSNI() async throws {
        let server = TestServer.echo()
        defer { server.close() }
        let allowedHello = try await Self.clientHello(serverName: "allowed.test")
        let evilHello = try await Self.clientHello(serverName: "evil.test")
        #expect(allowedHello.first == 0x16 && evilHello.first == 0x16)
        let proxy = try await RunningProxy.start(allow: ["allowed.test"]) { $0.socksSNIPorts = [server.port] }
        let (port, target) = (proxy.socksPort, server.port)
        func through(_ hello: [UInt8]) async throws -> [UInt8] {
            try await blocking {
                let client = try Socket.connect(port: port)
                defer { client.close() }
                client.write(SOCKSProxyTests.greeting)
                _ = client.read(exactly: 2)
                client.write(SOCKSProxyTests.connectRequest(domain: "allowed.test", port: target))
                _ = client.read(exactly: 10)
                client.write(hello)
                client.shutdownOutput()
                return client.readToEnd()
            }
        }
        #expect(try await through(allowedHello) == allowedHello + Array("bye".utf8))
        #expect(try await through(evilHello).isEmpty)
        await proxy.stop()
        let records = await proxy.records(atLeast: 2)
        #expect(records.contains { $0.sni == "evil.test" && $0.decision == .deny })
        #expect(records.contains { $0.sni == "allowed.test" && $0.decision == .allow })
    }

    @Test("DNS rebinding: a name allowed by a wildcard that resolves to 127.0.0.1 is refused, naming the address")
    func rebinding() async throws {
        let server = TestServer.httpEcho()
        defer { server.close() }
        let proxy = try await RunningProxy.start(allow: ["*.wild.test"])
        let (port, target) = (proxy.httpPort, server.port)
        let response = try await blocking {
            let client = try Socket.connect(port: port)
            defer { client.close() }
            client.write("GET http://a.wild.test:\(target)/ HTTP/1.1\r\nHost: a.wild.test\r\n\r\n")
            return client.readResponse()
        }
        #expect(response?.status == 403)
        #expect(response?.body.contains("127.0.0.1") == true)
        #expect(server.connectionCount == 0)
        await proxy.stop()
        let record = try #require(await proxy.records().first)
        #expect(record.address == "127.0.0.1" && record.decision == .deny)
    }

    @Test("a wildcard name resolving to the cloud metadata address is refused, naming it; nothing is connected")
    func metadata() async throws {
        let resolver = StaticResolver(table: ["m.wild.test": [IPAddress.parse("169.254.169.254")!]])
        let proxy = try await RunningProxy.start(allow: ["*.wild.test"], resolver: resolver)
        let port = proxy.httpPort
        let response = try await blocking {
            let client = try Socket.connect(port: port)
            defer { client.close() }
            client.write("GET http://m.wild.test/ HTTP/1.1\r\nHost: m.wild.test\r\n\r\n")
            return client.readResponse()
        }
        #expect(response?.status == 403)
        #expect(response?.body.contains("169.254.169.254") == true)
        await proxy.stop()
        let record = try #require(await proxy.records().first)
        #expect(record.host == "m.wild.test" && record.decision == .deny && record.address == "169.254.169.254")
    }

    @Test("a non-ASCII name is judged by its IDNA A-label (SOCKS5 carries the raw name); raw UTF-8 in an HTTP request line gets 400")
    func idna() async throws {
        let server = TestServer.echo()
        defer { server.close() }
        let resolver = StaticResolver(table: ["xn--bcher-kva.test": [loopback4]])
        let proxy = try await RunningProxy.start(allow: ["bücher.test"], resolver: resolver) { $0.allowNonTLSConnect = true }
        let (socksPort, httpPort, target) = (proxy.socksPort, proxy.httpPort, server.port)
        let socks = try await blocking {
            try SOCKSProxyTests.exchange(port: socksPort, request: SOCKSProxyTests.connectRequest(domain: "BÜCHER.test", port: target), then: "hi")
        }
        #expect(socks.reply == 0)
        #expect(String(decoding: socks.rest, as: UTF8.self) == "hibye")
        let http = try await blocking {
            let client = try Socket.connect(port: httpPort)
            defer { client.close() }
            client.write("CONNECT BÜCHER.test:\(target) HTTP/1.1\r\n\r\n")
            return client.readResponse()?.status
        }
        #expect(http == 400)
        await proxy.stop()
        let records = await proxy.records(atLeast: 2)
        #expect(records.contains { $0.host == "xn--bcher-kva.test" && $0.asked == "BÜCHER.test" && $0.decision == .allow })
    }

    @Test("the system resolver: localhost listed by its exact name is reached at its loopback address")
    func systemResolver() async throws {
        let server = TestServer.httpEcho()
        defer { server.close() }
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        let proxy = try await RunningProxy.start(allow: ["localhost"], resolver: SystemResolver(pool: pool))
        let (port, target) = (proxy.httpPort, server.port)
        let response = try await blocking {
            let client = try Socket.connect(port: port)
            defer { client.close() }
            client.write("GET http://localhost:\(target)/ HTTP/1.1\r\nHost: localhost\r\n\r\n")
            return client.readResponse()
        }
        #expect(response?.status == 200)
        await proxy.stop()
        let record = try #require(await proxy.records().first)
        #expect(record.address == "127.0.0.1")
        try await pool.shutdownGracefully()
    }

    @Test("the on-demand system resolver starts its threads at the first name and refuses after shutdown")
    func onDemandResolver() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let resolver = SystemResolver(onDemandThreads: 2)
        let first = try await resolver.resolve("localhost", on: group.next()).get()
        #expect(first.contains { $0.description == "127.0.0.1" || $0.description == "::1" }, "\(first)")
        let again = try await resolver.resolve("localhost", on: group.next()).get()
        #expect(again == first)
        await resolver.shutdown()
        await #expect(throws: (any Error).self) { try await resolver.resolve("localhost", on: group.next()).get() }
        // A resolver that never resolved anything shuts down too.
        await SystemResolver(onDemandThreads: 2).shutdown()
        try await group.shutdownGracefully()
    }

    @Test("half-close is relayed: the client's end of input reaches the server, whose answer still comes back")
    func halfClose() async throws {
        let server = TestServer.echo()
        defer { server.close() }
        let proxy = try await RunningProxy.start(allow: ["allowed.test"]) { $0.allowNonTLSConnect = true }
        let (port, target) = (proxy.httpPort, server.port)
        let answer = try await blocking {
            let client = try Socket.connect(port: port)
            defer { client.close() }
            client.write("CONNECT allowed.test:\(target) HTTP/1.1\r\n\r\n")
            _ = client.readHead()
            client.write("half")
            client.shutdownOutput()
            return String(decoding: client.readToEnd(), as: UTF8.self)
        }
        #expect(answer == "halfbye")
        await proxy.stop()
    }

    @Test("backpressure: a fast sender into a reader that does not read is held by socket buffers, not by the proxy")
    func backpressure() async throws {
        let total = 64 * 1024 * 1024
        let sent = NIOLockedValueBoxInt()
        let server = TestServer { socket in
            defer { socket.close() }
            var size: Int32 = 64 * 1024
            setsockopt(socket.fd, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
            let chunk = [UInt8](repeating: 0x61, count: 16384)
            while sent.value < total {
                let count = min(chunk.count, total - sent.value)
                let written = chunk.withUnsafeBytes { Glibc.send(socket.fd, $0.baseAddress, count, Int32(MSG_NOSIGNAL)) }
                // The test sockets time out after 10 s; on a loaded machine a send may wait that
                // long for the stalled reader, which is not the end of the stream.
                if written < 0 && (errno == EAGAIN || errno == EINTR) { continue }
                if written <= 0 { return }
                sent.add(written)
            }
            socket.shutdownOutput()
            // The client's "go" is still unread here: closing now would send a reset, and the
            // kernel would drop whatever the proxy had not yet read from its upstream socket
            // (the reader stalled on purpose, so that was up to a socket buffer). Wait for the
            // client to finish first.
            _ = socket.readToEnd()
        }
        defer { server.close() }
        let proxy = try await RunningProxy.start(allow: ["allowed.test"]) { $0.allowNonTLSConnect = true }
        let (port, target) = (proxy.httpPort, server.port)
        let (aheadWhilePaused, received) = try await blocking {
            let client = try Socket.connect(port: port)
            defer { client.close() }
            client.setReceiveBuffer(64 * 1024)
            client.write("CONNECT allowed.test:\(target) HTTP/1.1\r\n\r\n")
            _ = client.readHead()
            client.write("go")
            // The reader stalls: whatever the server got rid of sits in buffers somewhere.
            Thread.sleep(forTimeInterval: 1.5)
            let ahead = sent.value
            var received = 0
            while let chunk = client.readSome() { received += chunk.count }
            return (ahead, received)
        }
        #expect(received == total)
        // Kernel buffers on loopback (the proxy's receive and send buffers, autotuned to a few
        // MiB) bound this; a proxy that read without waiting would have taken all 64 MiB.
        #expect(aheadWhilePaused < 24 * 1024 * 1024, "the server sent \(aheadWhilePaused) bytes while the reader read none")
        await proxy.stop()
    }

    @Test("idle tunnels are closed after idleTimeout")
    func idleTimeout() async throws {
        let server = TestServer.echo()
        defer { server.close() }
        let proxy = try await RunningProxy.start(allow: ["allowed.test"]) {
            $0.allowNonTLSConnect = true
            $0.idleTimeout = .seconds(1)
        }
        let (port, target) = (proxy.httpPort, server.port)
        let elapsed = try await blocking {
            let client = try Socket.connect(port: port)
            defer { client.close() }
            client.write("CONNECT allowed.test:\(target) HTTP/1.1\r\n\r\n")
            _ = client.readHead()
            client.write("x")
            _ = client.read(exactly: 1)
            let started = Date()
            _ = client.readToEnd()
            return Date().timeIntervalSince(started)
        }
        #expect(elapsed > 0.5 && elapsed < 5)
        await proxy.stop()
    }

    @Test("shutdown drains: an open tunnel keeps working until the deadline")
    func drain() async throws {
        let server = TestServer.echo()
        defer { server.close() }
        let proxy = try await RunningProxy.start(allow: ["allowed.test"]) { $0.allowNonTLSConnect = true }
        let (port, target) = (proxy.httpPort, server.port)
        let client = try Socket.connect(port: port)
        defer { client.close() }
        try await blocking {
            client.write("CONNECT allowed.test:\(target) HTTP/1.1\r\n\r\n")
            _ = client.readHead()
        }
        let stopping = Task { await proxy.proxy.shutdown(drainDeadline: .seconds(5)) }
        try await Task.sleep(nanoseconds: 200_000_000)
        let answer = try await blocking {
            client.write("still")
            client.shutdownOutput()
            return String(decoding: client.readToEnd(), as: UTF8.self)
        }
        #expect(answer == "stillbye")
        await stopping.value
        // That the port is closed afterwards is not asserted: in a parallel run another test's
        // proxy may be given the same free port at once.
        #expect(proxy.proxy.openConnections == 0)
    }
}

extension TunnelTests {
    @Test("shutdown past the drain deadline still writes the records of the tunnels it closes")
    func recordsOfClosedTunnelsAreWritten() async throws {
        let server = TestServer.echo()
        defer { server.close() }
        let proxy = try await RunningProxy.start(allow: ["allowed.test"]) { $0.allowNonTLSConnect = true }
        let (port, target) = (proxy.httpPort, server.port)
        let clients = try await blocking {
            try (0..<8).map { _ -> Socket in
                let client = try Socket.connect(port: port)
                client.write("CONNECT allowed.test:\(target) HTTP/1.1\r\n\r\n")
                _ = client.readHead()
                client.write("x")
                _ = client.read(exactly: 1)
                return client
            }
        }
        defer { for client in clients { client.close() } }
        await proxy.proxy.shutdown(drainDeadline: .zero)
        // No waiting here: every record must be in the log once shutdown returns.
        let records = proxy.log.all
        #expect(records.count == 8)
        #expect(records.allSatisfy { $0.decision == .allow && $0.bytesUp == 1 })
    }
}

/// A counter the test server's thread and the test share.
final class NIOLockedValueBoxInt: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
    func add(_ n: Int) { lock.lock(); count += n; lock.unlock() }
}
