// The personal-data scanner: one pass over the bytes with a byte-class prefilter.
//
// Hand-written, like the secret scanner, because no maintained Swift PII scanner exists, and because
// it is linked into the hook binary, whose start-up time is its latency: no Foundation, no Regex,
// nothing computed at process start (the byte-class table below is a static string in the binary).
//
// How the pass works. Only five kinds of byte can start a candidate: digits, `@`, `+`, `(` and `:`.
// The prefilter skips everything else (letters, spaces, most punctuation) eight bytes at a time
// with a branch-free test (SWAR), then looks at each trigger once:
//   - a digit that starts a word may start a card number, an SSN, a phone number, an IPv4 or IPv6
//     address or a base58 Bitcoin address; the numeric matchers bail out on the first byte that
//     does not fit, and most numbers (short, not followed by a separator and more digits) are
//     turned away before any matcher runs;
//   - the first digit of a word that started two letters earlier may be an IBAN (`DE89…`) or a
//     bech32 address (`bc1…`); any other digit inside a word (`abc123`, hashes, UUID fragments)
//     starts nothing, and the rest of the word is skipped;
//   - `@` starts an e-mail address (its local part is read backwards), `+` an international phone
//     number, `(` a North American one (`(415) 555-2671`), `:` an IPv6 address (`::1…`, or a first
//     group that starts with a letter, `fe80:`).
// Keywords that let weak formats through ("phone", "SSN"…) are looked for backwards, and only for
// the few candidates that need one. Matchers return the first match starting at the candidate; the
// loop resumes after it, so the scanner's own findings never overlap (an e-mail address replaces
// whatever was found inside its local part before its `@` was reached).

struct PIIScanner: Sendable {
    /// Every PII kind (category .pii).
    static let kinds: [DetectionKind] = PIIKinds.all

    let email: Bool
    let phone: Bool
    let card: Bool
    let ssn: Bool
    let iban: Bool
    let ip: Bool
    let bitcoin: Bool

    /// Every kind.
    init() {
        (email, phone, card, ssn, iban, ip, bitcoin) = (true, true, true, true, true, true, true)
    }

    init(enabled: Set<DetectionKind>) {
        email = enabled.contains(PIIKinds.email)
        phone = enabled.contains(PIIKinds.phoneNumber)
        card = enabled.contains(PIIKinds.creditCard)
        ssn = enabled.contains(PIIKinds.usSSN)
        iban = enabled.contains(PIIKinds.iban)
        ip = enabled.contains(PIIKinds.ipAddress)
        bitcoin = enabled.contains(PIIKinds.bitcoinAddress)
    }

    /// Appends findings (UTF-8 byte ranges, end exclusive); no overlaps among its own findings.
    func scan(_ bytes: UnsafeBufferPointer<UInt8>, into findings: inout [Finding]) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        guard email || phone || card || ssn || iban || ip || bitcoin else { return }
        let pass = PIIPass(scanner: self, text: PIIText(p: base, n: bytes.count), firstOwn: findings.count)
        pass.run(into: &findings)
    }
}

/// A match a matcher hands back to the pass. Plain values only (no strings, no references), so
/// that handing back "no match", which is what most candidates get, costs no copying or counting.
struct PIIMatch {
    var range: Range<Int>
    var kind: Kind
    var confidence: Confidence
    var rule: StaticString

    enum Kind {
        case email, phoneNumber, creditCard, usSSN, iban, ipAddress, bitcoinAddress

        var detectionKind: DetectionKind {
            switch self {
            case .email: PIIKinds.email
            case .phoneNumber: PIIKinds.phoneNumber
            case .creditCard: PIIKinds.creditCard
            case .usSSN: PIIKinds.usSSN
            case .iban: PIIKinds.iban
            case .ipAddress: PIIKinds.ipAddress
            case .bitcoinAddress: PIIKinds.bitcoinAddress
            }
        }
    }
}

/// The scanned bytes, with reads outside them answering 0 so that matchers can look around a
/// candidate without bounds checks of their own.
struct PIIText {
    let p: UnsafePointer<UInt8>
    let n: Int

    /// (One unsigned comparison: a negative `i` wraps to a huge one.)
    @inline(__always) subscript(i: Int) -> UInt8 { UInt(bitPattern: i) < UInt(bitPattern: n) ? p[i] : 0 }
}

