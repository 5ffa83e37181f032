import Foundation
import Testing
import WardenNetwork
@testable import WardenProxy

@Suite("HTTP proxy", .serialized)
struct HTTPProxyTests {
    @Test("CONNECT to an allowed host tunnels; a refused one gets a one-line 403 naming host, port and key")
    func connectAllowedAndRefused() async throws {
        let server = TestServer.echo()
        defer { server.close() }
        let proxy = try await RunningProxy.start(allow: ["allowed.test"]) { $0.allowNonTLSConnect = true }
        let port = proxy.httpPort, target = server.port
        let (allowed, refused) = try await blocking {
            let client = try Socket.connect(port: port)
            defer { client.close() }
            client.write("CONNECT allowed.test:\(target) HTTP/1.1\r\nHost: allowed.test:\(target)\r\n\r\n")
            let head = String(decoding: client.readHead() ?? [], as: UTF8.self)
            client.write("hello")
            let echoed = String(decoding: client.read(exactly: 5) ?? [], as: UTF8.self)

            let second = try Socket.connect(port: port)
            defer { second.close() }
            second.write("CONNECT other.test:\(target) HTTP/1.1\r\n\r\n")
            let response = second.readResponse()
            let rest = second.readToEnd()
            return ((head, echoed), (response, rest))
        }
        #expect(allowed.0.hasPrefix("HTTP/1.1 200"))
        #expect(allowed.1 == "hello")
        let response = try #require(refused.0)
        #expect(response.status == 403)
        #expect(response.head.lowercased().contains("content-type: text/plain"))
        #expect(response.body.contains("other.test"))
        #expect(response.body.contains(String(target)))
        #expect(response.body.contains("sandbox.network.allowedDomains"))
        #expect(response.body.split(separator: "\n").count == 1)
        #expect(refused.1.isEmpty)  // and closed
        await proxy.stop()
        let records = await proxy.records(atLeast: 2)
        let denied = try #require(records.first { $0.decision == .deny })
        #expect(denied.proto == .connect)
        #expect(denied.host == "other.test")
        #expect(denied.key == "default")
        let tunnel = try #require(records.first { $0.decision == .allow })
        #expect(tunnel.bytesUp == 5 && tunnel.bytesDown >= 5)
        #expect(tunnel.address == "127.0.0.1")
        #expect(tunnel.rule == "allowed.test")
    }

    @Test("absolute-form GET is forwarded in origin-form; the target beats a disagreeing Host; hop-by-hop and Proxy-* removed")
    func absoluteForm() async throws {
        let server = TestServer.httpEcho()
        defer { server.close() }
        let proxy = try await RunningProxy.start(allow: ["allowed.test"])
        let port = proxy.httpPort, target = server.port
        let response = try await blocking {
            let client = try Socket.connect(port: port)
            defer { client.close() }
            client.write("GET http://allowed.test:\(target)/path?q=1 HTTP/1.1\r\nHost: evil.test\r\nProxy-Authorization: Basic c2VjcmV0\r\nKeep-Alive: 5\r\nConnection: keep-alive, X-Drop\r\nX-Drop: 1\r\nX-Keep: 2\r\n\r\n")
            return client.readResponse()
        }
        let got = try #require(response)
        #expect(got.status == 200)
        #expect(got.head.contains("X-Origin: test"))
        #expect(got.body.hasPrefix("GET /path?q=1 HTTP/1.1\r\n"))
        #expect(got.body.headerValue("host") == "allowed.test:\(target)")
        #expect(got.body.headerValue("proxy-authorization") == nil)
        #expect(got.body.headerValue("keep-alive") == nil)
        #expect(got.body.headerValue("x-drop") == nil)
        #expect(got.body.headerValue("x-keep") == "2")
        #expect(!got.body.contains("evil.test"))
        await proxy.stop()
        let record = try #require(await proxy.records().first)
        #expect(record.proto == .http && record.decision == .allow && record.port == target)
        #expect(record.bytesDown == got.body.utf8.count)
    }

