// The files a command reads or writes, found from the known argument layout of common commands.
// A command that is not in the table is assumed to read every operand: that over-reports (a
// message, a URL) but never misses a file, which is the side a guard must err on.

/// How a command's operands (the words that are not options) are used.
enum OperandRule {
    case none
    case read
    case write
    case readWrite
    /// The first operand is a pattern or program (`grep PATTERN FILE…`) unless an option gave it.
    case programThenRead
    /// The first operand is a mode or owner (`chmod 600 f`); the rest are changed.
    case modeThenWrite
    /// Sources then a destination (`cp a b dir/`); with `moves`, the sources are changed too.
    case copy(moves: Bool)
    /// `ln TARGET… LINK`: the targets become reachable through the link.
    case link
    /// `uniq IN OUT`, `xxd IN OUT`: the first is read, the second written.
    case inputOutput
    /// `python SCRIPT ARGS…`: the script is read, unless an option gave the program.
    case scriptThenRead
}

struct ArgumentLayout {
    var grammar = OptionGrammar()
    var operands: OperandRule
    var readOptions: Set<String> = []
    var writeOptions: Set<String> = []
    /// Options that supply the program, so that no operand is one (`grep -e`, `sed -f`, `python -c`).
    var programOptions: Set<String> = []

    init(
        short: String = "", attached: String = "", long: [String] = [], words: [String] = [], operands: OperandRule,
        reads: Set<String> = [], writes: Set<String> = [], programs: Set<String> = []
    ) {
        grammar = OptionGrammar(short: short, attached: attached, long: long + reads.filter { $0.hasPrefix("--") } + writes.filter { $0.hasPrefix("--") }, words: words)
        // Options that supply the program take it as their value.
        for option in programs where option.hasPrefix("--") { grammar.longWithValue.insert(option) }
        for option in reads.union(writes).union(programs) where !option.hasPrefix("--") {
            if option.utf8.count == 2, let letter = option.utf8.last {
                grammar.shortWithValue.insert(letter)
            } else {
                grammar.wordOptionsWithValue.insert(option)
            }
        }
        self.operands = operands
        readOptions = reads
        writeOptions = writes
        programOptions = programs
    }
}

enum FileAccessTable {
    static let noFiles = ArgumentLayout(operands: .none)
    static let reads = ArgumentLayout(operands: .read)
    static let readsAndWrites = ArgumentLayout(operands: .readWrite)

    static let grep = ArgumentLayout(
        short: "emABCdD",
        long: [
            "--regexp", "--max-count", "--after-context", "--before-context", "--context", "--include", "--exclude",
            "--exclude-dir", "--label", "--binary-files", "--devices", "--directories", "--group-separator",
        ],
        operands: .programThenRead, reads: ["-f", "--file", "--exclude-from"],
        programs: ["-e", "--regexp", "-f", "--file"])

    static let editor = ArgumentLayout(
        short: "cTtiW", attached: "oOp", operands: .readWrite, reads: ["-S", "-u", "-q", "-s"], writes: ["-w", "-W"])

    static let python = ArgumentLayout(short: "WXQ", operands: .scriptThenRead, programs: ["-c", "-m"])
    static let node = ArgumentLayout(
        short: "rC", long: ["--require", "--import", "--loader", "--conditions", "--input-type", "--title"],
        operands: .scriptThenRead, programs: ["-e", "--eval", "-p", "--print"])

