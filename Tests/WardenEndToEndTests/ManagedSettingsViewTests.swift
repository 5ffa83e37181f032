import Foundation
import Subprocess
import Testing

#if canImport(System)
import System
#else
import SystemPackage
#endif

/// The CLI's own view of /etc/claude-code (`ManagedSettingsView`), without the CLI: what a
/// program run the way the harness runs `claude` finds there.
@Suite struct ManagedSettingsViewTests {
    /// Runs `script` with `sh -c` as the harness would run the CLI for `session`.
    func run(_ script: String, _ session: ClaudeCodeSession) async throws -> (status: TerminationStatus, out: String) {
        let workspace = try TemporaryDirectory()
        let command = try ManagedSettingsView.command(claude: "/bin/sh", for: session, in: workspace.url)
        let result = try await Subprocess.run(
            .path(FilePath(command[0])), arguments: Arguments(Array(command.dropFirst()) + ["-c", script]),
            output: .string(limit: 1 << 20), error: .string(limit: 1 << 20))
        return (result.terminationStatus, result.standardOutput + result.standardError)
    }

    static let listing = "ls -A /etc/claude-code; cat /etc/claude-code/managed-settings.json 2>&1; echo end"

    @Test func theMachinesManagedSettingsAreHiddenAndTheSessionsOwnShown() async throws {
        let machine = #"{"permissions": {"deny": ["Bash"]}}"#
        let own = #"{"permissions": {"deny": ["Bash(cat:*)"]}}"#

        // The decoy works: without its own view, the program sees the machine's file.
        let exposed = try await run(Self.listing, ClaudeCodeSession(script: [], machineManagedSettings: machine, ownManagedSettingsView: false))
        #expect(exposed.status == .exited(0))
        #expect(exposed.out == "managed-settings.json\n\(machine)end\n")

        let hidden = try await run(Self.listing, ClaudeCodeSession(script: [], machineManagedSettings: machine))
        #expect(hidden.status == .exited(0))
        #expect(hidden.out.hasPrefix("cat: /etc/claude-code/managed-settings.json: No such file or directory\nend\n"), "\(hidden.out)")

        let replaced = try await run(Self.listing, ClaudeCodeSession(script: [], managedSettings: own, machineManagedSettings: machine))
        #expect(replaced.out == "managed-settings.json\n\(own)end\n")
        // Read-only: the CLI cannot change its managed settings.
        let write = try await run("echo {} > /etc/claude-code/managed-settings.json", ClaudeCodeSession(script: [], managedSettings: own))
        #expect(write.status != .exited(0))
    }

    @Test func theRestOfEtcIsTheMachinesAndNothingIsLeftOnIt() async throws {
        let hostname = try String(contentsOfFile: "/etc/hostname", encoding: .utf8)
        let seen = try await run("cat /etc/hostname; readlink /etc/mtab; test -e /etc/passwd && echo passwd", ClaudeCodeSession(script: []))
        #expect(seen.status == .exited(0))
        let expectedLink = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/etc/mtab")).map { $0 + "\n" } ?? ""
        #expect(seen.out == hostname + expectedLink + "passwd\n")
        // The view's /etc/claude-code is made in the namespace's tmpfs, never on the real /etc.
        let existed = FileManager.default.fileExists(atPath: "/etc/claude-code")
        _ = try await run("true", ClaudeCodeSession(script: [], managedSettings: "{}", machineManagedSettings: "{}"))
        #expect(FileManager.default.fileExists(atPath: "/etc/claude-code") == existed)
    }

    @Test func argumentsBindEveryEntryButClaudeCodeAndRecreateSymlinks() {
        let arguments = ManagedSettingsView.bwrapArguments(
            managedSettings: "/tmp/w/managed-settings.json",
            etc: [.bind("/etc/hosts"), .symlink("/etc/mtab", target: "../proc/self/mounts")])
        #expect(arguments == [
            "--die-with-parent", "--dev-bind", "/", "/", "--tmpfs", "/etc",
            "--bind", "/etc/hosts", "/etc/hosts", "--symlink", "../proc/self/mounts", "/etc/mtab",
            "--dir", "/etc/claude-code", "--ro-bind", "/tmp/w/managed-settings.json", "/etc/claude-code/managed-settings.json",
        ])
        #expect(ManagedSettingsView.bwrapArguments(managedSettings: nil, etc: []).suffix(2) == ["--dir", "/etc/claude-code"])
    }
}

