public import WardenAudit
public import WardenJSON

/// Who sends: the resource every exported record belongs to.
public struct OTLPResource: Sendable, Hashable {
    /// `service.name`.
    public var serviceName: String
    /// `service.version`: Warden's version.
    public var serviceVersion: String
    /// `host.name`: the machine the export runs on.
    public var hostName: String

    public init(serviceName: String = "warden", serviceVersion: String, hostName: String) {
        self.serviceName = serviceName
        self.serviceVersion = serviceVersion
        self.hostName = hostName
    }
}

/// Decision records as OTLP logs in the OTLP/HTTP JSON encoding (opentelemetry-proto's
/// `ExportLogsServiceRequest` in proto3 JSON: lowerCamelCase names, 64-bit integers as strings,
/// enums as numbers). One record is one `LogRecord`; a batch is one request with one
/// `ResourceLogs` and one `ScopeLogs`.
public enum OTLPLogs {
    /// The instrumentation scope's name.
    public static let scopeName = "warden.decision-log"

    /// A request is closed before it would pass this many bytes of JSON (a single larger record
    /// still goes, alone): well under the 4–20 MiB collectors accept by default.
    public static let maximumBatchBytes = 1 << 20

    /// The severity of a decision: INFO for what went ahead as asked, INFO2 for what a person
    /// was asked about or what was redacted, WARN for what was refused.
    public static func severity(of decision: AuditDecision) -> (number: Int, text: String) {
        switch decision {
        case .allow, .none: (9, "INFO")
        case .ask, .redact: (10, "INFO2")
        case .deny, .block: (13, "WARN")
        }
    }

    /// `deny Bash`, `block UserPromptSubmit`: the decision and the tool, or the event when there
    /// is no tool; a connection adds where it went to: `deny Network example.com:443`.
    public static func body(of record: AuditRecord) -> String {
        let head = "\(record.decision.rawValue) \(record.tool ?? record.event)"
        guard let network = record.network else { return head }
        return head + " " + network.endpoint
    }

    /// Nanoseconds since the epoch, as OTLP JSON writes a fixed64: a decimal string.
    public static func unixNano(_ time: AuditTime) -> String {
        time.milliseconds <= 0 ? "0" : "\(time.milliseconds)000000"
    }

    /// The record's attributes, in this order. Optional ones are left out when the record has
    /// none: `warden.tool` for prompts, `warden.rules`, `warden.reason`, `warden.subject`,
    /// `warden.policy.hash`, `warden.redactions.*`, the `warden.network.*` of a connection and
    /// the `warden.sandbox.*` of a sandboxed session's start and end.
    public static func attributes(of record: AuditRecord) -> [(key: String, value: JSONValue)] {
        var out: [(key: String, value: JSONValue)] = [
            ("warden.decision", string(record.decision.rawValue)),
            ("warden.event", string(record.event)),
        ]
        if let tool = record.tool { out.append(("warden.tool", string(tool))) }
        if !record.rules.isEmpty {
            out.append(("warden.rules", .object(["arrayValue": .object(["values": .array(record.rules.map(string))])])))
        }
        if let reason = record.reason { out.append(("warden.reason", string(reason))) }
        if let subject = record.subject { out.append(("warden.subject", string(subject))) }
        for kind in record.redactions.keys.sorted() {
            out.append(("warden.redactions.\(kind)", int(record.redactions[kind]!)))
        }
        if let network = record.network { out.append(contentsOf: attributes(of: network)) }
        if let sandbox = record.sandbox { out.append(contentsOf: attributes(of: sandbox)) }
        if let policy = record.policy { out.append(("warden.policy.hash", string(policy))) }
        out.append(("warden.latency_us", int(record.latencyMicros)))
        out.append(("warden.seq", int(record.seq)))
        out.append(("warden.record.hash", string(record.hash)))
        out.append(("warden.record.prev", string(record.prev)))
        out.append(("session.id", string(record.session)))
        out.append(("user.name", string(record.user)))
        out.append(("user.id", string(String(record.uid))))
        out.append(("host.name", string(record.host)))
        return out
    }

    /// A connection's attributes; those the record does not have (`host`, `address`, `sni`) are
    /// left out.
    static func attributes(of network: NetworkDetails) -> [(key: String, value: JSONValue)] {
        var out: [(key: String, value: JSONValue)] = [
            ("warden.network.protocol", string(network.proto.rawValue)),
            ("warden.network.asked", string(network.asked)),
        ]
        if let host = network.host { out.append(("warden.network.host", string(host))) }
        out.append(("warden.network.port", int(network.port)))
        if let address = network.address { out.append(("warden.network.address", string(address))) }
        if let sni = network.sni { out.append(("warden.network.sni", string(sni))) }
        out.append(("warden.network.bytes_up", int(network.bytesUp)))
        out.append(("warden.network.bytes_down", int(network.bytesDown)))
        out.append(("warden.network.duration_ms", int(network.durationMillis)))
        return out
    }

