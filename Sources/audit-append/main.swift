#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import WardenAudit

// audit-append DIRECTORY COUNT [SEGMENT-BYTES]
// Appends COUNT records, one locked append each, as COUNT hook processes would. The concurrency
// test starts 16 of these at once.
func printError(_ message: String) {
    let text = message + "\n"
    _ = text.withCString { write(2, $0, strlen($0)) }
}

let arguments = CommandLine.arguments
guard arguments.count >= 3, let count = Int(arguments[2]) else {
    printError("usage: audit-append DIRECTORY COUNT [SEGMENT-BYTES]")
    exit(64)
}
let segmentBytes = arguments.count > 3 ? Int(arguments[3]) ?? AuditLog.defaultSegmentBytes : AuditLog.defaultSegmentBytes
let log = AuditLog(directory: arguments[1], segmentBytes: segmentBytes)
let pid = Int(getpid())
let origin = AuditOrigin.current()
for i in 0..<count {
    let summary = AuditSummary(
        decision: i % 7 == 0 ? .deny : .allow, rules: i % 7 == 0 ? ["Bash(curl:*)"] : [],
        reason: "writer \(pid) record \(i)", redactions: i % 5 == 0 ? ["EMAIL": 1] : [:], subject: "echo \(i)")
    let record = AuditRecord(
        summary: summary, event: "PreToolUse", tool: "Bash", session: "proc-\(pid)", policy: "sha256:test",
        latencyMicros: 1000 + i, origin: origin)
    if let error = log.append(record) {
        printError("audit-append: \(error)")
        exit(1)
    }
}
