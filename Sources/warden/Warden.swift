import ArgumentParser

@main
struct Warden: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "warden",
        abstract: "Govern Claude Code with managed policies: check them, test them, explain their decisions.",
        discussion: """
            The policy is Claude Code's managed-settings format (permissions.allow/ask/deny) with \
            Warden's own settings under the "warden" key. Unless --policy is given, commands use \
            $WARDEN_POLICY, else /etc/claude-code/managed-settings.json.
            """,
        version: "0.1.0",
        subcommands: [PolicyCommand.self]
    )
}

/// A failure the user can act on, printed as one line by ArgumentParser (`Error: …`).
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
