import WardenShell

/// The specifier of a `Bash(…)` rule.
///
/// Claude Code's forms: `Bash(npm run build)` is one exact command; `Bash(git push:*)` and
/// `Bash(git push *)` are a prefix ending at a word boundary (so neither covers `git push-docs`);
/// any other `*` is a wildcard over the whole command line (`Bash(git * main)`, `Bash(ls*)`).
///
/// Claude Code compares text; Warden compares the command as the shell will run it. Each rule is
/// also matched against a canonical form in which short flags are split (`-rf` → `-r -f`), long
/// flags with a short twin are folded (`--recursive` → `-r`, `-R` → `-r` for `rm`), flag order is
/// ignored, and git's global options are dropped (`git -C dir push -f`). A rule matches when the
/// text or the canonical form does.
struct BashPattern: Sendable, Hashable {
    enum Form: Sendable, Hashable { case exact, prefix, wildcard }

    let form: Form
    /// The command text of an exact or prefix rule (without `:*` / ` *`), or the wildcard pattern.
    let text: String
    let canonical: CanonicalCommand?

    init(_ specifier: String) throws(PermissionRule.SyntaxError) {
        let specifier = specifier.trimmingWhitespace()
        let legacyPrefix = specifier.hasSuffix(":*")
        if let marker = specifier.firstRange(of: ":*"), marker.upperBound != specifier.endIndex {
            throw PermissionRule.SyntaxError(
                message: "':*' may only end a Bash rule; use '*' for a wildcard elsewhere",
                offset: "Bash(".utf8.count + specifier.utf8.distance(from: specifier.startIndex, to: marker.lowerBound))
        }
        if legacyPrefix {
            form = .prefix
            text = String(specifier.dropLast(2)).trimmingWhitespace()
        } else if specifier.hasSuffix(" *") && specifier.dropLast(2).contains("*") == false {
            form = .prefix
            text = String(specifier.dropLast(2)).trimmingWhitespace()
        } else if specifier.contains("*") {
            form = .wildcard
            text = specifier
        } else {
            form = .exact
            text = specifier
        }
        if form == .wildcard {
            canonical = nil
        } else {
            let words = BashPattern.splitWords(text)
            guard !words.isEmpty else {
                throw PermissionRule.SyntaxError(message: "Bash rule names no command", offset: "Bash(".utf8.count)
            }
            canonical = CanonicalCommand(words: words)
        }
    }

    func matches(_ command: CommandText) -> Bool {
        switch form {
        case .exact:
            return command.text == text || command.canonical == canonical
        case .prefix:
            if command.text == text || command.text.hasPrefix(text + " ") { return true }
            if let last = text.last, !(last.isLetter || last.isNumber), command.text.hasPrefix(text) { return true }
            guard let canonical else { return false }
            return command.canonical.name == canonical.name
                && command.canonical.positionals.starts(with: canonical.positionals)
                && canonical.flags.isSubset(of: command.canonical.flags)
        case .wildcard:
            return wildcardMatch(text, command.text)
        }
    }

    /// Splits rule text into words the way a shell would for plain words and simple quotes.
    static func splitWords(_ text: String) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character? = nil
        var escaped = false
        for character in text {
            if escaped {
                current.append(character)
                escaped = false
            } else if let open = quote {
                if character == open { quote = nil } else { current.append(character) }
            } else if character == "\\" {
                escaped = true
                inWord = true
            } else if character == "'" || character == "\"" {
                quote = character
                inWord = true
            } else if character.isWhitespace {
                if inWord { words.append(current) }
                current = ""
                inWord = false
            } else {
                current.append(character)
                inWord = true
            }
        }
        if inWord { words.append(current) }
        return words
    }
}

/// A simple command as Bash rules see it: its plain text and its canonical form.
struct CommandText: Sendable, Hashable {
    /// The command name and the arguments after expansion, joined by single spaces.
    let text: String
    let canonical: CanonicalCommand

    init(words: [String]) {
        var words = words
        if let first = words.first { words[0] = Paths.lastComponent(first) }
        text = words.joined(separator: " ")
        canonical = CanonicalCommand(words: words)
    }

