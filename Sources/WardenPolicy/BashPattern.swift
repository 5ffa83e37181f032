import WardenShell

/// The specifier of a `Bash(…)` rule.
///
/// Claude Code's forms: `Bash(npm run build)` is one exact command; `Bash(git push:*)` and
/// `Bash(git push *)` are a prefix ending at a word boundary (so neither covers `git push-docs`);
/// any other `*` is a wildcard over the whole command line (`Bash(git * main)`, `Bash(ls*)`).
///
/// Claude Code compares text; Warden compares the command as the shell will run it. Each exact or
/// prefix rule is also matched against the command's normal form (`CommandNormalForm`: options
/// parsed with the command's option table, in one spelling each and in any order). A rule matches
/// when the text or the normal form does.
struct BashPattern: Sendable, Hashable {
    enum Form: Sendable, Hashable { case exact, prefix, wildcard }

    let form: Form
    /// The command text of an exact or prefix rule (without `:*` / ` *`), or the wildcard pattern.
    let text: String
    /// The normal form of an exact or prefix rule's command (nil for a wildcard rule, which is
    /// matched on the text only).
    let canonical: CommandNormalForm?
    /// A prefix rule whose text ends in punctuation (`curl http://site.com/:*`): it continues
    /// inside the command's word. Decided once here: asking the last character's Unicode
    /// properties for every command and rule cost the hook 30 K instructions per call.
    let continuesInsideWord: Bool

