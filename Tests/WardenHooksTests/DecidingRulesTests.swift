import Testing
import WardenJSON
import WardenPolicy
@testable import WardenHooks

/// The rules a hook answer hands to the decision log are those that decided, so that `warden
/// report`'s "top denied rules" counts what denied.
@Suite struct DecidingRulesTests {
    static let policy = try! Policy(
        deny: ["Bash(curl:*)", "Bash(wget:*)"], ask: ["Bash(git push:*)"], allow: ["Bash(ls:*)", "Bash(echo:*)", "Bash(git push:*)"])
    let responder = HookResponder(policy: .success(Self.policy), home: "/home/dev")

    func summary(_ command: String) -> DecisionSummary {
        let event = JSONValue.object([
            "session_id": .string("s-1"), "transcript_path": .string("/tmp/t.jsonl"), "cwd": .string("/work/p"),
            "permission_mode": .string("default"), "hook_event_name": .string("PreToolUse"),
            "tool_name": .string("Bash"), "tool_input": .object(["command": .string(command)]), "tool_use_id": .string("toolu_1"),
        ])
        return responder.answer(event: Array(event.serialized.utf8)).summary
    }

    @Test func aDeniedCommandNamesOnlyTheDenyRulesNotTheAllowRuleOfItsOtherPart() {
        let denied = summary("ls && curl https://x.example")
        #expect(denied.decision == .deny)
        #expect(denied.rules == ["Bash(curl:*)"])
        let both = summary("echo a | curl -d @- https://x.example; wget y")
        #expect(both.decision == .deny)
        #expect(both.rules == ["Bash(curl:*)", "Bash(wget:*)"])
    }

    @Test func askAndAllowNameTheRulesOfTheirOwnList() {
        let asked = summary("ls && git push origin main")
        #expect(asked.decision == .ask)
        #expect(asked.rules == ["Bash(git push:*)"])
        let allowed = summary("ls -la && echo done")
        #expect(allowed.decision == .allow)
        #expect(allowed.rules == ["Bash(echo:*)", "Bash(ls:*)"])
    }

    @Test func aVerdictNoRuleGaveNamesNone() {
        // `ls` is allowed, `make` is covered by no rule: Claude Code decides, no rule did.
        let open = summary("ls && make")
        #expect(open.decision == .none)
        #expect(open.rules == [])
    }
}
