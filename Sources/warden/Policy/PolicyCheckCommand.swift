import ArgumentParser
import WardenPolicy
import WardenSystem

struct PolicyCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate policy files.",
        discussion: """
            Reports each problem as FILE:LINE:COLUMN: error|warning: what is wrong — malformed \
            JSON, unknown keys, malformed rules, bad globs, values of the wrong type. Errors make \
            the hook deny every tool call, so they fail the check; warnings (settings Warden and \
            Claude Code ignore, specifiers only Claude Code evaluates) do not, unless --strict.
            Exit status: 0 valid, 1 a problem was found, 2 a file could not be read.
            """
    )

    @Argument(help: ArgumentHelp("Policy files to check.", discussion: "Default: $WARDEN_POLICY, else /etc/claude-code/managed-settings.json.", valueName: "file"))
    var files: [String] = []

    @Flag(help: "Treat warnings as errors.")
    var strict = false

    func run() throws {
        var failed = false
        for path in files.isEmpty ? [PolicyFile.locate(given: nil)] : files {
            let text: String
            do {
                text = try readText(path, what: "cannot check")
            } catch {
                print("\(path): error: \(error)")
                throw ExitCode(2)
            }
            let (policy, problems) = Policy.load(text: text, path: path)
            for problem in problems {
                print("\(path):\(problem.position.line):\(problem.position.column): \(problem.severity.rawValue): \(problem.message)")
            }
            let errors = problems.filter { $0.severity == .error }.count
            let warnings = problems.count - errors
            if let policy, errors == 0, !(strict && warnings > 0) {
                let counts = RuleList.allCases.map { "\(policy.rules(in: $0).count) \($0.rawValue)" }.joined(separator: ", ")
                print("\(path): valid (\(counts) rules\(warnings > 0 ? ", \(warnings) warnings" : ""))")
            } else {
                failed = true
                print("\(path): invalid (\(errors) errors, \(warnings) warnings)")
            }
        }
        if failed { throw ExitCode(1) }
    }
}
