// IP addresses.
//
// IPv4: four decimal octets 0–255 without leading zeros (`010.1.1.1` is not an address), standing
// alone: not glued to a word (`IP192.168.1.1`, `v10.0.0.1`, `libfoo-1.2.3.4`), not one part of a
// longer dotted number (`1.2.3.4.5`, OIDs such as `1.3.6.1.4.1.311`), not followed by version
// suffixes (`-beta`, `-5`, `+dfsg1`, `~rc1`), not after a Debian epoch (`2:1.4.99.1`), a version
// constraint (`>= 1.4.99.1`) or the words "version", "release", "build" and the like. Dotted
// numbers shaped like versions or section numbers (`1.2.3.4`, `8.4.26.1`, `30.3.3.3`, see
// `looksLikeVersion`) are not reported: public resolvers such as 8.8.8.8 and 1.1.1.1, which that
// passes over, identify no one either.
// A valid prefix length (`/24`) is part of the finding; a port (`:8080`) is not.
//
// IPv6: eight groups, or fewer with one `::`, optionally ending in an IPv4 address, with an
// optional zone (`%eth0`) and prefix length (`/64`). Must contain a decimal digit and stand
// alone, so C++ and Rust paths (`std::cout`, `de::Error`), MAC addresses (six groups), times
// (`12:34:56`) and ratios (`1:2:3:4`) are not addresses.
//
// Confidence: medium for an address that can identify a host, private ranges included (10/8,
// 172.16/12, 192.168/16, fc00::/7 and link-local fe80::/10 name machines in someone's network, and
// link-local IPv6 addresses often embed a MAC address). Low, rule `ipv4-special`/`ipv6-special`,
// for addresses that identify no host: 0.0.0.0/8 ("this network", the unspecified address),
// loopback 127/8, multicast 224/4 and the reserved 240/4 (the broadcast address, netmasks such as
// 255.255.255.0); in IPv6 `::/N`, `::1`, multicast ff00::/8, and IPv4-mapped or -compatible forms
// of those IPv4 addresses. They are IP addresses all the same, and reported as such; the default
// policy keeps the everyday ones in tool output (`warden.detection.allowValues`).

extension PIIPass {
    /// The IPv4 address whose first octet starts at `s` (a digit starting a word).
    func matchIPv4(_ s: Int) -> PIIMatch? {
        let before = t[s - 1]
        if before == UInt8(ascii: ".") || PIIByte.isWord(before) { return nil }
        if before == UInt8(ascii: "-") && PIIByte.isAlpha(t[s - 2]) { return nil }
        // A Debian epoch (`2:1.4.99.1`).
        if before == UInt8(ascii: ":") && PIIByte.isDigit(t[s - 2]) { return nil }
        guard let (end, value) = parseIPv4(s) else { return nil }
        guard endsAddress(end) else { return nil }
        // Version suffixes: `1.0.24.2-5`, `1.2.3.57+dfsg1`, `2.0.10.4~rc1`; a range of addresses
        // (`10.0.0.1-10.0.0.9`) is not one.
        let after = t[end]
        if (after == UInt8(ascii: "-") || after == UInt8(ascii: "+") || after == UInt8(ascii: "~")) && PIIByte.isAlnum(t[end + 1]) {
            guard after == UInt8(ascii: "-"), parseIPv4(end + 1) != nil else { return nil }
        }
        // 0.0.0.0 is shaped like a version but is the address servers bind to.
        if (value != 0 && Self.looksLikeVersion(value)) || followsVersionWord(s) || followsVersionOperator(s) { return nil }
        let stop = prefixLength(end, max: 32)
        if Self.identifiesHost(ipv4: value) {
            return PIIMatch(range: s..<stop, kind: .ipAddress, confidence: .medium, rule: "ipv4")
        }
        return PIIMatch(range: s..<stop, kind: .ipAddress, confidence: .low, rule: "ipv4-special")
    }

    /// Four dotted octets at `s`: where they end and their value.
    func parseIPv4(_ s: Int) -> (Int, UInt32)? {
        var k = s
        var value: UInt32 = 0
        for octet in 0..<4 {
            if octet > 0 {
                guard t[k] == UInt8(ascii: ".") else { return nil }
                k += 1
            }
            let start = k
            var v: UInt32 = 0
            while PIIByte.isDigit(t[k]) && k - start < 4 {
                v = v * 10 + UInt32(t[k] - 48)
                k += 1
            }
            let len = k - start
            guard len >= 1 && len <= 3 && v <= 255 else { return nil }
            if len > 1 && t[start] == UInt8(ascii: "0") { return nil }
            value = value << 8 | v
        }
        return (k, value)
    }

