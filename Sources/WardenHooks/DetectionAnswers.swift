public import WardenDetect
import WardenJSON
public import WardenPolicy
public import WardenRedact

extension HookResponder {
    /// The redactor for tool output under `settings`: every kind not allowed is looked for.
    public static func toolOutputRedactor(_ settings: DetectionSettings, pseudonyms: PseudonymBook?) -> Redactor {
        var treatments: [DetectionKind: Treatment] = [:]
        for kind in Detector.catalogue {
            switch settings.toolOutput.action(for: kind) {
            case .redact: treatments[kind] = .redact
            case .block: treatments[kind] = .withhold
            case .allow: continue
            }
        }
        let style: Redactor.Style =
            if settings.style == .pseudonym, let pseudonyms { .pseudonym(pseudonyms) } else { .placeholder }
        var redactor = Redactor(treatments: treatments, style: style)
        redactor.allowedValues = settings.allowedValues
        return redactor
    }

    /// PostToolUse: every string inside `tool_response` redacted, answered as an
    /// `updatedToolOutput` of exactly the same shape; nothing at all when nothing was found.
    func postToolUse(_ event: JSONValue) -> HookAnswer {
        guard let toolName = event["tool_name"]?.string, !toolName.isEmpty else {
            return .block("the PostToolUse event has no \"tool_name\" string.")
        }
        guard let response = event["tool_response"] else {
            return .block("the PostToolUse event for \(JSONValue.quoted(toolName)) has no \"tool_response\".")
        }
        var redactor = Self.toolOutputRedactor(detection, pseudonyms: pseudonyms)
        let redacted = redactor.redact(json: response)
        guard let redacted else { return .noDecision }

        // MCP tools take their rewritten result under a key of their own.
        let key = toolName.hasPrefix("mcp__") ? "updatedMCPToolOutput" : "updatedToolOutput"
        let output = JSONValue.object([
            JSONMember(key: "hookSpecificOutput", value: .object([
                JSONMember(key: "hookEventName", value: .string("PostToolUse")),
                JSONMember(key: key, value: redacted),
            ])),
        ])
        let summary = DecisionSummary(
            decision: redactor.withheldKinds.isEmpty ? .redact : .block,
            reason: redactor.withheldKinds.isEmpty ? nil : Redactor.withheldNotice(for: redactor.withheldKinds),
            redactions: redactor.countsByName)
        var answer = HookAnswer(exitStatus: 0, stdout: output.serialized + "\n", summary: summary)
        if case .pseudonym(let book) = redactor.style { answer.pseudonyms = book }
        return answer
    }

    /// UserPromptSubmit: a prompt carrying a kind the policy blocks never reaches the model. The
    /// reason names the kinds, never the values.
    func userPromptSubmit(_ event: JSONValue) -> HookAnswer {
        guard let prompt = event["prompt"]?.string else {
            return .block("the UserPromptSubmit event has no \"prompt\" string.")
        }
        let settings = detection
        let blocked = Set(Detector.catalogue.filter { settings.prompts.action(for: $0) == .block })
        guard !blocked.isEmpty else { return .noDecision }
        let findings = Detector(kinds: blocked).scan(prompt).filter { finding in
            let value = prompt.utf8.dropFirst(finding.range.lowerBound).prefix(finding.range.count)
            return !Redactor.isAllowed(value, among: settings.allowedValues)
        }
        guard !findings.isEmpty else { return .noDecision }
        var counts: [String: Int] = [:]
        for finding in findings { counts[finding.kind.name, default: 0] += 1 }
        let names = counts.keys.sorted().joined(separator: ", ")
        let reason = "Warden blocked this prompt: it contains \(names) (values not shown). Remove them and send the prompt again."
        let output = JSONValue.object(["decision": .string("block"), "reason": .string(reason)])
        return HookAnswer(
            exitStatus: 0, stdout: output.serialized + "\n",
            summary: DecisionSummary(decision: .block, reason: reason, redactions: counts))
    }
}

extension HookResponder {
    /// The decision log's summary of a Bash command's output that `warden-hook --run` redacted
    /// (event `CommandOutput`): with the shell prefix in place, PostToolUse sees output already
    /// redacted, and a failing command has no PostToolUse at all, so this is the record of what
    /// was taken out.
    public static func commandOutputSummary(
        command: String, session: String?, redactions: [String: Int], withheldKinds: Set<DetectionKind>
    ) -> DecisionSummary {
        var summary = DecisionSummary(
            decision: !withheldKinds.isEmpty ? .block : redactions.isEmpty ? .none : .redact,
            reason: withheldKinds.isEmpty ? nil : Redactor.withheldNotice(for: withheldKinds),
            redactions: redactions)
        summary.event = "CommandOutput"
        summary.tool = "Bash"
        summary.session = session
        summary.subject = command.isEmpty ? nil : subject(text: command)
        return summary
    }
}

extension Redactor {
    /// Counts by kind name, for summaries and logs.
    public var countsByName: [String: Int] {
        var result: [String: Int] = [:]
        for (kind, count) in counts { result[kind.name] = count }
        return result
    }
}
