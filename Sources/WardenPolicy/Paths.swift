/// The file system questions the policy needs answered. The hook answers them with system calls;
/// tests and `warden policy explain --no-filesystem` answer with nothing, which keeps the engine pure.
public protocol FileSystemView: Sendable {
    /// The path with every symbolic link resolved, or nil when it does not exist.
    func resolvedPath(_ absolutePath: String) -> String?
    /// The paths a shell glob (relative patterns already made absolute) expands to now.
    func expandGlob(_ absolutePattern: String) -> [String]
}

/// A file system with nothing in it: no links are followed and no glob expands.
public struct NoFileSystem: FileSystemView {
    public init() {}
    public func resolvedPath(_ absolutePath: String) -> String? { nil }
    public func expandGlob(_ absolutePattern: String) -> [String] { [] }
}

/// Lexical path helpers (no system calls), shared with the `warden` CLI.
public enum Paths {
    /// `path` made absolute and normalised lexically: `~` expanded, joined to `directory` when
    /// relative, `.` and `..` and repeated slashes removed. Nil when it is relative and the
    /// directory is unknown, or `~` is used and the home is unknown.
    static func absolute(_ path: String, relativeTo directory: String?, home: String?) -> String? {
        var path = path
        if path == "~" || path.hasPrefix("~/") {
            guard let home else { return nil }
            path = home + path.dropFirst()
        }
        if !path.hasPrefix("/") {
            guard let directory, directory.hasPrefix("/") else { return nil }
            path = directory + "/" + path
        }
        return normalize(path)
    }

    /// Removes `.`, `..` and empty segments from an absolute path. `..` at the root stays at the
    /// root, as the kernel resolves it.
    public static func normalize(_ absolutePath: String) -> String {
        var parts: [Substring] = []
        for part in absolutePath.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..": if !parts.isEmpty { parts.removeLast() }
            default: parts.append(part)
            }
        }
        // Appended one by one: the generic `joined(separator:)` over substrings looks up its
        // conformances at run time on first use, a twentieth of a hook call.
        var result = ""
        for part in parts {
            result.append("/")
            result.append(contentsOf: part)
        }
        return result.isEmpty ? "/" : result
    }

    public static func lastComponent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        let name = path[path.index(after: slash)...]
        return name.isEmpty ? path : String(name)
    }

    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// Paths that name no file a policy could protect: terminals, the standard streams, the
    /// bit bucket.
    static func isPseudoFile(_ absolutePath: String) -> Bool {
        switch absolutePath {
        case "/dev/null", "/dev/zero", "/dev/stdin", "/dev/stdout", "/dev/stderr", "/dev/tty", "/dev/random", "/dev/urandom":
            return true
        default:
            return absolutePath.hasPrefix("/dev/fd/") || absolutePath.hasPrefix("/dev/pts/")
        }
    }
}
