#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import WardenJSON

/// What the hook decided, as the log writes it.
public enum AuditDecision: String, Sendable, Hashable, CaseIterable {
    case allow, ask, deny, redact, block, none
}

/// What one hook answer decided, already redacted by the caller: this module never sees a
/// detected value, only what the hook chose to show (rules, kinds, a redacted command or path).
public struct AuditSummary: Sendable, Hashable {
    public var decision: AuditDecision
    /// The rules that decided: for the hook, the permission rules of the verdict's list (logs
    /// written before Warden recorded only those may name every rule that matched); for a
    /// connection, the one policy entry that decided.
    public var rules: [String]
    public var reason: String?
    /// How many values of each kind were redacted, withheld or found in a blocked prompt.
    public var redactions: [String: Int]
    /// The command, path or URL the call was about, after redaction; nil when there is none.
    public var subject: String?

    public init(decision: AuditDecision, rules: [String] = [], reason: String? = nil, redactions: [String: Int] = [:], subject: String? = nil) {
        self.decision = decision
        self.rules = rules
        self.reason = reason
        self.redactions = redactions
        self.subject = subject
    }
}

/// Who and where: the host, the user and their uid, read once per process.
public struct AuditOrigin: Sendable, Hashable {
    public var host: String
    public var user: String
    public var uid: Int

    public init(host: String, user: String, uid: Int) {
        self.host = host
        self.user = user
        self.uid = uid
    }

    /// The host name from gethostname(2); the user from $USER or $LOGNAME (no passwd lookup: NSS
    /// is slow to load and unreliable in static binaries), else "uid N"; the real uid, which
    /// unlike the name cannot be set by the caller's environment.
    public static func current() -> AuditOrigin {
        var buffer = [CChar](repeating: 0, count: 256)
        let host = gethostname(&buffer, buffer.count - 1) == 0
            ? String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self) : "unknown"
        let uid = Int(getuid())
        var user = "uid \(uid)"
        for name in ["USER", "LOGNAME"] {
            if let value = getenv(name), value.pointee != 0 {
                user = String(cString: value)
                break
            }
        }
        return AuditOrigin(host: host, user: user, uid: uid)
    }
}

/// One decision in the log. `seq`, `prev` and `hash` are set by `AuditLog.append`; the rest by the
/// caller.
public struct AuditRecord: Sendable, Hashable {
    /// The format version written as `"v"`.
    public static let formatVersion = 1

    public var seq: Int
    public var time: AuditTime
    public var host: String
    public var user: String
    public var uid: Int
    /// Claude Code's session id.
    public var session: String
    /// The hook event (PreToolUse, PostToolUse, UserPromptSubmit, …), `Network` for a proxy
    /// connection, `SandboxStart` and `SandboxEnd` for a sandboxed session.
    public var event: String
    public var tool: String?
    public var decision: AuditDecision
    public var rules: [String]
    public var reason: String?
    public var redactions: [String: Int]
    public var subject: String?
    /// The hash of the policy in force, as the caller names it (e.g. "sha256:…").
    public var policy: String?
    /// The hook's own time from start to answer, in microseconds.
    public var latencyMicros: Int
    /// For event `Network`: the connection. Not written when nil, so records without it keep
    /// the bytes (and hashes) they had before the field existed.
    public var network: NetworkDetails?
    /// For events `SandboxStart` and `SandboxEnd`: the sandboxed session. Not written when nil.
    public var sandbox: SandboxDetails?
    /// Where a hook record's session ran, as Warden judged it: the run's id (`warden-run-PID`,
    /// the session of that run's `SandboxStart`) when `warden run` received the record through
    /// its channel and stamped it; `outside` when the hook found itself outside Warden's sandbox
    /// and had to check (`warden.sandbox.required`, or a channel that failed its checks). Not
    /// written when nil (records from before the field keep their bytes and hashes).
    public var confinement: String?
    /// The previous record's hash (64 hex digits; all zeros before the first record).
    public var prev: String
    /// SHA-256 of this record's canonical bytes, in hex.
    public var hash: String

