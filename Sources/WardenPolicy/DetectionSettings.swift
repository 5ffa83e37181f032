public import WardenDetect
import WardenJSON

/// What Warden does with a detected secret or piece of personal data, at one place data leaves
/// the machine.
public enum DetectionAction: String, Sendable, Hashable {
    /// Replace the value with a placeholder (tool output only).
    case redact
    /// Stop it: withhold the tool output, refuse the prompt, refuse the commit.
    case block
    /// Let it through unchanged.
    case allow
}

/// The actions for one place data leaves (tool output, prompts, commits): a default per category
/// (`secret`, `pii`), overridden per kind (`EMAIL`).
public struct DetectionRules: Sendable, Hashable {
    public var byCategory: [DetectionCategory: DetectionAction]
    public var byKind: [String: DetectionAction]

    public init(byCategory: [DetectionCategory: DetectionAction], byKind: [String: DetectionAction] = [:]) {
        self.byCategory = byCategory
        self.byKind = byKind
    }

    public func action(for kind: DetectionKind) -> DetectionAction {
        byKind[kind.name] ?? byCategory[kind.category] ?? .allow
    }

    /// The kinds a scan must look for: every kind whose action is not `allow`.
    public func kindsToScan() -> Set<DetectionKind> {
        Set(Detector.catalogue.filter { action(for: $0) != .allow })
    }
}

/// How redacted values read: `[REDACTED:EMAIL]`, or a pseudonym that stays the same for the same
/// value within a Claude Code session (`<EMAIL_1>`), so the model can still tell values apart.
public enum RedactionStyle: String, Sendable, Hashable {
    case placeholder
    case pseudonym
}

/// Warden's `detection` settings: what happens to secrets and personal data in tool output,
/// in prompts, and in commits.
public struct DetectionSettings: Sendable, Hashable {
    public var style: RedactionStyle
    public var toolOutput: DetectionRules
    public var prompts: DetectionRules
    public var commits: DetectionRules
    /// Exact values that are never redacted nor block a prompt, whatever their kind (`allowValues`).
    public var allowedValues: [String]

    /// With no Warden key in the policy: every secret and every kind of personal data is redacted
    /// from tool output; a prompt is refused for a secret, a payment card or an SSN; a commit is
    /// refused for a secret, a payment card, an SSN or an IBAN (emails, phone numbers and IP
    /// addresses are everyday content of source code).
    public static let defaults = DetectionSettings(
        style: .placeholder,
        toolOutput: DetectionRules(byCategory: [.secret: .redact, .pii: .redact]),
        prompts: DetectionRules(byCategory: [.secret: .block, .pii: .allow], byKind: ["CREDIT_CARD": .block, "US_SSN": .block]),
        commits: DetectionRules(
            byCategory: [.secret: .block, .pii: .allow], byKind: ["CREDIT_CARD": .block, "US_SSN": .block, "IBAN": .block]),
        allowedValues: everydayAddresses
    )

    /// The loopback and unspecified addresses: detected as IP addresses (they are), but they name
    /// no one, and test and server output is full of them.
    public static let everydayAddresses = ["127.0.0.1", "0.0.0.0", "::1", "::"]

    /// The setting names, for messages and documentation.
    static let surfaces: [(key: String, actions: [DetectionAction])] = [
        ("toolOutput", [.redact, .block, .allow]),
        ("prompts", [.block, .allow]),
        ("commits", [.block, .allow]),
    ]
}

/// Reads `warden.detection`, reporting every problem with its position. Kind names are checked
/// against the detectors' catalogue: a misspelt kind is a protection that silently does nothing.
struct DetectionSettingsReader {
    var problems: [PolicyProblem] = []

    mutating func error(_ message: String, at position: JSONPosition) {
        problems.append(PolicyProblem(severity: .error, position: position, message: message))
    }

    mutating func read(_ json: JSONValue) -> DetectionSettings {
        var settings = DetectionSettings.defaults
        guard let members = json.members else {
            error("\"detection\" must be an object, found \(json.typeName)", at: json.position)
            return settings
        }
        for member in members {
            switch member.key {
            case "style":
                guard let style = member.value.string.flatMap(RedactionStyle.init(rawValue:)) else {
                    error("detection.style must be \"placeholder\" or \"pseudonym\"", at: member.value.position)
                    continue
                }
                settings.style = style
            case "toolOutput":
                settings.toolOutput = readRules(member.value, key: member.key, base: settings.toolOutput)
            case "prompts":
                settings.prompts = readRules(member.value, key: member.key, base: settings.prompts)
            case "commits":
                settings.commits = readRules(member.value, key: member.key, base: settings.commits)
            case "allowValues":
                settings.allowedValues = readAllowedValues(member.value)
            default:
                error("unknown detection setting \(JSONValue.quoted(member.key)) (known: style, toolOutput, prompts, commits, allowValues)", at: member.keyPosition)
            }
        }
        return settings
    }

    /// The list replaces the default one (`DetectionSettings.everydayAddresses`).
    mutating func readAllowedValues(_ json: JSONValue) -> [String] {
        guard case .array(let items) = json.kind else {
            error("detection.allowValues must be an array of strings, found \(json.typeName)", at: json.position)
            return DetectionSettings.everydayAddresses
        }
        var values: [String] = []
        for item in items {
            guard let value = item.string, !value.isEmpty else {
                error("detection.allowValues entries must be non-empty strings, found \(item.typeName)", at: item.position)
                continue
            }
            values.append(value)
        }
        return values
    }

    /// Entries override the defaults one by one, so `{"EMAIL": "allow"}` changes only emails.
    mutating func readRules(_ json: JSONValue, key: String, base: DetectionRules) -> DetectionRules {
        var rules = base
        guard let members = json.members else {
            error("detection.\(key) must be an object of kind or category names to actions, found \(json.typeName)", at: json.position)
            return rules
        }
        let allowed = DetectionSettings.surfaces.first { $0.key == key }?.actions ?? []
        let allowedText = allowed.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
        for member in members {
            guard let action = member.value.string.flatMap(DetectionAction.init(rawValue:)), allowed.contains(action) else {
                error("detection.\(key).\(member.key) must be one of \(allowedText)", at: member.value.position)
                continue
            }
            if let category = DetectionCategory(rawValue: member.key) {
                rules.byCategory[category] = action
            } else if Detector.kind(named: member.key) != nil {
                rules.byKind[member.key] = action
            } else {
                error("detection.\(key): unknown kind \(JSONValue.quoted(member.key)); use \"secret\", \"pii\" or a kind `warden scan --list-kinds` prints", at: member.keyPosition)
            }
        }
        return rules
    }
}
