// gitignore-style glob matching over `/`-separated paths, written by hand because the hook cannot
// link Foundation or call fnmatch(3) from pure code, and fnmatch has no `**`.
//
// `*` matches any run of characters within one path segment (dotfiles included, as in gitignore),
// `?` one character, `[abc]`, `[a-z]`, `[!x]`/`[^x]` a character class, `\x` the character x, and a
// segment that is exactly `**` any number of whole segments, none included.

struct GlobPattern: Sendable, Hashable {
    let segments: [Segment]

    enum Segment: Sendable, Hashable {
        case anyDepth
        case pattern([Token])
    }

    enum Token: Sendable, Hashable {
        case literal(Character)
        case anyRun
        case anyOne
        case characterClass(ranges: [ClosedRange<Character>], negated: Bool)
    }

    /// Problems `warden policy check` reports: an unclosed `[`, a trailing `\`.
    struct SyntaxError: Error, Sendable, Hashable {
        let message: String
    }

    init(segments: [Segment]) {
        self.segments = segments
    }

    /// A path split into its segments' characters once, so that one path is matched against
    /// many patterns (every path rule, each prefix for ancestors, each `**` position) without
    /// cutting it into characters again each time: that repeated cutting was most of what a
    /// path rule's check cost the hook.
    struct Subject: Sendable {
        let parts: [[Character]]

        init(_ path: String) {
            parts = GlobPattern.segments(of: path).map(GlobPattern.characters)
        }
    }

    /// `text` cut at each `/`, empty segments left out. ASCII text is cut as bytes: a `/` there
    /// is always a character of its own (only a combining mark, never ASCII, can join one).
    static func segments(of text: String) -> [Substring] {
        guard text.utf8.allSatisfy({ $0 < 0x80 }) else {
            return text.split(separator: "/", omittingEmptySubsequences: true)
        }
        var segments: [Substring] = []
        let utf8 = text.utf8
        var start = utf8.startIndex
        var index = start
        while index < utf8.endIndex {
            if utf8[index] == UInt8(ascii: "/") {
                if start < index { segments.append(text[start..<index]) }
                start = utf8.index(after: index)
            }
            index = utf8.index(after: index)
        }
        if start < utf8.endIndex { segments.append(text[start..<utf8.endIndex]) }
        return segments
    }

    /// The characters of `text`. ASCII text without a carriage return (which joins a following
    /// line feed into one character) has one character per byte, taken without grapheme
    /// breaking, which is what cutting paths and patterns into characters mostly cost.
    static func characters(of text: Substring) -> [Character] {
        let utf8 = text.utf8
        guard utf8.allSatisfy({ $0 < 0x80 && $0 != 0x0D }) else { return Array(text) }
        return utf8.map { Character(Unicode.Scalar($0)) }
    }

    /// The segments of a directory taken literally (no character in it is a wildcard): what
    /// escaping the directory and compiling it as a pattern gives, without the compiling.
    static func literalSegments(of directory: String) -> [Segment] {
        segments(of: directory).map { part in .pattern(characters(of: part).map { .literal($0) }) }
    }

    /// `prefix` followed by this pattern, as compiling their texts joined by `/` would give.
    func prefixed(by prefix: [Segment]) -> GlobPattern {
        guard let last = prefix.last else { return self }
        var joined = prefix
        joined.reserveCapacity(prefix.count + segments.count)
        var rest = segments[...]
        if last == .anyDepth, rest.first == .anyDepth { rest = rest.dropFirst() }
        joined.append(contentsOf: rest)
        return GlobPattern(segments: joined)
    }

    /// `text` is an absolute pattern: it starts with `/`.
    init(absolute text: String) throws(SyntaxError) {
        var segments: [Segment] = []
        for part in GlobPattern.segments(of: text) {
            if part == "**" {
                if segments.last != .anyDepth { segments.append(.anyDepth) }
            } else {
                segments.append(.pattern(try GlobPattern.tokens(of: part)))
            }
        }
        self.segments = segments
    }