    @Test("keep-alive: every request on one connection is judged and connected afresh")
    func keepAliveRejudged() async throws {
        let server = TestServer.httpEcho()
        defer { server.close() }
        let proxy = try await RunningProxy.start(allow: ["allowed.test"])
        let port = proxy.httpPort, target = server.port
        let (first, second, third) = try await blocking {
            let client = try Socket.connect(port: port)
            defer { client.close() }
            client.write("GET http://allowed.test:\(target)/one HTTP/1.1\r\nHost: allowed.test\r\n\r\n")
            let first = client.readResponse()
            client.write("GET http://other.test:\(target)/two HTTP/1.1\r\nHost: other.test\r\n\r\n")
            let second = client.readResponse()
            client.write("GET http://allowed.test:\(target)/three HTTP/1.1\r\nHost: allowed.test\r\n\r\n")
            let third = client.readResponse()
            return (first, second, third)
        }
        #expect(first?.status == 200 && first?.body.contains("/one") == true)
        #expect(second?.status == 403)
        #expect(second?.body.contains("other.test") == true)
        #expect(third?.status == 200 && third?.body.contains("/three") == true)
        #expect(server.connectionCount == 2)
        await proxy.stop()
        let records = await proxy.records(atLeast: 3)
        #expect(records.map(\.decision) == [.allow, .deny, .allow])
    }

    @Test("a request body is forwarded, and the next request on the connection still starts a fresh head")
    func bodyThenNextRequest() async throws {
        let server = TestServer.httpEcho()
        defer { server.close() }
        let proxy = try await RunningProxy.start(allow: ["allowed.test"])
        let port = proxy.httpPort, target = server.port
        let (first, second) = try await blocking {
            let client = try Socket.connect(port: port)
            defer { client.close() }
            // Both requests in one write: the scanner must count the body, then scan the second head.
            client.write("POST http://allowed.test:\(target)/form HTTP/1.1\r\nHost: allowed.test\r\nContent-Length: 11\r\n\r\nhello=world"
                + "GET http://allowed.test:\(target)/next HTTP/1.1\r\nHost: allowed.test\r\n\r\n")
            return (client.readResponse(), client.readResponse())
        }
        #expect(first?.status == 200)
        #expect(first?.body.hasSuffix("hello=world") == true)
        #expect(second?.status == 200)
        #expect(second?.body.hasPrefix("GET /next") == true)
        await proxy.stop()
        let records = await proxy.records(atLeast: 2)
        #expect(records.first?.bytesUp == 11)
    }

    @Test("a request pipelined behind a chunked body in the same read is refused with 400, not forwarded unscanned")
    func pipelinedBehindChunked() async throws {
        let server = TestServer.httpEcho()
        defer { server.close() }
        let proxy = try await RunningProxy.start(allow: ["allowed.test"])
        let port = proxy.httpPort, target = server.port
        let (first, second) = try await blocking {
            let client = try Socket.connect(port: port)
            defer { client.close() }
            client.write("POST http://allowed.test:\(target)/a HTTP/1.1\r\nHost: allowed.test\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
                + "GET http://allowed.test:\(target)/b HTTP/1.1\r\nHost: allowed.test\r\n\r\n")
            return (client.readResponse(), client.readResponse())
        }
        #expect(first?.status == 200)
        #expect(second?.status == 400)
        #expect(second?.body.contains("chunked") == true)
        await proxy.stop()
    }

    @Test("origin-form requests get 400: this is a proxy")
    func originForm() async throws {
        let proxy = try await RunningProxy.start(allow: ["allowed.test"])
        let port = proxy.httpPort
        let response = try await blocking {
            let client = try Socket.connect(port: port)
            defer { client.close() }
            client.write("GET /index.html HTTP/1.1\r\nHost: allowed.test\r\n\r\n")
            return client.readResponse()
        }
        #expect(response?.status == 400)
        #expect(response?.body.contains("absolute URL") == true)
        await proxy.stop()
    }

