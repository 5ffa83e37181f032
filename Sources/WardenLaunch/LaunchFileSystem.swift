#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
public import WardenSandbox
import WardenSystem

/// The real disk for the sandbox plan, through libc: lstat, realpath, readdir (with `d_type`,
/// so listing a directory costs no stat per entry).
public struct LaunchFileSystem: SandboxFileSystem {
    public init() {}

    public func kind(of path: String) -> PathKind? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        switch info.st_mode & S_IFMT {
        case S_IFDIR: return .directory
        case S_IFREG: return .file
        case S_IFLNK: return .symlink
        default: return .other
        }
    }

    public func resolvedPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    public func entries(of directory: String) -> [DirectoryEntry]? {
        guard let handle = opendir(directory) else { return nil }
        defer { closedir(handle) }
        var result: [DirectoryEntry] = []
        while let entry = readdir(handle) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name == "." || name == ".." { continue }
            let kind: PathKind
            switch Int32(entry.pointee.d_type) {
            case Int32(DT_DIR): kind = .directory
            case Int32(DT_REG): kind = .file
            case Int32(DT_LNK): kind = .symlink
            case Int32(DT_UNKNOWN):
                kind = self.kind(of: directory == "/" ? "/" + name : directory + "/" + name) ?? .other
            default: kind = .other
            }
            result.append(DirectoryEntry(name: name, kind: kind))
        }
        return result
    }

    public func contents(of path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while bytes.count < 65536 {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, 4096) }
            guard count > 0 else { break }
            bytes += buffer[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// What the kernel offers the sandbox, read at start.
public enum KernelProbe {
    /// The Landlock ABI (`landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION)`),
    /// 0 when Landlock is absent or disabled.
    public static func landlockABI() -> Int { Landlock.abi() }

    /// Whether this kernel has seccomp filters: `/proc/self/status` has a `Seccomp_filters:` line
    /// only on kernels built with CONFIG_SECCOMP_FILTER.
    public static func seccompAvailable() -> Bool {
        // Its lines read as bytes: String.contains(String) is _StringProcessing's generic search,
        // whose first use per process looks its types up at run time (about 0.2 ms of `warden run`).
        guard let status = LaunchFileSystem().contents(of: "/proc/self/status") else { return false }
        return status.utf8.split(separator: UInt8(ascii: "\n")).contains { $0.starts(with: "Seccomp_filters:".utf8) }
    }

    public static func features() -> KernelFeatures {
        KernelFeatures(landlockABI: landlockABI(), seccomp: seccompAvailable(), cgroups: CgroupProbe.facts())
    }

    /// Why unprivileged user namespaces are refused here, nil when nothing says so.
    public static func userNamespaceRefusal(uid: UInt32) -> String? {
        func number(_ path: String) -> Int? {
            guard let text = LaunchFileSystem().contents(of: path) else { return nil }
            return Int(text.filter { $0.isNumber })
        }
        if number("/proc/sys/user/max_user_namespaces") == 0 {
            return "user namespaces are disabled (user.max_user_namespaces is 0); fix: sysctl -w user.max_user_namespaces=15000"
        }
        guard uid != 0 else { return nil }
        if number("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") == 1 {
            return "AppArmor refuses unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns=1, Ubuntu 23.10+); fix: an AppArmor profile for bwrap with `userns,` (see the README), or sysctl -w kernel.apparmor_restrict_unprivileged_userns=0"
        }
        if number("/proc/sys/kernel/unprivileged_userns_clone") == 0 {
            return "unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone=0); fix: sysctl -w kernel.unprivileged_userns_clone=1"
        }
        return nil
    }
}