    /// The argument layout of a command the table knows, or nil. A `switch`, not a dictionary: a
    /// dictionary of every layout, built on first use, cost each hook call about 1.7 million
    /// instructions (a third of its run); the switch builds only the layout asked for.
    static func layout(named name: String) -> ArgumentLayout? {
        switch name {
        case "echo", "printf", "true", "false", "test", "[", "[[", ":", "cd", "pushd", "popd", "export", "unset",
            "set", "shift", "sleep", "kill", "killall", "pkill", "pgrep", "which", "type", "whoami", "exit",
            "return", "local", "declare", "typeset", "readonly", "read", "wait", "jobs", "alias", "unalias", "hash",
            "help", "pwd", "umask", "ulimit", "trap", "getopts", "let", "eval", "bg", "fg", "disown", "logout",
            "times", "enable", "shopt", "caller", "compgen", "complete", "dirs", "seq", "expr", "basename",
            "dirname", "yes", "uname", "id", "groups", "hostname", "ps", "printenv", "nproc", "uptime", "tty",
            "clear", "tput", "mapfile", "readarray", "whereis", "history", "builtin", "command", "exec", "nohup",
            "env", "timeout", "nice", "ionice", "chrt", "taskset", "stdbuf", "setsid", "unbuffer", "caffeinate",
            "doas", "pkexec", "nsenter", "unshare", "setpriv", "firejail", "valgrind", "catchsegv", "entr",
            "proxychains", "proxychains4", "torsocks", "dbus-run-session", "systemd-run", "dumb-init", "gosu",
            "su-exec", "busybox", "watch", "su", "runuser", "sg", "chroot", "tr":
            return noFiles
        case "cat", "base32", "basenc", "most", "md5sum", "sha1sum", "sha224sum", "sha256sum", "sha384sum",
            "sha512sum", "b2sum", "cksum", "sum", "md5", "shasum", "comm", "pr", "rev", "look", "expand", "unexpand",
            "zcat", "bzcat", "xzcat", "zless", "zmore", "readlink", "realpath":
            return reads
        case "grep", "egrep", "fgrep", "zgrep", "zegrep", "zfgrep", "bzgrep", "xzgrep":
            return grep
        case "rg":
            return ArgumentLayout(
                short: "emABCgtTjMEdr",
                long: [
                    "--regexp", "--max-count", "--after-context", "--before-context", "--context", "--glob", "--iglob",
                    "--type", "--type-not", "--threads", "--max-columns", "--encoding", "--max-depth", "--replace", "--pre",
                    "--pre-glob", "--type-add", "--sort", "--sortr", "--colors", "--max-filesize", "--context-separator",
                ],
                operands: .programThenRead, reads: ["-f", "--file", "--ignore-file"], programs: ["-e", "--regexp", "-f", "--file"])
        case "ag":
            return ArgumentLayout(
                short: "ABCGmW", long: ["--ignore", "--ignore-dir", "--depth", "--file-search-regex", "--max-count"],
                operands: .programThenRead, reads: ["-p", "--path-to-ignore"])
        case "ack":
            return ArgumentLayout(
                short: "ABCm", long: ["--type", "--ignore-dir", "--match", "--max-count", "--ignore-file"],
                operands: .programThenRead, programs: ["--match"])
        case "sed":
            return ArgumentLayout(
                short: "el", attached: "i", long: ["--expression", "--line-length"], operands: .programThenRead,
                reads: ["-f", "--file"], programs: ["-e", "--expression", "-f", "--file"])
        case "awk", "gawk", "mawk", "nawk":
            return ArgumentLayout(
                short: "vFl", attached: "op", long: ["--assign", "--field-separator", "--load"],
                operands: .programThenRead, reads: ["-f", "--file", "-i", "--include", "-E", "--exec"],
                programs: ["-f", "--file", "-E", "--exec"])
        case "yq":
            return ArgumentLayout(
                short: "IopM", long: ["--indent", "--output-format", "--input-format", "--expression"],
                operands: .programThenRead, reads: ["--from-file"], programs: ["--from-file", "--expression"])
        case "head":
            return ArgumentLayout(short: "nc", long: ["--lines", "--bytes"], operands: .read)
        case "tail":
            return ArgumentLayout(
                short: "ncs", long: ["--lines", "--bytes", "--pid", "--sleep-interval", "--max-unchanged-stats"], operands: .read)
        case "less":
            return ArgumentLayout(short: "bhjpPtTxyz#", operands: .read, reads: ["-k"], writes: ["-o", "-O"])
        case "more":
            return ArgumentLayout(short: "n", operands: .read)
        case "sort":
            return ArgumentLayout(
                short: "ktTS",
                long: ["--key", "--field-separator", "--temporary-directory", "--buffer-size", "--parallel", "--batch-size", "--compress-program"],
                operands: .read, reads: ["--files0-from", "--random-source"], writes: ["-o", "--output"])
        case "uniq":
            return ArgumentLayout(short: "fsw", long: ["--skip-fields", "--skip-chars", "--check-chars"], operands: .inputOutput)
        case "cut":
            return ArgumentLayout(short: "bcdf", long: ["--bytes", "--characters", "--delimiter", "--fields", "--output-delimiter"], operands: .read)
        case "diff":
            return ArgumentLayout(
                short: "CUxIFLDW",
                long: ["--exclude", "--ignore-matching-lines", "--show-function-line", "--label", "--ifdef", "--width", "--line-format"],
                operands: .read, reads: ["-X", "--exclude-from", "--from-file", "--to-file"])
        case "cmp":
            return ArgumentLayout(short: "in", long: ["--ignore-initial", "--bytes"], operands: .read)
        case "od":
            return ArgumentLayout(short: "AjNStw", long: ["--address-radix", "--skip-bytes", "--read-bytes", "--strings", "--format", "--width"], operands: .read)
        case "hexdump":
            return ArgumentLayout(short: "nse", operands: .read, reads: ["-f"])
        case "strings":
            return ArgumentLayout(short: "ntTe", long: ["--bytes", "--radix", "--encoding", "--target"], operands: .read)
        case "xxd":
            return ArgumentLayout(short: "clgsonR", operands: .inputOutput)
        case "base64":
            return ArgumentLayout(short: "wb", long: ["--wrap"], operands: .read, reads: ["-i", "--input"], writes: ["-o", "--output"])
        case "tac":
            return ArgumentLayout(short: "s", long: ["--separator"], operands: .read)
        case "nl":
            return ArgumentLayout(short: "bdfhilnsvw", operands: .read)
        case "wc":
            return ArgumentLayout(operands: .read, reads: ["--files0-from"])
        case "paste":
            return ArgumentLayout(short: "d", long: ["--delimiters"], operands: .read)
        case "join":
            return ArgumentLayout(short: "12ajote", operands: .read)
        case "column":
            return ArgumentLayout(short: "csoNRWHdl", operands: .read)
        case "fold":
            return ArgumentLayout(short: "w", long: ["--width"], operands: .read)
        case "fmt":
            return ArgumentLayout(short: "wpg", long: ["--width", "--prefix", "--goal"], operands: .read)
        case "iconv":
            return ArgumentLayout(short: "ft", long: ["--from-code", "--to-code"], operands: .read, writes: ["-o", "--output"])
        case "stat":
            return ArgumentLayout(short: "c", long: ["--format", "--printf"], operands: .read)
        case "file":
            return ArgumentLayout(short: "eFP", long: ["--exclude", "--separator", "--parameter"], operands: .read, reads: ["-m", "--magic-file", "-f", "--files-from"])
        case "split":
            return ArgumentLayout(
                short: "abClnt", long: ["--suffix-length", "--bytes", "--line-bytes", "--lines", "--number", "--separator", "--additional-suffix"],
                operands: .inputOutput)
        case "date":
            return ArgumentLayout(short: "dI", long: ["--date", "--iso-8601"], operands: .none, reads: ["-f", "--file", "-r", "--reference"])
        case "vim", "vi", "nvim", "view", "vimdiff", "gvim", "ex":
            return editor
        case "nano", "pico", "micro", "ed", "hx", "helix", "gedit", "kate", "mate", "subl", "atom", "open",
            "xdg-open":
            return readsAndWrites
        case "emacs":
            return ArgumentLayout(short: "fL", long: ["--eval", "--funcall", "--directory"], operands: .readWrite, reads: ["-l", "--load"])
        case "emacsclient":
            return ArgumentLayout(short: "esaf", long: ["--eval", "--socket-name", "--alternate-editor", "--server-file"], operands: .readWrite)
        case "code":
            return ArgumentLayout(
                long: ["--user-data-dir", "--extensions-dir", "--install-extension", "--uninstall-extension", "--locale", "--profile", "--log"],
                operands: .readWrite, reads: ["-g", "--goto"])
        case "tee":
            return ArgumentLayout(operands: .write)
        case "touch":
            return ArgumentLayout(short: "dt", long: ["--date"], operands: .write, reads: ["-r", "--reference"])
        case "rm", "rmdir", "unlink", "mkdir", "mkfifo", "mknod":
            return ArgumentLayout(short: "m", long: ["--mode"], operands: .write)
        case "shred":
            return ArgumentLayout(short: "ns", long: ["--iterations", "--size"], operands: .write, reads: ["--random-source"])
        case "truncate":
            return ArgumentLayout(short: "s", long: ["--size"], operands: .write, reads: ["-r", "--reference"])
        case "chmod", "chown", "chgrp":
            return ArgumentLayout(long: ["--from"], operands: .modeThenWrite, reads: ["--reference"])
        case "cp":
            return ArgumentLayout(short: "S", long: ["--suffix"], operands: .copy(moves: false), writes: ["-t", "--target-directory"])
        case "mv":
            return ArgumentLayout(short: "S", long: ["--suffix"], operands: .copy(moves: true), writes: ["-t", "--target-directory"])
        case "install":
            return ArgumentLayout(
                short: "mogSC", long: ["--mode", "--owner", "--group", "--suffix"], operands: .copy(moves: false),
                writes: ["-t", "--target-directory"])
        case "ln":
            return ArgumentLayout(short: "S", long: ["--suffix"], operands: .link, writes: ["-t", "--target-directory"])
        case "rsync":
            return ArgumentLayout(
                short: "efTB",
                long: ["--rsh", "--filter", "--exclude", "--include", "--temp-dir", "--block-size", "--backup-dir", "--suffix", "--chmod", "--chown", "--bwlimit", "--timeout", "--port"],
                operands: .copy(moves: false),
                reads: ["--exclude-from", "--include-from", "--files-from", "--password-file"],
                writes: ["--log-file", "--write-batch", "--only-write-batch"])
        case "scp":
            return ArgumentLayout(short: "cJloPSDX", operands: .copy(moves: false), reads: ["-i", "-F"])
        case "sftp":
            return ArgumentLayout(short: "BcDJloPRsSX", operands: .none, reads: ["-i", "-F", "-b"])
        case "ssh":
            return ArgumentLayout(short: "bcDeIJlLmOpQRSwWBo", operands: .none, reads: ["-i", "-F"], writes: ["-E"])
        case "ssh-add":
            return ArgumentLayout(short: "tsSeEH", operands: .read, reads: ["-T"])
        case "ssh-keygen":
            return ArgumentLayout(
                short: "abCEgIjJKmMnNOPrsStVwYzZ", operands: .read, reads: ["-f", "-F", "-R", "-s"])
        case "ssh-copy-id":
            return ArgumentLayout(short: "opF", operands: .none, reads: ["-i"])
        case "gpg", "gpg2":
            return ArgumentLayout(
                short: "ruRkN",
                long: [
                    "--recipient", "--local-user", "--default-key", "--homedir", "--keyserver", "--passphrase",
                    "--trust-model", "--cipher-algo", "--digest-algo", "--compress-algo", "--default-recipient",
                    "--import-options", "--export-options", "--pinentry-mode", "--hidden-recipient", "--encrypt-to",
                ],
                operands: .read, reads: ["--passphrase-file", "--keyring", "--secret-keyring"], writes: ["-o", "--output"])
        case "curl":
            return ArgumentLayout(
                short: "AbdeFHmPQrtuUwxXyYzC",
                long: [
                    "--user-agent", "--cookie", "--data", "--data-ascii", "--data-binary", "--data-raw", "--data-urlencode",
                    "--referer", "--form", "--form-string", "--header", "--max-time", "--ftp-port", "--quote", "--range",
                    "--telnet-option", "--user", "--proxy-user", "--write-out", "--proxy", "--request", "--speed-limit",
                    "--speed-time", "--time-cond", "--continue-at", "--connect-timeout", "--url", "--retry", "--retry-delay",
                    "--retry-max-time", "--max-filesize", "--limit-rate", "--interface", "--resolve", "--connect-to",
                    "--json", "--oauth2-bearer", "--expect100-timeout", "--max-redirs", "--proto", "--proto-redir",
                    "--ciphers", "--tls-max", "--dns-servers", "--variable", "--aws-sigv4", "--noproxy", "--local-port",
                ],
                operands: .none,
                reads: [
                    "-K", "--config", "--cacert", "-E", "--cert", "--key", "--netrc-file", "--proxy-cacert", "--proxy-cert",
                    "--proxy-key", "--crlfile", "-T", "--upload-file", "--capath",
                ],
                writes: [
                    "-o", "--output", "-c", "--cookie-jar", "-D", "--dump-header", "--trace", "--trace-ascii", "--stderr",
                    "--libcurl", "--etag-save", "--hsts", "--alt-svc",
                ])
        case "wget":
            return ArgumentLayout(
                short: "tTwQUeBDIXARlY",
                long: [
                    "--tries", "--timeout", "--wait", "--quota", "--user-agent", "--execute", "--base", "--domains",
                    "--include-directories", "--exclude-directories", "--accept", "--reject", "--level", "--header",
                    "--user", "--password", "--post-data", "--body-data", "--method", "--referer", "--limit-rate",
                ],
                operands: .none,
                reads: [
                    "-i", "--input-file", "--post-file", "--body-file", "--load-cookies", "--certificate", "--private-key",
                    "--ca-certificate", "--config",
                ],
                writes: ["-O", "--output-document", "-o", "--output-file", "-a", "--append-output", "--save-cookies", "-P", "--directory-prefix"])
        case "openssl":
            return ArgumentLayout(
                words: [
                    "-pass", "-passin", "-passout", "-md", "-days", "-subj", "-newkey", "-iter", "-k", "-K", "-iv", "-S",
                    "-name", "-servername", "-connect", "-nameopt", "-certopt", "-set_serial", "-extensions", "-reqexts",
                    "-section", "-digest", "-sigopt", "-pkeyopt", "-inform", "-outform", "-keyform", "-CAform", "-cipher",
                    "-ciphersuites", "-curves", "-groups", "-host", "-port", "-proxy", "-starttls", "-alpn", "-engine",
                    "-macopt", "-mac", "-kdf", "-kdfopt", "-keylen", "-algorithm", "-pkeyopt", "-multivalue-rdn", "-addext",
                ],
                operands: .read,
                reads: [
                    "-in", "-inkey", "-key", "-CAfile", "-cert", "-certfile", "-signkey", "-kfile", "-config", "-keyfile",
                    "-CAkey", "-CA", "-extfile", "-paramfile", "-peerkey", "-sigfile", "-prverify", "-verify", "-signature",
                    "-rand", "-CApath",
                ],
                writes: ["-out", "-keyout", "-writerand"])
        case "tar":
            return ArgumentLayout(operands: .none)
        case "dd":
            return ArgumentLayout(operands: .none)
        case "patch":
            return ArgumentLayout(
                short: "pdDBFzVYg", long: ["--strip", "--directory", "--ifdef", "--prefix", "--fuzz", "--suffix"],
                operands: .readWrite, reads: ["-i", "--input"], writes: ["-o", "--output", "-r", "--reject-file"])
        case "xargs":
            return ArgumentLayout(short: "InPdLsE", attached: "iel", operands: .none, reads: ["-a", "--arg-file"])
        case "time":
            return ArgumentLayout(short: "f", long: ["--format"], operands: .none, writes: ["-o", "--output"])
        case "strace":
            return ArgumentLayout(short: "abeEIOpPsSuUX", operands: .none, writes: ["-o", "--output"])
        case "ltrace":
            return ArgumentLayout(short: "aAeDlLnpsuwx", operands: .none, writes: ["-o", "--output"])
        case "parallel":
            return ArgumentLayout(operands: .none, reads: ["-a", "--arg-file"], writes: ["--joblog"])
        case "zip":
            return ArgumentLayout(short: "bntxiPOZ", operands: .none)
        case "unzip":
            return ArgumentLayout(short: "dPx", operands: .none)
        case "gzip", "gunzip", "bzip2", "bunzip2", "xz", "unxz", "zstd", "unzstd", "lz4", "brotli", "compress",
            "uncompress":
            return ArgumentLayout(short: "SbLTM", operands: .readWrite, writes: ["-o"])
        case "ruby":
            return ArgumentLayout(short: "rICEF", attached: "ixW0l", operands: .scriptThenRead, programs: ["-e"])
        case "perl":
            return ArgumentLayout(short: "IFC", attached: "ilMmx0dDV", operands: .scriptThenRead, programs: ["-e", "-E"])
        case "php":
            return ArgumentLayout(
                short: "dcBRFEtSz", operands: .scriptThenRead, reads: ["-f"], programs: ["-r", "-f", "-B", "-R", "-F", "-E"])
        case "Rscript":
            return ArgumentLayout(operands: .scriptThenRead, programs: ["-e"])
        case "lua":
            return ArgumentLayout(short: "l", operands: .scriptThenRead, programs: ["-e"])
        case "osascript":
            return ArgumentLayout(short: "ls", operands: .scriptThenRead, programs: ["-e"])
        case "python", "python2", "python3", "pypy", "pypy3":
            return python
        case "node", "nodejs":
            return node
        default:
            return nil
        }
    }

