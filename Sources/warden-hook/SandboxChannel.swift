// The hook inside Warden's sandbox: the decision log and the pseudonym books are the host's,
// reached through the channel `warden run` serves (WardenChannel). Nothing of Warden's state is
// written inside: the log directory is read-only there and the books are masked.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import WardenAudit
import WardenChannel
import WardenDigest
import WardenHooks
import WardenJSON
import WardenPolicy
import WardenRedact
import WardenSystem

enum SandboxChannel {
    /// The answer to one event inside the sandbox: pseudonyms numbered by the host, the record
    /// handed to the host (a record it does not take blocks a PreToolUse or UserPromptSubmit).
    static func answer(
        parsed: Result<JSONValue, JSONSyntaxError>, policy: (policy: Result<Policy, PolicyLoadError>, bytes: [UInt8]?),
        port: Int, logEnabled: Bool, startedMicros: Int
    ) -> HookAnswer {
        let settings = try? policy.policy.get()
        var responder = HookResponder(policy: policy.policy, home: Files.environment("HOME"), fileSystem: SystemFileSystem())
        var answer: HookAnswer
        if settings?.detection.style == .pseudonym, let session = (try? parsed.get())?["session_id"]?.string {
            // First pass: which values need names (by digest); then the host's numbers; then the
            // answer with every name known. Detection runs twice, only under `style: pseudonym`.
            responder.pseudonyms = digestBook()
            let first = responder.answer(parsed: parsed)
            responder.pseudonyms = hostBook(for: first.pseudonyms, session: session, port: port)
            answer = responder.answer(parsed: parsed)
        } else {
            answer = responder.answer(parsed: parsed)
        }
        // `warden.sandbox.required`: the sandbox must be one built from this very policy.
        if settings?.sandbox.required == true, let bytes = policy.bytes {
            let built: String? = switch Files.read(path: ChannelProtocol.runDirectoryInside + "/" + ChannelProtocol.policyFileName, limit: 256) {
            case .success(let text): String(decoding: text, as: UTF8.self).trimmingNewline()
            case .failure: nil
            }
            if let refused = SandboxRequirement.sandboxPolicy(answer, built: built, judged: AuditChain.policyHash(bytes)) {
                answer = refused
            }
        }
        guard logEnabled else {
            // Benchmarks only: without a record, `warden.sandbox.required` still asks the host.
            if settings?.sandbox.required == true, case .refused(let why) = ChannelClient.send(.attest, port: port) {
                return SandboxRequirement.outside(answer, why: "the channel refused: \(why)")
            }
            return answer
        }
        let record = channelRecord(answer.summary, policy: policy.bytes, latencyMicros: DecisionLogging.monotonicMicros() - startedMicros)
        if case .refused(let why) = ChannelClient.send(.record(record), port: port) {
            return SandboxRequirement.unlogged(answer, why: why)
        }
        return answer
    }

    static func channelRecord(_ summary: DecisionSummary, policy: [UInt8]?, latencyMicros: Int) -> ChannelRecord {
        ChannelRecord(
            event: summary.event ?? "unknown", tool: summary.tool, session: summary.session ?? "",
            decision: AuditDecision(rawValue: summary.decision.rawValue) ?? .none, rules: summary.rules,
            reason: summary.reason.map { clipped($0, 8192) }, redactions: summary.redactions,
            subject: summary.subject.map { clipped($0, 8192) }, policy: policy.map(AuditChain.policyHash), latencyMicros: latencyMicros)
    }

    static func clipped(_ text: String, _ limit: Int) -> String {
        text.utf8.count <= limit ? text : String(decoding: text.utf8.prefix(limit - 3), as: UTF8.self) + "…"
    }

    /// A book whose fingerprints are plain SHA-256 digests: the first pass collects them (in
    /// the order values were met, which its numbers keep).
    static func digestBook(entries: [String: [[UInt8]: Int]] = [:]) -> PseudonymBook {
        PseudonymBook(fingerprint: { SHA256Digest.hash($0) }, entries: entries)
    }

    /// The book for the second pass: every digest of `collected` with the host's number for it.
    /// Nil (placeholders) when the host refuses or cannot be reached: placeholders hide the
    /// values just as well, only without telling two of them apart.
    static func hostBook(for collected: PseudonymBook?, session: String, port: Int) -> PseudonymBook? {
        guard let collected else { return nil }
        var items: [PseudonymQuery] = []
        for (kind, names) in collected.entries.sorted(by: { $0.key < $1.key }) {
            for (digest, _) in names.sorted(by: { $0.value < $1.value }) { items.append(PseudonymQuery(kind: kind, digest: digest)) }
        }
        if items.isEmpty { return digestBook() }
        guard items.count <= ChannelProtocol.maximumPseudonymItems,
              case .done(_, let numbers?) = ChannelClient.send(.pseudonyms(session: session, items: items), port: port),
              numbers.count == items.count
        else { return nil }
        var entries: [String: [[UInt8]: Int]] = [:]
        for (item, number) in zip(items, numbers) { entries[item.kind, default: [:]][item.digest] = number }
        return digestBook(entries: entries)
    }
}

extension String {
    func trimmingNewline() -> String { hasSuffix("\n") ? String(dropLast()) : self }
}
