#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import WardenJSON

/// Why a record could not be written. The hook prints it on standard error and goes on: a log
/// that cannot be written never stops a tool call, nor crashes the hook.
public struct AuditWriteError: Error, Sendable, Hashable, CustomStringConvertible {
    public var operation: String
    public var path: String
    public var code: Int32

    public init(_ operation: String, path: String, code: Int32) {
        self.operation = operation
        self.path = path
        self.code = code
    }

    public var description: String {
        "decision log: cannot \(operation) \(path): \(String(cString: strerror(code)))"
    }
}

/// One segment file of the log.
public struct AuditSegment: Sendable, Hashable {
    public var number: Int
    public var path: String
    public var name: String
}

/// The decision log in one directory: segment files `decisions-000001.jsonl`, … written in
/// order, and `head`, which is both the lock every writer takes and the record of the chain's
/// ends.
///
/// A writer takes an exclusive `flock` on `head`, reads where the chain ends, appends its line
/// to the current segment with one `write` on a descriptor opened with `O_APPEND`, rewrites
/// `head` in place with one `pwrite`, and lets go. Lines are never torn and never lost, however
/// many hooks write at once.
public struct AuditLog: Sendable {
    public static let headName = "head"
    public static let defaultSegmentBytes = 16 * 1024 * 1024

    public let directory: String
    /// A segment that would grow past this size is closed and a new one started.
    public var segmentBytes: Int
    /// When set, starting a new segment also removes segments whose last record is older.
    public var retentionDays: Int?
    /// fdatasync(2) after each append: survives a power cut, costs a disk flush per decision.
    public var synchronous: Bool

    public init(directory: String, segmentBytes: Int = AuditLog.defaultSegmentBytes, retentionDays: Int? = nil, synchronous: Bool = false) {
        self.directory = directory
        self.segmentBytes = segmentBytes
        self.retentionDays = retentionDays
        self.synchronous = synchronous
    }

    /// `$XDG_STATE_HOME/warden`, else `$HOME/.local/state/warden`; nil when neither is set.
    public static func defaultDirectory(environment: (String) -> String? = AuditLog.environment) -> String? {
        if let state = environment("XDG_STATE_HOME"), state.hasPrefix("/") { return state + "/warden" }
        if let home = environment("HOME"), !home.isEmpty { return home + "/.local/state/warden" }
        return nil
    }

    public static func environment(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        return String(cString: value)
    }

    public var headPath: String { directory + "/" + AuditLog.headName }

    public func segmentPath(_ number: Int) -> String { directory + "/" + AuditLog.segmentName(number) }

    public static func segmentName(_ number: Int) -> String { "decisions-" + AuditTime.pad(number, 6) + ".jsonl" }

    static func segmentNumber(_ name: String) -> Int? {
        guard name.hasPrefix("decisions-"), name.hasSuffix(".jsonl") else { return nil }
        let digits = name.dropFirst(10).dropLast(6)
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(digits)
    }

    // MARK: Appending

    /// Appends `record` as the next link of the chain. Returns nil, or what went wrong; never
    /// traps. `seq`, `prev` and `hash` are set here.
    @discardableResult
    public func append(_ record: AuditRecord) -> AuditWriteError? {
        var record = record
        return withLock { lock in
            var head = AuditLog.readHead(lock) ?? recoverHead()
            return appendLocked(&record, head: &head, lock: lock)
        }
    }

    /// Appends several records under one lock (for imports and tests).
    @discardableResult
    public func append(contentsOf records: [AuditRecord]) -> AuditWriteError? {
        withLock { lock in
            var head = AuditLog.readHead(lock) ?? recoverHead()
            for record in records {
                var record = record
                if let error = appendLocked(&record, head: &head, lock: lock) { return error }
            }
            return nil
        }
    }

