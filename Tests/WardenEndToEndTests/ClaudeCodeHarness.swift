import Foundation
import Subprocess
import Testing

#if canImport(System)
import System
#else
// swift-subprocess's `FilePath` and `FileDescriptor` come from swift-system, which the Subprocess
// product brings into the build; naming them needs the import.
import SystemPackage
#endif

// Drives the real Claude Code CLI (`claude -p … --output-format json`) against the scripted
// Messages API server in Fixtures/fake_messages_api.py, with Warden (or any command) registered as
// its PreToolUse, PostToolUse and UserPromptSubmit hook, and returns what the server received:
// exactly what the model saw.
//
// Every process is spawned with swift-subprocess. The long-running server is run with the
// closure form of `run`: the closure reads the port from its first stdout line, runs the whole CLI
// session, then sends SIGTERM; if the closure throws or the test is cancelled, Subprocess tears the
// server down itself, so no server outlives its test.

// MARK: - The scripted model

/// A JSON value, for writing tool inputs in a model script.
enum JSONValue: Sendable, Equatable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    case string(String)
    case number(Double)
    case bool(Bool)
    case null
    case array([JSONValue])
    case object([String: JSONValue])

    init(stringLiteral value: String) { self = .string(value) }
    init(integerLiteral value: Int) { self = .number(Double(value)) }
    init(booleanLiteral value: Bool) { self = .bool(value) }
    init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }

    /// The value as JSONSerialization objects.
    var foundationObject: Any {
        switch self {
        case .string(let value): return value
        case .number(let value):
            if value.rounded() == value, abs(value) < 1e15 { return Int(value) }
            return value
        case .bool(let value): return value
        case .null: return NSNull()
        case .array(let values): return values.map(\.foundationObject)
        case .object(let members): return members.mapValues(\.foundationObject)
        }
    }
}

/// One tool call the scripted model makes.
struct ToolCall: Sendable {
    var name: String
    var input: [String: JSONValue]

    static func bash(_ command: String, description: String = "Run a shell command") -> ToolCall {
        ToolCall(name: "Bash", input: ["command": .string(command), "description": .string(description)])
    }

    static func read(_ filePath: String) -> ToolCall {
        ToolCall(name: "Read", input: ["file_path": .string(filePath)])
    }

    static func write(_ filePath: String, content: String) -> ToolCall {
        ToolCall(name: "Write", input: ["file_path": .string(filePath), "content": .string(content)])
    }
}

/// One answer of the scripted model in the main conversation: some text, tool calls, or both.
/// A turn with tool calls stops with `tool_use`, one without with `end_turn`.
struct ModelTurn: Sendable {
    var text: String?
    var toolCalls: [ToolCall]

    static func text(_ text: String) -> ModelTurn { ModelTurn(text: text, toolCalls: []) }

    static func tools(_ calls: [ToolCall], saying text: String? = nil) -> ModelTurn {
        ModelTurn(text: text, toolCalls: calls)
    }

    static func tool(_ call: ToolCall, saying text: String? = nil) -> ModelTurn {
        ModelTurn(text: text, toolCalls: [call])
    }

    static func bash(_ command: String, description: String = "Run a shell command") -> ModelTurn {
        .tool(.bash(command, description: description))
    }

    static func read(_ filePath: String) -> ModelTurn { .tool(.read(filePath)) }

    static func write(_ filePath: String, content: String) -> ModelTurn {
        .tool(.write(filePath, content: content))
    }

    /// The turn in the server's script format.
    var scriptObject: [String: Any] {
        var object: [String: Any] = [:]
        if let text { object["text"] = text }
        if !toolCalls.isEmpty {
            object["tool_uses"] = toolCalls.map { ["name": $0.name, "input": JSONValue.object($0.input).foundationObject] }
        }
        return object
    }
}

// MARK: - A session to run

/// What `warden-hook` (or a stand-in) is registered as.
enum HookRegistration: Sendable {
    /// The built `warden-hook`, given `--policy FILE` when `policy` (managed-settings JSON) is set.
    case warden(policy: String?)
    /// Any shell command, as Claude Code runs it (through a shell).
    case command(String)
    /// No hook at all.
    case none
}