    /// Whether an IPv4 address (alone or inside an IPv6 one) ends at `e`.
    func endsAddress(_ e: Int) -> Bool {
        let b = t[e]
        if PIIByte.isWord(b) { return false }
        if b == UInt8(ascii: ".") && PIIByte.isWord(t[e + 1]) { return false }
        if b == UInt8(ascii: "-") && PIIByte.isAlpha(t[e + 1]) { return false }
        return true
    }

    /// Dotted numbers that are far more often versions or section numbers than addresses: all
    /// four parts single digits (`1.2.3.4`), the first two single digits (`8.4.26.1`, `9.4.2.251`),
    /// three single digits and no part above 99 (`30.3.3.3`), or all parts below 32 (`15.5.4.11`,
    /// `20.11.5.1`: sections of the ECMA and C++ standards), except in 10/8, where such
    /// addresses are common (`10.0.0.1`). The public addresses this passes over (8.8.4.4, 1.1.1.1,
    /// a sliver of 1/8–9/8) are mostly well-known services, not anyone's personal data.
    static func looksLikeVersion(_ v: UInt32) -> Bool {
        let a = v >> 24, b = (v >> 16) & 0xFF, c = (v >> 8) & 0xFF, d = v & 0xFF
        if a < 10 && b < 10 { return true }
        if a == 10 { return false }
        let single = (b < 10 ? 1 : 0) + (c < 10 ? 1 : 0) + (d < 10 ? 1 : 0) + (a < 10 ? 1 : 0)
        if a < 32 && b < 32 && c < 32 && d < 32 { return true }
        return single >= 3 && a < 100 && b < 100 && c < 100 && d < 100
    }

    /// Whether a version constraint comes right before `s`: `(>= 1.4.99.1)`, `<< 2.0.10.4`, `~> 1.2.3.4`.
    func followsVersionOperator(_ s: Int) -> Bool {
        var k = s - 1
        if t[k] == UInt8(ascii: " ") { k -= 1 }
        let b = t[k], a = t[k - 1]
        if b == UInt8(ascii: "^") || b == UInt8(ascii: "~") { return true }
        if b == UInt8(ascii: "=") { return a == UInt8(ascii: ">") || a == UInt8(ascii: "<") || a == UInt8(ascii: "=") || a == UInt8(ascii: "~") || a == UInt8(ascii: "!") }
        if b == UInt8(ascii: "<") { return a == UInt8(ascii: "<") }
        if b == UInt8(ascii: ">") { return a == UInt8(ascii: ">") || a == UInt8(ascii: "~") }
        return false
    }

    /// Whether "version", "release", "build"… comes right before `s` (`Version 10.0.0.1`, `ver: 1.2.3.4`).
    func followsVersionWord(_ s: Int) -> Bool {
        var k = s - 1
        while k >= 0 && s - k <= 3 && (t[k] == UInt8(ascii: " ") || t[k] == UInt8(ascii: ":") || t[k] == UInt8(ascii: "=")) { k -= 1 }
        let e = k + 1
        var b = e
        while b > 0 && e - b < 12 && PIIByte.isAlpha(t[b - 1]) { b -= 1 }
        switch e - b {
        case 1: return spells(b, e, "v")
        case 3: return spells(b, e, "ver") || spells(b, e, "rev")
        case 5: return spells(b, e, "build")
        case 7: return spells(b, e, "version") || spells(b, e, "release")
        case 8: return spells(b, e, "firmware") || spells(b, e, "revision")
        default: return false
        }
    }

    /// `/n` after an address ending at `e`, when `n` is a valid prefix length: where the finding ends.
    func prefixLength(_ e: Int, max: Int) -> Int {
        guard t[e] == UInt8(ascii: "/"), PIIByte.isDigit(t[e + 1]) else { return e }
        var k = e + 1
        var v = 0
        while PIIByte.isDigit(t[k]) && k - e <= 4 {
            v = v * 10 + Int(t[k] - 48)
            k += 1
        }
        guard k - e - 1 <= 3, v <= max, !PIIByte.isWord(t[k]) else { return e }
        if t[k] == UInt8(ascii: ".") && PIIByte.isDigit(t[k + 1]) { return e } // `/0.0.0.255`, a mask
        if k - e - 1 > 1 && t[e + 1] == UInt8(ascii: "0") { return e }
        return k
    }

    static func identifiesHost(ipv4 v: UInt32) -> Bool {
        let first = v >> 24
        return first != 0 && first != 127 && first < 224
    }

