import Foundation
import Subprocess
import Testing
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// `warden install` and `warden uninstall` into a scratch root: every system path is an option, and
/// git's system configuration is redirected with GIT_CONFIG_SYSTEM.
@Suite(.serialized) struct InstallProcessTests {
    struct Root {
        let base: String
        var prefix: String { base + "/usr/local" }
        var settings: String { base + "/etc/claude-code/managed-settings.json" }
        var state: String { base + "/var/lib/warden" }
        var profileDirectory: String { base + "/etc/profile.d" }
        var gitConfig: String { base + "/etc/gitconfig" }
        var options: [String] {
            ["--prefix", prefix, "--settings", settings, "--state-directory", state, "--profile-directory", profileDirectory]
        }
        var environment: [String: String?] { ["GIT_CONFIG_SYSTEM": gitConfig, "WARDEN_SHARE": packageRoot] }

        init() throws {
            base = FileManager.default.temporaryDirectory.appendingPathComponent("warden-install-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: base + "/etc", withIntermediateDirectories: true)
        }

        func write(_ path: String, _ text: String) throws {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }

        func read(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }

        /// Every file under the root with its contents, to compare a tree before and after.
        func snapshot() -> [String: String] {
            var files: [String: String] = [:]
            let enumerator = FileManager.default.enumerator(atPath: base)
            while let path = enumerator?.nextObject() as? String {
                var isDirectory: ObjCBool = false
                _ = FileManager.default.fileExists(atPath: base + "/" + path, isDirectory: &isDirectory)
                files[path] = isDirectory.boolValue ? "<dir>" : (read(base + "/" + path) ?? "<binary>")
            }
            return files
        }
    }

    // Hand-formatted, with a key Warden does not own, a rule of the admin's and a git setting.
    let adminSettings = """
        {
            "model" : "claude-opus",
            "permissions": { "deny": [ "Bash(rm:*)" ] }
        }

        """

    @Test func installTwiceThenUninstallLeavesEverythingAsItWas() async throws {
        let root = try Root()
        try root.write(root.settings, adminSettings)
        try root.write(root.gitConfig, "[core]\n\tautocrlf = input\n")
        try root.write(root.prefix + "/bin/warden-hook", "an older hook\n")
        let before = root.snapshot()

        let first = try await runWarden(["install", "--profile", "strict", "--lock", "--git", "--shell", "--no-strip"] + root.options, environment: root.environment)
        #expect(first.exitCode == 0, "\(first.stderr)")
        let installed = try #require(root.read(root.settings))
        #expect(installed.contains("\"model\": \"claude-opus\""))
        #expect(installed.contains("\(root.prefix)/bin/warden-hook --run-policy=\(root.settings)"))
        #expect(installed.contains("\"command\": \"\(root.prefix)/bin/warden-hook --policy \(root.settings)\""))
        #expect(installed.contains("\"allowManagedHooksOnly\": true"))
        #expect(FileManager.default.isExecutableFile(atPath: root.prefix + "/bin/warden"))
        #expect(FileManager.default.fileExists(atPath: root.profileDirectory + "/warden-claude.sh"))
        #expect(root.read(root.gitConfig)?.contains("hooksPath = \(root.prefix)/share/warden/git-hooks") == true)
        let check = try await runWarden(["policy", "check", root.settings])
        #expect(check.exitCode == 0, "\(check.stdout)\(check.stderr)")

        let afterFirst = root.snapshot()
        let second = try await runWarden(["install", "--profile", "strict", "--lock", "--git", "--shell", "--no-strip"] + root.options, environment: root.environment)
        #expect(second.exitCode == 0, "\(second.stderr)")
        #expect(second.stdout.contains("nothing to change"))
        #expect(root.snapshot() == afterFirst)

        let uninstall = try await runWarden(["uninstall"] + root.options, environment: root.environment)
        #expect(uninstall.exitCode == 0, "\(uninstall.stderr)")
        #expect(root.read(root.settings) == adminSettings)
        #expect(root.snapshot() == before)
    }

