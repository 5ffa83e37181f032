// Byte classes and small helpers shared by the secret rules.
//
// The secret scanner is hand-written (no Regex, no Foundation) because no maintained Swift secret
// scanner exists, and because the hook binary it is linked into must not compute anything at
// process start. The tables the scanner needs for every text are constants in the binary
// (SecretTables.swift, generated from the functions here and checked against them by
// SecretTablesTests): building them took nearly all of what redacting a hook's log subject cost.

/// Character classes of a byte, as bits: the scanner's one table lookup per byte.
enum SecretByteClass {
    static let lower: UInt16 = 1
    static let upper: UInt16 = 2
    static let digit: UInt16 = 4
    static let underscore: UInt16 = 8
    static let dash: UInt16 = 16
    static let plus: UInt16 = 32
    static let slash: UInt16 = 64
    static let dot: UInt16 = 128
    static let equals: UInt16 = 256
    static let tilde: UInt16 = 512
    static let hexLower: UInt16 = 1024   // a-f
    static let hexUpper: UInt16 = 2048   // A-F
    /// A byte that can start a provider prefix (see `SecretPrefixRules`).
    static let prefixStart: UInt16 = 4096
    static let percent: UInt16 = 8192
    static let colon: UInt16 = 16384
    /// g-z, G-Z: a run without one is hex (or digits).
    static let nonHexLetter: UInt16 = 32768

    static let letter: UInt16 = lower | upper
    static let alnum: UInt16 = lower | upper | digit
    static let word: UInt16 = alnum | underscore
    /// SecretBytes of a value run: what keyword rules look at. `=` is not one (it separates
    /// `KEY=value`); trailing `=` padding is added back to base64 values.
    static let token: UInt16 = alnum | underscore | dash | plus | slash | dot | tilde

    // Body alphabets for rules.
    static let alnumU: UInt16 = alnum | underscore
    static let alnumUD: UInt16 = alnum | underscore | dash
    static let base64: UInt16 = alnum | plus | slash
    static let base64URL: UInt16 = alnum | underscore | dash
    static let hexL: UInt16 = digit | hexLower
    static let hexAny: UInt16 = digit | hexLower | hexUpper
    static let upperDigit: UInt16 = upper | digit
    static let lowerDigit: UInt16 = lower | digit

    /// The 256 entries of `table` (SecretTables.swift), as computed from the rules.
    static func computedTable() -> [UInt16] {
        var t = [UInt16](repeating: 0, count: 256)
        for b in UInt8(ascii: "a")...UInt8(ascii: "z") { t[Int(b)] = lower }
        for b in UInt8(ascii: "A")...UInt8(ascii: "Z") { t[Int(b)] = upper }
        for b in UInt8(ascii: "0")...UInt8(ascii: "9") { t[Int(b)] = digit }
        for b in UInt8(ascii: "g")...UInt8(ascii: "z") { t[Int(b)] |= nonHexLetter }
        for b in UInt8(ascii: "G")...UInt8(ascii: "Z") { t[Int(b)] |= nonHexLetter }
        for b in UInt8(ascii: "a")...UInt8(ascii: "f") { t[Int(b)] |= hexLower }
        for b in UInt8(ascii: "A")...UInt8(ascii: "F") { t[Int(b)] |= hexUpper }
        t[Int(UInt8(ascii: "_"))] = underscore
        t[Int(UInt8(ascii: "-"))] = dash
        t[Int(UInt8(ascii: "+"))] = plus
        t[Int(UInt8(ascii: "/"))] = slash
        t[Int(UInt8(ascii: "."))] = dot
        t[Int(UInt8(ascii: "="))] = equals
        t[Int(UInt8(ascii: "~"))] = tilde
        t[Int(UInt8(ascii: "%"))] = percent
        t[Int(UInt8(ascii: ":"))] = colon
        for rule in SecretPrefixRules.all { t[Int(rule.prefix[0])] |= prefixStart }
        return t
    }
}

/// A view of the scanned buffer with bounds-safe helpers. Rules read through this.
struct SecretBytes {
    let p: UnsafePointer<UInt8>
    let n: Int
    let cls: UnsafePointer<UInt16>

    @inline(__always) subscript(i: Int) -> UInt8 { p[i] }
    /// The byte at `i`, or 0 outside the text (one unsigned comparison: a negative `i` wraps).
    @inline(__always) func at(_ i: Int) -> UInt8 { UInt(bitPattern: i) < UInt(bitPattern: n) ? p[i] : 0 }
    @inline(__always) func c(_ i: Int) -> UInt16 { UInt(bitPattern: i) < UInt(bitPattern: n) ? cls[Int(p[i])] : 0 }
    @inline(__always) func isClass(_ i: Int, _ mask: UInt16) -> Bool { c(i) & mask != 0 }

