import ArgumentParser
import WardenPolicy
import WardenSystem

struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Check a policy, run its regression tests, or explain a decision.",
        subcommands: [PolicyCheckCommand.self, PolicyTestCommand.self, PolicyExplainCommand.self]
    )
}

/// The `--policy` option shared by the subcommands that judge calls.
struct PolicyOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The policy file.", discussion: "Default: $WARDEN_POLICY, else /etc/claude-code/managed-settings.json.", valueName: "file"))
    var policy: String?

    var path: String { PolicyFile.locate(given: policy) }

    func load() throws -> Policy {
        switch PolicyFile.load(path: path) {
        case .success(let policy): return policy
        case .failure(let error): throw CLIError("invalid policy \(error)")
        }
    }
}

func readText(_ path: String, what: String) throws -> String {
    switch Files.read(path: path, limit: 64 * 1024 * 1024) {
    case .success(let bytes): return String(decoding: bytes, as: UTF8.self)
    case .failure(let failure): throw CLIError("\(what) \(path): \(failure)")
    }
}
