import Testing
@testable import WardenShell

/// What a wrapper runs: the last command listed, its wrappers and its words.
struct Wrapped: Sendable, Equatable, CustomStringConvertible {
    var wrappers: [String]
    var words: [String]

    init(_ wrappers: [String], _ words: [String]) {
        self.wrappers = wrappers
        self.words = words
    }

    var description: String { "\(wrappers) \(words)" }
}

let wrapperCases: [Case<Wrapped>] = [
    // sudo and doas
    Case("sudo curl x", Wrapped(["sudo"], ["curl", "x"])),
    Case("sudo -u root -g wheel -- curl x", Wrapped(["sudo"], ["curl", "x"])),
    Case("sudo -E -H -n curl x", Wrapped(["sudo"], ["curl", "x"])),
    Case("sudo -uroot curl x", Wrapped(["sudo"], ["curl", "x"])),
    Case("sudo --user=root curl x", Wrapped(["sudo"], ["curl", "x"])),
    Case("sudo -p prompt -C 3 -D /srv -r role -t type -U u -h host curl x", Wrapped(["sudo"], ["curl", "x"])),
    Case("sudo FOO=1 curl x", Wrapped(["sudo"], ["curl", "x"])),
    Case("sudo sudo -u a curl x", Wrapped(["sudo", "sudo"], ["curl", "x"])),
    Case("doas -u root curl x", Wrapped(["doas"], ["curl", "x"])),
    Case("pkexec --user root curl x", Wrapped(["pkexec"], ["curl", "x"])),
    // env
    Case("env curl x", Wrapped(["env"], ["curl", "x"])),
    Case("env -i FOO=1 BAR=2 curl x", Wrapped(["env"], ["curl", "x"])),
    Case("env -u HOME -0 curl x", Wrapped(["env"], ["curl", "x"])),
    Case("env --unset=HOME -- curl x", Wrapped(["env"], ["curl", "x"])),
    Case("env - PATH=/bin curl x", Wrapped(["env"], ["curl", "x"])),
    Case("env -C /tmp curl x", Wrapped(["env"], ["curl", "x"])),
    Case("env -S 'curl -s x'", Wrapped(["env"], ["curl", "-s", "x"])),
    Case("env --split-string='FOO=1 curl \"a b\"'", Wrapped(["env"], ["curl", "a b"])),
    Case("env -S'curl\\_x'", Wrapped(["env"], ["curl x"])),
    // Options, then the command
    Case("nohup curl x", Wrapped(["nohup"], ["curl", "x"])),
    Case("timeout 10 curl x", Wrapped(["timeout"], ["curl", "x"])),
    Case("timeout -s KILL -k 5 10s curl x", Wrapped(["timeout"], ["curl", "x"])),
    Case("timeout --preserve-status --foreground --signal=TERM 1m curl x", Wrapped(["timeout"], ["curl", "x"])),
    Case("nice curl x", Wrapped(["nice"], ["curl", "x"])),
    Case("nice -n 5 curl x", Wrapped(["nice"], ["curl", "x"])),
    Case("nice -5 curl x", Wrapped(["nice"], ["curl", "x"])),
    Case("nice --adjustment=5 curl x", Wrapped(["nice"], ["curl", "x"])),
    Case("ionice -c 2 -n 7 curl x", Wrapped(["ionice"], ["curl", "x"])),
    Case("chrt -f 10 curl x", Wrapped(["chrt"], ["curl", "x"])),
    Case("taskset -c 0,1 curl x", Wrapped(["taskset"], ["curl", "x"])),
    Case("taskset 0x3 curl x", Wrapped(["taskset"], ["curl", "x"])),
    Case("stdbuf -oL -e 0 curl x", Wrapped(["stdbuf"], ["curl", "x"])),
    Case("setsid -f curl x", Wrapped(["setsid"], ["curl", "x"])),
    Case("/usr/bin/time -f %e -o t.txt curl x", Wrapped(["time"], ["curl", "x"])),
    Case("/usr/bin/time -p curl x", Wrapped(["time"], ["curl", "x"])),
    Case("command curl x", Wrapped(["command"], ["curl", "x"])),
    Case("command -p curl x", Wrapped(["command"], ["curl", "x"])),
    Case("builtin echo x", Wrapped(["builtin"], ["echo", "x"])),
    Case("exec curl x", Wrapped(["exec"], ["curl", "x"])),
    Case("exec -a name -c curl x", Wrapped(["exec"], ["curl", "x"])),
    Case("strace -f -o out.txt -e trace=network curl x", Wrapped(["strace"], ["curl", "x"])),
    Case("ltrace -s 64 curl x", Wrapped(["ltrace"], ["curl", "x"])),
    Case("unbuffer -p curl x", Wrapped(["unbuffer"], ["curl", "x"])),
    Case("caffeinate -i -t 60 curl x", Wrapped(["caffeinate"], ["curl", "x"])),
    Case("nsenter -t 1 -m -u curl x", Wrapped(["nsenter"], ["curl", "x"])),
    Case("chroot /srv curl x", Wrapped(["chroot"], ["curl", "x"])),
    Case("chroot --userspec=a:b /srv curl x", Wrapped(["chroot"], ["curl", "x"])),
    Case("gosu nobody curl x", Wrapped(["gosu"], ["curl", "x"])),
    Case("flock /tmp/lock curl x", Wrapped(["flock"], ["curl", "x"])),
    Case("flock -n -w 5 /tmp/lock curl x", Wrapped(["flock"], ["curl", "x"])),
    Case("flock /tmp/lock -c 'curl x'", Wrapped(["flock -c"], ["curl", "x"])),
    Case("busybox wget x", Wrapped(["busybox"], ["wget", "x"])),
    Case("busybox sh -c 'curl x'", Wrapped(["busybox", "sh -c"], ["curl", "x"])),
    Case("nohup nice -n 5 timeout 10 curl x", Wrapped(["nohup", "nice", "timeout"], ["curl", "x"])),
    // Commands fed with arguments by another program
    Case("ls | xargs curl", Wrapped(["xargs"], ["curl", "{xargs input}"])),
    Case("xargs -n 1 -P 4 curl -s", Wrapped(["xargs"], ["curl", "-s", "{xargs input}"])),
    Case("xargs -0 -r -t curl", Wrapped(["xargs"], ["curl", "{xargs input}"])),
    Case("xargs -a list.txt -d '\\n' curl", Wrapped(["xargs"], ["curl", "{xargs input}"])),
    Case("xargs -I{} curl {}/x", Wrapped(["xargs"], ["curl", "{}/x"])),
    Case("xargs -I % curl -o % x", Wrapped(["xargs"], ["curl", "-o", "%", "x"])),
    Case("xargs -i curl {}", Wrapped(["xargs"], ["curl", "{}"])),
    Case("xargs sh -c 'curl \"$1\"' _", Wrapped(["xargs", "sh -c"], ["curl", "$1"])),
    Case("find . -exec curl {} \\;", Wrapped(["find -exec"], ["curl", "{}"])),
    Case("find . -name '*.txt' -execdir curl -F x {} +", Wrapped(["find -execdir"], ["curl", "-F", "x", "{}"])),
    Case("find . -exec curl {} x + \\;", Wrapped(["find -exec"], ["curl", "{}", "x", "+"])),
    Case("find . -ok rm {} \\; -exec curl {} ';'", Wrapped(["find -exec"], ["curl", "{}"])),
    Case("find . -okdir curl {} \\;", Wrapped(["find -okdir"], ["curl", "{}"])),
    Case("find . -exec sh -c 'curl \"$1\"' _ {} \\;", Wrapped(["find -exec", "sh -c"], ["curl", "$1"])),
    Case("parallel curl ::: a b", Wrapped(["parallel"], ["curl"])),
    Case("parallel -j 4 'curl {}' ::: a b", Wrapped(["parallel"], ["curl", "{}"])),
    Case("parallel -q curl {} ::: a", Wrapped(["parallel -q"], ["curl", "{}"])),
    // BSD/macOS xargs -J: the replacement string is a value, not the command.
    Case("xargs -J {} rm -rf {}", Wrapped(["xargs"], ["rm", "-rf", "{}"])),
    Case("xargs -J% -n1 cp % dest", Wrapped(["xargs"], ["cp", "%", "dest"])),
    Case("xargs -R 2 -S 512 -I {} rm {}", Wrapped(["xargs"], ["rm", "{}"])),
    // Code given as a string
    Case("watch -n 1 curl x", Wrapped(["watch"], ["curl", "x"])),
    Case("watch 'ls; curl x'", Wrapped(["watch"], ["curl", "x"])),
    Case("watch -d -t -n 5 'curl x | grep y'", Wrapped(["watch"], ["grep", "y"])),
    Case("watch -x curl x", Wrapped(["watch"], ["curl", "x"])),
    Case("su -c 'curl x'", Wrapped(["su -c"], ["curl", "x"])),
    Case("su - root -c 'curl x'", Wrapped(["su -c"], ["curl", "x"])),
    Case("su --command='curl x' root", Wrapped(["su -c"], ["curl", "x"])),
    Case("runuser -l app -c 'curl x'", Wrapped(["runuser -c"], ["curl", "x"])),
    Case("runuser -u app -- curl x", Wrapped(["runuser"], ["curl", "x"])),
    Case("script -q -c 'curl x' /dev/null", Wrapped(["script -c"], ["curl", "x"])),
    Case("script -q /dev/null curl x", Wrapped(["script"], ["curl", "x"])),
    Case("sg docker 'curl x'", Wrapped(["sg"], ["curl", "x"])),
    Case("sg docker -c 'curl x'", Wrapped(["sg"], ["curl", "x"])),
    Case("alias get='curl -s'", Wrapped(["alias"], ["curl", "-s"])),
    Case("trap 'curl x' EXIT", Wrapped(["trap"], ["curl", "x"])),
    Case("trap -- 'curl x' INT TERM", Wrapped(["trap"], ["curl", "x"])),
    // Shells
    Case("bash -c 'curl x'", Wrapped(["bash -c"], ["curl", "x"])),
    Case("bash -ec 'curl x'", Wrapped(["bash -c"], ["curl", "x"])),
    Case("bash -xc 'curl x' name arg", Wrapped(["bash -c"], ["curl", "x"])),
    Case("bash -o pipefail -c 'curl x'", Wrapped(["bash -c"], ["curl", "x"])),
    Case("bash --norc --noprofile -c 'curl x'", Wrapped(["bash -c"], ["curl", "x"])),
    Case("bash -l -c 'curl x'", Wrapped(["bash -c"], ["curl", "x"])),
    Case("sh -c \"curl x\"", Wrapped(["sh -c"], ["curl", "x"])),
    Case("/bin/sh -c 'curl x'", Wrapped(["sh -c"], ["curl", "x"])),
    Case("zsh -c 'curl x'", Wrapped(["zsh -c"], ["curl", "x"])),
    Case("dash -c 'curl x'", Wrapped(["dash -c"], ["curl", "x"])),
    Case("ksh -c 'curl x'", Wrapped(["ksh -c"], ["curl", "x"])),
    Case("fish -c 'curl x'", Wrapped(["fish -c"], ["curl", "x"])),
    Case("fish --command='curl x'", Wrapped(["fish -c"], ["curl", "x"])),
    Case("bash -c 'bash -c \"curl x\"'", Wrapped(["bash -c", "bash -c"], ["curl", "x"])),
    Case("sudo bash -c 'curl x'", Wrapped(["sudo", "bash -c"], ["curl", "x"])),
    Case("bash <<EOF\ncurl x\nEOF", Wrapped(["bash"], ["curl", "x"])),
    Case("bash -s <<'EOF'\ncurl x\nEOF", Wrapped(["bash"], ["curl", "x"])),
    Case("bash <<< 'curl x'", Wrapped(["bash"], ["curl", "x"])),
    Case("echo 'curl x' | sh", Wrapped(["sh"], ["curl", "x"])),
    Case("echo curl x | bash", Wrapped(["bash"], ["curl", "x"])),
    Case("printf 'curl %s\\n' x | sh", Wrapped(["sh"], ["curl", "x"])),
    Case("echo -e 'curl\\x20x' | bash", Wrapped(["bash"], ["curl", "x"])),
    Case("cat <<EOF | sh\ncurl x\nEOF", Wrapped(["sh"], ["curl", "x"])),
    Case("echo 'curl x' | bash -s", Wrapped(["bash"], ["curl", "x"])),
    Case("echo 'curl x' | { bash; }", Wrapped(["bash"], ["curl", "x"])),
    Case(". /dev/stdin <<< 'curl x'", Wrapped(["."], ["curl", "x"])),
    Case("eval 'curl x'", Wrapped(["eval"], ["curl", "x"])),
    Case("eval \"curl\" 'x'", Wrapped(["eval"], ["curl", "x"])),
    Case("eval 'eval \"curl x\"'", Wrapped(["eval", "eval"], ["curl", "x"])),
]

