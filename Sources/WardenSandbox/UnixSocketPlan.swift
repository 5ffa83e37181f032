// `sandbox.network.allowUnixSockets` on Linux, as data: which unix socket paths the sandbox may
// connect to, and the judgement of one `connect` address, which the supervisor on the host
// (WardenLaunch.UnixSocketSupervisor) makes on its own copy of the caller's sockaddr.
public import WardenJSON

/// How the sandbox's `connect` calls on AF_UNIX sockets are decided.
public struct UnixSocketPlan: Sendable, Hashable {
    public enum Mode: String, Sendable, Hashable {
        /// No paths listed: new AF_UNIX sockets are refused by seccomp (EPERM).
        case refused
        /// Paths listed: every `connect` waits for the supervisor on the host.
        case supervised
        /// `allowAllUnixSockets: true`: no AF_UNIX rule at all.
        case all
    }

    public var mode: Mode
    /// The listed absolute paths, exactly as the policy gives them.
    public var paths: [String]

    /// The descriptor number through which bwrap's first process (init) receives the socket it
    /// sends the filter's listener over: 3 and 4 are bwrap's `--args` and `--info-fd`.
    public static let supervisorDescriptor = 5

    /// What a refused connect returns: "Permission denied", as for a socket file one may not write.
    public static let refusalErrno: Int32 = 13  // EACCES

    public init(allowUnixSocketPaths: [String], allowAllUnixSockets: Bool) {
        if allowAllUnixSockets {
            mode = .all
        } else if allowUnixSocketPaths.isEmpty {
            mode = .refused
        } else {
            mode = .supervised
        }
        paths = allowAllUnixSockets ? [] : allowUnixSocketPaths
    }

    /// The verdict on one AF_UNIX `connect` address (`struct sockaddr_un`, `length` bytes of it as
    /// the caller passed them, already copied out of its memory).
    public enum Verdict: Sendable, Hashable {
        /// Connect to this listed path (as the host resolves it; its last component must be the
        /// socket itself, not a symbolic link).
        case connect(path: String)
        /// Refused with `refusalErrno`, for this reason; `shown` is the address as a log shows it.
        case refuse(shown: String, reason: String)
        /// Not an AF_UNIX address, or malformed: the errno the kernel gives such an address.
        case invalid(errno: Int32)
    }

    /// Judges `address` (the caller's bytes): an absolute path equal, byte for byte, to a listed
    /// one → connect; anything else (another path, a relative path, an abstract address, an
    /// unnamed one) → refuse. A listed directory does not cover what is below it: a socket is a
    /// single endpoint, and listing one must not open its neighbours.
    public func judge(address: [UInt8]) -> Verdict {
        let familySize = 2
        // The kernel's own checks for an AF_UNIX address: EINVAL below the family's size or
        // beyond sockaddr_un; another family on an AF_UNIX socket is EINVAL too.
        guard address.count >= familySize, address.count <= 110 else { return .invalid(errno: 22) }
        let family = UInt16(address[0]) | UInt16(address[1]) << 8
        guard family == 1 else { return .invalid(errno: 22) }
        let pathBytes = Array(address[familySize...])
        guard let first = pathBytes.first else {
            return .refuse(shown: "(unnamed)", reason: "an unnamed address is no path of allowUnixSockets")
        }
        if first == 0 {
            let name = pathBytes.dropFirst().map { $0 >= 0x20 && $0 < 0x7F ? String(UnicodeScalar($0)) : "\\x" + String($0, radix: 16) }.joined()
            return .refuse(shown: "@" + name, reason: "abstract addresses are never allowed: allowUnixSockets lists paths")
        }
        // A path ends at its first NUL (the kernel's reading, too).
        let bytes = Array(pathBytes.prefix { $0 != 0 })
        let path = String(decoding: bytes, as: UTF8.self)
        guard bytes.first == 0x2F else {
            return .refuse(shown: path, reason: "a relative path: allowUnixSockets lists absolute paths only")
        }
        // Byte for byte: a path that is not UTF-8 must not match through its replacement characters.
        guard let listed = paths.first(where: { Array($0.utf8) == bytes }) else {
            return .refuse(shown: path, reason: "not a path of sandbox.network.allowUnixSockets")
        }
        return .connect(path: listed)
    }

    public var jsonValue: JSONValue {
        .object([
            "mode": .string(mode.rawValue),
            "paths": .array(paths.map(JSONValue.string)),
            "refusalErrno": .string("EACCES"),
        ])
    }

    /// For `--dry-run`: how AF_UNIX connects are decided.
    public var lines: [String] {
        switch mode {
        case .refused:
            return ["unix sockets: none (new AF_UNIX sockets are refused by seccomp: EPERM)"]
        case .all:
            return ["unix sockets: all (sandbox.network.allowAllUnixSockets is true)"]
        case .supervised:
            return ["unix sockets: supervised (connect notifies Warden's supervisor on the host; others get EACCES and are logged)"]
                + paths.map { "  allowed: \($0)" }
        }
    }
}
