import Testing
@testable import WardenDetect

/// The personal-data scanner: every kind, the formats it accepts, and the look-alikes it must leave
/// alone. Fixtures are written for these tests: card numbers from the issuers' public test ranges,
/// IBANs and Bitcoin addresses whose check digits were computed for them.
struct PIIScannerTests {
    /// What the scanner finds in `text`, as (kind, matched text) pairs.
    static func scan(_ text: String, kinds: Set<DetectionKind> = Set(PIIScanner.kinds)) -> [(kind: String, value: String)] {
        let scanner = PIIScanner(enabled: kinds)
        var findings: [Finding] = []
        var text = text
        text.makeContiguousUTF8()
        text.utf8.withContiguousStorageIfAvailable { scanner.scan($0, into: &findings) }
        let bytes = Array(text.utf8)
        return findings.map { ($0.kind.name, String(decoding: bytes[$0.range], as: UTF8.self)) }
    }

    static func findings(_ text: String) -> [Finding] {
        let scanner = PIIScanner(enabled: Set(PIIScanner.kinds))
        var findings: [Finding] = []
        var text = text
        text.makeContiguousUTF8()
        text.utf8.withContiguousStorageIfAvailable { scanner.scan($0, into: &findings) }
        return findings
    }

    // MARK: Found

