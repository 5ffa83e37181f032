// `warden redact`, `warden scan` and `warden precommit` as processes; precommit against real git
// repositories made here.

import Foundation
import Subprocess
import Testing

#if canImport(System)
import System
#else
import SystemPackage
#endif

private enum Values {
    static let email = "ada.lovelace" + "@" + "analytical.co.uk"
    static let awsKey = "AKIA" + "Z7QRSTUVWXY23456"
    static let card = "4111 1111" + " 1111 1111"
}

/// A git repository in a fresh directory, with an identity so that commits work anywhere.
private struct Repository {
    let path: String

    init() async throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("warden-git-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try await git("init", "-q", "-b", "main")
        try await git("config", "user.email", "dev@warden.test")
        try await git("config", "user.name", "Warden Test")
        try await git("config", "commit.gpgsign", "false")
    }

    @discardableResult
    func git(_ arguments: String...) async throws -> CommandOutput {
        let result = try await run(
            .name("git"), arguments: Arguments(arguments), workingDirectory: FilePath(path),
            output: .string(limit: 1 << 20), error: .string(limit: 1 << 20))
        let output = CommandOutput(status: result.terminationStatus, stdout: result.standardOutput, stderr: result.standardError)
        #expect(output.exitCode == 0, "git \(arguments.joined(separator: " ")): \(output.stderr)")
        return output
    }

    func write(_ name: String, _ contents: String) throws {
        let url = URL(fileURLWithPath: path).appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try contents.write(to: url, atomically: true, encoding: .utf8)
    }

    func stage(_ name: String, _ contents: String) async throws {
        try write(name, contents)
        try await git("add", name)
    }

    func precommit(_ extra: [String] = [], policy: String? = nil) async throws -> CommandOutput {
        try await runWarden(["precommit"] + extra, in: path, environment: ["WARDEN_POLICY": policy])
    }
}

@Suite struct RedactCommandTests {
    @Test func stdinIsRedactedToStdout() async throws {
        let output = try await runWarden(["redact", "--summary"], stdin: "user \(Values.email)\nkey \(Values.awsKey)\nplain\n")
        #expect(output.exitCode == 0)
        #expect(output.stdout == "user [REDACTED:EMAIL]\nkey [REDACTED:AWS_ACCESS_KEY_ID]\nplain\n")
        #expect(output.stderr == "warden redact: AWS_ACCESS_KEY_ID 1, EMAIL 1\n")
    }

    @Test func pseudonymsNameEachValue() async throws {
        let other = "grace" + "@" + "navy-cobol.org"
        let output = try await runWarden(["redact", "--style", "pseudonym"], stdin: "\(Values.email) \(other) \(Values.email)\n")
        #expect(output.stdout == "<EMAIL_1> <EMAIL_2> <EMAIL_1>\n")
    }