    /// Each spelling of the loopback address, and other host forms, end to end: the proxy
    /// refuses them since the policy lists none (loopback needs the exact address listed).
    @Test("canonicalisation end to end", arguments: [
        ("2130706433", "127.0.0.1"), ("0x7f000001", "127.0.0.1"), ("0177.0.0.1", "127.0.0.1"), ("0x7f.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"), ("[::ffff:127.0.0.1]", "127.0.0.1"), ("ALLOWED.TEST.", "allowed.test"),
    ])
    func canonicalForms(asked: String, canonical: String) async throws {
        let server = TestServer.httpEcho()
        defer { server.close() }
        let proxy = try await RunningProxy.start(allow: ["other.test"])
        let port = proxy.httpPort, target = server.port
        let response = try await blocking {
            let client = try Socket.connect(port: port)
            defer { client.close() }
            client.write("GET http://\(asked):\(target)/ HTTP/1.1\r\nHost: x\r\n\r\n")
            return client.readResponse()
        }
        #expect(response?.status == 403)
        #expect(response?.body.contains(canonical) == true)
        await proxy.stop()
        let record = try #require(await proxy.records().first)
        #expect(record.host == canonical)
        #expect(server.connectionCount == 0)
    }

    @Test("a listed address is reached in any spelling; the same spelling unlisted is not")
    func loopbackListed() async throws {
        let server = TestServer.httpEcho()
        defer { server.close() }
        let proxy = try await RunningProxy.start(allow: ["127.0.0.1"])
        let port = proxy.httpPort, target = server.port
        let status = try await blocking {
            let client = try Socket.connect(port: port)
            defer { client.close() }
            client.write("GET http://0x7f.1:\(target)/ HTTP/1.1\r\nHost: x\r\n\r\n")
            return client.readResponse()?.status
        }
        #expect(status == 200)
        await proxy.stop()
    }

    @Test("userinfo: the host after the last @ is the one judged", arguments: [
        "allowed.test@other.test", "allowed.test:pw@other.test",
    ])
    func userinfo(authority: String) async throws {
        let server = TestServer.httpEcho()
        defer { server.close() }
        let proxy = try await RunningProxy.start(allow: ["allowed.test"])
        let port = proxy.httpPort, target = server.port
        let response = try await blocking {
            let client = try Socket.connect(port: port)
            defer { client.close() }
            client.write("GET http://\(authority):\(target)/ HTTP/1.1\r\nHost: allowed.test\r\n\r\n")
            return client.readResponse()
        }
        #expect(response?.status == 403 || response?.status == 400)
        #expect(server.connectionCount == 0)
        await proxy.stop()
    }

    @Test("NUL, CR, %-escapes and spaces in names are refused with 400", arguments: [
        "CONNECT allowed.test%00.evil:443 HTTP/1.1\r\n\r\n",
        "CONNECT allowed.test\u{0}.evil:443 HTTP/1.1\r\n\r\n",
        "GET http://allowed.test%0d%0aX:80/ HTTP/1.1\r\nHost: a\r\n\r\n",
        "CONNECT a_very_long_label_\(String(repeating: "x", count: 64)).test:443 HTTP/1.1\r\n\r\n",
    ])
    func badNames(request: String) async throws {
        let proxy = try await RunningProxy.start(allow: ["allowed.test", "*.test"])
        let port = proxy.httpPort
        let (response, rest) = try await blocking {
            let client = try Socket.connect(port: port)
            defer { client.close() }
            client.write(request)
            return (client.readResponse(), client.readToEnd())
        }
        #expect(response?.status == 400)
        #expect(response?.body.split(separator: "\n").count == 1)
        #expect(rest.isEmpty)
        await proxy.stop()
        let record = try #require(await proxy.records().first)
        #expect(record.decision == .deny)
    }

