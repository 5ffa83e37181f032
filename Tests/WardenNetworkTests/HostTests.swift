import Testing
@testable import WardenNetwork

private func address(_ text: String) -> IPAddress {
    guard let address = IPAddress.parse(text) else { fatalError("test address \(text) does not parse") }
    return address
}

@Suite struct IPAddressTests {
    @Test(arguments: [
        ("127.0.0.1", [127, 0, 0, 1] as [UInt8]),
        ("0.0.0.0", [0, 0, 0, 0]),
        ("255.255.255.255", [255, 255, 255, 255]),
        ("::1", [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
        ("::", [UInt8](repeating: 0, count: 16)),
        ("2001:DB8::FF00:42:8329", [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0xff, 0, 0, 0x42, 0x83, 0x29]),
        ("::ffff:192.0.2.1", [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1]),
        ("1:2:3:4:5:6:7:8", [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8]),
        ("1::", [0, 1] + [UInt8](repeating: 0, count: 14)),
        ("fe80::1:2", [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2]),
    ])
    func strictParsing(text: String, bytes: [UInt8]) {
        let parsed = IPAddress.parse(text)
        #expect(parsed?.bytes == bytes)
        #expect(parsed == IPAddress(bytes: bytes))
    }

    @Test(arguments: [
        "127.1", "0x7f.0.0.1", "0177.0.0.1", "127.0.0.01", "256.0.0.1", "1.2.3.4.5", "1.2.3.", ".1.2.3", "2130706433",
        "", ":", ":::", "1:2:3:4:5:6:7:8:9", "1::2::3", "12345::", "::g", "1:2:3:4:5:6:7", "fe80::1%eth0", "[::1]",
        "::1.2.3", "1:2:3:4:5:6:7:1.2.3.4", "1::2:", ":1::2", " 1.2.3.4", "1.2.3.4 ",
    ])
    func strictParsingRefuses(text: String) {
        #expect(IPAddress.parse(text) == nil)
    }

    @Test(arguments: [
        ("2001:db8:0:0:0:0:2:1", "2001:db8::2:1"),
        ("2001:DB8::1", "2001:db8::1"),
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),  // a single zero group is not compressed
        ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),  // the longest run
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),  // the first of equal runs
        ("0:0:0:0:0:0:0:0", "::"),
        ("::ffff:7f00:1", "::ffff:127.0.0.1"),
        ("fd00:ec2::254", "fd00:ec2::254"),
        ("1:0:0:0:0:0:0:0", "1::"),
    ])
    func rfc5952Text(input: String, expected: String) {
        #expect(address(input).description == expected)
    }

    @Test(arguments: [
        ("8.8.8.8", AddressCategory.publicAddress), ("1.1.1.1", .publicAddress), ("172.32.0.1", .publicAddress),
        ("10.1.2.3", .privateRange), ("172.16.0.1", .privateRange), ("172.31.255.255", .privateRange),
        ("192.168.1.1", .privateRange), ("100.64.0.1", .privateRange), ("100.127.255.255", .privateRange),
        ("100.128.0.1", .publicAddress),
        ("127.0.0.1", .loopback), ("127.255.0.9", .loopback),
        ("169.254.169.254", .linkLocal), ("169.254.0.1", .linkLocal),
        ("0.0.0.0", .unspecified), ("0.1.2.3", .reserved),
        ("224.0.0.1", .multicast), ("239.255.255.250", .multicast),
        ("255.255.255.255", .broadcast), ("240.0.0.1", .reserved),
        ("192.0.2.1", .reserved), ("198.51.100.7", .reserved), ("203.0.113.9", .reserved), ("198.18.0.1", .reserved),
        ("2606:4700::1111", .publicAddress), ("::1", .loopback), ("::", .unspecified),
        ("fe80::1", .linkLocal), ("febf::1", .linkLocal), ("fd00:ec2::254", .linkLocal), ("fd00:ec2::253", .privateRange),
        ("fc00::1", .privateRange), ("fdff::1", .privateRange), ("ff02::1", .multicast),
        ("2001:db8::1", .reserved), ("::ffff:127.0.0.1", .loopback), ("::ffff:8.8.8.8", .publicAddress),
        ("64:ff9b::a9fe:a9fe", .linkLocal), ("64:ff9b::8.8.8.8", .publicAddress), ("64:ff9b:1::1", .reserved),
        ("::127.0.0.1", .reserved), ("100::1", .reserved), ("2002:7f00:1::", .reserved), ("2002:808:808::", .publicAddress),
    ])
    func categories(text: String, category: AddressCategory) {
        #expect(address(text).category == category, "\(text)")
    }

    @Test func unmappedForms() {
        #expect(address("::ffff:127.0.0.1").unmapped == address("127.0.0.1"))
        #expect(address("64:ff9b::7f00:1").unmapped == address("127.0.0.1"))
        #expect(address("::1").unmapped == address("::1"))
        #expect(address("::ffff:0:7f00:1").unmapped.isIPv4 == false)
        #expect(IPAddress(bytes: [1, 2, 3]) == nil)
    }
}

