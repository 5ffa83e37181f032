import FoundationEssentials
import NIOCore
import WardenNetwork

/// Where a proxy listens: a TCP address (port 0 picks a free port) or a unix socket path (how
/// `warden run` hands the proxies into the sandbox).
public enum ListenAddress: Sendable, Hashable, CustomStringConvertible {
    case tcp(host: String, port: Int)
    case unix(path: String)

    /// `HOST:PORT`, `[V6]:PORT`, `:PORT` (loopback) or a path (anything with a `/`).
    public init(parsing text: String) throws(ProxyConfigurationError) {
        if text.contains("/") {
            self = .unix(path: text)
            return
        }
        guard let colon = text.lastIndex(of: ":") else {
            throw ProxyConfigurationError("listen address \"\(text)\" is neither HOST:PORT nor a unix socket path")
        }
        var host = String(text[..<colon])
        let portText = text[text.index(after: colon)...]
        guard let port = Int(portText), (0...65535).contains(port) else {
            throw ProxyConfigurationError("listen address \"\(text)\": the port \"\(portText)\" is not a number from 0 to 65535")
        }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.isEmpty { host = "127.0.0.1" }
        self = .tcp(host: host, port: port)
    }

    public var description: String {
        switch self {
        case .tcp(let host, let port): host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        case .unix(let path): path
        }
    }
}

/// A configuration problem, one line naming what is wrong.
public struct ProxyConfigurationError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// `NO_PROXY` as curl reads it: comma-separated names (each also covering its subdomains, a
/// leading dot allowed), addresses, or `*` for every host.
public struct NoProxyList: Sendable, Hashable {
    var entries: [String]

    public init(_ text: String?) {
        entries = (text ?? "").split(separator: ",").map {
            // Foundation's `.whitespaces`: tab and the space separators (Zs).
            let isSpace = { (c: Character) in c == "\t" || c.unicodeScalars.allSatisfy { $0.properties.generalCategory == .spaceSeparator } }
            var entry = String($0.drop(while: isSpace).reversed().drop(while: isSpace).reversed()).lowercased()
            if entry.hasPrefix("*.") { entry.removeFirst() }
            if entry.hasPrefix(".") { entry.removeFirst() }
            if let colon = entry.lastIndex(of: ":"), !entry.contains("::"), entry.firstIndex(of: ":") == colon {
                entry = String(entry[..<colon])
            }
            return entry
        }.filter { !$0.isEmpty }
    }

    /// Whether a canonical host goes direct rather than through the upstream proxy.
    public func bypasses(_ host: String) -> Bool {
        entries.contains { $0 == "*" || host == $0 || host.hasSuffix("." + $0) }
    }
}

/// Everything a running proxy needs besides its sockets; `reload` swaps it as a whole.
public struct ProxyConfiguration: Sendable {
    public var policy: EgressPolicy
    public var upstream: UpstreamProxy?
    public var noProxy: NoProxyList
    public var idleTimeout: TimeAmount
    public var headerTimeout: TimeAmount
    public var maxConnections: Int
    public var maxConnectionsPerClient: Int
    public var maxHeaderBytes: Int
    public var requireSNI: Bool
    public var allowNonTLSConnect: Bool
    /// SOCKS5 tunnels to these ports get the TLS SNI check of CONNECT tunnels (443; other
    /// ports carry protocols that need not start with a ClientHello).
    public var socksSNIPorts: Set<Int> = [443]
    /// How long an upstream connect (or the upstream proxy's CONNECT answer) may take.
    public var connectTimeout: TimeAmount
    /// The hash of the policy file this configuration was read from (`sha256:…`): the record of
    /// every connection it judged names it, so a reload never relabels an earlier decision.
    public var policyHash: String?

    public init(
        policy: EgressPolicy, upstream: UpstreamProxy? = nil, noProxy: NoProxyList = NoProxyList(nil),
        idleTimeout: TimeAmount = .seconds(300), headerTimeout: TimeAmount = .seconds(10),
        maxConnections: Int = 1024, maxConnectionsPerClient: Int = 256, maxHeaderBytes: Int = 32768,
        requireSNI: Bool = true, allowNonTLSConnect: Bool = false, connectTimeout: TimeAmount = .seconds(10)
    ) {
        self.policy = policy
        self.upstream = upstream
        self.noProxy = noProxy
        self.idleTimeout = idleTimeout
        self.headerTimeout = headerTimeout
        self.maxConnections = maxConnections
        self.maxConnectionsPerClient = maxConnectionsPerClient
        self.maxHeaderBytes = maxHeaderBytes
        self.requireSNI = requireSNI
        self.allowNonTLSConnect = allowNonTLSConnect
        self.connectTimeout = connectTimeout
    }

    /// From the policy's settings. The upstream proxy is `warden.sandbox.network.upstreamProxy`,
    /// else the host's `HTTPS_PROXY`/`https_proxy`/`HTTP_PROXY`/`http_proxy` from `environment`
    /// (passed in: this module never reads the process environment), with `NO_PROXY`.
    public init(settings: NetworkSettings, policy: EgressPolicy, environment: [String: String]) throws(ProxyConfigurationError) {
        var upstream = settings.upstreamProxy
        if upstream == nil {
            for name in ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"] {
                guard let value = environment[name], !value.isEmpty else { continue }
                do {
                    upstream = try UpstreamProxy(parsing: value)
                } catch {
                    throw ProxyConfigurationError("$\(name): \(error)")
                }
                break
            }
        }
        self.init(
            policy: policy, upstream: upstream, noProxy: NoProxyList(environment["NO_PROXY"] ?? environment["no_proxy"]),
            idleTimeout: .seconds(Int64(settings.idleTimeoutSeconds)), headerTimeout: .seconds(Int64(settings.headerTimeoutSeconds)),
            maxConnections: settings.maxConnections, maxConnectionsPerClient: settings.maxConnectionsPerClient,
            maxHeaderBytes: settings.maxHeaderBytes, requireSNI: settings.requireSNI, allowNonTLSConnect: settings.allowNonTLSConnect)
    }
}
