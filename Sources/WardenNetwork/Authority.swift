/// A host and a port, as a CONNECT target or a `Host` header gives them.
public struct Authority: Sendable, Hashable, CustomStringConvertible {
    public var host: Host
    public var port: Int
    /// The host text as given (brackets of an IPv6 address included), for the decision log.
    public var asked: String

    public init(host: Host, port: Int, asked: String) {
        self.host = host
        self.port = port
        self.asked = asked
    }

    /// `host:port`, `[v6]:port`: the canonical form.
    public var description: String { "\(host.uriText):\(port)" }
}

/// Reads `host:port` or `[v6]:port` (a CONNECT target, a `Host` header); the port may be left
/// out only when `defaultPort` is given. User info (`user@host`) is refused here: it has no place
/// in either.
public func parseAuthority(_ text: some StringProtocol, defaultPort: Int?) throws(HostSyntaxError) -> Authority {
    let input = String(text)
    func fail(_ problem: String) -> HostSyntaxError { HostSyntaxError(input: input, problem: problem) }
    let utf8 = Array(input.utf8)
    guard !utf8.isEmpty else { throw fail("the host is empty") }
    if utf8.contains(UInt8(ascii: "@")) { throw fail("user info ('user@') is not allowed here") }
    var hostEnd = utf8.count
    var portText: ArraySlice<UInt8>? = nil
    if utf8.first == UInt8(ascii: "[") {
        guard let close = utf8.firstIndex(of: UInt8(ascii: "]")) else { throw fail("an IPv6 address in brackets must end with ']'") }
        hostEnd = close + 1
        if hostEnd < utf8.count {
            guard utf8[hostEnd] == UInt8(ascii: ":") else { throw fail("only ':PORT' may follow ']'") }
            portText = utf8[(hostEnd + 1)...]
        }
    } else if let colon = utf8.firstIndex(of: UInt8(ascii: ":")) {
        guard utf8.lastIndex(of: UInt8(ascii: ":")) == colon else {
            throw fail("an IPv6 address must be written in brackets, as [::1]:443")
        }
        hostEnd = colon
        portText = utf8[(colon + 1)...]
    }
    let hostText = String(decoding: utf8[..<hostEnd], as: UTF8.self)
    let host: Host
    do throws(HostSyntaxError) {
        host = try canonicalHost(hostText)
    } catch {
        throw fail(error.problem)
    }
    let port: Int
    if let portText, !portText.isEmpty {
        guard let value = parsePort(portText) else { throw fail("the port must be a number from 1 to 65535") }
        port = value
    } else if let defaultPort {
        port = defaultPort
    } else {
        throw fail("a port is needed, as in host:443")
    }
    return Authority(host: host, port: port, asked: hostText)
}

/// 1–65535 in decimal digits only (no sign, no spaces, at most five digits).
func parsePort(_ digits: some Collection<UInt8>) -> Int? {
    guard !digits.isEmpty, digits.count <= 5 else { return nil }
    var value = 0
    for byte in digits {
        guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
        value = value * 10 + Int(byte - UInt8(ascii: "0"))
    }
    return (1...65535).contains(value) ? value : nil
}

/// An absolute-form request target, `http://host[:port]/path?query`.
public struct AbsoluteTarget: Sendable, Hashable {
    /// Always `http`: an `https` target is refused (TLS goes through CONNECT).
    public var scheme: String
    public var authority: Authority
    /// The path and query to send upstream in origin form; `/` when the target had none. The
    /// fragment is dropped.
    public var pathAndQuery: String
    /// Whether the target had user info (`user:pass@`): dropped, never sent upstream.
    public var hadUserinfo: Bool
}

