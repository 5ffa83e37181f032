// The result of analysing a shell script: every simple command it can run, wherever it sits in the
// syntax tree, with the files it touches. This is the contract between the shell analyser and the
// policy engine; the parser's syntax tree stays an implementation detail of this module.

/// One word of a command after the expansions that can be performed without running anything:
/// quote and escape removal, line continuations, `~`, known variables (`$HOME`, `${HOME}`, and
/// literal assignments made earlier in the same script), brace expansion and ANSI-C `$'…'` quoting.
public struct ShellWord: Sendable, Hashable, CustomStringConvertible {
    /// The word's value. Parts whose value is only known at run time are kept as written
    /// (`$(date)`, `$UNKNOWN`), so the text is still useful in a message.
    public var text: String
    /// True when every part of the word is known before the script runs.
    public var isStatic: Bool
    /// True when part of the word is the output of a command (`$(…)`, backticks) or of arithmetic:
    /// a value an attacker can compute to hide a name (`cat $(printf .e%s nv)`).
    public var containsCommandOutput: Bool
    /// True when the word contains an unquoted `*`, `?` or `[` that the shell would expand against
    /// the file system when the command runs.
    public var hasGlob: Bool

    public init(text: String, isStatic: Bool = true, containsCommandOutput: Bool = false, hasGlob: Bool = false) {
        self.text = text
        self.isStatic = isStatic
        self.containsCommandOutput = containsCommandOutput
        self.hasGlob = hasGlob
    }

    public var description: String { text }
}

public enum FileAccessMode: String, Sendable, Hashable {
    /// The command reads the file's content (or makes it reachable, as `ln -s` does).
    case read
    /// The command creates, changes, moves, deletes or changes permissions of the file.
    case write
}

/// A file that a command reads or writes, found through a redirection or through the known
/// argument layout of the command.
public struct FileAccess: Sendable, Hashable {
    /// The path as the command will see it, after expansion; relative paths are relative to the
    /// invocation's `workingDirectory`.
    public var path: ShellWord
    public var mode: FileAccessMode
    /// How the access was found, for messages: `"redirection <"`, `"argument of cat"`, `"tee"`.
    public var via: String

    public init(path: ShellWord, mode: FileAccessMode, via: String) {
        self.path = path
        self.mode = mode
        self.via = via
    }
}

/// A simple command that the script runs: a name and its arguments.
public struct CommandInvocation: Sendable, Hashable {
    /// argv after variable-assignment prefixes (`FOO=1`) are removed; `words[0]` as written, so it
    /// may be a path such as `/usr/bin/curl`. Empty (with a nil `name`) for a command made only of
    /// redirections (`> file`), which is listed so that the files it opens are seen. Brace
    /// expansion may turn one written word into several (`c{u,}rl` gives `curl crl`).
    public var words: [ShellWord]
    /// The command's name: the last path component of `words[0]` (`/usr/bin/curl` → `curl`), or
    /// nil when `words[0]` is not static.
    public var name: String?
    /// Assignment prefixes as written after expansion (`FOO=1`).
    public var assignments: [String]
    public var fileAccesses: [FileAccess]
    /// The absolute directory the command runs in, following `cd`/`pushd` within the script
    /// (scoped by subshells); nil when it cannot be known (after `cd "$X"` or `cd -`).
    public var workingDirectory: String?
    /// The command as written in the script, to quote in a reason. For a command found inside a
    /// string (`bash -c '…'`, `eval …`, `watch '…'`), the text inside that string.
    public var source: String
    /// The wrappers this command was found inside, outermost first: `["sudo", "timeout"]`,
    /// `["bash -c"]`, `["xargs"]`, `["find -exec"]`. Empty for a command written directly.
    public var wrappers: [String]

    public init(
        words: [ShellWord], name: String?, assignments: [String] = [], fileAccesses: [FileAccess] = [],
        workingDirectory: String?, source: String, wrappers: [String] = []
    ) {
        self.words = words
        self.name = name
        self.assignments = assignments
        self.fileAccesses = fileAccesses
        self.workingDirectory = workingDirectory
        self.source = source
        self.wrappers = wrappers
    }

    /// The arguments after the command name.
    public var arguments: ArraySlice<ShellWord> { words.dropFirst() }
}

/// Something in a script that static analysis cannot see through, so a guard must not assume it
/// is harmless.
public enum ShellConcern: Sendable, Hashable {
    /// The command name is computed when the script runs (`$CMD x`, `$(echo curl) x`).
    case dynamicCommandName(source: String)
    /// Code that is only known at run time is executed: `eval "$x"`, `bash -c "$x"`,
    /// `curl … | sh`, `base64 -d <<<… | bash`, `source <(…)`.
    case dynamicScript(source: String)
    /// A string that is run as shell code (`bash -c '…'`, `eval '…'`) does not parse.
    case nestedSyntaxError(source: String, message: String)

    public var source: String {
        switch self {
        case .dynamicCommandName(let source), .dynamicScript(let source), .nestedSyntaxError(let source, _):
            return source
        }
    }
}

/// Everything a script would run.
public struct ShellAnalysis: Sendable, Hashable {
    /// Every simple command in the script, in source order; a command found inside a wrapper is
    /// listed after the wrapper's own invocation (`sudo rm -rf /` gives `sudo rm -rf /`, then
    /// `rm -rf /`).
    public var invocations: [CommandInvocation]
    public var concerns: [ShellConcern]

    public init(invocations: [CommandInvocation] = [], concerns: [ShellConcern] = []) {
        self.invocations = invocations
        self.concerns = concerns
    }
}

/// A script that the shell would reject.
public struct ShellSyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    /// 1-based line and column of the offending character in the analysed text.
    public var line: Int
    public var column: Int

    public init(message: String, line: Int, column: Int) {
        self.message = message
        self.line = line
        self.column = column
    }

    public var description: String { "line \(line), column \(column): \(message)" }
}

/// What is known of the environment the script will run in.
public struct ShellEnvironment: Sendable, Hashable {
    /// The absolute directory the script starts in (the hook event's `cwd`).
    public var workingDirectory: String?
    /// The user's home directory, for `~`, `$HOME` and `${HOME}`.
    public var home: String?
    /// Further variables whose values are known (for example `USER`).
    public var variables: [String: String]

    public init(workingDirectory: String?, home: String?, variables: [String: String] = [:]) {
        self.workingDirectory = workingDirectory
        self.home = home
        self.variables = variables
    }
}
