#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
public import WardenSandbox
import WardenSystem

/// The host side of protecting paths that do not exist yet. bwrap can only mount over a path that
/// exists, and creating it inside a writable bind creates it on the host; so `warden run` creates
/// each one itself before bwrap starts (an empty file or directory), writes what it made to a
/// state file (path, device, inode), and removes them afterwards — when the session ends, or,
/// when `warden` is killed with SIGKILL, from a watcher process that outlives it (it waits for
/// end of file on a pipe only `warden` holds), and at the latest by the sweep at the next start
/// of a state file whose `warden` is gone. A placeholder is removed only while it is still the
/// same inode and still empty: a file someone wrote on the host in the meantime stays.
public struct LaunchPlaceholders: Sendable {
    public let stateFile: String

    public init(stateFile: String) { self.stateFile = stateFile }

    /// The state directory: `$XDG_STATE_HOME/warden/run`, else `~/.local/state/warden/run`.
    public static func stateDirectory(environment: (String) -> String?) -> String? {
        if let state = environment("XDG_STATE_HOME"), state.hasPrefix("/") { return state + "/warden/run" }
        if let home = environment("HOME"), home.hasPrefix("/") { return home + "/.local/state/warden/run" }
        return nil
    }

    static func makeDirectories(_ path: String) {
        // After the first run it is there: one mkdir instead of one per name.
        if mkdir(path, 0o700) == 0 || errno == EEXIST { return }
        var current = ""
        for part in path.split(separator: "/") {
            current += "/"
            current += String(part)
            mkdir(current, 0o700)
        }
    }

    /// Creates the run's state file, recording the run directory (removed at the end as well).
    /// This run's state file in `stateDirectory` (named after this process's pid).
    public static func stateFile(in stateDirectory: String) -> String {
        "\(stateDirectory)/\(getpid()).run"
    }

