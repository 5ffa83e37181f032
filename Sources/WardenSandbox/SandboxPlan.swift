/// The sandbox of one `warden run`, as data: `warden run --dry-run` prints it, `warden run`
/// carries it out, tests check it. Computed by `SandboxPlanner.plan(_:fileSystem:)`.
public struct SandboxPlan: Sendable {
    /// What runs inside, after init (when there is one) or directly under bwrap.
    public var command: [String]
    public var project: ProjectLayout
    /// bwrap's namespace and process options, in order.
    public var processOptions: [String]
    /// Every mount in the order bwrap makes them: a later one shadows an earlier one.
    public var mounts: [SandboxMount]
    /// Protected paths that need no mount of their own, and why (read-only through `/`, masked).
    public var protectedWithoutMount: [ProtectedPath]
    /// Paths created on the host before bwrap starts, as mount points of protected paths that do
    /// not exist yet; removed after the session by the launcher's watcher.
    public var hostPlaceholders: [HostPlaceholder]
    /// Paths the sandbox may write below (for Landlock too).
    public var writableRoots: [String]
    /// Paths masked inside (for Landlock too).
    public var maskedPaths: [String]
    public var environment: EnvironmentPlan
    public var limits: LimitsPlan
    public var network: NetworkBridge
    /// How `connect` on AF_UNIX sockets is decided (allowUnixSockets).
    public var unixSockets: UnixSocketPlan
    /// Landlock ABI in use (0: none), and what that means.
    public var landlockABI: Int
    /// What `warden-sandbox-init` does inside (forwarders, rlimits, Landlock, seccomp), written
    /// to `spec.json` in the run directory.
    public var innerSpec: SandboxInnerSpec
    /// bwrap's whole argument list after `bwrap`, handed over through `--args FD`.
    public var bwrapArguments: [String]
    /// Decisions a reader of `--dry-run` should know about.
    public var notes: [String]

    /// Where the run's private directory appears inside.
    public static let runtimeMountPoint = "/tmp/.warden"
}

public struct ProjectLayout: Sendable, Hashable {
    /// The git top level, else the working directory.
    public var root: String
    /// The repository's real gitdir (`.git`, or where a `.git` file points), nil outside git.
    public var gitDirectory: String?
    /// Its common directory (a worktree's main `.git`), where `config` and `hooks` live.
    public var commonGitDirectory: String?
}

public struct SandboxMount: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        /// `--ro-bind SRC DEST`
        case readOnlyBind = "ro-bind"
        /// `--bind SRC DEST`
        case writableBind = "bind"
        /// `--tmpfs DEST`
        case tmpfs
        /// `--dev DEST`
        case devices = "dev"
        /// `--proc DEST`
        case processes = "proc"
        /// `--tmpfs DEST --remount-ro DEST`: an empty read-only directory over a directory.
        case maskDirectory = "mask-directory"
        /// `--ro-bind EMPTY DEST`: an empty read-only file over a file.
        case maskFile = "mask-file"
        /// `--remount-ro DEST`: a masked directory's tmpfs made read-only once the paths re-opened
        /// inside it (allowRead) are bound: their mount points are made in it while it is writable.
        case remountReadOnly = "remount-ro"
    }

    public var kind: Kind
    public var source: String?
    public var destination: String
    /// Which rule or mandatory path asks for it.
    public var reason: String

    public init(_ kind: Kind, source: String? = nil, _ destination: String, reason: String) {
        self.kind = kind
        self.source = source
        self.destination = destination
        self.reason = reason
    }

    var bwrapArguments: [String] {
        switch kind {
        case .readOnlyBind: ["--ro-bind", source ?? destination, destination]
        case .writableBind: ["--bind", source ?? destination, destination]
        case .tmpfs: ["--tmpfs", destination]
        case .devices: ["--dev", destination]
        case .processes: ["--proc", destination]
        case .maskDirectory: ["--tmpfs", destination, "--remount-ro", destination]
        case .maskFile: ["--ro-bind", source ?? "/dev/null", destination]
        case .remountReadOnly: ["--remount-ro", destination]
        }
    }
}

public struct ProtectedPath: Sendable, Hashable {
    public var path: String
    /// Why it is protected.
    public var reason: String
    /// How it is protected without a mount of its own.
    public var by: String
}

public struct HostPlaceholder: Sendable, Hashable {
    public var path: String
    public var kind: PathKind
    public var reason: String

    public init(path: String, kind: PathKind, reason: String) {
        self.path = path
        self.kind = kind
        self.reason = reason
    }
}

public struct EnvironmentPlan: Sendable, Hashable {
    public struct Dropped: Sendable, Hashable {
        public var name: String
        /// Why, never the value.
        public var reason: String
    }
    /// Variables passed in unchanged, by name.
    public var kept: [String]
    /// Variables Warden sets (or replaces) inside.
    public var set: [Variable]
    public var dropped: [Dropped]

    public struct Variable: Sendable, Hashable {
        public var name: String
        public var value: String
        public var reason: String
    }
}

public struct LimitsPlan: Sendable, Hashable {
    public enum Method: String, Sendable, Hashable {
        /// A cgroup v2 of the session (delegated, or root's): `pids.max` and `memory.max` for the
        /// whole session, the rlimits as well.
        case cgroup
        /// cgroup v1 hierarchies (hybrid machines, root): `pids.max`, `memory.limit_in_bytes`.
        case legacyCgroup = "cgroup-v1"
        /// Per-process rlimits set by init before the agent starts, nothing else.
        case rlimits
    }
    public var method: Method
    /// The session's cgroup the launcher makes and moves the sandbox into, nil for rlimits only.
    public var cgroup: SessionCgroup?
    public var processes: Int
    public var memoryMegabytes: Int
    public var openFiles: Int
    /// How each limit is applied, in words.
    public var explanation: [String]
}

/// How the agent reaches the host's proxies with no network of its own: the proxies listen on
/// unix sockets in the run directory, bound in; init's forwarders serve them on 127.0.0.1.
public struct NetworkBridge: Sendable, Hashable {
    /// Where the proxies' and the origin relay's sockets are in the run directory `runtime`:
    /// `warden run` starts them before the plan is finished.
    public static func hostSockets(runtimeDirectory runtime: String) -> (http: String, socks: String, origin: String) {
        (SandboxPaths.join(runtime, "http.sock"), SandboxPaths.join(runtime, "socks.sock"), SandboxPaths.join(runtime, "origin.sock"))
    }

    public var httpSocketOnHost: String
    public var socksSocketOnHost: String
    public var httpSocketInside: String
    public var socksSocketInside: String
    public var httpPort: Int
    public var socksPort: Int
    public var allowedHosts: [String]
    /// Whether the launcher serves the sockets (`warden run` does).
    public var proxyAvailable: Bool
    /// A loopback ANTHROPIC_BASE_URL's port, reached inside at 127.0.0.1:PORT through the relay
    /// listening on `originSocketOnHost`.
    public var originPort: Int?
    public var originSocketOnHost: String
    public var originSocketInside: String
    /// Warden's channel (WardenChannel): 127.0.0.1:`channelPort` inside, relayed by init to
    /// `warden run`'s socket; nil when the launcher serves none. The port is also written to
    /// `channel` in the run directory, where the hooks read it.
    public var channelPort: Int?
    public var channelSocketOnHost: String
    public var channelSocketInside: String
}