    public init(
        seq: Int = 0, time: AuditTime, host: String, user: String, uid: Int, session: String, event: String,
        tool: String?, decision: AuditDecision, rules: [String] = [], reason: String? = nil,
        redactions: [String: Int] = [:], subject: String? = nil, policy: String? = nil, latencyMicros: Int = 0,
        network: NetworkDetails? = nil, sandbox: SandboxDetails? = nil, confinement: String? = nil, prev: String = "", hash: String = ""
    ) {
        self.seq = seq
        self.time = time
        self.host = host
        self.user = user
        self.uid = uid
        self.session = session
        self.event = event
        self.tool = tool
        self.decision = decision
        self.rules = rules
        self.reason = reason
        self.redactions = redactions
        self.subject = subject
        self.policy = policy
        self.latencyMicros = latencyMicros
        self.network = network
        self.sandbox = sandbox
        self.confinement = confinement
        self.prev = prev
        self.hash = hash
    }

    /// The record for one hook answer, from the caller's already-redacted summary.
    public init(
        summary: AuditSummary, event: String, tool: String?, session: String, policy: String?,
        latencyMicros: Int, time: AuditTime = .now(), origin: AuditOrigin = .current()
    ) {
        self.init(
            time: time, host: origin.host, user: origin.user, uid: origin.uid, session: session, event: event,
            tool: tool, decision: summary.decision, rules: summary.rules, reason: summary.reason,
            redactions: summary.redactions, subject: summary.subject, policy: policy, latencyMicros: latencyMicros)
    }

    // MARK: Encoding

    /// The canonical bytes the hash covers: the JSON object with every member but `hash`, in
    /// the fixed order below, compact, without the closing brace. The line written is these
    /// bytes followed by `,"hash":"<hex>"}`. `network`, `sandbox` and `confinement` come between
    /// `latencyUs` and `prev`, in that order, and only when set.
    public func canonicalPrefix() -> String {
        var out = ""
        out.reserveCapacity(384)
        out += "{\"v\":\(AuditRecord.formatVersion),\"seq\":\(seq),\"time\":\"\(time.rfc3339)\",\"host\":"
        JSONValue.writeString(host, to: &out)
        out += ",\"user\":"
        JSONValue.writeString(user, to: &out)
        out += ",\"uid\":\(uid),\"session\":"
        JSONValue.writeString(session, to: &out)
        out += ",\"event\":"
        JSONValue.writeString(event, to: &out)
        out += ",\"tool\":"
        AuditRecord.writeOptional(tool, to: &out)
        out += ",\"decision\":\"\(decision.rawValue)\",\"rules\":["
        for (i, rule) in rules.enumerated() {
            if i > 0 { out += "," }
            JSONValue.writeString(rule, to: &out)
        }
        out += "],\"reason\":"
        AuditRecord.writeOptional(reason, to: &out)
        out += ",\"redactions\":{"
        for (i, kind) in redactions.keys.sorted().enumerated() {
            if i > 0 { out += "," }
            JSONValue.writeString(kind, to: &out)
            out += ":\(redactions[kind]!)"
        }
        out += "},\"subject\":"
        AuditRecord.writeOptional(subject, to: &out)
        out += ",\"policy\":"
        AuditRecord.writeOptional(policy, to: &out)
        out += ",\"latencyUs\":\(latencyMicros)"
        if let network {
            out += ",\"network\":"
            network.write(to: &out)
        }
        if let sandbox {
            out += ",\"sandbox\":"
            sandbox.write(to: &out)
        }
        if let confinement {
            out += ",\"confinement\":"
            JSONValue.writeString(confinement, to: &out)
        }
        out += ",\"prev\":\"\(prev)\""
        return out
    }

    /// The whole line, newline included, with `hash` as it is (see `AuditChain.seal`).
    public func line() -> String {
        canonicalPrefix() + ",\"hash\":\"\(hash)\"}\n"
    }

    static func writeOptional(_ value: String?, to out: inout String) {
        if let value { JSONValue.writeString(value, to: &out) } else { out += "null" }
    }

    // MARK: Decoding

