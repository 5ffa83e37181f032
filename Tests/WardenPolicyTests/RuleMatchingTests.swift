import Testing
@testable import WardenPolicy

/// Bash rule forms, matched against commands given as their words after shell expansion.
@Suite struct BashPatternTests {
    static let cases: [(rule: String, command: [String], matches: Bool)] = [
        // Exact commands.
        ("npm run build", ["npm", "run", "build"], true),
        ("npm run build", ["npm", "run", "build", "--watch"], false),
        ("npm run build", ["npm", "run", "test"], false),
        // Legacy `:*` prefix and ` *` prefix, both at a word boundary.
        ("git push:*", ["git", "push"], true),
        ("git push:*", ["git", "push", "origin", "main"], true),
        ("git push:*", ["git", "push-docs"], false),
        ("git push *", ["git", "push-docs"], false),
        ("git push *", ["git", "push", "--tags"], true),
        ("npm run *", ["npm", "run", "lint"], true),
        ("npm run *", ["npm", "runner"], false),
        ("ls *", ["lsof"], false),
        ("ls*", ["lsof"], true),
        ("ls*", ["ls", "-la"], true),
        ("curl:*", ["/usr/bin/curl", "https://example.com"], true),
        ("curl:*", ["curlie", "x"], false),
        // Wildcards anywhere.
        ("git * main", ["git", "push", "origin", "main"], true),
        ("git * main", ["git", "push", "origin", "dev"], false),
        ("*--force*", ["git", "push", "--force"], true),
        // Flags are normalised before prefix rules match.
        ("rm -rf:*", ["rm", "-rf", "/"], true),
        ("rm -rf:*", ["rm", "-fr", "build"], true),
        ("rm -rf:*", ["rm", "-r", "-f", "build"], true),
        ("rm -rf:*", ["rm", "-Rf", "build"], true),
        ("rm -rf:*", ["rm", "--recursive", "--force", "build"], true),
        ("rm -rf:*", ["rm", "-r", "build"], false),
        ("rm -rf:*", ["rm", "build"], false),
        ("git push --force:*", ["git", "push", "-f"], true),
        ("git push --force:*", ["git", "-C", "dir", "push", "-f"], true),
        ("git push --force:*", ["git", "-c", "user.name=x", "--no-pager", "push", "origin", "--force"], true),
        ("git push --force:*", ["git", "push", "origin"], false),
        ("git push:*", ["git", "--git-dir=.git", "push"], true),
        ("git commit -m:*", ["git", "commit", "--message=fix"], true),
        ("npm install:*", ["npm", "i", "left-pad"], true),
        ("npm install -g:*", ["npm", "i", "--global", "x"], true),
        ("sed -i:*", ["sed", "--in-place", "s/a/b/", "f"], true),
        // Subcommands must be in order.
        ("git push origin:*", ["git", "push", "origin", "main"], true),
        ("git push origin:*", ["git", "push", "upstream", "origin"], false),
        // Prefix of a URL argument, as Claude Code documents it.
        ("curl http://site.com/:*", ["curl", "http://site.com/page"], true),
        // Issue 15: `--` is a word of the rule, not dropped.
        ("git checkout --:*", ["git", "checkout", "main"], false),
        ("git checkout --:*", ["git", "checkout", "-b", "feature"], false),
        ("git checkout --:*", ["git", "checkout", "-"], false),
        ("git checkout --:*", ["git", "checkout", "--track", "origin/x"], false),
        ("git checkout --:*", ["git", "checkout", "--", "file"], true),
        ("git checkout --:*", ["git", "checkout", "-f", "--", "file"], true),
        ("git checkout --:*", ["git", "-C", "repo", "checkout", "--", "."], true),
        ("git checkout -- *", ["git", "checkout", "main"], false),
        ("git checkout -- *", ["git", "checkout", "--", "a.txt"], true),
        ("git checkout -- *", ["git", "checkout", "HEAD", "--", "a.txt"], false),
        ("git checkout .", ["git", "checkout", "--", "."], true),
        // A command's `--` ends its options.
        ("rm -rf:*", ["rm", "--", "-rf"], false),
        ("rm -r:*", ["rm", "-f", "--", "-r"], false),
        ("rm -rf:*", ["rm", "-rf", "--", "x"], true),
        ("rm -rf /:*", ["rm", "-fr", "--", "/"], true),
        // Issue 15: values attached to short options are values.
        ("git checkout -f:*", ["git", "checkout", "-bfeature"], false),
        ("git checkout -f:*", ["git", "checkout", "-b", "f"], false),
        ("git checkout -f:*", ["git", "checkout", "-qf", "main"], true),
        ("git checkout -b:*", ["git", "checkout", "-bfeature"], true),
        ("git switch -f:*", ["git", "switch", "-cfix"], false),
        ("git switch -f:*", ["git", "switch", "--create", "f"], false),
        ("git switch -f:*", ["git", "switch", "--discard-changes", "main"], false),
        ("git switch -c:*", ["git", "switch", "--create=fix"], true),
        ("git commit --amend:*", ["git", "commit", "-m", "--amend"], false),
        ("git commit --amend:*", ["git", "commit", "--amen"], true),
        // Twins, implications and refspecs.
        ("git branch -D:*", ["git", "branch", "--delete", "--force", "x"], true),
        ("git branch -d:*", ["git", "branch", "-D", "x"], true),
        ("git branch -D:*", ["git", "branch", "-d", "x"], false),
        ("git push --force:*", ["git", "push", "origin", "+main"], true),
        ("git push --force:*", ["git", "push", "--force", "--no-force"], true),  // Claude Code's text match
        ("git push -f:*", ["git", "push", "--no-force", "-v"], false),
        ("git push --delete:*", ["git", "push", "origin", ":old"], true),
        ("git push --force-with-lease:*", ["git", "push", "--force-with-lease=main:abc"], true),
        ("git push --force:*", ["git", "push", "--force-with-lease"], false),
        // A command without an option table is compared as written.
        ("frob -rf:*", ["frob", "-fr", "x"], false),
        ("frob -rf:*", ["frob", "-rf", "x"], true),
        ("git frob -f:*", ["git", "frob", "-f"], true),
        ("git frob -f:*", ["git", "frob", "-qf"], false),
        // Unknown options are not folded into known ones.
        ("rm -rf:*", ["rm", "-rZf", "x"], false),
    ]

