import Testing
import WardenJSON
import WardenNetwork
@testable import WardenPolicy

/// The network settings as part of a policy file: read by `Policy.load`, problems with their
/// positions, and the egress policy built with the WebFetch rules.
@Suite struct NetworkPolicyTests {
    @Test func readsTheNetworkSettings() throws {
        let policy = try Policy.parse(text: """
            {"permissions": {"allow": ["WebFetch(domain:docs.example)", "WebFetch(domain:*.cdn.example)", "Bash(ls:*)"],
                             "deny": ["WebFetch(domain:pastebin.com)"]},
             "sandbox": {"enabled": true, "network": {"allowedDomains": ["github.com"], "deniedDomains": ["gist.github.com"]}},
             "warden": {"sandbox": {"network": {"idleTimeoutSeconds": 60}}}}
            """, path: "/etc/claude-code/managed-settings.json")
        #expect(policy.network.allowedDomains.map(\.text) == ["github.com"])
        #expect(policy.network.idleTimeoutSeconds == 60)
        let egress = try policy.egressPolicy(anthropicBaseURL: nil)
        func judge(_ host: String, _ port: Int = 443) throws -> EgressVerdict { egress.judge(host: try canonicalHost(host), port: port) }
        #expect(try judge("github.com").allowed)
        #expect(try judge("gist.github.com").key == "sandbox.network.deniedDomains")
        // WebFetch(domain:X) covers X and its subdomains, as the hook reads it.
        #expect(try judge("docs.example").key == "WebFetch(domain:docs.example)")
        #expect(try judge("api.docs.example").key == "WebFetch(domain:docs.example)")
        #expect(try judge("cdn.example").key == "WebFetch(domain:cdn.example)")
        #expect(try judge("img.cdn.example").allowed)
        #expect(try judge("baddocs.example").allowed == false)
        // A deny rule for the WebFetch tool is not an egress entry; nothing allows the host anyway.
        #expect(try judge("pastebin.com").key == "default")
        #expect(try judge("api.anthropic.com").key == "ANTHROPIC_BASE_URL")
        #expect(try policy.egressPolicy(anthropicBaseURL: "http://127.0.0.1:8123").judge(host: canonicalHost("127.0.0.1"), port: 8123).allowed)
    }

    @Test func problemsAreReportedWithPositions() {
        let (policy, problems) = Policy.load(text: """
            {"sandbox": {"network": {"allowedDomains": ["ok.example", "bad..example"], "proxyPort": 1}},
             "warden": {"sandbox": {"network": {"maxConnections": "many"}}}}
            """, path: "p.json")
        #expect(policy == nil)
        #expect(problems.map(\.description) == [
            #"1:59: error: bad entry in sandbox.network.allowedDomains: "bad..example": the name has an empty label"#,
            #"1:76: warning: unknown key "proxyPort" in sandbox.network; Claude Code and Warden ignore it"#,
            "2:55: error: warden.sandbox.network.maxConnections must be a whole number from 1 to 1000000",
        ])
    }

    @Test func anUnknownKeyUnderSandboxNetworkIsOnlyAWarning() throws {
        let (policy, problems) = Policy.load(text: #"{"sandbox": {"network": {"allowedDomains": ["a.example"], "futureKey": true}}}"#, path: nil)
        #expect(policy?.network.allowedDomains.map(\.text) == ["a.example"])
        #expect(problems.map(\.severity) == [.warning])
    }

    @Test func wardenSandboxIsAKnownWardenKey() {
        let (policy, problems) = Policy.load(text: #"{"warden": {"sandbox": {"network": {"requireSNI": false}}}}"#, path: nil)
        #expect(problems.isEmpty)
        #expect(policy?.network.requireSNI == false)
    }
}
