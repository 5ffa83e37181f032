import ArgumentParser
import WardenJSON
import WardenPolicy
import WardenShell
import WardenSystem

struct PolicyExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Show which rules match a command or a tool call, why, and the decision.",
        discussion: """
            warden policy explain -- 'cat .env && git push'      a Bash command
            warden policy explain --tool Read --input '{"file_path": "~/.ssh/id_rsa"}'
            Lists the simple commands the shell would run (through wrappers, bash -c, eval, \
            substitutions) with the files each reads or writes, every rule that matches, what \
            cannot be verified, the commands no allow rule covers, and the decision and reason \
            the hook would give. Under each command: its normal form (operands in order, then \
            {options} in one spelling each; "as written" when Warden has no option table for \
            the command) and every Bash rule that could apply to it, with the normal form it was \
            compared in.
            """
    )

    @OptionGroup var policyOption: PolicyOption

    @Option(help: "The tool (default Bash).")
    var tool = "Bash"

    @Option(help: ArgumentHelp("The tool input as a JSON object.", valueName: "json"))
    var input: String?

    @Option(help: ArgumentHelp("The session's working directory (default: the current one).", valueName: "dir"))
    var cwd: String?

    @Flag(help: "Do not look at the file system (no symbolic links, no glob expansion).")
    var noFileSystem = false

    @Argument(parsing: .captureForPassthrough, help: ArgumentHelp("The Bash command (words are joined by spaces).", valueName: "command"))
    var command: [String] = []

    func run() throws {
        let policy = try policyOption.load()
        let directory = cwd ?? Files.environment("PWD") ?? "/"
        var words = command
        if words.first == "--" { words.removeFirst() }
        let toolInput: JSONValue
        if let input {
            do throws(JSONSyntaxError) {
                toolInput = try JSONValue.parse(input)
            } catch {
                throw CLIError("--input is not valid JSON: \(error)")
            }
            guard toolInput.members != nil else { throw CLIError("--input must be a JSON object") }
        } else if tool == "Bash", !words.isEmpty {
            toolInput = .object(["command": .string(words.joined(separator: " "))])
        } else {
            throw CLIError("give a command after --, or --input for \(tool)")
        }
        let engine = PolicyEngine(
            policy: policy, home: Files.environment("HOME"),
            fileSystem: noFileSystem ? NoFileSystem() : SystemFileSystem())
        let decision = engine.decide(ToolCall(toolName: tool, input: toolInput, workingDirectory: directory))
        print(render(decision, input: toolInput, policyPath: policyOption.path, directory: directory, rules: policy.rules))
    }

    /// The command's normal form, and each Bash rule that could apply to it with the normal form
    /// it was compared in, so that a surprising match (or a miss) can be read in one look.
    func normalForms(of invocation: CommandInvocation, decision: Decision, rules: [PermissionRule]) -> [String] {
        guard let name = invocation.name else { return [] }
        let form = CommandNormalForm(words: invocation.words.map(\.text))
        var rows = ["  normal form   \(form)"]
        for rule in rules where rule.couldApply(toCommandNamed: name) {
            let matched = decision.matches.contains { $0.rule == rule && $0.subject == invocation.source }
            let ruleForm = rule.bashNormalForm.map(\.description) ?? "(wildcard: compared as text)"
            rows.append("  \(rule.list.rawValue.padding(6))\(rule.text)   \(ruleForm)   \(matched ? "matches" : "no match")")
        }
        return rows
    }

    func render(_ decision: Decision, input: JSONValue, policyPath: String, directory: String, rules: [PermissionRule] = []) -> String {
        var lines: [String] = []
        func section(_ title: String, _ rows: [String]) {
            guard !rows.isEmpty else { return }
            for (index, row) in rows.enumerated() {
                lines.append((index == 0 ? title : "").padding(16) + row)
            }
        }
        section("policy", [policyPath])
        section("call", ["\(tool) \(input.serialized)"])
        section("cwd", [directory])
        if let analysis = decision.analysis {
            section("commands", analysis.invocations.flatMap { invocation in
                var row = invocation.source
                if !invocation.wrappers.isEmpty { row += "   [inside \(invocation.wrappers.joined(separator: " › "))]" }
                let files = invocation.fileAccesses.map { "\($0.mode.rawValue)s \($0.path.text)" }
                if !files.isEmpty { row += "   (\(files.joined(separator: ", ")))" }
                if let cwd = invocation.workingDirectory, cwd != directory { row += "   in \(cwd)" }
                return [row] + normalForms(of: invocation, decision: decision, rules: rules)
            })
        }
        section("matches", decision.matches.map { match in
            "\(match.rule.list.rawValue.padding(6))\(match.rule.text)   → \(match.subject)" + (match.context.map { "  (\($0))" } ?? "")
        })
        if decision.matches.isEmpty { section("matches", ["no rule matches"]) }
        section("unverifiable", decision.unverifiable)
        if tool == "Bash" { section("not allowed", decision.notAllowed.map { "\($0)   (no allow rule covers it)" }) }
        section("decision", [decision.verdict.rawValue + (decision.verdict == .none ? "   (Claude Code's own permission flow decides)" : "")])
        if let reason = decision.reason { section("reason", [reason]) }
        return lines.joined(separator: "\n")
    }
}

extension String {
    func padding(_ width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }
}
