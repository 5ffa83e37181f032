import Testing
@testable import WardenShell

/// The arguments of the first command after static expansion; a dynamic word is shown in `<…>`.
let expansionCases: [Case<[String]>] = [
    // Quote removal and escapes
    Case("echo c''url \"a b\" 'c d' e\\ f", ["curl", "a b", "c d", "e f"]),
    Case("echo \"a\\\"b\" \"\\$x\" \"\\\\\" \"a\\b\"", ["a\"b", "$x", "\\", "a\\b"]),
    Case("echo 'a\\b' \"a'b\" 'a\"b'", ["a\\b", "a'b", "a\"b"]),
    Case("echo a\\\nb \"c\\\nd\"", ["ab", "cd"]),
    Case("echo $'a\\tb' $'\\x41\\102\\u0043' $'it\\'s' $'\\e[0m'", ["a\tb", "ABC", "it's", "\u{1B}[0m"]),
    Case("echo $'a\\0b' $'\\cA' $'\\U0001F600' $'\\q'", ["a", "\u{1}", "😀", "\\q"]),
    Case("echo $\"hello $USER\"", ["hello u"]),
    Case("echo \"\" ''", ["", ""]),
    // Variables: environment, home, literal assignments earlier in the script
    Case("echo $HOME ${HOME} \"$HOME/x\" $USER", ["/home/u", "/home/u", "/home/u/x", "u"]),
    Case("echo $UNKNOWN \"${UNKNOWN}\" x$UNKNOWN", ["<$UNKNOWN>", "<${UNKNOWN}>", "<x$UNKNOWN>"]),
    Case("echo $1 $@ \"$*\" $# $? $$ $! $0 $-", ["<$1>", "<$@>", "<$*>", "<$#>", "<$?>", "<$$>", "<$!>", "<$0>", "<$->"]),
    Case("a=.env; echo $a", [".env"]),
    Case("a=x b=$a; echo $b", ["x"]),
    Case("a=x; a+=y; echo $a", ["xy"]),
    Case("X='a  b'; echo $X \"$X\"", ["a", "b", "a  b"]),
    Case("X=' a '; echo x${X}y", ["x", "a", "y"]),
    Case("E=; echo $E x \"$E\"", ["x", ""]),
    Case("X='*.txt'; echo $X \"$X\"", ["*.txt", "*.txt"]),
    Case("echo $PWD ${PWD}/x", ["/cwd", "/cwd/x"]),
    Case("cd sub; echo $PWD", ["/cwd/sub"]),
    Case("IFS=:; X='a b'; echo $X", ["<$X>"]),
    // Parameter operators with known values
    Case("X=; echo ${X:-dflt} ${X-set} ${X:+alt} ${X+alt}", ["dflt", "alt"]),
    Case("X=v; echo ${X:-dflt} ${X:+alt} ${X:=new} ${X:?err}", ["v", "alt", "v", "v"]),
    Case("X=abc; echo ${#X}", ["3"]),
    Case("X=abc; echo ${X/b/c} ${X#a} ${X^^} ${X:1}", ["<${X/b/c}>", "<${X#a}>", "<${X^^}>", "<${X:1}>"]),
    Case("echo ${UNKNOWN:-x} ${!X} ${a[0]}", ["<${UNKNOWN:-x}>", "<${!X}>", "<${a[0]}>"]),
    Case("X=; echo ${X:-$HOME}", ["/home/u"]),
    Case("X=; echo ${X:-~/x}", ["/home/u/x"]),
    // Tilde expansion
    Case("echo ~ ~/x ~root/x a~ \"~\" '~' \\~", ["/home/u", "/home/u/x", "~root/x", "a~", "~", "~", "~"]),
    Case("echo ~+ ~+/x ~-", ["/cwd", "/cwd/x", "<~->"]),
    Case("echo x=~/a opt=~/a:~/b --opt=~/a", ["x=/home/u/a", "opt=/home/u/a:/home/u/b", "--opt=~/a"]),
    Case("A=~/a:~/b; echo $A", ["/home/u/a:/home/u/b"]),
    Case("HOME=/other; echo ~", ["/other"]),
    // Brace expansion
    Case("echo {a,b}{1,2}", ["a1", "a2", "b1", "b2"]),
    Case("echo {1..3} {a..c} {3..1} {01..03} {1..10..3} {-1..1}", ["1", "2", "3", "a", "b", "c", "3", "2", "1", "01", "02", "03", "1", "4", "7", "10", "-1", "0", "1"]),
    Case("echo {a,b {a} {} {a,b\\} \"{a,b}\" '{a,b}' \\{a,b}", ["{a,b", "{a}", "{}", "{a,b}", "{a,b}", "{a,b}", "{a,b}"]),
    Case("echo {a,{b,c}} x{,}y {a,}", ["a", "b", "c", "xy", "xy", "a"]),
    Case("echo {a}{b,c} a{b,c}d{e,f}", ["{a}b", "{a}c", "abde", "abdf", "acde", "acdf"]),
    Case("echo {$HOME,/tmp}/x", ["/home/u/x", "/tmp/x"]),
    Case("echo ${x:-{a,b}}", ["<${x:-{a,b}}>"]),
    Case("echo {1..100000}", ["<{1..100000}>"]),
    Case("X={a,b}; echo $X", ["{a,b}"]),
    // Command output and arithmetic are dynamic
    Case("echo \"$(date)\" `date` $((1+2)) $[1+2]", ["<$(date)>", "<`date`>", "<$((1+2))>", "<$[1+2]>"]),
    Case("echo a$(date)b", ["<a$(date)b>"]),
    Case("echo <(ls)", ["<<(ls)>"]),
]

