import Foundation
import Subprocess
import Testing
import WardenDemo
import WardenJSON

#if canImport(System)
import System
#else
import SystemPackage
#endif

/// The real Claude Code CLI inside the real `warden run` (bwrap, seccomp, Landlock, Warden's
/// proxies), its API traffic going through the sandbox's origin relay to `MessagesStandIn`, served
/// from this test process on the host's loopback. Assertions are on what the stand-in received:
/// what the model would have seen.
///
/// The CLI runs with its own view of /etc/claude-code (`ManagedSettingsView`, around `warden run`),
/// so that managed settings installed on the machine neither help nor hurt.
enum SandboxedClaude {
    struct Session {
        var script: [StandInTurn]
        var projectFiles: [String: String]
        /// The policy `warden run` and the hook use (managed-settings JSON).
        var policy: String
        var arguments: [String] = []
        var timeout: Duration = .seconds(180)
        /// A HOME outside /tmp (in /var/tmp): inside the sandbox a home under the host's /tmp sits
        /// on the private /tmp and is writable, where a real home is read-only.
        var homeOutsideTmp = false
        /// The PreToolUse hook crashes (`--crash-for-test KIND`): the fail-closed path, for real.
        var crashingPreToolUse: String? = nil
        /// What the CLI finds at /etc/claude-code/managed-settings.json (its own view either way).
        var managedSettings: String? = nil
    }

    struct Outcome {
        var status: TerminationStatus
        var timedOut: Bool
        var stdout: String
        var stderr: String
        var requests: [StandInRequest]
        var project: URL
        var directory: TemporaryDirectory
        /// ~/.claude.json as the session left it on the host.
        var claudeState: String

        var succeeded: Bool {
            if case .exited(0) = status, !timedOut { return true }
            return false
        }

        var exchanges: [WardenDemo.ToolExchange] { WardenDemo.ToolExchange.all(in: requests) }

        func bash(_ command: String) -> WardenDemo.ToolExchange? {
            exchanges.first { $0.name == "Bash" && $0.input["command"]?.string == command }
        }

        func tool(_ name: String) -> WardenDemo.ToolExchange? { exchanges.first { $0.name == name } }

        /// Whether `text` is anywhere in any request body the stand-in received.
        func received(_ text: String) -> Bool {
            requests.contains { ($0.body?.serialized ?? "").contains(text) || $0.messages.contains { contains($0, text) } }
        }

        private func contains(_ value: WardenJSON.JSONValue, _ text: String) -> Bool {
            switch value.kind {
            case .string(let string): return string.contains(text)
            case .array(let values): return values.contains { contains($0, text) }
            case .object(let members): return members.contains { contains($0.value, text) }
            default: return false
            }
        }

        var lastTurn: Int { requests.compactMap(\.turn).max() ?? -1 }

        var diagnostics: String {
            """
            warden run exit status: \(status)\(timedOut ? " (killed after the timeout)" : "")
            requests: \(requests.map { "\($0.method) \($0.path) [\($0.kind.rawValue)\($0.turn.map { " turn \($0)" } ?? "")]" })
            tool results: \(exchanges.map { "\($0.name) \($0.isError ? "error" : "ok"): \($0.text.prefix(300))" })
            stdout: \(stdout.suffix(1500))
            stderr: \(stderr.suffix(2500))
            workspace: \(directory.url.path)
            """
        }
    }

    static func bash(_ command: String) -> StandInToolUse {
        StandInToolUse(name: "Bash", input: .object(["command": .string(command), "description": .string("Run a command")]))
    }

    static func read(_ path: String) -> StandInToolUse {
        StandInToolUse(name: "Read", input: .object(["file_path": .string(path)]))
    }

    static func write(_ path: String, _ content: String) -> StandInToolUse {
        StandInToolUse(name: "Write", input: .object(["file_path": .string(path), "content": .string(content)]))
    }

    /// `warden` beside the built `warden-hook` (SwiftPM builds every product into one directory).
    static func warden() throws -> String {
        let path = (try ClaudeCode.wardenHook() as NSString).deletingLastPathComponent + "/warden"
        guard FileManager.default.isExecutableFile(atPath: path) else { throw HarnessError.wardenHookNotFound([path]) }
        return path
    }

