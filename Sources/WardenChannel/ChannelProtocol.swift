// The channel between the hooks inside Warden's sandbox and `warden run` on the host, as data:
// what a request and an answer are, their bytes, and every check a request must pass before the
// host acts on it. No I/O here (ChannelServer and ChannelClient do it), so all of it is tested
// as data.
//
// One request per connection: a single line of JSON (at most `maximumRequestBytes`, ending in a
// newline), answered with a single line of JSON, then the host closes. Version 1:
//
//   {"v":1,"op":"attest"}
//       → {"v":1,"ok":true,"run":"warden-run-PID"}
//   {"v":1,"op":"record","record":{"event":…,"tool":…,"session":…,"decision":…,"rules":[…],
//        "reason":…,"redactions":{…},"subject":…,"policy":…,"latencyUs":N}}
//       → {"v":1,"ok":true,"run":"warden-run-PID"}
//   {"v":1,"op":"pseudonyms","session":S,"items":[{"kind":"EMAIL","digest":"<64 hex>"},…]}
//       → {"v":1,"ok":true,"run":…,"numbers":[1,2,1,…]}
//   any refusal → {"v":1,"ok":false,"error":"one line naming what is wrong"}

public import WardenAudit
import WardenJSON
import WardenDigest

public enum ChannelProtocol {
    public static let version = 1
    /// A request's bytes, newline included: room for the most pseudonym items a request may
    /// name (about 90 bytes each) and for a record, whose strings are capped one by one.
    public static let maximumRequestBytes = 256 * 1024
    public static let maximumResponseBytes = 64 * 1024
    /// Values one pseudonym request may name (a tool output with more gets placeholders).
    public static let maximumPseudonymItems = 2048
    /// The hook events a record through the channel may carry: the hook's and `--run`'s own.
    /// Sandbox, network and anything else are written by the host alone.
    public static let hookEvents: Set<String> = ["PreToolUse", "PostToolUse", "UserPromptSubmit", "CommandOutput", "unknown"]
    /// Where the run's directory appears inside the sandbox (`SandboxPlan.runtimeMountPoint`;
    /// a test holds the two equal), and the channel's files in it.
    public static let runDirectoryInside = "/tmp/.warden"
    /// The port the channel's forwarder listens on inside, one line of decimal digits.
    public static let portFileName = "channel"
    /// The unix socket `warden run` serves in the run directory; init's relay connects to it.
    public static let socketName = "channel.sock"
    public static var portFileInside: String { runDirectoryInside + "/" + portFileName }
    /// The file of the run directory that holds the hash (`sha256:…`, as in the log's records)
    /// of the policy the sandbox was built from.
    public static let policyFileName = "policy"
}

/// A hook decision as the hook hands it over: what `AuditRecord` holds minus what the host
/// stamps itself (time, host, user, uid, confinement, chain).
public struct ChannelRecord: Sendable, Hashable {
    public var event: String
    public var tool: String?
    public var session: String
    public var decision: AuditDecision
    public var rules: [String]
    public var reason: String?
    public var redactions: [String: Int]
    public var subject: String?
    public var policy: String?
    public var latencyMicros: Int

    public init(
        event: String, tool: String?, session: String, decision: AuditDecision, rules: [String] = [], reason: String? = nil,
        redactions: [String: Int] = [:], subject: String? = nil, policy: String? = nil, latencyMicros: Int = 0
    ) {
        self.event = event
        self.tool = tool
        self.session = session
        self.decision = decision
        self.rules = rules
        self.reason = reason
        self.redactions = redactions
        self.subject = subject
        self.policy = policy
        self.latencyMicros = latencyMicros
    }

    /// The log's record: the host's origin and time, the run's id as confinement.
    public func auditRecord(origin: AuditOrigin, run: String, time: AuditTime = .now()) -> AuditRecord {
        AuditRecord(
            time: time, host: origin.host, user: origin.user, uid: origin.uid, session: session, event: event, tool: tool,
            decision: decision, rules: rules, reason: reason, redactions: redactions, subject: subject, policy: policy,
            latencyMicros: latencyMicros, confinement: run)
    }

