import ArgumentParser
import Dispatch
import FoundationEssentials
import Glibc
import NIOConcurrencyHelpers
import WardenAudit
import WardenChannel
import WardenLaunch
import WardenPolicy
import WardenSandbox
import WardenSystem

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run Claude Code (or a command) inside Warden's sandbox.",
        discussion: """
            Starts the real claude found on PATH (never Warden's own claude function or shim), or \
            CMD after --, inside bubblewrap with the managed policy: the system read-only, the \
            project, ~/.claude and ~/.claude.json writable, Read deny rules and \
            sandbox.filesystem.denyRead masked, Edit deny rules, sandbox.filesystem.denyWrite and \
            the always-protected paths read-only, no network but loopback, secrets dropped from \
            the environment, limits on processes, memory and open files.
            --dry-run prints the plan (text, or JSON with --json) and starts nothing.
            Exit status: the command's; 1 when the sandbox cannot start (one line names what is \
            missing and the fix); 64 for a usage error.
            """
    )

    @Option(name: .long, help: ArgumentHelp("The policy file.", discussion: "Default: $WARDEN_POLICY, else /etc/claude-code/managed-settings.json.", valueName: "file"))
    var policy: String?

    @Option(name: .long, help: ArgumentHelp("A profile shipped with Warden: profiles/NAME.json next to the binaries, in ../share/warden/profiles, or in the source tree they were built in.", valueName: "name"))
    var profile: String?

    @Flag(name: .long, help: "Print the sandbox plan; start nothing.")
    var dryRun = false

    @Flag(name: .long, help: "With --dry-run: the plan as JSON.")
    var json = false

    @Argument(parsing: .postTerminator, help: ArgumentHelp("The command to run instead of claude.", valueName: "cmd"))
    var command: [String] = []

    /// `warden run [--policy FILE | --profile NAME] [-- CMD ARGS…]`, the way every session
    /// starts, read without ArgumentParser: its reflection-driven parse cost about 1.7 ms of each
    /// start. Anything else (`--dry-run`, `--help`, a mistake) returns nil and goes through
    /// ArgumentParser, which then parses it as before.
    static func plainInvocation(_ arguments: [String]) -> RunCommand? {
        guard arguments.first == "run" else { return nil }
        var rest = arguments.dropFirst()
        var policy: String?, profile: String?
        while let first = rest.first, first != "--" {
            var name = first, value: String?
            if let equals = first.firstIndex(of: "="), first.hasPrefix("--") {
                name = String(first[..<equals])
                value = String(first[first.index(after: equals)...])
                rest = rest.dropFirst()
            } else {
                guard rest.count >= 2 else { return nil }
                value = rest.dropFirst().first
                rest = rest.dropFirst(2)
            }
            guard let value, !value.isEmpty, !value.hasPrefix("-") else { return nil }
            switch name {
            case "--policy" where policy == nil && profile == nil: policy = value
            case "--profile" where policy == nil && profile == nil: profile = value
            default: return nil
            }
        }
        var command = RunCommand()
        command.policy = policy
        command.profile = profile
        command.dryRun = false
        command.json = false
        command.command = Array(rest.dropFirst())
        return command
    }

    func validate() throws {
        if policy != nil && profile != nil { throw ValidationError("--policy and --profile exclude each other") }
        if json && !dryRun { throw ValidationError("--json goes with --dry-run") }
    }

    // Release builds: the 6.3.1 compiler crashes generating IR for this function once optimised
    // (ElementLayout::project); it runs once per session, so it is left unoptimised.
    @_optimize(none)
    func run() throws {
        trace("arguments parsed")
        let launch: RunLaunch
        switch try prepare() {
        case .finished(let status): throw ExitCode(status)
        case .launch(let prepared): launch = prepared
        }
        defer { launch.cleanUp() }
        // bwrap starts now: it makes the sandbox's namespaces and mounts (about 6 ms) while the
        // rest of the session gets ready, and runs nothing until it is let go.
        let sandbox: StartedSandbox
        do {
            sandbox = try launch.startSandbox()
        } catch {
            launch.logFailedStart()
            if let network = try? launch.network.wait() { try? waitFor { await network.stop() } }
            throw fail("\(error)")
        }
        // Read inside only, by init and the hooks, through the run directory's mount.
        do {
            try RunSupport.writeInnerFiles(launch.runtimeDirectory, spec: launch.plan.innerSpec.json(), policyHash: launch.policyHash ?? AuditChain.policyHash([]))
        } catch {
            sandbox.abort()
            launch.logFailedStart()
            if let network = try? launch.network.wait() { try? waitFor { await network.stop() } }
            throw fail("\(error)")
        }
        trace("inner files written")
        // The proxies listen before the sandbox runs anything, so the agent's first connection
        // finds them (they were started beside the placeholders, in prepare).
        let network: RunNetwork
        do {
            network = try launch.network.wait()
        } catch {
            sandbox.abort()
            launch.logFailedStart()
            throw fail("\(error)")
        }
        trace("proxies listening")
        let channel: RunChannel?
        do {
            channel = try RunChannel.start(plan: launch.plan, policy: launch.policy, runtimeDirectory: launch.runtimeDirectory)
        } catch {
            sandbox.abort()
            launch.logFailedStart()
            try? waitFor { await network.stop() }
            throw fail("\(error)")
        }
        trace("channel serving")
        do {
            try sandbox.confirmStarted()
        } catch {
            launch.logFailedStart()
            channel?.stop()
            try? waitFor { await network.stop() }
            throw fail("\(error)")
        }
        let (status, session) = launch.execute(sandbox, started: channel.map { channel in { channel.sandboxStarted(pid: $0) } })
        // The end record, the channel's stop and the proxies' run on the concurrency pool while
        // this thread removes the placeholders.
        let ending = Pending { [channel] in
            session.ended(status: status)
            StartTrace.mark("pool", "session end logged")
            channel?.stop()
            StartTrace.mark("pool", "channel stopped")
            await network.stop()
        }
        launch.cleanUp()
        _ = try? ending.wait()
        trace("proxies stopped")
        throw ExitCode(status)
    }

    func trace(_ step: String) { StartTrace.mark("warden", step) }

    func fail(_ message: String) -> some Error {
        Files.writeAll(2, "warden: \(message)\n")
        return ExitCode(1)
    }

    enum Prepared {
        case finished(Int32)
        case launch(RunLaunch)
    }

    /// Everything before the sandbox starts: the policy, the command, what the kernel offers,
    /// the plan (printed and done with --dry-run), the run's directory, placeholders and watcher.
    @_optimize(none)
    func prepare() throws -> Prepared {
        // The plan's thread is started now and waits for its request: a new thread first ran
        // 0.3-0.9 ms after its creation here, which was on the plan's path when it was started
        // once the request was ready. Meanwhile it builds the detectors' tables the plan needs.
        // Every early return lets it go (`close`).
        let planRequest = Handoff<SandboxRequest>()
        defer { planRequest.close() }
        let planning = OnOwnThread { () -> SandboxPlan? in
            SandboxPlanner.prepareTables()
            guard let request = planRequest.take() else { return nil }
            StartTrace.mark("thread", "plan began")
            defer { StartTrace.mark("thread", "plan done") }
            return SandboxPlanner.plan(request, fileSystem: LaunchFileSystem())
        }
        // What the kernel offers is read on a thread of its own while the policy is read and the
        // command found (it depends on neither).
        let probingUid = getuid()
        let probing = OnOwnThread {
            StartTrace.mark("thread", "kernel probe began")
            defer { StartTrace.mark("thread", "kernel probe done") }
            return (refusal: KernelProbe.userNamespaceRefusal(uid: probingUid), features: KernelProbe.features())
        }
        let environment = ProcessInfo.processInfo.environment
        let wardenPath = HostPaths.executable
        let wardenDirectory = HostPaths.parent(wardenPath)
        // Leftovers of a warden that was killed, swept while the probe runs: before this run's
        // own state, and before the plan, which must see the paths as they stay.
        let stateDirectory = LaunchPlaceholders.stateDirectory(environment: { environment[$0] })
        if !dryRun, let stateDirectory {
            LaunchPlaceholders.sweepAbandoned(stateDirectory: stateDirectory)
            trace("abandoned runs swept")
        }

        // The policy.
        let policyPath: String
        if let profile {
            guard let found = RunSupport.profilePath(profile, wardenDirectory: wardenDirectory) else {
                throw fail("no profile \"\(profile)\": looked for profiles/\(profile).json next to \(wardenDirectory), in its ../share/warden and in the source tree")
            }
            policyPath = found
        } else {
            policyPath = PolicyFile.locate(given: policy)
        }
        guard FileManager.default.fileExists(atPath: policyPath) else {
            throw fail("no policy at \(policyPath); pass --policy FILE or --profile NAME, or set $WARDEN_POLICY")
        }
        let loaded: Policy
        let policyRead = PolicyFile.loadWithBytes(path: policyPath)
        switch policyRead.policy {
        case .success(let policy): loaded = policy
        case .failure(let error): throw fail("\(error)")
        }
        trace("policy loaded")

        // The command.
        var commandIsClaude = false
        var commandLine = command
        if commandLine.isEmpty {
            guard let claude = RunSupport.realClaude(path: environment["PATH"], wardenPath: wardenPath) else {
                throw fail("no claude on PATH (Warden's own claude function and shim are skipped); install Claude Code, or name a command after --")
            }
            commandLine = [claude]
            commandIsClaude = true
        } else if !commandLine[0].contains("/") {
            guard let resolved = RunSupport.which(commandLine[0], path: environment["PATH"]) else {
                throw fail("\(commandLine[0]): command not found on PATH")
            }
            commandLine[0] = resolved
            commandIsClaude = Paths.lastComponent(resolved) == "claude"
        } else {
            // `warden run -- /path/to/claude` (as `warden demo` and the claude shim run it).
            commandIsClaude = Paths.lastComponent(commandLine[0]) == "claude"
        }

        let uid = getuid(), gid = getgid()
        guard let home = environment["HOME"], home.hasPrefix("/") else { throw fail("$HOME is not set to an absolute path") }
        let cwd = FileManager.default.currentDirectoryPath
        trace("command found")

        // What is needed, before anything is created.
        let bwrap = BubblewrapProcess.locate(path: environment["PATH"])
        let probed = try probing.wait()
        var missing: String?
        if bwrap == nil {
            missing = "bwrap is not installed; fix: apt-get install bubblewrap (Debian, Ubuntu) or dnf install bubblewrap"
        } else if let refusal = probed.refusal {
            missing = refusal
        } else if !probed.features.seccomp {
            missing = "this kernel cannot load seccomp filters (CONFIG_SECCOMP_FILTER); fix: a kernel built with it"
        }
        if let missing, !dryRun {
            guard !loaded.sandbox.failIfUnavailable else {
                throw fail("cannot start the sandbox: \(missing) (the policy's sandbox.failIfUnavailable is true)")
            }
            Files.writeAll(2, "warden: cannot start the sandbox: \(missing); running UNSANDBOXED because the policy sets sandbox.failIfUnavailable to false\n")
            return .finished(RunSupport.execUnsandboxed(commandLine))
        }
        let kernel = probed.features
        trace("kernel probed")

        // Claude Code's own state must exist to be bound writable (it would create both itself).
        RunSupport.ensureClaudeState(home: home)

        let runtimeBase = LaunchPlaceholders.runtimeBase { environment[$0] }
        let runtimeDirectory = "\(runtimeBase)/warden-run.\(uid).\(getpid())"
        let initPath = RunSupport.initPath(wardenDirectory: wardenDirectory)
        // Without init there is no seccomp, no Landlock and no network bridge: no sandbox to speak of.
        if initPath == nil, !dryRun {
            throw fail("cannot start the sandbox: \(wardenDirectory)/warden-sandbox-init is missing; fix: sudo warden install (or Scripts/build-release.sh)")
        }
        var originPort: Int?
        if let base = environment["ANTHROPIC_BASE_URL"], let origin = RunNetwork.loopbackOrigin(base) {
            let http = loaded.network.httpProxyPort ?? 3128, socks = loaded.network.socksProxyPort ?? 1080
            if origin.port == http || origin.port == socks {
                throw fail("ANTHROPIC_BASE_URL's port \(origin.port) is also the sandbox's \(origin.port == http ? "HTTP" : "SOCKS") proxy port; fix: set sandbox.network.\(origin.port == http ? "httpProxyPort" : "socksProxyPort") to another port")
            }
            originPort = origin.port
        }
        // Another live session's placeholders are planned as absent: this session then makes or
        // shares its own under the state directory's lock, where binding the other's could find
        // it removed by that session's end before bwrap binds it (a failed start).
        var otherPlaceholders: Set<String> = []
        if let stateDirectory { otherPlaceholders = LaunchPlaceholders.otherSessionsPlaceholders(stateDirectory: stateDirectory) }
        let request = SandboxRequest(
            policy: loaded, policyPath: policyPath, home: home, workingDirectory: cwd,
            environment: RunSupport.sortedEnvironment(environment),
            kernel: kernel, uid: uid, gid: gid, command: commandLine, wardenDirectory: wardenDirectory,
            initPath: initPath, logDirectory: loaded.audit.directory ?? RunSupport.defaultLogDirectory(environment),
            runtimeDirectory: runtimeDirectory, commandIsClaude: commandIsClaude, proxyAvailable: true, originPort: originPort,
            channelAvailable: true, pseudonymDirectory: dryRun ? PseudonymStore.directory() : RunChannel.booksDirectory(),
            otherSessionsPlaceholders: otherPlaceholders)
        // The plan is made on its thread while this thread goes on: after the sweep (done at the
        // start), since it must see the paths as they stay (a dead run's placeholder it took for
        // the developer's file would be masked, then swept away under bwrap's mount).
        planRequest.give(request)
        // This run's watcher, state, run directory and launch gate come while the plan is made:
        // the gate's making of the cgroup and move into it then run beside the plan and
        // everything else up to bwrap's start instead of before bwrap. The watcher (init in its
        // watch mode: a static executable starts in a fraction of the time a second `warden`
        // takes) removes what the state file lists however `warden` ends, and the next start's
        // sweep whatever a SIGKILL before it left.
        var placeholders: LaunchPlaceholders?
        var gate: LaunchGate?
        var watcher: Int32?
        var sandboxEnded: Int32?
        var earlyCgroup: SessionCgroup?
        var network: Pending<RunNetwork>?
        let policyHash = policyRead.bytes.map(AuditChain.policyHash)
        let sockets = NetworkBridge.hostSockets(runtimeDirectory: runtimeDirectory)
        /// Until the watcher runs, what was made is this process's to remove.
        func undoEarly() {
            if let started = try? network?.wait() { try? waitFor { await started.stop() } }
            gate?.abandon()
            if let placeholders { LaunchPlaceholders.sweep(stateFile: placeholders.stateFile, cgroups: .wait(milliseconds: 2000)) }
        }
        if !dryRun {
            guard let stateDirectory else {
                throw fail("neither $XDG_STATE_HOME nor $HOME is set: no place for the run's state")
            }
            do {
                // The gate first, as it only waits until it is told what to make: its exec and
                // start (about a millisecond) then run beside the plan instead of ending just
                // before bwrap is due. It forks the clean-up watcher as it starts (the watcher
                // sweeps what the state file lists once this process is gone, so it is started
                // before the state file is written; a gate that could not fork it says so when
                // its readiness is read, and the next start's sweep takes what is left). The gate
                // holds the watcher's second pipe from its start (the pipe ends when the sandbox
                // is gone: bwrap's --sync-fd), so that the watcher's sweep waits for it too.
                let ended = try closeOnExecPipePair()
                let life = try closeOnExecPipePair()
                defer {
                    close(ended.read)
                    close(life.read)
                }
                sandboxEnded = ended.write
                gate = try LaunchGate.spawn(
                    executable: initPath ?? "warden-sandbox-init", sandboxEnded: ended.write,
                    watcher: LaunchGate.Watcher(stateFile: LaunchPlaceholders.stateFile(in: stateDirectory), life: life.read, sandboxEnded: ended.read))
                close(ended.write)
                sandboxEnded = nil
                watcher = life.write
                trace("launch gate and watcher started")
                let state = try LaunchPlaceholders.begin(stateDirectory: stateDirectory, runtimeDirectory: runtimeDirectory)
                placeholders = state
                trace("state file written")
                let limits = loaded.sandbox.limits
                earlyCgroup = SessionCgroup.forSession(
                    facts: kernel.cgroups, processes: limits.processes, memoryMegabytes: limits.memoryMegabytes, runtimeDirectory: runtimeDirectory)
                // Listed before the gate makes them, so that however this run ends they are removed.
                earlyCgroup?.directories.forEach(state.recordCgroup)
                guard LaunchPlaceholders.makeRunDirectory(runtimeDirectory, uid: uid) else {
                    throw LaunchError("cannot create the run directory \(runtimeDirectory): \(String(cString: strerror(errno)))")
                }
                trace("run directory made")
                // Listed in the state file: the gate may make the cgroup now.
                gate?.instruct(making: earlyCgroup)
                trace("launch gate instructed")
                // The proxies start on the concurrency pool as soon as their sockets' directory
                // exists (NIO's threads and the binds took 1.2-3.7 ms), beside the plan and the
                // placeholders; the agent's first connection needs them only once bwrap has made
                // its mounts.
                let originSocket = originPort == nil ? nil : sockets.origin
                network = Pending {
                    try await RunNetwork.start(
                        http: sockets.http, socks: sockets.socks, originSocket: originSocket, policy: loaded, policyPath: policyPath,
                        policyHash: policyHash, environment: environment)
                }
                // The empty files bwrap binds over masked paths, while the plan is still being made.
                try RunSupport.writeMaskFiles(runtimeDirectory)
                trace("mask files written")
            } catch {
                undoEarly()
                throw fail("\(error)")
            }
        }
        let plan = ((try? planning.wait()) ?? nil) ?? SandboxPlanner.plan(request, fileSystem: LaunchFileSystem())
        if let reason = ProjectRefusal.reason(root: plan.project.root, home: HostPaths.resolvingSymlinks(home)) {
            undoEarly()
            throw fail("cannot start the sandbox: \(reason); fix: start warden run in a project directory (a git repository, or a directory of its own)")
        }
        trace("plan made")
        if plan.limits.cgroup != earlyCgroup, !dryRun {
            undoEarly()
            throw fail("cannot start the sandbox: the plan's cgroup is not the one made for it")
        }
        if (plan.network.httpSocketOnHost, plan.network.socksSocketOnHost, plan.network.originSocketOnHost) != sockets, !dryRun {
            undoEarly()
            throw fail("cannot start the sandbox: the plan's proxy sockets are not the ones listening")
        }

        if dryRun {
            if json {
                print(plan.json.serialized)
            } else {
                print(plan.text, terminator: "")
                if let missing { print("\nthe sandbox cannot start here: \(missing)") }
            }
            return .finished(0)
        }

        // The hook, read back in 2 MiB folios when the page cache has lost it (after a reboot):
        // it then starts about 0.6 ms faster on every tool call of the session (PageCacheWarmer).
        // A hook still in the cache costs a mincore(2) here.
        _ = PageCacheWarmer.warm(path: wardenDirectory + "/warden-hook")
        trace("hook in the page cache")

        do {
            guard let state = placeholders, watcher != nil, network != nil else { throw LaunchError("the run's state was not prepared") }
            try state.create(plan.hostPlaceholders)
            state.adoptShared(destinations: RunSupport.mountDestinations(plan))
            trace("placeholders made")
        } catch {
            if let started = try? network?.wait() { try? waitFor { await started.stop() } }
            if watcher == nil {
                undoEarly()
            } else {
                gate?.abandon()
            }
            throw fail("\(error)")
        }
        guard let placeholders, let watcher, let network else { throw fail("the run's state was not prepared") }
        return .launch(RunLaunch(
            plan: plan, bwrap: bwrap!, environment: environment, sandboxEnvironment: plan.environment.variables(from: request.environment),
            runtimeDirectory: runtimeDirectory, policy: loaded, policyPath: policyPath,
            network: network, placeholdersState: placeholders.stateFile, watcher: watcher, gate: gate, policyHash: policyHash,
            sandboxEnded: sandboxEnded))
    }
}

