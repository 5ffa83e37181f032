public import WardenJSON
public import WardenShell

/// A tool call as the PreToolUse event describes it.
public struct ToolCall: Sendable {
    public var toolName: String
    public var input: JSONValue
    /// The session's working directory (the event's `cwd`).
    public var workingDirectory: String?
    /// The event's `permission_mode`.
    public var permissionMode: String?

    public init(toolName: String, input: JSONValue, workingDirectory: String?, permissionMode: String? = nil) {
        self.toolName = toolName
        self.input = input
        self.workingDirectory = workingDirectory
        self.permissionMode = permissionMode
    }
}

/// The answer for a tool call. `none` leaves the call to Claude Code's own permission flow.
public enum Verdict: String, Sendable, Hashable, Comparable {
    case deny, ask, allow, none

    public static func < (lhs: Verdict, rhs: Verdict) -> Bool { lhs.severity > rhs.severity }

    private var severity: Int {
        switch self {
        case .deny: 3
        case .ask: 2
        case .allow: 1
        case .none: 0
        }
    }
}

/// A rule that matched part of a call.
public struct RuleMatch: Sendable, Hashable {
    public var rule: PermissionRule
    /// The part that matched: a command as the shell will run it, a path, a host, a tool name.
    public var subject: String
    /// How the subject was reached, when it is not the whole call: `read by cat .env`,
    /// `in: echo ok && curl x`.
    public var context: String?
}

/// The decision and everything that led to it.
public struct Decision: Sendable {
    public var verdict: Verdict
    /// Why, for deny and ask: the rule and the part of the call it matched.
    public var reason: String?
    /// Every rule that matched, deny rules first.
    public var matches: [RuleMatch]
    /// What could not be verified, in words.
    public var unverifiable: [String]
    /// The commands of a Bash call that no allow rule covers; why a call is not allowed.
    public var notAllowed: [String]
    /// The shell analysis of a Bash call.
    public var analysis: ShellAnalysis?
}

/// Judges tool calls against a policy. Pure: the file system is only seen through `fileSystem`.
public struct PolicyEngine: Sendable {
    public let policy: Policy
    public let home: String?
    public let fileSystem: any FileSystemView
    /// Variables whose values the shell analysis may use, besides HOME.
    public let variables: [String: String]

    public init(policy: Policy, home: String?, fileSystem: any FileSystemView = NoFileSystem(), variables: [String: String] = [:]) {
        self.policy = policy
        self.home = home
        self.fileSystem = fileSystem
        self.variables = variables
    }

    public func decide(_ call: ToolCall) -> Decision {
        var evaluation = Evaluation(engine: self, call: call)
        evaluation.run()
        return evaluation.decision()
    }
}

private struct Evaluation {
    let engine: PolicyEngine
    let call: ToolCall
    let rules: [PermissionRule]
    var matches: [RuleMatch] = []
    var unverifiable: [String] = []
    var notAllowed: [String] = []
    var analysis: ShellAnalysis? = nil
    /// Set when the call is malformed: the decision is deny whatever the rules say.
    var malformed: String? = nil
    /// Whether every part of the call is covered by an allow rule (Bash calls are judged per command).
    var allowedByParts = false
    var anchorsCache: (workingDirectory: String?, anchors: PathPattern.Anchors)? = nil

    init(engine: PolicyEngine, call: ToolCall) {
        self.engine = engine
        self.call = call
        self.rules = engine.policy.rules.filter { $0.concerns(toolName: call.toolName) }
    }

    var pathContext: PathPattern.Context {
        PathPattern.Context(workingDirectory: call.workingDirectory, home: engine.home, settingsDirectory: engine.policy.settingsDirectory)
    }