    /// Reads one line written by `line()` (the newline may be absent). Members may come in any
    /// order and unknown members are ignored, so that later versions can add fields.
    public init(line: String) throws(AuditDecodeError) {
        let json: JSONValue
        do throws(JSONSyntaxError) { json = try JSONValue.parse(line) } catch {
            throw AuditDecodeError("not JSON: \(error)")
        }
        guard json.members != nil else { throw AuditDecodeError("not a JSON object") }
        func string(_ key: String) throws(AuditDecodeError) -> String {
            guard let value = json[key]?.string else { throw AuditDecodeError("\"\(key)\" is missing or not a string") }
            return value
        }
        func optional(_ key: String) throws(AuditDecodeError) -> String? {
            guard let value = json[key], !value.isNull else { return nil }
            guard let text = value.string else { throw AuditDecodeError("\"\(key)\" is not a string or null") }
            return text
        }
        func integer(_ key: String) throws(AuditDecodeError) -> Int {
            guard let value = json[key]?.integer else { throw AuditDecodeError("\"\(key)\" is missing or not an integer") }
            return value
        }
        let timeText = try string("time")
        guard let time = AuditTime(rfc3339: timeText) else { throw AuditDecodeError("\"time\" is not an RFC 3339 time") }
        let decisionText = try string("decision")
        guard let decision = AuditDecision(rawValue: decisionText) else {
            throw AuditDecodeError("\"decision\" is not one of allow, ask, deny, redact, block, none")
        }
        var rules: [String] = []
        if let values = json["rules"]?.array {
            for value in values {
                guard let rule = value.string else { throw AuditDecodeError("\"rules\" holds a non-string") }
                rules.append(rule)
            }
        }
        var redactions: [String: Int] = [:]
        if let members = json["redactions"]?.members {
            for member in members {
                guard let count = member.value.integer else { throw AuditDecodeError("redaction count for \(JSONValue.quoted(member.key)) is not an integer") }
                redactions[member.key] = count
            }
        }
        var network: NetworkDetails? = nil
        if let value = json["network"], !value.isNull {
            guard value.members != nil else { throw AuditDecodeError("\"network\" is not an object") }
            network = try NetworkDetails(json: value)
        }
        var sandbox: SandboxDetails? = nil
        if let value = json["sandbox"], !value.isNull {
            guard value.members != nil else { throw AuditDecodeError("\"sandbox\" is not an object") }
            sandbox = try SandboxDetails(json: value)
        }
        self.init(
            seq: try integer("seq"), time: time, host: try string("host"), user: try string("user"),
            uid: try integer("uid"), session: try string("session"), event: try string("event"),
            tool: try optional("tool"), decision: decision, rules: rules, reason: try optional("reason"),
            redactions: redactions, subject: try optional("subject"), policy: try optional("policy"),
            latencyMicros: try integer("latencyUs"), network: network, sandbox: sandbox,
            confinement: try optional("confinement"), prev: try string("prev"), hash: try string("hash"))
    }

    /// The record as a JSON value (for tools: the same members as the line).
    public var json: JSONValue {
        var redactionMembers: [JSONMember] = []
        for kind in redactions.keys.sorted() { redactionMembers.append(JSONMember(key: kind, value: .number(redactions[kind]!))) }
        func opt(_ s: String?) -> JSONValue { s.map { JSONValue.string($0) } ?? .null }
        var members: [JSONMember] = [
            JSONMember(key: "v", value: .number(AuditRecord.formatVersion)),
            JSONMember(key: "seq", value: .number(seq)),
            JSONMember(key: "time", value: .string(time.rfc3339)),
            JSONMember(key: "host", value: .string(host)),
            JSONMember(key: "user", value: .string(user)),
            JSONMember(key: "uid", value: .number(uid)),
            JSONMember(key: "session", value: .string(session)),
            JSONMember(key: "event", value: .string(event)),
            JSONMember(key: "tool", value: opt(tool)),
            JSONMember(key: "decision", value: .string(decision.rawValue)),
            JSONMember(key: "rules", value: .array(rules.map { .string($0) })),
            JSONMember(key: "reason", value: opt(reason)),
            JSONMember(key: "redactions", value: .object(redactionMembers)),
            JSONMember(key: "subject", value: opt(subject)),
            JSONMember(key: "policy", value: opt(policy)),
            JSONMember(key: "latencyUs", value: .number(latencyMicros)),
        ]
        if let network { members.append(JSONMember(key: "network", value: network.json)) }
        if let sandbox { members.append(JSONMember(key: "sandbox", value: sandbox.json)) }
        if let confinement { members.append(JSONMember(key: "confinement", value: .string(confinement))) }
        members.append(JSONMember(key: "prev", value: .string(prev)))
        members.append(JSONMember(key: "hash", value: .string(hash)))
        return .object(members)
    }
}

/// Why a line is not a record.
public struct AuditDecodeError: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
