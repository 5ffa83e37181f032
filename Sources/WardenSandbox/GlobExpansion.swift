public import WardenPolicy

/// Where a `**` that starts above them (`**/.env*`, anchored at `/`) is looked for: walking the
/// whole file system at every start is out of the question, so such patterns are expanded in the
/// project and, a few levels deep, in the home directory. A match elsewhere, or a file created
/// after the start, is still guarded by the hook's own rules.
public struct GlobScanRoot: Sendable, Hashable {
    public var path: String
    /// How many directory levels below `path` are searched; nil for all.
    public var maxDepth: Int?
    public init(path: String, maxDepth: Int? = nil) {
        self.path = path
        self.maxDepth = maxDepth
    }
}

/// Expands the hook's glob patterns against the disk, by walking only what a pattern can reach:
/// literal segments are looked up, not listed; a wildcard segment lists one directory; a `**`
/// walks the subtree below it once, skipping `.git` and never entering a directory that already
/// matched (its mask covers everything below it) nor following symbolic links.
public enum GlobExpansion {
    public static func expand(_ glob: PathGlob, fileSystem: any SandboxFileSystem, scanRoots: [GlobScanRoot]) -> [String] {
        var walker = Walker(glob: glob, fileSystem: fileSystem, scanRoots: scanRoots)
        walker.walk("/", 0)
        var seen: Set<String> = []
        return walker.found.filter { seen.insert($0).inserted }
    }

    struct Walker {
        let glob: PathGlob
        let fileSystem: any SandboxFileSystem
        let scanRoots: [GlobScanRoot]
        var found: [String] = []

        mutating func walk(_ directory: String, _ index: Int) {
            let segments = glob.segments
            guard index < segments.count else {
                found.append(directory)
                return
            }
            guard let segment = segments[index] else {
                if index == segments.count - 1 {
                    // `dir/**`: the directory and all below it, one mask.
                    found.append(directory)
                    return
                }
                subtreeSearch(below: directory)
                return
            }
            if PathGlob.isLiteral(segment) {
                let child = SandboxPaths.join(directory, segment)
                guard let kind = fileSystem.kind(of: child) else { return }
                if index + 1 < segments.count, kind == .file { return }
                walk(child, index + 1)
                return
            }
            guard let entries = fileSystem.entries(of: directory) else { return }
            for entry in entries where PathGlob.segment(entry.name, matches: segment) {
                if index + 1 < segments.count, entry.kind == .file { continue }
                walk(SandboxPaths.join(directory, entry.name), index + 1)
            }
        }

        /// A `**` followed by more segments: every path below `directory` is tried against the
        /// whole pattern. Above the scan roots (`/**/x`), only the scan roots are searched.
        mutating func subtreeSearch(below directory: String) {
            if let root = scanRoots.first(where: { SandboxPaths.isInside(directory, $0.path) }) {
                let used = SandboxPaths.depth(directory) - SandboxPaths.depth(root.path)
                search(directory, remainingDepth: root.maxDepth.map { $0 - used })
                return
            }
            for root in scanRoots where SandboxPaths.isInside(root.path, directory) && fileSystem.kind(of: root.path) == .directory {
                if glob.matches(root.path) {
                    found.append(root.path)
                    continue
                }
                search(root.path, remainingDepth: root.maxDepth)
            }
        }

        mutating func search(_ directory: String, remainingDepth: Int?) {
            if let remainingDepth, remainingDepth <= 0 { return }
            guard let entries = fileSystem.entries(of: directory) else { return }
            for entry in entries where entry.name != ".git" {
                // The name first: most entries are files that cannot end a match, and need no path.
                let mayEnd = glob.mayEndWith(name: entry.name)
                guard mayEnd || entry.kind == .directory else { continue }
                let path = SandboxPaths.join(directory, entry.name)
                if mayEnd && glob.matches(path) {
                    found.append(path)
                    continue
                }
                if entry.kind == .directory {
                    search(path, remainingDepth: remainingDepth.map { $0 - 1 })
                }
            }
        }
    }
}
