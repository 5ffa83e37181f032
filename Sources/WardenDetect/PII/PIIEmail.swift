// E-mail addresses: `local@domain.tld`, found from the `@`.
//
// Decisions:
// - The domain needs at least two labels and a top-level label of ASCII letters (or an IDN
//   `xn--…` label): `user@localhost`, `pkg@1.2.3`, `image@sha256:…` are not addresses. The local
//   part and the other labels may hold non-ASCII letters (`josé@bücher.example`); a top-level
//   label written in Unicode (`.рф`) is not recognised, its `xn--` form is.
// - `git@host…` is the service account of git hosting (`git@github.com:org/repo.git` SSH
//   remotes, `ssh -T git@gitlab.com`): not personal data, not reported.
// - `user:password@host` inside a URL is a credential, the secret scanner's business: the part
//   after the `:` is not reported as an e-mail address.
// - Image and file names with a density suffix (`icon@2x.png`, `logo@3x.jpg`) are not addresses.
// - npm scoped packages (`@scope/pkg@1.2.3`, `@types/node@20`) fail both the local part (empty,
//   or after a `/`) and the top-level label (digits).

extension PIIPass {
    /// The e-mail address around the `@` at `at`.
    func matchEmail(_ at: Int) -> PIIMatch? {
        // The local part, backwards from the `@`.
        var ls = at
        while ls > 0 && at - ls <= 64 {
            let b = t.p[ls - 1]
            guard Self.isLocalPartByte(b) || (b >= 0x80 && !endsUnicodePunctuation(ls - 1)) else { break }
            ls -= 1
        }
        guard at - ls <= 64 else { return nil }
        // Leading punctuation is quoting or list syntax, not part of the address.
        while ls < at && t.p[ls] < 0x80 && !PIIByte.isAlnum(t.p[ls]) && t.p[ls] != UInt8(ascii: "_") { ls += 1 }
        guard ls < at, t.p[at - 1] != UInt8(ascii: ".") else { return nil }
        var k = ls
        while k < at - 1 {
            if t.p[k] == UInt8(ascii: "."), t.p[k + 1] == UInt8(ascii: ".") { return nil }
            k += 1
        }
        let before = t[ls - 1]
        if before == UInt8(ascii: "/") || before == UInt8(ascii: "@") { return nil }
        if before == UInt8(ascii: ":") && isInURLAuthority(ls - 1) { return nil }
        if at - ls == 3 && spells(ls, at, "git") { return nil }

        // The domain: labels of letters, digits and `-`, separated by single dots.
        var labels = 0
        var lastLabel = at + 1
        var firstLabelEnd = at + 1
        k = at + 1
        while true {
            let start = k
            while PIIByte.isAlnum(t[k]) || t[k] == UInt8(ascii: "-") || (t[k] >= 0x80 && !startsUnicodePunctuation(k)) { k += 1 }
            guard k > start, k - start <= 63,
                  t.p[start] != UInt8(ascii: "-"), t.p[k - 1] != UInt8(ascii: "-") else { return nil }
            labels += 1
            lastLabel = start
            if labels == 1 { firstLabelEnd = k }
            if t[k] == UInt8(ascii: "."), PIIByte.isAlnum(t[k + 1]) || t[k + 1] >= 0x80 {
                k += 1
                continue
            }
            break
        }
        // Other labels may be internationalised (`bücher.example`); the top-level one is ASCII, so
        // what follows it is not part of the address (`jane@example.com’s`).
        var end = lastLabel
        while PIIByte.isAlnum(t[end]) || t[end] == UInt8(ascii: "-") { end += 1 }
        if end < k && t.p[end - 1] == UInt8(ascii: "-") { return nil }
        guard labels >= 2, end - at <= 254 else { return nil }
        // The address must end there: not in the middle of an identifier, a path or another address.
        let after = t[end]
        if PIIByte.isWord(after) || after == UInt8(ascii: "@") { return nil }
        if after == UInt8(ascii: "-") && PIIByte.isAlnum(t[end + 1]) { return nil }
        guard isTopLevelLabel(lastLabel, end) else { return nil }
        // `icon@2x.png`
        if firstLabelEnd - (at + 1) >= 2, PIIByte.lower(t.p[firstLabelEnd - 1]) == UInt8(ascii: "x") {
            var allDigits = true
            for q in (at + 1)..<(firstLabelEnd - 1) where !PIIByte.isDigit(t.p[q]) { allDigits = false }
            if allDigits { return nil }
        }
        if isFileExtension(lastLabel, end) { return nil }
        return PIIMatch(range: ls..<end, kind: .email, confidence: .medium, rule: "email")
    }

