// The normal form of a simple command: what Bash rules compare once spelling is set aside. Each
// step below is a normalisation that preserves meaning, named so that tests and `warden policy
// explain` can say why a rule matched a command that does not start with the rule's text:
//
// - option order: options are a set, operands keep their order (GNU getopt and git permute);
// - clustering: `-rf` is `-r -f`, but only for letters the table says take no value;
// - attached values: `-bfeature` is `-b feature`, `--message=x` is `--message x`;
// - long/short twins: `--force` is `-f`, `rm -R` is `rm -r`; unambiguous abbreviations
//   (`--forc`) are their option; `git branch -D` is `-d -f`;
// - end of options: `--` is kept as a word where the command wrote it, and words after it are
//   operands (`rm -- -rf`);
// - git: global options before the subcommand are dropped (`git -C dir push`), `--no-X` undoes
//   `--X`, and `git push` refspecs `+ref` / `:ref` are `--force ref` / `--delete ref`;
// - npm: subcommand aliases (`npm i` is `npm install`).
//
// A command without an option table keeps its words as written: Warden cannot know which of its
// options take a value, so it does not reorder or split them.

/// A command reduced to its name, its operands in order, and the set of its options in one
/// spelling each (an option with a value also appears as `-x=value`).
public struct CommandNormalForm: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var operands: [String]
    public var options: Set<String>
    /// The index in `operands` of the `--` that ended the options, when the command has one.
    public var endOfOptions: Int?
    /// False when no option table knows the command: the words after the name are `operands`
    /// exactly as written.
    public var parsed: Bool

    public init(words: [String]) {
        name = words.first.map { CommandNames.name(of: $0) } ?? ""
        operands = []
        options = []
        endOfOptions = nil
        parsed = false
        var rest = words.dropFirst()
        switch name {
        case "git":
            rest = droppingGitGlobalOptions(rest)
            guard let subcommand = rest.first else { return }
            operands.append(subcommand)
            rest = rest.dropFirst()
            guard let table = OptionTables.git(subcommand) else {
                operands += rest
                return
            }
            parse(rest, with: table)
            if subcommand == "push" { normalisePushRefspecs() }
        default:
            guard let table = OptionTables.table(for: name) else {
                operands = Array(rest)
                return
            }
            parse(rest, with: table)
            if name == "npm", !operands.isEmpty {
                let first = endOfOptions == 0 ? 1 : 0
                if first < operands.count { operands[first] = CommandNormalForm.npmAlias(operands[first]) }
            }
        }
    }

    public var description: String {
        var text = ([name] + operands).joined(separator: " ")
        if !options.isEmpty { text += "  {" + options.sorted().joined(separator: " ") + "}" }
        if !parsed, !operands.isEmpty { text += "  (as written: no option table)" }
        return text
    }

    private mutating func add(_ option: OptionTable.Option, value: String?, table: OptionTable) {
        for meaning in table.meaning(of: option.canonical) { options.insert(meaning) }
        if let value { options.insert(option.canonical + "=" + value) }
    }

    private mutating func remove(_ option: OptionTable.Option, table: OptionTable) {
        for meaning in table.meaning(of: option.canonical) {
            options.remove(meaning)
            options = options.filter { !$0.hasPrefix(meaning + "=") }
        }
    }

    private mutating func parse(_ words: ArraySlice<String>, with table: OptionTable) {
        parsed = true
        var index = words.startIndex
        var optionsEnded = false
        while index < words.endIndex {
            let word = words[index]
            index += 1
            if optionsEnded || word == "-" || !word.hasPrefix("-") {
                operands.append(word)
                if !table.permutes { optionsEnded = true }
                continue
            }
            if word == "--" {
                endOfOptions = operands.count
                operands.append(word)
                optionsEnded = true
                continue
            }
            if word.hasPrefix("--") {
                let equals = word.firstIndex(of: "=")
                let name = equals.map { String(word[..<$0]) } ?? word
                let attached = equals.map { String(word[word.index(after: $0)...]) }
                if let option = table.longOption(name) {
                    switch option.value {
                    case .none:
                        // git and getopt reject a value here; keep the word as it is.
                        if attached != nil { options.insert(word) } else { add(option, value: nil, table: table) }
                    case .required:
                        var value = attached
                        if value == nil, index < words.endIndex {
                            value = words[index]
                            index += 1
                        }
                        add(option, value: value, table: table)
                    case .optional:
                        add(option, value: attached, table: table)
                    }
                } else if table.negatable, attached == nil, name.hasPrefix("--no-"),
                    let option = table.longOption("--" + String(name.dropFirst(5)))
                {
                    remove(option, table: table)
                } else {
                    options.insert(word)
                }
                continue
            }
            // A cluster of short options. Splitting stops at the first letter that takes a value
            // (the rest of the word is the value) or that the table does not know (the rest stays
            // one opaque word, since its grammar is unknown).
            let letters = Array(word.utf8.dropFirst())
            var position = 0
            while position < letters.count {
                guard let option = table.shortOption(letters[position]) else {
                    options.insert("-" + String(decoding: letters[position...], as: UTF8.self))
                    break
                }
                let rest = position + 1 < letters.count ? String(decoding: letters[(position + 1)...], as: UTF8.self) : nil
                switch option.value {
                case .none:
                    add(option, value: nil, table: table)
                    position += 1
                    continue
                case .required:
                    var value = rest
                    if value == nil, index < words.endIndex {
                        value = words[index]
                        index += 1
                    }
                    add(option, value: value, table: table)
                case .optional:
                    add(option, value: rest, table: table)
                }
                break
            }
        }
    }

    /// git's options before the subcommand: dropped, with their values. git.c compares them as
    /// whole words; one it does not know makes git fail, and is kept as an option.
    private mutating func droppingGitGlobalOptions(_ words: ArraySlice<String>) -> ArraySlice<String> {
        var rest = words
        let table = OptionTables.gitGlobal
        while let word = rest.first, word.hasPrefix("-"), word != "--" {
            rest = rest.dropFirst()
            let name = word.firstIndex(of: "=").map { String(word[..<$0]) } ?? word
            guard let option = table.option(name) else {
                options.insert(word)
                continue
            }
            if option.value == .required, name == word { rest = rest.dropFirst() }
        }
        return rest
    }

    /// `git push origin +main` forces `main`; `git push origin :old` deletes `old`.
    private mutating func normalisePushRefspecs() {
        // operands: "push", then the repository, then refspecs.
        var index = 2
        while index < operands.count {
            defer { index += 1 }
            if index == endOfOptions { continue }
            let refspec = operands[index]
            if refspec.hasPrefix("+"), refspec.count > 1 {
                options.insert("-f")
                operands[index] = String(refspec.dropFirst())
            } else if refspec.hasPrefix(":"), refspec.count > 1 {
                options.insert("-d")
                operands[index] = String(refspec.dropFirst())
            }
        }
    }

    static func npmAlias(_ word: String) -> String {
        switch word {
        case "i", "add", "isntall", "in", "ins", "inst", "insta", "instal", "isnt", "isnta", "isntal": "install"
        case "rm", "r", "un", "remove", "unlink": "uninstall"
        case "t", "tst": "test"
        case "run-script", "rum", "urn": "run"
        default: word
        }
    }
}
