// Commands that run other commands. Each entry knows its wrapper's option grammar, so that the
// wrapped command is found where the wrapper itself would find it: `sudo -u root -- curl x` runs
// `curl`, not `root`; `timeout -s KILL 10 curl x` runs `curl`, not `10`.

/// What a wrapper runs.
enum WrappedCommand {
    /// A command given as separate words.
    case command(InnerCommand)
    /// A string run as shell code (`watch 'a; b'`, `su -c '…'`, `flock f -c '…'`).
    case code(ExpandedWord, label: String, placeholders: [String])
    /// Commands that only exist at run time (`parallel` reading commands from its input).
    case dynamicCode
}

struct InnerCommand {
    var words: [ExpandedWord]
    var label: String
    var assignments: [String] = []
    var workingDirectory: DirectoryChange = .unchanged
    /// The wrapped command still runs in the analysed shell (`builtin cd`, `command cd`).
    var keepsShell = false
}

enum DirectoryChange {
    case unchanged
    case changed(ShellWord)
    case unknown
}

enum CommandWrappers {
    /// Wrappers whose grammar is options followed by the command. A `switch`, not a dictionary:
    /// building every wrapper's grammar to look one up cost the hook a twentieth of a call.
    static func optionWrapper(_ name: String) -> OptionGrammar? {
        switch name {
        case "nohup", "setsid", "unbuffer", "catchsegv", "entr", "firejail", "valgrind", "command", "builtin":
            OptionGrammar()
        case "caffeinate": OptionGrammar(short: "tw")
        case "nice": OptionGrammar(OptionTables.nice)
        case "ionice": OptionGrammar(short: "cnpPu", long: ["--class", "--classdata", "--pid", "--pgid", "--uid"])
        case "stdbuf": OptionGrammar(short: "ioe", long: ["--input", "--output", "--error"])
        case "time": OptionGrammar(short: "fo", long: ["--format", "--output"])
        case "strace":
            OptionGrammar(
                short: "abeEIoOpPsSuUX", long: ["--output", "--attach", "--expr", "--string-limit", "--env", "--user", "--trace-path"])
        case "ltrace": OptionGrammar(short: "aAeDlLnopsuwx", long: ["--output", "--library"])
        case "doas": OptionGrammar(short: "Cu")
        case "pkexec": OptionGrammar(long: ["--user"])
        case "nsenter": OptionGrammar(short: "tSG", long: ["--target", "--setuid", "--setgid"])
        case "unshare": OptionGrammar(short: "SGRw", long: ["--setuid", "--setgid", "--root", "--wd", "--propagation", "--setgroups"])
        case "setpriv":
            OptionGrammar(long: [
                "--reuid", "--regid", "--ruid", "--euid", "--rgid", "--egid", "--groups", "--inh-caps", "--ambient-caps",
                "--bounding-set", "--securebits", "--pdeathsig", "--selinux-label", "--apparmor-profile",
            ])
        case "proxychains", "proxychains4": OptionGrammar(short: "f")
        case "torsocks": OptionGrammar(short: "uapP", long: ["--user", "--pass", "--address", "--port"])
        case "dbus-run-session": OptionGrammar(long: ["--config-file", "--dbus-daemon"])
        case "systemd-run":
            OptionGrammar(
                short: "pEMuH", long: [
                    "--unit", "--property", "--setenv", "--uid", "--gid", "--working-directory", "--description", "--slice",
                    "--machine", "--host", "--nice", "--on-calendar", "--on-active",
                ])
        case "dumb-init": OptionGrammar(short: "r", long: ["--rewrite"])
        case "exec": OptionGrammar(short: "a")
        default: nil
        }
    }

    /// Options after which these wrappers do not run a command (`strace -p PID`, `command -v x`).
    static func optionsWithoutCommand(_ name: String) -> Set<String>? {
        switch name {
        case "strace": ["-p", "--attach"]
        case "ltrace": ["-p"]
        case "ionice": ["-p", "-P", "-u", "--pid", "--pgid", "--uid"]
        case "command": ["-v", "-V"]
        case "doas": ["-s", "-L"]
        default: nil
        }
    }

