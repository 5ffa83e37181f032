/// What a detector reports: a kind of secret or personal data at a byte range of the scanned text.
/// Byte offsets are into the UTF-8 bytes, end exclusive, so that a finding can be replaced without
/// decoding the text again.
public struct Finding: Sendable, Hashable {
    public var kind: DetectionKind
    public var range: Range<Int>
    public var confidence: Confidence
    /// The rule that matched, e.g. "github-fine-grained-pat": for reports and for `warden scan`,
    /// never shown to the model.
    public var rule: String

    public init(kind: DetectionKind, range: Range<Int>, confidence: Confidence, rule: String) {
        self.kind = kind
        self.range = range
        self.confidence = confidence
        self.rule = rule
    }
}

/// How sure a rule is. `high`: a checksum or a provider's unique prefix; `medium`: a strong
/// format with context; `low`: a generic pattern gated by entropy or a nearby keyword.
public enum Confidence: Int, Sendable, Hashable, Comparable, CustomStringConvertible {
    case low = 1, medium = 2, high = 3

    public static func < (lhs: Confidence, rhs: Confidence) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String {
        switch self {
        case .low: "low"
        case .medium: "medium"
        case .high: "high"
        }
    }
}

/// Secrets and personal data are configured, reported and blocked separately.
public enum DetectionCategory: String, Sendable, Hashable, CaseIterable {
    case secret
    case pii
}

/// A kind of finding, named in SCREAMING_SNAKE_CASE. The name is what redaction writes
/// (`[REDACTED:EMAIL]`) and what the policy's `warden` settings use to turn kinds on or off.
public struct DetectionKind: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let name: String
    public let category: DetectionCategory

    public init(_ name: String, _ category: DetectionCategory) {
        self.name = name
        self.category = category
    }

    public var description: String { name }

    public static func < (lhs: DetectionKind, rhs: DetectionKind) -> Bool { lhs.name < rhs.name }
}