@Suite struct CanonicalHostTests {
    @Test(arguments: [
        // Names.
        ("Example.COM", "example.com"), ("example.com.", "example.com"), ("a_b.example", "a_b.example"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"), ("XN--BCHER-KVA.Example", "xn--bcher-kva.example"),
        ("localhost", "localhost"), ("a-.b", "a-.b"), ("0x1g", "0x1g"), ("1e3", "1e3"), ("123.example", "123.example"),
        // IPv4 literal forms.
        ("127.0.0.1", "127.0.0.1"), ("2130706433", "127.0.0.1"), ("0x7f000001", "127.0.0.1"), ("0X7F000001", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"), ("0177.0.0.1", "127.0.0.1"), ("127.1", "127.0.0.1"), ("127.0.1", "127.0.0.1"),
        ("0x7f.0.0x0.01", "127.0.0.1"), ("0177.0x0.1", "127.0.0.1"), ("127.0.0.1.", "127.0.0.1"),
        ("017700000001", "127.0.0.1"), ("0x7F.0X0.0.1", "127.0.0.1"), ("0", "0.0.0.0"), ("0x", "0.0.0.0"),
        ("169.254.43518", "169.254.169.254"), ("0xa9fea9fe", "169.254.169.254"), ("4294967295", "255.255.255.255"),
        ("000000000000000000177.0.0.1", "127.0.0.1"), ("0127.0.0.1", "87.0.0.1"),
        // IPv6.
        ("[::1]", "::1"), ("::1", "::1"), ("[0:0:0:0:0:0:0:1]", "::1"), ("[2001:DB8::1]", "2001:db8::1"),
        ("[::ffff:127.0.0.1]", "127.0.0.1"), ("[::ffff:7f00:1]", "127.0.0.1"), ("::FFFF:7F00:1", "127.0.0.1"),
        ("[64:ff9b::127.0.0.1]", "127.0.0.1"), ("[64:ff9b::a9fe:a9fe]", "169.254.169.254"),
        ("[fd00:ec2::254]", "fd00:ec2::254"),
        // IDNA.
        ("bücher.example", "xn--bcher-kva.example"), ("BÜCHER.example", "xn--bcher-kva.example"),
        ("münchen.de", "xn--mnchen-3ya.de"), ("пример.испытание", "xn--e1afmkfd.xn--80akhbyknj4f"),
        ("例え.テスト", "xn--r8jz45g.xn--zckzah"), ("ΕΛΛΗΝΙΚΆ.gr", "xn--hxargifdar.gr"),
        ("bücher。example", "xn--bcher-kva.example"), ("ｅｘａｍｐｌｅ.com", "example.com"),
        // Full-width digits and dots are what browsers (UTS #46) read: an IPv4 address.
        ("１２７．０．０．１", "127.0.0.1"), ("０ｘ７ｆ.1", "127.0.0.1"), ("bücher.example.", "xn--bcher-kva.example"),
        ("ＥＸＡＭＰＬＥ．ＣＯＭ", "example.com"),
    ])
    func canonicalises(raw: String, expected: String) throws {
        #expect(try canonicalHost(raw).description == expected, "\(raw)")
    }

    @Test func hostKinds() throws {
        #expect(try canonicalHost("127.1") == .address(address("127.0.0.1")))
        #expect(try canonicalHost("[::1]") == .address(address("::1")))
        #expect(try canonicalHost("[::1]").uriText == "[::1]")
        #expect(try canonicalHost("Example.org") == .name("example.org"))
        #expect(try canonicalHost("[::ffff:1.2.3.4]").uriText == "1.2.3.4")
    }

    @Test(arguments: [
        ("", "the host is empty"),
        ("example..com", "the name has an empty label"),
        (".example.com", "the name has an empty label"),
        ("example.com..", "the host ends with two dots"),
        (".", "the host is only a dot"),
        ("exa mple.com", "the host contains a space, which a host name cannot contain (letters, digits, '-', '_' and '.' only)"),
        ("evil.com/x", "the host contains '/', which a host name cannot contain (letters, digits, '-', '_' and '.' only)"),
        ("evil.com\\x", "the host contains '\\', which a host name cannot contain (letters, digits, '-', '_' and '.' only)"),
        ("a@b.com", "the host contains '@', which a host name cannot contain (letters, digits, '-', '_' and '.' only)"),
        ("evil%2ecom", "the host contains '%', which a host name cannot contain (letters, digits, '-', '_' and '.' only)"),
        ("*.example.com", "the host contains '*', which a host name cannot contain (letters, digits, '-', '_' and '.' only)"),
        ("evil\u{1}.com", "the host contains the control byte 0x01, which a host name cannot contain (letters, digits, '-', '_' and '.' only)"),
        ("evil.com\u{0}.good.com", "the host contains a NUL byte"),
        ("evil.com\r\nX: y", "the host contains a CR byte"),
        ("evil.com\n", "the host contains a LF byte"),
        ("256.0.0.1", "the host ends in a number but is not an IPv4 address (each part a decimal, 0x hex or 0 octal number; at most four parts; each in range)"),
        ("1.2.3.4.5", "the host ends in a number but is not an IPv4 address (each part a decimal, 0x hex or 0 octal number; at most four parts; each in range)"),
        ("127.0.0.0x100", "the host ends in a number but is not an IPv4 address (each part a decimal, 0x hex or 0 octal number; at most four parts; each in range)"),
        ("127.16777216", "the host ends in a number but is not an IPv4 address (each part a decimal, 0x hex or 0 octal number; at most four parts; each in range)"),
        ("4294967296", "the host ends in a number but is not an IPv4 address (each part a decimal, 0x hex or 0 octal number; at most four parts; each in range)"),
        ("08.0.0.1", "the host ends in a number but is not an IPv4 address (each part a decimal, 0x hex or 0 octal number; at most four parts; each in range)"),
        ("example.123", "the host ends in a number but is not an IPv4 address (each part a decimal, 0x hex or 0 octal number; at most four parts; each in range)"),
        ("0x1g.1", "the host ends in a number but is not an IPv4 address (each part a decimal, 0x hex or 0 octal number; at most four parts; each in range)"),
        ("[fe80::1%eth0]", "an IPv6 zone id ('%…') is not allowed: it names an interface of this machine"),
        ("fe80::1%25eth0", "an IPv6 zone id ('%…') is not allowed: it names an interface of this machine"),
        ("[::1", "an IPv6 address in brackets must end with ']'"),
        ("[]", "an IPv6 address in brackets must end with ']'"),
        ("[1:2:3]", "not a valid IPv6 address"),
        ("[127.0.0.1]", "not a valid IPv6 address"),
        ("example.com:443", "a host has no ':' (a port is written after the host, as host:443, where a port is expected)"),
        ("[example.com:443]", "a host has no ':' (a port is written after the host, as host:443, where a port is expected)"),
        ("1:2:3", "not a valid IPv6 address"),
        ("exa\u{200B}mple.com", "the name contains U+200B, which cannot be in a host name"),
        ("bü cher.example", "the host contains a space, which a host name cannot contain (letters, digits, '-', '_' and '.' only)"),
    ])
    func refuses(raw: String, problem: String) {
        #expect(throws: HostSyntaxError(input: raw, problem: problem)) { try canonicalHost(raw) }
    }

    @Test func lengthLimits() throws {
        let label63 = String(repeating: "a", count: 63)
        #expect(try canonicalHost(label63 + ".com").description == label63 + ".com")
        #expect(throws: HostSyntaxError(input: label63 + "a.com", problem: "a label is longer than 63 bytes")) {
            try canonicalHost(label63 + "a.com")
        }
        // 4 × 63 + 3 dots = 255 > 253; 253 is fine, and a trailing dot does not count.
        let name253 = [label63, label63, label63, String(repeating: "b", count: 61)].joined(separator: ".")
        #expect(name253.utf8.count == 253)
        #expect(try canonicalHost(name253 + ".").description == name253)
        #expect(throws: HostSyntaxError(input: name253 + "b", problem: "the name is longer than 253 bytes")) {
            try canonicalHost(name253 + "b")
        }
        let longUnicode = String(repeating: "ü", count: 60) + ".example"
        #expect(throws: HostSyntaxError(input: longUnicode, problem: "a label is longer than 63 bytes once encoded as an IDNA A-label")) {
            try canonicalHost(longUnicode)
        }
    }

    @Test func errorMessagesQuoteSafely() {
        let error = HostSyntaxError(input: "evil\r\n.com", problem: "the host contains a CR byte")
        #expect(error.description == #""evil\r\n.com": the host contains a CR byte"#)
        let long = HostSyntaxError(input: String(repeating: "x", count: 500), problem: "p")
        #expect(long.description.count < 220 && long.description.hasSuffix("…: p"))
    }

    /// Random IPv4 addresses, each written in a random mix of the literal forms browsers accept,
    /// come back as the same address.
    @Test func randomLiteralFormsAgree() throws {
        var generator = SplitMix64(seed: 0x5eed_1234)
        for _ in 0..<2000 {
            let value = UInt32.random(in: 0...UInt32.max, using: &generator)
            let bytes = [value >> 24, value >> 16 & 0xff, value >> 8 & 0xff, value & 0xff]
            let partCount = Int.random(in: 1...4, using: &generator)
            // The leading parts are single bytes; the last one holds the rest.
            var parts: [UInt64] = bytes.prefix(partCount - 1).map { UInt64($0) }
            parts.append(bytes.dropFirst(partCount - 1).reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
            let written = parts.map { part -> String in
                switch Int.random(in: 0..<4, using: &generator) {
                case 0: String(part)
                case 1: "0x" + String(part, radix: 16, uppercase: Bool.random(using: &generator))
                case 2: "0" + String(part, radix: 8)
                default: String(repeating: "0", count: Int.random(in: 1...3, using: &generator)) + String(part, radix: 8)
                }
            }.joined(separator: ".") + (Bool.random(using: &generator) ? "." : "")
            #expect(try canonicalHost(written) == .address(IPAddress(ipv4: value)), "\(written)")
        }
    }
}

