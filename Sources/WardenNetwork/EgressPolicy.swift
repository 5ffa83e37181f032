/// One entry of `allowedDomains` or `deniedDomains`: `example.com`, `*.example.com` (subdomains
/// only, not the apex), either with `:port`, an IPv4 or IPv6 address (`[v6]:port` with a port),
/// or a CIDR range (`10.0.0.0/8`, `fd00::/8`). Names and addresses are canonicalised like hosts,
/// so `EXAMPLE.com.`, `bücher.example` and `0x7f.1` mean what a client asking for them reaches.
public struct NetworkEntry: Sendable, Hashable, CustomStringConvertible {
    enum Target: Sendable, Hashable {
        case name(String)
        /// `*.suffix`: names ending in `.suffix`.
        case subdomains(of: String)
        case address(IPAddress)
        case network(IPAddress, prefixLength: Int)
    }

    /// The entry as written in the policy.
    public let text: String
    let target: Target
    /// Nil: every port.
    let port: Int?

    public var description: String { text }

    public init(parsing text: String) throws(HostSyntaxError) {
        func fail(_ problem: String) -> HostSyntaxError { HostSyntaxError(input: text, problem: problem) }
        self.text = text
        let utf8 = Array(text.utf8)
        guard !utf8.isEmpty else { throw fail("an entry cannot be empty") }
        if text.contains("://") { throw fail("an entry is a host, not a URL: write example.com or example.com:443") }
        if let slash = utf8.firstIndex(of: UInt8(ascii: "/")) {
            let addressText = String(decoding: utf8[..<slash], as: UTF8.self)
            guard let length = parsePrefixLength(utf8[(slash + 1)...]) else {
                throw fail("the prefix length after '/' must be a number")
            }
            let host: Host
            do throws(HostSyntaxError) { host = try canonicalHost(addressText) } catch { throw fail(error.problem) }
            guard case .address(let canonical) = host else { throw fail("a range needs an address before '/', as in 10.0.0.0/8") }
            var prefixLength = length
            // `::ffff:10.0.0.0/104` is the IPv4 range 10.0.0.0/8, which canonicalHost already
            // made an IPv4 address of.
            if canonical.isIPv4, let parsed = IPAddress.parseIPv6(Array(addressText.utf8).filter { $0 != UInt8(ascii: "[") && $0 != UInt8(ascii: "]") }[...]), !parsed.isIPv4 {
                guard prefixLength >= 96 else { throw fail("an IPv4-mapped or NAT64 range needs a prefix of 96 or more") }
                prefixLength -= 96
            }
            let maximum = canonical.isIPv4 ? 32 : 128
            guard prefixLength <= maximum else { throw fail("the prefix length must be at most \(maximum)") }
            guard !canonical.hasBitsAfter(prefixLength: prefixLength) else {
                throw fail("the address has bits set past the prefix length; write the range's first address")
            }
            self.target = .network(canonical, prefixLength: prefixLength)
            self.port = nil
            return
        }
        if utf8.starts(with: Array("*.".utf8)) {
            let authority = try NetworkEntry.parseHostAndPort(String(decoding: utf8.dropFirst(2), as: UTF8.self), fail: fail)
            guard case .name(let suffix) = authority.host else {
                throw fail("'*.' must be followed by a domain name, not an address")
            }
            self.target = .subdomains(of: suffix)
            self.port = authority.port
            return
        }
        if utf8.contains(UInt8(ascii: "*")) {
            throw fail("'*' may only start an entry, as in *.example.com")
        }
        let authority = try NetworkEntry.parseHostAndPort(text, fail: fail)
        switch authority.host {
        case .name(let name): self.target = .name(name)
        case .address(let address): self.target = .address(address)
        }
        self.port = authority.port
    }

    private static func parseHostAndPort(_ text: String, fail: (String) -> HostSyntaxError) throws(HostSyntaxError) -> (host: Host, port: Int?) {
        let utf8 = Array(text.utf8)
        let colons = utf8.count(where: { $0 == UInt8(ascii: ":") })
        do throws(HostSyntaxError) {
            // A bare IPv6 address (two or more colons, no brackets) has no port.
            if colons >= 2 && utf8.first != UInt8(ascii: "[") { return (try canonicalHost(text), nil) }
            if colons == 0 || (utf8.first == UInt8(ascii: "[") && utf8.last == UInt8(ascii: "]")) {
                return (try canonicalHost(text), nil)
            }
            let authority = try parseAuthority(text, defaultPort: nil)
            return (authority.host, authority.port)
        } catch {
            throw fail(error.problem)
        }
    }

    /// Whether the entry covers a connection to `host` on `port`, both canonical.
    func matches(host: Host, port: Int) -> Bool {
        if let entryPort = self.port, entryPort != port { return false }
        switch (target, host) {
        case (.name(let name), .name(let asked)): return name == asked
        case (.subdomains(let suffix), .name(let asked)):
            return asked.utf8.count > suffix.utf8.count + 1 && asked.hasSuffix("." + suffix)
        case (.address(let address), .address(let asked)): return address == asked.unmapped
        case (.network(let network, let length), .address(let asked)): return network.sharesPrefix(with: asked.unmapped, length: length)
        default: return false
        }
    }

