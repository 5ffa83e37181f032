import Foundation
import Testing
import WardenNetwork
@testable import WardenProxy

/// Debian's tinyproxy as the corporate proxy: config in a scratch directory, Basic auth, a
/// free loopback port; stopped after the test.
final class Tinyproxy {
    let port: Int
    private let process: Process

    init(user: String, password: String) throws {
        let directory = scratchDirectory()
        // A free port: bind port 0, note it, let it go (tinyproxy cannot be told to pick one).
        let probe = TestServer { $0.close() }
        port = probe.port
        probe.close()
        let config = """
            Port \(port)
            Listen 127.0.0.1
            Timeout 30
            Allow 127.0.0.1
            BasicAuth \(user) \(password)
            MaxClients 50
            LogLevel Warning
            """
        try config.write(toFile: directory + "/tinyproxy.conf", atomically: true, encoding: .utf8)
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/tinyproxy")
        process.arguments = ["-d", "-c", directory + "/tinyproxy.conf"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        for _ in 0..<100 {
            if let socket = try? Socket.connect(port: port) {
                socket.close()
                return
            }
            usleep(20_000)
        }
        stop()
        throw TestError("tinyproxy did not start listening on \(port)")
    }

    /// SIGKILL: tinyproxy 1.11 takes its time over SIGTERM while connections linger.
    func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

@Suite("Upstream proxy", .serialized)
struct UpstreamTests {
    @Test("allowed tunnels and requests go through tinyproxy with Basic auth; the policy still judges first")
    func chained() async throws {
        let upstream = try Tinyproxy(user: "user", password: "pa-ss")
        defer { upstream.stop() }
        let server = TestServer.httpEcho()
        defer { server.close() }
        let proxy = try await RunningProxy.start(allow: ["127.0.0.1"]) {
            $0.upstream = try! UpstreamProxy(parsing: "http://user:pa%2Dss@127.0.0.1:\(upstream.port)")
        }
        let (port, target) = (proxy.httpPort, server.port)
        let (viaGet, refused) = try await blocking {
            let client = try Socket.connect(port: port)
            defer { client.close() }
            client.write("GET http://127.0.0.1:\(target)/chained HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            let viaGet = client.readResponse()
            let other = try Socket.connect(port: port)
            defer { other.close() }
            other.write("GET http://127.0.0.2:\(target)/ HTTP/1.1\r\nHost: x\r\n\r\n")
            return (viaGet, other.readResponse())
        }
        #expect(viaGet?.status == 200, "\(viaGet?.body ?? "")")
        #expect(viaGet?.body.contains("GET /chained") == true)
        #expect(refused?.status == 403)
        await proxy.stop()
        let records = await proxy.records(atLeast: 2)
        #expect(records.first { $0.decision == .allow }?.address == "127.0.0.1:\(upstream.port)")
    }

    @Test("an upstream refusal becomes a 502 that echoes no credential")
    func refusal() async throws {
        let upstream = try Tinyproxy(user: "user", password: "right")
        defer { upstream.stop() }
        let proxy = try await RunningProxy.start(allow: ["127.0.0.1"]) {
            $0.upstream = try! UpstreamProxy(parsing: "http://user:wrong-secret@127.0.0.1:\(upstream.port)")
        }
        let port = proxy.httpPort
        let response = try await blocking {
            let client = try Socket.connect(port: port)
            defer { client.close() }
            client.write("CONNECT 127.0.0.1:9 HTTP/1.1\r\n\r\n")
            return client.readResponse()
        }
        let got = try #require(response)
        #expect(got.status == 502)
        #expect(got.body.contains("401"))  // tinyproxy answers a bad credential with 401
        #expect(!got.body.contains("wrong-secret"))
        #expect(!got.body.contains(Data("user:wrong-secret".utf8).base64EncodedString()))
        await proxy.stop()
        let record = try #require(await proxy.records().first)
        #expect(!record.reason.contains("wrong-secret"))
    }

    @Test("NO_PROXY hosts go direct, and are judged all the same")
    func noProxy() async throws {
        let server = TestServer.httpEcho()
        defer { server.close() }
        let proxy = try await RunningProxy.start(allow: ["allowed.test"]) {
            // An upstream nobody listens on: only NO_PROXY hosts can work.
            $0.upstream = try! UpstreamProxy(parsing: "http://127.0.0.1:9")
            $0.noProxy = NoProxyList("localhost, .test")
        }
        let (port, target) = (proxy.httpPort, server.port)
        let (direct, denied) = try await blocking {
            let client = try Socket.connect(port: port)
            defer { client.close() }
            client.write("GET http://allowed.test:\(target)/ HTTP/1.1\r\nHost: allowed.test\r\n\r\n")
            let direct = client.readResponse()
            let other = try Socket.connect(port: port)
            defer { other.close() }
            other.write("GET http://other.test:\(target)/ HTTP/1.1\r\nHost: other.test\r\n\r\n")
            return (direct, other.readResponse())
        }
        #expect(direct?.status == 200)
        #expect(denied?.status == 403)
        await proxy.stop()
    }

    @Test("configuration from settings and the environment: upstreamProxy wins over HTTPS_PROXY; NO_PROXY read")
    func configurationFromEnvironment() throws {
        var settings = NetworkSettings()
        let policy = egressPolicy(allow: ["allowed.test"])
        let fromEnvironment = try ProxyConfiguration(settings: settings, policy: policy, environment: ["HTTPS_PROXY": "http://proxy.corp:3128", "NO_PROXY": "internal.corp"])
        #expect(fromEnvironment.upstream?.authority.description == "proxy.corp:3128")
        #expect(fromEnvironment.noProxy.bypasses("a.internal.corp"))
        #expect(!fromEnvironment.noProxy.bypasses("corp"))
        settings.upstreamProxy = try UpstreamProxy(parsing: "http://chosen.corp:8080")
        settings.headerTimeoutSeconds = 3
        let fromSettings = try ProxyConfiguration(settings: settings, policy: policy, environment: ["HTTPS_PROXY": "http://proxy.corp:3128"])
        #expect(fromSettings.upstream?.authority.description == "chosen.corp:8080")
        #expect(fromSettings.headerTimeout == .seconds(3))
        #expect(throws: ProxyConfigurationError.self) {
            _ = try ProxyConfiguration(settings: NetworkSettings(), policy: policy, environment: ["HTTP_PROXY": "socks5://x:1"])
        }
    }
}
