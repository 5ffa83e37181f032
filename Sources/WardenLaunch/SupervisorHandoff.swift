// Init's half of the unix socket supervisor: the filter's listener goes to `warden run` on the
// host over a socket inherited through bwrap, and nothing of it stays in the sandbox.
#if canImport(Glibc)
import Glibc
#endif
import CSeccomp
public import WardenSandbox
import WardenSystem

public enum SupervisorHandoff {
    /// Before anything else: the inherited descriptor must be a socket, and is made close-on-exec
    /// so that neither the relay's exec nor the agent's can keep it.
    public static func check(_ descriptor: Int32) -> String? {
        var status = stat()
        guard fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFSOCK else {
            return "supervisor: descriptor \(descriptor) is not the socket warden run passes (was init started by warden run?)"
        }
        guard fcntl(descriptor, F_SETFD, FD_CLOEXEC) == 0 else { return "supervisor: descriptor \(descriptor): \(SystemCallError(errno))" }
        return nil
    }

    /// Loads `profile` with a listener, sends the listener to the host and closes both: from here
    /// on the supervisor answers every notified call, and when it is gone they fail (ENOSYS), they
    /// never pass unchecked. The filter is already in force when the send fails, so a failure
    /// leaves nothing allowed that the plan refuses; init then refuses to run the command.
    public static func loadAndSend(_ profile: SeccompProfile, over descriptor: Int32) -> String? {
        let listener: Int32
        switch SeccompFilter.loadWithListener(profile) {
        case .success(let loaded): listener = loaded
        case .failure(let failure): return failure.message
        }
        let sent = warden_send_descriptor(descriptor, listener)
        let error = errno
        close(listener)
        close(descriptor)
        guard sent == 0 else { return "supervisor: cannot hand the seccomp listener to warden run: \(SystemCallError(error))" }
        return nil
    }
}
