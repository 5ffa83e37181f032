import ArgumentParser
import FoundationEssentials
import Glibc
import Subprocess
import WardenDetect
import WardenJSON
import WardenPolicy
import WardenScan
import WardenSystem

#if canImport(System)
import System
#else
import SystemPackage
#endif

struct PrecommitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "precommit",
        abstract: "Block a git commit that adds secrets or personal data, or a file the policy protects.",
        discussion: """
            Run from a git pre-commit hook (hooks/pre-commit, or the pre-commit framework with \
            .pre-commit-hooks.yaml). Scans only what the commit adds: the staged lines, not the \
            files' old content. Which kinds block is the policy's warden.detection.commits (by \
            default every secret, payment cards, US SSNs and IBANs). A staged file that the \
            policy's Read deny rules protect (.env, keys) is refused whatever its content.
            Each finding is printed as PATH:LINE:COLUMN: KIND PREVIEW (RULE, CONFIDENCE) \
            FINGERPRINT. To accept one: put warden:allow on its line, or add its fingerprint to \
            the ignore file (default: .warden-ignore at the top of the repository).
            Exit status: 0 the commit may go ahead, 1 it is blocked, 2 Warden could not check it.
            """
    )

    @Option(name: .customLong("ignore-file"), help: ArgumentHelp("Accepted fingerprints; default: .warden-ignore in the repository, if present.", valueName: "file"))
    var ignoreFile: String?

    @Option(help: "Output format: text, json or sarif.")
    var format: ReportFormat = .text

    @OptionGroup var detection: DetectionOptions
    @OptionGroup var policyOption: PolicyOption

    func run() async throws {
        do {
            try await check()
        } catch let error as CLIError {
            Files.writeAll(2, "warden precommit: \(error.description)\n")
            throw ExitCode(2)
        }
    }

    func check() async throws {
        let root = try await git(["rev-parse", "--show-toplevel"], what: "find the repository (is this a git repository?)")
            .trimmingNewlines()
        let policy = try policyOption.loadIfConfigured()
        let settings = policy?.detection ?? .defaults
        let kinds = try detection.selectedKinds() ?? Set(Detector.catalogue.filter { settings.commits.action(for: $0) == .block })

        let staged = try await git(
            ["diff", "--cached", "--name-only", "-z", "--diff-filter=ACMR"], in: root, what: "list the staged files")
            .split(separator: "\0").map(String.init)
        var refused: [String] = []
        if let policy {
            let engine = PolicyEngine(policy: policy, home: Files.environment("HOME"))
            for path in staged {
                let call = ToolCall(toolName: "Read", input: .object(["file_path": .string(root + "/" + path)]), workingDirectory: root)
                let decision = engine.decide(call)
                if decision.verdict == .deny {
                    let rules = Set(decision.matches.filter { $0.rule.list == .deny }.map(\.rule.text)).sorted().joined(separator: ", ")
                    refused.append("\(path): protected by the policy (deny \(rules)): a file Claude Code may not read is not committed")
                }
            }
        }

        let diffText = try await git(
            ["diff", "--cached", "--unified=0", "--no-color", "--no-ext-diff", "--src-prefix=a/", "--dst-prefix=b/", "--diff-filter=ACMR"],
            in: root, what: "read the staged changes")
        let ignorePath = ignoreFile ?? (Files.exists(root + "/.warden-ignore") ? root + "/.warden-ignore" : nil)
        let ignore = try ignorePath.map(loadIgnoreList) ?? IgnoreList()
        let scanner = TextScanner(detector: Detector(kinds: kinds), minimumConfidence: detection.minimumConfidence.confidence, digest: Digests.sha256)
        var findings: [LocatedFinding] = []
        for file in StagedDiff.parse(diffText).files where !file.isBinary && !file.addedLines.isEmpty {
            let text = file.addedLines.map(\.text).joined(separator: "\n")
            findings += scanner.scan(Array(text.utf8), path: file.path, ignore: ignore, lineNumbers: file.addedLines.map(\.line))
        }

        guard !findings.isEmpty || !refused.isEmpty else { return }
        for line in refused { Files.writeAll(2, "warden precommit: \(line)\n") }
        print(FindingReport.render(findings, as: format), terminator: "")
        let files = Set(findings.map(\.path)).count
        var summary = "warden precommit: commit blocked"
        if !findings.isEmpty { summary += ": \(findings.count) finding\(findings.count == 1 ? "" : "s") in \(files) file\(files == 1 ? "" : "s")" }
        if !refused.isEmpty { summary += findings.isEmpty ? ": " : "; " ; summary += "\(refused.count) protected file\(refused.count == 1 ? "" : "s")" }
        summary += ". Remove the values (and unstage protected files), mark an intended line with warden:allow, or add its fingerprint to .warden-ignore.\n"
        Files.writeAll(2, summary)
        throw ExitCode(1)
    }

    func git(_ arguments: [String], in directory: String? = nil, what: String) async throws -> String {
        let result = try await Subprocess.run(
            .name("git"), arguments: Arguments(arguments),
            workingDirectory: directory.map { FilePath($0) },
            output: .string(limit: 256 << 20), error: .string(limit: 1 << 20))
        let output = result.standardOutput
        guard result.terminationStatus == .exited(0) else {
            let message = result.standardError.split(separator: "\n").first.map(String.init) ?? "\(result.terminationStatus)"
            throw CLIError("cannot \(what): git \(arguments.first ?? ""): \(message)")
        }
        return output
    }
}
