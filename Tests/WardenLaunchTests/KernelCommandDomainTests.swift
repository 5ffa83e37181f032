// `warden-hook --run` (Claude Code's shell prefix) puts each command in a nested Landlock domain:
// the command cannot open its ancestor's /proc/PID/mem for writing nor signal it, while the same
// command started without the prefix can. On the host and inside the sandbox, as root and as an
// unprivileged user.
import Foundation
import Testing
import WardenSandbox

@Suite(.serialized) struct KernelCommandDomainTests {
    static var hook: String { builtProduct("warden-hook", override: "WARDEN_HOOK_BIN") }

    /// The stand-in for Claude Code: runs the probe through the prefix and without it.
    static func parentScript(_ scratch: Scratch) throws -> String {
        let probe = try scratch.write("tamper.py", """
            import os
            pid = int(os.environ["TARGET_PID"])
            def memory(mode):
                try:
                    open("/proc/%d/mem" % pid, mode).close(); return "ok"
                except OSError as error:
                    return "errno %d" % error.errno
            def signal():
                try:
                    os.kill(pid, 0); return "ok"
                except OSError as error:
                    return "errno %d" % error.errno
            print(memory("r+b"), memory("rb"), signal())
            """)
        return try scratch.write("parent.py", """
            import os, subprocess
            environment = dict(os.environ, TARGET_PID=str(os.getpid()), SHELL="/bin/bash", XDG_STATE_HOME="\(scratch.path)/state")
            environment.pop("CLAUDE_CODE_SHELL", None)
            command = "\(Sandbox.python) \(probe)"
            prefixed = subprocess.run(["\(hook)", "--run", command], env=environment, capture_output=True, text=True)
            plain = subprocess.run(["/bin/bash", "-c", command], env=environment, capture_output=True, text=True)
            print(prefixed.stdout.strip() + prefixed.stderr.strip(), "|", plain.stdout.strip() + plain.stderr.strip())
            """)
    }

    /// Through the prefix: EACCES opening /proc/PID/mem for writing and for reading (both are
    /// ptrace-class access), EPERM for a signal where Landlock scopes signals (ABI 6).
    static var refused: String { Sandbox.kernelLandlockABI >= 6 ? "errno 13 errno 13 errno 1" : "errno 13 errno 13 ok" }

    @Test func onTheHost() async throws {
        try #require(Sandbox.kernelLandlockABI >= 1, "this kernel has Landlock")
        for user in SandboxUser.available {
            let scratch = try Scratch(for: user)
            defer { scratch.remove() }
            let parent = try Self.parentScript(scratch)
            let command = try user.wrap([Sandbox.python, parent])
            let process = Process()
            process.executableURL = URL(fileURLWithPath: command[0])
            process.arguments = Array(command.dropFirst())
            process.environment = ["PATH": "/usr/bin:/bin"]
            process.currentDirectoryURL = URL(fileURLWithPath: scratch.path)
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            let answer = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(answer == Self.refused + " | ok ok ok", "\(user)")
        }
    }

    @Test func insideTheSandbox() async throws {
        try #require(Sandbox.kernelLandlockABI >= 1, "this kernel has Landlock")
        for user in SandboxUser.available {
            let scratch = try Scratch(for: user)
            defer { scratch.remove() }
            let parent = try Self.parentScript(scratch)
            let result = try await Sandbox.run(Sandbox.spec(scratch, command: [Sandbox.python, parent]), in: scratch, as: user)
            // Without the prefix, inside the sandbox, writing another process's memory is already
            // refused by the sandbox's Landlock file rules (/proc is not a writable root); reading
            // it is what only the command's own domain refuses.
            #expect(result.answer == Self.refused + " | errno 13 ok ok", "\(user): \(result)")
        }
    }
}