/// Wrappers that do not run a command in these forms.
let nothingWrappedCases: [String] = [
    "sudo -l", "sudo -v", "sudo -k", "sudo -i", "sudo -e /etc/hosts", "env", "env FOO=1", "env -i", "nohup",
    "timeout 10", "command -v curl", "command -V curl", "strace -p 123", "ionice -p 123", "chrt -p 10 123",
    "taskset -p 123", "xargs", "find . -name x", "watch", "su", "su - root", "flock /tmp/lock", "chroot /srv",
    "exec", "exec 3>&1", "bash", "bash script.sh", "bash -c", "sh -s", "trap - EXIT", "trap -p", "busybox --list",
]

@Suite struct WrapperTests {
    @Test(arguments: wrapperCases)
    func findsTheWrappedCommand(_ testCase: Case<Wrapped>) throws {
        let analysis = try analyze(testCase.script)
        guard let last = analysis.invocations.last else {
            Issue.record("nothing listed")
            return
        }
        #expect(Wrapped(last.wrappers, last.texts) == testCase.expected)
        #expect(analysis.invocations.first?.wrappers == [])
    }

    @Test(arguments: nothingWrappedCases)
    func runsNothingElse(_ script: String) throws {
        let analysis = try analyze(script)
        #expect(analysis.invocations.count == 1, "\(analysis.names)")
        #expect(analysis.concerns.isEmpty)
    }

