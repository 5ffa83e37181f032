import Foundation
import Testing

// `warden run` under a real terminal (tmux), as root and as an unprivileged user: the command
// sees the terminal's size, a resize arrives as SIGWINCH, Ctrl-C arrives (as a key in raw mode,
// as SIGINT in cooked mode), Ctrl-Z stops the job the way the shell shows and `fg` continues it,
// the exit status comes back and nothing is left running.

/// A small TUI: raw mode, one line per event; Ctrl-Z does what Claude Code does (give the terminal
/// back, then SIGTSTP to its own process group).
private let terminalProbe = #"""
import os, signal, sys, termios, tty
def size():
    columns, rows = os.get_terminal_size(1)
    return "%dx%d" % (columns, rows)
def say(text):
    sys.stdout.write(text + "\r\n"); sys.stdout.flush()
signal.signal(signal.SIGWINCH, lambda *_: say("winch=" + size()))
signal.signal(signal.SIGCONT, lambda *_: say("resumed"))
saved = termios.tcgetattr(0)
tty.setraw(0)
say("ready size=" + size())
try:
    while True:
        key = os.read(0, 1)
        if key == b"q": break
        if key == b"\x03": say("ctrl-c-key")
        if key == b"\x1a":
            termios.tcsetattr(0, termios.TCSADRAIN, saved)
            say("suspending")
            os.kill(0, signal.SIGTSTP)
            tty.setraw(0)
            say("after-suspend")
finally:
    termios.tcsetattr(0, termios.TCSADRAIN, saved)
