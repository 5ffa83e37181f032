import ArgumentParser
import FoundationEssentials
import Glibc
import Subprocess
import WardenAudit
import WardenDemo
import WardenJSON
import WardenPolicy
import WardenSystem

#if canImport(System)
import System
#else
import SystemPackage
#endif

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Watch Warden stop a scripted Claude Code session: the real CLI inside `warden run`, no account needed.",
        discussion: """
            Makes a scratch git project (a .env with a fake token, a customer file with fake \
            personal data), starts a scripted Messages API stand-in on 127.0.0.1 (it is not \
            Claude: every answer says so), and runs the real claude -p inside `warden run` against \
            it. The scripted agent reads .env, cats the customer file, reads .env from a script, \
            uploads with curl and from a script, fetches a host the policy does not allow and \
            commits the token; each step prints what the model saw. Then `warden log` and \
            `warden report` of the session.
            Policy: --profile NAME, else the managed settings when `warden install` registered \
            Warden's hook there, else the baseline profile. Hooks: the managed registration when \
            there is one, else a --settings file for this session.
            Exit status: 0 when every step was stopped as expected; 1 naming the steps that were \
            not (so the demo is also a check); 64 for a usage error.
            """
    )

    @Option(name: .long, help: ArgumentHelp("A profile shipped with Warden (default: what `warden install` installed, else baseline).", valueName: "name"))
    var profile: String?

    @Option(name: .long, help: ArgumentHelp("The claude binary (default: the first real claude on PATH).", valueName: "path"))
    var claude: String?

    @Flag(name: .long, help: "Keep the scratch project, its home and its decision log; print where.")
    var keep = false

    @Option(name: .long, help: ArgumentHelp("Stop the session after this many seconds.", valueName: "seconds"))
    var timeout = 300

    static let managedSettings = "/etc/claude-code/managed-settings.json"

    func validate() throws {
        if timeout < 1 { throw ValidationError("--timeout must be at least 1 second") }
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let wardenPath = HostPaths.executable
        let wardenDirectory = HostPaths.parent(wardenPath)
        let hookPath = wardenDirectory + "/warden-hook"

        let claudePath = try locateClaude(environment: environment, wardenPath: wardenPath)
        let managedHasWarden = Self.registersWardenHook(settingsPath: Self.managedSettings)
        let policyPath = try choosePolicy(wardenDirectory: wardenDirectory, managedHasWarden: managedHasWarden)
        if !managedHasWarden, access(hookPath, X_OK) != 0 {
            throw CLIError("\(hookPath) is missing: the demo registers the warden-hook beside warden (build it, or sudo warden install)")
        }
        let loaded: Policy
        switch PolicyFile.load(path: policyPath) {
        case .success(let policy): loaded = policy
        case .failure(let error): throw CLIError("\(error)")
        }

        // The scratch directory: the project, a home of its own (so no account, setting or
        // credential of the developer's is used) and the session's decision log.
        let scratch = try Self.makeScratchDirectory(environment: environment)
        defer {
            if keep {
                print("kept: \(scratch) (project/, home/, state/)")
            } else {
                try? FileManager.default.removeItem(atPath: scratch)
            }
        }
        let project = scratch + "/project", home = scratch + "/home", state = scratch + "/state"
        let logDirectory = loaded.audit.directory ?? state + "/warden"
        for directory in [project, home + "/.claude", state] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let scenario = DemoScenario(project: project)
        try await Self.makeProject(project)
        let guardLine = try await Self.installGuard(project: project, wardenPath: wardenPath)

        // Claude Code's settings for the session: in ~/.claude/settings*.json, which the sandbox
        // keeps read-only, so nothing inside can rewrite them.
        let settingsFile = home + "/.claude/settings.warden-demo.json"
        try Data(Self.sessionSettings(hookPath: managedHasWarden ? nil : hookPath).serialized.utf8).write(to: URL(fileURLWithPath: settingsFile))

        let standIn = try await MessagesStandIn.start(script: scenario.script)
        print("""
            warden demo: the real Claude Code inside `warden run`, driven by a scripted session
              model:   Warden's Messages API stand-in on \(standIn.baseURL) — a script, not Claude (no account, no network)
              claude:  \(claudePath)
              policy:  \(policyPath)
              hooks:   \(managedHasWarden ? "Warden's registration in \(Self.managedSettings)" : "registered for this session with --settings (none in \(Self.managedSettings))")
              guard:   \(guardLine)
              project: \(project) (.env with a fake token, customers.csv with fake personal data)

            """)
        flushOutput()

        let arguments = [
            "run", "--policy", policyPath, "--", claudePath, "-p", DemoScenario.prompt, "--output-format", "json",
            "--settings", settingsFile, "--allowedTools", DemoScenario.allowedTools.joined(separator: ","),
        ]
        let variables = Self.sessionEnvironment(
            environment, home: home, state: state, baseURL: standIn.baseURL, policyPath: policyPath)
        let session: SessionResult
        do {
            session = try await Self.runSession(
                warden: wardenPath, arguments: arguments, environment: variables, directory: project, timeout: .seconds(timeout))
        } catch {
            await standIn.stop()
            throw CLIError("cannot run the session: \(error)")
        }
        await standIn.stop()

        let requests = standIn.requests
        let outcomes = scenario.evaluate(requests: requests, refusedHosts: Self.refusedHosts(logDirectory: logDirectory))
        for outcome in outcomes {
            print(cFormat("%2ld. ", outcome.step.number) + "The agent tries to \(outcome.step.title)")
            print("    \(outcome.passed ? "→" : "✗ UNEXPECTED:") \(outcome.happened)")
        }
        let finished = scenario.finished(requests: requests)
        print(finished ? "\nThe stand-in's closing turn: \"\(DemoScenario.closingText)\"" : "\nThe session did not reach the end of the script.")
        if case .exited(0) = session.status, !session.timedOut {
        } else {
            print("claude inside `warden run` ended with \(session.timedOut ? "a timeout after \(timeout) s" : "\(session.status)"); its last words:")
            print(session.stderr.suffix(1500))
        }

        print("\n$ warden log --log-dir \(logDirectory)")
        flushOutput()
        await Self.show(wardenPath, ["log", "--log-dir", logDirectory, "--policy", policyPath], environment: variables)
        print("\n$ warden report --log-dir \(logDirectory)")
        flushOutput()
        await Self.show(wardenPath, ["report", "--log-dir", logDirectory, "--policy", policyPath], environment: variables)

        let failed = outcomes.filter { !$0.passed }
        var problems = failed.map { "step \($0.step.number) (\($0.step.title)) was not stopped as expected" }
        if !finished { problems.append("the session did not run to the end of the script") }
        if session.timedOut { problems.append("the session timed out after \(timeout) s") }
        if problems.isEmpty {
            print("\nwarden demo: all \(outcomes.count) steps were stopped as expected.")
            flushOutput()
            return
        }
        flushOutput()
        for problem in problems { Files.writeAll(2, "warden demo: \(problem)\n") }
        throw ExitCode(1)
    }

    // MARK: Choosing

    func locateClaude(environment: [String: String], wardenPath: String) throws -> String {
        if let claude {
            guard access(claude, X_OK) == 0 else { throw CLIError("--claude \(claude): not an executable file") }
            return claude
        }
        guard let found = RunSupport.realClaude(path: environment["PATH"], wardenPath: wardenPath) else {
            throw CLIError("no claude on PATH (Warden's own claude function and shim are skipped); install Claude Code (Scripts/install-claude-code.sh prints its path) and pass --claude PATH")
        }
        return found
    }

    func choosePolicy(wardenDirectory: String, managedHasWarden: Bool) throws -> String {
        if let profile {
            guard let path = RunSupport.profilePath(profile, wardenDirectory: wardenDirectory) ?? (try? WardenFiles.profilePath(profile: profile, policy: nil)) else {
                throw CLIError("no profile \"\(profile)\": looked for profiles/\(profile).json next to \(wardenDirectory), in its ../share/warden and in the source tree")
            }
            return path
        }
        if managedHasWarden { return Self.managedSettings }
        guard let baseline = RunSupport.profilePath("baseline", wardenDirectory: wardenDirectory) ?? (try? WardenFiles.profilePath(profile: "baseline", policy: nil)) else {
            throw CLIError("the baseline profile was not found next to \(wardenDirectory), in its ../share/warden or in the source tree; pass --profile NAME")
        }
        return baseline
    }

    /// Whether the settings file registers a `warden-hook` command for PreToolUse.
    static func registersWardenHook(settingsPath: String) -> Bool {
        guard let bytes = AuditLog.readFile(settingsPath, from: 0), let settings = try? JSONValue.parse(bytes: bytes) else { return false }
        return (settings["hooks"]?["PreToolUse"]?.array ?? []).contains { entry in
            (entry["hooks"]?.array ?? []).contains { ($0["command"]?.string ?? "").contains("warden-hook") }
        }
    }

    /// The `--settings` of the session: Warden's hook registration and shell prefix (as
    /// hooks/managed-settings.json has them) when `hookPath` is given, and no WebFetch preflight
    /// (Claude Code would first ask api.anthropic.com about the domain, which the stand-in's
    /// session cannot reach: the fetch itself is what the demo shows refused).
    static func sessionSettings(hookPath: String?) -> JSONValue {
        var members = [JSONMember(key: "skipWebFetchPreflight", value: .bool(true))]
        if let hookPath {
            let command = shellQuoted(hookPath)
            let handler = JSONValue.object(["type": .string("command"), "command": .string(command), "timeout": .number(30)])
            let matched = JSONValue.array([.object(["matcher": .string("*"), "hooks": .array([handler])])])
            // Claude Code quotes the prefix's program itself: it is given unquoted.
            members.append(JSONMember(key: "env", value: .object(["CLAUDE_CODE_SHELL_PREFIX": .string(hookPath + " --run")])))
            members.append(JSONMember(key: "hooks", value: .object([
                "PreToolUse": matched, "PostToolUse": matched,
                "UserPromptSubmit": .array([.object(["hooks": .array([handler])])]),
            ])))
        }
        return .object(members)
    }

    /// The developer's environment less anything that could point Claude Code at a real account,
    /// another configuration or another log, plus the stand-in's address and a dummy key.
    static func sessionEnvironment(
        _ environment: [String: String], home: String, state: String, baseURL: String, policyPath: String
    ) -> [String: String] {
        var variables = environment.filter { key, _ in
            let upper = key.uppercased()
            return !(upper.hasPrefix("ANTHROPIC_") || upper.hasPrefix("CLAUDE") || upper.hasSuffix("_PROXY")
                || upper.hasPrefix("AWS_") || upper.hasPrefix("XDG_") || upper == "WARDEN_POLICY")
        }
        variables["HOME"] = home
        variables["XDG_STATE_HOME"] = state
        variables["WARDEN_POLICY"] = policyPath
        variables["ANTHROPIC_BASE_URL"] = baseURL
        variables["ANTHROPIC_API_KEY"] = "warden-demo-stand-in-needs-no-key"
        variables["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] = "1"
        variables["DISABLE_AUTOUPDATER"] = "1"
        return variables
    }

    // MARK: The project

    static func makeScratchDirectory(environment: [String: String]) throws -> String {
        let base = environment["TMPDIR"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? "/tmp"
        var template = Array((base + "/warden-demo.XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw CLIError("cannot create a scratch directory in \(base): \(String(cString: strerror(errno)))")
        }
        return HostPaths.resolvingSymlinks(String(cString: made))
    }

    /// The scenario's files, in a git repository with a first commit (`.env` ignored).
    static func makeProject(_ project: String) async throws {
        for (path, content) in DemoScenario.files {
            try Data(content.utf8).write(to: URL(fileURLWithPath: project + "/" + path))
        }
        try await git(["init", "-q"], in: project)
        try await git(["config", "user.name", "Warden demo"], in: project)
        try await git(["config", "user.email", "demo@warden.invalid"], in: project)
        try await git(["config", "commit.gpgsign", "false"], in: project)
        try await git(["add", ".gitignore", "customers.csv", "app.py"], in: project)
        // --no-verify: a guard installed system-wide would rightly refuse the customer file; the
        // demo's own commit is not what it shows.
        try await git(["commit", "-q", "--no-verify", "-m", "Initial commit"], in: project)
    }

    /// The pre-commit guard: `warden install --git`'s, when the system's core.hooksPath has it;
    /// otherwise put in the scratch repository's own .git/hooks (which the sandbox keeps
    /// read-only). Returns the line that says which.
    static func installGuard(project: String, wardenPath: String) async throws -> String {
        if let hooksPath = try? GitHooks.systemValue("core.hooksPath"),
            let script = try? String(contentsOfFile: hooksPath + "/pre-commit", encoding: .utf8), script.contains("precommit")
        {
            return "Warden's pre-commit guard from `warden install --git` (\(hooksPath))"
        }
        let hook = project + "/.git/hooks/pre-commit"
        try FileManager.default.createDirectory(atPath: project + "/.git/hooks", withIntermediateDirectories: true)
        let script = """
            #!/bin/sh
            # warden demo: the guard `warden install --git` installs for every repository.
            exec \(shellQuoted(wardenPath)) precommit

            """
        try Data(script.utf8).write(to: URL(fileURLWithPath: hook))
        chmod(hook, 0o755)
        return "not installed system-wide (warden install --git); the demo put `warden precommit` in this repository's .git/hooks"
    }

    static func git(_ arguments: [String], in directory: String) async throws {
        let result = try await Subprocess.run(
            .name("git"), arguments: Arguments(arguments), workingDirectory: FilePath(directory),
            output: .discarded, error: .string(limit: 64 * 1024))
        guard case .exited(0) = result.terminationStatus else {
            let reason = result.standardError.split(separator: "\n").first.map(String.init) ?? "\(result.terminationStatus)"
            throw CLIError("cannot set up the scratch project: git \(arguments.first ?? ""): \(reason)")
        }
    }

    /// Lines printed so far reach the terminal before a child process writes to it.
    func flushOutput() { fflush(nil) }

    static func shellQuoted(_ word: String) -> String {
        "'" + word.replacing("'", with: "'\\''") + "'"
    }

    // MARK: Running

    struct SessionResult {
        var status: TerminationStatus
        var timedOut: Bool
        var stdout: String
        var stderr: String
    }

    /// `warden run … -- claude …` to its end, or until `timeout`, when its process group is
    /// stopped.
    static func runSession(
        warden: String, arguments: [String], environment: [String: String], directory: String, timeout: Duration
    ) async throws -> SessionResult {
        var options = PlatformOptions()
        options.createSession = true
        options.teardownSequence = [.gracefulShutDown(toProcessGroup: true, allowedDurationToNextStep: .seconds(3))]
        let configuration = Configuration(
            executable: .path(FilePath(warden)), arguments: Arguments(arguments),
            environment: .custom(Dictionary(uniqueKeysWithValues: environment.map { (Environment.Key(stringLiteral: $0.key), $0.value) })),
            workingDirectory: FilePath(directory), platformOptions: options)
        return try await withThrowingTaskGroup(of: SessionResult?.self) { group in
            group.addTask {
                let result = try await Subprocess.run(
                    configuration, input: .none, output: .string(limit: 16 << 20), error: .string(limit: 16 << 20))
                return SessionResult(
                    status: result.terminationStatus, timedOut: false,
                    stdout: result.standardOutput, stderr: result.standardError)
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            let first = try await group.next()!
            group.cancelAll()
            if let first { return first }
            _ = try? await group.next()
            return SessionResult(status: .exited(-1), timedOut: true, stdout: "", stderr: "")
        }
    }

    /// The hosts Warden's proxy refused, from the session's decision log.
    static func refusedHosts(logDirectory: String) -> Set<String> {
        guard case .success(let found) = AuditLog(directory: logDirectory).records(where: { $0.event == "Network" && $0.decision == .deny }) else {
            return []
        }
        return Set(found.records.compactMap { record in
            guard let subject = record.subject else { return nil }
            guard let colon = subject.lastIndex(of: ":") else { return subject }
            return String(subject[..<colon])
        })
    }

    /// Runs `warden ARGUMENTS` with its output on this terminal.
    static func show(_ warden: String, _ arguments: [String], environment: [String: String]) async {
        _ = try? await Subprocess.run(
            .path(FilePath(warden)), arguments: Arguments(arguments),
            environment: .custom(Dictionary(uniqueKeysWithValues: environment.map { (Environment.Key(stringLiteral: $0.key), $0.value) })),
            output: .currentStandardOutput, error: .currentStandardError)
    }
}
