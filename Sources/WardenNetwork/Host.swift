import WardenJSON

/// A host in its one canonical form: what every policy rule is matched against. Two spellings of
/// the same destination (`EXAMPLE.com.`, `0x7f.1`, `[::ffff:127.0.0.1]`) give the same `Host`.
public enum Host: Hashable, Sendable, CustomStringConvertible {
    /// A lower-case DNS name of ASCII labels (non-ASCII labels as IDNA A-labels), no trailing dot.
    case name(String)
    /// An address; IPv4-mapped and NAT64 IPv6 forms are their IPv4 address.
    case address(IPAddress)

    /// The name, or the address without brackets.
    public var description: String {
        switch self {
        case .name(let name): name
        case .address(let address): address.description
        }
    }

    /// As written in a URL or a `Host` header: an IPv6 address in brackets.
    public var uriText: String {
        if case .address(let address) = self, !address.isIPv4 { return "[\(address)]" }
        return description
    }
}

/// Why a host, an authority, a URL or a policy entry cannot be used: one line naming the input
/// (quoted, control bytes escaped, long input clipped) and what is wrong with it.
public struct HostSyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The offending text, as given.
    public var input: String
    /// What is wrong, e.g. "a label is longer than 63 bytes".
    public var problem: String

    public init(input: some StringProtocol, problem: String) {
        self.input = String(input)
        self.problem = problem
    }

    public var description: String { "\(quotedForMessage(input)): \(problem)" }
}

/// `text` quoted for a one-line message: control bytes escaped, clipped to 200 characters.
func quotedForMessage(_ text: String) -> String {
    guard text.count > 200 else { return JSONValue.quoted(text) }
    return JSONValue.quoted(String(text.prefix(200))) + "…"
}

