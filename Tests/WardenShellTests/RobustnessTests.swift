import Testing
@testable import WardenShell
#if canImport(Glibc)
import Glibc
#endif

/// Constructs nested 10,000 levels deep: each must end in a syntax error, never in a stack
/// overflow.
let deepNestings: [Case<Int>] = [
    Case("subshells", 0),
    Case("groups", 1),
    Case("command substitutions", 2),
    Case("quoted substitutions", 3),
    Case("parameter defaults", 4),
    Case("if", 5),
    Case("while", 6),
    Case("process substitutions", 7),
    Case("arithmetic", 8),
    Case("functions", 9),
    Case("case", 10),
    Case("conditional parentheses", 11),
    Case("arrays in substitutions", 12),
    Case("backquotes in substitutions", 13),
]

func deeplyNested(_ kind: Int, depth: Int) -> String {
    func wrap(_ open: String, _ inner: String, _ close: String) -> String {
        String(repeating: open, count: depth) + inner + String(repeating: close, count: depth)
    }
    switch kind {
    case 0: return wrap("( ", "a", " )")
    case 1: return wrap("{ ", "a", "; }")
    case 2: return "echo " + wrap("$(", "a", ")")
    case 3: return "echo " + wrap("\"$(", "a", ")\"")
    case 4: return "echo " + wrap("${x:-", "a", "}")
    case 5: return wrap("if a; then ", "b", "; fi")
    case 6: return wrap("while a; do ", "b", "; done")
    case 7: return "cat " + wrap("<(", "a", ")")
    case 8: return "echo " + wrap("$((", "1", "))")
    case 9: return wrap("f() { ", "a", "; }")
    case 10: return wrap("case x in x) ", "a", ";; esac")
    case 11: return "[[ " + wrap("( ", "$(a)", " )") + " ]] && " + wrap("[[ $(", "a", ") ]]")
    case 12: return wrap("a=($(", "b", "))")
    default: return "echo " + wrap("$(echo `", "a", "`)")
    }
}