    @Test func thePolicyChoosesTheKinds() async throws {
        let policy = try temporaryFile("p.json", #"{"warden": {"detection": {"toolOutput": {"pii": "allow"}}}}"#)
        let output = try await runWarden(["redact", "--policy", policy], stdin: "\(Values.email) \(Values.awsKey)\n")
        #expect(output.stdout == "\(Values.email) [REDACTED:AWS_ACCESS_KEY_ID]\n")
    }

    @Test func anUnreadableFileIsOneLine() async throws {
        let output = try await runWarden(["redact", "/nonexistent/warden-input"])
        #expect(output.exitCode != 0)
        #expect(output.stderr == "warden: cannot read /nonexistent/warden-input: No such file or directory\n")
    }
}

@Suite struct ScanCommandTests {
    func tree() throws -> String {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("warden-scan-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root + "/src/.git", withIntermediateDirectories: true)
        try "let key = \"\(Values.awsKey)\"\n".write(toFile: root + "/src/config.swift", atomically: true, encoding: .utf8)
        try "owner: \(Values.email)\nfixture: \(Values.email) # warden:allow\n".write(toFile: root + "/README.md", atomically: true, encoding: .utf8)
        try "\(Values.awsKey)".write(toFile: root + "/src/.git/config", atomically: true, encoding: .utf8)
        try Data([0x89, 0x50, 0x00] + Array(Values.awsKey.utf8)).write(to: URL(fileURLWithPath: root + "/logo.png"))
        return root
    }

    @Test func findingsAreListedWithMaskedPreviewsAndExitOne() async throws {
        let root = try tree()
        let output = try await runWarden(["scan", root])
        #expect(output.exitCode == 1)
        let lines = output.stdout.split(separator: "\n")
        #expect(lines.count == 2, "\(output.stdout)")
        #expect(lines[0].hasPrefix("\(root)/README.md:1:8: EMAIL a****************"))
        #expect(lines[1].hasPrefix("\(root)/src/config.swift:1:12: AWS_ACCESS_KEY_ID AKIA****************"))
        #expect(!output.stdout.contains(Values.email) && !output.stdout.contains(Values.awsKey))
    }

    @Test func jsonAndSarifCarryTheSameFindings() async throws {
        let root = try tree()
        let json = try await runWarden(["scan", "--format", "json", root])
        let findings = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(findings.map { $0["kind"] as? String } == ["EMAIL", "AWS_ACCESS_KEY_ID"])
        let sarif = try await runWarden(["scan", "--format", "sarif", root])
        let log = try #require(try JSONSerialization.jsonObject(with: Data(sarif.stdout.utf8)) as? [String: Any])
        #expect(log["version"] as? String == "2.1.0")
        let results = try #require(((log["runs"] as? [[String: Any]])?.first?["results"]) as? [[String: Any]])
        #expect(results.count == 2)
        #expect(!sarif.stdout.contains(Values.awsKey))
    }

    @Test func nothingFoundIsExitZeroAndIgnoredFingerprintsStayQuiet() async throws {
        let root = try tree()
        let first = try await runWarden(["scan", "--format", "json", root])
        let findings = try #require(try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [[String: Any]])
        let ignore = try temporaryFile("ignore", findings.compactMap { $0["fingerprint"] as? String }.joined(separator: "\n") + "\n")
        let output = try await runWarden(["scan", "--ignore-file", ignore, root])
        #expect(output.exitCode == 0 && output.stdout.isEmpty, "\(output.stdout)")
    }

    @Test func kindsAndMistakes() async throws {
        let root = try tree()
        let secretsOnly = try await runWarden(["scan", "--kinds", "secret", root])
        #expect(secretsOnly.stdout.split(separator: "\n").count == 1)
        let wrong = try await runWarden(["scan", "--kinds", "EMAL", root])
        #expect(wrong.exitCode == 2)
        #expect(wrong.stderr == "warden scan: --kinds: unknown kind \"EMAL\"; see `warden scan --list-kinds`\n")
        let missing = try await runWarden(["scan", "/nonexistent/dir"])
        #expect(missing.exitCode == 2)
        let kinds = try await runWarden(["scan", "--list-kinds"])
        #expect(kinds.stdout.contains("EMAIL\tpii\n") && kinds.stdout.contains("AWS_ACCESS_KEY_ID\tsecret\n"))
    }
}

@Suite struct PrecommitCommandTests {
    @Test func aCleanCommitPasses() async throws {
        let repo = try await Repository()
        try await repo.stage("src/main.swift", "print(\"hello\")\n// contact: \(Values.email)\n")
        let output = try await repo.precommit()
        #expect(output.exitCode == 0, "\(output.stderr)")
        #expect(output.stdout.isEmpty)
    }

    @Test func onlyWhatTheCommitAddsIsScanned() async throws {
        let repo = try await Repository()
        try await repo.stage("config.ini", "[aws]\nkey = \(Values.awsKey)\n")
        try await repo.git("commit", "-q", "--no-verify", "-m", "history already has it")
        try repo.write("config.ini", "[aws]\nkey = \(Values.awsKey)\nregion = eu-west-1\n")
        try await repo.git("add", "config.ini")
        #expect(try await repo.precommit().exitCode == 0)

        try await repo.stage("notes.txt", "one\ntwo\ncard \(Values.card)\n")
        let output = try await repo.precommit()
        #expect(output.exitCode == 1)
        #expect(output.stdout.hasPrefix("notes.txt:3:6: CREDIT_CARD 4****************"), "\(output.stdout)")
        #expect(output.stderr.contains("warden precommit: commit blocked: 1 finding in 1 file."))
        #expect(!output.stdout.contains(Values.card) && !output.stderr.contains(Values.card))
    }

