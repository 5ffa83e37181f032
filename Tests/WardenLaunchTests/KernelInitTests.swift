// warden-sandbox-init inside the real bwrap, as root and as an unprivileged user: limits,
// privileges, the forwarders, and refusals (exit 126, one line, the command never runs).
import Foundation
import Testing
import WardenSandbox

@Suite(.serialized) struct KernelInitTests {
    /// A fork bomb that stops itself at 400 processes: held by RLIMIT_NPROC well before that.
    /// The kernel never applies RLIMIT_NPROC to the real root user (kernel/fork.c exempts
    /// INIT_USER), so as root the bomb is only held by its own bound: for a root session the
    /// launcher needs the cgroup's pids.max (see README).
    @Test func forkBombIsHeldByTheProcessLimit() async throws {
        let probe = """
            import signal, time
            children = []
            refusal = "none"
            for attempt in range(400):
                try:
                    pid = os.fork()
                except OSError as error:
                    refusal = "errno %d" % error.errno
                    break
                if pid == 0:
                    time.sleep(20); os._exit(0)
                children.append(pid)
            for pid in children: os.kill(pid, signal.SIGKILL)
            for pid in children: os.waitpid(pid, 0)
            print(refusal, "after" if len(children) < 100 else "too many:", len(children) if len(children) >= 100 else "")
            """
        for user in SandboxUser.available {
            let result = try await Sandbox.probe(probe, as: user, limits: SandboxLimits(processes: 64))
            if user == .root && getuid() == 0 {
                #expect(result.answer.hasPrefix("none"), "root is exempt from RLIMIT_NPROC: \(result)")
            } else {
                #expect(result.answer.hasPrefix("errno 11 after"), "\(user): \(result)")
            }
        }
    }

    @Test func memoryAndOpenFileLimits() async throws {
        let probe = """
            import resource
            small = bytearray(8 << 20)
            try:
                big = bytearray(256 << 20); memory = "allocated"
            except MemoryError:
                memory = "MemoryError"
            files = []
            try:
                for _ in range(200): files.append(os.open("/dev/null", os.O_RDONLY))
                opened = "all"
            except OSError as error:
                opened = "errno %d" % error.errno
            soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            print(memory, opened, soft, hard)
            """
        for user in SandboxUser.available {
            let limited = try await Sandbox.probe(probe, as: user, limits: SandboxLimits(memoryBytes: 128 << 20, openFiles: 64))
            #expect(limited.answer == "MemoryError errno 24 64 64", "\(user): \(limited)")
            let unlimited = try await Sandbox.probe(probe, as: user)
            #expect(unlimited.answer.hasPrefix("allocated all"), "\(user): \(unlimited)")
        }
    }

    /// No capabilities, no_new_privs, and a session of its own.
    @Test func privilegesAreDroppedAndTheSessionIsNew() async throws {
        let probe = """
            fields = dict(line.split(":\\t", 1) for line in open("/proc/self/status").read().splitlines() if ":\\t" in line)
            caps = [fields[k].strip() for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")]
            print(" ".join(caps), fields["NoNewPrivs"].strip(), "leader" if os.getsid(0) == os.getpid() else "not-leader")
            """
        for user in SandboxUser.available {
            let result = try await Sandbox.probe(probe, as: user)
            #expect(result.answer == "0000000000000000 0000000000000000 0000000000000000 0000000000000000 0000000000000000 1 leader", "\(user): \(result)")
        }
    }