sys.exit(3)
"""#

/// A tmux server of its own (`-L`), run as the scene's user.
private struct Terminal {
    let scene: RunScene
    let socket = "warden-test-\(UUID().uuidString.prefix(8))"

    /// Runs tmux with posix_spawn and waits for it with waitpid (Foundation's Process did not
    /// notice the exit of the client whose server it had just started). Its output goes to a
    /// file, read when `capture` is set: the server `new-session` starts would hold a pipe open.
    @discardableResult
    func tmux(_ arguments: [String], capture: Bool = false) throws -> String {
        var command = ["/usr/bin/tmux", "-L", socket] + arguments
        if scene.user == .unprivileged {
            command = ["/usr/bin/setpriv", "--reuid=\(scene.uid)", "--regid=\(scene.gid)", "--init-groups", "--"] + command
        }
        let environment = ["HOME=\(scene.home)", "PATH=/usr/local/bin:/usr/bin:/bin", "TERM=xterm-256color", "TMUX_TMPDIR=\(scene.base)"]
        let outputPath = scene.base + "/tmux-output"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, capture ? outputPath : "/dev/null", capture ? O_WRONLY | O_CREAT | O_TRUNC : O_WRONLY, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        _ = closeFromInChild(&actions, 3)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The test runner blocks some signals; tmux and the shells it starts get none blocked.
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        let argv: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, command[0], &actions, &attributes, argv, envp) == 0 else {
            throw RunTestFailure("cannot start \(command[0])")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return capture ? ((try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "") : ""
    }

    func start() throws {
        // tmux's socket directory (TMUX_TMPDIR) is the scene's, so the scene's user must own it.
        try RunScene.shell("chown -R \(scene.uid):\(scene.gid) \(scene.base)")
        _ = try tmux(["new-session", "-d", "-s", "t", "-x", "80", "-y", "24", "env -i HOME=\(scene.home) PATH=/usr/local/bin:/usr/bin:/bin TERM=xterm-256color XDG_STATE_HOME=\(scene.home)/.local/state /bin/bash --norc --noprofile"])
    }

    func type(_ keys: String...) throws { _ = try tmux(["send-keys", "-t", "t"] + keys) }

    func screen() -> String { (try? tmux(["capture-pane", "-p", "-J", "-t", "t", "-S", "-200"], capture: true)) ?? "" }

    /// Waits up to 15 s for `text` on the screen.
    /// Sleeps without holding a thread: the test runner's few threads run the other suites.
    func waitFor(_ text: String) async throws -> Bool {
        for _ in 0..<150 {
            if screen().contains(text) { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    func stop() { _ = try? tmux(["kill-server"]) }
}

@Suite("warden run under a real terminal", .serialized)
struct RunTerminalTests {
    @Test("raw-mode TUI: size, resize, Ctrl-C as a key, Ctrl-Z and fg, exit status", arguments: RunSandboxTests.users)
    func tui(user: RunTestUser) async throws {
        let scene = try RunScene(user: user, policy: "{}")
        defer { scene.remove() }
        let probe = scene.project + "/probe.py"
        try terminalProbe.write(toFile: probe, atomically: false, encoding: .utf8)
        try RunScene.shell("chmod 644 \(probe)")
        let terminal = Terminal(scene: scene)
        try terminal.start()
        defer { terminal.stop() }
        try terminal.type("cd \(scene.project) && \(RunSandboxTests.warden) run --policy \(scene.policy) -- /usr/bin/python3 \(probe)", "Enter")
        #expect(try await terminal.waitFor("ready size=80x24"), "\(terminal.screen())")
        _ = try terminal.tmux(["resize-window", "-t", "t", "-x", "100", "-y", "30"])
        #expect(try await terminal.waitFor("winch=100x30"), "\(terminal.screen())")
        try terminal.type("C-c")
        #expect(try await terminal.waitFor("ctrl-c-key"), "\(terminal.screen())")
        try terminal.type("C-z")
        #expect(try await terminal.waitFor("Stopped"), "Ctrl-Z: the shell shows the job stopped: \(terminal.screen())")
        try terminal.type("fg", "Enter")
        #expect(try await terminal.waitFor("after-suspend"), "\(terminal.screen())")
        #expect(terminal.screen().contains("resumed"))
        try terminal.type("q")
        try terminal.type("echo status=$?", "Enter")
        #expect(try await terminal.waitFor("status=3"), "\(terminal.screen())")
        #expect(!RunSandboxTests.running(probe, program: "/usr/bin/python3"))
    }

    @Test("cooked mode: Ctrl-C is SIGINT to the command, Ctrl-Z stops the job, fg continues it", arguments: RunSandboxTests.users)
    func cooked(user: RunTestUser) async throws {
        let scene = try RunScene(user: user, policy: "{}")
        defer { scene.remove() }
        let terminal = Terminal(scene: scene)
        try terminal.start()
        defer { terminal.stop() }
        // What it prints is computed, so the typed command line itself never matches a wait.
        let script = #"trap 'echo got-\$((2+3)); exit 5' INT; echo ready-\$((1+1)); while :; do sleep 0.1; done"#
        try terminal.type("cd \(scene.project) && \(RunSandboxTests.warden) run --policy \(scene.policy) -- /bin/sh -c \"\(script)\"", "Enter")
        #expect(try await terminal.waitFor("ready-2"), "\(terminal.screen())")
        try terminal.type("C-z")
        #expect(try await terminal.waitFor("Stopped"), "\(terminal.screen())")
        try terminal.type("fg", "Enter")
        try await Task.sleep(for: .milliseconds(300))
        try terminal.type("C-c")
        #expect(try await terminal.waitFor("got-5"), "\(terminal.screen())")
        try terminal.type("echo status=$?", "Enter")
        #expect(try await terminal.waitFor("status=5"), "\(terminal.screen())")
    }
}

/// glibc's `posix_spawn_file_actions_addclosefrom_np`, not imported by Swift's Glibc module. The
/// test process holds SwiftNIO sockets without close-on-exec (other tests' proxies); a long-lived
/// child such as a tmux server would otherwise keep their ports bound after those tests end.
@_silgen_name("posix_spawn_file_actions_addclosefrom_np")
private func closeFromInChild(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ from: Int32) -> Int32