    static func unwrap(name: String, words: [ExpandedWord]) -> [WrappedCommand] {
        switch name {
        case "sudo": return sudo(words)
        case "env": return env(words)
        case "timeout": return afterPositionals(words, grammar: timeoutGrammar, skip: 1, label: name)
        case "chroot":
            return afterPositionals(
                words, grammar: OptionGrammar(long: ["--userspec", "--groups"]), skip: 1, label: name,
                directory: .unknown)
        case "taskset":
            let scan = OptionScanner.scan(words, from: 1, grammar: OptionGrammar(), stopAtFirstPositional: true)
            if scan.has("-p", "--pid") { return [] }
            return afterPositionals(words, grammar: OptionGrammar(), skip: 1, label: name)
        case "chrt":
            let grammar = OptionGrammar(short: "TPD", long: ["--sched-runtime", "--sched-period", "--sched-deadline"])
            let scan = OptionScanner.scan(words, from: 1, grammar: grammar, stopAtFirstPositional: true)
            if scan.has("-p", "--pid", "-m", "--max") { return [] }
            return afterPositionals(words, grammar: grammar, skip: 1, label: name)
        case "gosu", "su-exec":
            return afterPositionals(words, grammar: OptionGrammar(), skip: 1, label: name)
        case "xargs": return xargs(words)
        case "find": return find(words)
        case "watch": return watch(words)
        case "flock": return flock(words)
        case "su", "runuser": return su(name, words)
        case "script": return script(words)
        case "sg": return sg(words)
        case "parallel": return parallel(words)
        case "busybox":
            guard words.count > 1, !words[1].text.hasPrefix("-") || !words[1].isStatic else { return [] }
            return [.command(InnerCommand(words: Array(words.dropFirst()), label: name))]
        default:
            break
        }
        guard let grammar = optionWrapper(name) else { return [] }
        let scan = OptionScanner.scan(words, from: 1, grammar: grammar, stopAtFirstPositional: true)
        if let stoppers = optionsWithoutCommand(name), scan.options.contains(where: { stoppers.contains($0.name) }) {
            return []
        }
        guard scan.end < words.count else { return [] }
        var inner = InnerCommand(words: Array(words[scan.end...]), label: name)
        inner.keepsShell = name == "command" || name == "builtin"
        return [.command(inner)]
    }

    /// Options, then `skip` operands that belong to the wrapper, then the command.
    static func afterPositionals(
        _ words: [ExpandedWord], grammar: OptionGrammar, skip: Int, label: String,
        directory: DirectoryChange = .unchanged
    ) -> [WrappedCommand] {
        let scan = OptionScanner.scan(words, from: 1, grammar: grammar, stopAtFirstPositional: true)
        let start = scan.end + skip
        guard start < words.count else { return [] }
        return [.command(InnerCommand(words: Array(words[start...]), label: label, workingDirectory: directory))]
    }

    static func isAssignment(_ word: ExpandedWord) -> Bool {
        guard word.isStatic, let equals = word.text.firstIndex(of: "=") else { return false }
        return ShellParser.isValidName(String(word.text[..<equals]))
    }

    static let timeoutGrammar = OptionGrammar(OptionTables.timeout)

    static let sudoGrammar = OptionGrammar(OptionTables.sudo)

    static func sudo(_ words: [ExpandedWord]) -> [WrappedCommand] {
        let scan = OptionScanner.scan(words, from: 1, grammar: sudoGrammar, stopAtFirstPositional: true)
        // `sudo -e` edits files; `-l`, `-v`, `-K`, `-V` do not run a command.
        if scan.has("-e", "--edit", "-l", "--list", "-v", "--validate", "-K", "--remove-timestamp", "-V", "--version") {
            return []
        }
        var index = scan.end
        var assignments: [String] = []
        while index < words.count, isAssignment(words[index]) {
            assignments.append(words[index].text)
            index += 1
        }
        guard index < words.count else { return [] }
        var directory = DirectoryChange.unchanged
        if let chdir = scan.values(of: ["-D", "--chdir"]).last { directory = .changed(chdir.word) }
        if scan.has("-R", "--chroot", "-i", "--login") { directory = .unknown }
        return [.command(InnerCommand(
            words: Array(words[index...]), label: "sudo", assignments: assignments, workingDirectory: directory))]
    }

