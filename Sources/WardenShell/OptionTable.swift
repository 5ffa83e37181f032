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
    /// git's parse-options: `--no-X` undoes `--X` (and `--X` undoes a listed `--no-X`).
    public let negatable: Bool
    private(set) var byName: [String: Option] = [:]
    private(set) var longNames: [String] = []
    /// Options that stand for several others (`git branch -D` is `--delete --force`).
    let implies: [String: [String]]

    public init(source: String, permutes: Bool = true, negatable: Bool = false, implies: [String: [String]] = [:], _ entries: [String]) {
        self.source = source
        self.permutes = permutes
        self.negatable = negatable
        self.implies = implies
        for entry in entries {
            var value = Value.none
            var spellings: [String] = []
            for rawSpelling in entry.split(separator: ",") {
                var spelling = Substring(rawSpelling.drop(while: { $0 == " " }))
                if spelling.hasSuffix(" <>") {
                    value = .required
                    spelling = spelling.dropLast(3)
                } else if spelling.hasSuffix("[=]") {
                    value = .optional
                    spelling = spelling.dropLast(3)
                } else if spelling.hasSuffix("[]") {
                    value = .optional
                    spelling = spelling.dropLast(2)
                } else if spelling.hasSuffix("=") {
                    value = .required
                    spelling = spelling.dropLast()
                }
                spellings.append(String(spelling))
            }
            guard let canonical = spellings.first else { continue }
            for spelling in spellings {
                byName[spelling] = Option(canonical: canonical, value: value)
                if spelling.hasPrefix("--") { longNames.append(spelling) }
            }
        }
    }

    /// Every spelling the table knows, with whether it takes a value; what the tests compare with
    /// the tools' own help.
    public var spellings: [String: Value] { byName.mapValues(\.value) }

    /// The long option `name` names: itself, or the one long option it is an unambiguous
    /// abbreviation of (getopt_long and git both accept `--forc` for `--force` when nothing else
    /// starts with `--forc`). Nil when unknown or ambiguous.
    func longOption(_ name: String) -> (spelling: String, option: Option)? {
        if let option = byName[name] { return (name, option) }
        guard name.utf8.count > 3 else { return nil }
        var found: String? = nil
        for long in longNames where long.hasPrefix(name) {
            guard found == nil || byName[found!]?.canonical == byName[long]?.canonical else { return nil }
            found = long
        }
        guard let found, let option = byName[found] else { return nil }
        return (found, option)
    }

    func shortOption(_ letter: Character) -> Option? {
        byName["-" + String(letter)]
    }

    /// The canonical names `option` stands for.
    func meaning(of canonical: String) -> [String] {
        implies[canonical] ?? [canonical]
    }
}