    /// Whether the byte at `k` ends a UTF-8 punctuation or space character that cannot be part of
    /// an address: U+2000–U+207F (dashes, curly quotes, bullets, spaces), U+00A0, U+00AB, U+00BB,
    /// U+3000–U+303F (CJK space, punctuation and brackets) and the fullwidth and halfwidth forms of
    /// ASCII punctuation (U+FF01–U+FF0F, U+FF1A–U+FF20, U+FF3B–U+FF40, U+FF5B–U+FF65).
    func endsUnicodePunctuation(_ k: Int) -> Bool {
        let b = t[k]
        if t[k - 1] == 0xC2 { return b == 0xA0 || b == 0xAB || b == 0xBB }
        if t[k - 2] == 0xE2 { return t[k - 1] == 0x80 || t[k - 1] == 0x81 }
        if t[k - 2] == 0xE3 { return t[k - 1] == 0x80 }
        if t[k - 2] == 0xEF && t[k - 1] == 0xBC { return (0x81...0x8F).contains(b) || (0x9A...0xA0).contains(b) || b >= 0xBB }
        if t[k - 2] == 0xEF && t[k - 1] == 0xBD { return b == 0x80 || (0x9B...0xA5).contains(b) }
        return false
    }

    /// Whether a punctuation or space character of `endsUnicodePunctuation` starts at `k`.
    func startsUnicodePunctuation(_ k: Int) -> Bool {
        switch t[k] {
        case 0xC2: return endsUnicodePunctuation(k + 1)
        case 0xE2, 0xE3, 0xEF: return endsUnicodePunctuation(k + 2)
        default: return false
        }
    }

    /// Letters, digits and `. _ % + - '`: what local parts are made of in practice (and, outside
    /// ASCII, any letter: `josé@…`, `müller@…`).
    @inline(__always) static func isLocalPartByte(_ b: UInt8) -> Bool {
        PIIByte.isWord(b) || b == UInt8(ascii: ".") || b == UInt8(ascii: "-") || b == UInt8(ascii: "+")
            || b == UInt8(ascii: "%") || b == UInt8(ascii: "'")
    }

    /// Whether the `:` at `colon` separates a user from a password in `scheme://user:pass@host`.
    func isInURLAuthority(_ colon: Int) -> Bool {
        var k = colon - 1
        while k >= 2 && colon - k < 256 {
            let b = t.p[k]
            if b == UInt8(ascii: " ") || b == UInt8(ascii: "\n") || b == UInt8(ascii: "\t") { return false }
            if b == UInt8(ascii: "/") && t.p[k - 1] == UInt8(ascii: "/") && t.p[k - 2] == UInt8(ascii: ":") { return true }
            k -= 1
        }
        return false
    }

    /// A top-level domain: two or more letters, or an internationalised `xn--` label.
    func isTopLevelLabel(_ s: Int, _ e: Int) -> Bool {
        if e - s >= 5, PIIByte.lower(t.p[s]) == UInt8(ascii: "x"), PIIByte.lower(t.p[s + 1]) == UInt8(ascii: "n"),
           t.p[s + 2] == UInt8(ascii: "-"), t.p[s + 3] == UInt8(ascii: "-") {
            return true
        }
        guard e - s >= 2 else { return false }
        for k in s..<e where !PIIByte.isAlpha(t.p[k]) { return false }
        return true
    }

    /// Image and document extensions, which are no top-level domains: `logo@2x.png`, `cv@v2.pdf`.
    func isFileExtension(_ s: Int, _ e: Int) -> Bool {
        switch e - s {
        case 3:
            return spells(s, e, "png") || spells(s, e, "jpg") || spells(s, e, "gif") || spells(s, e, "svg")
                || spells(s, e, "ico") || spells(s, e, "bmp") || spells(s, e, "pdf") || spells(s, e, "tif")
        case 4:
            return spells(s, e, "jpeg") || spells(s, e, "webp") || spells(s, e, "avif") || spells(s, e, "heic")
                || spells(s, e, "tiff")
        default:
            return false
        }
    }
}
