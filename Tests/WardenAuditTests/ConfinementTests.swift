import Testing
@testable import WardenAudit

@Suite("Where a hook record's session ran: the confinement field")
struct ConfinementRecordTests {
    func records() -> [AuditRecord] {
        var inside = sampleRecords()[0]
        inside.confinement = "warden-run-42"
        var outside = sampleRecords()[1]
        outside.confinement = "outside"
        return [inside, outside, sampleRecords()[4]]
    }

    @Test("written between latencyUs and prev only when set; old records keep their bytes")
    func encoding() throws {
        let plain = sampleRecords()[0]
        #expect(!plain.line().contains("confinement"))
        var marked = plain
        marked.confinement = "outside"
        #expect(marked.line().contains(#""latencyUs":100,"confinement":"outside","prev":"#))
        #expect(try AuditRecord(line: marked.line()).confinement == "outside")
        #expect(try AuditRecord(line: plain.line()).confinement == nil)
    }

    @Test("warden log --confinement: outside, or sandbox for any run's channel")
    func query() {
        var query = AuditQuery()
        query.confinements = ["outside"]
        #expect(query.apply(records()).map(\.confinement) == ["outside"])
        query.confinements = ["sandbox"]
        #expect(query.apply(records()).map(\.confinement) == ["warden-run-42"])
        query.confinements = []
        #expect(query.apply(records()).count == 3)
    }

    @Test("the report marks a session a hook found outside the sandbox")
    func report() {
        let report = AuditReport(records: records(), top: 10)
        #expect(report.sessions.first { $0.id == "bbbb-2222" }?.outsideSandbox == false)
        #expect(report.sessions.first { $0.id == "aaaa-1111" }?.outsideSandbox == true)
    }
}