/// Byte classes. The table is a static string, so it lives in the binary and costs nothing at start-up.
enum PIIByte {
    static let digit: UInt8 = 1
    static let upper: UInt8 = 2
    static let lower: UInt8 = 4
    static let hex: UInt8 = 8
    static let word: UInt8 = 16
    static let base58: UInt8 = 32
    /// Digits, `@`, `+`, `(` and `:`: the bytes a candidate can start at.
    static let trigger: UInt8 = 64

    @inline(__always) static var table: UnsafePointer<UInt8> {
        let t: StaticString = """
        \u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\
        \u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\
        \u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{40}\u{00}\u{00}\u{40}\u{00}\u{00}\u{00}\u{00}\
        \u{59}\u{79}\u{79}\u{79}\u{79}\u{79}\u{79}\u{79}\u{79}\u{79}\u{40}\u{00}\u{00}\u{00}\u{00}\u{00}\
        \u{40}\u{3a}\u{3a}\u{3a}\u{3a}\u{3a}\u{3a}\u{32}\u{32}\u{12}\u{32}\u{32}\u{32}\u{32}\u{32}\u{12}\
        \u{32}\u{32}\u{32}\u{32}\u{32}\u{32}\u{32}\u{32}\u{32}\u{32}\u{32}\u{00}\u{00}\u{00}\u{00}\u{10}\
        \u{00}\u{3c}\u{3c}\u{3c}\u{3c}\u{3c}\u{3c}\u{34}\u{34}\u{34}\u{34}\u{34}\u{14}\u{34}\u{34}\u{34}\
        \u{34}\u{34}\u{34}\u{34}\u{34}\u{34}\u{34}\u{34}\u{34}\u{34}\u{34}\u{00}\u{00}\u{00}\u{00}\u{00}\
        \u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\
        \u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\
        \u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\
        \u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\
        \u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\
        \u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\
        \u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\
        \u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}\u{00}
        """
        return t.utf8Start
    }

    /// The trigger bytes among eight bytes loaded little-endian: the high bit of each byte that is
    /// a digit, `@`, `+`, `(` or `:`, computed without branches (SWAR). Bytes of 0x80 and above
    /// (UTF-8 sequences) are never triggers.
    @inline(__always) static func triggers(in x: UInt64) -> UInt64 {
        #if _endian(little)
        let lanes = ASCIILanes(x)
        // `0`…`9` and `:`; `@`; `+`; `(`.
        return lanes.within(0x30, 0x3B) | lanes.within(0x40, 0x41) | lanes.within(0x2B, 0x2C) | lanes.within(0x28, 0x29)
        #else
        var mask: UInt64 = 0
        for k in 0..<8 where table[Int(UInt8(truncatingIfNeeded: x >> UInt64(8 * (7 - k))))] & trigger != 0 {
            mask |= 0x80 << UInt64(8 * k)
        }
        return mask
        #endif
    }

    /// The digits, and the bytes that separate groups of digits (space, `(`, `)`, `-`, `.`, `/`),
    /// among eight bytes loaded little-endian: the high bit of each, like `triggers(in:)`.
    @inline(__always) static func digitsAndGroupSeparators(in x: UInt64) -> (digits: UInt64, separators: UInt64) {
        #if _endian(little)
        let lanes = ASCIILanes(x)
        // Space; `(` and `)`; `-`, `.` and `/`.
        return (lanes.within(0x30, 0x3A), lanes.within(0x20, 0x21) | lanes.within(0x28, 0x2A) | lanes.within(0x2D, 0x30))
        #else
        var digits: UInt64 = 0, separators: UInt64 = 0
        for k in 0..<8 {
            let b = UInt8(truncatingIfNeeded: x >> UInt64(8 * (7 - k)))
            if isDigit(b) { digits |= 0x80 << UInt64(8 * k) }
            if PIIPass.isGroupSeparator(b) || b == UInt8(ascii: "(") || b == UInt8(ascii: ")") { separators |= 0x80 << UInt64(8 * k) }
        }
        return (digits, separators)
        #endif
    }

