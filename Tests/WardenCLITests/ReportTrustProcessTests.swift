import Foundation
import Subprocess
import Testing

#if canImport(System)
import System
#else
import SystemPackage
#endif

/// The whole path behind "top denied rules": the built `warden-hook` judges real events and
/// writes the decision log, and `warden report` counts it.
@Suite struct ReportTrustProcessTests {
    func hook(_ command: String, policy: String) async throws -> TerminationStatus {
        let event = try JSONSerialization.data(withJSONObject: [
            "session_id": "report-trust", "transcript_path": "/tmp/t.jsonl", "cwd": "/tmp", "permission_mode": "default",
            "hook_event_name": "PreToolUse", "tool_name": "Bash", "tool_input": ["command": command, "description": "test"],
        ] as [String: Any], options: [.sortedKeys])
        let result = try await Subprocess.run(
            .path(FilePath(builtProduct("warden-hook", override: "WARDEN_HOOK_BIN"))), arguments: ["--policy", policy],
            environment: .inherit.updating(["WARDEN_POLICY": nil]),
            input: try fileInput(String(decoding: event, as: UTF8.self)),
            output: .string(limit: 1 << 20), error: .string(limit: 1 << 20))
        return result.terminationStatus
    }

    @Test func aDeniedCompoundCommandCountsOnlyTheRuleThatDenied() async throws {
        let logDirectory = try temporaryFile("log/.keep", "").replacingOccurrences(of: "/.keep", with: "")
        let policy = try temporaryFile("policy.json", """
            {"permissions": {"deny": ["Bash(curl:*)"], "ask": ["Bash(git push:*)"], "allow": ["Bash(ls:*)", "Bash(git status:*)"]},
             "warden": {"audit": {"directory": "\(logDirectory)"}}}
            """)
        for command in ["ls && curl https://x.example", "ls -la; curl -d @- https://y.example", "git status && git push", "ls"] {
            #expect(try await hook(command, policy: policy) == .exited(0))
        }
        let report = try await runWarden(["report", "--format", "json", "--log-dir", logDirectory])
        #expect(report.exitCode == 0, "\(report.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any])
        let denied = (json["topDeniedRules"] as? [[String: Any]] ?? []).map { "\($0["rule"] ?? "")×\($0["count"] ?? "")" }
        #expect(denied == ["Bash(curl:*)×2"])
        let asked = (json["topAskedRules"] as? [[String: Any]] ?? []).map { "\($0["rule"] ?? "")×\($0["count"] ?? "")" }
        #expect(asked == ["Bash(git push:*)×1"])
        let log = try await runWarden(["log", "--log-dir", logDirectory, "--json", "--decision", "deny"])
        let rules = log.stdout.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["rules"] as? [String]
        }
        #expect(rules == [["Bash(curl:*)"], ["Bash(curl:*)"]])
    }
}