    static func accesses(name: String, words: [ExpandedWord]) -> [FileAccess] {
        var collector = AccessCollector(command: name)
        if ShellCommands.shellNames.contains(name) {
            shell(words, &collector)
            return collector.accesses
        }
        switch name {
        case "tar": tar(words, &collector)
        case "dd": dd(words, &collector)
        case "git": git(words, &collector)
        case "docker", "podman": docker(words, &collector)
        case "kubectl": kubectl(words, &collector)
        case "find": find(words, &collector)
        case "jq": jq(words, &collector)
        case "source", ".":
            // The words after the file are its positional parameters.
            if let file = words.dropFirst().first { collector.add(file, .read) }
        case "openssl":
            // The first operand is the subcommand (`openssl enc …`).
            if let layout = layout(named: name), words.count > 1 { apply(layout, to: [words[0]] + words.dropFirst(2), &collector) }
        case "zip": zip(words, &collector)
        case "unzip": unzip(words, &collector)
        case "sudo": sudo(words, &collector)
        case "flock": flock(words, &collector)
        case "script": script(words, &collector)
        default:
            if let layout = layout(named: name) {
                apply(layout, to: words, &collector)
            } else if name.hasPrefix("python") && name.dropFirst(6).allSatisfy({ $0.isNumber || $0 == "." }) {
                apply(python, to: words, &collector)
            } else {
                unknownCommand(words, &collector)
            }
        }
        return collector.accesses
    }

