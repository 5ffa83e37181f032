import FoundationEssentials
import Glibc
import NIOCore
import NIOPosix
import WardenPolicy
import WardenProxy
import WardenSandbox
import WardenSystem

/// The host side of the sandbox's network: Warden's HTTP and SOCKS5 proxies on the plan's unix
/// sockets (init's forwarders serve them on the sandbox's 127.0.0.1), and, when
/// ANTHROPIC_BASE_URL names the host's loopback, the relay that makes that origin reachable at the
/// same address inside. Every connection is a Network record in the decision log.
struct RunNetwork {
    let proxy: EgressProxy
    let origin: OriginRelay?
    /// One event loop serves the session's proxies and relay: one agent's connections need no
    /// more, and every further thread is start-up and teardown time for each `warden run`.
    let group: MultiThreadedEventLoopGroup

    /// The address and port of an ANTHROPIC_BASE_URL on the loopback (`http://127.0.0.1:8080`,
    /// `https://localhost:8443/v1`, `http://[::1]:9000`): a Messages API or gateway on this host.
    /// Nil for any other origin, which the proxy reaches like every allowed host.
    static func loopbackOrigin(_ baseURL: String) -> (address: String, port: Int)? {
        guard let schemeEnd = baseURL.firstRange(of: "://") else { return nil }
        let scheme = baseURL[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else { return nil }
        var authority = baseURL[schemeEnd.upperBound...]
        if let end = authority.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) { authority = authority[..<end] }
        if authority.contains("@") { return nil }
        let host: Substring
        var port = scheme == "https" ? 443 : 80
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            host = authority[authority.index(after: authority.startIndex)..<close]
            let rest = authority[authority.index(after: close)...]
            if rest.hasPrefix(":") {
                guard let value = Int(rest.dropFirst()) else { return nil }
                port = value
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            guard let value = Int(authority[authority.index(after: colon)...]) else { return nil }
            port = value
        } else {
            host = authority
        }
        guard (1...65535).contains(port) else { return nil }
        switch host.lowercased() {
        case "localhost", "127.0.0.1": return ("127.0.0.1", port)
        case "::1": return ("::1", port)
        default:
            // Any 127/8 address is the host's loopback too.
            let parts = host.split(separator: ".", omittingEmptySubsequences: false)
            if parts.count == 4, parts[0] == "127", parts.allSatisfy({ UInt8($0) != nil }) { return (String(host), port) }
            return nil
        }
    }

    /// Starts the proxies (and the origin relay) before the sandbox, so the agent's first
    /// connection finds them listening. A decision log that cannot be opened is said once and
    /// changes no decision.
    /// `policy` and `policyHash`: the policy the plan was made from, as `warden run` read it (a
    /// second read could find another file).
    static func start(
        http: String, socks: String, originSocket: String?, policy: Policy, policyPath: String, policyHash: String?, environment: [String: String]
    ) async throws -> RunNetwork {
        StartTrace.mark("pool", "proxies began")
        let configuration = try ProxyCommand.configuration(policy: policy, path: policyPath, policyHash: policyHash, environment: environment)
        StartTrace.mark("pool", "proxies configured")
        let log: AuditConnectionLog?
        do {
            log = try AuditConnectionLog(policy: policy, policyHash: policyHash, session: "warden-run-\(getpid())")
        } catch {
            Files.writeAll(2, "warden: connections are not logged: \(error)\n")
            log = nil
        }
        StartTrace.mark("pool", "proxies' log opened")
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let proxy: EgressProxy
        do {
            proxy = try await EgressProxy.start(
                configuration: configuration, http: [.unix(path: http)],
                socks: [.unix(path: socks)], log: log, group: group)
        } catch {
            try? await group.shutdownGracefully()
            throw CLIError("cannot start the sandbox's proxies: \(error)")
        }
        var origin: OriginRelay?
        if let originSocket, let base = environment["ANTHROPIC_BASE_URL"], let (address, port) = loopbackOrigin(base) {
            do {
                origin = try await OriginRelay.start(
                    listen: originSocket, target: try SocketAddress(ipAddress: address, port: port), log: log, group: group)
            } catch {
                await proxy.shutdown(drainDeadline: .zero)
                try? await group.shutdownGracefully()
                throw CLIError("cannot relay ANTHROPIC_BASE_URL into the sandbox: \(error)")
            }
        }
        return RunNetwork(proxy: proxy, origin: origin, group: group)
    }

    /// After the sandbox has ended: nothing inside is left to finish a connection.
    func stop() async {
        await origin?.shutdown()
        await proxy.shutdown(drainDeadline: .zero)
        try? await group.shutdownGracefully()
    }
}
