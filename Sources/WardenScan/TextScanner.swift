public import WardenDetect

/// Runs a detector over one file's text and places what it finds: the shared core of
/// `warden scan` and `warden precommit`.
public struct TextScanner: Sendable {
    public let detector: Detector
    public let minimumConfidence: Confidence
    /// Keyed digest of fingerprint material (see `FindingFingerprint.material`).
    let digest: @Sendable ([UInt8]) -> [UInt8]

    public init(detector: Detector, minimumConfidence: Confidence = .low, digest: @escaping @Sendable ([UInt8]) -> [UInt8]) {
        self.detector = detector
        self.minimumConfidence = minimumConfidence
        self.digest = digest
    }

    /// Findings in `bytes`, placed; lines with `warden:allow` and fingerprints in `ignore` are
    /// left out. `lineNumbers`, when given, maps the text's lines to the file's (a staged diff
    /// scans only the added lines, joined).
    public func scan(
        _ bytes: [UInt8], path: String, ignore: IgnoreList = IgnoreList(), lineNumbers: [Int]? = nil
    ) -> [LocatedFinding] {
        let findings = bytes.withUnsafeBufferPointer { detector.scan($0) }
        guard !findings.isEmpty else { return [] }
        let index = LineIndex(bytes)
        var located: [LocatedFinding] = []
        for finding in findings where finding.confidence >= minimumConfidence {
            let (line, column) = index.position(of: finding.range.lowerBound)
            if AllowMarker.isPresent(in: index.text(ofLine: line)) { continue }
            let value = bytes[finding.range]
            let fingerprint = FindingFingerprint.format(digest: digest(FindingFingerprint.material(kind: finding.kind, value: value)))
            if ignore.contains(fingerprint) { continue }
            let text = Substring(String(decoding: value, as: UTF8.self))
            located.append(LocatedFinding(
                path: path, line: lineNumbers.map { line <= $0.count ? $0[line - 1] : line } ?? line, column: column,
                kind: finding.kind, rule: finding.rule, confidence: finding.confidence,
                preview: Preview.masked(text, kind: finding.kind), fingerprint: fingerprint))
        }
        return located
    }
}
