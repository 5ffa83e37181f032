public import WardenJSON

/// What `warden install` adds to the managed settings besides the profile: the hooks, the shell
/// prefix and, with `--lock`, the keys that keep developers from switching Warden off.
/// `hooks/managed-settings.json` is this registration for the prefix `/usr/local` (a test checks
/// that the two agree).
public enum WardenRegistration {
    /// The three hook events Warden answers, each running `hook`, and the shell prefix that runs
    /// every Bash command through `hook --run` (redacts its output, failing commands included).
    /// Both name `policy`, the managed settings file itself: a hook that followed
    /// `$WARDEN_POLICY` would let any environment (the developer's shell, a project's
    /// settings `env`) swap the admin's policy for another.
    public static func settings(hook: String, policy: String = managedSettings) -> JSONValue {
        let pinned = "\(hook) --policy \(policy)"
        let command = JSONValue.object(["type": .string("command"), "command": .string(pinned), "timeout": .number(30)])
        let group = JSONValue.object(["matcher": .string("*"), "hooks": .array([command])])
        return .object([
            // One option word after the executable: Claude Code splits the prefix at its last
            // " -" and quotes everything before it as the program.
            "env": .object(["CLAUDE_CODE_SHELL_PREFIX": .string("\(hook) --run-policy=\(policy)")]),
            "hooks": .object([
                "PreToolUse": .array([group]),
                "PostToolUse": .array([group]),
                // UserPromptSubmit takes no matcher.
                "UserPromptSubmit": .array([.object(["hooks": .array([command])])]),
            ]),
        ])
    }

    /// Where Claude Code reads its managed settings on Linux.
    public static let managedSettings = "/etc/claude-code/managed-settings.json"

    /// The hook's executable in a registered command (`/usr/local/bin/warden-hook --policy …`),
    /// nil when the command does not run a `warden-hook`.
    public static func hookExecutable(in command: String) -> String? {
        let first = command.split(separator: " ", maxSplits: 1).first.map(String.init) ?? ""
        return first.hasSuffix("/warden-hook") ? first : nil
    }

    /// `--lock`: only managed hooks, permission rules and MCP servers count, and bypass mode is
    /// off (https://code.claude.com/docs/en/settings).
    public static let lock: JSONValue = .object([
        "allowManagedHooksOnly": .bool(true),
        "allowManagedPermissionRulesOnly": .bool(true),
        "allowManagedMcpServersOnly": .bool(true),
        "permissions": .object(["disableBypassPermissionsMode": .string("disable")]),
    ])
}