    /// SecretBytes of `mask` from `i`, at most `limit`.
    @inline(__always) func run(from i: Int, _ mask: UInt16, limit: Int = Int.max) -> Int {
        var j = i
        let end = limit == Int.max ? n : min(n, i + limit)
        while j < end && cls[Int(p[j])] & mask != 0 { j += 1 }
        return j - i
    }

    // Literals are static strings (ASCII): matching one allocates nothing.

    /// Whether `lit` (ASCII) is at `i`, exactly.
    @inline(__always) func has(_ lit: StaticString, at i: Int) -> Bool {
        let count = lit.utf8CodeUnitCount
        guard i >= 0, i + count <= n else { return false }
        let l = lit.utf8Start
        for k in 0..<count where p[i + k] != l[k] { return false }
        return true
    }

    /// Whether `lit` (lowercase ASCII) is at `i`, ignoring ASCII case.
    @inline(__always) func hasFolded(_ lit: StaticString, at i: Int) -> Bool {
        let count = lit.utf8CodeUnitCount
        guard i >= 0, i + count <= n else { return false }
        let l = lit.utf8Start
        for k in 0..<count where SecretASCII.lower(p[i + k]) != l[k] { return false }
        return true
    }

    /// First index of `lit` in `from..<to` (exact case), or nil.
    func find(_ lit: StaticString, from: Int, to: Int) -> Int? {
        let count = lit.utf8CodeUnitCount
        guard count > 0 else { return nil }
        let first = lit.utf8Start[0]
        let last = min(to, n) - count
        var i = max(0, from)
        while i <= last {
            if p[i] == first && has(lit, at: i) { return i }
            i += 1
        }
        return nil
    }

    /// First index of `lit` (lowercase) in `from..<to`, ignoring case.
    func findFolded(_ lit: StaticString, from: Int, to: Int) -> Int? {
        let count = lit.utf8CodeUnitCount
        guard count > 0 else { return nil }
        let first = lit.utf8Start[0]
        let last = min(to, n) - count
        var i = max(0, from)
        while i <= last {
            if SecretASCII.lower(p[i]) == first && hasFolded(lit, at: i) { return i }
            i += 1
        }
        return nil
    }

    /// First index of the byte `x` in `from..<to`, or nil.
    func find(byte x: UInt8, from: Int, to: Int) -> Int? {
        var i = max(0, from)
        let end = min(to, n)
        while i < end {
            if p[i] == x { return i }
            i += 1
        }
        return nil
    }

    /// The last index in `stop..<s` holding `p`, `P` or a newline (LF), or nil: eight bytes per
    /// step, then one at a time.
    @inline(__always) func lastPOrNewline(before s: Int, stop: Int) -> Int? {
        var k = s - 1
        while k - 7 >= stop {
            let x = word(at: k - 7)
            let hits = SecretASCII.bytes(in: x | 0x2020_2020_2020_2020, equalTo: UInt8(ascii: "p")) | SecretASCII.bytes(in: x, equalTo: 10)
            if hits != 0 { return k - 7 + (63 - hits.leadingZeroBitCount) >> 3 }
            k -= 8
        }
        while k >= stop {
            if p[k] | 0x20 == UInt8(ascii: "p") || p[k] == 10 { return k }
            k -= 1
        }
        return nil
    }

    /// The eight bytes from `i` as a little-endian word. The caller makes sure that `i + 8 <= n`.
    @inline(__always) func word(at i: Int) -> UInt64 {
        UInt64(littleEndian: UnsafeRawPointer(p).loadUnaligned(fromByteOffset: i, as: UInt64.self))
    }

    /// Start of the line holding `i`, looking back at most `limit` bytes (eight per step).
    func lineStart(_ i: Int, limit: Int) -> Int {
        var j = i
        let stop = max(0, i - limit)
        while j - 8 >= stop {
            let x = word(at: j - 8)
            let breaks = SecretASCII.bytes(in: x, equalTo: 10) | SecretASCII.bytes(in: x, equalTo: 13)
            if breaks != 0 { return j - 8 + (63 - breaks.leadingZeroBitCount) >> 3 + 1 }
            j -= 8
        }
        while j > stop && p[j - 1] != 10 && p[j - 1] != 13 { j -= 1 }
        return j
    }
}