    @Test("request-smuggling shapes get 400 and a closed connection", arguments: [
        "POST http://allowed.test/ HTTP/1.1\r\nHost: allowed.test\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "POST http://allowed.test/ HTTP/1.1\r\nHost: allowed.test\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
        "GET http://allowed.test/ HTTP/1.1\r\nHost: allowed.test\r\nX-A: 1\r\n folded\r\n\r\n",
        "GET http://allowed.test/ HTTP/1.1\nHost: allowed.test\n\n",
        "POST http://allowed.test/ HTTP/1.1\r\nHost: allowed.test\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
        "GET http://allowed.test/ HTTP/1.1\r\nHost: allowed.test\r\nHost: other.test\r\n\r\n",
    ])
    func smuggling(request: String) async throws {
        let server = TestServer.httpEcho()
        defer { server.close() }
        let proxy = try await RunningProxy.start(allow: ["allowed.test"])
        let port = proxy.httpPort
        let (response, rest) = try await blocking {
            let client = try Socket.connect(port: port)
            defer { client.close() }
            client.write(request)
            return (client.readResponse(), client.readToEnd())
        }
        #expect(response?.status == 400)
        #expect(rest.isEmpty)
        #expect(server.connectionCount == 0)
        await proxy.stop()
        let record = try #require(await proxy.records().first)
        #expect(record.decision == .deny && record.key == "proxy.request")
    }

    @Test("a head larger than maxHeaderBytes is refused")
    func headTooLarge() async throws {
        let proxy = try await RunningProxy.start(allow: ["allowed.test"]) { $0.maxHeaderBytes = 1024 }
        let port = proxy.httpPort
        let response = try await blocking {
            let client = try Socket.connect(port: port)
            defer { client.close() }
            client.write("GET http://allowed.test/ HTTP/1.1\r\nX-Big: \(String(repeating: "a", count: 2000))\r\n\r\n")
            return client.readResponse()
        }
        #expect(response?.status == 431)
        await proxy.stop()
    }

    @Test("a head that does not arrive within headerTimeout gets 408 and a close")
    func slowHeaders() async throws {
        let proxy = try await RunningProxy.start(allow: ["allowed.test"]) { $0.headerTimeout = .seconds(1) }
        let port = proxy.httpPort
        let (response, elapsed) = try await blocking {
            let started = Date()
            let client = try Socket.connect(port: port)
            defer { client.close() }
            client.write("GET http://allowed.test/ HTTP/1.1\r\nHost: all")
            let response = client.readResponse()
            return (response, Date().timeIntervalSince(started))
        }
        #expect(response?.status == 408)
        #expect(elapsed >= 0.9 && elapsed < 5)
        await proxy.stop()
        let record = try #require(await proxy.records().first)
        #expect(record.key == "warden.sandbox.network.headerTimeoutSeconds")
    }

    @Test("a non-TLS CONNECT tunnel is refused unless allowNonTLSConnect; nothing reaches the upstream")
    func nonTLSConnectRefused() async throws {
        let server = TestServer.echo()
        defer { server.close() }
        let proxy = try await RunningProxy.start(allow: ["allowed.test"])
        let port = proxy.httpPort, target = server.port
        let (head, rest) = try await blocking {
            let client = try Socket.connect(port: port)
            defer { client.close() }
            client.write("CONNECT allowed.test:\(target) HTTP/1.1\r\n\r\n")
            let head = String(decoding: client.readHead() ?? [], as: UTF8.self)
            client.write("SSH-2.0-OpenSSH_9.2\r\n")
            return (head, client.readToEnd())
        }
        #expect(head.hasPrefix("HTTP/1.1 200"))
        #expect(rest.isEmpty)  // closed, and the echo server never saw the bytes to echo them
        await proxy.stop()
        let record = try #require(await proxy.records().first)
        #expect(record.decision == .deny)
        #expect(record.reason.contains("allowNonTLSConnect"))
        #expect(record.bytesUp == 0)
    }

    @Test("the HTTP proxy serves a unix socket, the socket counting as one client")
    func unixSocket() async throws {
        let server = TestServer.httpEcho()
        defer { server.close() }
        let directory = scratchDirectory()
        let path = directory + "/http.sock"
        let proxy = try await RunningProxy.start(allow: ["allowed.test"], http: [.unix(path: path)], socks: [.unix(path: directory + "/socks.sock")])
        let target = server.port
        let response = try await blocking {
            let client = try Socket.connect(unixPath: path)
            defer { client.close() }
            client.write("GET http://allowed.test:\(target)/unix HTTP/1.1\r\nHost: allowed.test\r\n\r\n")
            return client.readResponse()
        }
        let records = await proxy.records()
        #expect(response?.status == 200, "records: \(records)")
        #expect(response?.body.contains("/unix") == true)
        await proxy.stop()
        let record = try #require(records.first)
        #expect(record.client == "unix:\(path)")
    }