/// Variables are only known on the straight path: anything that may or may not have run, or may
/// run again, makes them unknown.
let variableFlowCases: [Case<String?>] = [
    Case("X=curl; $X", "curl"),
    Case("if true; then X=curl; fi; $X", nil),
    Case("X=curl; if true; then X=wget; fi; $X", nil),
    Case("X=curl; if true; then X=curl; else X=curl; fi; $X", "curl"),
    Case("if true; then X=curl; else X=wget; fi; $X", nil),
    Case("X=curl; if true; then X=wget; $X; fi", "wget"),
    Case("X=curl; (X=wget); $X", "curl"),
    Case("X=curl; echo | X=wget; $X", "curl"),
    Case("X=curl; X=wget | cat; $X", "curl"),
    Case("X=curl; X=wget & $X", "curl"),
    Case("X=curl; true && X=wget; $X", nil),
    Case("X=curl; false || X=wget; $X", nil),
    Case("X=curl && $X", "curl"),
    Case("X=curl; for i in 1; do X=wget; done; $X", nil),
    Case("X=curl; while false; do X=wget; done; $X", nil),
    Case("X=curl; while true; do $X; X=wget; done", nil),
    Case("X=curl; for X in a; do :; done; $X", nil),
    Case("X=curl; case a in a) X=wget;; esac; $X", nil),
    Case("X=curl; { X=wget; }; $X", "wget"),
    Case("X=curl; f() { X=wget; }; f; $X", nil),
    Case("X=curl; f() { :; }; $X", "curl"),
    Case("X=curl; read X; $X", nil),
    Case("X=curl; read -r -p 'name: ' X; $X", nil),
    Case("X=curl; mapfile X; $X", nil),
    Case("X=curl; printf -v X %s wget; $X", nil),
    Case("X=curl; unset X; $X", nil),
    Case("X=curl; getopts ab X; $X", nil),
    Case("X=curl; let X=1; $X", nil),
    Case("X=curl; (( X = 1 )); $X", nil),
    Case("X=curl; echo $((X++)); $X", nil),
    Case("X=curl; : ${X:=wget}; $X", nil),
    Case("X=curl; export X=wget; $X", "wget"),
    Case("X=curl; local X=wget; $X", "wget"),
    Case("X=curl; declare -i X=1; $X", nil),
    Case("X=curl; declare \"$Y\"=1; $X", nil),
    Case("X=curl; eval 'X=wget'; $X", "wget"),
    Case("X=curl; eval \"$Y\"; $X", nil),
    Case("X=curl; source ./env.sh; $X", nil),
    Case("X=curl; . ./env.sh; $X", nil),
    Case("X=curl; $UNKNOWN; $X", nil),
    Case("X=curl; echo $(X=wget); $X", "curl"),
    Case("X=curl; bash -c 'X=wget'; $X", "curl"),
    Case("X=curl; X=wget true; $X", "curl"),
    Case("X=$(cmd); $X", nil),
    Case("X=curl; bash -c '$X'", nil),
    Case("export X=curl; bash -c '$X'", "curl"),
    Case("X=curl; export X; bash -c '$X'", "curl"),
    Case("X=curl; export Y=1 X; bash -c '$X'", "curl"),
    Case("X=curl; declare -x X=curl; bash -c '$X'", "curl"),
    Case("X=curl; declare Y=1 X; bash -c '$X'", nil),
    Case("X=curl; if true; then export X; fi; bash -c '$X'", nil),
]

