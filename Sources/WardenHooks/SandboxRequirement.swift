/// `warden.sandbox.required: true`, as data: what the hook answers for a session it found
/// outside Warden's sandbox, and what it answers inside when the host's channel did not take the
/// decision's record. The hook judges where it is (WardenChannel's `Confinement`); this decides.
public enum SandboxRequirement {
    /// The tool call is denied: the answer becomes a block naming the key, keeping the event,
    /// tool, session and subject for the log. Only PreToolUse is denied (it is the gate before a
    /// tool runs; a session whose every tool call is denied can do nothing); other events keep
    /// their answer, as they decide about what has already happened or only redact.
    public static func outside(_ answer: HookAnswer, why: String) -> HookAnswer {
        guard answer.summary.event == "PreToolUse" else { return answer }
        return replaced(answer, reason: "warden.sandbox.required is true and this session is not inside Warden's sandbox (\(why)); start Claude Code with `warden run` (or the `claude` function of hooks/claude.sh).")
    }

    /// Inside a sandbox built from another policy than the one the hook judges by (a hook pinned
    /// to the managed settings, a `warden run --policy` of the developer's choosing, or a policy
    /// changed since the session started): the walls are not the ones the policy requires, so
    /// PreToolUse is denied as outside. `built` is nil when the run directory names no policy.
    public static func sandboxPolicy(_ answer: HookAnswer, built: String?, judged: String) -> HookAnswer? {
        guard built != judged else { return nil }
        let why = built.map { "it was built from another policy (\($0.prefix(19))…) than this one (\(judged.prefix(19))…): started with --policy or --profile, or the policy changed since; restart it with `warden run` and no --policy" }
            ?? "its run directory names no policy"
        return outside(answer, why: why)
    }

    /// Inside the sandbox the decision log is the host's, reached through the channel; when the
    /// record cannot be handed over, a PreToolUse or UserPromptSubmit answer becomes a block (an
    /// unlogged tool call or prompt is what the log exists to prevent, and the hook fails closed
    /// everywhere else). PostToolUse keeps its answer: the tool has run, and its answer carries
    /// the redaction of the output, which a block would lose.
    public static func unlogged(_ answer: HookAnswer, why: String) -> HookAnswer {
        guard answer.summary.event == "PreToolUse" || answer.summary.event == "UserPromptSubmit" else { return answer }
        return replaced(answer, reason: "the decision log is unavailable (\(why)), and a decision inside Warden's sandbox is not taken unlogged.")
    }

    static func replaced(_ answer: HookAnswer, reason: String) -> HookAnswer {
        var blocked = HookAnswer.block(reason)
        blocked.summary.event = answer.summary.event
        blocked.summary.tool = answer.summary.tool
        blocked.summary.session = answer.summary.session
        blocked.summary.subject = answer.summary.subject
        // The rules that would have decided did not: the key or the log did.
        return blocked
    }
}
