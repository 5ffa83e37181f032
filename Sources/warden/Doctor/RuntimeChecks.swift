import FoundationEssentials
import Glibc
import WardenChannel
import WardenInstall
import WardenJSON
import WardenLaunch
import WardenPolicy
import WardenSystem

/// `warden doctor`'s checks of the runtime around the log: the sandbox's kernel features, the
/// real claude, the hook registration and the shell function. One line each; every FAIL says the
/// command that fixes it.
struct RuntimeChecks {
    let policyPath: String?
    let environment: [String: String]
    let report: (Bool, String) -> Void

    /// The directory of the running `warden`, where its `warden-hook` and `warden-sandbox-init` are.
    var wardenDirectory: String {
        HostPaths.executableDirectory
    }

    func run() {
        let policy = checkPolicy()
        if !checkConfinement() { checkSandbox() }
        checkClaude()
        checkRegistration()
        checkShellFunction()
        if let policy { checkProxyPorts(policy) }
    }

    func checkPolicy() -> Policy? {
        guard let policyPath else {
            report(false, "policy: none at $WARDEN_POLICY or /etc/claude-code/managed-settings.json; fix: sudo warden install --profile baseline")
            return nil
        }
        switch PolicyFile.load(path: policyPath) {
        case .success(let policy):
            report(true, "policy: \(policyPath) is valid")
            return policy
        case .failure(let error):
            report(false, "policy: \(error); fix it, then: warden policy check \(policyPath)")
            return nil
        }
    }

    /// Inside `warden run`: whether the launcher's channel attests this process, as the hooks
    /// inside rely on it (their records and pseudonyms go there). True when inside, where the
    /// host's checks (bwrap, which cannot nest) do not apply.
    func checkConfinement() -> Bool {
        switch Confinement.detect() {
        case .outside:
            return false
        case .counterfeit(let reason):
            report(false, "channel: \(ChannelProtocol.portFileInside) is there but this is not Warden's sandbox (\(reason)); the hooks log locally and warden.sandbox.required denies")
            return false
        case .inside(let port):
            switch ChannelClient.send(.attest, port: port) {
            case .done(let run, _):
                report(true, "channel: inside \(run); the hooks' records and pseudonyms go to the host through 127.0.0.1:\(port)")
            case .refused(let why):
                report(false, "channel: inside Warden's sandbox, but the host's channel refused (\(why)): every tool call is blocked unlogged; fix: restart the session with warden run")
            }
            report(true, "bwrap, seccomp, landlock: not checked inside warden run (a sandbox cannot start another); run warden doctor outside")
            return true
        }
    }

    func checkSandbox() {
        guard let bwrap = BubblewrapProcess.locate(path: environment["PATH"]) else {
            report(false, "bwrap: not installed; fix: sudo apt-get install bubblewrap")
            return
        }
        if let refusal = KernelProbe.userNamespaceRefusal(uid: getuid()) {
            report(false, "user namespaces: \(refusal)")
        } else {
            // The real thing, not only the sysctls: a sandbox of the kind warden run builds.
            let (status, errors) = Self.run(bwrap, ["--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--", "/bin/true"])
            if status == 0 {
                report(true, "bwrap: \(bwrap) builds a sandbox with new user, pid and network namespaces")
            } else {
                let line = errors.split(separator: "\n").first.map(String.init) ?? "exit \(status)"
                report(false, "bwrap: cannot build a sandbox here (\(line)); fix: allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1; on Ubuntu: sysctl kernel.apparmor_restrict_unprivileged_userns=0 or an AppArmor profile for bwrap)")
            }
        }
        report(KernelProbe.seccompAvailable(), KernelProbe.seccompAvailable()
            ? "seccomp: the kernel loads seccomp filters"
            : "seccomp: this kernel cannot load seccomp filters (CONFIG_SECCOMP_FILTER); fix: a kernel built with it")
        let abi = KernelProbe.landlockABI()
        report(abi > 0, abi > 0
            ? "landlock: ABI \(abi)\(abi >= 6 ? " (abstract unix sockets and signals scoped)" : "")"
            : "landlock: not available; the sandbox runs without its second wall; fix: a kernel with CONFIG_SECURITY_LANDLOCK and landlock in its lsm= list")
        let initPath = wardenDirectory + "/warden-sandbox-init"
        report(access(initPath, X_OK) == 0, access(initPath, X_OK) == 0
            ? "sandbox init: \(initPath)"
            : "sandbox init: \(initPath) is missing; fix: sudo warden install (or Scripts/build-release.sh)")
    }

    func checkClaude() {
        let wardenPath = wardenDirectory + "/warden"
        guard let claude = RunSupport.realClaude(path: environment["PATH"], wardenPath: wardenPath) else {
            report(false, "claude: no Claude Code on PATH besides Warden's own function and shim; fix: install Claude Code (npm install -g @anthropic-ai/claude-code) or put its directory on PATH")
            return
        }
        let (status, output) = Self.run(claude, ["--version"], output: true)
        let version = output.split(separator: "\n").first.map(String.init) ?? ""
        report(status == 0, status == 0
            ? "claude: \(claude) (\(version))"
            : "claude: \(claude) --version failed (exit \(status)); fix: reinstall Claude Code")
    }

