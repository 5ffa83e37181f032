import Testing
import WardenJSON
@testable import WardenPolicy

@Suite struct PolicyLoadingTests {
    @Test func readsRulesAndWardenSettings() throws {
        let policy = try Policy.parse(text: """
            {"permissions": {"deny": ["Bash(curl:*)", "Read(**/.env)"], "ask": ["Bash(git push:*)"], "allow": ["Bash(ls:*)"],
             "disableBypassPermissionsMode": "disable", "defaultMode": "default"},
             "warden": {"unverifiableCommands": "deny"}}
            """, path: "/etc/claude-code/managed-settings.json")
        #expect(policy.rules(in: .deny).map(\.text) == ["Bash(curl:*)", "Read(**/.env)"])
        #expect(policy.rules(in: .ask).count == 1 && policy.rules(in: .allow).count == 1)
        #expect(policy.bypassPermissionsDisabled)
        #expect(policy.unverifiableCommands == .deny)
        #expect(policy.settingsDirectory == "/etc/claude-code")
    }

    @Test func reportsEveryProblemWithItsPosition() {
        let text = """
            {
              "permissions": {
                "deny": ["Bash(git:* push)", 42, "Read([x)"],
                "allow": "Bash(ls)",
                "defaultMode": "yolo",
                "colour": true
              },
              "warden": {"unverifiable": "ask"},
              "telemetry": 1,
              "cleanupPeriodDays": -1
            }
            """
        let (policy, problems) = Policy.load(text: text, path: "p.json")
        #expect(policy == nil)
        #expect(problems.map(\.description) == [
            "3:23: error: malformed rule \"Bash(git:* push)\": ':*' may only end a Bash rule; use '*' for a wildcard elsewhere",
            "3:34: error: a rule must be a string, found number",
            "3:44: error: malformed rule \"Read([x)\": bad glob in Read(…): '[' without a closing ']'",
            "4:14: error: \"allow\" must be an array of rule strings, found string",
            "5:20: error: defaultMode \"yolo\" is not one of acceptEdits, auto, bypassPermissions, default, dontAsk, plan",
            "6:5: warning: unknown key \"colour\" in \"permissions\"; Claude Code and Warden ignore it",
            "8:14: error: unknown Warden setting \"unverifiable\" (known: unverifiableCommands, detection, audit, export)",
            "9:3: warning: unknown setting \"telemetry\"; Claude Code and Warden ignore it",
            "10:24: error: cleanupPeriodDays must be a whole number of days, 0 or more",
        ])
    }

    @Test func exportSettingsAreCheckedWithTheirPositions() throws {
        let good = try Policy.parse(text: #"{"warden": {"export": {"otlp": {"endpoint": "https://collector.example:4318", "batchSize": 50}}}}"#, path: nil)
        #expect(good.export.otlp?.endpoint.logsURL == "https://collector.example:4318/v1/logs")
        #expect(good.export.otlp?.batchSize == 50)
        let text = """
            {"warden": {"export": {"otlp": {"endpoint": "collector:4318", "maxAttempts": 0, "retries": 3}}}}
            """
        let (policy, problems) = Policy.load(text: text, path: "p.json")
        #expect(policy == nil)
        #expect(problems.map(\.description) == [
            "1:45: error: warden.export.otlp.endpoint: expected an http:// or https:// URL, got \"collector:4318\"",
            "1:78: error: warden.export.otlp.maxAttempts must be a whole number from 1 to 100",
            "1:81: error: unknown setting warden.export.otlp.retries (known: endpoint, headers, headersFromEnvironment, batchSize, timeoutSeconds, maxAttempts, certificate, clientCertificate, clientKey)",
        ])
    }

    @Test func warningsAloneDoNotStopEnforcement() {
        let (policy, problems) = Policy.load(text: #"{"permissions": {"deny": ["Agent(Explore)"]}, "newSetting": 1}"#, path: nil)
        #expect(policy != nil)
        #expect(problems.allSatisfy { $0.severity == .warning } && problems.count == 2)
    }

    @Test func invalidJSONNamesTheFileLineAndColumn() {
        #expect(throws: PolicyLoadError.self) { try Policy.parse(text: "{\n  \"permissions\": {,}\n}", path: "/etc/p.json") }
        do {
            _ = try Policy.parse(text: "{\n  \"permissions\": {,}\n}", path: "/etc/p.json")
        } catch {
            #expect(error.description == "/etc/p.json:2:19: not valid JSON: expected a key in double quotes, found ','")
        }
    }

    @Test func duplicateKeysAreErrors() {
        let (_, problems) = Policy.load(text: #"{"permissions": {"deny": [], "deny": ["Bash"]}}"#, path: nil)
        #expect(problems.first?.message == "key \"deny\" appears twice in \"permissions\"; only the last one counts")
    }
}

/// Decisions for tools other than Bash.
@Suite struct ToolDecisionTests {
    static let policy = try! Policy(
        deny: ["Read(**/.env*)", "Read(~/.ssh/**)", "Edit(//etc/**)", "WebFetch(domain:evil.example)", "mcp__github__delete_repo"],
        ask: ["Write(**/*.lock)", "mcp__slack"],
        allow: ["Read(src/**)", "Edit(src/**)", "WebFetch(domain:docs.example.com)", "mcp__github", "Grep", "TodoWrite"])
    static let engine = PolicyEngine(policy: policy, home: "/home/dev")

    func decide(_ tool: String, _ input: JSONValue, cwd: String = "/work/p", mode: String? = nil) -> Decision {
        Self.engine.decide(ToolCall(toolName: tool, input: input, workingDirectory: cwd, permissionMode: mode))
    }

    @Test(arguments: [
        ("Read", "/work/p/.env", Verdict.deny),
        ("Read", "/work/p/config/.env.local", .deny),
        ("Read", "/home/dev/.ssh/id_rsa", .deny),
        ("Read", "/work/p/sub/../.env", .deny),
        ("Read", "/work/p/src/main.swift", .allow),
        ("Read", "/work/p/README.md", .none),
        ("Edit", "/etc/hosts", .deny),
        ("Write", "/etc/cron.d/job", .deny),
        ("MultiEdit", "/etc/passwd", .deny),
        ("Write", "/work/p/Package.lock", .ask),
        ("Edit", "/work/p/src/a.swift", .allow),
        ("Write", "/work/p/src/a.swift", .allow),
        ("Edit", "/work/p/.env", .none),  // Read rules do not govern writing
    ])
    func filePaths(tool: String, path: String, verdict: Verdict) {
        let decision = decide(tool, .object(["file_path": .string(path)]))
        #expect(decision.verdict == verdict, "\(tool) \(path): \(decision.reason ?? "-")")
    }

    @Test func relativePathsUseTheWorkingDirectory() {
        #expect(decide("Read", .object(["file_path": .string(".env")])).verdict == .deny)
        #expect(decide("Read", .object(["file_path": .string("src/x")])).verdict == .allow)
    }

    @Test func denyReasonNamesTheRuleAndThePath() {
        let decision = decide("Read", .object(["file_path": .string("/home/dev/.ssh/id_rsa")]))
        #expect(decision.reason == "Warden denied this: rule deny Read(~/.ssh/**) matches /home/dev/.ssh/id_rsa.")
    }

    @Test func searchToolsAreJudgedByTheirTargets() {
        #expect(decide("Grep", .object(["pattern": .string("KEY"), "path": .string("/home/dev/.ssh")])).verdict == .deny)
        #expect(decide("Glob", .object(["pattern": .string("**/.env")])).verdict == .deny)
        #expect(decide("Grep", .object(["pattern": .string("TODO"), "glob": .string(".env*")])).verdict == .deny)
        #expect(decide("Grep", .object(["pattern": .string("TODO")])).verdict == .allow)
    }

    @Test func notebookEditUsesNotebookPath() {
        #expect(decide("NotebookEdit", .object(["notebook_path": .string("/etc/x.ipynb")])).verdict == .deny)
    }

    @Test(arguments: [
        ("https://evil.example/x", Verdict.deny),
        ("https://api.evil.example:8443/x", .deny),
        ("https://user@EVIL.example./", .deny),
        ("https://notevil.example/", .none),
        ("https://docs.example.com/guide", .allow),
        ("https://sub.docs.example.com/", .allow),
        ("https://example.com/", .none),
        ("not a url", .deny),
    ])
    func webFetchDomains(url: String, verdict: Verdict) {
        #expect(decide("WebFetch", .object(["url": .string(url)])).verdict == verdict, "\(url)")
    }

    @Test(arguments: [
        ("mcp__github__delete_repo", Verdict.deny),
        ("mcp__github__list_issues", .allow),
        ("mcp__slack__post_message", .ask),
        ("mcp__slackbot__x", .none),
        ("TodoWrite", .allow),
        ("Task", .none),
    ])
    func toolNames(tool: String, verdict: Verdict) {
        #expect(decide(tool, .object([:])).verdict == verdict, "\(tool)")
    }

    @Test func malformedCallsAreDenied() {
        #expect(decide("Read", .object([:])).verdict == .deny)
        #expect(decide("Write", .object(["file_path": .number(1)])).verdict == .deny)
        #expect(decide("Bash", .object(["cmd": .string("ls")])).verdict == .deny)
    }

    @Test func bypassModeIsDeniedWhenThePolicyDisablesIt() throws {
        var policy = try Policy(allow: ["Read"])
        policy = Policy(rules: policy.rules, bypassPermissionsDisabled: true)
        let engine = PolicyEngine(policy: policy, home: nil)
        let call = ToolCall(toolName: "Read", input: .object(["file_path": .string("/x")]), workingDirectory: "/", permissionMode: "bypassPermissions")
        #expect(engine.decide(call).verdict == .deny)
        #expect(engine.decide(call).reason == "Warden denied this: bypassPermissions mode is disabled by the managed policy.")
        let normal = ToolCall(toolName: "Read", input: .object(["file_path": .string("/x")]), workingDirectory: "/", permissionMode: "default")
        #expect(engine.decide(normal).verdict == .allow)
    }

    struct LinkedFileSystem: FileSystemView {
        func resolvedPath(_ path: String) -> String? { path == "/work/p/innocent" ? "/work/p/.env" : nil }
        func expandGlob(_ pattern: String) -> [String] { [] }
    }

    @Test func symbolicLinksAreFollowed() {
        let engine = PolicyEngine(policy: Self.policy, home: "/home/dev", fileSystem: LinkedFileSystem())
        let decision = engine.decide(ToolCall(toolName: "Read", input: .object(["file_path": .string("/work/p/innocent")]), workingDirectory: "/work/p"))
        #expect(decision.verdict == .deny)
        #expect(decision.reason?.contains("/work/p/.env (from /work/p/innocent)") == true)
    }
}
