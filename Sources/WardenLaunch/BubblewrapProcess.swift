#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
public import WardenSandbox
import WardenSystem

/// Why bwrap could not be started.
public struct LaunchError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The signals `warden run` passes on to the sandboxed command: the terminal's (the sandbox is in
/// a session of its own, so it gets none directly: no `SIGINT` from Ctrl-C in cooked mode, no
/// `SIGWINCH` on resize) and the ones a supervisor sends.
let forwardedSignals: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH, SIGUSR1, SIGUSR2, SIGTSTP]

/// Written by the signal handler, read by the wait loop: a self-pipe, as a handler may do nothing
/// but write(2).
nonisolated(unsafe) private var signalPipeWrite: Int32 = -1

private func recordSignal(_ signal: Int32) {
    var byte = UInt8(truncatingIfNeeded: signal)
    _ = write(signalPipeWrite, &byte, 1)
}

/// Runs bwrap with a plan: its arguments through `--args FD` (a memfd, NUL-separated, so no
/// argument list can overflow `E2BIG`), the plan's environment as bwrap's own, the terminal's
/// descriptors inherited; signals passed on; the command's exit status returned.
public enum BubblewrapProcess {
    /// What bwrap is started with, and the launch gate that becomes bwrap: default actions for
    /// the signals `warden` forwards (and SIGPIPE, SIGCHLD), nothing blocked, and a process group
    /// of its own, so that the terminal's signals (Ctrl-C, resize) reach only `warden`, which
    /// passes them to the command; bwrap itself would die of a SIGINT and take the session with
    /// it. The sandbox has no controlling terminal (--new-session), so no job-control stop
    /// applies to it in a background group.
    static func setBubblewrapAttributes(_ attributes: inout posix_spawnattr_t) {
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in forwardedSignals + [SIGPIPE, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP))
    }

    /// The descriptor bwrap gets for `--sync-fd` (3 to 6 and 9 are taken), as the gate's.
    static let sandboxEndedDescriptor: Int32 = LaunchGate.sandboxEndedTarget

    /// bwrap on `PATH`, nil when it is not installed.
    public static func locate(path: String?) -> String? {
        for directory in (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let candidate = directory + "/bwrap"
            if access(String(candidate), X_OK) == 0 { return String(candidate) }
        }
        return nil
    }

    /// Starts bwrap and waits for it. The exit status is the command's (128 + N for a signal).
    public static func run(
        bwrap: String, plan: SandboxPlan, environment: [(name: String, value: String)], runtimeDirectory: String,
        gate: LaunchGate? = nil, supervisorChannel: Int32? = nil, started: ((Int32) -> Void)? = nil
    ) throws(LaunchError) -> Int32 {
        try start(bwrap: bwrap, plan: plan, environment: environment, runtimeDirectory: runtimeDirectory, gate: gate, supervisorChannel: supervisorChannel)
            .run(started: started)
    }

    /// Starts bwrap, which sets up the sandbox's namespaces and mounts at once and then waits
    /// (`--block-fd`) before it runs anything: `warden` makes the rest of the session ready
    /// meanwhile (the proxies, the channel, the start record; about a millisecond) and then lets
    /// it go with `StartedSandbox.run`, or ends it with `abort`.
    /// `gate`: the launch gate, spawned earlier (inside the session's cgroup, when it has one),
    /// which becomes bwrap (see `LaunchGate`); a gate that could not get in stops the start here.
    /// `supervisorChannel`: the sandbox's end of the unix socket supervisor's channel, given to
    /// bwrap (and through it to init) as descriptor `UnixSocketPlan.supervisorDescriptor`, and
    /// closed here once bwrap has it.
    /// `sandboxEnded`: without a gate, the write end of the clean-up watcher's second pipe, given
    /// to bwrap as `--sync-fd` (its init inside holds it while the sandbox lives) and closed here;
    /// a gate holds it from its own start (`LaunchGate.start`).
    public static func start(
        bwrap: String, plan: SandboxPlan, environment: [(name: String, value: String)], runtimeDirectory: String,
        gate: LaunchGate? = nil, supervisorChannel: Int32? = nil, sandboxEnded: Int32? = nil
    ) throws(LaunchError) -> StartedSandbox {
        var supervisorChannel = supervisorChannel
        defer { if let channel = supervisorChannel { close(channel) } }
        defer { if let sandboxEnded { close(sandboxEnded) } }
        // The arguments, NUL-separated, in a file of the run directory bwrap reads with --args.
        let argumentsPath = runtimeDirectory + "/bwrap-arguments"
        let argumentsFD = open(argumentsPath, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard argumentsFD >= 0 else { throw LaunchError("cannot create \(argumentsPath): \(String(cString: strerror(errno)))") }
        defer { close(argumentsFD) }
        // bwrap reads options from --args, not the command: that follows `--` on its own command
        // line (it is the developer's, not a secret, and short).
        let separator = plan.bwrapArguments.firstIndex(of: "--") ?? plan.bwrapArguments.endIndex
        let options = plan.bwrapArguments[..<separator]
        let commandPart = Array(plan.bwrapArguments[separator...])
        var bytes: [UInt8] = []
        for argument in options {
            bytes += Array(argument.utf8)
            bytes.append(0)
        }
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(argumentsFD, $0.baseAddress, $0.count) }
            guard written > 0 else { throw LaunchError("cannot write bwrap's arguments: \(String(cString: strerror(errno)))") }
            offset += written
        }
        lseek(argumentsFD, 0, SEEK_SET)

        // --info-fd: bwrap says the pid of the sandbox's first process, to which signals go.
        let infoPipe = try closeOnExecPipe()
        // --block-fd: the sandbox's first process waits, its mounts made, until `warden` lets it
        // go. A socket, not a pipe, so that letting go a bwrap that has already failed is no
        // SIGPIPE (send's MSG_NOSIGNAL).
        var blockPipe: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &blockPipe) == 0 else {
            throw LaunchError("cannot create bwrap's block socket: \(String(cString: strerror(errno)))")
        }
        let signalPipe = try closeOnExecPipe()
        _ = fcntl(signalPipe[0], F_SETFL, O_NONBLOCK)
        _ = fcntl(signalPipe[1], F_SETFL, O_NONBLOCK)

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // dup2 onto themselves clears FD_CLOEXEC in the child only.
        posix_spawn_file_actions_adddup2(&actions, argumentsFD, 3)
        posix_spawn_file_actions_adddup2(&actions, infoPipe[1], 4)
        posix_spawn_file_actions_adddup2(&actions, blockPipe[0], 6)
        if let channel = supervisorChannel {
            posix_spawn_file_actions_adddup2(&actions, channel, Int32(UnixSocketPlan.supervisorDescriptor))
        }
        if let sandboxEnded { posix_spawn_file_actions_adddup2(&actions, sandboxEnded, Self.sandboxEndedDescriptor) }
        var placed: Set<Int32> = [3, 4, 6]
        if supervisorChannel != nil { placed.insert(Int32(UnixSocketPlan.supervisorDescriptor)) }
        if sandboxEnded != nil { placed.insert(Self.sandboxEndedDescriptor) }
        try SpawnDescriptors.closeOthers(&actions, placed: placed, keepBelow: Self.sandboxEndedDescriptor + 1)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        setBubblewrapAttributes(&attributes)

        // The watcher's second pipe: held by the gate since its start, or given to bwrap here.
        let syncDescriptor = gate.map { $0.sandboxEndedDescriptor } ?? (sandboxEnded == nil ? nil : Self.sandboxEndedDescriptor)
        let argv = [bwrap, "--info-fd", "4", "--block-fd", "6"] + (syncDescriptor.map { ["--sync-fd", String($0)] } ?? [])
            + ["--args", "3"] + commandPart
        let envp = environment.map { "\($0.name)=\($0.value)" }
        var cArguments: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        var cEnvironment: [UnsafeMutablePointer<CChar>?] = envp.map { strdup($0) } + [nil]
        defer {
            for pointer in cArguments { free(pointer) }
            for pointer in cEnvironment { free(pointer) }
        }

        // Signals are caught before the spawn so that none is lost between the two.
        signalPipeWrite = signalPipe[1]
        var previous: [Int32: sigaction] = [:]
        for signal in forwardedSignals + [SIGCHLD] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { recordSignal($0) }
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            var old = sigaction()
            sigaction(signal, &action, &old)
            previous[signal] = old
        }

        var pid: pid_t = 0
        var spawnFailure: LaunchError?
        if let gate {
            do throws(LaunchError) {
                // A gate that could not make the cgroup or get in says why; nothing has run: the
                // sandbox does not start, rather than start unlimited.
                try gate.waitEntered()
                StartTrace.mark("warden", "gate ready")
                var descriptors: [(own: Int32, target: Int32)] = [(argumentsFD, 3), (infoPipe[1], 4), (blockPipe[0], 6)]
                if let channel = supervisorChannel { descriptors.append((channel, Int32(UnixSocketPlan.supervisorDescriptor))) }
                try gate.release(executable: bwrap, arguments: argv, environment: envp, descriptors: descriptors)
                pid = gate.pid
            } catch {
                spawnFailure = error
            }
        } else {
            let spawned = posix_spawn(&pid, bwrap, &actions, &attributes, &cArguments, &cEnvironment)
            if spawned != 0 { spawnFailure = LaunchError("cannot start \(bwrap): \(String(cString: strerror(spawned)))") }
        }
        close(infoPipe[1])
        close(blockPipe[0])
        if let channel = supervisorChannel {
            close(channel)
            supervisorChannel = nil
        }
        StartTrace.mark("warden", "bwrap spawned")
        let sandbox = StartedSandbox(pid: pid, info: infoPipe[0], block: blockPipe[1], signalPipe: signalPipe, previous: previous, gate: gate)
        if let spawnFailure {
            sandbox.finish()
            throw spawnFailure
        }
        return sandbox
    }

    /// bwrap's `--info-fd` JSON: `{"child-pid": N, …}`.
    static func readChildPid(_ fd: Int32) -> pid_t? {
        var text: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 512)
        while !text.contains(UInt8(ascii: "}")) {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, 512) }
            guard count > 0 else { break }
            text += buffer[0..<count]
        }
        return childPid(inInfo: text)
    }

    /// The number after `"child-pid":` in bwrap's info JSON, read as bytes (a string search
    /// there went through the regex library's generic entry points, 0.07 ms at each start).
    public static func childPid(inInfo text: [UInt8]) -> Int32? {
        let key = Array("\"child-pid\":".utf8)
        guard text.count >= key.count else { return nil }
        for start in 0...(text.count - key.count) where text[start..<(start + key.count)].elementsEqual(key) {
            var index = start + key.count
            while index < text.count, text[index] == UInt8(ascii: " ") { index += 1 }
            var value: Int64 = 0
            var digits = 0
            while index < text.count, text[index] >= UInt8(ascii: "0"), text[index] <= UInt8(ascii: "9") {
                value = value * 10 + Int64(text[index] - UInt8(ascii: "0"))
                guard value <= Int64(Int32.max) else { return nil }
                index += 1
                digits += 1
            }
            guard digits > 0 else { return nil }
            return Int32(value)
        }
        return nil
    }

    /// A signal goes to the command's process group: the children of the sandbox's first process
    /// (bwrap's own init inside the pid namespace, which does not pass signals on).
    static func forward(_ signal: Int32, sandboxPid: pid_t?, bwrap: pid_t) {
        guard let sandboxPid else {
            kill(bwrap, signal)
            return
        }
        let children = LaunchFileSystem().contents(of: "/proc/\(sandboxPid)/task/\(sandboxPid)/children") ?? ""
        let pids = children.split(separator: " ").compactMap { pid_t($0.filter(\.isNumber)) }
        if pids.isEmpty {
            kill(sandboxPid, signal)
        }
        for child in pids {
            // The command leads its own process group (bwrap's --new-session): reach its jobs too.
            if kill(-child, signal) != 0 { kill(child, signal) }
        }
    }
}