    /// A command not in the table: every operand may be a file it reads, and so may an option
    /// value that looks like a path.
    static func unknownCommand(_ words: [ExpandedWord], _ collector: inout AccessCollector) {
        let scan = OptionScanner.scan(words, from: 1, grammar: OptionGrammar())
        for operand in scan.positionals { collector.add(operand, .read) }
        for option in scan.options {
            guard let value = option.value, option.name.hasPrefix("--") else { continue }
            if value.text.contains("/") || value.text.hasPrefix(".") || value.text.hasPrefix("~") {
                collector.add(value, .read, via: "option \(option.name) of \(collector.command)")
            }
        }
    }

    static func apply(_ layout: ArgumentLayout, to words: [ExpandedWord], _ collector: inout AccessCollector) {
        let name = collector.command
        let scan = OptionScanner.scan(words, from: 1, grammar: layout.grammar)
        var inPlace = false
        var sourcesOnly = false
        for option in scan.options {
            if let value = option.value {
                if layout.readOptions.contains(option.name) { collector.add(value, .read, via: "option \(option.name) of \(name)") }
                if layout.writeOptions.contains(option.name) { collector.add(value, .write, via: "option \(option.name) of \(name)") }
                if option.name == "-t" || option.name == "--target-directory" { sourcesOnly = true }
            }
            if option.name == "-i" || option.name == "--in-place" { inPlace = true }
        }
        var operands = scan.positionals
        let hasProgram = scan.options.contains { layout.programOptions.contains($0.name) }
        switch layout.operands {
        case .none:
            break
        case .read:
            for operand in operands { collector.add(operand, .read) }
        case .write:
            for operand in operands { collector.add(operand, .write) }
        case .readWrite:
            for operand in operands {
                collector.add(operand, .read)
                collector.add(operand, .write)
            }
        case .programThenRead:
            // BSD sed takes the suffix of `-i` as a separate, possibly empty, word (`sed -i '' …`).
            if name == "sed", inPlace, operands.first?.text == "", operands.first?.isStatic == true {
                operands.removeFirst()
            }
            if !hasProgram, !operands.isEmpty { operands.removeFirst() }
            // sed -i / perl -i edit in place; awk takes `var=value` operands.
            let editsInPlace = inPlace && ["sed", "perl", "ruby", "yq"].contains(name)
            for operand in operands {
                if ["awk", "gawk", "mawk", "nawk"].contains(name), CommandWrappers.isAssignment(operand) { continue }
                collector.add(operand, .read)
                if editsInPlace { collector.add(operand, .write) }
            }
        case .modeThenWrite:
            var operands = operands
            let hasReference = scan.options.contains { $0.name == "--reference" }
            // chmod accepts a mode that looks like an option (`chmod -x f`).
            let modeOption = name == "chmod" && scan.options.contains { option in
                option.name.count == 2 && "rwxXst".contains(option.name.last ?? " ")
            }
            if !hasReference, !modeOption, !operands.isEmpty { operands.removeFirst() }
            for operand in operands { collector.add(operand, .write) }
        case .copy(let moves):
            if name == "install", scan.options.contains(where: { $0.name == "-d" || $0.name == "--directory" }) {
                for operand in operands { collector.add(operand, .write) }
                break
            }
            var sources = operands
            if !sourcesOnly, sources.count > 1 {
                collector.add(sources.removeLast(), .write)
            }
            for source in sources {
                collector.add(source, .read)
                if moves { collector.add(source, .write) }
            }
        case .link:
            var targets = operands
            if !sourcesOnly, targets.count > 1 {
                collector.add(targets.removeLast(), .write)
            }
            for target in targets { collector.add(target, .read) }
        case .inputOutput:
            if let input = operands.first { collector.add(input, .read) }
            if operands.count > 1 { collector.add(operands[1], .write) }
        case .scriptThenRead:
            if !hasProgram, !operands.isEmpty {
                collector.add(operands.removeFirst(), .read, via: "script of \(name)")
            }
            let editsInPlace = inPlace && (name == "perl" || name == "ruby")
            for operand in operands {
                collector.add(operand, .read)
                if editsInPlace { collector.add(operand, .write) }
            }
        }
        if name == "curl" { curlData(scan, &collector) }
        if name == "ssh" || name == "scp" || name == "sftp" { sshOptions(scan, &collector) }
    }

