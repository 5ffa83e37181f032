import WardenJSON

/// The sandbox settings of a managed-settings file: Claude Code's `sandbox` keys (all but
/// `network`, which `NetworkSettings` reads) and Warden's `warden.sandbox` keys (all but
/// `network`). `warden run` turns them, with the `Read`/`Edit` rules, into a `SandboxPlan`.
///
///     "sandbox": { "failIfUnavailable": true, "filesystem": { "denyRead": ["~/.aws"] } },
///     "warden": { "sandbox": { "required": true, "environment": { "keep": ["GH_TOKEN"] },
///                              "limits": { "processes": 2048 } } }
public struct SandboxSettings: Sendable, Hashable {
    // Claude Code's keys (https://code.claude.com/docs/en/settings#sandbox-settings).
    /// `sandbox.enabled`: Claude Code's own sandbox. Inside `warden run` it is turned off (see
    /// the README): Warden's sandbox already holds the whole session.
    public var enabled: Bool?
    /// `sandbox.failIfUnavailable`: when the sandbox cannot start, refuse to run (Warden's
    /// default, `true`) rather than run the agent unsandboxed.
    public var failIfUnavailable: Bool = true
    public var autoAllowBashIfSandboxed: Bool?
    public var excludedCommands: [String] = []
    public var allowUnsandboxedCommands: Bool?
    public var enableWeakerNestedSandbox: Bool?
    /// `sandbox.ignoreViolations`: command pattern → paths; accepted and checked, not used.
    public var ignoreViolations: [String: [String]] = [:]
    /// `sandbox.filesystem.*`: Claude Code path patterns (`//abs`, `~/home`, `/settings-dir`,
    /// `./cwd` or a bare relative path).
    public var allowWrite: [SandboxPathPattern] = []
    public var denyWrite: [SandboxPathPattern] = []
    public var denyRead: [SandboxPathPattern] = []
    public var allowRead: [SandboxPathPattern] = []

    // Warden's keys.
    /// `warden.sandbox.required`: the hook denies tool calls of sessions outside the sandbox.
    public var required: Bool = false
    /// `warden.sandbox.environment.keep`: variable names kept even when they look like secrets.
    public var environmentKeep: [String] = []
    public var limits = SandboxLimitSettings()

    public init() {}
}

/// `warden.sandbox.limits`: the most the whole session may use.
public struct SandboxLimitSettings: Sendable, Hashable {
    /// Processes and threads of the developer's uid (a fork bomb stops here; a parallel build of
    /// a large project with `make -j` and node workers stays far below it).
    public var processes: Int = 4096
    /// Address space per process (rlimit) or memory of the session (cgroup).
    public var memoryMegabytes: Int = 8192
    /// Open files per process.
    public var openFiles: Int = 8192

    public init(processes: Int = 4096, memoryMegabytes: Int = 8192, openFiles: Int = 8192) {
        self.processes = processes
        self.memoryMegabytes = memoryMegabytes
        self.openFiles = openFiles
    }
}

/// A path pattern of `sandbox.filesystem` or of a `Read(…)`/`Edit(…)` rule, in Claude Code's
/// syntax, with the same anchoring as the hook's matcher (`PathPattern`) so both layers agree.
public struct SandboxPathPattern: Sendable, Hashable, CustomStringConvertible {
    /// The pattern as written.
    public let text: String
    let pattern: PathPattern

    public var description: String { text }

    /// `forAllowing`: in `allowWrite`/`allowRead`, a bare relative path (`build`) names the
    /// directory below the working directory, never every `build` at any depth — an allow entry
    /// must not widen itself. Deny entries keep the hook's any-depth reading.
    public init(_ text: String, forAllowing: Bool = false) throws(SandboxPatternError) {
        self.text = text
        var source = text
        if forAllowing, !text.hasPrefix("/"), !text.hasPrefix("~"), !text.hasPrefix("./"), !text.hasPrefix("**/") {
            source = "./" + text
        }
        do throws(GlobPattern.SyntaxError) {
            pattern = try PathPattern(source)
        } catch {
            throw SandboxPatternError(message: error.message)
        }
    }

    init(text: String, pattern: PathPattern) {
        self.text = text
        self.pattern = pattern
    }

    /// The absolute glob patterns this pattern stands for in one session: one per anchor it may
    /// be read from. `strict` (deny entries) also tries `/path` below the working directory, as
    /// the hook does. A pattern that needs an unknown anchor gives nothing.
    public func absolutePatterns(home: String?, workingDirectory: String?, settingsDirectory: String?, strict: Bool) -> [String] {
        let context = PathPattern.Context(workingDirectory: workingDirectory, home: home, settingsDirectory: settingsDirectory)
        return pattern.absolutePatterns(in: context, strict: strict)
    }
}

