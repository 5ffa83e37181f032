import Foundation
import Testing
import WardenNetwork
@testable import WardenProxy

/// SOCKS5 bytes written by hand (RFC 1928), so each refused shape is exactly what it says.
@Suite("SOCKS5 proxy", .serialized)
struct SOCKSProxyTests {
    static let greeting: [UInt8] = [5, 1, 0]

    static func connectRequest(domain: String, port: Int, command: UInt8 = 1) -> [UInt8] {
        [5, command, 0, 3, UInt8(domain.utf8.count)] + Array(domain.utf8) + [UInt8(port >> 8), UInt8(port & 0xff)]
    }

    static func connectRequest(address: [UInt8], port: Int) -> [UInt8] {
        [5, 1, 0, address.count == 4 ? 1 : 4] + address + [UInt8(port >> 8), UInt8(port & 0xff)]
    }

    /// Greeting, method choice, request; the reply's code, then the rest of the stream.
    static func exchange(port: Int, request: [UInt8], then send: String? = nil) throws -> (method: [UInt8]?, reply: UInt8?, rest: [UInt8]) {
        let client = try Socket.connect(port: port)
        defer { client.close() }
        client.write(greeting)
        let method = client.read(exactly: 2)
        client.write(request)
        guard let head = client.read(exactly: 4) else { return (method, nil, []) }
        let addressLength = head[3] == 1 ? 4 : head[3] == 4 ? 16 : Int(client.read(exactly: 1)?.first ?? 0)
        _ = client.read(exactly: addressLength + 2)
        if let send {
            client.write(send)
            client.shutdownOutput()
        }
        return (method, head[1], client.readToEnd())
    }

    @Test("CONNECT by domain, IPv4 and IPv6 reaches an allowed host; the relay carries bytes both ways")
    func connectForms() async throws {
        let server = TestServer.echo()
        defer { server.close() }
        let proxy = try await RunningProxy.start(allow: ["allowed.test", "127.0.0.1", "::1"]) { $0.allowNonTLSConnect = true }
        let port = proxy.socksPort, target = server.port
        let byName = try await blocking { try Self.exchange(port: port, request: Self.connectRequest(domain: "allowed.test", port: target), then: "ping") }
        let byV4 = try await blocking { try Self.exchange(port: port, request: Self.connectRequest(address: [127, 0, 0, 1], port: target), then: "ping") }
        #expect(byName.method == [5, 0])
        #expect(byName.reply == 0)
        #expect(String(decoding: byName.rest, as: UTF8.self) == "pingbye")
        #expect(byV4.reply == 0)
        #expect(String(decoding: byV4.rest, as: UTF8.self) == "pingbye")
        // ::1: the echo server listens on IPv4 only, so the connect fails after the policy allowed it.
        let byV6 = try await blocking { try Self.exchange(port: port, request: Self.connectRequest(address: Array(repeating: 0, count: 15) + [1], port: target)) }
        #expect(byV6.reply == 4 || byV6.reply == 5)
        await proxy.stop()
        let records = await proxy.records(atLeast: 3)
        #expect(records.contains { $0.proto == .socks5 && $0.host == "allowed.test" && $0.bytesUp == 4 && $0.bytesDown == 7 })
        #expect(records.contains { $0.host == "::1" && $0.decision == .allow })
    }

    @Test("an IPv6 target is judged as an address: unlisted ::1 is refused with 0x02")
    func ipv6Refused() async throws {
        let proxy = try await RunningProxy.start(allow: ["allowed.test"])
        let port = proxy.socksPort
        let result = try await blocking { try Self.exchange(port: port, request: Self.connectRequest(address: Array(repeating: 0, count: 15) + [1], port: 443)) }
        #expect(result.reply == 2)
        await proxy.stop()
    }

    @Test("a refused host gets reply 0x02 (not allowed by ruleset) and a record naming it")
    func refused() async throws {
        let proxy = try await RunningProxy.start(allow: ["allowed.test"], deny: ["evil.test"])
        let port = proxy.socksPort
        let result = try await blocking { try Self.exchange(port: port, request: Self.connectRequest(domain: "EVIL.test.", port: 443)) }
        #expect(result.reply == 2)
        #expect(result.rest.isEmpty)
        await proxy.stop()
        let record = try #require(await proxy.records().first)
        #expect(record.asked == "EVIL.test.")
        #expect(record.host == "evil.test")
        #expect(record.key == "sandbox.network.deniedDomains")
        #expect(record.rule == "evil.test")
    }

    @Test("BIND and UDP ASSOCIATE get 0x07 (command not supported)", arguments: [UInt8(2), UInt8(3)])
    func unsupportedCommands(command: UInt8) async throws {
        let proxy = try await RunningProxy.start(allow: ["allowed.test"])
        let port = proxy.socksPort
        let result = try await blocking { try Self.exchange(port: port, request: Self.connectRequest(domain: "allowed.test", port: 80, command: command)) }
        #expect(result.reply == 7)
        await proxy.stop()
        let record = try #require(await proxy.records().first)
        #expect(record.reason.contains(command == 2 ? "BIND" : "UDP ASSOCIATE"))
    }

    @Test("a greeting offering only GSSAPI or username/password gets 'no acceptable methods' and a close")
    func noAcceptableMethod() async throws {
        let proxy = try await RunningProxy.start(allow: ["allowed.test"])
        let port = proxy.socksPort
        let answer = try await blocking {
            let client = try Socket.connect(port: port)
            defer { client.close() }
            client.write([5, 2, 1, 2])
            return client.readToEnd()
        }
        #expect(answer == [5, 0xff])
        await proxy.stop()
    }

    @Test("SOCKS4 and SOCKS4a are closed without an answer", arguments: [
        [UInt8(4), 1, 0, 80, 127, 0, 0, 1, 0],
        [UInt8(4), 1, 0, 80, 0, 0, 0, 1, 0] + Array("allowed.test".utf8) + [0],
    ])
    func socks4(request: [UInt8]) async throws {
        let proxy = try await RunningProxy.start(allow: ["allowed.test"])
        let port = proxy.socksPort
        let answer = try await blocking {
            let client = try Socket.connect(port: port)
            defer { client.close() }
            client.write(request)
            return client.readToEnd()
        }
        #expect(answer.isEmpty)
        await proxy.stop()
        let record = try #require(await proxy.records().first)
        #expect(record.reason.contains("SOCKS4"))
    }

    @Test("over the per-client cap the request gets 0x01 (general failure), logged")
    func cap() async throws {
        let proxy = try await RunningProxy.start(allow: ["allowed.test"]) { $0.maxConnectionsPerClient = 1 }
        let port = proxy.socksPort
        let result = try await blocking {
            let holder = try Socket.connect(port: port)
            defer { holder.close() }
            usleep(100_000)
            return try Self.exchange(port: port, request: Self.connectRequest(domain: "allowed.test", port: 80))
        }
        #expect(result.reply == 1)
        await proxy.stop()
        #expect(await proxy.records().contains { $0.key == "proxy.limits" })
    }
}