/// bwrap started and held before it runs anything (`BubblewrapProcess.start`).
public final class StartedSandbox {
    /// bwrap's pid.
    public let pid: Int32
    private var info: Int32
    private var block: Int32
    private let signalPipe: [Int32]
    private let previous: [Int32: sigaction]
    private var finished = false
    private let gate: LaunchGate?

    init(pid: Int32, info: Int32, block: Int32, signalPipe: [Int32], previous: [Int32: sigaction], gate: LaunchGate?) {
        self.pid = pid
        self.info = info
        self.block = block
        self.signalPipe = signalPipe
        self.previous = previous
        self.gate = gate
    }

    /// Whether bwrap runs: from a launch gate, its exec is confirmed here, once the rest of the
    /// session is ready, rather than waited for when it is handed over. A gate that could not
    /// exec bwrap has exited; the sandbox is then finished.
    public func confirmStarted() throws(LaunchError) {
        do throws(LaunchError) {
            try gate?.confirmExec()
        } catch {
            finish()
            throw error
        }
    }

    /// Lets the sandbox go and waits for bwrap: the command's exit status (128 + N for a
    /// signal). `started` learns the sandbox's first process (bwrap's `--info-fd` child pid)
    /// before it runs anything: Warden's channel admits only peers in its pid namespace.
    public func run(started: ((Int32) -> Void)? = nil) -> Int32 {
        defer { finish() }
        let sandboxPid = BubblewrapProcess.readChildPid(info)
        close(info)
        info = -1
        StartTrace.mark("warden", "sandbox pid read")
        if let sandboxPid { started?(sandboxPid) }
        _ = send(block, "1", 1, Int32(MSG_NOSIGNAL))
        close(block)
        block = -1
        StartTrace.mark("warden", "sandbox let go")

        var jobControl = JobControl(sandboxPid: sandboxPid)
        while true {
            var status: Int32 = 0
            let done = waitpid(pid, &status, WNOHANG)
            if done == pid {
                StartTrace.mark("warden", "bwrap exited")
                if status & 0x7f == 0 { return (status >> 8) & 0xff }
                return 128 + (status & 0x7f)
            }
            jobControl.followStops()
            var poller = pollfd(fd: signalPipe[0], events: Int16(POLLIN), revents: 0)
            _ = poll(&poller, 1, jobControl.interactive ? 100 : 1000)
            var byte: UInt8 = 0
            while read(signalPipe[0], &byte, 1) == 1 {
                let signal = Int32(byte)
                guard signal != SIGCHLD else { continue }
                BubblewrapProcess.forward(signal, sandboxPid: sandboxPid, bwrap: pid)
            }
        }
    }

