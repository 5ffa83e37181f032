import Foundation
import Testing
import WardenNetwork
@testable import WardenProxy

// Private ranges end to end: each test makes a network namespace of its own (`ip netns add`),
// joined to the test's namespace by a veth pair, with a 10/8, a 172.16/12, a 192.168/16 and an
// fc00::/7 subnet on the link, and a real echo server inside at the private addresses. The
// proxy, in this process, connects to those addresses over the veth link: nothing leaves the
// machine, and the namespace (with its link and routes) is deleted after each test, failed or not.
//
// Names are resolved by the proxy's injectable resolver (`HostResolver`, a `StaticResolver`
// here), since no DNS on this machine knows the test names; the connect itself goes to the real
// address in the namespace, which the server's own log of (local address, peer) proves.

/// A network namespace with a veth link to this one and one private subnet per range.
final class PrivateNetwork: @unchecked Sendable {
    let namespace: String
    let hostLink: String
    /// The server's addresses inside the namespace, one per private range.
    let ten: IPAddress, oneSevenTwo: IPAddress, oneNineTwo: IPAddress, uniqueLocal: IPAddress
    /// This side's address on the 10/8 subnet (the peer the server sees for IPv4 connects).
    let hostTen: IPAddress
    private var server: Process?
    private let scratch: String

    var all: [IPAddress] { [ten, oneSevenTwo, oneNineTwo, uniqueLocal] }

    /// Runs `body` with a fresh namespace and an echo server on `port` inside it; the
    /// namespace is deleted afterwards whatever `body` did.
    static func with<T>(serverPort port: Int, _ body: (PrivateNetwork) async throws -> T) async throws -> T {
        let network = try PrivateNetwork()
        defer { network.destroy() }
        try network.startServer(port: port)
        return try await body(network)
    }

    private init() throws {
        PrivateNetwork.removeStale()
        let tag = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        namespace = "wpt-\(getpid())-\(tag)"
        hostLink = "wpt\(tag)h"
        scratch = scratchDirectory()
        // Subnets no route of this machine's covers (only the default route may match), so the
        // test's link shadows nothing real.
        func pick(_ make: () -> (host: String, inside: String, prefix: Int)) throws -> (IPAddress, IPAddress, Int) {
            for _ in 0..<20 {
                let (host, inside, prefix) = make()
                let family = inside.contains(":") ? "-6" : "-4"
                let routes = try PrivateNetwork.ip([family, "route", "show", "match", inside]).output
                    .split(separator: "\n").filter { !$0.hasPrefix("default") }
                if routes.isEmpty { return (IPAddress.parse(host)!, IPAddress.parse(inside)!, prefix) }
            }
            throw TestError("no free private subnet for the test namespace")
        }
        let r = { Int.random(in: 1...250) }
        let v4a = try pick { let (a, b) = (r(), r()); return ("10.\(a).\(b).1", "10.\(a).\(b).2", 30) }
        let v4b = try pick { let (a, b) = (Int.random(in: 16...31), r()); return ("172.\(a).\(b).1", "172.\(a).\(b).2", 30) }
        let v4c = try pick { let b = r(); return ("192.168.\(b).1", "192.168.\(b).2", 30) }
        let v6 = try pick {
            let h = { String(UInt16.random(in: 1...0xffff), radix: 16) }
            let prefix = "fd57:\(h()):\(h()):\(h())"
            return ("\(prefix)::1", "\(prefix)::2", 64)
        }
        (hostTen, ten) = (v4a.0, v4a.1)
        oneSevenTwo = v4b.1
        oneNineTwo = v4c.1
        uniqueLocal = v6.1
        let inner = "wpt\(tag)n"
        var steps: [[String]] = [
            ["netns", "add", namespace],
            ["link", "add", hostLink, "type", "veth", "peer", "name", inner, "netns", namespace],
        ]
        for (host, inside, prefix) in [v4a, v4b, v4c, v6] {
            let family = host.isIPv4 ? "-4" : "-6"
            let flags = host.isIPv4 ? [] : ["nodad"]  // no duplicate-address wait on a private link
            steps.append([family, "addr", "add", "\(host)/\(prefix)", "dev", hostLink] + flags)
            steps.append(["-n", namespace, family, "addr", "add", "\(inside)/\(prefix)", "dev", inner] + flags)
        }
        steps += [
            ["link", "set", hostLink, "up"],
            ["-n", namespace, "link", "set", inner, "up"],
            ["-n", namespace, "link", "set", "lo", "up"],
        ]
        do {
            for step in steps {
                let result = try PrivateNetwork.ip(step)
                guard result.status == 0 else { throw TestError("ip \(step.joined(separator: " ")): \(result.error)") }
            }
        } catch {
            destroy()
            throw error
        }
    }

