public import WardenPolicy

/// What the plan needs to know about the disk. The launcher answers with system calls
/// (`WardenLaunch.LaunchFileSystem`); tests answer from memory, which keeps the plan pure.
public protocol SandboxFileSystem: Sendable {
    /// What is at `path` without following a final symbolic link (lstat), nil when nothing is.
    func kind(of path: String) -> PathKind?
    /// The path with every symbolic link and `..` resolved (realpath), nil when it does not exist.
    func resolvedPath(_ path: String) -> String?
    /// The entries of a directory (no `.` and `..`), nil when it cannot be listed.
    func entries(of directory: String) -> [DirectoryEntry]?
    /// A small text file (a `.git` file, `commondir`), nil when it cannot be read.
    func contents(of path: String) -> String?
}

public enum PathKind: String, Sendable, Hashable {
    case directory, file, symlink, other
}

public struct DirectoryEntry: Sendable, Hashable {
    public var name: String
    public var kind: PathKind
    public init(name: String, kind: PathKind) {
        self.name = name
        self.kind = kind
    }
}

/// What the running kernel offers, read once at start by the launcher.
public struct KernelFeatures: Sendable, Hashable {
    /// Landlock ABI version, 0 when Landlock is absent or disabled.
    public var landlockABI: Int
    /// Whether a seccomp filter can be loaded.
    public var seccomp: Bool
    /// The cgroup hierarchies and whether the launcher may make the session's cgroup in them.
    public var cgroups: CgroupFacts

    public init(landlockABI: Int = 0, seccomp: Bool = true, cgroups: CgroupFacts = CgroupFacts()) {
        self.landlockABI = landlockABI
        self.seccomp = seccomp
        self.cgroups = cgroups
    }
}

/// Everything the plan is a function of.
public struct SandboxRequest: Sendable {
    public var policy: Policy
    /// Where the policy was read from: protected inside.
    public var policyPath: String?
    public var home: String
    /// The directory `warden run` was started in.
    public var workingDirectory: String
    /// The developer's environment, in its order.
    public var environment: [(name: String, value: String)]
    public var kernel: KernelFeatures
    /// The developer's uid and gid, kept inside.
    public var uid: UInt32
    public var gid: UInt32
    /// The command to run inside (the real `claude`, or `CMD ARGS…`), its first word resolved.
    public var command: [String]
    /// The directory of Warden's binaries (`warden`, `warden-hook`, `warden-sandbox-init`): protected.
    public var wardenDirectory: String
    /// `warden-sandbox-init`, when it is installed: it then starts the command.
    public var initPath: String?
    /// The decision log's directory: protected.
    public var logDirectory: String?
    /// A private directory of this run on the host (the empty files bound over masked files, the
    /// proxy sockets, the inner spec). It is bound at `SandboxPlan.runtimeMountPoint` inside.
    public var runtimeDirectory: String
    /// `sandbox.network.httpProxyPort` / `socksProxyPort` when the policy sets them.
    public var httpProxyPort: Int?
    public var socksProxyPort: Int?
    /// The hosts the proxies let through (`Policy.egressPolicy` once the network settings are read).
    public var allowedHosts: [String]
    /// Whether the command is Claude Code (then its own sandbox is turned off with `--settings`).
    public var commandIsClaude: Bool
    /// Whether the launcher serves the proxy sockets (`warden run` does; without them the sandbox
    /// has no network but loopback).
    public var proxyAvailable: Bool
    /// The port of an ANTHROPIC_BASE_URL on the host's loopback: init listens on it inside and
    /// hands each connection to the launcher's relay to that origin.
    public var originPort: Int?
    /// Whether the launcher serves Warden's channel (`warden run` does): the hooks inside hand
    /// their records and pseudonym look-ups to it.
    public var channelAvailable: Bool
    /// The pseudonym books' directory on the host: masked inside (their keys stay on the host).
    public var pseudonymDirectory: String?
    /// Placeholders that other live sessions made on the host (empty mount points of absent
    /// protected paths): the plan takes them as absent, so that this session makes (or shares,
    /// under the state directory's lock) its own instead of binding another's, which that
    /// session may remove before bwrap binds it.
    public var otherSessionsPlaceholders: Set<String>

    public init(
        policy: Policy, policyPath: String?, home: String, workingDirectory: String,
        environment: [(name: String, value: String)], kernel: KernelFeatures, uid: UInt32, gid: UInt32,
        command: [String], wardenDirectory: String, initPath: String? = nil, logDirectory: String?,
        runtimeDirectory: String, httpProxyPort: Int? = nil, socksProxyPort: Int? = nil,
        allowedHosts: [String] = [], commandIsClaude: Bool = false, proxyAvailable: Bool = false, originPort: Int? = nil,
        channelAvailable: Bool = false, pseudonymDirectory: String? = nil, otherSessionsPlaceholders: Set<String> = []
    ) {
        self.policy = policy
        self.policyPath = policyPath
        self.home = home
        self.workingDirectory = workingDirectory
        self.environment = environment
        self.kernel = kernel
        self.uid = uid
        self.gid = gid
        self.command = command
        self.wardenDirectory = wardenDirectory
        self.initPath = initPath
        self.logDirectory = logDirectory
        self.runtimeDirectory = runtimeDirectory
        self.httpProxyPort = httpProxyPort
        self.socksProxyPort = socksProxyPort
        self.allowedHosts = allowedHosts
        self.commandIsClaude = commandIsClaude
        self.proxyAvailable = proxyAvailable
        self.originPort = originPort
        self.channelAvailable = channelAvailable
        self.pseudonymDirectory = pseudonymDirectory
        self.otherSessionsPlaceholders = otherSessionsPlaceholders
    }
}