public struct SandboxPatternError: Error, Sendable, Hashable {
    public let message: String
}

extension PathPattern {
    /// The same anchors as `matches(_:in:strict:)` (kept in step with its `bases`, which is
    /// private to the matcher's file), as absolute glob texts.
    func absolutePatterns(in context: Context, strict: Bool) -> [String] {
        func escaped(_ path: String?) -> String? {
            guard let path else { return nil }
            var result = ""
            for character in Paths.normalize(path) {
                if "*?[]\\".contains(character) { result.append("\\") }
                result.append(character)
            }
            return result == "/" ? "" : result
        }
        let bases: [String]
        switch anchor {
        case .root: bases = [""]
        case .home: bases = [escaped(context.home)].compactMap { $0 }
        case .settingsFile:
            bases = [escaped(context.settingsDirectory), strict ? escaped(context.workingDirectory) : nil].compactMap { $0 }
        case .workingDirectory: bases = [escaped(context.workingDirectory), strict ? "/**" : nil].compactMap { $0 }
        case .anyDepth:
            bases = strict ? ["/**"] : [escaped(context.workingDirectory).map { $0 + "/**" }].compactMap { $0 }
        }
        return bases.map { base in
            let joined = body.isEmpty ? base : base + "/" + body
            return joined.isEmpty ? "/" : joined
        }
    }
}

/// A gitignore-style glob over absolute paths (`*`, `?`, `[a-z]`, `**`): the hook's own matcher,
/// for the sandbox plan's glob expansion.
public struct PathGlob: Sendable, Hashable {
    let glob: GlobPattern
    /// The pattern's segments; `nil` for a `**` segment.
    public let segments: [String?]
    /// The last segment that is not `**`, compiled: a path the walk reports must end in a name
    /// that matches it, so names are filtered by it before the whole path is matched.
    let finalName: GlobPattern?
    /// That segment when it is plain text (`.ssh`), or plain text and one trailing `*` (`.env*`):
    /// the walk tests every name of every directory it lists against it, and comparing text
    /// costs a fraction of the compiled match (which cuts the name into characters each time;
    /// it was a fifth of `warden run`'s plan with `profiles/baseline.json`).
    let finalLiteral: String?
    let finalPrefix: String?

    public init(absolute text: String) throws(SandboxPatternError) {
        do throws(GlobPattern.SyntaxError) {
            glob = try GlobPattern(absolute: text)
        } catch {
            throw SandboxPatternError(message: error.message)
        }
        let segments: [String?] = text.split(separator: "/", omittingEmptySubsequences: true).reduce(into: []) { result, part in
            if part == "**" {
                if result.last.map({ $0 == nil }) != true { result.append(nil) }
            } else {
                result.append(String(part))
            }
        }
        self.segments = segments
        let final = segments.last(where: { $0 != nil }) ?? nil
        finalName = final.flatMap { try? GlobPattern(absolute: "/" + $0) }
        finalLiteral = final.flatMap { Self.isLiteral($0) ? $0 : nil }
        finalPrefix = final.flatMap { segment in
            guard segment.count > 1, segment.hasSuffix("*") else { return nil }
            let prefix = String(segment.dropLast())
            return Self.isLiteral(prefix) ? prefix : nil
        }
    }

    /// Whether a name can end a path this pattern matches (the walk's cheap first test).
    public func mayEndWith(name: String) -> Bool {
        if let finalLiteral { return name == finalLiteral }
        if let finalPrefix { return name.hasPrefix(finalPrefix) }
        guard let finalName else { return true }
        return finalName.matches("/" + name)
    }

    /// Whether `path` itself matches.
    public func matches(_ path: String) -> Bool { glob.matches(path) }
    /// Whether `path` or a directory above it matches.
    public func matchesItselfOrAncestor(of path: String) -> Bool { glob.matchesItselfOrAncestor(of: path) }

    /// Whether one path segment matches one pattern segment (no `**`).
    public static func segment(_ name: String, matches patternSegment: String) -> Bool {
        guard let glob = try? GlobPattern(absolute: "/" + patternSegment) else { return false }
        return glob.matches("/" + name)
    }

    /// Whether the segment has wildcards (`*`, `?`, `[`); an escaped one does not count.
    public static func isLiteral(_ patternSegment: String) -> Bool {
        !patternSegment.contains(where: { "*?[\\".contains($0) })
    }
}

