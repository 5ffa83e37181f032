import Subprocess
import SystemPackage

/// Short helper programs the CLI runs to their end (`bwrap` and `claude --version` for doctor,
/// `git config` and `strip` for install), through swift-subprocess from commands that are
/// synchronous: the run happens on the concurrency pool while the command's thread waits.
enum Programs {
    struct Outcome: Sendable {
        /// The exit code, or the number of the signal that ended the program.
        let status: Int32
        let output: String
        let errors: String
    }

    /// `program` is a path (with a `/`) or a name looked up on PATH. No input; both streams are
    /// captured, up to 1 MiB each (the programs run here print a few lines).
    static func run(_ program: String, _ arguments: [String]) throws -> Outcome {
        let executable: Executable = program.contains("/") ? .path(FilePath(program)) : .name(program)
        return try waitFor {
            let result = try await Subprocess.run(
                executable, arguments: Arguments(arguments), input: .none,
                output: .string(limit: 1 << 20), error: .string(limit: 1 << 20))
            let status: Int32
            switch result.terminationStatus {
            case .exited(let code): status = code
            case .signaled(let signal): status = signal
            }
            return Outcome(status: status, output: result.standardOutput, errors: result.standardError)
        }
    }
}
