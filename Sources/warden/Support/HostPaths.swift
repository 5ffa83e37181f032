import Glibc
import WardenSystem

/// Path questions the CLI asks of the host, answered through libc. They replace NSString's path
/// methods and Bundle, which are full Foundation's: linking it brought its ICU data (34 MB) into
/// `warden` (README, "Sizes").
enum HostPaths {
    /// The running `warden`, its symbolic links resolved (`/proc/self/exe`), else argv[0].
    static var executable: String { realPath("/proc/self/exe") ?? CommandLine.arguments[0] }

    /// The directory of the running `warden`, where its `warden-hook` and `warden-sandbox-init` are.
    static var executableDirectory: String { parent(executable) }

    /// The path with every symbolic link resolved, or nil when it does not exist.
    static func realPath(_ path: String) -> String? { SystemFileSystem().resolvedPath(path) }

    /// The path with its links resolved when it exists, else as given (NSString's
    /// `resolvingSymlinksInPath` for the paths the CLI compares).
    static func resolvingSymlinks(_ path: String) -> String { realPath(path) ?? path }

    /// The path without its last component: `/a/b` → `/a`, `/a` → `/`, `name` → `` (as NSString's
    /// `deletingLastPathComponent`, which callers walking up to `/` or `` rely on).
    static func parent(_ path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "" }
        return slash == trimmed.startIndex ? "/" : String(trimmed[..<slash])
    }

    /// Whether the path is a directory (links followed); nil when it does not exist.
    static func isDirectory(_ path: String) -> Bool? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return info.st_mode & S_IFMT == S_IFDIR
    }

    /// At most `limit` bytes from the start of a file; nil when it cannot be read.
    static func head(_ path: String, limit: Int) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: limit)
        var filled = 0
        while filled < limit {
            let count = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, limit - filled) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            filled += count
        }
        return Array(bytes.prefix(filled))
    }

    /// The name of the effective user (from the password database), else its number.
    static var userName: String {
        if let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name { return String(cString: name) }
        return "uid \(geteuid())"
    }
}