    /// Runs `session`: a fresh HOME and project (a git repository), the policy and the session's
    /// `--settings` in the project's `.claude` directory (read-only inside the sandbox, and
    /// visible there, unlike the rest of the host's /tmp), the stand-in serving `script` with
    /// `@PROJECT@` standing for the project directory.
    static func run(_ session: Session, claude: String) async throws -> Outcome {
        let directory = try TemporaryDirectory()
        let fileManager = FileManager.default
        var home = directory.url.appendingPathComponent("home")
        if session.homeOutsideTmp {
            home = URL(fileURLWithPath: "/var/tmp/warden-e2e-home-\(UUID().uuidString.prefix(8))")
            try fileManager.createDirectory(at: home, withIntermediateDirectories: true)
        }
        defer { if session.homeOutsideTmp { try? fileManager.removeItem(at: home) } }
        let project = directory.url.appendingPathComponent("project")
        try fileManager.createDirectory(at: home.appendingPathComponent(".claude"), withIntermediateDirectories: true)
        try Data(#"{"seenByTheTest": true}"#.utf8).write(to: home.appendingPathComponent(".claude.json"))
        try fileManager.createDirectory(at: project.appendingPathComponent(".claude"), withIntermediateDirectories: true)
        for (path, content) in session.projectFiles {
            try Data(content.utf8).write(to: project.appendingPathComponent(path))
        }
        let policy = project.appendingPathComponent(".claude/warden-policy.json")
        try Data(session.policy.utf8).write(to: policy)
        let hook = try ClaudeCode.wardenHook()
        let handler: [String: Any] = ["type": "command", "command": ClaudeCode.shellQuoted(hook) + " --policy " + ClaudeCode.shellQuoted(policy.path)]
        var preToolUse = handler
        if let kind = session.crashingPreToolUse { preToolUse["command"] = (handler["command"] as! String) + " --crash-for-test " + kind }
        let settings: [String: Any] = [
            "skipWebFetchPreflight": true,
            "env": ["CLAUDE_CODE_SHELL_PREFIX": hook + " --run"],
            "hooks": [
                "PreToolUse": [["matcher": "*", "hooks": [preToolUse]]],
                "PostToolUse": [["matcher": "*", "hooks": [handler]]],
                "UserPromptSubmit": [["hooks": [handler]]],
            ],
        ]
        let settingsFile = project.appendingPathComponent(".claude/warden-session-settings.json")
        try JSONSerialization.data(withJSONObject: settings, options: [.withoutEscapingSlashes]).write(to: settingsFile)

        let turns = session.script.map { turn in
            StandInTurn(text: turn.text, toolUses: turn.toolUses.map { use in
                StandInToolUse(name: use.name, input: substitute(use.input, project: project.path))
            })
        }
        let standIn = try await MessagesStandIn.start(script: StandInScript(turns))
        var view = ClaudeCodeSession(script: [])
        view.managedSettings = session.managedSettings
        let command = try ManagedSettingsView.command(claude: try warden(), for: view, in: directory.url)
        let arguments = Array(command.dropFirst()) + [
            "run", "--policy", policy.path, "--", claude, "-p", "Please look at this project.", "--output-format", "json",
            "--settings", settingsFile.path,
        ] + session.arguments

        var variables: [String: String] = [:]
        for (key, value) in ProcessInfo.processInfo.environment {
            let upper = key.uppercased()
            if upper.hasPrefix("ANTHROPIC_") || upper.hasPrefix("CLAUDE") || upper.hasSuffix("_PROXY") || upper.hasPrefix("XDG_")
                || upper.hasPrefix("AWS_") || upper == "WARDEN_E2E_REQUIRED" || upper == "WARDEN_POLICY"
            {
                continue
            }
            variables[key] = value
        }
        variables["HOME"] = home.path
        variables["XDG_STATE_HOME"] = directory.url.appendingPathComponent("state").path
        variables["WARDEN_POLICY"] = policy.path
        variables["ANTHROPIC_BASE_URL"] = standIn.baseURL
        variables["ANTHROPIC_API_KEY"] = "sk-ant-warden-e2e-fake-key"
        variables["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] = "1"
        variables["DISABLE_AUTOUPDATER"] = "1"

        try await git(["init", "-q"], in: project)

        var options = PlatformOptions()
        options.createSession = true
        options.teardownSequence = [.gracefulShutDown(toProcessGroup: true, allowedDurationToNextStep: .seconds(2))]
        let configuration = Configuration(
            executable: .path(FilePath(command[0])), arguments: Arguments(arguments),
            environment: .custom(Dictionary(uniqueKeysWithValues: variables.map { (Environment.Key(stringLiteral: $0.key), $0.value) })),
            workingDirectory: FilePath(project.path), platformOptions: options)
        let result: (TerminationStatus, Bool, String, String)
        do {
            result = try await withThrowingTaskGroup(of: (TerminationStatus, Bool, String, String)?.self) { group in
                group.addTask {
                    let run = try await Subprocess.run(configuration, input: .none, output: .string(limit: 16 << 20), error: .string(limit: 16 << 20))
                    return (run.terminationStatus, false, run.standardOutput, run.standardError)
                }
                group.addTask {
                    try await Task.sleep(for: session.timeout)
                    return nil
                }
                let first = try await group.next()!
                group.cancelAll()
                if let first { return first }
                _ = try? await group.next()
                return (.exited(-1), true, "", "")
            }
        } catch {
            await standIn.stop()
            throw error
        }
        await standIn.stop()
        return Outcome(
            status: result.0, timedOut: result.1, stdout: result.2, stderr: result.3,
            requests: standIn.requests, project: project, directory: directory,
            claudeState: (try? String(contentsOf: home.appendingPathComponent(".claude.json"), encoding: .utf8)) ?? "")
    }

    /// Runs `command` (a ManagedSettingsView command line and what follows) in a session of its
    /// own in `directory`, which is also its TMPDIR, without the test's ANTHROPIC_* and
    /// WARDEN_POLICY (or with exactly `environment` when given): standard output and error, whole.
    static func runInView(
        _ command: [String], in directory: String, environment: [String: String]? = nil
    ) async throws -> (status: TerminationStatus, output: String, error: String) {
        var options = PlatformOptions()
        options.createSession = true
        options.teardownSequence = [.gracefulShutDown(toProcessGroup: true, allowedDurationToNextStep: .seconds(2))]
        var variables = ProcessInfo.processInfo.environment.filter { !$0.key.uppercased().hasPrefix("ANTHROPIC_") && $0.key != "WARDEN_POLICY" }
        variables["TMPDIR"] = directory
        let result = try await Subprocess.run(
            .path(FilePath(command[0])), arguments: Arguments(Array(command.dropFirst())),
            environment: .custom(Dictionary(uniqueKeysWithValues: (environment ?? variables).map { (Environment.Key(stringLiteral: $0.key), $0.value) })),
            workingDirectory: FilePath(directory), platformOptions: options,
            output: .string(limit: 16 << 20), error: .string(limit: 1 << 20))
        return (result.terminationStatus, result.standardOutput, result.standardError)
    }

    static func substitute(_ value: WardenJSON.JSONValue, project: String) -> WardenJSON.JSONValue {
        switch value.kind {
        case .string(let text): return .string(text.replacingOccurrences(of: "@PROJECT@", with: project))
        case .array(let values): return .array(values.map { substitute($0, project: project) })
        case .object(let members): return .object(members.map { JSONMember(key: $0.key, value: substitute($0.value, project: project)) })
        default: return value
        }
    }

    static func git(_ arguments: [String], in directory: URL) async throws {
        let result = try await Subprocess.run(
            .name("git"), arguments: Arguments(arguments), workingDirectory: FilePath(directory.path),
            output: .discarded, error: .discarded)
        #expect(result.terminationStatus == .exited(0), "git \(arguments)")
    }
}

@Suite(
    "Claude Code inside warden run",
    .serialized,
    .enabled("the Claude Code CLI is not installed (Scripts/install-claude-code.sh, or set WARDEN_CLAUDE_BIN)") {
        await ClaudeCode.shouldRun()
    }
)
struct SandboxedClaudeTests {
    static let secretValue = "e2e-sandboxed-4d1c9e07-do-not-leak"
    static let files = [".env": "API_TOKEN=\(secretValue)\n", "hello.txt": "hello from the project\n"]
    /// No curl rule: the proxy is the layer under test for the network.
    static let policy = #"{"permissions": {"deny": ["Read(**/.env*)"]}}"#

    @Test("a denied Read and Bash `cat .env` (hook), and the same file empty to a script the agent wrote (sandbox)")
    func dotEnvNeverReachesTheModel() async throws {
        let claude = try await ClaudeCode.requireBinary()
        let outcome = try await SandboxedClaude.run(.init(
            script: [
                StandInTurn(toolUses: [SandboxedClaude.read("@PROJECT@/.env")]),
                StandInTurn(toolUses: [SandboxedClaude.bash("cat .env")]),
                StandInTurn(toolUses: [SandboxedClaude.write("@PROJECT@/peek.sh", "printf 'bytes=%s\\n' \"$(wc -c < .env)\"\ncat .env\n")]),
                StandInTurn(toolUses: [SandboxedClaude.bash("sh peek.sh")]),
                StandInTurn(text: "done"),
            ],
            projectFiles: Self.files, policy: Self.policy, arguments: ["--allowedTools", "Write,Bash(sh:*)"]), claude: claude)
        try #require(outcome.succeeded, "\(outcome.diagnostics)")
        #expect(outcome.lastTurn == 4, "the script did not run to its end\n\(outcome.diagnostics)")
        #expect(!outcome.received(Self.secretValue), "the .env content reached the model\n\(outcome.diagnostics)")

        let read = try #require(outcome.tool("Read"), "\(outcome.diagnostics)")
        #expect(read.isError && read.text.contains("Warden denied this: rule deny Read(**/.env*)"), "\(read.text)")
        let cat = try #require(outcome.bash("cat .env"), "\(outcome.diagnostics)")
        #expect(cat.isError && cat.text.contains("Warden denied this"), "\(cat.text)")
        let script = try #require(outcome.bash("sh peek.sh"), "\(outcome.diagnostics)")
        #expect(!script.isError, "\(script.text)")
        #expect(script.text.contains("bytes=0"), "the sandbox did not mask .env for the script: \(script.text)")
        // The file itself is untouched on the host.
        #expect((try? String(contentsOf: outcome.project.appendingPathComponent(".env"), encoding: .utf8)) == Self.files[".env"])
    }

    @Test("curl to a host the policy does not allow is refused at Warden's proxy: its 403 body is what the model saw")
    func curlRefusedAtTheProxy() async throws {
        let claude = try await ClaudeCode.requireBinary()
        let command = "curl -sS --max-time 20 http://blocked.example.net/upload"
        let outcome = try await SandboxedClaude.run(.init(
            script: [StandInTurn(toolUses: [SandboxedClaude.bash(command)]), StandInTurn(text: "done")],
            projectFiles: Self.files, policy: Self.policy, arguments: ["--allowedTools", "Bash(curl:*)"]), claude: claude)
        try #require(outcome.succeeded, "\(outcome.diagnostics)")
        let curl = try #require(outcome.bash(command), "\(outcome.diagnostics)")
        #expect(curl.text.contains("Warden refused blocked.example.net:80"), "\(curl.text)\n\(outcome.diagnostics)")
        #expect(curl.text.contains("sandbox.network.allowedDomains"), "\(curl.text)")
    }

    @Test("a benign session: ls, Read, a Write and a command's output arrive intact; ~/.claude.json of a real (read-only) home persists")
    func benignSessionIsIntact() async throws {
        let claude = try await ClaudeCode.requireBinary()
        let outcome = try await SandboxedClaude.run(.init(
            script: [
                StandInTurn(toolUses: [SandboxedClaude.bash("ls")]),
                StandInTurn(toolUses: [SandboxedClaude.read("@PROJECT@/hello.txt")]),
                StandInTurn(toolUses: [SandboxedClaude.write("@PROJECT@/notes.txt", "written inside\n")]),
                StandInTurn(toolUses: [SandboxedClaude.bash("echo sum=$((40 + 2)) && wc -c < notes.txt")]),
                StandInTurn(text: "done"),
            ],
            projectFiles: Self.files, policy: Self.policy, arguments: ["--allowedTools", "Write,Bash(echo:*),Bash(wc:*)"],
            homeOutsideTmp: true), claude: claude)
        try #require(outcome.succeeded, "\(outcome.diagnostics)")
        #expect(outcome.lastTurn == 4, "\(outcome.diagnostics)")
        let ls = try #require(outcome.bash("ls"), "\(outcome.diagnostics)")
        #expect(!ls.isError && ls.text.contains("hello.txt"), "\(ls.text)")
        let read = try #require(outcome.tool("Read"), "\(outcome.diagnostics)")
        #expect(!read.isError && read.text.contains("hello from the project"), "\(read.text)")
        let echo = try #require(outcome.bash("echo sum=$((40 + 2)) && wc -c < notes.txt"), "\(outcome.diagnostics)")
        #expect(!echo.isError && echo.text.contains("sum=42") && echo.text.contains("15"), "\(echo.text)")
        // The write went to the project on the host.
        #expect((try? String(contentsOf: outcome.project.appendingPathComponent("notes.txt"), encoding: .utf8)) == "written inside\n")
        // Claude Code saved its state into the host's ~/.claude.json (through the bind in
        // ~/.claude), keeping what was there.
        #expect(outcome.claudeState.contains("seenByTheTest") && outcome.claudeState.contains("firstStartTime"), "\(outcome.claudeState)")
    }

    @Test("a PreToolUse hook that crashes (SIGSEGV) inside the sandbox still denies: the command never runs")
    func crashingHookDenies() async throws {
        let claude = try await ClaudeCode.requireBinary()
        let outcome = try await SandboxedClaude.run(.init(
            script: [
                StandInTurn(toolUses: [SandboxedClaude.bash("touch ran-despite-the-crash")]),
                StandInTurn(text: "done"),
            ],
            projectFiles: Self.files, policy: Self.policy, arguments: ["--allowedTools", "Bash(touch:*)"],
            crashingPreToolUse: "segfault"), claude: claude)
        try #require(outcome.succeeded, "\(outcome.diagnostics)")
        let touch = try #require(outcome.bash("touch ran-despite-the-crash"), "\(outcome.diagnostics)")
        #expect(touch.isError, "\(touch.text)")
        #expect(touch.text.contains("the hook failed unexpectedly (fatal signal)"), "\(touch.text)")
        #expect(!FileManager.default.fileExists(atPath: outcome.project.appendingPathComponent("ran-despite-the-crash").path))
    }

    @Test("Claude Code's own sandbox.enabled: true in the managed settings: turned off inside Warden's, and commands run")
    func claudeCodeSandboxEnabled() async throws {
        let claude = try await ClaudeCode.requireBinary()
        // The policy is the managed settings, as on a machine where `warden install` merged it.
        let policy = #"{"sandbox": {"enabled": true}, "permissions": {"deny": ["Read(**/.env*)"]}}"#
        let outcome = try await SandboxedClaude.run(.init(
            script: [
                StandInTurn(toolUses: [SandboxedClaude.bash("echo ran-inside-without-a-nested-bwrap")]),
                StandInTurn(toolUses: [SandboxedClaude.bash("cat .env")]),
                StandInTurn(text: "done"),
            ],
            projectFiles: Self.files, policy: policy, arguments: ["--allowedTools", "Bash(echo:*),Bash(cat:*)"],
            managedSettings: policy), claude: claude)
        try #require(outcome.succeeded, "\(outcome.diagnostics)")
        // Claude Code's sandbox would wrap the command in a bwrap of its own, which cannot start
        // inside Warden's (no new user namespace there): the command's output proves it did not.
        let echo = try #require(outcome.bash("echo ran-inside-without-a-nested-bwrap"), "\(outcome.diagnostics)")
        #expect(!echo.isError && echo.text.contains("ran-inside-without-a-nested-bwrap"), "\(echo.text)")
        // Warden's hook still judges: the .env rule denies the cat.
        let cat = try #require(outcome.bash("cat .env"), "\(outcome.diagnostics)")
        #expect(cat.isError && !outcome.received(Self.secretValue), "\(cat.text)")
    }

    @Test(
        "a session set up by the real `warden install` (stripped binaries, pinned registration), then `warden uninstall` leaves nothing",
        .enabled("needs root: the view of /etc/claude-code is made by bwrap as root") { getuid() == 0 })
    func installedSession() async throws {
        let claude = try await ClaudeCode.requireBinary()
        let directory = try TemporaryDirectory()
        let prefix = directory.url.appendingPathComponent("prefix").path, state = directory.url.appendingPathComponent("var-lib-warden").path
        let profiles = directory.url.appendingPathComponent("profile.d").path
        try FileManager.default.createDirectory(atPath: profiles, withIntermediateDirectories: true)
        // /etc/claude-code is the view's own (empty, writable) directory: install writes there.
        let view = try ManagedSettingsView.command(claude: "/bin/sh", for: ClaudeCodeSession(script: []), in: directory.url)
        let locations = "--prefix \(prefix) --state-directory \(state) --profile-directory \(profiles)"
        let script = """
            set -e
            \(try SandboxedClaude.warden()) install --profile baseline \(locations)
            \(try SandboxedClaude.warden()) install --profile baseline \(locations)
            cp /etc/claude-code/managed-settings.json "$1/installed.json"
            \(prefix)/bin/warden demo --claude \(claude) --timeout 240
            nm \(prefix)/bin/warden-hook > "$1/nm" 2>&1 || true
            \(prefix)/bin/warden uninstall \(locations)
            ls -A /etc/claude-code > "$1/left-in-etc"
            """
        let result = try await SandboxedClaude.runInView(view + ["-c", script, "sh", directory.url.path], in: directory.url.path)
        let output = result.output
        #expect(result.status == .exited(0), "\(output.suffix(4000))\n\(result.error)")
        let installed = (try? String(contentsOfFile: directory.url.path + "/installed.json", encoding: .utf8)) ?? ""
        #expect(installed.contains("\"command\": \"\(prefix)/bin/warden-hook --policy /etc/claude-code/managed-settings.json\""), "\(installed)")
        #expect(output.contains("hooks:   Warden's registration in /etc/claude-code/managed-settings.json"), "\(output.prefix(1500))")
        #expect(output.contains("warden demo: all 7 steps were stopped as expected."), "\(output.suffix(3000))")
        // Installed binaries carry no symbol table (stripped).
        let symbols = (try? String(contentsOfFile: directory.url.path + "/nm", encoding: .utf8)) ?? ""
        #expect(symbols.contains("no symbols"), "\(symbols.prefix(500))")
        // Uninstall took back exactly what install wrote: the managed settings did not exist before.
        #expect((try? String(contentsOfFile: directory.url.path + "/left-in-etc", encoding: .utf8)) == "", "left in /etc/claude-code")
    }

    @Test("`warden demo` runs to its end and every step is stopped (exit 0)")
    func demoPasses() async throws {
        let claude = try await ClaudeCode.requireBinary()
        let directory = try TemporaryDirectory()
        let command = try ManagedSettingsView.command(claude: try SandboxedClaude.warden(), for: ClaudeCodeSession(script: []), in: directory.url)
        let result = try await SandboxedClaude.runInView(command + ["demo", "--claude", claude, "--timeout", "240"], in: directory.url.path)
        let output = result.output
        #expect(result.status == .exited(0), "\(output.suffix(4000))\n\(result.error)")
        #expect(output.contains("scripted session"), "\(output.prefix(2000))")
        #expect(output.contains("warden demo: all 7 steps were stopped as expected."), "\(output.suffix(3000))")
        #expect(output.contains("Warden refused paste.example.net"), "\(output)")
        #expect(output.contains("$ warden report"))
        // The scratch directory is gone (no --keep).
        let left = try FileManager.default.contentsOfDirectory(atPath: directory.url.path).filter { $0.hasPrefix("warden-demo.") }
        #expect(left.isEmpty, "left behind: \(left)")
    }

    @Test(
        "`warden demo` as an unprivileged user the test creates: every step stopped (exit 0)",
        .enabled("needs root, to create the user") { getuid() == 0 })
    func demoPassesAsAUser() async throws {
        let claude = try await ClaudeCode.requireBinary()
        let name = "warden-e2e-user"
        if case .exited(let status) = try await Subprocess.run(.name("id"), arguments: ["-u", name], output: .discarded).terminationStatus, status != 0 {
            let made = try await Subprocess.run(.path("/usr/sbin/useradd"), arguments: ["-m", name], output: .discarded, error: .string(limit: 4096))
            try #require(made.terminationStatus == .exited(0), "useradd -m \(name): \(made.standardError)")
        }
        let ids = try await Subprocess.run(.name("id"), arguments: [name], output: .string(limit: 4096))
        let uid = try #require(ids.standardOutput.split(separator: "=").dropFirst().first?.prefix { $0.isNumber }).description
        let gid = try #require(ids.standardOutput.split(separator: "=").dropFirst(2).first?.prefix { $0.isNumber }).description

        // The user can reach neither root's home (where pip put the CLI) nor the test's scratch
        // directory: a copy of the CLI and a TMPDIR of the user's own, in /var/tmp.
        let base = URL(fileURLWithPath: "/var/tmp/warden-e2e-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: base) }
        let scratch = base.appendingPathComponent("tmp"), copy = base.appendingPathComponent("claude")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        // Copied by cp, not in this process: a descriptor open for writing here could be
        // inherited by a child another test spawns at that moment, and exec of the copy would
        // then fail with ETXTBSY ("Text file busy") for as long as that child lives.
        let copied = try await Subprocess.run(.path("/bin/cp"), arguments: [claude, copy.path], output: .discarded, error: .discarded)
        try #require(copied.terminationStatus == .exited(0), "cp \(claude) \(copy.path)")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: base.path)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: copy.path)
        try FileManager.default.setAttributes([.ownerAccountID: Int(uid)!, .groupOwnerAccountID: Int(gid)!], ofItemAtPath: scratch.path)

        let workspace = try TemporaryDirectory()
        let view = try ManagedSettingsView.command(claude: "/usr/bin/setpriv", for: ClaudeCodeSession(script: []), in: workspace.url)
        let arguments = Array(view.dropFirst()) + [
            "--reuid=\(uid)", "--regid=\(gid)", "--init-groups", "--reset-env",
            "/usr/bin/env", "PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/home/\(name)", "TMPDIR=\(scratch.path)",
            try SandboxedClaude.warden(), "demo", "--claude", copy.path, "--timeout", "240",
        ]
        let result = try await SandboxedClaude.runInView(
            [view[0]] + arguments, in: scratch.path, environment: ProcessInfo.processInfo.environment)
        let output = result.output
        #expect(result.status == .exited(0), "\(output.suffix(4000))\n\(result.error)")
        #expect(output.contains("warden demo: all 7 steps were stopped as expected."), "\(output.suffix(3000))")
        #expect(output.contains(name), "the report does not name the user: \(output.suffix(2000))")
        let left = try FileManager.default.contentsOfDirectory(atPath: scratch.path)
        #expect(left.isEmpty, "left behind: \(left)")
    }

    @Test("`warden demo` on a machine where Warden is installed: the managed policy and hook registration, no --settings hooks")
    func demoUsesTheManagedRegistration() async throws {
        let claude = try await ClaudeCode.requireBinary()
        let hook = try ClaudeCode.wardenHook()
        // What `warden install --profile baseline` merges into the managed settings, with this
        // build's hook: profiles/baseline.json plus hooks/managed-settings.json's registration.
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let baseline = try JSONSerialization.jsonObject(with: Data(contentsOf: repository.appendingPathComponent("profiles/baseline.json"))) as! [String: Any]
        var managed = baseline
        let handler: [String: Any] = ["type": "command", "command": hook + " --policy /etc/claude-code/managed-settings.json", "timeout": 30]
        managed["env"] = ["CLAUDE_CODE_SHELL_PREFIX": hook + " --run-policy=/etc/claude-code/managed-settings.json"]
        managed["hooks"] = [
            "PreToolUse": [["matcher": "*", "hooks": [handler]]],
            "PostToolUse": [["matcher": "*", "hooks": [handler]]],
            "UserPromptSubmit": [["hooks": [handler]]],
        ]
        let text = String(decoding: try JSONSerialization.data(withJSONObject: managed, options: [.withoutEscapingSlashes]), as: UTF8.self)

        let directory = try TemporaryDirectory()
        var session = ClaudeCodeSession(script: [])
        session.managedSettings = text
        let command = try ManagedSettingsView.command(claude: try SandboxedClaude.warden(), for: session, in: directory.url)
        let result = try await SandboxedClaude.runInView(command + ["demo", "--claude", claude, "--timeout", "240"], in: directory.url.path)
        let output = result.output
        #expect(result.status == .exited(0), "\(output.suffix(4000))\n\(result.error)")
        #expect(output.contains("policy:  /etc/claude-code/managed-settings.json"), "\(output.prefix(1500))")
        #expect(output.contains("hooks:   Warden's registration in /etc/claude-code/managed-settings.json"), "\(output.prefix(1500))")
        #expect(output.contains("denied by warden-hook: Warden denied this: rule deny Read(**/.env*)"), "\(output.prefix(3000))")
        #expect(output.contains("warden demo: all 7 steps were stopped as expected."), "\(output.suffix(3000))")
    }
}