    /// `-d @file`, `-F name=@file`, `-H @file` and similar read the file.
    static func curlData(_ scan: ArgumentScan, _ collector: inout AccessCollector) {
        let dataOptions: Set<String> = [
            "-d", "--data", "--data-ascii", "--data-binary", "--data-urlencode", "-H", "--header", "--json", "-w",
            "--write-out", "-b", "--cookie", "-F", "--form", "--variable",
        ]
        for option in scan.options where dataOptions.contains(option.name) {
            guard let value = option.value else { continue }
            let text = value.text
            var path: Substring?
            if let at = text.firstIndex(where: { $0 == "@" || (($0 == "<") && (option.name == "-F" || option.name == "--form")) }) {
                path = text[text.index(after: at)...]
                if option.name == "-F" || option.name == "--form" {
                    // `name=@file;type=x`
                    path = path?.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first
                } else if at != text.startIndex, option.name != "--data-urlencode" {
                    path = nil
                }
            } else if option.name == "-b" || option.name == "--cookie", !text.contains("=") {
                path = Substring(text)
            }
            if let path, !path.isEmpty, path != "-" {
                collector.add(OptionScanner.attached(String(path), from: value), .read, via: "option \(option.name) of curl")
            }
        }
    }

    /// `ssh -o IdentityFile=key` and friends.
    static func sshOptions(_ scan: ArgumentScan, _ collector: inout AccessCollector) {
        let fileKeys: Set<String> = ["identityfile", "certificatefile", "userknownhostsfile", "globalknownhostsfile", "identityagent", "controlpath"]
        for option in scan.options where option.name == "-o" {
            guard let value = option.value else { continue }
            let parts = value.text.split(maxSplits: 1, whereSeparator: { $0 == "=" || $0 == " " })
            guard parts.count == 2, fileKeys.contains(parts[0].lowercased()) else { continue }
            collector.add(OptionScanner.attached(String(parts[1]), from: value), .read, via: "option -o of \(collector.command)")
        }
    }

