// The secret scanner: one pass over the bytes for every rule.
//
// Hand-written matching, because no maintained Swift secret scanner exists (and the hook binary this
// is linked into can afford neither Regex nor Foundation, nor any work at process start: every table
// is a lazily initialised static). Per byte the loop does one class-table lookup; only
//   - a word start whose first two bytes can begin a provider prefix (a 64 Kbit pair filter),
//   - a `://` (URLs with a password),
//   - the end of a value run (keyword + entropy rules and in-token shapes)
// do more work, so text without candidates costs almost nothing.

struct SecretScanner: Sendable {
    /// Every secret kind, named in SCREAMING_SNAKE_CASE.
    static let kinds: [DetectionKind] = SecretKind.detectionKinds

    /// Kinds that are reported; nil when every kind is.
    private let enabledMask: [Bool]
    private let anyEnabled: Bool

    init(enabled: Set<DetectionKind>) {
        var mask = [Bool](repeating: false, count: SecretKind.allCases.count)
        for kind in SecretKind.allCases where enabled.contains(kind.detectionKind) { mask[Int(kind.rawValue)] = true }
        enabledMask = mask
        anyEnabled = mask.contains(true)
    }

    func scan(_ bytes: UnsafeBufferPointer<UInt8>, into findings: inout [Finding]) {
        guard anyEnabled, let base = bytes.baseAddress, bytes.count > 0 else { return }
        var local: [PrefixRules.Match] = []
        ByteClass.table.withUnsafeBufferPointer { table in
            PrefixRules.triples.withUnsafeBufferPointer { pairs in
                Self.run(Bytes(p: base, n: bytes.count, cls: table.baseAddress!), pairs.baseAddress!, &local)
            }
        }
        guard !local.isEmpty else { return }
        for m in Self.resolved(local) where enabledMask[Int(m.kind.rawValue)] {
            findings.append(Finding(kind: m.kind.detectionKind, range: m.range, confidence: m.confidence, rule: m.id))
        }
    }

    private static func run(_ b: Bytes, _ triples: UnsafePointer<UInt64>, _ out: inout [PrefixRules.Match]) {
        typealias C = ByteClass
        let p = b.p, n = b.n, cls = b.cls
        var i = 0
        var awsIDEnd = -1
        while i < n {
            // Between runs: only `://` matters.
            var c = cls[Int(p[i])]
            if c & C.token == 0 {
                if c & C.colon != 0 && i + 2 < n && p[i + 1] == UInt8(ascii: "/") && p[i + 2] == UInt8(ascii: "/") {
                    if let m = Structural.urlPassword(b, at: i) { out.append(m) }
                }
                i += 1
                continue
            }
            // A run of token bytes. Provider prefixes start where the byte before is not
            // alphanumeric: the run's start or after a separator inside it (`/hooks.slack.com`).
            var runStart = i
            var orClass: UInt16 = 0
            var prevAlnum = false
            while true {
                if c & C.prefixStart != 0 && !prevAlnum && i + 2 < n {
                    let v = PrefixRules.triple(p[i], p[i + 1], p[i + 2])
                    if triples[v >> 6] & (1 << UInt64(v & 63)) != 0, let m = PrefixRules.match(b, at: i) {
                        out.append(m)
                        if m.kind == .awsAccessKeyID { awsIDEnd = m.range.upperBound }
                        if i - runStart >= 6 { endRun(b, runStart, i, orClass, awsIDEnd, &out) }
                        i = max(m.range.upperBound, i + 1)
                        runStart = i
                        orClass = 0
                        prevAlnum = true
                        if i >= n { break }
                        c = cls[Int(p[i])]
                        if c & C.token == 0 { break }
                        continue
                    }
                }
                orClass |= c
                prevAlnum = c & C.alnum != 0
                i += 1
                if i == n { break }
                c = cls[Int(p[i])]
                if c & C.token == 0 { break }
            }
            if i - runStart >= 6 { endRun(b, runStart, i, orClass, awsIDEnd, &out) }
        }
    }

    /// A value run ended: in-token shapes first, then keyword rules.
    @inline(__always)
    private static func endRun(_ b: Bytes, _ s: Int, _ e: Int, _ orClass: UInt16, _ awsIDEnd: Int, _ out: inout [PrefixRules.Match]) {
        let len = e - s
        guard len >= 6 else { return }
        // Cheap gate: keyword rules want a digit or both cases, or a direct `key=` before.
        if len >= 20 {
            let before = out.count
            Structural.runShapes(b, s, e, orClass, into: &out)
            if out.count > before { return }
        }
        if orClass & ByteClass.nonHexLetter == 0 && len >= 16 && !KeywordRules.secretKeywordBefore(b, s) {
            // Hex-only (git SHAs, digests): only a secret-ish keyword makes it a secret.
            return
        }
        if orClass & ByteClass.digit == 0 && orClass & ByteClass.letter != ByteClass.letter {
            // Only a directly assigned password can be digit-free and single-case here.
            guard isAssigned(b, s) else { return }
        } else if len < 16 && !isAssigned(b, s) {
            return
        }
        KeywordRules.candidate(b, s, e, awsIDEnd: awsIDEnd, into: &out)
    }

    /// Whether `=`/`:`/`>` (perhaps with quotes and spaces) comes right before `s`.
    @inline(__always)
    private static func isAssigned(_ b: Bytes, _ s: Int) -> Bool {
        var j = s - 1
        var k = 0
        while j >= 0 && k < 4 && (Ascii.isQuote(b[j]) || Ascii.isSpace(b[j])) { j -= 1; k += 1 }
        guard j >= 0 else { return false }
        let x = b[j]
        return x == UInt8(ascii: "=") || x == UInt8(ascii: ":") || x == UInt8(ascii: ">")
    }

    /// Overlaps among this scanner's own findings: a provider rule beats a generic one, then the
    /// higher confidence, then the longer match; the union of the ranges is kept so redaction
    /// never leaves part of a value behind.
    static func resolved(_ matches: [PrefixRules.Match]) -> [PrefixRules.Match] {
        guard matches.count > 1 else { return matches }
        let sorted = matches.sorted {
            $0.range.lowerBound != $1.range.lowerBound ? $0.range.lowerBound < $1.range.lowerBound : $0.range.upperBound > $1.range.upperBound
        }
        var result: [PrefixRules.Match] = []
        result.reserveCapacity(sorted.count)
        for m in sorted {
            guard var last = result.last, m.range.lowerBound < last.range.upperBound else {
                result.append(m)
                continue
            }
            let union = last.range.lowerBound..<max(last.range.upperBound, m.range.upperBound)
            if beats(m, last) { last = m }
            last.range = union
            result[result.count - 1] = last
        }
        return result
    }

    static func beats(_ a: PrefixRules.Match, _ b: PrefixRules.Match) -> Bool {
        if a.kind.isGeneric != b.kind.isGeneric { return !a.kind.isGeneric }
        if a.confidence != b.confidence { return a.confidence > b.confidence }
        return a.range.count > b.range.count
    }
}
