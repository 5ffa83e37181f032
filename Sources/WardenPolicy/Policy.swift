public import WardenAudit
public import WardenJSON
public import WardenNetwork

/// A problem in a policy file, where it is.
public struct PolicyProblem: Sendable, Hashable, CustomStringConvertible {
    public enum Severity: String, Sendable, Hashable { case error, warning }

    public var severity: Severity
    public var position: JSONPosition
    public var message: String

    public var description: String { "\(position.line):\(position.column): \(severity.rawValue): \(message)" }
}

/// What Warden does with a command it cannot verify: one whose name or script is computed at run
/// time, or that does not parse, when the policy has rules that could apply to it.
public enum UnverifiableCommandAction: String, Sendable, Hashable {
    case ask, deny
}

/// A managed-settings file as Warden enforces it: Claude Code's `permissions`, and Warden's own
/// settings under the `warden` key.
public struct Policy: Sendable {
    public let rules: [PermissionRule]
    /// The directory of the settings file, the anchor of `/path` rules.
    public let settingsDirectory: String?
    /// `permissions.disableBypassPermissionsMode` is `"disable"`.
    public let bypassPermissionsDisabled: Bool
    public let unverifiableCommands: UnverifiableCommandAction
    /// What happens to secrets and personal data in tool output, prompts and commits.
    public let detection: DetectionSettings
    /// Where the decision log lives and how long it is kept (`warden.audit`, `cleanupPeriodDays`).
    public let audit: AuditSettings
    /// Where `warden log export` ships the decision log (`warden.export`).
    public let export: ExportSettings
    /// The sandbox of `warden run` (`sandbox`, `warden.sandbox`; not their `network` keys).
    public let sandbox: SandboxSettings
    /// Egress: `sandbox.network` and `warden.sandbox.network`.
    public let network: NetworkSettings

    /// The key of Warden's own settings in a managed-settings file.
    public static let namespace = "warden"

    public init(
        rules: [PermissionRule], settingsDirectory: String? = nil, bypassPermissionsDisabled: Bool = false,
        unverifiableCommands: UnverifiableCommandAction = .ask, detection: DetectionSettings = .defaults,
        audit: AuditSettings = AuditSettings(), export: ExportSettings = ExportSettings(),
        network: NetworkSettings = NetworkSettings(), sandbox: SandboxSettings = SandboxSettings()
    ) {
        self.network = network
        self.sandbox = sandbox
        self.audit = audit
        self.export = export
        self.rules = rules
        self.settingsDirectory = settingsDirectory
        self.bypassPermissionsDisabled = bypassPermissionsDisabled
        self.unverifiableCommands = unverifiableCommands
        self.detection = detection
    }

    /// A policy with the given rules, for tests and `warden policy explain --rule`.
    public init(deny: [String] = [], ask: [String] = [], allow: [String] = [], settingsDirectory: String? = nil) throws {
        var rules: [PermissionRule] = []
        for (list, texts) in [(RuleList.deny, deny), (.ask, ask), (.allow, allow)] {
            for text in texts {
                do throws(PermissionRule.SyntaxError) {
                    rules.append(try PermissionRule(parsing: text, list: list))
                } catch {
                    throw PolicyLoadError(path: nil, problems: [
                        PolicyProblem(severity: .error, position: .none, message: "\(list.rawValue) rule \(JSONValue.quoted(text)): \(error.message)"),
                    ])
                }
            }
        }
        self.init(rules: rules, settingsDirectory: settingsDirectory)
    }

    public func rules(in list: RuleList) -> [PermissionRule] { rules.filter { $0.list == list } }
}

/// Why a policy cannot be enforced: the first line names the file and the first error.
public struct PolicyLoadError: Error, Sendable, CustomStringConvertible {
    public var path: String?
    public var problems: [PolicyProblem]

    /// A policy file that could not be read at all.
    public static func unreadable(path: String, reason: String) -> PolicyLoadError {
        PolicyLoadError(path: path, problems: [PolicyProblem(severity: .error, position: .none, message: reason)])
    }

    public var description: String {
        let errors = problems.filter { $0.severity == .error }
        let file = path ?? "policy"
        guard let first = errors.first else { return "\(file): invalid" }
        let more = errors.count > 1 ? " (and \(errors.count - 1) more errors)" : ""
        let place = first.position == .none ? file : "\(file):\(first.position.line):\(first.position.column)"
        return "\(place): \(first.message)\(more)"
    }
}

extension Policy {
    /// Reads and checks a managed-settings text. Every problem is returned; the policy only when
    /// there is no error, since a guard must not enforce half a policy.
    public static func load(text: String, path: String?) -> (policy: Policy?, problems: [PolicyProblem]) {
        let json: JSONValue
        do throws(JSONSyntaxError) {
            json = try JSONValue.parse(text)
        } catch {
            return (nil, [PolicyProblem(severity: .error, position: error.position, message: "not valid JSON: \(error.message)")])
        }
        var reader = PolicyReader()
        let policy = reader.read(json, settingsDirectory: path.map(Paths.directory))
        let hasError = reader.problems.contains { $0.severity == .error }
        return (hasError ? nil : policy, reader.problems)
    }

