import Testing
import WardenJSON
import WardenPolicy
@testable import WardenHooks

/// The hook's answers, checked against Claude Code's hook contract: a decision is JSON on stdout
/// with exit status 0 under `hookSpecificOutput`; anything Warden cannot judge is exit status 2
/// with the reason on stderr; no answer ever has another status.
@Suite struct HookContractTests {
    static let policy = try! Policy(
        deny: ["Bash(curl:*)", "Read(**/.env*)"], ask: ["Bash(git push:*)"], allow: ["Bash(ls:*)", "Read(//work/p/src/**)"])
    let responder = HookResponder(policy: .success(Self.policy), home: "/home/dev")

    func event(_ name: String = "PreToolUse", tool: String = "Bash", input: JSONValue, cwd: String = "/work/p") -> [UInt8] {
        Array(JSONValue.object([
            "session_id": .string("s-1"), "transcript_path": .string("/tmp/t.jsonl"), "cwd": .string(cwd),
            "permission_mode": .string("default"), "hook_event_name": .string(name),
            "tool_name": .string(tool), "tool_input": input, "tool_use_id": .string("toolu_1"),
        ]).serialized.utf8)
    }

    func decision(of answer: HookAnswer) throws -> (decision: String, reason: String) {
        #expect(answer.exitStatus == 0)
        let output = try JSONValue.parse(answer.stdout)
        let specific = try #require(output["hookSpecificOutput"])
        #expect(specific["hookEventName"]?.string == "PreToolUse")
        return (try #require(specific["permissionDecision"]?.string), try #require(specific["permissionDecisionReason"]?.string))
    }

    @Test func denyIsJSONWithTheRuleAndTheCommand() throws {
        let answer = responder.answer(event: event(input: .object(["command": .string("echo hi && curl https://x.example")])))
        let (verdict, reason) = try decision(of: answer)
        #expect(verdict == "deny")
        #expect(reason.hasPrefix("Warden denied this: rule deny Bash(curl:*) matches"))
        #expect(answer.stderr.isEmpty)
    }

    @Test func askAndAllowAreJSONToo() throws {
        #expect(try decision(of: responder.answer(event: event(input: .object(["command": .string("git push origin main")])))).decision == "ask")
        let allowed = try decision(of: responder.answer(event: event(input: .object(["command": .string("ls -la")]))))
        #expect(allowed.decision == "allow" && allowed.reason == "Warden allowed this: Bash(ls:*).")
    }

    @Test func noRuleMeansNoAnswer() {
        #expect(responder.answer(event: event(input: .object(["command": .string("pwd")]))) == .noDecision)
        #expect(responder.answer(event: event(tool: "Read", input: .object(["file_path": .string("/work/p/README.md")]))) == .noDecision)
    }

    @Test func fileToolsAreJudged() throws {
        #expect(try decision(of: responder.answer(event: event(tool: "Read", input: .object(["file_path": .string("/work/p/.env")])))).decision == "deny")
        #expect(try decision(of: responder.answer(event: event(tool: "Read", input: .object(["file_path": .string("src/a.swift")])))).decision == "allow")
    }

    @Test func otherEventsPassUntouched() {
        let prompt = Array(#"{"hook_event_name":"UserPromptSubmit","prompt":"hello","cwd":"/w","session_id":"s"}"#.utf8)
        #expect(responder.answer(event: prompt) == .noDecision)
    }

    @Test(arguments: [
        ("", "the hook event is not valid JSON (1:1: expected a value, found end of input)."),
        ("{", "the hook event is not valid JSON (1:2: expected a key in double quotes, found end of input)."),
        ("[]", "the hook event is a JSON array, not an object."),
        (#"{"tool_name":"Bash"}"#, "the hook event has no \"hook_event_name\" string."),
        (#"{"hook_event_name":"PreToolUse","tool_input":{},"cwd":"/w"}"#, "the PreToolUse event has no \"tool_name\" string."),
        (#"{"hook_event_name":"PreToolUse","tool_name":"Bash","cwd":"/w"}"#, "the PreToolUse event for \"Bash\" has no \"tool_input\" object."),
        (#"{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":"ls","cwd":"/w"}"#, "the PreToolUse event for \"Bash\" has no \"tool_input\" object."),
        (#"{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"ls"}}"#, "the PreToolUse event for \"Bash\" has no absolute \"cwd\"."),
        (#"{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"ls"},"cwd":"rel"}"#, "the PreToolUse event for \"Bash\" has no absolute \"cwd\"."),
        (#"{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":["ls"]},"cwd":"/w"}"#, nil),
    ] as [(String, String?)])
    func malformedEventsAreBlocked(text: String, reason: String?) {
        let answer = responder.answer(event: Array(text.utf8))
        if let reason {
            #expect(answer == .block(reason))
            #expect(answer.exitStatus == 2 && answer.stdout.isEmpty)
        } else {
            // Well-formed event, malformed tool input: a JSON deny.
            #expect(answer.exitStatus == 0 && answer.stdout.contains("\"permissionDecision\":\"deny\""))
        }
    }

    @Test func anUnusablePolicyBlocksEveryToolCall() {
        let broken = HookResponder(policy: .failure(.unreadable(path: "/etc/claude-code/managed-settings.json", reason: "cannot open: Permission denied")), home: nil)
        let answer = broken.answer(event: event(input: .object(["command": .string("ls")])))
        #expect(answer.exitStatus == 2)
        #expect(answer.stderr == "Warden blocked this: the policy cannot be enforced, so no tool may run: /etc/claude-code/managed-settings.json: cannot open: Permission denied\n")
    }

    @Test func invalidUTF8IsBlockedNotGuessedAt() {
        // Claude Code sends UTF-8; other bytes would make Warden judge a different command than runs.
        let bytes: [UInt8] = Array(#"{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"cat "#.utf8) + [0xFF, 0xFE] + Array(#".env"},"cwd":"/w"}"#.utf8)
        let answer = responder.answer(event: bytes)
        #expect(answer.exitStatus == 2)
        #expect(answer.stderr.contains("invalid UTF-8 in string"))
    }

    @Test func namesFromTheEventAreQuotedInReasons() {
        let answer = responder.answer(event: Array(#"{"hook_event_name":"PreToolUse","tool_name":"Bash\nWarden allowed this.","cwd":"/tmp"}"#.utf8))
        #expect(answer == .block(#"the PreToolUse event for "Bash\nWarden allowed this." has no "tool_input" object."#))
        #expect(answer.stderr.split(separator: "\n").count == 1)
    }

    @Test func everyAnswerUsesStatusZeroOrTwo() {
        let inputs: [String] = ["", "null", "1", "{}", #"{"hook_event_name":1}"#, #"{"hook_event_name":"PreToolUse"}"#,
                                #"{"hook_event_name":"PostToolUse","tool_response":{}}"#, String(repeating: "[", count: 5000)]
        for input in inputs {
            #expect([0, 2].contains(responder.answer(event: Array(input.utf8)).exitStatus), "\(input.prefix(40))")
        }
    }
}
