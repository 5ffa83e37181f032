// The sandbox's Landlock ruleset, as data. Landlock is the second wall behind the mounts: the
// mounts decide what exists inside the sandbox (secrets are masked there); Landlock decides what
// may be written, so that a path the mounts leave writable by mistake, or a write through a file
// descriptor opened on a mount's underlying directory, is still refused.
public import WardenJSON

/// Filesystem access rights of Landlock (`LANDLOCK_ACCESS_FS_*`), with the ABI that introduced each.
public struct LandlockFilesystemAccess: OptionSet, Sendable, Hashable {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    public static let execute = Self(rawValue: 1 << 0)
    public static let writeFile = Self(rawValue: 1 << 1)
    public static let readFile = Self(rawValue: 1 << 2)
    public static let readDir = Self(rawValue: 1 << 3)
    public static let removeDir = Self(rawValue: 1 << 4)
    public static let removeFile = Self(rawValue: 1 << 5)
    public static let makeChar = Self(rawValue: 1 << 6)
    public static let makeDir = Self(rawValue: 1 << 7)
    public static let makeReg = Self(rawValue: 1 << 8)
    public static let makeSock = Self(rawValue: 1 << 9)
    public static let makeFifo = Self(rawValue: 1 << 10)
    public static let makeBlock = Self(rawValue: 1 << 11)
    public static let makeSym = Self(rawValue: 1 << 12)
    /// ABI 2: linking or renaming a file into another directory.
    public static let refer = Self(rawValue: 1 << 13)
    /// ABI 3.
    public static let truncate = Self(rawValue: 1 << 14)
    /// ABI 5: ioctl on character and block devices.
    public static let ioctlDevice = Self(rawValue: 1 << 15)

    /// The names used in the JSON form and in `--dry-run`, in bit order.
    public static let names: [(String, LandlockFilesystemAccess)] = [
        ("execute", .execute), ("write-file", .writeFile), ("read-file", .readFile), ("read-dir", .readDir),
        ("remove-dir", .removeDir), ("remove-file", .removeFile), ("make-char", .makeChar), ("make-dir", .makeDir),
        ("make-reg", .makeReg), ("make-sock", .makeSock), ("make-fifo", .makeFifo), ("make-block", .makeBlock),
        ("make-sym", .makeSym), ("refer", .refer), ("truncate", .truncate), ("ioctl-dev", .ioctlDevice),
    ]

    /// Every right a kernel of this ABI knows (ABI 4, 6 and 7 added none for files).
    public static func all(abi: Int) -> LandlockFilesystemAccess {
        guard abi >= 1 else { return [] }
        var rights = LandlockFilesystemAccess(rawValue: (1 << 13) - 1)
        if abi >= 2 { rights.insert(.refer) }
        if abi >= 3 { rights.insert(.truncate) }
        if abi >= 5 { rights.insert(.ioctlDevice) }
        return rights
    }

    public static let read: LandlockFilesystemAccess = [.execute, .readFile, .readDir]

    public var nameList: [String] { Self.names.filter { contains($0.1) }.map(\.0) }
}

/// Landlock scopes (ABI 6): what a process may not reach outside its domain.
public struct LandlockScope: OptionSet, Sendable, Hashable {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    /// No connecting to abstract unix sockets created outside the domain.
    public static let abstractUnixSocket = Self(rawValue: 1 << 0)
    /// No signals to processes outside the domain.
    public static let signal = Self(rawValue: 1 << 1)

    public static let names: [(String, LandlockScope)] = [("abstract-unix-socket", .abstractUnixSocket), ("signal", .signal)]
    public var nameList: [String] { Self.names.filter { contains($0.1) }.map(\.0) }
}

/// One `LANDLOCK_RULE_PATH_BENEATH`: `access` allowed on `path` and everything below it.
public struct LandlockPathRule: Sendable, Hashable {
    public var path: String
    public var access: LandlockFilesystemAccess
    public var reason: String
    public init(path: String, access: LandlockFilesystemAccess, reason: String) {
        self.path = path
        self.access = access
        self.reason = reason
    }
}

/// A Landlock ruleset for the whole sandbox: the rights it handles (everything else is not
/// Landlock's business), the paths where handled rights are allowed, and the scopes.
///
/// Entry point for the plan: `LandlockProfile.forSandbox(abi:readable:writable:)`.
/// No TCP rules (ABI 4): a port rule would have to allow the ports the agent's own test servers
/// pick on the sandbox's loopback, which no list can know, and the network namespace already has
/// nothing but loopback and the forwarders.
public struct LandlockProfile: Sendable, Hashable {
    /// The kernel's Landlock ABI the profile was made for (init refuses a lower one).
    public var abi: Int
    public var handledAccess: LandlockFilesystemAccess
    public var rules: [LandlockPathRule]
    public var scopes: LandlockScope