/// Runs an asynchronous step to its end from a synchronous command: the body runs on the
/// concurrency pool while this thread waits, so nothing it needs is blocked.
func waitFor<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    try Pending(body).wait()
}

/// A step's result, handed over once by the step and waited for by any number of calls: what
/// `Pending` and `OnOwnThread` share. The semaphore orders the step's write before every read.
class Eventual<T: Sendable>: @unchecked Sendable {
    private var outcome: Result<T, any Error>?
    private let done = DispatchSemaphore(value: 0)

    /// Called once, by the step, when it has ended.
    fileprivate func finish(_ result: Result<T, any Error>) {
        outcome = result
        done.signal()
    }

    /// Blocks until the step has ended; its result (every call).
    func wait() throws -> T {
        done.wait()
        done.signal()
        return try outcome!.get()
    }
}

/// An asynchronous step begun now and waited for later: its body runs on the concurrency pool
/// while this thread goes on.
final class Pending<T: Sendable>: Eventual<T>, @unchecked Sendable {
    init(_ body: @escaping @Sendable () async throws -> T) {
        super.init()
        Task { [self] in
            do { finish(.success(try await body())) } catch { finish(.failure(error)) }
        }
    }
}

/// A synchronous step begun now on a thread of its own and waited for later. For `warden run`'s
/// kernel probe and plan: a Task waited for its first pool thread about 0.7 ms at the start of
/// a run, longer than the probe itself.
final class OnOwnThread<T: Sendable>: Eventual<T>, @unchecked Sendable {
    init(_ body: @escaping @Sendable () throws -> T) {
        super.init()
        let job = ThreadJob { [self] in finish(Result(catching: body)) }
        if !job.start() { job.work() }  // no thread to be had: the step runs here, now
    }
}

