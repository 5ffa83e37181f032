import Foundation
import Subprocess
import Testing

/// `warden connect` through Debian's microsocks, a real SOCKS5 server, to an echo server on loopback.
@Suite(.serialized) struct ConnectProcessTests {
    /// A free loopback port: bound, read and released (a small race with other programs, fine here).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// A helper process in the background, spawned and reaped here: Foundation's Process would
    /// reap children that swift-subprocess (runWarden) is waiting for.
    struct Background {
        let pid: pid_t
        let stdout: Int32

        init(_ arguments: [String]) throws {
            var pipe: [Int32] = [0, 0]
            guard Glibc.pipe(&pipe) == 0 else { throw POSIXError(.EMFILE) }
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_adddup2(&actions, pipe[1], 1)
            posix_spawn_file_actions_addclose(&actions, pipe[0])
            var argv = arguments.map { strdup($0) } + [nil]
            defer { for pointer in argv { free(pointer) } }
            // The test runner's threads block signals; a child must not inherit that mask.
            var attributes = posix_spawnattr_t()
            posix_spawnattr_init(&attributes)
            defer { posix_spawnattr_destroy(&attributes) }
            var none = sigset_t()
            sigemptyset(&none)
            posix_spawnattr_setsigmask(&attributes, &none)
            posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
            var pid: pid_t = 0
            let status = posix_spawnp(&pid, arguments[0], &actions, &attributes, &argv, environ)
            close(pipe[1])
            guard status == 0 else { throw POSIXError(POSIXErrorCode(rawValue: status) ?? .ENOENT) }
            self.pid = pid
            self.stdout = pipe[0]
        }

        /// The first line the process writes.
        func firstLine() -> String {
            var line = [UInt8]()
            var byte: UInt8 = 0
            while read(stdout, &byte, 1) == 1, byte != 10 { line.append(byte) }
            return String(decoding: line, as: UTF8.self)
        }

        func stop() {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            close(stdout)
        }
    }

    /// Waits until something accepts connections on the port (bounded: 5 s).
    static func waitForListener(_ port: Int) async throws {
        for _ in 0..<100 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = UInt16(port).bigEndian
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            close(fd)
            if connected == 0 { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("nothing listens on 127.0.0.1:\(port)")
    }

    @Test func relaysBothWaysThroughARealSocksServer() async throws {
        let socksPort = try Self.freePort()
        let socks = try Background(["microsocks", "-i", "127.0.0.1", "-p", String(socksPort)])
        defer { socks.stop() }
        // A server that answers the first line and closes, as a banner-and-reply protocol does.
        let echoScript = """
            import socket
            s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
            print(s.getsockname()[1], flush=True)
            c, _ = s.accept(); data = b""
            while not data.endswith(b"\\n"):
                chunk = c.recv(65536)
                if not chunk: break
                data += chunk
            c.sendall(data.upper()); c.close()
            """
        let echo = try Background(["python3", "-c", echoScript])
        defer { echo.stop() }
        let echoPort = try #require(Int(echo.firstLine()))
        try await Self.waitForListener(socksPort)

        // Standard input stays open while the answer comes back (microsocks ends a tunnel on the
        // first end of input it sees, so a half-close cannot be shown through it); the relay
        // ends when the server closes, without waiting for standard input.
        let warden = builtProduct("warden", override: "WARDEN_BIN")
        let script = "(printf 'hello through socks\\n'; sleep 5) | \(warden) connect --socks 127.0.0.1:\(socksPort) localhost \(echoPort)"
        let result = try await run(.path("/bin/sh"), arguments: ["-c", script], output: .string(limit: 4096), error: .string(limit: 4096))
        #expect(result.terminationStatus == .exited(0), "\(result.standardError ?? "")")
        #expect(result.standardOutput == "HELLO THROUGH SOCKS\n")
    }

    @Test func aRefusalIsOneLineNamingTheHost() async throws {
        let socksPort = try Self.freePort()
        let closedPort = try Self.freePort()
        let socks = try Background(["microsocks", "-i", "127.0.0.1", "-p", String(socksPort)])
        defer { socks.stop() }
        try await Self.waitForListener(socksPort)
        let result = try await runWarden(["connect", "--socks", "127.0.0.1:\(socksPort)", "127.0.0.1", String(closedPort)], stdin: "")
        #expect(result.exitCode == 1)
        #expect(result.stderr.hasPrefix("warden: the SOCKS proxy refused 127.0.0.1:\(closedPort): "), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1)
    }

    @Test func aProxyThatIsNotThereIsSaid() async throws {
        let port = try Self.freePort()
        let result = try await runWarden(["connect", "--socks", "127.0.0.1:\(port)", "example.com", "22"], stdin: "")
        #expect(result.exitCode == 1)
        #expect(result.stderr == "warden: cannot reach the SOCKS proxy at 127.0.0.1:\(port): Connection refused\n")
    }
}
