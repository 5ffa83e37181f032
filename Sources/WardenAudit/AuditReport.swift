/// What happened in a period, counted: the numbers behind `warden report`. Rendering (text, JSON,
/// HTML) is the CLI's.
public struct AuditReport: Sendable {
    public struct Count: Sendable, Hashable {
        public var name: String
        public var count: Int
        public init(_ name: String, _ count: Int) {
            self.name = name
            self.count = count
        }
    }

    /// Connections to one host through the proxies, and the bytes they carried.
    public struct HostCount: Sendable, Hashable {
        /// The canonical host, else the host as asked.
        public var host: String
        public var count: Int
        public var bytesUp: Int
        public var bytesDown: Int
        public init(_ host: String, count: Int, bytesUp: Int, bytesDown: Int) {
            self.host = host
            self.count = count
            self.bytesUp = bytesUp
            self.bytesDown = bytesDown
        }
    }

    public struct Session: Sendable, Hashable {
        public var id: String
        public var user: String
        public var host: String
        public var first: AuditTime
        public var last: AuditTime
        public var decisions: Int
        /// Denied or blocked.
        public var denied: Int
        public var asked: Int
        public var redactions: Int
        /// A hook found the session outside Warden's sandbox (a record's confinement `outside`).
        public var outsideSandbox = false
    }

    public struct Day: Sendable, Hashable {
        /// Days since 1970-01-01.
        public var day: Int64
        public var counts: [AuditDecision: Int]
        public var total: Int { counts.values.reduce(0, +) }
    }

    /// The period asked for (nil: open-ended) and the records found in it.
    public var since: AuditTime?
    public var until: AuditTime?
    public var firstRecord: AuditTime?
    public var lastRecord: AuditTime?
    public var total: Int
    /// Every decision kind, in `AuditDecision.allCases` order, zeros included.
    public var decisions: [AuditDecision: Int]
    public var events: [Count]
    public var tools: [Count]
    /// The permission rules that decided deny and block decisions, most frequent first. Each
    /// record counts the rules it names, which the hook limits to those that decided (older logs
    /// may name every rule that matched). Connections are counted by host instead.
    public var topDeniedRules: [Count]
    /// Rules behind ask decisions, most frequent first.
    public var topAskedRules: [Count]
    /// Values redacted, withheld or found, by kind, most frequent first.
    public var redactions: [Count]
    /// Sessions, most decisions first.
    public var sessions: [Session]
    public var users: [Count]
    public var hosts: [Count]
    /// One entry per calendar day (UTC) from the first record to the last, empty days included.
    public var days: [Day]
    /// Records of connections through the proxies (event `Network`), allowed and denied.
    public var networkRecords: Int
    public var networkAllowed: Int
    public var networkDenied: Int
    /// Hosts whose connections were denied and allowed, most connections first.
    public var topDeniedHosts: [HostCount]
    public var topAllowedHosts: [HostCount]
    /// The hook's latency in microseconds: median, 95th and 99th percentile, maximum.
    public var latencyP50: Int?
    public var latencyP95: Int?
    public var latencyP99: Int?
    public var latencyMax: Int?

