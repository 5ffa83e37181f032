import Foundation
import Testing
@testable import WardenProxy

/// `warden proxy` as a process: the built executable beside this test bundle.
@Suite("warden proxy", .serialized)
struct ProxyCommandTests {
    static var warden: String {
        URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0]).deletingLastPathComponent().appendingPathComponent("warden").path
    }

    static func policy(allow: [String], log: String) -> String {
        let list = allow.map { "\"\($0)\"" }.joined(separator: ", ")
        return #"{"sandbox": {"network": {"allowedDomains": [\#(list)]}}, "warden": {"audit": {"directory": "\#(log)"}}}"#
    }

    static func get(port: Int, url: String) throws -> Int {
        let client = try Socket.connect(port: port)
        defer { client.close() }
        client.write("GET \(url) HTTP/1.1\r\nHost: x\r\n\r\n")
        return client.readResponse()?.status ?? 0
    }

    @Test("listens (one line on stderr), reloads on SIGHUP, keeps the old policy when the new one is invalid, stops on SIGTERM, logs Network records")
    func lifecycle() async throws {
        guard FileManager.default.isExecutableFile(atPath: Self.warden) else {
            Issue.record("no warden executable at \(Self.warden): build with swift build --build-tests")
            return
        }
        let server = TestServer.httpEcho()
        defer { server.close() }
        let directory = scratchDirectory()
        let policyPath = directory + "/policy.json"
        try Self.policy(allow: ["127.0.0.2"], log: directory + "/log").write(toFile: policyPath, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.warden)
        process.arguments = ["proxy", "--policy", policyPath, "--http", "127.0.0.1:0", "--socks", directory + "/socks.sock", "--drain-seconds", "1"]
        var environment = ProcessInfo.processInfo.environment
        for name in ["HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy", "WARDEN_POLICY"] { environment[name] = nil }
        process.environment = environment
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        let reader = errors.fileHandleForReading
        let first = String(decoding: reader.availableDataLine(), as: UTF8.self)
        #expect(first.hasPrefix("warden proxy: listening on http 127.0.0.1:"))
        #expect(first.contains("socks5 \(directory)/socks.sock"))
        let port = Int(first.split(separator: ":")[2].prefix { $0.isNumber }) ?? 0
        let target = server.port
        let url = "http://127.0.0.1:\(target)/"

        let before = try await blocking { try Self.get(port: port, url: url) }
        #expect(before == 403)

        try Self.policy(allow: ["127.0.0.1"], log: directory + "/log").write(toFile: policyPath, atomically: true, encoding: .utf8)
        kill(process.processIdentifier, SIGHUP)
        #expect(String(decoding: reader.availableDataLine(), as: UTF8.self).hasPrefix("warden proxy: reloaded"))
        let after = try await blocking { try Self.get(port: port, url: url) }
        #expect(after == 200)

        try "{\"sandbox\": ".write(toFile: policyPath, atomically: true, encoding: .utf8)
        kill(process.processIdentifier, SIGHUP)
        #expect(String(decoding: reader.availableDataLine(), as: UTF8.self).hasPrefix("warden proxy: kept the previous policy: invalid policy \(policyPath):"))
        let kept = try await blocking { try Self.get(port: port, url: url) }
        #expect(kept == 200)

        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let log = try FileManager.default.contentsOfDirectory(atPath: directory + "/log").filter { $0.hasSuffix(".jsonl") }
        let lines = try log.flatMap { try String(contentsOfFile: directory + "/log/" + $0, encoding: .utf8).split(separator: "\n") }
        #expect(lines.count == 3)
        #expect(lines.allSatisfy { $0.contains("\"event\":\"Network\"") && $0.contains("\"network\":{\"proto\":\"http\"") })
        // The record after the reload names the new policy's hash.
        let hashes = lines.compactMap { line in line.range(of: "\"policy\":\"sha256:").map { String(line[$0.upperBound...].prefix(64)) } }
        #expect(hashes.count == 3 && hashes[0] != hashes[1] && hashes[1] == hashes[2])
    }

    @Test("bad arguments: one line, exit 64; an invalid policy: one line naming the file, exit 1")
    func errors() throws {
        let none = try runProcess([Self.warden, "proxy"])
        #expect(none.status == 64)
        #expect(none.error.contains("--http") && none.error.split(separator: "\n").count == 1)
        let directory = scratchDirectory()
        try "{\"sandbox\": {\"network\": {\"allowedDomains\": [\"bad host\"]}}}".write(toFile: directory + "/p.json", atomically: true, encoding: .utf8)
        let invalid = try runProcess([Self.warden, "proxy", "--policy", directory + "/p.json", "--http", "127.0.0.1:0"])
        #expect(invalid.status == 1)
        #expect(invalid.error.hasPrefix("warden: invalid policy \(directory)/p.json:"))
        #expect(invalid.error.split(separator: "\n").count == 1)
    }
}

extension FileHandle {
    /// One line of what the process writes, waiting for it (up to 10 s).
    func availableDataLine() -> Data {
        var line = Data()
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            let byte = readData(ofLength: 1)
            if byte.isEmpty || byte == Data([10]) { break }
            line.append(byte)
        }
        return line
    }
}
