public import WardenJSON

/// Where `warden log export` sends the decision log, from the policy's `warden.export` object:
///
///     "warden": { "export": { "otlp": {
///         "endpoint": "https://collector.example:4318",
///         "headersFromEnvironment": { "Authorization": "WARDEN_OTLP_AUTH" },
///         "certificate": "/etc/warden/collector-ca.pem",
///         "batchSize": 256, "timeoutSeconds": 10, "maxAttempts": 5 } } }
///
/// Only read and checked here (the hook checks the whole policy on every call); the export itself
/// is the `warden` CLI's, outside the hook's hot path.
public struct ExportSettings: Sendable, Hashable {
    /// `warden.export.otlp`: nil when the policy configures no export.
    public var otlp: OTLPExportSettings?

    public init(otlp: OTLPExportSettings? = nil) { self.otlp = otlp }

    public static let knownKeys = ["otlp"]

    /// Reads `warden.export` from a policy document; each problem with its place in the document.
    public static func readWithPositions(policy json: JSONValue) -> (settings: ExportSettings, problems: [(position: JSONPosition, message: String)]) {
        var problems: [(position: JSONPosition, message: String)] = []
        guard let export = json["warden"]?["export"] else { return (ExportSettings(), problems) }
        guard let members = export.members else {
            problems.append((export.position, "warden.export must be an object, found \(export.typeName)"))
            return (ExportSettings(), problems)
        }
        var settings = ExportSettings()
        for member in members {
            switch member.key {
            case "otlp":
                settings.otlp = OTLPExportSettings.read(member.value, problems: &problems)
            default:
                problems.append((member.keyPosition, "unknown setting warden.export.\(member.key) (known: \(knownKeys.joined(separator: ", ")))"))
            }
        }
        return (settings, problems)
    }

    /// The same, each problem as `LINE:COLUMN: message`.
    public static func read(policy json: JSONValue) -> (settings: ExportSettings, problems: [String]) {
        let (settings, problems) = readWithPositions(policy: json)
        return (settings, problems.map { "\($0.position): \($0.message)" })
    }
}

/// `warden.export.otlp`: an OpenTelemetry collector's OTLP/HTTP endpoint and how to talk to it.
public struct OTLPExportSettings: Sendable, Hashable {
    public var endpoint: ExportEndpoint
    /// Headers sent with every request, as written in the policy (names as given).
    public var headers: [ExportHeader]
    /// Headers whose values are read from environment variables when the export runs, so that
    /// tokens need not be in the policy file: header name → variable name.
    public var headersFromEnvironment: [ExportHeader]
    /// Records per request (a request is also closed at `OTLPLogs.maximumBatchBytes`).
    public var batchSize: Int
    /// Time allowed for one request: connecting, sending and the answer.
    public var timeoutSeconds: Int
    /// Tries per batch before the run gives up (1: no retry).
    public var maxAttempts: Int
    /// A PEM file of the CA certificates that verify an https:// collector, instead of the
    /// system's: OpenTelemetry's `OTEL_EXPORTER_OTLP_CERTIFICATE`, which SDKs make the whole
    /// trust store for the collector. nil: the system CA certificates.
    public var certificate: String?
    /// A PEM certificate chain and its private key, shown to a collector that asks for a client
    /// certificate (mutual TLS): `OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE` and `_CLIENT_KEY`. Both or
    /// neither.
    public var clientCertificate: String?
    public var clientKey: String?

    public static let defaultBatchSize = 256
    public static let defaultTimeoutSeconds = 10
    public static let defaultMaxAttempts = 5
    public static let batchSizeRange = 1...10_000
    public static let timeoutRange = 1...300
    public static let attemptsRange = 1...100
    public static let knownKeys = [
        "endpoint", "headers", "headersFromEnvironment", "batchSize", "timeoutSeconds", "maxAttempts",
        "certificate", "clientCertificate", "clientKey",
    ]
    /// What each file key holds, for messages.
    static let fileKeys: [String: String] = [
        "certificate": "a PEM file of CA certificates",
        "clientCertificate": "a PEM file holding the client certificate",
        "clientKey": "a PEM file holding the client certificate's private key",
    ]
    /// Headers Warden sets itself.
    public static let reservedHeaders: Set<String> = ["content-type", "content-length", "host", "transfer-encoding", "connection"]