    /// jq's two-value options: `--arg name value`, `--slurpfile name file`, `--rawfile name file`.
    static func jq(_ words: [ExpandedWord], _ collector: inout AccessCollector) {
        var operands: [ExpandedWord] = []
        var hasProgram = false
        var onlyArguments = false
        var index = 1
        while index < words.count {
            let word = words[index]
            let text = word.text
            if onlyArguments || !word.isStatic || !text.hasPrefix("-") || text == "-" {
                if !onlyArguments { operands.append(word) }
                index += 1
                continue
            }
            switch text {
            case "--arg", "--argjson":
                index += 3
            case "--slurpfile", "--rawfile":
                if index + 2 < words.count { collector.add(words[index + 2], .read, via: "option \(text) of jq") }
                index += 3
            case "-f", "--from-file":
                if index + 1 < words.count { collector.add(words[index + 1], .read, via: "option \(text) of jq") }
                hasProgram = true
                index += 2
            case "-L", "--indent":
                index += 2
            case "--args", "--jsonargs":
                onlyArguments = true
                index += 1
            case "--":
                index += 1
                while index < words.count {
                    operands.append(words[index])
                    index += 1
                }
            default:
                index += 1
            }
        }
        if !hasProgram, !operands.isEmpty { operands.removeFirst() }
        for operand in operands { collector.add(operand, .read) }
    }

    static func shell(_ words: [ExpandedWord], _ collector: inout AccessCollector) {
        let name = collector.command
        switch ShellCommands.scriptSource(of: words) {
        case .file(let script):
            collector.add(script, .read, via: "script of \(name)")
            guard let index = words.firstIndex(where: { $0.range == script.range && $0.text == script.text }) else { return }
            for argument in words[(index + 1)...] { collector.add(argument, .read) }
        case .commandString, .missingCommandString, .standardInput:
            break
        }
    }

    static func tar(_ words: [ExpandedWord], _ collector: inout AccessCollector) {
        guard words.count > 1 else { return }
        var arguments = Array(words.dropFirst())
        // Old style: the first word holds bundled letters without a dash (`tar czf out.tgz dir`);
        // letters taking values consume the following words in order.
        if let first = arguments.first, first.isStatic, !first.text.hasPrefix("-"), !first.text.isEmpty,
            first.text.allSatisfy({ $0.isLetter })
        {
            var rewritten: [ExpandedWord] = []
            var rest = arguments.dropFirst()
            for letter in first.text {
                rewritten.append(OptionScanner.attached("-" + String(letter), from: first))
                if "fCTXbgLNV".contains(letter), let value = rest.first {
                    rewritten.append(value)
                    rest = rest.dropFirst()
                }
            }
            arguments = rewritten + rest
        }
        let grammar = OptionGrammar(
            short: "fCTXbgLNVK",
            long: [
                "--file", "--directory", "--files-from", "--exclude-from", "--blocking-factor", "--listed-incremental",
                "--tape-length", "--newer", "--label", "--exclude", "--transform", "--owner", "--group", "--mode",
                "--use-compress-program", "--starting-file", "--format", "--strip-components",
            ])
        let scan = OptionScanner.scan([words[0]] + arguments, from: 1, grammar: grammar)
        let creates = scan.has("-c", "--create", "-r", "--append", "-u", "--update", "-A", "--catenate", "--concatenate")
        let extracts = scan.has("-x", "--extract", "--get")
        for archive in scan.values(of: ["-f", "--file"]) where archive.text != "-" {
            collector.add(archive, creates ? .write : .read, via: "archive of tar")
        }
        for list in scan.values(of: ["-T", "--files-from", "-X", "--exclude-from"]) {
            collector.add(list, .read, via: "option of tar")
        }
        for operand in scan.positionals {
            if creates {
                collector.add(operand, .read)
            } else if extracts {
                collector.add(operand, .write, via: "member extracted by tar")
            }
        }
    }

    static func dd(_ words: [ExpandedWord], _ collector: inout AccessCollector) {
        for word in words.dropFirst() {
            let text = word.text
            if text.hasPrefix("if=") {
                collector.add(OptionScanner.attached(String(text.dropFirst(3)), from: word), .read, via: "if= of dd")
            } else if text.hasPrefix("of=") {
                collector.add(OptionScanner.attached(String(text.dropFirst(3)), from: word), .write, via: "of= of dd")
            }
        }
    }

    static func zip(_ words: [ExpandedWord], _ collector: inout AccessCollector) {
        let scan = OptionScanner.scan(words, from: 1, grammar: OptionGrammar(short: "bntPOZ", long: ["--password", "--output-file"]))
        var operands = scan.positionals
        // `-x`/`-i` patterns run to the end of the line.
        if let exclusion = words.firstIndex(where: { $0.isStatic && ($0.text == "-x" || $0.text == "-i") }) {
            operands = operands.filter { operand in
                guard let index = words.firstIndex(where: { $0.range == operand.range && $0.text == operand.text }) else { return true }
                return index < exclusion
            }
        }
        guard !operands.isEmpty else { return }
        let archive = operands.removeFirst()
        collector.add(archive, .write, via: "archive of zip")
        for output in scan.values(of: ["-O", "--output-file"]) { collector.add(output, .write, via: "option -O of zip") }
        for operand in operands { collector.add(operand, .read) }
    }

    static func unzip(_ words: [ExpandedWord], _ collector: inout AccessCollector) {
        let scan = OptionScanner.scan(words, from: 1, grammar: OptionGrammar(short: "dPx"))
        guard let archive = scan.positionals.first else { return }
        collector.add(archive, .read, via: "archive of unzip")
        for directory in scan.values(of: ["-d"]) { collector.add(directory, .write, via: "option -d of unzip") }
    }

