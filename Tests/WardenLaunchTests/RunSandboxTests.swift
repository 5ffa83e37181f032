import Foundation
import Testing

// `warden run` with the real bwrap, as root and as an unprivileged user the tests create.
//
// The scratch directories are not under $TMPDIR: the sandbox puts a private tmpfs on /tmp, so
// under /tmp a masked file would be out of sight anyway and the test could not tell a mask from
// the tmpfs. They go in the home of the test user instead (/home/warden-sbx-test; when the tests run as another user than root, in that user's ~/.cache/warden-test-scenes), one directory
// per test, removed at its end.

/// The built `warden`: beside the test runner during `swift test`, or $WARDEN_BIN.
private func runTestWarden() -> String {
    if let path = ProcessInfo.processInfo.environment["WARDEN_BIN"], !path.isEmpty { return path }
    let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    return URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent("warden").path
}

/// Who runs `warden run`: root (this process), or the unprivileged test user.
enum RunTestUser: String, CustomTestStringConvertible, Sendable {
    case root, unprivileged
    var testDescription: String { rawValue }

    static let name = "warden-sbx-test"

    /// uid and gid, creating the user when needed (root only).
    static func unprivilegedIDs() throws -> (uid: UInt32, gid: UInt32) {
        if getpwnam(name) == nil {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/useradd")
            process.arguments = ["-m", "-s", "/bin/sh", name]
            try process.run()
            process.waitUntilExit()
        }
        guard let entry = getpwnam(name) else { throw RunTestFailure("cannot create the user \(name)") }
        return (entry.pointee.pw_uid, entry.pointee.pw_gid)
    }
}

struct RunTestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

struct RunResult {
    var status: Int32
    var stdout: String
    var stderr: String

    /// `name=value` lines of a test script.
    var values: [String: String] {
        var result: [String: String] = [:]
        for line in stdout.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            result[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        return result
    }
}

/// A developer's home with a project in it, owned by `user`.
struct RunScene {
    let user: RunTestUser
    let base: String
    let home: String
    let project: String
    let policy: String
    let uid: UInt32
    let gid: UInt32

    init(user: RunTestUser, policy: String) throws {
        self.user = user
        if user == .unprivileged {
            (uid, gid) = try RunTestUser.unprivilegedIDs()
        } else {
            (uid, gid) = (getuid(), getgid())
        }
        base = try Self.parentDirectory() + "/scene-\(user.rawValue)-\(UUID().uuidString.prefix(8))"
        home = base + "/home"
        project = home + "/project"
        self.policy = base + "/policy.json"
        let fm = FileManager.default
        try fm.createDirectory(atPath: project + "/src", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: home + "/.ssh", withIntermediateDirectories: true)
        try "PRIVATE KEY\n".write(toFile: home + "/.ssh/id_ed25519", atomically: false, encoding: .utf8)
        try "visible\n".write(toFile: home + "/visible.txt", atomically: false, encoding: .utf8)
        try "# bashrc\n".write(toFile: home + "/.bashrc", atomically: false, encoding: .utf8)
        try "API_KEY=sk-live-123\n".write(toFile: project + "/.env", atomically: false, encoding: .utf8)
        try "let x = 1\n".write(toFile: project + "/src/main.swift", atomically: false, encoding: .utf8)
        try policy.write(toFile: self.policy, atomically: false, encoding: .utf8)
        try Self.shell("git init -q \(project) && git -C \(project) config user.email t@example.com && git -C \(project) config user.name t")
        try Self.shell("chmod 755 \((base as NSString).deletingLastPathComponent) \(base) && chown -R \(uid):\(gid) \(home) && chmod 644 \(self.policy)")
    }

    /// Where the scenes go: as root, the test user's home (it holds the scenes of both users,
    /// and the user can reach it); as anyone else (the tests run by a developer), a directory
    /// in that user's own home. Never under /tmp (see the top of the file).
    static func parentDirectory() throws -> String {
        if getuid() == 0 {
            _ = try RunTestUser.unprivilegedIDs()
            return "/home/\(RunTestUser.name)"
        }
        guard let home = ProcessInfo.processInfo.environment["HOME"], home.hasPrefix("/"), !home.hasPrefix("/tmp/") else {
            throw RunTestFailure("the sandbox tests put their scenes in $HOME, which must be an absolute path outside /tmp")
        }
        let parent = home + "/.cache/warden-test-scenes"
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        return parent
    }

    static func shell(_ command: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw RunTestFailure("failed: \(command)") }
    }

    func remove() { try? FileManager.default.removeItem(atPath: base) }