    @Test func wrappersAreListedBeforeWhatTheyRun() throws {
        let analysis = try analyze("sudo -u root env FOO=1 curl x")
        #expect(analysis.names == ["sudo", "env", "curl"])
        #expect(analysis.invocations.map(\.wrappers) == [[], ["sudo"], ["sudo", "env"]])
        #expect(analysis.invocations.map(\.source) == ["sudo -u root env FOO=1 curl x", "env FOO=1 curl x", "curl x"])
        #expect(analysis.invocations[2].assignments == ["FOO=1"])
    }

    @Test func placeholdersAreNotStatic() throws {
        let find = try analyze("find . -exec cat {} \\;").invocations[1]
        #expect(find.words[1] == ShellWord(text: "{}", isStatic: false))
        let xargs = try analyze("xargs curl").invocations[1]
        #expect(xargs.words[1] == ShellWord(text: "{xargs input}", isStatic: false))
        let replaced = try analyze("xargs -I{} {} x").invocations[1]
        #expect(replaced.name == nil)
        #expect(try analyze("xargs -I{} {} x").concerns == [.dynamicCommandName(source: "{} x")])
    }

    @Test func scriptsBuiltFromPlaceholdersAreDynamicButStillRead() throws {
        // find and xargs paste file names into the code unquoted.
        let analysis = try analyze("find . -exec sh -c 'curl {}' \\;")
        #expect(analysis.names == ["find", "sh", "curl"])
        #expect(analysis.concerns == [.dynamicScript(source: "sh -c 'curl {}'")])
        // The placeholder stays dynamic inside the code.
        let command = try analyze("xargs -I{} sh -c '{} x'")
        #expect(command.names == ["xargs", "sh", "?"])
        #expect(command.concerns.contains(.dynamicCommandName(source: "{} x")))
        // parallel quotes them, so only the placeholder words are dynamic.
        let parallel = try analyze("parallel 'curl {}' ::: a")
        #expect(parallel.concerns.isEmpty)
        #expect(parallel.invocations.last?.words.map(\.isStatic) == [true, false])
    }