    init(_ invocation: CommandInvocation) {
        self.init(words: invocation.words.map(\.text))
    }
}

/// A command reduced to what decides what it does: its name, its positional words in order, and
/// the set of its flags in one spelling each.
struct CanonicalCommand: Sendable, Hashable {
    var name: String
    var positionals: [String]
    var flags: Set<String>

    init(words: [String]) {
        name = words.first.map(Paths.lastComponent) ?? ""
        positionals = []
        flags = []
        var rest = words.dropFirst()
        if name == "git" { rest = CanonicalCommand.droppingGitGlobalOptions(rest) }
        var endOfOptions = false
        for word in rest {
            if endOfOptions || word == "-" || !word.hasPrefix("-") {
                positionals.append(positionals.isEmpty ? CanonicalCommand.subcommandAlias(name, word) : word)
            } else if word == "--" {
                endOfOptions = true
            } else if word.hasPrefix("--") {
                let key: Substring, value: Substring?
                if let equals = word.firstIndex(of: "=") {
                    key = word[..<equals]
                    value = word[word.index(after: equals)...]
                } else {
                    key = Substring(word)
                    value = nil
                }
                let flag = flagAlias(String(key))
                flags.insert(flag)
                if let value { flags.insert(flag + "=" + value) }
            } else {
                for character in word.dropFirst() { flags.insert(flagAlias("-" + String(character))) }
            }
        }
    }

    private func flagAlias(_ flag: String) -> String {
        if let subcommand = positionals.first, let alias = CanonicalCommand.flagAliases["\(name) \(subcommand)"]?[flag] {
            return alias
        }
        return CanonicalCommand.flagAliases[name]?[flag] ?? flag
    }

    /// git's options before the subcommand, and whether each takes a separate value.
    private static let gitGlobalOptionsWithValue: Set<String> = [
        "-C", "-c", "--git-dir", "--work-tree", "--namespace", "--exec-path", "--config-env", "--super-prefix",
    ]

    private static func droppingGitGlobalOptions(_ words: ArraySlice<String>) -> ArraySlice<String> {
        var rest = words
        while let word = rest.first, word.hasPrefix("-"), word != "--" {
            rest = rest.dropFirst()
            if gitGlobalOptionsWithValue.contains(word) { rest = rest.dropFirst() }
        }
        return rest
    }

    private static func subcommandAlias(_ name: String, _ word: String) -> String {
        switch (name, word) {
        case ("npm", "i"), ("npm", "add"), ("npm", "isntall"), ("npm", "in"): return "install"
        case ("npm", "rm"), ("npm", "r"), ("npm", "un"), ("npm", "remove"): return "uninstall"
        case ("npm", "t"), ("npm", "tst"): return "test"
        case ("npm", "run-script"): return "run"
        default: return word
        }
    }

    /// One spelling per flag, for the commands whose rules matter most. Keyed by command name, or
    /// by command and subcommand.
    private static let flagAliases: [String: [String: String]] = [
        "rm": ["-R": "-r", "--recursive": "-r", "--force": "-f", "--dir": "-d", "--interactive": "-i", "--verbose": "-v"],
        "cp": ["-R": "-r", "--recursive": "-r", "--force": "-f", "--archive": "-a"],
        "mv": ["--force": "-f", "--interactive": "-i"],
        "chmod": ["--recursive": "-R"],
        "chown": ["--recursive": "-R"],
        "sed": ["--in-place": "-i", "--expression": "-e"],
        "curl": ["--output": "-o", "--location": "-L", "--insecure": "-k", "--data": "-d", "--request": "-X", "--upload-file": "-T"],
        "wget": ["--output-document": "-O"],
        "git push": ["--force": "-f", "--delete": "-d", "--set-upstream": "-u"],
        "git clean": ["--force": "-f", "--dry-run": "-n"],
        "git commit": ["--message": "-m", "--all": "-a", "--no-verify": "-n"],
        "git checkout": ["--force": "-f"],
        "git branch": ["--delete": "-d", "--force": "-f"],
        "git add": ["--all": "-A", "--force": "-f"],
        "npm install": ["--global": "-g", "--save-dev": "-D"],
    ]
}