/// Which tool family a path rule governs.
public enum FileAccess: String, Sendable, Hashable {
    /// `Read(…)` (and Grep, Glob, LS, NotebookRead).
    case read
    /// `Edit(…)` (and Write, MultiEdit, NotebookEdit).
    case edit
}

/// A `Read(…)` or `Edit(…)` permission rule with a path specifier.
public struct FilePathRule: Sendable, Hashable {
    public let list: RuleList
    public let access: FileAccess
    public let pattern: SandboxPathPattern
}

extension Policy {
    /// The domains of the `WebFetch(domain:…)` allow rules, which the egress policy allows too.
    public var webFetchAllowedDomains: [String] {
        rules(in: .allow).compactMap { rule -> String? in
            if case .webFetchDomain(let domain) = rule.matcher { return domain }
            return nil
        }
    }

    /// The policy's path rules, in order: what the sandbox turns into masks and read-only mounts.
    public var filePathRules: [FilePathRule] {
        rules.compactMap { rule in
            guard case .path(let pattern) = rule.matcher else { return nil }
            let access: FileAccess
            if PermissionRule.readingTools.contains(rule.tool) {
                access = .read
            } else if PermissionRule.editingTools.contains(rule.tool) {
                access = .edit
            } else {
                return nil
            }
            let specifier = rule.text.drop(while: { $0 != "(" }).dropFirst().dropLast()
            return FilePathRule(list: rule.list, access: access, pattern: SandboxPathPattern(text: String(specifier), pattern: pattern))
        }
    }
}

/// Reads `sandbox` and `warden.sandbox`, reporting every problem with its position.
struct SandboxSettingsReader {
    var problems: [PolicyProblem] = []

    mutating func error(_ message: String, at position: JSONPosition) {
        problems.append(PolicyProblem(severity: .error, position: position, message: message))
    }

    mutating func warning(_ message: String, at position: JSONPosition) {
        problems.append(PolicyProblem(severity: .warning, position: position, message: message))
    }

    /// Both halves from the whole settings document.
    mutating func read(policy json: JSONValue) -> SandboxSettings {
        var settings = SandboxSettings()
        guard let members = json.members else { return settings }
        if let sandbox = members.last(where: { $0.key == "sandbox" })?.value {
            readClaude(sandbox, into: &settings)
        }
        if let warden = members.last(where: { $0.key == Policy.namespace })?.value.members,
            let sandbox = warden.last(where: { $0.key == "sandbox" })?.value
        {
            readWarden(sandbox, into: &settings)
        }
        return settings
    }

    mutating func bool(_ value: JSONValue, _ name: String) -> Bool? {
        guard let result = value.bool else {
            error("\(name) must be true or false, found \(value.typeName)", at: value.position)
            return nil
        }
        return result
    }

    mutating func strings(_ value: JSONValue, _ name: String) -> [String] {
        guard let items = value.array else {
            error("\(name) must be an array of strings, found \(value.typeName)", at: value.position)
            return []
        }
        var result: [String] = []
        for item in items {
            guard let text = item.string, !text.isEmpty else {
                error("\(name) entries must be non-empty strings, found \(item.typeName)", at: item.position)
                continue
            }
            result.append(text)
        }
        return result
    }

    mutating func patterns(_ value: JSONValue, _ name: String, forAllowing: Bool) -> [SandboxPathPattern] {
        guard let items = value.array else {
            error("\(name) must be an array of path strings, found \(value.typeName)", at: value.position)
            return []
        }
        var result: [SandboxPathPattern] = []
        for item in items {
            guard let text = item.string, !text.isEmpty else {
                error("\(name) entries must be non-empty path strings, found \(item.typeName)", at: item.position)
                continue
            }
            do throws(SandboxPatternError) {
                result.append(try SandboxPathPattern(text, forAllowing: forAllowing))
            } catch {
                self.error("\(name) entry \(JSONValue.quoted(text)): \(error.message)", at: item.position)
            }
        }
        return result
    }

