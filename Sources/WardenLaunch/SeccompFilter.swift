// A SeccompProfile loaded into the kernel through libseccomp (Debian's libseccomp-dev, the
// CSeccomp system-library target): libseccomp resolves names per architecture, orders the rules
// and writes the BPF, which is where hand-written filters go wrong.
#if canImport(Glibc)
import Glibc
#endif
import CSeccomp
public import WardenSandbox

public enum SeccompFilter {
    /// Builds the filter for the native architecture, with `profile.foreignArchitectures` for
    /// every other one (libseccomp's bad-architecture action: i386 `int 0x80` and x32 numbers on
    /// x86_64), and loads it for the calling thread, from now on and across exec. libseccomp sets
    /// no_new_privs first, as an unprivileged caller needs. Returns why it could not, or nil.
    public static func load(_ profile: SeccompProfile) -> String? {
        let filter: scmp_filter_ctx
        switch build(profile) {
        case .success(let built): filter = built
        case .failure(let failure): return failure.message
        }
        defer { seccomp_release(filter) }
        let loaded = seccomp_load(filter)
        guard loaded == 0 else { return "seccomp: cannot load the filter: \(String(cString: strerror(-loaded)))" }
        return nil
    }

    /// Loads a filter with `notify` rules, and returns its listener: the descriptor on which the
    /// supervisor receives the notified calls. Loaded through seccomp(2) directly (libseccomp's
    /// BPF, the kernel's flags): SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, which libseccomp 2.5
    /// cannot set, keeps a signal from interrupting a connect the supervisor is making for the
    /// caller. The caller must have set no_new_privs (Privileges.dropAll does).
    public static func loadWithListener(_ profile: SeccompProfile) -> Result<Int32, SeccompFailure> {
        let bytes: [UInt8]
        switch bpf(profile) {
        case .success(let exported): bytes = exported
        case .failure(let failure): return .failure(failure)
        }
        let listener = bytes.withUnsafeBytes { warden_seccomp_load_with_listener($0.baseAddress, $0.count) }
        guard listener >= 0 else {
            let code = errno
            let hint = code == EINVAL ? " (a supervised allowUnixSockets needs Linux 5.19 or later)" : ""
            return .failure(SeccompFailure(message: "seccomp: cannot load the filter with a listener: \(String(cString: strerror(code)))\(hint)"))
        }
        return .success(listener)
    }

    /// The filter as BPF bytes (`seccomp_export_bpf`), for bwrap's `--seccomp FD` or inspection.
    public static func bpf(_ profile: SeccompProfile) -> Result<[UInt8], SeccompFailure> {
        let filter: scmp_filter_ctx
        switch build(profile) {
        case .success(let built): filter = built
        case .failure(let failure): return .failure(failure)
        }
        defer { seccomp_release(filter) }
        var pipeFDs: [Int32] = [0, 0]
        guard pipe(&pipeFDs) == 0 else { return .failure(SeccompFailure(message: "seccomp: pipe: \(String(cString: strerror(errno)))")) }
        // A filter of a few hundred instructions fits a pipe's buffer (64 KiB): no reader needed.
        let exported = seccomp_export_bpf(filter, pipeFDs[1])
        close(pipeFDs[1])
        defer { close(pipeFDs[0]) }
        guard exported == 0 else { return .failure(SeccompFailure(message: "seccomp: cannot export the filter: \(String(cString: strerror(-exported)))")) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(pipeFDs[0], &buffer, buffer.count)
            if count <= 0 { break }
            bytes.append(contentsOf: buffer[0..<count])
        }
        return .success(bytes)
    }

    public struct SeccompFailure: Error, CustomStringConvertible, Sendable {
        public var message: String
        public var description: String { message }
    }

    static func action(_ action: SeccompAction) -> UInt32 {
        switch action {
        case .allow: warden_scmp_act_allow()
        case .killProcess: warden_scmp_act_kill_process()
        case .notify: warden_scmp_act_notify()
        case .errno(let code): warden_scmp_act_errno(UInt16(code.rawValue))
        }
    }

    static func build(_ profile: SeccompProfile) -> Result<scmp_filter_ctx, SeccompFailure> {
        guard let filter = seccomp_init(warden_scmp_act_allow()) else {
            return .failure(SeccompFailure(message: "seccomp: cannot create a filter (libseccomp: seccomp_init failed)"))
        }
        func fail(_ message: String) -> Result<scmp_filter_ctx, SeccompFailure> {
            seccomp_release(filter)
            return .failure(SeccompFailure(message: message))
        }
        // Only the native architecture is in the filter: every other one gets the bad-arch action.
        // On x86_64, libseccomp's native filter also sends numbers with __X32_SYSCALL_BIT there.
        let badArch = seccomp_attr_set(filter, SCMP_FLTATR_ACT_BADARCH, action(profile.foreignArchitectures))
        guard badArch == 0 else { return fail("seccomp: cannot set the foreign-architecture action: \(String(cString: strerror(-badArch)))") }
        for rule in profile.rules {
            let number = seccomp_syscall_resolve_name(rule.syscall)
            // Negative numbers are libseccomp's placeholders for calls the architecture lacks
            // (socketcall on x86_64): a rule on one would silently match nothing.
            guard number >= 0 else { return fail("seccomp: unknown system call \"\(rule.syscall)\" on this architecture") }
            let comparisons = rule.conditions.map { condition in
                scmp_arg_cmp(arg: UInt32(condition.argument), op: SCMP_CMP_MASKED_EQ, datum_a: condition.mask, datum_b: condition.value)
            }
            let added = comparisons.withUnsafeBufferPointer { buffer in
                seccomp_rule_add_array(filter, action(rule.action), number, UInt32(buffer.count), buffer.baseAddress)
            }
            guard added == 0 else { return fail("seccomp: cannot add the rule for \(rule.syscall): \(String(cString: strerror(-added)))") }
        }
        return .success(filter)
    }
}
