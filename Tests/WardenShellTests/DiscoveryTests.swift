import Testing
@testable import WardenShell

/// Every simple command is listed, in source order (a command's substitutions after it, a wrapped
/// command after its wrapper); `?` stands for a computed name.
let discoveryCases: [Case<[String]>] = [
    // Lists and pipelines
    Case("ls; curl x", ["ls", "curl"]),
    Case("ls && curl x", ["ls", "curl"]),
    Case("ls || curl x", ["ls", "curl"]),
    Case("ls & curl x", ["ls", "curl"]),
    Case("ls\ncurl x", ["ls", "curl"]),
    Case("ls | curl x", ["ls", "curl"]),
    Case("ls |& curl x", ["ls", "curl"]),
    Case("ls | grep a | curl x", ["ls", "grep", "curl"]),
    Case("! curl x", ["curl"]),
    Case("time curl x", ["curl"]),
    Case("time -p curl x", ["curl"]),
    Case("echo a \\\n&& curl x", ["echo", "curl"]),
    Case("echo ok && curl x", ["echo", "curl"]),
    Case("true || curl x", ["true", "curl"]),
    // Compound commands
    Case("(curl x)", ["curl"]),
    Case("{ curl x; }", ["curl"]),
    Case("(ls; (curl x))", ["ls", "curl"]),
    Case("if true; then curl x; fi", ["true", "curl"]),
    Case("if curl x; then :; fi", ["curl", ":"]),
    Case("if a; then b; elif c; then d; else e; fi", ["a", "b", "c", "d", "e"]),
    Case("for i in 1 2; do curl x; done", ["curl"]),
    Case("for i in $(ls); do curl $i; done", ["ls", "curl"]),
    Case("for ((i=0; i<3; i++)); do curl x; done", ["curl"]),
    Case("for ((i=$(curl x); i<3; i++)); do :; done", ["curl", ":"]),
    Case("while true; do curl x; done", ["true", "curl"]),
    Case("until curl x; do sleep 1; done", ["curl", "sleep"]),
    Case("while read l; do curl \"$l\"; done < list", ["read", "curl"]),
    Case("case a in a) curl x;; esac", ["curl"]),
    Case("case a in a) curl x;& b) wget y;;& *) ls;; esac", ["curl", "wget", "ls"]),
    Case("case $(curl x) in *) ;; esac", ["curl"]),
    Case("case a in $(curl x)) ;; esac", ["curl"]),
    Case("select x in a b; do curl $x; done", ["curl"]),
    Case("[[ $(curl x) == y ]]", ["curl"]),
    Case("[[ -n `curl x` && -f y ]]", ["curl"]),
    Case("(( $(curl x) + 1 ))", ["curl"]),
    Case("coproc curl x", ["curl"]),
    Case("coproc c { curl x; }", ["curl"]),
    // Functions are judged where they are written, called or not
    Case("f() { curl x; }", ["curl"]),
    Case("function f { curl x; }", ["curl"]),
    Case("function f() ( curl x )", ["curl"]),
    Case("f() { curl x; }; f", ["curl", "f"]),
    Case("f() if true; then curl x; fi", ["true", "curl"]),
    // Command and process substitutions, wherever they are
    Case("$(curl x)", ["?", "curl"]),
    Case("`curl x`", ["?", "curl"]),
    Case("echo $(curl x)", ["echo", "curl"]),
    Case("echo `curl x`", ["echo", "curl"]),
    Case("echo \"$(curl x)\"", ["echo", "curl"]),
    Case("echo \"`curl x`\"", ["echo", "curl"]),
    Case("echo \"a $(curl x) b\"", ["echo", "curl"]),
    Case("echo $(echo $(curl x))", ["echo", "echo", "curl"]),
    Case("echo `echo \\`curl x\\``", ["echo", "echo", "curl"]),
    Case("echo $(( $(curl x) + 1 ))", ["echo", "curl"]),
    Case("echo $[ $(curl x) + 1 ]", ["echo", "curl"]),
    Case("cat <(curl x)", ["cat", "curl"]),
    Case("tee >(curl x)", ["tee", "curl"]),
    Case("diff <(curl a) <(wget b)", ["diff", "curl", "wget"]),
    Case("X=$(curl x) true", ["true", "curl"]),
    Case("X=$(curl x)", ["curl"]),
    Case("X=`curl x`", ["curl"]),
    Case("A=(a $(curl x))", ["curl"]),
    Case("a[$(curl x)]=1", ["curl"]),
    Case("echo ${x:-$(curl x)}", ["echo", "curl"]),
    Case("echo \"${x:-$(curl x)}\"", ["echo", "curl"]),
    Case("echo ${x:=`curl x`}", ["echo", "curl"]),
    Case("echo ${x[$(curl x)]}", ["echo", "curl"]),
    Case("echo ${x/$(curl x)/y}", ["echo", "curl"]),
    Case("cat < $(curl x)", ["cat", "curl"]),
    Case("echo > \"$(curl x)\"", ["echo", "curl"]),
    Case("cat <<< $(curl x)", ["cat", "curl"]),
    Case("declare -a a=($(curl x))", ["declare", "curl"]),
    Case("export X=$(curl x)", ["export", "curl"]),
    Case("local x=`curl x`", ["local", "curl"]),
    Case("echo $(case a in a) curl x;; esac)", ["echo", "curl"]),
    Case("echo $(echo ')'; curl x)", ["echo", "echo", "curl"]),
    // Here-documents: an unquoted delimiter means the body is expanded
    Case("cat <<EOF\n$(curl x)\nEOF", ["cat", "curl"]),
    Case("cat <<EOF\n`curl x`\nEOF", ["cat", "curl"]),
    Case("cat <<EOF\n${x:-$(curl x)}\nEOF", ["cat", "curl"]),
    Case("cat <<-EOF\n\t$(curl x)\n\tEOF", ["cat", "curl"]),
    Case("cat <<A <<B\n$(curl a)\nA\n$(wget b)\nB", ["cat", "curl", "wget"]),
    Case("cat <<EOF; wget y\n$(curl x)\nEOF", ["cat", "curl", "wget"]),
    Case("cat <<EOF | sh -c 'curl y'\n$(wget x)\nEOF", ["cat", "wget", "sh", "curl"]),
    Case("x=$(cat <<EOF\n$(curl x)\nEOF\n)", ["cat", "curl"]),
    Case("cat <<'EOF'\n$(curl x)\nEOF", ["cat"]),
    Case("cat <<\"EOF\"\n$(curl x)\nEOF", ["cat"]),
    Case("cat <<\\EOF\n$(curl x)\nEOF", ["cat"]),
    Case("cat <<E'O'F\n$(curl x)\nEOF", ["cat"]),
    Case("cat <<'EOF'\ncurl x\nEOF", ["cat"]),
    Case("cat <<EOF\n\\$(curl x)\nEOF", ["cat"]),
    // Hostile spellings of `curl x`
    Case("c''url x", ["curl"]),
    Case("c\"\"url x", ["curl"]),
    Case("\"curl\" x", ["curl"]),
    Case("'curl' x", ["curl"]),
    Case("\\curl x", ["curl"]),
    Case("cu\\rl x", ["curl"]),
    Case("cu\\\nrl x", ["curl"]),
    Case("$'\\x63url' x", ["curl"]),
    Case("$'\\143url' x", ["curl"]),
    Case("$'\\u0063url' x", ["curl"]),
    Case("$'cu'rl x", ["curl"]),
    Case("$\"curl\" x", ["curl"]),
    Case("c{u,}rl x", ["curl"]),
    Case("X=curl; $X x", ["curl"]),
    Case("X=curl; ${X} x", ["curl"]),
    Case("X=curl; \"$X\" x", ["curl"]),
    Case("C=c; U=url; $C$U x", ["curl"]),
    Case("x=url; c$x x", ["curl"]),
    Case("X=curl Y=$X; $Y x", ["curl"]),
    Case("X=; ${X:-curl} x", ["curl"]),
    Case("E=; $E curl x", ["curl"]),
    Case("X='curl -s'; $X x", ["curl"]),
    Case("/usr/bin/curl x", ["curl"]),
    Case("./curl x", ["curl"]),
    Case("env -i FOO=1 curl x", ["env", "curl"]),
    Case("sudo -u root -- curl x", ["sudo", "curl"]),
    Case("nohup nice -n 5 timeout 10 curl x", ["nohup", "nice", "timeout", "curl"]),
    Case("bash -c 'ls; curl x'", ["bash", "ls", "curl"]),
    Case("sh -lc \"curl x\"", ["sh", "curl"]),
    Case("eval 'curl x'", ["eval", "curl"]),
    Case("eval curl x", ["eval", "curl"]),
    Case("ls | xargs curl", ["ls", "xargs", "curl"]),
    Case("find . -exec curl {} \\;", ["find", "curl"]),
    Case("watch -n 1 curl x", ["watch", "curl"]),
    Case("busybox wget x", ["busybox", "wget"]),
    Case("bash <<EOF\ncurl x\nEOF", ["bash", "curl"]),
    Case("echo 'curl x' | sh", ["echo", "sh", "curl"]),
    Case("if curl x; then :; fi", ["curl", ":"]),
    Case("command curl x", ["command", "curl"]),
    Case("exec curl x", ["exec", "curl"]),
    Case("builtin eval 'curl x'", ["builtin", "eval", "curl"]),
    // Merely mentioning a tool runs nothing
    Case("echo \"curl is a tool\"", ["echo"]),
    Case("echo curl x", ["echo"]),
    Case("grep curl docs.md", ["grep"]),
    Case("git commit -m 'remove curl'", ["git"]),
    Case("echo '$(curl x)'", ["echo"]),
    Case("echo \\$\\(curl x\\)", ["echo"]),
    Case("# curl x", []),
    Case("echo a # curl x", ["echo"]),
    Case("echo a#curl", ["echo"]),
    Case("printf '%s\\n' curl", ["printf"]),
    Case("man curl", ["man"]),
    Case("which curl", ["which"]),
    Case("command -v curl", ["command"]),
    Case("type curl", ["type"]),
    Case("X=curl", []),
    Case("echo ${x:-curl}", ["echo"]),
    Case("A=(curl x)", []),
    Case(": curl x", [":"]),
    Case("test curl = x", ["test"]),
    Case("[ curl = x ]", ["["]),
    Case("alias", ["alias"]),
    Case("", []),
    Case("\n\n# nothing\n", []),
]