    @inline(__always) static func cls(_ b: UInt8) -> UInt8 { table[Int(b)] }
    @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b &- 48 < 10 }
    @inline(__always) static func isAlpha(_ b: UInt8) -> Bool { (b | 0x20) &- 97 < 26 }
    @inline(__always) static func isUpper(_ b: UInt8) -> Bool { b &- 65 < 26 }
    @inline(__always) static func isLower(_ b: UInt8) -> Bool { b &- 97 < 26 }
    @inline(__always) static func isAlnum(_ b: UInt8) -> Bool { isDigit(b) || isAlpha(b) }
    /// Letters, digits and `_`: the bytes of an identifier.
    @inline(__always) static func isWord(_ b: UInt8) -> Bool { table[Int(b)] & word != 0 }
    @inline(__always) static func isHex(_ b: UInt8) -> Bool { table[Int(b)] & hex != 0 }
    @inline(__always) static func lower(_ b: UInt8) -> UInt8 { isUpper(b) ? b | 0x20 : b }
}

/// Eight bytes as one word, for branch-free tests of byte ranges (SWAR).
struct ASCIILanes {
    let x: UInt64
    /// `x & 0x7F…`: each byte's low seven bits, so that adding to a byte never carries into the next.
    let low: UInt64

    @inline(__always) init(_ x: UInt64) {
        self.x = x
        low = x & 0x7F7F_7F7F_7F7F_7F7F
    }

    /// The high bit of each byte in `a..<b` (both at most 0x80), the others clear. The high bit of
    /// `low + (0x80 - c)` is set where a byte is at least `c`; a range is "at least a and not at
    /// least b". Bytes of 0x80 and up (UTF-8 sequences) are in no range.
    @inline(__always) func within(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        return (low &+ ones &* (0x80 - a)) & ~(low &+ ones &* (0x80 - b)) & ~x & 0x8080_8080_8080_8080
    }
}

/// One scan: the loop, and where this scanner's own findings start in the caller's array.
struct PIIPass {
    let scanner: PIIScanner
    let t: PIIText
    let firstOwn: Int
    /// How far before a weak format its keyword may end ("phone: ", "SSN #").
    static let keywordReach = 40

    init(scanner: PIIScanner, text: PIIText, firstOwn: Int) {
        self.scanner = scanner
        self.t = text
        self.firstOwn = firstOwn
    }

    func run(into findings: inout [Finding]) {
        let p = t.p
        let n = t.n
        let table = PIIByte.table
        // The prefilter: letters, spaces and most punctuation start nothing. The trigger bytes are
        // found eight at a time; `pending` holds those of the eight bytes from `chunk` not yet
        // looked at, so that a line dense with numbers is classified once, not again after each.
        var chunk = 0
        var pending = triggers(at: 0)
        while true {
            while pending == 0 {
                chunk &+= 8
                guard chunk < n else { return }
                pending = triggers(at: chunk)
            }
            let i = chunk &+ pending.trailingZeroBitCount &>> 3
            let match: PIIMatch?
            var next = i &+ 1
            if PIIByte.isDigit(p[i]) {
                var digitsEnd = next   // the digits the word starts with
                while digitsEnd < n && PIIByte.isDigit(p[digitsEnd]) { digitsEnd &+= 1 }
                // Digits are word bytes: the rest of the word starts where they end.
                var e = digitsEnd
                while e < n && table[Int(p[e])] & PIIByte.word != 0 { e &+= 1 }
                if PIIByte.isWord(t[i &- 1]) {
                    // Inside a word: only one that started two bytes before may be an IBAN or a
                    // bech32 address; hashes and ids are passed over without a call.
                    match = i >= 2 && !PIIByte.isWord(t[i &- 3]) ? wordWithDigits(i, e) : nil
                } else {
                    // Most numbers are turned away by their shape alone, without a call.
                    switch Self.numericShape(t, scanner, i, e, digits: digitsEnd &- i) {
                    case .nothing: match = nil
                    case .ipv4: match = matchIPv4(i)
                    case .ipv6: match = matchIPv6(i)
                    case .base58: match = matchBase58(i, e)
                    case .number(let separated, let trunk):
                        let candidates = Self.numericCandidates(t, scanner, i, e, digits: digitsEnd &- i, separated: separated, trunk: trunk)
                        match = candidates.isEmpty ? nil : numericWord(i, digits: digitsEnd &- i, candidates: candidates)
                    }
                }
                next = e
            } else {
                match = punctuation(i)
            }
            if let match {
                emit(match, into: &findings)
                next = resume(after: match.range.upperBound, from: i)
            }
            // Go on at `next`: drop the triggers before it, or classify the eight bytes from it.
            if next &- chunk < 8 {
                pending &= ~0 &<< UInt64(8 &* (next &- chunk))
            } else {
                guard next < n else { return }
                chunk = next
                pending = triggers(at: chunk)
            }
        }
    }