    var jsonValue: JSONValue {
        func optional(_ text: String?) -> JSONValue { text.map { .string($0) } ?? .null }
        return .object([
            JSONMember(key: "event", value: .string(event)),
            JSONMember(key: "tool", value: optional(tool)),
            JSONMember(key: "session", value: .string(session)),
            JSONMember(key: "decision", value: .string(decision.rawValue)),
            JSONMember(key: "rules", value: .array(rules.map { .string($0) })),
            JSONMember(key: "reason", value: optional(reason)),
            JSONMember(key: "redactions", value: .object(redactions.keys.sorted().map { JSONMember(key: $0, value: .number(redactions[$0]!)) })),
            JSONMember(key: "subject", value: optional(subject)),
            JSONMember(key: "policy", value: optional(policy)),
            JSONMember(key: "latencyUs", value: .number(latencyMicros)),
        ])
    }
}

/// One value to name: its kind and the SHA-256 of its bytes. The host keys the digest with the
/// session's secret; the value itself never crosses the channel.
public struct PseudonymQuery: Sendable, Hashable {
    public var kind: String
    public var digest: [UInt8]
    public init(kind: String, digest: [UInt8]) {
        self.kind = kind
        self.digest = digest
    }
}

public enum ChannelRequest: Sendable, Hashable {
    case attest
    case record(ChannelRecord)
    case pseudonyms(session: String, items: [PseudonymQuery])

    /// The line the hook sends, newline included.
    public var line: String {
        var members = [JSONMember(key: "v", value: .number(ChannelProtocol.version))]
        switch self {
        case .attest:
            members.append(JSONMember(key: "op", value: .string("attest")))
        case .record(let record):
            members.append(JSONMember(key: "op", value: .string("record")))
            members.append(JSONMember(key: "record", value: record.jsonValue))
        case .pseudonyms(let session, let items):
            members.append(JSONMember(key: "op", value: .string("pseudonyms")))
            members.append(JSONMember(key: "session", value: .string(session)))
            members.append(JSONMember(key: "items", value: .array(items.map {
                .object([JSONMember(key: "kind", value: .string($0.kind)), JSONMember(key: "digest", value: .string(Hex.encode($0.digest)))])
            })))
        }
        return JSONValue.object(members).serialized + "\n"
    }

    /// Reads and validates one request line (the newline may be absent). Every way it can be
    /// wrong is a refusal naming what and where; nothing wrong is ever passed on.
    public static func parse(_ bytes: [UInt8]) -> Result<ChannelRequest, ChannelRefusal> {
        do throws(ChannelRefusal) {
            return .success(try parseThrowing(bytes))
        } catch {
            return .failure(error)
        }
    }

    static func parseThrowing(_ bytes: [UInt8]) throws(ChannelRefusal) -> ChannelRequest {
        guard bytes.count <= ChannelProtocol.maximumRequestBytes else {
            throw ChannelRefusal("request: longer than \(ChannelProtocol.maximumRequestBytes) bytes")
        }
        var body = bytes[...]
        if body.last == UInt8(ascii: "\n") { body = body.dropLast() }
        guard !body.contains(UInt8(ascii: "\n")) else { throw ChannelRefusal("request: more than one line") }
        let value: JSONValue
        do throws(JSONSyntaxError) {
            value = try JSONValue.parse(bytes: Array(body), maximumDepth: 8)
        } catch {
            throw ChannelRefusal("request: not JSON (\(error))")
        }
        let object = try Fields(value, at: "request", known: ["v", "op", "record", "session", "items"])
        let version = try object.integer("v")
        guard version == ChannelProtocol.version else {
            throw ChannelRefusal("request.v: version \(version) is not spoken here (only \(ChannelProtocol.version))")
        }
        switch try object.string("op") {
        case "attest":
            try object.only(["v", "op"])
            return .attest
        case "record":
            try object.only(["v", "op", "record"])
            return .record(try parseRecord(object.required("record")))
        case "pseudonyms":
            try object.only(["v", "op", "session", "items"])
            let session = try object.string("session")
            guard isSessionIdentifier(session) else {
                throw ChannelRefusal("request.session: not a session id (letters, digits, - and _, at most 128)")
            }
            guard let items = try object.required("items").array else { throw ChannelRefusal("request.items: not an array") }
            guard items.count <= ChannelProtocol.maximumPseudonymItems else {
                throw ChannelRefusal("request.items: more than \(ChannelProtocol.maximumPseudonymItems) values")
            }
            var queries: [PseudonymQuery] = []
            for (index, item) in items.enumerated() {
                let entry = try Fields(item, at: "request.items[\(index)]", known: ["kind", "digest"])
                let kind = try entry.string("kind")
                guard !kind.isEmpty, kind.utf8.count <= 32, kind.utf8.allSatisfy({ (65...90).contains($0) || (48...57).contains($0) || $0 == 95 }) else {
                    throw ChannelRefusal("request.items[\(index)].kind: not a detection kind (A-Z, 0-9 and _, at most 32)")
                }
                let digestText = try entry.string("digest")
                guard digestText.utf8.count == 64, let digest = Hex.decode(digestText), digest.count == 32 else {
                    throw ChannelRefusal("request.items[\(index)].digest: not 64 hex digits (a SHA-256)")
                }
                queries.append(PseudonymQuery(kind: kind, digest: digest))
            }
            return .pseudonyms(session: session, items: queries)
        case let other:
            throw ChannelRefusal("request.op: \(JSONValue.quoted(other)) is not attest, record or pseudonyms")
        }
    }