    /// Runs `body` holding the exclusive lock on `head`; creates the directory when missing.
    func withLock(_ body: (Int32) -> AuditWriteError?) -> AuditWriteError? {
        var fd = open(headPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o640)
        if fd < 0 && errno == ENOENT {
            if let error = AuditLog.makeDirectories(directory) { return error }
            fd = open(headPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o640)
        }
        guard fd >= 0 else { return AuditWriteError("open", path: headPath, code: errno) }
        // Closing the descriptor lets go of the lock (it is never shared: O_CLOEXEC, no fork),
        // one system call fewer on every hook call than an explicit LOCK_UN.
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            if errno != EINTR { return AuditWriteError("lock", path: headPath, code: errno) }
        }
        return body(fd)
    }

    func appendLocked(_ record: inout AuditRecord, head: inout AuditHead, lock: Int32) -> AuditWriteError? {
        var path = segmentPath(head.segment)
        var fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { return AuditWriteError("open", path: path, code: errno) }
        var size = AuditLog.fileSize(fd)
        var needsNewline = false
        if size > head.size {
            // A writer stopped between its line and the head: adopt the lines that chain on.
            adoptTail(of: path, from: head.size, to: size, head: &head, needsNewline: &needsNewline)
        }
        var line = AuditChain.seal(&record, seq: head.seq + 1, prev: head.hash)
        if needsNewline { line = "\n" + line }
        let count = line.utf8.count
        var rotated = false
        if size > 0 && size + count > segmentBytes {
            close(fd)
            head.segment += 1
            path = segmentPath(head.segment)
            fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
            guard fd >= 0 else { return AuditWriteError("open", path: path, code: errno) }
            size = AuditLog.fileSize(fd)
            if needsNewline { line.removeFirst() }
            rotated = true
        }
        defer { close(fd) }
        let written = line.withUTF8 { write(fd, $0.baseAddress, $0.count) }
        let lineCount = line.utf8.count
        guard written == lineCount else {
            let code = written < 0 ? errno : ENOSPC
            if written > 0 { _ = ftruncate(fd, off_t(size)) }  // take back a torn line
            return AuditWriteError("write", path: path, code: code)
        }
        if synchronous { _ = fdatasync(fd) }
        head.seq = record.seq
        head.hash = record.hash
        head.size = size + lineCount
        let encoded = head.encoded()
        let headWritten = encoded.withUnsafeBytes { pwrite(lock, $0.baseAddress, $0.count, 0) }
        guard headWritten == encoded.count else { return AuditWriteError("write", path: headPath, code: headWritten < 0 ? errno : ENOSPC) }
        if rotated, let days = retentionDays, days > 0 {
            _ = pruneLocked(head: &head, lock: lock, before: AuditTime.now().adding(days: -days))
        }
        return nil
    }

    /// Reads lines after `offset` that chain on from `head` and moves the head past them.
    func adoptTail(of path: String, from offset: Int, to end: Int, head: inout AuditHead, needsNewline: inout Bool) {
        guard let bytes = AuditLog.readFile(path, from: offset), !bytes.isEmpty else { return }
        if bytes.last != 0x0A { needsNewline = true }
        var position = offset
        for lineBytes in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
            let lineEnd = position + lineBytes.count + 1
            defer { position = lineEnd }
            guard lineEnd <= end, !lineBytes.isEmpty else { continue }
            let text = String(decoding: lineBytes, as: UTF8.self)
            guard let record = try? AuditRecord(line: text), record.seq == head.seq + 1, record.prev == head.hash else { continue }
            let valid = Array(lineBytes).withUnsafeBytes { AuditChain.hashes(ofLine: $0) }
            guard let valid, valid.stated == valid.computed else { continue }
            head.seq = record.seq
            head.hash = record.hash
        }
        head.size = end
    }

    /// The chain's ends when `head` is missing or unreadable: the last record of the newest
    /// segment, and the first of the oldest.
    func recoverHead() -> AuditHead {
        let segments = (try? self.segments().get()) ?? []
        guard let newest = segments.last else { return .empty }
        var head = AuditHead.empty
        head.segment = newest.number
        if let bytes = AuditLog.readFile(newest.path, from: 0) {
            head.size = bytes.count
            if let last = AuditLog.lastRecord(in: bytes) {
                head.seq = last.seq
                head.hash = last.hash
            }
        }
        if let oldest = segments.first, let bytes = AuditLog.readFile(oldest.path, from: 0),
            let firstLine = bytes.split(separator: 0x0A).first,
            let first = try? AuditRecord(line: String(decoding: firstLine, as: UTF8.self))
        {
            head.base = first.seq
            head.baseHash = first.prev
        }
        return head
    }

    static func lastRecord(in bytes: [UInt8]) -> AuditRecord? {
        for line in bytes.split(separator: 0x0A).reversed() {
            if let record = try? AuditRecord(line: String(decoding: line, as: UTF8.self)) { return record }
        }
        return nil
    }

    // MARK: Pruning

    /// Removes whole segments, oldest first, whose last record is older than `retentionDays`
    /// before `now`; never the segment being written. Returns the names removed. The head keeps
    /// the seq and hash the oldest remaining record links to, so verification still starts from
    /// a known link.
    public func prune(retentionDays days: Int, now: AuditTime = .now()) -> Result<[String], AuditWriteError> {
        var removed: [String] = []
        let error = withLock { lock in
            var head = AuditLog.readHead(lock) ?? recoverHead()
            switch pruneLocked(head: &head, lock: lock, before: now.adding(days: -days)) {
            case .success(let names): removed = names; return nil
            case .failure(let error): return error
            }
        }
        if let error { return .failure(error) }
        return .success(removed)
    }

    func pruneLocked(head: inout AuditHead, lock: Int32, before cutoff: AuditTime) -> Result<[String], AuditWriteError> {
        let segments: [AuditSegment]
        switch self.segments() {
        case .success(let list): segments = list
        case .failure(let error): return .failure(error)
        }
        var removed: [String] = []
        for segment in segments where segment.number < head.segment {
            guard let bytes = AuditLog.readFile(segment.path, from: 0), let last = AuditLog.lastRecord(in: bytes), last.time < cutoff else { break }
            guard unlink(segment.path) == 0 else { return .failure(AuditWriteError("remove", path: segment.path, code: errno)) }
            removed.append(segment.name)
            head.base = last.seq + 1
            head.baseHash = last.hash
        }
        if !removed.isEmpty {
            let encoded = head.encoded()
            let written = encoded.withUnsafeBytes { pwrite(lock, $0.baseAddress, $0.count, 0) }
            if written != encoded.count { return .failure(AuditWriteError("write", path: headPath, code: written < 0 ? errno : ENOSPC)) }
        }
        return .success(removed)
    }

    // MARK: Reading

    /// The segment files, oldest first.
    public func segments() -> Result<[AuditSegment], AuditWriteError> {
        guard let dir = opendir(directory) else { return .failure(AuditWriteError("read directory", path: directory, code: errno)) }
        defer { closedir(dir) }
        var found: [AuditSegment] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if let number = AuditLog.segmentNumber(name) {
                found.append(AuditSegment(number: number, path: directory + "/" + name, name: name))
            }
        }
        return .success(found.sorted { $0.number < $1.number })
    }

    /// The head file, or nil when it is missing or unreadable.
    public func head() -> AuditHead? {
        let fd = open(headPath, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        return AuditLog.readHead(fd)
    }

    static func readHead(_ fd: Int32) -> AuditHead? {
        var buffer = [UInt8](repeating: 0, count: AuditHead.encodedSize)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return nil }
        return parseHead(Array(buffer[0..<n]))
    }

    static func parseHead(_ bytes: [UInt8]) -> AuditHead? {
        // {"seq":N,"hash":"…","segment":N,"size":N,"base":N,"baseHash":"…"}, read with the JSON
        // reader: every hook call reads it, and Character-wise string surgery cost ten times more.
        guard let head = try? JSONValue.parse(bytes: bytes),
            let seq = head["seq"]?.integer, let hash = head["hash"]?.string, hash.utf8.count == 64,
            let segment = head["segment"]?.integer, let size = head["size"]?.integer,
            let base = head["base"]?.integer, let baseHash = head["baseHash"]?.string, baseHash.utf8.count == 64
        else { return nil }
        return AuditHead(seq: seq, hash: hash, segment: segment, size: size, base: base, baseHash: baseHash)
    }

    /// The segments, their sizes and the head at one moment, read under a shared lock on the head
    /// file. Writers hold it exclusively from their append to their head update, so within these
    /// sizes the head names the last record, however many hooks are writing. Without the lock a
    /// check of a live log saw records appended after it read the head and called the head
    /// stale. The lock is held for a directory listing and a `stat` per segment only.
    public func snapshot() -> Result<AuditSnapshot, AuditWriteError> {
        let fd = open(headPath, O_RDONLY | O_CLOEXEC)
        defer { if fd >= 0 { close(fd) } }
        if fd >= 0 {
            while flock(fd, LOCK_SH) != 0 {
                if errno != EINTR { return .failure(AuditWriteError("lock", path: headPath, code: errno)) }
            }
        }
        let segments: [AuditSegment]
        switch self.segments() {
        case .success(let list): segments = list
        case .failure(let error): return .failure(error)
        }
        let sizes = segments.map { segment -> Int in
            var info = stat()
            return stat(segment.path, &info) == 0 ? Int(info.st_size) : 0
        }
        let head = fd >= 0 ? AuditLog.readHead(fd) : nil
        return .success(AuditSnapshot(segments: segments, sizes: sizes, head: head, headExists: fd >= 0 || access(headPath, F_OK) == 0))
    }

    /// Checks the whole chain, from the oldest segment kept to the head (as of `snapshot()`:
    /// records appended while the check runs are left for the next one).
    public func verify() -> AuditVerification {
        let snapshot: AuditSnapshot
        switch self.snapshot() {
        case .success(let taken): snapshot = taken
        case .failure(let error):
            return AuditVerification(segments: [], head: nil, verifier: nil, readError: error.description)
        }
        let (segments, head, headExists) = (snapshot.segments, snapshot.head, snapshot.headExists)
        var verifier = AuditVerifier(base: head?.base, baseHash: head?.baseHash)
        for (segment, size) in zip(segments, snapshot.sizes) {
            guard let bytes = AuditLog.readFile(segment.path, from: 0, upTo: size) else {
                return AuditVerification(segments: segments, head: head, verifier: verifier, readError: AuditWriteError("read", path: segment.path, code: errno).description)
            }
            var number = 0
            for line in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
                number += 1
                if line.isEmpty { continue }
                let text = String(decoding: line, as: UTF8.self)
                Array(line).withUnsafeBytes { verifier.feed($0, text: text, at: AuditLocation(file: segment.path, line: number)) }
                if verifier.isFailed { break }
            }
            if verifier.isFailed { break }
        }
        verifier.finish(head: head)
        var result = AuditVerification(segments: segments, head: head, verifier: verifier, readError: nil)
        result.sizes = snapshot.sizes
        if head == nil && headExists && !verifier.isFailed {
            result.headProblem = AuditProblem(.head, at: AuditLocation(file: headPath, line: 1), seq: nil, "the head file is unreadable")
        } else if head == nil && !segments.isEmpty && !verifier.isFailed {
            result.headProblem = AuditProblem(.head, at: nil, seq: nil, "\(headPath) is missing: removing the last records would not show")
        }
        return result
    }

    /// The records for which `include` is true, oldest first, and how many lines could not be
    /// read. Reads one segment at a time, so only the records kept stay in memory.
    public func records(where include: (AuditRecord) -> Bool = { _ in true }) -> Result<(records: [AuditRecord], unreadable: Int), AuditWriteError> {
        let segments: [AuditSegment]
        switch self.segments() {
        case .success(let list): segments = list
        case .failure(let error): return .failure(error)
        }
        var records: [AuditRecord] = []
        var unreadable = 0
        for segment in segments {
            guard let bytes = AuditLog.readFile(segment.path, from: 0) else {
                return .failure(AuditWriteError("read", path: segment.path, code: errno))
            }
            for line in bytes.split(separator: 0x0A) {
                if let record = try? AuditRecord(line: String(decoding: line, as: UTF8.self)) {
                    if include(record) { records.append(record) }
                } else {
                    unreadable += 1
                }
            }
        }
        return .success((records, unreadable))
    }

    // MARK: Files

    static func fileSize(_ fd: Int32) -> Int {
        var info = stat()
        return fstat(fd, &info) == 0 ? Int(info.st_size) : 0
    }

    /// The bytes of `path` from `offset` to its end, or nil when it cannot be read.
    /// The file's bytes from `offset` to its end, or to `limit` when given (a size taken earlier:
    /// what was appended since is left out).
    public static func readFile(_ path: String, from offset: Int, upTo limit: Int? = nil) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        let size = min(fileSize(fd), limit ?? Int.max)
        guard size >= offset else { return [] }
        var bytes = [UInt8](repeating: 0, count: size - offset)
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, $0.count - done, off_t(offset + done)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            done += n
        }
        if done < bytes.count { bytes.removeLast(bytes.count - done) }
        return bytes
    }

    /// `mkdir -p` with mode 0750.
    static func makeDirectories(_ path: String) -> AuditWriteError? {
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, 0o750) != 0 && errno != EEXIST {
                return AuditWriteError("create directory", path: prefix, code: errno)
            }
        }
        return nil
    }
}

