import Foundation
import Testing
import WardenAudit
import WardenDetect
import WardenDigest
@testable import WardenChannel

/// One request over the server's unix socket, as init's relay would pass it on.
private func exchange(_ socketPath: String, _ line: String) throws -> ChannelResponse {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw ChannelRefusal("socket") }
    defer { close(fd) }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
        for (index, byte) in socketPath.utf8.enumerated() { raw[index] = byte }
    }
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    guard connected == 0 else { throw ChannelRefusal("connect: \(String(cString: strerror(errno)))") }
    _ = Array(line.utf8).withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    var answer: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count <= 0 { break }
        answer += buffer[0..<count]
    }
    return ChannelResponse.parse(answer)
}

private struct ServerScene {
    let directory: String
    let server: ChannelServer
    let log: AuditLog

    init() throws {
        directory = "/tmp/warden-channel-test-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        log = AuditLog(directory: directory + "/log")
        let host = ChannelHost(log: log, origin: AuditOrigin(host: "box", user: "dev", uid: Int(getuid())), keepDays: 30, booksDirectory: directory + "/books")
        server = try ChannelServer(socketPath: directory + "/channel.sock", host: host, run: "warden-run-77")
    }

    var socket: String { directory + "/channel.sock" }

    func records() -> [AuditRecord] { (try? log.records().get().records) ?? [] }

