// Phone numbers.
//
// Reported without context (they are hard to confuse with anything else):
// - international: `+44 20 7946 0958`, `+1-415-555-2671`, `+33 1 23 45 67 89`, `+44 (20) 7123 4567`,
//   `+44 (0)20 7946 0958`, E.164 `+14155552671`: a `+` not glued to a word, an assigned country
//   code, 8–15 digits in groups separated by single spaces, dashes or dots; `+1` numbers must be
//   valid North American numbers. Medium confidence. `0044 20 7946 0958` (the `00` prefix) must
//   separate the country code and is low confidence: zero-padded numbers look alike.
// - North American: `(415) 555-2671`, `(415)555-2671`, `415-555-2671` (medium), `415.555.2671`,
//   `415 555 2671` (low), optionally after a `1-` trunk prefix; area code and exchange start 2–9.
// Reported only after a keyword ("phone", "tel", "mobile", "cell", "fax", …), at low confidence:
// any other national format of 7–15 digits (`tel: 020 7946 0958`, `mobile: 090-1234-5678`).
// Not phone numbers: dates (`2024-01-15`, `15.01.2024`), year ranges (`2019-2020`), times and
// durations (`:` is no separator), versions (dots glued to words), ids (digits inside words),
// long digit runs (more than 15 digits).

extension PIIPass {
    /// An international number at the `+` at `s` (`plus`), or at the `00` that starts the digit run at `s`.
    func matchInternational(_ s: Int, plus: Bool) -> PIIMatch? {
        if plus {
            guard PIIByte.isDigit(t[s + 1]), t[s + 1] != UInt8(ascii: "0") else { return nil }
            let before = t[s - 1]
            if PIIByte.isWord(before) || before == UInt8(ascii: "+") || before == UInt8(ascii: ".") { return nil }
        } else {
            guard t[s + 2] != UInt8(ascii: "0") else { return nil }
        }
        let first = plus ? s + 1 : s + 2
        guard let groups = readGroups(first, maxDigits: 15, allowParentheses: true) else { return nil }
        var end = groups.end
        let total = groups.digits
        guard let cc = countryCode(first, groups.end) else { return nil }
        // A signed decimal (`+35236450.6`) is no phone number.
        if groups.count == 2 && t[first + Int(groups.shape & 0xF)] == UInt8(ascii: ".") { return nil }
        let firstGroup = Int(groups.shape & 0xF)
        guard firstGroup >= cc.length else { return nil }
        var confidence = Confidence.medium
        var rule: StaticString = "phone-international"
        if !plus {
            // `00` + country code, then a separator: `0044 20 7946 0958`.
            guard firstGroup == cc.length, groups.count >= 2 else { return nil }
            if cc.code != 39 && digit(at: first, skipping: cc.length) == 0 { return nil }
            confidence = .low
            rule = "phone-international-00"
        }
        if cc.code == 1 {
            // North American: exactly ten digits after the 1, area code and exchange 2–9.
            guard let nanpEnd = groups.endAfter11 else { return nil }
            end = nanpEnd
            guard let area = digit(at: first, skipping: 1), area >= 2,
                  let exchange = digit(at: first, skipping: 4), exchange >= 2 else { return nil }
        } else {
            guard total >= 8 else { return nil }
            if isDateShape(groups.shape, count: groups.count, at: first) { return nil }
        }
        guard !PIIByte.isWord(t[end]) else { return nil }
        return PIIMatch(range: s..<end, kind: .phoneNumber, confidence: confidence, rule: rule)
    }

    /// `415-555-2671`, `415.555.2671`, `415 555 2671` at `s`, reported from `from`.
    func matchNANP(_ s: Int, from: Int) -> PIIMatch? {
        let sep = t[s + 3]
        guard sep == UInt8(ascii: "-") || sep == UInt8(ascii: ".") || sep == UInt8(ascii: " ") else { return nil }
        guard digits(s, 3), digits(s + 4, 3), t[s + 7] == sep, digits(s + 8, 4) else { return nil }
        guard t.p[s] >= UInt8(ascii: "2"), t.p[s + 4] >= UInt8(ascii: "2") else { return nil }
        let end = s + 12
        guard endsNumber(end, separator: sep) else { return nil }
        if from == s, t[s - 1] == UInt8(ascii: "-") || t[s - 1] == UInt8(ascii: ".") { return nil }
        let confidence: Confidence = sep == UInt8(ascii: "-") ? .medium : .low
        return PIIMatch(range: from..<end, kind: .phoneNumber, confidence: confidence, rule: "phone-nanp")
    }

