#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import WardenAudit
import WardenJSON

/// How far the export has got: the last record a collector acknowledged (with a 2xx), kept in
/// `export-cursor` in the log's directory as one line of JSON:
///
///     {"v":1,"seq":120,"hash":"9f2c…","endpoint":"https://collector.example:4318/v1/logs","time":"2026-11-20T09:30:12.345Z"}
///
/// `hash` is that record's hash, so that a log replaced or rewritten under the cursor shows;
/// `endpoint` is where it was acknowledged; `time` is when.
public struct ExportCursor: Sendable, Hashable {
    public static let fileName = "export-cursor"
    public static let lockName = "export.lock"
    public static let formatVersion = 1

    public var seq: Int
    public var hash: String
    public var endpoint: String
    public var time: AuditTime

    public init(seq: Int, hash: String, endpoint: String, time: AuditTime) {
        self.seq = seq
        self.hash = hash
        self.endpoint = endpoint
        self.time = time
    }

    public static func path(in directory: String) -> String { directory + "/" + fileName }

    public func encoded() -> String {
        var out = "{\"v\":\(ExportCursor.formatVersion),\"seq\":\(seq),\"hash\":"
        JSONValue.writeString(hash, to: &out)
        out += ",\"endpoint\":"
        JSONValue.writeString(endpoint, to: &out)
        out += ",\"time\":\"\(time.rfc3339)\"}\n"
        return out
    }

    /// Reads what `encoded()` wrote; nil when the text is not a cursor.
    public init?(parsing text: String) {
        guard let json = try? JSONValue.parse(text), json["v"]?.integer == ExportCursor.formatVersion,
            let seq = json["seq"]?.integer, seq >= 0, let hash = json["hash"]?.string, hash.utf8.count == 64,
            hash.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }),
            let endpoint = json["endpoint"]?.string,
            let time = json["time"]?.string.flatMap(AuditTime.init(rfc3339:))
        else { return nil }
        self.init(seq: seq, hash: hash, endpoint: endpoint, time: time)
    }

    /// The cursor in `directory`: nil when there is none yet; an error when it cannot be read or
    /// is not a cursor (never guessed: a wrong cursor would send records twice, or never).
    public static func read(directory: String) -> Result<ExportCursor?, ExportCursorError> {
        let path = path(in: directory)
        guard access(path, F_OK) == 0 else { return .success(nil) }
        guard let bytes = AuditLog.readFile(path, from: 0) else { return .failure(.unreadable(path: path, reason: String(cString: strerror(errno)))) }
        guard let cursor = ExportCursor(parsing: String(decoding: bytes, as: UTF8.self)) else {
            return .failure(.malformed(path: path))
        }
        return .success(cursor)
    }

    /// Replaces the cursor in `directory`: writes a temporary file, flushes it, renames it over
    /// the old one and flushes the directory, so a crash leaves the old cursor or the new one,
    /// never a mix.
    public func save(directory: String) -> AuditWriteError? {
        let path = ExportCursor.path(in: directory)
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard fd >= 0 else { return AuditWriteError("create", path: temporary, code: errno) }
        var text = encoded()
        let written = text.withUTF8 { write(fd, $0.baseAddress, $0.count) }
        if written != text.utf8.count {
            let code = written < 0 ? errno : ENOSPC
            close(fd)
            unlink(temporary)
            return AuditWriteError("write", path: temporary, code: code)
        }
        if fsync(fd) != 0 {
            let code = errno
            close(fd)
            unlink(temporary)
            return AuditWriteError("flush", path: temporary, code: code)
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            return AuditWriteError("rename", path: temporary, code: code)
        }
        let dir = open(directory, O_RDONLY | O_CLOEXEC)
        if dir >= 0 {
            _ = fsync(dir)
            close(dir)
        }
        return nil
    }

    /// Takes `export.lock` in `directory` so that two exports of one log never run at once (they
    /// would send the same records). Returns the descriptor to keep open while exporting; nil
    /// with no error when another export holds the lock.
    public static func lock(directory: String) -> Result<Int32?, AuditWriteError> {
        let path = directory + "/" + lockName
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { return .failure(AuditWriteError("open", path: path, code: errno)) }
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            if errno == EINTR { continue }
            let code = errno
            close(fd)
            if code == EWOULDBLOCK { return .success(nil) }
            return .failure(AuditWriteError("lock", path: path, code: code))
        }
        return .success(fd)
    }
}

/// Why the cursor file cannot be used.
public enum ExportCursorError: Error, Sendable, Hashable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case malformed(path: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): "\(path): cannot read the export cursor: \(reason)"
        case .malformed(let path): "\(path): not an export cursor; move it away to send every record kept again"
        }
    }
}
