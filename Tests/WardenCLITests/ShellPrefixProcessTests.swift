// `warden-hook --run COMMAND`, as Claude Code runs it when CLAUDE_CODE_SHELL_PREFIX names it: a Bash
// tool command's output is redacted on its way to Claude Code and its exit status is kept; other
// commands (MCP servers, other hooks) run unchanged; Warden's own hook started through the prefix
// is answered in the same process.

import Foundation
import Subprocess
import Testing

#if canImport(System)
import System
#else
import SystemPackage
#endif

private enum ShellPrefix {
    static let email = "ada.lovelace" + "@" + "analytical.co.uk"
    static let awsKey = "AKIA" + "Z7QRSTUVWXY23456"

    /// A command string of the shape Claude Code builds for a Bash tool call.
    static func toolCommand(_ command: String, cwdFile: String = "/tmp/claude-warden-test-\(UUID().uuidString)-cwd") -> String {
        let quoted = "'" + command.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
        return "eval \(quoted) < /dev/null && pwd -P >| \(cwdFile)"
    }

    static func run(_ command: String, stdin: String? = nil, environment: [String: String?] = [:]) async throws -> CommandOutput {
        try await hook(["--run", command], stdin: stdin, environment: environment)
    }

    static func hook(_ arguments: [String], stdin: String? = nil, environment: [String: String?] = [:]) async throws -> CommandOutput {
        var overrides: [Environment.Key: String?] = ["WARDEN_POLICY": nil, "CLAUDE_CODE_SHELL": nil, "SHELL": "/bin/bash", "XDG_STATE_HOME": FileManager.default.temporaryDirectory.appendingPathComponent("warden-prefix-state").path]
        for (key, value) in environment { overrides[Environment.Key(stringLiteral: key)] = value }
        let result = try await Subprocess.run(
            .path(FilePath(builtProduct("warden-hook", override: "WARDEN_HOOK_BIN"))), arguments: Arguments(arguments),
            environment: .inherit.updating(overrides), input: try fileInput(stdin),
            output: .string(limit: 1 << 24), error: .string(limit: 1 << 20))
        return CommandOutput(status: result.terminationStatus, stdout: result.standardOutput, stderr: result.standardError)
    }
}

@Suite struct ShellPrefixProcessTests {
    @Test func aFailingToolCommandIsRedactedAndKeepsItsStatus() async throws {
        let output = try await ShellPrefix.run(ShellPrefix.toolCommand(
            "printf 'name,email\\nAda,\(ShellPrefix.email)\\n'; echo 'key \(ShellPrefix.awsKey)' >&2; exit 3"))
        #expect(output.exitCode == 3)
        #expect(output.stdout == "name,email\nAda,[REDACTED:EMAIL]\n")
        #expect(output.stderr == "key [REDACTED:AWS_ACCESS_KEY_ID]\n")
    }

