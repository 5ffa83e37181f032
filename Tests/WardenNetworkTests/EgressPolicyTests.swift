import Testing
@testable import WardenNetwork

private func policy(allow: [String], deny: [String] = []) throws -> EgressPolicy {
    EgressPolicy(
        allowed: try allow.map { (entry: try NetworkEntry(parsing: $0), key: EgressPolicy.allowedKey) },
        denied: try deny.map { (entry: try NetworkEntry(parsing: $0), key: EgressPolicy.deniedKey) })
}

private func ip(_ text: String) -> IPAddress { IPAddress.parse(text)! }

@Suite struct NetworkEntryTests {
    /// Entry, host and port asked, whether it matches.
    @Test(arguments: [
        ("example.com", "example.com", 443, true), ("example.com", "EXAMPLE.com.", 80, true),
        ("example.com", "a.example.com", 443, false), ("example.com", "badexample.com", 443, false),
        ("example.com", "example.com.evil", 443, false),
        ("*.example.com", "a.example.com", 443, true), ("*.example.com", "a.b.example.com", 443, true),
        ("*.example.com", "example.com", 443, false), ("*.example.com", "badexample.com", 443, false),
        ("*.example.com", "a.badexample.com", 443, false), ("*.EXAMPLE.com", "x.example.com", 1, true),
        ("example.com:443", "example.com", 443, true), ("example.com:443", "example.com", 80, false),
        ("*.example.com:8443", "a.example.com", 8443, true), ("*.example.com:8443", "a.example.com", 443, false),
        ("127.0.0.1", "127.0.0.1", 80, true), ("127.0.0.1", "0x7f.1", 80, true), ("127.0.0.1", "[::ffff:127.0.0.1]", 80, true),
        ("127.0.0.1", "[64:ff9b::7f00:1]", 80, true), ("127.0.0.1", "2130706433", 80, true), ("127.0.0.1", "127.0.0.2", 80, false),
        ("127.1:8080", "127.0.0.1", 8080, true), ("127.1:8080", "127.0.0.1", 8081, false),
        ("::ffff:127.0.0.1", "127.0.0.1", 80, true),
        ("[::1]:443", "[::1]", 443, true), ("[::1]:443", "[::1]", 80, false), ("::1", "[0:0::1]", 9, true),
        ("[2001:db8::1]", "[2001:DB8::1]", 1, true),
        ("10.0.0.0/8", "10.200.3.4", 443, true), ("10.0.0.0/8", "11.0.0.1", 443, false), ("10.0.0.0/8", "012.1", 443, true),
        ("10.0.0.0/8", "[::ffff:10.9.9.9]", 443, true), ("0.0.0.0/0", "8.8.8.8", 1, true), ("0.0.0.0/0", "[::1]", 1, false),
        ("fd00::/8", "[fd12::1]", 443, true), ("fd00::/8", "[fc00::1]", 443, false), ("::/0", "[2606:4700::1]", 1, true),
        ("::ffff:10.0.0.0/104", "10.1.1.1", 1, true), ("192.168.1.7/32", "192.168.1.7", 1, true),
        ("2001:db8::/127", "[2001:db8::1]", 1, true), ("2001:db8::/127", "[2001:db8::2]", 1, false),
        ("2001:db8::/64", "[2001:db8::ffff:1]", 1, true), ("2001:db8::/65", "[2001:db8::8000:0:0:0]", 1, false),
        ("bücher.example", "xn--bcher-kva.example", 443, true), ("*.bücher.example", "a.xn--bcher-kva.example", 443, true),
        ("example.com", "93.184.215.14", 443, false), ("10.0.0.0/8", "ten.example", 443, false),
    ])
    func matching(entry: String, host: String, port: Int, expected: Bool) throws {
        let parsed = try NetworkEntry(parsing: entry)
        #expect(parsed.text == entry)
        #expect(parsed.matches(host: try canonicalHost(host), port: port) == expected, "\(entry) vs \(host):\(port)")
    }

