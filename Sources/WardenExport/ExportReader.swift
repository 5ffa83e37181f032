#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import WardenAudit

/// Reads the records after a given seq, oldest first, a batch at a time, while hooks go on
/// appending. Starts at the segment that holds that seq (older segments are not read), holds one
/// segment's unread bytes at a time, and takes only complete lines (a line being written is left
/// for later).
public struct ExportReader: Sendable {
    public let log: AuditLog
    /// The seq the reader started after.
    public let start: Int
    /// Records up to this seq have been read or skipped.
    public private(set) var lastSeq: Int
    /// The record with seq `start`, when it was met: the cursor's record, to compare hashes.
    public private(set) var anchor: AuditRecord?
    /// The highest seq met so far, pending or not.
    public private(set) var highestSeq: Int?
    /// Lines after the start that are not records (torn or altered: `warden log verify` says which).
    public private(set) var unreadable = 0

    var segments: [AuditSegment]
    var index = 0
    /// Where `buffer` starts in the current segment.
    var offset = 0
    var buffer: [UInt8] = []
    var position = 0

    /// A reader of the records after `seq` (0: every record kept).
    public init(log: AuditLog, after seq: Int) throws(AuditWriteError) {
        self.log = log
        self.start = seq
        self.lastSeq = seq
        segments = try log.segments().get()
        if seq > 0 {
            // The last segment that begins at or before `seq` holds it, and everything after.
            for (i, segment) in segments.enumerated() {
                guard let first = ExportReader.firstRecord(of: segment.path) else { continue }
                if first.seq <= seq { index = i } else { break }
            }
        }
    }

    /// Up to `limit` records after the last ones returned; fewer (or none) once the log's end is
    /// reached.
    public mutating func next(limit: Int) throws(AuditWriteError) -> [AuditRecord] {
        var out: [AuditRecord] = []
        var relisted = false
        while out.count < limit {
            if let line = nextLine() {
                guard !line.isEmpty else { continue }
                guard let record = try? AuditRecord(line: String(decoding: line, as: UTF8.self)) else {
                    // Counted once past the start, so that a bad line before it is not reported
                    // again by every export.
                    if start == 0 || anchor != nil || lastSeq > start { unreadable += 1 }
                    continue
                }
                highestSeq = max(highestSeq ?? record.seq, record.seq)
                if record.seq == start && anchor == nil { anchor = record }
                if record.seq > lastSeq {
                    out.append(record)
                    lastSeq = record.seq
                }
                continue
            }
            if try reload() { continue }
            if index + 1 < segments.count {
                enter(segment: index + 1)
                continue
            }
            // The end of the newest segment known: a hook may have started another since.
            if relisted { break }
            relisted = true
            let current = index < segments.count ? segments[index].number : nil
            segments = try log.segments().get()
            if let current, let same = segments.firstIndex(where: { $0.number == current }) {
                index = same
            } else if let newer = segments.firstIndex(where: { $0.number > (current ?? 0) }) {
                enter(segment: newer)
            } else {
                break
            }
        }
        return out
    }

    /// The next complete line of the buffer, without its newline.
    /// Reading goes on from the start of `segments[newIndex]`.
    mutating func enter(segment newIndex: Int) {
        index = newIndex
        offset = 0
        buffer = []
        position = 0
    }

    mutating func nextLine() -> ArraySlice<UInt8>? {
        guard position < buffer.count, let newline = buffer[position...].firstIndex(of: 0x0A) else { return nil }
        let line = buffer[position..<newline]
        position = newline + 1
        return line
    }

    /// Reads the current segment from the end of the last complete line; true when a complete
    /// line more is there.
    mutating func reload() throws(AuditWriteError) -> Bool {
        guard index < segments.count else { return false }
        let path = segments[index].path
        let consumed = offset + position
        guard let bytes = AuditLog.readFile(path, from: consumed) else {
            if errno == ENOENT { return false }  // pruned while we read: go on with the next
            throw AuditWriteError("read", path: path, code: errno)
        }
        guard bytes.contains(0x0A) else { return false }
        offset = consumed
        buffer = bytes
        position = 0
        return true
    }

    /// The first record of a segment, reading no more than the first line.
    static func firstRecord(of path: String) -> AuditRecord? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var line: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while line.count < 1 << 24 {
            let n = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(line.count)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return nil }
            if let newline = chunk[0..<n].firstIndex(of: 0x0A) {
                line += chunk[0..<newline]
                return try? AuditRecord(line: String(decoding: line, as: UTF8.self))
            }
            line += chunk[0..<n]
        }
        return nil
    }
}
