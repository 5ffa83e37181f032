#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
public import WardenPolicy

/// Why a file or stream could not be read, in words fit for a one-line message.
public enum ReadFailure: Error, Sendable, CustomStringConvertible {
    case system(String)
    case tooLarge(limit: Int)

    public var description: String {
        switch self {
        case .system(let message): message
        case .tooLarge(let limit): "larger than \(limit / 1024 / 1024) MiB"
        }
    }
}

public enum Files {
    /// The text of errno `code`.
    public static func errorText(_ code: Int32) -> String { String(cString: strerror(code)) }

    /// Everything a file descriptor yields until end of file, up to `limit` bytes.
    public static func readAll(fileDescriptor fd: Int32, limit: Int) -> Result<[UInt8], ReadFailure> {
        // Chunks are read into uninitialised storage: zeroing a 64 KiB buffer for a 300-byte hook
        // event cost more than the rest of reading it (every hook call reads two files).
        var data: [UInt8] = []
        var chunkSize = 16 * 1024
        while true {
            var failure: Int32 = 0
            let chunk = [UInt8](unsafeUninitializedCapacity: chunkSize) { buffer, initialized in
                initialized = 0
                while true {
                    let count = Glibc.read(fd, buffer.baseAddress, buffer.count)
                    if count >= 0 {
                        initialized = count
                        return
                    }
                    if errno != EINTR {
                        failure = errno
                        return
                    }
                }
            }
            if failure != 0 { return .failure(.system(errorText(failure))) }
            if chunk.isEmpty { return .success(data) }
            if data.isEmpty { data = chunk } else { data.append(contentsOf: chunk) }
            if data.count > limit { return .failure(.tooLarge(limit: limit)) }
            chunkSize = min(chunkSize * 2, 1024 * 1024)
        }
    }

    public static func read(path: String, limit: Int) -> Result<[UInt8], ReadFailure> {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .failure(.system("cannot open: \(errorText(errno))")) }
        defer { close(fd) }
        return readAll(fileDescriptor: fd, limit: limit).mapError { failure in
            if case .system(let message) = failure { return .system("cannot read: \(message)") }
            return failure
        }
    }

    /// Writes all of `bytes`, retrying short writes and interruptions; false on an error (errno).
    @discardableResult
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += written
            }
            return true
        }
    }

    @discardableResult
    public static func writeAll(_ fd: Int32, _ text: String) -> Bool {
        writeAll(fd, Array(text.utf8))
    }

    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// The value of an environment variable, nil when unset or empty.
    public static func environment(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        let text = String(cString: value)
        return text.isEmpty ? nil : text
    }
}

/// Where the managed policy is, and reading it.
public enum PolicyFile {
    /// Claude Code's managed-settings file on Linux.
    public static let managedSettingsPath = "/etc/claude-code/managed-settings.json"

    /// The policy path: the one given, else `$WARDEN_POLICY`, else the managed-settings file.
    public static func locate(given: String?) -> String {
        given ?? Files.environment("WARDEN_POLICY") ?? managedSettingsPath
    }

    /// The policy and the bytes it was read from (nil when unreadable): the decision log records
    /// their hash.
    public static func loadWithBytes(path: String) -> (policy: Result<Policy, PolicyLoadError>, bytes: [UInt8]?) {
        switch Files.read(path: path, limit: 4 * 1024 * 1024) {
        case .failure(let failure): (.failure(.unreadable(path: path, reason: failure.description)), nil)
        case .success(let bytes): (parse(bytes, path: path), bytes)
        }
    }

    public static func load(path: String) -> Result<Policy, PolicyLoadError> {
        loadWithBytes(path: path).policy
    }

    static func parse(_ bytes: [UInt8], path: String) -> Result<Policy, PolicyLoadError> {
        let text = String(decoding: bytes, as: UTF8.self)
        return Result { () throws(PolicyLoadError) in try Policy.parse(text: text, path: path) }
    }
}