    @Test(arguments: [
        ("", "an entry cannot be empty"),
        ("*", "'*' may only start an entry, as in *.example.com"),
        ("a.*.com", "'*' may only start an entry, as in *.example.com"),
        ("*example.com", "'*' may only start an entry, as in *.example.com"),
        ("*.127.0.0.1", "'*.' must be followed by a domain name, not an address"),
        ("*.", "the host is empty"),
        ("example.com:0", "the port must be a number from 1 to 65535"),
        ("example.com:https", "the port must be a number from 1 to 65535"),
        ("10.0.0.1/8", "the address has bits set past the prefix length; write the range's first address"),
        ("10.0.0.0/33", "the prefix length must be at most 32"),
        ("fd00::/129", "the prefix length must be at most 128"),
        ("10.0.0.0/", "the prefix length after '/' must be a number"),
        ("10.0.0.0/-1", "the prefix length after '/' must be a number"),
        ("example.com/8", "a range needs an address before '/', as in 10.0.0.0/8"),
        ("::ffff:10.0.0.0/8", "an IPv4-mapped or NAT64 range needs a prefix of 96 or more"),
        ("exa mple.com", "the host contains a space, which a host name cannot contain (letters, digits, '-', '_' and '.' only)"),
        ("[fe80::1%eth0]", "an IPv6 zone id ('%…') is not allowed: it names an interface of this machine"),
        ("user@example.com", "the host contains '@', which a host name cannot contain (letters, digits, '-', '_' and '.' only)"),
        ("http://example.com", "an entry is a host, not a URL: write example.com or example.com:443"),
        ("example.com:80:80", "not a valid IPv6 address"),
    ])
    func refuses(entry: String, problem: String) {
        #expect(throws: HostSyntaxError(input: entry, problem: problem)) { try NetworkEntry(parsing: entry) }
    }
}

@Suite struct EgressPolicyTests {
    @Test func denyWinsAndDefaultDenies() throws {
        let policy = try policy(allow: ["*.example.com", "evil.example"], deny: ["evil.example", "bad.example.com"])
        let good = policy.judge(host: try canonicalHost("api.example.com"), port: 443)
        #expect(good == EgressVerdict(
            allowed: true, rule: "*.example.com", key: "sandbox.network.allowedDomains",
            reason: #"Warden allowed api.example.com:443: allowed by "*.example.com" in sandbox.network.allowedDomains"#))
        #expect(policy.judge(host: try canonicalHost("EVIL.example."), port: 443) == EgressVerdict(
            allowed: false, rule: "evil.example", key: "sandbox.network.deniedDomains",
            reason: #"Warden refused evil.example:443: denied by "evil.example" in sandbox.network.deniedDomains"#))
        #expect(policy.judge(host: try canonicalHost("bad.example.com"), port: 80).rule == "bad.example.com")
        #expect(policy.judge(host: try canonicalHost("other.test"), port: 443) == EgressVerdict(
            allowed: false, rule: nil, key: "default",
            reason: #"Warden refused other.test:443: no entry in sandbox.network.allowedDomains allows it (add "other.test" there to allow it)"#))
        #expect(policy.judge(host: try canonicalHost("::1"), port: 443).reason
            == #"Warden refused [::1]:443: no entry in sandbox.network.allowedDomains allows it (add "[::1]" there to allow it)"#)
    }

    @Test func emptyPolicyDeniesEverything() throws {
        let empty = EgressPolicy(allowed: [], denied: [])
        for host in ["example.com", "127.0.0.1", "[::1]"] {
            #expect(empty.judge(host: try canonicalHost(host), port: 443).allowed == false)
            #expect(empty.judge(host: try canonicalHost(host), port: 443, resolved: ip("8.8.8.8")).allowed == false)
        }
    }

    @Test func wildcardNameResolvingToSpecialAddressesIsRebinding() throws {
        let policy = try policy(allow: ["*.example.com", "exact.example.com", "metadata.internal", "*.corp.example"])
        let host = try canonicalHost("a.example.com")
        for special in ["127.0.0.1", "127.9.9.9", "169.254.169.254", "0.0.0.0", "224.0.0.1", "255.255.255.255", "240.0.0.1",
                        "::1", "fe80::1", "fd00:ec2::254", "::", "ff02::1", "::ffff:127.0.0.1", "64:ff9b::a9fe:a9fe", "2001:db8::1"] {
            let verdict = policy.judge(host: host, port: 443, resolved: ip(special))
            #expect(verdict.allowed == false, "\(special)")
            #expect(verdict.key == "sandbox.network.allowedDomains")
            #expect(verdict.rule == nil)
        }
        #expect(policy.judge(host: host, port: 443, resolved: ip("::ffff:127.0.0.1")).reason
            == #"Warden refused a.example.com:443: it resolved to 127.0.0.1, a loopback address, which only the exact name "a.example.com" or that address in sandbox.network.allowedDomains allows (a wildcard does not: DNS rebinding guard)"#)
        #expect(policy.judge(host: host, port: 443, resolved: ip("169.254.169.254")).reason.contains("169.254.169.254, a link-local address"))
        // The exact name may reach a special address.
        let exact = policy.judge(host: try canonicalHost("exact.example.com"), port: 443, resolved: ip("127.0.0.1"))
        #expect(exact.allowed && exact.rule == "exact.example.com")
        #expect(exact.reason == #"Warden allowed exact.example.com:443 at loopback address 127.0.0.1: listed by "exact.example.com" in sandbox.network.allowedDomains"#)
        #expect(policy.judge(host: try canonicalHost("metadata.internal"), port: 80, resolved: ip("169.254.169.254")).allowed)
        // Public and private addresses are fine for an allowed name.
        for ordinary in ["93.184.215.14", "10.1.2.3", "172.16.5.5", "192.168.0.10", "100.64.1.1", "fc00::5", "fd12:3456::1", "2606:4700::1111"] {
            let verdict = policy.judge(host: host, port: 443, resolved: ip(ordinary))
            #expect(verdict.allowed && verdict.rule == "*.example.com", "\(ordinary)")
        }
        // A name not allowed stays refused whatever it resolves to.
        #expect(policy.judge(host: try canonicalHost("other.test"), port: 443, resolved: ip("8.8.8.8")).key == "default")
    }