    /// The trigger bytes among the eight from `k` (`PIIByte.triggers`); past the end of the text,
    /// zeros, which trigger nothing.
    @inline(__always) func triggers(at k: Int) -> UInt64 {
        if k &+ 8 <= t.n { return PIIByte.triggers(in: UnsafeRawPointer(t.p + k).loadUnaligned(as: UInt64.self)) }
        return lastTriggers(at: k)
    }

    /// `triggers(at:)` for the last bytes of the text, fewer than eight.
    @inline(never) func lastTriggers(at k: Int) -> UInt64 {
        var x: UInt64 = 0
        withUnsafeMutableBytes(of: &x) { x in
            for j in 0..<(t.n - k) { x[j] = t.p[k + j] }
        }
        return PIIByte.triggers(in: x)
    }

    /// Appends a match. Only an e-mail address can start before the current position (its local
    /// part was passed over before the `@` was seen): whatever was found inside it gives way.
    func emit(_ m: PIIMatch, into findings: inout [Finding]) {
        while findings.count > firstOwn, let last = findings.last, last.range.upperBound > m.range.lowerBound {
            findings.removeLast()
        }
        findings.append(Finding(kind: m.kind.detectionKind, range: m.range, confidence: m.confidence, rule: m.rule.description))
    }

    /// Where to go on after a match: its end, moved past the rest of a word it ended inside.
    func resume(after end: Int, from i: Int) -> Int {
        var k = max(end, i + 1)
        while k < t.n && PIIByte.isWord(t.p[k]) && PIIByte.isWord(t.p[k - 1]) { k += 1 }
        return k
    }

    /// The first digit `d` of a word that started two bytes before it (the caller checked), which
    /// runs to `e`: an IBAN (`DE89…`) or a bech32 address (`bc1…`) if those are letters. Any other
    /// digit inside a word (`abc123`, hashes, UUID fragments) starts nothing.
    func wordWithDigits(_ d: Int, _ e: Int) -> PIIMatch? {
        let s = d - 2
        let b0 = t.p[s]
        if PIIByte.isUpper(b0) && PIIByte.isUpper(t.p[s + 1]) && scanner.iban && e - s >= 4, let m = matchIBAN(s, e) { return m }
        if (b0 | 0x20) == UInt8(ascii: "b") && t.p[d] == UInt8(ascii: "1") && e - s >= 14 && scanner.bitcoin {
            return matchBech32(s, e)
        }
        return nil
    }

    /// What a run of word bytes that starts with a digit can be, from its shape alone.
    enum NumericShape {
        case nothing
        case ipv4
        case ipv6
        case base58
        /// Digits only, long or continued by more groups, not glued to a word before them;
        /// `separated`: a separator and a digit follow; `trunk`: a `1` before a `(`.
        case number(separated: Bool, trunk: Bool)
    }

    /// The matchers a run of digits may satisfy, from its length, the byte after it and the digits
    /// in the groups that follow: each is tried only if the digits are there for it.
    struct NumericCandidates: OptionSet {
        let rawValue: UInt8
        static let ipv4 = Self(rawValue: 1)
        static let card = Self(rawValue: 2)
        static let ssn = Self(rawValue: 4)
        static let nanp = Self(rawValue: 8)
        static let nanpWithTrunk = Self(rawValue: 16)
        static let international00 = Self(rawValue: 32)
        static let ssnAfterKeyword = Self(rawValue: 64)
        static let phoneAfterKeyword = Self(rawValue: 128)
    }

