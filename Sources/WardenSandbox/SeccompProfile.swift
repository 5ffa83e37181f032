// The seccomp filter the agent runs under, as data: each rule with the reason it exists.
// `warden-sandbox-init` hands it to libseccomp (WardenLaunch.SeccompFilter) right before exec.
public import WardenJSON

/// What the filter does with a matching system call.
public enum SeccompAction: Sendable, Hashable {
    case allow
    /// The call fails with this errno and does nothing.
    case errno(SeccompErrno)
    /// The whole process is killed with SIGSYS (SECCOMP_RET_KILL_PROCESS).
    case killProcess
    /// The call waits for the supervisor on the host (SECCOMP_RET_USER_NOTIF), which answers it:
    /// `warden run`'s UnixSocketSupervisor, for `connect` when `allowUnixSockets` lists paths.
    case notify

    /// The JSON form: "allow", "kill-process", or the errno's name ("EPERM", "ENOSYS").
    public var name: String {
        switch self {
        case .allow: "allow"
        case .killProcess: "kill-process"
        case .notify: "notify"
        case .errno(let code): code.name
        }
    }

    public init?(name: String) {
        switch name {
        case "allow": self = .allow
        case "kill-process": self = .killProcess
        case "notify": self = .notify
        default:
            guard let code = SeccompErrno(name: name) else { return nil }
            self = .errno(code)
        }
    }
}

/// The errnos the filter uses, by name (numbers are Linux's, the same on every architecture
/// Warden runs on).
public enum SeccompErrno: Int32, Sendable, Hashable, CaseIterable {
    case EPERM = 1
    case EACCES = 13
    case ENOSYS = 38
    case EAFNOSUPPORT = 97

    /// Spelt out rather than `"\(self)"`: interpolating an enum goes through the runtime's
    /// reflection, which made init's reading of the spec (about 40 rules) take half a millisecond.
    public var name: String {
        switch self {
        case .EPERM: "EPERM"
        case .EACCES: "EACCES"
        case .ENOSYS: "ENOSYS"
        case .EAFNOSUPPORT: "EAFNOSUPPORT"
        }
    }

    public init?(name: String) {
        guard let found = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = found
    }
}

/// `(argument & mask) == value`. Only masked equality: it is what every rule needs, and masking an
/// `int` argument to 32 bits matters, because seccomp sees the whole 64-bit register while the
/// kernel reads only the low half (without the mask, `socket(AF_UNIX | 1 << 32, …)` would pass).
public struct SeccompCondition: Sendable, Hashable {
    /// 0...5, the system call's argument.
    public var argument: Int
    public var mask: UInt64
    public var value: UInt64

    public init(argument: Int, mask: UInt64 = 0xFFFF_FFFF, value: UInt64) {
        self.argument = argument
        self.mask = mask
        self.value = value
    }
}

/// One system call (by its name, resolved by libseccomp for the native architecture), the
/// conditions that must all hold, and the action.
public struct SeccompRule: Sendable, Hashable {
    public var syscall: String
    public var conditions: [SeccompCondition]
    public var action: SeccompAction
    public var reason: String

    public init(_ syscall: String, when conditions: [SeccompCondition] = [], _ action: SeccompAction, reason: String) {
        self.syscall = syscall
        self.conditions = conditions
        self.action = action
        self.reason = reason
    }
}

/// A seccomp filter: allow everything not matched by `rules`; system calls of any architecture
/// other than the native one get `foreignArchitectures` (kill: x32 numbers and i386 `int 0x80`,
/// where `socketcall` would hide `socket`, must not get around the rules).
///
/// Entry point for the plan: `SeccompProfile.agent(allowUnixSocketPaths:allowAllUnixSockets:)`.
public struct SeccompProfile: Sendable, Hashable {
    public var rules: [SeccompRule]
    public var foreignArchitectures: SeccompAction

    public init(rules: [SeccompRule], foreignArchitectures: SeccompAction = .killProcess) {
        self.rules = rules
        self.foreignArchitectures = foreignArchitectures
    }

