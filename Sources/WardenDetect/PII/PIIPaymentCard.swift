// Payment card numbers: 13–19 digits, a known issuer prefix for that length, Luhn-checked.
//
// Written as one run of digits (`4111111111111111`) or in groups separated by single spaces or
// single dashes, one separator throughout, the first group of four (`4111 1111 1111 1111`,
// `3714-496353-98431`). A run must stand alone (no digits, letters or `.`/`-` joined digits
// around it), so cards are not found inside longer numbers, ids or hashes. After spaced groups
// other numbers may follow (`4111 1111 1111 1111 12/29`): the longest valid prefix of groups is
// the card. High confidence: the issuer prefix and the checksum both hold.

extension PIIPass {
    /// The card number whose first group or run of `d` digits starts at `s`.
    func matchCard(_ s: Int, _ d: Int) -> PIIMatch? {
        let before = t[s - 1]
        if (before == UInt8(ascii: "-") || before == UInt8(ascii: ".")) && PIIByte.isDigit(t[s - 2]) { return nil }
        if d >= 13 {
            let end = s + d
            if t[end] == UInt8(ascii: ".") && PIIByte.isDigit(t[end + 1]) { return nil }
            guard let rule = Self.cardIssuer(prefix: number(s, 6), length: d), PIIChecksum.luhn(t, s..<end) else { return nil }
            return PIIMatch(range: s..<end, kind: .creditCard, confidence: .high, rule: rule)
        }
        // Groups: the first of four digits, then up to seven more.
        let sep = t[s + 4]
        guard (sep == UInt8(ascii: " ") || sep == UInt8(ascii: "-")) && PIIByte.isDigit(t[s + 5]) else { return nil }
        var lengths: UInt64 = 4
        var count = 1
        var k = s + 4
        while count < 8 && t[k] == sep && PIIByte.isDigit(t[k + 1]) {
            var e = k + 1
            while PIIByte.isDigit(t[e]) && e - k <= 7 { e += 1 }
            let g = e - k - 1
            if g > 6 || PIIByte.isWord(t[e]) { break }
            // A decimal point continues a number (`1111.50`); a comma does not: CSV fields are comma-separated.
            if t[e] == UInt8(ascii: ".") && PIIByte.isDigit(t[e + 1]) { break }
            lengths |= UInt64(g) << UInt64(4 * count)
            count += 1
            k = e
        }
        guard count >= 3 || (count == 2 && ((lengths >> 4) & 0xF) >= 9) else { return nil }
        // With dashes the number is all the groups; with spaces, the longest prefix that is a card.
        let lowest = sep == UInt8(ascii: "-") ? count : 2
        var last = count
        while last >= lowest {
            var total = 0
            var shapeOK = true
            for g in 0..<last {
                let len = Int((lengths >> UInt64(4 * g)) & 0xF)
                total += len
                if g > 0 && g < last - 1 && len < 3 { shapeOK = false }
            }
            if shapeOK && total >= 13 && total <= 19 {
                let end = s + total + (last - 1)
                if let rule = Self.cardIssuer(prefix: number(s, 4) * 100 + firstDigits(s + 5, 2), length: total),
                   PIIChecksum.luhn(t, s..<end) {
                    return PIIMatch(range: s..<end, kind: .creditCard, confidence: .high, rule: rule)
                }
            }
            last -= 1
        }
        return nil
    }

    /// The first `count` digits from `s` on as a number, skipping separators.
    func firstDigits(_ s: Int, _ count: Int) -> Int {
        var v = 0
        var seen = 0
        var k = s
        while seen < count && k < t.n && k - s < 8 {
            if PIIByte.isDigit(t.p[k]) {
                v = v * 10 + Int(t.p[k] - 48)
                seen += 1
            }
            k += 1
        }
        return v
    }

    /// The issuer of a card whose first six digits are `prefix`, if one issues cards of `length`
    /// digits with that prefix. Ranges from the issuers' published IIN tables.
    static func cardIssuer(prefix p6: Int, length: Int) -> StaticString? {
        let p1 = p6 / 100_000
        let p2 = p6 / 10_000
        let p3 = p6 / 1_000
        let p4 = p6 / 100
        switch p1 {
        case 4:
            if length == 13 || length == 16 || length == 19 { return "card-visa" }
        case 5:
            if (51...55).contains(p2) && length == 16 { return "card-mastercard" }
            if p4 == 5019 && length == 16 { return "card-dankort" }
            switch p4 {
            case 5018, 5020, 5038, 5893: if length >= 13 { return "card-maestro" }
            default: break
            }
        case 2:
            if (2221...2720).contains(p4) && length == 16 { return "card-mastercard" }
            if (2200...2204).contains(p4) && length >= 16 { return "card-mir" }
        case 3:
            if (p2 == 34 || p2 == 37) && length == 15 { return "card-amex" }
            if (3528...3589).contains(p4) && length >= 16 { return "card-jcb" }
            if ((300...305).contains(p3) || p4 == 3095 || p2 == 36 || p2 == 38 || p2 == 39) && length >= 14 {
                return "card-diners"
            }
        case 6:
            if (p4 == 6011 || (644...649).contains(p3) || p2 == 65 || (622126...622925).contains(p6)) && length >= 16 {
                return "card-discover"
            }
            if p2 == 62 && length >= 16 { return "card-unionpay" }
            switch p4 {
            case 6304, 6759, 6761, 6762, 6763: if length >= 13 { return "card-maestro" }
            default: break
            }
        case 1:
            if length == 15 { return "card-uatp" }
        default:
            break
        }
        return nil
    }
}
