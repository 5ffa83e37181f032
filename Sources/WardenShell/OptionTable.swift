// Which options a command accepts, as data. A rule and a command are compared option by option,
// so the grammar of every command a rule family names has to be known exactly: `git checkout
// -bfeature` is `-b feature`, not `-b -f -e …`, and `rm -- -rf` removes a file called `-rf`.

/// The options of one command (or one git subcommand), written in the notation of the tools' own
/// `--help` output so that a table can be read against its source line by line.
///
/// Each entry is one option with its spellings, separated by `, `, the first being the one the
/// normal form uses (the short one where there is one): `"-r, -R, --recursive"`. A spelling
/// ending in ` <>` or `=` takes a value (attached or the next word: `-bx`, `-b x`, `--create=x`,
/// `--create x`); one ending in `[]` (short) or `[=]` (long) takes an optional value that can only
/// be attached (`sed -i.bak`, `--force-with-lease=main`).
///
/// The entries are kept as written and read on each lookup: the hook starts on every tool call,
/// and building dictionaries of every table a policy names cost more than all the lookups.
public struct OptionTable: Sendable {
    public enum Value: Sendable, Hashable {
        case none, required, optional
    }

    struct Option: Sendable {
        /// The spelling the normal form uses.
        var canonical: String
        var value: Value
    }

    /// Where the table comes from (tool, version, `--help` or man page).
    public let source: String
    /// GNU getopt and git's parse-options accept options after operands; POSIX commands and
    /// commands that run other commands stop at the first operand.
    public let permutes: Bool
    /// git's parse-options: `--no-X` undoes `--X`.
    public let negatable: Bool
    let entries: [String]
    /// Options that stand for several others, each as `"-D -d -f"` (`git branch -D` is
    /// `--delete --force`).
    let implies: [String]

    public init(source: String, permutes: Bool = true, negatable: Bool = false, implies: [String] = [], _ entries: [String]) {
        self.source = source
        self.permutes = permutes
        self.negatable = negatable
        self.implies = implies
        self.entries = entries
    }

    /// Calls `body` with every spelling of every entry, its entry's canonical spelling and value,
    /// until `body` returns true.
    func forEachSpelling(_ body: (Substring, Substring, Value) -> Bool) {
        for entry in entries {
            let utf8 = entry.utf8
            var value = Value.none
            for byte in utf8 {
                if byte == UInt8(ascii: "[") {
                    value = .optional
                    break
                }
                if byte == UInt8(ascii: "<") || byte == UInt8(ascii: "=") { value = .required }
            }
            var index = utf8.startIndex
            var canonical: Substring? = nil
            while index < utf8.endIndex {
                while index < utf8.endIndex, utf8[index] == UInt8(ascii: " ") || utf8[index] == UInt8(ascii: ",") {
                    index = utf8.index(after: index)
                }
                let start = index
                while index < utf8.endIndex {
                    let byte = utf8[index]
                    if byte == UInt8(ascii: " ") || byte == UInt8(ascii: ",") || byte == UInt8(ascii: "[") || byte == UInt8(ascii: "=") { break }
                    index = utf8.index(after: index)
                }
                guard start < index else { break }
                let spelling = entry[start..<index]
                if canonical == nil { canonical = spelling }
                if body(spelling, canonical!, value) { return }
                while index < utf8.endIndex, utf8[index] != UInt8(ascii: ",") { index = utf8.index(after: index) }
            }
        }
    }

    /// The option spelled exactly `name`.
    func option(_ name: String) -> Option? {
        var found: Option? = nil
        forEachSpelling { spelling, canonical, value in
            guard spelling == name else { return false }
            found = Option(canonical: String(canonical), value: value)
            return true
        }
        return found
    }

    /// Every spelling the table knows, with whether it takes a value; what the tests compare with
    /// the tools' own help.
    public var spellings: [String: Value] {
        var result: [String: Value] = [:]
        forEachSpelling { spelling, _, value in
            result[String(spelling)] = value
            return false
        }
        return result
    }

    /// The long option `name` names: itself, or the one long option it is an unambiguous
    /// abbreviation of (getopt_long and git both accept `--forc` for `--force` when nothing else
    /// starts with `--forc`). Nil when unknown or ambiguous.
    func longOption(_ name: String) -> Option? {
        if let exact = option(name) { return exact }
        guard name.utf8.count > 3 else { return nil }
        var found: Option? = nil
        var ambiguous = false
        forEachSpelling { spelling, canonical, value in
            guard spelling.hasPrefix("--"), spelling.hasPrefix(name) else { return false }
            if let found, found.canonical != canonical {
                ambiguous = true
                return true
            }
            found = Option(canonical: String(canonical), value: value)
            return false
        }
        return ambiguous ? nil : found
    }

    /// The short option `-letter`.
    func shortOption(_ letter: UInt8) -> Option? {
        var found: Option? = nil
        forEachSpelling { spelling, canonical, value in
            let utf8 = spelling.utf8
            guard utf8.count == 2, utf8.last == letter, utf8.first == UInt8(ascii: "-") else { return false }
            found = Option(canonical: String(canonical), value: value)
            return true
        }
        return found
    }

    /// The canonical names `canonical` stands for.
    func meaning(of canonical: String) -> [String] {
        for line in implies {
            let words = line.split(separator: " ")
            if words.first.map({ $0 == canonical }) == true { return words.dropFirst().map(String.init) }
        }
        return [canonical]
    }
}