    /// Whether the entry names exactly this host: a name without a wildcard, or an address or
    /// range containing `address`; the only entries that let a name reach a special address.
    func namesExactly(host: Host, address: IPAddress, port: Int) -> Bool {
        if let entryPort = self.port, entryPort != port { return false }
        switch target {
        case .name(let name): if case .name(let asked) = host { return name == asked } else { return false }
        case .subdomains: return false
        case .address, .network: return matches(host: .address(address), port: port)
        }
    }

    var isAddressEntry: Bool {
        switch target {
        case .address, .network: true
        case .name, .subdomains: false
        }
    }
}

private func parsePrefixLength(_ digits: ArraySlice<UInt8>) -> Int? {
    guard !digits.isEmpty, digits.count <= 3, digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
    return digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
}

/// What the policy says about one connection.
public struct EgressVerdict: Sendable, Hashable {
    public var allowed: Bool
    /// The text of the entry that decided; nil when none did (the default, a special address).
    public var rule: String?
    /// The policy key to change: "sandbox.network.deniedDomains", "sandbox.network.allowedDomains",
    /// "WebFetch(domain:…)", "ANTHROPIC_BASE_URL", or "default".
    public var key: String
    /// One line naming the host, the port and the key to change; fit for an HTTP 403 body.
    public var reason: String

    public init(allowed: Bool, rule: String?, key: String, reason: String) {
        self.allowed = allowed
        self.rule = rule
        self.key = key
        self.reason = reason
    }
}

/// The egress policy: deny entries win over allow entries, and what no entry allows is denied.
/// Judged twice per connection: by name before resolving, and for every address the name
/// resolved to before connecting (see `judge(host:port:resolved:)`).
public struct EgressPolicy: Sendable {
    struct Tagged: Sendable {
        var entry: NetworkEntry
        var key: String
    }

    let allowed: [Tagged]
    let denied: [Tagged]

    /// The key an allow entry is reported under when no entry allows a host.
    public static let allowedKey = "sandbox.network.allowedDomains"
    public static let deniedKey = "sandbox.network.deniedDomains"

    /// Each entry with the key it came from (`sandbox.network.allowedDomains`,
    /// `WebFetch(domain:…)`, `ANTHROPIC_BASE_URL`, `sandbox.network.deniedDomains`).
    public init(allowed: [(entry: NetworkEntry, key: String)], denied: [(entry: NetworkEntry, key: String)]) {
        self.allowed = allowed.map { Tagged(entry: $0.entry, key: $0.key) }
        self.denied = denied.map { Tagged(entry: $0.entry, key: $0.key) }
    }

    /// By name (or address, when the client asked for one), before resolving.
    public func judge(host: Host, port: Int) -> EgressVerdict {
        let target = "\(host.uriText):\(port)"
        if let deny = denied.first(where: { $0.entry.matches(host: host, port: port) }) {
            return EgressVerdict(
                allowed: false, rule: deny.entry.text, key: deny.key,
                reason: "Warden refused \(target): denied by \(quotedForMessage(deny.entry.text)) in \(deny.key)")
        }
        if let allow = allowed.first(where: { $0.entry.matches(host: host, port: port) }) {
            return EgressVerdict(
                allowed: true, rule: allow.entry.text, key: allow.key,
                reason: "Warden allowed \(target): allowed by \(quotedForMessage(allow.entry.text)) in \(allow.key)")
        }
        return EgressVerdict(
            allowed: false, rule: nil, key: "default",
            reason: "Warden refused \(target): no entry in \(EgressPolicy.allowedKey) allows it (add \(quotedForMessage(host.uriText)) there to allow it)")
    }

    /// For one address `host` resolved to, before connecting to it. The name must be allowed;
    /// an address that a deny entry covers is refused; a special address (loopback, link-local
    /// with the cloud metadata services, unspecified, multicast, broadcast, reserved) only when
    /// an entry names this host exactly or lists the address or a range holding it: a name
    /// allowed by a wildcard that resolves to 127.0.0.1 is DNS rebinding. Private ranges are
    /// allowed for allowed names.
    public func judge(host: Host, port: Int, resolved: IPAddress) -> EgressVerdict {
        let byName = judge(host: host, port: port)
        guard byName.allowed else { return byName }
        let address = resolved.unmapped
        let target = "\(host.uriText):\(port)"
        if let deny = denied.first(where: { $0.entry.isAddressEntry && $0.entry.matches(host: .address(address), port: port) }) {
            return EgressVerdict(
                allowed: false, rule: deny.entry.text, key: deny.key,
                reason: "Warden refused \(target): its address \(address) is denied by \(quotedForMessage(deny.entry.text)) in \(deny.key)")
        }
        let category = address.category
        guard category.isSpecial else { return byName }
        if let exact = allowed.first(where: { $0.entry.namesExactly(host: host, address: address, port: port) }) {
            return EgressVerdict(
                allowed: true, rule: exact.entry.text, key: exact.key,
                reason: "Warden allowed \(target) at \(category) address \(address): listed by \(quotedForMessage(exact.entry.text)) in \(exact.key)")
        }
        let nameAdvice: String
        if case .name(let name) = host { nameAdvice = "the exact name \(quotedForMessage(name)) or " } else { nameAdvice = "" }
        return EgressVerdict(
            allowed: false, rule: nil, key: EgressPolicy.allowedKey,
            reason: "Warden refused \(target): it resolved to \(address), a \(category) address, which only \(nameAdvice)that address in \(EgressPolicy.allowedKey) allows (a wildcard does not: DNS rebinding guard)")
    }
}
