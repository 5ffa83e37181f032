// Landlock inside the real bwrap, as root and as an unprivileged user: writes only below the
// writable roots, abstract unix sockets and signals scoped to the sandbox's domain (ABI ≥ 6).
import Foundation
import Testing
import WardenSandbox

@Suite(.serialized) struct KernelLandlockTests {
    /// Writing: the scratch directory is a writable root; /tmp is a writable tmpfs for the mounts
    /// but not for Landlock, so a write there is the second wall at work.
    @Test func writesOnlyBelowTheWritableRoots() async throws {
        try #require(Sandbox.kernelLandlockABI >= 1, "this kernel has Landlock")
        let probe = """
            def attempt(path):
                try:
                    with open(path, "w") as f: f.write("x")
                    return "ok"
                except OSError as error:
                    return "errno %d" % error.errno
            def make_directory(path):
                try:
                    os.mkdir(path); return "ok"
                except OSError as error:
                    return "errno %d" % error.errno
            readable = "ok" if open("/etc/hostname").read() is not None else "no"
            print(readable, attempt(os.getcwd() + "/inside"), attempt("/tmp/outside"), make_directory("/tmp/d"), attempt("/dev/null"))
            """
        for user in SandboxUser.available {
            let walled = try await Sandbox.probe(probe, as: user)
            #expect(walled.answer == "ok ok errno 13 errno 13 ok", "\(user): \(walled)")
            let mountsOnly = try await Sandbox.probe(probe, as: user, landlock: false)
            #expect(mountsOnly.answer == "ok ok ok ok ok", "\(user) without Landlock: \(mountsOnly)")
        }
    }

    /// An abstract unix socket made outside the sandbox's Landlock domain (by the shell that runs
    /// before init) cannot be connected to; one made inside can.
    @Test func abstractUnixSocketsOutsideTheDomainAreRefused() async throws {
        try #require(Sandbox.kernelLandlockABI >= 6, "this kernel scopes abstract unix sockets")
        let server = "import socket, time; s = socket.socket(socket.AF_UNIX); s.bind('\\\\0warden-outside'); s.listen(); time.sleep(30)"
        let probe = """
            import time
            inside = socket.socket(socket.AF_UNIX); inside.bind("\\0warden-inside"); inside.listen()
            def connect(name):
                for attempt in range(50):
                    try:
                        socket.socket(socket.AF_UNIX).connect("\\0" + name); return "ok"
                    except ConnectionRefusedError:
                        time.sleep(0.05)
                    except OSError as error:
                        return "errno %d" % error.errno
                return "never listening"
            print(connect("warden-inside"), connect("warden-outside"))
            """
        let unixAllowed = SeccompProfile.agent(allowUnixSocketPaths: [], allowAllUnixSockets: true)
        for user in SandboxUser.available {
            let result = try await Sandbox.probe(probe, as: user, seccomp: unixAllowed, beforeInit: "\(Sandbox.python) -c \"\(server)\" &")
            #expect(result.answer == "ok errno 1", "\(user): \(result)")
            let unscoped = try await Sandbox.probe(probe, as: user, seccomp: unixAllowed, landlock: false, beforeInit: "\(Sandbox.python) -c \"\(server)\" &")
            #expect(unscoped.answer == "ok ok", "\(user) without Landlock: \(unscoped)")
        }
    }

    /// A process outside the domain (started before init) cannot be signalled; a child can.
    @Test func signalsToProcessesOutsideTheDomainAreRefused() async throws {
        try #require(Sandbox.kernelLandlockABI >= 6, "this kernel scopes signals")
        let probe = """
            import signal
            outside = int(os.environ["OUTSIDE_PID"])
            child = os.fork()
            if child == 0:
                signal.pause()
            def send(pid):
                try:
                    os.kill(pid, signal.SIGTERM); return "ok"
                except OSError as error:
                    return "errno %d" % error.errno
            print(send(child), send(outside))
            """
        for user in SandboxUser.available {
            let result = try await Sandbox.probe(probe, as: user, beforeInit: "sleep 30 & export OUTSIDE_PID=$!")
            #expect(result.answer == "ok errno 1", "\(user): \(result)")
            let unscoped = try await Sandbox.probe(probe, as: user, landlock: false, beforeInit: "sleep 30 & export OUTSIDE_PID=$!")
            #expect(unscoped.answer == "ok ok", "\(user) without Landlock: \(unscoped)")
        }
    }

    /// A profile for a newer ABI than the kernel's is refused, not weakened.
    @Test func aProfileForANewerABIIsRefused() async throws {
        try #require(Sandbox.kernelLandlockABI >= 1)
        for user in SandboxUser.available {
            let scratch = try Scratch(for: user)
            defer { scratch.remove() }
            var spec = Sandbox.spec(scratch, command: ["/bin/echo", "ran"])
            spec.landlock?.abi = 99
            let result = try await Sandbox.run(spec, in: scratch, as: user)
            #expect(result.exitCode == 126, "\(user): \(result)")
            #expect(result.stdout.isEmpty)
            #expect(result.stderr == "warden-sandbox-init: landlock: the kernel has ABI \(Sandbox.kernelLandlockABI), the plan was made for ABI 99\n", "\(user): \(result)")
        }
    }
}
