import WardenJSON

/// One connection through Warden's egress proxies, as the decision log keeps it: what the client
/// asked for, what Warden made of it, where it went and how much passed. The record that carries
/// it has event `Network` (`AuditRecord.networkEvent`).
public struct NetworkDetails: Sendable, Hashable {
    /// How the client reached the proxy.
    public enum Proto: String, Sendable, Hashable, CaseIterable {
        /// A plain `http://` request through the HTTP proxy.
        case http
        /// An HTTP `CONNECT` tunnel.
        case connect
        /// A SOCKS5 `CONNECT`.
        case socks5
        /// A connection to the origin of ANTHROPIC_BASE_URL on the host's loopback, which
        /// `warden run` relays into the sandbox at the same address.
        case origin
        /// A `connect` to a unix socket path from inside `warden run`'s sandbox, decided by the
        /// supervisor against `sandbox.network.allowUnixSockets`; `asked` is the path, port 0.
        case unix
    }

    /// The most characters `asked` and `sni` keep: a DNS name has at most 253, so anything longer
    /// is not a name, and a client must not be able to grow the log with it.
    public static let clipLength = 256

    public var proto: Proto
    /// The host as the client gave it, control characters escaped (`\u001b`) and clipped to
    /// `clipLength` characters: it comes from the client and is shown to people as it is.
    public var asked: String
    /// The canonical host Warden judged (lowercase, IDNA A-labels, an address in its usual
    /// form); nil when the name did not parse.
    public var host: String?
    public var port: Int
    /// The address Warden connected to; nil when it did not connect.
    public var address: String?
    /// The TLS ClientHello's server name, escaped and clipped like `asked`; nil when it was not
    /// read (plain HTTP, SOCKS, a refusal before the ClientHello) or the ClientHello had none.
    public var sni: String?
    /// Bytes relayed from the client to the server and back.
    public var bytesUp: Int
    public var bytesDown: Int
    /// From accepting the connection to closing it.
    public var durationMillis: Int

    public init(
        proto: Proto, asked: String, host: String?, port: Int, address: String? = nil, sni: String? = nil,
        bytesUp: Int = 0, bytesDown: Int = 0, durationMillis: Int = 0
    ) {
        self.proto = proto
        self.asked = NetworkDetails.shown(asked)
        self.host = host
        self.port = port
        self.address = address
        self.sni = sni.map(NetworkDetails.shown)
        self.bytesUp = bytesUp
        self.bytesDown = bytesDown
        self.durationMillis = durationMillis
    }

    /// `host:port` (`[::1]:443` for an IPv6 address): the canonical host, else the one asked.
    public var endpoint: String {
        if proto == .unix { return "unix:" + asked }
        let name = host ?? asked
        return (name.contains(":") ? "[\(name)]" : name) + ":\(port)"
    }

    /// Text from a client made safe to keep and show: C0 and C1 control characters and DEL as
    /// `\u00XX`, clipped to `clipLength` characters with `…`. Applying it twice changes nothing,
    /// so a record read back from the log encodes to the same bytes.
    public static func shown(_ text: String) -> String {
        var pieces: [String] = []
        var total = 0
        for scalar in text.unicodeScalars {
            if scalar.value < 0x20 || (scalar.value >= 0x7F && scalar.value <= 0x9F) {
                let hex = String(scalar.value, radix: 16)
                pieces.append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
                total += 6
            } else {
                pieces.append(String(scalar))
                total += 1
            }
        }
        guard total > clipLength else { return pieces.joined() }
        // Whole pieces only, so that an escape is never cut in two; room left for the ellipsis.
        var out = ""
        var count = 0
        for piece in pieces {
            let length = piece.unicodeScalars.count
            if count + length > clipLength - 1 { break }
            out += piece
            count += length
        }
        return out + "…"
    }

    func write(to out: inout String) {
        out += "{\"proto\":\"\(proto.rawValue)\",\"asked\":"
        JSONValue.writeString(asked, to: &out)
        out += ",\"host\":"
        AuditRecord.writeOptional(host, to: &out)
        out += ",\"port\":\(port),\"address\":"
        AuditRecord.writeOptional(address, to: &out)
        out += ",\"sni\":"
        AuditRecord.writeOptional(sni, to: &out)
        out += ",\"bytesUp\":\(bytesUp),\"bytesDown\":\(bytesDown),\"durationMs\":\(durationMillis)}"
    }

