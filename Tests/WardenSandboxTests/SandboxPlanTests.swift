import Testing
import WardenJSON
import WardenPolicy
@testable import WardenSandbox

/// A developer `dev` with a repository at /home/dev/src/app.
func standardDisk() -> MemoryFileSystem {
    var disk = MemoryFileSystem()
    disk.add("/home/dev/src/app/.git/config", "[core]\n")
    disk.add("/home/dev/src/app/.git/hooks/")
    disk.add("/home/dev/src/app/src/main.swift")
    disk.add("/home/dev/src/app/.env", "KEY=1")
    disk.add("/home/dev/src/app/config/.env.local", "KEY=2")
    disk.add("/home/dev/src/app/node_modules/pkg/.env.example", "")
    disk.add("/home/dev/.ssh/id_ed25519", "secret")
    disk.add("/home/dev/.bashrc", "")
    disk.add("/home/dev/.claude/settings.json", "{}")
    disk.add("/home/dev/.claude.json", "{}")
    disk.add("/opt/warden/bin/warden")
    disk.add("/etc/claude-code/managed-settings.json", "{}")
    disk.add("/run/user/1000/")
    return disk
}

func makePlan(
    _ policyText: String = "{}", disk: MemoryFileSystem = standardDisk(), cwd: String = "/home/dev/src/app",
    environment: [(name: String, value: String)] = [("PATH", "/usr/bin:/bin"), ("HOME", "/home/dev")],
    kernel: KernelFeatures = KernelFeatures(landlockABI: 7), command: [String] = ["/usr/bin/claude"], claude: Bool = true,
    wardenDirectory: String = "/opt/warden/bin", policyPath: String = "/etc/claude-code/managed-settings.json",
    otherSessionsPlaceholders: Set<String> = []
) throws -> SandboxPlan {
    let policy = try Policy.parse(text: policyText, path: policyPath)
    let request = SandboxRequest(
        policy: policy, policyPath: policyPath, home: "/home/dev", workingDirectory: cwd,
        environment: environment, kernel: kernel, uid: 1000, gid: 1000, command: command,
        wardenDirectory: wardenDirectory, logDirectory: "/home/dev/.local/state/warden",
        runtimeDirectory: "/run/user/1000/warden-run.1000.42", commandIsClaude: claude,
        otherSessionsPlaceholders: otherSessionsPlaceholders)
    return SandboxPlanner.plan(request, fileSystem: disk)
}

extension SandboxPlan {
    func mount(at destination: String) -> SandboxMount? { mounts.last { $0.destination == destination } }
    func index(of destination: String) -> Int? { mounts.lastIndex { $0.destination == destination } }
}

@Suite("The sandbox plan as data")
struct SandboxPlanTests {
    @Test("the base: system read-only, /dev, /proc, private /tmp, then the project writable")
    func base() throws {
        let plan = try makePlan()
        #expect(plan.mounts.prefix(4).map(\.kind) == [.readOnlyBind, .devices, .processes, .tmpfs])
        #expect(plan.mounts[0].destination == "/" && plan.mounts[0].source == "/")
        #expect(plan.project.root == "/home/dev/src/app")
        #expect(plan.project.gitDirectory == "/home/dev/src/app/.git")
        let project = try #require(plan.mount(at: "/home/dev/src/app"))
        #expect(project.kind == .writableBind)
        #expect(project.reason.contains("git top level"))
        #expect(plan.mount(at: "/home/dev/.claude")?.kind == .writableBind)
        #expect(plan.mount(at: "/home/dev/.claude.json")?.kind == .writableBind)
        #expect(plan.writableRoots.contains("/home/dev/src/app"))
    }

    @Test("Warden's binaries under the host's /tmp are bound back over the private /tmp, read-only")
    func wardenUnderTmp() throws {
        var disk = standardDisk()
        disk.add("/tmp/clone/.build/debug/warden")
        let plan = try makePlan(disk: disk, wardenDirectory: "/tmp/clone/.build/debug")
        let bind = try #require(plan.mount(at: "/tmp/clone/.build/debug"))
        #expect(bind.kind == .readOnlyBind && bind.source == "/tmp/clone/.build/debug")
        #expect(try #require(plan.index(of: "/tmp/clone/.build/debug")) > (plan.mounts.firstIndex { $0.kind == .tmpfs } ?? .max))
        // Elsewhere the system's read-only view already shows them: no extra mount.
        #expect(try makePlan().mounts.filter { $0.reason == "Warden's binaries, under the host's /tmp" }.isEmpty)
    }