@Suite struct ExpansionTests {
    @Test(arguments: expansionCases)
    func expandsStatically(_ testCase: Case<[String]>) throws {
        let analysis = try analyze(testCase.script)
        guard let command = analysis.invocations.last(where: { $0.name == "echo" }) else {
            Issue.record("no echo in \(analysis.names)")
            return
        }
        let arguments = command.arguments.map { $0.isStatic ? $0.text : "<\($0.text)>" }
        #expect(arguments == testCase.expected)
    }

    @Test(arguments: variableFlowCases)
    func followsVariablesConservatively(_ testCase: Case<String?>) throws {
        let analysis = try analyze(testCase.script)
        // The command of interest is the last one written as `$X`.
        guard let command = analysis.invocations.last(where: { $0.source.hasPrefix("$X") }) else {
            Issue.record("no $X command in \(analysis.invocations.map(\.source))")
            return
        }
        #expect(command.name == testCase.expected)
    }

    @Test func globsAreMarked() throws {
        let words = try analyze("echo *.txt '*.txt' a[b ? \"?\" $X").invocations[0].arguments.map(\.hasGlob)
        #expect(words == [true, false, true, true, false, false])
        #expect(try analyze("X='*'; echo $X \"$X\"").last(named: "echo")?.arguments.map(\.hasGlob) == [true, false])
    }

    @Test func commandOutputIsMarked() throws {
        let words = Array(try analyze("cat $(printf .e%s nv) `x` $((1)) $HOME $Y").invocations[0].arguments)
        #expect(words.map(\.containsCommandOutput) == [true, true, true, false, false])
        #expect(words.map(\.isStatic) == [false, false, false, true, false])
        #expect(words[0].text == "$(printf .e%s nv)")
    }

    @Test func environmentVariablesAreKnown() throws {
        let environment = ShellEnvironment(workingDirectory: "/w", home: nil, variables: ["TOOL": "curl", "HOME": "/h"])
        #expect(try analyze("$TOOL x", in: environment).names == ["curl"])
        #expect(try analyze("cat ~/.env", in: environment).invocations[0].texts == ["cat", "/h/.env"])
        let homeless = ShellEnvironment(workingDirectory: "/w", home: nil)
        let word = try analyze("cat ~/.env", in: homeless).invocations[0].words[1]
        #expect(word == ShellWord(text: "~/.env", isStatic: false))
    }

    @Test func braceExpansionIsBounded() throws {
        let bomb = "echo " + String(repeating: "{a,b}", count: 40)
        let words = Array(try analyze(bomb).invocations[0].arguments)
        #expect(words.count == 1)
        #expect(!words[0].isStatic)
        let deep = "echo " + String(repeating: "{a,", count: 2000) + String(repeating: "}", count: 2000)
        #expect(try analyze(deep).invocations.count == 1)
        // Few results but long ones: the size is bounded too (found by fuzzing, where every
        // result was then scanned as a cluster of hundreds of option letters).
        let long = "cat -m" + String(repeating: String(repeating: "x", count: 80) + "{0..3}", count: 5)
        let arguments = Array(try analyze(long).invocations[0].arguments)
        #expect(arguments.count == 1)
        #expect(!arguments[0].isStatic)
    }
}
