/// What kind of address an IP address is, as far as egress goes. Every category but
/// `publicAddress` and `privateRange` is *special*: a name reaches such an address only when the
/// policy lists that exact name, or the address itself (see `EgressPolicy`).
public enum AddressCategory: Sendable, Hashable, CustomStringConvertible {
    case publicAddress
    /// 10/8, 172.16/12, 192.168/16, 100.64/10 (carrier-grade NAT), fc00::/7.
    case privateRange
    /// 127/8, ::1.
    case loopback
    /// 169.254/16 (with the cloud metadata service 169.254.169.254), fe80::/10, and fd00:ec2::254
    /// (EC2's IPv6 metadata service, inside fc00::/7 but special all the same).
    case linkLocal
    /// 0.0.0.0, ::.
    case unspecified
    /// 224/4, ff00::/8.
    case multicast
    /// 255.255.255.255.
    case broadcast
    /// Everything no one should reach through a proxy: 0/8, 240/4, the documentation and
    /// benchmarking ranges, IPv6 outside 2000::/3 and the ranges above, 2001:db8::/32, …
    case reserved

    /// Whether a name reaches such an address only when the policy names it exactly.
    public var isSpecial: Bool {
        switch self {
        case .publicAddress, .privateRange: false
        default: true
        }
    }

    public var description: String {
        switch self {
        case .publicAddress: "public"
        case .privateRange: "private-range"
        case .loopback: "loopback"
        case .linkLocal: "link-local"
        case .unspecified: "unspecified"
        case .multicast: "multicast"
        case .broadcast: "broadcast"
        case .reserved: "reserved"
        }
    }
}