struct ClaudeCodeSession: Sendable {
    /// The user's prompt, given to `claude -p`.
    var prompt: String = "Please have a look at this project."
    /// The scripted model's answers in the main conversation.
    var script: [ModelTurn]
    /// Files to create in the project directory (relative path: content).
    var projectFiles: [String: String] = [:]
    var hook: HookRegistration = .warden(policy: nil)
    /// Extra settings merged into the `--settings` file beside `hooks` (e.g. `permissions`),
    /// as a JSON object text.
    var extraSettings: String? = nil
    /// Extra arguments for `claude`, e.g. `["--allowedTools", "Bash Write"]`. Without any,
    /// read-only tools (Read, and Bash commands Claude Code deems read-only, like `ls` and
    /// `cat`) run under `-p`; anything else is denied for want of someone to approve it.
    var arguments: [String] = []
    /// Kills the CLI (and its process group) when it runs longer.
    var timeout: Duration = .seconds(120)
    /// The managed settings (JSON text) the CLI finds at /etc/claude-code/managed-settings.json.
    /// The CLI always runs with its own view of /etc/claude-code (see `ManagedSettingsView`):
    /// empty when this is nil, whatever the machine has installed there.
    var managedSettings: String? = nil
    /// Test-only: stands in for a machine where something (Warden, say) is installed in
    /// /etc/claude-code: the session runs inside an outer mount namespace whose
    /// /etc/claude-code/managed-settings.json holds this text, so that a test can show the CLI's
    /// own view hides it without writing to the real /etc.
    var machineManagedSettings: String? = nil
    /// Whether the CLI gets its own view of /etc/claude-code. Only a test that shows what the
    /// view protects against turns it off.
    var ownManagedSettingsView: Bool = true
}

// MARK: - What came back

/// One request the fake Messages API server received.
struct LoggedRequest {
    var method: String
    var path: String
    /// "main" (the agent loop: a request carrying tools), "side" (a Messages request without
    /// tools), "count_tokens" or "other".
    var kind: String
    /// For main requests, the index of the scripted turn it was answered with.
    var turn: Int?
    /// The parsed JSON body (or the raw text, or nil).
    var body: Any?
    /// The log line as received.
    var line: String

    var messages: [[String: Any]] {
        ((body as? [String: Any])?["messages"] as? [Any])?.compactMap { $0 as? [String: Any] } ?? []
    }
}

/// A tool call of the model and the tool_result Claude Code sent back for it.
struct ToolExchange {
    var toolUseID: String
    var name: String
    var input: [String: Any]
    var isError: Bool
    /// The result's text (text blocks joined by newlines when the content is a list).
    var text: String
}

struct ClaudeCodeOutcome {
    var exitStatus: TerminationStatus
    var timedOut: Bool
    var stdout: String
    var stderr: String
    /// What the fake server wrote on stderr (its own errors).
    var serverStderr: String
    /// `claude --output-format json`'s result object, when stdout held one.
    var result: [String: Any]?
    var requests: [LoggedRequest]
    /// The request log file's text: every body the server received, one JSON line each.
    var requestLog: String
    /// The project directory the CLI ran in, as the session left it.
    var projectDirectory: URL
    /// Holds the session's temporary directory (HOME, project, script, logs) until the outcome
    /// is released.
    var directory: TemporaryDirectory
    var workspace: URL { directory.url }

    var succeeded: Bool {
        if case .exited(0) = exitStatus, !timedOut { return true }
        return false
    }

    var mainRequests: [LoggedRequest] { requests.filter { $0.kind == "main" } }

    var permissionDenials: [[String: Any]] {
        (result?["permission_denials"] as? [Any])?.compactMap { $0 as? [String: Any] } ?? []
    }