    /// The shape of the run of word bytes `[s, e)` that starts with `d` digits.
    @inline(__always) static func numericShape(_ t: PIIText, _ scanner: PIIScanner, _ s: Int, _ e: Int, digits d: Int) -> NumericShape {
        let len = e &- s
        let next = t[e]
        let prev = t[s &- 1]
        if next == UInt8(ascii: ":") {
            // `2001:db8::1`; otherwise times, ports, ratios. `matchIPv6` turns away a group after
            // a `:` or a `.` (`10:34:12`) at once: tested here, without the call.
            return scanner.ip && len <= 4 && prev != UInt8(ascii: ":") && prev != UInt8(ascii: ".") ? .ipv6 : .nothing
        }
        if d < len {
            // Digits then letters: only a base58 address can start here.
            return scanner.bitcoin && len >= 25 && len <= 35 ? .base58 : .nothing
        }
        // A run of digits only. Most are short numbers followed by nothing that continues them.
        let separated = Self.isGroupSeparator(next) && PIIByte.isDigit(t[e &+ 1])
        let trunk = d == 1 && next == UInt8(ascii: " ") && t[e &+ 1] == UInt8(ascii: "(") // `1 (415) 555-2671`
        guard separated || d >= 7 || trunk else { return .nothing }
        // Digits glued to a word by `.` or `-` (`pkg-1.2`, `build.20`, `2024-01`) are part of an
        // identifier, a version or a date, not the start of a value; only an IPv4 address may follow
        // a number and a dash (`10.0.0.1-10.0.0.9`).
        if (prev == UInt8(ascii: ".") || prev == UInt8(ascii: "-")) && PIIByte.isAlnum(t[s &- 2]) {
            return scanner.ip && prev == UInt8(ascii: "-") && PIIByte.isDigit(t[s &- 2]) && next == UInt8(ascii: ".") && d <= 3
                ? .ipv4 : .nothing
        }
        return .number(separated: separated, trunk: trunk)
    }

    /// Which matchers the digits `[s, e)` (`d` of them) may satisfy. Versions, decimals and dates
    /// (`1.12.3`, `123.45`, `2026-11-24`) have too few digits in their groups for any of them,
    /// and are turned away here without a matcher's call. (A call of its own: the loop has room
    /// for no more inlined code, and it saves few registers.)
    @inline(never) static func numericCandidates(
        _ t: PIIText, _ scanner: PIIScanner, _ s: Int, _ e: Int, digits d: Int, separated: Bool, trunk: Bool
    ) -> NumericCandidates {
        var c: NumericCandidates = []
        let next = t[e]
        if scanner.ip && next == UInt8(ascii: ".") && d <= 3 && dottedQuadFollows(t, e) { c.insert(.ipv4) }
        // The other formats are groups of digits, each separator followed by a digit, as
        // `digitsAhead` walks them; each needs its number of digits there: a card 13 to 19, an
        // SSN 9, a North American number 10 (11 with the trunk `1`), any phone number 7. Where no
        // separator and digit follow (not `separated`), the run is all there is.
        let ahead = separated ? digitsAhead(t, e, d) : d
        if scanner.card && ((d == 4 && ahead >= 13) || (d >= 13 && d <= 19)) { c.insert(.card) }
        if d == 3 {
            if scanner.ssn && ahead >= 9 { c.insert(.ssn) }      // 3-2-4
            if scanner.phone && ahead >= 10 { c.insert(.nanp) }  // 3-3-4
        } else if d == 1 && scanner.phone && t.p[s] == UInt8(ascii: "1") && (ahead >= 11 || trunk) {
            c.insert(.nanpWithTrunk)                             // 1-3-3-4, or `1 (`
        }
        // `0044 (20) …`: a parenthesized group, which `digitsAhead` does not walk after a space.
        if scanner.phone && d >= 4 && t.p[s] == UInt8(ascii: "0") && t[s + 1] == UInt8(ascii: "0") { c.insert(.international00) }
        if scanner.ssn && d == 9 { c.insert(.ssnAfterKeyword) }
        if scanner.phone && ahead >= 7 { c.insert(.phoneAfterKeyword) }
        return c
    }

