public import WardenJSON

/// The proxy to chain to (`warden.sandbox.network.upstreamProxy`, or the host's `HTTPS_PROXY`):
/// `http://[user:pass@]host:port`. The credential is kept for the `Proxy-Authorization` header
/// and never shown: `description` leaves it out.
public struct UpstreamProxy: Sendable, Hashable, CustomStringConvertible {
    public var authority: Authority
    /// `Basic …` for `Proxy-Authorization`, when the URL had user info.
    public var proxyAuthorization: String?

    /// Reads `http://[user:pass@]host[:port][/]`; the port defaults to 80. The error never
    /// quotes the user info.
    public init(parsing url: String) throws(HostSyntaxError) {
        let parts = try splitURL(
            url, allowedSchemes: ["http"], httpsProblem: "the upstream proxy is reached over plain http:// (tunnels through it are still TLS)")
        guard parts.pathAndQuery == "/" else {
            throw HostSyntaxError(input: redactingUserinfo(url), problem: "a proxy URL has no path or query, as in http://proxy.example:3128")
        }
        authority = parts.authority
        if let userinfo = parts.userinfo {
            guard let decoded = percentDecoded(userinfo) else {
                throw HostSyntaxError(input: redactingUserinfo(url), problem: "the user info has a bad %-escape")
            }
            proxyAuthorization = "Basic " + base64(decoded)
        }
    }

    /// `http://host:port`, with `(with credentials)` when there are some; never the credential.
    public var description: String {
        "http://\(authority)" + (proxyAuthorization == nil ? "" : " (with credentials)")
    }
}

/// `scheme://user:pass@host` as `scheme://…@host`, for messages.
func redactingUserinfo(_ url: String) -> String {
    guard let schemeEnd = url.firstRange(of: "://") else {
        // No scheme: everything up to the last '@' may be user info.
        guard let at = url.lastIndex(of: "@") else { return url }
        return "…" + url[at...]
    }
    let rest = url[schemeEnd.upperBound...]
    let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
    guard let at = rest[..<authorityEnd].lastIndex(of: "@") else { return url }
    return String(url[..<schemeEnd.upperBound]) + "…" + String(rest[at...])
}

private func percentDecoded(_ text: String) -> [UInt8]? {
    var output: [UInt8] = []
    var bytes = text.utf8.makeIterator()
    while let byte = bytes.next() {
        guard byte == UInt8(ascii: "%") else { output.append(byte); continue }
        guard let high = bytes.next().flatMap(hexValue), let low = bytes.next().flatMap(hexValue) else { return nil }
        output.append(high << 4 | low)
    }
    return output
}

/// RFC 4648 base64, for one header value: not worth a dependency.
func base64(_ bytes: [UInt8]) -> String {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    var output: [UInt8] = []
    var index = 0
    while index < bytes.count {
        let chunk = bytes[index..<min(index + 3, bytes.count)]
        let value = chunk.enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << UInt32(16 - 8 * $1.offset) }
        for position in 0..<4 {
            if position <= chunk.count {
                output.append(alphabet[Int(value >> UInt32(18 - 6 * position) & 0x3f)])
            } else {
                output.append(UInt8(ascii: "="))
            }
        }
        index += 3
    }
    return String(decoding: output, as: UTF8.self)
}

/// The network part of the policy: Claude Code's `sandbox.network` and Warden's
/// `warden.sandbox.network`.
///
///     "sandbox": {"network": {"allowedDomains": ["github.com", "*.npmjs.org"], "deniedDomains": ["evil.example"]}},
///     "warden": {"sandbox": {"network": {"idleTimeoutSeconds": 600, "upstreamProxy": "http://proxy.corp:3128"}}}
public struct NetworkSettings: Sendable, Hashable {
    public var allowedDomains: [NetworkEntry] = []
    public var deniedDomains: [NetworkEntry] = []
    public var allowManagedDomainsOnly = false
    /// Absolute paths of unix sockets the sandbox may reach.
    public var allowUnixSockets: [String] = []
    public var allowAllUnixSockets = false
    public var allowLocalBinding = false
    public var httpProxyPort: Int?
    public var socksProxyPort: Int?

