#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// `WARDEN_TRACE_START=1`: `warden run`, its clean-up watcher, `warden-sandbox-init` and
/// `warden-hook` each print one line per step (of a session's start and end, of a hook call) on
/// standard error,
/// `warden-trace MICROSECONDS PROGRAM STEP`, the time on the monotonic clock (the same clock in
/// every process of the machine, so lines of several processes sort into one timeline) when the
/// step was done. `Scripts/bench-run.sh` reads them to cost each step.
public enum StartTrace {
    public static let enabled: Bool = getenv("WARDEN_TRACE_START").map { String(cString: $0) == "1" } ?? false

    /// The step just finished. `fd`: where standard error is (the hook points descriptor 2 at
    /// /dev/null and keeps the original elsewhere).
    public static func mark(_ program: String, _ step: String, fd: Int32 = 2) {
        guard enabled else { return }
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let micros = Int(now.tv_sec) * 1_000_000 + Int(now.tv_nsec) / 1000
        _ = Files.writeAll(fd, "warden-trace \(micros) \(program) \(step)\n")
    }
}
