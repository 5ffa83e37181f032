/// The one entry point to detection: every enabled kind, secrets and personal data, in one call.
/// The scanners behind it are hand-written (no maintained Swift secret or PII scanner exists) and
/// pass over the input once each, with a byte-class prefilter, so text with no candidate is cheap.
public struct Detector: Sendable {
    let kinds: Set<DetectionKind>
    /// Every kind of the catalogue is looked for: `kinds` is not consulted (nor built: hashing
    /// every kind's name was a twentieth of a hook call, which redacts its log subject).
    let everyKind: Bool
    let secrets: SecretScanner?
    let personalData: PIIScanner?

    /// Looks for `kinds` only; kinds outside the catalogue are ignored.
    public init(kinds: Set<DetectionKind>) {
        self.kinds = kinds
        everyKind = false
        let secretKinds = kinds.filter { $0.category == .secret }
        let piiKinds = kinds.filter { $0.category == .pii }
        secrets = secretKinds.isEmpty ? nil : SecretScanner(enabled: secretKinds)
        personalData = piiKinds.isEmpty ? nil : PIIScanner(enabled: piiKinds)
    }

    /// A detector for every kind in the catalogue.
    public static func all() -> Detector { Detector() }

    private init() {
        kinds = []
        everyKind = true
        secrets = SecretScanner()
        personalData = PIIScanner()
    }

    /// Every kind Warden can detect: secrets first, then personal data, each by name (both lists
    /// are declared in that order: sorting them cost a tenth of a hook call).
    public static let catalogue: [DetectionKind] = SecretScanner.kinds + PIIScanner.kinds

    /// The kind with this name (`EMAIL`, `AWS_ACCESS_KEY_ID`), if Warden knows it.
    public static func kind(named name: String) -> DetectionKind? {
        catalogue.first { $0.name == name }
    }

    /// Findings sorted by position, never overlapping. Where two rules claim overlapping bytes,
    /// the union of both ranges is reported under the stronger kind, so that redacting the
    /// findings never leaves part of a value behind.
    public func scan(_ bytes: UnsafeBufferPointer<UInt8>) -> [Finding] {
        var found: [Finding] = []
        secrets?.scan(bytes, into: &found)
        personalData?.scan(bytes, into: &found)
        return Self.merged(everyKind ? found : found.filter { kinds.contains($0.kind) })
    }

    public func scan(_ text: String) -> [Finding] {
        var text = text
        return text.withUTF8 { scan($0) }
    }

    static func merged(_ findings: [Finding]) -> [Finding] {
        guard findings.count > 1 else { return findings }
        let sorted = findings.sorted {
            $0.range.lowerBound != $1.range.lowerBound
                ? $0.range.lowerBound < $1.range.lowerBound
                : $0.range.upperBound > $1.range.upperBound
        }
        var result: [Finding] = []
        result.reserveCapacity(sorted.count)
        for finding in sorted {
            guard var last = result.last, finding.range.lowerBound < last.range.upperBound else {
                result.append(finding)
                continue
            }
            let union = last.range.lowerBound..<max(last.range.upperBound, finding.range.upperBound)
            if stronger(finding, than: last) {
                last = finding
            }
            last.range = union
            result[result.count - 1] = last
        }
        return result
    }

    /// Higher confidence wins; then a secret over personal data; then the longer match.
    static func stronger(_ a: Finding, than b: Finding) -> Bool {
        if a.confidence != b.confidence { return a.confidence > b.confidence }
        if a.kind.category != b.kind.category { return a.kind.category == .secret }
        return a.range.count > b.range.count
    }
}