    /// Every tool call the model made, in order, with what it got back (from the latest main
    /// request that holds its result).
    var toolExchanges: [ToolExchange] {
        var calls: [(id: String, name: String, input: [String: Any])] = []
        var results: [String: (isError: Bool, text: String)] = [:]
        for request in mainRequests {
            for message in request.messages {
                for block in (message["content"] as? [Any] ?? []).compactMap({ $0 as? [String: Any] }) {
                    switch block["type"] as? String {
                    case "tool_use":
                        if let id = block["id"] as? String, !calls.contains(where: { $0.id == id }) {
                            calls.append((id, block["name"] as? String ?? "", block["input"] as? [String: Any] ?? [:]))
                        }
                    case "tool_result":
                        if let id = block["tool_use_id"] as? String {
                            results[id] = ((block["is_error"] as? Bool) ?? false, Self.text(of: block["content"]))
                        }
                    default:
                        break
                    }
                }
            }
        }
        return calls.compactMap { call in
            results[call.id].map {
                ToolExchange(toolUseID: call.id, name: call.name, input: call.input, isError: $0.isError, text: $0.text)
            }
        }
    }

    /// The exchange of the model's Bash call running exactly `command`.
    func bashExchange(_ command: String) -> ToolExchange? {
        toolExchanges.first { $0.name == "Bash" && $0.input["command"] as? String == command }
    }

    /// Whether `text` appears anywhere in what the server received: in the log as written, or in
    /// any string of any request body once JSON escapes are undone.
    func serverReceived(_ text: String) -> Bool {
        if requestLog.contains(text) { return true }
        func walk(_ value: Any?) -> Bool {
            switch value {
            case let string as String: return string.contains(text)
            case let array as [Any]: return array.contains(where: walk)
            case let object as [String: Any]: return object.keys.contains { $0.contains(text) } || object.values.contains(where: walk)
            default: return false
            }
        }
        return requests.contains { walk($0.body) }
    }

    /// A summary for failure messages.
    var diagnostics: String {
        let paths = requests.map { "\($0.method) \($0.path) [\($0.kind)\($0.turn.map { " turn \($0)" } ?? "")]" }
        return """
            claude exit status: \(exitStatus)\(timedOut ? " (killed after the timeout)" : "")
            requests received: \(paths.isEmpty ? "none" : paths.joined(separator: ", "))
            stdout: \(stdout.suffix(2000))
            stderr: \(stderr.suffix(2000))
            server stderr: \(serverStderr.suffix(2000))
            workspace: \(workspace.path)
            """
    }

    static func text(of content: Any?) -> String {
        if let string = content as? String { return string }
        let blocks = (content as? [Any] ?? []).compactMap { $0 as? [String: Any] }
        return blocks.compactMap { $0["text"] as? String }.joined(separator: "\n")
    }
}

// MARK: - Locating the programs

enum HarnessError: Error, CustomStringConvertible {
    case missingFixture(String)
    case wardenHookNotFound([String])
    case claudeNotFound
    case serverDidNotStart(String)
    case bwrapNotFound

    var description: String {
        switch self {
        case .missingFixture(let name):
            return "test resource Fixtures/\(name) is missing from the test bundle"
        case .wardenHookNotFound(let tried):
            return "the built warden-hook was not found (tried \(tried.joined(separator: ", "))); set WARDEN_HOOK_BIN"
        case .claudeNotFound:
            return ClaudeCode.unavailableMessage + " — required, as WARDEN_E2E_REQUIRED=1"
        case .bwrapNotFound:
            return "bwrap (Debian package bubblewrap) was not found on PATH: the end-to-end tests need it to give Claude Code its own view of /etc/claude-code, so that the machine's managed settings neither help nor hurt (Scripts/install-deps.sh installs it)"
        case .serverDidNotStart(let stderr):
            return "the fake Messages API server did not print its port; its stderr:\n\(stderr)"
        }
    }
}

enum ClaudeCode {
    static let unavailableMessage = """
        Claude Code CLI not found: set WARDEN_CLAUDE_BIN to the `claude` binary, or install it with \
        Scripts/install-claude-code.sh (pip package claude-agent-sdk, which bundles it)
        """

    /// Whether a missing CLI must fail the end-to-end tests instead of skipping them (CI).
    static var isRequired: Bool { ProcessInfo.processInfo.environment["WARDEN_E2E_REQUIRED"] == "1" }

    /// The `claude` binary: `WARDEN_CLAUDE_BIN`, else the one bundled in the Python package
    /// claude-agent-sdk, as python3 reports it. Looked up once per test process.
    static func binary() async -> String? { await lookup.value }

