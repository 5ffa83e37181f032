import Testing
@testable import WardenPolicy

/// The matcher compiles a path rule's body once and joins it to its anchor's directory taken
/// literally; these tests hold it to what compiling the joined text, the way it was done before,
/// gives: the escaped directory, a `/`, the body.
@Suite struct CompiledPatternTests {
    static let bodies = [
        ".env*", "**/.env*", "secrets/**", "**/secrets/**", ".ssh", ".ssh/**", "credentials.[jt]son", "id_rsa?",
        "src/**/*.ts", "a/**/**/b", "**", "", "*.p[!e]m", "x\\*y", "caf\u{E9}/*.txt", "cafe\u{301}/*.txt", "[a-c]?/**/z",
    ]
    static let directories = [
        "/", "/home/dev", "/work/project", "/work/pro*ject/[x]", "/w/**/q", "/tmp/caf\u{E9}", "/tmp/a\\b", "/a/./b/../c",
    ]
    static let paths = [
        "/home/dev/.env", "/home/dev/.env.local", "/work/project/secrets/db.txt", "/work/project/deploy/secrets/a/b",
        "/home/dev/.ssh/id_rsa", "/x/credentials.json", "/x/id_rsa1", "/work/project/src/a/b/c.ts", "/a/b",
        "/a/x/y/b", "/work/pro*ject/[x]/.env", "/w/**/q/.ssh/k", "/tmp/caf\u{E9}/n.txt", "/tmp/cafe\u{301}/n.txt",
        "/tmp/a\\b/x\\*y", "/a/c/key.pdm", "/b1/k/z", "/", "/tmp/line\r\nbreak/.env",
    ]

    /// The old way: every wildcard of the directory escaped, then the whole text compiled.
    static func compiledFromText(directory: String, body: String) throws -> GlobPattern {
        var escaped = ""
        for character in Paths.normalize(directory) {
            if "*?[]\\".contains(character) { escaped.append("\\") }
            escaped.append(character)
        }
        if escaped == "/" { escaped = "" }
        return try GlobPattern(absolute: escaped + "/" + body)
    }

    @Test func joinedPatternsMatchAsTheirTextWould() throws {
        for body in Self.bodies {
            let compiledBody = try GlobPattern(absolute: "/" + body)
            for directory in Self.directories {
                let fromText = try Self.compiledFromText(directory: directory, body: body)
                let joined = compiledBody.prefixed(by: GlobPattern.literalSegments(of: Paths.normalize(directory)))
                #expect(joined == fromText, "\(directory) + \(body)")
                let anyDepth = compiledBody.prefixed(by: [.anyDepth])
                let anyDepthFromText = try GlobPattern(absolute: "/**/" + body)
                #expect(anyDepth == anyDepthFromText, "/** + \(body)")
                for path in Self.paths {
                    let subject = GlobPattern.Subject(path)
                    #expect(joined.matchesItselfOrAncestor(of: subject) == fromText.matchesItselfOrAncestor(of: path), "\(directory) + \(body) vs \(path)")
                    #expect(anyDepth.matchesItselfOrAncestor(of: subject) == anyDepthFromText.matchesItselfOrAncestor(of: path), "/** + \(body) vs \(path)")
                }
            }
        }
    }

    @Test func pathRulesMatchThroughEveryAnchorAsBefore() throws {
        // Every anchor form of every body, against every path, in contexts with and without
        // each directory: the compiled matcher against compiling `base/body` from text.
        let contexts = [
            PathPattern.Context(workingDirectory: "/work/project", home: "/home/dev", settingsDirectory: "/etc/claude-code"),
            PathPattern.Context(workingDirectory: "/work/pro*ject/[x]", home: "/tmp/caf\u{E9}", settingsDirectory: nil),
            PathPattern.Context(workingDirectory: nil, home: nil, settingsDirectory: "/a/./b/../c"),
        ]
        for body in Self.bodies where !body.isEmpty {
            for specifier in ["//" + body, "~/" + body, "/" + body, "./" + body, body, "**/" + body] {
                let pattern = try PathPattern(specifier)
                for context in contexts {
                    for strict in [false, true] {
                        let bases = pattern.absolutePatterns(in: context, strict: strict)
                        for path in Self.paths {
                            let expected = try bases.contains { try GlobPattern(absolute: $0).matchesItselfOrAncestor(of: path) }
                            #expect(pattern.matches(path, in: context, strict: strict) == expected, "\(specifier) vs \(path) strict=\(strict)")
                        }
                    }
                }
            }
        }
    }

    @Test func unknownDirectoriesTryEveryTailAsBefore() throws {
        for body in Self.bodies {
            let pattern = try PathPattern("//" + body)
            for relative in ["secrets/db.txt", ".env", "b", "src/c.ts", "deploy/.ssh/id", "x\\*y", "cafe\u{301}/n.txt"] {
                var segments = body.split(separator: "/", omittingEmptySubsequences: true)
                var expected = false
                while let first = segments.first, first != "**" {
                    if try GlobPattern(absolute: "/**/" + segments.joined(separator: "/")).matchesItselfOrAncestor(of: "/" + relative) {
                        expected = true
                        break
                    }
                    segments.removeFirst()
                }
                #expect(pattern.mayMatch(relativePath: relative) == expected, "\(body) vs \(relative)")
            }
        }
    }

    @Test func asciiFastPathsCutTextAsCharactersDo() {
        for text in ["/a/b//c/", "plain", "caf\u{E9}/x", "cafe\u{301}/x", "line\r\nbreak/x", "cr\r/x", "/\u{301}x/y", "", "///"] {
            #expect(GlobPattern.segments(of: text) == text.split(separator: "/", omittingEmptySubsequences: true), "\(text)")
            let whole = Substring(text)
            #expect(GlobPattern.characters(of: whole) == Array(whole), "\(text)")
        }
    }

    /// Bash rule texts cut into words as bytes (ASCII) and character by character agree, and a
    /// prefix rule's "continues inside the word" is what the last character's properties say.
    @Test func bashRuleTextIsCutAsCharactersCutIt() throws {
        let texts = [
            "git push", "  git   push  origin ", "echo 'a b' \"c d\"", "rm -rf\\ x", "a\tb\u{0B}c\u{0C}d", "x\\",
            "'unterminated", "curl http://site.com/", "git checkout --", "ls -la", "caf\u{E9} x", "cafe\u{301} x",
            "a\r\nb", "a\\\r\nb", "", "   ", "npm run build2", "echo \u{85}x",
        ]
        for text in texts {
            #expect(BashPattern.splitWords(text) == BashPattern.splitWordsByCharacter(text), "\(text.debugDescription)")
        }
        for text in ["curl http://site.com/", "git checkout --", "ls", "npm run build2", "echo caf\u{E9}", "echo cafe\u{301}", "x!", "x\r\n"] {
            let pattern = try BashPattern(text + ":*")
            let last = try #require(pattern.text.last)
            #expect(pattern.continuesInsideWord == !(last.isLetter || last.isNumber || last == "-"), "\(text.debugDescription)")
        }
    }
}