    mutating func run() {
        if engine.policy.bypassPermissionsDisabled && call.permissionMode == "bypassPermissions" {
            malformed = "bypassPermissions mode is disabled by the managed policy"
            return
        }
        for rule in rules {
            if case .everyUse = rule.matcher { matches.append(RuleMatch(rule: rule, subject: call.toolName)) }
            if case .toolName = rule.matcher { matches.append(RuleMatch(rule: rule, subject: call.toolName)) }
        }
        switch call.toolName {
        case "Bash":
            guard let command = call.input["command"]?.string else {
                malformed = "the Bash call has no \"command\" string"
                return
            }
            judgeBash(command)
        case "Read", "Edit", "Write", "MultiEdit", "NotebookEdit":
            let key = call.toolName == "NotebookEdit" ? "notebook_path" : "file_path"
            guard let path = call.input[key]?.string, !path.isEmpty else {
                malformed = "the \(call.toolName) call has no \"\(key)\" string"
                return
            }
            judgePathTool(paths: [path])
        case "Grep", "Glob", "LS", "NotebookRead":
            let key = call.toolName == "NotebookRead" ? "notebook_path" : "path"
            let base = call.input[key]?.string ?? call.workingDirectory ?? "."
            var paths = [base]
            // A search pattern names the files it will open: `Glob("**/.env")` reads what
            // `Read(**/.env)` protects.
            for patternKey in ["pattern", "glob"] where call.toolName != "Grep" || patternKey == "glob" {
                if let pattern = call.input[patternKey]?.string, !pattern.isEmpty {
                    paths.append(pattern.hasPrefix("/") ? pattern : base + "/" + pattern)
                }
            }
            judgePathTool(paths: paths)
        case "WebFetch":
            judgeWebFetch()
        default:
            break
        }
    }

    // MARK: File tools

    func candidates(for path: String, relativeTo directory: String?) -> [String] {
        guard let absolute = Paths.absolute(path, relativeTo: directory, home: engine.home) else { return [] }
        var result = [absolute]
        if let resolved = engine.fileSystem.resolvedPath(absolute), resolved != absolute {
            result.append(resolved)
        } else if let parent = engine.fileSystem.resolvedPath(Paths.directory(of: absolute)) {
            // A file that does not exist yet, in a directory reached through a link.
            let throughParent = Paths.normalize(parent + "/" + Paths.lastComponent(absolute))
            if throughParent != absolute { result.append(throughParent) }
        }
        return result
    }

    mutating func judgePathTool(paths: [String]) {
        let pathRules = rules.filter { if case .path = $0.matcher { return true } else { return false } }
        guard !pathRules.isEmpty else { return }
        let anchors = PathPattern.Anchors(pathContext)
        for path in paths {
            let candidates = candidates(for: path, relativeTo: call.workingDirectory)
            let subjects = candidates.map(GlobPattern.Subject.init)
            for rule in pathRules {
                guard case .path(let pattern) = rule.matcher else { continue }
                if let hit = candidates.indices.first(where: { pattern.matches(subjects[$0], anchors: anchors, strict: rule.list != .allow) }) {
                    let hit = candidates[hit]
                    matches.append(RuleMatch(rule: rule, subject: hit, context: hit == path ? nil : "from \(path)"))
                }
            }
        }
    }

    // MARK: WebFetch

    mutating func judgeWebFetch() {
        let domainRules = rules.filter { if case .webFetchDomain = $0.matcher { return true } else { return false } }
        guard !domainRules.isEmpty else { return }
        guard let url = call.input["url"]?.string, let host = Evaluation.host(of: url) else {
            if domainRules.contains(where: { $0.list != .allow }) {
                malformed = "the WebFetch call has no URL whose host can be read"
            }
            return
        }
        for rule in domainRules {
            guard case .webFetchDomain(let domain) = rule.matcher else { continue }
            if host == domain || host.hasSuffix("." + domain) {
                matches.append(RuleMatch(rule: rule, subject: host, context: url))
            }
        }
    }

