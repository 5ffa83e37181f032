import Testing
@testable import WardenShell

/// Every script here passes `bash -n`.
let validScripts: [String] = [
    // Lists and pipelines
    "ls", "ls -la /tmp", "a; b", "a && b || c", "a & b", "a &", "a\nb", "a\n\n\nb", "a | b | c", "a |& b", "! a",
    "! ! a", "!", "time", "time;", "time -p a", "time ! a", "! time a", "a &&\nb", "a ||\n# comment\nb", "a |\nb",
    "a;", "a ;", "a & b &", "",
    "   ", "\n\n", "# only a comment", "echo a # comment", "echo a;# comment", "echo a#b",
    // Subshells and groups
    "( a )", "(a; b)", "((a) | b)", "((a); b)", "( (a) )", "{ a; }", "{ a\n}", "{ echo }; }", "{ { a; }; }", "(a) > out",
    "{ a; } 2>&1 | b",
    // if / loops / case / select
    "if a; then b; fi", "if a\nthen b\nfi", "if a; then b; elif c; then d; else e; fi", "if ! a; then b; fi",
    "for x in a b; do c; done", "for x; do c; done", "for x do c; done", "for x in; do c; done",
    "for x in a b\ndo c\ndone", "for x\nin a; do c; done", "for ((i=0;i<3;i++)); do c; done", "for ((;;)); do c; done",
    "for ((i=0;i<3;i++)) { c; }", "for x in a; { c; }", "for x in $(ls) `pwd` *.txt; do c; done",
    "while a; do b; done", "until a; do b; done", "while read -r l; do echo $l; done < f", "select x in a b; do c; done",
    "case x in a) b;; esac", "case x in (a|b) c;; *) ;; esac", "case x in esac", "case x in a) b; esac",
    "case x in a) b;& c) d;;& esac", "case x\nin\na)\nb\n;;\nesac", "case $x in *.txt|*.md) echo;; esac",
    "case x in a) ;; esac", "case \"$1\" in -h|--help) echo;; esac",
    // Functions
    "f() { a; }", "f () { a; }", "function f { a; }", "function f() { a; }", "function f () ( a )", "f() ( a )",
    "f() if a; then b; fi", "f()\n{ a; }", "f() { a; } > out", "foo-bar() { :; }", "f() { a; }; f",
    // Conditionals and arithmetic
    "[[ -f x ]]", "[[ a == b && c != d || ! e ]]", "[[ ( a == b ) ]]", "[[ x =~ ^[0-9]+$ ]]", "[[ x =~ (a|b) ]]",
    "[[ x =~ a|b ]]", "[[ a < b ]]", "[[ x == @(a|b) ]]", "[[ -n $(ls) ]]", "[[ a ]] > x", "[[ x\n]]",
    "(( x = 1 + 2 ))", "(( x++ ))", "((x))", "(( (1) ))", "echo $((1 + (2 * 3)))", "echo $[1+2]",
    "echo $(( $(echo 1) + 1 ))", "echo $((ls) | wc)", "echo $((x=1)) ${y:=2}", "echo $(( 1 + ))",
    // Substitutions
    "echo $(ls)", "echo $(ls $(pwd))", "echo `ls`", "echo `ls \\`pwd\\``", "echo \"$(ls)\"", "echo \"`ls`\"",
    "echo $(case x in a) b;; esac)", "echo $(echo ')')", "echo $(echo \")\")", "echo $( (ls) )", "echo $()",
    "echo \"$(echo \")\")\"", "echo `(`", "cat <(ls)", "tee >(cat)", "diff <(a) <(b)", "cat < <(ls)", "echo x<(true)",
    // Parameter expansion
    "echo ${x}", "echo ${x:-y}", "echo ${x:=y}", "echo ${x:+y}", "echo ${x:?y}", "echo ${#x}", "echo ${!x}",
    "echo ${x#a}", "echo ${x##a}", "echo ${x%a}", "echo ${x%%a}", "echo ${x/a/b}", "echo ${x//a/b}", "echo ${x^^}",
    "echo ${x,,}", "echo ${x:1:2}", "echo ${x[0]}", "echo ${x[@]}", "echo ${!x[@]}", "echo ${x@Q}", "echo ${#}",
    "echo ${x:-$(ls)}", "echo \"${x:-\"a b\"}\"", "echo ${x:-'}'}", "echo \"${x:-'}'}\"", "echo ${}", "echo ${x:-{a}b}",
    "echo ${@:1:2}", "echo ${!x*}", "echo $$ $! $? $- $# $@ $* $0 $1",
    // Here-documents and here-strings
    "cat <<EOF\na\nEOF", "cat <<-EOF\n\ta\n\tEOF", "cat <<'EOF'\n$(a\nEOF", "cat <<\"EOF\"\na\nEOF",
    "cat <<EOF1 <<EOF2\na\nEOF1\nb\nEOF2", "cat <<EOF | grep a\na\nEOF", "cat <<EOF", "cat <<EOF\na",
    "x=$(cat <<EOF\na\nEOF\n)", "cat <<E\"O\"F\nx\nEOF", "cat <<EOF\n$(\nEOF", "cat <<EOF; echo \"x\ny\"\nbody\nEOF",
    "cat <<< x", "cat <<< \"$x\"", "cat <<EOF\na\\\nEOF\nEOF",
    // Redirections
    "a < f", "a > f", "a >> f", "a >| f", "a <> f", "a &> f", "a &>> f", "a 2>&1", "a >&2", "a 2> f", "a 3< f",
    "a {fd}> f", "a 2>&-", "a <&0", "> f", "< f a", "a > f 2>&1 < g", "exec {fd}>&-", "echo 1>&2 2<&- 3<>x {fd}<&0",
    "&>/dev/null a",
    // Quoting
    "echo 'a' \"b\" $'c' $\"d\"", "echo a\\ b", "echo \\$x", "echo a\\\nb", "echo \"a\\\nb\"", "ec\\\nho hi",
    "echo $'a\\\nb'", "echo $'it\\'s'", "echo \"a'b\"", "echo 'a\"b'",
    // Assignments and declarations
    "A=1 b", "A=1", "A=1 B=2", "A=(a b c)", "A=(\n a\n b\n)", "A+=(d)", "a[1]=x", "a[1 2]=x", "A= b", "export A=1",
    "local a=(1 2)", "declare -A m=([a]=1)", "readonly A=1", "a=(b c) d=1 cmd", "a=(b c) cmd", "x=~/a:~/b",
    // Reserved words out of command position
    "echo done", "echo if then fi", "echo }", "echo {", "echo ]]", "echo in", "echo {a,b} a{1..3}",
    // Coprocesses
    "coproc a", "coproc { a; }", "coproc n { a; }", "coproc a b c",
    // Names that bash only checks when the command runs
    "for 1 in a; do b; done", "$x() { :; }", "function \"f\" { :; }",
]

