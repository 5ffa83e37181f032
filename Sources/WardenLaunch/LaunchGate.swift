// The launch gate: bwrap is not spawned by `warden` when it is due, but exec'd by a small process
// (`warden-sandbox-init --gate`) that `warden` spawned early, while it had time to spare (the plan
// is made meanwhile). Where the session has a cgroup, the gate makes it and moves itself into it
// while `warden` goes on preparing the session; bwrap and every process of the sandbox are then
// born inside, and the kernel's move is off the critical path. Once released, the
// gate execs bwrap with the descriptors, arguments and environment `warden` sends it. It is
// `warden`'s child and keeps its pid through the exec, so `warden` waits for bwrap as before, and
// bwrap's `--die-with-parent` still names `warden`.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CSeccomp
public import WardenSandbox
import WardenSystem

/// `warden`'s handle on a gate it started.
public final class LaunchGate {
    /// The gate's pid: bwrap's once released.
    public let pid: Int32
    /// `warden`'s end of the gate's control socket.
    private var control: Int32
    /// Whether the gate was to enter a cgroup (what a silent end of the gate failed to do).
    private var entersCgroup = false
    /// The descriptor (7) the gate, and bwrap after it, hold the clean-up watcher's second pipe
    /// on, when it was given one: bwrap's `--sync-fd`.
    public let sandboxEndedDescriptor: Int32?
    /// Set once bwrap has replaced the gate: from then on it is bwrap's to end.
    private var released = false
    /// The gate's descriptor for its end of the control socket: above every descriptor bwrap is
    /// given (3 to 6), so that none of them overwrites it before the exec.
    static let gateControlDescriptor: Int32 = 9
    /// bwrap's `--sync-fd` (3 to 6 are the descriptors `release` places).
    static let sandboxEndedTarget: Int32 = 7
    /// Where a gate that forks the clean-up watcher gets the watcher's two pipes' read ends
    /// (closed in the gate once the watcher has them, before anything is placed for bwrap).
    static let watcherLifeDescriptor: Int32 = 5
    static let watcherSandboxEndedDescriptor: Int32 = 6

    /// The clean-up watcher a gate forks at its start (LaunchPlaceholders.watch): the run's state
    /// file, the read end of the pipe only `warden` writes to (its end of file: `warden` is
    /// gone) and the read end of the pipe the sandbox holds (bwrap's `--sync-fd`).
    public struct Watcher: Sendable {
        public var stateFile: String
        public var life: Int32
        public var sandboxEnded: Int32

        public init(stateFile: String, life: Int32, sandboxEnded: Int32) {
            self.stateFile = stateFile
            self.life = life
            self.sandboxEnded = sandboxEnded
        }
    }

    private init(pid: Int32, control: Int32, sandboxEndedDescriptor: Int32?) {
        self.pid = pid
        self.control = control
        self.sandboxEndedDescriptor = sandboxEndedDescriptor
    }

    /// Starts the gate, which makes the session's cgroup (its directories and limits, unless
    /// `making` is nil) and moves itself into every directory of it at once: `spawn`, then
    /// `instruct`.
    public static func start(executable: String, making cgroup: SessionCgroup?, sandboxEnded: Int32? = nil) throws(LaunchError) -> LaunchGate {
        let gate = try spawn(executable: executable, sandboxEnded: sandboxEnded)
        gate.instruct(making: cgroup)
        return gate
    }

    /// Starts a gate that moves itself into existing cgroup directories.
    public static func start(executable: String, cgroupDirectories: [String]) throws(LaunchError) -> LaunchGate {
        let gate = try spawn(executable: executable)
        gate.sendInstructions(cgroupDirectories.map { .enter($0) })
        return gate
    }

