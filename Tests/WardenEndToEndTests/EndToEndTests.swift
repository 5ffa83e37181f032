import Foundation
import Testing

/// The real Claude Code CLI, with `warden-hook` registered as its hook, driven by a scripted model
/// (Fixtures/fake_messages_api.py). Assertions are on the requests the model server received:
/// exactly what a real model would have seen.
///
/// Needs the `claude` binary (`WARDEN_CLAUDE_BIN`, or the pip package claude-agent-sdk:
/// Scripts/install-claude-code.sh). Without it these tests are skipped, unless
/// `WARDEN_E2E_REQUIRED=1` (CI), when they fail.
@Suite(
    "Claude Code end to end",
    .enabled("the Claude Code CLI is not installed (Scripts/install-claude-code.sh, or set WARDEN_CLAUDE_BIN)") {
        await ClaudeCode.shouldRun()
    }
)
struct EndToEndTests {
    static let secretValue = "e2e-7f3a9c2b-do-not-leak"
    static let secret = "API_TOKEN=" + secretValue

    static let policy = """
        {"permissions": {"deny": ["Read(**/.env)", "Bash(curl:*)"]}}
        """

    static let projectFiles = [
        ".env": secret + "\n",
        "hello.txt": "hello from the project\n",
    ]

    @Test("a denied `cat .env` reaches the model as Warden's error, never as the file; `ls` still runs")
    func deniedDotEnvNeverReachesTheModel() async throws {
        let claude = try await ClaudeCode.requireBinary()
        let session = ClaudeCodeSession(
            script: [
                .bash("cat .env", description: "Show the environment file"),
                .bash("ls", description: "List the project"),
                .text("done"),
            ],
            projectFiles: Self.projectFiles,
            hook: .warden(policy: Self.policy)
        )
        let outcome = try await ClaudeCode.run(session, claude: claude)
        try #require(outcome.succeeded, "\(outcome.diagnostics)")
        #expect(outcome.mainRequests.compactMap(\.turn).max() == 2, "the script did not run to its end\n\(outcome.diagnostics)")

        // The model never saw the secret, in any request.
        let leaked = outcome.serverReceived(Self.secretValue)
        #expect(!leaked, "the .env content reached the model\n\(outcome.diagnostics)")

        let cat = try #require(outcome.bashExchange("cat .env"), "no tool_result for `cat .env`\n\(outcome.diagnostics)")
        #expect(cat.isError, "`cat .env` was not answered with an error: \(cat.text)")
        #expect(cat.text.contains("Warden"), "the deny reason does not name Warden: \(cat.text)")
        #expect(cat.text.contains("Read(**/.env)"), "the deny reason does not name the rule: \(cat.text)")

        let ls = try #require(outcome.bashExchange("ls"), "no tool_result for `ls`\n\(outcome.diagnostics)")
        #expect(!ls.isError, "`ls` failed: \(ls.text)")
        #expect(ls.text.contains("hello.txt"), "`ls` output did not reach the model: \(ls.text)")

        // Claude Code reports the denial, and only that one.
        let deniedCommands = outcome.permissionDenials.compactMap { ($0["tool_input"] as? [String: Any])?["command"] as? String }
        #expect(deniedCommands == ["cat .env"], "permission_denials: \(outcome.permissionDenials)")
    }

    @Test("Warden's deny wins over a Claude Code allow rule: `curl` is denied under --allowedTools Bash")
    func denyWinsOverAllowedTools() async throws {
        let claude = try await ClaudeCode.requireBinary()
        let session = ClaudeCodeSession(
            script: [
                .bash("curl -s http://127.0.0.1:9/ping", description: "Ping a server"),
                .bash("echo ran > proof.txt", description: "Write a file"),
                .text("done"),
            ],
            projectFiles: Self.projectFiles,
            hook: .warden(policy: Self.policy),
            arguments: ["--allowedTools", "Bash"]
        )
        let outcome = try await ClaudeCode.run(session, claude: claude)
        try #require(outcome.succeeded, "\(outcome.diagnostics)")

        let curl = try #require(outcome.toolExchanges.first { ($0.input["command"] as? String)?.hasPrefix("curl") == true },
                                "no tool_result for curl\n\(outcome.diagnostics)")
        #expect(curl.isError, "curl was not denied: \(curl.text)")
        #expect(curl.text.contains("Warden"), "the deny reason does not name Warden: \(curl.text)")
        #expect(curl.text.contains("Bash(curl:*)"), "the deny reason does not name the rule: \(curl.text)")

        // The allow rule is in force: a command Claude Code would otherwise refuse under -p ran.
        let echo = try #require(outcome.bashExchange("echo ran > proof.txt"), "\(outcome.diagnostics)")
        #expect(!echo.isError, "`echo ran > proof.txt` failed: \(echo.text)")
        #expect(FileManager.default.fileExists(atPath: outcome.projectDirectory.appendingPathComponent("proof.txt").path))
        let leaked = outcome.serverReceived(Self.secretValue)
        #expect(!leaked, "the .env content reached the model\n\(outcome.diagnostics)")
    }

    /// The control for the tests above: the same scripted `cat .env` with no hook shows the secret
    /// to the model, so "never reached the model" is a finding and not an artefact of the harness.
    @Test("without Warden, `cat .env` shows the secret to the model")
    func withoutWardenTheSecretLeaks() async throws {
        let claude = try await ClaudeCode.requireBinary()
        let session = ClaudeCodeSession(
            script: [.bash("cat .env", description: "Show the environment file"), .text("done")],
            projectFiles: Self.projectFiles,
            hook: .none
        )
        let outcome = try await ClaudeCode.run(session, claude: claude)
        try #require(outcome.succeeded, "\(outcome.diagnostics)")

        let cat = try #require(outcome.bashExchange("cat .env"), "no tool_result for `cat .env`\n\(outcome.diagnostics)")
        #expect(!cat.isError, "`cat .env` failed: \(cat.text)")
        #expect(cat.text.contains(Self.secret))
        let leaked = outcome.serverReceived(Self.secret)
        #expect(leaked, "the server never received the .env content\n\(outcome.diagnostics)")
        #expect(outcome.permissionDenials.isEmpty, "permission_denials: \(outcome.permissionDenials)")
        #expect(outcome.result?["result"] as? String == "done", "\(outcome.diagnostics)")
    }
}