    /// A unix-socket server on the host, bound in; inside, 127.0.0.1:PORT answers at once (no
    /// retry: the port listens before the command starts), bytes flow both ways, and the client's
    /// half-close reaches the server, whose answer after it still comes back. Two connections at
    /// once. Afterwards nothing of the sandbox is left running.
    @Test func forwardersRelayToTheUnixSocketAndHalfClose() async throws {
        for user in SandboxUser.available {
            let scratch = try Scratch(for: user)
            defer { scratch.remove() }
            let socketPath = scratch.path + "/proxy.sock"
            let server = try scratch.write("server.py", """
                import socket, os, sys, threading
                path = sys.argv[1]
                listener = socket.socket(socket.AF_UNIX); listener.bind(path); os.chmod(path, 0o666); listener.listen()
                print("listening", flush=True)
                def serve(connection):
                    received = b""
                    while True:
                        data = connection.recv(65536)
                        if not data: break
                        received += data
                        connection.sendall(b"echo:" + data[:16] + b";")
                    connection.sendall(b"got %d bytes after half-close" % len(received))
                    connection.close()
                while True:
                    connection, _ = listener.accept()
                    threading.Thread(target=serve, args=(connection,), daemon=True).start()
                """)
            let serverProcess = Process()
            serverProcess.executableURL = URL(fileURLWithPath: Sandbox.python)
            serverProcess.arguments = [server, socketPath]
            let serverOutput = Pipe()
            serverProcess.standardOutput = serverOutput
            try serverProcess.run()
            // SIGKILL: the test process may pass on a mask that blocks SIGTERM.
            defer { kill(serverProcess.processIdentifier, SIGKILL); serverProcess.waitUntilExit() }
            _ = serverOutput.fileHandleForReading.availableData  // "listening"
            let probe = try scratch.write("probe.py", Sandbox.preamble + """
                def exchange(payload):
                    client = socket.create_connection(("127.0.0.1", 18431), timeout=10)  # no retry
                    client.sendall(payload)
                    client.shutdown(socket.SHUT_WR)
                    answer = b""
                    while True:
                        data = client.recv(65536)
                        if not data: break
                        answer += data
                    return answer
                first = exchange(b"hello")
                second = exchange(b"x" * 1000000)
                print(first.decode().replace("\\n", " "), second.decode().split(";")[-1], sep=" | ")
                """)
            let spec = Sandbox.spec(scratch, command: [Sandbox.python, probe], forwarders: [.init(port: 18431, socketPath: socketPath)])
            let specFile = try scratch.write("spec.json", spec.json())
            let result = try await Sandbox.runRaw(specFile: specFile, in: scratch, as: user)
            #expect(result.answer == "echo:hello;got 5 bytes after half-close | got 1000000 bytes after half-close", "\(user): \(result)")
            #expect(result.exitCode == 0, "\(user): \(result)")
            // The relay is a fork of init, its command line names this spec: none may remain once
            // the kernel has torn the pid namespace down (it kills, then reaps, within moments).
            var leftovers: [String] = []
            for _ in 0..<40 {
                leftovers = try FileManager.default.contentsOfDirectory(atPath: "/proc").filter { entry in
                    guard Int(entry) != nil, let line = try? String(contentsOfFile: "/proc/\(entry)/cmdline", encoding: .utf8) else { return false }
                    return line.contains(specFile)
                }
                if leftovers.isEmpty { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(leftovers.isEmpty, "\(user): left running: \(leftovers)")
        }
    }

    /// The forwarder's port is taken: init refuses before the command runs.
    @Test func refusalsExitWith126AndOneLine() async throws {
        for user in SandboxUser.available {
            let scratch = try Scratch(for: user)
            defer { scratch.remove() }
            let marker = scratch.path + "/ran"
            var spec = Sandbox.spec(scratch, command: ["/usr/bin/touch", marker])
            let cases: [(String, String, String)] = [
                ("unknown key", spec.json().replacingOccurrences(of: "\"newSession\"", with: "\"sudo\":true,\"newSession\""),
                 "spec: unknown key \"sudo\""),
                ("unknown syscall", spec.json().replacingOccurrences(of: "\"syscall\":\"bpf\"", with: "\"syscall\":\"no_such_call\""),
                 "seccomp: unknown system call \"no_such_call\" on this architecture"),
                ("missing program", spec.json().replacingOccurrences(of: "/usr/bin/touch", with: "/usr/bin/no-such-program"),
                 "cannot run /usr/bin/no-such-program: No such file or directory"),
                ("working directory", spec.json().replacingOccurrences(of: "\"workingDirectory\":\"\(scratch.path)\"", with: "\"workingDirectory\":\"/nonexistent\""),
                 "cannot enter the working directory /nonexistent: No such file or directory"),
            ]
            for (name, text, message) in cases {
                #expect(text != spec.json(), "\(name): the spec was changed")
                let file = try scratch.write("bad.json", text)
                let result = try await Sandbox.runRaw(specFile: file, in: scratch, as: user)
                #expect(result.exitCode == 126, "\(user) \(name): \(result)")
                #expect(result.stderr.hasPrefix("warden-sandbox-init: ") && result.stderr.contains(message) && result.stderr.hasSuffix("\n") && result.stderr.filter { $0 == "\n" }.count == 1,
                        "\(user) \(name): \(result)")
                #expect(!FileManager.default.fileExists(atPath: marker), "\(user) \(name): the command ran")
            }
            // Two forwarders on one port: the second cannot listen.
            spec.forwarders = [.init(port: 18432, socketPath: "/nonexistent.sock")]
            let taken = try await Sandbox.run(spec, in: scratch, as: user, beforeInit: "\(Sandbox.python) -c \"import socket,time; s=socket.socket(); s.bind(('127.0.0.1', 18432)); s.listen(); time.sleep(5)\" & sleep 0.5")
            #expect(taken.exitCode == 126 && taken.stderr == "warden-sandbox-init: forwarder: cannot listen on 127.0.0.1:18432: Address already in use\n", "\(user): \(taken)")
            #expect(!FileManager.default.fileExists(atPath: marker))
            // And the good spec runs.
            spec.forwarders = []
            let good = try await Sandbox.run(spec, in: scratch, as: user)
            #expect(good.exitCode == 0 && FileManager.default.fileExists(atPath: marker), "\(user): \(good)")
        }
    }
}
