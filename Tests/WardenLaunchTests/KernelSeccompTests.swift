// Every entry of SeccompProfile.agent, inside the real bwrap with the built warden-sandbox-init, as
// root and as an unprivileged user. Each call runs twice: under the agent's filter (the documented
// errno), and under the same filter with every errno replaced by a marker (EAFNOSUPPORT), which
// proves the rule itself refuses the call: many of these calls fail inside bwrap anyway (no
// capabilities), with the very same EPERM.
import Foundation
import Testing
import WardenSandbox

struct SeccompEntry: Sendable, CustomTestStringConvertible {
    var name: String
    /// Python statements; the last prints the answer (`call(...)` gives "ok" or "errno N").
    var probe: String
    /// What the agent's filter gives.
    var expected: String
    /// What the marked filter gives: the marker when a rule refuses, else the same as `expected`.
    var marked: String
    var testDescription: String { name }

    static func refused(_ name: String, _ probe: String, errno: Int = 1) -> SeccompEntry {
        SeccompEntry(name: name, probe: probe, expected: "errno \(errno)", marked: "errno 97")
    }
    static func allowed(_ name: String, _ probe: String) -> SeccompEntry {
        SeccompEntry(name: name, probe: probe, expected: "ok", marked: "ok")
    }

    static let pty = "import pty\nmaster, slave = pty.openpty()\nbyte = ctypes.c_char(b'x')\n"

