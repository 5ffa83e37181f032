public import WardenDetect

/// What happens to a string in which a kind was found.
public enum Treatment: Sendable, Hashable {
    /// The value is replaced by a placeholder or pseudonym; the rest of the text stays.
    case redact
    /// The whole text is withheld: for kinds a policy wants no part of to leave the machine.
    case withhold
}

/// Replaces what the detectors find. One redactor serves one answer (a tool output, a stream):
/// it counts what it replaced, by kind, for the decision log.
public struct Redactor: Sendable {
    public enum Style: Sendable {
        /// `[REDACTED:EMAIL]`
        case placeholder
        /// `<EMAIL_1>`: the same value gets the same name, from the book it is given.
        case pseudonym(PseudonymBook)
    }

    public let detector: Detector
    /// How each kind is treated; nil for `everyKind`, which redacts every kind of the catalogue.
    private let treatmentTable: [DetectionKind: Treatment]?
    public var treatments: [DetectionKind: Treatment] {
        treatmentTable ?? Dictionary(uniqueKeysWithValues: Detector.catalogue.map { ($0, Treatment.redact) })
    }
    public private(set) var style: Style
    /// How many values of each kind were replaced or withheld so far.
    public private(set) var counts: [DetectionKind: Int] = [:]
    /// The kinds that made a text be withheld so far.
    public private(set) var withheldKinds: Set<DetectionKind> = []
    /// Exact values left as they are, whatever their kind (the policy's `allowValues`).
    public var allowedValues: [String] = []

    /// Kinds missing from `treatments` are neither looked for nor touched.
    public init(treatments: [DetectionKind: Treatment], style: Style = .placeholder) {
        self.init(detector: Detector(kinds: Set(treatments.keys)), treatments: treatments, style: style)
    }

    private init(detector: Detector, treatments: [DetectionKind: Treatment]?, style: Style) {
        self.treatmentTable = treatments
        self.detector = detector
        self.style = style
    }

    /// A redactor that replaces every kind in the catalogue.
    public static func everyKind(style: Style = .placeholder) -> Redactor {
        Redactor(detector: everyKindDetector, treatments: nil, style: style)
    }

    // Built once per process: the hook redacts its log subject and its reason with it, and
    // building the tables twice was a tenth of a hook call. Its treatments are no table at all
    // (every kind is redacted): hashing every kind into one cost another twentieth.
    private static let everyKindDetector = Detector.all()

    /// Whether anything was replaced or withheld.
    public var changedAnything: Bool { !counts.isEmpty }

    /// The book pseudonyms are drawn from; nil under placeholders.
    public var pseudonyms: PseudonymBook? {
        if case .pseudonym(let book) = style { book } else { nil }
    }

    /// Continues with `book` (no effect under placeholders): for a book that other processes add
    /// to between two redactions, so that each one starts from the newest copy.
    public mutating func adopt(_ book: PseudonymBook) {
        if case .pseudonym = style { style = .pseudonym(book) }
    }

    /// Continues with placeholders: when the book cannot be had (the sandbox's channel refused),
    /// values are still hidden, only not told apart.
    public mutating func usePlaceholders() {
        style = .placeholder
    }

    public static func placeholder(for kind: DetectionKind) -> String { "[REDACTED:\(kind.name)]" }

    public static func withheldNotice(for kinds: Set<DetectionKind>) -> String {
        let names = kinds.map(\.name).sorted().joined(separator: ", ")
        return "[WITHHELD by Warden: this output contains \(names)]"
    }

    /// The text with every finding replaced, or nil when nothing was found.
    public mutating func redact(_ text: String) -> String? {
        var text = text
        return text.withUTF8 { redact(bytes: $0) }
    }

    mutating func redact(bytes: UnsafeBufferPointer<UInt8>) -> String? {
        let findings = detector.scan(bytes)
        guard !findings.isEmpty else { return nil }
        guard let output = replace(findings, in: bytes, upTo: bytes.count) else { return nil }
        return String(decoding: output, as: UTF8.self)
    }

    /// The bytes `0..<end` with `findings` (sorted, not overlapping, all inside `0..<end`)
    /// replaced, and the counts updated; nil when none of them is treated.
    mutating func replace(_ findings: [Finding], in bytes: UnsafeBufferPointer<UInt8>, upTo end: Int) -> [UInt8]? {
        var withheld: Set<DetectionKind> = []
        var treated: [Finding] = []
        for finding in findings where !Self.isAllowed(UnsafeBufferPointer(rebasing: bytes[finding.range]), among: allowedValues) {
            let treatment: Treatment? = if let treatmentTable { treatmentTable[finding.kind] } else { .redact }
            switch treatment {
            case .withhold?: withheld.insert(finding.kind); treated.append(finding)
            case .redact?: treated.append(finding)
            case nil: continue
            }
        }
        guard !treated.isEmpty else { return nil }
        for finding in treated { counts[finding.kind, default: 0] += 1 }
        if !withheld.isEmpty {
            withheldKinds.formUnion(withheld)
            return Array(Self.withheldNotice(for: withheld).utf8)
        }
        var output: [UInt8] = []
        output.reserveCapacity(end + treated.count * 16)
        var cursor = 0
        for finding in treated {
            output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[cursor..<finding.range.lowerBound]))
            output.append(contentsOf: replacement(for: finding, in: bytes).utf8)
            cursor = finding.range.upperBound
        }
        output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[cursor..<end]))
        return output
    }

    /// Whether a found value is one of `allowedValues` (the policy's `allowValues`), exactly.
    public static func isAllowed(_ value: some Collection<UInt8>, among allowedValues: [String]) -> Bool {
        allowedValues.contains { $0.utf8.elementsEqual(value) }
    }

    mutating func replacement(for finding: Finding, in bytes: UnsafeBufferPointer<UInt8>) -> String {
        switch style {
        case .placeholder:
            return Self.placeholder(for: finding.kind)
        case .pseudonym(var book):
            let name = book.name(for: finding.kind, value: Array(UnsafeBufferPointer(rebasing: bytes[finding.range])))
            style = .pseudonym(book)
            return name
        }
    }
}