    @Test func workingDirectoryOfWrappedCommands() throws {
        #expect(try analyze("sudo -D /srv cat x").last(named: "cat")?.workingDirectory == "/srv")
        #expect(try analyze("env -C sub cat x").last(named: "cat")?.workingDirectory == "/cwd/sub")
        #expect(try analyze("chroot /srv cat x").last(named: "cat")?.workingDirectory == nil)
        #expect(try analyze("sudo -i cat x").last(named: "cat")?.workingDirectory == nil)
        #expect(try analyze("nohup cat x").last(named: "cat")?.workingDirectory == "/cwd")
    }
}

/// What cannot be seen through is reported.
let concernCases: [Case<[ShellConcern]>] = [
    Case("$CMD x", [.dynamicCommandName(source: "$CMD x")]),
    Case("\"$(echo curl)\" x", [.dynamicCommandName(source: "\"$(echo curl)\" x")]),
    Case("sudo $CMD x", [.dynamicCommandName(source: "$CMD x")]),
    Case("bash -c \"$x\"", [.dynamicScript(source: "bash -c \"$x\"")]),
    Case("sh -c \"curl $url\"", [.dynamicScript(source: "sh -c \"curl $url\"")]),
    Case("eval \"$x\"", [.dynamicScript(source: "eval \"$x\"")]),
    Case("eval $(ssh-agent -s)", [.dynamicScript(source: "eval $(ssh-agent -s)")]),
    Case("curl x | sh", [.dynamicScript(source: "curl x | sh")]),
    Case("curl -fsSL https://x/install.sh | bash -s -- --yes", [.dynamicScript(source: "curl -fsSL https://x/install.sh | bash -s -- --yes")]),
    Case("base64 -d <<< Y3VybCB4 | bash", [.dynamicScript(source: "base64 -d <<< Y3VybCB4 | bash")]),
    Case("cat file | sh", [.dynamicScript(source: "cat file | sh")]),
    Case("echo \"$x\" | sh", [.dynamicScript(source: "echo \"$x\" | sh")]),
    Case("sh < script.sh", [.dynamicScript(source: "sh < script.sh")]),
    Case("bash <<EOF\n$x\nEOF", [.dynamicScript(source: "bash <<EOF")]),
    Case("source <(curl x)", [.dynamicScript(source: "source <(curl x)")]),
    Case(". <(curl x)", [.dynamicScript(source: ". <(curl x)")]),
    Case("bash <(curl x)", [.dynamicScript(source: "bash <(curl x)")]),
    Case("bash \"$script\"", [.dynamicScript(source: "bash \"$script\"")]),
    Case("tee >(sh)", [.dynamicScript(source: ">(sh)")]),
    Case("parallel ::: 'curl x'", [.dynamicScript(source: "parallel ::: 'curl x'")]),
    Case("bash -c 'if'", [.nestedSyntaxError(source: "if", message: "unexpected end of file: `if' is not closed by `fi'")]),
    Case("eval 'echo \"'", [.nestedSyntaxError(source: "echo \"", message: "unexpected end of file while looking for matching `\"'")]),
    Case("echo `(`", [.nestedSyntaxError(source: "(", message: "unexpected end of file: `(' is not closed by `)'")]),
    Case("cat <<EOF\n$(\nEOF", [.nestedSyntaxError(source: "$(\n", message: "unexpected end of file: `$(' is not closed by `)'")]),
    Case("watch 'ls )'", [.nestedSyntaxError(source: "ls )", message: "syntax error near unexpected token `)'")]),
    Case("echo ok", []),
    Case("bash script.sh", []),
    Case("echo 'curl x' | sh", []),
]

@Suite struct ConcernTests {
    @Test(arguments: concernCases)
    func reportsWhatCannotBeSeen(_ testCase: Case<[ShellConcern]>) throws {
        #expect(try analyze(testCase.script).concerns == testCase.expected)
    }

    @Test func nestedCodeIsBoundedInDepth() throws {
        // Each `eval` parses the rest of the line again, one level deeper.
        let script = String(repeating: "eval ", count: 40) + "curl x"
        let analysis = try analyze(script)
        #expect(analysis.concerns.contains { if case .nestedSyntaxError(_, "nesting too deep") = $0 { true } else { false } })
        #expect(analysis.invocations.count == AnalysisWalker.maximumNestedScripts + 1)
        #expect(analysis.invocations.allSatisfy { $0.name == "eval" })
    }
}

