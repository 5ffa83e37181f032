// Where the session's cgroup goes, decided from what the launcher read off the machine
// (`CgroupFacts`), so the choice is data and tested as data. Reading the facts and making the
// directories is `WardenLaunch.CgroupProbe` / `SessionCgroupSetup`.

/// What the machine's cgroup hierarchies look like to the launcher.
public struct CgroupFacts: Sendable, Hashable {
    /// The cgroup v2 hierarchy, when one is mounted.
    public var unified: Hierarchy?
    /// cgroup v1 hierarchies by controller (`pids`, `memory`), on hybrid and legacy machines.
    public var legacy: [String: Hierarchy]

    /// One hierarchy and the place the session's cgroup would be made in it.
    public struct Hierarchy: Sendable, Hashable {
        /// Where the hierarchy is mounted (`/sys/fs/cgroup`, `/sys/fs/cgroup/pids`).
        public var mountPoint: String
        /// The launcher's own cgroup in it, from `/proc/self/cgroup` (`/user.slice/…`, `/`).
        public var ownPath: String
        /// Whether the launcher can make a cgroup in `candidateParent` and move its processes
        /// there (the directory and the `cgroup.procs` files writable).
        public var candidateWritable: Bool
        /// cgroup v2: the controllers the candidate parent hands to its children
        /// (`cgroup.subtree_control`). Unused for v1.
        public var candidateSubtreeControllers: Set<String>

        public init(mountPoint: String, ownPath: String, candidateWritable: Bool, candidateSubtreeControllers: Set<String> = []) {
            self.mountPoint = mountPoint
            self.ownPath = ownPath
            self.candidateWritable = candidateWritable
            self.candidateSubtreeControllers = candidateSubtreeControllers
        }
    }

    public init(unified: Hierarchy? = nil, legacy: [String: Hierarchy] = [:]) {
        self.unified = unified
        self.legacy = legacy
    }

    /// The directory a v2 session cgroup is made in: beside the launcher's own cgroup, since v2
    /// lets no cgroup that holds processes give controllers to children (the root excepted).
    public static func unifiedCandidateParent(_ hierarchy: Hierarchy) -> String {
        join(hierarchy.mountPoint, parentPath(hierarchy.ownPath))
    }

    /// The directory a v1 session cgroup is made in: below the launcher's own cgroup (v1 has no
    /// such rule, and below keeps any limit already on the launcher).
    public static func legacyCandidateParent(_ hierarchy: Hierarchy) -> String {
        join(hierarchy.mountPoint, hierarchy.ownPath)
    }

    static func parentPath(_ path: String) -> String {
        guard path != "/", let slash = path.lastIndex(of: "/") else { return "/" }
        let parent = String(path[..<slash])
        return parent.isEmpty ? "/" : parent
    }

    static func join(_ mountPoint: String, _ path: String) -> String {
        path == "/" ? mountPoint : mountPoint + path
    }

