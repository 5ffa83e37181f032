import WardenPolicy
import WardenNetwork

/// (policy, home, project, environment, kernel features, disk) → `SandboxPlan`. No I/O but
/// through the `SandboxFileSystem` it is given.
public enum SandboxPlanner {
    public static func plan(_ request: SandboxRequest, fileSystem: any SandboxFileSystem) -> SandboxPlan {
        let seen: any SandboxFileSystem = request.otherSessionsPlaceholders.isEmpty
            ? fileSystem : WithoutPaths(fileSystem, hiding: request.otherSessionsPlaceholders)
        var builder = PlanBuilder(request: request, fileSystem: ListingMemo(seen))
        return builder.build()
    }

    /// Builds, once per process, the secret detectors' tables that the plan's environment filter
    /// needs (0.2 ms): a thread that has time before its request arrives calls this first.
    public static func prepareTables() {
        _ = EnvironmentFilter.secretDetector.scan("WARDEN_TABLES=password: sk-ant-api03-x ghp_x AKIA0000")
    }

    /// The namespaces and process options, always the same: a new user, pid, ipc, uts, cgroup and
    /// network namespace, no capabilities (also for root), a new session (no `TIOCSTI` into the
    /// developer's terminal), the sandbox dies with `warden`.
    static func processOptions(uid: UInt32, gid: UInt32) -> [String] {
        [
            "--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try", "--unshare-net",
            "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--uid", String(uid), "--gid", String(gid),
        ]
    }
}

/// Lexical path helpers (no disk).
enum SandboxPaths {
    static func normalize(_ path: String) -> String {
        // Nearly every path the plan meets is normal already; the check is a pass over its bytes,
        // where splitting and joining each one was a fifth of the plan's time.
        if isNormal(path) { return path }
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..": if !parts.isEmpty { parts.removeLast() }
            default: parts.append(part)
            }
        }
        guard !parts.isEmpty else { return "/" }
        var result = ""
        for part in parts {
            result += "/"
            result += String(part)
        }
        return result
    }

    /// Absolute, without empty, `.` or `..` names and without a trailing slash (`/` itself is).
    static func isNormal(_ path: String) -> Bool {
        var bytes = path.utf8.makeIterator()
        guard bytes.next() == UInt8(ascii: "/") else { return false }
        // The name being read: its length, and whether it is dots only so far.
        var length = 0
        var dotsOnly = true
        var sawName = false
        while let byte = bytes.next() {
            if byte == UInt8(ascii: "/") {
                if length == 0 || (dotsOnly && length <= 2) { return false }
                length = 0
                dotsOnly = true
            } else {
                length += 1
                sawName = true
                if byte != UInt8(ascii: ".") { dotsOnly = false }
            }
        }
        return !sawName || !(length == 0 || (dotsOnly && length <= 2))
    }

    static func join(_ directory: String, _ name: String) -> String {
        directory == "/" ? "/" + name : directory + "/" + name
    }

    static func parent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return "/" }
        return String(path[..<slash])
    }

    /// Whether `path` is `root` or below it.
    static func isInside(_ path: String, _ root: String) -> Bool {
        root == "/" || path == root || path.hasPrefix(root + "/")
    }

    /// How many names the path has (`/` 0, `/a/b` 2): the plan sorts by it, so it counts the
    /// starts of names in the bytes rather than splitting the path at each comparison.
    static func depth(_ path: String) -> Int {
        var count = 0
        var afterSlash = true
        for byte in path.utf8 {
            if byte == UInt8(ascii: "/") {
                afterSlash = true
            } else if afterSlash {
                count += 1
                afterSlash = false
            }
        }
        return count
    }
}

private struct PlanBuilder {
    let request: SandboxRequest
    let fileSystem: any SandboxFileSystem
    var notes: [String] = []

    init(request: SandboxRequest, fileSystem: any SandboxFileSystem) {
        self.request = request
        self.fileSystem = fileSystem
    }

    /// The real path of `path`: symlinks resolved where it exists; where it does not, its
    /// nearest existing ancestor is resolved and the rest appended.
    func real(_ path: String) -> String {
        let normal = SandboxPaths.normalize(path)
        if let resolved = fileSystem.resolvedPath(normal) { return resolved }
        var missing: [String] = []
        var current = normal
        while current != "/" {
            missing.insert(String(current.split(separator: "/").last!), at: 0)
            current = SandboxPaths.parent(current)
            if let resolved = fileSystem.resolvedPath(current) {
                return missing.reduce(resolved) { SandboxPaths.join($0, $1) }
            }
        }
        return normal
    }

    func exists(_ path: String) -> PathKind? {
        guard let kind = fileSystem.kind(of: path) else { return nil }
        if kind == .symlink, let target = fileSystem.resolvedPath(path) { return fileSystem.kind(of: target) }
        return kind
    }