    private static let lookup = Task<String?, Never> {
        let fileManager = FileManager.default
        if let path = ProcessInfo.processInfo.environment["WARDEN_CLAUDE_BIN"], !path.isEmpty {
            return fileManager.isExecutableFile(atPath: path) ? path : nil
        }
        let program = """
            import os, claude_agent_sdk
            print(os.path.join(os.path.dirname(claude_agent_sdk.__file__), "_bundled", "claude"))
            """
        guard
            let result = try? await Subprocess.run(
                .name("python3"), arguments: ["-c", program],
                output: .string(limit: 64 * 1024), error: .discarded),
            case .exited(0) = result.terminationStatus
        else { return nil }
        let path = result.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
        return fileManager.isExecutableFile(atPath: path) ? path : nil
    }

    /// Whether the end-to-end tests run: when the CLI is there, or when it is required (and its
    /// absence is then reported as a failure by `requireBinary()`).
    static func shouldRun() async -> Bool {
        if isRequired { return true }
        return await binary() != nil
    }

    /// The CLI's path; when it is missing (and the tests run because WARDEN_E2E_REQUIRED=1), an
    /// error that fails the test and says how to get it.
    static func requireBinary() async throws -> String {
        guard let path = await binary() else { throw HarnessError.claudeNotFound }
        return path
    }

    /// The built `warden-hook`: `WARDEN_HOOK_BIN`, else beside the test bundle. SwiftPM builds
    /// every product of the package into one directory (`.build/<triple>/debug`), which also holds
    /// this target's resource bundle and, on Linux, the test executable (`/proc/self/exe`).
    static func wardenHook() throws -> String {
        let fileManager = FileManager.default
        if let path = ProcessInfo.processInfo.environment["WARDEN_HOOK_BIN"], !path.isEmpty {
            guard fileManager.isExecutableFile(atPath: path) else { throw HarnessError.wardenHookNotFound([path]) }
            return path
        }
        var directories = [Bundle.module.bundleURL.deletingLastPathComponent()]
        #if os(Linux)
        directories.append(URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent())
        #endif
        if let executable = Bundle.main.executableURL {
            directories.append(executable.resolvingSymlinksInPath().deletingLastPathComponent())
        }
        // On macOS the test bundle is `….xctest/Contents/MacOS/…`; the products are beside `….xctest`.
        directories.append(Bundle(for: BundleMarker.self).bundleURL.deletingLastPathComponent())
        let candidates = directories.map { $0.appendingPathComponent("warden-hook").path }
        guard let found = candidates.first(where: fileManager.isExecutableFile(atPath:)) else {
            throw HarnessError.wardenHookNotFound(candidates)
        }
        return found
    }

