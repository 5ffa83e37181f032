import Foundation
import Testing

// `warden run`'s limits with the real bwrap: the session's cgroup where this user may make one
// (root here, on cgroup v1's pids and memory hierarchies or a cgroup v2 with those controllers),
// else rlimits; removed from the host however the session ends.

/// A fork bomb bounded at 200, which the session's process limit (40) must stop first.
private let forkBombScript = #"""
import os, time
made = 0
refusal = "none"
try:
    for _ in range(200):
        pid = os.fork()
        if pid == 0:
            time.sleep(5); os._exit(0)
        made += 1
except OSError as error:
    refusal = "errno %d" % error.errno
print("refusal=%s" % refusal)
print("made=%d" % made)
cgroups = [line.split(":", 2) for line in open("/proc/self/cgroup").read().split("\n") if line]
print("pids_cgroup=%s" % "".join(path for _, names, path in cgroups if "pids" in names.split(",") or (names == "" and _ == "0")))
"""#

private let limitsPolicy = #"{"warden": {"sandbox": {"limits": {"processes": 40, "memoryMegabytes": 512}}}}"#

@Suite("warden run: limits through the session's cgroup, else rlimits", .serialized)
struct RunLimitsTests {
    /// The plan's limits method and cgroup directories, from `--dry-run --json`.
    static func plannedLimits(_ scene: RunScene) throws -> (method: String, directories: [String]) {
        let result = try scene.run(["--dry-run", "--json", "--", "/bin/true"])
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let limits = try #require(object?["limits"] as? [String: Any], "\(result.stderr)")
        let cgroup = limits["cgroup"] as? [String: Any]
        return (limits["method"] as? String ?? "", cgroup?["directories"] as? [String] ?? [])
    }

    /// Directories named `name` at most `depth` levels below /sys/fs/cgroup.
    static func cgroupDirectories(named name: String, below directory: String = "/sys/fs/cgroup", depth: Int = 5) -> [String] {
        guard depth > 0 else { return [] }
        var found: [String] = []
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
            let path = directory + "/" + entry
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else { continue }
            if entry == name { found.append(path) } else { found += cgroupDirectories(named: name, below: path, depth: depth - 1) }
        }
        return found
    }

    /// Waits, without holding a thread, until no cgroup named `name` is left (the clean-up
    /// watcher removes it after `warden run` has returned), then looks once more.
    static func cgroupsOnceWatched(named name: String, seconds: Double = 5) async -> [String] {
        let deadline = Date().addingTimeInterval(seconds)
        while !cgroupDirectories(named: name).isEmpty && Date() < deadline {
            try? await Task.sleep(nanoseconds: 20_000_000)
        }
        return cgroupDirectories(named: name)
    }

    /// The host pid of the sandboxed `sleep MARKER`.
    static func sleepPid(_ marker: String) -> String? {
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where entry.allSatisfy(\.isNumber) {
            if let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline"),
                String(decoding: data, as: UTF8.self).hasPrefix("/bin/sleep\u{0}\(marker)")
            {
                return entry
            }
        }
        return nil
    }

    @Test("a fork bomb is held, as root by the session's cgroup (the kernel never applies RLIMIT_NPROC to root)", arguments: RunSandboxTests.users)
    func forkBomb(user: RunTestUser) async throws {
        let scene = try RunScene(user: user, policy: limitsPolicy)
        defer { scene.remove() }
        let planned = try Self.plannedLimits(scene)
        if user == .root && getuid() == 0 {
            // Root can make a cgroup on every machine that has the pids controller mounted.
            let hasPidsController = (try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8))?.contains("pids") == true
                || ((try? String(contentsOfFile: "/sys/fs/cgroup/cgroup.subtree_control", encoding: .utf8)) ?? "").contains("pids")
            if hasPidsController { #expect(planned.method != "rlimits", "root with a pids controller: \(planned)") }
        }
        let out = scene.base + "/bomb.out", err = scene.base + "/bomb.err"
        let process = try scene.process(["--", "/usr/bin/python3", "-c", forkBombScript], stdout: out, stderr: err)
        try process.run()
        process.waitUntilExit()
        let result = RunResult(
            status: process.terminationStatus, stdout: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
        #expect(result.status == 0, "\(result.stderr)")
        let values = result.values
        #expect(values["refusal"] == "errno 11", "\(user): \(result.stdout) \(result.stderr)")
        #expect(Int(values["made"] ?? "") ?? 999 < 40, "\(user): \(result.stdout)")
        if planned.method != "rlimits" {
            // Born in the session's cgroup (the launch gate entered it before bwrap made the
            // cgroup namespace), which is that namespace's root: "/" inside (on a hybrid machine
            // the v2 path "/" follows the pids one).
            let path = values["pids_cgroup"] ?? ""
            #expect(!path.isEmpty && (path.allSatisfy { $0 == "/" } || path.contains("/warden-run.")), "inside the session's cgroup: \(result.stdout)")
        }
        // This run's cgroup (named after its run directory, warden-run.UID.PID; setpriv execs
        // warden in the same process) is gone once the watcher is done; other sessions on the
        // machine may have their own.
        let name = "warden-run.\(scene.uid).\(process.processIdentifier)"
        let left = await Self.cgroupsOnceWatched(named: name)
        #expect(left.isEmpty, "left on the host: \(left)")
    }

    @Test("after a session the watcher removes the cgroup and the run's state file; warden run does not wait for the kernel to let it go")
    func watcherRemovesTheCgroup() async throws {
        let scene = try RunScene(user: .root, policy: limitsPolicy)
        defer { scene.remove() }
        guard try Self.plannedLimits(scene).method != "rlimits" else { return }
        let process = try scene.process(["--", "/bin/true"], stdout: scene.base + "/out", stderr: scene.base + "/err")
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\((try? String(contentsOfFile: scene.base + "/err", encoding: .utf8)) ?? "")")
        #expect(scene.placeholderLeftovers() == [], "warden run removes the placeholders itself")
        let name = "warden-run.\(getuid()).\(process.processIdentifier)"
        let left = await Self.cgroupsOnceWatched(named: name)
        #expect(left.isEmpty, "left on the host: \(left)")
        let rest = await scene.leftoversOnceWatched()
        #expect(rest == [], "left on the host: \(rest)")
    }

    @Test("the cgroup is removed when warden is killed with SIGKILL, by the clean-up watcher")
    func sigkillRemovesTheCgroup() async throws {
        let scene = try RunScene(user: .root, policy: limitsPolicy)
        defer { scene.remove() }
        guard try Self.plannedLimits(scene).method != "rlimits" else { return }
        let marker = "\(Int.random(in: 1000...9999)).31"
        let process = try scene.process(["--", "/bin/sleep", marker], stdout: scene.base + "/out", stderr: scene.base + "/err")
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        let started = Date().addingTimeInterval(10)
        while !RunSandboxTests.running(marker) && Date() < started {
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        let name = "warden-run.\(getuid()).\(process.processIdentifier)"
        let made = Self.cgroupDirectories(named: name)
        #expect(!made.isEmpty, "the session's cgroup exists while it runs")
        // The sandboxed command is one of the cgroup's processes, in every hierarchy.
        let sleeper = Self.sleepPid(marker)
        #expect(sleeper != nil)
        for directory in made {
            let members = (try? String(contentsOfFile: directory + "/cgroup.procs", encoding: .utf8)) ?? ""
            #expect(sleeper.map { members.split(separator: "\n").contains(Substring($0)) } == true, "\(directory): \(members)")
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let left = await Self.cgroupsOnceWatched(named: name)
        #expect(left.isEmpty, "left: \(left)")
        let deadline = Date().addingTimeInterval(5)
        while RunSandboxTests.running(marker) && Date() < deadline {
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        #expect(!RunSandboxTests.running(marker))
    }
}
