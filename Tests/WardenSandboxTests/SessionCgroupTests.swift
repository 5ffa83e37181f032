import Testing
import WardenSandbox

@Suite("the session's cgroup, chosen from what the machine shows")
struct SessionCgroupTests {
    let userScope = "/user.slice/user-1000.slice/user@1000.service/app.slice/vte-spawn-1.scope"

    func unified(_ own: String, writable: Bool = true, controllers: Set<String> = ["pids", "memory"]) -> CgroupFacts.Hierarchy {
        CgroupFacts.Hierarchy(mountPoint: "/sys/fs/cgroup", ownPath: own, candidateWritable: writable, candidateSubtreeControllers: controllers)
    }

    @Test("cgroup v2: beside the launcher's own cgroup, pids.max, memory.max and no swap")
    func unifiedBesideOwn() throws {
        let cgroup = try #require(SessionCgroup.choose(
            facts: CgroupFacts(unified: unified(userScope)), name: "warden-run.1000.7", processes: 100, memoryBytes: 1 << 30))
        let directory = "/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/app.slice/warden-run.1000.7"
        #expect(cgroup.version == .unified)
        #expect(cgroup.directories == [directory])
        #expect(cgroup.settings.map(\.file) == [directory + "/pids.max", directory + "/memory.max", directory + "/memory.swap.max"])
        #expect(cgroup.settings.map(\.value) == ["100", "1073741824", "0"])
        #expect(cgroup.settings.map(\.optional) == [false, false, true])
        #expect(cgroup.limitsMemory)
    }

    @Test("cgroup v2 at the root (root in a container): a child of the root")
    func unifiedRoot() throws {
        let cgroup = try #require(SessionCgroup.choose(
            facts: CgroupFacts(unified: unified("/")), name: "w", processes: 10, memoryBytes: 10))
        #expect(cgroup.directories == ["/sys/fs/cgroup/w"])
    }

    @Test("cgroup v2 without the pids controller, or not writable: not used")
    func unifiedUnusable() {
        #expect(SessionCgroup.choose(facts: CgroupFacts(unified: unified(userScope, controllers: ["memory", "hugetlb"])), name: "w", processes: 1, memoryBytes: 1) == nil)
        #expect(SessionCgroup.choose(facts: CgroupFacts(unified: unified(userScope, writable: false)), name: "w", processes: 1, memoryBytes: 1) == nil)
        let pidsOnly = SessionCgroup.choose(facts: CgroupFacts(unified: unified(userScope, controllers: ["pids"])), name: "w", processes: 1, memoryBytes: 1)
        #expect(pidsOnly?.limitsMemory == false)
        #expect(pidsOnly?.settings.count == 1)
    }

    @Test("hybrid machine: v2 without controllers, v1 pids and memory below the launcher's own cgroups")
    func legacy() throws {
        let facts = CgroupFacts(
            unified: CgroupFacts.Hierarchy(mountPoint: "/sys/fs/cgroup/unified", ownPath: "/", candidateWritable: true, candidateSubtreeControllers: []),
            legacy: [
                "pids": CgroupFacts.Hierarchy(mountPoint: "/sys/fs/cgroup/pids", ownPath: "/", candidateWritable: true),
                "memory": CgroupFacts.Hierarchy(mountPoint: "/sys/fs/cgroup/memory", ownPath: "/process_api/61", candidateWritable: true),
            ])
        let cgroup = try #require(SessionCgroup.choose(facts: facts, name: "warden-run.0.9", processes: 64, memoryBytes: 4096))
        #expect(cgroup.version == .legacy)
        #expect(cgroup.directories == ["/sys/fs/cgroup/pids/warden-run.0.9", "/sys/fs/cgroup/memory/process_api/61/warden-run.0.9"])
        #expect(cgroup.settings == [
            .init(file: "/sys/fs/cgroup/pids/warden-run.0.9/pids.max", value: "64"),
            .init(file: "/sys/fs/cgroup/memory/process_api/61/warden-run.0.9/memory.limit_in_bytes", value: "4096"),
        ])
        var noMemory = facts
        noMemory.legacy["memory"]?.candidateWritable = false
        #expect(SessionCgroup.choose(facts: noMemory, name: "w", processes: 1, memoryBytes: 1)?.directories == ["/sys/fs/cgroup/pids/w"])
        var noPids = facts
        noPids.legacy["pids"]?.candidateWritable = false
        #expect(SessionCgroup.choose(facts: noPids, name: "w", processes: 1, memoryBytes: 1) == nil, "memory alone does not stop a fork bomb")
    }

    @Test("/proc/self/cgroup: v2 and v1 lines, joined controllers")
    func ownPaths() {
        let paths = CgroupFacts.ownPaths(procSelfCgroup: "12:cpu,cpuacct:/a\n8:pids:/\n4:memory:/process_api/61\n1:name=systemd:/s\n0::/user.slice/x.scope\n")
        #expect(paths[""] == "/user.slice/x.scope")
        #expect(paths["pids"] == "/")
        #expect(paths["memory"] == "/process_api/61")
        #expect(paths["cpu"] == "/a" && paths["cpuacct"] == "/a")
    }

    @Test("/proc/self/mountinfo: the cgroup2 mount, each v1 controller's, escapes, bind mounts of a subtree skipped")
    func mountPoints() {
        let text = """
            31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
            35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
            39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
            40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
            41 31 0:38 / /sys/fs/cgroup/my\\040unified rw,relatime - cgroup2 cgroup2 rw
            50 31 0:38 /sub /mnt/elsewhere rw,relatime - cgroup2 cgroup2 rw
            """
        let points = CgroupFacts.mountPoints(mountinfo: text)
        #expect(points[""] == "/sys/fs/cgroup/my unified")
        #expect(points["memory"] == "/sys/fs/cgroup/memory")
        #expect(points["pids"] == "/sys/fs/cgroup/pids")
        #expect(points["name=systemd"] == nil)
        #expect(points.count == 3)
    }
}
