// E-mail addresses: `local@domain.tld`, found from the `@`.
//
// Decisions:
// - The domain needs at least two labels and a top-level label of letters (or an IDN `xn--…`
//   label): `user@localhost`, `pkg@1.2.3`, `image@sha256:…` are not addresses.
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
        while ls > 0 && at - ls <= 64 && Self.isLocalPartByte(t.p[ls - 1]) { ls -= 1 }
        guard at - ls <= 64 else { return nil }
        // Leading punctuation is quoting or list syntax, not part of the address.
        while ls < at && !PIIByte.isAlnum(t.p[ls]) && t.p[ls] != UInt8(ascii: "_") { ls += 1 }
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
            while PIIByte.isAlnum(t[k]) || t[k] == UInt8(ascii: "-") { k += 1 }
            guard k > start, k - start <= 63,
                  t.p[start] != UInt8(ascii: "-"), t.p[k - 1] != UInt8(ascii: "-") else { return nil }
            labels += 1
            lastLabel = start
            if labels == 1 { firstLabelEnd = k }
            if t[k] == UInt8(ascii: "."), PIIByte.isAlnum(t[k + 1]) {
                k += 1
                continue
            }
            break
        }
        let end = k
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
        return PIIMatch(range: ls..<end, kind: PIIKinds.email, confidence: .medium, rule: "email")
    }

    /// Letters, digits and `. _ % + - '`: what local parts are made of in practice.
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