    public init(
        endpoint: ExportEndpoint, headers: [ExportHeader] = [], headersFromEnvironment: [ExportHeader] = [],
        batchSize: Int = OTLPExportSettings.defaultBatchSize, timeoutSeconds: Int = OTLPExportSettings.defaultTimeoutSeconds,
        maxAttempts: Int = OTLPExportSettings.defaultMaxAttempts, certificate: String? = nil,
        clientCertificate: String? = nil, clientKey: String? = nil
    ) {
        self.endpoint = endpoint
        self.headers = headers
        self.headersFromEnvironment = headersFromEnvironment
        self.batchSize = batchSize
        self.timeoutSeconds = timeoutSeconds
        self.maxAttempts = maxAttempts
        self.certificate = certificate
        self.clientCertificate = clientCertificate
        self.clientKey = clientKey
    }

    static func read(_ json: JSONValue, problems: inout [(position: JSONPosition, message: String)]) -> OTLPExportSettings? {
        let place = "warden.export.otlp"
        guard let members = json.members else {
            problems.append((json.position, "\(place) must be an object, found \(json.typeName)"))
            return nil
        }
        var endpoint: ExportEndpoint?
        var settings = OTLPExportSettings(endpoint: ExportEndpoint(scheme: "http", host: "localhost", port: 4318, path: ""))
        func whole(_ value: JSONValue, _ key: String, _ range: ClosedRange<Int>, unit: String) -> Int? {
            if let number = value.integer, range.contains(number) { return number }
            problems.append((value.position, "\(place).\(key) must be a whole number \(unit)from \(range.lowerBound) to \(range.upperBound)"))
            return nil
        }
        var seenHeaders: [String: String] = [:]  // lowercased name → the key that set it
        for member in members {
            let value = member.value
            switch member.key {
            case "endpoint":
                guard let text = value.string else {
                    problems.append((value.position, "\(place).endpoint must be a string, an http:// or https:// URL"))
                    continue
                }
                switch ExportEndpoint.parse(text) {
                case .success(let parsed): endpoint = parsed
                case .failure(let error): problems.append((value.position, "\(place).endpoint: \(error.message)"))
                }
            case "headers", "headersFromEnvironment":
                let fromEnvironment = member.key == "headersFromEnvironment"
                guard let entries = value.members else {
                    problems.append((value.position, "\(place).\(member.key) must be an object of header names to \(fromEnvironment ? "environment variable names" : "values"), found \(value.typeName)"))
                    continue
                }
                for entry in entries {
                    let name = entry.key
                    if !ExportHeader.isValidName(name) {
                        problems.append((entry.keyPosition, "\(place).\(member.key): \(JSONValue.quoted(name)) is not a valid HTTP header name"))
                        continue
                    }
                    if reservedHeaders.contains(name.lowercased()) {
                        problems.append((entry.keyPosition, "\(place).\(member.key): \(name) is set by Warden and cannot be given"))
                        continue
                    }
                    if let earlier = seenHeaders[name.lowercased()] {
                        problems.append((entry.keyPosition, "\(place).\(member.key): header \(name) is already given in \(place).\(earlier)"))
                        continue
                    }
                    guard let text = entry.value.string else {
                        problems.append((entry.value.position, "\(place).\(member.key).\(name) must be a string, found \(entry.value.typeName)"))
                        continue
                    }
                    if fromEnvironment {
                        guard ExportHeader.isValidVariableName(text) else {
                            problems.append((entry.value.position, "\(place).headersFromEnvironment.\(name) must name an environment variable (letters, digits and _, not starting with a digit)"))
                            continue
                        }
                        settings.headersFromEnvironment.append(ExportHeader(name: name, value: text))
                    } else {
                        // The value itself is never repeated in a message: it may be a token.
                        guard ExportHeader.isValidValue(text) else {
                            problems.append((entry.value.position, "\(place).headers.\(name): the value holds a line break or another control character"))
                            continue
                        }
                        settings.headers.append(ExportHeader(name: name, value: text))
                    }
                    seenHeaders[name.lowercased()] = member.key
                }
            case "batchSize":
                if let n = whole(value, "batchSize", batchSizeRange, unit: "of records ") { settings.batchSize = n }
            case "timeoutSeconds":
                if let n = whole(value, "timeoutSeconds", timeoutRange, unit: "of seconds ") { settings.timeoutSeconds = n }
            case "maxAttempts":
                if let n = whole(value, "maxAttempts", attemptsRange, unit: "") { settings.maxAttempts = n }
            case "certificate", "clientCertificate", "clientKey":
                // Absolute: a relative path would depend on where the export happens to be run.
                let what = fileKeys[member.key]!
                guard let path = value.string else {
                    problems.append((value.position, "\(place).\(member.key) must be a string, the absolute path of \(what)"))
                    continue
                }
                guard path.hasPrefix("/"), path.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x7F }) else {
                    problems.append((value.position, "\(place).\(member.key) must be the absolute path of \(what), got \(JSONValue.quoted(path))"))
                    continue
                }
                switch member.key {
                case "certificate": settings.certificate = path
                case "clientCertificate": settings.clientCertificate = path
                default: settings.clientKey = path
                }
            default:
                problems.append((member.keyPosition, "unknown setting \(place).\(member.key) (known: \(knownKeys.joined(separator: ", ")))"))
            }
        }
        for (given, missing) in [("clientCertificate", "clientKey"), ("clientKey", "clientCertificate")] {
            if let member = members.first(where: { $0.key == given }), !members.contains(where: { $0.key == missing }) {
                problems.append((member.keyPosition, "\(place).\(given) is given without \(place).\(missing): a client certificate needs both"))
            }
        }
        guard let endpoint else {
            if !members.contains(where: { $0.key == "endpoint" }) {
                problems.append((json.position, "\(place).endpoint is missing: the collector's OTLP/HTTP URL, e.g. \"https://collector.example:4318\""))
            }
            return nil
        }
        settings.endpoint = endpoint
        return settings
    }
}