    public init(records: [AuditRecord], since: AuditTime? = nil, until: AuditTime? = nil, top: Int = 10) {
        let records = records.filter { (since == nil || $0.time >= since!) && (until == nil || $0.time < until!) }
        self.since = since
        self.until = until
        total = records.count
        firstRecord = records.map(\.time).min()
        lastRecord = records.map(\.time).max()
        var decisions: [AuditDecision: Int] = [:]
        for kind in AuditDecision.allCases { decisions[kind] = 0 }
        var events: [String: Int] = [:]
        var tools: [String: Int] = [:]
        var denied: [String: Int] = [:]
        var asked: [String: Int] = [:]
        var redactions: [String: Int] = [:]
        var users: [String: Int] = [:]
        var hosts: [String: Int] = [:]
        var sessions: [String: Session] = [:]
        var days: [Int64: [AuditDecision: Int]] = [:]
        var latencies: [Int] = []
        latencies.reserveCapacity(records.count)
        var deniedHosts: [String: HostCount] = [:]
        var allowedHosts: [String: HostCount] = [:]
        var networkRecords = 0
        for record in records {
            decisions[record.decision, default: 0] += 1
            events[record.event, default: 0] += 1
            users[record.user, default: 0] += 1
            hosts[record.host, default: 0] += 1
            let isDenied = record.decision == .deny || record.decision == .block
            // Connections and sandbox sessions are no hook calls: they have no tool, their rules
            // are network entries, and their latency is not the hook's.
            let isHook = record.network == nil && record.sandbox == nil
            if let network = record.network {
                networkRecords += 1
                let host = network.host ?? network.asked
                func add(_ table: inout [String: HostCount]) {
                    var entry = table[host] ?? HostCount(host, count: 0, bytesUp: 0, bytesDown: 0)
                    entry.count += 1
                    entry.bytesUp += network.bytesUp
                    entry.bytesDown += network.bytesDown
                    table[host] = entry
                }
                if isDenied { add(&deniedHosts) } else if record.decision == .allow { add(&allowedHosts) }
            }
            if isHook {
                tools[record.tool ?? "(none)", default: 0] += 1
                latencies.append(record.latencyMicros)
            }
            for rule in record.rules where isHook {
                if isDenied { denied[rule, default: 0] += 1 }
                if record.decision == .ask { asked[rule, default: 0] += 1 }
            }
            var redacted = 0
            for (kind, count) in record.redactions {
                redactions[kind, default: 0] += count
                redacted += count
            }
            var session = sessions[record.session] ?? Session(
                id: record.session, user: record.user, host: record.host, first: record.time, last: record.time,
                decisions: 0, denied: 0, asked: 0, redactions: 0)
            session.first = min(session.first, record.time)
            session.last = max(session.last, record.time)
            session.decisions += 1
            if isDenied { session.denied += 1 }
            if record.decision == .ask { session.asked += 1 }
            session.redactions += redacted
            if record.confinement == "outside" { session.outsideSandbox = true }
            sessions[record.session] = session
            days[record.time.day, default: [:]][record.decision, default: 0] += 1
        }
        self.networkRecords = networkRecords
        networkDenied = deniedHosts.values.reduce(0) { $0 + $1.count }
        networkAllowed = allowedHosts.values.reduce(0) { $0 + $1.count }
        func rankedHosts(_ table: [String: HostCount]) -> [HostCount] {
            Array(table.values.sorted { $0.count != $1.count ? $0.count > $1.count : $0.host < $1.host }.prefix(top))
        }
        topDeniedHosts = rankedHosts(deniedHosts)
        topAllowedHosts = rankedHosts(allowedHosts)
        self.decisions = decisions
        func ranked(_ counts: [String: Int], limit: Int? = nil) -> [Count] {
            let sorted = counts.map { Count($0.key, $0.value) }.sorted { $0.count != $1.count ? $0.count > $1.count : $0.name < $1.name }
            return limit.map { Array(sorted.prefix($0)) } ?? sorted
        }
        self.events = ranked(events)
        self.tools = ranked(tools)
        self.topDeniedRules = ranked(denied, limit: top)
        self.topAskedRules = ranked(asked, limit: top)
        self.redactions = ranked(redactions)
        self.users = ranked(users)
        self.hosts = ranked(hosts)
        self.sessions = sessions.values.sorted { $0.decisions != $1.decisions ? $0.decisions > $1.decisions : $0.first < $1.first }
        if let first = days.keys.min(), let last = days.keys.max() {
            self.days = (first...last).map { Day(day: $0, counts: days[$0] ?? [:]) }
        } else {
            self.days = []
        }
        latencies.sort()
        func percentile(_ p: Int) -> Int? {
            guard !latencies.isEmpty else { return nil }
            let rank = (p * latencies.count + 99) / 100  // nearest-rank
            return latencies[max(0, min(latencies.count - 1, rank - 1))]
        }
        latencyP50 = percentile(50)
        latencyP95 = percentile(95)
        latencyP99 = percentile(99)
        latencyMax = latencies.last
    }

    /// Sum of all redaction counts.
    public var totalRedactions: Int { redactions.reduce(0) { $0 + $1.count } }
}