/// A value handed from one thread to another once (`give`), or never (`close`): `take` waits for
/// either and returns the value, or nil.
final class Handoff<T: Sendable>: @unchecked Sendable {
    private var value: T?
    private let lock = NIOLock()
    private let ready = DispatchSemaphore(value: 0)

    func give(_ value: T) {
        lock.withLock { self.value = value }
        ready.signal()
    }

    func close() { ready.signal() }

    func take() -> T? {
        ready.wait()
        return lock.withLock { value }
    }
}

/// A closure run once on a new detached thread (pthread: a C entry point cannot capture a
/// generic type's parameters, so `OnOwnThread` hands it this non-generic job).
private final class ThreadJob: @unchecked Sendable {
    let work: () -> Void

    init(_ work: @escaping () -> Void) { self.work = work }

    /// Whether the thread was started; when it was not, nothing ran.
    func start() -> Bool {
        var thread = pthread_t()
        let retained = Unmanaged.passRetained(self)
        let status = pthread_create(&thread, nil, { context in
            let job = Unmanaged<ThreadJob>.fromOpaque(context!).takeRetainedValue()
            job.work()
            return nil
        }, retained.toOpaque())
        guard status == 0 else {
            retained.release()
            return false
        }
        pthread_detach(thread)
        return true
    }
}

