#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
@testable import WardenAudit

/// A fresh directory under /tmp, removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init() {
        var template = Array("/tmp/warden-audit-test-XXXXXX".utf8CString)
        let result = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(result != nil, "mkdtemp failed")
        path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    func remove() {
        _ = system("rm -rf '\(path)'")
    }
}

func makeRecord(
    _ i: Int, session: String = "s1", event: String = "PreToolUse", tool: String? = "Bash",
    decision: AuditDecision = .allow, rules: [String] = [], reason: String? = nil,
    redactions: [String: Int] = [:], time: AuditTime = AuditTime(milliseconds: 1_793_000_000_000)
) -> AuditRecord {
    AuditRecord(
        summary: AuditSummary(decision: decision, rules: rules, reason: reason ?? "reason \(i)", redactions: redactions, subject: "cmd \(i)"),
        event: event, tool: tool, session: session, policy: "sha256:abc", latencyMicros: 100 + i,
        time: time, origin: AuditOrigin(host: "host", user: "alice", uid: 1000))
}

func readLines(_ path: String) -> [String] {
    let bytes = AuditLog.readFile(path, from: 0) ?? []
    return bytes.split(separator: 0x0A).map { String(decoding: $0, as: UTF8.self) }
}

func writeLines(_ lines: [String], to path: String) {
    let text = lines.map { $0 + "\n" }.joined()
    let fd = open(path, O_WRONLY | O_TRUNC | O_CREAT, 0o640)
    precondition(fd >= 0)
    _ = text.utf8CString.withUnsafeBufferPointer { write(fd, $0.baseAddress, text.utf8.count) }
    close(fd)
}

/// A log of `count` records in a fresh directory.
func makeLog(_ count: Int, segmentBytes: Int = AuditLog.defaultSegmentBytes) -> (TemporaryDirectory, AuditLog) {
    let dir = TemporaryDirectory()
    let log = AuditLog(directory: dir.path + "/log", segmentBytes: segmentBytes)
    for i in 1...count {
        if let error = log.append(makeRecord(i)) { fatalError("\(error)") }
    }
    return (dir, log)
}