    /// The process that runs `warden run ARGUMENTS` as the scene's user, in the project, with a
    /// small environment (plus `extra`).
    func process(_ arguments: [String], extra: [String: String] = [:], stdout: String, stderr: String) throws -> Process {
        var environment = [
            "HOME": home, "PATH": "/usr/local/bin:/usr/bin:/bin", "USER": user == .root ? "root" : RunTestUser.name,
            "XDG_STATE_HOME": home + "/.local/state",
        ]
        for (key, value) in extra { environment[key] = value }
        let process = Process()
        process.currentDirectoryURL = URL(fileURLWithPath: project)
        let warden = [runTestWarden(), "run", "--policy", policy] + arguments
        if user == .unprivileged {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            process.arguments = ["--reuid=\(uid)", "--regid=\(gid)", "--init-groups", "--"] + warden
        } else {
            process.executableURL = URL(fileURLWithPath: warden[0])
            process.arguments = Array(warden.dropFirst())
        }
        process.environment = environment
        // Plain files of the scene only (FileManager.createFile replaces a path by renaming).
        precondition(stdout.hasPrefix(base + "/") && stderr.hasPrefix(base + "/"), "output files belong in the scene")
        _ = FileManager.default.createFile(atPath: stdout, contents: nil)
        _ = FileManager.default.createFile(atPath: stderr, contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: stdout)
        process.standardError = FileHandle(forWritingAtPath: stderr)
        process.standardInput = FileHandle.nullDevice
        return process
    }