    @Test("a policy file under the host's /tmp is bound back read-only, so the hooks inside can read it")
    func policyUnderTmp() throws {
        var disk = standardDisk()
        disk.add("/tmp/clone/profiles/baseline.json", "{}")
        let plan = try makePlan(disk: disk, policyPath: "/tmp/clone/profiles/baseline.json")
        let bind = try #require(plan.mount(at: "/tmp/clone/profiles/baseline.json"))
        #expect(bind.kind == .readOnlyBind && bind.source == "/tmp/clone/profiles/baseline.json")
        #expect(try #require(plan.index(of: "/tmp/clone/profiles/baseline.json")) > (plan.mounts.firstIndex { $0.kind == .tmpfs } ?? .max))
        // Inside a project under /tmp it is bound with the project (and protected there): no bind of its own.
        disk.add("/tmp/work/app/.git/config", "[core]\n")
        disk.add("/tmp/work/app/policy.json", "{}")
        let inProject = try makePlan(disk: disk, cwd: "/tmp/work/app", policyPath: "/tmp/work/app/policy.json")
        #expect(inProject.mounts.filter { $0.reason == "the policy in use, under the host's /tmp" }.isEmpty)
        #expect(inProject.mount(at: "/tmp/work/app/policy.json")?.kind == .readOnlyBind)
        // Elsewhere the system's read-only view shows it.
        #expect(try makePlan().mounts.filter { $0.reason == "the policy in use, under the host's /tmp" }.isEmpty)
    }

    @Test("the project is the git top level when started in a subdirectory")
    func subdirectory() throws {
        let plan = try makePlan(cwd: "/home/dev/src/app/src")
        #expect(plan.project.root == "/home/dev/src/app")
        #expect(plan.bwrapArguments.contains("/home/dev/src/app/src"))  // --chdir
    }

    @Test("namespaces and process options: every namespace, no capabilities, same uid")
    func processOptions() throws {
        let plan = try makePlan()
        for option in ["--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try", "--unshare-net", "--die-with-parent", "--new-session"] {
            #expect(plan.bwrapArguments.contains(option), "\(option)")
        }
        let arguments = plan.bwrapArguments
        let capDrop = try #require(arguments.firstIndex(of: "--cap-drop"))
        #expect(arguments[capDrop + 1] == "ALL")
        let uid = try #require(arguments.firstIndex(of: "--uid"))
        #expect(arguments[uid + 1] == "1000")
        #expect(arguments[try #require(arguments.firstIndex(of: "--gid")) + 1] == "1000")
    }