/// A sandbox ready to start: what `warden run` holds while its proxies start and stop.
final class RunLaunch {
    let plan: SandboxPlan
    let bwrap: String
    let environment: [String: String]
    let sandboxEnvironment: [(name: String, value: String)]
    let runtimeDirectory: String
    let policy: Policy
    let policyPath: String
    /// The proxies (and the origin relay), starting.
    let network: Pending<RunNetwork>
    let placeholdersState: String
    let watcher: Int32
    /// The launch gate, which becomes bwrap (inside the session's cgroup when it has one).
    let gate: LaunchGate?
    /// Of the policy file's bytes the plan was made from, for the session's records.
    let policyHash: String?
    /// The write end of the watcher's second pipe, handed to bwrap (`--sync-fd`).
    let sandboxEnded: Int32?
    private var cleanedUp = false

    init(
        plan: SandboxPlan, bwrap: String, environment: [String: String], sandboxEnvironment: [(name: String, value: String)],
        runtimeDirectory: String, policy: Policy, policyPath: String, network: Pending<RunNetwork>, placeholdersState: String, watcher: Int32,
        gate: LaunchGate?, policyHash: String?, sandboxEnded: Int32?
    ) {
        self.plan = plan
        self.bwrap = bwrap
        self.environment = environment
        self.sandboxEnvironment = sandboxEnvironment
        self.runtimeDirectory = runtimeDirectory
        self.policy = policy
        self.policyPath = policyPath
        self.network = network
        self.placeholdersState = placeholdersState
        self.watcher = watcher
        self.gate = gate
        self.policyHash = policyHash
        self.sandboxEnded = sandboxEnded
    }