    init(_ specifier: String) throws(PermissionRule.SyntaxError) {
        let specifier = specifier.trimmingWhitespace()
        let legacyPrefix = specifier.hasSuffix(":*")
        // Searched as bytes in ASCII text, where every byte is a character of its own: the
        // generic substring search cost more than the rest of the rule.
        let bytes = Array(specifier.utf8)
        let marker: Int? =
            if bytes.allSatisfy({ $0 < 0x80 }) {
                bytes.indices.dropLast().first { bytes[$0] == UInt8(ascii: ":") && bytes[$0 + 1] == UInt8(ascii: "*") }
            } else {
                specifier.firstRange(of: ":*").map { specifier.utf8.distance(from: specifier.startIndex, to: $0.lowerBound) }
            }
        if let marker, marker + 2 != bytes.count {
            throw PermissionRule.SyntaxError(
                message: "':*' may only end a Bash rule; use '*' for a wildcard elsewhere",
                offset: "Bash(".utf8.count + marker)
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
        if let byte = text.utf8.last, byte < 0x80 {
            // An ASCII last byte is the whole last character (or the line feed of a CR LF, which
            // is no letter either way).
            let isAlphanumeric = (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            continuesInsideWord = !(isAlphanumeric || byte == UInt8(ascii: "-"))
        } else if let last = text.last {
            continuesInsideWord = !(last.isLetter || last.isNumber || last == "-")
        } else {
            continuesInsideWord = false
        }
        if form == .wildcard {
            canonical = nil
        } else {
            let words = BashPattern.splitWords(text)
            guard !words.isEmpty else {
                throw PermissionRule.SyntaxError(message: "Bash rule names no command", offset: "Bash(".utf8.count)
            }
            canonical = CommandNormalForm(words: words)
        }
    }

    func matches(_ command: CommandText) -> Bool {
        matchesText(command.text) || command.source.map(matchesText) == true || matchesNormalForm(command.canonical)
    }

    /// Claude Code's own matching, on the command's text.
    func matchesText(_ command: String) -> Bool {
        switch form {
        case .exact:
            return command == text
        case .prefix:
            if command == text || command.hasPrefix(text + " ") { return true }
            // A prefix ending in punctuation (`curl http://site.com/:*`) continues inside the
            // word; one ending in an option's dashes (`git checkout --:*`) is a whole word.
            if continuesInsideWord, command.hasPrefix(text) { return true }
            return false
        case .wildcard:
            return wildcardMatch(text, command)
        }
    }

    /// The rule's normal form against the command's: same name, the rule's options among the
    /// command's, and the rule's operands in order at the start of the command's (all of them
    /// for an exact rule). A command's `--` only counts when the rule has one.
    func matchesNormalForm(_ command: CommandNormalForm) -> Bool {
        guard let rule = canonical, rule.name == command.name else { return false }
        var operands = command.operands
        if rule.endOfOptions == nil, let marker = command.endOfOptions { operands.remove(at: marker) }
        switch form {
        case .wildcard:
            return false
        case .exact:
            return rule.options == command.options && rule.operands == operands
        case .prefix:
            guard rule.options.isSubset(of: command.options), operands.count >= rule.operands.count else { return false }
            for (index, word) in rule.operands.enumerated() where operands[index] != word {
                // As in the text: a last operand ending in punctuation continues inside the word.
                guard index == rule.operands.count - 1, let last = word.last,
                    !(last.isLetter || last.isNumber || last == "-"), operands[index].hasPrefix(word)
                else { return false }
            }
            return true
        }
    }

    /// Whether the rule could match some command called `name`, whatever its arguments: what
    /// makes a command Warden cannot read exactly worth reporting.
    func couldApply(toCommandNamed name: String) -> Bool {
        if let canonical { return canonical.name == name }
        // A wildcard rule: the text before its first `*` either holds the whole first word, or
        // a beginning of it (`git*`), or nothing (`*--force*`).
        let head = text.prefix(while: { $0 != "*" })
        if let space = head.firstIndex(of: " ") { return head[..<space] == name }
        return name.hasPrefix(head)
    }

    /// Splits rule text into words the way a shell would for plain words and simple quotes.
    static func splitWords(_ text: String) -> [String] {
        // ASCII without a carriage return (which joins a following line feed into one
        // character) has one character per byte: cut as bytes, without asking each character's
        // Unicode properties, which cost the hook 18 K instructions per call.
        guard text.utf8.allSatisfy({ $0 < 0x80 && $0 != 0x0D }) else { return splitWordsByCharacter(text) }
        var words: [String] = []
        var current: [UInt8] = []
        var inWord = false
        var quote: UInt8? = nil
        var escaped = false
        for byte in text.utf8 {
            if escaped {
                current.append(byte)
                escaped = false
            } else if let open = quote {
                if byte == open { quote = nil } else { current.append(byte) }
            } else if byte == UInt8(ascii: "\\") {
                escaped = true
                inWord = true
            } else if byte == UInt8(ascii: "'") || byte == UInt8(ascii: "\"") {
                quote = byte
                inWord = true
            } else if byte == 0x20 || (0x09...0x0C).contains(byte) {
                if inWord { words.append(String(decoding: current, as: UTF8.self)) }
                current.removeAll(keepingCapacity: true)
                inWord = false
            } else {
                current.append(byte)
                inWord = true
            }
        }
        if inWord { words.append(String(decoding: current, as: UTF8.self)) }
        return words
    }

    /// `splitWords` character by character: any text.
    static func splitWordsByCharacter(_ text: String) -> [String] {
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

/// A simple command as Bash rules see it: its plain text and its normal form.
struct CommandText: Sendable, Hashable {
    /// The command name and the arguments after expansion, joined by single spaces.
    let text: String
    /// The command as written, when it differs from `text` (`rm -rf ~/x`, `mkdir d{1..3}`):
    /// Claude Code matches rules against what is written, so Warden does too.
    let source: String?
    let canonical: CommandNormalForm

    init(words: [String], source: String? = nil) {
        var words = words
        if let first = words.first { words[0] = Paths.lastComponent(first) }
        // Appended one by one: the generic `joined(separator:)` looks up String's conformances at
        // run time on its first use in a process, a thirtieth of a hook call.
        var text = ""
        for index in words.indices {
            if index > 0 { text.append(" ") }
            text.append(words[index])
        }
        self.text = text
        self.source = source == text ? nil : source
        canonical = CommandNormalForm(words: words)
    }

    init(_ invocation: CommandInvocation) {
        self.init(words: invocation.words.map(\.text), source: invocation.source)
    }
}
