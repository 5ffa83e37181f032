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
        // Once the proxy has stopped, its port is free again: its listening sockets are
        // close-on-exec, so no program the other tests start keeps them open for its life. A
        // child between its fork and its exec still holds a copy of every descriptor (close-on-
        // exec acts at the exec): while the tests beside this one spawn programs, the port may
        // stay taken for that moment, so it is tried again for up to two seconds.
        var again: RunningProxy?
        var lastError: (any Error)?
        for _ in 0..<100 where again == nil {
            do { again = try await RunningProxy.start(allow: [], http: [.tcp(host: "127.0.0.1", port: port)], socks: []) } catch {
                lastError = error
                try await Task.sleep(nanoseconds: 20_000_000)
            }
        }
        guard let again else {
            Issue.record("the port of a stopped proxy is still taken two seconds later: \(lastError.map { "\($0)" } ?? "")")
            return
        }
        #expect(again.httpPort == port)
        await again.stop()
    }

    @Test("the listening sockets are close-on-exec: a program started meanwhile does not hold them")
    func listenersAreNotInherited() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("warden-listen-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let proxy = try await RunningProxy.start(allow: [], http: [.tcp(host: "127.0.0.1", port: 0)], socks: [.unix(path: directory + "/socks.sock")])
        defer { Task { await proxy.stop() } }
        // The listening sockets' inodes: the TCP port's from /proc/net/tcp, the unix path's from /proc/net/unix.
        let hexPort = String(format: "%04X", proxy.httpPort)
        let tcp = try Self.wholeProcFile("/proc/net/tcp").split(separator: "\n")
            .filter { $0.contains("0100007F:\(hexPort) 00000000:0000 0A") }.map { String($0.split(separator: " ")[9]) }
        let unix = try Self.wholeProcFile("/proc/net/unix").split(separator: "\n")
            .filter { $0.hasSuffix(directory + "/socks.sock") }.map { String($0.split(separator: " ")[6]) }
        try #require(!tcp.isEmpty && !unix.isEmpty, "found the listeners: tcp \(tcp), unix \(unix)")
        // A plain posix_spawn passes on every descriptor that is not close-on-exec.
        let listingPath = directory + "/fds"
        var pid: pid_t = 0
        let words: [String] = ["/bin/sh", "-c", "ls -l /proc/self/fd > \(listingPath)"]
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        try #require(posix_spawn(&pid, "/bin/sh", nil, nil, argv, environ) == 0)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let listing = try String(contentsOfFile: listingPath, encoding: .utf8)
        try #require(listing.contains("socket:") || listing.contains("pipe:") || listing.contains("/proc/"), "\(listing)")
        for inode in tcp + unix {
            #expect(!listing.contains("socket:[\(inode)]"), "the child holds listener \(inode): \(listing)")
        }
    }

    /// A /proc file read to its end. `String(contentsOfFile:)` stops after the first read of a
    /// file whose size is 0, so a /proc/net table longer than a page (the other tests' sockets
    /// beside this one's) came back cut short, without this test's listener in it.
    static func wholeProcFile(_ path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw TestError("cannot open \(path)") }
        defer { try? handle.close() }
        return String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
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
