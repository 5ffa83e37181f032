import Testing
import WardenJSON
@testable import WardenAudit

/// A small, known log: two sessions over three days.
func sampleRecords() -> [AuditRecord] {
    let day1 = AuditTime(rfc3339: "2026-11-01T10:00:00Z")!
    let day2 = AuditTime(rfc3339: "2026-11-02T10:00:00Z")!
    let day3 = AuditTime(rfc3339: "2026-11-03T10:00:00Z")!
    var records = [
        makeRecord(1, session: "aaaa-1111", tool: "Bash", decision: .allow, time: day1),
        makeRecord(2, session: "aaaa-1111", tool: "Bash", decision: .deny, rules: ["Bash(curl:*)"], time: day1.adding(milliseconds: 1000)),
        makeRecord(3, session: "aaaa-1111", tool: "Read", decision: .deny, rules: ["Read(./.env*)"], time: day1.adding(milliseconds: 2000)),
        makeRecord(4, session: "aaaa-1111", event: "PostToolUse", tool: "Bash", decision: .redact, redactions: ["EMAIL": 2, "AWS_ACCESS_KEY": 1], time: day2),
        makeRecord(5, session: "bbbb-2222", tool: "Bash", decision: .deny, rules: ["Bash(curl:*)"], time: day2.adding(milliseconds: 5000)),
        makeRecord(6, session: "bbbb-2222", tool: "Bash", decision: .ask, rules: ["Bash(git push:*)"], time: day3),
        makeRecord(7, session: "bbbb-2222", event: "UserPromptSubmit", tool: nil, decision: .block, redactions: ["EMAIL": 1], time: day3.adding(milliseconds: 1)),
    ]
    for i in records.indices { records[i].latencyMicros = (i + 1) * 100 }
    return records
}

@Suite struct AuditQueryTests {
    let records = sampleRecords()

    func seqs(_ query: AuditQuery) -> [Int] { query.apply(records).map { Int($0.reason!.split(separator: " ").last!)! } }

    @Test func filtersBySession() {
        #expect(seqs(AuditQuery(sessions: ["bbbb"])) == [5, 6, 7])
        #expect(seqs(AuditQuery(sessions: ["aaaa-1111", "bbbb-2222"])).count == 7)
        #expect(seqs(AuditQuery(sessions: ["cccc"])).isEmpty)
    }

    @Test func filtersByDecisionToolRuleAndEvent() {
        #expect(seqs(AuditQuery(decisions: [.deny])) == [2, 3, 5])
        #expect(seqs(AuditQuery(decisions: [.deny, .block])) == [2, 3, 5, 7])
        #expect(seqs(AuditQuery(tools: ["read"])) == [3])
        #expect(seqs(AuditQuery(rules: ["curl"])) == [2, 5])
        #expect(seqs(AuditQuery(rules: ["Read(./.env*)"])) == [3])
        #expect(seqs(AuditQuery(events: ["userpromptsubmit"])) == [7])
        #expect(seqs(AuditQuery(sessions: ["aaaa"], decisions: [.deny], tools: ["Bash"])) == [2])
    }

    @Test func filtersByTimeRange() {
        let since = AuditTime(rfc3339: "2026-11-02")!
        let until = AuditTime(rfc3339: "2026-11-03")!
        #expect(seqs(AuditQuery(since: since)) == [4, 5, 6, 7])
        #expect(seqs(AuditQuery(until: since)) == [1, 2, 3])
        #expect(seqs(AuditQuery(since: since, until: until)) == [4, 5])
    }

    @Test func limitKeepsTheLastMatches() {
        #expect(seqs(AuditQuery(limit: 2)) == [6, 7])
        #expect(seqs(AuditQuery(decisions: [.deny], limit: 1)) == [5])
    }
}

@Suite struct AuditReportTests {
    @Test func aggregatesDecisionsRulesSessionsAndRedactions() {
        let report = AuditReport(records: sampleRecords())
        #expect(report.total == 7)
        #expect(report.decisions[.deny] == 3)
        #expect(report.decisions[.allow] == 1)
        #expect(report.decisions[.none] == 0)
        #expect(report.topDeniedRules == [AuditReport.Count("Bash(curl:*)", 2), AuditReport.Count("Read(./.env*)", 1)])
        #expect(report.topAskedRules == [AuditReport.Count("Bash(git push:*)", 1)])
        #expect(report.redactions == [AuditReport.Count("EMAIL", 3), AuditReport.Count("AWS_ACCESS_KEY", 1)])
        #expect(report.totalRedactions == 4)
        #expect(report.sessions.map(\.id) == ["aaaa-1111", "bbbb-2222"])
        #expect(report.sessions[0].decisions == 4 && report.sessions[0].denied == 2 && report.sessions[0].redactions == 3)
        #expect(report.sessions[1].denied == 2 && report.sessions[1].asked == 1)
        #expect(report.days.map(\.total) == [3, 2, 2])
        #expect(report.days.map { AuditTime.dayString($0.day) } == ["2026-11-01", "2026-11-02", "2026-11-03"])
        #expect(report.tools.first == AuditReport.Count("Bash", 5))
        #expect(report.latencyP50 == 400)
        #expect(report.latencyP99 == 700)
        #expect(report.latencyMax == 700)
    }

    @Test func respectsThePeriod() {
        let report = AuditReport(records: sampleRecords(), since: AuditTime(rfc3339: "2026-11-02")!, until: AuditTime(rfc3339: "2026-11-03")!)
        #expect(report.total == 2)
        #expect(report.topDeniedRules == [AuditReport.Count("Bash(curl:*)", 1)])
        #expect(report.days.count == 1)
    }

    @Test func anEmptyPeriodIsNotAnError() {
        let report = AuditReport(records: [])
        #expect(report.total == 0)
        #expect(report.days.isEmpty)
        #expect(report.latencyP50 == nil)
    }

    @Test func readsRetentionSettings() throws {
        let policy = try JSONValue.parse(#"{"cleanupPeriodDays": 14, "warden": {"audit": {"directory": "/var/log/warden", "segmentMegabytes": 4}}}"#)
        let (settings, problems) = AuditSettings.read(policy: policy)
        #expect(problems.isEmpty)
        #expect(settings.directory == "/var/log/warden")
        #expect(settings.segmentBytes == 4 * 1024 * 1024)
        #expect(settings.effectiveRetention.days == 14)
        let override = AuditSettings.read(policy: try JSONValue.parse(#"{"cleanupPeriodDays": 14, "warden": {"audit": {"retentionDays": 0}}}"#)).settings
        #expect(override.effectiveRetention.days == nil)
        #expect(AuditSettings().effectiveRetention.days == 30)
        let bad = AuditSettings.read(policy: try JSONValue.parse(#"{"warden": {"audit": {"retentionDays": -1, "colour": 1}}}"#)).problems
        #expect(bad.count == 2)
        #expect(bad[0].contains("retentionDays"))
    }
}