    public var upstreamProxy: UpstreamProxy?
    public var idleTimeoutSeconds = 300
    public var headerTimeoutSeconds = 10
    public var maxConnections = 1024
    public var maxConnectionsPerClient = 256
    public var maxHeaderBytes = RequestHeadScanner.defaultMaxHeadBytes
    /// A CONNECT whose ClientHello has no SNI, or cannot be parsed, is refused.
    public var requireSNI = true
    /// A CONNECT tunnel that does not start with a TLS ClientHello is let through (ssh, iperf).
    public var allowNonTLSConnect = false

    public init() {}

    /// A problem in the settings: errors make the policy unusable, warnings are reported.
    public struct Problem: Sendable, Hashable, CustomStringConvertible {
        public var position: JSONPosition
        public var message: String
        public var isWarning: Bool

        public var description: String { "\(position): \(isWarning ? "warning" : "error"): \(message)" }
    }

    /// Reads `sandbox.network` and `warden.sandbox.network` from a whole policy document. Other
    /// keys under `sandbox` and `warden.sandbox` are someone else's and not looked at.
    public static func readWithPositions(policy json: JSONValue) -> (settings: NetworkSettings, problems: [Problem]) {
        var reader = Reader()
        if let sandbox = json["sandbox"], let network = sandbox["network"] {
            reader.readClaudeCode(network)
        }
        if let warden = json["warden"], let sandbox = warden["sandbox"], let network = sandbox["network"] {
            reader.readWarden(network)
        }
        return (reader.settings, reader.problems)
    }

    /// The egress policy: allowed are `allowedDomains`, each `WebFetch(domain:X)` allow rule's
    /// domain with its subdomains (as the hook reads those rules), and the host and port of
    /// `ANTHROPIC_BASE_URL` (default `https://api.anthropic.com`: api.anthropic.com:443, and then
    /// platform.claude.com:443 for a Claude login's token renewal); denied are `deniedDomains`.
    /// Where Claude Code renews a Claude login's OAuth token, and the key its entry is reported under.
    public static let oauthTokenOrigin = "platform.claude.com:443"
    public static let oauthKey = "Claude Code's login (OAuth token renewal)"

    public func egressPolicy(webFetchDomains: [String], anthropicBaseURL: String?) throws(HostSyntaxError) -> EgressPolicy {
        var allowed = allowedDomains.map { (entry: $0, key: EgressPolicy.allowedKey) }
        for domain in webFetchDomains {
            let key = "WebFetch(domain:\(domain))"
            let apex = try NetworkEntry(parsing: domain)
            allowed.append((apex, key))
            if case .name = apex.target {
                allowed.append((try NetworkEntry(parsing: "*." + domain), key))
            }
        }
        let chosenBaseURL = anthropicBaseURL.flatMap { $0.isEmpty ? nil : $0 }
        let api = try splitURL(chosenBaseURL ?? "https://api.anthropic.com", allowedSchemes: ["https", "http"]).authority
        allowed.append((try NetworkEntry(parsing: api.description), "ANTHROPIC_BASE_URL"))
        if chosenBaseURL == nil {
            // A developer logged in with a Claude account: the CLI renews its OAuth access token
            // at platform.claude.com (its TOKEN_URL); without it the login ends inside the sandbox
            // when the token expires. A gateway in ANTHROPIC_BASE_URL takes its place.
            allowed.append((try NetworkEntry(parsing: Self.oauthTokenOrigin), Self.oauthKey))
        }
        return EgressPolicy(allowed: allowed, denied: deniedDomains.map { (entry: $0, key: EgressPolicy.deniedKey) })
    }
}

private struct Reader {
    var settings = NetworkSettings()
    var problems: [NetworkSettings.Problem] = []

    mutating func error(_ message: String, at position: JSONPosition) {
        problems.append(.init(position: position, message: message, isWarning: false))
    }

    mutating func members(of json: JSONValue, named place: String) -> [JSONMember]? {
        guard let members = json.members else {
            error("\(place) must be an object, found \(json.typeName)", at: json.position)
            return nil
        }
        var seen: Set<String> = []
        for member in members where !seen.insert(member.key).inserted {
            error("key \(JSONValue.quoted(member.key)) appears twice in \(place); only the last one counts", at: member.keyPosition)
        }
        return members
    }

    mutating func bool(_ value: JSONValue, _ name: String) -> Bool? {
        guard let flag = value.bool else {
            error("\(name) must be true or false, found \(value.typeName)", at: value.position)
            return nil
        }
        return flag
    }