    /// bwrap started and held (`BubblewrapProcess.start`), with the unix socket supervisor's
    /// channel when the plan asks for one.
    func startSandbox() throws(LaunchError) -> StartedSandbox {
        let supervisorChannel = try RunSupervisor.start(plan: plan, policy: policy, policyHash: policyHash)
        if supervisorChannel != nil { StartTrace.mark("warden", "supervisor started") }
        return try BubblewrapProcess.start(
            bwrap: bwrap, plan: plan, environment: sandboxEnvironment, runtimeDirectory: runtimeDirectory,
            gate: gate, supervisorChannel: supervisorChannel, sandboxEnded: sandboxEnded)
    }

    /// The sandbox let go and run to its end, after the session's start record; the session's
    /// end record is the caller's to write.
    func execute(_ sandbox: StartedSandbox, started: ((pid_t) -> Void)? = nil) -> (status: Int32, session: RunSession) {
        let session = RunSession(policy: policy, policyHash: policyHash, plan: plan)
        session.started()
        StartTrace.mark("warden", "session start logged")
        return (sandbox.run(started: started), session)
    }

    /// A sandbox that could not be run at all: its start and end records (status 126).
    func logFailedStart() {
        let session = RunSession(policy: policy, policyHash: policyHash, plan: plan)
        session.started()
        session.ended(status: nil)
    }