    public init(abi: Int, handledAccess: LandlockFilesystemAccess, rules: [LandlockPathRule], scopes: LandlockScope) {
        self.abi = abi
        self.handledAccess = handledAccess
        self.rules = rules
        self.scopes = scopes
    }

    /// Every file right of `abi` handled; reading and execution allowed below `readable` (usually
    /// `/`: the mounts already decide what can be seen), every right below `writable`, reading,
    /// writing and device ioctls (no creating or removing) below `devices` (`/dev`: terminals,
    /// `/dev/null`). With ABI ≥ 6, abstract unix sockets and signals are scoped to the sandbox.
    /// A path that does not exist at start is skipped by init (nothing below it can be allowed).
    public static func forSandbox(abi: Int, readable: [String], writable: [String], devices: [String] = ["/dev"]) -> LandlockProfile {
        let handled = LandlockFilesystemAccess.all(abi: abi)
        var rules: [LandlockPathRule] = []
        for path in readable {
            rules.append(LandlockPathRule(path: path, access: LandlockFilesystemAccess.read.intersection(handled), reason: "readable: the mounts decide what is visible"))
        }
        let deviceRights: LandlockFilesystemAccess = [.readFile, .writeFile, .readDir, .truncate, .ioctlDevice]
        for path in devices {
            rules.append(LandlockPathRule(path: path, access: deviceRights.intersection(handled), reason: "devices: terminals and /dev/null"))
        }
        for path in writable {
            rules.append(LandlockPathRule(path: path, access: handled, reason: "writable root"))
        }
        return LandlockProfile(abi: abi, handledAccess: handled, rules: rules, scopes: abi >= 6 ? [.abstractUnixSocket, .signal] : [])
    }

    public var jsonValue: JSONValue {
        .object([
            "abi": .number(abi),
            "handledAccess": .array(handledAccess.nameList.map { .string($0) }),
            "rules": .array(rules.map { rule in
                .object([
                    "path": .string(rule.path),
                    "access": .array(rule.access.nameList.map { .string($0) }),
                    "reason": .string(rule.reason),
                ])
            }),
            "scopes": .array(scopes.nameList.map { .string($0) }),
        ])
    }

    public init(jsonValue: JSONValue, at path: String) throws(SandboxSpecError) {
        let object = try StrictObject(jsonValue, at: path, known: ["abi", "handledAccess", "rules", "scopes"])
        abi = try object.integer("abi")
        guard abi >= 1 else { throw SandboxSpecError("\(path).abi: \(abi) is not a Landlock ABI (1 or more)") }
        handledAccess = try Self.access(object.strings("handledAccess"), at: "\(path).handledAccess")
        guard !handledAccess.isEmpty else { throw SandboxSpecError("\(path).handledAccess: empty, the ruleset would restrict nothing") }
        guard LandlockFilesystemAccess.all(abi: abi).isSuperset(of: handledAccess) else {
            throw SandboxSpecError("\(path).handledAccess: rights the ABI \(abi) does not have")
        }
        var scopes: LandlockScope = []
        for name in try object.strings("scopes") {
            guard let scope = LandlockScope.names.first(where: { $0.0 == name })?.1 else {
                throw SandboxSpecError("\(path).scopes: unknown scope \(JSONValue.quoted(name)) (\(LandlockScope.names.map(\.0).joined(separator: ", ")))")
            }
            scopes.insert(scope)
        }
        guard scopes.isEmpty || abi >= 6 else { throw SandboxSpecError("\(path).scopes: scopes need ABI 6, the profile is for ABI \(abi)") }
        self.scopes = scopes
        rules = []
        for (index, item) in try object.array("rules").enumerated() {
            let at = "\(path).rules[\(index)]"
            let entry = try StrictObject(item, at: at, known: ["path", "access", "reason"])
            let rulePath = try entry.string("path")
            guard rulePath.hasPrefix("/") else { throw SandboxSpecError("\(at).path: \(JSONValue.quoted(rulePath)) is not an absolute path") }
            let access = try Self.access(entry.strings("access"), at: "\(at).access")
            guard handledAccess.isSuperset(of: access) else { throw SandboxSpecError("\(at).access: allows rights the ruleset does not handle") }
            rules.append(LandlockPathRule(path: rulePath, access: access, reason: try entry.string("reason")))
        }
    }

    static func access(_ names: [String], at path: String) throws(SandboxSpecError) -> LandlockFilesystemAccess {
        var rights: LandlockFilesystemAccess = []
        for name in names {
            guard let right = LandlockFilesystemAccess.names.first(where: { $0.0 == name })?.1 else {
                throw SandboxSpecError("\(path): unknown access right \(JSONValue.quoted(name))")
            }
            rights.insert(right)
        }
        return rights
    }
}
