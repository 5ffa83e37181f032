// What warden-sandbox-init does, in order. Every step fails closed: an error ends init with one
// line on stderr and exit status 126, and the agent never runs with less protection than the spec.
#if canImport(Glibc)
import Glibc
#endif
public import WardenSandbox
import WardenSystem

public enum InsideSandbox {
    /// Exit status of init when it refuses to run the command (as a shell's "cannot execute").
    public static let refusalStatus: Int32 = 126

    /// Reads the spec at `path` (a regular file of at most 1 MiB).
    public static func readSpec(path: String) -> Result<SandboxInnerSpec, SandboxSpecError> {
        switch Files.read(path: path, limit: 1 << 20) {
        case .failure(let failure): return .failure(SandboxSpecError("cannot read the spec \(path): \(failure)"))
        case .success(let bytes):
            do throws(SandboxSpecError) {
                return .success(try SandboxInnerSpec(json: String(decoding: bytes, as: UTF8.self)))
            } catch {
                return .failure(SandboxSpecError("\(path): \(error.message)"))
            }
        }
    }

    /// Carries the spec out and execs its command; returns only the reason it could not.
    ///
    /// The order matters: the forwarders listen first (the agent's first connection must find the
    /// port ready) and their relay is forked before anything restricts this process (it needs
    /// AF_UNIX sockets); limits come before the relay so that it shares them; Landlock needs no
    /// rights the relay lacks, and comes before seccomp, whose filter would refuse nothing
    /// Landlock needs but is the last word before exec.
    public static func run(_ spec: SandboxInnerSpec) -> String {
        if let descriptor = spec.supervisorDescriptor, let failure = SupervisorHandoff.check(Int32(descriptor)) { return failure }
        let listeners: [ForwarderRelay.Listener]
        switch ForwarderRelay.listen(spec.forwarders) {
        case .success(let ready): listeners = ready
        case .failure(let failure): return failure.message
        }
        StartTrace.mark("init", "forwarders listening")
        if spec.newSession && setsid() < 0 && getsid(0) != getpid() {
            return "session: setsid: \(SystemCallError(errno))"
        }
        guard chdir(spec.workingDirectory) == 0 else { return "cannot enter the working directory \(spec.workingDirectory): \(SystemCallError(errno))" }
        if let failure = ProcessLimits.apply(spec.limits) { return failure }
        StartTrace.mark("init", "limits applied")
        if !listeners.isEmpty {
            if case .failure(let failure) = ForwarderRelay.start(listeners) { return failure.message }
        }
        StartTrace.mark("init", "relay started")
        if let failure = Privileges.dropAll() { return failure }
        if let landlock = spec.landlock, let failure = LandlockRuleset.apply(landlock) { return failure }
        StartTrace.mark("init", "landlock applied")
        if let descriptor = spec.supervisorDescriptor {
            if let failure = SupervisorHandoff.loadAndSend(spec.seccomp, over: Int32(descriptor)) { return failure }
        } else if let failure = SeccompFilter.load(spec.seccomp) {
            return failure
        }
        StartTrace.mark("init", "seccomp loaded")
        // The command leads a process group of its own, below init's: a group whose parent is in
        // another group of the same session is not orphaned, so a stop signal (Claude Code's
        // Ctrl-Z sends SIGTSTP to its group) stops it instead of being discarded, and the
        // launcher sees the stop and stops too, as a shell job. The relay stays in init's group.
        if getpgrp() != getpid() && setpgid(0, 0) != 0 {
            return "session: setpgid: \(SystemCallError(errno))"
        }
        let argv: [UnsafeMutablePointer<CChar>?] = spec.command.map { strdup($0) } + [nil]
        execv(spec.command[0], argv)
        return "cannot run \(spec.command[0]): \(SystemCallError(errno))"
    }
}