    static func fixture(_ name: String) throws -> URL {
        guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures") else {
            throw HarnessError.missingFixture(name)
        }
        return url
    }

    // MARK: Running a session

    /// Runs `session` with the real CLI against the scripted server, in a fresh temporary HOME
    /// and project directory (removed with the outcome unless `WARDEN_E2E_KEEP=1`).
    static func run(_ session: ClaudeCodeSession, claude: String) async throws -> ClaudeCodeOutcome {
        let fileManager = FileManager.default
        let directory = try TemporaryDirectory()
        let workspace = directory.url
        let home = workspace.appendingPathComponent("home", isDirectory: true)
        let project = workspace.appendingPathComponent("project", isDirectory: true)
        try fileManager.createDirectory(at: home, withIntermediateDirectories: true)
        try fileManager.createDirectory(at: project, withIntermediateDirectories: true)
        for (relativePath, content) in session.projectFiles {
            let url = project.appendingPathComponent(relativePath)
            try fileManager.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(content.utf8).write(to: url)
        }

        let scriptFile = workspace.appendingPathComponent("script.json")
        // Tool inputs may name files by absolute path: @PROJECT@ stands for the project directory.
        let script = try JSONSerialization.data(withJSONObject: session.script.map(\.scriptObject), options: [.prettyPrinted, .withoutEscapingSlashes])
        try Data(String(decoding: script, as: UTF8.self).replacingOccurrences(of: "@PROJECT@", with: project.path).utf8)
            .write(to: scriptFile)
        let logFile = workspace.appendingPathComponent("requests.jsonl")
        let settingsFile = workspace.appendingPathComponent("settings.json")
        try settings(for: session, in: workspace).write(to: settingsFile)
        let command = try ManagedSettingsView.command(claude: claude, for: session, in: workspace)

        let server = try fixture("fake_messages_api.py")
        let serverStderr = workspace.appendingPathComponent("server.stderr")
        let stdoutFile = workspace.appendingPathComponent("claude.stdout")
        let stderrFile = workspace.appendingPathComponent("claude.stderr")

        let served = try await Subprocess.run(
            .name("python3"),
            arguments: ["-u", server.path, scriptFile.path, logFile.path],
            workingDirectory: FilePath(workspace.path),
            input: .none,
            output: .sequence,
            error: .fileDescriptor(try createFile(serverStderr), closeAfterSpawningProcess: true)
        ) { execution -> (status: TerminationStatus, timedOut: Bool) in
            var port: Int?
            for try await line in execution.standardOutput.strings() {
                port = Int(line.trimmingCharacters(in: .whitespaces))
                break
            }
            guard let port else {
                throw HarnessError.serverDidNotStart((try? String(contentsOf: serverStderr, encoding: .utf8)) ?? "")
            }
            let outcome = try await runCLI(
                command, session: session, port: port, home: home, project: project,
                settingsFile: settingsFile, stdoutFile: stdoutFile, stderrFile: stderrFile)
            try? execution.send(signal: .terminate)
            return outcome
        }

        let (status, timedOut) = served.closureResult
        let stdout = (try? String(contentsOf: stdoutFile, encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOf: stderrFile, encoding: .utf8)) ?? ""
        let requestLog = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
        return ClaudeCodeOutcome(
            exitStatus: status,
            timedOut: timedOut,
            stdout: stdout,
            stderr: stderr,
            serverStderr: (try? String(contentsOf: serverStderr, encoding: .utf8)) ?? "",
            result: parseResult(stdout),
            requests: parseLog(requestLog),
            requestLog: requestLog,
            projectDirectory: project,
            directory: directory
        )
    }

    /// Runs the CLI to its end or until the session's timeout, when its whole process group
    /// (hooks and commands included) is terminated.
    private static func runCLI(
        _ command: [String], session: ClaudeCodeSession, port: Int, home: URL, project: URL,
        settingsFile: URL, stdoutFile: URL, stderrFile: URL
    ) async throws -> (status: TerminationStatus, timedOut: Bool) {
        var options = PlatformOptions()
        options.createSession = true
        options.teardownSequence = [.gracefulShutDown(toProcessGroup: true, allowedDurationToNextStep: .seconds(3))]
        let arguments = Array(command.dropFirst())
            + ["-p", session.prompt, "--output-format", "json", "--settings", settingsFile.path] + session.arguments
        let configuration = Configuration(
            executable: .path(FilePath(command[0])),
            arguments: Arguments(arguments),
            environment: cliEnvironment(port: port, home: home),
            workingDirectory: FilePath(project.path),
            platformOptions: options
        )
        let stdout = try createFile(stdoutFile)
        let stderr = try createFile(stderrFile)
        return try await withThrowingTaskGroup(of: (status: TerminationStatus, timedOut: Bool)?.self) { group in
            group.addTask {
                let result = try await Subprocess.run(
                    configuration,
                    input: .none,
                    output: .fileDescriptor(stdout, closeAfterSpawningProcess: true),
                    error: .fileDescriptor(stderr, closeAfterSpawningProcess: true)
                )
                return (result.terminationStatus, false)
            }
            group.addTask {
                try await Task.sleep(for: session.timeout)
                return nil
            }
            let first = try await group.next()!
            group.cancelAll()  // on timeout, cancelling the run tears the CLI's process group down
            if let first { return first }
            let killed = try await group.next()!
            return (killed?.status ?? .exited(-1), true)
        }
    }

    /// The inherited environment less anything that could point the CLI at a real account or
    /// another configuration, plus the fake server's address.
    static func cliEnvironment(port: Int, home: URL) -> Subprocess.Environment {
        var variables: [String: String] = [:]
        for (key, value) in ProcessInfo.processInfo.environment {
            let upper = key.uppercased()
            if upper.hasPrefix("ANTHROPIC_") || upper.hasPrefix("CLAUDE") || upper.hasPrefix("AWS_")
                || upper.hasPrefix("GOOGLE_") || upper.hasPrefix("VERTEX_") || upper.hasSuffix("_PROXY")
                || upper.hasPrefix("XDG_") || upper == "WARDEN_E2E_REQUIRED"
            {
                continue
            }
            variables[key] = value
        }
        variables["HOME"] = home.path
        variables["ANTHROPIC_BASE_URL"] = "http://127.0.0.1:\(port)"
        variables["ANTHROPIC_API_KEY"] = "sk-ant-warden-e2e-fake-key"
        variables["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] = "1"
        variables["DISABLE_AUTOUPDATER"] = "1"
        variables["NO_PROXY"] = "127.0.0.1,localhost"
        return .custom(Dictionary(uniqueKeysWithValues: variables.map { (Environment.Key(stringLiteral: $0.key), $0.value) }))
    }

    /// The `--settings` file: the hook registration, and the session's extra settings.
    static func settings(for session: ClaudeCodeSession, in workspace: URL) throws -> Data {
        var settings: [String: Any] = [:]
        if let extra = session.extraSettings {
            settings = try JSONSerialization.jsonObject(with: Data(extra.utf8)) as? [String: Any] ?? [:]
        }
        let command: String?
        switch session.hook {
        case .none:
            command = nil
        case .command(let text):
            command = text
        case .warden(let policy):
            var words = [try wardenHook()]
            if let policy {
                let policyFile = workspace.appendingPathComponent("policy.json")
                try Data(policy.utf8).write(to: policyFile)
                words += ["--policy", policyFile.path]
            }
            command = words.map(shellQuoted).joined(separator: " ")
            // As hooks/managed-settings.json does: shell commands run through `warden-hook --run`,
            // which redacts their output (failing commands included) under the same policy.
            var environment = settings["env"] as? [String: Any] ?? [:]
            environment["CLAUDE_CODE_SHELL_PREFIX"] = try wardenHook() + " --run"
            if policy != nil { environment["WARDEN_POLICY"] = workspace.appendingPathComponent("policy.json").path }
            settings["env"] = environment
        }
        if let command {
            let handler: [String: Any] = ["type": "command", "command": command]
            settings["hooks"] = [
                "PreToolUse": [["matcher": "*", "hooks": [handler]]],
                "PostToolUse": [["matcher": "*", "hooks": [handler]]],
                "UserPromptSubmit": [["hooks": [handler]]],
            ]
        }
        return try JSONSerialization.data(withJSONObject: settings, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    }

    static func shellQuoted(_ word: String) -> String {
        "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    private static func createFile(_ url: URL) throws -> FileDescriptor {
        try FileDescriptor.open(
            FilePath(url.path), .writeOnly, options: [.create, .truncate], permissions: [.ownerReadWrite])
    }

    private static func parseResult(_ stdout: String) -> [String: Any]? {
        // The result is the one JSON object on stdout; take the last line that parses, in case
        // anything else was printed before it.
        for line in stdout.split(whereSeparator: \.isNewline).reversed() {
            if let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] {
                return object
            }
        }
        return nil
    }

    private static func parseLog(_ log: String) -> [LoggedRequest] {
        log.split(separator: "\n").compactMap { line in
            guard let entry = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                return nil
            }
            return LoggedRequest(
                method: entry["method"] as? String ?? "",
                path: entry["path"] as? String ?? "",
                kind: entry["kind"] as? String ?? "",
                turn: entry["turn"] as? Int,
                body: entry["body"].flatMap { $0 is NSNull ? nil : $0 },
                line: String(line)
            )
        }
    }
}