/// The real CLI obeys the managed settings a test gives it, and the machine's neither help nor
/// hurt. The machine's are stood in for by an outer mount namespace (`machineManagedSettings`):
/// writing the real /etc/claude-code/managed-settings.json would govern every other Claude Code
/// session on the machine, the other test processes running in parallel included, and leave
/// it behind if the test process were killed.
@Suite(
    "Claude Code's managed settings in the end-to-end tests",
    .enabled("the Claude Code CLI is not installed (Scripts/install-claude-code.sh, or set WARDEN_CLAUDE_BIN)") {
        await ClaudeCode.shouldRun()
    }
)
struct ManagedSettingsEndToEndTests {
    static let projectFiles = ["hello.txt": "hello from the project\n"]

    @Test("a test's own managed settings are obeyed: a managed deny refuses `cat hello.txt`")
    func aTestsOwnManagedSettingsAreObeyed() async throws {
        let claude = try await ClaudeCode.requireBinary()
        let session = ClaudeCodeSession(
            script: [.bash("cat hello.txt", description: "Show the file"), .text("done")],
            projectFiles: Self.projectFiles,
            hook: .none,
            managedSettings: #"{"permissions": {"deny": ["Bash(cat:*)"]}}"#
        )
        let outcome = try await ClaudeCode.run(session, claude: claude)
        try #require(outcome.succeeded, "\(outcome.diagnostics)")
        let cat = try #require(outcome.bashExchange("cat hello.txt"), "no tool_result for `cat hello.txt`\n\(outcome.diagnostics)")
        #expect(cat.isError, "`cat hello.txt` was not refused: \(cat.text)")
        let leaked = outcome.serverReceived("hello from the project")
        #expect(!leaked, "the file reached the model\n\(outcome.diagnostics)")
    }

    /// The machine denies `cat` and allows `touch`. In the CLI's own view neither holds: `cat`
    /// runs (Claude Code lets a read-only command run under -p) and `touch` is refused (it needs
    /// someone to approve it). Without the view, both hold: the control, which shows that the
    /// stand-in is what a real installation would be.
    @Test("a machine's managed settings neither help nor hurt a session; without its own view they would")
    func theMachinesManagedSettingsNeitherHelpNorHurt() async throws {
        let claude = try await ClaudeCode.requireBinary()
        let machine = #"{"permissions": {"deny": ["Bash(cat:*)"], "allow": ["Bash(touch:*)"]}}"#
        func session(ownView: Bool) -> ClaudeCodeSession {
            ClaudeCodeSession(
                script: [
                    .bash("cat hello.txt", description: "Show the file"),
                    .bash("touch made-by-agent.txt", description: "Create a file"),
                    .text("done"),
                ],
                projectFiles: Self.projectFiles,
                hook: .none,
                machineManagedSettings: machine,
                ownManagedSettingsView: ownView
            )
        }
        async let isolatedRun = ClaudeCode.run(session(ownView: true), claude: claude)
        async let exposedRun = ClaudeCode.run(session(ownView: false), claude: claude)
        let (isolated, exposed) = try await (isolatedRun, exposedRun)

        try #require(isolated.succeeded, "\(isolated.diagnostics)")
        let cat = try #require(isolated.bashExchange("cat hello.txt"), "\(isolated.diagnostics)")
        #expect(!cat.isError && cat.text.contains("hello from the project"), "the machine's deny hurt: \(cat.text)")
        let touch = try #require(isolated.bashExchange("touch made-by-agent.txt"), "\(isolated.diagnostics)")
        #expect(touch.isError, "the machine's allow helped: \(touch.text)")
        #expect(!FileManager.default.fileExists(atPath: isolated.projectDirectory.appendingPathComponent("made-by-agent.txt").path))

        try #require(exposed.succeeded, "\(exposed.diagnostics)")
        let exposedCat = try #require(exposed.bashExchange("cat hello.txt"), "\(exposed.diagnostics)")
        #expect(exposedCat.isError, "the stand-in for the machine's settings did not deny `cat`: \(exposedCat.text)")
        let exposedTouch = try #require(exposed.bashExchange("touch made-by-agent.txt"), "\(exposed.diagnostics)")
        #expect(!exposedTouch.isError, "the stand-in for the machine's settings did not allow `touch`: \(exposedTouch.text)")
        #expect(FileManager.default.fileExists(atPath: exposed.projectDirectory.appendingPathComponent("made-by-agent.txt").path))
    }
}