    /// Ends a sandbox that was never let go: nothing inside has run.
    public func abort() {
        guard !finished else { return }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        finish()
    }

    /// The descriptors closed and the signal actions of before restored.
    func finish() {
        guard !finished else { return }
        finished = true
        if info >= 0 { close(info) }
        if block >= 0 { close(block) }
        for (signal, old) in previous {
            var restore = old
            sigaction(signal, &restore, nil)
        }
        close(signalPipe[0])
        close(signalPipe[1])
    }
}

/// Ctrl-Z for a sandboxed TUI. The sandbox has no controlling terminal, so the shell's job
/// control cannot see it: when the command's process group stops (Claude Code sends itself
/// SIGTSTP on Ctrl-Z, after giving the terminal back; or `warden` passed on the terminal's
/// SIGTSTP), `warden` stops itself, so the shell shows the job as stopped; when the shell
/// continues `warden` (`fg`, `bg`), it continues the command. Only when `warden` is the
/// terminal's foreground job: elsewhere nobody could continue it, and a stopped command is
/// continued at once, as the kernel does for an orphaned process group.
struct JobControl {
    let sandboxPid: pid_t?
    let interactive: Bool
    private var commandPid: pid_t?

    init(sandboxPid: pid_t?) {
        self.sandboxPid = sandboxPid
        let group = tcgetpgrp(0)
        interactive = isatty(0) == 1 && group > 0 && group == getpgrp()
    }

