import ArgumentParser
import WardenPolicy
import WardenSystem

struct PolicyTestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run a file of tool calls with their expected decisions against a policy.",
        discussion: """
            The test file is JSON: {"cwd": DIR, "home": DIR, "cases": [CASE, …]}, where a case is \
            {"name": …, "tool": "Bash", "command": "cat .env", "expect": "deny"}. "expect" is deny, \
            ask, allow or none (no decision: Claude Code's own permission flow decides). Shorthands: \
            "command" (Bash), "path" (file tools), "url" (WebFetch); any tool takes "input": {…}, \
            and a case may set its own "cwd" and "permission_mode". Calls are judged without \
            looking at the file system (no symbolic links, no glob expansion), so results do not \
            depend on the machine.
            Each mismatch is printed as FILE:LINE:COLUMN: "name": expected X, got Y — reason; the \
            last line counts passes and failures. Exit status: 0 all passed, 1 a case failed, \
            2 the policy or the test file is invalid.
            """
    )

    @Argument(help: ArgumentHelp("The test file.", valueName: "cases"))
    var cases: String

    @OptionGroup var policyOption: PolicyOption

    @Flag(name: .shortAndLong, help: "Print every case, not only failures.")
    var verbose = false

    func run() throws {
        let policy: Policy
        let suite: PolicyTestSuite
        do {
            policy = try policyOption.load()
            switch PolicyTestSuite.parse(try readText(cases, what: "cannot read test file")) {
            case .success(let parsed): suite = parsed
            case .failure(let error):
                for problem in error.problems { print("\(cases):\(problem.position.line):\(problem.position.column): error: \(problem.message)") }
                throw ExitCode(2)
            }
        } catch let error as CLIError {
            print("error: \(error)")
            throw ExitCode(2)
        }
        let outcomes = suite.run(against: policy)
        for outcome in outcomes where verbose || !outcome.passed {
            let place = "\(cases):\(outcome.testCase.position.line):\(outcome.testCase.position.column)"
            let got = outcome.decision.verdict.rawValue
            let why = outcome.decision.reason.map { " — \($0)" } ?? ""
            if outcome.passed {
                print("\(place): \"\(outcome.testCase.name)\": \(got) as expected")
            } else {
                print("\(place): \"\(outcome.testCase.name)\": expected \(outcome.testCase.expected.rawValue), got \(got)\(why)")
            }
        }
        let failed = outcomes.filter { !$0.passed }.count
        print("\(outcomes.count - failed) passed, \(failed) failed")
        if failed > 0 { throw ExitCode(1) }
    }
}