    /// (kind, text, the one value expected in it)
    static let positives: [(String, String, String)] = [
        // E-mail
        ("EMAIL", "Contact jane.doe@example.com for access.", "jane.doe@example.com"),
        ("EMAIL", "From: \"Ola Nordmann\" <ola.nordmann+billing@mail.example.co.uk>", "ola.nordmann+billing@mail.example.co.uk"),
        ("EMAIL", "author = j_smith-42@dev.example.org;", "j_smith-42@dev.example.org"),
        ("EMAIL", "mailto:support@example.io", "support@example.io"),
        ("EMAIL", "owner: 'o'brien@example.ie'", "o'brien@example.ie'".replacingLast()),
        ("EMAIL", "IDN: user@xn--mller-kva.de.", "user@xn--mller-kva.de"),
        ("EMAIL", "Signed-off-by: A U Thor <a.u.thor@kernel.example.org>", "a.u.thor@kernel.example.org"),
        ("EMAIL", "écrire à josé@example.fr", "josé@example.fr"),
        ("EMAIL", "Kontakt: “müller@bücher.example.de”", "müller@bücher.example.de"),
        ("EMAIL", "That is jane@example.com’s inbox", "jane@example.com"),
        ("EMAIL", "メール：taro@example.jp。", "taro@example.jp"),
        // Phone
        ("PHONE_NUMBER", "Call +44 20 7946 0958 today", "+44 20 7946 0958"),
        ("PHONE_NUMBER", "US office: +1-415-555-2671.", "+1-415-555-2671"),
        ("PHONE_NUMBER", "Paris +33 1 23 45 67 89", "+33 1 23 45 67 89"),
        ("PHONE_NUMBER", "London (old style) +44 (0)20 7946 0958", "+44 (0)20 7946 0958"),
        ("PHONE_NUMBER", "dial 0044 20 7946 0958 from Europe", "0044 20 7946 0958"),
        ("PHONE_NUMBER", "sms to +14155552671 now", "+14155552671"),
        ("PHONE_NUMBER", "Berlin: +49 30 901820", "+49 30 901820"),
        ("PHONE_NUMBER", "call (415) 555-2671 or", "(415) 555-2671"),
        ("PHONE_NUMBER", "call (415)555-2671", "(415)555-2671"),
        ("PHONE_NUMBER", "desk 415-555-2671,", "415-555-2671"),
        ("PHONE_NUMBER", "desk 415.555.2671", "415.555.2671"),
        ("PHONE_NUMBER", "toll free 1-800-555-0199", "1-800-555-0199"),
        ("PHONE_NUMBER", "Tel: 020 7946 0958", "020 7946 0958"),
        ("PHONE_NUMBER", "mobile: 090-1234-5678", "090-1234-5678"),
        ("PHONE_NUMBER", "Fax 06221 54 3000", "06221 54 3000"),
        ("PHONE_NUMBER", "phone number: (030) 901820", "(030) 901820"),
        // Cards
        ("CREDIT_CARD", "visa 4242424242424242 exp 12/29", "4242424242424242"),
        ("CREDIT_CARD", "card: 4242 4242 4242 4242", "4242 4242 4242 4242"),
        ("CREDIT_CARD", "card: 4242-4242-4242-4242.", "4242-4242-4242-4242"),
        ("CREDIT_CARD", "visa13 4222222222222", "4222222222222"),
        ("CREDIT_CARD", "mc 5105105105105100", "5105105105105100"),
        ("CREDIT_CARD", "mc 2-series 2223003122003222", "2223003122003222"),
        ("CREDIT_CARD", "amex 3782 822463 10005", "3782 822463 10005"),
        ("CREDIT_CARD", "amex 378282246310005", "378282246310005"),
        ("CREDIT_CARD", "discover 6011111111111117", "6011111111111117"),
        ("CREDIT_CARD", "diners 36227206271667", "36227206271667"),
        ("CREDIT_CARD", "jcb 3566002020360505", "3566002020360505"),
        ("CREDIT_CARD", "unionpay 6200000000000005", "6200000000000005"),
        ("CREDIT_CARD", "maestro 6759000000000000", "6759000000000000"),
        ("CREDIT_CARD", "unionpay19 6221260000000000001", "6221260000000000001"),
        ("CREDIT_CARD", "4242 4242 4242 4242 12/29 123", "4242 4242 4242 4242"),
        // SSN
        ("US_SSN", "SSN 536-22-1234 on file", "536-22-1234"),
        ("US_SSN", "sample 123-45-6789", "123-45-6789"),
        ("US_SSN", "ssn: 536 22 1234", "536 22 1234"),
        ("US_SSN", "SSN: 536221234", "536221234"),
        ("US_SSN", "Social Security number 536221234", "536221234"),
        // IBAN
        ("IBAN", "IBAN DE44500105175407324931 please", "DE44500105175407324931"),
        ("IBAN", "pay to DE44 5001 0517 5407 3249 31.", "DE44 5001 0517 5407 3249 31"),
        ("IBAN", "GB60BARC20000055779911", "GB60BARC20000055779911"),
        ("IBAN", "FR76 3000 6000 0112 3456 7890 189 (Paris)", "FR76 3000 6000 0112 3456 7890 189"),
        ("IBAN", "NL44RABO0123456789", "NL44RABO0123456789"),
        ("IBAN", "CH93 0483 5123 4567 8900 C", "CH93 0483 5123 4567 8900 C"),
        ("IBAN", "NO5015032080119", "NO5015032080119"),
        ("IBAN", "MT10VALL2201300000004001234567A", "MT10VALL2201300000004001234567A"),
        ("IBAN", "SC74 MCBL 0103 1234 5678 9012 3456 USD", "SC74 MCBL 0103 1234 5678 9012 3456 USD"),
        ("IBAN", "ES60-0049-1500-0512-3456-7892", "ES60-0049-1500-0512-3456-7892"),
        ("IBAN", "BE23001123456789", "BE23001123456789"),
        // IP
        ("IP_ADDRESS", "connect to 172.31.4.17:5432", "172.31.4.17"),
        ("IP_ADDRESS", "ssh admin@192.168.10.20", "192.168.10.20"),
        ("IP_ADDRESS", "client=203.0.113.45, status=200", "203.0.113.45"),
        ("IP_ADDRESS", "route 10.20.0.0/16 via gw", "10.20.0.0/16"),
        ("IP_ADDRESS", "host is 10.0.12.7.", "10.0.12.7"),
        ("IP_ADDRESS", "inet6 2001:0db8:0000:0000:0000:ff00:0042:8329 scope global", "2001:0db8:0000:0000:0000:ff00:0042:8329"),
        ("IP_ADDRESS", "inet6 fe80::1ff:fe23:4567:890a%eth0 scope link", "fe80::1ff:fe23:4567:890a%eth0"),
        ("IP_ADDRESS", "peer [2001:db8:aa::7]:443", "2001:db8:aa::7"),
        ("IP_ADDRESS", "mapped ::ffff:203.0.113.9", "::ffff:203.0.113.9"),
        ("IP_ADDRESS", "prefix 2001:db8:1234::/48", "2001:db8:1234::/48"),
        ("IP_ADDRESS", "ula fd12:3456:789a:1::1", "fd12:3456:789a:1::1"),
        ("IP_ADDRESS", "from=198.51.100.23;", "198.51.100.23"),
        ("IP_ADDRESS", "host:10.1.2.3 up", "10.1.2.3"),
        // Bitcoin
        ("BITCOIN_ADDRESS", "genesis 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"),
        ("BITCOIN_ADDRESS", "send to 12gvtFxnvTDDhRVxUCcJ2PtS23DzvrQXdi", "12gvtFxnvTDDhRVxUCcJ2PtS23DzvrQXdi"),
        ("BITCOIN_ADDRESS", "p2sh 3MA3xH1276L8R2RrYRVyTDoHW2uABZUgkj.", "3MA3xH1276L8R2RrYRVyTDoHW2uABZUgkj"),
        ("BITCOIN_ADDRESS", "segwit bc1qvrz4jrmjamef9725tt7z30mre2gayqt2mudttq", "bc1qvrz4jrmjamef9725tt7z30mre2gayqt2mudttq"),
        ("BITCOIN_ADDRESS", "p2wsh bc1qqmu0463mta5hdydk6p36q7ayl7h3an56r4rncky9v533ehywt8xqxal7ge", "bc1qqmu0463mta5hdydk6p36q7ayl7h3an56r4rncky9v533ehywt8xqxal7ge"),
        ("BITCOIN_ADDRESS", "taproot bc1p2h4w2zm4u2efjrevrzlgfjs8jun6shmphquuxdvjfxqplcdtn6wqzyf8kd", "bc1p2h4w2zm4u2efjrevrzlgfjs8jun6shmphquuxdvjfxqplcdtn6wqzyf8kd"),
        ("BITCOIN_ADDRESS", "upper BC1QVRZ4JRMJAMEF9725TT7Z30MRE2GAYQT2MUDTTQ", "BC1QVRZ4JRMJAMEF9725TT7Z30MRE2GAYQT2MUDTTQ"),
    ]

