import Testing
import WardenJSON
@testable import WardenNetwork

private func read(_ text: String) throws -> (settings: NetworkSettings, problems: [String]) {
    let (settings, problems) = NetworkSettings.readWithPositions(policy: try JSONValue.parse(text))
    return (settings, problems.map(\.description))
}

@Suite struct NetworkSettingsTests {
    @Test func defaults() throws {
        let (settings, problems) = try read("{}")
        #expect(problems.isEmpty)
        #expect(settings.allowedDomains.isEmpty && settings.deniedDomains.isEmpty)
        #expect(settings.idleTimeoutSeconds == 300 && settings.headerTimeoutSeconds == 10)
        #expect(settings.maxConnections == 1024 && settings.maxConnectionsPerClient == 256 && settings.maxHeaderBytes == 32768)
        #expect(settings.requireSNI && !settings.allowNonTLSConnect)
        #expect(settings.upstreamProxy == nil && settings.httpProxyPort == nil && settings.socksProxyPort == nil)
        #expect(!settings.allowManagedDomainsOnly && !settings.allowAllUnixSockets && !settings.allowLocalBinding)
    }

    @Test func readsEveryKey() throws {
        let (settings, problems) = try read("""
            {"sandbox": {"enabled": true, "filesystem": {"x": 1}, "network": {
                "allowedDomains": ["github.com", "*.npmjs.org", "10.0.0.0/8"], "deniedDomains": ["evil.example"],
                "allowManagedDomainsOnly": true, "allowUnixSockets": ["/run/docker.sock"], "allowAllUnixSockets": false,
                "allowLocalBinding": true, "httpProxyPort": 8080, "socksProxyPort": 1080}},
             "warden": {"sandbox": {"limits": {}, "network": {
                "upstreamProxy": "http://alice:s%40cret@proxy.corp:3128", "idleTimeoutSeconds": 600, "headerTimeoutSeconds": 5,
                "maxConnections": 50, "maxConnectionsPerClient": 5, "maxHeaderBytes": 65536, "requireSNI": false,
                "allowNonTLSConnect": true}}}}
            """)
        #expect(problems.isEmpty)
        #expect(settings.allowedDomains.map(\.text) == ["github.com", "*.npmjs.org", "10.0.0.0/8"])
        #expect(settings.deniedDomains.map(\.text) == ["evil.example"])
        #expect(settings.allowManagedDomainsOnly && settings.allowLocalBinding && !settings.allowAllUnixSockets)
        #expect(settings.allowUnixSockets == ["/run/docker.sock"])
        #expect(settings.httpProxyPort == 8080 && settings.socksProxyPort == 1080)
        #expect(settings.idleTimeoutSeconds == 600 && settings.headerTimeoutSeconds == 5)
        #expect(settings.maxConnections == 50 && settings.maxConnectionsPerClient == 5 && settings.maxHeaderBytes == 65536)
        #expect(!settings.requireSNI && settings.allowNonTLSConnect)
        let upstream = try #require(settings.upstreamProxy)
        #expect(upstream.authority.description == "proxy.corp:3128")
        #expect(upstream.proxyAuthorization == "Basic " + base64(Array("alice:s@cret".utf8)))
        #expect(upstream.description == "http://proxy.corp:3128 (with credentials)")
        #expect(!upstream.description.contains("alice") && !upstream.description.contains("cret"))
    }