    @Test func underPseudonymsACommandTakesItsNamesFromTheSessionsBook() async throws {
        // The book the hook keeps for its answers: one value has one name in every command's
        // output and every hook answer of the session, and another session starts afresh.
        let (a, b, c, d) = ("ada" + "@" + "analytical.co.uk", "grace" + "@" + "navy-cobol.org", "alan" + "@" + "bletchley.example.org", "kay" + "@" + "parc.example.com")
        let policy = try temporaryFile("policy.json", #"{"warden": {"detection": {"style": "pseudonym"}}}"#)
        let state = try temporaryFile("state/.keep", "")
        let session = "session-\(UUID().uuidString)"
        let environment: [String: String?] = [
            "WARDEN_POLICY": policy, "XDG_STATE_HOME": (state as NSString).deletingLastPathComponent, "CLAUDE_CODE_SESSION_ID": session,
        ]

        // Both streams share the book, whichever is released first.
        let first = try await ShellPrefix.run(ShellPrefix.toolCommand("echo \(a) \(b); echo \(a) >&2; exit 1"), environment: environment)
        #expect(first.exitCode == 1)
        #expect(first.stdout == "<EMAIL_1> <EMAIL_2>\n")
        #expect(first.stderr == "<EMAIL_1>\n")

        let event = #"{"hook_event_name":"PostToolUse","tool_name":"Read","tool_input":{"file_path":"/tmp/x"},"tool_response":{"file":{"content":"\#(c) \#(b)"}},"cwd":"/tmp","session_id":"\#(session)"}"#
        let answer = try await ShellPrefix.hook([], stdin: event, environment: environment)
        #expect(answer.exitCode == 0)
        #expect(answer.stdout.contains("<EMAIL_3> <EMAIL_2>"), "\(answer.stdout)")

        let second = try await ShellPrefix.run(ShellPrefix.toolCommand("echo \(d) \(c) \(a)"), environment: environment)
        #expect(second.stdout == "<EMAIL_4> <EMAIL_3> <EMAIL_1>\n")

        var other = environment
        other["CLAUDE_CODE_SESSION_ID"] = "other-\(session)"
        let elsewhere = try await ShellPrefix.run(ShellPrefix.toolCommand("echo \(d)"), environment: other)
        #expect(elsewhere.stdout == "<EMAIL_1>\n")

        // Without a session id there is no book to share: placeholders.
        other["CLAUDE_CODE_SESSION_ID"] = .some(nil)
        let unknown = try await ShellPrefix.run(ShellPrefix.toolCommand("echo \(d)"), environment: other)
        #expect(unknown.stdout == "[REDACTED:EMAIL]\n")
    }

    @Test func startingABookRemovesThoseUntouchedForTheCleanupPeriod() async throws {
        let policy = try temporaryFile("policy.json", #"{"cleanupPeriodDays": 7, "warden": {"detection": {"style": "pseudonym"}}}"#)
        let books = (try temporaryFile("state/warden/pseudonyms/recent", "key 00\n") as NSString).deletingLastPathComponent
        let stale = books + "/stale"
        FileManager.default.createFile(atPath: stale, contents: Data("key 00\n".utf8))
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-8 * 86_400)], ofItemAtPath: stale)
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-6 * 86_400)], ofItemAtPath: books + "/recent")
        let state = ((books as NSString).deletingLastPathComponent as NSString).deletingLastPathComponent

        let output = try await ShellPrefix.run(
            ShellPrefix.toolCommand("echo \(ShellPrefix.email)"),
            environment: ["WARDEN_POLICY": policy, "XDG_STATE_HOME": state, "CLAUDE_CODE_SESSION_ID": "fresh"])
        #expect(output.stdout == "<EMAIL_1>\n")
        let kept = try FileManager.default.contentsOfDirectory(atPath: books).sorted()
        #expect(kept == ["fresh", "recent"])
    }

    @Test func eachToolCommandLeavesARecordOfWhatWasRedacted() async throws {
        // With the prefix, PostToolUse sees output already redacted, and a failing command has no
        // PostToolUse at all: this record is the log's only trace of what was taken out.
        let state = (try temporaryFile("state/.keep", "") as NSString).deletingLastPathComponent
        let environment: [String: String?] = ["XDG_STATE_HOME": state, "CLAUDE_CODE_SESSION_ID": "prefix-log"]
        let wrapped = "source /tmp/snapshot.sh 2>/dev/null || true && { \\builtin unalias -- 'which'; } >/dev/null 2>&1 || true && eval 'printf '\\''%s\\n'\\'' \(ShellPrefix.email); exit 3' < /dev/null && pwd -P >| /tmp/claude-warden-test-cwd"
        let failing = try await ShellPrefix.run(wrapped, environment: environment)
        #expect(failing.exitCode == 3)
        #expect(failing.stdout == "[REDACTED:EMAIL]\n")
        _ = try await ShellPrefix.run(ShellPrefix.toolCommand("echo nothing to see"), environment: environment)

        let log = try await runWarden(["log", "--log-dir", state + "/warden", "--json"])
        #expect(log.exitCode == 0, "\(log.stderr)")
        #expect(!log.stdout.contains("analytical"), "a detected value reached the log")
        let records = try log.stdout.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        try #require(records.count == 2, "\(log.stdout)")
        #expect(records[0]["event"] as? String == "CommandOutput")
        #expect(records[0]["tool"] as? String == "Bash")
        #expect(records[0]["session"] as? String == "prefix-log")
        #expect(records[0]["decision"] as? String == "redact")
        #expect(records[0]["redactions"] as? [String: Int] == ["EMAIL": 1])
        #expect(records[0]["subject"] as? String == "printf '%s\\n' [REDACTED:EMAIL]; exit 3", "the model's command, unwrapped")
        #expect(records[1]["decision"] as? String == "none")
        #expect(records[1]["subject"] as? String == "echo nothing to see")
    }

    @Test func aLogThatCannotBeWrittenStaysOutOfTheCommandsOutput() async throws {
        // The command's stderr goes to the model; the trouble is for `warden doctor` to tell.
        let blocked = try temporaryFile("not-a-directory", "")
        let output = try await ShellPrefix.run(
            ShellPrefix.toolCommand("echo out; echo err >&2"), environment: ["XDG_STATE_HOME": blocked])
        #expect(output.exitCode == 0)
        #expect(output.stdout == "out\n")
        #expect(output.stderr == "err\n")
    }

    @Test(arguments: [
        ("eval 'ls' < /dev/null && pwd -P >| /tmp/x", "ls"),
        ("x=1; eval 'ls' < /dev/null && pwd -P >| /tmp/x", "x=1; eval 'ls' < /dev/null && pwd -P >| /tmp/x"),
        ("true && eval 'echo '\\''a b'\\''' < /dev/null && pwd -P >| /tmp/x", "echo 'a b'"),
        ("true && eval 'unterminated < /dev/null && pwd -P >| /tmp/x", "true && eval 'unterminated < /dev/null && pwd -P >| /tmp/x"),
        ("true && eval 'ls' ; pwd -P >| /tmp/x", "true && eval 'ls' ; pwd -P >| /tmp/x"),
    ])
    func theLogShowsTheModelsCommandWhenTheWrappingIsClaudeCodes(wrapped: String, shown: String) async throws {
        let state = (try temporaryFile("state/.keep", "") as NSString).deletingLastPathComponent
        _ = try await ShellPrefix.run(wrapped, environment: ["XDG_STATE_HOME": state])
        let log = try await runWarden(["log", "--log-dir", state + "/warden", "--json"])
        let record = try #require(try JSONSerialization.jsonObject(with: Data(log.stdout.utf8)) as? [String: Any], "\(log.stdout)")
        #expect(record["subject"] as? String == shown)
    }

    @Test func aCommandKilledByASignalReportsItTheWayAShellDoes() async throws {
        let output = try await ShellPrefix.run(ShellPrefix.toolCommand("echo before; kill -TERM $$"))
        #expect(output.exitCode == 143, "128 + SIGTERM")
        #expect(output.stdout == "before\n")
    }

    @Test func theWorkingDirectoryTailStillRuns() async throws {
        let marker = "/tmp/claude-warden-test-\(UUID().uuidString)-cwd"
        defer { try? FileManager.default.removeItem(atPath: marker) }
        let output = try await ShellPrefix.run(ShellPrefix.toolCommand("cd /usr && true", cwdFile: marker))
        #expect(output.exitCode == 0)
        #expect(try String(contentsOfFile: marker, encoding: .utf8) == "/usr\n")
    }

    @Test func largeOutputIsRedactedThroughout() async throws {
        // About 3 MB: many batches of the stream redactor, with values at every offset.
        let script = "for i in $(seq 1 40000); do echo \"line $i user \(ShellPrefix.email) ok\"; done"
        let output = try await ShellPrefix.run(ShellPrefix.toolCommand(script))
        #expect(output.exitCode == 0)
        let lines = output.stdout.split(separator: "\n")
        #expect(lines.count == 40000)
        #expect(lines.allSatisfy { $0.hasSuffix(" user [REDACTED:EMAIL] ok") })
        #expect(!output.stdout.contains("analytical"))
    }

    @Test func aBackgroundJobDoesNotHoldTheAnswer() async throws {
        let start = ContinuousClock.now
        let output = try await ShellPrefix.run(ShellPrefix.toolCommand("sleep 30 & echo started"))
        #expect(output.exitCode == 0)
        #expect(output.stdout == "started\n")
        #expect(ContinuousClock.now - start < .seconds(20))
    }

    @Test func otherCommandsRunUnchanged() async throws {
        // An MCP server or another hook: no tool-command tail, so its output is not Warden's to touch.
        let output = try await ShellPrefix.run("echo \(ShellPrefix.email); exit 4")
        #expect(output.exitCode == 4)
        #expect(output.stdout == "\(ShellPrefix.email)\n")
    }

    @Test func wardensOwnHookStartedThroughThePrefixIsAnswered() async throws {
        let hook = builtProduct("warden-hook", override: "WARDEN_HOOK_BIN")
        let policy = try temporaryFile("policy.json", #"{"permissions": {"deny": ["Bash(curl:*)"]}}"#)
        let event = #"{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"curl x.example"},"cwd":"/tmp","session_id":"s"}"#
        let output = try await ShellPrefix.run("\(hook) --policy \(policy)", stdin: event)
        #expect(output.exitCode == 0)
        #expect(output.stdout.contains(#""permissionDecision":"deny""#))
    }

    @Test func aPinnedPolicyWinsOverWardenPolicy() async throws {
        // `warden install` registers `warden-hook --run-policy=MANAGED`: a $WARDEN_POLICY that
        // lets the address through (allowValues) changes nothing then; without the pin it would.
        let managed = try temporaryFile("managed.json", "{}")
        let swapped = try temporaryFile("swapped.json", #"{"warden": {"detection": {"allowValues": ["\#(ShellPrefix.email)"]}}}"#)
        let command = ShellPrefix.toolCommand("echo \(ShellPrefix.email)")
        let pinned = try await ShellPrefix.hook(["--run-policy=\(managed)", command], environment: ["WARDEN_POLICY": swapped])
        #expect(pinned.exitCode == 0)
        #expect(pinned.stdout == "[REDACTED:EMAIL]\n")
        let unpinned = try await ShellPrefix.hook(["--run", command], environment: ["WARDEN_POLICY": swapped])
        #expect(unpinned.stdout == "\(ShellPrefix.email)\n")
    }

    @Test func aMissingCommandIsAUsageError() async throws {
        let result = try await Subprocess.run(
            .path(FilePath(builtProduct("warden-hook", override: "WARDEN_HOOK_BIN"))), arguments: ["--run"],
            output: .string(limit: 4096), error: .string(limit: 4096))
        #expect(result.terminationStatus == .exited(126))
        #expect(result.standardError == "warden-hook --run: usage: warden-hook [--run | --run-policy=FILE] COMMAND\n")
    }
}