    /// The policy in `text`, or an error naming the file, line and column of the first problem.
    public static func parse(text: String, path: String?) throws(PolicyLoadError) -> Policy {
        let (policy, problems) = load(text: text, path: path)
        guard let policy else { throw PolicyLoadError(path: path, problems: problems) }
        return policy
    }
}

/// Claude Code's settings keys (https://code.claude.com/docs/en/settings). A key not listed is a
/// warning, not an error: Claude Code adds settings faster than any list is kept, and an unknown
/// key there does not weaken what Warden enforces. A list, not a set: a policy has a handful of
/// top-level keys, and hashing these fifty names into a set cost more than every lookup.
private let knownSettingsKeys: [String] = [
    "$schema", "apiKeyHelper", "awsAuthRefresh", "awsCredentialExport", "cleanupPeriodDays", "companyAnnouncements",
    "disableAllHooks", "allowManagedHooksOnly", "allowManagedPermissionRulesOnly", "allowManagedMcpServersOnly",
    "enableAllProjectMcpServers", "enabledMcpjsonServers", "disabledMcpjsonServers", "allowedMcpServers",
    "deniedMcpServers", "env", "forceLoginMethod", "forceLoginOrgUUID", "hooks", "includeCoAuthoredBy",
    "includeGitInstructions", "model", "availableModels", "otelHeadersHelper", "outputStyle", "permissions",
    "sandbox", "statusLine", "spinnerTipsEnabled", "spinnerTipsOverride", "spinnerVerbs", "alwaysThinkingEnabled",
    "theme", "language", "autoUpdatesChannel", "attribution", "plansDirectory", "respectGitignore",
    "fileSuggestion", "enabledPlugins", "extraKnownMarketplaces", "strictKnownMarketplaces", "autoMemoryEnabled",
    "showTurnDuration", "terminalProgressBarEnabled", "prefersReducedMotion", "disableAutoMode", "skipWebFetchPreflight",
    "forceRemoteSettingsRefresh", "teammateMode", "verbose", "preferredNotifChannel",
    Policy.namespace,
]

private let permissionModes: Set<String> = ["default", "acceptEdits", "plan", "bypassPermissions", "dontAsk", "auto"]

private struct PolicyReader {
    var problems: [PolicyProblem] = []

    mutating func error(_ message: String, at position: JSONPosition) {
        problems.append(PolicyProblem(severity: .error, position: position, message: message))
    }

    mutating func warning(_ message: String, at position: JSONPosition) {
        problems.append(PolicyProblem(severity: .warning, position: position, message: message))
    }

    mutating func checkDuplicates(_ members: [JSONMember], in place: String) {
        var seen: Set<String> = []
        for member in members where !seen.insert(member.key).inserted {
            error("key \(JSONValue.quoted(member.key)) appears twice in \(place); only the last one counts", at: member.keyPosition)
        }
    }

    mutating func read(_ json: JSONValue, settingsDirectory: String?) -> Policy {
        guard let members = json.members else {
            error("the settings file must be a JSON object, found \(json.typeName)", at: json.position)
            return Policy(rules: [])
        }
        checkDuplicates(members, in: "the settings")
        var rules: [PermissionRule] = []
        var bypassDisabled = false
        var warden = WardenSettings()
        for member in members {
            switch member.key {
            case "permissions":
                readPermissions(member.value, rules: &rules, bypassDisabled: &bypassDisabled)
            case Policy.namespace:
                warden = readWardenSettings(member.value)
            case "cleanupPeriodDays":
                continue  // read with warden.audit below
            default:
                if !knownSettingsKeys.contains(member.key) {
                    warning("unknown setting \(JSONValue.quoted(member.key)); Claude Code and Warden ignore it", at: member.keyPosition)
                }
            }
        }
        let (audit, auditProblems) = AuditSettings.readWithPositions(policy: json)
        for problem in auditProblems { error(problem.message, at: problem.position) }
        let (export, exportProblems) = ExportSettings.readWithPositions(policy: json)
        for problem in exportProblems { error(problem.message, at: problem.position) }
        let (network, networkProblems) = NetworkSettings.readWithPositions(policy: json)
        for problem in networkProblems {
            if problem.isWarning { warning(problem.message, at: problem.position) } else { error(problem.message, at: problem.position) }
        }
        var sandboxReader = SandboxSettingsReader()
        let sandbox = sandboxReader.read(policy: json)
        problems += sandboxReader.problems
        return Policy(
            rules: rules, settingsDirectory: settingsDirectory, bypassPermissionsDisabled: bypassDisabled,
            unverifiableCommands: warden.unverifiableCommands, detection: warden.detection, audit: audit, export: export,
            network: network, sandbox: sandbox)
    }

