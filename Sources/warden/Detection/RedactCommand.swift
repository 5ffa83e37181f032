import ArgumentParser
import WardenDetect
import WardenHooks
import WardenPolicy
import WardenRedact
import WardenSystem

#if canImport(Glibc)
import Glibc
#endif

struct RedactCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redact",
        abstract: "Copy standard input (or files) to standard output with secrets and personal data replaced.",
        discussion: """
            Applies the policy's tool-output settings (warden.detection.toolOutput; with no such \
            key, every kind is redacted) the way warden-hook does for Claude Code: each value \
            becomes [REDACTED:KIND], or <KIND_n> with --style pseudonym (the same value gets the \
            same name within one run). A kind set to "block" withholds the text around it. Input \
            is streamed; output is released line by line once scanned. With --summary, the counts \
            by kind go to standard error. Exit status: 0, or 2 when an input cannot be read.
            """
    )

    @Argument(help: ArgumentHelp("Files to redact, in order; none or - means standard input.", valueName: "file"))
    var files: [String] = []

    @Option(help: ArgumentHelp("placeholder or pseudonym; default: the policy's warden.detection.style.", valueName: "style"))
    var style: RedactionStyle?

    @Flag(help: "Print how many values of each kind were replaced, on standard error.")
    var summary = false

    @OptionGroup var policyOption: PolicyOption

    func run() throws {
        let settings = try policyOption.detectionSettings()
        var chosen = settings
        if let style { chosen.style = style }
        let redactor = HookResponder.toolOutputRedactor(chosen, pseudonyms: chosen.style == .pseudonym ? Digests.ephemeralPseudonymBook() : nil)
        var stream = StreamRedactor(redactor: redactor)
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        for path in files.isEmpty ? ["-"] : files {
            let descriptor: Int32 = path == "-" ? 0 : open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else {
                throw CLIError("cannot read \(path): \(Files.errorText(errno))")
            }
            defer { if descriptor != 0 { close(descriptor) } }
            while true {
                let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                guard count >= 0 else { throw CLIError("cannot read \(path): \(Files.errorText(errno))") }
                if count == 0 { break }
                let released = buffer.withUnsafeBytes { stream.feed(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
                try writeOut(released)
            }
        }
        try writeOut(stream.finish())
        if summary {
            let counts = stream.redactor.countsByName.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
            let line = counts.isEmpty ? "warden redact: nothing found\n" : "warden redact: " + counts.joined(separator: ", ") + "\n"
            Files.writeAll(2, line)
        }
    }

    func writeOut(_ bytes: [UInt8]) throws {
        guard !bytes.isEmpty else { return }
        guard Files.writeAll(1, bytes) else { throw CLIError("cannot write to standard output: \(Files.errorText(errno))") }
    }
}

extension RedactionStyle: ExpressibleByArgument {}

extension PolicyOption {
    /// The policy, or nil when none is configured: the default managed-settings file may be
    /// absent on a developer machine without Warden's hooks. An invalid policy is an error (a
    /// typo must not quietly weaken a guard).
    func loadIfConfigured() throws -> Policy? {
        if policy == nil, Files.environment("WARDEN_POLICY") == nil, !Files.exists(path) { return nil }
        return try load()
    }

    /// The detection settings of the policy, or Warden's defaults when there is none.
    func detectionSettings() throws -> DetectionSettings {
        try loadIfConfigured()?.detection ?? .defaults
    }
}