    var json: JSONValue {
        func opt(_ s: String?) -> JSONValue { s.map { JSONValue.string($0) } ?? .null }
        return .object([
            JSONMember(key: "proto", value: .string(proto.rawValue)),
            JSONMember(key: "asked", value: .string(asked)),
            JSONMember(key: "host", value: opt(host)),
            JSONMember(key: "port", value: .number(port)),
            JSONMember(key: "address", value: opt(address)),
            JSONMember(key: "sni", value: opt(sni)),
            JSONMember(key: "bytesUp", value: .number(bytesUp)),
            JSONMember(key: "bytesDown", value: .number(bytesDown)),
            JSONMember(key: "durationMs", value: .number(durationMillis)),
        ])
    }

    init(json: JSONValue) throws(AuditDecodeError) {
        let fields = AuditFields(json, name: "network")
        let protoText = try fields.string("proto")
        guard let proto = Proto(rawValue: protoText) else {
            throw AuditDecodeError("\"network.proto\" is not one of http, connect, socks5, origin, unix")
        }
        self.proto = proto
        // Stored as written: `shown` was applied when the record was made, and applying it again
        // must not be what makes a tampered line verify.
        asked = try fields.string("asked")
        host = try fields.optional("host")
        port = try fields.integer("port")
        address = try fields.optional("address")
        sni = try fields.optional("sni")
        bytesUp = try fields.integer("bytesUp")
        bytesDown = try fields.integer("bytesDown")
        durationMillis = try fields.integer("durationMs")
    }
}

/// One sandboxed session of `warden run`: its start (the plan and the kernel features in use)
/// and its end (exit status and duration). Records carrying it have event `SandboxStart` or
/// `SandboxEnd`.
public struct SandboxDetails: Sendable, Hashable {
    /// The digest of the sandbox plan (mounts, namespaces, seccomp list, Landlock rules), as the
    /// launcher names it (e.g. `sha256:…`): the same in the start and end records.
    public var planDigest: String
    /// The kernel features in use, as the launcher names them: `userns`, `seccomp`,
    /// `landlock-abi-7`, …
    public var features: [String]
    /// The end record's exit status as a shell reports it (128 + N for signal N); nil at start.
    public var exitStatus: Int?
    /// The end record's time from start to exit; nil at start.
    public var durationMillis: Int?

    public init(planDigest: String, features: [String], exitStatus: Int? = nil, durationMillis: Int? = nil) {
        self.planDigest = planDigest
        self.features = features
        self.exitStatus = exitStatus
        self.durationMillis = durationMillis
    }

    func write(to out: inout String) {
        out += "{\"planDigest\":"
        JSONValue.writeString(planDigest, to: &out)
        out += ",\"features\":["
        for (i, feature) in features.enumerated() {
            if i > 0 { out += "," }
            JSONValue.writeString(feature, to: &out)
        }
        out += "],\"exitStatus\":" + (exitStatus.map(String.init) ?? "null")
        out += ",\"durationMs\":" + (durationMillis.map(String.init) ?? "null") + "}"
    }

    var json: JSONValue {
        .object([
            JSONMember(key: "planDigest", value: .string(planDigest)),
            JSONMember(key: "features", value: .array(features.map { .string($0) })),
            JSONMember(key: "exitStatus", value: exitStatus.map { .number($0) } ?? .null),
            JSONMember(key: "durationMs", value: durationMillis.map { .number($0) } ?? .null),
        ])
    }

    init(json: JSONValue) throws(AuditDecodeError) {
        let fields = AuditFields(json, name: "sandbox")
        planDigest = try fields.string("planDigest")
        guard let values = json["features"]?.array else { throw AuditDecodeError("\"sandbox.features\" is missing or not an array") }
        var features: [String] = []
        for value in values {
            guard let feature = value.string else { throw AuditDecodeError("\"sandbox.features\" holds a non-string") }
            features.append(feature)
        }
        self.features = features
        exitStatus = try fields.optionalInteger("exitStatus")
        durationMillis = try fields.optionalInteger("durationMs")
    }
}