    /// The IPv6 address starting at `s`: a hex group, or `::`.
    func matchIPv6(_ s: Int) -> PIIMatch? {
        let before = t[s - 1]
        if PIIByte.isWord(before) || before == UInt8(ascii: ":") || before == UInt8(ascii: ".") { return nil }
        var k = s
        var head: UInt128 = 0
        var headCount = 0
        var tail: UInt128 = 0
        var tailCount = 0
        var compressed = false
        var sawDigit = false
        var embeddedIPv4: UInt32?
        var longGroup = false
        if t[k] == UInt8(ascii: ":") {
            guard t[k + 1] == UInt8(ascii: ":") else { return nil }
            compressed = true
            k += 2
        }
        while true {
            let start = k
            var v: UInt128 = 0
            while k - start < 5 && PIIByte.isHex(t[k]) {
                let b = t[k]
                if PIIByte.isDigit(b) { sawDigit = true }
                v = v << 4 | UInt128(PIIByte.isDigit(b) ? b - 48 : (b | 0x20) - 87)
                k += 1
            }
            let len = k - start
            if len == 0 {
                // Only right after `::` may the address end without a group.
                guard compressed && t[k - 1] == UInt8(ascii: ":") && start == k else { return nil }
                break
            }
            if t[k] == UInt8(ascii: ".") && PIIByte.isDigit(t[k + 1]) {
                // An embedded IPv4 address: the group was its first octet.
                guard let (end, value) = parseIPv4(start), endsAddress(end) else { return nil }
                embeddedIPv4 = value
                k = end
                if compressed { tail = tail << 32 | UInt128(value); tailCount += 2 } else { head = head << 32 | UInt128(value); headCount += 2 }
                break
            }
            if len > 4 || PIIByte.isWord(t[k]) { return nil }
            if len >= 3 { longGroup = true }
            if compressed { tail = tail << 16 | v; tailCount += 1 } else { head = head << 16 | v; headCount += 1 }
            if headCount + tailCount > 8 { return nil }
            guard t[k] == UInt8(ascii: ":") else { break }
            if t[k + 1] == UInt8(ascii: ":") {
                if compressed { return nil }
                compressed = true
                k += 2
                continue
            }
            guard PIIByte.isHex(t[k + 1]) else { break }
            k += 1
        }
        let groups = headCount + tailCount
        guard compressed ? groups <= 7 : groups == 8 else { return nil }
        // Followed by more of the same (`1:2:3:4:5:6:7:8:9`, `::1::`): not an address.
        if t[k] == UInt8(ascii: ":") && (PIIByte.isHex(t[k + 1]) || t[k + 1] == UInt8(ascii: ":")) { return nil }
        if PIIByte.isWord(t[k]) || (t[k] == UInt8(ascii: ".") && PIIByte.isDigit(t[k + 1])) { return nil }
        // The unspecified address alone is Haskell's `::` and C++'s scope operator; with a prefix
        // length (`::/0`, a default route) it is an address.
        let unspecifiedRoute = groups == 0 && prefixLength(k, max: 128) > k
        guard sawDigit || embeddedIPv4 != nil || unspecifiedRoute else { return nil }
        // `a[1::2]`, `x[12::3]`: slices, not addresses. A compressed address of one or two groups
        // needs a group of three or more hex digits (`fe80::1`, `2001:db8::`), or must be the
        // loopback address outside brackets (`from ::1`, not the slice `a[::1]`).
        let loopback = groups == 1 && headCount == 0 && tail == 1 && before != UInt8(ascii: "[")
        if compressed && groups <= 2 && embeddedIPv4 == nil && !longGroup && !loopback && !unspecifiedRoute { return nil }
        let address = head << (16 * UInt128(8 - headCount)) | tail
        // Zone and prefix length.
        var end = k
        if t[end] == UInt8(ascii: "%") && PIIByte.isAlnum(t[end + 1]) {
            var z = end + 1
            while PIIByte.isWord(t[z]) || t[z] == UInt8(ascii: ".") || t[z] == UInt8(ascii: "-") { z += 1 }
            while t[z - 1] == UInt8(ascii: ".") || t[z - 1] == UInt8(ascii: "-") { z -= 1 }
            end = z
        }
        end = prefixLength(end, max: 128)
        if Self.identifiesHost(ipv6: address) {
            return PIIMatch(range: s..<end, kind: .ipAddress, confidence: .medium, rule: "ipv6")
        }
        return PIIMatch(range: s..<end, kind: .ipAddress, confidence: .low, rule: "ipv6-special")
    }

    static func identifiesHost(ipv6 a: UInt128) -> Bool {
        if a <= 1 { return false }
        if a >> 120 == 0xFF { return false }
        // IPv4-mapped ::ffff:a.b.c.d and IPv4-compatible ::a.b.c.d
        if a >> 32 == 0xFFFF || a >> 32 == 0 { return identifiesHost(ipv4: UInt32(truncatingIfNeeded: a)) }
        return true
    }
}