    private static func tokens(of segment: Substring) throws(SyntaxError) -> [Token] {
        var tokens: [Token] = []
        var characters = GlobPattern.characters(of: segment).makeIterator()
        while let character = characters.next() {
            switch character {
            case "*":
                if tokens.last != .anyRun { tokens.append(.anyRun) }
            case "?":
                tokens.append(.anyOne)
            case "\\":
                guard let escaped = characters.next() else { throw SyntaxError(message: "pattern ends with a lone '\\'") }
                tokens.append(.literal(escaped))
            case "[":
                var ranges: [ClosedRange<Character>] = []
                var negated = false
                var closed = false
                var first = true
                var pending: [Character] = []
                while let member = characters.next() {
                    if first && (member == "!" || member == "^") {
                        negated = true
                        first = false
                        continue
                    }
                    if member == "]" && !first {
                        closed = true
                        break
                    }
                    first = false
                    pending.append(member == "\\" ? (characters.next() ?? "\\") : member)
                }
                guard closed else { throw SyntaxError(message: "'[' without a closing ']'") }
                var index = 0
                while index < pending.count {
                    if index + 2 < pending.count && pending[index + 1] == "-" {
                        let low = pending[index], high = pending[index + 2]
                        guard low <= high else { throw SyntaxError(message: "range \(low)-\(high) is reversed") }
                        ranges.append(low...high)
                        index += 3
                    } else {
                        ranges.append(pending[index]...pending[index])
                        index += 1
                    }
                }
                tokens.append(.characterClass(ranges: ranges, negated: negated))
            default:
                tokens.append(.literal(character))
            }
        }
        return tokens
    }

    /// Whether the pattern matches the absolute, normalised `path` exactly (not an ancestor).
    func matches(_ path: String) -> Bool {
        GlobPattern.match(segments[...], Subject(path).parts[...])
    }

    /// Whether the pattern matches `path` or one of its ancestor directories: as in gitignore, a
    /// directory that matches takes everything below it along (`Read(**/.ssh)` covers
    /// `~/.ssh/id_rsa`).
    func matchesItselfOrAncestor(of path: String) -> Bool {
        matchesItselfOrAncestor(of: Subject(path))
    }

    func matchesItselfOrAncestor(of subject: Subject) -> Bool {
        let parts = subject.parts
        var count = parts.count
        while count > 0 {
            if GlobPattern.match(segments[...], parts[..<count]) { return true }
            count -= 1
        }
        return false
    }

    private static func match(_ segments: ArraySlice<Segment>, _ parts: ArraySlice<[Character]>) -> Bool {
        guard let first = segments.first else { return parts.isEmpty }
        switch first {
        case .anyDepth:
            let rest = segments.dropFirst()
            var remaining = parts
            while true {
                if match(rest, remaining) { return true }
                guard !remaining.isEmpty else { return false }
                remaining = remaining.dropFirst()
            }
        case .pattern(let tokens):
            guard let part = parts.first, matchSegment(tokens[...], part[...]) else { return false }
            return match(segments.dropFirst(), parts.dropFirst())
        }
    }

    private static func matchSegment(_ tokens: ArraySlice<Token>, _ characters: ArraySlice<Character>) -> Bool {
        // Iterative matching with one backtrack point per `*`, linear in practice.
        var t = tokens.startIndex, c = characters.startIndex
        var starToken: Int? = nil, starCharacter = 0
        while c < characters.endIndex {
            if t < tokens.endIndex {
                switch tokens[t] {
                case .anyRun:
                    starToken = t
                    starCharacter = c
                    t += 1
                    continue
                case .anyOne:
                    t += 1; c += 1
                    continue
                case .literal(let literal) where literal == characters[c]:
                    t += 1; c += 1
                    continue
                case .characterClass(let ranges, let negated)
                    where ranges.contains(where: { $0.contains(characters[c]) }) != negated:
                    t += 1; c += 1
                    continue
                default:
                    break
                }
            }
            guard let star = starToken else { return false }
            t = star + 1
            starCharacter += 1
            c = starCharacter
        }
        while t < tokens.endIndex, tokens[t] == .anyRun { t += 1 }
        return t == tokens.endIndex
    }
}

/// Matches `text` against a pattern in which `*` stands for any run of characters, `/` and spaces
/// included: the wildcard of `Bash(git * main)` rules.
func wildcardMatch(_ pattern: String, _ text: String) -> Bool {
    let p = Array(pattern), s = Array(text)
    var i = 0, j = 0
    var star: Int? = nil, mark = 0
    while j < s.count {
        if i < p.count && p[i] == "*" {
            star = i
            mark = j
            i += 1
        } else if i < p.count && p[i] == s[j] {
            i += 1; j += 1
        } else if let starIndex = star {
            i = starIndex + 1
            mark += 1
            j = mark
        } else {
            return false
        }
    }
    while i < p.count && p[i] == "*" { i += 1 }
    return i == p.count
}
