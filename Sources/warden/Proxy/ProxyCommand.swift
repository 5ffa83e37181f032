import ArgumentParser
import Dispatch
import FoundationEssentials
import Glibc
import NIOConcurrencyHelpers
import NIOCore
import WardenAudit
import WardenNetwork
import WardenPolicy
import WardenProxy
import WardenSystem

/// `warden proxy`: the egress proxies in the foreground, as `warden run` uses them inside the
/// sandbox, for CI runners, containers and anyone who wants the same egress policy.
struct ProxyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxy",
        abstract: "Run the HTTP and SOCKS5 egress proxies, allowing only the policy's hosts.",
        discussion: """
            Hosts allowed: sandbox.network.allowedDomains, the WebFetch(domain:…) allow rules and \
            the host:port of $ANTHROPIC_BASE_URL (default api.anthropic.com:443); \
            sandbox.network.deniedDomains wins. Limits and the upstream proxy come from \
            warden.sandbox.network (else $HTTPS_PROXY/$HTTP_PROXY and $NO_PROXY). Each connection \
            is one "Network" record in the decision log. SIGHUP reloads the policy (an invalid one \
            is refused and the old one stays); SIGINT/SIGTERM stop accepting, let open tunnels \
            finish for --drain-seconds, then close them.
            """
    )

    @Option(name: .long, help: ArgumentHelp("The policy file.", discussion: "Default: $WARDEN_POLICY, else /etc/claude-code/managed-settings.json.", valueName: "file"))
    var policy: String?

    @Option(name: .long, help: ArgumentHelp("Where the HTTP proxy listens: HOST:PORT (port 0: any free port) or a unix socket path.", valueName: "addr"))
    var http: [String] = []

    @Option(name: .long, help: ArgumentHelp("Where the SOCKS5 proxy listens: HOST:PORT or a unix socket path.", valueName: "addr"))
    var socks: [String] = []

    @Option(name: .customLong("drain-seconds"), help: ArgumentHelp("On SIGINT/SIGTERM, how long open tunnels may still run.", valueName: "seconds"))
    var drainSeconds: Int = 10

    @Flag(name: .customLong("no-log"), help: "Do not write connection records to the decision log.")
    var noLog = false

    func validate() throws {
        if http.isEmpty && socks.isEmpty { throw ValidationError("give --http ADDR, --socks ADDR or both") }
        if drainSeconds < 0 { throw ValidationError("--drain-seconds must not be negative") }
    }

    func run() async throws {
        let path = PolicyFile.locate(given: policy)
        let environment = ProcessInfo.processInfo.environment
        let (configuration, loaded) = try Self.load(path: path, environment: environment)
        let httpAddresses = try http.map { text in
            do { return try ListenAddress(parsing: text) } catch { throw CLIError("--http: \(error)") }
        }
        let socksAddresses = try socks.map { text in
            do { return try ListenAddress(parsing: text) } catch { throw CLIError("--socks: \(error)") }
        }
        let log: AuditConnectionLog? = try noLog ? nil : AuditConnectionLog(policy: loaded, policyHash: configuration.policyHash)

        // Signals are taken before listening, so none is lost in between.
        let signals: [Int32] = [SIGINT, SIGTERM, SIGHUP]
        for number in signals { signal(number, SIG_IGN) }
        let queue = DispatchQueue(label: "warden-proxy-signals")
        let (stream, continuation) = AsyncStream.makeStream(of: Int32.self)
        let sources = signals.map { number in
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            return source
        }
        defer { sources.forEach { $0.cancel() } }

        let proxy: EgressProxy
        do {
            proxy = try await EgressProxy.start(configuration: configuration, http: httpAddresses, socks: socksAddresses, log: log)
        } catch {
            throw CLIError("\(error)")
        }
        let listening = (proxy.httpAddresses.map { "http \($0)" } + proxy.socksAddresses.map { "socks5 \($0)" }).joined(separator: ", ")
        Files.writeAll(2, "warden proxy: listening on \(listening) (policy \(path))\n")

        for await number in stream {
            if number == SIGHUP {
                do {
                    let (reloaded, _) = try Self.load(path: path, environment: environment)
                    proxy.reload(reloaded)
                    Files.writeAll(2, "warden proxy: reloaded \(path)\n")
                } catch {
                    Files.writeAll(2, "warden proxy: kept the previous policy: \(error)\n")
                }
                continue
            }
            Files.writeAll(2, "warden proxy: stopping; \(proxy.openConnections) connection(s) may finish within \(drainSeconds) s\n")
            break
        }
        continuation.finish()
        await proxy.shutdown(drainDeadline: .seconds(Int64(drainSeconds)))
    }

    /// The proxy configuration from the policy file and the environment; one-line errors. The
    /// policy's hash is of the bytes it was parsed from (one read: a file replaced meanwhile
    /// cannot lend the records another policy's hash).
    static func load(path: String, environment: [String: String]) throws -> (ProxyConfiguration, Policy) {
        let read = PolicyFile.loadWithBytes(path: path)
        let policy: Policy
        switch read.policy {
        case .success(let loaded): policy = loaded
        case .failure(let error): throw CLIError("invalid policy \(error)")
        }
        return (try configuration(policy: policy, path: path, policyHash: read.bytes.map(AuditChain.policyHash), environment: environment), policy)
    }

    /// The proxy configuration of a policy already read (`warden run` has it from its plan).
    static func configuration(policy: Policy, path: String, policyHash: String?, environment: [String: String]) throws -> ProxyConfiguration {
        do {
            let egress = try policy.egressPolicy(anthropicBaseURL: environment["ANTHROPIC_BASE_URL"])
            var configuration = try ProxyConfiguration(settings: policy.network, policy: egress, environment: environment)
            configuration.policyHash = policyHash
            return configuration
        } catch let error as HostSyntaxError {
            throw CLIError("\(path): \(error)")
        } catch {
            throw CLIError("\(error)")
        }
    }
}

