import WardenSandbox

/// A disk in memory for the plan's tests: directories, files with contents, symbolic links.
struct MemoryFileSystem: SandboxFileSystem {
    enum Node: Sendable, Hashable {
        case directory
        case file(String)
        case symlink(String)
    }

    var nodes: [String: Node] = ["/": .directory]

    /// Adds a file or directory (a trailing `/`) and every directory above it.
    mutating func add(_ path: String, _ contents: String = "") {
        if path.hasSuffix("/") {
            addDirectories(String(path.dropLast()))
        } else {
            addDirectories(parent(path))
            nodes[path] = .file(contents)
        }
    }

    mutating func link(_ path: String, to target: String) {
        addDirectories(parent(path))
        nodes[path] = .symlink(target)
    }

    mutating func addDirectories(_ path: String) {
        var current = ""
        for part in path.split(separator: "/") {
            current += "/" + part
            if nodes[current] == nil { nodes[current] = .directory }
        }
    }

    func parent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return "/" }
        return String(path[..<slash])
    }

    func kind(of path: String) -> PathKind? {
        switch nodes[path] {
        case .directory: .directory
        case .file: .file
        case .symlink: .symlink
        case nil: nil
        }
    }

    func resolvedPath(_ path: String) -> String? {
        var resolved: [String] = []
        var pending = path.split(separator: "/").map(String.init)
        var hops = 0
        while !pending.isEmpty {
            let part = pending.removeFirst()
            if part == "." { continue }
            if part == ".." {
                if !resolved.isEmpty { resolved.removeLast() }
                continue
            }
            let candidate = "/" + (resolved + [part]).joined(separator: "/")
            switch nodes[candidate] {
            case nil: return nil
            case .symlink(let target):
                hops += 1
                if hops > 40 { return nil }
                if target.hasPrefix("/") { resolved = [] }
                pending = target.split(separator: "/").map(String.init) + pending
            default:
                resolved.append(part)
            }
        }
        return "/" + resolved.joined(separator: "/")
    }

    func entries(of directory: String) -> [DirectoryEntry]? {
        guard nodes[directory] == .directory else { return nil }
        let prefix = directory == "/" ? "/" : directory + "/"
        return nodes.keys.filter { $0.hasPrefix(prefix) && $0 != directory && !$0.dropFirst(prefix.count).contains("/") }
            .sorted().map { DirectoryEntry(name: String($0.dropFirst(prefix.count)), kind: kind(of: $0)!) }
    }

    func contents(of path: String) -> String? {
        guard let resolved = resolvedPath(path), case .file(let text) = nodes[resolved] else { return nil }
        return text
    }
}