    @Test(arguments: cases)
    func matches(rule: String, command: [String], matches: Bool) throws {
        let pattern = try BashPattern(rule)
        #expect(pattern.matches(CommandText(words: command)) == matches, "Bash(\(rule)) vs \(command.joined(separator: " "))")
    }
}

@Suite struct RuleSyntaxTests {
    @Test(arguments: [
        ("Bash(git:* push)", "':*' may only end a Bash rule; use '*' for a wildcard elsewhere"),
        ("Bash(curl", "rule has '(' but does not end with ')'"),
        ("Ba sh", "\" \" cannot appear in a tool name"),
        ("Bash\n(x)", "\"\\n\" cannot appear in a tool name"),
        ("Read([abc)", "bad glob in Read(…): '[' without a closing ']'"),
        ("Edit(src/\\)", "bad glob in Edit(…): pattern ends with a lone '\\'"),
        ("WebFetch(example.com)", "WebFetch rules take 'domain:HOST', as in WebFetch(domain:example.com)"),
        ("WebFetch(domain:)", "\"\" is not a host name"),
        ("WebFetch(domain:a\nb)", "\"a\\nb\" is not a host name"),
        ("", "empty rule"),
        ("Bash( )", "Bash rule names no command"),
    ])
    func rejectsMalformedRules(text: String, message: String) {
        #expect(throws: PermissionRule.SyntaxError.self) { try PermissionRule(parsing: text, list: .deny) }
        do {
            _ = try PermissionRule(parsing: text, list: .deny)
        } catch {
            #expect(error.message == message)
        }
    }

    @Test func readsEachForm() throws {
        #expect(try PermissionRule(parsing: "Bash", list: .deny).matcher == .everyUse)
        #expect(try PermissionRule(parsing: "Bash(*)", list: .deny).matcher == .everyUse)
        #expect(try PermissionRule(parsing: "WebFetch(domain:Example.COM)", list: .allow).matcher == .webFetchDomain("example.com"))
        #expect(try PermissionRule(parsing: "mcp__github", list: .deny).matcher == .toolName("mcp__github"))
        #expect(try PermissionRule(parsing: "Agent(Explore)", list: .deny).matcher == .unevaluated("Explore"))
    }

    @Test func precedenceIsDenyAskAllow() {
        #expect([RuleList.allow, .deny, .ask].sorted() == [.deny, .ask, .allow])
    }
}

