// The host's half of `allowUnixSockets`: a thread of `warden run` that answers every `connect` the
// sandbox makes (seccomp user notification). Hand-written over the kernel's interface: no
// maintained library supervises seccomp notifications, and libseccomp 2.5 has no pidfd_getfd.
//
// For each call it takes the caller's socket (pidfd_getfd: the same open socket, not a new one),
// copies the address out of the caller's memory once, judges the copy (UnixSocketPlan.judge) and
// makes the connect itself, on that socket, with that copy. Nothing is ever let through for the
// kernel to redo (no SECCOMP_USER_NOTIF_FLAG_CONTINUE): a racing thread could swap the descriptor
// (dup2) or rewrite the address between the check and a continued call.
#if canImport(Glibc)
import Glibc
#endif
import CSeccomp
public import WardenSandbox
import WardenSystem

public enum UnixSocketSupervisor {
    /// One AF_UNIX connect, as `warden run` logs it.
    public struct Event: Sendable, Hashable {
        /// The path (or `@name`, `(unnamed)`) the caller asked for.
        public var address: String
        public var allowed: Bool
        public var reason: String
        /// The host pid of the calling thread.
        public var pid: Int32
        /// The errno the caller got (nil: connected).
        public var errno: Int32?
    }

    #if arch(x86_64)
    static let connectNumber: Int32 = 42
    #elseif arch(arm64)
    static let connectNumber: Int32 = 203
    #endif

    /// Starts the supervisor thread: it waits for init's listener on `channel` (closed when it is
    /// received, or when the sandbox ended without sending one), then answers notifications until
    /// every process of the sandbox has exited. `report` is called on that thread for every
    /// AF_UNIX connect, after the caller has its answer. Returns why the thread could not start.
    public static func start(channel: Int32, plan: UnixSocketPlan, report: @escaping @Sendable (Event) -> Void) -> String? {
        let context = Unmanaged.passRetained(Context(channel: channel, plan: plan, report: report)).toOpaque()
        var thread = pthread_t()
        let created = pthread_create(&thread, nil, { raw in
            let context = Unmanaged<Context>.fromOpaque(raw!).takeRetainedValue()
            context.run()
            return nil
        }, context)
        guard created == 0 else {
            Unmanaged<Context>.fromOpaque(context).release()
            return "cannot start the unix socket supervisor: \(SystemCallError(created))"
        }
        pthread_detach(thread)
        return nil
    }

    /// Runs `body` on a detached thread; false when no thread could be made.
    static func detached(_ body: @escaping @Sendable () -> Void) -> Bool {
        let box = Unmanaged.passRetained(Work(body)).toOpaque()
        var thread = pthread_t()
        let created = pthread_create(&thread, nil, { raw in
            Unmanaged<Work>.fromOpaque(raw!).takeRetainedValue().body()
            return nil
        }, box)
        guard created == 0 else {
            Unmanaged<Work>.fromOpaque(box).release()
            return false
        }
        pthread_detach(thread)
        return true
    }

