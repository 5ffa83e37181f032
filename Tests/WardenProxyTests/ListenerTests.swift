import Foundation
import Testing
import WardenNetwork
@testable import WardenProxy

/// The listening sockets: a TCP address has one SO_REUSEPORT listener per event loop (so a
/// connection is served on the loop that accepted it), which must never let a second proxy, or
/// anything else already on the port, share it.
@Suite("Listeners", .serialized)
struct ListenerTests {
    @Test("every connection to a TCP address is served, whichever loop's listener the kernel picks")
    func connectionsOnEveryListener() async throws {
        let server = TestServer.echo()
        defer { server.close() }
        let proxy = try await RunningProxy.start(allow: ["allowed.test"]) { $0.allowNonTLSConnect = true }
        let (port, target) = (proxy.httpPort, server.port)
        // The kernel hashes each connection's addresses to one listener of the group (one per
        // loop of testGroup's two): 40 connections from as many source ports, all served.
        let echoed = try await blocking {
            try (0..<40).map { index -> String in
                let client = try Socket.connect(port: port)
                defer { client.close() }
                client.write("CONNECT allowed.test:\(target) HTTP/1.1\r\n\r\n")
                _ = client.readHead()
                client.write("n\(index)")
                return String(decoding: client.read(exactly: "n\(index)".utf8.count) ?? [], as: UTF8.self)
            }
        }
        #expect(echoed == (0..<40).map { "n\($0)" })
        await proxy.stop()
        #expect(await proxy.records(atLeast: 40).filter { $0.decision == .allow }.count == 40)
    }

    @Test("a port something already listens on is refused in one line, a second proxy's included; once free it can be used")
    func takenPortRefused() async throws {
        let other = TestServer.echo()
        let taken = other.port
        await #expect {
            _ = try await RunningProxy.start(allow: [], http: [.tcp(host: "127.0.0.1", port: taken)], socks: [])
        } throws: { error in
            "\(error)".hasPrefix("cannot listen on") && "\(error)".contains(String(taken))
        }
        other.close()

        let first = try await RunningProxy.start(allow: [], socks: [])
        let port = first.httpPort
        await #expect {
            _ = try await RunningProxy.start(allow: [], http: [.tcp(host: "127.0.0.1", port: port)], socks: [])
        } throws: { error in
            "\(error)".hasPrefix("cannot listen on") && "\(error)".contains("in use")
        }
        await first.stop()
        let again = try await RunningProxy.start(allow: [], http: [.tcp(host: "127.0.0.1", port: port)], socks: [])
        #expect(again.httpPort == port)
        await again.stop()
    }
}