    @Test func specialAddressesListedByAddressOrRange() throws {
        let policy = try policy(allow: ["*.example.com", "127.0.0.1:8080", "169.254.0.0/16", "[::1]:9000"])
        let host = try canonicalHost("a.example.com")
        #expect(policy.judge(host: host, port: 8080, resolved: ip("127.0.0.1")).rule == "127.0.0.1:8080")
        #expect(policy.judge(host: host, port: 8081, resolved: ip("127.0.0.1")).allowed == false)
        #expect(policy.judge(host: host, port: 80, resolved: ip("169.254.169.254")).rule == "169.254.0.0/16")
        #expect(policy.judge(host: host, port: 9000, resolved: ip("::1")).allowed)
        // Asked by address: the name-level verdict already needs the address entry.
        #expect(policy.judge(host: try canonicalHost("127.1"), port: 8080, resolved: ip("127.0.0.1")).allowed)
        #expect(policy.judge(host: try canonicalHost("127.1"), port: 80).allowed == false)
        #expect(policy.judge(host: try canonicalHost("[::ffff:127.0.0.1]"), port: 8080).allowed)
        #expect(policy.judge(host: try canonicalHost("[64:ff9b::7f00:1]"), port: 8080).allowed)
        #expect(policy.judge(host: try canonicalHost("[::ffff:127.0.0.1]"), port: 80).allowed == false)
    }

    @Test func mappedAndNAT64FormsCannotBypassADeniedAddress() throws {
        let policy = try policy(allow: ["0.0.0.0/0", "::/0", "*.example.com"], deny: ["169.254.169.254", "10.0.0.0/8"])
        for form in ["169.254.169.254", "0xa9fea9fe", "169.254.43518", "0251.0376.0251.0376", "[::ffff:169.254.169.254]",
                     "[::ffff:a9fe:a9fe]", "[64:ff9b::169.254.169.254]", "2852039166"] {
            let verdict = policy.judge(host: try canonicalHost(form), port: 80)
            #expect(verdict.allowed == false && verdict.rule == "169.254.169.254", "\(form)")
        }
        let host = try canonicalHost("a.example.com")
        for resolved in ["10.1.1.1", "::ffff:10.1.1.1", "64:ff9b::a01:101"] {
            let verdict = policy.judge(host: host, port: 443, resolved: ip(resolved))
            #expect(verdict == EgressVerdict(
                allowed: false, rule: "10.0.0.0/8", key: "sandbox.network.deniedDomains",
                reason: #"Warden refused a.example.com:443: its address 10.1.1.1 is denied by "10.0.0.0/8" in sandbox.network.deniedDomains"#))
        }
        #expect(policy.judge(host: host, port: 443, resolved: ip("8.8.8.8")).allowed)
    }

    @Test func portsAreJudged() throws {
        let policy = try policy(allow: ["example.com:443", "*.example.org"], deny: ["*.example.org:25"])
        #expect(policy.judge(host: .name("example.com"), port: 443).allowed)
        #expect(policy.judge(host: .name("example.com"), port: 22).allowed == false)
        #expect(policy.judge(host: .name("mail.example.org"), port: 587).allowed)
        #expect(policy.judge(host: .name("mail.example.org"), port: 25).rule == "*.example.org:25")
    }
}
