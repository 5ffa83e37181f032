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
    /// `body`, compiled once when the policy is read: each check joins it to its anchor's
    /// directory taken literally, instead of compiling the joined text again for every path.
    let compiledBody: GlobPattern

    init(_ specifier: String) throws(GlobPattern.SyntaxError) {
        // The prefixes are tested on the String: Substring's hasPrefix is the generic
        // `starts(with:)`, which cost the hook more than the rest of reading the anchor.
        var text = Substring(specifier)
        if specifier.hasPrefix("//") {
            anchor = .root
            text = text.drop(while: { $0 == "/" })
        } else if specifier == "~" || specifier.hasPrefix("~/") {
            anchor = .home
            text = text.dropFirst().drop(while: { $0 == "/" })
        } else if specifier.hasPrefix("/") {
            anchor = .settingsFile
            text = text.dropFirst()
        } else if specifier.hasPrefix("./") {
            anchor = .workingDirectory
            text = text.dropFirst(2)
        } else {
            // gitignore: a slash before the end anchors the pattern; `**/` at the start does not.
            let withoutTrailing = specifier.hasSuffix("/") ? text.dropLast() : text
            let anchored = withoutTrailing.contains("/") && !specifier.hasPrefix("**/")
            anchor = anchored ? .workingDirectory : .anyDepth
            if specifier.hasPrefix("**/") { text = text.dropFirst(3) }
        }
        body = String(text)
        // Compiled when the policy is read, which also reports syntax errors then.
        compiledBody = try GlobPattern(absolute: "/" + body)
    }

    static func == (lhs: PathPattern, rhs: PathPattern) -> Bool { lhs.anchor == rhs.anchor && lhs.body == rhs.body }

    func hash(into hasher: inout Hasher) {
        hasher.combine(anchor)
        hasher.combine(body)
    }

    /// What a pattern is anchored to during one evaluation.
    struct Context: Sendable {
        var workingDirectory: String?
        var home: String?
        var settingsDirectory: String?
    }

    /// The directories of a `Context`, each as literal glob segments, made once for all the
    /// rules of an evaluation.
    struct Anchors: Sendable {
        let workingDirectory: [GlobPattern.Segment]?
        let home: [GlobPattern.Segment]?
        let settingsDirectory: [GlobPattern.Segment]?

        init(_ context: Context) {
            func literal(_ directory: String?) -> [GlobPattern.Segment]? {
                directory.map { GlobPattern.literalSegments(of: Paths.normalize($0)) }
            }
            workingDirectory = literal(context.workingDirectory)
            home = literal(context.home)
            settingsDirectory = literal(context.settingsDirectory)
        }
    }

    /// Whether `absolutePath` (normalised) or a directory above it matches. `strict` is set for deny
    /// and ask rules: then `/path` is also tried from the working directory, and a pattern
    /// anchored to the working directory is also tried at any depth, so that a protective rule
    /// still applies when the session starts somewhere else.
    func matches(_ absolutePath: String, in context: Context, strict: Bool) -> Bool {
        matches(GlobPattern.Subject(absolutePath), anchors: Anchors(context), strict: strict)
    }

    func matches(_ subject: GlobPattern.Subject, anchors: Anchors, strict: Bool) -> Bool {
        for base in bases(anchors, strict: strict) where compiledBody.prefixed(by: base).matchesItselfOrAncestor(of: subject) {
            return true
        }
        return false
    }

    /// Whether a relative path whose base directory is unknown (after `cd "$X"`) could be the tail
    /// of a protected path: the pattern's tails are tried at any depth, but never a bare `**`,
    /// which would take every path along.
    func mayMatch(relativePath: String) -> Bool {
        let subject = GlobPattern.Subject("/" + relativePath)
        var segments = compiledBody.segments[...]
        while let first = segments.first, first != .anyDepth {
            if GlobPattern(segments: Array(segments)).prefixed(by: [.anyDepth]).matchesItselfOrAncestor(of: subject) {
                return true
            }
            segments.removeFirst()
        }
        return false
    }

    /// The directories the body is tried below, as glob segments (`[.anyDepth]` for any depth;
    /// empty for the root). The same anchors as `absolutePatterns(in:strict:)` gives as text.
    private func bases(_ anchors: Anchors, strict: Bool) -> [[GlobPattern.Segment]] {
        switch anchor {
        case .root:
            return [[]]
        case .home:
            return [anchors.home].compactMap { $0 }
        case .settingsFile:
            return [anchors.settingsDirectory, strict ? anchors.workingDirectory : nil].compactMap { $0 }
        case .workingDirectory:
            return [anchors.workingDirectory, strict ? [.anyDepth] : nil].compactMap { $0 }
        case .anyDepth:
            if strict { return [[.anyDepth]] }
            return [anchors.workingDirectory.map { $0 + [.anyDepth] }].compactMap { $0 }
        }
    }
}
