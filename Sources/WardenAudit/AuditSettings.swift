public import WardenJSON

/// The decision log's settings, from the policy: Claude Code's `cleanupPeriodDays` and Warden's
/// `warden.audit` object:
///
///     "cleanupPeriodDays": 30,
///     "warden": { "audit": { "directory": "/var/log/warden", "retentionDays": 90, "segmentMegabytes": 16 } }
public struct AuditSettings: Sendable, Hashable {
    /// Where the log is kept; nil for `$XDG_STATE_HOME/warden`.
    public var directory: String?
    /// `warden.audit.retentionDays`: 0 keeps the log forever.
    public var retentionDays: Int?
    /// Claude Code's `cleanupPeriodDays`.
    public var cleanupPeriodDays: Int?
    public var segmentBytes: Int = AuditLog.defaultSegmentBytes

    /// Claude Code's default for `cleanupPeriodDays`.
    public static let defaultRetentionDays = 30

    public init(directory: String? = nil, retentionDays: Int? = nil, cleanupPeriodDays: Int? = nil, segmentBytes: Int = AuditLog.defaultSegmentBytes) {
        self.directory = directory
        self.retentionDays = retentionDays
        self.cleanupPeriodDays = cleanupPeriodDays
        self.segmentBytes = segmentBytes
    }

    /// How many days of records are kept, and why; nil days: kept forever. Warden's key wins;
    /// else `cleanupPeriodDays` when 1 or more (0 makes Claude Code keep no transcripts, which is
    /// no reason to drop the audit trail); else Claude Code's default, 30.
    public var effectiveRetention: (days: Int?, source: String) {
        if let retentionDays {
            return retentionDays == 0 ? (nil, "warden.audit.retentionDays is 0: kept forever") : (retentionDays, "warden.audit.retentionDays")
        }
        if let cleanupPeriodDays, cleanupPeriodDays > 0 { return (cleanupPeriodDays, "cleanupPeriodDays") }
        if cleanupPeriodDays == 0 {
            return (AuditSettings.defaultRetentionDays, "cleanupPeriodDays is 0, ignored for the decision log; default")
        }
        return (AuditSettings.defaultRetentionDays, "default (cleanupPeriodDays unset)")
    }

    /// Reads the settings from a policy document; problems are one line each, naming the key.
    public static func read(policy json: JSONValue) -> (settings: AuditSettings, problems: [String]) {
        let (settings, problems) = readWithPositions(policy: json)
        return (settings, problems.map { "\($0.position): \($0.message)" })
    }

    /// Reads the settings from a policy document; each problem with its place in the document.
    public static func readWithPositions(policy json: JSONValue) -> (settings: AuditSettings, problems: [(position: JSONPosition, message: String)]) {
        var settings = AuditSettings()
        var problems: [(position: JSONPosition, message: String)] = []
        if let value = json["cleanupPeriodDays"] {
            if let days = value.integer, days >= 0 { settings.cleanupPeriodDays = days } else {
                problems.append((value.position, "cleanupPeriodDays must be a whole number of days, 0 or more"))
            }
        }
        guard let audit = json["warden"]?["audit"] else { return (settings, problems) }
        guard audit.members != nil else {
            problems.append((audit.position, "warden.audit must be an object, found \(audit.typeName)"))
            return (settings, problems)
        }
        if let value = audit["directory"] {
            if let path = value.string, path.hasPrefix("/") { settings.directory = path } else {
                problems.append((value.position, "warden.audit.directory must be an absolute path"))
            }
        }
        if let value = audit["retentionDays"] {
            if let days = value.integer, days >= 0 { settings.retentionDays = days } else {
                problems.append((value.position, "warden.audit.retentionDays must be a whole number of days, 0 (forever) or more"))
            }
        }
        if let value = audit["segmentMegabytes"] {
            if let mb = value.integer, mb >= 1, mb <= 1024 { settings.segmentBytes = mb * 1024 * 1024 } else {
                problems.append((value.position, "warden.audit.segmentMegabytes must be a whole number from 1 to 1024"))
            }
        }
        for member in audit.members! where !["directory", "retentionDays", "segmentMegabytes"].contains(member.key) {
            problems.append((member.keyPosition, "unknown setting warden.audit.\(member.key)"))
        }
        return (settings, problems)
    }

    /// The log these settings describe, in `directory` or the default one.
    public func log(defaultDirectory: String) -> AuditLog {
        AuditLog(directory: directory ?? defaultDirectory, segmentBytes: segmentBytes, retentionDays: effectiveRetention.days)
    }
}
