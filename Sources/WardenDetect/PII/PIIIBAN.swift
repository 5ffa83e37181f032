// IBANs: a country code, two check digits and the country's BBAN of fixed length, ISO 13616
// mod-97 checked (high confidence). Written in one run (`DE89370400440532013000`) or in groups of
// four separated by single spaces or single dashes (`DE89 3704 0044 0532 0130 00`), upper case.
// The length must be exactly the country's: the run, or the last group, must end where the IBAN
// ends. Check digits 00, 01 and 99 are never issued.

extension PIIPass {
    /// The IBAN whose first word (`DE89…` or `DE89`) is `[s, e)`.
    func matchIBAN(_ s: Int, _ e: Int) -> PIIMatch? {
        guard PIIByte.isUpper(t.p[s + 1]), PIIByte.isDigit(t.p[s + 2]), PIIByte.isDigit(t.p[s + 3]) else { return nil }
        let check = number(s + 2, 2)
        guard check >= 2 && check <= 98 else { return nil }
        guard let length = Self.ibanLength(t.p[s], t.p[s + 1]) else { return nil }
        let end: Int
        if e - s == length {
            for k in (s + 4)..<e where !Self.isIBANByte(t.p[k]) { return nil }
            end = e
        } else if e - s == 4 {
            let sep = t[e]
            guard sep == UInt8(ascii: " ") || sep == UInt8(ascii: "-") else { return nil }
            var k = e
            var chars = 4
            while chars < length {
                guard t[k] == sep else { return nil }
                let groupStart = k + 1
                var q = groupStart
                while q - groupStart < 4 && Self.isIBANByte(t[q]) { q += 1 }
                let g = q - groupStart
                guard g > 0, chars + g <= length else { return nil }
                chars += g
                k = q
                // Every group but the last has four characters.
                if chars < length && g != 4 { return nil }
            }
            guard !PIIByte.isWord(t[k]) else { return nil }
            end = k
        } else {
            return nil
        }
        guard PIIChecksum.ibanMod97(t, s..<end) else { return nil }
        return PIIMatch(range: s..<end, kind: .iban, confidence: .high, rule: "iban")
    }

    @inline(__always) static func isIBANByte(_ b: UInt8) -> Bool { PIIByte.isDigit(b) || PIIByte.isUpper(b) }

    /// The length of an IBAN of the country `a b`, from the SWIFT IBAN registry (and the countries
    /// that use IBANs outside it, such as the French overseas territories).
    static func ibanLength(_ a: UInt8, _ b: UInt8) -> Int? {
        switch (UInt16(a) << 8) | UInt16(b) {
        case code("NO"): return 15
        case code("BE"): return 16
        case code("DK"), code("FI"), code("FK"), code("FO"), code("GL"), code("NL"), code("SD"): return 18
        case code("MK"), code("SI"): return 19
        case code("AT"), code("BA"), code("EE"), code("KZ"), code("LT"), code("LU"), code("MN"), code("XK"): return 20
        case code("CH"), code("HR"), code("LI"), code("LV"): return 21
        case code("BG"), code("BH"), code("CR"), code("DE"), code("GB"), code("GE"), code("IE"), code("ME"),
             code("RS"), code("VA"): return 22
        case code("AE"), code("GI"), code("IL"), code("IQ"), code("OM"), code("SO"), code("TL"): return 23
        case code("AD"), code("CZ"), code("ES"), code("MD"), code("PK"), code("RO"), code("SA"), code("SE"),
             code("SK"), code("TN"), code("VG"): return 24
        case code("LY"), code("PT"), code("ST"), code("AO"), code("CV"), code("MZ"): return 25
        case code("IS"), code("TR"), code("DZ"), code("IR"): return 26
        case code("BI"), code("DJ"), code("FR"), code("GR"), code("IT"), code("MC"), code("MR"), code("SM"),
             code("BL"), code("GF"), code("GP"), code("MF"), code("MQ"), code("NC"), code("PF"), code("PM"),
             code("RE"), code("TF"), code("WF"), code("YT"), code("CM"), code("CG"), code("GA"), code("MG"):
            return 27
        case code("AL"), code("AZ"), code("BY"), code("CY"), code("DO"), code("GT"), code("HN"), code("HU"),
             code("LB"), code("NI"), code("PL"), code("SV"), code("BJ"), code("BF"), code("CI"), code("ML"),
             code("SN"): return 28
        case code("BR"), code("EG"), code("PS"), code("QA"), code("UA"): return 29
        case code("JO"), code("KW"), code("MU"), code("YE"): return 30
        case code("MT"), code("SC"): return 31
        case code("LC"): return 32
        case code("RU"): return 33
        default: return nil
        }
    }

    @inline(__always) static func code(_ s: StaticString) -> UInt16 {
        (UInt16(s.utf8Start[0]) << 8) | UInt16(s.utf8Start[1])
    }
}