@Suite struct PathPatternTests {
    static let context = PathPattern.Context(workingDirectory: "/work/project", home: "/home/dev", settingsDirectory: "/etc/claude-code")

    static let cases: [(rule: String, path: String, strict: Bool, matches: Bool)] = [
        // `//` is the file system root.
        ("//etc/shadow", "/etc/shadow", false, true),
        ("//etc/**", "/etc/ssl/private/key.pem", false, true),
        ("//etc/*", "/etc/ssl/private/key.pem", false, true),  // via the ancestor /etc/ssl
        // `~/` is the home directory.
        ("~/.ssh/**", "/home/dev/.ssh/id_rsa", false, true),
        ("~/.ssh", "/home/dev/.ssh/id_rsa", false, true),
        ("~/.aws/credentials", "/home/other/.aws/credentials", true, false),
        // `/` is the settings file's directory; deny and ask rules also try the working directory.
        ("/secrets/**", "/etc/claude-code/secrets/a", false, true),
        ("/secrets/**", "/work/project/secrets/a", false, false),
        ("/secrets/**", "/work/project/secrets/a", true, true),
        // `./` and paths with a slash inside are the working directory's.
        ("./config/prod.json", "/work/project/config/prod.json", false, true),
        ("config/prod.json", "/work/project/config/prod.json", false, true),
        ("config/prod.json", "/elsewhere/config/prod.json", false, false),
        ("config/prod.json", "/elsewhere/config/prod.json", true, true),
        // Bare names match at any depth: below the working directory for allow rules, anywhere for
        // deny and ask rules.
        (".env", "/work/project/.env", false, true),
        (".env", "/work/project/api/.env", false, true),
        (".env", "/home/dev/other/.env", false, false),
        (".env", "/home/dev/other/.env", true, true),
        (".env*", "/work/project/.env.production", true, true),
        (".env", "/work/project/.envrc", true, false),
        ("*.pem", "/work/project/certs/server.pem", true, true),
        ("**/.ssh/**", "/home/dev/.ssh/id_ed25519", true, true),
        ("**/.ssh/**", "/home/dev/.ssh/id_ed25519", false, false),
        ("**/secrets/**", "/work/project/deploy/secrets/db.txt", true, true),
        ("secrets/", "/work/project/secrets/db.txt", true, true),
        ("src/**/*.ts", "/work/project/src/a/b/c.ts", false, true),
        ("src/**/*.ts", "/work/project/src/c.ts", false, true),
        ("src/*.ts", "/work/project/src/a/c.ts", false, false),
        ("credentials.[jt]son", "/x/credentials.json", true, true),
        ("credentials.[!j]son", "/x/credentials.json", true, false),
        ("id_rsa?", "/x/id_rsa1", true, true),
        ("id_rsa?", "/x/id_rsa", true, false),
    ]

    @Test(arguments: cases)
    func matches(rule: String, path: String, strict: Bool, matches: Bool) throws {
        let pattern = try PathPattern(rule)
        #expect(pattern.matches(path, in: Self.context, strict: strict) == matches, "\(rule) vs \(path) strict=\(strict)")
    }

    @Test func unknownDirectoryIsTriedAtAnyDepth() throws {
        #expect(try PathPattern("//etc/app/.env").mayMatch(relativePath: ".env"))
        #expect(try PathPattern("~/.ssh/**").mayMatch(relativePath: ".ssh/id_rsa"))
        #expect(try PathPattern("~/.ssh/**").mayMatch(relativePath: "notes.txt") == false)
    }

    @Test func normalisesPathsLexically() {
        #expect(Paths.absolute("sub/../.env", relativeTo: "/p", home: nil) == "/p/.env")
        #expect(Paths.absolute("./a//b/.", relativeTo: "/p", home: nil) == "/p/a/b")
        #expect(Paths.absolute("~/.ssh/id_rsa", relativeTo: "/p", home: "/home/dev") == "/home/dev/.ssh/id_rsa")
        #expect(Paths.absolute("../../../../etc/passwd", relativeTo: "/p", home: nil) == "/etc/passwd")
        #expect(Paths.absolute("x", relativeTo: nil, home: nil) == nil)
    }

    @Test func wildcardsSpanWords() {
        #expect(wildcardMatch("git * main", "git push origin main"))
        #expect(wildcardMatch("a*b*c", "a--b--c"))
        #expect(!wildcardMatch("a*b*c", "a--b--d"))
        #expect(wildcardMatch("*", ""))
    }
}