    static func env(_ words: [ExpandedWord]) -> [WrappedCommand] {
        var remaining = Array(words.dropFirst())
        var assignments: [String] = []
        var directory = DirectoryChange.unchanged
        var optionsEnded = false
        var splits = 0
        while let word = remaining.first {
            let text = word.text
            guard word.isStatic else { break }
            if !optionsEnded, text == "--" {
                optionsEnded = true
                remaining.removeFirst()
                continue
            }
            if !optionsEnded, text == "-" {
                remaining.removeFirst()
                continue
            }
            if !optionsEnded, text.hasPrefix("-") {
                remaining.removeFirst()
                var name = text
                var value: ExpandedWord?
                if text.hasPrefix("--") {
                    if let equals = text.firstIndex(of: "=") {
                        name = String(text[..<equals])
                        value = OptionScanner.attached(String(text[text.index(after: equals)...]), from: word)
                    }
                } else if text.count > 2, let letter = text.dropFirst().first, "uCS".contains(letter) {
                    name = "-" + String(letter)
                    value = OptionScanner.attached(String(text.dropFirst(2)), from: word)
                }
                let takesValue = ["-u", "--unset", "-C", "--chdir", "-S", "--split-string"].contains(name)
                if takesValue, value == nil {
                    guard !remaining.isEmpty else { break }
                    value = remaining.removeFirst()
                }
                guard let value else { continue }
                switch name {
                case "-C", "--chdir":
                    directory = .changed(value.word)
                case "-S", "--split-string":
                    splits += 1
                    guard splits < 16 else { return [] }
                    remaining = splitString(value) + remaining
                default:
                    break
                }
                continue
            }
            if let equals = text.firstIndex(of: "="), equals != text.startIndex {
                assignments.append(text)
                remaining.removeFirst()
                continue
            }
            break
        }
        guard !remaining.isEmpty else { return [] }
        return [.command(InnerCommand(
            words: remaining, label: "env", assignments: assignments, workingDirectory: directory))]
    }

    /// `env -S STRING`: split into words with env's own quoting (quotes, `\_` for a space,
    /// `${VAR}` which is only known at run time).
    static func splitString(_ word: ExpandedWord) -> [ExpandedWord] {
        var result: [ExpandedWord] = []
        var current: [UInt8] = []
        var started = false
        var isStatic = word.isStatic
        let bytes = Array(word.text.utf8)
        var i = 0
        func finish() {
            if started {
                var piece = word
                piece.word = ShellWord(text: String(decoding: current, as: UTF8.self), isStatic: isStatic)
                result.append(piece)
            }
            current = []
            started = false
            isStatic = word.isStatic
        }
        while i < bytes.count {
            let c = bytes[i]
            switch c {
            case .space, .tab, .newline:
                finish()
                i += 1
            case .hash where !started:
                return result
            case .singleQuote:
                started = true
                i += 1
                while i < bytes.count, bytes[i] != .singleQuote {
                    current.append(bytes[i])
                    i += 1
                }
                i += 1
            case .doubleQuote:
                started = true
                i += 1
                while i < bytes.count, bytes[i] != .doubleQuote {
                    if bytes[i] == .backslash, i + 1 < bytes.count {
                        i += 1
                    } else if bytes[i] == .dollar {
                        isStatic = false
                    }
                    current.append(bytes[i])
                    i += 1
                }
                i += 1
            case .backslash where i + 1 < bytes.count:
                started = true
                let next = bytes[i + 1]
                switch next {
                case .underscore: current.append(.space)
                case 0x6E: current.append(.newline)
                case 0x74: current.append(.tab)
                case 0x63: return result
                default: current.append(next)
                }
                i += 2
            case .dollar:
                started = true
                isStatic = false
                current.append(c)
                i += 1
            default:
                started = true
                current.append(c)
                i += 1
            }
        }
        finish()
        return result
    }

    /// GNU and BSD/macOS xargs: `-J {}` (BSD) takes a value like `-I {}`.
    static let xargsGrammar = OptionGrammar(OptionTables.xargs)

    static func xargs(_ words: [ExpandedWord]) -> [WrappedCommand] {
        let scan = OptionScanner.scan(words, from: 1, grammar: xargsGrammar, stopAtFirstPositional: true)
        guard scan.end < words.count else { return [] }
        var replace: String?
        for option in scan.options {
            switch option.name {
            // BSD `-J replstr` puts the input where one whole argument is replstr.
            case "-I", "-J": replace = option.value?.text
            case "-i", "--replace": replace = option.value?.text ?? "{}"
            default: break
            }
        }
        var inner = Array(words[scan.end...])
        if let replace, !replace.isEmpty {
            inner = inner.map { markPlaceholder($0, replace) }
        } else {
            inner.append(ExpandedWord(word: ShellWord(text: "{xargs input}", isStatic: false), range: nil))
        }
        return [.command(InnerCommand(words: inner, label: "xargs"))]
    }