    /// The managed settings name this installation's warden-hook for the three events and as the
    /// shell prefix.
    func checkRegistration() {
        let settingsPath = "/etc/claude-code/managed-settings.json"
        let fix = "fix: sudo warden install"
        guard let data = FileManager.default.contents(atPath: settingsPath) else {
            report(false, "hooks: \(settingsPath) does not exist, so Claude Code runs without Warden's hooks; \(fix)")
            report(false, "shell prefix: not set (no \(settingsPath)); \(fix)")
            return
        }
        guard let json = try? JSONValue.parse(bytes: [UInt8](data)) else {
            report(false, "hooks: \(settingsPath) is not valid JSON; fix: warden policy check \(settingsPath)")
            return
        }
        let hook = HostPaths.resolvingSymlinks(wardenDirectory + "/warden-hook")
        func commands(_ event: String) -> [String] {
            (json["hooks"]?[event]?.array ?? []).flatMap { group in
                (group["hooks"]?.array ?? []).compactMap { $0["command"]?.string }
            }
        }
        var missing: [String] = []
        var elsewhere: [String] = []
        for event in ["PreToolUse", "PostToolUse", "UserPromptSubmit"] {
            let registered = commands(event).compactMap(WardenRegistration.hookExecutable(in:))
            if registered.isEmpty {
                missing.append(event)
            } else if !registered.contains(where: { HostPaths.resolvingSymlinks($0) == hook }) {
                elsewhere.append("\(event) runs \(registered[0])")
            }
        }
        // Claude Code lets a tool run when its hook cannot be started (exit 127): a registration
        // whose executable is gone guards nothing.
        let gone = Set(["PreToolUse", "PostToolUse", "UserPromptSubmit"].flatMap { commands($0).compactMap(WardenRegistration.hookExecutable(in:)) })
            .filter { access($0, X_OK) != 0 }.sorted()
        if !gone.isEmpty {
            report(false, "hooks: the registered \(gone.joined(separator: ", ")) cannot be run, and Claude Code lets every tool run when its hook cannot start (exit 127); \(fix)")
        }
        if !missing.isEmpty {
            report(false, "hooks: warden-hook is not registered for \(missing.joined(separator: ", ")) in \(settingsPath); \(fix)")
        } else if !elsewhere.isEmpty {
            report(false, "hooks: registered, but not this installation's \(hook): \(elsewhere.joined(separator: "; ")); \(fix)")
        } else {
            report(true, "hooks: PreToolUse, PostToolUse and UserPromptSubmit run \(hook)")
            let pinned = ["PreToolUse", "PostToolUse", "UserPromptSubmit"].allSatisfy { event in
                commands(event).contains { $0.hasSuffix(" --policy \(settingsPath)") }
            }
            if !pinned {
                report(false, "hooks: not pinned to \(settingsPath) (--policy): $WARDEN_POLICY or a settings env could swap the policy; \(fix)")
            }
        }
        let prefix = json["env"]?["CLAUDE_CODE_SHELL_PREFIX"]?.string
        if let prefix, prefix.hasSuffix(" --run") || prefix.contains(" --run-policy="), WardenRegistration.hookExecutable(in: prefix) != nil {
            report(true, "shell prefix: \(prefix) (Bash output redacted, failing commands included)")
        } else {
            report(false, "shell prefix: env.CLAUDE_CODE_SHELL_PREFIX is \(prefix.map { JSONValue.quoted($0) } ?? "not set"), so a failing command's output reaches the model unredacted; \(fix)")
        }
    }

    /// `claude` in this shell is Warden's: the function (it exports WARDEN_CLAUDE_FUNCTION when
    /// sourced) or the shim first on PATH.
    func checkShellFunction() {
        if environment["WARDEN_CLAUDE_FUNCTION"] != nil {
            report(true, "claude function: active in this shell (claude runs inside warden run)")
            return
        }
        for directory in (environment["PATH"] ?? "").split(separator: ":") {
            let candidate = "\(directory)/claude"
            guard access(candidate, X_OK) == 0 else { continue }
            if let head = HostPaths.head(candidate, limit: 4096),
               String(decoding: head, as: UTF8.self).contains("WARDEN_CLAUDE_SHIM") {
                report(true, "claude function: \(candidate) is Warden's shim (claude runs inside warden run)")
                return
            }
            break
        }
        report(false, "claude function: not active in this shell, so `claude` starts without the sandbox; fix: sudo warden install --shell, then open a new login shell (or: . /usr/local/share/warden/hooks/claude.sh)")
    }

    /// The ports the sandbox's forwarders listen on: inside its own network namespace any port is
    /// free, but they must differ from each other and from a loopback ANTHROPIC_BASE_URL's.
    func checkProxyPorts(_ policy: Policy) {
        let http = policy.network.httpProxyPort ?? 3128
        let socks = policy.network.socksProxyPort ?? 1080
        var taken = [http: "httpProxyPort", socks: "socksProxyPort"]
        var clash: String?
        if http == socks { clash = "httpProxyPort and socksProxyPort are both \(http)" }
        if let base = environment["ANTHROPIC_BASE_URL"], let port = RunNetwork.loopbackOrigin(base)?.port {
            if let other = taken[port] { clash = "ANTHROPIC_BASE_URL's port \(port) is also \(other)" }
            taken[port] = "ANTHROPIC_BASE_URL"
        }
        if let clash {
            report(false, "proxy ports: \(clash); fix: set sandbox.network.httpProxyPort / socksProxyPort to other ports")
        } else {
            report(true, "proxy ports: http 127.0.0.1:\(http), socks5 127.0.0.1:\(socks) inside the sandbox (its own network namespace)")
        }
    }

    /// Runs a program to its end with no input; its status and standard error (or output).
    static func run(_ path: String, _ arguments: [String], output: Bool = false) -> (Int32, String) {
        do {
            let outcome = try Programs.run(path, arguments)
            return (outcome.status, output ? outcome.output : outcome.errors)
        } catch { return (127, "\(error)") }
    }
}
