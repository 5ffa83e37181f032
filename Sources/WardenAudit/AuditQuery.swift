/// Which records to show. Every filter that is set must match; within one filter, any of its
/// values may match.
public struct AuditQuery: Sendable, Hashable {
    /// Session ids, or their beginnings (a UUID's first 8 characters are enough).
    public var sessions: [String] = []
    public var decisions: Set<AuditDecision> = []
    /// Tool names, compared without regard to case (`bash` finds `Bash`).
    public var tools: [String] = []
    /// Text found in any matching rule: `curl` finds `Bash(curl:*)`.
    public var rules: [String] = []
    /// Hook events: PreToolUse, PostToolUse, UserPromptSubmit, …
    public var events: [String] = []
    /// From this moment, inclusive.
    public var since: AuditTime?
    /// Up to this moment, exclusive.
    public var until: AuditTime?
    /// Where hook records' sessions ran: `outside` (the hook found itself outside Warden's
    /// sandbox), `sandbox` (handed over through a `warden run` channel).
    public var confinements: [String] = []
    /// Keep only the last this many matches.
    public var limit: Int?

    public init(
        sessions: [String] = [], decisions: Set<AuditDecision> = [], tools: [String] = [], rules: [String] = [],
        events: [String] = [], since: AuditTime? = nil, until: AuditTime? = nil, limit: Int? = nil
    ) {
        self.sessions = sessions
        self.decisions = decisions
        self.tools = tools
        self.rules = rules
        self.events = events
        self.since = since
        self.until = until
        self.limit = limit
    }

    public func matches(_ record: AuditRecord) -> Bool {
        if let since, record.time < since { return false }
        if let until, record.time >= until { return false }
        if !decisions.isEmpty && !decisions.contains(record.decision) { return false }
        if !sessions.isEmpty && !sessions.contains(where: { record.session.hasPrefix($0) }) { return false }
        if !tools.isEmpty {
            guard let tool = record.tool?.lowercased(), tools.contains(where: { $0.lowercased() == tool }) else { return false }
        }
        if !events.isEmpty && !events.contains(where: { $0.lowercased() == record.event.lowercased() }) { return false }
        if !confinements.isEmpty {
            guard let confinement = record.confinement else { return false }
            let place = confinement == "outside" ? "outside" : "sandbox"
            if !confinements.contains(place) { return false }
        }
        if !rules.isEmpty && !record.rules.contains(where: { rule in rules.contains { rule.contains($0) } }) { return false }
        return true
    }

    /// The matching records in log order; with a limit, the last ones.
    public func apply(_ records: [AuditRecord]) -> [AuditRecord] {
        let matching = records.filter(matches)
        if let limit, matching.count > limit { return Array(matching.suffix(max(0, limit))) }
        return matching
    }
}
