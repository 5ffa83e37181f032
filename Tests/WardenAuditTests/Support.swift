#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
@testable import WardenAudit

/// A fresh directory under $TMPDIR (or /tmp), removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init() {
        let root = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array("\(root)/warden-audit-test-XXXXXX".utf8CString)
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

func readText(_ path: String) -> String {
    String(decoding: AuditLog.readFile(path, from: 0) ?? [], as: UTF8.self)
}

/// Starts `arguments[0]` with standard input from /dev/null, standard output and error appended
/// to files (nil: this process's own), `environment` added to this process's own, no signal blocked and every signal's
/// default action (the test runner's threads block some, and a child would inherit that: SIGTERM
/// would not stop it).
func spawn(_ arguments: [String], stdout: String?, stderr: String?, environment: [String: String] = [:]) -> pid_t {
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var none = sigset_t()
    sigemptyset(&none)
    var all = sigset_t()
    sigfillset(&all)
    posix_spawnattr_setsigmask(&attributes, &none)
    posix_spawnattr_setsigdefault(&attributes, &all)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    if let stdout { posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_APPEND, 0o600) }
    if let stderr { posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_APPEND, 0o600) }
    _ = closeFromInChild(&actions, 3)
    var variables: [String] = []
    var index = 0
    while let entry = environ[index] {
        let text = String(cString: entry)
        if let name = text.split(separator: "=", maxSplits: 1).first, environment[String(name)] == nil { variables.append(text) }
        index += 1
    }
    variables += environment.map { "\($0.key)=\($0.value)" }
    var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
    var envp: [UnsafeMutablePointer<CChar>?] = variables.map { strdup($0) } + [nil]
    defer { for pointer in argv + envp { free(pointer) } }
    var pid: pid_t = 0
    let result = posix_spawn(&pid, arguments[0], &actions, &attributes, &argv, &envp)
    precondition(result == 0, "posix_spawn \(arguments[0]): \(result)")
    return pid
}

/// Waits for `pid` to end without blocking a thread; its exit status, or 128 + the signal.
func waitForExit(_ pid: pid_t) async -> Int32 {
    var status: Int32 = 0
    while true {
        let result = waitpid(pid, &status, WNOHANG)
        if result == pid { return (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F) }
        if result < 0 && errno != EINTR { return -1 }
        try? await Task.sleep(for: .milliseconds(5))
    }
}

/// glibc's `posix_spawn_file_actions_addclosefrom_np`, not imported by Swift's Glibc module. The
/// test process holds SwiftNIO sockets without close-on-exec (other tests' proxies); a long-lived
/// child such as a tmux server would otherwise keep their ports bound after those tests end.
@_silgen_name("posix_spawn_file_actions_addclosefrom_np")
private func closeFromInChild(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ from: Int32) -> Int32
