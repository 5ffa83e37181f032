public import WardenJSON

/// What `warden install` adds to the managed settings besides the profile: the hooks, the shell
/// prefix and, with `--lock`, the keys that keep developers from switching Warden off.
/// `hooks/managed-settings.json` is this registration for the prefix `/usr/local` (a test checks
/// that the two agree).
public enum WardenRegistration {
    /// The three hook events Warden answers, each running `hook`, and the shell prefix that runs
    /// every Bash command through `hook --run` (redacts its output, failing commands included).
    public static func settings(hook: String) -> JSONValue {
        let command = JSONValue.object(["type": .string("command"), "command": .string(hook), "timeout": .number(30)])
        let group = JSONValue.object(["matcher": .string("*"), "hooks": .array([command])])
        return .object([
            "env": .object(["CLAUDE_CODE_SHELL_PREFIX": .string("\(hook) --run")]),
            "hooks": .object([
                "PreToolUse": .array([group]),
                "PostToolUse": .array([group]),
                // UserPromptSubmit takes no matcher.
                "UserPromptSubmit": .array([.object(["hooks": .array([command])])]),
            ]),
        ])
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