/// The CLI's own view of /etc/claude-code. Claude Code always reads
/// /etc/claude-code/managed-settings.json, and managed settings outrank every other: on a
/// machine where Warden (or anything else) is installed there, the sessions of these tests would
/// be governed by it — "without Warden" sessions guarded by the installed hooks, a test's own
/// policy overruled. So the CLI runs under `bwrap` in a private mount namespace whose /etc is a
/// tmpfs holding every entry of the real /etc (bound, symlinks recreated) except claude-code,
/// which is an empty directory, or holds the session's own managed settings. A tmpfs over
/// /etc/claude-code itself would need the directory to exist: bwrap would create it on the
/// real /etc when run as root, and fail as a user. Nothing else is unshared: the CLI sees the
/// same processes, network and files.
enum ManagedSettingsView {
    static let directory = "/etc/claude-code"

    /// The words to run the CLI with: `bwrap … -- claude`, inside a second `bwrap` holding the
    /// session's stand-in for the machine's managed settings, if it has one.
    static func command(claude: String, for session: ClaudeCodeSession, in workspace: URL) throws -> [String] {
        var command = [claude]
        if session.ownManagedSettingsView {
            let file = try session.managedSettings.map { try write($0, to: workspace.appendingPathComponent("managed-settings.json")) }
            command = try [bwrap()] + bwrapArguments(managedSettings: file, etc: etcEntries(hiding: directory)) + ["--"] + command
        }
        if let machine = session.machineManagedSettings {
            let file = try write(machine, to: workspace.appendingPathComponent("machine-managed-settings.json"))
            command = try [bwrap()] + bwrapArguments(managedSettings: file, etc: etcEntries(hiding: directory)) + ["--"] + command
        }
        return command
    }