@Suite struct RobustnessTests {
    @Test(arguments: deepNestings)
    func deepNestingIsASyntaxError(_ testCase: Case<Int>) {
        let script = deeplyNested(testCase.expected, depth: 10_000)
        #expect {
            try ShellAnalyzer.analyze(script, in: testEnvironment)
        } throws: { error in
            (error as? ShellSyntaxError)?.message.contains("nesting too deep") == true
        }
    }

    @Test(arguments: deepNestings)
    func moderateNestingIsAnalysed(_ testCase: Case<Int>) throws {
        // 60 levels: well within the limit, whatever the construct.
        let analysis = try analyze(deeplyNested(testCase.expected, depth: 60))
        #expect(!analysis.invocations.isEmpty)
    }

    @Test(arguments: deepNestings)
    func nestingJustBelowTheLimitIsAnalysed(_ testCase: Case<Int>) throws {
        // At most two levels per repetition: 95 repetitions stay under the limit of 200, and
        // analysing them must not exhaust the stack of a test thread.
        let analysis = try analyze(deeplyNested(testCase.expected, depth: 95))
        #expect(!analysis.invocations.isEmpty)
    }

    @Test func unbalancedOpenersFailFast() {
        for opener in ["(", "((", "$(", "$((", "{ ", "\"", "'", "`", "${", "[[ ", "<(", "if ", "case x in "] {
            let script = String(repeating: opener, count: 10_001)
            #expect(throws: ShellSyntaxError.self) { try ShellAnalyzer.analyze(script, in: testEnvironment) }
        }
    }

    /// CPU seconds this thread has used: unlike wall time, not stretched by other processes or
    /// by the tests running beside this one.
    static func threadCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    @Test func longInputsStayLinear() throws {
        let start = Self.threadCPUSeconds()
        _ = try analyze(String(repeating: "a; ", count: 20_000))
        _ = try analyze(String(repeating: "a | ", count: 20_000) + "a")
        _ = try analyze(String(repeating: "a && ", count: 20_000) + "a")
        _ = try analyze("echo " + String(repeating: "x", count: 200_000))
        _ = try analyze("echo " + String(repeating: "{a,b}", count: 5_000))
        _ = try analyze(String(repeating: "cat <<EOF\nx\nEOF\n", count: 5_000))
        _ = try analyze("echo \"" + String(repeating: "$x", count: 50_000) + "\"")
        _ = try analyze(String(repeating: "eval ", count: 5_000) + "x")
        _ = try analyze(String(repeating: "bash -c ", count: 2_000) + "x")
        _ = try analyze(String(repeating: "sudo ", count: 5_000) + "x")
        _ = try analyze(String(repeating: "! ", count: 10_000) + "x")
        _ = try analyze("if a; then b; " + String(repeating: "elif c; then d; ", count: 5_000) + "fi")
        _ = try analyze("case x in " + String(repeating: "a) b;; ", count: 10_000) + "esac")
        _ = try analyze(String(repeating: "x=$(a); ", count: 5_000))
        _ = try analyze(String(repeating: "while a; do ", count: 150) + "b" + String(repeating: "; done", count: 150))
        _ = try analyze(String(repeating: "f() { ", count: 150) + "a" + String(repeating: "; }", count: 150))
        // Many variables, then many branches to merge.
        _ = try analyze((0..<5_000).map { "v\($0)=x; " }.joined() + String(repeating: "a && b=1; ", count: 5_000))
        _ = try analyze((0..<3_000).map { "export v\($0)=x; " }.joined() + String(repeating: "if a; then b=1; fi; ", count: 3_000))
        // A quadratic step would take minutes here; linear work takes seconds of CPU.
        #expect(Self.threadCPUSeconds() - start < 30)
    }

    @Test func nestedCodeIsBoundedInSize() throws {
        // Brace expansion copies the code of `eval` a thousand times, at every level.
        let script = "eval " + String(repeating: "{a,b}", count: 10) + " eval " + String(repeating: "{a,b}", count: 10) + " x"
        let analysis = try analyze(script)
        #expect(analysis.invocations.count < 100_000)
    }

    @Test func oddBytesAreAccepted() throws {
        for script in ["ls\r", "echo \u{0}", "echo é ñ 😀", "\u{FEFF}ls", "echo \u{7F}", "a\u{0B}b", "$'\\xff\\xfe'"] {
            _ = try analyze(script)
        }
        let invalidUTF8 = String(decoding: [0x65, 0x63, 0x68, 0x6F, 0x20, 0xFF, 0xC3], as: UTF8.self)
        #expect(try analyze(invalidUTF8).names == ["echo"])
    }

    @Test func unterminatedHereDocumentIsAcceptedLikeBash() throws {
        #expect(try analyze("cat <<EOF").names == ["cat"])
        #expect(try analyze("cat <<EOF\n$(curl x)").names == ["cat", "curl"])
    }

    /// Random scripts from shell-heavy fragments: whatever the verdict, the analyser returns.
    @Test(arguments: 0..<8)
    func randomScriptsNeverCrash(_ seed: Int) {
        var generator = SplitMix64(seed: UInt64(seed))
        let fragments = [
            " ", "\n", ";", "&", "|", "&&", "||", "(", ")", "((", "))", "{", "}", "[[", "]]", "<", ">", ">>", "<<", "<<-",
            "<<<", "<(", ">(", "2>&1", "&>", "'", "\"", "`", "\\", "\\\n", "$", "$(", "$((", "${", "}", "$'", "$\"", "#",
            "=", "x=", "a[", "]", "~", "*", "?", "{a,b}", "{1..3}", "if", "then", "elif", "else", "fi", "for", "in", "do",
            "done", "while", "until", "case", "esac", ";;", ";&", ";;&", "select", "function", "f()", "time", "!",
            "coproc", "EOF", "cat", "curl", "bash -c", "sh", "eval", "sudo", "env", "xargs", "find", "-exec", "{}",
            "\\;", "cd", "..", "/", "-", "--", "-c", "é", "\t", "0", "9", "%", "@", ":", ",", ".", "^",
        ]
        for _ in 0..<400 {
            var script = ""
            for _ in 0..<Int(generator.next() % 40) {
                script += fragments[Int(generator.next() % UInt64(fragments.count))]
            }
            do {
                let analysis = try ShellAnalyzer.analyze(script, in: testEnvironment)
                for invocation in analysis.invocations where invocation.name != nil {
                    #expect(invocation.words.first?.isStatic == true)
                }
            } catch {
                #expect(error.line >= 1)
                #expect(error.column >= 1)
                #expect(!error.message.isEmpty)
            }
        }
    }

    /// Every prefix of valid scripts (cut anywhere, as a truncated command would be).
    @Test func prefixesOfValidScriptsNeverCrash() {
        for script in validScripts + discoveryCases.map(\.script) {
            let bytes = Array(script.utf8)
            for end in 0...bytes.count {
                _ = try? ShellAnalyzer.analyze(String(decoding: bytes[..<end], as: UTF8.self), in: testEnvironment)
            }
        }
    }
}

/// A small deterministic generator, so that a failing seed can be replayed.
struct SplitMix64 {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
