import WardenJSON
public import WardenShell

/// Which list of `permissions` a rule comes from; the order of the cases is the precedence.
public enum RuleList: String, Sendable, Hashable, CaseIterable, Comparable {
    case deny, ask, allow

    public static func < (lhs: RuleList, rhs: RuleList) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// One permission rule in Claude Code's syntax: `Tool` or `Tool(specifier)`.
public struct PermissionRule: Sendable, Hashable, CustomStringConvertible {
    /// The rule as written in the policy.
    public let text: String
    public let list: RuleList
    let tool: String
    let matcher: Matcher

    enum Matcher: Sendable, Hashable {
        /// A bare tool name, `Tool(*)` or `Tool()`: every use of the tool.
        case everyUse
        case bash(BashPattern)
        case path(PathPattern)
        case webFetchDomain(String)
        /// `mcp__server`, `mcp__server__tool`, `mcp__server__*`: a tool-name pattern.
        case toolName(String)
        /// A specifier Warden does not evaluate (`Agent(Explore)`, `Skill(x)`); Claude Code still
        /// does, and `policy check` says so.
        case unevaluated(String)
    }

    public var description: String { text }

    /// The tools whose file paths `Read(…)` rules cover.
    static let readingTools: Set<String> = ["Read", "Grep", "Glob", "LS", "NotebookRead"]
    /// The tools whose file paths `Edit(…)` rules cover; a rule naming any of them covers all.
    static let editingTools: Set<String> = ["Edit", "Write", "MultiEdit", "NotebookEdit"]

    /// A rule that cannot be read, with the offset in the rule text where the problem is.
    struct SyntaxError: Error, Sendable, Hashable {
        let message: String
        let offset: Int
    }

    init(parsing text: String, list: RuleList) throws(SyntaxError) {
        self.text = text
        self.list = list
        let trimmed = text.trimmingWhitespace()
        guard !trimmed.isEmpty else { throw SyntaxError(message: "empty rule", offset: 0) }
        // In ASCII text every byte is a character of its own (no combining mark can join one),
        // so `(` is found as a byte there: the character search cost more than the rest of a
        // rule's reading.
        let openByte = trimmed.utf8.allSatisfy { $0 < 0x80 } ? trimmed.utf8.firstIndex(of: UInt8(ascii: "(")) : trimmed.firstIndex(of: "(")
        guard let open = openByte else {
            try PermissionRule.validateToolName(trimmed)
            self.tool = trimmed
            self.matcher = trimmed.hasPrefix("mcp__") ? .toolName(trimmed) : .everyUse
            return
        }
        guard trimmed.hasSuffix(")") else {
            throw SyntaxError(message: "rule has '(' but does not end with ')'", offset: text.utf8.count)
        }
        let tool = String(trimmed[..<open])
        try PermissionRule.validateToolName(tool)
        let specifier = String(trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)])
        self.tool = tool
        if specifier.isEmpty || specifier == "*" {
            self.matcher = .everyUse
        } else if tool == "Bash" {
            self.matcher = .bash(try BashPattern(specifier))
        } else if PermissionRule.readingTools.contains(tool) || PermissionRule.editingTools.contains(tool) {
            do {
                self.matcher = .path(try PathPattern(specifier))
            } catch {
                throw SyntaxError(message: "bad glob in \(tool)(…): \(error.message)", offset: tool.utf8.count + 1)
            }
        } else if tool == "WebFetch" {
            guard specifier.hasPrefix("domain:") else {
                throw SyntaxError(message: "WebFetch rules take 'domain:HOST', as in WebFetch(domain:example.com)", offset: tool.utf8.count + 1)
            }
            let domain = specifier.dropFirst("domain:".count).lowercased()
            guard !domain.isEmpty, !domain.contains(where: { $0 == "/" || $0.isWhitespace || $0.asciiValue.map { $0 < 0x20 } == true }) else {
                throw SyntaxError(message: "\(JSONValue.quoted(domain)) is not a host name", offset: tool.utf8.count + 8)
            }
            self.matcher = .webFetchDomain(domain.hasPrefix("*.") ? String(domain.dropFirst(2)) : domain)
        } else {
            self.matcher = .unevaluated(specifier)
        }
    }

    private static func validateToolName(_ name: String) throws(SyntaxError) {
        // Tool names are ASCII letters, digits, `_` and `-`: checked as bytes, since the
        // character-by-character check (grapheme breaking, Unicode properties) cost the hook a
        // fiftieth of a call. Anything else takes the full check, which names the offender.
        let mcp = name.hasPrefix("mcp__")
        if name.utf8.allSatisfy({ byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"): true
            case UInt8(ascii: "*"): mcp
            default: false
            }
        }) {
            return
        }
        for (offset, character) in name.enumerated() {
            guard character.isLetter || character.isNumber || character == "_" || character == "-"
                || (character == "*" && name.hasPrefix("mcp__"))
            else {
                throw SyntaxError(message: "\(JSONValue.quoted(String(character))) cannot appear in a tool name", offset: offset)
            }
        }
    }

    /// For an exact or prefix `Bash(…)` rule, the normal form of the command it names: what
    /// Warden compares with each command's normal form. Nil for wildcard and other rules.
    public var bashNormalForm: CommandNormalForm? {
        if case .bash(let pattern) = matcher { return pattern.canonical }
        return nil
    }

    /// Whether Claude Code's own matching (on the text alone) takes this `Bash(…)` rule to match
    /// one simple command's text; for comparisons such as `warden-bench fidelity`.
    public func matchesAsClaudeCode(commandText: String) -> Bool {
        switch matcher {
        case .bash(let pattern): return pattern.matchesText(commandText)
        case .everyUse: return tool == "Bash"
        default: return false
        }
    }

    /// Whether this is a `Bash(…)` rule that could match some command called `name`.
    public func couldApply(toCommandNamed name: String) -> Bool {
        if case .bash(let pattern) = matcher { return pattern.couldApply(toCommandNamed: name) }
        return false
    }

    /// Whether the rule is about `toolName` at all (before looking at its specifier).
    func concerns(toolName: String) -> Bool {
        switch matcher {
        case .toolName(let pattern):
            // `mcp__server` covers every tool of the server.
            return toolName == pattern || toolName.hasPrefix(pattern + "__") || wildcardMatch(pattern, toolName)
        case .path:
            if PermissionRule.editingTools.contains(tool) { return PermissionRule.editingTools.contains(toolName) }
            if tool == "Read" { return PermissionRule.readingTools.contains(toolName) }
            return tool == toolName
        default:
            if tool == "Edit" { return PermissionRule.editingTools.contains(toolName) }
            return tool == toolName
        }
    }

    /// Whether the rule governs files read (`Read` family) or written (`Edit` family).
    var pathAccess: PathAccess? {
        guard case .path = matcher else {
            if case .everyUse = matcher {
                if tool == "Read" { return .read }
                if PermissionRule.editingTools.contains(tool) { return .write }
            }
            return nil
        }
        return PermissionRule.editingTools.contains(tool) ? .write : .read
    }

    enum PathAccess { case read, write }
}

extension String {
    func trimmingWhitespace() -> String {
        // Most rules begin and end with a printable ASCII character, which is never whitespace,
        // whatever follows it: no need to look at characters (grapheme breaking) for those.
        if let first = utf8.first, let last = utf8.last, (0x21...0x7E).contains(first), (0x21...0x7E).contains(last) {
            return self
        }
        var slice = Substring(self)
        while let first = slice.first, first.isWhitespace { slice.removeFirst() }
        while let last = slice.last, last.isWhitespace { slice.removeLast() }
        return String(slice)
    }
}