    /// The placeholders go, and the watcher, whose end tells it nothing more is to be cleaned.
    /// The cgroup is the watcher's to remove: `warden run` returns without waiting for the kernel
    /// to let it go (it was 10–20 ms of `EBUSY` at the end of every session) or for its lock.
    func cleanUp() {
        guard !cleanedUp else { return }
        cleanedUp = true
        gate?.abandon()
        LaunchPlaceholders.sweep(stateFile: placeholdersState, cgroups: .leave)
        close(watcher)
        StartTrace.mark("warden", "placeholders swept")
    }
}

enum RunSupport {
    // The two below are out of `prepare`, which is compiled unoptimised (see `run`): there each
    // generic call met its types at run time, and these maps searched the binary's protocol
    // conformances for 0.18 ms of every start.

    /// The environment as the plan takes it: (name, value) pairs sorted by name.
    static func sortedEnvironment(_ environment: [String: String]) -> [(name: String, value: String)] {
        environment.map { (name: $0.key, value: $0.value) }.sorted { $0.name < $1.name }
    }

    static func mountDestinations(_ plan: SandboxPlan) -> [String] {
        plan.mounts.map(\.destination)
    }

    static func which(_ name: String, path: String?) -> String? {
        for directory in (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/\(name)"
            if HostPaths.isDirectory(candidate) == false, access(candidate, X_OK) == 0
            {
                return candidate
            }
        }
        return nil
    }