    /// Linux's constants the rules use (the same on x86_64 and aarch64).
    enum Linux {
        static let AF_UNIX: UInt64 = 1
        static let AF_NETLINK: UInt64 = 16
        static let AF_PACKET: UInt64 = 17
        static let SOCK_TYPE_MASK: UInt64 = 0xF
        static let SOCK_DGRAM: UInt64 = 2
        static let SOCK_RAW: UInt64 = 3
        static let SOCK_SEQPACKET: UInt64 = 5
        static let SOCK_STREAM: UInt64 = 1
        /// seccomp(2)'s operation and flag that make a filter with a user-notification listener.
        static let SECCOMP_SET_MODE_FILTER: UInt64 = 1
        static let SECCOMP_FILTER_FLAG_NEW_LISTENER: UInt64 = 1 << 3
        static let TIOCSTI: UInt64 = 0x5412
        static let TIOCLINUX: UInt64 = 0x541C
        /// CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET (clone and unshare).
        static let cloneNamespaces: [(String, UInt64)] = [
            ("CLONE_NEWNS", 0x0002_0000), ("CLONE_NEWCGROUP", 0x0200_0000), ("CLONE_NEWUTS", 0x0400_0000),
            ("CLONE_NEWIPC", 0x0800_0000), ("CLONE_NEWUSER", 0x1000_0000), ("CLONE_NEWPID", 0x2000_0000),
            ("CLONE_NEWNET", 0x4000_0000),
        ]
        /// unshare only: in clone's flags the low byte is the exit signal.
        static let CLONE_NEWTIME: UInt64 = 0x80
    }

