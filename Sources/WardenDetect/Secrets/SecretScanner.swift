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

    /// Every kind.
    init() {
        enabledMask = [Bool](repeating: true, count: SecretKind.allCases.count)
        anyEnabled = true
    }

    init(enabled: Set<DetectionKind>) {
        var mask = [Bool](repeating: false, count: SecretKind.allCases.count)
        for kind in SecretKind.allCases where enabled.contains(kind.detectionKind) { mask[Int(kind.rawValue)] = true }
        enabledMask = mask
        anyEnabled = mask.contains(true)
    }

    func scan(_ bytes: UnsafeBufferPointer<UInt8>, into findings: inout [Finding]) {
        guard anyEnabled, let base = bytes.baseAddress, bytes.count > 0 else { return }
        var local: [SecretPrefixRules.Match] = []
        SecretByteClass.table.withUnsafeBufferPointer { table in
            SecretPrefixRules.triples.withUnsafeBufferPointer { pairs in
                Self.run(SecretBytes(p: base, n: bytes.count, cls: table.baseAddress!), pairs.baseAddress!, &local)
            }
        }
        guard !local.isEmpty else { return }
        for m in Self.resolved(local) where enabledMask[Int(m.kind.rawValue)] {
            findings.append(Finding(kind: m.kind.detectionKind, range: m.range, confidence: m.confidence, rule: m.id))
        }
    }

    private static func run(_ b: SecretBytes, _ triples: UnsafePointer<UInt64>, _ out: inout [SecretPrefixRules.Match]) {
        typealias C = SecretByteClass
        let p = b.p, n = b.n, cls = b.cls
        var i = 0
        var awsIDEnd = -1
        while i < n {
            // Between runs: only `://` matters.
            var c = cls[Int(p[i])]
            if c & C.token == 0 {
                if c & C.colon != 0 && i &+ 2 < n && p[i &+ 1] == UInt8(ascii: "/") && p[i &+ 2] == UInt8(ascii: "/") {
                    if let m = SecretStructuralRules.urlPassword(b, at: i) { out.append(m) }
                }
                i &+= 1
                continue
            }
            // A run of token bytes. Provider prefixes start where the byte before is not
            // alphanumeric: the run's start or after separators inside it (`/hooks.slack.com`).
            var runStart = i
            var orClass: UInt16 = 0
            scanRun: while true {
                // `i` starts a word.
                if c & C.prefixStart != 0 && i &+ 2 < n {
                    let v = SecretPrefixRules.triple(p[i], p[i &+ 1], p[i &+ 2])
                    if triples[v >> 6] & (1 << UInt64(v & 63)) != 0, let m = SecretPrefixRules.match(b, at: i) {
                        out.append(m)
                        if m.kind == .awsAccessKeyID { awsIDEnd = m.range.upperBound }
                        if i - runStart >= 6 {
                            for j in runStart..<i { orClass |= cls[Int(p[j])] }
                            endRun(b, runStart, i, orClass, awsIDEnd, &out)
                        }
                        i = max(m.range.upperBound, i + 1)
                        runStart = i
                        orClass = 0
                        // Whatever follows the match directly is not a word start.
                        while i < n {
                            c = cls[Int(p[i])]
                            if c & C.alnum == 0 { break }
                            i += 1
                        }
                        if i >= n || c & C.token == 0 { break scanRun }
                    }
                }
                // The word's alphanumerics (eight at a time), then any separators.
                i = Self.skipAlphanumerics(p, i, n)
                if i == n { break scanRun }
                c = cls[Int(p[i])]
                while c & C.token != 0 && c & C.alnum == 0 {
                    i &+= 1
                    if i == n { break scanRun }
                    c = cls[Int(p[i])]
                }
                if c & C.token == 0 { break }
            }
            let len = i &- runStart
            if len >= 6 {
                if len < 16 && !isAssigned(b, runStart) {
                    // No rule takes a run this short unless `key=`, `key:` or `>` comes right
                    // before it (see `endRun`): timestamps, amounts, ids in prose cost no more.
                } else if Self.hasDigitOrUpper(p, runStart, i) {
                    for j in runStart..<i { orClass |= cls[Int(p[j])] }
                    endRun(b, runStart, i, orClass, awsIDEnd, &out)
                } else if isAssigned(b, runStart) && SecretKeywordRules.passwordValueFits(b, runStart)
                            && SecretKeywordRules.passwordKeyBefore(b, runStart) {
                    // Lowercase words and separators: only the start of a password can matter.
                    SecretKeywordRules.passwordValue(b, runStart, into: &out)
                }
            } else if len > 0 {
                let x = b.at(runStart - 1)
                // After `=` or `:` a short run can only start a password, and endRun drops values
                // under six bytes (`status=200`, `method=GET`): those need no call. No token byte
                // ends a value, so when the byte after the run does, the value is the run.
                if x == UInt8(ascii: "=") || x == UInt8(ascii: ":")
                    ? !SecretKeywordRules.endsUnquotedValue(b.at(i)) && SecretKeywordRules.passwordValueFits(b, runStart)
                    : SecretASCII.isQuote(x) {
                    endRun(b, runStart, i, orClass, awsIDEnd, &out)
                }
            }
        }
    }

    /// The first index at or after `i` whose byte is not an ASCII letter or digit, testing eight
    /// bytes per step (SWAR range checks; a non-ASCII byte ends the run like any other).
    @inline(__always)
    static func skipAlphanumerics(_ p: UnsafePointer<UInt8>, _ start: Int, _ n: Int) -> Int {
        var i = start
        let raw = UnsafeRawPointer(p)
        let high: UInt64 = 0x8080_8080_8080_8080
        @inline(__always) func rep(_ x: UInt8) -> UInt64 { UInt64(x) &* 0x0101_0101_0101_0101 }
        while i &+ 8 <= n {
            let x = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            let ascii = ~x & high
            let lowBits = x & ~high
            let digit = (lowBits &+ rep(0x80 - 0x30)) & ~(lowBits &+ rep(0x7F - 0x39)) & high
            let folded = lowBits | rep(0x20)
            let letter = (folded &+ rep(0x80 - 0x61)) & ~(folded &+ rep(0x7F - 0x7A)) & high
            let notAlnum = ~(digit | letter) & high | ~ascii & high
            if notAlnum != 0 { return i &+ notAlnum.trailingZeroBitCount >> 3 }
            i &+= 8
        }
        while i < n {
            let x = p[i]
            if !(x &- 48 < 10 || (x | 0x20) &- 97 < 26) { return i }
            i += 1
        }
        return n
    }

    /// Whether `s..<e` holds an ASCII digit or capital, eight bytes per step.
    @inline(__always)
    static func hasDigitOrUpper(_ p: UnsafePointer<UInt8>, _ s: Int, _ e: Int) -> Bool {
        var i = s
        let raw = UnsafeRawPointer(p)
        let high: UInt64 = 0x8080_8080_8080_8080
        @inline(__always) func rep(_ x: UInt8) -> UInt64 { UInt64(x) &* 0x0101_0101_0101_0101 }
        while i + 8 <= e {
            let x = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) & ~high
            let digit = (x &+ rep(0x80 - 0x30)) & ~(x &+ rep(0x7F - 0x39))
            let upper = (x &+ rep(0x80 - 0x41)) & ~(x &+ rep(0x7F - 0x5A))
            if (digit | upper) & high != 0 { return true }
            i += 8
        }
        while i < e {
            let x = p[i]
            if x &- 48 < 10 || x &- 65 < 26 { return true }
            i += 1
        }
        return false
    }

    /// A value run ended: in-token shapes first, then keyword rules.
    @inline(__always)
    private static func endRun(_ b: SecretBytes, _ s: Int, _ e: Int, _ orClass: UInt16, _ awsIDEnd: Int, _ out: inout [SecretPrefixRules.Match]) {
        let len = e - s
        guard len >= 6 else {
            // `Password=P@ss…`: a short first piece of a password with punctuation.
            let x = b.at(s - 1)
            if x == UInt8(ascii: "=") || x == UInt8(ascii: ":") || (SecretASCII.isQuote(x) && isAssigned(b, s)) {
                if SecretASCII.isQuote(x) && b.at(e) != x && b.at(e) > 32 {
                    if SecretKeywordRules.passwordKeyBefore(b, s) {
                        SecretKeywordRules.passwordValue(b, s, into: &out)
                    } else {
                        // `"client_secret": "u@D7…"`: punctuation inside a quoted value.
                        SecretKeywordRules.candidate(b, s, e, awsIDEnd: awsIDEnd, into: &out)
                    }
                } else if SecretKeywordRules.passwordValueFits(b, s) && SecretKeywordRules.passwordKeyBefore(b, s) {
                    // (A value too short to report needs no look at its key: `status=200`.)
                    SecretKeywordRules.passwordValue(b, s, into: &out)
                }
            }
            return
        }
        // Cheap gate: keyword rules want a digit or both cases, or a direct `key=` before.
        if len >= 20 {
            let before = out.count
            SecretStructuralRules.runShapes(b, s, e, orClass, into: &out)
            if out.count > before { return }
        }
        if orClass & SecretByteClass.nonHexLetter == 0 && len >= 16 && !SecretKeywordRules.hexVouched(b, s, len) {
            // Hex-only (git SHAs, digests): only a secret-ish keyword makes it a secret.
            return
        }
        if orClass & SecretByteClass.digit == 0 && orClass & SecretByteClass.letter != SecretByteClass.letter {
            // Only a directly assigned password can be digit-free and single-case here.
            guard isAssigned(b, s) else { return }
        } else if len < 16 && !isAssigned(b, s) {
            return
        }
        SecretKeywordRules.candidate(b, s, e, awsIDEnd: awsIDEnd, into: &out)
    }

    /// Whether `=`/`:`/`>` (perhaps with quotes and spaces) comes right before `s`.
    @inline(__always)
    private static func isAssigned(_ b: SecretBytes, _ s: Int) -> Bool {
        var j = s - 1
        var k = 0
        while j >= 0 && k < 4 && (SecretASCII.isQuote(b[j]) || SecretASCII.isSpace(b[j])) { j -= 1; k += 1 }
        guard j >= 0 else { return false }
        let x = b[j]
        return x == UInt8(ascii: "=") || x == UInt8(ascii: ":") || x == UInt8(ascii: ">")
    }

    /// Overlaps among this scanner's own findings: a provider rule beats a generic one, then the
    /// higher confidence, then the longer match; the union of the ranges is kept so redaction
    /// never leaves part of a value behind.
    static func resolved(_ matches: [SecretPrefixRules.Match]) -> [SecretPrefixRules.Match] {
        guard matches.count > 1 else { return matches }
        let sorted = matches.sorted {
            $0.range.lowerBound != $1.range.lowerBound ? $0.range.lowerBound < $1.range.lowerBound : $0.range.upperBound > $1.range.upperBound
        }
        var result: [SecretPrefixRules.Match] = []
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

    static func beats(_ a: SecretPrefixRules.Match, _ b: SecretPrefixRules.Match) -> Bool {
        if a.kind.isGeneric != b.kind.isGeneric { return !a.kind.isGeneric }
        if a.confidence != b.confidence { return a.confidence > b.confidence }
        return a.range.count > b.range.count
    }
}