    static func sudo(_ words: [ExpandedWord], _ collector: inout AccessCollector) {
        let scan = OptionScanner.scan(words, from: 1, grammar: OptionGrammar(short: "ugphCDrtUTR"))
        guard scan.has("-e", "--edit") else { return }
        for operand in scan.positionals {
            collector.add(operand, .read)
            collector.add(operand, .write)
        }
    }

    static func flock(_ words: [ExpandedWord], _ collector: inout AccessCollector) {
        let scan = OptionScanner.scan(
            words, from: 1, grammar: OptionGrammar(short: "wEc", long: ["--timeout", "--conflict-exit-code", "--command"]),
            stopAtFirstPositional: true)
        guard scan.end < words.count else { return }
        let lock = words[scan.end]
        if !(lock.isStatic && lock.text.allSatisfy(\.isNumber)) { collector.add(lock, .write, via: "lock file of flock") }
    }

    static func script(_ words: [ExpandedWord], _ collector: inout AccessCollector) {
        let scan = OptionScanner.scan(
            words, from: 1,
            grammar: OptionGrammar(short: "cTIOBEmF", long: ["--command", "--log-timing", "--log-in", "--log-out", "--log-io"]),
            stopAtFirstPositional: true)
        for log in scan.values(of: ["-T", "-I", "-O", "-B", "--log-timing", "--log-in", "--log-out", "--log-io"]) {
            collector.add(log, .write, via: "log of script")
        }
        if scan.end < words.count { collector.add(words[scan.end], .write, via: "typescript of script") }
    }

    static func find(_ words: [ExpandedWord], _ collector: inout AccessCollector) {
        var index = 1
        // Options before the starting points.
        while index < words.count, words[index].isStatic, ["-H", "-L", "-P"].contains(words[index].text) || words[index].text.hasPrefix("-O") {
            index += 1
        }
        var starts: [ExpandedWord] = []
        while index < words.count {
            let text = words[index].text
            if words[index].isStatic, text.hasPrefix("-") || text == "(" || text == "!" || text == "," { break }
            starts.append(words[index])
            index += 1
        }
        if starts.isEmpty {
            starts = [ExpandedWord(word: ShellWord(text: "."), range: nil)]
        }
        var deletes = false
        while index < words.count {
            let text = words[index].text
            guard words[index].isStatic else {
                index += 1
                continue
            }
            switch text {
            case "-exec", "-execdir", "-ok", "-okdir":
                // The executed command is listed separately.
                index += 1
                while index < words.count, !(words[index].isStatic && (words[index].text == ";" || words[index].text == "+")) {
                    index += 1
                }
            case "-fprint", "-fprint0", "-fls", "-fprintf":
                if index + 1 < words.count { collector.add(words[index + 1], .write, via: "option \(text) of find") }
                index += text == "-fprintf" ? 2 : 1
            case "-files0-from":
                if index + 1 < words.count { collector.add(words[index + 1], .read, via: "option \(text) of find") }
                index += 1
            case "-delete":
                deletes = true
            default:
                break
            }
            index += 1
        }
        for start in starts {
            collector.add(start, .read)
            if deletes { collector.add(start, .write, via: "-delete of find") }
        }
    }

    /// A `switch`, not a dictionary built on first use, which cost more than every lookup.
    static func gitPathCommand(_ subcommand: String) -> FileAccessMode? {
        switch subcommand {
        case "add", "diff", "show", "log", "blame", "annotate", "cat-file", "ls-files", "stage", "difftool", "apply", "am",
            "hash-object", "commit", "grep":
            .read
        case "checkout", "restore", "rm", "clean", "mv":
            .write
        default:
            nil
        }
    }

    /// Options of the path-taking git subcommands that take a value.
    static let gitGrammar = OptionGrammar(
        short: "mFCcntSGUOMBApLsb",
        long: [
            "--message", "--file", "--reuse-message", "--reedit-message", "--author", "--date", "--template",
            "--format", "--pretty", "--grep", "--since", "--until", "--after", "--before", "--max-count", "--skip",
            "--committer", "--fixup", "--squash", "--cleanup", "--trailer", "--source", "--pathspec-from-file",
            "--unified", "--inter-hunk-context", "--diff-filter", "--word-diff-regex", "--output",
        ])

    static func git(_ words: [ExpandedWord], _ collector: inout AccessCollector) {
        var index = 1
        // Global options before the subcommand.
        while index < words.count, words[index].isStatic, words[index].text.hasPrefix("-") {
            let text = words[index].text
            index += ["-C", "-c", "--git-dir", "--work-tree", "--namespace", "--exec-path", "--config-env"].contains(text) ? 2 : 1
        }
        guard index < words.count else { return }
        let subcommand = words[index].text
        guard let mode = gitPathCommand(subcommand) else { return }
        let scan = OptionScanner.scan(words, from: index + 1, grammar: gitGrammar)
        let via = "argument of git \(subcommand)"
        if subcommand == "commit" || subcommand == "tag" {
            for file in scan.values(of: ["-F", "--file", "-t", "--template", "--pathspec-from-file"]) {
                collector.add(file, .read, via: "option of git \(subcommand)")
            }
        }
        for output in scan.values(of: ["--output"]) { collector.add(output, .write, via: "option --output of git") }
        var operands = scan.positionals
        if subcommand == "grep", !scan.has("-e", "-f"), !operands.isEmpty { operands.removeFirst() }
        for operand in operands {
            let text = operand.text
            // `REV:path` names a file in a commit.
            if let colon = text.firstIndex(of: ":"), !text.hasPrefix(":") || text.count > 1 {
                let path = String(text[text.index(after: colon)...])
                if !path.isEmpty, !text.contains("://") {
                    collector.add(OptionScanner.attached(path, from: operand), .read, via: via)
                    continue
                }
            }
            if subcommand == "mv" {
                collector.add(operand, .read, via: via)
            }
            collector.add(operand, mode, via: via)
        }
    }