    /// `(415) 555-2671`, `(415)555-2671` at the `(` at `s`, reported from `from`.
    func matchNANPParenthesized(_ s: Int, from: Int) -> PIIMatch? {
        guard digits(s + 1, 3), t[s + 4] == UInt8(ascii: ")"), t[s + 1] >= UInt8(ascii: "2") else { return nil }
        var k = s + 5
        if t[k] == UInt8(ascii: " ") || t[k] == UInt8(ascii: "-") || t[k] == UInt8(ascii: ".") { k += 1 }
        guard digits(k, 3), t[k] >= UInt8(ascii: "2") else { return nil }
        k += 3
        let sep = t[k]
        if sep == UInt8(ascii: "-") || sep == UInt8(ascii: ".") || sep == UInt8(ascii: " ") { k += 1 }
        guard digits(k, 4) else { return nil }
        k += 4
        guard endsNumber(k, separator: sep) else { return nil }
        return PIIMatch(range: from..<k, kind: .phoneNumber, confidence: .medium, rule: "phone-nanp")
    }

    /// `1-415-555-2671`, `1 (415) 555-2671`: the `1` at `s`.
    func matchNANPWithTrunk(_ s: Int) -> PIIMatch? {
        let sep = t[s + 1]
        guard sep == UInt8(ascii: "-") || sep == UInt8(ascii: ".") || sep == UInt8(ascii: " ") else { return nil }
        if t[s + 2] == UInt8(ascii: "(") { return matchNANPParenthesized(s + 2, from: s) }
        guard t[s + 5] == sep else { return nil }
        return matchNANP(s + 2, from: s)
    }

    /// Any national format after a phone keyword, at `s` (a digit or a `(`): low confidence. The
    /// caller checked the keyword (`followsKeyword`), which is cheap where digits are dense.
    func matchPhoneAfterKeyword(_ s: Int) -> PIIMatch? {
        guard let groups = readGroups(s, maxDigits: 15, allowParentheses: true) else { return nil }
        guard groups.digits >= 7, !PIIByte.isWord(t[groups.end]) else { return nil }
        // A decimal number (`1412830.188`) is no phone number.
        if groups.count == 2 && t[s + Int(groups.shape & 0xF)] == UInt8(ascii: ".") { return nil }
        if isDateShape(groups.shape, count: groups.count, at: s) { return nil }
        return PIIMatch(range: s..<groups.end, kind: .phoneNumber, confidence: .low, rule: "phone-keyword")
    }

    // MARK: Helpers

    /// Groups of digits from `s`, separated by single spaces, dashes, dots or slashes, one of them
    /// possibly in parentheses (`(20)`, `(0)20`). Stops before a group that would make more than
    /// `maxDigits` digits. `shape` packs the group lengths, 4 bits each, first group lowest.
    func readGroups(_ s: Int, maxDigits: Int, allowParentheses: Bool) -> (end: Int, digits: Int, count: Int, shape: UInt64, endAfter11: Int?)? {
        var k = s
        var total = 0
        var count = 0
        var shape: UInt64 = 0
        var end = -1
        var endAfter11: Int?
        var usedParentheses = !allowParentheses
        while true {
            let groupStart = k
            var open = false
            if t[k] == UInt8(ascii: "(") && !usedParentheses {
                open = true
                k += 1
            }
            let digitStart = k
            while PIIByte.isDigit(t[k]) && k - digitStart <= maxDigits { k += 1 }
            let g = k - digitStart
            if g == 0 || total + g > maxDigits || (open && (g > 4 || t[k] != UInt8(ascii: ")"))) {
                k = groupStart
                break
            }
            if open {
                usedParentheses = true
                k += 1
            }
            total += g
            if count < 16 { shape |= UInt64(min(g, 15)) << UInt64(4 * count) }
            count += 1
            end = k
            if total == 11 { endAfter11 = k }
            let b = t[k]
            if b == UInt8(ascii: " ") || b == UInt8(ascii: "-") || b == UInt8(ascii: ".") || b == UInt8(ascii: "/") {
                let c = t[k + 1]
                if PIIByte.isDigit(c) || (c == UInt8(ascii: "(") && !usedParentheses) {
                    k += 1
                    continue
                }
            } else if open && PIIByte.isDigit(b) {
                continue // `(0)20`
            } else if b == UInt8(ascii: "(") && !usedParentheses && PIIByte.isDigit(t[k + 1]) {
                continue
            }
            break
        }
        guard count > 0 else { return nil }
        // A group cut off by the digit limit means the run of digits goes on: no number here.
        if PIIByte.isDigit(t[end]) { return nil }
        return (end, total, count, shape, endAfter11)
    }

