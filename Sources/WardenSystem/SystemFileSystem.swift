#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
public import WardenPolicy

/// The real file system, through libc: symbolic links resolved by realpath(3), globs expanded by
/// glob(3) with the shell's rules (a leading dot must be matched explicitly).
public struct SystemFileSystem: FileSystemView {
    public init() {}

    public func resolvedPath(_ absolutePath: String) -> String? {
        guard let resolved = realpath(absolutePath, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    public func expandGlob(_ absolutePattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard glob(absolutePattern, 0, nil, &result) == 0 else { return [] }
        var paths: [String] = []
        for index in 0..<Int(result.gl_pathc) {
            if let path = result.gl_pathv[index] { paths.append(String(cString: path)) }
        }
        return paths
    }
}