    /// The first `claude` on PATH that is not Warden's: not a link to the `warden` binary, not the
    /// shim of hooks/claude.sh (it carries the marker `WARDEN_CLAUDE_SHIM`).
    static func realClaude(path: String?, wardenPath: String) -> String? {
        for directory in (path ?? "").split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/claude"
            guard access(candidate, X_OK) == 0 else { continue }
            let resolved = HostPaths.resolvingSymlinks(candidate)
            if resolved == wardenPath { continue }
            if let head = HostPaths.head(resolved, limit: 4096), String(decoding: head, as: UTF8.self).contains("WARDEN_CLAUDE_SHIM") {
                continue
            }
            return candidate
        }
        return nil
    }

    /// profiles/NAME.json next to the binaries, in ../share/warden/profiles, or in the source tree
    /// above a `.build` directory the binaries were built in.
    static func profilePath(_ name: String, wardenDirectory: String) -> String? {
        guard !name.contains("/"), !name.isEmpty else { return nil }
        var candidates = [
            "\(wardenDirectory)/profiles/\(name).json",
            "\(wardenDirectory)/../share/warden/profiles/\(name).json",
        ]
        var directory = wardenDirectory
        while directory != "/" && !directory.isEmpty {
            if Paths.lastComponent(directory) == ".build" {
                candidates.append("\(HostPaths.parent(directory))/profiles/\(name).json")
                break
            }
            directory = HostPaths.parent(directory)
        }
        return candidates.first { FileManager.default.fileExists(atPath: $0) }.map(Paths.normalize)
    }

    /// `warden-sandbox-init` beside `warden`, when it is there and executable. (Asking it for
    /// `--help` through Foundation's Process cost 50 ms a start: its wait polls in 50 ms steps.)
    static func initPath(wardenDirectory: String) -> String? {
        let path = "\(wardenDirectory)/warden-sandbox-init"
        return access(path, X_OK) == 0 ? path : nil
    }

    static func defaultLogDirectory(_ environment: [String: String]) -> String? {
        if let state = environment["XDG_STATE_HOME"], state.hasPrefix("/") { return state + "/warden" }
        if let home = environment["HOME"], home.hasPrefix("/") { return home + "/.local/state/warden" }
        return nil
    }

    static func ensureClaudeState(home: String) {
        mkdir("\(home)/.claude", 0o700)
        let state = "\(home)/.claude.json"
        if !FileManager.default.fileExists(atPath: state) {
            _ = FileManager.default.createFile(atPath: state, contents: Data("{}\n".utf8), attributes: [.posixPermissions: 0o600])
        }
    }

    // The run directory's files, read-only inside at /tmp/.warden: the empty files masks bind,
    // init's spec, and the hash of the policy the walls are built from, which the hooks inside
    // compare with the policy they judge by (`warden.sandbox.required`).

    /// The empty files bwrap binds over masked paths: they must exist before bwrap starts.
    static func writeMaskFiles(_ directory: String) throws(LaunchError) {
        try writeFiles(directory, [("empty", ""), ("empty.json", "{}\n"), ("empty-mcp.json", "{\"mcpServers\": {}}\n")])
    }

    /// init's spec and the policy's hash: read only inside, through the run directory's mount,
    /// once the sandbox is let go, so they are written while bwrap makes its mounts.
    static func writeInnerFiles(_ directory: String, spec: String?, policyHash: String) throws(LaunchError) {
        var files = [(ChannelProtocol.policyFileName, policyHash + "\n")]
        if let spec { files.append(("spec.json", spec)) }
        try writeFiles(directory, files)
    }

    private static func writeFiles(_ directory: String, _ files: [(String, String)]) throws(LaunchError) {
        for (name, contents) in files {
            let path = "\(directory)/\(name)"
            guard writeNewFile(path, contents) else { throw LaunchError("cannot write \(path): \(String(cString: strerror(errno)))") }
        }
    }

    /// A new read-only file in the run directory (private to this run, made just now): written
    /// in place. FileManager's atomic write (a temporary file, then a rename) cost about a
    /// millisecond a file for nothing here.
    static func writeNewFile(_ path: String, _ contents: String) -> Bool {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o444)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return Files.writeAll(fd, contents)
    }

    /// Only when the policy says sandbox.failIfUnavailable: false.
    static func execUnsandboxed(_ command: [String]) -> Int32 {
        var arguments: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
        execv(command[0], &arguments)
        Files.writeAll(2, "warden: cannot run \(command[0]): \(String(cString: strerror(errno)))\n")
        return 127
    }
}

/// A pipe whose ends are both close-on-exec.
func closeOnExecPipePair() throws(LaunchError) -> (read: Int32, write: Int32) {
    var fds: [Int32] = [0, 0]
    guard pipe(&fds) == 0 else { throw LaunchError("pipe: \(String(cString: strerror(errno)))") }
    for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    return (fds[0], fds[1])
}