    /// The lower-cased host of an http(s) URL, without user info, port or a trailing dot.
    static func host(of url: String) -> String? {
        guard let schemeEnd = url.firstRange(of: "://") else { return nil }
        var rest = url[schemeEnd.upperBound...]
        if let end = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) { rest = rest[..<end] }
        if let at = rest.lastIndex(of: "@") { rest = rest[rest.index(after: at)...] }
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return nil }
            return String(rest[...close]).lowercased()
        }
        if let colon = rest.firstIndex(of: ":") { rest = rest[..<colon] }
        while rest.hasSuffix(".") { rest = rest.dropLast() }
        let host = rest.lowercased()
        return host.isEmpty || host.contains(where: { $0.isWhitespace || $0 == "\\" }) ? nil : host
    }

    // MARK: Bash

    /// Whether the policy has a deny or ask rule that a Bash command could trigger: then a command
    /// Warden cannot see through must not pass silently.
    var hasProtectiveShellRules: Bool {
        engine.policy.rules.contains { rule in
            guard rule.list != .allow else { return false }
            if case .bash = rule.matcher { return true }
            if case .path = rule.matcher { return true }
            return false
        }
    }

    mutating func judgeBash(_ command: String) {
        let environment = ShellEnvironment(workingDirectory: call.workingDirectory, home: engine.home, variables: engine.variables)
        let analysis: ShellAnalysis
        do throws(ShellSyntaxError) {
            analysis = try ShellAnalyzer.analyze(command, in: environment)
        } catch {
            if hasProtectiveShellRules {
                unverifiable.append("it does not parse as a shell command (\(error))")
            }
            return
        }
        self.analysis = analysis
        let bashRules = rules.filter { if case .bash = $0.matcher { return true } else { return false } }
        let allowEverything = rules.contains { $0.list == .allow && $0.matcher == .everyUse }
        let whole = command.trimmingWhitespace()
        // Rendered once: a script of thousands of commands must not cost thousands of copies.
        let wholeContext = "in: \(Evaluation.clip(whole))"
        let pathRules = engine.policy.rules.filter { rule in
            guard rule.list != .allow, case .path = rule.matcher else { return false }
            return true
        }
        var everyCommandAllowed = true
        for invocation in analysis.invocations {
            let line = CommandText(invocation)
            let context = invocation.source == whole ? nil : wholeContext
            var allowed = false
            for rule in bashRules {
                guard case .bash(let pattern) = rule.matcher, pattern.matches(line) else { continue }
                matches.append(RuleMatch(rule: rule, subject: invocation.source, context: context))
                if rule.list == .allow { allowed = true }
            }
            reportUnreadableArguments(of: invocation, against: bashRules)
            // A command whose name is computed at run time is never covered by an allow rule.
            if !allowed || invocation.name == nil {
                everyCommandAllowed = false
                notAllowed.append(invocation.source)
            }
            judgeFileAccesses(of: invocation, against: pathRules)
        }
        for concern in analysis.concerns where hasProtectiveShellRules {
            switch concern {
            case .dynamicCommandName(let source):
                unverifiable.append("the command name is computed when it runs (\(Evaluation.clip(source)))")
            case .dynamicScript(let source):
                unverifiable.append("it runs code that is only known when it runs (\(Evaluation.clip(source)))")
            case .nestedSyntaxError(let source, let message):
                unverifiable.append("code it runs does not parse (\(Evaluation.clip(source)): \(message))")
            }
        }
        allowedByParts = allowEverything || (everyCommandAllowed && !analysis.invocations.isEmpty)
    }

    /// Commands whose options Warden cannot read exactly: those GNU parallel runs without `-q`
    /// (it joins its words and hands them to a shell again), and words that begin like an option
    /// but are only known when the command runs (`-r{}` under xargs, `-$FLAGS`). Where a deny or
    /// ask rule could apply to the command, the answer cannot be proved, so it is reported.
    mutating func reportUnreadableArguments(of invocation: CommandInvocation, against bashRules: [PermissionRule]) {
        guard let name = invocation.name else { return }
        let reparsed = invocation.wrappers.contains("parallel")
        let dynamicOption = invocation.arguments.first { !$0.isStatic && $0.text.hasPrefix("-") && $0.text != "-" }
        guard reparsed || dynamicOption != nil else { return }
        let applicable = bashRules.contains { rule in
            guard rule.list != .allow, case .bash(let pattern) = rule.matcher else { return false }
            return pattern.couldApply(toCommandNamed: name)
        }
        guard applicable else { return }
        if let dynamicOption {
            unverifiable.append("an option of \(name) is only known when it runs (\(dynamicOption.text) in \(Evaluation.clip(invocation.source)))")
        } else {
            unverifiable.append("GNU parallel passes \(Evaluation.clip(invocation.source)) through a shell again; use parallel -q to run it as written")
        }
    }

    /// The anchors for commands run in `workingDirectory`, made once per directory: a script's
    /// commands mostly share one.
    mutating func anchors(workingDirectory: String?) -> PathPattern.Anchors {
        if let cached = anchorsCache, cached.workingDirectory == workingDirectory { return cached.anchors }
        var context = pathContext
        context.workingDirectory = workingDirectory
        let anchors = PathPattern.Anchors(context)
        anchorsCache = (workingDirectory, anchors)
        return anchors
    }

    mutating func judgeFileAccesses(of invocation: CommandInvocation, against pathRules: [PermissionRule]) {
        guard !pathRules.isEmpty else { return }
        for access in invocation.fileAccesses {
            let relevant = pathRules.filter { $0.pathAccess == (access.mode == .read ? .read : .write) }
            guard !relevant.isEmpty else { continue }
            let word = access.path
            var description: String { "\(access.mode == .read ? "read" : "written") by \(Evaluation.clip(invocation.source))" }
            if !word.isStatic {
                if word.containsCommandOutput {
                    unverifiable.append("a path it \(access.mode == .read ? "reads" : "writes") is computed when it runs (\(word.text) in \(Evaluation.clip(invocation.source)))")
                }
                continue
            }
            var candidates: [String] = []
            var floating: String? = nil
            if word.hasGlob, let pattern = Paths.absolute(word.text, relativeTo: invocation.workingDirectory, home: engine.home) {
                candidates = engine.fileSystem.expandGlob(pattern).flatMap { self.candidates(for: $0, relativeTo: nil) }
            }
            let direct = self.candidates(for: word.text, relativeTo: invocation.workingDirectory)
            if direct.isEmpty && !word.text.hasPrefix("/") { floating = word.text }
            candidates += direct
            let anchors = anchors(workingDirectory: invocation.workingDirectory ?? call.workingDirectory)
            candidates.removeAll(where: Paths.isPseudoFile)
            let subjects = candidates.map(GlobPattern.Subject.init)
            for rule in relevant {
                guard case .path(let pattern) = rule.matcher else { continue }
                if let hit = candidates.indices.first(where: { pattern.matches(subjects[$0], anchors: anchors, strict: true) }) {
                    matches.append(RuleMatch(rule: rule, subject: candidates[hit], context: description))
                } else if let floating, pattern.mayMatch(relativePath: floating) {
                    matches.append(RuleMatch(rule: rule, subject: floating, context: description + ", in a directory Warden cannot know"))
                }
            }
        }
    }

    /// One line of at most `limit` characters; cut before anything else, so the cost does not
    /// grow with the text.
    static func clip(_ text: String, limit: Int = 160) -> String {
        // A text of at most `limit` bytes has at most `limit` characters: without a line break it
        // is its own clip, and counting its characters (grapheme breaking) is what cost most.
        if text.utf8.count <= limit, !text.utf8.contains(where: { $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") }) {
            return text
        }
        let head = text.prefix(limit + 1)
        let flat = String(head.prefix(limit).map { $0 == "\n" || $0 == "\r" ? " " : $0 })
        return head.count > limit ? flat + "…" : flat
    }

    // MARK: The decision

    func decision() -> Decision {
        let ordered = matches.sorted { $0.rule.list < $1.rule.list }
        var verdict = Verdict.none
        var reason: String? = nil
        if let malformed {
            verdict = .deny
            reason = "Warden denied this: \(malformed)."
        } else if let deny = ordered.first(where: { $0.rule.list == .deny }) {
            verdict = .deny
            reason = "Warden denied this: " + Evaluation.describe(deny, among: ordered.filter { $0.rule.list == .deny })
        } else if !unverifiable.isEmpty {
            verdict = engine.policy.unverifiableCommands == .deny ? .deny : .ask
            reason = "Warden cannot verify this command: \(unverifiable[0])" + (unverifiable.count > 1 ? " (and \(unverifiable.count - 1) more)." : ".")
        } else if let ask = ordered.first(where: { $0.rule.list == .ask }) {
            verdict = .ask
            reason = "Warden asks first: " + Evaluation.describe(ask, among: ordered.filter { $0.rule.list == .ask })
        } else if call.toolName == "Bash" ? allowedByParts : ordered.contains(where: { $0.rule.list == .allow }) {
            verdict = .allow
        }
        return Decision(verdict: verdict, reason: reason, matches: ordered, unverifiable: unverifiable, notAllowed: notAllowed, analysis: analysis)
    }

    static func describe(_ match: RuleMatch, among all: [RuleMatch]) -> String {
        var text = "rule \(match.rule.list.rawValue) \(match.rule.text) matches \(clip(match.subject))"
        if let context = match.context { text += " (\(context))" }
        let others = Set(all.map(\.rule.text)).subtracting([match.rule.text])
        if !others.isEmpty { text += "; also \(others.sorted().joined(separator: ", "))" }
        return text + "."
    }
}