/// An IPv4 or IPv6 address. Kept as two 64-bit words so that comparing and hashing do not
/// allocate; an IPv4 address is in the low 32 bits of `low`.
public struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    public let isIPv4: Bool
    let high: UInt64
    let low: UInt64

    init(ipv4 value: UInt32) {
        isIPv4 = true
        high = 0
        low = UInt64(value)
    }

    init(ipv6 high: UInt64, _ low: UInt64) {
        isIPv4 = false
        self.high = high
        self.low = low
    }

    /// 4 bytes make an IPv4 address, 16 an IPv6 address; any other count is nil.
    public init?(bytes: [UInt8]) {
        switch bytes.count {
        case 4:
            self.init(ipv4: bytes.reduce(0) { $0 << 8 | UInt32($1) })
        case 16:
            let high = bytes[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let low = bytes[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            self.init(ipv6: high, low)
        default:
            return nil
        }
    }

    /// Network byte order: 4 bytes for IPv4, 16 for IPv6.
    public var bytes: [UInt8] {
        if isIPv4 {
            let value = UInt32(truncatingIfNeeded: low)
            return [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
        }
        return (0..<8).map { UInt8(truncatingIfNeeded: high >> (56 - 8 * UInt64($0))) }
            + (0..<8).map { UInt8(truncatingIfNeeded: low >> (56 - 8 * UInt64($0))) }
    }

    var ipv4Value: UInt32 { UInt32(truncatingIfNeeded: low) }

    /// The IPv4 address inside an IPv4-mapped (`::ffff:a.b.c.d`) or NAT64 (`64:ff9b::a.b.c.d`,
    /// RFC 6052's well-known prefix) IPv6 address: connecting to either reaches that IPv4 address,
    /// so the policy judges that one. Any other address is itself.
    public var unmapped: IPAddress {
        guard !isIPv4 else { return self }
        if high == 0 && low >> 32 == 0xffff { return IPAddress(ipv4: UInt32(truncatingIfNeeded: low)) }
        if high == 0x0064_ff9b_0000_0000 && low >> 32 == 0 { return IPAddress(ipv4: UInt32(truncatingIfNeeded: low)) }
        return self
    }

    /// Whether the first `prefixLength` bits of both addresses agree (both of one family).
    func sharesPrefix(with other: IPAddress, length prefixLength: Int) -> Bool {
        guard isIPv4 == other.isIPv4 else { return false }
        if isIPv4 {
            guard prefixLength > 0 else { return true }
            let shift = UInt32(32 - min(prefixLength, 32))
            return ipv4Value >> shift == other.ipv4Value >> shift
        }
        if prefixLength <= 0 { return true }
        if prefixLength <= 64 {
            let shift = UInt64(64 - prefixLength)
            return prefixLength == 64 ? high == other.high : high >> shift == other.high >> shift
        }
        guard high == other.high else { return false }
        let shift = UInt64(128 - min(prefixLength, 128))
        return shift == 64 ? true : low >> shift == other.low >> shift
    }

    /// Whether any bit after the first `prefixLength` is set (a CIDR written with host bits).
    func hasBitsAfter(prefixLength: Int) -> Bool {
        if isIPv4 {
            guard prefixLength < 32 else { return false }
            return ipv4Value & (UInt32.max >> UInt32(prefixLength)) != 0
        }
        if prefixLength >= 128 { return false }
        if prefixLength >= 64 { return low & (UInt64.max >> UInt64(prefixLength - 64)) != 0 }
        return low != 0 || high & (UInt64.max >> UInt64(prefixLength)) != 0
    }

    public var category: AddressCategory {
        if isIPv4 { return IPAddress.category(ipv4: ipv4Value) }
        let mapped = unmapped
        if mapped.isIPv4 { return mapped.category }
        if high == 0 && low == 0 { return .unspecified }
        if high == 0 && low == 1 { return .loopback }
        let first16 = UInt16(truncatingIfNeeded: high >> 48)
        // fd00:ec2::254, EC2's metadata service: link-local in purpose though not in range.
        if high == 0xfd00_0ec2_0000_0000 && low == 0x254 { return .linkLocal }
        if first16 & 0xffc0 == 0xfe80 { return .linkLocal }
        if first16 & 0xff00 == 0xff00 { return .multicast }
        if first16 & 0xfe00 == 0xfc00 { return .privateRange }
        // 2001:db8::/32 documentation; 64:ff9b:1::/48 local-use NAT64 (its embedding is not
        // unwrapped, so it is never treated as an ordinary address); 2002::/16 6to4 of a special
        // IPv4 address.
        if high >> 32 == 0x2001_0db8 { return .reserved }
        if first16 == 0x2002 {
            let embedded = IPAddress(ipv4: UInt32(truncatingIfNeeded: high >> 16))
            return embedded.category.isSpecial ? .reserved : .publicAddress
        }
        // Global unicast is 2000::/3; the rest of the space (::/96 IPv4-compatible, 100::/64
        // discard, 64:ff9b:1::/48, …) is not for a proxy to reach.
        if first16 & 0xe000 == 0x2000 { return .publicAddress }
        return .reserved
    }

    static func category(ipv4 value: UInt32) -> AddressCategory {
        func within(_ network: UInt32, _ prefixLength: UInt32) -> Bool {
            value >> (32 - prefixLength) == network >> (32 - prefixLength)
        }
        if value == 0 { return .unspecified }
        if value == 0xffff_ffff { return .broadcast }
        if within(0x7f00_0000, 8) { return .loopback }
        if within(0xa9fe_0000, 16) { return .linkLocal }
        if within(0xe000_0000, 4) { return .multicast }
        if within(0x0a00_0000, 8) || within(0xac10_0000, 12) || within(0xc0a8_0000, 16) || within(0x6440_0000, 10) {
            return .privateRange
        }
        // 0/8 "this network", 240/4, 192.0.0/24 protocol assignments, the documentation ranges
        // 192.0.2/24, 198.51.100/24, 203.0.113/24, benchmarking 198.18/15.
        if within(0, 8) || within(0xf000_0000, 4) || within(0xc000_0000, 24) || within(0xc000_0200, 24)
            || within(0xc633_6400, 24) || within(0xcb00_7100, 24) || within(0xc612_0000, 15)
        {
            return .reserved
        }
        return .publicAddress
    }

    /// Dotted quad, or RFC 5952 text for IPv6 (lower case, the longest run of two or more zero
    /// groups as `::`, IPv4-mapped addresses as `::ffff:a.b.c.d`).
    public var description: String {
        if isIPv4 { return IPAddress.dottedQuad(ipv4Value) }
        let groups = (0..<8).map { index -> UInt16 in
            let word = index < 4 ? high : low
            return UInt16(truncatingIfNeeded: word >> (48 - 16 * UInt64(index % 4)))
        }
        if high == 0 && low >> 32 == 0xffff { return "::ffff:" + IPAddress.dottedQuad(UInt32(truncatingIfNeeded: low)) }
        var bestStart = -1, bestLength = 0, index = 0
        while index < 8 {
            guard groups[index] == 0 else { index += 1; continue }
            var end = index
            while end < 8 && groups[end] == 0 { end += 1 }
            if end - index > bestLength { (bestStart, bestLength) = (index, end - index) }
            index = end
        }
        if bestLength < 2 { return groups.map { hex($0) }.joined(separator: ":") }
        let head = groups[..<bestStart].map { hex($0) }.joined(separator: ":")
        let tail = groups[(bestStart + bestLength)...].map { hex($0) }.joined(separator: ":")
        return head + "::" + tail
    }

    static func dottedQuad(_ value: UInt32) -> String {
        "\(value >> 24).\(value >> 16 & 0xff).\(value >> 8 & 0xff).\(value & 0xff)"
    }

    /// The address in the strict text forms `inet_pton` accepts and `getaddrinfo` returns:
    /// four decimal parts without leading zeros, or IPv6 text (no brackets, no zone id). Nil for
    /// anything else.
    public static func parse(_ text: some StringProtocol) -> IPAddress? {
        let bytes = Array(text.utf8)
        if let value = parseStrictIPv4(bytes[...]) { return IPAddress(ipv4: value) }
        return parseIPv6(bytes[...])
    }

    /// `a.b.c.d`, each part decimal 0–255 without a leading zero.
    static func parseStrictIPv4(_ bytes: ArraySlice<UInt8>) -> UInt32? {
        var value: UInt32 = 0
        var parts = 0
        var part: UInt32 = 0
        var digits = 0
        var firstDigit: UInt8 = 0
        for byte in bytes {
            if byte == UInt8(ascii: ".") {
                guard digits > 0, parts < 3 else { return nil }
                value = value << 8 | part
                parts += 1
                (part, digits) = (0, 0)
            } else if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                if digits == 0 { firstDigit = byte }
                guard !(digits > 0 && firstDigit == UInt8(ascii: "0")) else { return nil }
                part = part * 10 + UInt32(byte - UInt8(ascii: "0"))
                digits += 1
                guard part <= 255 else { return nil }
            } else {
                return nil
            }
        }
        guard digits > 0, parts == 3 else { return nil }
        return value << 8 | part
    }

    /// IPv6 text (RFC 4291 section 2.2): up to eight groups of 1–4 hex digits, one `::`, an
    /// optional strict dotted quad in place of the last two groups. Either case of hex digits.
    static func parseIPv6(_ bytes: ArraySlice<UInt8>) -> IPAddress? {
        guard bytes.count >= 2 else { return nil }
        var groups: [UInt16] = []
        groups.reserveCapacity(8)
        var gap: Int? = nil
        var index = bytes.startIndex
        let end = bytes.endIndex
        if bytes[index] == UInt8(ascii: ":") {
            guard bytes[index + 1] == UInt8(ascii: ":") else { return nil }
            gap = 0
            index += 2
            if index == end { return IPAddress(ipv6: 0, 0) }
        }
        while index < end {
            // One group, or a dotted quad at the end.
            var scan = index
            var value: UInt32 = 0
            while scan < end, let digit = hexValue(bytes[scan]), scan - index < 4 {
                value = value << 4 | UInt32(digit)
                scan += 1
            }
            if scan < end && bytes[scan] == UInt8(ascii: ".") {
                guard groups.count <= 6, let quad = parseStrictIPv4(bytes[index..<end]) else { return nil }
                groups.append(UInt16(quad >> 16))
                groups.append(UInt16(quad & 0xffff))
                index = end
                break
            }
            guard scan > index else { return nil }
            groups.append(UInt16(value))
            index = scan
            guard groups.count <= 8 else { return nil }
            if index == end { break }
            guard bytes[index] == UInt8(ascii: ":") else { return nil }
            index += 1
            if index < end && bytes[index] == UInt8(ascii: ":") {
                guard gap == nil else { return nil }
                gap = groups.count
                index += 1
                if index == end { break }
            } else if index == end {
                return nil  // a single trailing colon
            }
        }
        if let gap {
            guard groups.count <= 7 else { return nil }
            groups.insert(contentsOf: repeatElement(0, count: 8 - groups.count), at: gap)
        } else {
            guard groups.count == 8 else { return nil }
        }
        let high = groups[0..<4].reduce(UInt64(0)) { $0 << 16 | UInt64($1) }
        let low = groups[4..<8].reduce(UInt64(0)) { $0 << 16 | UInt64($1) }
        return IPAddress(ipv6: high, low)
    }
}

func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
    default: nil
    }
}

private func hex(_ value: UInt16) -> String { String(value, radix: 16) }
