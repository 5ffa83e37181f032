import Testing
@testable import WardenNetwork

@Suite struct AuthorityTests {
    @Test(arguments: [
        ("example.com:443", nil as Int?, "example.com:443", "example.com"),
        ("EXAMPLE.com.:8080", nil, "example.com:8080", "EXAMPLE.com."),
        ("[::1]:443", nil, "[::1]:443", "[::1]"),
        ("[::ffff:127.0.0.1]:80", nil, "127.0.0.1:80", "[::ffff:127.0.0.1]"),
        ("0x7f.1:22", nil, "127.0.0.1:22", "0x7f.1"),
        ("example.com", 80, "example.com:80", "example.com"),
        ("example.com:", 80, "example.com:80", "example.com"),
        ("[2001:db8::1]", 443, "[2001:db8::1]:443", "[2001:db8::1]"),
        ("bücher.example:443", nil, "xn--bcher-kva.example:443", "bücher.example"),
        ("example.com:00443", nil, "example.com:443", "example.com"),
    ])
    func parses(text: String, defaultPort: Int?, canonical: String, asked: String) throws {
        let authority = try parseAuthority(text, defaultPort: defaultPort)
        #expect(authority.description == canonical)
        #expect(authority.asked == asked)
    }

    @Test(arguments: [
        ("", nil as Int?, "the host is empty"),
        ("example.com", nil, "a port is needed, as in host:443"),
        ("example.com:0", nil, "the port must be a number from 1 to 65535"),
        ("example.com:65536", nil, "the port must be a number from 1 to 65535"),
        ("example.com:-1", nil, "the port must be a number from 1 to 65535"),
        ("example.com:+443", nil, "the port must be a number from 1 to 65535"),
        ("example.com:443 ", nil, "the port must be a number from 1 to 65535"),
        ("example.com:4a3", nil, "the port must be a number from 1 to 65535"),
        ("example.com:123456", nil, "the port must be a number from 1 to 65535"),
        ("user@example.com:443", nil, "user info ('user@') is not allowed here"),
        ("::1:443", nil, "an IPv6 address must be written in brackets, as [::1]:443"),
        ("[::1]x", 443, "only ':PORT' may follow ']'"),
        ("[::1:443", nil, "an IPv6 address in brackets must end with ']'"),
        ("[fe80::1%25eth0]:443", nil, "an IPv6 zone id ('%…') is not allowed: it names an interface of this machine"),
        ("evil.com\r\n:443", nil, "the host contains a CR byte"),
        ("a..b:443", nil, "the name has an empty label"),
    ])
    func refuses(text: String, defaultPort: Int?, problem: String) {
        #expect(throws: HostSyntaxError(input: text, problem: problem)) { try parseAuthority(text, defaultPort: defaultPort) }
    }
}

@Suite struct AbsoluteTargetTests {
    @Test(arguments: [
        ("http://example.com/x?y", "example.com:80", "/x?y", false),
        ("HTTP://Example.COM:8080", "example.com:8080", "/", false),
        ("http://example.com?q=1", "example.com:80", "/?q=1", false),
        ("http://example.com/a#frag", "example.com:80", "/a", false),
        ("http://user@a.com@b.com:8080/x?y", "b.com:8080", "/x?y", true),
        ("http://a.com:80@b.com/", "b.com:80", "/", true),
        ("http://user:pass@[::1]:8080/", "[::1]:8080", "/", true),
        ("http://0x7f.1/", "127.0.0.1:80", "/", false),
        ("http://[::ffff:169.254.169.254]/latest/meta-data", "169.254.169.254:80", "/latest/meta-data", false),
        ("http://bücher.example/", "xn--bcher-kva.example:80", "/", false),
        ("http://example.com/a@b.com", "example.com:80", "/a@b.com", false),
        ("http://example.com?@evil.com", "example.com:80", "/?@evil.com", false),
        ("http://example.com#@evil.com", "example.com:80", "/", false),
        ("http://example.com:/", "example.com:80", "/", false),
    ])
    func parses(text: String, authority: String, pathAndQuery: String, hadUserinfo: Bool) throws {
        let target = try parseAbsoluteTarget(text)
        #expect(target.scheme == "http")
        #expect(target.authority.description == authority)
        #expect(target.pathAndQuery == pathAndQuery)
        #expect(target.hadUserinfo == hadUserinfo)
    }

    @Test(arguments: [
        ("https://example.com/", "an https:// URL cannot be proxied as a plain request; a client sends CONNECT for TLS"),
        ("ftp://example.com/", "only http:// URLs are allowed here"),
        ("/relative/path", "not an absolute URL of the form scheme://host/path"),
        ("http:/example.com", "not an absolute URL of the form scheme://host/path"),
        ("example.com:80", "not an absolute URL of the form scheme://host/path"),
        ("http://a.com\\@b.com/", "a backslash in the host part: clients disagree about where such a host ends"),
        ("http://exa mple.com/", "the URL contains a space"),
        ("http://example.com/\u{7f}", "the URL contains the control byte 0x7f"),
        ("http://%65vil.com/", "the host contains '%', which a host name cannot contain (letters, digits, '-', '_' and '.' only)"),
        ("http:///x", "the host is empty"),
        ("http://user@/x", "the host is empty"),
        ("http://example.com:99999/", "the port must be a number from 1 to 65535"),
        ("http://evil.com%00.good.com/", "the host contains '%', which a host name cannot contain (letters, digits, '-', '_' and '.' only)"),
    ])
    func refuses(text: String, problem: String) {
        #expect(throws: HostSyntaxError(input: text, problem: problem)) { try parseAbsoluteTarget(text) }
    }
}
