import Testing
import WardenJSON
@testable import WardenAudit
@testable import warden

/// Connections in `warden report`: counted apart from the hook's decisions, by host, with bytes.
@Suite struct NetworkReportTests {
    func records() -> [AuditRecord] {
        sampleRecords() + [
            networkRecord(asked: "api.example.com", host: "api.example.com", rule: "*.example.com", up: 100, down: 1000),
            networkRecord(asked: "api.example.com", host: "api.example.com", rule: "*.example.com", up: 200, down: 3000),
            networkRecord(asked: "github.com", host: "github.com", rule: "github.com", up: 1, down: 2),
            networkRecord(asked: "evil.test", host: "evil.test", allowed: false, rule: nil, address: nil, sni: nil, up: 0, down: 0),
            networkRecord(asked: "x\u{1b}.test", host: nil, allowed: false, rule: nil, address: nil, sni: nil, up: 0, down: 0),
            networkRecord(asked: "evil.test", host: "evil.test", allowed: false, rule: "deny: evil.test", address: nil, sni: "evil.test", up: 517, down: 0),
            AuditRecord(sandboxStart: "sha256:1", features: ["seccomp"], session: "run-1", policy: nil, time: testTime, origin: testOrigin),
        ]
    }

    @Test func hostsAreRankedWithTheirBytesAndTheHookFiguresAreUnchanged() {
        let hookOnly = AuditReport(records: sampleRecords())
        let report = AuditReport(records: records())
        #expect(report.total == 14)
        #expect(report.networkRecords == 6)
        #expect(report.networkAllowed == 3 && report.networkDenied == 3)
        #expect(report.topAllowedHosts == [
            AuditReport.HostCount("api.example.com", count: 2, bytesUp: 300, bytesDown: 4000),
            AuditReport.HostCount("github.com", count: 1, bytesUp: 1, bytesDown: 2),
        ])
        #expect(report.topDeniedHosts == [
            AuditReport.HostCount("evil.test", count: 2, bytesUp: 517, bytesDown: 0),
            AuditReport.HostCount("x\\u001b.test", count: 1, bytesUp: 0, bytesDown: 0),
        ])
        // The network entry that denied is not a permission rule; tools and latency are the hook's.
        #expect(report.topDeniedRules == hookOnly.topDeniedRules)
        #expect(report.tools == hookOnly.tools)
        #expect(report.latencyP50 == hookOnly.latencyP50 && report.latencyMax == hookOnly.latencyMax)
        #expect(report.events.first { $0.name == "Network" }?.count == 6)
        #expect(AuditReport(records: records(), top: 1).topAllowedHosts.map(\.host) == ["api.example.com"])
    }

    /// A denied `ls && curl …` as the hook now logs it names only `Bash(curl:*)`; an old record
    /// that named every match is still read and counted as it says.
    @Test func topDeniedRulesCountWhatTheRecordsSayDecided() {
        let report = AuditReport(records: [
            makeRecord(1, decision: .deny, rules: ["Bash(curl:*)"]),
            makeRecord(2, decision: .deny, rules: ["Bash(curl:*)"]),
            makeRecord(3, decision: .allow, rules: ["Bash(ls:*)"]),
            makeRecord(4, decision: .ask, rules: ["Bash(git push:*)"]),
        ])
        #expect(report.topDeniedRules == [AuditReport.Count("Bash(curl:*)", 2)])
        #expect(report.topAskedRules == [AuditReport.Count("Bash(git push:*)", 1)])
    }

    @Test func textJSONAndHTMLShowTheHosts() throws {
        let report = AuditReport(records: records())
        let text = ReportText.render(report, directory: "/x", top: 10)
        #expect(text.contains("Network: 6 connections, 3 allowed, 3 denied\n"))
        let deniedSection = try #require(text.components(separatedBy: "Top denied hosts\n").last)
        let deniedLines = deniedSection.split(separator: "\n").prefix(2).map(String.init)
        #expect(deniedLines[0].hasPrefix("  evil.test") && deniedLines[0].hasSuffix("2  ↑517 B ↓0 B"))
        #expect(deniedLines[1].hasPrefix("  x\\u001b.test"))
        #expect(text.contains("Top allowed hosts\n  api.example.com"))
        #expect(text.contains("2  ↑300 B ↓3.9 KiB\n"))

        let json = try JSONValue.parse(ReportJSON.render(report, directory: "/x", top: 10).serialized)
        let network = try #require(json["network"])
        #expect(network["records"]?.integer == 6)
        #expect(network["allowed"]?.integer == 3)
        #expect(network["denied"]?.integer == 3)
        #expect(network["topDeniedHosts"]?.array?.first?["host"]?.string == "evil.test")
        #expect(network["topDeniedHosts"]?.array?.first?["bytesUp"]?.integer == 517)
        #expect(network["topAllowedHosts"]?.array?.first?["count"]?.integer == 2)
        #expect(network["topAllowedHosts"]?.array?.first?["bytesDown"]?.integer == 4000)
        #expect(json["topDeniedRules"]?.array?.count == 2)

        var withMarkup = records()
        withMarkup.append(networkRecord(asked: "<b>.test", host: nil, allowed: false, rule: nil))
        let html = ReportHTML.render(AuditReport(records: withMarkup), directory: "/x", top: 10)
        #expect(html.contains("<h2>Network</h2><p>7 connections: 3 allowed, 4 denied.</p>"))
        #expect(html.contains("<tr><td><code>evil.test</code></td><td class=\"num\">2</td><td class=\"num\">517 B</td><td class=\"num\">0 B</td></tr>"))
        #expect(html.contains("<code>api.example.com</code></td><td class=\"num\">2</td><td class=\"num\">300 B</td><td class=\"num\">3.9 KiB</td>"))
        #expect(html.contains("&lt;b&gt;.test") && !html.contains("<b>.test"))
        for tag in ["section", "table", "div", "tr"] {
            #expect(html.components(separatedBy: "<\(tag)").count == html.components(separatedBy: "</\(tag)>").count, "<\(tag)> unbalanced")
        }
        let empty = ReportHTML.render(AuditReport(records: sampleRecords()), directory: "/x", top: 10)
        #expect(empty.contains("No connections through Warden's proxies in this period."))
    }
}