/// The canonical form of a host as a client wrote it (a URL's host, a `Host` header's host, a
/// CONNECT or SOCKS target, a TLS server name): lower case, one trailing dot dropped, every IPv4
/// literal form browsers and `inet_aton` accept turned into its address, IPv6 in brackets or bare
/// (mapped and NAT64 forms to their IPv4 address), non-ASCII names to IDNA A-labels. Anything a
/// resolver or a server could read differently from this is refused.
public func canonicalHost(_ raw: some StringProtocol) throws(HostSyntaxError) -> Host {
    let input = String(raw)
    func fail(_ problem: String) -> HostSyntaxError { HostSyntaxError(input: input, problem: problem) }
    let utf8 = Array(input.utf8)
    guard !utf8.isEmpty else { throw fail("the host is empty") }
    // Every byte of a canonical name comes from at most four bytes of its UTF-8 form: anything
    // longer cannot fit 253 bytes, and is refused before any work that grows with its length.
    guard utf8.count <= 4 * 253 else { throw fail("the name is longer than 253 bytes") }
    if let byte = utf8.first(where: { $0 == 0 || $0 == 0x0d || $0 == 0x0a }) {
        throw fail("the host contains a \(byte == 0 ? "NUL" : byte == 0x0d ? "CR" : "LF") byte")
    }
    if utf8.first == UInt8(ascii: "[") {
        guard utf8.last == UInt8(ascii: "]"), utf8.count > 2 else { throw fail("an IPv6 address in brackets must end with ']'") }
        return try canonicalIPv6(utf8[1..<(utf8.count - 1)], fail: fail)
    }
    if utf8.contains(UInt8(ascii: ":")) {
        return try canonicalIPv6(utf8[...], fail: fail)
    }
    var ascii: [UInt8]
    if utf8.allSatisfy({ $0 < 0x80 }) {
        ascii = utf8.map { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") ? $0 + 32 : $0 }
    } else {
        ascii = try idnaToASCII(input, fail: fail)
    }
    if ascii.last == UInt8(ascii: ".") {
        ascii.removeLast()
        guard ascii.last != UInt8(ascii: ".") else { throw fail("the host ends with two dots") }
    }
    guard !ascii.isEmpty else { throw fail("the host is only a dot") }
    let labels = ascii.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
    // Browsers (the WHATWG URL standard) and inet_aton read a host whose last label is a number as
    // an IPv4 address, whatever the other labels are: so must the policy, or `0x7f.1` walks past
    // a rule about 127.0.0.1.
    if let last = labels.last, isNumericLabel(last) {
        guard let value = parseIPv4Literal(labels) else {
            throw fail("the host ends in a number but is not an IPv4 address (each part a decimal, 0x hex or 0 octal number; at most four parts; each in range)")
        }
        return .address(IPAddress(ipv4: value))
    }
    if let bad = ascii.first(where: { !isNameByte($0) }) {
        throw fail("the host contains \(describeByte(bad)), which a host name cannot contain (letters, digits, '-', '_' and '.' only)")
    }
    guard ascii.count <= 253 else { throw fail("the name is longer than 253 bytes") }
    for label in labels {
        guard !label.isEmpty else { throw fail("the name has an empty label") }
        guard label.count <= 63 else { throw fail("a label is longer than 63 bytes") }
    }
    return .name(String(decoding: ascii, as: UTF8.self))
}

private func canonicalIPv6(_ bytes: ArraySlice<UInt8>, fail: (String) -> HostSyntaxError) throws(HostSyntaxError) -> Host {
    if bytes.contains(UInt8(ascii: "%")) {
        throw fail("an IPv6 zone id ('%…') is not allowed: it names an interface of this machine")
    }
    guard let address = IPAddress.parseIPv6(bytes) else {
        if bytes.count(where: { $0 == UInt8(ascii: ":") }) == 1 && bytes.first != UInt8(ascii: ":") {
            throw fail("a host has no ':' (a port is written after the host, as host:443, where a port is expected)")
        }
        throw fail("not a valid IPv6 address")
    }
    return .address(address.unmapped)
}

func isNameByte(_ byte: UInt8) -> Bool {
    (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
        || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
}

func describeByte(_ byte: UInt8) -> String {
    switch byte {
    case 0x20: "a space"
    case 0x09: "a tab"
    case 0x00..<0x20, 0x7f: "the control byte 0x" + (byte < 16 ? "0" : "") + String(byte, radix: 16)
    case 0x80...: "a non-ASCII byte"
    default: "'" + String(UnicodeScalar(byte)) + "'"
    }
}

/// A label the WHATWG URL standard's "ends in a number" check treats as a number: decimal
/// digits, or `0x` followed by hex digits (none at all included).
private func isNumericLabel(_ label: ArraySlice<UInt8>) -> Bool {
    guard !label.isEmpty else { return false }
    if label.count >= 2, label[label.startIndex] == UInt8(ascii: "0"), label[label.startIndex + 1] == UInt8(ascii: "x") {
        return label.dropFirst(2).allSatisfy { hexValue($0) != nil }
    }
    return label.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
}

/// The IPv4 parser of the WHATWG URL standard (and inet_aton): one to four parts, each decimal,
/// `0x` hex or `0`-prefixed octal; every part but the last at most 255, the last filling the
/// remaining bytes. Nil when it is no such address.
private func parseIPv4Literal(_ labels: [ArraySlice<UInt8>]) -> UInt32? {
    guard labels.count <= 4 else { return nil }
    var numbers: [UInt64] = []
    for label in labels {
        guard let number = parseIPv4Number(label) else { return nil }
        numbers.append(number)
    }
    for number in numbers.dropLast() where number > 255 { return nil }
    let remainingBits = UInt64(8 * (5 - numbers.count))
    guard numbers.last! < (UInt64(1) << remainingBits) else { return nil }
    var value: UInt64 = numbers.last!
    for (index, number) in numbers.dropLast().enumerated() {
        value += number << UInt64(8 * (3 - index))
    }
    return UInt32(value)
}

private func parseIPv4Number(_ label: ArraySlice<UInt8>) -> UInt64? {
    guard !label.isEmpty else { return nil }
    var digits = label
    var radix: UInt64 = 10
    if digits.count >= 2, digits.first == UInt8(ascii: "0"), digits[digits.startIndex + 1] == UInt8(ascii: "x") {
        digits = digits.dropFirst(2)
        radix = 16
        if digits.isEmpty { return 0 }
    } else if digits.count >= 2, digits.first == UInt8(ascii: "0") {
        digits = digits.dropFirst()
        radix = 8
    }
    var value: UInt64 = 0
    for byte in digits {
        guard let digit = hexValue(byte).map(UInt64.init), digit < radix else { return nil }
        if byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "F") { return nil }  // lower-cased before
        value = value * radix + digit
        // Anything past 2^32 is out of range whatever the part; stop before overflowing.
        if value > UInt64(UInt32.max) { return UInt64(UInt32.max) + 1 }
    }
    return value
}
