#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
import WardenJSON
@testable import WardenAudit
@testable import WardenExport

/// The pure parts of `warden log export`: the OTLP/JSON mapping, batches, settings, the cursor,
/// the reader, retry timing. The process tests (ExportProcessTests) send to a real receiver.
@Suite struct OTLPEncodingTests {
    static let resource = OTLPResource(serviceVersion: "9.9.9", hostName: "exporter-host")
    static let observed = AuditTime(milliseconds: 1_793_000_005_000)

    func sealed(_ record: AuditRecord, seq: Int = 7) -> AuditRecord {
        var record = record
        _ = AuditChain.seal(&record, seq: seq, prev: AuditChain.genesis)
        return record
    }

    func attributes(_ value: JSONValue?) -> [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        for pair in value?.array ?? [] {
            let key = pair["key"]!.string!
            #expect(out[key] == nil, "attribute \(key) twice")
            out[key] = pair["value"]
        }
        return out
    }

    @Test func aRecordIsOneLogRecordWithStableAttributeNames() throws {
        let record = sealed(makeRecord(
            1, decision: .deny, rules: ["Bash(curl:*)", "Bash(wget:*)"], reason: "Warden denied this",
            redactions: ["EMAIL": 2, "AWS_ACCESS_KEY": 1]))
        let body = OTLPLogs.request(records: [record], resource: Self.resource, observedAt: Self.observed)
        let json = try JSONValue.parse(body)
        #expect(json.members?.map(\.key) == ["resourceLogs"])
        let resourceLogs = try #require(json["resourceLogs"]?.array?.first)
        let resource = attributes(resourceLogs["resource"]?["attributes"])
        #expect(resource["service.name"]?["stringValue"]?.string == "warden")
        #expect(resource["service.version"]?["stringValue"]?.string == "9.9.9")
        #expect(resource["host.name"]?["stringValue"]?.string == "exporter-host")
        let scopeLogs = try #require(resourceLogs["scopeLogs"]?.array?.first)
        #expect(scopeLogs["scope"]?["name"]?.string == "warden.decision-log")
        #expect(scopeLogs["scope"]?["version"]?.string == "9.9.9")
        let logRecords = try #require(scopeLogs["logRecords"]?.array)
        #expect(logRecords.count == 1)
        let log = logRecords[0]
        #expect(log.members?.map(\.key) == ["timeUnixNano", "observedTimeUnixNano", "severityNumber", "severityText", "body", "attributes"])
        // 64-bit integers are JSON strings; the enum a number.
        #expect(log["timeUnixNano"]?.string == "1793000000000000000")
        #expect(log["observedTimeUnixNano"]?.string == "1793000005000000000")
        #expect(log["severityNumber"]?.integer == 13)
        #expect(log["severityText"]?.string == "WARN")
        #expect(log["body"]?["stringValue"]?.string == "deny Bash")
        let attributes = attributes(log["attributes"])
        #expect(Set(attributes.keys) == [
            "warden.decision", "warden.event", "warden.tool", "warden.rules", "warden.reason", "warden.subject",
            "warden.redactions.AWS_ACCESS_KEY", "warden.redactions.EMAIL", "warden.policy.hash", "warden.latency_us",
            "warden.seq", "warden.record.hash", "warden.record.prev", "session.id", "user.name", "user.id", "host.name",
        ])
        #expect(attributes["warden.decision"]?["stringValue"]?.string == "deny")
        #expect(attributes["warden.event"]?["stringValue"]?.string == "PreToolUse")
        #expect(attributes["warden.rules"]?["arrayValue"]?["values"]?.array?.compactMap { $0["stringValue"]?.string } == ["Bash(curl:*)", "Bash(wget:*)"])
        #expect(attributes["warden.redactions.EMAIL"]?["intValue"]?.string == "2")
        #expect(attributes["warden.latency_us"]?["intValue"]?.string == "101")
        #expect(attributes["warden.seq"]?["intValue"]?.string == "7")
        #expect(attributes["warden.record.hash"]?["stringValue"]?.string == record.hash)
        #expect(attributes["warden.record.prev"]?["stringValue"]?.string == AuditChain.genesis)
        #expect(attributes["warden.policy.hash"]?["stringValue"]?.string == "sha256:abc")
        #expect(attributes["session.id"]?["stringValue"]?.string == "s1")
        #expect(attributes["user.name"]?["stringValue"]?.string == "alice")
        #expect(attributes["user.id"]?["stringValue"]?.string == "1000")
        #expect(attributes["host.name"]?["stringValue"]?.string == "host")
        #expect(attributes["warden.subject"]?["stringValue"]?.string == "cmd 1")
        // Field names are lowerCamelCase, as OTLP/JSON requires.
        for key in ["resource_logs", "scope_logs", "log_records", "time_unix_nano", "severity_number", "string_value", "int_value"] {
            #expect(!body.contains("\"\(key)\""))
        }
    }

    @Test func optionalFieldsAreLeftOutAndAPromptIsNamedByItsEvent() throws {
        var record = makeRecord(2, event: "UserPromptSubmit", tool: nil, decision: .block)
        record.reason = nil
        record.subject = nil
        record.policy = nil
        let json = try JSONValue.parse(OTLPLogs.logRecord(sealed(record), observedAt: Self.observed))
        #expect(json["body"]?["stringValue"]?.string == "block UserPromptSubmit")
        let keys = Set(attributes(json["attributes"]).keys)
        for absent in ["warden.tool", "warden.rules", "warden.reason", "warden.subject", "warden.policy.hash"] {
            #expect(!keys.contains(absent), "\(absent)")
        }
        #expect(!keys.contains { $0.hasPrefix("warden.redactions.") })
    }

    @Test func severityFollowsTheDecision() {
        let expected: [AuditDecision: (Int, String)] = [
            .allow: (9, "INFO"), .none: (9, "INFO"), .ask: (10, "INFO2"), .redact: (10, "INFO2"), .deny: (13, "WARN"), .block: (13, "WARN"),
        ]
        for decision in AuditDecision.allCases {
            let severity = OTLPLogs.severity(of: decision)
            #expect(severity.number == expected[decision]!.0 && severity.text == expected[decision]!.1, "\(decision)")
        }
    }

    @Test func textIsEscapedAsJSON() throws {
        var record = makeRecord(3)
        record.subject = "echo \"a\"\nb\\c\u{1}"
        let json = try JSONValue.parse(OTLPLogs.logRecord(sealed(record), observedAt: Self.observed))
        #expect(attributes(json["attributes"])["warden.subject"]?["stringValue"]?.string == "echo \"a\"\nb\\c\u{1}")
    }

    @Test func batchesHoldBatchSizeRecordsInOrder() throws {
        let records = (1...10).map { sealed(makeRecord($0), seq: $0) }
        let batches = OTLPLogs.batches(records, batchSize: 4, resource: Self.resource, observedAt: Self.observed)
        #expect(batches.map(\.records.count) == [4, 4, 2])
        #expect(batches.flatMap(\.records).map(\.seq) == Array(1...10))
        for batch in batches {
            let json = try JSONValue.parse(batch.body)
            let logs = json["resourceLogs"]?.array?.first?["scopeLogs"]?.array?.first?["logRecords"]?.array
            #expect(logs?.count == batch.records.count)
            let seqs = logs?.map { attributes($0["attributes"])["warden.seq"]?["intValue"]?.string }
            #expect(seqs == batch.records.map { String($0.seq) })
        }
        #expect(OTLPLogs.batches(records, batchSize: 10, resource: Self.resource, observedAt: Self.observed).count == 1)
        #expect(OTLPLogs.batches(records, batchSize: 1, resource: Self.resource, observedAt: Self.observed).count == 10)
        #expect(OTLPLogs.batches([], batchSize: 4, resource: Self.resource, observedAt: Self.observed).isEmpty)
    }

    @Test func aBatchIsClosedBeforeItPassesTheByteLimitButOneBigRecordStillGoes() throws {
        let records = (1...6).map { sealed(makeRecord($0), seq: $0) }
        let one = OTLPLogs.request(records: [records[0]], resource: Self.resource, observedAt: Self.observed).utf8.count
        // Room for two records a request, not three.
        let limit = one * 2
        let batches = OTLPLogs.batches(records, batchSize: 100, resource: Self.resource, observedAt: Self.observed, maximumBytes: limit)
        #expect(batches.map(\.records.count) == [2, 2, 2])
        #expect(batches.allSatisfy { $0.body.utf8.count <= limit })
        let tiny = OTLPLogs.batches(records, batchSize: 100, resource: Self.resource, observedAt: Self.observed, maximumBytes: 10)
        #expect(tiny.map(\.records.count) == [1, 1, 1, 1, 1, 1])
    }
}