/// Reads an absolute-form request target. The host is the one a browser or curl would connect
/// to: after the last `@` of the authority (`http://user@a.com@b.com/` goes to b.com), so that
/// user info cannot smuggle a host past the policy. A backslash, a space or a control byte in
/// the authority is refused, since clients disagree about where such an authority ends.
public func parseAbsoluteTarget(_ text: some StringProtocol) throws(HostSyntaxError) -> AbsoluteTarget {
    let input = String(text)
    let parts = try splitURL(
        input, allowedSchemes: ["http"], httpsProblem: "an https:// URL cannot be proxied as a plain request; a client sends CONNECT for TLS")
    return AbsoluteTarget(scheme: parts.scheme, authority: parts.authority, pathAndQuery: parts.pathAndQuery, hadUserinfo: parts.userinfo != nil)
}

struct URLParts {
    var scheme: String
    var authority: Authority
    var pathAndQuery: String
    /// Raw (percent-encoded) user info, without the `@`.
    var userinfo: String?
}

/// Splits `scheme://[userinfo@]host[:port][/path][?query][#fragment]`.
/// `httpsProblem`: what to say about an `https` URL when that scheme is not allowed.
func splitURL(_ input: String, allowedSchemes: [String], httpsProblem: String? = nil) throws(HostSyntaxError) -> URLParts {
    func fail(_ problem: String) -> HostSyntaxError { HostSyntaxError(input: input, problem: problem) }
    let utf8 = Array(input.utf8)
    if let bad = utf8.first(where: { $0 <= 0x20 || $0 == 0x7f }) {
        throw fail("the URL contains \(describeByte(bad))")
    }
    guard let colon = utf8.firstIndex(of: UInt8(ascii: ":")), colon > 0,
        utf8[..<colon].allSatisfy({ isSchemeByte($0) }),
        utf8.count >= colon + 3, utf8[colon + 1] == UInt8(ascii: "/"), utf8[colon + 2] == UInt8(ascii: "/")
    else {
        throw fail("not an absolute URL of the form scheme://host/path")
    }
    let scheme = String(decoding: utf8[..<colon], as: UTF8.self).lowercased()
    guard allowedSchemes.contains(scheme) else {
        if scheme == "https", let httpsProblem { throw fail(httpsProblem) }
        throw fail("only \(allowedSchemes.map { $0 + "://" }.joined(separator: " and ")) URLs are allowed here")
    }
    let authorityStart = colon + 3
    var authorityEnd = authorityStart
    while authorityEnd < utf8.count, ![UInt8(ascii: "/"), UInt8(ascii: "?"), UInt8(ascii: "#")].contains(utf8[authorityEnd]) {
        authorityEnd += 1
    }
    var hostStart = authorityStart
    var userinfo: String? = nil
    if utf8[authorityStart..<authorityEnd].contains(UInt8(ascii: "\\")) {
        throw fail("a backslash in the host part: clients disagree about where such a host ends")
    }
    if let at = utf8[authorityStart..<authorityEnd].lastIndex(of: UInt8(ascii: "@")) {
        hostStart = at + 1
        userinfo = String(decoding: utf8[authorityStart..<at], as: UTF8.self)
    }
    let authorityText = String(decoding: utf8[hostStart..<authorityEnd], as: UTF8.self)
    let authority: Authority
    do throws(HostSyntaxError) {
        authority = try parseAuthority(authorityText, defaultPort: scheme == "https" ? 443 : 80)
    } catch {
        throw fail(error.problem)
    }
    var pathEnd = authorityEnd
    while pathEnd < utf8.count, utf8[pathEnd] != UInt8(ascii: "#") { pathEnd += 1 }
    var pathAndQuery = String(decoding: utf8[authorityEnd..<pathEnd], as: UTF8.self)
    if !pathAndQuery.hasPrefix("/") { pathAndQuery = "/" + pathAndQuery }
    return URLParts(scheme: scheme, authority: authority, pathAndQuery: pathAndQuery, userinfo: userinfo)
}

private func isSchemeByte(_ byte: UInt8) -> Bool {
    (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
        || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")
        || byte == UInt8(ascii: ".")
}
