import WardenDetect
public import WardenJSON
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

    /// Two answers are the same when Claude Code sees the same: status, stdout and stderr. The
    /// summary and pseudonyms are Warden's own bookkeeping.
    public static func == (lhs: HookAnswer, rhs: HookAnswer) -> Bool {
        lhs.exitStatus == rhs.exitStatus && lhs.stdout == rhs.stdout && lhs.stderr == rhs.stderr
    }
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
        answer(parsed: Self.parse(event: bytes))
    }

    /// The event's JSON, parsed once: the caller may need it before answering (the session id).
    public static func parse(event bytes: [UInt8]) -> Result<JSONValue, JSONSyntaxError> {
        Result { () throws(JSONSyntaxError) in try JSONValue.parse(bytes: bytes) }
    }

    public func answer(parsed: Result<JSONValue, JSONSyntaxError>) -> HookAnswer {
        var answer = decide(parsed)
        if case .success(let event) = parsed, event.members != nil {
            answer.summary.event = event["hook_event_name"]?.string
            answer.summary.tool = event["tool_name"]?.string
            answer.summary.session = event["session_id"]?.string
            if answer.summary.event != "UserPromptSubmit", let input = event["tool_input"] {
                answer.summary.subject = Self.subject(of: input)
            }
        }
        return answer
    }

    /// `text` with every detected value replaced by its placeholder.
    static func redactedForDisplay(_ text: String) -> String {
        var redactor = Redactor.everyKind()
        return redactor.redact(text) ?? text
    }

    /// The part of a tool's input a log reader needs, with every detected value replaced: the
    /// command, else the path, else the URL or pattern.
    static func subject(of input: JSONValue) -> String? {
        for key in ["command", "file_path", "notebook_path", "path", "url", "pattern"] {
            guard let text = input[key]?.string, !text.isEmpty else { continue }
            return subject(text: text)
        }
        return nil
    }

    /// `text` as a log's subject: clipped to 4 KiB and redacted.
    static func subject(text: String) -> String {
        let clipped = text.utf8.count > 4096 ? String(decoding: text.utf8.prefix(4096), as: UTF8.self) + "…" : text
        return redactedForDisplay(clipped)
    }

    func decide(_ parsed: Result<JSONValue, JSONSyntaxError>) -> HookAnswer {
        let event: JSONValue
        switch parsed {
        case .success(let value): event = value
        case .failure(let error): return .block("the hook event is not valid JSON (\(error)).")
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

    /// The rules the log names: only those that decided, i.e. those of the verdict's own list. A
    /// denied `ls && curl …` names `Bash(curl:*)`, not the `Bash(ls:*)` that allowed its first part,
    /// so that reports count what denied; a verdict no rule gave (a malformed call, a command
    /// that cannot be verified, `none`) names none. One pass over the few matches, without the
    /// Set the hook used to build of all of them: no more work on the hot path than before.
    static func decidingRules(_ decision: Decision) -> [String] {
        let list: RuleList
        switch decision.verdict {
        case .deny: list = .deny
        case .ask: list = .ask
        case .allow: list = .allow
        case .none: return []
        }
        var rules: [String] = []
        for match in decision.matches where match.rule.list == list && !rules.contains(match.rule.text) {
            rules.append(match.rule.text)
        }
        return rules.sorted()
    }

    static func preToolUseAnswer(_ decision: Decision) -> HookAnswer {
        let permissionDecision: String
        // A reason quotes the part of the command that matched, which may hold a secret: the
        // model reads the reason, and the decision log keeps it.
        var reason = decision.reason.map(redactedForDisplay)
        let summary = DecisionSummary(
            decision: DecisionSummary.Decision(decision.verdict), rules: HookResponder.decidingRules(decision), reason: reason)
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