/// Typed access to the members of one object of a record, with errors that name the member.
struct AuditFields {
    let json: JSONValue
    /// The object's name in the record (`network`), or nil for the record itself.
    let name: String?

    init(_ json: JSONValue, name: String?) {
        self.json = json
        self.name = name
    }

    func path(_ key: String) -> String { "\"" + (name.map { $0 + "." } ?? "") + key + "\"" }

    func string(_ key: String) throws(AuditDecodeError) -> String {
        guard let value = json[key]?.string else { throw AuditDecodeError("\(path(key)) is missing or not a string") }
        return value
    }

    func optional(_ key: String) throws(AuditDecodeError) -> String? {
        guard let value = json[key], !value.isNull else { return nil }
        guard let text = value.string else { throw AuditDecodeError("\(path(key)) is not a string or null") }
        return text
    }

    func integer(_ key: String) throws(AuditDecodeError) -> Int {
        guard let value = json[key]?.integer else { throw AuditDecodeError("\(path(key)) is missing or not an integer") }
        return value
    }

    func optionalInteger(_ key: String) throws(AuditDecodeError) -> Int? {
        guard let value = json[key], !value.isNull else { return nil }
        guard let number = value.integer else { throw AuditDecodeError("\(path(key)) is not an integer or null") }
        return number
    }
}

extension AuditRecord {
    /// The event of a proxy connection record.
    public static let networkEvent = "Network"
    /// The events of a sandboxed session's first and last records.
    public static let sandboxStartEvent = "SandboxStart"
    public static let sandboxEndEvent = "SandboxEnd"

    /// The record of one proxy connection: event `Network`, no tool, `allow` or `deny`, the rule
    /// that decided (none for the default deny), and `host:port` as the subject. `session` is the
    /// `warden run` session the proxy serves; `policy` the policy's hash (`AuditChain.policyHash`).
    /// `latencyMicros`: the time the proxy took to decide, if it measures it.
    public init(
        network: NetworkDetails, allowed: Bool, rule: String?, reason: String?, session: String, policy: String?,
        latencyMicros: Int = 0, time: AuditTime = .now(), origin: AuditOrigin = .current()
    ) {
        self.init(
            time: time, host: origin.host, user: origin.user, uid: origin.uid, session: session,
            event: AuditRecord.networkEvent, tool: nil, decision: allowed ? .allow : .deny,
            rules: rule.map { [$0] } ?? [], reason: reason, subject: network.endpoint, policy: policy,
            latencyMicros: latencyMicros)
        self.network = network
    }

    /// The record written when a sandboxed session starts: event `SandboxStart`, decision `none`
    /// (nothing was judged). `subject`: the command started, already redacted by the caller.
    public init(
        sandboxStart planDigest: String, features: [String], session: String, policy: String?, subject: String? = nil,
        time: AuditTime = .now(), origin: AuditOrigin = .current()
    ) {
        self.init(
            time: time, host: origin.host, user: origin.user, uid: origin.uid, session: session,
            event: AuditRecord.sandboxStartEvent, tool: nil, decision: .none, subject: subject, policy: policy)
        self.sandbox = SandboxDetails(planDigest: planDigest, features: features)
    }

    /// The record written when a sandboxed session ends: event `SandboxEnd`, decision `none`,
    /// with the exit status (128 + N for signal N) and the time since the start.
    public init(
        sandboxEnd planDigest: String, features: [String], exitStatus: Int, durationMillis: Int, session: String,
        policy: String?, subject: String? = nil, time: AuditTime = .now(), origin: AuditOrigin = .current()
    ) {
        self.init(
            time: time, host: origin.host, user: origin.user, uid: origin.uid, session: session,
            event: AuditRecord.sandboxEndEvent, tool: nil, decision: .none, subject: subject, policy: policy)
        self.sandbox = SandboxDetails(planDigest: planDigest, features: features, exitStatus: exitStatus, durationMillis: durationMillis)
    }
}
