import Foundation
import Testing

/// `warden doctor`'s runtime checks on this machine, with the real bwrap and kernel, and the real
/// Claude Code CLI put on PATH.
@Suite struct DoctorProcessTests {
    @Test func checksTheSandboxClaudeAndTheRegistrationOneLineEach() async throws {
        let bin = FileManager.default.temporaryDirectory.appendingPathComponent("warden-doctor-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        var path = "/usr/local/bin:/usr/bin:/bin"
        if let claude = ProcessInfo.processInfo.environment["WARDEN_CLAUDE_BIN"], !claude.isEmpty {
            try FileManager.default.createSymbolicLink(atPath: bin + "/claude", withDestinationPath: claude)
            path = bin + ":" + path
        }
        let policy = try temporaryFile("policy.json", #"{"permissions": {"deny": ["Bash(curl:*)"]}}"#)
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("warden-doctor-state-\(UUID().uuidString)").path
        let result = try await runWarden(["doctor", "--policy", policy], environment: [
            "PATH": path, "WARDEN_CLAUDE_FUNCTION": "1", "XDG_STATE_HOME": state, "ANTHROPIC_BASE_URL": nil,
        ])
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.allSatisfy { $0.hasPrefix("ok    ") || $0.hasPrefix("FAIL  ") }, "\(result.stdout)")
        #expect(lines.contains("ok    policy: \(policy) is valid"))
        #expect(lines.contains { $0.hasPrefix("ok    bwrap: ") && $0.contains("builds a sandbox") })
        #expect(lines.contains("ok    seccomp: the kernel loads seccomp filters"))
        #expect(lines.contains { $0.hasPrefix("ok    landlock: ABI ") })
        #expect(lines.contains("ok    claude function: active in this shell (claude runs inside warden run)"))
        #expect(lines.contains("ok    proxy ports: http 127.0.0.1:3128, socks5 127.0.0.1:1080 inside the sandbox (its own network namespace)"))
        if ProcessInfo.processInfo.environment["WARDEN_CLAUDE_BIN"] != nil {
            #expect(lines.contains { $0.hasPrefix("ok    claude: \(bin)/claude (") && $0.contains("Claude Code") }, "\(result.stdout)")
        }
        // Every FAIL names its fix, and the status says whether there was one.
        for line in lines where line.hasPrefix("FAIL  ") { #expect(line.contains("fix"), "\(line)") }
        #expect(result.exitCode == (lines.contains { $0.hasPrefix("FAIL  ") } ? 1 : 0))
    }

    @Test func aClaudeMissingFromPathAndAClashingPortAreFailuresWithTheirFix() async throws {
        let policy = try temporaryFile("policy.json", #"{"sandbox": {"network": {"httpProxyPort": 8080}}}"#)
        let result = try await runWarden(["doctor", "--policy", policy], environment: [
            "PATH": "/usr/bin:/bin", "WARDEN_CLAUDE_FUNCTION": nil, "ANTHROPIC_BASE_URL": "http://127.0.0.1:8080",
        ])
        #expect(result.exitCode == 1)
        #expect(result.stdout.contains("FAIL  claude: no Claude Code on PATH besides Warden's own function and shim; fix: "))
        #expect(result.stdout.contains("FAIL  claude function: not active in this shell, so `claude` starts without the sandbox; fix: "))
        #expect(result.stdout.contains("FAIL  proxy ports: ANTHROPIC_BASE_URL's port 8080 is also httpProxyPort; fix: "))
    }
}