    mutating func integer(_ value: JSONValue, _ name: String, in range: ClosedRange<Int>) -> Int? {
        guard let number = value.integer, range.contains(number) else {
            error("\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)", at: value.position)
            return nil
        }
        return number
    }

    mutating func entries(_ value: JSONValue, _ name: String) -> [NetworkEntry] {
        guard let array = value.array else {
            error("\(name) must be an array of host entries, found \(value.typeName)", at: value.position)
            return []
        }
        var entries: [NetworkEntry] = []
        for item in array {
            guard let text = item.string else {
                error("an entry of \(name) must be a string, found \(item.typeName)", at: item.position)
                continue
            }
            do throws(HostSyntaxError) {
                entries.append(try NetworkEntry(parsing: text))
            } catch {
                self.error("bad entry in \(name): \(error)", at: item.position)
            }
        }
        return entries
    }

    mutating func readClaudeCode(_ json: JSONValue) {
        let place = "sandbox.network"
        guard let members = members(of: json, named: place) else { return }
        for member in members {
            let name = "\(place).\(member.key)"
            let value = member.value
            switch member.key {
            case "allowedDomains": settings.allowedDomains = entries(value, name)
            case "deniedDomains": settings.deniedDomains = entries(value, name)
            case "allowManagedDomainsOnly": settings.allowManagedDomainsOnly = bool(value, name) ?? false
            case "allowAllUnixSockets": settings.allowAllUnixSockets = bool(value, name) ?? false
            case "allowLocalBinding": settings.allowLocalBinding = bool(value, name) ?? false
            case "httpProxyPort": settings.httpProxyPort = integer(value, name, in: 1...65535)
            case "socksProxyPort": settings.socksProxyPort = integer(value, name, in: 1...65535)
            case "allowUnixSockets":
                guard let array = value.array else {
                    error("\(name) must be an array of absolute paths, found \(value.typeName)", at: value.position)
                    continue
                }
                settings.allowUnixSockets = []
                for item in array {
                    guard let path = item.string, path.hasPrefix("/"), !path.utf8.contains(0) else {
                        error("an entry of \(name) must be an absolute path", at: item.position)
                        continue
                    }
                    settings.allowUnixSockets.append(path)
                }
            default:
                problems.append(.init(
                    position: member.keyPosition,
                    message: "unknown key \(JSONValue.quoted(member.key)) in \(place); Claude Code and Warden ignore it", isWarning: true))
            }
        }
    }

    mutating func readWarden(_ json: JSONValue) {
        let place = "warden.sandbox.network"
        let known = [
            "upstreamProxy", "idleTimeoutSeconds", "headerTimeoutSeconds", "maxConnections", "maxConnectionsPerClient",
            "maxHeaderBytes", "requireSNI", "allowNonTLSConnect",
        ]
        guard let members = members(of: json, named: place) else { return }
        for member in members {
            let name = "\(place).\(member.key)"
            let value = member.value
            switch member.key {
            case "upstreamProxy":
                guard let url = value.string else {
                    error("\(name) must be a URL string, as \"http://proxy.example:3128\"", at: value.position)
                    continue
                }
                do throws(HostSyntaxError) {
                    settings.upstreamProxy = try UpstreamProxy(parsing: url)
                } catch {
                    self.error("bad \(name): \(error)", at: value.position)
                }
            case "idleTimeoutSeconds": settings.idleTimeoutSeconds = integer(value, name, in: 1...86_400) ?? settings.idleTimeoutSeconds
            case "headerTimeoutSeconds": settings.headerTimeoutSeconds = integer(value, name, in: 1...3600) ?? settings.headerTimeoutSeconds
            case "maxConnections": settings.maxConnections = integer(value, name, in: 1...1_000_000) ?? settings.maxConnections
            case "maxConnectionsPerClient":
                settings.maxConnectionsPerClient = integer(value, name, in: 1...1_000_000) ?? settings.maxConnectionsPerClient
            case "maxHeaderBytes": settings.maxHeaderBytes = integer(value, name, in: 1024...1_048_576) ?? settings.maxHeaderBytes
            case "requireSNI": settings.requireSNI = bool(value, name) ?? settings.requireSNI
            case "allowNonTLSConnect": settings.allowNonTLSConnect = bool(value, name) ?? settings.allowNonTLSConnect
            default:
                error("unknown Warden setting \(JSONValue.quoted(member.key)) in \(place) (known: \(known.joined(separator: ", ")))", at: member.keyPosition)
            }
        }
    }
}
