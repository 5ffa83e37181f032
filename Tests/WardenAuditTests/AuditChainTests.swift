#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
import WardenJSON
@testable import WardenAudit

@Suite struct AuditChainTests {
    @Test func aFreshLogVerifies() {
        let (dir, log) = makeLog(20)
        defer { dir.remove() }
        let result = log.verify()
        #expect(result.isValid, "\(String(describing: result.problem))")
        #expect(result.records == 20)
        #expect(result.firstSeq == 1 && result.lastSeq == 20)
        #expect(result.head?.seq == 20)
        #expect(!result.startsAfterPruning)
    }

    @Test func aFlippedByteIsNamed() throws {
        let (dir, log) = makeLog(10)
        defer { dir.remove() }
        let path = log.segmentPath(1)
        var lines = readLines(path)
        // Flip one byte inside the reason of record 6 ("reason 6" -> "reason 7").
        lines[5] = lines[5].replacingFirst("reason 6", with: "reason 7")
        writeLines(lines, to: path)
        let problem = try #require(log.verify().problem)
        #expect(problem.kind == .altered)
        #expect(problem.seq == 6)
        #expect(problem.location == AuditLocation(file: path, line: 6))
        #expect(problem.description.hasPrefix("\(path):6: record seq 6 was altered"))
    }

    @Test func aFlippedByteThatBreaksTheJSONIsNamed() throws {
        let (dir, log) = makeLog(10)
        defer { dir.remove() }
        let path = log.segmentPath(1)
        var lines = readLines(path)
        lines[2] = lines[2].replacingFirst("\"seq\":3,", with: "\"seq\":3;")
        writeLines(lines, to: path)
        let problem = try #require(log.verify().problem)
        #expect(problem.kind == .altered)
        #expect(problem.seq == 3)
        #expect(problem.location?.line == 3)
    }

    @Test func aFlippedHashDigitIsNamed() throws {
        let (dir, log) = makeLog(5)
        defer { dir.remove() }
        let path = log.segmentPath(1)
        var lines = readLines(path)
        var bytes = Array(lines[1].utf8)
        bytes[bytes.count - 3] = bytes[bytes.count - 3] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
        lines[1] = String(decoding: bytes, as: UTF8.self)
        writeLines(lines, to: path)
        let problem = try #require(log.verify().problem)
        #expect(problem.kind == .altered)
        #expect(problem.seq == 2)
    }

    @Test func aDeletedMiddleLineIsNamed() throws {
        let (dir, log) = makeLog(10)
        defer { dir.remove() }
        let path = log.segmentPath(1)
        var lines = readLines(path)
        lines.remove(at: 4)  // seq 5
        writeLines(lines, to: path)
        let problem = try #require(log.verify().problem)
        #expect(problem.kind == .removed)
        #expect(problem.seq == 5)
        #expect(problem.location?.line == 5)
        #expect(problem.message.contains("record seq 5 was removed"))
    }

    @Test func aDeletedLastLineIsNamedThanksToTheHead() throws {
        let (dir, log) = makeLog(10)
        defer { dir.remove() }
        let path = log.segmentPath(1)
        var lines = readLines(path)
        lines.removeLast()
        writeLines(lines, to: path)
        let problem = try #require(log.verify().problem)
        #expect(problem.kind == .removed)
        #expect(problem.seq == 10)
        #expect(problem.location?.line == 9)
        #expect(problem.message.contains("record seq 10 was removed from the end"))
    }

    @Test func anAppendAfterADeletedLastLineStillShows() throws {
        let (dir, log) = makeLog(10)
        defer { dir.remove() }
        let path = log.segmentPath(1)
        var lines = readLines(path)
        lines.removeLast()
        writeLines(lines, to: path)
        #expect(log.append(makeRecord(11)) == nil)
        let problem = try #require(log.verify().problem)
        #expect(problem.seq == 10)
        #expect(problem.kind == .removed)
    }

    @Test func aDeletedFirstLineIsNamed() throws {
        let (dir, log) = makeLog(5)
        defer { dir.remove() }
        let path = log.segmentPath(1)
        var lines = readLines(path)
        lines.removeFirst()
        writeLines(lines, to: path)
        let problem = try #require(log.verify().problem)
        #expect(problem.kind == .removed)
        #expect(problem.seq == 1)
    }

    @Test func aSwappedPairIsNamed() throws {
        let (dir, log) = makeLog(10)
        defer { dir.remove() }
        let path = log.segmentPath(1)
        var lines = readLines(path)
        lines.swapAt(3, 4)  // seq 4 and 5
        writeLines(lines, to: path)
        let problem = try #require(log.verify().problem)
        #expect(problem.kind == .reordered)
        #expect(problem.seq == 4)
        #expect(problem.location?.line == 4)
        #expect(problem.message.contains("seq 4 and seq 5 are swapped"))
    }