@Suite struct ExportSettingsTests {
    func read(_ text: String) throws -> (settings: ExportSettings, problems: [String]) {
        ExportSettings.read(policy: try JSONValue.parse(text))
    }

    @Test func readsEveryKey() throws {
        let (settings, problems) = try read("""
            {"warden": {"export": {"otlp": {"endpoint": "https://collector.example:4318", "headers": {"X-Scope-OrgID": "fleet"},
              "headersFromEnvironment": {"Authorization": "WARDEN_OTLP_AUTH"}, "batchSize": 100, "timeoutSeconds": 3, "maxAttempts": 7}}}}
            """)
        #expect(problems.isEmpty)
        let otlp = try #require(settings.otlp)
        #expect(otlp.endpoint.logsURL == "https://collector.example:4318/v1/logs")
        #expect(otlp.headers == [ExportHeader(name: "X-Scope-OrgID", value: "fleet")])
        #expect(otlp.headersFromEnvironment == [ExportHeader(name: "Authorization", value: "WARDEN_OTLP_AUTH")])
        #expect(otlp.batchSize == 100 && otlp.timeoutSeconds == 3 && otlp.maxAttempts == 7)
        let defaults = try #require(try read(#"{"warden": {"export": {"otlp": {"endpoint": "http://127.0.0.1:4318"}}}}"#).settings.otlp)
        #expect(defaults.batchSize == 256 && defaults.timeoutSeconds == 10 && defaults.maxAttempts == 5)
        #expect(try read(#"{"warden": {}}"#).settings.otlp == nil)
    }