    // x86_64 system call numbers.
    static let all: [SeccompEntry] = [
        refused("socket(AF_UNIX)", "print(call(41, 1, 1, 0))"),
        refused("socket(AF_UNIX | 1<<32): the 64-bit register is masked", "print(call(41, 1 | (1 << 32), 1, 0))"),
        refused("socketpair(AF_UNIX, SOCK_DGRAM)", "sv = (ctypes.c_int * 2)()\nprint(call(53, 1, 2, 0, ctypes.addressof(sv)))"),
        refused("socketpair(AF_UNIX, SOCK_SEQPACKET|SOCK_CLOEXEC)", "sv = (ctypes.c_int * 2)()\nprint(call(53, 1, 5 | 0x80000, 0, ctypes.addressof(sv)))"),
        allowed("socketpair(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC) stays allowed", "sv = (ctypes.c_int * 2)()\nprint(call(53, 1, 1 | 0x80000, 0, ctypes.addressof(sv)))"),
        allowed("socket(AF_INET, SOCK_STREAM) stays allowed", "print(call(41, 2, 1, 0))"),
        refused("socket(AF_NETLINK)", "print(call(41, 16, 3, 0))"),
        refused("socket(AF_PACKET)", "print(call(41, 17, 3, 0))"),
        refused("socket(AF_INET, SOCK_RAW)", "print(call(41, 2, 3, 1))"),
        refused("socket(AF_INET6, SOCK_RAW|SOCK_NONBLOCK)", "print(call(41, 10, 3 | 0x800, 58))"),
        refused("io_uring_setup", "print(call(425, 1, 0))"),
        refused("io_uring_enter", "print(call(426, 0, 0, 0, 0, 0, 0))"),
        refused("io_uring_register", "print(call(427, 0, 0, 0, 0))"),
        refused("ptrace(PTRACE_TRACEME)", "print(call(101, 0, 0, 0, 0))"),
        refused("process_vm_readv", "print(call(310, os.getppid(), 0, 0, 0, 0, 0))"),
        refused("process_vm_writev", "print(call(311, os.getppid(), 0, 0, 0, 0, 0))"),
        refused("mount", "print(call(165, 0, 0, 0, 0, 0))"),
        refused("umount2", "print(call(166, 0, 0))"),
        refused("fsopen", "print(call(430, 0, 0))"),
        refused("fsconfig", "print(call(431, 0, 0, 0, 0, 0))"),
        refused("fsmount", "print(call(432, 0, 0, 0))"),
        refused("fspick", "print(call(433, 0, 0, 0))"),
        refused("move_mount", "print(call(429, 0, 0, 0, 0, 0))"),
        refused("open_tree", "print(call(428, 0, 0, 0))"),
        refused("mount_setattr", "print(call(442, 0, 0, 0, 0, 0))"),
        refused("pivot_root", "print(call(155, 0, 0))"),
        refused("setns", "print(call(308, 0, 0))"),
        refused("unshare(CLONE_NEWUSER)", "print(call(272, 0x10000000))"),
        refused("unshare(CLONE_NEWNS)", "print(call(272, 0x00020000))"),
        refused("unshare(CLONE_NEWNET|CLONE_FILES)", "print(call(272, 0x40000000 | 0x400))"),
        refused("unshare(CLONE_NEWPID)", "print(call(272, 0x20000000))"),
        refused("unshare(CLONE_NEWIPC)", "print(call(272, 0x08000000))"),
        refused("unshare(CLONE_NEWUTS)", "print(call(272, 0x04000000))"),
        refused("unshare(CLONE_NEWCGROUP)", "print(call(272, 0x02000000))"),
        refused("unshare(CLONE_NEWTIME)", "print(call(272, 0x80))"),
        allowed("unshare(CLONE_FILES) stays allowed", "print(call(272, 0x400))"),
        refused("clone(CLONE_NEWUSER|SIGCHLD)", "print(call(56, 0x10000000 | 17, 0, 0, 0, 0))"),
        refused("clone(CLONE_NEWNET|SIGCHLD)", "print(call(56, 0x40000000 | 17, 0, 0, 0, 0))"),
        refused("clone(CLONE_NEWNS|SIGCHLD)", "print(call(56, 0x00020000 | 17, 0, 0, 0, 0))"),
        refused("clone(CLONE_NEWPID|SIGCHLD)", "print(call(56, 0x20000000 | 17, 0, 0, 0, 0))"),
        // clone3 keeps ENOSYS in the marked filter too (glibc's threads need the fallback); without
        // the filter clone3(NULL, 0) fails with EINVAL, so ENOSYS is the rule's.
        SeccompEntry(name: "clone3 gives ENOSYS", probe: "print(call(435, 0, 0))", expected: "errno 38", marked: "errno 38"),
        allowed("fork and threads still work (libc falls back from clone3)", """
            import threading
            pid = os.fork()
            if pid == 0: os._exit(7)
            _, status = os.waitpid(pid, 0)
            box = []
            thread = threading.Thread(target=lambda: box.append(1)); thread.start(); thread.join()
            print("ok" if os.WEXITSTATUS(status) == 7 and box == [1] else "broken")
            """),
        refused("keyctl", "print(call(250, 0, 0, 0, 0, 0))"),
        refused("add_key", "print(call(248, 0, 0, 0, 0, 0))"),
        refused("request_key", "print(call(249, 0, 0, 0, 0))"),
        refused("bpf", "print(call(321, 0, 0, 0))"),
        refused("perf_event_open", "print(call(298, 0, 0, -1, -1, 0))"),
        refused("userfaultfd", "print(call(323, 0))"),
        refused("kexec_load", "print(call(246, 0, 0, 0, 0))"),
        refused("kexec_file_load", "print(call(320, -1, -1, 0, 0, 0))"),
        refused("init_module", "print(call(175, 0, 0, 0))"),
        refused("finit_module", "print(call(313, -1, 0, 0))"),
        refused("delete_module", "print(call(176, 0, 0))"),
        refused("ioctl(TIOCSTI)", pty + "print(call(16, slave, 0x5412, ctypes.addressof(byte)))"),
        refused("ioctl(TIOCSTI | 1<<32): the request is masked to 32 bits", pty + "print(call(16, slave, 0x5412 | (1 << 32), ctypes.addressof(byte)))"),
        refused("ioctl(TIOCLINUX)", pty + "print(call(16, slave, 0x541C, ctypes.addressof(byte)))"),
        allowed("ioctl(TIOCGWINSZ) stays allowed", pty + "size = (ctypes.c_ushort * 4)()\nprint(call(16, slave, 0x5413, ctypes.addressof(size)))"),
    ]

    /// The agent's filter with every EPERM replaced by EAFNOSUPPORT, foreign architectures too.
    static let markedProfile: SeccompProfile = {
        var profile = SeccompProfile.agent(allowUnixSocketPaths: [], allowAllUnixSockets: false)
        for index in profile.rules.indices where profile.rules[index].action == .errno(.EPERM) {
            profile.rules[index].action = .errno(.EAFNOSUPPORT)
        }
        profile.foreignArchitectures = .errno(.EAFNOSUPPORT)
        return profile
    }()
}