    /// The filter for Claude Code and everything it starts. `EPERM` for what an agent never needs;
    /// `clone3` gets `ENOSYS` so that libc falls back to `clone`, whose flags the filter can read
    /// (clone3 passes them in memory). The README's "Inside the sandbox" section lists every rule.
    ///
    /// A seccomp rule sees no path, so `allowUnixSocketPaths` is enforced by a supervisor on the
    /// host: new AF_UNIX sockets may be stream sockets (the only kind whose connect names its
    /// peer: an unconnected datagram socket could `sendto` any path), and every `connect` waits
    /// for the supervisor (`notify`), which connects the caller's socket itself when the path is
    /// listed. No paths: no AF_UNIX sockets at all. `allowAllUnixSockets` leaves the AF_UNIX
    /// rules out.
    public static func agent(allowUnixSocketPaths: [String], allowAllUnixSockets: Bool) -> SeccompProfile {
        let eperm = SeccompAction.errno(.EPERM)
        var rules: [SeccompRule] = []
        if !allowAllUnixSockets {
            if allowUnixSocketPaths.isEmpty {
                rules.append(SeccompRule("socket", when: [SeccompCondition(argument: 0, value: Linux.AF_UNIX)], eperm,
                    reason: "new AF_UNIX sockets: no reaching the docker socket, the SSH agent or the host's desktop bus through a bound-in path"))
            } else {
                // The kernel refuses AF_UNIX types other than these (and SOCK_RAW, refused below
                // for every family) with ESOCKTNOSUPPORT.
                for (name, type) in [("SOCK_DGRAM", Linux.SOCK_DGRAM), ("SOCK_SEQPACKET", Linux.SOCK_SEQPACKET)] {
                    rules.append(SeccompRule("socket", when: [
                        SeccompCondition(argument: 0, value: Linux.AF_UNIX),
                        SeccompCondition(argument: 1, mask: Linux.SOCK_TYPE_MASK, value: type),
                    ], eperm, reason: "AF_UNIX \(name) sockets: only stream sockets, whose peer the supervised connect decides (allowUnixSockets)"))
                }
                rules.append(SeccompRule("connect", .notify,
                    reason: "every connect waits for Warden's supervisor on the host: an AF_UNIX socket reaches only a path of allowUnixSockets (\(allowUnixSocketPaths.joined(separator: ", "))), connected by the supervisor; other sockets are connected by it as asked"))
                rules.append(SeccompRule("seccomp", when: [
                    SeccompCondition(argument: 0, value: Linux.SECCOMP_SET_MODE_FILTER),
                    SeccompCondition(argument: 1, mask: Linux.SECCOMP_FILTER_FLAG_NEW_LISTENER, value: Linux.SECCOMP_FILTER_FLAG_NEW_LISTENER),
                ], eperm, reason: "no filter with a listener of its own: the newest filter's notification would answer connect before Warden's supervisor sees it"))
            }
            for (name, type) in [("SOCK_DGRAM", Linux.SOCK_DGRAM), ("SOCK_SEQPACKET", Linux.SOCK_SEQPACKET), ("SOCK_RAW", Linux.SOCK_RAW)] {
                rules.append(SeccompRule("socketpair", when: [
                    SeccompCondition(argument: 0, value: Linux.AF_UNIX),
                    SeccompCondition(argument: 1, mask: Linux.SOCK_TYPE_MASK, value: type),
                ], eperm, reason: "AF_UNIX \(name) pairs (stream pairs stay allowed: Node uses them for its children's stdio)"))
            }
        }
        rules.append(SeccompRule("socket", when: [SeccompCondition(argument: 0, value: Linux.AF_NETLINK)], eperm,
            reason: "netlink: no routing, firewall or audit configuration, no kernel event feeds"))
        rules.append(SeccompRule("socket", when: [SeccompCondition(argument: 0, value: Linux.AF_PACKET)], eperm,
            reason: "packet sockets: no raw frames on any interface"))
        rules.append(SeccompRule("socket", when: [SeccompCondition(argument: 1, mask: Linux.SOCK_TYPE_MASK, value: Linux.SOCK_RAW)], eperm,
            reason: "raw sockets of any family: no forged packets"))
        for name in ["io_uring_setup", "io_uring_enter", "io_uring_register"] {
            rules.append(SeccompRule(name, eperm, reason: "io_uring: its operations bypass seccomp, and a large kernel attack surface"))
        }
        rules.append(SeccompRule("ptrace", eperm, reason: "no debugging or patching of other processes (Claude Code, the hooks)"))
        for name in ["process_vm_readv", "process_vm_writev"] {
            rules.append(SeccompRule(name, eperm, reason: "no reading or writing another process's memory"))
        }
        for name in ["mount", "umount2", "fsopen", "fsconfig", "fsmount", "fspick", "move_mount", "open_tree", "mount_setattr", "pivot_root"] {
            rules.append(SeccompRule(name, eperm, reason: "no changes to the sandbox's mounts (uncovering what they mask)"))
        }
        rules.append(SeccompRule("setns", eperm, reason: "no joining other namespaces"))
        for (flag, bit) in Linux.cloneNamespaces {
            rules.append(SeccompRule("unshare", when: [SeccompCondition(argument: 0, mask: bit, value: bit)], eperm,
                reason: "\(flag): no new namespaces (a user namespace gives back capabilities and mount rights)"))
            rules.append(SeccompRule("clone", when: [SeccompCondition(argument: 0, mask: bit, value: bit)], eperm,
                reason: "\(flag): no new namespaces (a user namespace gives back capabilities and mount rights)"))
        }
        rules.append(SeccompRule("unshare", when: [SeccompCondition(argument: 0, mask: Linux.CLONE_NEWTIME, value: Linux.CLONE_NEWTIME)], eperm,
            reason: "CLONE_NEWTIME: no new namespaces"))
        rules.append(SeccompRule("clone3", .errno(.ENOSYS),
            reason: "clone3 passes its flags in memory, which seccomp cannot read: ENOSYS makes libc fall back to clone, whose flags are checked"))
        for name in ["keyctl", "add_key", "request_key"] {
            rules.append(SeccompRule(name, eperm, reason: "the kernel keyring is not namespaced: no reading or planting keys"))
        }
        rules.append(SeccompRule("bpf", eperm, reason: "no BPF programs or maps"))
        rules.append(SeccompRule("perf_event_open", eperm, reason: "no performance counters (side channels, kernel attack surface)"))
        rules.append(SeccompRule("userfaultfd", eperm, reason: "userfaultfd stalls the kernel at will: a staple of kernel exploits"))
        for name in ["kexec_load", "kexec_file_load"] {
            rules.append(SeccompRule(name, eperm, reason: "no loading another kernel"))
        }
        for name in ["init_module", "finit_module", "delete_module"] {
            rules.append(SeccompRule(name, eperm, reason: "no loading or removing kernel modules"))
        }
        rules.append(SeccompRule("ioctl", when: [SeccompCondition(argument: 1, value: Linux.TIOCSTI)], eperm,
            reason: "TIOCSTI: no typing into the terminal the sandbox shares with the developer's shell"))
        rules.append(SeccompRule("ioctl", when: [SeccompCondition(argument: 1, value: Linux.TIOCLINUX)], eperm,
            reason: "TIOCLINUX: no console selection pasting (typing into a virtual console)"))
        return SeccompProfile(rules: rules, foreignArchitectures: .killProcess)
    }