    @Test func aReplacedLastRecordIsNamed() throws {
        // Rewrite the last record with a valid hash of its own: the head still tells.
        let (dir, log) = makeLog(3)
        defer { dir.remove() }
        let path = log.segmentPath(1)
        var lines = readLines(path)
        var forged = try AuditRecord(line: lines[2])
        forged.decision = .allow
        forged.reason = "nothing to see"
        lines[2] = String(AuditChain.seal(&forged, seq: 3, prev: forged.prev).dropLast())
        writeLines(lines, to: path)
        let problem = try #require(log.verify().problem)
        #expect(problem.kind == .altered)
        #expect(problem.seq == 3)
    }

    @Test func aMissingHeadIsReported() {
        let (dir, log) = makeLog(3)
        defer { dir.remove() }
        unlink(log.headPath)
        let result = log.verify()
        #expect(result.problem == nil)
        #expect(result.headProblem != nil)
        // The next append rebuilds the head from the log and links on.
        #expect(log.append(makeRecord(4)) == nil)
        let again = log.verify()
        #expect(again.isValid)
        #expect(again.lastSeq == 4)
    }

    @Test func aWriterThatStoppedBeforeTheHeadIsAdopted() {
        let (dir, log) = makeLog(3)
        defer { dir.remove() }
        // Simulate a crash between the segment write and the head write: put the old head back.
        let oldHead = AuditLog.readFile(log.headPath, from: 0)!
        #expect(log.append(makeRecord(4)) == nil)
        writeLines([String(decoding: oldHead.dropLast(), as: UTF8.self)], to: log.headPath)
        #expect(log.append(makeRecord(5)) == nil)
        let result = log.verify()
        #expect(result.isValid, "\(String(describing: result.problem))")
        #expect(result.lastSeq == 5)
    }
}

@Suite struct AuditRecordTests {
    @Test func controlCharactersAreEscapedAndTheReasonRoundTrips() throws {
        let reason = "line one\nline two\t\u{01}\u{1B}[31m \"quoted\" back\\slash é ✓ 😀"
        var record = makeRecord(1, reason: reason)
        record.subject = "printf 'a\\rb'\r"
        let line = AuditChain.seal(&record, seq: 1, prev: AuditChain.genesis)
        let body = line.dropLast()
        #expect(line.hasSuffix("}\n"))
        #expect(!body.contains("\n"))
        #expect(!body.unicodeScalars.contains { $0.value < 0x20 })
        #expect(body.contains("\\u001b[31m"))
        #expect(body.contains("\\u0001"))
        let decoded = try AuditRecord(line: String(body))
        #expect(decoded == record)
        #expect(decoded.reason == reason)
    }

    @Test func theLineHasTheDocumentedShape() throws {
        var record = makeRecord(7, decision: .redact, rules: ["Read(./.env)"], redactions: ["EMAIL": 2, "AWS_ACCESS_KEY": 1])
        let line = AuditChain.seal(&record, seq: 42, prev: AuditChain.genesis)
        let json = try JSONValue.parse(line)
        let keys = json.members!.map(\.key)
        #expect(keys == ["v", "seq", "time", "host", "user", "uid", "session", "event", "tool", "decision", "rules", "reason", "redactions", "subject", "policy", "latencyUs", "prev", "hash"])
        #expect(json["time"]?.string == "2026-10-26T07:33:20.000Z")
        #expect(json["redactions"]?.serialized == "{\"AWS_ACCESS_KEY\":1,\"EMAIL\":2}")
        #expect(json["hash"]?.string == record.hash)
        #expect(record.hash.utf8.count == 64)
    }

    @Test func timesRoundTrip() {
        for ms: Int64 in [0, 1, 999, 1_793_000_000_123, 951_782_400_000 /* 2000-02-29 */, -1] {
            let time = AuditTime(milliseconds: ms)
            #expect(AuditTime(rfc3339: time.rfc3339) == time, "\(time.rfc3339)")
        }
        #expect(AuditTime(rfc3339: "2026-11-01")?.rfc3339 == "2026-11-01T00:00:00.000Z")
        #expect(AuditTime(rfc3339: "2026-11-01T10:00:00+02:00")?.rfc3339 == "2026-11-01T08:00:00.000Z")
        #expect(AuditTime(rfc3339: "2026-11-01T10:00:00.5Z")?.rfc3339 == "2026-11-01T10:00:00.500Z")
        #expect(AuditTime(rfc3339: "2026-02-30") == nil)
        #expect(AuditTime(rfc3339: "yesterday") == nil)
    }

    @Test func aLogThatCannotBeWrittenReturnsAnError() {
        let log = AuditLog(directory: "/proc/warden-cannot-write-here")
        let error = log.append(makeRecord(1))
        #expect(error != nil)
        #expect(error?.description.hasPrefix("decision log: cannot ") == true)
    }
}

extension String {
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = firstRange(of: target) else { return self }
        var copy = self
        copy.replaceSubrange(range, with: replacement)
        return copy
    }
}