    mutating func build() -> SandboxPlan {
        let home = real(request.home)
        let project = projectLayout()
        let settings = request.policy.sandbox
        let runtime = request.runtimeDirectory

        // 1. Writable roots.
        var writable: [(path: String, reason: String)] = [(project.root, "the project (\(project.gitDirectory == nil ? "working directory" : "git top level"))")]
        if let gitDirectory = project.gitDirectory, !SandboxPaths.isInside(gitDirectory, project.root) {
            writable.append((gitDirectory, "the project's gitdir (a .git file points there)"))
        }
        if let common = project.commonGitDirectory, !writable.contains(where: { SandboxPaths.isInside(common, $0.path) }) {
            writable.append((common, "the project's common gitdir (worktree)"))
        }
        writable.append((SandboxPaths.join(home, ".claude"), "Claude Code's state (~/.claude)"))
        writable.append((SandboxPaths.join(home, ".claude.json"), "Claude Code's state (~/.claude.json)"))
        let context = (home: home, cwd: request.workingDirectory, settings: request.policy.settingsDirectory)
        for pattern in settings.allowWrite {
            let paths = expand(pattern, context: context, strict: false)
            if paths.isEmpty { notes.append("sandbox.filesystem.allowWrite \(quoted(pattern.text)) matches nothing on disk") }
            for path in paths {
                writable.append((path, "sandbox.filesystem.allowWrite \(quoted(pattern.text))"))
            }
        }
        writable = deduplicated(writable)

        // 2. Masks: Read deny rules and denyRead.
        var masked: [(path: String, reason: String)] = []
        for rule in request.policy.filePathRules where rule.list == .deny && rule.access == .read {
            for path in expand(rule.pattern, context: context, strict: true) {
                masked.append((path, "deny rule Read(\(rule.pattern.text))"))
            }
        }
        for pattern in settings.denyRead {
            for path in expand(pattern, context: context, strict: true) {
                masked.append((path, "sandbox.filesystem.denyRead \(quoted(pattern.text))"))
            }
        }
        if let books = request.pseudonymDirectory {
            masked.append((real(books), "Warden's pseudonym books: their per-session keys stay on the host, names come through the channel"))
        }
        masked = deduplicated(masked).filter { exists($0.path) != nil }

        // 3. Re-opened inside a masked tree: allowRead.
        var reopened: [(path: String, reason: String)] = []
        for pattern in settings.allowRead {
            for path in expand(pattern, context: context, strict: false)
            where exists(path) != nil && masked.contains(where: { SandboxPaths.isInside(path, $0.path) }) {
                reopened.append((path, "sandbox.filesystem.allowRead \(quoted(pattern.text))"))
            }
        }
        reopened = deduplicated(reopened)

        // 4. Read-only: Edit deny rules, denyWrite, and the always-protected paths.
        var readOnly: [(path: String, reason: String, mandatory: PathKind?)] = []
        for rule in request.policy.filePathRules where rule.list == .deny && rule.access == .edit {
            for path in expand(rule.pattern, context: context, strict: true) {
                readOnly.append((path, "deny rule Edit(\(rule.pattern.text))", nil))
            }
        }
        for pattern in settings.denyWrite {
            for path in expand(pattern, context: context, strict: true) {
                readOnly.append((path, "sandbox.filesystem.denyWrite \(quoted(pattern.text))", nil))
            }
        }
        for item in alwaysProtected(home: home, project: project) {
            readOnly.append((item.path, "always protected: \(item.reason)", item.kind))
        }

        var mounts: [SandboxMount] = [
            SandboxMount(.readOnlyBind, source: "/", "/", reason: "the system, read-only"),
            SandboxMount(.devices, "/dev", reason: "a minimal /dev"),
            SandboxMount(.processes, "/proc", reason: "the sandbox's own processes only"),
            SandboxMount(.tmpfs, "/tmp", reason: "a private /tmp"),
            SandboxMount(.readOnlyBind, source: runtime, SandboxPlan.runtimeMountPoint, reason: "the run's directory: proxy sockets, Warden's channel socket and port file, inner spec"),
        ]
        // init starts from Warden's directory, and the hooks and `warden connect` run from it: one
        // under the host's /tmp (a build in a scratch clone) would be hidden by the private /tmp.
        let wardenDirectory = real(request.wardenDirectory)
        if SandboxPaths.isInside(wardenDirectory, "/tmp") {
            mounts.append(SandboxMount(.readOnlyBind, source: wardenDirectory, wardenDirectory, reason: "Warden's binaries, under the host's /tmp"))
        }
        // The hooks inside read the policy in use: one under the host's /tmp (`--policy
        // /tmp/x.json`, a profile of a checkout there) would be hidden too, and every tool call
        // then denied because the policy cannot be read. A project there is bound as it is.
        if let policyPath = request.policyPath.map(real), SandboxPaths.isInside(policyPath, "/tmp"),
            !SandboxPaths.isInside(policyPath, wardenDirectory), !writable.contains(where: { SandboxPaths.isInside(policyPath, $0.path) })
        {
            mounts.append(SandboxMount(.readOnlyBind, source: policyPath, policyPath, reason: "the policy in use, under the host's /tmp"))
        }
        var placeholders: [HostPlaceholder] = []
        for root in writable.sorted(by: { SandboxPaths.depth($0.path) < SandboxPaths.depth($1.path) }) {
            guard exists(root.path) != nil else {
                notes.append("writable \(root.path) does not exist; not bound (\(root.reason))")
                continue
            }
            mounts.append(SandboxMount(.writableBind, source: root.path, root.path, reason: root.reason))
        }
        let writableRoots = mounts.filter { $0.kind == .writableBind }.map(\.destination)
        let claudeState = claudeStateRelocation(home: home)
        if let claudeState {
            mounts.append(SandboxMount(.writableBind, source: claudeState.source, claudeState.destination, reason: claudeState.reason))
            if exists(claudeState.destination) == nil {
                placeholders.append(HostPlaceholder(path: claudeState.destination, kind: .file, reason: "the mount point of ~/.claude.json in ~/.claude"))
            }
        }
        let pinIndex = mounts.count
        var protectedMounted: [String] = []
        // A masked directory with paths re-opened inside stays writable until their binds have
        // made their mount points in it, and is made read-only after them.
        var remountedAfterReopening: [SandboxMount] = []
        for mask in masked.sorted(by: { SandboxPaths.depth($0.path) < SandboxPaths.depth($1.path) }) {
            if exists(mask.path) == .directory {
                if reopened.contains(where: { SandboxPaths.isInside($0.path, mask.path) && $0.path != mask.path }) {
                    mounts.append(SandboxMount(.tmpfs, mask.path, reason: mask.reason + " (empty; read-only once the paths re-opened inside are bound)"))
                    remountedAfterReopening.append(SandboxMount(.remountReadOnly, mask.path, reason: mask.reason))
                } else {
                    mounts.append(SandboxMount(.maskDirectory, mask.path, reason: mask.reason))
                }
            } else {
                mounts.append(SandboxMount(.maskFile, source: SandboxPaths.join(runtime, "empty"), mask.path, reason: mask.reason))
            }
        }
        for open in reopened.sorted(by: { SandboxPaths.depth($0.path) < SandboxPaths.depth($1.path) }) {
            let inWritable = writableRoots.contains { SandboxPaths.isInside(open.path, $0) }
            mounts.append(SandboxMount(inWritable ? .writableBind : .readOnlyBind, source: open.path, open.path, reason: open.reason))
        }
        mounts += remountedAfterReopening
        var protectedWithoutMount: [ProtectedPath] = []
        var seenReadOnly: Set<String> = []
        for item in readOnly.sorted(by: { SandboxPaths.depth($0.path) < SandboxPaths.depth($1.path) }) {
            guard seenReadOnly.insert(item.path).inserted else { continue }
            let maskedBy = masked.last { SandboxPaths.isInside(item.path, $0.path) }
            let reopenedBy = reopened.last { SandboxPaths.isInside(item.path, $0.path) }
            if let maskedBy, reopenedBy.map({ SandboxPaths.depth($0.path) < SandboxPaths.depth(maskedBy.path) }) ?? true {
                protectedWithoutMount.append(ProtectedPath(path: item.path, reason: item.reason, by: "masked (\(maskedBy.reason))"))
                continue
            }
            let inWritable = writableRoots.contains { SandboxPaths.isInside(item.path, $0) }
                || reopened.contains { SandboxPaths.isInside(item.path, $0.path) }
            guard inWritable else {
                protectedWithoutMount.append(ProtectedPath(path: item.path, reason: item.reason, by: "read-only through /"))
                continue
            }
            if exists(item.path) != nil {
                mounts.append(SandboxMount(.readOnlyBind, source: item.path, item.path, reason: item.reason))
                protectedMounted.append(item.path)
            } else if let kind = item.mandatory {
                // A protected path that does not exist yet: bound over a placeholder the launcher
                // creates on the host and removes afterwards, so that nothing can create it inside.
                guard exists(SandboxPaths.parent(item.path)) == .directory else {
                    protectedWithoutMount.append(ProtectedPath(path: item.path, reason: item.reason, by: "its directory does not exist and cannot be created: \(SandboxPaths.parent(item.path)) is covered by an earlier placeholder"))
                    continue
                }
                placeholders.append(HostPlaceholder(path: item.path, kind: kind, reason: item.reason))
                protectedMounted.append(item.path)
                if kind == .directory {
                    mounts.append(SandboxMount(.maskDirectory, item.path, reason: item.reason + " (absent: an empty read-only directory)"))
                } else {
                    // Claude Code reads an absent .mcp.json's placeholder and reports `{}` as an
                    // MCP configuration error: it gets an empty but valid one.
                    let empty = item.path.hasSuffix("/.mcp.json") ? "empty-mcp.json" : item.path.hasSuffix(".json") ? "empty.json" : "empty"
                    mounts.append(SandboxMount(.maskFile, source: SandboxPaths.join(runtime, empty), item.path, reason: item.reason + " (absent: an empty read-only file)"))
                }
            }
        }

        // A directory above a protected mount could be renamed away with the mount inside it and
        // a new one made in its place (`mv .git .git-old; mkdir -p .git/hooks`), which the host
        // would then use. Each such directory up to its writable root is bound over itself: a
        // mount point cannot be renamed or removed (EBUSY). These binds come before the masks
        // and protections below them, which a later bind would hide.
        var pins: [String] = []
        var pinned: Set<String> = []
        for path in protectedMounted {
            let roots = (writableRoots + reopened.map(\.path)).filter { SandboxPaths.isInside(path, $0) && path != $0 }
            guard let root = roots.max(by: { SandboxPaths.depth($0) < SandboxPaths.depth($1) }) else { continue }
            var ancestor = SandboxPaths.parent(path)
            while ancestor != root && SandboxPaths.isInside(ancestor, root) {
                let masked = masked.contains { SandboxPaths.isInside(ancestor, $0.path) }
                if !masked, pinned.insert(ancestor).inserted { pins.append(ancestor) }
                ancestor = SandboxPaths.parent(ancestor)
            }
        }
        let pinMounts = pins.sorted { SandboxPaths.depth($0) < SandboxPaths.depth($1) }.map {
            SandboxMount(.writableBind, source: $0, $0, reason: "pinned: holds protected paths, so it cannot be renamed or replaced")
        }
        mounts.insert(contentsOf: pinMounts, at: pinIndex)

        let network = networkBridge()
        let unixSockets = UnixSocketPlan(
            allowUnixSocketPaths: request.policy.network.allowUnixSockets,
            allowAllUnixSockets: request.policy.network.allowAllUnixSockets)
        let seccomp = SeccompProfile.agent(
            allowUnixSocketPaths: request.policy.network.allowUnixSockets,
            allowAllUnixSockets: request.policy.network.allowAllUnixSockets)
        let environment = environmentPlan(network: network, unixSockets: unixSockets, claudeConfigDirectory: claudeState.map { SandboxPaths.parent($0.destination) })
        let limits = limitsPlan()
        var command = request.command
        if request.commandIsClaude, settings.enabled == true {
            // Claude Code's own sandbox would start bwrap inside Warden's, which seccomp forbids
            // (no new namespaces): it is turned off for this session, Warden's holds every command.
            command.insert(contentsOf: ["--settings", #"{"sandbox":{"enabled":false}}"#], at: 1)
            notes.append("sandbox.enabled is true: Claude Code's own sandbox is turned off inside Warden's (--settings), since Warden's sandbox already holds every command")
        }
        if request.kernel.landlockABI == 0 {
            notes.append("Landlock is not available on this kernel: the mounts are the only file system wall")
        }
        if !network.proxyAvailable {
            notes.append("no egress proxy serves this sandbox: it has no network but loopback (fail closed)")
        }
        if let port = network.originPort {
            notes.append("ANTHROPIC_BASE_URL is on the host's loopback: 127.0.0.1:\(port) inside is relayed to it")
        }

        let innerSpec = SandboxInnerSpec(
            forwarders: network.proxyAvailable
                ? [.init(port: network.httpPort, socketPath: network.httpSocketInside), .init(port: network.socksPort, socketPath: network.socksSocketInside)]
                    + (network.originPort.map { [.init(port: $0, socketPath: network.originSocketInside)] } ?? [])
                    + (network.channelPort.map { [.init(port: $0, socketPath: network.channelSocketInside)] } ?? [])
                : network.channelPort.map { [.init(port: $0, socketPath: network.channelSocketInside)] } ?? [],
            limits: SandboxLimits(processes: limits.processes, memoryBytes: limits.memoryMegabytes * 1024 * 1024, openFiles: limits.openFiles),
            landlock: request.kernel.landlockABI > 0
                ? LandlockProfile.forSandbox(abi: request.kernel.landlockABI, readable: ["/"], writable: writableRoots + ["/tmp"])
                : nil,
            seccomp: seccomp,
            // bwrap's --new-session already made one.
            newSession: false, workingDirectory: real(request.workingDirectory), command: command,
            supervisorDescriptor: seccomp.needsSupervisor ? UnixSocketPlan.supervisorDescriptor : nil)

        let processOptions = SandboxPlanner.processOptions(uid: request.uid, gid: request.gid)
        var arguments = processOptions
        for mount in mounts { arguments += mount.bwrapArguments }
        // The environment is bwrap's own (the launcher spawns it with `environment.variables`),
        // never `--setenv`: the argument list is printed by --dry-run, values must not be.
        arguments += ["--chdir", real(request.workingDirectory)]
        arguments.append("--")
        if let initPath = request.initPath {
            // init takes the command from the spec, after forwarders, limits, Landlock, seccomp.
            arguments += [initPath, "--spec", SandboxPaths.join(SandboxPlan.runtimeMountPoint, "spec.json")]
        } else {
            // Without init, util-linux's prlimit sets the rlimits right before the command.
            arguments += [
                "prlimit", "--nproc=\(limits.processes)", "--data=\(limits.memoryMegabytes * 1024 * 1024)",
                "--nofile=\(limits.openFiles)", "--",
            ]
            notes.append("warden-sandbox-init is not installed: the command runs directly under bwrap, its rlimits set by prlimit(1), without seccomp or Landlock")
            arguments += command
        }

        return SandboxPlan(
            command: command, project: project, processOptions: processOptions, mounts: mounts,
            protectedWithoutMount: protectedWithoutMount, hostPlaceholders: placeholders, writableRoots: writableRoots,
            maskedPaths: masked.map(\.path), environment: environment, limits: limits, network: network, unixSockets: unixSockets,
            landlockABI: request.kernel.landlockABI, innerSpec: innerSpec, bwrapArguments: arguments, notes: notes)
    }

    func quoted(_ text: String) -> String { "\"" + text + "\"" }

    func deduplicated(_ items: [(path: String, reason: String)]) -> [(path: String, reason: String)] {
        var seen: Set<String> = []
        return items.filter { seen.insert($0.path).inserted }
    }

    // MARK: The project

    func projectLayout() -> ProjectLayout {
        let start = real(request.workingDirectory)
        var directory = start
        while true {
            let dotGit = SandboxPaths.join(directory, ".git")
            switch fileSystem.kind(of: dotGit) {
            case .directory:
                let common = commonDirectory(of: dotGit)
                return ProjectLayout(root: directory, gitDirectory: dotGit, commonGitDirectory: common)
            case .file:
                // A worktree or submodule: `gitdir: PATH`, relative to the directory.
                if let text = fileSystem.contents(of: dotGit), let line = text.split(separator: "\n").first, line.hasPrefix("gitdir:") {
                    let target = line.dropFirst("gitdir:".count).trimmingCharacters()
                    let absolute = target.hasPrefix("/") ? target : SandboxPaths.join(directory, target)
                    let gitDirectory = real(absolute)
                    return ProjectLayout(root: directory, gitDirectory: gitDirectory, commonGitDirectory: commonDirectory(of: gitDirectory))
                }
                return ProjectLayout(root: directory, gitDirectory: nil, commonGitDirectory: nil)
            default:
                break
            }
            if directory == "/" { return ProjectLayout(root: start, gitDirectory: nil, commonGitDirectory: nil) }
            directory = SandboxPaths.parent(directory)
        }
    }

    func commonDirectory(of gitDirectory: String) -> String {
        guard let text = fileSystem.contents(of: SandboxPaths.join(gitDirectory, "commondir")) else { return gitDirectory }
        let target = text.trimmingCharacters()
        return real(target.hasPrefix("/") ? target : SandboxPaths.join(gitDirectory, target))
    }

    // MARK: Always protected

    func alwaysProtected(home: String, project: ProjectLayout) -> [(path: String, reason: String, kind: PathKind)] {
        var result: [(String, String, PathKind)] = []
        let root = project.root
        if let common = project.commonGitDirectory {
            result.append((SandboxPaths.join(common, "hooks"), "git hooks run on the host", .directory))
            result.append((SandboxPaths.join(common, "config"), "git config (core.hooksPath, aliases, filters run on the host)", .file))
            // `core.hooksPath` (husky's `.husky`, a `githooks/` directory) names hooks that run on
            // the host just as `.git/hooks` does.
            for gitConfig in [SandboxPaths.join(common, "config"), SandboxPaths.join(home, ".gitconfig")] {
                if let hooksPath = Self.hooksPath(in: fileSystem.contents(of: gitConfig) ?? "") {
                    let absolute = hooksPath.hasPrefix("~/") ? SandboxPaths.join(home, String(hooksPath.dropFirst(2)))
                        : hooksPath.hasPrefix("/") ? hooksPath : SandboxPaths.join(root, hooksPath)
                    result.append((SandboxPaths.normalize(absolute), "core.hooksPath in \(gitConfig): hooks that run on the host", .directory))
                }
            }
            if let gitDirectory = project.gitDirectory, gitDirectory != common {
                result.append((SandboxPaths.join(gitDirectory, "config.worktree"), "the worktree's git config", .file))
            }
        } else {
            // No repository: a `git init` inside would create hooks that run on the host later.
            result.append((SandboxPaths.join(root, ".git"), "no repository yet: a .git made inside would carry hooks to the host", .directory))
        }
        result.append((SandboxPaths.join(root, ".gitmodules"), "submodule URLs and update commands", .file))
        result.append((SandboxPaths.join(root, ".mcp.json"), "MCP servers Claude Code starts", .file))
        result.append((SandboxPaths.join(root, ".claude"), "the project's Claude Code settings, commands, agents and hooks", .directory))
        result.append((SandboxPaths.join(root, ".vscode"), "editor tasks and settings that run code", .directory))
        result.append((SandboxPaths.join(root, ".idea"), "editor run configurations", .directory))
        // Where shells read them: the home directory (where a link there leads, e.g. into a
        // dotfiles repository, is protected through `real` below) and zsh's $ZDOTDIR. The project
        // is never the home or above it (ProjectRefusal); a `.bashrc` in it is read by no shell,
        // and masking one would cost a placeholder and a mount at every start.
        for name in [".bashrc", ".bash_profile", ".zshrc", ".zprofile", ".profile"] {
            result.append((SandboxPaths.join(home, name), "shell start-up file", .file))
        }
        if let zdotdir = request.environment.last(where: { $0.name == "ZDOTDIR" })?.value, zdotdir.hasPrefix("/") {
            let directory = SandboxPaths.normalize(zdotdir)
            if directory != home {
                for name in [".zshrc", ".zprofile"] {
                    result.append((SandboxPaths.join(directory, name), "shell start-up file ($ZDOTDIR)", .file))
                }
            }
        }
        result.append((SandboxPaths.join(home, ".gitconfig"), "the developer's git config", .file))
        let claude = SandboxPaths.join(home, ".claude")
        result.append((SandboxPaths.join(claude, "commands"), "Claude Code's user commands", .directory))
        result.append((SandboxPaths.join(claude, "agents"), "Claude Code's user agents", .directory))
        var settingsFiles: Set<String> = ["settings.json", "settings.local.json"]
        for entry in fileSystem.entries(of: claude) ?? [] where entry.name.hasPrefix("settings") && entry.name.hasSuffix(".json") {
            settingsFiles.insert(entry.name)
        }
        for name in settingsFiles.sorted() {
            result.append((SandboxPaths.join(claude, name), "Claude Code's user settings (hooks, permissions)", .file))
        }
        result.append(("/etc/claude-code", "the managed settings", .directory))
        if let policyPath = request.policyPath {
            result.append((real(policyPath), "the policy in use", .file))
        }
        result.append((real(request.wardenDirectory), "Warden's binaries", .directory))
        if let log = request.logDirectory {
            result.append((real(log), "Warden's decision log", .directory))
        }
        // Paths reached through a symbolic link are protected where they lead.
        return result.map { (real($0.0), $0.1, $0.2) }
    }

    /// The value of `core.hooksPath` in a git config text (the last one wins, as in git), nil
    /// when it is not set. A plain reading of git's format: `[core]` section, `hooksPath = X`.
    static func hooksPath(in config: String) -> String? {
        var inCore = false
        var found: String?
        for rawLine in config.split(separator: "\n") {
            let line = rawLine.trimmingCharacters()
            if line.hasPrefix("[") {
                inCore = line.lowercased().hasPrefix("[core]") || line.lowercased() == "[core]"
                continue
            }
            guard inCore, let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingCharacters().lowercased()
            guard key == "hookspath" else { continue }
            var value = line[line.index(after: equals)...].trimmingCharacters()
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            if !value.isEmpty { found = value }
        }
        return found
    }

    // MARK: Globs

    /// The existing paths (and, for literal patterns, the one path) a pattern names, real paths.
    func expand(_ pattern: SandboxPathPattern, context: (home: String, cwd: String, settings: String?), strict: Bool) -> [String] {
        var result: [String] = []
        for text in pattern.absolutePatterns(home: context.home, workingDirectory: context.cwd, settingsDirectory: context.settings, strict: strict) {
            guard let glob = try? PathGlob(absolute: Self.lexicallyNormalized(pattern: text)) else { continue }
            let scanRoots = [GlobScanRoot(path: real(context.cwd)), GlobScanRoot(path: context.home, maxDepth: 3)]
            result += GlobExpansion.expand(glob, fileSystem: fileSystem, scanRoots: scanRoots).map { real($0) }
        }
        var seen: Set<String> = []
        return result.filter { seen.insert($0).inserted }
    }

    /// `.` and `..` segments of a pattern resolved as the kernel would (`a/../b` is `b`), so that
    /// `./src/../.env` names the project's `.env`; a `..` after `**` is kept (it names nothing).
    static func lexicallyNormalized(pattern: String) -> String {
        var parts: [Substring] = []
        for part in pattern.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..":
                if let last = parts.last, last != "**" { parts.removeLast() } else if parts.isEmpty { continue } else { parts.append(part) }
            default: parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }

    // MARK: Environment

    func networkBridge() -> NetworkBridge {
        let runtime = request.runtimeDirectory
        let httpPort = request.httpProxyPort ?? request.policy.network.httpProxyPort ?? 3128
        let socksPort = request.socksProxyPort ?? request.policy.network.socksProxyPort ?? 1080
        // The channel's port: 2997 unless a proxy or the origin relay has it, then the next free.
        var channelPort = 2997
        while [httpPort, socksPort, request.originPort].contains(channelPort) { channelPort += 1 }
        let sockets = NetworkBridge.hostSockets(runtimeDirectory: runtime)
        return NetworkBridge(
            httpSocketOnHost: sockets.http, socksSocketOnHost: sockets.socks,
            httpSocketInside: SandboxPaths.join(SandboxPlan.runtimeMountPoint, "http.sock"),
            socksSocketInside: SandboxPaths.join(SandboxPlan.runtimeMountPoint, "socks.sock"),
            // The sandbox has a network namespace of its own: any port is free there.
            httpPort: httpPort, socksPort: socksPort,
            allowedHosts: request.allowedHosts.isEmpty ? defaultAllowedHosts() : request.allowedHosts,
            proxyAvailable: request.proxyAvailable, originPort: request.originPort,
            originSocketOnHost: sockets.origin,
            originSocketInside: SandboxPaths.join(SandboxPlan.runtimeMountPoint, "origin.sock"),
            channelPort: request.channelAvailable && request.initPath != nil ? channelPort : nil,
            channelSocketOnHost: SandboxPaths.join(runtime, "channel.sock"),
            channelSocketInside: SandboxPaths.join(SandboxPlan.runtimeMountPoint, "channel.sock"))
    }

    /// What the egress policy lets through, each with where it comes from (as
    /// `Policy.egressPolicy` assembles it).
    func defaultAllowedHosts() -> [String] {
        var hosts = request.policy.network.allowedDomains.map { "\($0.text) (sandbox.network.allowedDomains)" }
        hosts += request.policy.webFetchAllowedDomains.map { "\($0) (WebFetch(domain:\($0)))" }
        if let base = request.environment.last(where: { $0.name == "ANTHROPIC_BASE_URL" })?.value, !base.isEmpty {
            hosts.append("\(base) (ANTHROPIC_BASE_URL)")
        } else {
            hosts.append("api.anthropic.com:443 (ANTHROPIC_BASE_URL's default)")
            hosts.append("\(NetworkSettings.oauthTokenOrigin) (\(NetworkSettings.oauthKey))")
        }
        return hosts
    }

    /// Claude Code saves ~/.claude.json through a lock directory and a temporary file beside it,
    /// which the read-only home refuses (EROFS; the CLI logs "continuing without persisting").
    /// With CLAUDE_CONFIG_DIR=~/.claude it keeps that file in ~/.claude instead: the host's
    /// ~/.claude.json is bound there, so the lock and the temporary file land in the writable
    /// ~/.claude, and its write (a rename onto a mount point fails, and the CLI then writes the
    /// file in place) reaches the same ~/.claude.json that sessions outside the sandbox use. Only
    /// for claude itself, and not when CLAUDE_CONFIG_DIR is already set.
    func claudeStateRelocation(home: String) -> (source: String, destination: String, reason: String)? {
        guard request.commandIsClaude, !request.environment.contains(where: { $0.name == "CLAUDE_CONFIG_DIR" }) else { return nil }
        let directory = SandboxPaths.join(home, ".claude"), file = SandboxPaths.join(home, ".claude.json")
        guard exists(directory) == .directory, exists(file) == .file else { return nil }
        return (file, SandboxPaths.join(directory, ".claude.json"),
                "Claude Code's state (~/.claude.json) where CLAUDE_CONFIG_DIR=~/.claude finds it, so that its lock and temporary files are writable")
    }

    func environmentPlan(network: NetworkBridge, unixSockets: UnixSocketPlan, claudeConfigDirectory: String? = nil) -> EnvironmentPlan {
        let keep = Set(request.policy.sandbox.environmentKeep)
        var set: [EnvironmentPlan.Variable] = []
        let http = "http://127.0.0.1:\(network.httpPort)"
        let socks = "socks5h://127.0.0.1:\(network.socksPort)"
        for (name, value) in [("HTTP_PROXY", http), ("HTTPS_PROXY", http), ("ALL_PROXY", socks)] {
            set.append(.init(name: name, value: value, reason: "egress through Warden's proxy"))
            set.append(.init(name: name.lowercased(), value: value, reason: "egress through Warden's proxy"))
        }
        set.append(.init(name: "NO_PROXY", value: "localhost,127.0.0.1,::1", reason: "the sandbox's own loopback"))
        set.append(.init(name: "no_proxy", value: "localhost,127.0.0.1,::1", reason: "the sandbox's own loopback"))
        let warden = SandboxPaths.join(request.wardenDirectory, "warden")
        set.append(.init(
            name: "GIT_SSH_COMMAND", value: "ssh -o ProxyCommand='\(warden) connect --socks 127.0.0.1:\(network.socksPort) %h %p'",
            reason: "git over ssh through the SOCKS port (the `warden connect` relay is left for the proxy integration)"))
        set.append(.init(name: "TMPDIR", value: "/tmp", reason: "the sandbox's private /tmp"))
        if let policyPath = request.policyPath {
            // Hooks registered without --policy then judge by the policy the walls are built from.
            set.append(.init(name: "WARDEN_POLICY", value: real(policyPath), reason: "the hooks inside judge by the policy the sandbox is built from (a hook registered with --policy keeps its own)"))
        }
        if let claudeConfigDirectory {
            set.append(.init(name: "CLAUDE_CONFIG_DIR", value: claudeConfigDirectory, reason: "Claude Code keeps ~/.claude.json (bound) in ~/.claude, where it can write beside it"))
        }
        let replaced = Set(set.map(\.name))

        var kept: [String] = []
        var dropped: [EnvironmentPlan.Dropped] = []
        var seen: Set<String> = []
        for (name, value) in request.environment.reversed() where seen.insert(name).inserted {
            if replaced.contains(name) {
                dropped.append(.init(name: name, reason: "replaced by the sandbox's value"))
            } else if EnvironmentFilter.claudeAuthentication.contains(name) {
                kept.append(name)
            } else if keep.contains(name) {
                kept.append(name)
            } else if name == "SSH_AUTH_SOCK", unixSockets.mode == .supervised, unixSockets.paths.contains(value) {
                // The agent's socket is listed: ssh and git push inside reach it through the supervisor.
                kept.append(name)
            } else if let reason = EnvironmentFilter.secretReason(name: name, value: value) {
                dropped.append(.init(name: name, reason: reason))
            } else {
                kept.append(name)
            }
        }
        return EnvironmentPlan(kept: kept.reversed(), set: set, dropped: dropped.reversed())
    }

    // MARK: Limits

    func limitsPlan() -> LimitsPlan {
        let limits = request.policy.sandbox.limits
        let rlimits = [
            "processes: RLIMIT_NPROC (counts every process of the uid, inside the sandbox's user namespace; never applied to root)",
            "memory: RLIMIT_DATA per process (not RLIMIT_AS: JavaScript runtimes reserve far more address space than they use)",
            "open files: RLIMIT_NOFILE per process",
        ]
        guard let cgroup = SessionCgroup.forSession(
            facts: request.kernel.cgroups, processes: limits.processes, memoryMegabytes: limits.memoryMegabytes,
            runtimeDirectory: request.runtimeDirectory)
        else {
            return LimitsPlan(
                method: .rlimits, cgroup: nil, processes: limits.processes, memoryMegabytes: limits.memoryMegabytes,
                openFiles: limits.openFiles,
                explanation: rlimits + ["no cgroup this user may make holds a process limit here, so the limits are per process (rlimits only)"])
        }
        var explanation = cgroup.settings.map { "\($0.file) = \($0.value)\($0.optional ? " (when the kernel has it)" : "")" }
        explanation.append("bwrap is started from a process that has moved itself into \(cgroup.directories.joined(separator: " and ")) (warden-sandbox-init --gate, while warden run prepares the rest), so every process of the session is born inside and held; removed after the session ends, by warden run's clean-up watcher once the kernel lets it go")
        if !cgroup.limitsMemory { explanation.append("memory: no memory controller this user may use, so RLIMIT_DATA per process only") }
        explanation.append("the rlimits stay as well: " + rlimits.joined(separator: "; "))
        return LimitsPlan(
            method: cgroup.version == .unified ? .cgroup : .legacyCgroup, cgroup: cgroup, processes: limits.processes,
            memoryMegabytes: limits.memoryMegabytes, openFiles: limits.openFiles, explanation: explanation)
    }
}

extension StringProtocol {
    /// By index, not through `reversed()`: the reversed slices are generic types the runtime
    /// first had to look up (most of a millisecond of `warden run`'s plan).
    func trimmingCharacters() -> String {
        // "\r\n" is one Character.
        let isSpace = { (character: Character) in character == " " || character == "\t" || character == "\n" || character == "\r" || character == "\r\n" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}

/// One plan lists a directory once, however many patterns walk through it.
/// A file system without some of its paths (other sessions' placeholders): as if they were absent.
private struct WithoutPaths: SandboxFileSystem {
    let base: any SandboxFileSystem
    let hidden: Set<String>

    init(_ base: any SandboxFileSystem, hiding hidden: Set<String>) {
        self.base = base
        self.hidden = hidden
    }

    func kind(of path: String) -> PathKind? { hidden.contains(path) ? nil : base.kind(of: path) }
    func resolvedPath(_ path: String) -> String? {
        guard !hidden.contains(path), let resolved = base.resolvedPath(path), !hidden.contains(resolved) else { return nil }
        return resolved
    }
    func entries(of directory: String) -> [DirectoryEntry]? {
        base.entries(of: directory)?.filter { !hidden.contains(SandboxPaths.join(directory, $0.name)) }
    }
    func contents(of path: String) -> String? { hidden.contains(path) ? nil : base.contents(of: path) }
}

private final class ListingMemo: SandboxFileSystem, @unchecked Sendable {
    // Used by one plan computation on one thread only (never shared), hence unchecked.
    let base: any SandboxFileSystem
    var listings: [String: [DirectoryEntry]?] = [:]

    init(_ base: any SandboxFileSystem) { self.base = base }

    func kind(of path: String) -> PathKind? { base.kind(of: path) }
    func resolvedPath(_ path: String) -> String? { base.resolvedPath(path) }
    func contents(of path: String) -> String? { base.contents(of: path) }
    func entries(of directory: String) -> [DirectoryEntry]? {
        if let cached = listings[directory] { return cached }
        let listed = base.entries(of: directory)
        listings[directory] = .some(listed)
        return listed
    }
}
