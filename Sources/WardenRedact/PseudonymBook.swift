public import WardenDetect

/// Stable pseudonyms: the first email seen is `<EMAIL_1>`, the next different one `<EMAIL_2>`, and
/// the first one again is `<EMAIL_1>`. Values are kept only as fingerprints, so that a book saved
/// between hook calls of a session does not hold what it names.
public struct PseudonymBook: Sendable, Hashable {
    /// kind name → fingerprint → number
    public private(set) var entries: [String: [[UInt8]: Int]] = [:]
    let fingerprint: @Sendable ([UInt8]) -> [UInt8]

    /// `fingerprint` must be a keyed one-way function of the value (the caller owns the key).
    public init(fingerprint: @escaping @Sendable ([UInt8]) -> [UInt8], entries: [String: [[UInt8]: Int]] = [:]) {
        self.fingerprint = fingerprint
        self.entries = entries
    }

    public mutating func name(for kind: DetectionKind, value: [UInt8]) -> String {
        let key = fingerprint(value)
        var names = entries[kind.name, default: [:]]
        let number: Int
        if let known = names[key] {
            number = known
        } else {
            number = names.count + 1
            names[key] = number
            entries[kind.name] = names
        }
        return "<\(kind.name)_\(number)>"
    }

    public static func == (lhs: PseudonymBook, rhs: PseudonymBook) -> Bool { lhs.entries == rhs.entries }
    public func hash(into hasher: inout Hasher) { hasher.combine(entries) }
}
