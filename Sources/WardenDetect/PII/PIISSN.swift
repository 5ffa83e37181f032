// US Social Security numbers.
//
// `NNN-NN-NNNN` is reported at medium confidence, `NNN NN NNNN` and `NNN.NN.NNNN` (one separator
// throughout) at low confidence; a bare `NNNNNNNNN` only within reach of "SSN" or "social
// security", at low confidence. All need a valid area (not 000, 666 or 900–999), group (not 00)
// and serial (not 0000). The famous sample 123-45-6789 is valid by those rules and is reported:
// redacting a sample costs nothing, and the rules cannot tell a sample from a real number.
// Mixed separators (`693-09.4444`) and partial ones (`078-051121`) are not SSNs.

extension PIIPass {
    /// `NNN-NN-NNNN` (or spaces, or dots) at `s`.
    func matchSSN(_ s: Int) -> PIIMatch? {
        let sep = t[s + 3]
        guard sep == UInt8(ascii: "-") || sep == UInt8(ascii: " ") || sep == UInt8(ascii: ".") else { return nil }
        guard digits(s + 4, 2), t[s + 6] == sep, digits(s + 7, 4) else { return nil }
        let before = t[s - 1]
        if (before == UInt8(ascii: "-") || before == UInt8(ascii: ".")) && PIIByte.isDigit(t[s - 2]) { return nil }
        guard endsNumber(s + 11, separator: sep) else { return nil }
        guard Self.isValidSSN(area: number(s, 3), group: number(s + 4, 2), serial: number(s + 7, 4)) else { return nil }
        let confidence: Confidence = sep == UInt8(ascii: "-") ? .medium : .low
        return PIIMatch(range: s..<(s + 11), kind: .usSSN, confidence: confidence, rule: "us-ssn")
    }

    /// A bare 9-digit SSN at `s`, after an SSN keyword (the caller checked both).
    func matchSSNAfterKeyword(_ s: Int) -> PIIMatch? {
        guard Self.isValidSSN(area: number(s, 3), group: number(s + 3, 2), serial: number(s + 5, 4)) else { return nil }
        return PIIMatch(range: s..<(s + 9), kind: .usSSN, confidence: .low, rule: "us-ssn-keyword")
    }

    static func isValidSSN(area: Int, group: Int, serial: Int) -> Bool {
        area != 0 && area != 666 && area < 900 && group != 0 && serial != 0
    }

    /// The decimal value of `count` digits at `s` (the caller checked they are digits).
    func number(_ s: Int, _ count: Int) -> Int {
        var v = 0
        for k in s..<(s + count) { v = v * 10 + Int(t[k] &- 48) }
        return v
    }
}