    @Test("caps: connections per client and in total get 503 beyond the cap, and are logged")
    func connectionCaps() async throws {
        let proxy = try await RunningProxy.start(allow: ["allowed.test"]) {
            $0.maxConnectionsPerClient = 2
            $0.maxConnections = 3
        }
        let port = proxy.httpPort
        let response = try await blocking {
            let first = try Socket.connect(port: port)
            let second = try Socket.connect(port: port)
            defer { first.close(); second.close() }
            usleep(100_000)
            let third = try Socket.connect(port: port)
            defer { third.close() }
            return third.readResponse()
        }
        #expect(response?.status == 503)
        #expect(response?.body.contains("maxConnectionsPerClient") == true)
        await proxy.stop()
        let record = try #require(await proxy.records().first { $0.key == "proxy.limits" })
        #expect(record.decision == .deny)
    }

    @Test("reload: new connections see the new policy; each record names the policy that judged it, however late it is written")
    func reload() async throws {
        let server = TestServer.httpEcho()
        defer { server.close() }
        let proxy = try await RunningProxy.start(allow: ["allowed.test"]) { $0.policyHash = "sha256:old" }
        let port = proxy.httpPort, target = server.port
        let request = "GET http://other.test:\(target)/ HTTP/1.1\r\nHost: other.test\r\n\r\n"
        let before = try await blocking {
            let client = try Socket.connect(port: port)
            defer { client.close() }
            client.write(request)
            return client.readResponse()?.status
        }
        var reloaded = ProxyConfiguration(policy: egressPolicy(allow: ["other.test"]))
        reloaded.policyHash = "sha256:new"
        proxy.proxy.reload(reloaded)
        let after = try await blocking {
            let client = try Socket.connect(port: port)
            defer { client.close() }
            client.write(request)
            return client.readResponse()?.status
        }
        #expect(before == 403 && after == 200)
        await proxy.stop()
        let records = await proxy.records(atLeast: 2)
        #expect(records.map(\.decision) == [.deny, .allow])
        #expect(records.map(\.policyHash) == ["sha256:old", "sha256:new"])
    }
}

/// A log that takes its time: the proxy must not wait for it.
final class SlowLog: ConnectionLog {
    let seen = MemoryConnectionLog()
    func record(_ record: ConnectionRecord) {
        Thread.sleep(forTimeInterval: 0.5)
        seen.record(record)
    }
}

@Suite("Connection log")
struct ConnectionLogTests {
    @Test("a slow log never stalls the proxy; its records still arrive, in order")
    func slowLog() async throws {
        let server = TestServer.httpEcho()
        defer { server.close() }
        let log = SlowLog()
        let proxy = try await EgressProxy.start(
            configuration: ProxyConfiguration(policy: egressPolicy(allow: ["allowed.test"])),
            http: [.tcp(host: "127.0.0.1", port: 0)], socks: [], log: log,
            resolver: StaticResolver(table: ["allowed.test": [loopback4]]), group: testGroup)
        guard case .tcp(_, let port) = proxy.httpAddresses[0] else { return }
        let target = server.port
        let (statuses, elapsed) = try await blocking {
            let started = Date()
            var statuses: [Int] = []
            let client = try Socket.connect(port: port)
            defer { client.close() }
            for index in 0..<5 {
                client.write("GET http://allowed.test:\(target)/\(index) HTTP/1.1\r\nHost: allowed.test\r\n\r\n")
                statuses.append(client.readResponse()?.status ?? 0)
            }
            return (statuses, Date().timeIntervalSince(started))
        }
        #expect(statuses == [200, 200, 200, 200, 200])
        #expect(elapsed < 1.0, "5 requests took \(elapsed) s with a log that takes 0.5 s a record")
        await proxy.shutdown(drainDeadline: .milliseconds(100))
        // shutdown waits for the queued records to be written.
        let written = log.seen.all
        #expect(written.count == 5 && written.allSatisfy { $0.host == "allowed.test" && $0.decision == .allow })
        #expect(written.map(\.start) == written.map(\.start).sorted())
    }
}