    /// A sandboxed session's attributes; the exit status and duration only at its end.
    static func attributes(of sandbox: SandboxDetails) -> [(key: String, value: JSONValue)] {
        var out: [(key: String, value: JSONValue)] = [
            ("warden.sandbox.plan_digest", string(sandbox.planDigest)),
            ("warden.sandbox.features", .object(["arrayValue": .object(["values": .array(sandbox.features.map(string))])])),
        ]
        if let status = sandbox.exitStatus { out.append(("warden.sandbox.exit_status", int(status))) }
        if let duration = sandbox.durationMillis { out.append(("warden.sandbox.duration_ms", int(duration))) }
        return out
    }

    /// One `LogRecord` as JSON text.
    public static func logRecord(_ record: AuditRecord, observedAt: AuditTime) -> String {
        let severity = severity(of: record.decision)
        let value = JSONValue.object([
            "timeUnixNano": .string(unixNano(record.time)),
            "observedTimeUnixNano": .string(unixNano(observedAt)),
            "severityNumber": .number(severity.number),
            "severityText": .string(severity.text),
            "body": string(body(of: record)),
            "attributes": keyValues(attributes(of: record)),
        ])
        return value.serialized
    }

    /// A whole `ExportLogsServiceRequest` around log records already encoded by `logRecord`.
    public static func request(logRecords: [String], resource: OTLPResource) -> String {
        let (head, tail) = envelope(resource)
        var out = head
        out.reserveCapacity(head.utf8.count + tail.utf8.count + logRecords.reduce(0) { $0 + $1.utf8.count + 1 })
        for (i, record) in logRecords.enumerated() {
            if i > 0 { out += "," }
            out += record
        }
        out += tail
        return out
    }

    /// The request for `records`, observed now.
    public static func request(records: [AuditRecord], resource: OTLPResource, observedAt: AuditTime) -> String {
        request(logRecords: records.map { logRecord($0, observedAt: observedAt) }, resource: resource)
    }

    /// The JSON before and after the log records of a request.
    static func envelope(_ resource: OTLPResource) -> (head: String, tail: String) {
        let resourceValue = JSONValue.object([
            "attributes": keyValues([
                ("service.name", string(resource.serviceName)),
                ("service.version", string(resource.serviceVersion)),
                ("host.name", string(resource.hostName)),
            ]),
        ])
        let scope = JSONValue.object(["name": .string(scopeName), "version": .string(resource.serviceVersion)])
        let head = "{\"resourceLogs\":[{\"resource\":\(resourceValue.serialized),\"scopeLogs\":[{\"scope\":\(scope.serialized),\"logRecords\":["
        return (head, "]}]}]}")
    }

    /// Splits records into requests of at most `batchSize` records and, but for a single record,
    /// at most `maximumBytes` bytes of JSON. Each batch: the records and the request body.
    public static func batches(
        _ records: [AuditRecord], batchSize: Int, resource: OTLPResource, observedAt: AuditTime,
        maximumBytes: Int = OTLPLogs.maximumBatchBytes
    ) -> [(records: [AuditRecord], body: String)] {
        precondition(batchSize >= 1)
        let (head, tail) = envelope(resource)
        let overhead = head.utf8.count + tail.utf8.count
        var out: [(records: [AuditRecord], body: String)] = []
        var current: [AuditRecord] = []
        var encoded: [String] = []
        var bytes = overhead
        func close() {
            guard !current.isEmpty else { return }
            out.append((current, request(logRecords: encoded, resource: resource)))
            current = []
            encoded = []
            bytes = overhead
        }
        for record in records {
            let json = logRecord(record, observedAt: observedAt)
            let added = json.utf8.count + (encoded.isEmpty ? 0 : 1)
            if !current.isEmpty && (current.count >= batchSize || bytes + added > maximumBytes) { close() }
            bytes += json.utf8.count + (encoded.isEmpty ? 0 : 1)
            current.append(record)
            encoded.append(json)
        }
        close()
        return out
    }

    static func string(_ text: String) -> JSONValue { .object(["stringValue": .string(text)]) }

    /// An `AnyValue` int: int64, so a string in JSON.
    static func int(_ n: Int) -> JSONValue { .object(["intValue": .string(String(n))]) }

    static func keyValues(_ pairs: [(key: String, value: JSONValue)]) -> JSONValue {
        .array(pairs.map { .object(["key": .string($0.key), "value": $0.value]) })
    }
}