    public static func begin(stateDirectory: String, runtimeDirectory: String) throws(LaunchError) -> LaunchPlaceholders {
        makeDirectories(stateDirectory)
        let path = stateFile(in: stateDirectory)
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw LaunchError("cannot write the run state \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let line = "runtime\t0\t0\t\(runtimeDirectory)\n"
        _ = line.utf8CString.withUnsafeBytes { write(fd, $0.baseAddress, $0.count - 1) }
        return LaunchPlaceholders(stateFile: path)
    }

    /// Creates the plan's placeholders, each recorded before the next is made. Two sessions in
    /// one home share their placeholders: one that another live session made (or makes at the
    /// same moment) is adopted — recorded here too — instead of made, and the last session to
    /// end removes it (see `sweep`). Otherwise the first session to end would remove a path the
    /// other's sandbox has mounted over, and the kernel would then drop that mount, unprotecting
    /// the path for the rest of the other session.
    public func create(_ placeholders: [HostPlaceholder]) throws(LaunchError) {
        try Self.withLock(stateDirectory) { () throws(LaunchError) in
            // One descriptor for all the lines (each still written before the next path is made).
            let state = open(stateFile, O_WRONLY | O_APPEND | O_CLOEXEC)
            guard state >= 0 else { throw LaunchError("cannot write the run state \(stateFile): \(String(cString: strerror(errno)))") }
            defer { close(state) }
            for placeholder in placeholders {
                // Listed before it is made (its device and inode follow once it exists): a
                // SIGKILL between the two would otherwise leave a placeholder nobody knows of,
                // which every later plan would take for the developer's own file.
                append("\(placeholder.kind == .directory ? "pending-dir" : "pending-file")\t0\t0\t\(placeholder.path)\n", to: state)
                let made: Bool
                if placeholder.kind == .directory {
                    made = mkdir(placeholder.path, 0o755) == 0
                } else {
                    let fd = open(placeholder.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
                    if fd >= 0 { close(fd) }
                    made = fd >= 0
                }
                let failure = errno
                var info = stat()
                let present = lstat(placeholder.path, &info) == 0
                if !made {
                    let wanted = placeholder.kind == .directory ? S_IFDIR : S_IFREG
                    let emptyDirectory = placeholder.kind != .directory || (LaunchFileSystem().entries(of: placeholder.path)?.isEmpty ?? false)
                    guard failure == EEXIST, present, info.st_mode & S_IFMT == wanted,
                          placeholder.kind == .directory ? emptyDirectory : info.st_size == 0 else {
                        throw LaunchError("cannot create the mount point \(placeholder.path) of a protected path: \(String(cString: strerror(failure)))")
                    }
                }
                guard present else { continue }
                append("\(placeholder.kind == .directory ? "dir" : "file")\t\(info.st_dev)\t\(info.st_ino)\t\(placeholder.path)\n", to: state)
            }
        }
    }

    /// Records, as this session's too, the placeholders of other live sessions that this
    /// session's sandbox mounts over (`destinations`): its plan saw them as existing paths.
    public func adoptShared(destinations: [String]) {
        let wanted = Set(destinations)
        Self.withLock(stateDirectory) {
            for entry in Self.placeholdersOfOtherLiveRuns(stateDirectory: stateDirectory, except: stateFile) where wanted.contains(entry.path) {
                var info = stat()
                guard lstat(entry.path, &info) == 0, String(info.st_dev) == entry.device, String(info.st_ino) == entry.inode else { continue }
                append("\(entry.kind)\t\(entry.device)\t\(entry.inode)\t\(entry.path)\n")
            }
        }
    }

    var stateDirectory: String {
        String(stateFile[..<(stateFile.lastIndex(of: "/") ?? stateFile.endIndex)])
    }

    /// Serialises what the runs of one state directory do to shared placeholders.
    static func withLock<T, E: Error>(_ stateDirectory: String, _ body: () throws(E) -> T) throws(E) -> T {
        let fd = open(stateDirectory + "/.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        if fd >= 0 {
            while flock(fd, LOCK_EX) != 0 && errno == EINTR {}
        }
        defer { if fd >= 0 { close(fd) } }
        return try body()
    }

    struct Entry: Hashable {
        var kind: String
        var device: String
        var inode: String
        var path: String
    }

    static func entries(stateFile: String) -> [Entry] {
        guard let text = LaunchFileSystem().contents(of: stateFile) else { return [] }
        return text.split(separator: "\n").map { $0.split(separator: "\t", maxSplits: 3).map(String.init) }
            .filter { $0.count == 4 }
            .map { Entry(kind: $0[0], device: $0[1], inode: $0[2], path: $0[3]) }
    }

    /// The `dir` and `file` entries of the state files whose `warden` is still alive.
    static func placeholdersOfOtherLiveRuns(stateDirectory: String, except stateFile: String) -> [Entry] {
        var found: [Entry] = []
        for item in LaunchFileSystem().entries(of: stateDirectory) ?? [] where item.name.hasSuffix(".run") {
            let path = stateDirectory + "/" + item.name
            guard path != stateFile, let pid = pid_t(item.name.dropLast(4)), kill(pid, 0) == 0 || errno == EPERM else { continue }
            found += entries(stateFile: path).filter { $0.kind == "dir" || $0.kind == "file" }
        }
        return found
    }

    /// The placeholders other live sessions of this state directory made and still hold (the
    /// same inode as they recorded): the plan takes them as absent (SandboxRequest).
    public static func otherSessionsPlaceholders(stateDirectory: String) -> Set<String> {
        var paths: Set<String> = []
        for entry in placeholdersOfOtherLiveRuns(stateDirectory: stateDirectory, except: stateFile(in: stateDirectory)) {
            var info = stat()
            guard lstat(entry.path, &info) == 0, String(info.st_dev) == entry.device, String(info.st_ino) == entry.inode else { continue }
            paths.insert(entry.path)
        }
        return paths
    }

    /// Records a directory of the session's cgroup, removed like the placeholders.
    public func recordCgroup(_ directory: String) {
        append("cgroup\t0\t0\t\(directory)\n")
    }

    /// Each line is written (write(2)) before the next path is made: the watcher and the next
    /// run's sweep read it after `warden` dies, however it dies, as the page cache outlives the
    /// process. It is not fsync'd: only a crash of the whole machine could lose a line, which
    /// leaves an empty placeholder behind (more protected, never less), and an fsync per line
    /// cost 1.5 ms of every start on a quiet disk, one fsync 7–10 ms on a busy one.
    func append(_ line: String, to descriptor: Int32? = nil) {
        let fd = descriptor ?? open(stateFile, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { if descriptor == nil { close(fd) } }
        _ = line.utf8CString.withUnsafeBytes { write(fd, $0.baseAddress, $0.count - 1) }
    }

    /// What a sweep does with the session's cgroup directories. A cgroup can be removed only once
    /// the kernel has let its last process go (`EBUSY` until then, for a few milliseconds after
    /// bwrap's exit), and every cgroup operation waits for the kernel's cgroup lock, which
    /// another process's move into a cgroup holds for a whole RCU grace period.
    public enum CgroupRemoval: Sendable {
        /// Left listed for the watcher, with the run directory: `warden run`'s own sweep, so that
        /// its exit waits for none of this (the run directory is private to the run and outside
        /// the project: nobody's work trips over it for the moments it stays).
        case leave
        /// `rmdir` once; one still busy stays listed (the next run's sweep of a dead run's state).
        case tryOnce
        /// Tried every millisecond for up to that many milliseconds, outside the lock, so that
        /// neither `warden run`'s exit nor the next run's start waits for it (the watcher).
        case wait(milliseconds: Int)
    }

    /// Removes what the state file lists, then the state file. Safe to run twice, and by two
    /// processes at once. A placeholder another live session also records stays: that session
    /// removes it when it ends. A cgroup not removed (see `CgroupRemoval`) stays listed, alone.
    public static func sweep(stateFile: String, cgroups: CgroupRemoval = .tryOnce) {
        let stateDirectory = String(stateFile[..<(stateFile.lastIndex(of: "/") ?? stateFile.endIndex)])
        let left = withLock(stateDirectory) { sweepLocked(stateFile: stateFile, stateDirectory: stateDirectory, leaveToWatcher: { if case .leave = cgroups { true } else { false } }()) }
        guard case .wait(let milliseconds) = cgroups, !left.isEmpty else { return }
        let stillThere = Set(SessionCgroupSetup.remove(directories: left.map(\.path), patience: milliseconds))
        withLock(stateDirectory) {
            // Only if no other sweep has changed the file since (a new run whose pid is this
            // one's would have begun it afresh).
            guard entries(stateFile: stateFile) == left else { return }
            rewrite(stateFile: stateFile, left.filter { stillThere.contains($0.path) })
        }
    }

    /// The sweep under the lock: returns the entries left (cgroups busy or not tried, the run
    /// directory left to the watcher), which stay in the file.
    private static func sweepLocked(stateFile: String, stateDirectory: String, leaveToWatcher: Bool) -> [Entry] {
        let listed = entries(stateFile: stateFile)
        guard !listed.isEmpty || access(stateFile, F_OK) == 0 else { return [] }
        let shared = Set(placeholdersOfOtherLiveRuns(stateDirectory: stateDirectory, except: stateFile))
        let sharedPaths = Set(shared.map(\.path))
        let complete = Set(listed.filter { $0.kind == "dir" || $0.kind == "file" }.map(\.path))
        var busy: [Entry] = []
        // Deepest first, so a placeholder inside another comes out first.
        for entry in listed.reversed() {
            if entry.kind == "pending-dir" || entry.kind == "pending-file" {
                // Made, perhaps, but never listed with its inode (the run was killed in between):
                // removed while it is what a placeholder is, an empty file or directory that no
                // other live session shares. An empty file is what the run would have adopted too.
                guard !complete.contains(entry.path), !sharedPaths.contains(entry.path) else { continue }
                var info = stat()
                guard lstat(entry.path, &info) == 0 else { continue }
                if entry.kind == "pending-dir" {
                    if info.st_mode & S_IFMT == S_IFDIR { _ = rmdir(entry.path) }  // kept when something is inside
                } else if info.st_mode & S_IFMT == S_IFREG && info.st_size == 0 {
                    _ = unlink(entry.path)
                }
                continue
            }
            if entry.kind == "runtime" {
                if leaveToWatcher {
                    busy.insert(entry, at: 0)
                    continue
                }
                // Listed before it is made: only this user's own real directory is removed (a
                // link or another user's directory of that name was refused, not made).
                var info = stat()
                if lstat(entry.path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR, info.st_uid == getuid() { removeTree(entry.path) }
                continue
            }
            if entry.kind == "cgroup" {
                if leaveToWatcher || !SessionCgroupSetup.remove(directories: [entry.path]).isEmpty { busy.insert(entry, at: 0) }
                continue
            }
            guard !shared.contains(entry) else { continue }
            var info = stat()
            guard lstat(entry.path, &info) == 0, String(info.st_dev) == entry.device, String(info.st_ino) == entry.inode else { continue }
            if entry.kind == "dir" {
                _ = rmdir(entry.path)  // fails, and keeps it, when something was put inside
            } else if info.st_size == 0 && (info.st_mode & S_IFMT) == S_IFREG {
                _ = unlink(entry.path)
            }
        }
        rewrite(stateFile: stateFile, busy)
        return busy
    }

    /// The state file with only `entries`, or no state file when there are none. Replaced by a
    /// rename, so that a reader sees the old list or the new one.
    private static func rewrite(stateFile: String, _ entries: [Entry]) {
        guard !entries.isEmpty else {
            unlink(stateFile)
            return
        }
        let temporary = stateFile + ".new"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        let text = entries.map { "\($0.kind)\t\($0.device)\t\($0.inode)\t\($0.path)\n" }.joined()
        let written = Files.writeAll(fd, text)
        close(fd)
        if !written || rename(temporary, stateFile) != 0 { unlink(temporary) }
    }

    /// Sweeps the state files of runs whose `warden` is no longer alive. Called before this
    /// run writes its own: a state file named after this process's pid is a dead run's whose
    /// pid was reused (pid_max is 32768 on many machines), swept like the others.
    public static func sweepAbandoned(stateDirectory: String) {
        for entry in LaunchFileSystem().entries(of: stateDirectory) ?? [] where entry.name.hasSuffix(".run") {
            guard let pid = pid_t(entry.name.dropLast(4)) else { continue }
            if pid == getpid() || (kill(pid, 0) != 0 && errno == ESRCH) {
                sweep(stateFile: "\(stateDirectory)/\(entry.name)")
            }
        }
    }

    /// Where run directories go: `$XDG_RUNTIME_DIR` (an absolute path; systemd's per-user tmpfs),
    /// else `/dev/shm` (the tmpfs every Linux system has) when it is a sticky directory this user
    /// may write, else `/tmp`. A run directory gets a dozen files and sockets made and removed
    /// per session: on a disk file system (a `/tmp` on ext4, where creating a file searched past
    /// recently deleted inodes) that cost 0.65 ms of every start against memory.
    public static func runtimeBase(environment: (String) -> String?) -> String {
        if let directory = environment("XDG_RUNTIME_DIR"), directory.hasPrefix("/") { return directory }
        var info = stat()
        if lstat("/dev/shm", &info) == 0, info.st_mode & S_IFMT == S_IFDIR, info.st_mode & S_ISVTX != 0,
           access("/dev/shm", W_OK | X_OK) == 0
        {
            return "/dev/shm"
        }
        return "/tmp"
    }

    /// Creates the run directory (mode 0700). Its name carries this process's pid, so one that
    /// exists already is a dead run's whose pid was reused and whose clean-up did not happen
    /// (its watcher killed too): removed and made afresh when it is a real directory of this
    /// uid; anything else there (a link, another user's) is refused, errno EEXIST.
    public static func makeRunDirectory(_ path: String, uid: UInt32) -> Bool {
        if mkdir(path, 0o700) == 0 { return true }
        guard errno == EEXIST else { return false }
        var info = stat()
        guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR, info.st_uid == uid else {
            errno = EEXIST
            return false
        }
        removeTree(path)
        return mkdir(path, 0o700) == 0
    }

    /// The run directory holds only what `warden run` put there (empty files, sockets, the spec).
    static func removeTree(_ path: String) {
        for entry in LaunchFileSystem().entries(of: path) ?? [] {
            let child = path + "/" + entry.name
            if entry.kind == .directory { removeTree(child) } else { unlink(child) }
        }
        rmdir(path)
    }

    /// The watcher: blocks until `stdin` (a pipe only `warden run` writes to) reaches end of file,
    /// which happens however `warden` ends, SIGKILL included; then sweeps, and waits for the
    /// session's cgroup to be let go (off `warden run`'s path: it has returned by then).
    /// `sandboxEnded`: a pipe whose write end bwrap holds (`--sync-fd`: bwrap's own init inside
    /// keeps it while the sandbox lives). After a SIGKILL of `warden` the sandbox dies too, a
    /// moment later, through the parent-death signals of the gate and bwrap; but bwrap still
    /// making its mounts would make its mount points on the host again after the sweep, and
    /// bwrap's child loses that signal for a moment while it changes its credentials in a new user
    /// namespace (an orphaned sandbox then ran on). So the sweep waits for the pipe's end: every
    /// 200 ms without it, every process still holding its write end is killed (the sandbox's init
    /// is pid 1 of its namespace: all of it goes), for 10 s at most.
    public static func watch(stateFile: String, sandboxEnded: Int32) -> Never {
        var byte: UInt8 = 0
        while true {
            let count = read(0, &byte, 1)
            if count == 0 || (count < 0 && errno != EINTR) { break }
        }
        // Again every 200 ms: a holder killed may just have cloned bwrap's child.
        for _ in 0..<50 where !waitForEnd(of: sandboxEnded, milliseconds: 200) {
            killHolders(of: sandboxEnded)
        }
        sweep(stateFile: stateFile, cgroups: .wait(milliseconds: 10_000))
        exit(0)
    }

    /// Whether every write end of the pipe `fd` reads from closed within `milliseconds`.
    static func waitForEnd(of fd: Int32, milliseconds: Int) -> Bool {
        func now() -> Int {
            var time = timespec()
            clock_gettime(CLOCK_MONOTONIC, &time)
            return Int(time.tv_sec) * 1000 + Int(time.tv_nsec) / 1_000_000
        }
        let end = now() + milliseconds
        var byte: UInt8 = 0
        while true {
            let left = end - now()
            guard left > 0 else { return false }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(left))
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else { return false }
            // Nothing is written to it: only its end counts.
            let count = read(fd, &byte, 1)
            if count == 0 { return true }
            if count < 0 && errno != EINTR && errno != EAGAIN { return true }
        }
    }

    /// SIGKILL to every process (of this user) with a descriptor on the pipe `fd` belongs to.
    static func killHolders(of fd: Int32) {
        var info = stat()
        guard fstat(fd, &info) == 0 else { return }
        let wanted = "pipe:[\(info.st_ino)]"
        let me = getpid()
        for entry in LaunchFileSystem().entries(of: "/proc") ?? [] {
            guard let pid = pid_t(entry.name), pid != me else { continue }
            for descriptor in LaunchFileSystem().entries(of: "/proc/\(pid)/fd") ?? [] {
                var target = [CChar](repeating: 0, count: 64)
                let length = readlink("/proc/\(pid)/fd/\(descriptor.name)", &target, 63)
                guard length > 0, String(cString: target) == wanted else { continue }
                kill(pid, SIGKILL)
                break
            }
        }
    }
}