    /// Starts the gate, which then waits for its instructions (`instruct`): spawned as early as
    /// `warden` can (its exec and start take about a millisecond), before the session's cgroup
    /// is recorded in the run's state and may be made. The gate gets the terminal's descriptors,
    /// a process group of its own, default signal actions for what `warden` passes on and an
    /// empty signal mask: what bwrap gets, as bwrap will be this process.
    /// `sandboxEnded`: the write end of the clean-up watcher's second pipe, which the gate holds
    /// from its start (as descriptor 7, kept through the exec: bwrap's `--sync-fd`), so that the
    /// watcher's sweep waits for the gate too: killed with `warden`, it may still finish making
    /// the cgroup's directory. The caller closes its own copy.
    /// `watcher`: the gate forks the clean-up watcher before anything else (a fork of a small
    /// static process instead of a second spawn and exec from `warden`; in a session of its own,
    /// outside the session's cgroup, bound to nothing's life); the caller closes its copies of
    /// the two read ends.
    public static func spawn(executable: String, sandboxEnded: Int32? = nil, watcher: Watcher? = nil) throws(LaunchError) -> LaunchGate {
        var ends: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &ends) == 0 else {
            throw LaunchError("cannot create the launch gate's socket: \(String(cString: strerror(errno)))")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, ends[1], gateControlDescriptor)
        if let sandboxEnded { posix_spawn_file_actions_adddup2(&actions, sandboxEnded, sandboxEndedTarget) }
        if let watcher {
            posix_spawn_file_actions_adddup2(&actions, watcher.life, watcherLifeDescriptor)
            posix_spawn_file_actions_adddup2(&actions, watcher.sandboxEnded, watcherSandboxEndedDescriptor)
        }
        // The gate becomes bwrap: it must hold nothing of `warden`'s but what it is given (see
        // SpawnDescriptors: the proxies' sockets would otherwise reach every sandboxed process).
        var placed: Set<Int32> = [gateControlDescriptor]
        if sandboxEnded != nil { placed.insert(sandboxEndedTarget) }
        if watcher != nil { placed.formUnion([watcherLifeDescriptor, watcherSandboxEndedDescriptor]) }
        do { try SpawnDescriptors.closeOthers(&actions, placed: placed, keepBelow: gateControlDescriptor + 1) } catch {
            close(ends[0])
            close(ends[1])
            throw error
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        BubblewrapProcess.setBubblewrapAttributes(&attributes)
        let argv = [executable, "--gate"] + (watcher.map { ["--watch-cleanup", $0.stateFile] } ?? [])
        var cArguments: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for pointer in cArguments { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, &cArguments, environ)
        close(ends[1])
        guard spawned == 0 else {
            close(ends[0])
            throw LaunchError("cannot start the sandbox's launch gate \(executable): \(String(cString: strerror(spawned)))")
        }
        return LaunchGate(pid: pid, control: ends[0], sandboxEndedDescriptor: sandboxEnded == nil ? nil : sandboxEndedTarget)
    }

    /// What the gate does before it says it is ready, in order.
    public enum Instruction: Equatable, Sendable {
        case make(String)
        case set(file: String, value: String, ifPresent: Bool)
        case enter(String)
    }

    /// The instructions that make `cgroup` and move the gate into it: every directory made,
    /// every limit written, then the moves (none without a cgroup: the gate only waits).
    public static func instructions(making cgroup: SessionCgroup?) -> [Instruction] {
        guard let cgroup else { return [] }
        return cgroup.directories.map { .make($0) }
            + cgroup.settings.map { .set(file: $0.file, value: $0.value, ifPresent: $0.optional) }
            + cgroup.directories.map { .enter($0) }
    }

    /// Tells the gate what to make of the session's cgroup (nil: nothing) once its directories
    /// are recorded in the run's state; `waitEntered` then learns how it went.
    public func instruct(making cgroup: SessionCgroup?) {
        sendInstructions(Self.instructions(making: cgroup))
    }