    /// The run of `d` digits at `s` of the shape `.number`: the first match among the matchers
    /// its shape leaves in the running (`numericCandidates`).
    func numericWord(_ s: Int, digits d: Int, candidates c: NumericCandidates) -> PIIMatch? {
        if c.contains(.ipv4), let m = matchIPv4(s) { return m }
        if c.contains(.card), let m = matchCard(s, d) { return m }
        if c.contains(.ssn), let m = matchSSN(s) { return m }
        if c.contains(.nanp), let m = matchNANP(s, from: s) { return m }
        if c.contains(.nanpWithTrunk), let m = matchNANPWithTrunk(s) { return m }
        if c.contains(.international00), let m = matchInternational(s, plus: false) { return m }
        if c.contains(.ssnAfterKeyword) && followsKeyword(s, ssn: true), let m = matchSSNAfterKeyword(s) { return m }
        if c.contains(.phoneAfterKeyword) && followsKeyword(s, ssn: false) { return matchPhoneAfterKeyword(s) }
        return nil
    }

    /// Whether three more groups of one to three digits, each after a dot, follow the first group
    /// of an IPv4 address, which ends at `e`: the shape `parseIPv4` needs (it rejects more, such
    /// as a fourth digit or an octet above 255), tested without a call.
    @inline(__always) static func dottedQuadFollows(_ t: PIIText, _ e: Int) -> Bool {
        var k = e
        for _ in 0..<3 {
            guard t[k] == UInt8(ascii: "."), PIIByte.isDigit(t[k + 1]) else { return false }
            k += 2
            if PIIByte.isDigit(t[k]) {
                k += 1
                if PIIByte.isDigit(t[k]) { k += 1 }
            }
        }
        return true
    }

    /// The digits in the groups from `e` on, `counted` already: groups separated by single spaces,
    /// dashes, dots, slashes or parentheses followed by a digit, as the numeric formats are
    /// written. Counted up to 13 (a card's shortest length): enough to tell which formats could
    /// fit, and to tell versions, decimals and short dates from phone-sized numbers (7 digits).
    @inline(__always) static func digitsAhead(_ t: PIIText, _ e: Int, _ counted: Int) -> Int {
        var k = e
        var digits = counted
        // Seven bytes at a time while eight are left: a byte goes on with the groups if it is a
        // digit, or a separator with a digit after it, which the eighth byte tells for the seventh.
        let firstSeven: UInt64 = 0x0080_8080_8080_8080
        while digits < 13 && k &+ 8 <= t.n {
            let (ds, separators) = PIIByte.digitsAndGroupSeparators(in: UnsafeRawPointer(t.p + k).loadUnaligned(as: UInt64.self))
            let stops = ~(ds | (separators & (ds &>> 8))) & firstSeven
            if stops != 0 {
                // The groups end in these bytes: count the digits before the first stop.
                let before = stops & (0 &- stops) &- 1
                return digits &+ Self.bytesMarked(ds & before)
            }
            digits &+= Self.bytesMarked(ds & firstSeven)
            k &+= 7
        }
        // The last bytes one at a time.
        while digits < 13 && k < t.n {
            let b = t.p[k]
            if PIIByte.isDigit(b) {
                digits += 1
            } else if !(Self.isGroupSeparator(b) || b == UInt8(ascii: "(") || b == UInt8(ascii: ")")) || !PIIByte.isDigit(t[k + 1]) {
                break
            }
            k += 1
        }
        return digits
    }

    /// How many bytes have their high bit set in `mask` (high bits only): a multiplication adds
    /// them up in the top byte. (`nonzeroBitCount` is a loop of shifts on x86-64 without POPCNT.)
    @inline(__always) static func bytesMarked(_ mask: UInt64) -> Int {
        Int(truncatingIfNeeded: ((mask &>> 7) &* 0x0101_0101_0101_0101) &>> 56)
    }

    @inline(__always) static func isGroupSeparator(_ b: UInt8) -> Bool {
        b == UInt8(ascii: " ") || b == UInt8(ascii: "-") || b == UInt8(ascii: ".") || b == UInt8(ascii: "/")
    }