    @Test(arguments: positives)
    func finds(kind: String, text: String, value: String) {
        let found = Self.scan(text)
        #expect(found.count == 1, "\(found)")
        #expect(found.first?.kind == kind, "\(found)")
        #expect(found.first?.value == value, "\(found)")
    }

    // MARK: Left alone

    /// (the kind that must not be found, or "*" for none at all, text)
    static let negatives: [(String, String)] = [
        // Cards: Luhn-invalid, unknown prefix, inside longer runs, ids and hashes
        ("*", "order 4242424242424241 shipped"),
        ("*", "card 4242 4242 4242 4241"),
        ("*", "id 9242424242424242"),
        ("*", "trace 14242424242424242"),
        ("*", "token x4242424242424242"),
        ("*", "build 1.4242424242424242"),
        ("*", "commit 9fceb02d0ae598e95dc970b74767f19372d61af8"),
        ("*", "sha256 3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b"),
        ("*", "uuid 123e4567-e89b-12d3-a456-426614174000"),
        ("*", "uuid 550e8400-e29b-41d4-a716-446655440000"),
        // Versions, dates, times, numbers
        ("*", "upgraded to 1.2.3.4 yesterday"),
        ("*", "tag v10.0.0.1"),
        ("*", "Version 10.0.0.1"),
        ("*", "release 2.14.0-rc.1+build.5"),
        ("*", "pkg 1.2.3.4-beta"),
        ("*", "libfoo-10.2.3.4.tar.gz"),
        ("*", "oid 1.3.6.1.4.1.311.21.7"),
        ("*", "version 4.19.128.1"),
        ("*", "date 2024-01-15, time 12:30:45"),
        ("*", "at 2024-01-15T12:30:45+01:00"),
        ("*", "ts 1700000000 and 1700000000123"),
        ("*", "listening on port 8080, localhost:8080"),
        ("*", "colour #ff00aa and #123456"),
        ("*", "size 1048576 bytes (4.2 GB)"),
        ("*", "order #12345678 and invoice 2024-000123"),
        ("*", "seasons 2019-2020 and 1999-2000"),
        ("*", "took 1:23:45.678"),
        ("*", "ratio 16:9 and 1:2:3:4"),
        ("*", "MAC 00:1a:2b:3c:4d:5e"),
        ("*", "user id 48213377 group 1000"),
        // IBAN-shaped with a wrong check or length
        ("*", "DE45500105175407324931"),
        ("*", "DE44 5001 0517 5407 3249 32"),
        ("*", "DE44500105175407324931X"),
        ("*", "XX44500105175407324931"),
        // SSN: invalid area, group, serial; bare without keyword; mixed separators
        ("*", "000-12-3456"),
        ("*", "666-12-3456"),
        ("*", "912-34-5678"),
        ("*", "123-00-4567"),
        ("*", "123-45-0000"),
        ("*", "number 536221234"),
        ("*", "SSN: 666221234"),
        ("*", "536-22.1234"),
        // IP: invalid, bracketed short forms (slices look the same), code
        ("*", "256.1.1.1 and 192.168.1.256 and 192.168.1"),
        ("*", "010.1.1.1"),
        ("*", "listen [::]:80 and [::1]:8080"),
        ("*", "reversed = a[::1] + b[::2] + c[::]"),
        ("*", "length :: Int -> Int"),
        ("*", "std::cout << x; std::vector<int>; Foo::bar(); de::Error"),
        ("*", "a::b c::d"),
        ("*", "1:2:3:4:5:6:7"),
        ("*", "2001:db8::1::2"),
        ("*", "12345:db8::1"),
        ("*", "text192.168.3.4"),
        ("*", "Depends: libx11-6 (>= 2:1.4.99.1), alsa-utils (<< 1.0.24.2-5)"),
        ("*", "libgiac0 (<< 1.2.3.57+dfsg1-2), ebtables 2.0.10.4~rc1"),
        ("*", "see IEEE 802.11-2016 9.4.2.251 and 8.4.26.1"),
        ("*", "// 20.11.5.1 construction / copy / destroy; ECMA-262 15.5.4.11"),
        ("*", "zip(attrs[0::2], attrs[1::2])"),
        ("*", "192.168.3.4text"),
        // E-mail look-alikes
        ("*", "git clone git@github.com:org/repo.git"),
        ("*", "ssh -T git@gitlab.example.com"),
        ("*", "user@localhost"),
        ("*", "icon@2x.png and logo@3x.jpg"),
        ("*", "npm i @scope/pkg@1.2.3 @types/node@20.1.0"),
        ("*", "docker pull ubuntu@sha256:abcdef0123456789"),
        ("*", "@decorator.name and @Override"),
        ("*", "my email is info@example."),
        ("EMAIL", "https://deploy:hunter2@registry.example.com/v2"),
        // Phone look-alikes
        ("*", "C++ 20 and 1+1"),
        ("*", "+1 123 456 7890"),
        ("*", "tz +0100 offset +05:30"),
        ("*", "phone 2019-2020 season"),
        ("*", "cell A1 and cell B2"),
        ("*", "max cell rate: 1412830.188 cells/sec"),
        ("*", "Decimal('+35236450.6')"),
        ("*", "+12345678901234567890"),
        // Bitcoin with a broken checksum
        ("*", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb"),
        ("*", "bc1qvrz4jrmjamef9725tt7z30mre2gayqt2mudttp"),
        ("*", "bc1qVRZ4jrmjamef9725tt7z30mre2gayqt2mudttq"),
    ]

    @Test(arguments: negatives)
    func leavesAlone(kind: String, text: String) {
        let found = Self.scan(text).filter { kind == "*" || $0.kind == kind }
        #expect(found.isEmpty, "\(found)")
    }

    // MARK: Several findings, offsets, kinds

    @Test func severalKindsInOneText() {
        let text = """
        2024-01-15 12:30:45 INFO user=jane.doe@example.com ip=203.0.113.45 card=4242424242424242
        ssn=536-22-1234 iban=GB60BARC20000055779911 btc=1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa tel +44 20 7946 0958
        """
        let found = Self.scan(text)
        #expect(found.map(\.kind) == ["EMAIL", "IP_ADDRESS", "CREDIT_CARD", "US_SSN", "IBAN", "BITCOIN_ADDRESS", "PHONE_NUMBER"])
    }

    @Test func rangesAreUTF8ByteOffsets() {
        let text = "Grüße — café: jane@example.com"
        let finding = Self.findings(text).first
        let start = Array(text.utf8).count - "jane@example.com".utf8.count
        #expect(finding?.range == start..<(start + 16))
        #expect(finding?.confidence == .medium)
    }

    @Test func findingsNeverOverlapAndAreOrdered() {
        let text = "4242424242424242@example.com 415-555-2671 +1 415 555 2671 10.1.2.3 fe80::1 a@b.example.org"
        let found = Self.findings(text)
        #expect(found.count == 6, "\(found)")
        #expect(found.first?.kind.name == "EMAIL")
        for (a, b) in zip(found, found.dropFirst()) { #expect(a.range.upperBound <= b.range.lowerBound) }
    }

    @Test func addressRangesAreTwoAddresses() {
        let found = Self.scan("allow 10.0.0.1-10.0.0.9")
        #expect(found.map(\.kind) == ["IP_ADDRESS", "IP_ADDRESS"])
        #expect(found.map(\.value) == ["10.0.0.1", "10.0.0.9"])
    }

    @Test func aHostmaskIsNoPrefixLength() {
        #expect(Self.scan("acl 198.51.100.0/0.0.0.255").map(\.value) == ["198.51.100.0"])
    }

    @Test func emailSwallowsWhatItsLocalPartLookedLike() {
        #expect(Self.scan("415-555-2671@txt.example.net").map(\.kind) == ["EMAIL"])
    }

    @Test func onlyEnabledKindsAreReported() {
        let text = "jane@example.com 4242424242424242 203.0.113.45"
        #expect(Self.scan(text, kinds: [PIIKinds.creditCard]).map(\.kind) == ["CREDIT_CARD"])
        #expect(Self.scan(text, kinds: [PIIKinds.email, PIIKinds.ipAddress]).map(\.kind) == ["EMAIL", "IP_ADDRESS"])
        #expect(Self.scan(text, kinds: []).isEmpty)
    }

    @Test func confidenceFollowsTheEvidence() {
        func confidence(_ text: String) -> Confidence? { Self.findings(text).first?.confidence }
        #expect(confidence("4242424242424242") == .high)
        #expect(confidence("GB60BARC20000055779911") == .high)
        #expect(confidence("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa") == .high)
        #expect(confidence("536-22-1234") == .medium)
        #expect(confidence("+44 20 7946 0958") == .medium)
        #expect(confidence("203.0.113.45") == .medium)
        #expect(confidence("SSN 536221234") == .low)
        #expect(confidence("tel 020 7946 0958") == .low)
    }

    /// Loopback, unspecified, broadcast and multicast addresses are IP addresses too, reported with
    /// low confidence: they identify no host (the default policy keeps the everyday ones).
    @Test(arguments: [
        ("localhost 127.0.0.1", "127.0.0.1"), ("listening on 0.0.0.0:80", "0.0.0.0"),
        ("broadcast 255.255.255.255", "255.255.255.255"), ("mcast 239.1.2.3", "239.1.2.3"),
        ("mcast ff02::1", "ff02::1"), ("connecting from ::1", "::1"), ("route ::/0 via", "::/0"),
        ("default 0.0.0.0/0", "0.0.0.0/0"), ("mapped ::ffff:127.0.0.1", "::ffff:127.0.0.1"),
    ])
    func specialPurposeAddressesAreLowConfidence(text: String, value: String) {
        let found = Self.findings(text)
        #expect(found.count == 1)
        #expect(found.first?.kind == PIIKinds.ipAddress && found.first?.confidence == .low)
        #expect(Self.scan(text).map(\.value) == [value])
    }

    @Test func theDetectorReportsPersonalData() {
        let detector = Detector(kinds: Set(Detector.catalogue.filter { $0.category == .pii }))
        let found = detector.scan("mail jane@example.com from 203.0.113.45")
        #expect(found.map(\.kind.name) == ["EMAIL", "IP_ADDRESS"])
        #expect(Set(PIIScanner.kinds.map(\.name)) == ["EMAIL", "PHONE_NUMBER", "CREDIT_CARD", "US_SSN", "IBAN", "IP_ADDRESS", "BITCOIN_ADDRESS"])
        #expect(PIIScanner.kinds.allSatisfy { $0.category == .pii })
    }

    @Test func emptyAndTinyInputs() {
        for text in ["", "@", "+", "(", "::", ":", "1", "a@", "@b.c", "+1", "(415)", "bc1", "DE44"] {
            #expect(Self.scan(text).isEmpty, "\(text)")
        }
    }

    // MARK: The prefilter

    @Test func theEightByteFilterAgreesWithTheByteTable() {
        for byte in 0...255 {
            for position in 0..<8 {
                // The byte at `position` among letters.
                var word: UInt64 = 0x6161_6161_6161_6161
                word &= ~(UInt64(0xFF) << UInt64(8 * position))
                word |= UInt64(byte) << UInt64(8 * position)
                let expected: UInt64 = PIIByte.cls(UInt8(byte)) & PIIByte.trigger != 0 ? 0x80 << UInt64(8 * position) : 0
                #expect(PIIByte.triggers(in: word) == expected, "byte \(byte) at \(position)")
            }
        }
    }

    @Test func theEightByteDigitsAndSeparatorsAgreeWithTheBytes() {
        for byte in 0...255 {
            for position in 0..<8 {
                var word: UInt64 = 0x6161_6161_6161_6161
                word &= ~(UInt64(0xFF) << UInt64(8 * position))
                word |= UInt64(byte) << UInt64(8 * position)
                let b = UInt8(byte)
                let bit: UInt64 = 0x80 << UInt64(8 * position)
                let separator = PIIPass.isGroupSeparator(b) || b == UInt8(ascii: "(") || b == UInt8(ascii: ")")
                let (digits, separators) = PIIByte.digitsAndGroupSeparators(in: word)
                #expect(digits == (PIIByte.isDigit(b) ? bit : 0), "byte \(byte) at \(position)")
                #expect(separators == (separator ? bit : 0), "byte \(byte) at \(position)")
            }
        }
    }

    /// `digitsAhead` (seven bytes at a time) counts what a walk one byte at a time counts, up to 13.
    @Test func digitsAheadCountsLikeAByteWalk() {
        let alphabet = Array("0123456789012345678901234567890123456789 -./() ,:ax\n\u{FF}".utf8)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(truncatingIfNeeded: state >> 33)
        }
        for _ in 0..<3000 {
            let bytes = (0..<(next() % 40)).map { _ in alphabet[next() % alphabet.count] }
            bytes.withUnsafeBufferPointer { b in
                guard let base = b.baseAddress else { return }
                let t = PIIText(p: base, n: b.count)
                for e in 0...b.count {
                    for counted in [0, 1, 3, 6, 12] {
                        let digits = digitsInGroups(t, from: e, counted: counted, upTo: 13)
                        #expect(min(PIIPass.digitsAhead(t, e, counted), 13) == digits, "\(e) \(counted) \(String(decoding: b, as: UTF8.self))")
                    }
                }
            }
        }
    }

    @Test(arguments: 0..<9)
    func findingsDoNotDependOnAlignment(shift: Int) {
        let body = "é jane@example.com, +44 20 7946 0958; 4242 4242 4242 4242 fe80::1ff:fe23:4567:890a 203.0.113.45 ü"
        let plain = Self.findings(body).map(\.range)
        let padding = String(repeating: "x ", count: shift / 2) + (shift % 2 == 1 ? "y" : "")
        let shifted = Self.findings(padding + " " + body).map { $0.range.lowerBound - padding.utf8.count - 1 ..< $0.range.upperBound - padding.utf8.count - 1 }
        #expect(plain.count == 5)
        #expect(shifted == plain)
    }

    /// The last bytes of a text, fewer than eight, are classified padded with zeros: a value
    /// that ends the text is found wherever the last eight-byte boundary falls.
    @Test(arguments: 0..<9)
    func findingsAtTheEndOfTheText(shift: Int) {
        let padding = String(repeating: "x", count: shift)
        for value in ["203.0.113.45", "jane@example.com", "+44 20 7946 0958", "4242 4242 4242 4242", "(415) 555-2671", "fe80::1", "::1"] {
            let found = Self.scan(padding + " " + value)
            #expect(found.map(\.value) == [value], "\(shift) \(value)")
        }
        #expect(Self.scan(padding + " 1").isEmpty)
    }

    @Test func randomTextNeverTrapsAndFindingsStayInBoundsAndApart() {
        // Bytes that make candidates, in random order, from a fixed-seed generator.
        let alphabet = Array("0123456789  0123456789abcdefABCDEFbcx@+(:)-./%_\n\u{00}\u{FF}éSSN tel DE GB".utf8)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(truncatingIfNeeded: state >> 33)
        }
        let scanner = PIIScanner(enabled: Set(PIIScanner.kinds))
        for _ in 0..<3000 {
            let count = next() % 120
            let bytes = (0..<count).map { _ in alphabet[next() % alphabet.count] }
            var findings: [Finding] = []
            bytes.withUnsafeBufferPointer { scanner.scan($0, into: &findings) }
            for f in findings { #expect(f.range.lowerBound >= 0 && f.range.upperBound <= count && !f.range.isEmpty) }
            for (a, b) in zip(findings, findings.dropFirst()) { #expect(a.range.upperBound <= b.range.lowerBound) }
        }
    }

    // MARK: Numbers turned away by their shape

    /// For every run of digits the pass hands on as a number, a matcher its shape leaves out
    /// (`numericCandidates`) finds nothing there: numbers in groups of the formats' lengths,
    /// joined by the separators they use, from a fixed-seed generator.
    @Test func aMatcherLeftOutByTheShapeFindsNothing() {
        let lengths = [1, 1, 2, 3, 3, 3, 4, 4, 4, 2, 9, 13, 15, 16]
        let separators = [" ", "-", ".", ".", "/", "(", ")", " (", "-(", " ", ",", "x", "\n", "  "].map { Array($0.utf8) }
        let templates = ["1-###-###-####", "1 (###) ###-####", "1.###.###.####", "###-##-####", "### ## ####", "###.###.####",
                         "4### #### #### ####", "4###-####-####-####", "3### ###### #####", "00## ## #### ####", "00# ### ### ####",
                         "#########", "## #### ####"]
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        func next() -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(truncatingIfNeeded: state >> 33)
        }
        let scanner = PIIScanner(enabled: Set(PIIScanner.kinds))
        var found = [String: Int]()
        for _ in 0..<20000 {
            var bytes: [UInt8] = next() % 4 == 0 ? Array(["1 ", "1-", "00", "tel ", "SSN "][next() % 5].utf8) : []
            for _ in 0..<(1 + next() % 6) {
                switch next() % 3 {
                case 0:
                    // A format's template, `#` a random digit.
                    for b in templates[next() % templates.count].utf8 {
                        bytes.append(b == UInt8(ascii: "#") ? UInt8(48 + next() % 10) : b)
                    }
                case 1:
                    bytes += Array("\(next() % 256).\(next() % 256).\(next() % 256).\(next() % 256)".utf8)
                default:
                    let first = next() % 3 == 0 ? UInt8(ascii: "4") : UInt8(48 + next() % 10)
                    bytes.append(first)
                    for _ in 1..<lengths[next() % lengths.count] { bytes.append(UInt8(48 + next() % 10)) }
                }
                bytes += separators[next() % separators.count]
            }
            bytes.withUnsafeBufferPointer { b in
                let t = PIIText(p: b.baseAddress!, n: b.count)
                let pass = PIIPass(scanner: scanner, text: t, firstOwn: 0)
                for s in 0..<b.count where PIIByte.isDigit(t[s]) && !PIIByte.isWord(t[s - 1]) {
                    var e = s
                    while PIIByte.isDigit(t[e]) { e += 1 }
                    let d = e - s
                    guard !PIIByte.isWord(t[e]), case .number(let separated, let trunk) = PIIPass.numericShape(t, scanner, s, e, digits: d) else { continue }
                    let c = PIIPass.numericCandidates(t, scanner, s, e, digits: d, separated: separated, trunk: trunk)
                    func check(_ name: String, _ candidate: PIIPass.NumericCandidates, applies: Bool, _ match: () -> PIIMatch?) {
                        guard applies, let m = match() else { return }
                        found[name, default: 0] += 1
                        #expect(c.contains(candidate), "\(name) at \(s) in \(String(decoding: b, as: UTF8.self)): \(m.range)")
                    }
                    check("ipv4", .ipv4, applies: t[e] == UInt8(ascii: ".") && d <= 3) { pass.matchIPv4(s) }
                    check("card", .card, applies: d == 4 || (d >= 13 && d <= 19)) { pass.matchCard(s, d) }
                    check("ssn", .ssn, applies: d == 3) { pass.matchSSN(s) }
                    check("nanp", .nanp, applies: d == 3) { pass.matchNANP(s, from: s) }
                    check("trunk", .nanpWithTrunk, applies: d == 1 && t[s] == UInt8(ascii: "1")) { pass.matchNANPWithTrunk(s) }
                    check("00", .international00, applies: d >= 4 && t[s] == UInt8(ascii: "0") && t[s + 1] == UInt8(ascii: "0")) {
                        pass.matchInternational(s, plus: false)
                    }
                    // Keywords: as many digits in the groups as a phone number needs (7), counted
                    // as before the candidates were computed.
                    let digits = digitsInGroups(t, from: e, counted: d, upTo: 7)
                    #expect(c.contains(.phoneAfterKeyword) == (d >= 7 || (separated && digits >= 7)))
                    #expect(c.contains(.ssnAfterKeyword) == (d == 9))
                }
            }
        }
        // The generator makes every format often enough for the check to mean something.
        for name in ["ipv4", "card", "ssn", "nanp", "trunk", "00"] { #expect(found[name, default: 0] >= 5, "\(name): \(found)") }
    }

    // MARK: Checksums

    @Test(arguments: [("4242424242424242", true), ("4242424242424241", false), ("0", true), ("18", true), ("4242 4242 4242 4242", true)])
    func luhn(number: String, valid: Bool) {
        var text = number
        text.makeContiguousUTF8()
        let result = text.utf8.withContiguousStorageIfAvailable { b in
            PIIChecksum.luhn(PIIText(p: b.baseAddress!, n: b.count), 0..<b.count)
        }
        #expect(result == valid)
    }
}

private extension String {
    /// The fixture without its last character (a closing quote that is not part of the address).
    func replacingLast() -> String { String(dropLast()) }
}

/// The digits in the groups from `e` on, `counted` already, up to `limit`, one byte at a time: the
/// walk `PIIPass.digitsAhead` did before it read seven bytes per step, as the tests' reference.
private func digitsInGroups(_ t: PIIText, from e: Int, counted: Int, upTo limit: Int) -> Int {
    var k = e, digits = counted
    while digits < limit && k < t.n {
        let b = t[k]
        if PIIByte.isDigit(b) {
            digits += 1
        } else if !(PIIPass.isGroupSeparator(b) || b == UInt8(ascii: "(") || b == UInt8(ascii: ")")) || !PIIByte.isDigit(t[k + 1]) {
            break
        }
        k += 1
    }
    return digits
}