    mutating func readPermissions(_ json: JSONValue, rules: inout [PermissionRule], bypassDisabled: inout Bool) {
        guard let members = json.members else {
            error("\"permissions\" must be an object, found \(json.typeName)", at: json.position)
            return
        }
        checkDuplicates(members, in: "\"permissions\"")
        for member in members {
            switch member.key {
            case "allow", "ask", "deny":
                let list = RuleList(rawValue: member.key)!
                guard let entries = member.value.array else {
                    error("\"\(member.key)\" must be an array of rule strings, found \(member.value.typeName)", at: member.value.position)
                    continue
                }
                for entry in entries {
                    guard let text = entry.string else {
                        error("a rule must be a string, found \(entry.typeName)", at: entry.position)
                        continue
                    }
                    do throws(PermissionRule.SyntaxError) {
                        let rule = try PermissionRule(parsing: text, list: list)
                        if case .unevaluated(let specifier) = rule.matcher {
                            warning("Warden does not evaluate the specifier \(JSONValue.quoted(specifier)) of \(rule.tool)(…); Claude Code still does", at: entry.position)
                        }
                        rules.append(rule)
                    } catch {
                        var position = entry.position
                        // Point into the string: past the opening quote, at the offending character.
                        position.column += 1 + error.offset
                        position.offset += 1 + error.offset
                        self.error("malformed rule \(JSONValue.quoted(text)): \(error.message)", at: position)
                    }
                }
            case "defaultMode":
                if let mode = member.value.string, !permissionModes.contains(mode) {
                    error("defaultMode \(JSONValue.quoted(mode)) is not one of \(permissionModes.sorted().joined(separator: ", "))", at: member.value.position)
                } else if member.value.string == nil {
                    error("defaultMode must be a string", at: member.value.position)
                }
            case "disableBypassPermissionsMode":
                guard member.value.string == "disable" else {
                    error("disableBypassPermissionsMode takes only the value \"disable\"", at: member.value.position)
                    continue
                }
                bypassDisabled = true
            case "additionalDirectories":
                if member.value.array?.allSatisfy({ $0.string != nil }) != true {
                    error("additionalDirectories must be an array of strings", at: member.value.position)
                }
            default:
                warning("unknown key \(JSONValue.quoted(member.key)) in \"permissions\"; Claude Code and Warden ignore it", at: member.keyPosition)
            }
        }
    }

    /// Warden's own namespace is checked strictly: a misspelt key there is a security setting that
    /// silently does nothing.
    mutating func readWardenSettings(_ json: JSONValue) -> WardenSettings {
        var settings = WardenSettings()
        guard let members = json.members else {
            error("\"\(Policy.namespace)\" must be an object, found \(json.typeName)", at: json.position)
            return settings
        }
        checkDuplicates(members, in: "\"\(Policy.namespace)\"")
        for member in members {
            switch member.key {
            case "unverifiableCommands":
                guard let value = member.value.string.flatMap(UnverifiableCommandAction.init(rawValue:)) else {
                    error("unverifiableCommands must be \"ask\" or \"deny\"", at: member.value.position)
                    continue
                }
                settings.unverifiableCommands = value
            case "detection":
                var reader = DetectionSettingsReader()
                settings.detection = reader.read(member.value)
                problems += reader.problems
            case "audit", "export", "sandbox":
                // Read from the whole document by `AuditSettings` (with `cleanupPeriodDays`),
                // `ExportSettings`, `NetworkSettings` (`sandbox.network` with it) and
                // `SandboxSettings`, once it is known.
                continue
            default:
                error("unknown Warden setting \(JSONValue.quoted(member.key)) (known: unverifiableCommands, detection, audit, export)", at: member.keyPosition)
            }
        }
        return settings
    }
}

extension Policy {
    /// The egress policy of `network`, with the domains of the `WebFetch(domain:…)` allow rules
    /// (each with its subdomains, as the hook reads them) and the origin of `ANTHROPIC_BASE_URL`.
    public func egressPolicy(anthropicBaseURL: String?) throws(HostSyntaxError) -> EgressPolicy {
        let webFetchDomains = rules(in: .allow).compactMap { rule -> String? in
            if case .webFetchDomain(let domain) = rule.matcher { return domain }
            return nil
        }
        return try network.egressPolicy(webFetchDomains: webFetchDomains, anthropicBaseURL: anthropicBaseURL)
    }
}

/// Everything under the policy's `warden` key.
private struct WardenSettings {
    var unverifiableCommands = UnverifiableCommandAction.ask
    var detection = DetectionSettings.defaults
}