    /// An echo server listening on every address of the namespace (IPv4 and IPv6) on `port`,
    /// which writes `local-address peer-address` per connection to its log before echoing.
    private func startServer(port: Int) throws {
        let script = """
            import socket, sys, threading
            port, log, ready = int(sys.argv[1]), sys.argv[2], sys.argv[3]
            listener = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            listener.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("::", port))
            listener.listen(64)
            open(ready, "w").close()
            lock = threading.Lock()
            def plain(address):
                return address[7:] if address.startswith("::ffff:") else address
            def serve(connection, local, peer):
                with lock, open(log, "a") as out:
                    out.write(f"{plain(local)} {plain(peer)}\\n")
                try:
                    while data := connection.recv(65536):
                        connection.sendall(data)
                finally:
                    connection.close()
            while True:
                connection, peer = listener.accept()
                threading.Thread(target=serve, args=(connection, connection.getsockname()[0], peer[0]), daemon=True).start()
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["ip", "netns", "exec", namespace, "python3", "-c", script, String(port), scratch + "/connections", scratch + "/ready"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        server = process
        for _ in 0..<250 where !FileManager.default.fileExists(atPath: scratch + "/ready") {
            guard process.isRunning else { throw TestError("the namespace's echo server exited at start") }
            usleep(20_000)
        }
        guard FileManager.default.fileExists(atPath: scratch + "/ready") else { throw TestError("the namespace's echo server did not start") }
    }

    /// What the server was connected to, and from where: (local address, peer address).
    var connections: [(local: String, peer: String)] {
        let text = (try? String(contentsOfFile: scratch + "/connections", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map { line in
            let parts = line.split(separator: " ")
            return (String(parts.first ?? ""), String(parts.last ?? ""))
        }
    }

    func destroy() {
        if let server, server.isRunning {
            // SIGKILL: the test runner's children inherit a mask that blocks SIGTERM.
            kill(server.processIdentifier, SIGKILL)
            server.waitUntilExit()
        }
        server = nil
        // Deleting the namespace deletes both ends of the veth pair and the routes with them.
        _ = try? PrivateNetwork.ip(["netns", "delete", namespace])
        try? FileManager.default.removeItem(atPath: scratch)
    }

    /// Namespaces left behind by test processes that died before deleting theirs.
    private static func removeStale() {
        guard let list = try? ip(["netns", "list"]).output else { return }
        for line in list.split(separator: "\n") {
            let name = String(line.split(separator: " ").first ?? "")
            let parts = name.split(separator: "-")
            guard parts.count == 3, parts[0] == "wpt", let pid = Int32(parts[1]), pid != getpid(),
                  kill(pid, 0) != 0, errno == ESRCH else { continue }
            _ = try? ip(["netns", "delete", name])
        }
    }

    @discardableResult
    static func ip(_ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
        try runProcess(["ip"] + arguments)
    }
}

extension IPAddress {
    var uriHost: String { isIPv4 ? description : "[\(description)]" }
}

@Suite("Private ranges in network namespaces", .serialized,
       .enabled(if: getuid() == 0, "creating network namespaces (ip netns add) and veth links needs root"))
struct PrivateRangeTests {
    /// CONNECT through the HTTP proxy, then `send` echoed back: the status and what came back
    /// (the 403's body when refused).
    static func connect(proxyPort: Int, to authority: String, send: String = "hello") throws -> (status: Int, reply: String) {
        let client = try Socket.connect(port: proxyPort)
        defer { client.close() }
        client.write("CONNECT \(authority) HTTP/1.1\r\nHost: \(authority)\r\n\r\n")
        guard let response = client.readResponse() else { return (0, "") }
        guard response.status == 200 else { return (response.status, response.body) }
        client.write(send)
        return (200, String(decoding: client.read(exactly: send.utf8.count) ?? [], as: UTF8.self))
    }

    @Test("an allowed name resolving into 10/8, 172.16/12, 192.168/16 or fc00::/7 is reached (CONNECT and SOCKS5); the record names the address")
    func allowedNamesReachPrivateAddresses() async throws {
        let port = Int.random(in: 20000...60000)
        try await PrivateNetwork.with(serverPort: port) { network in
            let names = ["ten.corp.test", "b.corp.test", "c.corp.test", "six.corp.test"]
            let resolver = StaticResolver(table: Dictionary(uniqueKeysWithValues: zip(names, network.all.map { [$0] })))
            let proxy = try await RunningProxy.start(allow: ["*.corp.test"], resolver: resolver) { $0.allowNonTLSConnect = true }
            let (httpPort, socksPort) = (proxy.httpPort, proxy.socksPort)
            for name in names {
                let result = try await blocking { try Self.connect(proxyPort: httpPort, to: "\(name):\(port)") }
                #expect(result.status == 200 && result.reply == "hello", "\(name): \(result)")
            }
            let socks = try await blocking {
                try SOCKSProxyTests.exchange(port: socksPort, request: SOCKSProxyTests.connectRequest(domain: "six.corp.test", port: port), then: "hi")
            }
            #expect(socks.reply == 0 && String(decoding: socks.rest, as: UTF8.self) == "hi")
            await proxy.stop()
            let records = await proxy.records(atLeast: 5)
            for (name, address) in zip(names, network.all) {
                let record = try #require(records.first { $0.host == name && $0.proto == .connect })
                #expect(record.decision == .allow && record.address == address.description && record.rule == "*.corp.test")
            }
            #expect(records.contains { $0.proto == .socks5 && $0.address == network.uniqueLocal.description && $0.decision == .allow })
            // The server was reached at exactly those addresses, from this side of the link.
            let reached = network.connections.map(\.local)
            #expect(Set(reached) == Set(network.all.map(\.description)))
            #expect(network.connections.first { $0.local == network.ten.description }?.peer == network.hostTen.description)
        }
    }

    @Test("rebinding: a wildcard name resolving to loopback is refused while one resolving to a private address is allowed; a name resolving to both reaches only the private one")
    func rebindingBesidePrivate() async throws {
        // A loopback server on the same port as the namespace's: it must never be reached.
        let loopbackServer = TestServer.echo()
        defer { loopbackServer.close() }
        let port = loopbackServer.port
        try await PrivateNetwork.with(serverPort: port) { network in
            let resolver = StaticResolver(table: [
                "loop.corp.test": [loopback4],
                "lan.corp.test": [network.ten],
                "both.corp.test": [loopback4, network.oneNineTwo],
            ])
            let proxy = try await RunningProxy.start(allow: ["*.corp.test"], resolver: resolver) { $0.allowNonTLSConnect = true }
            let httpPort = proxy.httpPort
            let loop = try await blocking { try Self.connect(proxyPort: httpPort, to: "loop.corp.test:\(port)") }
            #expect(loop.status == 403 && loop.reply.contains("127.0.0.1") && loop.reply.contains("rebinding"))
            let lan = try await blocking { try Self.connect(proxyPort: httpPort, to: "lan.corp.test:\(port)") }
            #expect(lan.status == 200 && lan.reply == "hello")
            let both = try await blocking { try Self.connect(proxyPort: httpPort, to: "both.corp.test:\(port)", send: "both") }
            #expect(both.status == 200 && both.reply == "both")
            #expect(loopbackServer.connectionCount == 0)
            #expect(network.connections.map(\.local) == [network.ten.description, network.oneNineTwo.description])
            await proxy.stop()
            let records = await proxy.records(atLeast: 3)
            #expect(records.contains { $0.host == "loop.corp.test" && $0.decision == .deny && $0.address == "127.0.0.1" })
            #expect(records.contains { $0.host == "lan.corp.test" && $0.decision == .allow && $0.address == network.ten.description })
            #expect(records.contains { $0.host == "both.corp.test" && $0.decision == .allow && $0.address == network.oneNineTwo.description })
        }
    }

    @Test("a private address that is not allowed, or that a deny range covers, is refused and never connected; a listed one is reached")
    func privateAddressesNotAllowed() async throws {
        let port = Int.random(in: 20000...60000)
        try await PrivateNetwork.with(serverPort: port) { network in
            let resolver = StaticResolver(table: ["denied.corp.test": [network.oneSevenTwo]])
            let proxy = try await RunningProxy.start(
                allow: ["*.corp.test", network.ten.description], deny: ["172.16.0.0/12"], resolver: resolver
            ) { $0.allowNonTLSConnect = true }
            let (httpPort, socksPort) = (proxy.httpPort, proxy.socksPort)
            let unlisted = try await blocking { try Self.connect(proxyPort: httpPort, to: "\(network.oneNineTwo):\(port)") }
            #expect(unlisted.status == 403 && unlisted.reply.contains("sandbox.network.allowedDomains"))
            let denied = try await blocking { try Self.connect(proxyPort: httpPort, to: "denied.corp.test:\(port)") }
            #expect(denied.status == 403 && denied.reply.contains("172.16.0.0/12") && denied.reply.contains("deniedDomains"))
            let v6 = network.uniqueLocal
            let socks = try await blocking {
                try SOCKSProxyTests.exchange(port: socksPort, request: SOCKSProxyTests.connectRequest(address: v6.bytes, port: port))
            }
            #expect(socks.reply == 2)
            #expect(network.connections.isEmpty)
            let listed = try await blocking { try Self.connect(proxyPort: httpPort, to: "\(network.ten):\(port)") }
            #expect(listed.status == 200 && listed.reply == "hello")
            #expect(network.connections.map(\.local) == [network.ten.description])
            await proxy.stop()
            let records = await proxy.records(atLeast: 4)
            #expect(records.contains { $0.host == network.oneNineTwo.description && $0.decision == .deny && $0.key == "default" })
            #expect(records.contains { $0.host == "denied.corp.test" && $0.decision == .deny && $0.address == network.oneSevenTwo.description && $0.rule == "172.16.0.0/12" })
            #expect(records.contains { $0.proto == .socks5 && $0.host == v6.description && $0.decision == .deny })
            #expect(records.contains { $0.host == network.ten.description && $0.decision == .allow && $0.address == network.ten.description })
        }
    }
}