    @Test("Read deny rules mask: an empty tmpfs over a directory, an empty file over a file")
    func masks() throws {
        let plan = try makePlan(#"{"permissions": {"deny": ["Read(~/.ssh)", "Read(./.env)"]}}"#)
        let ssh = try #require(plan.mount(at: "/home/dev/.ssh"))
        #expect(ssh.kind == .maskDirectory)
        #expect(ssh.reason == "deny rule Read(~/.ssh)")
        let env = try #require(plan.mount(at: "/home/dev/src/app/.env"))
        #expect(env.kind == .maskFile)
        #expect(env.source == "/run/user/1000/warden-run.1000.42/empty")
        let arguments = plan.bwrapArguments.joined(separator: " ")
        #expect(arguments.contains("--tmpfs /home/dev/.ssh --remount-ro /home/dev/.ssh"))
        #expect(arguments.contains("--ro-bind /run/user/1000/warden-run.1000.42/empty /home/dev/src/app/.env"))
        #expect(plan.maskedPaths.contains("/home/dev/.ssh"))
    }

    @Test("a mask comes after the writable bind it shadows")
    func order() throws {
        let plan = try makePlan(#"{"sandbox": {"filesystem": {"denyRead": ["./.env"]}}}"#)
        let project = try #require(plan.index(of: "/home/dev/src/app"))
        let env = try #require(plan.index(of: "/home/dev/src/app/.env"))
        #expect(project < env)
        #expect(plan.mounts[env].reason == "sandbox.filesystem.denyRead \"./.env\"")
    }

    @Test("globs: **/.env* matches at any depth in the project, .git is not entered")
    func globs() throws {
        var disk = standardDisk()
        disk.add("/home/dev/src/app/.git/.env.secret", "")
        let plan = try makePlan(#"{"permissions": {"deny": ["Read(**/.env*)"]}}"#, disk: disk)
        let masked = Set(plan.maskedPaths)
        #expect(masked.contains("/home/dev/src/app/.env"))
        #expect(masked.contains("/home/dev/src/app/config/.env.local"))
        #expect(masked.contains("/home/dev/src/app/node_modules/pkg/.env.example"))
        #expect(!masked.contains("/home/dev/src/app/.git/.env.secret"))
        #expect(!masked.contains("/home/dev/src/app/src/main.swift"))
    }

    @Test("a masked directory is not walked again: one mask covers it")
    func maskedDirectoryCoversBelow() throws {
        var disk = standardDisk()
        disk.add("/home/dev/src/app/secrets/inner/secrets/a.txt")
        let plan = try makePlan(#"{"permissions": {"deny": ["Read(**/secrets)"]}}"#, disk: disk)
        #expect(plan.maskedPaths.filter { $0.hasSuffix("/secrets") } == ["/home/dev/src/app/secrets"])
    }

    @Test("`..` in a rule is resolved before matching")
    func dotDot() throws {
        let plan = try makePlan(#"{"sandbox": {"filesystem": {"denyRead": ["./src/../.env"]}}}"#)
        #expect(plan.maskedPaths.contains("/home/dev/src/app/.env"))
    }

    @Test("a symbolic link to a protected path is protected at its target")
    func symlink() throws {
        var disk = standardDisk()
        disk.add("/data/keys/id_rsa", "secret")
        disk.link("/home/dev/.ssh2", to: "/data/keys")
        let plan = try makePlan(#"{"permissions": {"deny": ["Read(~/.ssh2)"]}}"#, disk: disk)
        #expect(plan.mount(at: "/data/keys")?.kind == .maskDirectory)
        #expect(plan.mount(at: "/home/dev/.ssh2") == nil)
    }

    @Test("allowRead re-opens a path inside a masked tree: a tmpfs, the bind made in it, then the tmpfs made read-only")
    func allowRead() throws {
        var disk = standardDisk()
        disk.add("/home/dev/.config/gh/hosts.yml")
        disk.add("/home/dev/.config/app/settings.toml")
        let plan = try makePlan(#"{"sandbox": {"filesystem": {"denyRead": ["~/.config"], "allowRead": ["~/.config/app"]}}}"#, disk: disk)
        let mask = try #require(plan.mounts.firstIndex { $0.destination == "/home/dev/.config" })
        let open = try #require(plan.index(of: "/home/dev/.config/app"))
        let readOnly = try #require(plan.index(of: "/home/dev/.config"))
        // bwrap makes the re-opened path's mount point in the mask: it must still be writable.
        #expect(plan.mounts[mask].kind == .tmpfs)
        #expect(mask < open && open < readOnly)
        #expect(plan.mounts[readOnly].kind == .remountReadOnly)
        #expect(plan.mounts[open].kind == .readOnlyBind)
        #expect(plan.mounts[open].reason.contains("allowRead"))
        let arguments = plan.bwrapArguments.joined(separator: " ")
        #expect(arguments.contains("--tmpfs /home/dev/.config --ro-bind /home/dev/.config/app /home/dev/.config/app"))
        #expect(arguments.contains("--remount-ro /home/dev/.config"))
        #expect(plan.maskedPaths.contains("/home/dev/.config"))
    }

    @Test("Edit deny rules and denyWrite are read-only binds inside writable roots")
    func readOnly() throws {
        var disk = standardDisk()
        disk.add("/home/dev/src/app/vendor/lib.c")
        disk.add("/home/dev/src/app/Makefile")
        let plan = try makePlan(#"{"permissions": {"deny": ["Edit(./vendor)"]}, "sandbox": {"filesystem": {"denyWrite": ["./Makefile"]}}}"#, disk: disk)
        #expect(plan.mount(at: "/home/dev/src/app/vendor")?.kind == .readOnlyBind)
        #expect(plan.mount(at: "/home/dev/src/app/vendor")?.reason == "deny rule Edit(./vendor)")
        #expect(plan.mount(at: "/home/dev/src/app/Makefile")?.reason == "sandbox.filesystem.denyWrite \"./Makefile\"")
    }

    @Test("allowWrite adds a writable root; a bare name is below the working directory, not at any depth")
    func allowWrite() throws {
        var disk = standardDisk()
        disk.add("/home/dev/.kube/")
        disk.add("/home/dev/build/")
        let plan = try makePlan(#"{"sandbox": {"filesystem": {"allowWrite": ["~/.kube", "build"]}}}"#, disk: disk)
        #expect(plan.mount(at: "/home/dev/.kube")?.kind == .writableBind)
        #expect(plan.mount(at: "/home/dev/build") == nil)
        #expect(plan.notes.contains("sandbox.filesystem.allowWrite \"build\" matches nothing on disk"))
    }

    @Test("always protected, present: git hooks and config, ~/.claude settings are read-only binds")
    func alwaysProtectedPresent() throws {
        let plan = try makePlan()
        #expect(plan.mount(at: "/home/dev/src/app/.git/hooks")?.kind == .readOnlyBind)
        #expect(plan.mount(at: "/home/dev/src/app/.git/config")?.kind == .readOnlyBind)
        #expect(plan.mount(at: "/home/dev/.claude/settings.json")?.kind == .readOnlyBind)
        // Outside the writable roots, `/` read-only already protects them.
        let bashrc = try #require(plan.protectedWithoutMount.first { $0.path == "/home/dev/.bashrc" })
        #expect(bashrc.by == "read-only through /")
        #expect(plan.protectedWithoutMount.contains { $0.path == "/opt/warden/bin" })
        #expect(plan.protectedWithoutMount.contains { $0.path == "/etc/claude-code" })
    }

    @Test("a directory holding protected paths is pinned (bound over itself) before them, so it cannot be renamed away")
    func pins() throws {
        let plan = try makePlan()
        let pin = try #require(plan.index(of: "/home/dev/src/app/.git"))
        #expect(plan.mounts[pin].kind == .writableBind)
        #expect(plan.mounts[pin].reason.hasPrefix("pinned"))
        #expect(pin < (plan.index(of: "/home/dev/src/app/.git/hooks") ?? -1))
        #expect(pin > (plan.index(of: "/home/dev/src/app") ?? .max))
        // The writable roots themselves are mount points already.
        #expect(plan.mounts.filter { $0.destination == "/home/dev/.claude" }.count == 1)
    }

    @Test("core.hooksPath (husky) is protected like .git/hooks")
    func hooksPath() throws {
        var disk = standardDisk()
        disk.add("/home/dev/src/app/.git/config", "[core]\n\tbare = false\n\thooksPath = .husky\n[remote \"origin\"]\n\turl = x\n")
        disk.add("/home/dev/src/app/.husky/pre-commit", "npm test")
        let plan = try makePlan(disk: disk)
        #expect(plan.mount(at: "/home/dev/src/app/.husky")?.kind == .readOnlyBind)
        #expect(plan.mount(at: "/home/dev/src/app/.husky")?.reason.contains("core.hooksPath") == true)
    }

    @Test("always protected, absent: placeholders on the host, masked read-only inside")
    func alwaysProtectedAbsent() throws {
        let plan = try makePlan()
        let placeholders = Dictionary(uniqueKeysWithValues: plan.hostPlaceholders.map { ($0.path, $0.kind) })
        #expect(placeholders["/home/dev/src/app/.mcp.json"] == .file)
        #expect(placeholders["/home/dev/src/app/.gitmodules"] == .file)
        #expect(placeholders["/home/dev/src/app/.bashrc"] == nil)  // no shell reads it there
        #expect(placeholders["/home/dev/src/app/.claude"] == .directory)
        #expect(placeholders["/home/dev/src/app/.vscode"] == .directory)
        #expect(placeholders["/home/dev/.claude/commands"] == .directory)
        #expect(placeholders["/home/dev/.claude/settings.local.json"] == .file)
        #expect(placeholders["/home/dev/.bashrc"] == nil)  // exists, and is outside the writable roots
        #expect(plan.mount(at: "/home/dev/src/app/.mcp.json")?.source == "/run/user/1000/warden-run.1000.42/empty-mcp.json")
        #expect(plan.mount(at: "/home/dev/src/app/.gitmodules")?.source == "/run/user/1000/warden-run.1000.42/empty")
        #expect(plan.mount(at: "/home/dev/src/app/.vscode")?.kind == .maskDirectory)
    }

    @Test("another live session's placeholders are planned as absent: masked, with a placeholder of this session's own")
    func otherSessionsPlaceholders() throws {
        var disk = standardDisk()
        disk.add("/home/dev/src/app/.mcp.json", "")
        disk.add("/home/dev/src/app/.vscode/")
        let seenAsTheDevelopers = try makePlan(disk: disk)
        #expect(seenAsTheDevelopers.mount(at: "/home/dev/src/app/.mcp.json")?.kind == .readOnlyBind)
        #expect(!seenAsTheDevelopers.hostPlaceholders.contains { $0.path == "/home/dev/src/app/.mcp.json" })

        let plan = try makePlan(disk: disk, otherSessionsPlaceholders: ["/home/dev/src/app/.mcp.json", "/home/dev/src/app/.vscode"])
        #expect(plan.mount(at: "/home/dev/src/app/.mcp.json")?.kind == .maskFile)
        #expect(plan.mount(at: "/home/dev/src/app/.vscode")?.kind == .maskDirectory)
        let placeholders = Dictionary(uniqueKeysWithValues: plan.hostPlaceholders.map { ($0.path, $0.kind) })
        #expect(placeholders["/home/dev/src/app/.mcp.json"] == .file)
        #expect(placeholders["/home/dev/src/app/.vscode"] == .directory)
        #expect(plan.mount(at: "/home/dev/src/app/src")?.kind != .maskDirectory, "only the listed paths")
    }

    @Test("shell start-up files are protected where shells read them: the home, and $ZDOTDIR inside a writable root")
    func shellStartUpFiles() throws {
        var disk = standardDisk()
        disk.add("/home/dev/src/app/zsh/")
        let plan = try makePlan(
            #"{"sandbox": {"filesystem": {"allowWrite": ["~/.bashrc"]}}}"#, disk: disk,
            environment: [("PATH", "/usr/bin:/bin"), ("HOME", "/home/dev"), ("ZDOTDIR", "/home/dev/src/app/zsh")])
        #expect(plan.mount(at: "/home/dev/src/app/zsh/.zshrc")?.kind == .maskFile)
        #expect(plan.mount(at: "/home/dev/src/app/zsh/.zprofile")?.kind == .maskFile)
        #expect(plan.mount(at: "/home/dev/src/app/zsh/.zshrc")?.reason.contains("$ZDOTDIR") == true)
        #expect(plan.mount(at: "/home/dev/.bashrc")?.kind == .readOnlyBind, "allowWrite does not open an always-protected file")
        #expect(plan.mount(at: "/home/dev/src/app/.bashrc") == nil)
        #expect(!plan.hostPlaceholders.contains { $0.path.hasPrefix("/home/dev/src/app/.") && $0.path.hasSuffix("rc") })
    }

    @Test("no repository: .git itself is protected, so no hooks can be made for the host")
    func noRepository() throws {
        var disk = MemoryFileSystem()
        disk.add("/home/dev/scratch/notes.txt")
        disk.add("/run/user/1000/")
        let plan = try makePlan(disk: disk, cwd: "/home/dev/scratch")
        #expect(plan.project.root == "/home/dev/scratch")
        #expect(plan.project.gitDirectory == nil)
        #expect(plan.hostPlaceholders.contains { $0.path == "/home/dev/scratch/.git" && $0.kind == .directory })
    }

    @Test("a worktree's .git file: the real gitdir and common dir are writable, their config and hooks protected")
    func worktree() throws {
        var disk = standardDisk()
        disk.add("/home/dev/src/app/.git/worktrees/feature/commondir", "../..\n")
        disk.add("/home/dev/src/app/.git/worktrees/feature/HEAD", "ref: refs/heads/feature\n")
        disk.add("/home/dev/src/feature/.git", "gitdir: /home/dev/src/app/.git/worktrees/feature\n")
        disk.add("/home/dev/src/feature/README")
        let plan = try makePlan(disk: disk, cwd: "/home/dev/src/feature")
        #expect(plan.project.root == "/home/dev/src/feature")
        #expect(plan.project.gitDirectory == "/home/dev/src/app/.git/worktrees/feature")
        #expect(plan.project.commonGitDirectory == "/home/dev/src/app/.git")
        #expect(plan.mount(at: "/home/dev/src/app/.git/worktrees/feature")?.kind == .writableBind)
        #expect(plan.mount(at: "/home/dev/src/app/.git")?.kind == .writableBind)
        #expect(plan.mount(at: "/home/dev/src/app/.git/hooks")?.kind == .readOnlyBind)
        #expect(plan.mount(at: "/home/dev/src/app/.git/config")?.kind == .readOnlyBind)
        let commonIndex = try #require(plan.index(of: "/home/dev/src/app/.git"))
        let hooksIndex = try #require(plan.index(of: "/home/dev/src/app/.git/hooks"))
        #expect(commonIndex < hooksIndex)
    }

    @Test("a submodule's .git file with a relative gitdir")
    func submodule() throws {
        var disk = standardDisk()
        disk.add("/home/dev/src/app/.git/modules/lib/config", "")
        disk.add("/home/dev/src/app/.git/modules/lib/hooks/")
        disk.add("/home/dev/src/app/lib/.git", "gitdir: ../.git/modules/lib\n")
        let plan = try makePlan(disk: disk, cwd: "/home/dev/src/app/lib")
        #expect(plan.project.root == "/home/dev/src/app/lib")
        #expect(plan.project.gitDirectory == "/home/dev/src/app/.git/modules/lib")
        #expect(plan.mount(at: "/home/dev/src/app/.git/modules/lib/config")?.kind == .readOnlyBind)
        #expect(plan.mount(at: "/home/dev/src/app/.git/modules/lib/hooks")?.kind == .readOnlyBind)
    }

    @Test("a protected path inside a mask needs no bind of its own (binding it would unmask it)")
    func protectedInsideMask() throws {
        let plan = try makePlan(#"{"permissions": {"deny": ["Read(./.git)"]}}"#)
        #expect(plan.mount(at: "/home/dev/src/app/.git")?.kind == .maskDirectory)
        #expect(plan.mount(at: "/home/dev/src/app/.git/config") == nil)
        #expect(plan.protectedWithoutMount.contains { $0.path == "/home/dev/src/app/.git/config" && $0.by.hasPrefix("masked") })
    }

    @Test("environment: secrets by name and by value dropped with a reason, Claude Code's credentials and `keep` kept")
    func environment() throws {
        let plan = try makePlan(
            #"{"warden": {"sandbox": {"environment": {"keep": ["GH_TOKEN"]}}}}"#,
            environment: [
                ("PATH", "/usr/bin"), ("HOME", "/home/dev"), ("ANTHROPIC_API_KEY", "sk-ant-api03-abc"),
                ("GITHUB_TOKEN", "x"), ("GH_TOKEN", "y"), ("DB_PASSWORD", "hunter2"), ("AWS_ACCESS_KEY_ID", "AKIA"),
                ("HARMLESS", "AKIAIOSFODNN7EXAMPLF"), ("HTTP_PROXY", "http://corp:8080"), ("TMPDIR", "/tmp/dev-1000"),
            ])
        #expect(plan.environment.kept.contains("PATH"))
        #expect(plan.environment.kept.contains("ANTHROPIC_API_KEY"))
        #expect(plan.environment.kept.contains("GH_TOKEN"))
        let dropped = Dictionary(uniqueKeysWithValues: plan.environment.dropped.map { ($0.name, $0.reason) })
        #expect(dropped["GITHUB_TOKEN"] == "the name ends in _TOKEN")
        #expect(dropped["DB_PASSWORD"] == "the name ends in _PASSWORD")
        #expect(dropped["AWS_ACCESS_KEY_ID"] == "a credential by name (AWS_ACCESS_KEY_ID)")
        #expect(dropped["HARMLESS"]?.hasPrefix("the value looks like a secret") == true)
        #expect(dropped["HTTP_PROXY"] == "replaced by the sandbox's value")
        for reason in dropped.values { #expect(!reason.contains("hunter2") && !reason.contains("AKIA")) }
        let set = Dictionary(uniqueKeysWithValues: plan.environment.set.map { ($0.name, $0.value) })
        #expect(set["HTTP_PROXY"] == "http://127.0.0.1:3128")
        #expect(set["https_proxy"] == "http://127.0.0.1:3128")
        #expect(set["ALL_PROXY"] == "socks5h://127.0.0.1:1080")
        #expect(set["NO_PROXY"] == "localhost,127.0.0.1,::1")
        #expect(set["TMPDIR"] == "/tmp")
        #expect(set["GIT_SSH_COMMAND"]?.contains("/opt/warden/bin/warden connect --socks 127.0.0.1:1080 %h %p") == true)
        let variables = plan.environment.variables(from: [("PATH", "/usr/bin"), ("GITHUB_TOKEN", "x")])
        #expect(variables.contains { $0.name == "PATH" && $0.value == "/usr/bin" })
        #expect(!variables.contains { $0.name == "GITHUB_TOKEN" })
    }

    @Test("no environment value ever appears in the bwrap arguments")
    func noValuesInArguments() throws {
        let plan = try makePlan(environment: [("ANTHROPIC_API_KEY", "sk-ant-api03-verysecret")])
        #expect(!plan.bwrapArguments.contains { $0.contains("verysecret") })
        #expect(!plan.text.contains("verysecret"))
        #expect(!plan.json.serialized.contains("verysecret"))
    }

    @Test("limits: rlimits without a delegated cgroup, the cgroup when there is one, policy values")
    func limits() throws {
        let plain = try makePlan(#"{"warden": {"sandbox": {"limits": {"processes": 100, "openFiles": 64}}}}"#)
        #expect(plain.limits.method == .rlimits)
        #expect(plain.limits.processes == 100)
        #expect(plain.limits.openFiles == 64)
        #expect(plain.limits.memoryMegabytes == 8192)
        #expect(plain.bwrapArguments.contains("--nproc=100"))
        #expect(plain.bwrapArguments.contains("--nofile=64"))
        #expect(plain.bwrapArguments.contains("--data=\(8192 * 1024 * 1024)"))
        let unified = CgroupFacts.Hierarchy(
            mountPoint: "/sys/fs/cgroup", ownPath: "/user.slice/user-1000.slice/user@1000.service/app.slice/term.scope",
            candidateWritable: true, candidateSubtreeControllers: ["pids", "memory", "cpu"])
        let delegated = try makePlan(kernel: KernelFeatures(landlockABI: 7, cgroups: CgroupFacts(unified: unified)))
        #expect(delegated.limits.method == .cgroup)
        #expect(delegated.limits.cgroup?.directories == ["/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/app.slice/warden-run.1000.42"])
        #expect(delegated.limits.explanation.first?.contains("pids.max = 4096") == true)
        #expect(delegated.text.contains("limits (cgroup /sys/fs/cgroup/user.slice/"))
        #expect(delegated.json.serialized.contains(#""version":"unified""#))
    }

    @Test("network bridge: sockets in the run directory, bound in; policy ports")
    func network() throws {
        let plan = try makePlan()
        #expect(plan.network.httpSocketOnHost == "/run/user/1000/warden-run.1000.42/http.sock")
        #expect(plan.network.httpSocketInside == "/tmp/.warden/http.sock")
        #expect(plan.mount(at: "/tmp/.warden")?.source == "/run/user/1000/warden-run.1000.42")
        let tmp = try #require(plan.index(of: "/tmp"))
        #expect(tmp < (plan.index(of: "/tmp/.warden") ?? -1))
        #expect(!plan.network.proxyAvailable)
        #expect(plan.notes.contains { $0.contains("fail closed") })
    }

    @Test("network settings: the policy's ports and allowed domains")
    func networkSettings() throws {
        let plan = try makePlan(
            #"{"permissions": {"allow": ["WebFetch(domain:docs.swift.org)"]}, "sandbox": {"network": {"httpProxyPort": 8080, "socksProxyPort": 8081, "allowedDomains": ["github.com", "*.npmjs.org"]}}}"#,
            environment: [("ANTHROPIC_BASE_URL", "http://127.0.0.1:8999")])
        #expect(plan.network.httpPort == 8080)
        #expect(plan.network.socksPort == 8081)
        #expect(plan.network.allowedHosts == [
            "github.com (sandbox.network.allowedDomains)", "*.npmjs.org (sandbox.network.allowedDomains)",
            "docs.swift.org (WebFetch(domain:docs.swift.org))", "http://127.0.0.1:8999 (ANTHROPIC_BASE_URL)",
        ])
        #expect(plan.environment.set.contains { $0.name == "HTTPS_PROXY" && $0.value == "http://127.0.0.1:8080" })
    }

    @Test("Claude Code's own sandbox is turned off inside Warden's")
    func claudeSandboxOff() throws {
        let plan = try makePlan(#"{"sandbox": {"enabled": true}}"#)
        #expect(plan.command == ["/usr/bin/claude", "--settings", #"{"sandbox":{"enabled":false}}"#])
        let other = try makePlan(#"{"sandbox": {"enabled": true}}"#, command: ["/bin/sh"], claude: false)
        #expect(other.command == ["/bin/sh"])
    }

    @Test("the bwrap argument list ends with the command after --")
    func argumentList() throws {
        let plan = try makePlan(command: ["/bin/sh", "-c", "echo hi"], claude: false)
        let separator = try #require(plan.bwrapArguments.lastIndex(of: "--"))
        #expect(Array(plan.bwrapArguments[(separator + 1)...]) == ["/bin/sh", "-c", "echo hi"])
        #expect(plan.bwrapArguments.first == "--unshare-user")
    }

    @Test("with warden-sandbox-init, bwrap starts init with the spec, which carries the command and the limits")
    func withInit() throws {
        let policy = try Policy.parse(text: "{}", path: nil)
        let request = SandboxRequest(
            policy: policy, policyPath: nil, home: "/home/dev", workingDirectory: "/home/dev/src/app", environment: [],
            kernel: KernelFeatures(landlockABI: 7), uid: 1000, gid: 1000, command: ["/bin/sh"], wardenDirectory: "/opt/warden/bin",
            initPath: "/opt/warden/bin/warden-sandbox-init", logDirectory: nil, runtimeDirectory: "/run/user/1000/w")
        let plan = SandboxPlanner.plan(request, fileSystem: standardDisk())
        #expect(Array(plan.bwrapArguments.suffix(4)) == ["--", "/opt/warden/bin/warden-sandbox-init", "--spec", "/tmp/.warden/spec.json"])
        #expect(!plan.bwrapArguments.contains("prlimit"))
        #expect(plan.innerSpec.command == ["/bin/sh"])
        #expect(!plan.notes.contains { $0.contains("prlimit") })
    }

    @Test("the plan as JSON parses back and holds mounts with reasons")
    func json() throws {
        let plan = try makePlan(#"{"permissions": {"deny": ["Read(~/.ssh)"]}}"#)
        let value = try JSONValue.parse(plan.json.serialized)
        let mounts = try #require(value.members?.first { $0.key == "mounts" }?.value.array)
        #expect(mounts.contains { mount in
            mount.members?.contains { $0.key == "destination" && $0.value.string == "/home/dev/.ssh" } == true
                && mount.members?.contains { $0.key == "reason" && $0.value.string == "deny rule Read(~/.ssh)" } == true
        })
        #expect(value.members?.first { $0.key == "landlockABI" }?.value.integer == 7)
        #expect(plan.text.contains("why: deny rule Read(~/.ssh)"))
    }

    @Test("the inner spec: limits, Landlock over the writable roots and /tmp, seccomp, the command")
    func innerSpec() throws {
        let plan = try makePlan(#"{"warden": {"sandbox": {"limits": {"memoryMegabytes": 512}}}}"#)
        #expect(plan.innerSpec.limits.memoryBytes == 512 * 1024 * 1024)
        #expect(plan.innerSpec.command == ["/usr/bin/claude"])
        #expect(plan.innerSpec.newSession == false)
        let landlock = try #require(plan.innerSpec.landlock)
        let writable = landlock.rules.filter { $0.reason == "writable root" }.map(\.path)
        #expect(writable == plan.writableRoots + ["/tmp"])
        #expect(plan.innerSpec.seccomp.rules.contains { $0.syscall == "ptrace" })
        #expect(plan.innerSpec.forwarders.isEmpty)  // no proxy wired in: nothing to forward to
        // The JSON init reads round-trips.
        #expect(try SandboxInnerSpec(json: plan.innerSpec.json()) == plan.innerSpec)
        let old = try makePlan(kernel: KernelFeatures(landlockABI: 0))
        #expect(old.innerSpec.landlock == nil)
        #expect(old.notes.contains { $0.contains("Landlock is not available") })
        #expect(old.text.contains("landlock: not available"))
    }

    @Test("many rules over a wide tree give an argument list bwrap reads through --args")
    func wideTree() throws {
        var disk = standardDisk()
        for index in 0..<400 { disk.add("/home/dev/src/app/pkg\(index)/.env") }
        let plan = try makePlan(#"{"permissions": {"deny": ["Read(**/.env)"]}}"#, disk: disk)
        #expect(plan.maskedPaths.count == 401)
        #expect(plan.bwrapArguments.count > 1200)
    }
}

@Suite("The plan's path and text helpers")
struct PlanHelperTests {
    @Test("depth counts a path's names as splitting it at / does")
    func depthAsSplit() {
        for path in ["/", "", "/a", "/a/b", "/a//b", "//a/b/", "a/b", "/home/dev/src/app/.git/hooks", "/é/ü"] {
            #expect(SandboxPaths.depth(path) == path.split(separator: "/").count, "\(path)")
        }
    }

    @Test("normalize drops empty, . and .. names; a path that is normal already comes back as it is")
    func normalize() {
        let cases: [(String, String)] = [
            ("/", "/"), ("", "/"), ("//", "/"), ("/a", "/a"), ("/a/", "/a"), ("/a//b", "/a/b"), ("/a/./b", "/a/b"),
            ("/a/../b", "/b"), ("/..", "/"), ("/a/b/..", "/a"), ("/a/.", "/a"), ("a/b", "/a/b"),
            ("/.env", "/.env"), ("/a/...", "/a/..."), ("/a/..b/.c", "/a/..b/.c"), ("/é/ü", "/é/ü"),
        ]
        for (path, normal) in cases {
            #expect(SandboxPaths.normalize(path) == normal, "\(path)")
            #expect(SandboxPaths.isNormal(path) == (path == normal), "\(path)")
        }
    }

    @Test("trimmingCharacters drops spaces, tabs and line ends at both ends only")
    func trimming() {
        #expect("  a b\t\r\n".trimmingCharacters() == "a b")
        #expect("\t\n".trimmingCharacters() == "")
        #expect("".trimmingCharacters() == "")
        #expect("x".trimmingCharacters() == "x")
        #expect(" hooksPath = /x ".split(separator: "=")[0].trimmingCharacters() == "hooksPath")
    }
}

@Suite("Which variables stay out of the sandbox")
struct EnvironmentFilterTests {
    @Test("names with a secret word in them, secret suffixes and credential names are dropped; others pass")
    func byName() {
        #expect(EnvironmentFilter.secretReason(name: "MY_DB_PASSWORD_FILE", value: "x") == "the name contains PASSWORD")
        #expect(EnvironmentFilter.secretReason(name: "stripe_api_key_test", value: "x") == "the name contains API_KEY")
        #expect(EnvironmentFilter.secretReason(name: "GITHUB_TOKEN", value: "x") == "the name ends in _TOKEN")
        #expect(EnvironmentFilter.secretReason(name: "aws_access_key_id", value: "x") == "a credential by name (AWS_ACCESS_KEY_ID)")
        #expect(EnvironmentFilter.secretReason(name: "PATH", value: "/usr/bin:/bin") == nil)
        #expect(EnvironmentFilter.secretReason(name: "SECRETARY", value: "x") == "the name contains SECRET")
        #expect(EnvironmentFilter.contains("AB", "ABC") == false && EnvironmentFilter.contains("XABCX", "ABC") && EnvironmentFilter.contains("ABC", "ABC"))
    }
}
