import Foundation
import Testing
import WardenLaunch
import WardenSandbox

// The launch gate (warden-sandbox-init --gate): in the session's cgroup before it execs, the same
// pid after, the descriptors where they were asked for; a gate that cannot get in refuses.

@Suite("The launch gate: into the session's cgroup first, then bwrap", .serialized)
struct LaunchGateTests {
    /// A session cgroup this process may make (root with a pids controller); nil elsewhere.
    static func sessionCgroup() -> SessionCgroup? {
        let name = "warden-gate-test.\(getpid()).\(Int.random(in: 1000...9999))"
        return SessionCgroup.choose(facts: CgroupProbe.facts(), name: name, processes: 50, memoryBytes: 1 << 30)
    }

    /// Reads `fd` to its end.
    static func readAll(_ fd: Int32) -> String {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, 4096) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            bytes += buffer[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test("the gate makes the cgroup with its limits, is in it before it execs, keeps its pid, and passes the descriptors on")
    func entersThenExecs() throws {
        guard let cgroup = Self.sessionCgroup() else { return }
        defer { #expect(SessionCgroupSetup.remove(directories: cgroup.directories, patience: 2000) == []) }
        let gate = try LaunchGate.start(executable: Sandbox.initBinary, making: cgroup)
        try gate.waitEntered()
        for setting in cgroup.settings where !setting.optional || FileManager.default.fileExists(atPath: setting.file) {
            let value = (try? String(contentsOfFile: setting.file, encoding: .utf8)) ?? ""
            #expect(value.trimmingCharacters(in: .whitespacesAndNewlines) == setting.value, "\(setting.file): \(value)")
        }
        for directory in cgroup.directories {
            let members = (try? String(contentsOfFile: directory + "/cgroup.procs", encoding: .utf8)) ?? ""
            #expect(members.split(separator: "\n").contains(Substring(String(gate.pid))), "\(directory): \(members)")
        }
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        // Descriptor 4 in the program, whatever it is here; one close-on-exec, as warden's are.
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        try gate.release(
            executable: "/bin/sh", arguments: ["sh", "-c", "echo $$ >&4; echo \"$GATE_TEST\" >&4; cat /proc/self/cgroup >&4"],
            environment: ["PATH=/usr/bin:/bin", "GATE_TEST=passed"], descriptors: [(fds[1], 4)])
        close(fds[1])
        try gate.confirmExec()
        let output = Self.readAll(fds[0])
        close(fds[0])
        var status: Int32 = 0
        #expect(waitpid(gate.pid, &status, 0) == gate.pid)
        #expect(status == 0)
        let lines = output.split(separator: "\n").map(String.init)
        #expect(lines.first == String(gate.pid), "the exec kept the gate's pid: \(output)")
        #expect(lines.dropFirst().first == "passed", "the environment sent: \(output)")
        let name = (cgroup.directories[0] as NSString).lastPathComponent
        #expect(lines.contains { $0.contains("pids") && $0.hasSuffix("/" + name) } || lines.contains("0::/\(name)") || output.contains(name), "born in the cgroup: \(output)")
        gate.abandon()  // released: a no-op, the program is not killed twice
    }

    @Test("a gate that cannot make the cgroup or get into it says why in one line, and runs nothing")
    func refusal() throws {
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("warden-gate-missing-\(UUID().uuidString.prefix(8))").path
        let gate = try LaunchGate.start(executable: Sandbox.initBinary, cgroupDirectories: [missing])
        do {
            try gate.waitEntered()
            Issue.record("the gate said it was inside a cgroup that does not exist")
        } catch {
            #expect(error.description == "cannot move the sandbox into its cgroup: cannot open \(missing)/cgroup.procs: No such file or directory", "\(error)")
        }
        // Reaped by waitEntered: no such child any more.
        var status: Int32 = 0
        #expect(waitpid(gate.pid, &status, WNOHANG) == -1)

        let facts = CgroupFacts(legacy: ["pids": .init(mountPoint: missing, ownPath: "/", candidateWritable: true)])
        let unmakeable = try #require(SessionCgroup.choose(facts: facts, name: "warden-run.0.1", processes: 40, memoryBytes: 1 << 30))
        let second = try LaunchGate.start(executable: Sandbox.initBinary, making: unmakeable)
        do {
            try second.waitEntered()
            Issue.record("the gate said it was inside a cgroup it could not make")
        } catch {
            #expect(error.description == "cannot make the session's cgroup \(missing)/warden-run.0.1: No such file or directory", "\(error)")
        }
    }

    @Test("a cgroup left by a dead run whose pid this one reuses is made afresh when empty; one with a process inside is refused")
    func staleCgroup() throws {
        guard let cgroup = Self.sessionCgroup() else { return }
        defer { _ = SessionCgroupSetup.remove(directories: cgroup.directories, patience: 2000) }
        for directory in cgroup.directories { #expect(mkdir(directory, 0o755) == 0, "\(directory)") }
        let gate = try LaunchGate.start(executable: Sandbox.initBinary, making: cgroup)
        try gate.waitEntered()
        let mine = try String(contentsOfFile: "/proc/\(gate.pid)/cgroup", encoding: .utf8)
        #expect(cgroup.directories.allSatisfy { mine.contains("/" + ($0 as NSString).lastPathComponent) }, "\(mine)")
        gate.abandon()
        #expect(SessionCgroupSetup.remove(directories: cgroup.directories, patience: 2000) == [])

        // A process still inside: a dead run's sandbox running on, never joined.
        let first = cgroup.directories[0]
        #expect(mkdir(first, 0o755) == 0)
        let sleeper = Process()
        sleeper.executableURL = URL(fileURLWithPath: "/bin/sleep")
        sleeper.arguments = ["30"]
        try sleeper.run()
        defer {
            kill(sleeper.processIdentifier, SIGKILL)
            sleeper.waitUntilExit()
        }
        try "\(sleeper.processIdentifier)".write(toFile: first + "/cgroup.procs", atomically: false, encoding: .utf8)
        let refused = try LaunchGate.start(executable: Sandbox.initBinary, making: cgroup)
        do {
            try refused.waitEntered()
            Issue.record("the gate joined a cgroup with another run's process inside")
        } catch {
            #expect(error.description == "cannot make the session's cgroup \(first): Device or resource busy", "\(error)")
        }
        // Out again, so that the directory can go.
        let parent = (first as NSString).deletingLastPathComponent
        try? "\(sleeper.processIdentifier)".write(toFile: parent + "/cgroup.procs", atomically: false, encoding: .utf8)
    }

    /// Plays a `warden` that wrote the gate's instructions and was gone before the gate read them
    /// (its end of the socket closed: what a `warden` killed before its gate bound itself to its
    /// life leaves), then waits for the gate and prints its exit status.
    static let orphanedGateScript = #"""
import os, socket, sys
payload = open(sys.argv[2], "rb").read()
mine, gates = socket.socketpair()
mine.sendall(payload)
mine.close()
pid = os.posix_spawn(sys.argv[1], [sys.argv[1], "--gate"], dict(os.environ),
                     file_actions=[(os.POSIX_SPAWN_DUP2, gates.fileno(), 9)])
gates.close()
print(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), flush=True)
"""#

    @Test("a gate whose warden's end of the socket is closed makes nothing of the instructions it still reads")
    func orphanedGate() throws {
        guard let cgroup = Self.sessionCgroup() else { return }
        defer { _ = SessionCgroupSetup.remove(directories: cgroup.directories, patience: 2000) }
        let instructions = FileManager.default.temporaryDirectory.appendingPathComponent("warden-gate-\(UUID().uuidString.prefix(8))").path
        try Data(LaunchGate.encode(LaunchGate.instructions(making: cgroup))).write(to: URL(fileURLWithPath: instructions))
        defer { try? FileManager.default.removeItem(atPath: instructions) }
        let warden = Process()
        warden.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        warden.arguments = ["-c", Self.orphanedGateScript, Sandbox.initBinary, instructions]
        let output = Pipe()
        warden.standardOutput = output
        try warden.run()
        let said = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        warden.waitUntilExit()
        #expect(said == "0\n", "the gate's exit status")
        for directory in cgroup.directories {
            #expect(!FileManager.default.fileExists(atPath: directory), "\(directory) was made for a warden that is gone")
        }
    }

    @Test("a gate that ends without a word (another build's init refuses --gate) names the fix")
    func silentGate() throws {
        let gate = try LaunchGate.start(executable: "/bin/false", making: nil)
        do {
            try gate.waitEntered()
            Issue.record("/bin/false was taken for a ready gate")
        } catch {
            #expect(error.description == "cannot start the sandbox: the launch gate (warden-sandbox-init --gate) ended before it was ready; fix: install warden-sandbox-init of warden's own build (sudo warden install, or Scripts/build-release.sh)", "\(error)")
        }
    }

    @Test("without a cgroup the gate only waits; a program it cannot exec is its reason, and it ends")
    func withoutCgroup() throws {
        let gate = try LaunchGate.start(executable: Sandbox.initBinary, making: nil)
        try gate.waitEntered()
        try gate.release(executable: "/nonexistent/bwrap", arguments: ["bwrap"], environment: [], descriptors: [])
        do {
            try gate.confirmExec()
            Issue.record("the gate said it ran a program that does not exist")
        } catch {
            #expect(error.description == "cannot start /nonexistent/bwrap: No such file or directory", "\(error)")
        }
        var status: Int32 = 0
        #expect(waitpid(gate.pid, &status, WNOHANG) == -1, "reaped")

        let second = try LaunchGate.start(executable: Sandbox.initBinary, making: nil)
        try second.waitEntered()
        try second.release(executable: "/bin/sh", arguments: ["sh", "-c", "exit 7"], environment: [], descriptors: [])
        try second.confirmExec()
        #expect(waitpid(second.pid, &status, 0) == second.pid)
        #expect((status >> 8) & 0xff == 7)
    }

    @Test("a gate given up before its release ends without running anything")
    func abandoned() throws {
        let gate = try LaunchGate.start(executable: Sandbox.initBinary, cgroupDirectories: [])
        try gate.waitEntered()
        gate.abandon()
        #expect(kill(gate.pid, 0) == -1 && errno == ESRCH)
    }

    @Test("a gate spawned early makes nothing until it is instructed; given up before, it ends without a word")
    func spawnedThenGivenUp() throws {
        let gate = try LaunchGate.spawn(executable: Sandbox.initBinary)
        usleep(20_000)
        #expect(kill(gate.pid, 0) == 0, "it waits")
        gate.abandon()
        #expect(kill(gate.pid, 0) == -1 && errno == ESRCH)
    }

    @Test("a cgroup still busy stays listed for the watcher, which removes it once free, and the state file with it")
    func busyCgroupLeftToTheWatcher() async throws {
        guard let cgroup = Self.sessionCgroup() else { return }
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("warden-gate-state-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: base + "/run", withIntermediateDirectories: true)
        defer {
            SessionCgroupSetup.remove(directories: cgroup.directories, patience: 2000)
            try? FileManager.default.removeItem(atPath: base)
        }
        let state = try LaunchPlaceholders.begin(stateDirectory: base + "/state", runtimeDirectory: base + "/run")
        cgroup.directories.forEach(state.recordCgroup)
        // A process inside keeps the cgroup busy until it ends.
        let gate = try LaunchGate.start(executable: Sandbox.initBinary, making: cgroup)
        try gate.waitEntered()
        // warden run's own sweep leaves the cgroup and the run directory to the watcher; a sweep
        // that tries once leaves a busy cgroup.
        LaunchPlaceholders.sweep(stateFile: state.stateFile, cgroups: .leave)
        #expect(cgroup.directories.allSatisfy { FileManager.default.fileExists(atPath: $0) })
        #expect(FileManager.default.fileExists(atPath: base + "/run"), "the run directory is the watcher's to remove")
        LaunchPlaceholders.sweep(stateFile: state.stateFile, cgroups: .tryOnce)
        #expect(!FileManager.default.fileExists(atPath: base + "/run"), "the rest is swept at once")
        let listed = (try? String(contentsOfFile: state.stateFile, encoding: .utf8)) ?? ""
        #expect(listed == cgroup.directories.map { "cgroup\t0\t0\t\($0)\n" }.joined(), "only the busy cgroup stays listed: \(listed)")
        let watching = try WatcherForTest(stateFile: state.stateFile)
        defer { watching.gate.abandon() }
        close(watching.life)
        try await Task.sleep(nanoseconds: 100_000_000)
        #expect(cgroup.directories.allSatisfy { FileManager.default.fileExists(atPath: $0) }, "busy while the gate lives")
        gate.abandon()
        let deadline = Date().addingTimeInterval(5)
        while (FileManager.default.fileExists(atPath: state.stateFile) || cgroup.directories.contains { FileManager.default.fileExists(atPath: $0) })
            && Date() < deadline
        {
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        #expect(!FileManager.default.fileExists(atPath: state.stateFile), "the watcher removed the state file")
        #expect(cgroup.directories.allSatisfy { !FileManager.default.fileExists(atPath: $0) }, "the watcher removed the cgroup")
    }
}

@Suite("bwrap's --info-fd JSON")
struct BubblewrapInfoTests {
    @Test("the sandbox's first pid is read from child-pid, with or without a space; anything else is no pid")
    func childPid() {
        func pid(_ text: String) -> Int32? { BubblewrapProcess.childPid(inInfo: Array(text.utf8)) }
        #expect(pid(#"{"child-pid": 4242, "cgroup-namespace": 4026531835}"#) == 4242)
        #expect(pid("{\n    \"child-pid\":17\n}") == 17)
        #expect(pid(#"{"cgroup-namespace": 1, "child-pid": 99}"#) == 99)
        #expect(pid(#"{"child-pid": "x"}"#) == nil)
        #expect(pid(#"{"child-pid": 99999999999}"#) == nil)
        #expect(pid(#"{"child-pid": 10000000001}"#) == nil)
        #expect(pid(#"{"pid": 12}"#) == nil)
        #expect(pid("") == nil)
    }
}

@Suite("The launch gate's instructions")
struct LaunchGateInstructionTests {
    typealias Instruction = LaunchGate.Instruction

    @Test("what encode writes reads back whole, an empty value included, and says how many bytes it took")
    func roundTrip() {
        let list: [Instruction] = [
            .make("/sys/fs/cgroup/pids/warden-run.0.1"), .set(file: "/sys/fs/cgroup/pids/warden-run.0.1/pids.max", value: "4096", ifPresent: false),
            .set(file: "/x/memory.swap.max", value: "", ifPresent: true), .enter("/sys/fs/cgroup/pids/warden-run.0.1"),
        ]
        let bytes = LaunchGate.encode(list)
        #expect(LaunchGate.readInstructions(bytes) == .complete(list, length: bytes.count))
        #expect(LaunchGate.readInstructions(LaunchGate.encode([])) == .complete([], length: 1))
        #expect(LaunchGate.readInstructions(bytes + [65, 0]) == .complete(list, length: bytes.count), "what follows is the caller's to judge")
    }

    @Test("a list cut anywhere is incomplete; an unknown instruction or an empty path is invalid")
    func partialAndInvalid() {
        let bytes = LaunchGate.encode([.make("/a"), .set(file: "/a/pids.max", value: "10", ifPresent: false), .enter("/a")])
        for cut in 0..<bytes.count {
            #expect(LaunchGate.readInstructions(Array(bytes[..<cut])) == .incomplete, "cut at \(cut)")
        }
        #expect(LaunchGate.readInstructions(Array("remove\0/a\0\0".utf8)) == .invalid)
        #expect(LaunchGate.readInstructions(Array("make\0\0\0".utf8)) == .invalid)
        #expect(LaunchGate.readInstructions(Array("set\0\0v\0\0".utf8)) == .invalid)
    }

    @Test("a session cgroup becomes its directories made, its limits written, then the moves")
    func fromCgroup() {
        #expect(LaunchGate.instructions(making: nil) == [])
        guard let cgroup = LaunchGateTests.sessionCgroup() else { return }
        let list = LaunchGate.instructions(making: cgroup)
        func rank(_ instruction: Instruction) -> Int {
            switch instruction {
            case .make: 0
            case .set: 1
            case .enter: 2
            }
        }
        #expect(list.map(rank) == list.map(rank).sorted(), "made, then written, then entered")
        #expect(list.filter { rank($0) == 0 } == cgroup.directories.map { .make($0) })
        #expect(list.filter { rank($0) == 2 } == cgroup.directories.map { .enter($0) })
        #expect(list.count == 2 * cgroup.directories.count + cgroup.settings.count)
        #expect(list.contains(.set(file: cgroup.directories[0] + "/pids.max", value: "50", ifPresent: false)))
    }
}

/// The clean-up watcher as `warden run` starts it (forked by a launch gate that is given nothing
/// to make), with the sandbox's pipe already at its end: the watcher sweeps `stateFile` once
/// `life`, the write end of warden's pipe, is closed. `gate` is to be abandoned afterwards.
struct WatcherForTest {
    let gate: LaunchGate
    let life: Int32

    init(stateFile: String) throws {
        var life: [Int32] = [0, 0], ended: [Int32] = [0, 0]
        guard pipe(&life) == 0, pipe(&ended) == 0 else { throw RunTestFailure("pipe: \(errno)") }
        for fd in life + ended { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        defer {
            close(life[0])
            close(ended[0])
        }
        close(ended[1])
        gate = try LaunchGate.spawn(
            executable: Sandbox.initBinary, watcher: LaunchGate.Watcher(stateFile: stateFile, life: life[0], sandboxEnded: ended[0]))
        self.life = life[1]
    }
}