    /// The instructions as fields, each ended by a NUL, the list by an empty field. A gate that
    /// could not be written to has ended: `waitEntered` reports it.
    func sendInstructions(_ instructions: [Instruction]) {
        entersCgroup = instructions.contains { if case .enter = $0 { return true } else { return false } }
        _ = sendRest(of: Self.encode(instructions), from: 0)
    }

    /// Sends `payload` from `offset` on to its end: the offset reached, -1 when the socket failed
    /// (errno says why).
    private func sendRest(of payload: [UInt8], from offset: Int) -> Int {
        var offset = offset
        while offset >= 0 && offset < payload.count {
            let sent = payload[offset...].withUnsafeBytes { send(control, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent < 0 && errno == EINTR { continue }
            offset = sent < 0 ? -1 : offset + sent
        }
        return offset
    }

    public static func encode(_ instructions: [Instruction]) -> [UInt8] {
        var payload: [UInt8] = []
        func field(_ text: String) {
            payload += Array(text.utf8)
            payload.append(0)
        }
        for instruction in instructions {
            switch instruction {
            case .make(let directory): field("make"); field(directory)
            case .set(let file, let value, let ifPresent): field(ifPresent ? "set-if-present" : "set"); field(file); field(value)
            case .enter(let directory): field("enter"); field(directory)
            }
        }
        payload.append(0)
        return payload
    }

    /// What the bytes read so far hold: the whole list (and how many bytes it took), not all of
    /// it yet, or something `encode` does not write.
    public enum Reading: Equatable, Sendable {
        case complete([Instruction], length: Int)
        case incomplete
        case invalid
    }

    /// Reads the list field by field, as many as each instruction takes: an empty field where an
    /// instruction's name is due ends it.
    public static func readInstructions(_ bytes: [UInt8]) -> Reading {
        var position = 0
        /// The next field; nil when its end has not been read yet.
        func field() -> String? {
            guard let end = bytes[position...].firstIndex(of: 0) else { return nil }
            defer { position = end + 1 }
            return String(decoding: bytes[position..<end], as: UTF8.self)
        }
        var result: [Instruction] = []
        while true {
            guard let name = field() else { return .incomplete }
            if name.isEmpty { return .complete(result, length: position) }
            var arguments: [String] = []
            for _ in 0..<(name == "set" || name == "set-if-present" ? 2 : 1) {
                guard let argument = field() else { return .incomplete }
                arguments.append(argument)
            }
            switch name {
            case "make" where !arguments[0].isEmpty: result.append(.make(arguments[0]))
            case "enter" where !arguments[0].isEmpty: result.append(.enter(arguments[0]))
            case "set" where !arguments[0].isEmpty, "set-if-present" where !arguments[0].isEmpty:
                result.append(.set(file: arguments[0], value: arguments[1], ifPresent: name == "set-if-present"))
            default: return .invalid
            }
        }
    }

    /// Waits until the gate is ready (inside the cgroup, when it has one); throws the gate's
    /// reason when it could not make the cgroup or get in (one line, as `warden` prints it; the
    /// gate has exited, and is reaped).
    public func waitEntered() throws(LaunchError) {
        let answer = readAnswer(until: UInt8(ascii: "\n"))
        guard answer == [UInt8(ascii: "\n")] else {
            abandon()
            let reason = String(decoding: answer.filter { $0 != UInt8(ascii: "\n") }, as: UTF8.self)
            // Silent: it died, or it is a warden-sandbox-init of another build that refused
            // --gate on its standard error.
            let silent = "the launch gate (warden-sandbox-init --gate) ended before it was ready; fix: install warden-sandbox-init of warden's own build (sudo warden install, or Scripts/build-release.sh)"
            throw LaunchError(reason.isEmpty ? (entersCgroup ? "cannot move the sandbox into its cgroup: " : "cannot start the sandbox: ") + silent : reason)
        }
    }

    /// Replaces the gate with `executable`: `descriptors` are this process's descriptors and the
    /// numbers they get in the new program (every other descriptor of the gate is close-on-exec;
    /// they may be closed here once this returns). Returns once all is sent; `confirmExec` says
    /// whether the exec happened.
    public func release(executable: String, arguments: [String], environment: [String], descriptors: [(own: Int32, target: Int32)]) throws(LaunchError) {
        var payload: [UInt8] = []
        func field(_ text: String) {
            payload += Array(text.utf8)
            payload.append(0)
        }
        field(descriptors.map { String($0.target) }.joined(separator: " "))
        field(executable)
        field(String(arguments.count))
        arguments.forEach(field)
        environment.forEach(field)
        let fds = descriptors.map(\.own)
        let first = fds.isEmpty ? 0 : payload.withUnsafeBytes { bytes in
            fds.withUnsafeBufferPointer { warden_send_with_descriptors(control, bytes.baseAddress, bytes.count, $0.baseAddress, Int32($0.count)) }
        }
        let offset = sendRest(of: payload, from: first)
        let sendError = errno
        shutdown(control, Int32(SHUT_WR))
        released = true
        // The exec itself is not waited for here (about half a millisecond): `confirmExec`
        // learns how it went once the rest of the session is ready.
        if offset < 0 {
            try confirmExec()
            throw LaunchError("cannot hand bwrap to the launch gate: \(String(cString: strerror(sendError)))")
        }
    }

    /// After `release`: returns once the exec has happened (end of file: the gate's end of the
    /// socket was close-on-exec); throws the gate's reason when it did not (the gate has exited,
    /// and is reaped).
    public func confirmExec() throws(LaunchError) {
        guard control >= 0 else { return }
        let answer = readAnswer(until: nil)
        close(control)
        control = -1
        guard answer.isEmpty else {
            var status: Int32 = 0
            _ = waitpid(pid, &status, 0)
            throw LaunchError(String(decoding: answer.filter { $0 != UInt8(ascii: "\n") }, as: UTF8.self))
        }
    }

    /// The gate ends without running anything (a failure before the sandbox could start); no-op
    /// once released.
    public func abandon() {
        guard !released else { return }
        released = true
        if control >= 0 {
            close(control)
            control = -1
        }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }

    /// POLLRDHUP (the peer shut its end), which Glibc's module does not import.
    static let pollPeerClosed: Int32 = 0x2000

    /// Forks the clean-up watcher (LaunchPlaceholders.watch): its own session, the pipe only
    /// `warden` writes to as standard input, the sandbox's pipe as descriptor 3, standard output
    /// and error to /dev/null, nothing else of the gate's (the write end of the sandbox's pipe above all,
    /// whose end it waits for). The gate keeps neither read end: bwrap gets none of them.
    static func startWatcher(stateFile: String) {
        let child = fork()
        if child == 0 {
            _ = setsid()
            _ = dup2(watcherLifeDescriptor, 0)
            _ = dup2(watcherSandboxEndedDescriptor, 3)
            // Standard output and error to /dev/null: it writes nothing, and a pipe it held
            // (`warden run … 2>&1 | tee`) would not end until its sweep had.
            let null = open("/dev/null", O_WRONLY)
            if null >= 0 {
                _ = dup2(null, 1)
                _ = dup2(null, 2)
                if null > 2 { close(null) }
            }
            for fd in [watcherLifeDescriptor, watcherSandboxEndedDescriptor, sandboxEndedTarget, gateControlDescriptor] { close(fd) }
            LaunchPlaceholders.watch(stateFile: stateFile, sandboxEnded: 3)
        }
        close(watcherLifeDescriptor)
        close(watcherSandboxEndedDescriptor)
        if child < 0 {
            let message = "cannot start the clean-up watcher: \(String(cString: strerror(errno)))\n"
            _ = send(gateControlDescriptor, message, message.utf8.count, Int32(MSG_NOSIGNAL))
            exit(126)
        }
    }

    /// What the gate writes, up to `delimiter` (included) or the end of file.
    private func readAnswer(until delimiter: UInt8?) -> [UInt8] {
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 512)
        while answer.count < 4096 {
            let count = buffer.withUnsafeMutableBytes { read(control, $0.baseAddress, delimiter == nil ? 512 : 1) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            answer += buffer[0..<count]
            if let delimiter, answer.last == delimiter { break }
        }
        return answer
    }

    // MARK: the gate's side (warden-sandbox-init --gate; instructions on descriptor 9)

    /// Reads its instructions (`encode`), makes the cgroup's directories and writes its limits,
    /// in the order given, moves this process into each directory to enter, says so, and waits
    /// for what to exec. `warden` gone before that (end of file): the gate exits and nothing
    /// runs. What it made and could not finish is in the run's state file, for the sweep.
    public static func serve(arguments: [String]) -> Never {
        let control = gateControlDescriptor
        func refuse(_ message: String, status: Int32) -> Never {
            _ = send(control, message + "\n", message.utf8.count + 1, Int32(MSG_NOSIGNAL))
            exit(status)
        }
        guard fcntl(control, F_SETFD, FD_CLOEXEC) == 0 else { exit(126) }
        var options = arguments[...]
        if options.first == "--watch-cleanup" {
            options.removeFirst()
            guard let stateFile = options.popFirst() else { refuse("launch gate: --watch-cleanup needs the run's state file", status: 126) }
            // Before this process binds itself to `warden`'s life (below): a `warden` killed
            // right after spawning the gate still leaves a watcher to sweep what it recorded.
            startWatcher(stateFile: stateFile)
        }
        guard options.isEmpty else {
            refuse("launch gate: unexpected argument \(options.first!) (its instructions come on descriptor 9)", status: 126)
        }
        // Bound to `warden`'s life from here on, and through the exec bwrap's (the setting
        // survives an exec that changes no credentials): a `warden` killed after handing bwrap
        // over but before bwrap's own --die-with-parent took hold left an orphaned sandbox
        // running, which then made its mount points on the host after the watcher's sweep. A
        // `warden` gone before this line never sends what to exec (it waits for "ready", written
        // below): the gate reads end of file and exits.
        guard SystemCall.prctl(1 /* PR_SET_PDEATHSIG */, CLong(SIGKILL)) == 0 else {
            refuse("launch gate: cannot bind itself to warden run's life: \(String(cString: strerror(errno)))", status: 126)
        }
        // `warden` writes nothing more until the gate says it is ready, so nothing read here
        // belongs to what comes after.
        var instructionBytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        var instructions: [Instruction] = []
        reading: while true {
            switch readInstructions(instructionBytes) {
            case .complete(let list, let length):
                guard length == instructionBytes.count else { refuse("launch gate: more than its instructions arrived before it was ready", status: 126) }
                instructions = list
                break reading
            case .invalid:
                refuse("launch gate: its instructions are not in the form warden run writes", status: 126)
            case .incomplete:
                let count = chunk.withUnsafeMutableBytes { recv(control, $0.baseAddress, $0.count, 0) }
                if count < 0 && errno == EINTR { continue }
                // `warden` ended or gave the gate up before instructing it: nothing was made.
                guard count > 0 else { exit(0) }
                instructionBytes += chunk[0..<count]
            }
        }
        // A `warden` killed before this process bound itself to its life sent no signal (a
        // parent already gone when PR_SET_PDEATHSIG is set never sends one), but its instructions
        // may have arrived: its end of the socket is closed then, and nothing is made (another
        // start's sweep may already have taken this run's lines, which would leave a directory
        // made now to nobody).
        if !instructions.isEmpty {
            var peer = pollfd(fd: control, events: Int16(pollPeerClosed), revents: 0)
            if poll(&peer, 1, 0) > 0, peer.revents & Int16(pollPeerClosed | Int32(POLLHUP)) != 0 { exit(0) }
        }
        let pid = String(getpid())
        for instruction in instructions {
            switch instruction {
            case .make(let directory):
                // The name carries `warden`'s pid, so one that exists is a dead run's whose pid was
                // reused (pid_max is 32768 on many machines) and whose removal did not happen: made
                // afresh when it is empty (rmdir refuses a cgroup with processes or children: a
                // dead run's sandbox still running is never joined).
                guard mkdir(directory, 0o755) == 0 || (errno == EEXIST && rmdir(directory) == 0 && mkdir(directory, 0o755) == 0) else {
                    refuse("cannot make the session's cgroup \(directory): \(String(cString: strerror(errno)))", status: 126)
                }
            case .set(let file, let value, let ifPresent):
                if ifPresent && access(file, F_OK) != 0 { continue }
                do throws(LaunchError) {
                    try SessionCgroupSetup.write(value, to: file)
                } catch {
                    refuse("cannot make the session's cgroup: \(error.description)", status: 126)
                }
            case .enter(let directory):
                do throws(LaunchError) {
                    // cgroup v1 (a `tasks` file): this thread alone, as "0", through `tasks`. A
                    // write to `cgroup.procs`, or of a thread id, takes the kernel's cgroup
                    // threadgroup lock, which waits for an RCU grace period (12–16 ms each time on
                    // the development machine); the calling thread of a single-threaded process
                    // needs no lock (cgroup_procs_write_start), and moved in 0.1 ms. The gate has
                    // no other thread, and bwrap, which it becomes, is born inside.
                    if access(directory + "/tasks", F_OK) == 0 {
                        try SessionCgroupSetup.write("0", to: directory + "/tasks")
                    } else {
                        try SessionCgroupSetup.write(pid, to: directory + "/cgroup.procs")
                    }
                } catch {
                    refuse("cannot move the sandbox into its cgroup: \(error.description)", status: 126)
                }
            }
        }
        StartTrace.mark("gate", "ready")
        _ = send(control, "\n", 1, Int32(MSG_NOSIGNAL))

        var payload: [UInt8] = []
        var received = [Int32](repeating: -1, count: 8)
        var receivedCount: Int32 = 0
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { bytes in
                received.withUnsafeMutableBufferPointer {
                    warden_receive_with_descriptors(control, bytes.baseAddress, bytes.count, $0.baseAddress, 8, &receivedCount)
                }
            }
            if count < 0 { refuse("launch gate: cannot read what to run: \(String(cString: strerror(errno)))", status: 126) }
            if count == 0 { break }
            payload += buffer[0..<count]
        }
        if payload.isEmpty { exit(0) }
        var fields = payload.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        if fields.last == "" { fields.removeLast() }
        let targets = fields.first.map { $0.split(separator: " ").compactMap { Int32($0) } } ?? []
        guard fields.count >= 3, targets.count == Int(receivedCount), let argc = Int(fields[2]), argc >= 1, fields.count >= 3 + argc else {
            refuse("launch gate: what warden run sent is not a command", status: 126)
        }
        let executable = fields[1]
        // Out of the way first: a received descriptor may sit on another's target number.
        var high: [Int32] = []
        for fd in received.prefix(Int(receivedCount)) {
            high.append(fcntl(fd, F_DUPFD_CLOEXEC, 20))
            close(fd)
        }
        for (fd, target) in zip(high, targets) {
            guard fd >= 0, dup2(fd, target) == target else { refuse("launch gate: cannot place descriptor \(target): \(String(cString: strerror(errno)))", status: 126) }
            close(fd)
        }
        var cArguments: [UnsafeMutablePointer<CChar>?] = fields[3..<(3 + argc)].map { strdup($0) } + [nil]
        var cEnvironment: [UnsafeMutablePointer<CChar>?] = fields[(3 + argc)...].map { strdup($0) } + [nil]
        execve(executable, &cArguments, &cEnvironment)
        refuse("cannot start \(executable): \(String(cString: strerror(errno)))", status: 127)
    }
}