    static func markPlaceholder(_ word: ExpandedWord, _ placeholder: String) -> ExpandedWord {
        guard word.isStatic, word.text.contains(placeholder) else { return word }
        var result = word
        result.word.isStatic = false
        result.isPlaceholderOnly = true
        result.placeholders.append(placeholder)
        return result
    }

    static let findActions: Set<String> = ["-exec", "-execdir", "-ok", "-okdir"]

    static func find(_ words: [ExpandedWord]) -> [WrappedCommand] {
        var result: [WrappedCommand] = []
        var index = 1
        while index < words.count {
            let action = words[index].text
            guard words[index].isStatic, findActions.contains(action) else {
                index += 1
                continue
            }
            var inner: [ExpandedWord] = []
            index += 1
            while index < words.count {
                let word = words[index]
                if word.isStatic, word.text == ";" || (word.text == "+" && inner.last?.text == "{}") { break }
                inner.append(markPlaceholder(word, "{}"))
                index += 1
            }
            index += 1
            if !inner.isEmpty {
                result.append(.command(InnerCommand(words: inner, label: "find " + action)))
            }
        }
        return result
    }

    /// Joins words into the shell code a program passes to `sh -c`.
    static func joinedCode(_ words: ArraySlice<ExpandedWord>) -> ExpandedWord {
        let text = words.map(\.text).joined(separator: " ")
        let isStatic = words.allSatisfy(\.isStatic)
        var word = ExpandedWord(word: ShellWord(text: text, isStatic: isStatic), range: nil)
        word.isPlaceholderOnly = !isStatic && words.allSatisfy { $0.isStatic || $0.isPlaceholderOnly }
        word.placeholders = words.flatMap(\.placeholders)
        return word
    }

    static func watch(_ words: [ExpandedWord]) -> [WrappedCommand] {
        let grammar = OptionGrammar(short: "nq", attached: "d", long: ["--interval", "--equexit"])
        let scan = OptionScanner.scan(words, from: 1, grammar: grammar, stopAtFirstPositional: true)
        guard scan.end < words.count else { return [] }
        if scan.has("-x", "--exec") {
            return [.command(InnerCommand(words: Array(words[scan.end...]), label: "watch"))]
        }
        return [.code(joinedCode(words[scan.end...]), label: "watch", placeholders: [])]
    }

    static func flock(_ words: [ExpandedWord]) -> [WrappedCommand] {
        let grammar = OptionGrammar(short: "wEc", long: ["--timeout", "--conflict-exit-code", "--command"])
        let scan = OptionScanner.scan(words, from: 1, grammar: grammar, stopAtFirstPositional: true)
        if let code = scan.values(of: ["-c", "--command"]).last {
            return [.code(code, label: "flock -c", placeholders: [])]
        }
        // The lock file or descriptor, then `-c CODE` or the command.
        let start = scan.end + 1
        guard start < words.count else { return [] }
        if words[start].isStatic, words[start].text == "-c" || words[start].text == "--command" {
            guard start + 1 < words.count else { return [] }
            return [.code(words[start + 1], label: "flock -c", placeholders: [])]
        }
        return [.command(InnerCommand(words: Array(words[start...]), label: "flock"))]
    }

    static func su(_ name: String, _ words: [ExpandedWord]) -> [WrappedCommand] {
        let grammar = OptionGrammar(
            short: "cgGsuwC",
            long: ["--command", "--session-command", "--group", "--supp-group", "--shell", "--user", "--whitelist-environment"])
        // `su - root -c '…'`: the code may follow the user name.
        let scan = OptionScanner.scan(words, from: 1, grammar: grammar)
        if let code = scan.values(of: ["-c", "--command", "--session-command"]).last {
            return [.code(code, label: name + " -c", placeholders: [])]
        }
        if name == "runuser", scan.has("-u", "--user") {
            let ordered = OptionScanner.scan(words, from: 1, grammar: grammar, stopAtFirstPositional: true)
            guard ordered.end < words.count else { return [] }
            return [.command(InnerCommand(words: Array(words[ordered.end...]), label: name))]
        }
        return []
    }

    static func script(_ words: [ExpandedWord]) -> [WrappedCommand] {
        let grammar = OptionGrammar(
            short: "cTIOBEmFt",
            long: ["--command", "--log-timing", "--log-in", "--log-out", "--log-io", "--echo", "--logging-format"])
        let scan = OptionScanner.scan(words, from: 1, grammar: grammar, stopAtFirstPositional: true)
        if let code = scan.values(of: ["-c", "--command"]).last {
            return [.code(code, label: "script -c", placeholders: [])]
        }
        // BSD `script [file [command …]]`.
        let start = scan.end + 1
        guard start < words.count else { return [] }
        return [.command(InnerCommand(words: Array(words[start...]), label: "script"))]
    }

