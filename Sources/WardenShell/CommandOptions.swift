// Command-line option parsing in the getopt style most Unix commands follow. Knowing which options
// take a value is what keeps `head -n 5 .env` from reading a file called `5` and `sudo -u root curl`
// from running a command called `root`.

/// Which options of a command take a value.
struct OptionGrammar {
    /// Short options whose value is attached (`-n5`) or the next word (`-n 5`).
    var shortWithValue: Set<UInt8> = []
    /// Short options whose optional value can only be attached (`sed -i.bak`, `xargs -i{}`).
    var shortWithAttachedValue: Set<UInt8> = []
    /// Long options whose value is attached with `=` or the next word.
    var longWithValue: Set<String> = []
    /// Whole-word single-dash options that take the next word (`find -name`, `openssl -in`).
    var wordOptionsWithValue: Set<String> = []

    init(short: String = "", attached: String = "", long: [String] = [], words: [String] = []) {
        shortWithValue = Set(short.utf8)
        shortWithAttachedValue = Set(attached.utf8)
        longWithValue = Set(long)
        wordOptionsWithValue = Set(words)
    }
}

extension OptionGrammar {
    /// The grammar an option table describes, for the scanners that find a wrapped command.
    init(_ table: OptionTable) {
        var longWithValue: Set<String> = []
        var shortWithValue: Set<UInt8> = []
        var shortWithAttachedValue: Set<UInt8> = []
        table.forEachSpelling { spelling, _, value in
            let utf8 = spelling.utf8
            if spelling.hasPrefix("--") {
                if value == .required { longWithValue.insert(String(spelling)) }
            } else if utf8.count == 2, let letter = utf8.last {
                switch value {
                case .required: shortWithValue.insert(letter)
                case .optional: shortWithAttachedValue.insert(letter)
                case .none: break
                }
            }
            return false
        }
        self.longWithValue = longWithValue
        self.shortWithValue = shortWithValue
        self.shortWithAttachedValue = shortWithAttachedValue
    }
}

/// One option as found on a command line: `-o` or `--output`, with its value if it takes one.
struct ParsedOption {
    var name: String
    var value: ExpandedWord?
}

struct ArgumentScan {
    var options: [ParsedOption] = []
    var positionals: [ExpandedWord] = []
    /// With `stopAtFirstPositional`, the index of the first word that is not an option (or of the
    /// word after `--`); the words from there on are not scanned.
    var end: Int

    func has(_ names: String...) -> Bool {
        options.contains { names.contains($0.name) }
    }

    func values(of names: Set<String>) -> [ExpandedWord] {
        options.compactMap { names.contains($0.name) ? $0.value : nil }
    }
}

enum OptionScanner {
    /// Scans `words[start...]`. GNU commands accept options after operands, so by default the
    /// whole line is scanned; wrappers stop at the wrapped command.
    static func scan(
        _ words: [ExpandedWord], from start: Int, grammar: OptionGrammar, stopAtFirstPositional: Bool = false
    ) -> ArgumentScan {
        var scan = ArgumentScan(end: words.count)
        var i = start
        var optionsEnded = false
        while i < words.count {
            let word = words[i]
            let text = word.text
            let utf8 = text.utf8
            let isOption = !optionsEnded && word.isStatic && utf8.count > 1 && utf8.first == .minus
            if !isOption {
                if stopAtFirstPositional {
                    scan.end = i
                    return scan
                }
                scan.positionals.append(word)
                i += 1
                continue
            }
            if text == "--" {
                optionsEnded = true
                i += 1
                if stopAtFirstPositional {
                    scan.end = i
                    return scan
                }
                continue
            }
            if grammar.wordOptionsWithValue.contains(text) {
                scan.options.append(ParsedOption(name: text, value: i + 1 < words.count ? words[i + 1] : nil))
                i += 2
                continue
            }
            if text.hasPrefix("--") {
                if let equals = text.firstIndex(of: "=") {
                    let name = String(text[..<equals])
                    let value = String(text[text.index(after: equals)...])
                    scan.options.append(ParsedOption(name: name, value: attached(value, from: word)))
                } else if grammar.longWithValue.contains(text) {
                    scan.options.append(ParsedOption(name: text, value: i + 1 < words.count ? words[i + 1] : nil))
                    i += 1
                } else {
                    scan.options.append(ParsedOption(name: text, value: nil))
                }
                i += 1
                continue
            }
            // A cluster of short options: `-abc`, `-n5`, `-ofile`.
            let letters = Array(utf8.dropFirst())
            var consumedNext = false
            for (index, letter) in letters.enumerated() {
                let name = "-" + String(UnicodeScalar(letter))
                let rest = letters[(index + 1)...]
                if grammar.shortWithValue.contains(letter) {
                    if rest.isEmpty {
                        scan.options.append(ParsedOption(name: name, value: i + 1 < words.count ? words[i + 1] : nil))
                        consumedNext = true
                    } else {
                        scan.options.append(ParsedOption(
                            name: name, value: attached(String(decoding: rest, as: UTF8.self), from: word)))
                    }
                    break
                }
                if grammar.shortWithAttachedValue.contains(letter) {
                    let value = rest.isEmpty ? nil : attached(String(decoding: rest, as: UTF8.self), from: word)
                    scan.options.append(ParsedOption(name: name, value: value))
                    break
                }
                scan.options.append(ParsedOption(name: name, value: nil))
            }
            i += consumedNext ? 2 : 1
        }
        return scan
    }

    /// A value written inside an option word (`--output=x`, `-ox`).
    static func attached(_ text: String, from word: ExpandedWord) -> ExpandedWord {
        var result = word
        result.word = ShellWord(
            text: text, isStatic: word.isStatic, containsCommandOutput: word.word.containsCommandOutput,
            hasGlob: word.word.hasGlob)
        result.isProcessSubstitution = false
        return result
    }
}
