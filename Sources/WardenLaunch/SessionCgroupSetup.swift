#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
public import WardenSandbox

/// Reads the machine's cgroup hierarchies for the plan (`CgroupFacts`).
public enum CgroupProbe {
    public static func facts() -> CgroupFacts {
        let files = LaunchFileSystem()
        guard let own = files.contents(of: "/proc/self/cgroup"), let mountinfo = files.contents(of: "/proc/self/mountinfo") else {
            return CgroupFacts()
        }
        let ownPaths = CgroupFacts.ownPaths(procSelfCgroup: own)
        let mountPoints = CgroupFacts.mountPoints(mountinfo: mountinfo)
        var facts = CgroupFacts()
        if let mountPoint = mountPoints[""], let ownPath = ownPaths[""] {
            var hierarchy = CgroupFacts.Hierarchy(mountPoint: mountPoint, ownPath: ownPath, candidateWritable: false)
            let parent = CgroupFacts.unifiedCandidateParent(hierarchy)
            // Moving a process between two cgroups needs write access to the cgroup.procs of
            // their common ancestor, which is this parent.
            hierarchy.candidateWritable = access(parent, W_OK) == 0 && access(parent + "/cgroup.procs", W_OK) == 0
            let enabled = files.contents(of: parent + "/cgroup.subtree_control") ?? ""
            hierarchy.candidateSubtreeControllers = Set(enabled.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))
            facts.unified = hierarchy
        }
        for controller in ["pids", "memory"] {
            guard let mountPoint = mountPoints[controller], let ownPath = ownPaths[controller] else { continue }
            var hierarchy = CgroupFacts.Hierarchy(mountPoint: mountPoint, ownPath: ownPath, candidateWritable: false)
            let parent = CgroupFacts.legacyCandidateParent(hierarchy)
            hierarchy.candidateWritable = access(parent, W_OK) == 0 && access(parent + "/cgroup.procs", W_OK) == 0
            facts.legacy[controller] = hierarchy
        }
        return facts
    }
}

/// Removes the session's cgroup (`LaunchGate` makes it and moves the sandbox in).
public enum SessionCgroupSetup {
    /// Removes the directories, deepest last made first. A cgroup can be removed only once its
    /// last process is gone, which follows the end of the sandbox's pid namespace within
    /// moments (the kernel lets the sandbox's last processes go a few milliseconds after
    /// `warden` has seen bwrap exit). With `patience` each is tried again every millisecond for
    /// that many milliseconds; without, once. Returns the directories still there.
    @discardableResult
    public static func remove(directories: [String], patience milliseconds: Int = 0) -> [String] {
        var left: [String] = []
        for directory in directories.reversed() {
            var tries = 0
            while rmdir(directory) != 0 && errno != ENOENT {
                guard errno == EBUSY, tries < milliseconds else {
                    left.append(directory)
                    break
                }
                tries += 1
                usleep(1_000)
            }
        }
        return left.reversed()
    }

    static func write(_ value: String, to file: String) throws(LaunchError) {
        let fd = open(file, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw LaunchError("cannot open \(file): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let written = value.utf8CString.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count - 1) }
        guard written == value.utf8.count else {
            throw LaunchError("cannot write \(value) to \(file): \(String(cString: strerror(errno)))")
        }
    }
}