    /// Parses `/proc/self/cgroup` (`0::/path` for v2, `N:pids:/path` or `N:cpu,cpuacct:/path`
    /// for v1): the launcher's own path per hierarchy, `""` keying the v2 one.
    public static func ownPaths(procSelfCgroup text: String) -> [String: String] {
        var paths: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3, fields[2].hasPrefix("/") else { continue }
            if fields[0] == "0" && fields[1].isEmpty {
                paths[""] = String(fields[2])
            } else {
                for controller in fields[1].split(separator: ",") { paths[String(controller)] = String(fields[2]) }
            }
        }
        return paths
    }

    /// Parses `/proc/self/mountinfo`: the cgroup2 mount point (key `""`) and the v1 mount point
    /// of each controller. A hierarchy mounted twice keeps its first mount.
    ///
    /// Read as bytes (the file is ASCII but for escaped names): splitting its `String` by
    /// characters, with a `" - "` separator, took half a millisecond of `warden run`'s kernel
    /// probe for 25 lines.
    public static func mountPoints(mountinfo text: String) -> [String: String] {
        var points: [String: String] = [:]
        let space = UInt8(ascii: " ")
        for line in text.utf8.split(separator: UInt8(ascii: "\n")) {
            let fields = line.split(separator: space)
            // The optional fields end at a lone "-": the file system type and its source and
            // options follow.
            guard let dash = fields.firstIndex(where: { $0.elementsEqual([UInt8(ascii: "-")]) }), dash >= 5,
                  fields.count >= dash + 4, fields[3].elementsEqual([UInt8(ascii: "/")]) else { continue }
            let mountPoint = unescapeMountinfo(String(decoding: fields[4], as: UTF8.self))
            let type = fields[dash + 1]
            if type.elementsEqual("cgroup2".utf8) {
                if points[""] == nil { points[""] = mountPoint }
            } else if type.elementsEqual("cgroup".utf8) {
                for option in fields[dash + 3].split(separator: UInt8(ascii: ",")) {
                    guard !option.elementsEqual("rw".utf8), !option.elementsEqual("ro".utf8), !option.contains(UInt8(ascii: "=")) else { continue }
                    let name = String(decoding: option, as: UTF8.self)
                    if points[name] == nil { points[name] = mountPoint }
                }
            }
        }
        return points
    }

    /// mountinfo writes space, tab, newline and backslash as `\040`-style octal escapes.
    static func unescapeMountinfo(_ field: String) -> String {
        guard field.utf8.contains(UInt8(ascii: "\\")) else { return field }
        var bytes: [UInt8] = []
        var utf8 = Array(field.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "\\"), utf8.count >= 3,
               let value = UInt8(String(decoding: utf8.prefix(3), as: UTF8.self), radix: 8) {
                bytes.append(value)
                utf8 = utf8.dropFirst(3)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// The session's cgroup: the directories to make, the values to write before the sandbox's first
/// process is moved in, and what each limit then rests on.
public struct SessionCgroup: Sendable, Hashable {
    public enum Version: String, Sendable, Hashable {
        /// One cgroup in the v2 hierarchy: `pids.max`, `memory.max`, `memory.swap.max`.
        case unified
        /// Legacy v1 hierarchies: `pids.max` in the pids one, `memory.limit_in_bytes` in the memory one.
        case legacy
    }

    public struct Setting: Sendable, Hashable {
        public var file: String
        public var value: String
        /// A file the kernel may not have (`memory.swap.max` without swap accounting): skipped
        /// when absent, never when it cannot be written.
        public var optional: Bool

        public init(file: String, value: String, optional: Bool = false) {
            self.file = file
            self.value = value
            self.optional = optional
        }
    }

    public var version: Version
    /// Made in this order, removed in the reverse one.
    public var directories: [String]
    public var settings: [Setting]
    /// Whether the cgroup holds the memory limit (else it stays an rlimit).
    public var limitsMemory: Bool

    /// The cgroup for a session named `name` (`warden-PID`), nil when no hierarchy can hold the
    /// process limit: then the limits stay rlimits. A cgroup that could hold only the memory
    /// limit is not worth making: the process limit is what stops a fork bomb, and the kernel
    /// never applies `RLIMIT_NPROC` to root.
    public static func choose(facts: CgroupFacts, name: String, processes: Int, memoryBytes: Int) -> SessionCgroup? {
        if let unified = facts.unified, unified.candidateWritable,
           unified.candidateSubtreeControllers.contains("pids") {
            let directory = CgroupFacts.unifiedCandidateParent(unified) + "/" + name
            var settings = [Setting(file: directory + "/pids.max", value: String(processes))]
            let memory = unified.candidateSubtreeControllers.contains("memory")
            if memory {
                settings.append(Setting(file: directory + "/memory.max", value: String(memoryBytes)))
                // Swap would let the session go past memory.max without the kernel stopping it.
                settings.append(Setting(file: directory + "/memory.swap.max", value: "0", optional: true))
            }
            return SessionCgroup(version: .unified, directories: [directory], settings: settings, limitsMemory: memory)
        }
        guard let pids = facts.legacy["pids"], pids.candidateWritable else { return nil }
        let pidsDirectory = CgroupFacts.legacyCandidateParent(pids) + "/" + name
        var directories = [pidsDirectory]
        var settings = [Setting(file: pidsDirectory + "/pids.max", value: String(processes))]
        var memory = false
        if let memoryHierarchy = facts.legacy["memory"], memoryHierarchy.candidateWritable,
           memoryHierarchy.mountPoint != pids.mountPoint {
            let memoryDirectory = CgroupFacts.legacyCandidateParent(memoryHierarchy) + "/" + name
            directories.append(memoryDirectory)
            settings.append(Setting(file: memoryDirectory + "/memory.limit_in_bytes", value: String(memoryBytes)))
            memory = true
        }
        return SessionCgroup(version: .legacy, directories: directories, settings: settings, limitsMemory: memory)
    }
}

extension SessionCgroup {
    /// The session's cgroup as the plan chooses it, named after the run directory
    /// (`warden-run.UID.PID`, unique among running sessions). `warden run` asks before the plan
    /// is made, to make the cgroup and start the launch gate while the plan is being made.
    public static func forSession(facts: CgroupFacts, processes: Int, memoryMegabytes: Int, runtimeDirectory: String) -> SessionCgroup? {
        let name = String(runtimeDirectory.split(separator: "/").last ?? "warden-run")
        return choose(facts: facts, name: name, processes: processes, memoryBytes: memoryMegabytes * 1024 * 1024)
    }
}