struct SyntaxErrorCase: Sendable, CustomTestStringConvertible {
    let script: String
    let line: Int
    let column: Int
    let message: String

    init(_ script: String, _ line: Int, _ column: Int, _ message: String) {
        self.script = script
        self.line = line
        self.column = column
        self.message = message
    }

    var testDescription: String { script.debugDescription }
}

/// Every script here fails `bash -n`.
let invalidScripts: [SyntaxErrorCase] = [
    SyntaxErrorCase("cat <file>", 1, 11, "unexpected token `newline'"),
    SyntaxErrorCase("grep \"OK\" <filename> | wc -l", 1, 22, "unexpected token `|'"),
    SyntaxErrorCase("echo \"unterminated", 1, 6, "matching `\"'"),
    SyntaxErrorCase("echo 'unterminated", 1, 6, "matching `''"),
    SyntaxErrorCase("echo $'unterminated", 1, 6, "matching `''"),
    SyntaxErrorCase("echo `unterminated", 1, 6, "matching ``'"),
    SyntaxErrorCase("echo $(", 1, 6, "`$(' is not closed"),
    SyntaxErrorCase("echo $(ls", 1, 6, "`$(' is not closed"),
    SyntaxErrorCase("echo ${x", 1, 6, "matching `}'"),
    SyntaxErrorCase("echo $((1)", 1, 6, "`$(' is not closed"),
    SyntaxErrorCase("echo <(ls", 1, 6, "`<(' is not closed"),
    SyntaxErrorCase("if true; then", 1, 1, "`if' is not closed by `fi'"),
    SyntaxErrorCase("if a\nthen b", 1, 1, "`if' is not closed by `fi'"),
    SyntaxErrorCase("while a; do b", 1, 1, "`while' is not closed by `done'"),
    SyntaxErrorCase("for x in a", 1, 1, "`for' is not closed"),
    SyntaxErrorCase("case x in a) b;;", 1, 1, "`case' is not closed by `esac'"),
    SyntaxErrorCase("{ a;", 1, 1, "`{' is not closed by `}'"),
    SyntaxErrorCase("(a", 1, 1, "`(' is not closed by `)'"),
    SyntaxErrorCase("[[ a", 1, 1, "`[[' is not closed by `]]'"),
    SyntaxErrorCase(")", 1, 1, "unexpected token `)'"),
    SyntaxErrorCase("(a))", 1, 4, "unexpected token `)'"),
    SyntaxErrorCase("fi", 1, 1, "unexpected token `fi'"),
    SyntaxErrorCase("done", 1, 1, "unexpected token `done'"),
    SyntaxErrorCase("echo a\nfi", 2, 1, "unexpected token `fi'"),
    SyntaxErrorCase("echo a\necho \"b", 2, 6, "matching `\"'"),
    SyntaxErrorCase("if true; then :; fi fi", 1, 21, "unexpected token `fi'"),
    SyntaxErrorCase("echo a;;", 1, 7, "unexpected token `;;'"),
    SyntaxErrorCase(";", 1, 1, "unexpected token `;'"),
    SyntaxErrorCase("echo a; ;", 1, 9, "unexpected token `;'"),
    SyntaxErrorCase("echo a &;", 1, 9, "unexpected token `;'"),
    SyntaxErrorCase("a | ! b", 1, 5, "unexpected token `!'"),
    SyntaxErrorCase("{ a }", 1, 1, "`{' is not closed by `}'"),
    SyntaxErrorCase("{a; }", 1, 5, "unexpected token `}'"),
    SyntaxErrorCase("}", 1, 1, "unexpected token `}'"),
    SyntaxErrorCase("ls !(foo)", 1, 5, "unexpected token `('"),
    SyntaxErrorCase("echo a=(b)", 1, 8, "unexpected token `('"),
    SyntaxErrorCase("echo {a,b}(c)", 1, 11, "unexpected token `('"),
    SyntaxErrorCase("a=1 while true; do :; done", 1, 17, "unexpected token `do'"),
    SyntaxErrorCase("f() echo", 1, 5, "unexpected token `echo'"),
    SyntaxErrorCase("function f echo", 1, 12, "unexpected token `echo'"),
    SyntaxErrorCase("for x in a b { :; }", 1, 19, "unexpected token `}'"),
    SyntaxErrorCase("while true; { :; }", 1, 1, "`while' is not closed by `done'"),
    SyntaxErrorCase("if true; then; fi", 1, 14, "unexpected token `;'"),
    SyntaxErrorCase("if ; then b; fi", 1, 4, "unexpected token `;'"),
    SyntaxErrorCase("if a; then fi", 1, 12, "unexpected token `fi'"),
    SyntaxErrorCase("while a; do done", 1, 13, "unexpected token `done'"),
    SyntaxErrorCase("( )", 1, 3, "unexpected token `)'"),
    SyntaxErrorCase("{ }", 1, 3, "unexpected token `}'"),
    SyntaxErrorCase("case x in a) ;; ;; esac", 1, 17, "unexpected token `;;'"),
    SyntaxErrorCase("case x in a) echo) ;; esac", 1, 18, "unexpected token `)'"),
    SyntaxErrorCase("case x in a|b|(c)) ;; esac", 1, 15, "unexpected token `('"),
    SyntaxErrorCase("a=(b", 1, 3, "`(' is not closed by `)'"),
    SyntaxErrorCase("a=(b ;)", 1, 6, "unexpected token `;'"),
    SyntaxErrorCase("cat <<", 1, 7, "unexpected token `newline'"),
    SyntaxErrorCase("cat <<<", 1, 8, "unexpected token `newline'"),
    SyntaxErrorCase("echo a >", 1, 9, "unexpected token `newline'"),
    SyntaxErrorCase("echo a > ; echo", 1, 10, "unexpected token `;'"),
    SyntaxErrorCase("echo a >&", 1, 10, "unexpected token `newline'"),
    SyntaxErrorCase("echo a |", 1, 9, "unexpected end of file"),
    SyntaxErrorCase("echo a &&", 1, 10, "unexpected end of file"),
    SyntaxErrorCase("echo $(case a in a) b esac", 1, 8, "`case' is not closed"),
    SyntaxErrorCase("echo \\$(x)", 1, 8, "unexpected token `('"),
    SyntaxErrorCase("for i in `find .`; do bzip2 $i&; done", 1, 32, "unexpected token `;'"),
    SyntaxErrorCase("echo \"${x:-$(echo ( )}\"", 1, 22, "unexpected token `}"),
    SyntaxErrorCase("echo ${x:-$(}", 1, 13, "unexpected token `}'"),
    SyntaxErrorCase("(( 1 +", 1, 2, "`(' is not closed by `)'"),
    SyntaxErrorCase("x=$(cat <<EOF\n", 1, 3, "`$(' is not closed"),
    SyntaxErrorCase("echo é; fi", 1, 9, "unexpected token `fi'"),
]

