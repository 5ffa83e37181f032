/// Where a path rule's pattern is anchored, in Claude Code's syntax.
struct PathPattern: Sendable, Hashable {
    enum Anchor: Sendable, Hashable {
        /// `//abs/path`: from the file system root.
        case root
        /// `~/path`: from the user's home.
        case home
        /// `/path`: from the directory of the settings file.
        case settingsFile
        /// `./path`, and `path` with a slash inside: from the session's working directory.
        case workingDirectory
        /// `name`, `**/path`: at any depth below the working directory in Claude Code; Warden's deny
        /// and ask rules match them at any depth anywhere.
        case anyDepth
    }

    let anchor: Anchor
    /// The pattern after its anchor, without leading slashes.
    let body: String

    init(_ specifier: String) throws(GlobPattern.SyntaxError) {
        var text = Substring(specifier)
        if text.hasPrefix("//") {
            anchor = .root
            text = text.drop(while: { $0 == "/" })
        } else if text == "~" || text.hasPrefix("~/") {
            anchor = .home
            text = text.dropFirst().drop(while: { $0 == "/" })
        } else if text.hasPrefix("/") {
            anchor = .settingsFile
            text = text.dropFirst()
        } else if text.hasPrefix("./") {
            anchor = .workingDirectory
            text = text.dropFirst(2)
        } else {
            // gitignore: a slash before the end anchors the pattern; `**/` at the start does not.
            let withoutTrailing = text.hasSuffix("/") ? text.dropLast() : text
            let anchored = withoutTrailing.contains("/") && !text.hasPrefix("**/")
            anchor = anchored ? .workingDirectory : .anyDepth
            if text.hasPrefix("**/") { text = text.dropFirst(3) }
        }
        body = String(text)
        // Compile once to report syntax errors when the policy is read.
        _ = try GlobPattern(absolute: "/" + body)
    }

    /// What a pattern is anchored to during one evaluation.
    struct Context: Sendable {
        var workingDirectory: String?
        var home: String?
        var settingsDirectory: String?
    }

    /// Whether `absolutePath` (normalised) or a directory above it matches. `strict` is set for deny
    /// and ask rules: then `/path` is also tried from the working directory, and a pattern
    /// anchored to the working directory is also tried at any depth, so that a protective rule
    /// still applies when the session starts somewhere else.
    func matches(_ absolutePath: String, in context: Context, strict: Bool) -> Bool {
        for base in bases(in: context, strict: strict) {
            if let pattern = try? GlobPattern(absolute: base + "/" + body),
                pattern.matchesItselfOrAncestor(of: absolutePath)
            {
                return true
            }
        }
        return false
    }

    /// Whether a relative path whose base directory is unknown (after `cd "$X"`) could be the tail
    /// of a protected path: the pattern's tails are tried at any depth, but never a bare `**`,
    /// which would take every path along.
    func mayMatch(relativePath: String) -> Bool {
        var segments = body.split(separator: "/", omittingEmptySubsequences: true)
        while let first = segments.first, first != "**" {
            if let pattern = try? GlobPattern(absolute: "/**/" + segments.joined(separator: "/")),
                pattern.matchesItselfOrAncestor(of: "/" + relativePath)
            {
                return true
            }
            segments.removeFirst()
        }
        return false
    }

    private func bases(in context: Context, strict: Bool) -> [String] {
        func escaped(_ path: String?) -> String? {
            guard let path else { return nil }
            var result = ""
            for character in Paths.normalize(path) {
                if "*?[]\\".contains(character) { result.append("\\") }
                result.append(character)
            }
            return result == "/" ? "" : result
        }
        switch anchor {
        case .root:
            return [""]
        case .home:
            return [escaped(context.home)].compactMap { $0 }
        case .settingsFile:
            return [escaped(context.settingsDirectory), strict ? escaped(context.workingDirectory) : nil].compactMap { $0 }
        case .workingDirectory:
            return [escaped(context.workingDirectory), strict ? "/**" : nil].compactMap { $0 }
        case .anyDepth:
            if strict { return ["/**"] }
            return [escaped(context.workingDirectory).map { $0 + "/**" }].compactMap { $0 }
        }
    }
}