    static func parseRecord(_ value: JSONValue) throws(ChannelRefusal) -> ChannelRecord {
        let fields = try Fields(value, at: "request.record", known: ["event", "tool", "session", "decision", "rules", "reason", "redactions", "subject", "policy", "latencyUs"])
        let event = try fields.string("event")
        guard ChannelProtocol.hookEvents.contains(event) else {
            throw ChannelRefusal("request.record.event: \(JSONValue.quoted(event)) is not a hook event (\(ChannelProtocol.hookEvents.sorted().joined(separator: ", ")))")
        }
        let session = try fields.string("session")
        guard session.isEmpty || isSessionIdentifier(session) else {
            throw ChannelRefusal("request.record.session: not a session id (letters, digits, - and _, at most 128)")
        }
        let decisionText = try fields.string("decision")
        guard let decision = AuditDecision(rawValue: decisionText) else {
            throw ChannelRefusal("request.record.decision: \(JSONValue.quoted(decisionText)) is not one of allow, ask, deny, redact, block, none")
        }
        guard let ruleValues = try fields.required("rules").array else { throw ChannelRefusal("request.record.rules: not an array") }
        guard ruleValues.count <= 64 else { throw ChannelRefusal("request.record.rules: more than 64 rules") }
        var rules: [String] = []
        for (index, rule) in ruleValues.enumerated() {
            guard let text = rule.string, text.utf8.count <= 1024 else {
                throw ChannelRefusal("request.record.rules[\(index)]: not a string of at most 1024 bytes")
            }
            rules.append(text)
        }
        guard let counts = try fields.required("redactions").members else { throw ChannelRefusal("request.record.redactions: not an object") }
        guard counts.count <= 64 else { throw ChannelRefusal("request.record.redactions: more than 64 kinds") }
        var redactions: [String: Int] = [:]
        for member in counts {
            guard member.key.utf8.count <= 32, let count = member.value.integer, count >= 0 else {
                throw ChannelRefusal("request.record.redactions.\(member.key): not a count of a kind")
            }
            redactions[member.key] = count
        }
        let latency = try fields.integer("latencyUs")
        guard latency >= 0 else { throw ChannelRefusal("request.record.latencyUs: negative") }
        return ChannelRecord(
            event: event, tool: try fields.optionalString("tool", limit: 256), session: session, decision: decision, rules: rules,
            reason: try fields.optionalString("reason", limit: 8192), redactions: redactions,
            subject: try fields.optionalString("subject", limit: 8192), policy: try fields.optionalString("policy", limit: 128),
            latencyMicros: latency)
    }

    /// Claude Code's session ids (UUIDs), as the pseudonym books accept them.
    public static func isSessionIdentifier(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 128
            && text.utf8.allSatisfy { $0 == 45 || $0 == 95 || (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) }
    }
}

public enum ChannelResponse: Sendable, Hashable {
    /// The request was from inside this run's sandbox and is done; `numbers` for pseudonyms.
    case done(run: String, numbers: [Int]?)
    case refused(String)