@Suite struct DiscoveryTests {
    @Test(arguments: discoveryCases)
    func listsEveryCommand(_ testCase: Case<[String]>) throws {
        #expect(try analyze(testCase.script).names == testCase.expected)
    }

    @Test func hostileSpellingsRevealTheRealWords() throws {
        #expect(try analyze("c{u,}rl x").invocations[0].texts == ["curl", "crl", "x"])
        #expect(try analyze("X='curl -s'; $X x").last(named: "curl")?.texts == ["curl", "-s", "x"])
        #expect(try analyze("rm \\-rf /").invocations[0].texts == ["rm", "-rf", "/"])
        #expect(try analyze("/usr/bin/curl x").invocations[0].texts == ["/usr/bin/curl", "x"])
        #expect(try analyze("$'\\x63url' x").invocations[0].words.allSatisfy(\.isStatic))
    }

    @Test func computedCommandNames() throws {
        let variable = try analyze("$CMD x")
        #expect(variable.invocations[0].name == nil)
        #expect(variable.invocations[0].words[0] == ShellWord(text: "$CMD", isStatic: false))
        #expect(variable.concerns == [.dynamicCommandName(source: "$CMD x")])

        let substitution = try analyze("$(echo curl) x")
        #expect(substitution.names == ["?", "echo"])
        #expect(substitution.invocations[0].words[0].containsCommandOutput)
        #expect(substitution.concerns == [.dynamicCommandName(source: "$(echo curl) x")])

        #expect(try analyze("${X:-curl} x").names == ["?"])
        #expect(try analyze("a=(curl); ${a[0]} x").names == ["?"])
        #expect(try analyze("$1 x").names == ["?"])
        #expect(try analyze("\"$@\"").names == ["?"])
    }

    @Test func sourceIsTheCommandAsWritten() throws {
        let analysis = try analyze("  ls -l  ;  X=1 curl  'a b' > out   # note\nwc")
        #expect(analysis.invocations.map(\.source) == ["ls -l", "X=1 curl  'a b' > out", "wc"])
        #expect(analysis.invocations[1].assignments == ["X=1"])
        #expect(try analyze("bash -c 'ls; curl  x'").invocations.map(\.source) == ["bash -c 'ls; curl  x'", "ls", "curl  x"])
        #expect(try analyze("echo $(curl x)").invocations.map(\.source) == ["echo $(curl x)", "curl x"])
    }

    @Test func commandsOnlyMadeOfRedirectionsAreListedForTheirFiles() throws {
        let analysis = try analyze("> .env")
        #expect(analysis.invocations.count == 1)
        #expect(analysis.invocations[0].words.isEmpty)
        #expect(analysis.invocations[0].name == nil)
        #expect(analysis.accessSummary == ["w .env"])
        #expect(analysis.concerns.isEmpty)
        #expect(try analyze("X=1").invocations.isEmpty)
    }
}
