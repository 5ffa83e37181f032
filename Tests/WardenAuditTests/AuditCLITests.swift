#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Testing
import WardenJSON
@testable import WardenAudit
@testable import warden

/// The CLI executable: `audit-cli` here, `warden` in the project (and `@testable import warden`).
let cliExecutable = "warden"

/// Runs the built `warden`, returning status, stdout, stderr; `environment` is added to this
/// process's own.
func runCLI(_ arguments: [String], environment: [String: String] = [:]) -> (status: Int32, out: String, err: String) {
    let dir = TemporaryDirectory()
    defer { dir.remove() }
    let pid = spawn([productsDirectory() + "/" + cliExecutable] + arguments, stdout: dir.path + "/out", stderr: dir.path + "/err", environment: environment)
    return (waitFor(pid), readText(dir.path + "/out"), readText(dir.path + "/err"))
}

/// The same for async tests, without holding one of the test runner's few threads while
/// `warden` runs: process tests that take seconds would slow every test that awaits.
func runCLI(_ arguments: [String], environment: [String: String] = [:]) async -> (status: Int32, out: String, err: String) {
    let dir = TemporaryDirectory()
    defer { dir.remove() }
    let pid = spawn([productsDirectory() + "/" + cliExecutable] + arguments, stdout: dir.path + "/out", stderr: dir.path + "/err", environment: environment)
    return (await waitForExit(pid), readText(dir.path + "/out"), readText(dir.path + "/err"))
}

@Suite struct AuditCLITests {
    @Test func badInputIsOneLineAndExit64() {
        let since = runCLI(["log", "--log-dir", "/nonexistent", "--since", "yesterdayish"])
        #expect(since.status == 64)
        #expect(since.err == "warden: --since: expected a date like 2026-11-01, a time like 2026-11-01T09:30:00Z or a duration like 7d, got \"yesterdayish\"\n")
        let decision = runCLI(["log", "--log-dir", "/nonexistent", "--decision", "maybe"])
        #expect(decision.status == 64)
        #expect(decision.err.hasPrefix("warden: --decision: expected one of allow"))
        let format = runCLI(["report", "--log-dir", "/nonexistent", "--format", "pdf"])
        #expect(format.status == 64)
        #expect(format.err == "warden: --format: expected text, json or html, got \"pdf\"\n")
        let unknown = runCLI(["log", "--colour"])
        #expect(unknown.status == 64)
        #expect(unknown.err.split(separator: "\n").count == 1)
        #expect(unknown.err.contains("--colour"))
    }

    @Test func logVerifyReportAndDoctorOnARealLog() throws {
        let (dir, log) = makeLog(30, segmentBytes: 3000)
        defer { dir.remove() }
        let verify = runCLI(["log", "verify", "--log-dir", log.directory])
        #expect(verify.status == 0)
        #expect(verify.out.hasPrefix("ok: 30 records, seq 1–30"))
        let json = runCLI(["log", "--log-dir", log.directory, "--json", "--limit", "3"])
        #expect(json.status == 0)
        let lines = json.out.split(separator: "\n")
        #expect(lines.count == 3)
        #expect(try AuditRecord(line: String(lines[2])).seq == 30)
        let table = runCLI(["log", "--log-dir", log.directory, "--limit", "2"])
        #expect(table.out.hasPrefix("TIME (UTC)"))
        #expect(table.out.split(separator: "\n").count == 3)
        let doctor = runCLI(["doctor", "--log-only", "--log-dir", log.directory, "--policy", "/dev/null/none"])
        #expect(doctor.status == 1)  // the policy named cannot be read
        #expect(doctor.out.contains("FAIL  policy:"))
        #expect(doctor.out.contains("ok    chain: 30 records"))

        // Tamper: the doctor and verify both name the record.
        let path = log.segmentPath(2)
        var records = readLines(path)
        records.swapAt(0, 1)
        writeLines(records, to: path)
        let broken = runCLI(["log", "verify", "--log-dir", log.directory])
        #expect(broken.status == 1)
        #expect(broken.out.hasPrefix(path + ":1: records seq"))
        #expect(broken.out.contains("are swapped"))
    }

    @Test func theHTMLReportIsSelfContainedAndHasTheNumbers() {
        let report = AuditReport(records: sampleRecords())
        let html = ReportHTML.render(report, directory: "/var/log/warden", top: 10)
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.hasSuffix("</html>\n"))
        #expect(html.components(separatedBy: "<svg").count - 1 >= 4)
        #expect(html.components(separatedBy: "<svg").count == html.components(separatedBy: "</svg>").count)
        #expect(!html.contains("<script"))
        #expect(!html.contains("http://") && !html.contains("https://"))
        #expect(html.contains(">7</div><div class=\"l\">decisions"))
        #expect(html.contains("Bash(curl:*)"))
        #expect(html.contains(">EMAIL</text>"))
        for tag in ["section", "table", "svg", "main", "tr"] {
            #expect(html.components(separatedBy: "<\(tag)").count == html.components(separatedBy: "</\(tag)>").count, "<\(tag)> unbalanced")
        }
    }

    @Test func theHTMLReportEscapesWhatItShows() {
        var records = sampleRecords()
        records[1].rules = ["Bash(<script>alert(1)</script>)"]
        records[1].user = "a&b"
        let html = ReportHTML.render(AuditReport(records: records), directory: "/x", top: 10)
        #expect(!html.contains("<script>"))
        #expect(html.contains("&lt;script&gt;"))
    }

    @Test func textAndJSONReportsCarryTheSameNumbers() throws {
        let report = AuditReport(records: sampleRecords())
        let text = ReportText.render(report, directory: "/x", top: 10)
        #expect(text.contains("7 decisions in 2 sessions"))
        #expect(text.contains("Bash(curl:*)"))
        let json = try JSONValue.parse(ReportJSON.render(report, directory: "/x", top: 10).serialized)
        #expect(json["total"]?.integer == 7)
        #expect(json["decisions"]?["deny"]?.integer == 3)
        #expect(json["topDeniedRules"]?.array?.first?["rule"]?.string == "Bash(curl:*)")
        #expect(json["redactions"]?.array?.first?["count"]?.integer == 3)
    }

    @Test func momentsParse() throws {
        let now = AuditTime(rfc3339: "2026-11-20T12:00:00Z")!
        #expect(try Moment.parse("7d", option: "--since", now: now) == AuditTime(rfc3339: "2026-11-13T12:00:00Z"))
        #expect(try Moment.parse("90m", option: "--since", now: now) == AuditTime(rfc3339: "2026-11-20T10:30:00Z"))
        #expect(try Moment.parse("2026-11-01", option: "--since", now: now) == AuditTime(rfc3339: "2026-11-01T00:00:00Z"))
        #expect(throws: UsageError.self) { try Moment.parse("7x", option: "--until", now: now) }
    }
}