    /// One entry of /etc: a symlink is recreated as one (its target may not exist), anything
    /// else bound.
    enum Entry: Equatable {
        case bind(String)
        case symlink(String, target: String)
    }

    /// The bwrap arguments for a view of / where /etc holds `etc` and /etc/claude-code holds
    /// only `managedSettings` (read-only), or nothing. Pure, for the tests of the harness.
    static func bwrapArguments(managedSettings: String?, etc: [Entry]) -> [String] {
        var arguments = ["--die-with-parent", "--dev-bind", "/", "/", "--tmpfs", "/etc"]
        for entry in etc {
            switch entry {
            case .bind(let path): arguments += ["--bind", path, path]
            case .symlink(let path, let target): arguments += ["--symlink", target, path]
            }
        }
        arguments += ["--dir", directory]
        if let managedSettings { arguments += ["--ro-bind", managedSettings, directory + "/managed-settings.json"] }
        return arguments
    }

    /// The entries of the real /etc but `hidden`, sorted.
    static func etcEntries(hiding hidden: String) throws -> [Entry] {
        let fileManager = FileManager.default
        return try fileManager.contentsOfDirectory(atPath: "/etc").sorted().compactMap { name in
            let path = "/etc/" + name
            guard path != hidden else { return nil }
            if let target = try? fileManager.destinationOfSymbolicLink(atPath: path) { return .symlink(path, target: target) }
            return .bind(path)
        }
    }

    static func bwrap() throws -> String {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = String(directory) + "/bwrap"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw HarnessError.bwrapNotFound
    }

    private static func write(_ text: String, to url: URL) throws -> String {
        try Data(text.utf8).write(to: url)
        return url.path
    }
}

private final class BundleMarker {}

/// A fresh directory under the system's temporary directory, removed when released (kept when
/// `WARDEN_E2E_KEEP=1`, for looking into a failure).
final class TemporaryDirectory: Sendable {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("warden-e2e-\(UUID().uuidString.prefix(8))", isDirectory: true)
            .resolvingSymlinksInPath()
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit {
        if ProcessInfo.processInfo.environment["WARDEN_E2E_KEEP"] != "1" {
            try? FileManager.default.removeItem(at: url)
        }
    }
}

extension ClaudeCodeOutcome: CustomTestStringConvertible {
    /// Short, for expectation failures (which print the values in the expression); the full
    /// story is `diagnostics`.
    var testDescription: String {
        "Claude Code session (\(exitStatus)\(timedOut ? ", timed out" : ""), \(requests.count) requests, in \(workspace.path))"
    }
}

extension LoggedRequest: CustomTestStringConvertible {
    var testDescription: String { "\(method) \(path) [\(kind)\(turn.map { " turn \($0)" } ?? "")]" }
}