enum SecretASCII {
    @inline(__always) static func lower(_ b: UInt8) -> UInt8 { b &- 65 < 26 ? b | 0x20 : b }
    @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b &- 48 < 10 }
    @inline(__always) static func isHex(_ b: UInt8) -> Bool { b &- 48 < 10 || (b | 0x20) &- 97 < 6 }
    @inline(__always) static func isSpace(_ b: UInt8) -> Bool { b == 32 || b == 9 }
    @inline(__always) static func isQuote(_ b: UInt8) -> Bool { b == 34 || b == 39 || b == 96 }

    @inline(__always) static func isLetter(_ b: UInt8) -> Bool { (b | 0x20) &- 97 < 26 }

    /// The high bit of each byte of `x` that is an ASCII letter, the others clear.
    @inline(__always) static func letters(in x: UInt64) -> UInt64 {
        let high: UInt64 = 0x8080_8080_8080_8080
        let folded = x & ~high | 0x2020_2020_2020_2020
        // Bit 7 of folded + 0x1F is set from `a` up, of folded + 0x05 from `{` up: no carries
        // cross bytes, as folded is below 0x80.
        return (folded &+ 0x1F1F_1F1F_1F1F_1F1F) & ~(folded &+ 0x0505_0505_0505_0505) & ~x & high
    }

    /// The high bit of each of the first five bytes of `x` that starts three ASCII letters (the
    /// fourth byte after each is in `x` too).
    @inline(__always) static func threeLetterStarts(_ x: UInt64) -> UInt64 {
        let l = letters(in: x)
        return l & (l >> 8) & (l >> 16) & 0x0000_0080_8080_8080
    }

    /// The high bit of each byte of `x` that equals `c`, the others clear (exact: no false
    /// positives from borrows between bytes).
    @inline(__always) static func bytes(in x: UInt64, equalTo c: UInt8) -> UInt64 {
        let low7: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        let v = x ^ (UInt64(c) &* 0x0101_0101_0101_0101)
        return ~(((v & low7) &+ low7) | v | low7)
    }
}

/// Statistics of a candidate value, computed once.
struct SecretValueShape {
    var length = 0
    var lower = 0, upper = 0, digits = 0, other = 0
    var hexOnly = true
    var distinct = 0
    var entropy = 0.0
    var maxRepeat = 0   // longest run of one repeated byte

    init(_ b: SecretBytes, _ s: Int, _ e: Int) {
        length = e - s
        withUnsafeTemporaryAllocation(of: UInt16.self, capacity: 128) { counts in
            counts.initialize(repeating: 0)
            fill(b, s, e, counts)
        }
    }

    private mutating func fill(_ b: SecretBytes, _ s: Int, _ e: Int, _ counts: UnsafeMutableBufferPointer<UInt16>) {
        var prev: UInt8 = 0
        var rep = 0
        for i in s..<e {
            let x = b[i]
            if x &- 97 < 26 { lower += 1 } else if x &- 65 < 26 { upper += 1 } else if x &- 48 < 10 { digits += 1 } else { other += 1 }
            if !SecretASCII.isHex(x) { hexOnly = false }
            if x < 128 { counts[Int(x)] += 1 }
            if x == prev { rep += 1 } else { rep = 1; prev = x }
            if rep > maxRepeat { maxRepeat = rep }
        }
        // H = log2(N) - (1/N) * sum(c * log2 c), with c * log2 c from a table.
        let t = SecretEntropy.cLog2c
        var sum = 0.0
        for k in 0..<128 {
            let c = Int(counts[k])
            if c > 0 { distinct += 1; sum += c < 1025 ? t[c] : Double(c) * SecretEntropy.log2(Double(c)) }
        }
        let total = Double(length)
        entropy = length > 0 ? SecretEntropy.log2(total) - sum / total : 0
    }

    var letters: Int { lower + upper }
    var isDigitsOnly: Bool { digits == length }
}

enum SecretEntropy {
    /// c * log2(c) for c in 0...1024, built on first use.
    nonisolated(unsafe) static let cLog2c: UnsafeMutablePointer<Double> = {
        let p = UnsafeMutablePointer<Double>.allocate(capacity: 1025)
        p[0] = 0
        for c in 1...1024 { p[c] = Double(c) * log2(Double(c)) }
        return p
    }()

    /// log2 without Foundation: exponent plus a short series for the significand.
    @inline(__always) static func log2(_ x: Double) -> Double {
        guard x > 0 else { return -1_000 }
        let e = Double(x.exponent)
        let m = x.significand  // [1, 2)
        let t = (m - 1) / (m + 1)
        let t2 = t * t
        let ln = 2 * t * (1 + t2 * (1.0 / 3 + t2 * (1.0 / 5 + t2 * (1.0 / 7 + t2 / 9))))
        return e + ln * 1.4426950408889634
    }
}