    public var line: String {
        var members = [JSONMember(key: "v", value: .number(ChannelProtocol.version))]
        switch self {
        case .done(let run, let numbers):
            members.append(JSONMember(key: "ok", value: .bool(true)))
            members.append(JSONMember(key: "run", value: .string(run)))
            if let numbers { members.append(JSONMember(key: "numbers", value: .array(numbers.map { .number($0) }))) }
        case .refused(let reason):
            members.append(JSONMember(key: "ok", value: .bool(false)))
            members.append(JSONMember(key: "error", value: .string(reason)))
        }
        return JSONValue.object(members).serialized + "\n"
    }

    /// What the hook makes of the host's line; an answer it cannot read is a refusal.
    public static func parse(_ bytes: [UInt8]) -> ChannelResponse {
        guard bytes.count <= ChannelProtocol.maximumResponseBytes, let value = try? JSONValue.parse(bytes: bytes, maximumDepth: 4),
              value["v"]?.integer == ChannelProtocol.version, let ok = value["ok"]?.bool
        else { return .refused("the channel's answer is not Warden's (no version \(ChannelProtocol.version) answer line)") }
        guard ok else { return .refused(value["error"]?.string ?? "refused without a reason") }
        guard let run = value["run"]?.string else { return .refused("the channel's answer names no run") }
        var numbers: [Int]?
        if let list = value["numbers"]?.array {
            var parsed: [Int] = []
            for item in list {
                guard let number = item.integer, number >= 1 else { return .refused("the channel's pseudonym numbers are not positive integers") }
                parsed.append(number)
            }
            numbers = parsed
        }
        return .done(run: run, numbers: numbers)
    }
}

/// Why a request was refused: one line, shown to the hook (which then denies) and, on the host,
/// nowhere else (a hostile sandbox must not be able to fill the developer's terminal).
public struct ChannelRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// An object whose members are checked: unknown keys refused, types named on error.
struct Fields {
    let members: [JSONMember]
    let at: String

    init(_ value: JSONValue, at: String, known: Set<String>) throws(ChannelRefusal) {
        guard let members = value.members else { throw ChannelRefusal("\(at): a JSON \(value.typeName), not an object") }
        var seen: Set<String> = []
        for member in members {
            guard known.contains(member.key) else { throw ChannelRefusal("\(at): unknown key \(JSONValue.quoted(member.key))") }
            guard seen.insert(member.key).inserted else { throw ChannelRefusal("\(at): \(JSONValue.quoted(member.key)) appears twice") }
        }
        self.members = members
        self.at = at
    }

    func value(_ key: String) -> JSONValue? { members.first { $0.key == key }?.value }

    func only(_ keys: Set<String>) throws(ChannelRefusal) {
        for member in members where !keys.contains(member.key) {
            throw ChannelRefusal("\(at): \(JSONValue.quoted(member.key)) does not belong to this op")
        }
    }

    func required(_ key: String) throws(ChannelRefusal) -> JSONValue {
        guard let value = value(key) else { throw ChannelRefusal("\(at).\(key): missing") }
        return value
    }

    func string(_ key: String) throws(ChannelRefusal) -> String {
        let value = try required(key)
        guard let text = value.string else { throw ChannelRefusal("\(at).\(key): a JSON \(value.typeName), not a string") }
        guard text.utf8.count <= 8192 else { throw ChannelRefusal("\(at).\(key): longer than 8192 bytes") }
        return text
    }

    func optionalString(_ key: String, limit: Int) throws(ChannelRefusal) -> String? {
        guard let value = value(key), !value.isNull else { return nil }
        guard let text = value.string else { throw ChannelRefusal("\(at).\(key): a JSON \(value.typeName), not a string or null") }
        guard text.utf8.count <= limit else { throw ChannelRefusal("\(at).\(key): longer than \(limit) bytes") }
        return text
    }

    func integer(_ key: String) throws(ChannelRefusal) -> Int {
        let value = try required(key)
        guard let number = value.integer else { throw ChannelRefusal("\(at).\(key): a JSON \(value.typeName), not an integer") }
        return number
    }
}
