// Resource limits and the dropping of what privileges remain, applied by warden-sandbox-init.
#if canImport(Glibc)
import Glibc
#endif
public import WardenSandbox
import WardenSystem

public enum ProcessLimits {
    /// Sets each limit of `limits` as soft and hard limit (the agent cannot raise a hard limit
    /// again). A hard limit already lower than asked for is kept: lowering is all init may do.
    /// Returns why it failed, or nil.
    public static func apply(_ limits: SandboxLimits) -> String? {
        let wanted: [(String, Int32, Int?)] = [
            ("processes (RLIMIT_NPROC)", 6, limits.processes),
            ("memory (RLIMIT_DATA)", 2, limits.memoryBytes),
            ("open files (RLIMIT_NOFILE)", 7, limits.openFiles),
        ]
        for (name, resource, value) in wanted {
            guard let value else { continue }
            let kind = __rlimit_resource_t(UInt32(resource))
            var current = rlimit()
            guard getrlimit(kind, &current) == 0 else { return "limits: cannot read the \(name) limit: \(SystemCallError(errno))" }
            let bounded = min(rlim_t(value), current.rlim_max)
            var limit = rlimit(rlim_cur: bounded, rlim_max: bounded)
            guard setrlimit(kind, &limit) == 0 else { return "limits: cannot set \(name) to \(value): \(SystemCallError(errno))" }
        }
        return nil
    }
}

public enum Privileges {
    #if arch(x86_64)
    static let capgetNumber: CLong = 125
    static let capsetNumber: CLong = 126
    #elseif arch(arm64)
    static let capgetNumber: CLong = 90
    static let capsetNumber: CLong = 91
    #endif

    /// no_new_privs, then every capability dropped: the bounding set where the process may (it
    /// needs CAP_SETPCAP; without it no_new_privs already stops exec from gaining any), the ambient
    /// set, and the effective, permitted and inheritable sets. bwrap leaves none to an unprivileged
    /// user; this is the belt to its braces, and is checked afterwards. Returns why it failed, or nil.
    public static func dropAll() -> String? {
        if let error = SystemCall.setNoNewPrivileges() { return "privileges: PR_SET_NO_NEW_PRIVS: \(SystemCallError(error))" }
        for capability in 0..<64 {
            // PR_CAPBSET_READ: 1 held, 0 not, -1 EINVAL past the kernel's last capability.
            guard SystemCall.prctl(23, CLong(capability)) == 1 else { continue }
            if SystemCall.prctl(24 /* PR_CAPBSET_DROP */, CLong(capability)) != 0 && errno != EPERM {
                return "privileges: cannot drop capability \(capability) from the bounding set: \(SystemCallError(errno))"
            }
        }
        // PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL.
        if SystemCall.prctl(47, 4) != 0 && errno != EINVAL {
            return "privileges: cannot clear the ambient capabilities: \(SystemCallError(errno))"
        }
        // capset(v3 header for this process, two zeroed data words): lowering is always allowed.
        var header: (UInt32, Int32) = (0x2008_0522, 0)
        var data: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0, 0, 0)
        let set = withUnsafeMutablePointer(to: &header) { h in
            withUnsafeMutablePointer(to: &data) { d in
                SystemCall.call(capsetNumber, CLong(Int(bitPattern: h)), CLong(Int(bitPattern: d)))
            }
        }
        guard set == 0 else { return "privileges: cannot drop the capabilities: \(SystemCallError(errno))" }
        var check: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) = (1, 1, 1, 1, 1, 1)
        header = (0x2008_0522, 0)
        let got = withUnsafeMutablePointer(to: &header) { h in
            withUnsafeMutablePointer(to: &check) { d in
                SystemCall.call(capgetNumber, CLong(Int(bitPattern: h)), CLong(Int(bitPattern: d)))
            }
        }
        guard got == 0, check == (0, 0, 0, 0, 0, 0) else { return "privileges: capabilities remain after dropping them" }
        return nil
    }
}