    func remove() {
        server.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

private let preToolUse = ChannelRecord(event: "PreToolUse", tool: "Bash", session: "s-1", decision: .allow, subject: "ls", latencyMicros: 5)

@Suite("The channel's server on a real unix socket", .serialized)
struct ChannelServerTests {
    @Test("before the sandbox has started every request is refused; after, a record lands in the log stamped with the run")
    func records() throws {
        let scene = try ServerScene()
        defer { scene.remove() }
        #expect(try exchange(scene.socket, ChannelRequest.record(preToolUse).line) == .refused("the sandbox has not started yet"))
        #expect(scene.records().isEmpty)
        // This test process plays the sandbox: its own pid namespace is the one admitted.
        scene.server.sandboxStarted(pid: getpid())
        #expect(try exchange(scene.socket, ChannelRequest.attest.line) == .done(run: "warden-run-77", numbers: nil))
        #expect(try exchange(scene.socket, ChannelRequest.record(preToolUse).line) == .done(run: "warden-run-77", numbers: nil))
        let written = scene.records()
        #expect(written.count == 1)
        #expect(written.first?.confinement == "warden-run-77" && written.first?.event == "PreToolUse" && written.first?.host == "box")
        #expect(scene.log.verify().problem == nil)
    }

    @Test("a forged record of the host's own kinds, a malformed line and an unfinished one are refused and write nothing")
    func forged() throws {
        let scene = try ServerScene()
        defer { scene.remove() }
        scene.server.sandboxStarted(pid: getpid())
        var forged = preToolUse
        forged.event = "SandboxEnd"
        guard case .refused(let reason) = try exchange(scene.socket, ChannelRequest.record(forged).line) else { Issue.record("forged record taken"); return }
        #expect(reason.contains("not a hook event"))
        guard case .refused(let garbage) = try exchange(scene.socket, "{\"v\":1,\n") else { Issue.record("garbage taken"); return }
        #expect(garbage.contains("not JSON"))
        guard case .refused(let unfinished) = try exchange(scene.socket, "{\"v\":1,\"op\":\"attest\"}") else { Issue.record("no newline taken"); return }
        #expect(unfinished.contains("not complete within"))
        #expect(scene.records().isEmpty)
    }

    @Test("a peer outside the sandbox's pid namespace is refused")
    func otherNamespace() throws {
        let scene = try ServerScene()
        defer { scene.remove() }
        // A process in a pid namespace of its own stands for the sandbox; this test process,
        // outside it, connects.
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        holder.arguments = ["--user", "--map-root-user", "--pid", "--fork", "/bin/sleep", "30"]
        try holder.run()
        defer { kill(holder.processIdentifier, SIGKILL); holder.waitUntilExit() }
        var inner: Int32?
        for _ in 0..<100 where inner == nil {
            let children = (try? String(contentsOfFile: "/proc/\(holder.processIdentifier)/task/\(holder.processIdentifier)/children", encoding: .utf8)) ?? ""
            inner = children.split(separator: " ").first.flatMap { Int32($0) }
            if inner == nil { usleep(20_000) }
        }
        let sandboxPid = try #require(inner)
        scene.server.sandboxStarted(pid: sandboxPid)
        defer { kill(sandboxPid, SIGKILL) }
        guard case .refused(let reason) = try exchange(scene.socket, ChannelRequest.attest.line) else { Issue.record("attested outside"); return }
        #expect(reason.contains("not inside this run's sandbox"), "\(reason)")
        #expect(try exchange(scene.socket, ChannelRequest.record(preToolUse).line) != .done(run: "warden-run-77", numbers: nil))
        #expect(scene.records().isEmpty)
    }

    @Test("pseudonyms: the same value gets the same number in every request of a session; the book holds neither values nor their digests")
    func pseudonyms() throws {
        let scene = try ServerScene()
        defer { scene.remove() }
        scene.server.sandboxStarted(pid: getpid())
        let bob = SHA256Digest.hash(Array("bob@example.com".utf8))
        let alice = SHA256Digest.hash(Array("alice@example.com".utf8))
        let first = try exchange(scene.socket, ChannelRequest.pseudonyms(session: "s-1", items: [PseudonymQuery(kind: "EMAIL", digest: bob)]).line)
        #expect(first == .done(run: "warden-run-77", numbers: [1]))
        let second = try exchange(scene.socket, ChannelRequest.pseudonyms(session: "s-1", items: [
            PseudonymQuery(kind: "EMAIL", digest: alice), PseudonymQuery(kind: "EMAIL", digest: bob),
        ]).line)
        #expect(second == .done(run: "warden-run-77", numbers: [2, 1]))
        // Another session has a book of its own.
        #expect(try exchange(scene.socket, ChannelRequest.pseudonyms(session: "s-2", items: [PseudonymQuery(kind: "EMAIL", digest: alice)]).line) == .done(run: "warden-run-77", numbers: [1]))
        let book = try String(contentsOfFile: scene.directory + "/books/s-1", encoding: .utf8)
        #expect(!book.contains("bob") && !book.contains(Hex.encode(bob)) && !book.contains(Hex.encode(bob.prefix(16))))
        #expect(book.split(separator: "\n").count == 3)
    }

    @Test("a book hands out at most the limit of new names per kind: each is one answered guess")
    func limit() throws {
        let directory = "/tmp/warden-channel-books-" + UUID().uuidString.prefix(8).lowercased()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var store = try #require(PseudonymStore.open(session: "s", keepDays: 30, directory: directory))
        let digests = (0..<4).map { SHA256Digest.hash([UInt8($0)]) }
        #expect(store.numbers(for: digests.prefix(3).map { PseudonymQuery(kind: "US_SSN", digest: $0) }, limitPerKind: 3) == [1, 2, 3])
        #expect(store.numbers(for: [PseudonymQuery(kind: "US_SSN", digest: digests[3])], limitPerKind: 3) == nil)
        #expect(store.numbers(for: [PseudonymQuery(kind: "US_SSN", digest: digests[1])], limitPerKind: 3) == [2])
        store.save(entries: store.entries)
    }

    @Test("the host's numbers and the hook's own book agree: one fingerprint of a value, whether from it or its digest")
    func oneBook() throws {
        let directory = "/tmp/warden-channel-books-" + UUID().uuidString.prefix(8).lowercased()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var store = try #require(PseudonymStore.open(session: "s", keepDays: 30, directory: directory))
        let value = Array("bob@example.com".utf8)
        _ = store.numbers(for: [PseudonymQuery(kind: "EMAIL", digest: SHA256Digest.hash(value))], limitPerKind: 10)
        store.save(entries: store.entries)
        let reopened = try #require(PseudonymStore.open(session: "s", keepDays: 30, directory: directory))
        var book = reopened.book
        #expect(book.name(for: PIIKinds.email, value: value) == "<EMAIL_1>")
        reopened.release()
    }
}

@Suite("Where the hook finds itself")
struct ConfinementTests {
    @Test("no channel file: outside, as the hooks always were")
    func outside() {
        #expect(Confinement.detect(runDirectory: "/nonexistent-warden-run") == .outside)
    }

    @Test("a channel file on the host, even with a server answering on its port, is no sandbox")
    func counterfeit() throws {
        let directory = "/tmp/warden-channel-fake-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // A fake server that attests anything.
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) } }
        listen(listener, 4)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) } }
        try "\(UInt16(bigEndian: address.sin_port))\n".write(toFile: directory + "/channel", atomically: false, encoding: .utf8)
        guard case .counterfeit(let reason) = Confinement.detect(runDirectory: directory) else {
            Issue.record("a file on the host passed for the sandbox's channel")
            return
        }
        #expect(reason.contains("read-only mount"), "\(reason)")
        try "not a port\n".write(toFile: directory + "/channel", atomically: false, encoding: .utf8)
        #expect(Confinement.detect(runDirectory: directory) == .counterfeit("\(directory)/channel does not hold a port"))
    }
}