    mutating func readClaude(_ json: JSONValue, into settings: inout SandboxSettings) {
        guard let members = json.members else {
            error("\"sandbox\" must be an object, found \(json.typeName)", at: json.position)
            return
        }
        for member in members {
            let value = member.value
            let name = "sandbox.\(member.key)"
            switch member.key {
            case "network":
                continue  // NetworkSettings reads it.
            case "enabled": settings.enabled = bool(value, name)
            case "failIfUnavailable": settings.failIfUnavailable = bool(value, name) ?? true
            case "autoAllowBashIfSandboxed": settings.autoAllowBashIfSandboxed = bool(value, name)
            case "allowUnsandboxedCommands": settings.allowUnsandboxedCommands = bool(value, name)
            case "enableWeakerNestedSandbox": settings.enableWeakerNestedSandbox = bool(value, name)
            case "excludedCommands": settings.excludedCommands = strings(value, name)
            case "ignoreViolations":
                guard let entries = value.members else {
                    error("\(name) must be an object of command patterns to arrays of paths, found \(value.typeName)", at: value.position)
                    continue
                }
                for entry in entries {
                    settings.ignoreViolations[entry.key] = strings(entry.value, "\(name).\(entry.key)")
                }
            case "filesystem":
                readFilesystem(value, into: &settings)
            default:
                // Claude Code's own keys grow faster than any list, as for the top level.
                warning("unknown key \(JSONValue.quoted(member.key)) in \"sandbox\"; Warden ignores it", at: member.keyPosition)
            }
        }
    }

    mutating func readFilesystem(_ json: JSONValue, into settings: inout SandboxSettings) {
        guard let members = json.members else {
            error("sandbox.filesystem must be an object, found \(json.typeName)", at: json.position)
            return
        }
        for member in members {
            let name = "sandbox.filesystem.\(member.key)"
            switch member.key {
            case "allowWrite": settings.allowWrite = patterns(member.value, name, forAllowing: true)
            case "denyWrite": settings.denyWrite = patterns(member.value, name, forAllowing: false)
            case "denyRead": settings.denyRead = patterns(member.value, name, forAllowing: false)
            case "allowRead": settings.allowRead = patterns(member.value, name, forAllowing: true)
            default:
                warning("unknown key \(JSONValue.quoted(member.key)) in \"sandbox.filesystem\"; Warden ignores it", at: member.keyPosition)
            }
        }
    }

    /// Warden's half is strict: a misspelt key is a protection that silently does nothing.
    mutating func readWarden(_ json: JSONValue, into settings: inout SandboxSettings) {
        guard let members = json.members else {
            error("warden.sandbox must be an object, found \(json.typeName)", at: json.position)
            return
        }
        for member in members {
            let name = "warden.sandbox.\(member.key)"
            switch member.key {
            case "network":
                continue  // NetworkSettings reads it.
            case "required":
                settings.required = bool(member.value, name) ?? false
            case "environment":
                guard let environment = member.value.members else {
                    error("\(name) must be an object, found \(member.value.typeName)", at: member.value.position)
                    continue
                }
                for entry in environment {
                    guard entry.key == "keep" else {
                        error("unknown key \(JSONValue.quoted(entry.key)) in warden.sandbox.environment (known: keep)", at: entry.keyPosition)
                        continue
                    }
                    let names = strings(entry.value, "warden.sandbox.environment.keep")
                    for (index, variable) in names.enumerated() where !isVariableName(variable) {
                        let position = entry.value.array?[index].position ?? entry.value.position
                        error("warden.sandbox.environment.keep: \(JSONValue.quoted(variable)) is not an environment variable name", at: position)
                    }
                    settings.environmentKeep = names
                }
            case "limits":
                readLimits(member.value, into: &settings.limits)
            default:
                error("unknown Warden sandbox setting \(JSONValue.quoted(member.key)) (known: required, environment, limits, network)", at: member.keyPosition)
            }
        }
    }

    mutating func readLimits(_ json: JSONValue, into limits: inout SandboxLimitSettings) {
        guard let members = json.members else {
            error("warden.sandbox.limits must be an object, found \(json.typeName)", at: json.position)
            return
        }
        for member in members {
            let name = "warden.sandbox.limits.\(member.key)"
            guard ["processes", "memoryMegabytes", "openFiles"].contains(member.key) else {
                error("unknown key \(JSONValue.quoted(member.key)) in warden.sandbox.limits (known: processes, memoryMegabytes, openFiles)", at: member.keyPosition)
                continue
            }
            guard let value = member.value.integer, value > 0 else {
                error("\(name) must be a positive integer", at: member.value.position)
                continue
            }
            switch member.key {
            case "processes": limits.processes = value
            case "memoryMegabytes": limits.memoryMegabytes = value
            default: limits.openFiles = value
            }
        }
    }

    func isVariableName(_ name: String) -> Bool {
        guard let first = name.utf8.first, !(first >= 0x30 && first <= 0x39) else { return false }
        return name.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x5F }
    }
}
