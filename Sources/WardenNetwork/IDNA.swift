// IDNA ToASCII and Punycode (RFC 3492), written by hand: the Swift standard library has neither,
// and Foundation (which this Foundation-free module cannot use) has no Punycode either. The
// mapping is a small subset of UTS #46: lower case (the standard library's Unicode lower-casing),
// the ideographic and full-width dots as label separators, full-width ASCII as ASCII. There is no
// NFC normalisation (no Foundation-free API): a decomposed name is encoded as given, which names
// a different DNS name than the composed one, so it can reach nothing a composed allow entry
// does not also name; see the README's "Egress policy".

/// The host's bytes with every non-ASCII label as an A-label (`xn--…`); ASCII labels lower-cased.
func idnaToASCII(_ host: String, fail: (String) -> HostSyntaxError) throws(HostSyntaxError) -> [UInt8] {
    var mapped: [Unicode.Scalar] = []
    for scalar in host.lowercased().unicodeScalars {
        switch scalar.value {
        case 0x3002, 0xff0e, 0xff61:  // ideographic full stop, full-width and half-width dots
            mapped.append(".")
        case 0xff01...0xff5e:  // full-width ASCII
            let ascii = Unicode.Scalar(scalar.value - 0xfee0)!
            mapped.append(contentsOf: String(ascii).lowercased().unicodeScalars)
        default:
            mapped.append(scalar)
        }
    }
    var output: [UInt8] = []
    var label: [Unicode.Scalar] = []
    func flush() throws(HostSyntaxError) {
        defer { label.removeAll(keepingCapacity: true) }
        if label.allSatisfy({ $0.isASCII }) {
            output.append(contentsOf: label.map { UInt8($0.value) })
            return
        }
        for scalar in label where !scalar.isASCII {
            switch scalar.properties.generalCategory {
            case .control, .format, .spaceSeparator, .lineSeparator, .paragraphSeparator, .privateUse, .surrogate, .unassigned:
                throw fail("the name contains U+\(String(scalar.value, radix: 16, uppercase: true)), which cannot be in a host name")
            default:
                break
            }
        }
        if let bad = label.first(where: { $0.isASCII && !isNameByte(UInt8($0.value)) }) {
            throw fail("the host contains \(describeByte(UInt8(bad.value))), which a host name cannot contain (letters, digits, '-', '_' and '.' only)")
        }
        guard let encoded = punycodeEncode(label) else { throw fail("a label cannot be encoded as an IDNA A-label") }
        let aLabel = Array("xn--".utf8) + encoded
        guard aLabel.count <= 63 else { throw fail("a label is longer than 63 bytes once encoded as an IDNA A-label") }
        output.append(contentsOf: aLabel)
    }
    for scalar in mapped {
        if scalar == "." {
            try flush()
            output.append(UInt8(ascii: "."))
        } else {
            label.append(scalar)
        }
    }
    try flush()
    return output
}

/// RFC 3492 section 6.3, with its parameters for IDNA (section 5). Nil on overflow.
func punycodeEncode(_ input: [Unicode.Scalar]) -> [UInt8]? {
    let base = 36, tMin = 1, tMax = 26, skew = 38, damp = 700, initialBias = 72, initialN = 128
    var output: [UInt8] = input.filter(\.isASCII).map { UInt8($0.value) }
    let basicCount = output.count
    var handled = basicCount
    if basicCount > 0 { output.append(UInt8(ascii: "-")) }
    var n = initialN, delta = 0, bias = initialBias
    let codePoints = input.map { Int($0.value) }
    func digit(_ value: Int) -> UInt8 { UInt8(value < 26 ? 97 + value : 22 + value) }  // a–z, 0–9
    func adapt(_ delta: Int, _ count: Int, _ first: Bool) -> Int {
        var delta = first ? delta / damp : delta / 2
        delta += delta / count
        var k = 0
        while delta > ((base - tMin) * tMax) / 2 {
            delta /= base - tMin
            k += base
        }
        return k + (base - tMin + 1) * delta / (delta + skew)
    }
    while handled < codePoints.count {
        let m = codePoints.filter { $0 >= n }.min()!
        let (product, overflow) = (m - n).multipliedReportingOverflow(by: handled + 1)
        guard !overflow, delta <= Int(Int32.max) - product else { return nil }
        delta += product
        n = m
        for c in codePoints {
            if c < n {
                delta += 1
                guard delta <= Int(Int32.max) else { return nil }
            }
            if c == n {
                var q = delta
                var k = base
                while true {
                    let t = k <= bias ? tMin : (k >= bias + tMax ? tMax : k - bias)
                    if q < t { break }
                    output.append(digit(t + (q - t) % (base - t)))
                    q = (q - t) / (base - t)
                    k += base
                }
                output.append(digit(q))
                bias = adapt(delta, handled + 1, handled == basicCount)
                delta = 0
                handled += 1
            }
        }
        delta += 1
        n += 1
    }
    return output
}