    func run(_ arguments: [String], extra: [String: String] = [:]) throws -> RunResult {
        let out = base + "/stdout", err = base + "/stderr"
        let process = try process(arguments, extra: extra, stdout: out, stderr: err)
        try process.run()
        process.waitUntilExit()
        return RunResult(
            status: process.terminationStatus, stdout: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
    }

    /// What `warden run` may leave behind on the host: nothing but what was there.
    func leftovers() -> [String] {
        let fm = FileManager.default
        var found = placeholderLeftovers()
        let state = home + "/.local/state/warden/run"
        // `.lock` stays: the runs of this home take it to share placeholders.
        for entry in (try? fm.contentsOfDirectory(atPath: state)) ?? [] where entry != ".lock" { found.append(state + "/" + entry) }
        return found
    }

    /// The placeholders alone: `warden run` removes them itself before it returns.
    func placeholderLeftovers() -> [String] {
        let fm = FileManager.default
        var found: [String] = []
        for name in [".mcp.json", ".gitmodules", ".vscode", ".idea", ".claude", ".bashrc", ".zshrc", ".profile"] where fm.fileExists(atPath: project + "/" + name) {
            found.append(project + "/" + name)
        }
        for name in ["commands", "agents", "settings.json", "settings.local.json"] where fm.fileExists(atPath: home + "/.claude/" + name) {
            found.append(home + "/.claude/" + name)
        }
        return found
    }

    /// What is left once the clean-up watcher has done its part: a session's cgroup (and the
    /// state file that lists it) is removed by the watcher after `warden run` has returned, as
    /// soon as the kernel lets it go. Waits up to `seconds` without holding a thread, then
    /// looks once more.
    func leftoversOnceWatched(seconds: Double = 5) async -> [String] {
        let deadline = Date().addingTimeInterval(seconds)
        while !leftovers().isEmpty && Date() < deadline {
            try? await Task.sleep(nanoseconds: 20_000_000)
        }
        return leftovers()
    }
}

let runTestPolicy = #"""
{
  "permissions": { "deny": ["Read(~/.ssh)", "Read(**/.env)"] },
  "warden": { "sandbox": { "limits": { "processes": 2048 } } }
}
"""#

/// The escape script: one `name=value` line per check.
let runEscapeScript = #"""
P="$PWD"
echo x > "$P/new.txt" && echo project_write=ok || echo project_write=refused
echo key_bytes=$(cat "$HOME/.ssh/id_ed25519" 2>/dev/null | wc -c)
echo env_bytes=$(cat "$P/.env" 2>/dev/null | wc -c)
echo visible=$(cat "$HOME/visible.txt" 2>/dev/null)
touch "$P/.git/hooks/post-checkout" 2>/dev/null && echo hooks=written || echo hooks=refused
echo "[core]" >> "$P/.git/config" 2>/dev/null && echo gitconfig=written || echo gitconfig=refused
echo "evil" >> "$HOME/.bashrc" 2>/dev/null && echo bashrc=written || echo bashrc=refused
echo '{"mcpServers":{}}' > "$P/.mcp.json" 2>/dev/null && echo mcp=written || echo mcp=refused
mkdir -p "$P/.vscode/x" 2>/dev/null && echo vscode=written || echo vscode=refused
echo '{}' > "$P/.claude/settings.json" 2>/dev/null && echo claude_settings=written || echo claude_settings=refused
rm -rf "$P/.git/hooks" 2>/dev/null; [ -d "$P/.git/hooks" ] && echo hooks_dir=kept || echo hooks_dir=removed
echo interfaces=$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | tr '\n' ,)
echo processes=$(ls /proc | grep -c '^[0-9]')
echo capeff=$(grep CapEff /proc/self/status | cut -f2)
echo seccomp=$(grep '^Seccomp:' /proc/self/status | cut -f2)
echo nonewprivs=$(grep NoNewPrivs /proc/self/status | cut -f2)
echo uid=$(id -u)
echo github_token=${GITHUB_TOKEN:-absent}
echo anthropic=${ANTHROPIC_API_KEY:-absent}
echo nproc=$(grep 'Max processes' /proc/self/limits | awk '{print $3}')
git -C "$P" add src/main.swift && git -C "$P" commit -qm inside && echo commit=ok || echo commit=failed
mv "$P/.git" "$P/.git-old" 2>/dev/null && echo git_rename=done || echo git_rename=refused
mv "$P/.claude" "$P/.claude-old" 2>/dev/null && echo claude_rename=done || echo claude_rename=refused
ln "$P/.git/config" "$P/config-link" 2>/dev/null && echo hardlink=made || echo hardlink=refused
ln -s "$HOME/.ssh/id_ed25519" "$P/key-link" && echo symlink_bytes=$(cat "$P/key-link" 2>/dev/null | wc -c)
exit 7
"""#

@Suite("warden run with the real bwrap", .serialized)
struct RunSandboxTests {
    static var users: [RunTestUser] { getuid() == 0 ? [.root, .unprivileged] : [.root] }
    /// The `warden` under test.
    static var warden: String { runTestWarden() }

    @Test("the escape suite: protected paths, network, processes, capabilities, environment, exit status", arguments: users)
    func escapes(user: RunTestUser) async throws {
        let scene = try RunScene(user: user, policy: runTestPolicy)
        defer { scene.remove() }
        let result = try scene.run(
            ["--", "/bin/sh", "-c", runEscapeScript],
            extra: ["GITHUB_TOKEN": "ghp_0123456789abcdefghijABCDEFGHIJ012345", "ANTHROPIC_API_KEY": "sk-ant-test"])
        #expect(result.status == 7, "\(result.stderr)")
        let values = result.values
        #expect(values["project_write"] == "ok")
        #expect(values["key_bytes"] == "0")
        #expect(values["env_bytes"] == "0")
        #expect(values["visible"] == "visible")
        #expect(values["hooks"] == "refused")
        #expect(values["gitconfig"] == "refused")
        #expect(values["bashrc"] == "refused")
        #expect(values["mcp"] == "refused")
        #expect(values["vscode"] == "refused")
        #expect(values["claude_settings"] == "refused")
        #expect(values["hooks_dir"] == "kept")
        #expect(values["interfaces"] == "lo,")
        // bwrap's init, the proxy forwarder, the script and the pipeline that counts: no host process.
        #expect(Int(values["processes"] ?? "99") ?? 99 < 7, "\(values["processes"] ?? "")")
        #expect(values["capeff"] == "0000000000000000")
        // Through warden-sandbox-init: a seccomp filter and no new privileges.
        #expect(values["seccomp"] == "2")
        #expect(values["nonewprivs"] == "1")
        #expect(values["uid"] == String(scene.uid))
        #expect(values["github_token"] == "absent")
        #expect(values["anthropic"] == "sk-ant-test")
        #expect(values["nproc"] == "2048")
        #expect(values["commit"] == "ok")
        #expect(values["git_rename"] == "refused")
        #expect(values["claude_rename"] == "refused")
        #expect(values["hardlink"] == "refused")
        #expect(values["symlink_bytes"] == "0")
        // On the host: the project file was written, the protected ones were not.
        #expect(FileManager.default.fileExists(atPath: scene.project + "/new.txt"))
        #expect(!FileManager.default.fileExists(atPath: scene.project + "/.git/hooks/post-checkout"))
        #expect((try? String(contentsOfFile: scene.home + "/.bashrc", encoding: .utf8)) == "# bashrc\n")
        #expect(scene.placeholderLeftovers() == [], "left on the host: \(scene.placeholderLeftovers())")
        let left = await scene.leftoversOnceWatched()
        #expect(left == [], "left on the host: \(left)")
    }

    @Test("allowRead re-opens a path inside a denyRead directory: it reads, the rest of the directory stays hidden and nothing can be written", arguments: users)
    func allowReadInsideDenyRead(user: RunTestUser) throws {
        let scene = try RunScene(user: user, policy: #"{"sandbox": {"filesystem": {"denyRead": ["~/.config"], "allowRead": ["~/.config/app"]}}}"#)
        defer { scene.remove() }
        try RunScene.shell("mkdir -p \(scene.home)/.config/app \(scene.home)/.config/gh && echo opened > \(scene.home)/.config/app/settings.toml && echo token > \(scene.home)/.config/gh/hosts.yml && chown -R \(scene.uid):\(scene.gid) \(scene.home)/.config")
        let script = """
            c=$HOME/.config
            echo "app=$(cat $c/app/settings.toml 2>/dev/null || echo hidden)"
            echo "gh=$(cat $c/gh/hosts.yml 2>/dev/null || echo hidden)"
            echo "listing=$(ls -A $c | tr '\\n' ,)"
            (echo x > $c/new.txt) 2>/dev/null && echo "create=ok" || echo "create=refused"
            (echo x > $c/app/settings.toml) 2>/dev/null && echo "write_open=ok" || echo "write_open=refused"
            """
        let result = try scene.run(["--", "/bin/sh", "-c", script])
        #expect(result.status == 0, "\(result.stderr)")
        let values = result.values
        #expect(values["app"] == "opened")
        #expect(values["gh"] == "hidden")
        #expect(values["listing"] == "app,")
        #expect(values["create"] == "refused")
        #expect(values["write_open"] == "refused")
        #expect(try String(contentsOfFile: scene.home + "/.config/app/settings.toml", encoding: .utf8) == "opened\n")
        #expect(!FileManager.default.fileExists(atPath: scene.home + "/.config/new.txt"))
    }

    @Test("direct TCP to a listener on the host's loopback is refused", arguments: users)
    func noHostNetwork(user: RunTestUser) throws {
        let scene = try RunScene(user: user, policy: "{}")
        defer { scene.remove() }
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) } }
        listen(listener, 4)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) } }
        let port = UInt16(bigEndian: address.sin_port)
        let result = try scene.run(["--", "/bin/bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/\(port) && echo connected || echo refused"])
        #expect(result.stdout.contains("refused"), "\(result.stdout)\(result.stderr)")
        #expect(!result.stdout.contains("connected"))
    }

    @Test("egress only through Warden's proxy: allowed hosts pass, others are refused and logged; a loopback ANTHROPIC_BASE_URL is relayed", arguments: users)
    func egressThroughTheProxy(user: RunTestUser) throws {
        let allowed = try Self.httpServer(), origin = try Self.httpServer()
        defer { for server in [allowed, origin] { kill(server.process.processIdentifier, SIGKILL); server.process.waitUntilExit() } }
        let scene = try RunScene(user: user, policy: #"{"sandbox": {"network": {"allowedDomains": ["127.0.0.1:\#(allowed.port)"]}}}"#)
        defer { scene.remove() }
        let script = """
            echo http_proxy=$HTTP_PROXY
            echo allowed=$(curl -s --noproxy '' -o /dev/null -w '%{http_code}' http://127.0.0.1:\(allowed.port)/)
            echo origin=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:\(origin.port)/)
            echo refused=$(curl -s -o /dev/null -w '%{http_code}' http://example.com/)
            echo tunnel=$(curl -sS https://example.com/ 2>&1 | tr -d '\\n')
            echo direct=$(curl -s --noproxy '*' -m 5 -o /dev/null -w '%{http_code}' http://127.0.0.1:\(allowed.port)/)
            """
        let result = try scene.run(["--", "/bin/sh", "-c", script], extra: ["ANTHROPIC_BASE_URL": "http://127.0.0.1:\(origin.port)"])
        let values = result.values
        #expect(result.status == 0, "\(result.stderr)")
        #expect(values["http_proxy"] == "http://127.0.0.1:3128")
        #expect(values["allowed"] == "200")
        #expect(values["origin"] == "200")
        #expect(values["refused"] == "403")
        #expect(values["tunnel"] == "curl: (56) CONNECT tunnel failed, response 403")
        // The host's loopback is not the sandbox's: without the proxy nothing answers there.
        #expect(values["direct"] == "000")

        let logDirectory = scene.home + "/.local/state/warden"
        let records = ((try? FileManager.default.contentsOfDirectory(atPath: logDirectory)) ?? [])
            .filter { $0.hasSuffix(".jsonl") }
            .compactMap { try? String(contentsOfFile: logDirectory + "/" + $0, encoding: .utf8) }
            .joined()
        #expect(records.contains(#""event":"SandboxStart""#) && records.contains(#""event":"SandboxEnd""#))
        #expect(records.contains(#""decision":"allow""#) && records.contains(#""subject":"127.0.0.1:\#(allowed.port)""#))
        #expect(records.contains(#""proto":"origin""#))
        #expect(records.contains(#""decision":"deny""#) && records.contains(#""subject":"example.com:80""#) && records.contains(#""subject":"example.com:443""#))
    }

    /// `python3 -m http.server` on a free port of the host's loopback.
    static func httpServer() throws -> (process: Process, port: Int) {
        let probe = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(probe, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(probe, $0, &length) } }
        close(probe)
        let port = Int(UInt16(bigEndian: address.sin_port))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-m", "http.server", String(port), "--bind", "127.0.0.1", "--directory", "/usr/share/doc"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        for _ in 0..<100 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var target = address
            let connected = withUnsafePointer(to: &target) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, length) } }
            close(fd)
            if connected == 0 { return (process, port) }
            usleep(50_000)
        }
        throw RunTestFailure("python3 -m http.server did not listen on \(port)")
    }

    /// Starts `warden run -- /bin/sleep MARKER` with the start trace on and kills it with
    /// SIGKILL as soon as it prints the step `step` (python reads the trace as it comes).
    static let killAtStepScript = #"""
import os, signal, subprocess, sys
step, command = sys.argv[1], sys.argv[2:]
process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           env=dict(os.environ, WARDEN_TRACE_START="1"))
for line in process.stderr:
    if line.decode(errors="replace").rstrip().endswith(" warden " + step):
        process.send_signal(signal.SIGKILL)
        break
process.wait()
print("killed" if process.returncode == -signal.SIGKILL else "ended %d" % process.returncode)
"""#

    @Test("SIGKILL of warden just after it hands bwrap to the launch gate: no sandbox is left running and nothing on the host", arguments: users)
    func sigkillAfterHandOver(user: RunTestUser) async throws {
        let scene = try RunScene(user: user, policy: "{}")
        defer { scene.remove() }
        var markers: [String] = []
        for round in 0..<6 {
            // Before bwrap has set its own --die-with-parent: it is bound to warden's life only
            // through the gate's.
            let marker = "\(Int.random(in: 1000...9999)).5\(round)"
            markers.append(marker)
            let out = scene.base + "/kill.out", err = scene.base + "/kill.err"
            let process = try scene.process(["--", "/bin/sleep", marker], stdout: out, stderr: err)
            let warden = [process.executableURL!.path] + (process.arguments ?? [])
            process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            process.arguments = ["-c", Self.killAtStepScript, "bwrap spawned"] + warden
            try process.run()
            process.waitUntilExit()
            let said = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
            #expect(said == "killed\n", "\(user): \(said) \((try? String(contentsOfFile: err, encoding: .utf8)) ?? "")")
        }
        let deadline = Date().addingTimeInterval(5)
        while (markers.contains { Self.running($0) } || !Self.processes(in: scene.project).isEmpty || !scene.leftovers().isEmpty)
            && Date() < deadline
        {
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        #expect(!markers.contains { Self.running($0) }, "\(user): a sandbox outlived its warden")
        // bwrap and init work in the project: one still there outlived its warden.
        let outliving = Self.processes(in: scene.project)
        #expect(outliving.isEmpty, "\(user): processes of the session left: \(outliving)")
        for pid in outliving { kill(pid_t(pid) ?? 0, SIGKILL) }
        #expect(scene.leftovers() == [], "\(user): left on the host: \(scene.leftovers())")
    }

    @Test("SIGKILL of warden at each step of its preparation: the watcher the gate forked sweeps what was recorded", arguments: users)
    func sigkillWhilePreparing(user: RunTestUser) async throws {
        let scene = try RunScene(user: user, policy: "{}")
        defer { scene.remove() }
        for step in ["launch gate and watcher started", "state file written", "run directory made", "launch gate instructed", "placeholders made"] {
            let out = scene.base + "/kill.out", err = scene.base + "/kill.err"
            let process = try scene.process(["--", "/bin/true"], stdout: out, stderr: err)
            let warden = [process.executableURL!.path] + (process.arguments ?? [])
            process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            process.arguments = ["-c", Self.killAtStepScript, step] + warden
            try process.run()
            process.waitUntilExit()
            let said = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
            #expect(said == "killed\n", "\(user), \(step): \(said) \((try? String(contentsOfFile: err, encoding: .utf8)) ?? "")")
            let deadline = Date().addingTimeInterval(5)
            while !scene.leftovers().isEmpty && Date() < deadline {
                try await Task.sleep(nanoseconds: 50_000_000)
            }
            #expect(scene.leftovers() == [], "\(user), killed at \(step): left on the host: \(scene.leftovers())")
        }
    }

    /// Processes whose working directory is `directory` or below it: pid and command line.
    static func processes(in directory: String) -> [String] {
        var found: [String] = []
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where entry.allSatisfy(\.isNumber) {
            guard let cwd = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(entry)/cwd"),
                cwd == directory || cwd.hasPrefix(directory + "/") || cwd.hasPrefix(directory + " ")
            else { continue }
            found.append(entry)
        }
        return found
    }

    @Test("SIGKILL of warden: the sandbox dies with it and the placeholders are removed from the host", arguments: users)
    func sigkill(user: RunTestUser) throws {
        let scene = try RunScene(user: user, policy: "{}")
        defer { scene.remove() }
        let marker = "\(Int.random(in: 1000...9999)).25"
        let process = try scene.process(["--", "/bin/sleep", marker], stdout: scene.base + "/out", stderr: scene.base + "/err")
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        let placeholder = scene.project + "/.mcp.json"
        var waited = 0
        while !Self.running(marker) && waited < 100 {
            usleep(100_000)
            waited += 1
        }
        #expect(FileManager.default.fileExists(atPath: placeholder), "the placeholder exists while the session runs")
        #expect(Self.running(marker))
        // warden itself (as the unprivileged user, setpriv has exec'd into it: the same pid).
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        waited = 0
        while (Self.running(marker) || !scene.leftovers().isEmpty) && waited < 50 {
            usleep(100_000)
            waited += 1
        }
        #expect(!Self.running(marker), "the sandboxed command is gone")
        #expect(scene.leftovers() == [], "left on the host: \(scene.leftovers())")
    }

    /// Whether the sandboxed `sleep` itself runs (not `warden` or bwrap, whose command lines name it too).
    static func running(_ marker: String, program: String = "/bin/sleep") -> Bool {
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where entry.allSatisfy(\.isNumber) {
            if let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline"),
                String(decoding: data, as: UTF8.self).hasPrefix("\(program)\u{0}\(marker)")
            {
                return true
            }
        }
        return false
    }

    @Test("the clean-up watcher holds its two pipes and /dev/null, nothing of the terminal's or warden's", arguments: users)
    func watcherDescriptors(user: RunTestUser) throws {
        let scene = try RunScene(user: user, policy: "{}")
        defer { scene.remove() }
        let process = try scene.process(["--", "/bin/sleep", "1"], stdout: scene.base + "/out", stderr: scene.base + "/err")
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        var watcher: String?
        for _ in 0..<200 where watcher == nil {
            for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where entry.allSatisfy(\.isNumber) {
                // The gate has the same command line until it execs bwrap: the watcher is the one
                // whose parent is not warden (it is the gate's child).
                let line = String(decoding: FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") ?? Data(), as: UTF8.self)
                let stat = String(decoding: FileManager.default.contents(atPath: "/proc/\(entry)/stat") ?? Data(), as: UTF8.self)
                let parent = stat.split(separator: ")").last?.split(separator: " ").dropFirst(1).first
                if line.contains("--watch-cleanup\u{0}" + scene.home), let parent, parent != "\(process.processIdentifier)" { watcher = entry }
            }
            if watcher == nil { usleep(10_000) }
        }
        let pid = try #require(watcher, "\(user): no watcher found")
        var held: [String: String] = [:]
        for fd in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? [] {
            held[fd] = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)")) ?? "?"
        }
        #expect(Set(held.keys) == ["0", "1", "2", "3"], "\(user): \(held)")
        #expect(held["0"]?.hasPrefix("pipe:") == true && held["3"]?.hasPrefix("pipe:") == true, "\(user): \(held)")
        #expect(held["1"] == "/dev/null" && held["2"] == "/dev/null", "\(user): \(held)")
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(user): \((try? String(contentsOfFile: scene.base + "/err", encoding: .utf8)) ?? "")")
    }

    @Test("--dry-run prints the plan and starts nothing; --json is JSON")
    func dryRun() throws {
        let scene = try RunScene(user: .root, policy: runTestPolicy)
        defer { scene.remove() }
        let text = try scene.run(["--dry-run", "--", "/bin/true"])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("mask-directory  \(scene.home)/.ssh"))
        #expect(text.stdout.contains("why: deny rule Read(~/.ssh)"))
        #expect(text.stdout.contains("bwrap arguments (passed through --args FD)"))
        #expect(scene.leftovers() == [])
        let json = try scene.run(["--dry-run", "--json", "--", "/bin/true"])
        #expect(json.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect((object?["mounts"] as? [Any])?.isEmpty == false)
    }

    @Test("fails loudly, with the fix, when bwrap is missing")
    func noBubblewrap() throws {
        let scene = try RunScene(user: .root, policy: "{}")
        defer { scene.remove() }
        let result = try scene.run(["--", "/bin/true"], extra: ["PATH": "/nonexistent"])
        #expect(result.status == 1)
        #expect(result.stderr == "warden: cannot start the sandbox: bwrap is not installed; fix: apt-get install bubblewrap (Debian, Ubuntu) or dnf install bubblewrap (the policy's sandbox.failIfUnavailable is true)\n")
    }

    @Test("sandbox.failIfUnavailable: false runs the command unsandboxed, and says so")
    func unsandboxedWhenAllowed() throws {
        let scene = try RunScene(user: .root, policy: #"{"sandbox": {"failIfUnavailable": false}}"#)
        defer { scene.remove() }
        let result = try scene.run(["--", "/bin/sh", "-c", "echo ran; exit 3"], extra: ["PATH": "/nonexistent"])
        #expect(result.status == 3)
        #expect(result.stdout == "ran\n")
        #expect(result.stderr == "warden: cannot start the sandbox: bwrap is not installed; fix: apt-get install bubblewrap (Debian, Ubuntu) or dnf install bubblewrap; running UNSANDBOXED because the policy sets sandbox.failIfUnavailable to false\n")
    }

    @Test("the plain `run [--policy F] -- CMD` read without ArgumentParser, and every other form through it, answer as before")
    func plainInvocation() throws {
        let scene = try RunScene(user: .root, policy: "{}")
        defer { scene.remove() }
        let plain = try scene.run(["--", "/bin/sh", "-c", "echo \"$0 $1\"; exit 3", "a b", "--help"])
        #expect(plain.status == 3, "\(plain.stderr)")
        #expect(plain.stdout == "a b --help\n")
        let both = try scene.run(["--profile", "baseline", "--", "/bin/true"])
        #expect(both.status == 64)
        #expect(both.stderr == "warden: --policy and --profile exclude each other\n")
        let unknown = try scene.run(["--bogus", "--", "/bin/true"])
        #expect(unknown.status == 64, "\(unknown.stderr)")
        let noTerminator = try scene.run(["/bin/true"])
        #expect(noTerminator.status == 64, "\(noTerminator.stderr)")
    }

    @Test("the exit status of the command passes through, also for a signal")
    func exitStatus() throws {
        let scene = try RunScene(user: .root, policy: "{}")
        defer { scene.remove() }
        let success = try scene.run(["--", "/bin/sh", "-c", "exit 0"])
        #expect(success.status == 0, "\(success.stderr)")
        let failure = try scene.run(["--", "/bin/sh", "-c", "exit 42"])
        #expect(failure.status == 42, "\(failure.stderr)")
        let signalled = try scene.run(["--", "/bin/sh", "-c", "kill -TERM $$"])
        #expect(signalled.status == 128 + SIGTERM, "\(signalled.stderr)")
    }

    @Test("the command inherits no descriptor of warden's: not the proxies' listening sockets, not the event loop's epoll", arguments: users)
    func noInheritedDescriptors(user: RunTestUser) throws {
        // With a listed unix socket the supervisor's descriptor goes to init too: it must stop there.
        for policy in ["{}", #"{"sandbox": {"network": {"allowUnixSockets": ["/run/warden-test-none.sock"]}}}"#] {
            let scene = try RunScene(user: user, policy: policy)
            defer { scene.remove() }
            // The glob's own directory descriptor is closed by the time readlink runs: no target.
            let result = try scene.run(["--", "/bin/sh", "-c", #"for f in /proc/self/fd/*; do echo "${f##*/} $(readlink "$f")"; done"#])
            #expect(result.status == 0, "\(result.stderr)")
            let open = result.stdout.split(separator: "\n").filter { $0.contains(" ") && !$0.hasSuffix(" ") }
            #expect(open.map { $0.prefix { $0 != " " } }.sorted() == ["0", "1", "2"], "policy \(policy): \(open)")
            #expect(!result.stdout.contains("socket:") && !result.stdout.contains("anon_inode"), "policy \(policy): \(result.stdout)")
        }
    }
}

@Suite("two warden run sessions in one home", .serialized)
struct SharedPlaceholderTests {
    @Test("a placeholder both sessions mount over stays until the last one ends; the first to end cannot unprotect the other's path")
    func lastSessionRemovesSharedPlaceholders() async throws {
        let scene = try RunScene(user: .root, policy: "{}")
        defer { scene.remove() }
        let placeholder = scene.project + "/.mcp.json"
        // A: ends after 1 s. B: starts while A runs, writes .mcp.json after A has ended.
        let first = try scene.process(["--", "/bin/sleep", "1"], stdout: scene.base + "/a.out", stderr: scene.base + "/a.err")
        try first.run()
        var waited = 0
        while !FileManager.default.fileExists(atPath: placeholder) && waited < 100 {
            usleep(20_000)
            waited += 1
        }
        #expect(FileManager.default.fileExists(atPath: placeholder), "A made the placeholder")
        let script = #"sleep 2.5; echo '{"mcpServers":{"x":{}}}' > .mcp.json 2>/dev/null && echo mcp=written || echo mcp=refused"#
        let second = try scene.process(["--", "/bin/sh", "-c", script], stdout: scene.base + "/b.out", stderr: scene.base + "/b.err")
        try second.run()
        first.waitUntilExit()
        #expect(first.terminationStatus == 0, "\((try? String(contentsOfFile: scene.base + "/a.err", encoding: .utf8)) ?? "")")
        #expect(FileManager.default.fileExists(atPath: placeholder), "A's end keeps the placeholder B mounts over")
        second.waitUntilExit()
        let out = (try? String(contentsOfFile: scene.base + "/b.out", encoding: .utf8)) ?? ""
        #expect(second.terminationStatus == 0, "\((try? String(contentsOfFile: scene.base + "/b.err", encoding: .utf8)) ?? "")")
        #expect(out == "mcp=refused\n")
        #expect(scene.placeholderLeftovers() == [], "left on the host after both: \(scene.placeholderLeftovers())")
        let left = await scene.leftoversOnceWatched()
        #expect(left == [], "left on the host after both: \(left)")
    }

    /// Two loops of sessions in one project, side by side: each start overlaps another's end.
    static let sideBySideScript = #"""
rounds=$1; shift
loop() {
    for i in $(seq "$rounds"); do
        "$@" -- /bin/true >/dev/null 2>>"$ERRORS" || echo failed >>"$FAILURES"
    done
}
loop "$@" & loop "$@" & wait
"""#

    @Test("sessions of one project that start while another ends all start: another's placeholders are planned as absent and shared under the lock")
    func sideBySide() async throws {
        let scene = try RunScene(user: .root, policy: "{}")
        defer { scene.remove() }
        let out = scene.base + "/loops.out", err = scene.base + "/loops.err"
        let process = try scene.process([], stdout: out, stderr: err)
        let warden = [process.executableURL!.path] + (process.arguments ?? [])
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", Self.sideBySideScript, "bash", "40"] + warden
        process.environment?["ERRORS"] = scene.base + "/errors"
        process.environment?["FAILURES"] = scene.base + "/failures"
        try process.run()
        process.waitUntilExit()
        let failures = (try? String(contentsOfFile: scene.base + "/failures", encoding: .utf8)) ?? ""
        let errors = (try? String(contentsOfFile: scene.base + "/errors", encoding: .utf8)) ?? ""
        #expect(failures.isEmpty, "\(failures.split(separator: "\n").count) of 80 starts failed: \(errors.split(separator: "\n").prefix(3))")
        let left = await scene.leftoversOnceWatched()
        #expect(left == [], "left on the host: \(left)")
    }
}

@Suite("warden run refuses a project that is no project")
struct ProjectRefusalProcessTests {
    @Test("started in / it refuses with one line and runs nothing")
    func rootDirectory() throws {
        let policy = NSTemporaryDirectory() + "/warden-refusal-\(UUID().uuidString).json"
        try "{}".write(toFile: policy, atomically: false, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: policy) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: RunSandboxTests.warden)
        process.arguments = ["run", "--policy", policy, "--", "/bin/sh", "-c", "echo ran"]
        process.currentDirectoryURL = URL(fileURLWithPath: "/")
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let out = output.fileHandleForReading.readDataToEndOfFile(), err = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 1)
        #expect(String(decoding: out, as: UTF8.self) == "")
        #expect(String(decoding: err, as: UTF8.self) == "warden: cannot start the sandbox: the project would be / (the whole file system): every command could rewrite the system; fix: start warden run in a project directory (a git repository, or a directory of its own)\n")
    }
}