    /// A byte between runs that may start a candidate.
    func punctuation(_ i: Int) -> PIIMatch? {
        switch t.p[i] {
        case UInt8(ascii: "@"):
            return scanner.email ? matchEmail(i) : nil
        case UInt8(ascii: "+"):
            return scanner.phone ? matchInternational(i, plus: true) : nil
        case UInt8(ascii: "("):
            guard scanner.phone, !PIIByte.isWord(t[i - 1]) else { return nil }
            if let m = matchNANPParenthesized(i, from: i) { return m }
            if PIIByte.isDigit(t[i + 1]) && followsKeyword(i, ssn: false) { return matchPhoneAfterKeyword(i) }
            return nil
        case UInt8(ascii: ":"):
            guard scanner.ip else { return nil }
            // A first group that starts with a letter (`fe80:`, `ff02::`); groups that start with
            // a digit were tried with their word.
            var ws = i
            while ws > 0 && i - ws <= 4 && PIIByte.isHex(t.p[ws - 1]) { ws -= 1 }
            if ws < i && i - ws <= 4 && !PIIByte.isDigit(t.p[ws]) && !PIIByte.isWord(t[ws - 1]), let m = matchIPv6(ws) {
                return m
            }
            return t[i + 1] == UInt8(ascii: ":") ? matchIPv6(i) : nil
        default:
            return nil
        }
    }

    // MARK: Keywords

    /// Whether a keyword that lets a weak format through ends within `keywordReach` bytes before
    /// `s`, on the same line and with no digits in between: "phone", "tel", "mobile", "cell",
    /// "fax" (and a few spellings) for national phone numbers (`ssn` false), "SSN" and "social
    /// security" for a bare 9-digit SSN (`ssn` true). Looked up only for the few candidates that
    /// need it, so ordinary words cost nothing.
    func followsKeyword(_ s: Int, ssn: Bool) -> Bool {
        var k = s - 1
        let limit = s - Self.keywordReach
        while k >= 0 && k >= limit {
            let b = t.p[k]
            if b == UInt8(ascii: "\n") || PIIByte.isDigit(b) { return false }
            if PIIByte.isAlpha(b) {
                let e = k + 1
                while k > 0 && e - k < 12 && PIIByte.isAlpha(t.p[k - 1]) { k -= 1 }
                let len = e - k
                if len >= 3 && len <= 9 && Self.mayStartKeyword(t.p[k], ssn: ssn) && !PIIByte.isWord(t[k - 1])
                    && isKeyword(k, e, ssn: ssn) { return true }
            }
            k -= 1
        }
        return false
    }

    /// The first letters of the keywords: "tel", "fax", "mob…", "cell", "phone", "whatsapp";
    /// "ssn", "security".
    @inline(__always) static func mayStartKeyword(_ b: UInt8, ssn: Bool) -> Bool {
        let c = b | 0x20
        if ssn { return c == UInt8(ascii: "s") }
        return c == UInt8(ascii: "t") || c == UInt8(ascii: "f") || c == UInt8(ascii: "m") || c == UInt8(ascii: "c")
            || c == UInt8(ascii: "p") || c == UInt8(ascii: "w")
    }

    func isKeyword(_ s: Int, _ e: Int, ssn: Bool) -> Bool {
        if ssn {
            if spells(s, e, "ssn") || spells(s, e, "ssns") { return true }
            guard spells(s, e, "security") else { return false }
            // "social security", "Social-Security"
            var k = s - 1
            while k > 0 && s - k <= 2 && (t[k] == UInt8(ascii: " ") || t[k] == UInt8(ascii: "-")) { k -= 1 }
            return k < s - 1 && k >= 5 && spells(k - 5, k + 1, "social")
        }
        switch e - s {
        case 3: return spells(s, e, "tel") || spells(s, e, "fax") || spells(s, e, "mob")
        case 4: return spells(s, e, "cell")
        case 5: return spells(s, e, "phone")
        case 6: return spells(s, e, "phones") || spells(s, e, "mobile")
        case 7: return spells(s, e, "telefon")
        case 8: return spells(s, e, "telefono") || spells(s, e, "whatsapp")
        case 9: return spells(s, e, "telephone") || spells(s, e, "cellphone")
        default: return false
        }
    }

    /// Whether `[s, e)` spells `word`, ignoring the case of ASCII letters.
    @inline(__always) func spells(_ s: Int, _ e: Int, _ word: StaticString) -> Bool {
        guard e - s == word.utf8CodeUnitCount, s >= 0, e <= t.n else { return false }
        let w = word.utf8Start
        for k in 0..<(e - s) where PIIByte.lower(t.p[s + k]) != w[k] { return false }
        return true
    }
}