    @Test func badValuesAndUnknownKeysAreErrorsWithPositions() throws {
        let text = """
            {"warden": {"export": {
              "otlp": {
                "endpoint": "ftp://collector",
                "batchSize": 0,
                "timeoutSeconds": "10",
                "maxAttempts": 1000,
                "headers": {"Authorization": "Bearer a\\nX-Evil: 1", "Content-Type": "text/plain", "bad header": "x"},
                "headersFromEnvironment": {"authorization": "TOKEN", "X-Key": "1BAD"},
                "compression": "gzip"
              },
              "kafka": {}
            }}}
            """
        let problems = try read(text).problems
        #expect(problems == [
            "3:17: warden.export.otlp.endpoint: expected an http:// or https:// URL, got \"ftp://collector\"",
            "4:18: warden.export.otlp.batchSize must be a whole number of records from 1 to 10000",
            "5:23: warden.export.otlp.timeoutSeconds must be a whole number of seconds from 1 to 300",
            "6:20: warden.export.otlp.maxAttempts must be a whole number from 1 to 100",
            "7:34: warden.export.otlp.headers.Authorization: the value holds a line break or another control character",
            "7:57: warden.export.otlp.headers: Content-Type is set by Warden and cannot be given",
            "7:87: warden.export.otlp.headers: \"bad header\" is not a valid HTTP header name",
            "8:67: warden.export.otlp.headersFromEnvironment.X-Key must name an environment variable (letters, digits and _, not starting with a digit)",
            "9:5: unknown setting warden.export.otlp.compression (known: endpoint, headers, headersFromEnvironment, batchSize, timeoutSeconds, maxAttempts, certificate, clientCertificate, clientKey)",
            "11:3: unknown setting warden.export.kafka (known: otlp)",
        ])
        #expect(!problems.joined().contains("Bearer"), "a header value is never repeated")
        let missing = try read(#"{"warden": {"export": {"otlp": {"batchSize": 5}}}}"#).problems
        #expect(missing == ["1:32: warden.export.otlp.endpoint is missing: the collector's OTLP/HTTP URL, e.g. \"https://collector.example:4318\""])
        #expect(try read(#"{"warden": {"export": []}}"#).problems == ["1:23: warden.export must be an object, found array"])
        #expect(try read(#"{"warden": {"export": {"otlp": "http://x"}}}"#).problems == ["1:32: warden.export.otlp must be an object, found string"])
    }

    @Test func tlsFilesAreAbsolutePathsAndAClientCertificateComesWithItsKey() throws {
        let (settings, problems) = try read("""
            {"warden": {"export": {"otlp": {"endpoint": "https://collector.internal:4318", "certificate": "/etc/warden/ca.pem",
              "clientCertificate": "/etc/warden/client.pem", "clientKey": "/etc/warden/client.key"}}}}
            """)
        #expect(problems.isEmpty)
        let otlp = try #require(settings.otlp)
        #expect(otlp.certificate == "/etc/warden/ca.pem")
        #expect(otlp.clientCertificate == "/etc/warden/client.pem" && otlp.clientKey == "/etc/warden/client.key")
        let defaults = try #require(try read(#"{"warden": {"export": {"otlp": {"endpoint": "https://h"}}}}"#).settings.otlp)
        #expect(defaults.certificate == nil && defaults.clientCertificate == nil && defaults.clientKey == nil)

        let text = """
            {"warden": {"export": {"otlp": {
              "endpoint": "https://collector.internal:4318",
              "certificate": "certs/ca.pem",
              "clientCertificate": 42,
              "clientKey": "/etc/warden/client\\n.key"
            }}}}
            """
        #expect(try read(text).problems == [
            "3:18: warden.export.otlp.certificate must be the absolute path of a PEM file of CA certificates, got \"certs/ca.pem\"",
            "4:24: warden.export.otlp.clientCertificate must be a string, the absolute path of a PEM file holding the client certificate",
            "5:16: warden.export.otlp.clientKey must be the absolute path of a PEM file holding the client certificate's private key, got \"/etc/warden/client\\n.key\"",
        ])
        let alone = try read(#"{"warden": {"export": {"otlp": {"endpoint": "https://h", "clientKey": "/k.pem"}}}}"#).problems
        #expect(alone == ["1:58: warden.export.otlp.clientKey is given without warden.export.otlp.clientCertificate: a client certificate needs both"])
        let other = try read(#"{"warden": {"export": {"otlp": {"endpoint": "https://h", "clientCertificate": "/c.pem"}}}}"#).problems
        #expect(other == ["1:58: warden.export.otlp.clientCertificate is given without warden.export.otlp.clientKey: a client certificate needs both"])
    }

    @Test func aHeaderGivenTwiceIsAnError() throws {
        let problems = try read(#"{"warden": {"export": {"otlp": {"endpoint": "http://h:1", "headers": {"Authorization": "x"}, "headersFromEnvironment": {"authorization": "T"}}}}}"#).problems
        #expect(problems.count == 1)
        #expect(problems.first?.hasSuffix("header authorization is already given in warden.export.otlp.headers") == true)
    }

    @Test func endpoints() {
        func url(_ text: String) -> String? { try? ExportEndpoint.parse(text).get().logsURL }
        func error(_ text: String) -> String? {
            if case .failure(let error) = ExportEndpoint.parse(text) { return error.message }
            return nil
        }
        #expect(url("http://127.0.0.1:4318") == "http://127.0.0.1:4318/v1/logs")
        #expect(url("http://127.0.0.1:4318/") == "http://127.0.0.1:4318/v1/logs")
        #expect(url("https://collector.example") == "https://collector.example:443/v1/logs")
        #expect(url("http://collector.example") == "http://collector.example:80/v1/logs")
        #expect(url("https://gateway.example/otlp/") == "https://gateway.example:443/otlp/v1/logs")
        #expect(url("https://gateway.example:8443/custom/v1/logs") == "https://gateway.example:8443/custom/v1/logs")
        #expect(url("http://[::1]:4318") == "http://[::1]:4318/v1/logs")
        #expect(error("collector:4318")?.hasPrefix("expected an http:// or https:// URL") == true)
        #expect(error("http://:4318")?.hasPrefix("the URL has no host") == true)
        #expect(error("https://user:secret@collector")?.hasPrefix("a user or password in the URL is not allowed") == true)
        #expect(error("https://collector/?api_key=x")?.hasPrefix("a query or fragment is not allowed") == true)
        #expect(error("http://collector:0") == "the port must be a number from 1 to 65535")
        #expect(error("http://collector:99999") == "the port must be a number from 1 to 65535")
        #expect(error("http://collector:43a") == "the port must be a number from 1 to 65535")
        #expect(error("http://collector x") == "the URL holds a space or a control character")
        #expect(error("http://[::1:4318") == "an IPv6 address must end with ]")
        // Nothing of a refused URL's credentials comes back in the message.
        #expect(error("https://user:secret@collector")?.contains("secret") == false)
    }
}

@Suite struct ExportCursorTests {
    @Test func aCursorIsWrittenWholeAndReadBack() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        #expect(try ExportCursor.read(directory: dir.path).get() == nil)
        let cursor = ExportCursor(seq: 42, hash: String(repeating: "ab", count: 32), endpoint: "http://127.0.0.1:4318/v1/logs", time: AuditTime(milliseconds: 1_793_000_000_123))
        #expect(cursor.save(directory: dir.path) == nil)
        let path = ExportCursor.path(in: dir.path)
        #expect(readLines(path) == [#"{"v":1,"seq":42,"hash":"\#(cursor.hash)","endpoint":"http://127.0.0.1:4318/v1/logs","time":"2026-10-26T07:33:20.123Z"}"#])
        #expect(access(path + ".tmp", F_OK) != 0)
        #expect(try ExportCursor.read(directory: dir.path).get() == cursor)
        var next = cursor
        next.seq = 43
        #expect(next.save(directory: dir.path) == nil)
        #expect(try ExportCursor.read(directory: dir.path).get()?.seq == 43)
    }

    @Test func aDamagedCursorIsAnErrorNotAGuess() {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        writeLines([#"{"v":1,"seq":"x"}"#], to: ExportCursor.path(in: dir.path))
        guard case .failure(let error) = ExportCursor.read(directory: dir.path) else {
            Issue.record("a damaged cursor was read")
            return
        }
        #expect(error.description.hasSuffix("not an export cursor; move it away to send every record kept again"))
        #expect(ExportCursor(parsing: "") == nil)
        #expect(ExportCursor(parsing: #"{"v":2,"seq":1,"hash":"\#(String(repeating: "0", count: 64))","endpoint":"x","time":"2026-01-01T00:00:00Z"}"#) == nil)
    }

    @Test func oneExportAtATime() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let first = try #require(try ExportCursor.lock(directory: dir.path).get())
        #expect(try ExportCursor.lock(directory: dir.path).get() == nil)
        close(first)
        let again = try #require(try ExportCursor.lock(directory: dir.path).get())
        close(again)
    }
}

@Suite struct ExportReaderTests {
    @Test func readsEveryRecordInBatchesAcrossSegments() throws {
        let (dir, log) = makeLog(25, segmentBytes: 2000)
        defer { dir.remove() }
        #expect(try log.segments().get().count > 3)
        var reader = try ExportReader(log: log, after: 0)
        var seqs: [Int] = []
        while true {
            let batch = try reader.next(limit: 4)
            if batch.isEmpty { break }
            #expect(batch.count <= 4)
            seqs += batch.map(\.seq)
        }
        #expect(seqs == Array(1...25))
        #expect(reader.highestSeq == 25)
        #expect(reader.anchor == nil)
    }

    @Test func startsAfterTheCursorAndMeetsItsRecord() throws {
        let (dir, log) = makeLog(25, segmentBytes: 2000)
        defer { dir.remove() }
        let records = try log.records().get().records
        var reader = try ExportReader(log: log, after: 17)
        #expect(try reader.next(limit: 100).map(\.seq) == Array(18...25))
        #expect(reader.anchor?.hash == records[16].hash)
        #expect(try reader.next(limit: 100).isEmpty)
        // Older segments are not read: a reader begins at the segment holding seq 17.
        let fresh = try ExportReader(log: log, after: 17)
        #expect(fresh.index > 0)
        #expect(try #require(ExportReader.firstRecord(of: fresh.segments[fresh.index].path)).seq <= 17)
        if fresh.index + 1 < fresh.segments.count {
            #expect(try #require(ExportReader.firstRecord(of: fresh.segments[fresh.index + 1].path)).seq > 17)
        }
    }

    @Test func picksUpWhatHooksAppendAfterwardsEvenInANewSegment() throws {
        let (dir, log) = makeLog(3, segmentBytes: 2000)
        defer { dir.remove() }
        var reader = try ExportReader(log: log, after: 0)
        #expect(try reader.next(limit: 10).map(\.seq) == [1, 2, 3])
        for i in 4...12 { #expect(log.append(makeRecord(i)) == nil) }  // rotates past the first segment
        #expect(try log.segments().get().count > 1)
        var seqs: [Int] = []
        while true {
            let batch = try reader.next(limit: 5)
            if batch.isEmpty { break }
            seqs += batch.map(\.seq)
        }
        #expect(seqs == Array(4...12))
    }

    @Test func aLineBeingWrittenIsLeftForLater() throws {
        let (dir, log) = makeLog(2)
        defer { dir.remove() }
        let path = log.segmentPath(1)
        let complete = readLines(path)
        var third = makeRecord(3)
        let line = AuditChain.seal(&third, seq: 3, prev: try AuditRecord(line: complete[1]).hash)
        let half = String(line.prefix(40))
        let fd = open(path, O_WRONLY | O_APPEND)
        _ = half.withCString { write(fd, $0, strlen($0)) }
        var reader = try ExportReader(log: log, after: 0)
        #expect(try reader.next(limit: 10).map(\.seq) == [1, 2])
        let rest = String(line.dropFirst(40))
        _ = rest.withCString { write(fd, $0, strlen($0)) }
        close(fd)
        #expect(try reader.next(limit: 10).map(\.seq) == [3])
        #expect(reader.unreadable == 0)
    }

    @Test func resumeChecksTellAReplacedOrPrunedLog() throws {
        let (dir, log) = makeLog(12, segmentBytes: 2000)
        defer { dir.remove() }
        let records = try log.records().get().records
        func check(_ cursor: ExportCursor, in log: AuditLog) throws -> ExportResume {
            var reader = try ExportReader(log: log, after: cursor.seq)
            let first = try reader.next(limit: 1).first
            return ExportResume.check(cursor: cursor, reader: reader, firstPending: first)
        }
        let at6 = ExportCursor(seq: 6, hash: records[5].hash, endpoint: "e", time: .now())
        #expect(try check(at6, in: log) == .matches)
        let atEnd = ExportCursor(seq: 12, hash: records[11].hash, endpoint: "e", time: .now())
        #expect(try check(atEnd, in: log) == .matches)
        var wrong = at6
        wrong.hash = String(repeating: "f", count: 64)
        guard case .mismatch(let reason) = try check(wrong, in: log) else { Issue.record("not a mismatch"); return }
        #expect(reason.hasPrefix("record seq 6 now has hash"))
        let beyond = ExportCursor(seq: 40, hash: records[11].hash, endpoint: "e", time: .now())
        #expect(try check(beyond, in: log) == .mismatch("the log ends at seq 12, before the cursor's seq 40"))

        // Pruned exactly up to the cursor: the next record still links to it.
        let segments = try log.segments().get()
        let firstKept = try AuditRecord(line: readLines(segments[1].path)[0])
        unlink(segments[0].path)
        let atPruned = ExportCursor(seq: firstKept.seq - 1, hash: firstKept.prev, endpoint: "e", time: .now())
        #expect(try check(atPruned, in: log) == .matches)
        // Pruned past the cursor: the records between are lost, and said so.
        let behind = ExportCursor(seq: 1, hash: records[0].hash, endpoint: "e", time: .now())
        #expect(try check(behind, in: log) == .gap(from: 2, to: firstKept.seq - 1))

        // A log that was replaced by a new one.
        let fresh = TemporaryDirectory()
        defer { fresh.remove() }
        let other = AuditLog(directory: fresh.path)
        #expect(try check(at6, in: other) == .mismatch("the log has no records, but the cursor is at seq 6"))
        for i in 1...3 { #expect(other.append(makeRecord(100 + i, session: "other")) == nil) }
        #expect(try check(at6, in: other) == .mismatch("the log ends at seq 3, before the cursor's seq 6"))
    }
}

@Suite struct ExportRetryTests {
    @Test func statusesAreSortedAsOTLPSays() {
        for status in [200, 202, 204] { #expect(ExportAnswer(status: status) == .accepted) }
        for status in [429, 502, 503, 504] { #expect(ExportAnswer(status: status) == .retryable) }
        for status in [301, 400, 401, 403, 404, 413, 500, 501] { #expect(ExportAnswer(status: status) == .rejected) }
    }

    @Test func backoffGrowsWithJitterUpToTheCap() {
        let backoff = ExportBackoff(baseMilliseconds: 1000, capMilliseconds: 30_000)
        #expect(backoff.delay(afterAttempt: 1, unit: 0) == 500)
        #expect(backoff.delay(afterAttempt: 1, unit: 0.999_999) == 999)
        #expect(backoff.delay(afterAttempt: 2, unit: 0) == 1000)
        #expect(backoff.delay(afterAttempt: 3, unit: 0.5) == 3000)
        #expect(backoff.delay(afterAttempt: 10, unit: 1) == 30_000)
        #expect(backoff.delay(afterAttempt: 1000, unit: 0) == 15_000)
        #expect(ExportBackoff(baseMilliseconds: 0).delay(afterAttempt: 5, unit: 1) == 0)
    }

    @Test func retryAfterTakesSecondsOnly() {
        #expect(ExportBackoff.retryAfter("3") == 3000)
        #expect(ExportBackoff.retryAfter(" 2 ") == 2000)
        #expect(ExportBackoff.retryAfter("0") == 0)
        #expect(ExportBackoff.retryAfter("86400") == 300_000)
        #expect(ExportBackoff.retryAfter("Wed, 21 Oct 2026 07:28:00 GMT") == nil)
        #expect(ExportBackoff.retryAfter("-1") == nil)
        #expect(ExportBackoff.retryAfter(nil) == nil)
    }

    @Test func answersAreRead() {
        func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
        #expect(OTLPResponse.partialSuccess(bytes("{}")) == nil)
        #expect(OTLPResponse.partialSuccess(bytes("")) == nil)
        #expect(OTLPResponse.partialSuccess(bytes(#"{"partialSuccess":{}}"#)) == nil)
        #expect(OTLPResponse.partialSuccess(bytes(#"{"partialSuccess":{"rejectedLogRecords":"2","errorMessage":"too\nold"}}"#))! == (2, "too old"))
        #expect(OTLPResponse.partialSuccess(bytes(#"{"partialSuccess":{"rejectedLogRecords":3}}"#))! == (3, ""))
        #expect(OTLPResponse.errorMessage(bytes(#"{"code":3,"message":"bad field"}"#)) == "bad field")
        #expect(OTLPResponse.errorMessage(bytes("upstream\r\nerror")) == "upstream error")
        #expect(OTLPResponse.errorMessage(bytes("")) == nil)
        #expect(OTLPResponse.errorMessage(bytes(String(repeating: "x", count: 500)))?.count == 201)
    }
}
