#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+: close every descriptor from `from`
/// up in the child, atomically with the spawn), which Swift's Glibc module does not import.
@_silgen_name("posix_spawn_file_actions_addclosefrom_np")
private func addCloseFrom(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ from: Int32) -> Int32

enum SpawnDescriptors {
    /// Lets the child keep only 0, 1, 2 and the descriptors below `keepBelow` that the actions
    /// placed there; descriptors 3..<keepBelow not in `placed` are closed too.
    ///
    /// Why: SwiftNIO opens its sockets and epoll descriptors without close-on-exec, and `warden
    /// run` spawns bwrap while the proxies listen. Without this, every process of the sandbox
    /// inherited the host proxies' listening sockets and the event loop's epoll descriptor (an
    /// agent could accept the proxies' connections or take their sockets out of Warden's loop);
    /// bwrap passes on whatever it is given. A descriptor opened by another thread during the
    /// spawn is covered too, which marking descriptors close-on-exec beforehand would not be.
    static func closeOthers(_ actions: inout posix_spawn_file_actions_t, placed: Set<Int32>, keepBelow: Int32) throws(LaunchError) {
        for fd in 3..<keepBelow where !placed.contains(fd) {
            // glibc ignores closing a descriptor that is not open (only out-of-range ones fail).
            posix_spawn_file_actions_addclose(&actions, fd)
        }
        let status = addCloseFrom(&actions, keepBelow)
        guard status == 0 else { throw LaunchError("cannot prepare the sandbox's descriptors: \(String(cString: strerror(status)))") }
    }
}