    static func sg(_ words: [ExpandedWord]) -> [WrappedCommand] {
        var start = 2
        guard start < words.count else { return [] }
        if words[start].isStatic, words[start].text == "-c" { start += 1 }
        guard start < words.count else { return [] }
        return [.code(joinedCode(words[start...]), label: "sg", placeholders: [])]
    }

    static let parallelPlaceholders = ["{}", "{.}", "{/}", "{//}", "{/.}", "{#}", "{%}"]
        + (1...9).map { "{\($0)}" }

    static func parallel(_ words: [ExpandedWord]) -> [WrappedCommand] {
        let grammar = OptionGrammar(
            short: "jSaIdnNLEPCsW",
            long: [
                "--jobs", "--sshlogin", "--arg-file", "--delimiter", "--max-args", "--max-lines", "--eof", "--colsep",
                "--max-chars", "--wd", "--workdir", "--tmpdir", "--joblog", "--results", "--sshloginfile", "--basefile",
                "--return", "--transferfile", "--timeout", "--delay", "--retries", "--memfree", "--load", "--halt",
                "--env", "--arg-sep", "--arg-file-sep", "--tagstring", "--replace",
            ])
        let scan = OptionScanner.scan(words, from: 1, grammar: grammar, stopAtFirstPositional: true)
        var end = scan.end
        while end < words.count, !(words[end].isStatic && [":::", "::::", ":::+", "::::+"].contains(words[end].text)) {
            end += 1
        }
        let template = words[scan.end..<end]
        guard !template.isEmpty else { return [.dynamicCode] }
        let marked = template.map { word in
            parallelPlaceholders.reduce(word) { markPlaceholder($0, $1) }
        }
        if scan.has("-q", "--quote") {
            return [.command(InnerCommand(words: marked, label: "parallel -q"))]
        }
        // Without -q, parallel joins the template's words and a shell parses them again (the
        // label "parallel" says so to the policy engine). It quotes what it substitutes, so its
        // placeholders are values, not code: the template is known code whose placeholder words
        // are dynamic.
        var code = joinedCode(marked[...])
        if code.isPlaceholderOnly {
            code.word.isStatic = true
            code.isPlaceholderOnly = false
        }
        return [.code(code, label: "parallel", placeholders: parallelPlaceholders)]
    }
}

/// Shells and where their script comes from.
enum ShellCommands {
    static let shellNames: Set<String> = [
        "sh", "bash", "zsh", "dash", "ksh", "ash", "mksh", "pdksh", "posh", "yash", "rbash", "fish", "csh", "tcsh",
    ]

    /// Paths through which a program reads its standard input as a file.
    static let standardInputPaths: Set<String> = ["/dev/stdin", "/dev/fd/0", "/proc/self/fd/0", "-"]

    enum ScriptSource {
        case commandString(ExpandedWord)
        /// `bash -c` with nothing after it: bash fails without running anything.
        case missingCommandString
        case file(ExpandedWord)
        case standardInput
    }

    /// Where a shell invocation's script comes from, and the index of the script argument.
    static func scriptSource(of words: [ExpandedWord]) -> ScriptSource {
        var index = 1
        var commandMode = false
        var standardInput = false
        while index < words.count {
            let word = words[index]
            guard word.isStatic else { break }
            let text = word.text
            if text == "--" || text == "-" {
                index += 1
                break
            }
            if text.hasPrefix("--") {
                if text == "--rcfile" || text == "--init-file" || text == "--init-command" {
                    index += 2
                    continue
                }
                if text.hasPrefix("--command=") {
                    return .commandString(OptionScanner.attached(String(text.dropFirst("--command=".count)), from: word))
                }
                if text == "--command" { commandMode = true }
                index += 1
                continue
            }
            if (text.hasPrefix("-") || text.hasPrefix("+")), text.utf8.count > 1 {
                var values = 0
                for letter in text.dropFirst() {
                    switch letter {
                    case "c": commandMode = true
                    case "s": standardInput = true
                    case "o", "O": values += 1
                    default: break
                    }
                }
                index += 1 + values
                continue
            }
            break
        }
        if commandMode {
            return index < words.count ? .commandString(words[index]) : .missingCommandString
        }
        if standardInput || index >= words.count { return .standardInput }
        return .file(words[index])
    }
}
