// Landlock's three system calls (444 landlock_create_ruleset, 445 landlock_add_rule,
// 446 landlock_restrict_self — the same numbers on every architecture) and their structs, written
// by hand: glibc has no wrappers, and no maintained Swift package binds them. Here, in a module
// `warden-hook` links, because the shell prefix (`warden-hook --run`) puts every command in a
// nested Landlock domain (`restrictSelfForCommand`); `warden-sandbox-init` applies the sandbox's
// ruleset with the same calls (WardenLaunch.LandlockRuleset).
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Direct system calls. libc's `syscall(2)` and `prctl(2)` are C-variadic, which Swift does not
/// import; on Linux's x86_64 and aarch64 calling conventions, integer arguments of a variadic
/// function travel exactly as those of a non-variadic one, so `syscall` is declared with fixed
/// integer arguments (glibc's `syscall` is assembly that never reads a va_list).
public enum SystemCall {
    /// The call's result, or -1 with `errno` set (libc's convention).
    public static func call(_ number: CLong, _ a: CLong = 0, _ b: CLong = 0, _ c: CLong = 0, _ d: CLong = 0, _ e: CLong = 0) -> CLong {
        libcSyscall(number, a, b, c, d, e)
    }

    #if arch(x86_64)
    public static let prctlNumber: CLong = 157
    #elseif arch(arm64)
    public static let prctlNumber: CLong = 167
    #endif

    /// `prctl(option, a, b, c, d)`: 0 or -1 with errno.
    public static func prctl(_ option: Int32, _ a: CLong = 0, _ b: CLong = 0, _ c: CLong = 0, _ d: CLong = 0) -> CLong {
        call(prctlNumber, CLong(option), a, b, c, d)
    }

    /// PR_SET_NO_NEW_PRIVS: neither this process nor its children gain privileges by exec
    /// (setuid programs, file capabilities). Landlock and seccomp require it of an unprivileged caller.
    public static func setNoNewPrivileges() -> Int32? {
        prctl(38 /* PR_SET_NO_NEW_PRIVS */, 1) == 0 ? nil : errno
    }
}

// glibc's `syscall`, referenced by name at link time. Looking it up with dlsym found nothing in
// the static executables (`warden-hook`, `warden-sandbox-init`): there every call failed with
// ENOSYS, and the release init refused to start.
@_silgen_name("syscall")
private func libcSyscall(_ number: CLong, _ a: CLong, _ b: CLong, _ c: CLong, _ d: CLong, _ e: CLong) -> CLong

public enum Landlock {
    static let createRulesetNumber: CLong = 444
    static let addRuleNumber: CLong = 445
    static let restrictSelfNumber: CLong = 446
    static let createRulesetVersion: CLong = 1 << 0
    static let rulePathBeneath: CLong = 1
    public static let accessMakeSock: UInt64 = 1 << 9
    public static let scopeSignal: UInt64 = 1 << 1
    /// O_PATH (Glibc's module does not export it; the same value on x86_64 and aarch64): a handle
    /// on a path that reads nothing, all `landlock_add_rule` needs.
    public static let openPath: Int32 = 0o10000000

    /// The kernel's Landlock ABI version, 0 when it has none (not built in, or disabled at boot).
    public static func abi() -> Int {
        let version = SystemCall.call(createRulesetNumber, 0, 0, createRulesetVersion)
        return version > 0 ? Int(version) : 0
    }

    /// `struct landlock_ruleset_attr` (three u64: handled_access_fs, handled_access_net, scoped).
    /// The full 24 bytes are always passed: a kernel of an older ABI accepts a larger struct whose
    /// fields it does not know when they are zero.
    public static func createRuleset(handledFilesystem: UInt64, handledNetwork: UInt64 = 0, scoped: UInt64 = 0) -> Result<Int32, SystemCallError> {
        var attribute: (UInt64, UInt64, UInt64) = (handledFilesystem, handledNetwork, scoped)
        let fd = withUnsafePointer(to: &attribute) { pointer in
            SystemCall.call(createRulesetNumber, CLong(Int(bitPattern: pointer)), 24, 0)
        }
        return fd >= 0 ? .success(Int32(fd)) : .failure(SystemCallError(errno))
    }

    /// `landlock_add_rule(ruleset, LANDLOCK_RULE_PATH_BENEATH, &{allowed_access, parent_fd})`; the
    /// struct is packed: a u64 and an s32, 12 bytes.
    public static func allowBeneath(ruleset: Int32, directory: Int32, access: UInt64) -> SystemCallError? {
        var attribute = [UInt8](repeating: 0, count: 12)
        withUnsafeBytes(of: access.littleEndian) { attribute.replaceSubrange(0..<8, with: $0) }
        withUnsafeBytes(of: directory.littleEndian) { attribute.replaceSubrange(8..<12, with: $0) }
        let result = attribute.withUnsafeBufferPointer { buffer in
            SystemCall.call(addRuleNumber, CLong(ruleset), rulePathBeneath, CLong(Int(bitPattern: buffer.baseAddress)), 0)
        }
        return result == 0 ? nil : SystemCallError(errno)
    }

    /// Puts the calling thread (and, through exec and fork, what it starts) in the ruleset's domain,
    /// nested in the one it was in. Needs no_new_privs (or CAP_SYS_ADMIN).
    public static func restrictSelf(ruleset: Int32) -> SystemCallError? {
        SystemCall.call(restrictSelfNumber, CLong(ruleset), 0) == 0 ? nil : SystemCallError(errno)
    }

    /// Makes the calling process a nested, more restricted Landlock domain, so that it and
    /// everything it starts lose ptrace-class access to their ancestors: Landlock refuses ptrace,
    /// `/proc/PID/mem`, `process_vm_writev` towards a less restricted domain, and with ABI ≥ 6
    /// (`LANDLOCK_SCOPE_SIGNAL`) signals to processes outside the new domain. What the ruleset
    /// handles must exist, so it handles `MAKE_SOCK` and allows it below `/`: no file access
    /// changes. Sets no_new_privs (setuid programs such as sudo no longer gain privileges).
    /// Returns why it could not, or nil: the caller runs the command either way (a kernel without
    /// Landlock cannot do this, and the command must not fail because of it).
    public static func restrictSelfForCommand() -> String? {
        let version = abi()
        guard version >= 1 else { return "Landlock is not available" }
        let ruleset: Int32
        switch createRuleset(handledFilesystem: accessMakeSock, scoped: version >= 6 ? scopeSignal : 0) {
        case .success(let fd): ruleset = fd
        case .failure(let error): return "landlock_create_ruleset: \(error)"
        }
        defer { close(ruleset) }
        let root = open("/", openPath | O_DIRECTORY | O_CLOEXEC)
        guard root >= 0 else { return "open /: \(SystemCallError(errno))" }
        defer { close(root) }
        if let error = allowBeneath(ruleset: ruleset, directory: root, access: accessMakeSock) { return "landlock_add_rule: \(error)" }
        if let error = SystemCall.setNoNewPrivileges() { return "PR_SET_NO_NEW_PRIVS: \(SystemCallError(error))" }
        if let error = restrictSelf(ruleset: ruleset) { return "landlock_restrict_self: \(error)" }
        return nil
    }
}

/// An errno with its text, for messages.
public struct SystemCallError: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: Int32
    public init(_ code: Int32) { self.code = code }
    public var description: String { String(cString: strerror(code)) }
}
