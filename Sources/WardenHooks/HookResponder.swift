import WardenDetect
import WardenJSON
public import WardenPolicy
public import WardenRedact

/// What the hook process answers: Claude Code reads stdout as JSON when the exit status is 0, and
/// treats exit status 2 as a block with stderr as the reason. Any other status lets the tool run,
/// so no answer here has one.
public struct HookAnswer: Sendable, Equatable {
    public var exitStatus: Int32
    public var stdout: String
    public var stderr: String
    /// What was decided, for the decision log: never a detected value.
    public var summary: DecisionSummary
    /// The session's pseudonym book after this answer, when pseudonyms are in use: the caller
    /// saves it for the next hook call of the session.
    public var pseudonyms: PseudonymBook?

    public init(exitStatus: Int32, stdout: String = "", stderr: String = "", summary: DecisionSummary = DecisionSummary(decision: .none)) {
        self.exitStatus = exitStatus
        self.stdout = stdout
        self.stderr = stderr
        self.summary = summary
    }

    /// Blocks whatever the event was about: exit 2 with the reason on stderr. Used when Warden
    /// cannot judge the event at all.
    public static func block(_ reason: String) -> HookAnswer {
        HookAnswer(exitStatus: 2, stderr: "Warden blocked this: \(reason)\n", summary: DecisionSummary(decision: .deny, reason: reason))
    }

    /// No decision: Claude Code goes on as if the hook were not there.
    public static let noDecision = HookAnswer(exitStatus: 0)
}

/// The hook's logic, from the bytes of one event to the answer, with the policy already loaded
/// (or its loading failure) and the file system behind a protocol. No I/O happens here.
public struct HookResponder: Sendable {
    public let policy: Result<Policy, PolicyLoadError>
    public let home: String?
    public let fileSystem: any FileSystemView
    /// The session's pseudonyms, when the policy asks for them: the caller loads the book before
    /// and saves the answer's `pseudonyms` after.
    public var pseudonyms: PseudonymBook?

    public init(
        policy: Result<Policy, PolicyLoadError>, home: String?, fileSystem: any FileSystemView = NoFileSystem(),
        pseudonyms: PseudonymBook? = nil
    ) {
        self.policy = policy
        self.home = home
        self.fileSystem = fileSystem
        self.pseudonyms = pseudonyms
    }

    /// The detection settings in force: the policy's, or the defaults when the policy cannot be
    /// used (the defaults redact every kind: an unusable policy never means less redaction).
    var detection: DetectionSettings {
        if case .success(let policy) = policy { return policy.detection }
        return .defaults
    }

    public func answer(event bytes: [UInt8]) -> HookAnswer {
        let event: JSONValue
        do throws(JSONSyntaxError) {
            event = try JSONValue.parse(bytes: bytes)
        } catch {
            return .block("the hook event is not valid JSON (\(error)).")
        }
        guard event.members != nil else {
            return .block("the hook event is a JSON \(event.typeName), not an object.")
        }
        guard let eventName = event["hook_event_name"]?.string else {
            return .block("the hook event has no \"hook_event_name\" string.")
        }
        switch eventName {
        case "PreToolUse":
            return preToolUse(event)
        case "PostToolUse":
            return postToolUse(event)
        case "UserPromptSubmit":
            return userPromptSubmit(event)
        default:
            // Warden has nothing to say about other events yet; answering nothing lets them pass
            // unchanged, which is what a hook that is not registered for them would do.
            return .noDecision
        }
    }

    func preToolUse(_ event: JSONValue) -> HookAnswer {
        let policy: Policy
        switch self.policy {
        case .success(let loaded): policy = loaded
        case .failure(let error): return .block("the policy cannot be enforced, so no tool may run: \(error)")
        }
        guard let toolName = event["tool_name"]?.string, !toolName.isEmpty else {
            return .block("the PreToolUse event has no \"tool_name\" string.")
        }
        guard let input = event["tool_input"], input.members != nil else {
            return .block("the PreToolUse event for \(JSONValue.quoted(toolName)) has no \"tool_input\" object.")
        }
        let workingDirectory = event["cwd"]?.string
        guard let workingDirectory, workingDirectory.hasPrefix("/") else {
            return .block("the PreToolUse event for \(JSONValue.quoted(toolName)) has no absolute \"cwd\".")
        }
        let engine = PolicyEngine(policy: policy, home: home, fileSystem: fileSystem)
        let decision = engine.decide(ToolCall(
            toolName: toolName, input: input, workingDirectory: workingDirectory,
            permissionMode: event["permission_mode"]?.string))
        return HookResponder.preToolUseAnswer(decision)
    }

    static func preToolUseAnswer(_ decision: Decision) -> HookAnswer {
        let permissionDecision: String
        var reason = decision.reason
        let summary = DecisionSummary(
            decision: DecisionSummary.Decision(decision.verdict), rules: Array(Set(decision.matches.map(\.rule.text))).sorted(),
            reason: decision.reason)
        switch decision.verdict {
        case .none: return HookAnswer(exitStatus: 0, summary: summary)
        case .deny: permissionDecision = "deny"
        case .ask: permissionDecision = "ask"
        case .allow:
            permissionDecision = "allow"
            let rules = decision.matches.filter { $0.rule.list == .allow }.map(\.rule.text)
            reason = "Warden allowed this: " + Set(rules).sorted().joined(separator: ", ") + "."
        }
        let output = JSONValue.object([
            "hookSpecificOutput": .object([
                "hookEventName": .string("PreToolUse"),
                "permissionDecision": .string(permissionDecision),
                "permissionDecisionReason": .string(reason ?? "Warden: \(permissionDecision)."),
            ]),
        ])
        return HookAnswer(exitStatus: 0, stdout: output.serialized + "\n", summary: summary)
    }
}
