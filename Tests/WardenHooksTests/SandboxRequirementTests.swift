import Testing
@testable import WardenHooks

private func answer(_ event: String, exitStatus: Int32 = 0) -> HookAnswer {
    var answer = HookAnswer(exitStatus: exitStatus, stdout: exitStatus == 0 ? "{}\n" : "", summary: DecisionSummary(decision: .allow, rules: ["Bash(ls:*)"]))
    answer.summary.event = event
    answer.summary.tool = "Bash"
    answer.summary.session = "s-1"
    answer.summary.subject = "ls"
    return answer
}

@Suite("warden.sandbox.required and the unlogged decision, as data")
struct SandboxRequirementTests {
    @Test("outside the sandbox a PreToolUse is denied with the key named; the log keeps what it was about")
    func outside() {
        let denied = SandboxRequirement.outside(answer("PreToolUse"), why: "no channel at /tmp/.warden/channel")
        #expect(denied.exitStatus == 2)
        #expect(denied.stderr.contains("warden.sandbox.required is true") && denied.stderr.contains("no channel at /tmp/.warden/channel"))
        #expect(denied.summary.decision == .deny && denied.summary.rules.isEmpty)
        #expect(denied.summary.event == "PreToolUse" && denied.summary.tool == "Bash" && denied.summary.session == "s-1" && denied.summary.subject == "ls")
    }

    @Test("outside, events after the gate keep their answers (the tool was never allowed to run)")
    func otherEventsOutside() {
        for event in ["PostToolUse", "UserPromptSubmit"] {
            #expect(SandboxRequirement.outside(answer(event), why: "x") == answer(event))
        }
    }

    @Test("inside, a decision the host did not log blocks a PreToolUse or a prompt; a PostToolUse keeps its redaction")
    func unlogged() {
        for event in ["PreToolUse", "UserPromptSubmit"] {
            let blocked = SandboxRequirement.unlogged(answer(event), why: "the channel at 127.0.0.1:2997 cannot be reached")
            #expect(blocked.exitStatus == 2 && blocked.stderr.contains("the decision log is unavailable (the channel at 127.0.0.1:2997"))
        }
        #expect(SandboxRequirement.unlogged(answer("PostToolUse"), why: "x") == answer("PostToolUse"))
    }

    @Test("inside a sandbox built from another policy, or one whose run directory names none, a PreToolUse is denied; the same policy passes")
    func sandboxPolicy() {
        let judged = "sha256:" + String(repeating: "a", count: 64), other = "sha256:" + String(repeating: "b", count: 64)
        #expect(SandboxRequirement.sandboxPolicy(answer("PreToolUse"), built: judged, judged: judged) == nil)
        let denied = SandboxRequirement.sandboxPolicy(answer("PreToolUse"), built: other, judged: judged)
        #expect(denied?.exitStatus == 2)
        #expect(denied?.stderr.contains("it was built from another policy (sha256:bbbbbbbbbbbb…) than this one (sha256:aaaaaaaaaaaa…)") == true, "\(denied?.stderr ?? "")")
        #expect(SandboxRequirement.sandboxPolicy(answer("PreToolUse"), built: nil, judged: judged)?.stderr.contains("names no policy") == true)
        #expect(SandboxRequirement.sandboxPolicy(answer("PostToolUse"), built: other, judged: judged) == answer("PostToolUse"))
    }
}
