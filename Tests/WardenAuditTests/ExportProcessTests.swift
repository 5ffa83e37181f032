#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Testing
import WardenJSON
@testable import WardenAudit
@testable import WardenExport

/// `Scripts/otlp-receiver.py`: a real OTLP/HTTP receiver on loopback that decodes what arrives
/// with PyPI's opentelemetry-proto and writes it down, one JSON line per request.
final class OTLPReceiver {
    static let script: String = {
        var parts = URL(fileURLWithPath: #filePath).pathComponents
        parts.removeLast(3)  // Tests/WardenAuditTests/this file
        return NSString.path(withComponents: parts + ["Scripts", "otlp-receiver.py"])
    }()

    /// Whether python3 can import opentelemetry-proto.
    static let isAvailable: Bool = {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let pid = spawn(
            ["/usr/bin/env", "python3", "-c", "import opentelemetry.proto.collector.logs.v1.logs_service_pb2, google.protobuf.json_format"],
            stdout: dir.path + "/out", stderr: dir.path + "/err")
        return waitFor(pid) == 0
    }()

    static var isRequired: Bool { ProcessInfo.processInfo.environment["WARDEN_E2E_REQUIRED"] == "1" }

    /// The tests run where the receiver can, and fail (rather than skip) where it must.
    static var shouldRun: Bool { isAvailable || isRequired }

    struct Unavailable: Error, CustomStringConvertible {
        var description: String {
            "python3 cannot import opentelemetry-proto (PyPI), which the OTLP receiver needs: run Scripts/install-deps.sh — required, as WARDEN_E2E_REQUIRED=1"
        }
    }

    struct DidNotStart: Error, CustomStringConvertible {
        let description: String
    }

    let pid: pid_t
    let port: Int
    let out: String
    /// "https" when started with --tls-cert.
    let scheme: String
    private var stopped = false

    private init(pid: pid_t, port: Int, out: String, scheme: String) {
        self.pid = pid
        self.port = port
        self.out = out
        self.scheme = scheme
    }

    /// Starts the receiver writing to `out`; `port` 0 takes a free one.
    static func start(out: String, port: Int = 0, options: [String] = []) async throws -> OTLPReceiver {
        guard isAvailable else { throw Unavailable() }
        let stdout = out + ".stdout"
        let stderr = out + ".stderr"
        unlink(stdout)
        let pid = spawn(["/usr/bin/env", "python3", script, "--port", String(port), "--out", out] + options, stdout: stdout, stderr: stderr)
        // Up to 20 s for Python to start and print its port: a bound, not a measurement.
        for _ in 0..<400 {
            if let line = readText(stdout).split(separator: "\n").first(where: { $0.hasPrefix("listening ") }), let number = Int(line.dropFirst(10)) {
                return OTLPReceiver(pid: pid, port: number, out: out, scheme: options.contains("--tls-cert") ? "https" : "http")
            }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                throw DidNotStart(description: "the OTLP receiver exited: " + readText(stderr))
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        kill(pid, SIGKILL)
        _ = await waitForExit(pid)
        throw DidNotStart(description: "the OTLP receiver did not print its port in 20 s")
    }

    var endpoint: String { "\(scheme)://127.0.0.1:\(port)" }
    var url: String { endpoint + "/v1/logs" }

    func stop() {
        guard !stopped else { return }
        stopped = true
        kill(pid, SIGTERM)
        _ = waitFor(pid)
    }

    deinit { stop() }

    /// Every request received so far, as the receiver wrote it down.
    func requests() throws -> [JSONValue] {
        try readLines(out).map { try JSONValue.parse($0) }
    }

    /// The `warden.seq` of every record in the requests it accepted, in arrival order.
    func acceptedSeqs() throws -> [Int] {
        try requests().filter { $0["status"]?.integer == 200 }.flatMap { $0["records"]?.array ?? [] }.map { record in
            try #require(record["attributes"]?["warden.seq"]?.integer)
        }
    }
}

/// A decision log, a policy whose `warden.export.otlp` points at a receiver, and `warden log
/// export` run on them as a process.
struct ExportFixture {
    let dir = TemporaryDirectory()
    let log: AuditLog
    var policy: String { dir.path + "/policy.json" }
    var cursorPath: String { ExportCursor.path(in: log.directory) }

    init(records: Int) {
        log = AuditLog(directory: dir.path + "/log")
        append(1...max(records, 1), only: records > 0)
    }

    func append(_ range: ClosedRange<Int>, only: Bool = true) {
        guard only else { return }
        for i in range {
            let deny = i % 3 == 0
            let record = makeRecord(
                i, session: "session-\(i / 4)", decision: deny ? .deny : .allow, rules: deny ? ["Bash(curl:*)"] : [],
                redactions: i % 5 == 0 ? ["EMAIL": 1] : [:], time: AuditTime(milliseconds: 1_793_000_000_000 + Int64(i) * 1000))
            precondition(log.append(record) == nil)
        }
    }

    /// A policy exporting to `endpoint`; `settings` are more keys of warden.export.otlp, as JSON
    /// text (3 attempts and a 5 s timeout unless given).
    func writePolicy(endpoint: String, _ settings: KeyValuePairs<String, String> = [:]) {
        var members = ["maxAttempts": "3", "timeoutSeconds": "5"]
        for (key, value) in settings { members[key] = value }
        let rest = members.sorted { $0.key < $1.key }.map { ", \"\($0.key)\": \($0.value)" }.joined()
        writeLines([#"{"warden": {"export": {"otlp": {"endpoint": "\#(endpoint)"\#(rest)}}}}"#], to: policy)
    }

    func export(_ arguments: [String] = [], environment: [String: String] = [:]) async -> (status: Int32, out: String, err: String) {
        await runCLI(["log", "export", "--policy", policy, "--log-dir", log.directory, "--retry-base-ms", "10"] + arguments, environment: environment)
    }

    func records() throws -> [AuditRecord] { try log.records().get().records }

    func cursor() -> ExportCursor? { try? ExportCursor.read(directory: log.directory).get() }

    func remove() { dir.remove() }
}

/// One at a time: each starts a Python receiver and `warden` processes, and a dozen at once would
/// add to the load on 2 cores beside the hook's timing-sensitive process tests.
@Suite(.serialized, .enabled(if: OTLPReceiver.shouldRun, "python3 cannot import opentelemetry-proto: run Scripts/install-deps.sh"))
struct ExportProcessTests {
    @Test func everyRecordArrivesOnceInBatchesDecodedByOpenTelemetryProto() async throws {
        let fixture = ExportFixture(records: 10)
        defer { fixture.remove() }
        let receiver = try await OTLPReceiver.start(out: fixture.dir.path + "/received.jsonl")
        defer { receiver.stop() }
        fixture.writePolicy(endpoint: receiver.endpoint, ["batchSize": "4", "headersFromEnvironment": #"{"Authorization": "WARDEN_TEST_OTLP_AUTH"}"#])
        let token = "Bearer t0ken-for-the-test"
        let run = await fixture.export(environment: ["WARDEN_TEST_OTLP_AUTH": token])
        #expect(run.status == 0, "\(run.err)")
        #expect(run.out == "sent 10 records in 3 requests to \(receiver.url); the cursor is at seq 10\n")
        #expect(run.err == "")

        let requests = try receiver.requests()
        #expect(requests.map { $0["status"]?.integer } == [200, 200, 200])
        #expect(requests.allSatisfy { $0["error"] == nil }, "\(requests.compactMap { $0["error"]?.string })")
        #expect(requests.map { $0["records"]?.array?.count } == [4, 4, 2])
        #expect(requests.allSatisfy { $0["path"]?.string == "/v1/logs" && $0["contentType"]?.string == "application/json" })
        #expect(requests.allSatisfy { $0["authorization"]?.string == token })
        #expect(!(run.out + run.err).contains("t0ken"))
        #expect(try receiver.acceptedSeqs() == Array(1...10))

        // What arrived is the log, field by field.
        let records = try fixture.records()
        let first = try #require(requests.first)
        #expect(first["resource"]?["service.name"]?.string == "warden")
        #expect(first["resource"]?["host.name"]?.string == AuditOrigin.current().host)
        #expect(first["resource"]?["service.version"]?.string?.isEmpty == false)
        #expect(first["scope"]?["name"]?.string == "warden.decision-log")
        let arrived = requests.flatMap { $0["records"]?.array ?? [] }
        for (record, log) in zip(records, arrived) {
            let attributes = try #require(log["attributes"])
            #expect(attributes["warden.record.hash"]?.string == record.hash)
            #expect(attributes["warden.record.prev"]?.string == record.prev)
            #expect(attributes["warden.decision"]?.string == record.decision.rawValue)
            #expect(attributes["warden.tool"]?.string == "Bash")
            #expect(attributes["session.id"]?.string == record.session)
            #expect(attributes["user.name"]?.string == "alice")
            #expect(log["timeUnixNano"]?.integer == Int(record.time.milliseconds) * 1_000_000)
            #expect(log["severityNumber"]?.integer == (record.decision == .deny ? 13 : 9))
            #expect(log["body"]?.string == "\(record.decision.rawValue) Bash")
            if record.decision == .deny {
                #expect(attributes["warden.rules"]?.array?.map(\.string) == ["Bash(curl:*)"])
            }
            if record.seq % 5 == 0 {
                #expect(attributes["warden.redactions.EMAIL"]?.integer == 1)
            }
        }

        let cursor = try #require(fixture.cursor())
        #expect(cursor.seq == 10 && cursor.hash == records[9].hash && cursor.endpoint == receiver.url)

        // Caught up: nothing is sent again.
        let again = await fixture.export(environment: ["WARDEN_TEST_OTLP_AUTH": token])
        #expect(again.status == 0)
        #expect(again.out == "nothing to send to \(receiver.url): the cursor is at seq 10\n")
        #expect(try receiver.requests().count == 3)
    }

    @Test func aCollectorThatIsDownLeavesTheCursorAndGetsTheRestWhenBack() async throws {
        let fixture = ExportFixture(records: 6)
        defer { fixture.remove() }
        let out = fixture.dir.path + "/received.jsonl"
        var receiver = try await OTLPReceiver.start(out: out)
        fixture.writePolicy(endpoint: receiver.endpoint, ["batchSize": "4", "maxAttempts": "2"])
        #expect(await fixture.export().status == 0)
        fixture.append(7...11)

        receiver.stop()
        let before = AuditLog.readFile(fixture.cursorPath, from: 0)
        let down = await fixture.export()
        #expect(down.status == 1)
        #expect(down.out == "")
        #expect(down.err == "warden: export to \(receiver.url) failed: no acknowledgement after 2 attempts: connection refused; the cursor stays at seq 6\n")
        #expect(AuditLog.readFile(fixture.cursorPath, from: 0) == before)

        receiver = try await OTLPReceiver.start(out: out, port: receiver.port)
        defer { receiver.stop() }
        let back = await fixture.export()
        #expect(back.status == 0, "\(back.err)")
        #expect(back.out == "sent 5 records in 2 requests to \(receiver.url); the cursor is at seq 11\n")
        #expect(try receiver.acceptedSeqs() == Array(1...11))
    }

    @Test func busyAnswersAreTriedAgainWithinOneRun() async throws {
        let fixture = ExportFixture(records: 5)
        defer { fixture.remove() }
        let receiver = try await OTLPReceiver.start(out: fixture.dir.path + "/received.jsonl", options: ["--fail-first", "2", "--retry-after", "1"])
        defer { receiver.stop() }
        fixture.writePolicy(endpoint: receiver.endpoint)
        let run = await fixture.export(["--verbose"])
        #expect(run.status == 0, "\(run.err)")
        #expect(run.out == "sent 5 records in 1 request to \(receiver.url); the cursor is at seq 5\n")
        // Retry-After: 1 is honoured, and each retry is said with --verbose.
        #expect(run.err == """
            warden: \(receiver.url): HTTP 503 Service Unavailable (failing on purpose) (attempt 1 of 3); trying again in 1.0 s
            warden: \(receiver.url): HTTP 503 Service Unavailable (failing on purpose) (attempt 2 of 3); trying again in 1.0 s

            """)
        #expect(try receiver.requests().map { $0["status"]?.integer } == [503, 503, 200])
        #expect(try receiver.acceptedSeqs() == Array(1...5))
    }

    @Test func aCollectorThatStaysBusyFailsTheRunAfterMaxAttempts() async throws {
        let fixture = ExportFixture(records: 2)
        defer { fixture.remove() }
        let receiver = try await OTLPReceiver.start(out: fixture.dir.path + "/received.jsonl", options: ["--fail-first", "100", "--fail-status", "429"])
        defer { receiver.stop() }
        fixture.writePolicy(endpoint: receiver.endpoint)
        let run = await fixture.export()
        #expect(run.status == 1)
        #expect(run.err == "warden: export to \(receiver.url) failed: no acknowledgement after 3 attempts: HTTP 429 Too Many Requests (failing on purpose); the cursor stays at the start (nothing acknowledged yet)\n")
        #expect(try receiver.requests().count == 3)
        #expect(fixture.cursor() == nil)
    }

    @Test func aCollectorThatNeverAnswersTimesOut() async throws {
        let fixture = ExportFixture(records: 2)
        defer { fixture.remove() }
        let receiver = try await OTLPReceiver.start(out: fixture.dir.path + "/received.jsonl", options: ["--hang"])
        defer { receiver.stop() }
        fixture.writePolicy(endpoint: receiver.endpoint, ["timeoutSeconds": "1", "maxAttempts": "1"])
        let run = await fixture.export()
        #expect(run.status == 1)
        // The whole-request deadline or the read timeout, whichever the loaded machine fires first.
        let expected = ["no answer in time", "no answer in time (read timed out)"].map {
            "warden: export to \(receiver.url) failed: no acknowledgement after 1 attempt: \($0); the cursor stays at the start (nothing acknowledged yet)\n"
        }
        #expect(expected.contains(run.err), "\(run.err)")
        #expect(fixture.cursor() == nil)
    }

    @Test func aRejectionIsFinalAndTheCursorStays() async throws {
        let fixture = ExportFixture(records: 3)
        defer { fixture.remove() }
        let receiver = try await OTLPReceiver.start(out: fixture.dir.path + "/received.jsonl", options: ["--status", "400"])
        defer { receiver.stop() }
        fixture.writePolicy(endpoint: receiver.endpoint, ["headers": #"{"Authorization": "Bearer s3cret-in-policy"}"#])
        let run = await fixture.export()
        #expect(run.status == 1)
        #expect(run.err == "warden: export to \(receiver.url) failed: HTTP 400 Bad Request (refused on purpose); the cursor stays at the start (nothing acknowledged yet)\n")
        #expect(!run.err.contains("s3cret"))
        #expect(try receiver.requests().count == 1)
        #expect(access(fixture.cursorPath, F_OK) != 0)
    }

    @Test func aLaterExportSendsOnlyWhatWasAppended() async throws {
        let fixture = ExportFixture(records: 3)
        defer { fixture.remove() }
        let receiver = try await OTLPReceiver.start(out: fixture.dir.path + "/received.jsonl")
        defer { receiver.stop() }
        fixture.writePolicy(endpoint: receiver.endpoint)
        #expect(await fixture.export().out == "sent 3 records in 1 request to \(receiver.url); the cursor is at seq 3\n")
        fixture.append(4...7)
        let second = await fixture.export()
        #expect(second.status == 0)
        #expect(second.out == "sent 4 records in 1 request to \(receiver.url); the cursor is at seq 7\n")
        let requests = try receiver.requests()
        #expect(requests.count == 2)
        #expect(requests[1]["records"]?.array?.compactMap { $0["attributes"]?["warden.seq"]?.integer } == [4, 5, 6, 7])
        #expect(try receiver.acceptedSeqs() == Array(1...7))
    }

    @Test func partialSuccessIsReportedAndTheCursorMoves() async throws {
        let fixture = ExportFixture(records: 3)
        defer { fixture.remove() }
        let receiver = try await OTLPReceiver.start(out: fixture.dir.path + "/received.jsonl", options: ["--reject", "1"])
        defer { receiver.stop() }
        fixture.writePolicy(endpoint: receiver.endpoint)
        let run = await fixture.export()
        #expect(run.status == 0)
        #expect(run.err == "warden: the collector at \(receiver.url) accepted the batch up to seq 3 but rejected 1 of its 3 records: rejected on purpose\n")
        #expect(fixture.cursor()?.seq == 3)
    }

    @Test func aReplacedLogIsSentAgainFromItsStartAndSaidSo() async throws {
        let fixture = ExportFixture(records: 5)
        defer { fixture.remove() }
        let receiver = try await OTLPReceiver.start(out: fixture.dir.path + "/received.jsonl")
        defer { receiver.stop() }
        fixture.writePolicy(endpoint: receiver.endpoint)
        #expect(await fixture.export().status == 0)
        // The log is deleted and a new one begins; the cursor stays behind.
        for segment in try fixture.log.segments().get() { unlink(segment.path) }
        unlink(fixture.log.headPath)
        for i in 1...2 { #expect(fixture.log.append(makeRecord(50 + i, session: "new")) == nil) }
        let run = await fixture.export()
        #expect(run.status == 0)
        #expect(run.err == "warden: the export cursor does not match the log in \(fixture.log.directory): the log ends at seq 2, before the cursor's seq 5; the log was replaced or rewritten, so every record kept is sent again from seq 1 (a collector can drop repeats by warden.record.hash)\n")
        #expect(run.out == "sent 2 records in 1 request to \(receiver.url); the cursor is at seq 2\n")
        let sessions = try receiver.requests().last?["records"]?.array?.compactMap { $0["attributes"]?["session.id"]?.string }
        #expect(sessions == ["new", "new"])
    }

    @Test func doctorReportsWhereTheExportStands() async throws {
        let fixture = ExportFixture(records: 3)
        defer { fixture.remove() }
        let receiver = try await OTLPReceiver.start(out: fixture.dir.path + "/received.jsonl")
        defer { receiver.stop() }
        fixture.writePolicy(endpoint: receiver.endpoint, ["headersFromEnvironment": #"{"Authorization": "WARDEN_TEST_UNSET_VARIABLE"}"#])
        let before = await runCLI(["doctor", "--log-only", "--policy", fixture.policy, "--log-dir", fixture.log.directory])
        #expect(before.out.contains("ok    export: to \(receiver.url); nothing acknowledged yet, 3 records to send; $WARDEN_TEST_UNSET_VARIABLE not set here (headersFromEnvironment)\n"), "\(before.out)")
        #expect(await fixture.export(environment: ["WARDEN_TEST_UNSET_VARIABLE": "x"]).status == 0)
        fixture.append(4...5)
        let after = await runCLI(["doctor", "--log-only", "--policy", fixture.policy, "--log-dir", fixture.log.directory], environment: ["WARDEN_TEST_UNSET_VARIABLE": "x"])
        #expect(after.status == 0, "\(after.out)")
        let cursor = try #require(fixture.cursor())
        #expect(after.out.contains("ok    export: to \(receiver.url); cursor at seq 3 (acknowledged \(cursor.time.rfc3339)), 2 records to send\n"), "\(after.out)")
        writeLines([#"{"warden": {}}"#], to: fixture.policy)
        #expect(await runCLI(["doctor", "--log-only", "--policy", fixture.policy, "--log-dir", fixture.log.directory]).out.contains("ok    export: not configured (warden.export.otlp)\n"))
    }

    @Test func followSendsWhatHooksAppendUntilStopped() async throws {
        let fixture = ExportFixture(records: 2)
        defer { fixture.remove() }
        let receiver = try await OTLPReceiver.start(out: fixture.dir.path + "/received.jsonl")
        defer { receiver.stop() }
        fixture.writePolicy(endpoint: receiver.endpoint)
        let pid = spawn(
            [productsDirectory() + "/warden", "log", "export", "--follow", "--interval", "1", "--policy", fixture.policy, "--log-dir", fixture.log.directory],
            stdout: fixture.dir.path + "/follow.out", stderr: fixture.dir.path + "/follow.err")
        defer {
            kill(pid, SIGTERM)
            _ = waitFor(pid)
        }
        func waitForSeqs(_ count: Int) async throws -> [Int] {
            for _ in 0..<300 {  // up to 30 s: a bound, not a measurement
                let seqs = try receiver.acceptedSeqs()
                if seqs.count >= count { return seqs }
                try await Task.sleep(for: .milliseconds(100))
            }
            return try receiver.acceptedSeqs()
        }
        #expect(try await waitForSeqs(2) == [1, 2])
        // A second export of the same log is refused while this one runs.
        let second = await fixture.export()
        #expect(second.status == 1)
        #expect(second.err == "warden: another 'warden log export' is sending \(fixture.log.directory) (\(fixture.log.directory)/export.lock is locked)\n")
        fixture.append(3...6)
        #expect(try await waitForSeqs(6) == Array(1...6))
    }

    @Test func settingsProblemsStopTheExportWithTheirPlace() async throws {
        let fixture = ExportFixture(records: 1)
        defer { fixture.remove() }
        writeLines([#"{"warden": {"export": {"otlp": {"endpoint": "http://127.0.0.1:9", "batchSize": 0}}}}"#], to: fixture.policy)
        let bad = await fixture.export()
        #expect(bad.status == 2)
        #expect(bad.err == "warden: \(fixture.policy):1:80: warden.export.otlp.batchSize must be a whole number of records from 1 to 10000\n")
        writeLines([#"{"warden": {}}"#], to: fixture.policy)
        let none = await fixture.export()
        #expect(none.status == 2)
        #expect(none.err == "warden: no export configured: set warden.export.otlp.endpoint in \(fixture.policy), or give --endpoint\n")
        let endpoint = await fixture.export(["--endpoint", "ftp://x"])
        #expect(endpoint.status == 64)
        #expect(endpoint.err == "warden: --endpoint: expected an http:// or https:// URL, got \"ftp://x\"\n")
        let both = await fixture.export(["--once", "--follow"])
        #expect(both.status == 64)
        #expect(both.err == "warden: --once and --follow: give one of them\n")
        writeLines([#"{"warden": {"export": {"otlp": {"endpoint": "http://127.0.0.1:9", "headersFromEnvironment": {"Authorization": "WARDEN_TEST_NOT_SET"}}}}}"#], to: fixture.policy)
        let unset = await fixture.export()
        #expect(unset.status == 2)
        #expect(unset.err == "warden: warden.export.otlp.headersFromEnvironment: header Authorization takes its value from $WARDEN_TEST_NOT_SET, which is not set\n")
    }
}
