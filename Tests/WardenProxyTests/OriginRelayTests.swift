import Foundation
import NIOCore
import Testing
import WardenProxy

/// The relay `warden run` puts between the sandbox's 127.0.0.1:PORT and a Messages API on the
/// host's loopback: real unix socket in, real TCP out.
@Suite struct OriginRelayTests {
    @Test func relaysToTheFixedOriginBothWaysWithHalfCloseAndLogsIt() async throws {
        let origin = TestServer.echo()
        defer { origin.close() }
        let path = scratchDirectory() + "/origin.sock"
        let log = MemoryConnectionLog()
        let relay = try await OriginRelay.start(listen: path, target: try SocketAddress(ipAddress: "127.0.0.1", port: origin.port), log: log)

        let request = "POST /v1/messages HTTP/1.1\r\n\r\n"
        let received = try await blocking {
            let client = try Socket.connect(unixPath: path)
            defer { client.close() }
            client.write(request)
            client.shutdownOutput()
            return String(decoding: client.readToEnd(), as: UTF8.self)
        }
        // The echo server answers `bye` only after it has seen the end of input: the half-close
        // crossed the relay, and its own end came back.
        #expect(received == request + "bye")
        await relay.shutdown()
        let record = try #require(log.all.first)
        #expect(record.proto == .origin && record.decision == .allow && record.key == "ANTHROPIC_BASE_URL")
        #expect(record.asked == "127.0.0.1:\(origin.port)" && record.bytesUp == request.utf8.count && record.bytesDown == request.utf8.count + 3)
    }

    @Test func anOriginThatIsNotThereClosesTheClientAndIsLogged() async throws {
        let gone = TestServer.echo()
        let port = gone.port
        gone.close()
        let path = scratchDirectory() + "/origin.sock"
        let log = MemoryConnectionLog()
        let relay = try await OriginRelay.start(listen: path, target: try SocketAddress(ipAddress: "127.0.0.1", port: port), log: log)
        let received = try await blocking {
            let client = try Socket.connect(unixPath: path)
            defer { client.close() }
            return client.readToEnd()
        }
        #expect(received.isEmpty)
        await relay.shutdown()
        let record = try #require(log.all.first)
        #expect(record.decision == .deny && record.reason.hasPrefix("cannot reach 127.0.0.1:\(port)"))
    }
}