@Suite struct ParserTests {
    @Test(arguments: validScripts)
    func acceptsWhatBashAccepts(_ script: String) throws {
        var parser = ShellParser(bytes: Array(script.utf8))
        #expect(throws: Never.self) { try parser.parseScript() }
    }

    @Test(arguments: invalidScripts)
    func rejectsWhatBashRejects(_ testCase: SyntaxErrorCase) {
        do {
            _ = try ShellAnalyzer.analyze(testCase.script, in: testEnvironment)
            Issue.record("\(testCase.script.debugDescription) parsed")
        } catch {
            #expect(error.line == testCase.line)
            #expect(error.column == testCase.column)
            #expect(error.message.contains(testCase.message), "\(error.message)")
            #expect(!error.message.contains("\n"))
        }
    }

    @Test func errorDescriptionHasPosition() {
        #expect(throws: ShellSyntaxError(message: "syntax error near unexpected token `)'", line: 1, column: 1)) {
            try ShellAnalyzer.analyze(")", in: testEnvironment)
        }
        let error = ShellSyntaxError(message: "m", line: 2, column: 3)
        #expect(error.description == "line 2, column 3: m")
    }

    @Test func simpleCommandStructure() throws {
        var parser = ShellParser(bytes: Array("A=1 B=(x y) cmd arg 2>&1 >out".utf8))
        let script = try parser.parseScript()
        guard case .simple(let command) = script.body.items[0].first.commands[0] else {
            Issue.record("not a simple command")
            return
        }
        #expect(command.assignments.map(\.name) == ["A", "B"])
        #expect(command.words.compactMap(\.plainText) == ["cmd", "arg"])
        #expect(command.redirections.map(\.op) == [.duplicateOutput, .output])
        guard case .number(2) = command.redirections[0].fileDescriptor else {
            Issue.record("descriptor 2 expected")
            return
        }
        guard case .array(let elements) = command.assignments[1].value else {
            Issue.record("array expected")
            return
        }
        #expect(elements.compactMap(\.plainText) == ["x", "y"])
    }

    @Test func arithmeticCommandVersusNestedSubshells() throws {
        var arithmetic = ShellParser(bytes: Array("(( x = (1 + 2) ))".utf8))
        guard case .compound(.arithmetic, _, _) = try arithmetic.parseScript().body.items[0].first.commands[0] else {
            Issue.record("arithmetic expected")
            return
        }
        var subshells = ShellParser(bytes: Array("((ls) | wc)".utf8))
        guard case .compound(.subshell, _, _) = try subshells.parseScript().body.items[0].first.commands[0] else {
            Issue.record("subshell expected")
            return
        }
    }

    @Test func hereDocumentBodiesFollowTheirLine() throws {
        var parser = ShellParser(bytes: Array("cat <<A <<'B'; echo x\none $y\nA\ntwo $z\nB\necho after".utf8))
        let script = try parser.parseScript()
        #expect(script.hereDocuments.count == 2)
        #expect(script.hereDocuments.map(\.delimiter) == ["A", "B"])
        #expect(script.hereDocuments.map(\.isQuoted) == [false, true])
        guard case .literal(let text) = script.hereDocuments[1].body else {
            Issue.record("a quoted body is literal")
            return
        }
        #expect(text == "two $z\n")
        #expect(script.body.items.count == 3)
    }

    @Test func stripsTabsFromIndentedHereDocuments() throws {
        var parser = ShellParser(bytes: Array("cat <<-'EOF'\n\t\tindented\n\tEOF\n".utf8))
        let script = try parser.parseScript()
        guard case .literal(let text) = script.hereDocuments[0].body else {
            Issue.record("literal expected")
            return
        }
        #expect(text == "indented\n")
    }

    @Test func lineContinuationInsideHereDocumentJoinsBeforeTheDelimiterCheck() throws {
        // bash: `a\` + newline + `EOF` is the line `aEOF`, so only the second EOF ends the body.
        let analysis = try analyze("cat <<EOF\na\\\nEOF\nEOF\ncurl x")
        #expect(analysis.names == ["cat", "curl"])
    }

    @Test func keywordsOnlyInCommandPosition() throws {
        #expect(try analyze("echo if then fi do done").names == ["echo"])
        #expect(try analyze("echo if then fi do done").invocations[0].texts == ["echo", "if", "then", "fi", "do", "done"])
        #expect(try analyze("'if' x").names == ["if"])
        #expect(try analyze("\\{ x").names == ["{"])
    }
}