@Suite(.serialized) struct KernelSeccompTests {
    @Test(arguments: SeccompEntry.all)
    func agentFilterEntry(_ entry: SeccompEntry) async throws {
        for user in SandboxUser.available {
            let agent = try await Sandbox.probe(entry.probe, as: user)
            #expect(agent.answer == entry.expected, "\(user) agent filter: \(agent)")
            let marked = try await Sandbox.probe(entry.probe, as: user, seccomp: SeccompEntry.markedProfile)
            #expect(marked.answer == entry.marked, "\(user) marked filter: \(marked)")
        }
    }

    /// TIOCSTI under a real pty that is the probe's controlling terminal: without the filter the
    /// byte is typed (this kernel has legacy_tiocsti = 1), with it the call fails with EPERM.
    @Test func tiocstiCannotTypeIntoAControllingTerminal() async throws {
        let probe = """
            import pty, fcntl, termios, tty as terminal
            master, slave = pty.openpty()
            terminal.setraw(slave)
            name = os.ttyname(slave)
            pid = os.fork()
            if pid == 0:
                os.setsid()
                controlling = os.open(name, os.O_RDWR)  # the new session's controlling terminal
                try:
                    fcntl.ioctl(controlling, termios.TIOCSTI, b"Z")
                    os._exit(0)
                except OSError as error:
                    os._exit(error.errno)
            _, status = os.waitpid(pid, 0)
            code = os.WEXITSTATUS(status)
            if code == 0:
                os.set_blocking(slave, False)
                typed = os.read(slave, 100)
                print("typed" if typed == b"Z" else "not typed: %r" % typed)
            else:
                print("errno %d" % code)
            """
        for user in SandboxUser.available {
            let filtered = try await Sandbox.probe(probe, as: user)
            #expect(filtered.answer == "errno 1", "\(user): \(filtered)")
            let unfiltered = try await Sandbox.probe(probe, as: user, seccomp: SeccompProfile(rules: []))
            #expect(unfiltered.answer == "typed", "\(user) without the filter: \(unfiltered)")
        }
    }

    /// A C probe: socketcall through i386's `int 0x80`, and socket with the x32 bit. Under the
    /// agent's filter the process is killed by SIGSYS; under the marked filter the foreign call
    /// returns the marker, which shows the bad-architecture action is what stops it.
    @Test(arguments: ["i386-socketcall", "x32-socket"])
    func foreignArchitectureIsKilled(_ kind: String) async throws {
        let source = """
            #include <stdio.h>
            static unsigned int args[3] = {1, 1, 0}; /* AF_UNIX, SOCK_STREAM, 0: below 4 GiB (-no-pie) */
            int main(int argc, char **argv) {
                long result;
                if (argv[1][0] == 'i')
                    __asm__ volatile ("int $0x80" : "=a"(result) : "a"(102L), "b"(1L), "c"(args) : "memory");
                else
                    __asm__ volatile ("syscall" : "=a"(result) : "a"(0x40000000L | 41), "D"(1L), "S"(1L), "d"(0L) : "rcx", "r11", "memory");
                printf("returned %ld\\n", result);
                return 0;
            }
            """
        for user in SandboxUser.available {
            let scratch = try Scratch(for: user)
            defer { scratch.remove() }
            let file = try scratch.write("foreign.c", source)
            let binary = scratch.path + "/foreign"
            #expect(Process.runQuiet("/usr/bin/cc", ["-O1", "-no-pie", "-o", binary, file]))
            chown(binary, user.uid, user.gid)
            let killed = try await Sandbox.run(Sandbox.spec(scratch, command: [binary, kind]), in: scratch, as: user)
            #expect(!killed.stdout.contains("returned"), "\(user): \(killed)")
            #expect(killed.exitCode.map(Int.init) == 159, "\(user): killed by SIGSYS (bwrap exits with 128 + the signal): \(killed)")
            let marked = try await Sandbox.run(Sandbox.spec(scratch, command: [binary, kind], seccomp: SeccompEntry.markedProfile), in: scratch, as: user)
            #expect(marked.answer == "returned -97", "\(user): \(marked)")
        }
    }
}
