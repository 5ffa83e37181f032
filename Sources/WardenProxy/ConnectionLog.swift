import Dispatch
import Glibc
import FoundationEssentials
import NIOConcurrencyHelpers
import NIOCore

/// One proxied connection (or one request of a keep-alive HTTP connection), as the decision log
/// keeps it. Pure data.
public struct ConnectionRecord: Sendable, Hashable {
    public enum Proto: String, Sendable, Hashable {
        /// An absolute-form request (`GET http://…`).
        case http
        /// An HTTP `CONNECT` tunnel.
        case connect
        case socks5
        /// Relayed by `OriginRelay` to the origin of ANTHROPIC_BASE_URL on the host's loopback.
        case origin
    }

    public enum Decision: String, Sendable, Hashable { case allow, deny }

    public var proto: Proto
    /// The peer address of the client (`unix:PATH` for a unix socket client).
    public var client: String
    /// The host as the client wrote it (escaped when it held control bytes).
    public var asked: String
    /// The canonical host, when the name could be canonicalised.
    public var host: String?
    public var port: Int?
    /// The address connected to (or refused); the upstream proxy's when chained.
    public var address: String?
    /// The TLS ClientHello's server name, when one was read.
    public var sni: String?
    public var decision: Decision
    /// The policy entry that decided, when one did.
    public var rule: String?
    /// The policy key that decided (`sandbox.network.allowedDomains`, `default`, …), or the
    /// proxy's own reason kind (`proxy.limits`, `proxy.request`) for refusals that are not policy.
    public var key: String
    /// One line: why.
    public var reason: String
    public var bytesUp: Int
    public var bytesDown: Int
    /// Seconds since 1970 when the connection (or request) started.
    public var start: Date
    public var durationMillis: Int
    /// The hash of the policy that judged the connection (`ProxyConfiguration.policyHash`).
    public var policyHash: String?

    public init(
        proto: Proto, client: String, asked: String, host: String? = nil, port: Int? = nil, address: String? = nil,
        sni: String? = nil, decision: Decision, rule: String? = nil, key: String, reason: String,
        bytesUp: Int = 0, bytesDown: Int = 0, start: Date, durationMillis: Int = 0, policyHash: String? = nil
    ) {
        self.proto = proto
        self.client = client
        self.asked = asked
        self.host = host
        self.port = port
        self.address = address
        self.sni = sni
        self.decision = decision
        self.rule = rule
        self.key = key
        self.reason = reason
        self.bytesUp = bytesUp
        self.bytesDown = bytesDown
        self.start = start
        self.durationMillis = durationMillis
        self.policyHash = policyHash
    }
}

/// Where connection records go. `record` is called on a background thread of the proxy's own
/// (never on an event loop), one record at a time; what it does with a failure is its business,
/// it never changes a decision.
public protocol ConnectionLog: Sendable {
    func record(_ record: ConnectionRecord)
    /// Several records that queued up together, in order (one write for all of them, under
    /// load). By default one `record` call each.
    func record(contentsOf records: [ConnectionRecord])
}

extension ConnectionLog {
    public func record(contentsOf records: [ConnectionRecord]) {
        for record in records { self.record(record) }
    }
}

/// Keeps records in memory (tests, and `warden proxy --no-log`'s counters).
public final class MemoryConnectionLog: ConnectionLog {
    private let records = NIOLockedValueBox<[ConnectionRecord]>([])
    public init() {}
    public func record(_ record: ConnectionRecord) { records.withLockedValue { $0.append(record) } }
    public var all: [ConnectionRecord] { records.withLockedValue { $0 } }
}

/// Hands records from the event loops to one writer thread, so a slow or failing log never
/// stalls a relay. Bounded: past `capacity` waiting records new ones are dropped and counted
/// (said once per burst on standard error by the writer).
///
/// The writer is woken lazily: while records keep coming it wakes every `batchDelay` (or when
/// `wakeAfter` records wait) and writes what queued up in one append; only the first record
/// after a quiet period wakes it at once. A wake-up per record cost a futex wake and a writer
/// thread competing for a core in the middle of the next handshake (issue 12). `close` wakes
/// it at once and returns only when every accepted record is written.
final class ConnectionLogQueue: Sendable {
    private struct State {
        var pending: [ConnectionRecord] = []
        var dropped = 0
        var closed = false
        /// The writer sleeps until woken (it found nothing to write): the next record wakes it.
        var writerSleeps = true
    }

    private let sink: any ConnectionLog
    private let capacity: Int
    private let batchDelay: Double
    private let wakeAfter: Int
    private let state = NIOLockedValueBox(State())
    private let condition = ConditionLock(value: 0)
    private let finished = ConditionLock(value: 0)

    init(sink: any ConnectionLog, capacity: Int = 65536, batchDelay: TimeAmount = .milliseconds(100), wakeAfter: Int = 512) {
        self.sink = sink
        self.capacity = capacity
        self.batchDelay = Double(batchDelay.nanoseconds) / 1e9
        self.wakeAfter = wakeAfter
        // A queue of its own: its blocking loop gets a thread of its own, as a Thread did.
        DispatchQueue(label: "warden-proxy-log").async { [self] in self.run() }
    }

    func enqueue(_ record: ConnectionRecord) {
        let wake = state.withLockedValue { state -> Bool in
            guard !state.closed, state.pending.count < capacity else {
                state.dropped += 1
                return false
            }
            state.pending.append(record)
            if state.writerSleeps {
                state.writerSleeps = false
                return true
            }
            return state.pending.count == wakeAfter
        }
        if wake { wakeWriter() }
    }

    /// Writes what is queued, then stops the writer.
    func close() {
        state.withLockedValue { $0.closed = true }
        wakeWriter()
        finished.lock(whenValue: 1)
        finished.unlock()
    }

    private func wakeWriter() {
        condition.lock()
        condition.unlock(withValue: 1)
    }

    private func run() {
        var sleepUntilWoken = true
        while true {
            if sleepUntilWoken {
                condition.lock(whenValue: 1)
                condition.unlock(withValue: 0)
            } else if condition.lock(whenValue: 1, timeoutSeconds: batchDelay) {
                condition.unlock(withValue: 0)
            }
            let (batch, dropped, closed) = state.withLockedValue { state in
                defer {
                    state.pending.removeAll(keepingCapacity: true)
                    state.dropped = 0
                }
                // Nothing came during a whole delay: sleep until a record wakes us. Set under
                // the lock that `enqueue` reads it under, so no record is left unwritten.
                state.writerSleeps = state.pending.isEmpty
                return (state.pending, state.dropped, state.closed)
            }
            sleepUntilWoken = batch.isEmpty
            if !batch.isEmpty { sink.record(contentsOf: batch) }
            if dropped > 0 {
                let line = Array("warden proxy: the connection log fell behind, \(dropped) record(s) dropped\n".utf8)
                _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
            }
            if closed {
                finished.lock()
                finished.unlock(withValue: 1)
                return
            }
        }
    }
}
