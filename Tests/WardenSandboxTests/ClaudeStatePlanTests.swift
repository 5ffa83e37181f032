import Testing
@testable import WardenSandbox

/// Claude Code's ~/.claude.json inside the sandbox: the CLI saves it through a lock directory and
/// a temporary file beside it, which the read-only home refuses; the plan moves it (bound) into
/// the writable ~/.claude with CLAUDE_CONFIG_DIR.
@Suite("Claude Code's state in the plan")
struct ClaudeStatePlanTests {
    @Test("for claude: ~/.claude.json is bound at ~/.claude/.claude.json, after ~/.claude, and CLAUDE_CONFIG_DIR names ~/.claude")
    func relocatedForClaude() throws {
        let plan = try makePlan()
        let bound = try #require(plan.mount(at: "/home/dev/.claude/.claude.json"))
        #expect(bound.kind == .writableBind)
        #expect(bound.source == "/home/dev/.claude.json")
        #expect(bound.reason.contains("CLAUDE_CONFIG_DIR"))
        let directory = try #require(plan.index(of: "/home/dev/.claude"))
        #expect(try #require(plan.index(of: "/home/dev/.claude/.claude.json")) > directory)
        #expect(plan.environment.set.contains { $0.name == "CLAUDE_CONFIG_DIR" && $0.value == "/home/dev/.claude" })
        // The mount point does not exist on the host: a placeholder, removed after the session.
        #expect(plan.hostPlaceholders.contains { $0.path == "/home/dev/.claude/.claude.json" && $0.kind == .file })
        // The home's own ~/.claude.json stays bound too, and the protections in ~/.claude stay.
        #expect(plan.mount(at: "/home/dev/.claude.json")?.kind == .writableBind)
        #expect(plan.mount(at: "/home/dev/.claude/settings.json")?.kind == .readOnlyBind)
        #expect(plan.bwrapArguments.joined(separator: " ").contains("--bind /home/dev/.claude.json /home/dev/.claude/.claude.json"))
    }

    @Test("an existing ~/.claude/.claude.json is bound over, without a placeholder")
    func existingMountPoint() throws {
        var disk = standardDisk()
        disk.add("/home/dev/.claude/.claude.json", "{}")
        let plan = try makePlan(disk: disk)
        #expect(plan.mount(at: "/home/dev/.claude/.claude.json")?.source == "/home/dev/.claude.json")
        #expect(!plan.hostPlaceholders.contains { $0.path == "/home/dev/.claude/.claude.json" })
    }

    @Test("not for another command, nor when CLAUDE_CONFIG_DIR is set already")
    func leftAlone() throws {
        for plan in [
            try makePlan(command: ["/bin/sh"], claude: false),
            try makePlan(environment: [("PATH", "/usr/bin"), ("HOME", "/home/dev"), ("CLAUDE_CONFIG_DIR", "/home/dev/cc")]),
        ] {
            #expect(plan.mount(at: "/home/dev/.claude/.claude.json") == nil)
            #expect(!plan.environment.set.contains { $0.name == "CLAUDE_CONFIG_DIR" })
            #expect(!plan.hostPlaceholders.contains { $0.path == "/home/dev/.claude/.claude.json" })
        }
    }
}
