import WardenPolicy

/// What one hook answer decided, in the terms of the decision log. It never holds a detected
/// value: reasons name kinds and rules only.
public struct DecisionSummary: Sendable, Equatable {
    public enum Decision: String, Sendable, Equatable {
        case allow, ask, deny, redact, block, none

        init(_ verdict: Verdict) {
            switch verdict {
            case .allow: self = .allow
            case .ask: self = .ask
            case .deny: self = .deny
            case .none: self = .none
            }
        }
    }

    public var decision: Decision
    /// The permission rules that decided (those of the verdict's list; see
    /// `HookResponder.decidingRules`), not every rule that matched.
    public var rules: [String]
    public var reason: String?
    /// How many values of each kind were redacted, withheld or found in a blocked prompt.
    public var redactions: [String: Int]
    /// What the call was about, redacted: a Bash command, a file path, a URL. Never a prompt.
    public var subject: String?
    /// The event's `hook_event_name`, `tool_name` and `session_id`, when it had them.
    public var event: String?
    public var tool: String?
    public var session: String?

    public init(decision: Decision, rules: [String] = [], reason: String? = nil, redactions: [String: Int] = [:]) {
        self.decision = decision
        self.rules = rules
        self.reason = reason
        self.redactions = redactions
    }
}