    @Test func problemsWithPositions() throws {
        let (_, problems) = try read("""
            {"sandbox": {"network": {
              "allowedDomains": ["ok.example", "bad host", 7, "*"],
              "deniedDomains": "evil.example",
              "allowUnixSockets": ["relative.sock"],
              "httpProxyPort": 70000,
              "allowLocalBinding": "yes",
              "colour": 1
            }},
             "warden": {"sandbox": {"network": {
              "idleTimeoutSeconds": 0,
              "upstreamProxy": "https://bob:hunter2@proxy:3128",
              "requireSni": true
            }}}}
            """)
        #expect(problems == [
            #"2:36: error: bad entry in sandbox.network.allowedDomains: "bad host": the host contains a space, which a host name cannot contain (letters, digits, '-', '_' and '.' only)"#,
            "2:48: error: an entry of sandbox.network.allowedDomains must be a string, found number",
            #"2:51: error: bad entry in sandbox.network.allowedDomains: "*": '*' may only start an entry, as in *.example.com"#,
            "3:20: error: sandbox.network.deniedDomains must be an array of host entries, found string",
            "4:24: error: an entry of sandbox.network.allowUnixSockets must be an absolute path",
            "5:20: error: sandbox.network.httpProxyPort must be a whole number from 1 to 65535",
            "6:24: error: sandbox.network.allowLocalBinding must be true or false, found string",
            #"7:3: warning: unknown key "colour" in sandbox.network; Claude Code and Warden ignore it"#,
            "10:25: error: warden.sandbox.network.idleTimeoutSeconds must be a whole number from 1 to 86400",
            #"11:20: error: bad warden.sandbox.network.upstreamProxy: "https://…@proxy:3128": the upstream proxy is reached over plain http:// (tunnels through it are still TLS)"#,
            #"12:3: error: unknown Warden setting "requireSni" in warden.sandbox.network (known: upstreamProxy, idleTimeoutSeconds, headerTimeoutSeconds, maxConnections, maxConnectionsPerClient, maxHeaderBytes, requireSNI, allowNonTLSConnect)"#,
        ])
        #expect(!problems.joined().contains("hunter2"))
    }

    @Test func wrongShapes() throws {
        #expect(try read(#"{"sandbox": {"network": []}}"#).problems == ["1:25: error: sandbox.network must be an object, found array"])
        #expect(try read(#"{"warden": {"sandbox": {"network": 1}}}"#).problems == ["1:36: error: warden.sandbox.network must be an object, found number"])
        #expect(try read(#"{"sandbox": {"network": {"allowedDomains": [], "allowedDomains": ["a"]}}}"#).problems
            == [#"1:48: error: key "allowedDomains" appears twice in sandbox.network; only the last one counts"#])
        // Not this reader's business: other keys under sandbox, a sandbox that is not an object.
        #expect(try read(#"{"sandbox": true, "warden": {"sandbox": {"enabled": true}}}"#).problems.isEmpty)
    }

    @Test(arguments: [
        ("http://proxy.example:3128", "http://proxy.example:3128", nil as String?),
        ("http://proxy.example", "http://proxy.example:80", nil),
        ("http://proxy.example:3128/", "http://proxy.example:3128", nil),
        ("http://u:p@[::1]:3128", "http://[::1]:3128 (with credentials)", "Basic dTpw"),
        ("http://user@proxy:8080", "http://proxy:8080 (with credentials)", "Basic dXNlcg=="),
    ])
    func upstreamProxy(url: String, description: String, authorization: String?) throws {
        let proxy = try UpstreamProxy(parsing: url)
        #expect(proxy.description == description)
        #expect(proxy.proxyAuthorization == authorization)
    }

    @Test(arguments: [
        ("http://u:secret@proxy:3128/path", #""http://…@proxy:3128/path": a proxy URL has no path or query, as in http://proxy.example:3128"#),
        ("http://u:sec%zzret@proxy:3128", #""http://…@proxy:3128": the user info has a bad %-escape"#),
        ("socks5://u:secret@proxy:1080", #""socks5://…@proxy:1080": only http:// URLs are allowed here"#),
        ("proxy:3128", #""proxy:3128": not an absolute URL of the form scheme://host/path"#),
    ])
    func upstreamProxyRefusalsHideTheCredential(url: String, message: String) {
        #expect(throws: HostSyntaxError.self) { try UpstreamProxy(parsing: url) }
        do { _ = try UpstreamProxy(parsing: url) } catch { #expect(error.description == message) }
    }

    @Test func base64Vectors() {
        // RFC 4648 section 10.
        for (plain, encoded) in [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy")] {
            #expect(base64(Array(plain.utf8)) == encoded)
        }
    }
}

@Suite struct EgressPolicyBuildingTests {
    @Test func allowedFromEveryKey() throws {
        var settings = NetworkSettings()
        settings.allowedDomains = [try NetworkEntry(parsing: "github.com")]
        settings.deniedDomains = [try NetworkEntry(parsing: "gist.github.com"), try NetworkEntry(parsing: "evil.docs.example")]
        let policy = try settings.egressPolicy(webFetchDomains: ["docs.example", "10.1.2.3"], anthropicBaseURL: nil)
        func verdict(_ host: String, _ port: Int) throws -> EgressVerdict { policy.judge(host: try canonicalHost(host), port: port) }
        #expect(try verdict("github.com", 443).key == "sandbox.network.allowedDomains")
        #expect(try verdict("gist.github.com", 443).key == "sandbox.network.deniedDomains")
        #expect(try verdict("docs.example", 443) == EgressVerdict(
            allowed: true, rule: "docs.example", key: "WebFetch(domain:docs.example)",
            reason: #"Warden allowed docs.example:443: allowed by "docs.example" in WebFetch(domain:docs.example)"#))
        #expect(try verdict("api.docs.example", 80).rule == "*.docs.example")
        #expect(try verdict("api.docs.example", 80).key == "WebFetch(domain:docs.example)")
        #expect(try verdict("evil.docs.example", 443).allowed == false)
        #expect(try verdict("10.1.2.3", 443).key == "WebFetch(domain:10.1.2.3)")
        #expect(try verdict("api.anthropic.com", 443) == EgressVerdict(
            allowed: true, rule: "api.anthropic.com:443", key: "ANTHROPIC_BASE_URL",
            reason: #"Warden allowed api.anthropic.com:443: allowed by "api.anthropic.com:443" in ANTHROPIC_BASE_URL"#))
        #expect(try verdict("api.anthropic.com", 80).allowed == false)
        #expect(try verdict("anthropic.com", 443).allowed == false)
        // The default origin brings the login's token renewal, that port only; a gateway does not.
        #expect(try verdict("platform.claude.com", 443).key == "Claude Code's login (OAuth token renewal)")
        #expect(try verdict("platform.claude.com", 80).allowed == false)
        #expect(try verdict("claude.com", 443).allowed == false)
        let gateway = try settings.egressPolicy(webFetchDomains: [], anthropicBaseURL: "https://gateway.corp.example")
        #expect(gateway.judge(host: try canonicalHost("platform.claude.com"), port: 443).allowed == false)
        // A WebFetch apex is an exact name: it may reach a special address; its subdomains may not.
        #expect(policy.judge(host: .name("docs.example"), port: 443, resolved: IPAddress.parse("127.0.0.1")!).allowed)
        #expect(policy.judge(host: .name("a.docs.example"), port: 443, resolved: IPAddress.parse("127.0.0.1")!).allowed == false)
    }

    @Test(arguments: [
        ("http://127.0.0.1:8123", "127.0.0.1", 8123),
        ("http://localhost:8123/v1", "localhost", 8123),
        ("https://gateway.corp.example", "gateway.corp.example", 443),
        ("http://[::1]:9000", "[::1]", 9000),
        ("", "api.anthropic.com", 443),
    ])
    func anthropicBaseURL(url: String, host: String, port: Int) throws {
        let policy = try NetworkSettings().egressPolicy(webFetchDomains: [], anthropicBaseURL: url)
        let canonical = try canonicalHost(host)
        let loopback = canonical == .name("localhost") ? IPAddress.parse("127.0.0.1")! : IPAddress.parse("93.184.215.14")!
        let verdict = policy.judge(host: canonical, port: port, resolved: { if case .address(let a) = canonical { a } else { loopback } }())
        #expect(verdict.allowed && verdict.key == "ANTHROPIC_BASE_URL", "\(verdict.reason)")
        #expect(policy.judge(host: canonical, port: port + 1).allowed == false)
    }

    @Test func badInputsThrow() {
        #expect(throws: HostSyntaxError.self) { try NetworkSettings().egressPolicy(webFetchDomains: ["bad host"], anthropicBaseURL: nil) }
        #expect(throws: HostSyntaxError.self) { try NetworkSettings().egressPolicy(webFetchDomains: [], anthropicBaseURL: "ftp://x") }
        #expect(throws: HostSyntaxError.self) { try NetworkSettings().egressPolicy(webFetchDomains: [], anthropicBaseURL: "api.anthropic.com") }
    }
}