/// The result of `AuditLog.verify()`.
/// The log at one moment: see `AuditLog.snapshot()`.
public struct AuditSnapshot: Sendable {
    public var segments: [AuditSegment]
    /// Each segment's size then, in bytes.
    public var sizes: [Int]
    public var head: AuditHead?
    public var headExists: Bool
}

public struct AuditVerification: Sendable {
    public var segments: [AuditSegment]
    /// Each segment's size when the check began; it read no further.
    public var sizes: [Int] = []
    public var head: AuditHead?
    public var records: Int
    public var firstSeq: Int?
    public var lastSeq: Int?
    /// The first problem in the chain, if any.
    public var problem: AuditProblem?
    /// A problem with the head file alone (missing or unreadable) when the chain is otherwise fine.
    public var headProblem: AuditProblem?
    public var readError: String?

    init(segments: [AuditSegment], head: AuditHead?, verifier: AuditVerifier?, readError: String?) {
        self.segments = segments
        self.head = head
        self.records = verifier?.records ?? 0
        self.firstSeq = verifier?.firstSeq
        self.lastSeq = verifier?.lastSeq
        self.problem = verifier?.problem
        self.readError = readError
    }

    public var isValid: Bool { problem == nil && readError == nil && headProblem == nil }

    /// True when the oldest segments were pruned: verification starts after seq 1.
    public var startsAfterPruning: Bool { (head?.base ?? firstSeq ?? 1) > 1 }
}