    /// Dates and year ranges: groups 4-2-2 and 2-2-4 (`2024-01-15`, `15.01.2024`), and 4-4 where
    /// both groups start with 19 or 20 (`2019-2020`). The groups start at `s`.
    func isDateShape(_ shape: UInt64, count: Int, at s: Int) -> Bool {
        if count == 3 && (shape == 0x224 || shape == 0x422) { return true }
        if count == 2 && shape == 0x44 {
            func century(_ skip: Int) -> Bool {
                let a = digit(at: s, skipping: skip) ?? 0
                let b = digit(at: s, skipping: skip + 1) ?? 0
                return (a == 1 && b == 9) || (a == 2 && b == 0)
            }
            return century(0) && century(4)
        }
        return false
    }

    /// The `n`th digit (0-based) of the digits from `s` on, skipping separators.
    func digit(at s: Int, skipping n: Int) -> Int? {
        var k = s
        var seen = 0
        while k < t.n && k - s < 40 {
            let b = t.p[k]
            if PIIByte.isDigit(b) {
                if seen == n { return Int(b - 48) }
                seen += 1
            } else if PIIByte.isWord(b) {
                return nil
            }
            k += 1
        }
        return nil
    }

    /// The country code the digits from `s` start with, if it is assigned (ITU-T E.164 list).
    func countryCode(_ s: Int, _ e: Int) -> (code: Int, length: Int)? {
        guard let d1 = digit(at: s, skipping: 0) else { return nil }
        if d1 == 1 || d1 == 7 { return (d1, 1) }
        guard let d2 = digit(at: s, skipping: 1) else { return nil }
        let two = d1 * 10 + d2
        switch two {
        case 20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49, 51, 52, 53, 54, 55, 56, 57, 58,
             60, 61, 62, 63, 64, 65, 66, 81, 82, 84, 86, 90, 91, 92, 93, 94, 95, 98:
            return (two, 2)
        default:
            break
        }
        guard let d3 = digit(at: s, skipping: 2) else { return nil }
        let three = two * 10 + d3
        switch three {
        case 211, 212, 213, 216, 218, 220...258, 260...269, 290, 291, 297, 298, 299,
             350...359, 370...383, 385, 386, 387, 389, 420, 421, 423, 500...509, 590...599,
             670, 672...692, 800, 808, 850, 852, 853, 855, 856, 870, 880, 881, 882, 883, 886, 888,
             960...968, 970...977, 979, 992...996, 998:
            return (three, 3)
        default:
            return nil
        }
    }

    /// Whether `count` digits start at `s`.
    @inline(__always) func digits(_ s: Int, _ count: Int) -> Bool {
        for k in s..<(s + count) where !PIIByte.isDigit(t[k]) { return false }
        return true
    }

    /// Whether a number ends at `e`: not followed by a word byte, nor by its separator or a dot
    /// and more digits (`415-555-2671-3`, `123-45-6789.5`).
    func endsNumber(_ e: Int, separator: UInt8) -> Bool {
        let b = t[e]
        if PIIByte.isWord(b) { return false }
        if (b == separator || b == UInt8(ascii: "-") || b == UInt8(ascii: ".")) && PIIByte.isDigit(t[e + 1]) { return false }
        return true
    }
}