/// A small deterministic generator, so that a failure can be replayed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

@Suite struct PunycodeTests {
    @Test func overflowIsRefused() {
        // RFC 3492 section 6.4: delta past the integer range is a failure, never a wrap.
        let scalars = Array(repeating: Unicode.Scalar("a"), count: 20_000) + [Unicode.Scalar(0x2F800)!]
        #expect(punycodeEncode(scalars) == nil)
        #expect(punycodeEncode([Unicode.Scalar(0x2F800)!, "a"]) != nil)
        let huge = String(repeating: "a", count: 1013)
        #expect(throws: HostSyntaxError(input: huge, problem: "the name is longer than 253 bytes")) { try canonicalHost(huge) }
    }

    /// RFC 3492 section 7.1, the sample strings (A–S), as code points and their encodings.
    @Test(arguments: [
        ([0x0644, 0x064A, 0x0647, 0x0645, 0x0627, 0x0628, 0x062A, 0x0643, 0x0644, 0x0645, 0x0648, 0x0634, 0x0639, 0x0631, 0x0628, 0x064A, 0x061F],
         "egbpdaj6bu4bxfgehfvwxn"),
        ([0x4ED6, 0x4EEC, 0x4E3A, 0x4EC0, 0x4E48, 0x4E0D, 0x8BF4, 0x4E2D, 0x6587], "ihqwcrb4cv8a8dqg056pqjye"),
        ([0x4ED6, 0x5011, 0x7232, 0x4EC0, 0x9EBD, 0x4E0D, 0x8AAA, 0x4E2D, 0x6587], "ihqwctvzc91f659drss3x8bo0yb"),
        ([0x0050, 0x0072, 0x006F, 0x010D, 0x0070, 0x0072, 0x006F, 0x0073, 0x0074, 0x011B, 0x006E, 0x0065, 0x006D, 0x006C, 0x0075,
          0x0076, 0x00ED, 0x010D, 0x0065, 0x0073, 0x006B, 0x0079], "Proprostnemluvesky-uyb24dma41a"),
        ([0x05DC, 0x05DE, 0x05D4, 0x05D4, 0x05DD, 0x05E4, 0x05E9, 0x05D5, 0x05D8, 0x05DC, 0x05D0, 0x05DE, 0x05D3, 0x05D1, 0x05E8,
          0x05D9, 0x05DD, 0x05E2, 0x05D1, 0x05E8, 0x05D9, 0x05EA], "4dbcagdahymbxekheh6e0a7fei0b"),
        ([0x092F, 0x0939, 0x0932, 0x094B, 0x0917, 0x0939, 0x093F, 0x0928, 0x094D, 0x0926, 0x0940, 0x0915, 0x094D, 0x092F, 0x094B,
          0x0902, 0x0928, 0x0939, 0x0940, 0x0902, 0x092C, 0x094B, 0x0932, 0x0938, 0x0915, 0x0924, 0x0947, 0x0939, 0x0948, 0x0902],
         "i1baa7eci9glrd9b2ae1bj0hfcgg6iyaf8o0a1dig0cd"),
        ([0x306A, 0x305C, 0x307F, 0x3093, 0x306A, 0x65E5, 0x672C, 0x8A9E, 0x3092, 0x8A71, 0x3057, 0x3066, 0x304F, 0x308C, 0x306A,
          0x3044, 0x306E, 0x304B], "n8jok5ay5dzabd5bym9f0cm5685rrjetr6pdxa"),
        ([0xC138, 0xACC4, 0xC758, 0xBAA8, 0xB4E0, 0xC0AC, 0xB78C, 0xB4E4, 0xC774, 0xD55C, 0xAD6D, 0xC5B4, 0xB97C, 0xC774, 0xD574,
          0xD55C, 0xB2E4, 0xBA74, 0xC5BC, 0xB9C8, 0xB098, 0xC88B, 0xC744, 0xAE4C],
         "989aomsvi5e83db1d2a355cv1e0vak1dwrv93d5xbh15a0dt30a5jpsd879ccm6fea98c"),
        ([0x043F, 0x043E, 0x0447, 0x0435, 0x043C, 0x0443, 0x0436, 0x0435, 0x043E, 0x043D, 0x0438, 0x043D, 0x0435, 0x0433, 0x043E,
          0x0432, 0x043E, 0x0440, 0x044F, 0x0442, 0x043F, 0x043E, 0x0440, 0x0443, 0x0441, 0x0441, 0x043A, 0x0438],
         "b1abfaaepdrnnbgefbadotcwatmq2g4l"),
        ([0x0050, 0x006F, 0x0072, 0x0071, 0x0075, 0x00E9, 0x006E, 0x006F, 0x0070, 0x0075, 0x0065, 0x0064, 0x0065, 0x006E, 0x0073,
          0x0069, 0x006D, 0x0070, 0x006C, 0x0065, 0x006D, 0x0065, 0x006E, 0x0074, 0x0065, 0x0068, 0x0061, 0x0062, 0x006C, 0x0061,
          0x0072, 0x0065, 0x006E, 0x0045, 0x0073, 0x0070, 0x0061, 0x00F1, 0x006F, 0x006C],
         "PorqunopuedensimplementehablarenEspaol-fmd56a"),
        ([0x0054, 0x1EA1, 0x0069, 0x0073, 0x0061, 0x006F, 0x0068, 0x1ECD, 0x006B, 0x0068, 0x00F4, 0x006E, 0x0067, 0x0074, 0x0068,
          0x1EC3, 0x0063, 0x0068, 0x1EC9, 0x006E, 0x00F3, 0x0069, 0x0074, 0x0069, 0x1EBF, 0x006E, 0x0067, 0x0056, 0x0069, 0x1EC7,
          0x0074], "TisaohkhngthchnitingVit-kjcr8268qyxafd2f1b9g"),
        ([0x0033, 0x5E74, 0x0042, 0x7D44, 0x91D1, 0x516B, 0x5148, 0x751F], "3B-ww4c5e180e575a65lsy2b"),
        ([0x5B89, 0x5BA4, 0x5948, 0x7F8E, 0x6075, 0x002D, 0x0077, 0x0069, 0x0074, 0x0068, 0x002D, 0x0053, 0x0055, 0x0050, 0x0045,
          0x0052, 0x002D, 0x004D, 0x004F, 0x004E, 0x004B, 0x0045, 0x0059, 0x0053], "-with-SUPER-MONKEYS-pc58ag80a8qai00g7n9n"),
        ([0x0048, 0x0065, 0x006C, 0x006C, 0x006F, 0x002D, 0x0041, 0x006E, 0x006F, 0x0074, 0x0068, 0x0065, 0x0072, 0x002D, 0x0057,
          0x0061, 0x0079, 0x002D, 0x305D, 0x308C, 0x305E, 0x308C, 0x306E, 0x5834, 0x6240], "Hello-Another-Way--fc4qua05auwb3674vfr0b"),
        ([0x3072, 0x3068, 0x3064, 0x5C4B, 0x6839, 0x306E, 0x4E0B, 0x0032], "2-u9tlzr9756bt3uc0v"),
        ([0x004D, 0x0061, 0x006A, 0x0069, 0x3067, 0x004B, 0x006F, 0x0069, 0x3059, 0x308B, 0x0035, 0x79D2, 0x524D], "MajiKoi5-783gue6qz075azm5e"),
        ([0x30D1, 0x30D5, 0x30A3, 0x30FC, 0x0064, 0x0065, 0x30EB, 0x30F3, 0x30D0], "de-jg4avhby1noc0d"),
        ([0x305D, 0x306E, 0x30B9, 0x30D4, 0x30FC, 0x30C9, 0x3067], "d9juau41awczczp"),
        ([0x002D, 0x003E, 0x0020, 0x0024, 0x0031, 0x002E, 0x0030, 0x0030, 0x0020, 0x003C, 0x002D], "-> $1.00 <--"),
    ] as [([UInt32], String)])
    func rfc3492Samples(codePoints: [UInt32], encoded: String) {
        let scalars = codePoints.map { Unicode.Scalar($0)! }
        #expect(punycodeEncode(scalars).map { String(decoding: $0, as: UTF8.self) } == encoded)
    }
}