    @Test func theRealHookBlocksTheCommit() async throws {
        let repo = try await Repository()
        let hookDirectory = repo.path + "/.git/hooks"
        let script = "#!/bin/sh\nexec \(builtProduct("warden", override: "WARDEN_BIN")) precommit\n"
        // Made executable by install(1) in a child, not written here: a descriptor open for
        // writing in this process, inherited by a child another test forks meanwhile, would make
        // git's exec of the hook fail with ETXTBSY.
        try script.write(toFile: repo.path + "/pre-commit.txt", atomically: true, encoding: .utf8)
        let installed = try await run(.name("install"), arguments: ["-m", "755", repo.path + "/pre-commit.txt", hookDirectory + "/pre-commit"], output: .discarded, error: .discarded)
        try #require(installed.terminationStatus == .exited(0))
        try await repo.stage("deploy.sh", "export AWS_ACCESS_KEY_ID=\(Values.awsKey)\n")
        let result = try await run(
            .name("git"), arguments: ["commit", "-q", "-m", "deploy"], workingDirectory: FilePath(repo.path),
            output: .string(limit: 1 << 20), error: .string(limit: 1 << 20))
        #expect(result.terminationStatus == .exited(1))
        #expect(result.standardError.contains("AWS_ACCESS_KEY_ID AKIA****"))
        let log = try await run(.name("git"), arguments: ["log", "--oneline"], workingDirectory: FilePath(repo.path),
                                output: .string(limit: 4096), error: .string(limit: 4096))
        #expect(log.terminationStatus != .exited(0), "no commit was made")
    }

    @Test func allowMarkersAndTheIgnoreFile() async throws {
        let repo = try await Repository()
        try await repo.stage("test/fixture.txt", "key \(Values.awsKey) # warden:allow\n")
        #expect(try await repo.precommit().exitCode == 0)

        try await repo.stage("deploy.env.sample", "AWS_ACCESS_KEY_ID=\(Values.awsKey)\n")
        let blocked = try await repo.precommit()
        #expect(blocked.exitCode == 1)
        let fingerprint = try #require(blocked.stdout.split(separator: " ").last.map { String($0).trimmingCharacters(in: .newlines) })
        try repo.write(".warden-ignore", "# reviewed: sample credentials from AWS docs\n\(fingerprint)\n")
        #expect(try await repo.precommit().exitCode == 0)
        try repo.write(".warden-ignore", "not a fingerprint\n")
        let broken = try await repo.precommit()
        #expect(broken.exitCode == 2)
        #expect(broken.stderr.hasPrefix("warden precommit: \(repo.path)/.warden-ignore:1: not a fingerprint"))
    }

    @Test func filesThePolicyProtectsAreRefused() async throws {
        let repo = try await Repository()
        let policy = try temporaryFile("policy.json", #"{"permissions": {"deny": ["Read(**/.env*)", "Read(**/*.pem)"]}}"#)
        try await repo.stage(".env", "DEBUG=1\n")
        try await repo.stage("src/app.py", "print('ok')\n")
        let output = try await repo.precommit(policy: policy)
        #expect(output.exitCode == 1)
        #expect(output.stderr.contains("warden precommit: .env: protected by the policy (deny Read(**/.env*))"))
        #expect(!output.stderr.contains("src/app.py"))
    }

    @Test func outsideARepositoryIsAClearError() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("warden-nogit-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let output = try await runWarden(["precommit"], in: directory)
        #expect(output.exitCode == 2)
        #expect(output.stderr.hasPrefix("warden precommit: cannot find the repository (is this a git repository?)"))
        #expect(output.stderr.filter { $0 == "\n" }.count == 1)
    }
}
