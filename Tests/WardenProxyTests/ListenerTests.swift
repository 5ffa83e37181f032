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

        // The port is chosen below the kernel's ephemeral range (32768–60999 here): the tests
        // running beside this one bind port 0 and connect, and either could take a freed
        // ephemeral port before the last bind below, which would fail for a reason not ours.
        // Another program on the machine (a parallel test run) may take the port between the
        // check and the bind: that is a different port's story, so pick again.
        var started: (port: Int, proxy: RunningProxy)?
        for _ in 0..<5 where started == nil {
            let port = try Self.freePortBelowEphemeralRange()
            if let proxy = try? await RunningProxy.start(allow: [], http: [.tcp(host: "127.0.0.1", port: port)], socks: []) {
                started = (port, proxy)
            }
        }
        let (port, first) = try #require(started)
        #expect(first.httpPort == port)
        await #expect {
            _ = try await RunningProxy.start(allow: [], http: [.tcp(host: "127.0.0.1", port: port)], socks: [])
        } throws: { error in
            "\(error)".hasPrefix("cannot listen on") && "\(error)".contains("in use")
        }
        await first.stop()
        // Once the proxy has stopped, its port is free again at once.
        let again: RunningProxy
        do { again = try await RunningProxy.start(allow: [], http: [.tcp(host: "127.0.0.1", port: port)], socks: []) } catch {
            Issue.record("the port of a stopped proxy is still taken: \(error)")
            return
        }
        #expect(again.httpPort == port)
        await again.stop()
    }

    /// A port in 20000..<32000 nothing is bound to now (a plain bind succeeds).
    static func freePortBelowEphemeralRange() throws -> Int {
        for _ in 0..<200 {
            let port = Int.random(in: 20000..<32000)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = in_addr_t(UInt32(0x7f00_0001).bigEndian)
            let status = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            if status == 0 { return port }
        }
        struct NoFreePort: Error {}
        throw NoFreePort()
    }
}
