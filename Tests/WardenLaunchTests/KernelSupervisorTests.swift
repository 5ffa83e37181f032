import Foundation
import Testing
import WardenSandbox

// Init's half of the unix socket supervisor in the real sandbox, as root and as the unprivileged
// test user: without the inherited channel init refuses to run the command, and once the listener
// is gone (the supervisor died) every notified call fails with ENOSYS, never passing unchecked.

/// Stands in for `warden run`: hands init a channel on descriptor 5, and a child that receives
/// the listener and closes it at once, as a supervisor that died would.
private let deadSupervisor = #"""
import os, socket, sys
spec, init = sys.argv[1], sys.argv[2]
ours, theirs = socket.socketpair()
if os.fork() == 0:
    ours.close()
    message, fds, flags, address = socket.recv_fds(theirs, 1, 1)
    for fd in fds:
        os.close(fd)
    os._exit(0)
theirs.close()
os.dup2(ours.fileno(), 5)
os.execv(init, [init, "--spec", spec])
"""#

@Suite("The unix socket supervisor's channel, in the real sandbox", .serialized)
struct KernelSupervisorTests {
    static let supervised = SeccompProfile.agent(allowUnixSocketPaths: ["/nonexistent/listed.sock"], allowAllUnixSockets: false)

    @Test func withoutTheChannelInitRefuses() async throws {
        for user in SandboxUser.available {
            let scratch = try Scratch(for: user)
            defer { scratch.remove() }
            var spec = Sandbox.spec(scratch, command: ["/bin/echo", "ran"], seccomp: Self.supervised)
            spec.supervisorDescriptor = 5
            let result = try await Sandbox.run(spec, in: scratch, as: user)
            #expect(result.exitCode == 126, "\(user): \(result)")
            #expect(result.stdout.isEmpty)
            #expect(result.stderr == "warden-sandbox-init: supervisor: descriptor 5 is not the socket warden run passes (was init started by warden run?)\n", "\(user): \(result)")
        }
    }

    @Test func aDeadSupervisorMakesEveryConnectFailWithENOSYS() async throws {
        let probe = """
            import time
            time.sleep(0.3)
            def attempt(family, address):
                s = socket.socket(family, socket.SOCK_STREAM)
                try:
                    s.connect(address); return "connected"
                except OSError as error:
                    return "errno %d" % error.errno
            print(attempt(socket.AF_UNIX, "/nonexistent/listed.sock"), attempt(socket.AF_INET, ("127.0.0.1", 9)))
            """
        for user in SandboxUser.available {
            let scratch = try Scratch(for: user)
            defer { scratch.remove() }
            let script = try scratch.write("probe.py", Sandbox.preamble + probe)
            let wrapper = try scratch.write("dead-supervisor.py", deadSupervisor)
            var spec = Sandbox.spec(scratch, command: [Sandbox.python, script], seccomp: Self.supervised)
            spec.supervisorDescriptor = 5
            let specFile = try scratch.write("spec.json", spec.json())
            let result = try await Sandbox.runRaw(
                specFile: specFile, in: scratch, as: user,
                beforeInit: "exec \(Sandbox.python) \(wrapper) \(specFile) \(Sandbox.initBinary)")
            #expect(result.answer == "errno 38 errno 38", "\(user): \(result)")
        }
    }

    /// The supervised profile's own rules, each in the real sandbox: stream AF_UNIX sockets may
    /// be made, datagram and seqpacket ones not; no filter with a listener of its own (EPERM
    /// before the kernel reads the null program; without the flag the kernel's EFAULT shows the
    /// call got through).
    @Test func theSupervisedProfilesRules() async throws {
        #if arch(x86_64)
        let seccompNumber = 317
        #else
        let seccompNumber = 277
        #endif
        let probe = """
            def make(kind):
                try:
                    socket.socket(socket.AF_UNIX, kind).close(); return "ok"
                except OSError as error:
                    return "errno %d" % error.errno
            print(make(socket.SOCK_STREAM), make(socket.SOCK_DGRAM), make(socket.SOCK_SEQPACKET),
                  call(\(seccompNumber), 1, 8, 0), call(\(seccompNumber), 1, 0, 0))
            """
        for user in SandboxUser.available {
            let scratch = try Scratch(for: user)
            defer { scratch.remove() }
            let script = try scratch.write("probe.py", Sandbox.preamble + probe)
            let wrapper = try scratch.write("dead-supervisor.py", deadSupervisor)
            var spec = Sandbox.spec(scratch, command: [Sandbox.python, script], seccomp: Self.supervised)
            spec.supervisorDescriptor = 5
            let specFile = try scratch.write("spec.json", spec.json())
            let result = try await Sandbox.runRaw(
                specFile: specFile, in: scratch, as: user,
                beforeInit: "exec \(Sandbox.python) \(wrapper) \(specFile) \(Sandbox.initBinary)")
            #expect(result.answer == "ok errno 1 errno 1 errno 1 errno 14", "\(user): \(result)")
        }
    }
}
