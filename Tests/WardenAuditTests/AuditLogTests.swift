#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
import WardenJSON
@testable import WardenAudit

/// The directory of the test bundle, where SwiftPM also puts the package's executables.
func productsDirectory() -> String {
    var buffer = [CChar](repeating: 0, count: 4096)
    let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    precondition(n > 0)
    let path = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    var parts = path.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast()
    while let last = parts.last, last.hasSuffix(".xctest") || last == "Contents" || last == "MacOS" { parts.removeLast() }
    return parts.joined(separator: "/")
}

/// Starts `arguments[0]` with standard input from /dev/null, standard output and error the test's own.
func spawn(_ arguments: [String]) -> pid_t {
    spawn(arguments, stdout: nil, stderr: nil)
}

func waitFor(_ pid: pid_t) -> Int32 {
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
}

@Suite struct AuditLogTests {
    @Test func sixteenWriterProcessesLoseNothingAndTearNothing() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let logPath = dir.path + "/log"
        let writer = productsDirectory() + "/audit-append"
        #expect(access(writer, X_OK) == 0, "\(writer) not built")
        // 1 MiB segments: the 16,000 records (~7 MB) also rotate while the writers race.
        let pids = (0..<16).map { _ in spawn([writer, logPath, "1000", "1048576"]) }
        let statuses = pids.map(waitFor)
        #expect(statuses.allSatisfy { $0 == 0 }, "exit statuses \(statuses)")

        let log = AuditLog(directory: logPath)
        let segments = try log.segments().get()
        #expect(segments.count > 1)
        var lines = 0
        var perWriter: [String: Int] = [:]
        var seqs = Set<Int>()
        for segment in segments {
            let bytes = AuditLog.readFile(segment.path, from: 0)!
            #expect(bytes.last == 0x0A)
            for line in bytes.split(separator: 0x0A, omittingEmptySubsequences: false).dropLast() {
                lines += 1
                let record = try AuditRecord(line: String(decoding: line, as: UTF8.self))  // well-formed
                perWriter[record.session, default: 0] += 1
                seqs.insert(record.seq)
            }
        }
        #expect(lines == 16_000)
        #expect(perWriter.count == 16)
        #expect(perWriter.values.allSatisfy { $0 == 1000 })
        #expect(seqs == Set(1...16_000))
        let result = log.verify()
        #expect(result.isValid, "\(String(describing: result.problem))")
        #expect(result.records == 16_000)
        #expect(result.head?.seq == 16_000)
    }

    @Test("a log being written is verified as of one moment: no stale-head alarm while hooks write")
    func verifyingALiveLog() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let logPath = dir.path + "/log"
        let writer = productsDirectory() + "/audit-append"
        // 64 KiB segments: the writers also rotate while the checks run.
        let pids = (0..<4).map { _ in spawn([writer, logPath, "1500", "65536"]) }
        let log = AuditLog(directory: logPath)
        var checks = 0, problems: [String] = []
        var running = pids
        while !running.isEmpty {
            let result = log.verify()
            checks += 1
            if !result.isValid, result.head != nil || result.records > 0 {
                problems.append("\(result.problem.map(String.init(describing:)) ?? result.headProblem.map(String.init(describing:)) ?? result.readError ?? "?")")
            }
            running = running.filter { waitpid($0, nil, WNOHANG) == 0 }
        }
        #expect(problems.isEmpty, "\(problems.count) of \(checks) checks: \(problems.prefix(3))")
        let final = log.verify()
        #expect(final.isValid && final.records == 6000)
    }

    @Test func rotationKeepsTheChainAcrossSegments() throws {
        let (dir, log) = makeLog(40, segmentBytes: 2000)
        defer { dir.remove() }
        let segments = try log.segments().get()
        #expect(segments.count >= 8)
        for segment in segments {
            #expect((AuditLog.readFile(segment.path, from: 0)?.count ?? 0) <= 2000)
        }
        // The first record of segment 2 links to the last of segment 1.
        let last1 = try AuditRecord(line: readLines(segments[0].path).last!)
        let first2 = try AuditRecord(line: readLines(segments[1].path).first!)
        #expect(first2.prev == last1.hash)
        #expect(first2.seq == last1.seq + 1)
        let result = log.verify()
        #expect(result.isValid, "\(String(describing: result.problem))")
        #expect(result.records == 40)
    }

    @Test func aRemovedSegmentIsNamed() throws {
        let (dir, log) = makeLog(40, segmentBytes: 2000)
        defer { dir.remove() }
        let segments = try log.segments().get()
        let removedFirst = try AuditRecord(line: readLines(segments[2].path).first!).seq
        unlink(segments[2].path)
        let problem = try #require(log.verify().problem)
        #expect(problem.kind == .removed)
        #expect(problem.seq == removedFirst)
        #expect(problem.location == AuditLocation(file: segments[3].path, line: 1))
    }

    @Test func pruningRemovesOldSegmentsAndVerificationStartsAfterThem() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let log = AuditLog(directory: dir.path + "/log", segmentBytes: 2000)
        let now = AuditTime(rfc3339: "2026-11-20T12:00:00Z")!
        // Records 1–20 are 40 days old, 21–40 a day old.
        for i in 1...40 {
            let age = i <= 20 ? 40 : 1
            #expect(log.append(makeRecord(i, time: now.adding(days: -age))) == nil)
        }
        let before = try log.segments().get()
        let removed = try log.prune(retentionDays: 30, now: now).get()
        #expect(!removed.isEmpty)
        let after = try log.segments().get()
        #expect(after.count == before.count - removed.count)
        #expect(removed == before.prefix(removed.count).map(\.name))
        let oldest = try AuditRecord(line: readLines(after[0].path).first!)
        #expect(oldest.seq > 1 && oldest.seq <= 21)
        let result = log.verify()
        #expect(result.isValid, "\(String(describing: result.problem))")
        #expect(result.startsAfterPruning)
        #expect(result.firstSeq == oldest.seq)
        #expect(result.head?.base == oldest.seq)
        // Pruning again removes nothing: the rest is younger.
        #expect(try log.prune(retentionDays: 30, now: now).get().isEmpty)
        // Removing the first record of the oldest remaining segment still shows.
        var lines = readLines(after[0].path)
        lines.removeFirst()
        writeLines(lines, to: after[0].path)
        let problem = try #require(log.verify().problem)
        #expect(problem.kind == .removed)
        #expect(problem.seq == oldest.seq)
    }

    @Test func rotationPrunesWhenRetentionIsSet() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let old = AuditTime.now().adding(days: -100)
        let log = AuditLog(directory: dir.path + "/log", segmentBytes: 2000, retentionDays: 30)
        for i in 1...12 { #expect(log.append(makeRecord(i, time: old)) == nil) }
        for i in 13...30 { #expect(log.append(makeRecord(i, time: .now())) == nil) }
        let segments = try log.segments().get()
        #expect(segments.first!.number > 1)
        #expect(log.verify().isValid)
    }

    @Test func theDefaultDirectoryFollowsXDG() {
        #expect(AuditLog.defaultDirectory(environment: { ["XDG_STATE_HOME": "/s", "HOME": "/h"][$0] }) == "/s/warden")
        #expect(AuditLog.defaultDirectory(environment: { ["HOME": "/h"][$0] }) == "/h/.local/state/warden")
        #expect(AuditLog.defaultDirectory(environment: { ["XDG_STATE_HOME": "relative", "HOME": "/h"][$0] }) == "/h/.local/state/warden")
        #expect(AuditLog.defaultDirectory(environment: { _ in nil }) == nil)
    }
}