/// Connection records into Warden's decision log, as records with `event: "Network"`. Called on
/// the proxy's log thread; a record that cannot be written is said on standard error (at most
/// once a minute) and never changes a decision.
final class AuditConnectionLog: ConnectionLog {
    private let log: AuditLog
    /// For records that name no policy of their own (the origin relay's): the one read at start.
    private let policyHash: String?
    private let origin = AuditOrigin.current()
    private let session: String
    private let lastComplaint = NIOLock()
    nonisolated(unsafe) private var lastComplaintTime: TimeInterval = 0

    /// `session` names the records' session: the `warden proxy` or `warden run` process.
    /// `policyHash`: for records that name no policy of their own.
    init(policy: Policy, policyHash: String?, session: String = "warden-proxy-\(getpid())") throws {
        let settings = policy.audit
        guard let directory = settings.directory ?? AuditLog.defaultDirectory() else {
            throw CLIError("no decision log directory: neither warden.audit.directory, $XDG_STATE_HOME nor $HOME is set (or use --no-log)")
        }
        log = settings.log(defaultDirectory: directory)
        self.policyHash = policyHash
        self.session = session
    }

    func record(_ record: ConnectionRecord) { self.record(contentsOf: [record]) }

    /// One lock and one write for the records that queued up together.
    func record(contentsOf records: [ConnectionRecord]) {
        let entries = records.map { record in AuditRecord(
            network: Self.details(record), allowed: record.decision == .allow, rule: record.rule, reason: record.reason,
            session: session, policy: record.policyHash ?? policyHash, time: AuditTime(milliseconds: Int64(record.start.timeIntervalSince1970 * 1000)),
            origin: origin) }
        if let failure = log.append(contentsOf: entries) {
            lastComplaint.lock()
            defer { lastComplaint.unlock() }
            let now = Date().timeIntervalSince1970
            if now - lastComplaintTime > 60 {
                lastComplaintTime = now
                Files.writeAll(2, "warden proxy: the decision log was not written: \(failure)\n")
            }
        }
    }

    static func details(_ record: ConnectionRecord) -> NetworkDetails {
        let proto: NetworkDetails.Proto
        switch record.proto {
        case .http: proto = .http
        case .connect: proto = .connect
        case .socks5: proto = .socks5
        case .origin: proto = .origin
        }
        return NetworkDetails(
            proto: proto, asked: record.asked, host: record.host, port: record.port ?? 0, address: record.address,
            sni: record.sni, bytesUp: record.bytesUp, bytesDown: record.bytesDown, durationMillis: record.durationMillis)
    }
}
