import ArgumentParser

@main
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
        subcommands: [PolicyCommand.self, RedactCommand.self, ScanCommand.self, PrecommitCommand.self]
    )
}

/// A failure the user can act on, printed as one line by ArgumentParser (`Error: …`).
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