    mutating func followStops() {
        guard let sandboxPid else { return }
        if commandPid == nil {
            let children = LaunchFileSystem().contents(of: "/proc/\(sandboxPid)/task/\(sandboxPid)/children") ?? ""
            commandPid = children.split(separator: " ").compactMap { pid_t($0.filter(\.isNumber)) }.first
        }
        guard let commandPid, Self.isStopped(commandPid) else { return }
        if interactive {
            // SIGTSTP with its default action, as a shell job stopped by Ctrl-Z (status 148);
            // it returns once the shell continues this process.
            var stop = sigaction()
            stop.__sigaction_handler.sa_handler = SIG_DFL
            sigemptyset(&stop.sa_mask)
            var handler = sigaction()
            sigaction(SIGTSTP, &stop, &handler)
            kill(getpid(), SIGTSTP)
            sigaction(SIGTSTP, &handler, nil)
        }
        kill(-commandPid, SIGCONT)
    }

    /// The state letter of /proc/PID/stat (after the command name, which may hold spaces and
    /// parentheses): `T` for a process stopped by a signal.
    static func isStopped(_ pid: pid_t) -> Bool {
        guard let stat = LaunchFileSystem().contents(of: "/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(after: close)...].drop(while: { $0 == " " }).first == "T"
    }
}

/// A pipe whose ends are not inherited (pipe2 is not imported from Glibc).
func closeOnExecPipe() throws(LaunchError) -> [Int32] {
    var fds: [Int32] = [0, 0]
    guard pipe(&fds) == 0 else { throw LaunchError("pipe: \(String(cString: strerror(errno)))") }
    for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    return fds
}
