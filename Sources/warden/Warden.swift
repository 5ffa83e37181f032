import ArgumentParser
import Dispatch
import FoundationEssentials
import Glibc
import WardenSystem

/// The entry point. `warden run`'s plain form (`run [--policy F | --profile N] -- CMD…`, read
/// without ArgumentParser) runs synchronously on the main thread: an async `main` would first cost
/// every start the concurrency runtime's set-up (0.2 ms measured). Every other command is
/// ArgumentParser's, run on the concurrency pool while this thread waits for it.
@main
enum WardenMain {
    static func main() {
        StartTrace.mark("warden", "main entered")
        if let run = RunCommand.plainInvocation(Array(CommandLine.arguments.dropFirst())) {
            do {
                try run.run()
            } catch let code as ExitCode {
                // The session is over and everything of it is written and closed: the process
                // ends without the atexit handlers and destructors of a large Foundation process
                // (about 0.5 ms).
                fflush(nil)
                _exit(code.rawValue)
            } catch {
                Warden.exit(reporting: error)
            }
            return
        }
        // Detached: `main` is the main actor's, which this thread, waiting, never serves.
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            await Warden.main()
            done.signal()
        }
        done.wait()
    }
}

struct Warden: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "warden",
        abstract: "Govern Claude Code with managed policies; find and redact secrets and personal data.",
        discussion: """
            The policy is Claude Code's managed-settings format (permissions.allow/ask/deny) with \
            Warden's own settings under the "warden" key. Unless --policy is given, commands use \
            $WARDEN_POLICY, else /etc/claude-code/managed-settings.json.
            """,
        version: "0.1.0",
        subcommands: [
            RunCommand.self, DemoCommand.self, ProxyCommand.self, InstallCommand.self, UninstallCommand.self, DoctorCommand.self, PolicyCommand.self,
            RedactCommand.self, ScanCommand.self, PrecommitCommand.self, LogCommand.self, ReportCommand.self, ConnectCommand.self,
        ]
    )

    /// Every error as one line on standard error, `warden: what is wrong`, never the usage text
    /// after it; usage mistakes (an unknown option, a value that does not parse) exit with 64.
    /// Help and explicit exit codes behave as ArgumentParser makes them.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asynchronous = command as? any AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch {
            exit(reporting: error)
        }
    }

    /// Ends the process for `error`: help and explicit exit codes as ArgumentParser makes them,
    /// anything else as one line `warden: …`.
    static func exit(reporting error: any Error) -> Never {
        let code = exitCode(for: error)
        if code == .success || error is ExitCode || error is CleanExit {
            exit(withError: error)
        }
        var message = message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
        if message.hasPrefix("Error: ") { message.removeFirst(7) }
        Files.writeAll(2, "warden: \(message)\n")
        Glibc.exit(error is CLIError ? 1 : code.rawValue)
    }
}

/// A failure the user can act on, printed as one line by ArgumentParser (`Error: …`).
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