    final class Work: Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }

    final class Context: @unchecked Sendable {
        // Owned by the supervisor thread alone once it starts.
        let channel: Int32
        let plan: UnixSocketPlan
        let report: @Sendable (Event) -> Void

        init(channel: Int32, plan: UnixSocketPlan, report: @escaping @Sendable (Event) -> Void) {
            self.channel = channel
            self.plan = plan
            self.report = report
        }

        func run() {
            let listener = warden_receive_descriptor(channel)
            close(channel)
            guard listener >= 0 else { return }
            defer { close(listener) }
            var polled = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            while true {
                // RECV alone would block for ever once the sandbox is gone: the kernel signals
                // the filter's end only as POLLHUP.
                polled.revents = 0
                if poll(&polled, 1, -1) < 0 {
                    if errno == EINTR { continue }
                    return
                }
                if polled.revents & Int16(POLLIN) != 0 {
                    var notification = warden_notification()
                    // ENOENT: the caller went away between poll and receive.
                    if warden_notify_receive(listener, &notification) == 0 {
                        answer(notification, listener: listener)
                    }
                } else if polled.revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 {
                    return
                }
            }
        }

        func answer(_ notification: warden_notification, listener: Int32) {
            let finish: @Sendable (Outcome) -> Void = { [self] outcome in
                // The caller may have been killed meanwhile: the answer then goes nowhere (ENOENT).
                _ = warden_notify_respond(listener, notification.id, 0, outcome.errno ?? 0)
                if let event = outcome.event { report(event) }
            }
            switch decide(notification, listener: listener) {
            case nil:
                return
            case .answer(let outcome):
                finish(outcome)
            case .connect(let pending):
                guard pending.blocking else {
                    finish(perform(pending))
                    return
                }
                // A blocking connect may wait as long as the peer makes it (a full listen
                // backlog): on a thread of its own, so that only its caller waits, as it would
                // without Warden, and the sandbox's other connects go on.
                let started = UnixSocketSupervisor.detached { [self] in finish(perform(pending)) }
                if !started { finish(perform(pending)) }
            }
        }

        struct Outcome {
            var errno: Int32?
            var event: Event?
        }

        /// The supervisor's own descriptor of the caller's socket, closed with its last user.
        final class Descriptor: Sendable {
            let fd: Int32
            init(_ fd: Int32) { self.fd = fd }
            deinit { close(fd) }
        }

        /// A connect the supervisor makes on the caller's socket.
        struct Pending: Sendable {
            enum Target: Sendable { case asked([UInt8]), listed(String) }
            let descriptor: Descriptor
            let target: Target
            let blocking: Bool
            let tid: Int32
            var socketFD: Int32 { descriptor.fd }
        }

        enum Decision {
            case answer(Outcome)
            case connect(Pending)
        }

        func perform(_ pending: Pending) -> Outcome {
            switch pending.target {
            case .asked(let address):
                return Outcome(errno: connectCopy(pending.socketFD, address))
            case .listed(let path):
                let (code, reason) = connectListed(pending.socketFD, path: path)
                return Outcome(errno: code, event: Event(address: path, allowed: code == nil, reason: reason, pid: pending.tid, errno: code))
            }
        }

        /// The answer to one notification; nil when the caller no longer waits.
        func decide(_ notification: warden_notification, listener: Int32) -> Decision? {
            guard notification.arch == warden_audit_arch_native(), notification.nr == UnixSocketSupervisor.connectNumber else {
                return .answer(Outcome(errno: EPERM))
            }
            let tid = Int32(bitPattern: notification.pid)
            let targetFD = Int32(truncatingIfNeeded: notification.args.0)
            let addressPointer = notification.args.1
            let addressLength = Int64(Int32(truncatingIfNeeded: notification.args.2))

            var pidfd = warden_pidfd_open_thread(tid)
            // Before Linux 6.9 there are no thread pidfds: a thread-group leader's is the same.
            if pidfd < 0 && errno == EINVAL { pidfd = warden_pidfd_open_process(tid) }
            // Every caller gets an answer (an unanswered one would wait for ever); one that has
            // gone away meanwhile makes the answer fail harmlessly.
            guard pidfd >= 0 else { return .answer(Outcome(errno: EPERM)) }
            defer { close(pidfd) }
            // The pid was the caller's when the notification was made; valid now means the pidfd
            // is the caller's too.
            guard warden_notify_id_valid(listener, notification.id) == 0 else { return nil }
            let socketFD = warden_pidfd_getfd(pidfd, targetFD)
            guard socketFD >= 0 else { return .answer(Outcome(errno: errno == EBADF ? EBADF : EPERM)) }
            let descriptor = Descriptor(socketFD)

            // The kernel's move_addr_to_kernel: negative or larger than sockaddr_storage is EINVAL.
            guard addressLength >= 0, addressLength <= 128 else { return .answer(Outcome(errno: EINVAL)) }
            var address = [UInt8](repeating: 0, count: Int(addressLength))
            if addressLength > 0 {
                let read = address.withUnsafeMutableBytes { warden_read_memory(tid, addressPointer, $0.baseAddress, $0.count) }
                guard read == Int(addressLength) else { return .answer(Outcome(errno: EFAULT)) }
            }
            guard warden_notify_id_valid(listener, notification.id) == 0 else { return nil }

            var domain: Int32 = 0
            var size = socklen_t(MemoryLayout<Int32>.size)
            guard getsockopt(socketFD, SOL_SOCKET, SO_DOMAIN, &domain, &size) == 0 else { return .answer(Outcome(errno: errno)) }
            // O_NONBLOCK is the open socket's, shared with the caller's descriptor.
            let blocking = fcntl(socketFD, F_GETFL) & O_NONBLOCK == 0
            guard domain == AF_UNIX else {
                // Another family (the forwarders' TCP): connected as asked, in the socket's own
                // network namespace (the sandbox's), whatever the supervisor's is.
                return .connect(Pending(descriptor: descriptor, target: .asked(address), blocking: blocking, tid: tid))
            }
            switch plan.judge(address: address) {
            case .invalid(let code):
                return .answer(Outcome(errno: code))
            case .refuse(let shown, let reason):
                let code = UnixSocketPlan.refusalErrno
                return .answer(Outcome(errno: code, event: Event(address: shown, allowed: false, reason: reason, pid: tid, errno: code)))
            case .connect(let path):
                return .connect(Pending(descriptor: descriptor, target: .listed(path), blocking: blocking, tid: tid))
            }
        }

        /// connect(2) with the caller's address bytes; the errno, nil on success.
        func connectCopy(_ socketFD: Int32, _ address: [UInt8]) -> Int32? {
            let result = address.withUnsafeBytes { raw in
                Glibc.connect(socketFD, raw.baseAddress?.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count))
            }
            return result == 0 ? nil : errno
        }

        /// Connects to a listed path as the host sees it, refusing a last component that is not
        /// the socket itself (a symbolic link put there after start must not lead elsewhere):
        /// the path is opened O_PATH|O_NOFOLLOW, checked to be a socket, and connected through
        /// /proc/self/fd, so what was checked is what is connected.
        func connectListed(_ socketFD: Int32, path: String) -> (errno: Int32?, reason: String) {
            let handle = open(path, Landlock.openPath | O_NOFOLLOW | O_CLOEXEC)
            guard handle >= 0 else {
                let code = errno
                return (code, "listed in allowUnixSockets, but cannot be opened on the host: \(SystemCallError(code))")
            }
            defer { close(handle) }
            var status = stat()
            guard fstat(handle, &status) == 0 else { return (errno, "listed in allowUnixSockets, but cannot be examined") }
            guard status.st_mode & S_IFMT == S_IFSOCK else {
                let what = status.st_mode & S_IFMT == S_IFLNK ? "a symbolic link" : "not a socket"
                return (UnixSocketPlan.refusalErrno, "listed in allowUnixSockets, but on the host it is \(what) now")
            }
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            let magic = Array("/proc/self/fd/\(handle)".utf8)
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                for (index, byte) in magic.enumerated() { raw[index] = byte }
            }
            let result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(socketFD, $0, socklen_t(MemoryLayout<sa_family_t>.size + magic.count + 1))
                }
            }
            if result == 0 { return (nil, "sandbox.network.allowUnixSockets") }
            let code = errno
            return (code, "listed in allowUnixSockets; connect: \(SystemCallError(code))")
        }
    }
}
