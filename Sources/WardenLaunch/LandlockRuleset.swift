// A LandlockProfile applied to the calling process with the system calls in WardenSystem's
// Landlock (hand-written there: glibc has no wrappers and no Swift package binds them).
#if canImport(Glibc)
import Glibc
#endif
public import WardenSandbox
import WardenSystem

public enum LandlockRuleset {
    /// The rights a rule on a file (not a directory) may carry; the kernel refuses the others.
    static let fileRights: LandlockFilesystemAccess = [.execute, .writeFile, .readFile, .truncate, .ioctlDevice]

    /// Creates the ruleset, adds a rule per existing path (a path absent at start is skipped: there
    /// is nothing below it to allow, and what is created there later stays refused), sets
    /// no_new_privs and restricts the calling process. Fails closed: a kernel whose ABI is older
    /// than the profile's is an error, not a weaker ruleset. Returns why it failed, or nil.
    public static func apply(_ profile: LandlockProfile) -> String? {
        let kernelABI = Landlock.abi()
        guard kernelABI >= 1 else { return "landlock: the kernel has no Landlock, but the plan requires it" }
        guard kernelABI >= profile.abi else { return "landlock: the kernel has ABI \(kernelABI), the plan was made for ABI \(profile.abi)" }
        let ruleset: Int32
        switch Landlock.createRuleset(handledFilesystem: profile.handledAccess.rawValue, scoped: profile.scopes.rawValue) {
        case .success(let fd): ruleset = fd
        case .failure(let error): return "landlock: cannot create the ruleset: \(error)"
        }
        defer { close(ruleset) }
        for rule in profile.rules {
            let fd = open(rule.path, Landlock.openPath | O_CLOEXEC)
            if fd < 0 {
                if errno == ENOENT { continue }
                return "landlock: cannot open \(rule.path): \(SystemCallError(errno))"
            }
            defer { close(fd) }
            var status = stat()
            guard fstat(fd, &status) == 0 else { return "landlock: cannot stat \(rule.path): \(SystemCallError(errno))" }
            let isDirectory = status.st_mode & S_IFMT == S_IFDIR
            let access = isDirectory ? rule.access : rule.access.intersection(fileRights)
            if access.isEmpty { continue }
            if let error = Landlock.allowBeneath(ruleset: ruleset, directory: fd, access: access.rawValue) {
                return "landlock: cannot add the rule for \(rule.path): \(error)"
            }
        }
        if let error = SystemCall.setNoNewPrivileges() { return "landlock: PR_SET_NO_NEW_PRIVS: \(SystemCallError(error))" }
        if let error = Landlock.restrictSelf(ruleset: ruleset) { return "landlock: cannot restrict the process: \(error)" }
        return nil
    }
}