    public var jsonValue: JSONValue {
        .object([
            "foreignArchitectures": .string(foreignArchitectures.name),
            "rules": .array(rules.map { rule in
                .object([
                    "syscall": .string(rule.syscall),
                    "when": .array(rule.conditions.map { condition in
                        .object([
                            "argument": .number(condition.argument),
                            "mask": .number(Int(condition.mask)),
                            "value": .number(Int(condition.value)),
                        ])
                    }),
                    "action": .string(rule.action.name),
                    "reason": .string(rule.reason),
                ])
            }),
        ])
    }

    /// Whether some call waits for a supervisor: init must then load the filter with a listener
    /// and hand it to the host.
    public var needsSupervisor: Bool { rules.contains { $0.action == .notify } }

    public init(jsonValue: JSONValue, at path: String) throws(SandboxSpecError) {
        let object = try StrictObject(jsonValue, at: path, known: ["foreignArchitectures", "rules"])
        let foreign = try object.string("foreignArchitectures")
        guard let foreignAction = SeccompAction(name: foreign) else {
            throw SandboxSpecError("\(path).foreignArchitectures: unknown action \(JSONValue.quoted(foreign))")
        }
        guard foreignAction != .allow, foreignAction != .notify else {
            throw SandboxSpecError("\(path).foreignArchitectures: \"\(foreign)\" would let x32 and i386 calls around every rule")
        }
        foreignArchitectures = foreignAction
        rules = []
        for (index, item) in try object.array("rules").enumerated() {
            let at = "\(path).rules[\(index)]"
            let entry = try StrictObject(item, at: at, known: ["syscall", "when", "action", "reason"])
            let syscall = try entry.string("syscall")
            guard !syscall.isEmpty, syscall.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }) else {
                throw SandboxSpecError("\(at).syscall: \(JSONValue.quoted(syscall)) is not a system call name")
            }
            let actionName = try entry.string("action")
            guard let action = SeccompAction(name: actionName) else {
                throw SandboxSpecError("\(at).action: unknown action \(JSONValue.quoted(actionName)) (allow, kill-process, notify, \(SeccompErrno.allCases.map(\.name).joined(separator: ", ")))")
            }
            var conditions: [SeccompCondition] = []
            for (conditionIndex, conditionValue) in try entry.array("when").enumerated() {
                let conditionAt = "\(at).when[\(conditionIndex)]"
                let condition = try StrictObject(conditionValue, at: conditionAt, known: ["argument", "mask", "value"])
                let argument = try condition.integer("argument")
                guard (0...5).contains(argument) else { throw SandboxSpecError("\(conditionAt).argument: \(argument) is not 0-5") }
                let mask = try condition.integer("mask")
                let value = try condition.integer("value")
                guard mask >= 0, value >= 0, value & ~mask == 0 else {
                    throw SandboxSpecError("\(conditionAt): value \(value) has bits outside mask \(mask), it can never match")
                }
                guard !conditions.contains(where: { $0.argument == argument }) else {
                    throw SandboxSpecError("\(conditionAt).argument: argument \(argument) tested twice in one rule (write two rules)")
                }
                conditions.append(SeccompCondition(argument: argument, mask: UInt64(mask), value: UInt64(value)))
            }
            rules.append(SeccompRule(syscall, when: conditions, action, reason: try entry.string("reason")))
        }
    }
}