/// A set of ASCII literals (three bytes or longer) matched case-insensitively, stored in plain
/// memory so that lookups in the hot path do no reference counting. Built once, on first use,
/// and never freed. Entries are bucketed by their first two (lowercase) bytes; a bit per hash of
/// the first four bytes turns most positions away before any bucket is read (common trigrams of
/// English and code, `pat`, `int`, `get`, start some provider's name). A literal of three bytes
/// sets the bit of every fourth byte.
struct SecretLiteralSet: @unchecked Sendable {
    private let text: UnsafeMutablePointer<UInt8>
    private let offsets: UnsafeMutablePointer<Int32>
    private let lengths: UnsafeMutablePointer<UInt8>
    private let payloads: UnsafeMutablePointer<UInt16>
    /// Per (first, second) byte pair: start << 8 | count into `order` (0 when empty).
    private let buckets: UnsafeMutablePointer<UInt32>
    private let order: UnsafeMutablePointer<Int32>
    /// The filter: 8 KB, so the common miss stays in L1.
    private let startBits: UnsafeMutablePointer<UInt64>

    init(_ entries: [(String, UInt16)]) {
        let words = entries.map { (Array($0.0.lowercased().utf8), $0.1) }
        precondition(words.allSatisfy { $0.0.count >= 3 }, "the filter needs literals of three bytes or more")
        let total = words.reduce(0) { $0 + $1.0.count }
        text = .allocate(capacity: max(total, 1))
        offsets = .allocate(capacity: max(words.count, 1))
        lengths = .allocate(capacity: max(words.count, 1))
        payloads = .allocate(capacity: max(words.count, 1))
        buckets = .allocate(capacity: 16_384)
        buckets.initialize(repeating: 0, count: 16_384)
        order = .allocate(capacity: max(words.count, 1))
        startBits = .allocate(capacity: 1024)
        startBits.initialize(repeating: 0, count: 1024)
        var off = 0
        for (k, w) in words.enumerated() {
            for (j, x) in w.0.enumerated() { text[off + j] = x }
            offsets[k] = Int32(off)
            lengths[k] = UInt8(w.0.count)
            payloads[k] = w.1
            off += w.0.count
            let head = UInt32(w.0[0]) | UInt32(w.0[1]) << 8 | UInt32(w.0[2]) << 16
            for fourth in w.0.count > 3 ? [w.0[3]] : Array(0...255) {
                let h = Self.hash(head | UInt32(fourth) << 24)
                startBits[h >> 6] |= 1 << UInt64(h & 63)
            }
        }
        func key(_ w: [UInt8]) -> Int { Int(w[0] & 127) << 7 | Int(w[1] & 127) }
        let sorted = Array(0..<words.count).sorted {
            (key(words[$0].0), -words[$0].0.count) < (key(words[$1].0), -words[$1].0.count)
        }
        var pos = 0
        while pos < sorted.count {
            let k = key(words[sorted[pos]].0)
            var end = pos
            while end < sorted.count && key(words[sorted[end]].0) == k { order[end] = Int32(sorted[end]); end += 1 }
            buckets[k] = UInt32(pos) << 8 | UInt32(end - pos)
            pos = end
        }
    }

    /// A hash of a literal's first four bytes, little-endian in a word, with bit 5 set in each:
    /// ASCII letters of either case hash like the lowercase letter, so text is hashed as it is,
    /// without folding its case first. (Other bytes may collide with their bit-5 twin: a false
    /// alarm that the bucket compare rejects.)
    @inline(__always) static func hash(_ head: UInt32) -> Int { Int(((head | 0x2020_2020) &* 0x85EB_CA6B) >> 16) }

    /// Whether a literal can start with the bytes of `head` (first byte lowest; the fourth may be
    /// anything when no literal of four bytes or more fits): false when none does.
    @inline(__always) func mayStart(_ head: UInt32) -> Bool {
        let h = Self.hash(head)
        return startBits[h >> 6] & (1 << UInt64(h & 63)) != 0
    }

    /// The longest literal at `i` (ignoring case) ending at or before `limit`: (length, payload).
    @inline(__always) func match(_ b: SecretBytes, at i: Int, limit: Int) -> (Int, UInt16)? {
        guard i + 2 < limit else { return nil }
        let fourth = i + 3 < b.n ? b[i + 3] : 0
        guard mayStart(UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(fourth) << 24) else { return nil }
        let key = Int(SecretASCII.lower(b[i]) & 127) << 7 | Int(SecretASCII.lower(b[i + 1]) & 127)
        let v = buckets[key]
        guard v != 0 else { return nil }
        let start = Int(v >> 8)
        for pos in start..<(start + Int(v & 0xFF)) {
            let k = Int(order[pos])
            let len = Int(lengths[k])
            guard i + len <= limit else { continue }
            let t = text + Int(offsets[k])
            var j = 2
            while j < len && SecretASCII.lower(b[i + j]) == t[j] { j += 1 }
            if j == len { return (len, payloads[k]) }
        }
        return nil
    }
}