    @Test("installed binaries are stripped by binutils' strip and still run; without strip, install says what to do")
    func installedBinariesAreStripped() async throws {
        let root = try Root()
        let install = try await runWarden(["install"] + root.options, environment: root.environment)
        #expect(install.exitCode == 0, "\(install.stderr)")
        #expect(install.stdout.contains("(stripped)"), "\(install.stdout)")
        let built = builtProduct("warden", override: "WARDEN_BIN")
        for name in ["warden", "warden-hook", "warden-sandbox-init"] {
            let installed = root.prefix + "/bin/" + name
            let source = (built as NSString).deletingLastPathComponent + "/" + name
            let sizes = try [installed, source].map { try #require(FileManager.default.attributesOfItem(atPath: $0)[.size] as? Int) }
            #expect(sizes[0] < sizes[1], "\(name): \(sizes[0]) bytes installed, \(sizes[1]) built")
            let symbols = try await run(.name("nm"), arguments: [installed], output: .string(limit: 1 << 16), error: .string(limit: 1 << 16))
            #expect(symbols.standardError.contains("no symbols"), "\(name): \(symbols.standardError)")
        }
        let version = try await run(.path(FilePath(root.prefix + "/bin/warden")), arguments: ["--version"], output: .string(limit: 1 << 10))
        #expect(version.terminationStatus == .exited(0) && !version.standardOutput.isEmpty)

        let elsewhere = try Root()
        let refused = try await runWarden(["install"] + elsewhere.options, environment: elsewhere.environment.merging(["PATH": "/nonexistent"]) { $1 })
        #expect(refused.exitCode == 1)
        #expect(refused.stderr.hasPrefix("warden: strip: cannot run") && refused.stderr.contains("install binutils or pass --no-strip"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: elsewhere.prefix + "/bin/warden"))
    }

    @Test func uninstallKeepsWhatTheAdminChangedAfterInstall() async throws {
        let root = try Root()
        let install = try await runWarden(["install", "--no-strip"] + root.options, environment: root.environment)
        #expect(install.exitCode == 0, "\(install.stderr)")
        var text = try #require(root.read(root.settings))
        text = text.replacingOccurrences(of: "\"Bash(curl:*)\",", with: "\"Bash(curl:*)\", \"Bash(nc:*)\",")
        try root.write(root.settings, text)
        let uninstall = try await runWarden(["uninstall"] + root.options, environment: root.environment)
        #expect(uninstall.exitCode == 0, "\(uninstall.stderr)")
        let left = try #require(root.read(root.settings))
        #expect(left.contains("Bash(nc:*)"))
        #expect(!left.contains("Bash(curl:*)") && !left.contains("warden-hook"))
        #expect(!FileManager.default.fileExists(atPath: root.prefix + "/bin/warden"))
        #expect(!FileManager.default.fileExists(atPath: root.state))
    }

    @Test func aSettingsFileThatDoesNotParseIsRefusedWithItsPosition() async throws {
        let root = try Root()
        try root.write(root.settings, "{\n  \"permissions\": {\"deny\": [\"Bash(rm:*)\",]}\n}\n")
        let before = root.snapshot()
        let result = try await runWarden(["install", "--no-strip"] + root.options, environment: root.environment)
        #expect(result.exitCode == 1)
        #expect(result.stderr.hasPrefix("warden: \(root.settings):2:"))
        #expect(result.stderr.split(separator: "\n").count == 1)
        // Nothing of the settings, and no record: the failed install left no half-done state behind
        // that uninstall could not take back (binaries may be in place; they are recorded only with it).
        #expect(root.read(root.settings) == before.first { $0.key.hasSuffix("managed-settings.json") }?.value)
    }

    @Test func binariesAreStripped() async throws {
        let root = try Root()
        let result = try await runWarden(["install"] + root.options, environment: root.environment)
        #expect(result.exitCode == 0, "\(result.stderr)")
        let built = try FileManager.default.attributesOfItem(atPath: builtProduct("warden-hook", override: "WARDEN_HOOK_BIN"))[.size] as? Int ?? 0
        let installed = try FileManager.default.attributesOfItem(atPath: root.prefix + "/bin/warden-hook")[.size] as? Int ?? 0
        #expect(installed > 0 && installed < built)
        _ = try await runWarden(["uninstall"] + root.options, environment: root.environment)
        #expect(!FileManager.default.fileExists(atPath: root.prefix))
    }

    @Test func theGitGuardBlocksASecretAndHandsOnToTheRepositorysOwnHook() async throws {
        let root = try Root()
        let install = try await runWarden(["install", "--git", "--no-strip"] + root.options, environment: root.environment)
        #expect(install.exitCode == 0, "\(install.stderr)")
        let repository = root.base + "/repo"
        try FileManager.default.createDirectory(atPath: repository + "/.git", withIntermediateDirectories: true)
        func git(_ arguments: [String]) throws -> (Int32, String) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["git", "-c", "user.email=dev@warden.test", "-c", "user.name=Dev", "-c", "commit.gpgsign=false"] + arguments
            process.currentDirectoryURL = URL(fileURLWithPath: repository)
            process.environment = ProcessInfo.processInfo.environment.merging(["GIT_CONFIG_SYSTEM": root.gitConfig]) { $1 }
            let pipe = Pipe()
            process.standardError = pipe
            process.standardOutput = pipe
            try process.run()
            let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return (process.terminationStatus, output)
        }
        #expect(try git(["init", "-q", "-b", "main"]).0 == 0)
        // The repository's own hook leaves a mark, so that its running can be seen.
        // Made executable by install(1) in a child, not written here (a descriptor open for
        // writing here, inherited by a child another test forks, makes exec fail with ETXTBSY).
        try root.write(root.base + "/own-hook.txt", "#!/bin/sh\ntouch \"$(git rev-parse --git-dir)/own-hook-ran\"\n")
        let installed = try await run(.name("install"), arguments: ["-m", "755", root.base + "/own-hook.txt", repository + "/.git/hooks/pre-commit"], output: .discarded, error: .discarded)
        try #require(installed.terminationStatus == .exited(0))

        try root.write(repository + "/deploy.sh", "export AWS_ACCESS_KEY_ID=" + "AKIA" + "Z7QRSTUVWXY23456\n")
        #expect(try git(["add", "deploy.sh"]).0 == 0)
        let (blocked, output) = try git(["commit", "-q", "-m", "deploy"])
        #expect(blocked == 1, "\(output)")
        #expect(output.contains("AWS_ACCESS_KEY_ID AKIA****"))
        #expect(!FileManager.default.fileExists(atPath: repository + "/.git/own-hook-ran"))

        try root.write(repository + "/deploy.sh", "export AWS_ACCESS_KEY_ID=\"$(vault read key)\"\n")
        #expect(try git(["add", "deploy.sh"]).0 == 0)
        let (committed, cleanOutput) = try git(["commit", "-q", "-m", "deploy"])
        #expect(committed == 0, "\(cleanOutput)")
        #expect(FileManager.default.fileExists(atPath: repository + "/.git/own-hook-ran"))
        _ = try await runWarden(["uninstall"] + root.options, environment: root.environment)
    }

    @Test func withoutAnInstallUninstallSaysSo() async throws {
        let root = try Root()
        let result = try await runWarden(["uninstall"] + root.options, environment: root.environment)
        #expect(result.exitCode == 1)
        #expect(result.stderr == "warden: no install record at \(root.state)/install.json: nothing to uninstall\n")
    }
}