    static func docker(_ words: [ExpandedWord], _ collector: inout AccessCollector) {
        guard words.count > 1 else { return }
        var index = 1
        while index < words.count, words[index].isStatic, words[index].text.hasPrefix("-") {
            let text = words[index].text
            if ["--config", "-c", "--context", "-H", "--host", "--log-level", "-l", "--tlscacert", "--tlscert", "--tlskey"].contains(text) {
                if ["--tlscacert", "--tlscert", "--tlskey"].contains(text), index + 1 < words.count {
                    collector.add(words[index + 1], .read, via: "option \(text) of \(collector.command)")
                }
                index += 2
            } else {
                index += 1
            }
        }
        guard index < words.count else { return }
        var subcommand = words[index].text
        if subcommand == "container" || subcommand == "image" || subcommand == "compose", index + 1 < words.count {
            if subcommand == "compose" {
                for (offset, word) in words.enumerated() where offset > index && (word.text == "-f" || word.text == "--file") {
                    if offset + 1 < words.count { collector.add(words[offset + 1], .read, via: "option -f of docker compose") }
                }
                return
            }
            index += 1
            subcommand = words[index].text
        }
        let grammar = OptionGrammar(
            short: "eptwuhlmcaionvf",
            long: [
                "--env-file", "--file", "--env", "--publish", "--tag", "--workdir", "--user", "--hostname", "--label", "--memory", "--cpus",
                "--name", "--network", "--entrypoint", "--platform", "--build-arg", "--target", "--mount", "--volume",
                "--cpu-shares", "--restart", "--add-host", "--device", "--dns", "--expose", "--cap-add", "--cap-drop",
                "--security-opt", "--ulimit", "--shm-size", "--log-driver", "--log-opt", "--pid", "--ipc",
            ])
        let scan = OptionScanner.scan(words, from: index + 1, grammar: grammar)
        let via = "argument of \(collector.command) \(subcommand)"
        switch subcommand {
        case "cp":
            let operands = scan.positionals
            guard operands.count >= 2 else { return }
            let source = operands[0]
            let destination = operands[operands.count - 1]
            if !isContainerPath(source.text) { collector.add(source, .read, via: via) }
            if !isContainerPath(destination.text) { collector.add(destination, .write, via: via) }
        case "run", "create":
            for option in scan.options {
                guard let value = option.value else { continue }
                switch option.name {
                case "-v", "--volume":
                    // `HOST:CONTAINER[:opts]`: a host path (absolute or relative) is shared.
                    let host = value.text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
                    if host.hasPrefix("/") || host.hasPrefix(".") || host.hasPrefix("~") {
                        let path = OptionScanner.attached(String(host), from: value)
                        collector.add(path, .read, via: "volume of \(collector.command)")
                        collector.add(path, .write, via: "volume of \(collector.command)")
                    }
                case "--mount":
                    for field in value.text.split(separator: ",") {
                        let pair = field.split(separator: "=", maxSplits: 1)
                        if pair.count == 2, ["source", "src"].contains(pair[0]) {
                            let path = OptionScanner.attached(String(pair[1]), from: value)
                            collector.add(path, .read, via: "mount of \(collector.command)")
                            collector.add(path, .write, via: "mount of \(collector.command)")
                        }
                    }
                case "--env-file":
                    collector.add(value, .read, via: "option --env-file of \(collector.command)")
                default:
                    break
                }
            }
        case "build", "buildx":
            for file in scan.values(of: ["-f", "--file"]) { collector.add(file, .read, via: "option -f of \(collector.command)") }
            if let context = scan.positionals.last, !context.text.contains("://") { collector.add(context, .read, via: via) }
        case "load", "import":
            for file in scan.values(of: ["-i", "--input"]) { collector.add(file, .read, via: via) }
            if subcommand == "import", let file = scan.positionals.first { collector.add(file, .read, via: via) }
        case "save", "export":
            for file in scan.values(of: ["-o", "--output"]) { collector.add(file, .write, via: via) }
        default:
            break
        }
    }

    static func isContainerPath(_ text: String) -> Bool {
        guard let colon = text.firstIndex(of: ":"), colon != text.startIndex else { return false }
        return !text[..<colon].contains("/")
    }

    static func kubectl(_ words: [ExpandedWord], _ collector: inout AccessCollector) {
        let scan = OptionScanner.scan(
            words, from: 1,
            grammar: OptionGrammar(short: "nlocf", long: ["--namespace", "--selector", "--output", "--container", "--context", "--cluster", "--filename", "--kubeconfig", "--from-file", "--from-env-file"]))
        for file in scan.values(of: ["-f", "--filename", "--kubeconfig", "--from-env-file"]) {
            collector.add(file, .read, via: "option of kubectl")
        }
        for file in scan.values(of: ["--from-file"]) {
            let path = file.text.split(separator: "=", maxSplits: 1).last.map(String.init) ?? file.text
            collector.add(OptionScanner.attached(path, from: file), .read, via: "option --from-file of kubectl")
        }
        if scan.positionals.first?.text == "cp", scan.positionals.count >= 3 {
            let source = scan.positionals[1]
            let destination = scan.positionals[scan.positionals.count - 1]
            if !isContainerPath(source.text) { collector.add(source, .read, via: "argument of kubectl cp") }
            if !isContainerPath(destination.text) { collector.add(destination, .write, via: "argument of kubectl cp") }
        }
    }
}

/// Accumulates file accesses, skipping what is not a file: `-` (standard input or output) and
/// process substitutions (pipes to commands that are analysed on their own).
struct AccessCollector {
    let command: String
    var accesses: [FileAccess] = []

    mutating func add(_ word: ExpandedWord, _ mode: FileAccessMode, via: String? = nil) {
        guard !word.isProcessSubstitution, !(word.isStatic && (word.text == "-" || word.text.isEmpty)) else { return }
        accesses.append(FileAccess(path: word.word, mode: mode, via: via ?? "argument of \(command)"))
    }
}
