import Foundation
import Testing
import WardenDemo

#if canImport(Glibc)
import Glibc
#endif

/// The real Claude Code's interactive TUI inside the real `warden run`, in a real terminal (tmux),
/// answered by the stand-in on the host's loopback: a prompt typed and its answer shown, a resize
/// redrawn at the new width, Ctrl-Z stopping the job and `fg` bringing it back, Ctrl-C twice
/// ending it with status 0, and nothing left running. As root only: the CLI from the wheel lives
/// under /root, which a test user cannot reach (the `-p` tests run a copy as a user).
@Suite(
    "Claude Code's TUI inside warden run, under tmux",
    .serialized,
    .enabled("the Claude Code CLI is not installed (Scripts/install-claude-code.sh, or set WARDEN_CLAUDE_BIN)") {
        await ClaudeCode.shouldRun()
    }
)
struct InteractiveClaudeTests {
    static let apiKey = "sk-ant-warden-e2e-interactive-key-0001"

    /// True once a bare shell prompt follows the CLI's last words ("claude --resume …").
    static func promptAfterResumeHint(_ screen: String) -> Bool {
        let lines = screen.split(separator: "\n", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard let hint = lines.lastIndex(where: { $0.contains("claude --resume") }) else { return false }
        return lines[(hint + 1)...].contains { $0.hasPrefix("bash-") && ($0.hasSuffix("#") || $0.hasSuffix("$")) }
    }

    @Test func typeResizeSuspendResumeAndQuit() async throws {
        let claude = try await ClaudeCode.requireBinary()
        let directory = try TemporaryDirectory()
        let home = directory.url.appendingPathComponent("home"), project = directory.url.appendingPathComponent("project")
        try FileManager.default.createDirectory(at: home.appendingPathComponent(".claude"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: project.appendingPathComponent(".claude"), withIntermediateDirectories: true)
        // What a developer's first run settles interactively (onboarding, trusting the folder,
        // the API key), settled beforehand: this test is about the terminal.
        let state: [String: Any] = [
            "hasCompletedOnboarding": true,
            "customApiKeyResponses": ["approved": [String(Self.apiKey.suffix(20))], "rejected": []],
            "projects": [project.path: ["hasTrustDialogAccepted": true, "hasCompletedProjectOnboarding": true]],
        ]
        try JSONSerialization.data(withJSONObject: state).write(to: home.appendingPathComponent(".claude.json"))
        let policy = project.appendingPathComponent(".claude/warden-policy.json")
        try Data(#"{"permissions": {"deny": ["Read(**/.env*)"]}}"#.utf8).write(to: policy)
        let hook = try ClaudeCode.wardenHook()
        let handler: [String: Any] = ["type": "command", "command": ClaudeCode.shellQuoted(hook) + " --policy " + ClaudeCode.shellQuoted(policy.path)]
        let settings: [String: Any] = [
            "hooks": ["PreToolUse": [["matcher": "*", "hooks": [handler]]], "UserPromptSubmit": [["hooks": [handler]]]],
        ]
        let settingsFile = project.appendingPathComponent(".claude/warden-session-settings.json")
        try JSONSerialization.data(withJSONObject: settings, options: [.withoutEscapingSlashes]).write(to: settingsFile)

        let standIn = try await MessagesStandIn.start(script: StandInScript([
            StandInTurn(text: "Answer-one."),
            StandInTurn(text: "Answer-two."),
        ]))
        // The shell itself runs in the CLI's own view of /etc/claude-code, so that `warden run` is
        // its child: a job the shell can see stop (a wrapper between them would hide the stop).
        let shell = try ManagedSettingsView.command(claude: "/bin/bash", for: ClaudeCodeSession(script: []), in: directory.url)
            + ["--norc", "--noprofile"]
        let command = [try SandboxedClaude.warden(), "run", "--policy", policy.path, "--", claude, "--settings", settingsFile.path]
        let environment = [
            "HOME=\(home.path)", "PATH=/usr/local/bin:/usr/bin:/bin", "TERM=xterm-256color",
            "XDG_STATE_HOME=\(directory.url.path)/state", "ANTHROPIC_BASE_URL=\(standIn.baseURL)", "ANTHROPIC_API_KEY=\(Self.apiKey)",
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1", "DISABLE_AUTOUPDATER=1",
        ]
        let terminal = Tmux(socket: "warden-e2e-\(UUID().uuidString.prefix(8))", directory: directory.url.path)
        defer { terminal.kill() }
        try terminal.run(["new-session", "-d", "-s", "c", "-x", "110", "-y", "32", "env -i \(environment.joined(separator: " ")) " + shell.map(ClaudeCode.shellQuoted).joined(separator: " ")])
        try terminal.run(["send-keys", "-t", "c", "cd \(ClaudeCode.shellQuoted(project.path)) && " + command.map(ClaudeCode.shellQuoted).joined(separator: " "), "Enter"])

        #expect(await terminal.waitFor({ $0.contains("Claude Code") && $0.contains("❯") }), "the TUI did not come up:\n\(terminal.screen())")
        try terminal.run(["send-keys", "-t", "c", "-l", "say hello"])
        try terminal.run(["send-keys", "-t", "c", "Enter"])
        #expect(await terminal.waitFor({ $0.contains("Answer-one.") }), "no answer shown:\n\(terminal.screen())")

        try terminal.run(["resize-window", "-t", "c", "-x", "90", "-y", "30"])
        let ruleAt90 = String(repeating: "─", count: 90)
        #expect(await terminal.waitFor({ $0.split(separator: "\n").contains { $0 == ruleAt90 } }), "not redrawn at 90 columns:\n\(terminal.screen())")

        try terminal.run(["send-keys", "-t", "c", "C-z"])
        #expect(await terminal.waitFor({ $0.contains("Stopped") }), "Ctrl-Z did not stop the job:\n\(terminal.screen())")
        try terminal.run(["send-keys", "-t", "c", "fg", "Enter"])
        try await Task.sleep(for: .seconds(2))
        try terminal.run(["send-keys", "-t", "c", "-l", "again"])
        try terminal.run(["send-keys", "-t", "c", "Enter"])
        #expect(await terminal.waitFor({ $0.contains("Answer-two.") }), "no answer after fg:\n\(terminal.screen())")

        // Ctrl-C, then Ctrl-C again while the CLI says "Press Ctrl-C again to exit" (its window
        // is short: on a loaded machine a fixed pause can miss it, so each try waits for the hint).
        var ended = false
        for _ in 0..<5 where !ended {
            try terminal.run(["send-keys", "-t", "c", "C-c"])
            if await terminal.waitFor({ $0.contains("Press Ctrl-C again") }, seconds: 5) {
                try terminal.run(["send-keys", "-t", "c", "C-c"])
            }
            ended = await terminal.waitFor({ $0.contains("claude --resume") }, seconds: 5)
        }
        #expect(ended, "Ctrl-C twice did not end the session:\n\(terminal.screen())")
        // Typed only once the shell prompts again: keys typed while the CLI restores the terminal
        // can be discarded with its pending input.
        #expect(await terminal.waitFor(Self.promptAfterResumeHint), "the shell did not prompt again:\n\(terminal.screen())")
        try terminal.run(["send-keys", "-t", "c", "echo status=$?", "Enter"])
        #expect(await terminal.waitFor({ $0.contains("status=0") }), "\(terminal.screen())")
        await standIn.stop()

        let prompts = standIn.requests.filter { $0.kind == .main }.map { $0.body?.serialized ?? "" }
        #expect(prompts.contains { $0.contains("say hello") }, "the typed prompt did not reach the model")
        #expect(prompts.contains { $0.contains("again") })
        let leftover = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.contains { entry in
            guard entry.allSatisfy(\.isNumber), let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return false }
            return String(decoding: data, as: UTF8.self).contains(settingsFile.path)
        } ?? false
        #expect(!leftover, "a process of the session is still running")
    }
}

/// A tmux server of the test's own, run with posix_spawn and waited for with waitpid; output of
/// `capture-pane` goes through a file (a pipe would be held open by the server).
struct Tmux {
    let socket: String
    let directory: String

    @discardableResult
    func run(_ arguments: [String], capture: Bool = false) throws -> String {
        let argv0 = ["/usr/bin/tmux", "-L", socket] + arguments
        let output = directory + "/tmux-capture"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, capture ? output : "/dev/null", capture ? O_WRONLY | O_CREAT | O_TRUNC : O_WRONLY, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        _ = closeFromInChild(&actions, 3)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        let argv: [UnsafeMutablePointer<CChar>?] = argv0.map { strdup($0) } + [nil]
        let variables: [String] = ["PATH=/usr/bin:/bin", "TERM=xterm-256color", "TMUX_TMPDIR=\(directory)"]
        let envp: [UnsafeMutablePointer<CChar>?] = variables.map { strdup($0) } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, argv0[0], &actions, &attributes, argv, envp) == 0 else { throw HarnessError.serverDidNotStart("tmux") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return capture ? ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "") : ""
    }

    func screen() -> String { (try? run(["capture-pane", "-p", "-J", "-t", "c", "-S", "-300"], capture: true)) ?? "" }

    /// Waits up to `seconds` (60 by default: the CLI's first start in the sandbox is slow on a
    /// loaded machine).
    /// Sleeps without holding a thread: the test runner's few threads run the other suites.
    func waitFor(_ condition: (String) -> Bool, seconds: Int = 60) async -> Bool {
        for _ in 0..<(seconds * 10) {
            if condition(screen()) { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    func kill() { _ = try? run(["kill-server"]) }
}

/// glibc's `posix_spawn_file_actions_addclosefrom_np`, not imported by Swift's Glibc module. The
/// test process holds SwiftNIO sockets without close-on-exec (other tests' proxies); a long-lived
/// child such as a tmux server would otherwise keep their ports bound after those tests end.
@_silgen_name("posix_spawn_file_actions_addclosefrom_np")
private func closeFromInChild(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ from: Int32) -> Int32