/// One header: its name and either its value or, for `headersFromEnvironment`, a variable name.
public struct ExportHeader: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }

    /// An RFC 9110 token.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
        }
    }

    /// No control character but tab: a line break would start another header.
    public static func isValidValue(_ value: String) -> Bool {
        value.utf8.allSatisfy { $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }
    }

    public static func isValidVariableName(_ name: String) -> Bool {
        guard let first = name.utf8.first, !(first >= 0x30 && first <= 0x39) else { return false }
        return name.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x5F }
    }
}

/// A collector's OTLP/HTTP endpoint: `http` or `https`, a host, a port, and a path.
///
/// As with OpenTelemetry's `OTEL_EXPORTER_OTLP_ENDPOINT`, the base URL gets `/v1/logs` appended;
/// a URL whose path already ends in `/v1/logs` is used as it is.
public struct ExportEndpoint: Sendable, Hashable, CustomStringConvertible {
    public var scheme: String
    /// The host as written; an IPv6 address without its brackets.
    public var host: String
    public var port: Int
    /// The path as written, without a trailing slash ("" for none).
    public var path: String

    public init(scheme: String, host: String, port: Int, path: String) {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.path = path
    }

    /// The URL logs are posted to.
    public var logsURL: String {
        let hostPart = host.contains(":") ? "[\(host)]" : host
        let base = "\(scheme)://\(hostPart):\(port)"
        return path.hasSuffix("/v1/logs") ? base + path : base + path + "/v1/logs"
    }

    /// The URL posted to: safe to print (a URL with credentials or a query is refused).
    public var description: String { logsURL }

    public struct ParseError: Error, Sendable, Hashable {
        public var message: String
    }

    public static func parse(_ text: String) -> Result<ExportEndpoint, ParseError> {
        func fail(_ message: String) -> Result<ExportEndpoint, ParseError> { .failure(ParseError(message: message)) }
        let scheme: String
        var rest: Substring
        if text.hasPrefix("http://") {
            scheme = "http"
            rest = text.dropFirst(7)
        } else if text.hasPrefix("https://") {
            scheme = "https"
            rest = text.dropFirst(8)
        } else {
            return fail("expected an http:// or https:// URL, got \(JSONValue.quoted(text))")
        }
        if rest.contains(where: { $0 == "?" || $0 == "#" }) {
            return fail("a query or fragment is not allowed (headers carry credentials: warden.export.otlp.headers)")
        }
        if rest.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) {
            return fail("the URL holds a space or a control character")
        }
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash]
        var path = String(rest[slash...])
        while path.hasSuffix("/") { path.removeLast() }
        if authority.contains("@") {
            return fail("a user or password in the URL is not allowed (put credentials in warden.export.otlp.headers or headersFromEnvironment)")
        }
        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return fail("an IPv6 address must end with ]") }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return fail("expected :PORT after the IPv6 address") }
                portText = after.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
        }
        guard !host.isEmpty else { return fail("the URL has no host") }
        var port = scheme == "https" ? 443 : 80
        if let portText {
            guard let number = Int(portText), (1...65535).contains(number), portText.allSatisfy(\.isASCII) else {
                return fail("the port must be a number from 1 to 65535")
            }
            port = number
        }
        return .success(ExportEndpoint(scheme: scheme, host: String(host), port: port, path: path))
    }
}
