// The syntax tree the parser builds. It keeps byte ranges into the parsed text so that the analyser
// can quote a command as written and show the parts of a word that are only known at run time.
// Nothing here is public: the policy engine sees `ShellAnalysis` only.

/// A parsed script together with the text its byte ranges refer to.
struct ShellScript: Sendable {
    var source: [UInt8]
    var body: CommandList
    /// Bodies of all here-documents, indexed by `Redirection.hereDocumentIndex`. Kept outside the
    /// tree because a body is only read at the end of its line, after the command that owns it has
    /// already been built.
    var hereDocuments: [HereDocument]
    /// Whether a function is defined anywhere in the script; the analyser then computes what the
    /// functions may change before judging their bodies.
    var definesFunctions: Bool
}

/// Commands separated by `;`, `&` or newlines.
struct CommandList: Sendable {
    var items: [AndOrList]
}

/// Pipelines joined by `&&` and `||`, optionally run in the background.
struct AndOrList: Sendable {
    var first: Pipeline
    var rest: [(AndOrOperator, Pipeline)]
    var isAsync: Bool
    var range: Range<Int>
}

enum AndOrOperator: Sendable {
    case and
    case or
}

/// Commands joined by `|` or `|&`, optionally negated with `!` or timed with the `time` keyword.
/// A pipeline may be empty (`!` or `time` alone are valid bash).
struct Pipeline: Sendable {
    var commands: [Command]
    var isNegated: Bool
    var isTimed: Bool
    var range: Range<Int>
}

indirect enum Command: Sendable {
    case simple(SimpleCommand)
    case compound(CompoundCommand, redirections: [Redirection], range: Range<Int>)
    case functionDefinition(name: String, body: Command, range: Range<Int>)
    case coprocess(name: String?, body: Command, range: Range<Int>)
}

struct SimpleCommand: Sendable {
    var assignments: [Assignment]
    var words: [Word]
    var redirections: [Redirection]
    var range: Range<Int>
}

enum CompoundCommand: Sendable {
    case braceGroup(CommandList)
    case subshell(CommandList)
    case ifClause(branches: [ConditionalBranch], elseBody: CommandList?)
    case whileLoop(condition: CommandList, body: CommandList, isUntil: Bool)
    /// `for NAME in WORDS` (or `select`); `items` is nil for `for NAME` without `in`, which loops
    /// over the positional parameters.
    case forEach(variable: String, items: [Word]?, body: CommandList, isSelect: Bool)
    case arithmeticFor(header: Word, body: CommandList)
    case caseClause(subject: Word, items: [CaseItem])
    /// `[[ … ]]`: only the words matter to the analyser (for the substitutions inside them).
    case conditional([Word])
    /// `(( … ))`
    case arithmetic(Word)
}

struct ConditionalBranch: Sendable {
    var condition: CommandList
    var body: CommandList
}

struct CaseItem: Sendable {
    var patterns: [Word]
    var body: CommandList
}

struct Assignment: Sendable {
    var name: String
    /// The `[…]` of `a[i]=x`, whose content is expanded (and may run commands).
    var arrayIndex: Word?
    var isAppend: Bool
    var value: AssignmentValue
    var range: Range<Int>
}

enum AssignmentValue: Sendable {
    case scalar(Word)
    case array([Word])
}

struct Redirection: Sendable {
    enum Operator: Sendable, Equatable {
        case input              // <
        case output             // >
        case append             // >>
        case clobber            // >|
        case readWrite          // <>
        case outputAndError     // &>
        case appendOutputAndError // &>>
        case duplicateInput     // <&
        case duplicateOutput    // >&
        case hereDocument       // << and <<-
        case hereString         // <<<
    }

    enum FileDescriptor: Sendable {
        case number(Int)
        case variable(String)
    }

    var fileDescriptor: FileDescriptor?
    var op: Operator
    /// The file, the descriptor to duplicate, the here-string, or a here-document's delimiter.
    var target: Word
    var hereDocumentIndex: Int?
    var range: Range<Int>

    var operatorText: String {
        switch op {
        case .input: "<"
        case .output: ">"
        case .append: ">>"
        case .clobber: ">|"
        case .readWrite: "<>"
        case .outputAndError: "&>"
        case .appendOutputAndError: "&>>"
        case .duplicateInput: "<&"
        case .duplicateOutput: ">&"
        case .hereDocument: "<<"
        case .hereString: "<<<"
        }
    }
}

struct HereDocument: Sendable {
    var delimiter: String
    /// A quoted delimiter (`<<'EOF'`, `<<"EOF"`, `<<\EOF`) turns off expansion in the body.
    var isQuoted: Bool
    var body: HereDocumentBody
}

enum HereDocumentBody: Sendable {
    case literal(String)
    case expandable(Word)
    /// bash expands an unquoted body only when the command runs, so a body that does not parse is
    /// not a syntax error of the script; the analyser reports it as a concern instead.
    case invalid(text: String, message: String)
}

/// A word as written: the pieces that quoting and expansions split it into.
struct Word: Sendable {
    var parts: [WordPart]
    var range: Range<Int>

    /// The word's text when it is a plain unquoted literal, as reserved words and assignment names
    /// must be.
    var plainText: String? {
        if parts.count == 1, case .literal(let text) = parts[0] { return text }
        return nil
    }
}

indirect enum WordPart: Sendable {
    /// Unquoted text: subject to brace expansion, tilde expansion and globbing.
    case literal(String)
    /// A backslash-escaped character outside quotes.
    case escaped(String)
    case singleQuoted(String)
    /// `$'…'` with its escapes already decoded.
    case ansiCQuoted(String)
    /// `"…"` and `$"…"`.
    case doubleQuoted([WordPart])
    case parameter(ParameterExpansion)
    case commandSubstitution(CommandSubstitution)
    case arithmetic(ArithmeticExpansion)
    case processSubstitution(ProcessSubstitution)
}

struct ParameterExpansion: Sendable {
    /// A variable name, a positional parameter (`1`) or a special one (`@`, `#`, `?`, …).
    var name: String
    var isBraced: Bool
    /// `${#x}`
    var isLength: Bool
    /// `${!x}` and `${!prefix*}`
    var isIndirect: Bool
    /// `${a[…]}`: the index is expanded too (and may run commands).
    var arrayIndex: Word?
    /// The operator after the name: `:-`, `-`, `:=`, `#`, `//`, `:` (substring), `@`, …
    var op: String?
    var argument: Word?
    var range: Range<Int>
}

struct CommandSubstitution: Sendable {
    var body: SubstitutionBody
    var range: Range<Int>
}

enum SubstitutionBody: Sendable {
    /// Parsed in place: ranges refer to the enclosing script's text.
    case inline(CommandList)
    /// Backquoted text after unescaping, parsed on its own.
    case separate(ShellScript)
    /// Backquoted text that does not parse; bash only parses it when the command runs.
    case invalid(text: String, message: String)
}

struct ArithmeticExpansion: Sendable {
    var expression: Word
    var range: Range<Int>
}

struct ProcessSubstitution: Sendable {
    var body: CommandList
    /// `<(…)`: the command's output is read. `>(…)`: the command reads what is written to it.
    var isInput: Bool
    var range: Range<Int>
}
