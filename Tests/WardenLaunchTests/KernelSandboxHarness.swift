// Runs probes inside the real bubblewrap sandbox with the built warden-sandbox-init as bwrap's
// command, as root and as an unprivileged user the tests create (`warden-sbx-test`).
import Foundation
import Subprocess
import Testing
import WardenSandbox

#if canImport(System)
import System
#else
import SystemPackage
#endif

/// An executable built next to the test bundle (or named by `variable`).
func builtProduct(_ name: String, override variable: String) -> String {
    if let path = ProcessInfo.processInfo.environment[variable], !path.isEmpty { return path }
    let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    return URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent(name).path
}

/// Who runs bwrap: the test's own user (root here), and an unprivileged user made for the tests.
enum SandboxUser: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case root
    case unprivileged

    var testDescription: String { rawValue }
    static let name = "warden-sbx-test"

    /// uid and gid of the unprivileged user, made with `useradd -m` when absent.
    static let account: (uid: UInt32, gid: UInt32)? = {
        if getpwnam(name) == nil {
            let made = Process.runQuiet("/usr/sbin/useradd", ["-m", name])
            if !made { return nil }
        }
        guard let entry = getpwnam(name) else { return nil }
        return (entry.pointee.pw_uid, entry.pointee.pw_gid)
    }()

    /// The users these tests can run as: both when the tests run as root.
    static var available: [SandboxUser] { getuid() == 0 ? allCases : [.root] }

    /// `command` wrapped to run as this user.
    func wrap(_ command: [String]) throws -> [String] {
        switch self {
        case .root: return command
        case .unprivileged:
            guard let account = SandboxUser.account else { throw ProbeError("cannot create the user \(SandboxUser.name)") }
            return ["/usr/bin/setpriv", "--reuid=\(account.uid)", "--regid=\(account.gid)", "--init-groups", "--reset-env"] + command
        }
    }

    var uid: UInt32 { self == .root ? getuid() : (SandboxUser.account?.uid ?? getuid()) }
    var gid: UInt32 { self == .root ? getgid() : (SandboxUser.account?.gid ?? getgid()) }
}

struct ProbeError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension Process {
    static func runQuiet(_ path: String, _ arguments: [String]) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }
}

struct SandboxResult: CustomStringConvertible {
    var status: TerminationStatus
    var stdout: String
    var stderr: String
    var exitCode: Int32? { if case .exited(let code) = status { return code } else { return nil } }
    var description: String { "status \(status), stdout \(stdout.debugDescription), stderr \(stderr.debugDescription)" }
    /// The probe's answer: its last line of output.
    var answer: String { stdout.split(separator: "\n").last.map(String.init) ?? "" }
}

/// A scratch directory the sandbox's user owns, bound into the sandbox at the same path.
struct Scratch {
    let path: String
    let user: SandboxUser

    init(for user: SandboxUser) throws {
        let base = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        // The unprivileged user must be able to reach its directory through $TMPDIR (the run's own).
        var status = stat()
        if base != "/tmp", stat(base, &status) == 0 { chmod(base, (status.st_mode & 0o7777) | 0o011) }
        path = base + "/warden-sbx-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        chown(path, user.uid, user.gid)
        self.user = user
    }

    func write(_ name: String, _ text: String, mode: mode_t = 0o644) throws -> String {
        let file = path + "/" + name
        try text.write(toFile: file, atomically: false, encoding: .utf8)
        chmod(file, mode)
        chown(file, user.uid, user.gid)
        return file
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

enum Sandbox {
    static var initBinary: String { builtProduct("warden-sandbox-init", override: "WARDEN_SANDBOX_INIT_BIN") }
    static let python = "/usr/bin/python3"

    /// A spec with the agent's seccomp filter and Landlock (this kernel's ABI) writable in `scratch`.
    static func spec(_ scratch: Scratch, command: [String], seccomp: SeccompProfile = .agent(allowUnixSocketPaths: [], allowAllUnixSockets: false),
                     landlock: Bool = true, limits: SandboxLimits = SandboxLimits(), forwarders: [SandboxInnerSpec.Forwarder] = []) -> SandboxInnerSpec {
        SandboxInnerSpec(
            forwarders: forwarders, limits: limits,
            landlock: landlock ? .forSandbox(abi: kernelLandlockABI, readable: ["/"], writable: [scratch.path]) : nil,
            seccomp: seccomp, workingDirectory: scratch.path, command: command)
    }

    static let kernelLandlockABI: Int = {
        typealias Sys = @convention(c) (CLong, CLong, CLong, CLong) -> CLong
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "syscall") else { return 0 }
        let version = unsafeBitCast(symbol, to: Sys.self)(444, 0, 0, 1)
        return version > 0 ? Int(version) : 0
    }()

    /// Runs bwrap with init and `spec` as `user`. `beforeInit` (shell words) runs in the sandbox
    /// before init, outside init's Landlock domain, as `sh -c '…; exec init --spec FILE'`.
    static func run(_ spec: SandboxInnerSpec, in scratch: Scratch, as user: SandboxUser, beforeInit: String? = nil,
                    extraBinds: [String] = []) async throws -> SandboxResult {
        let specFile = try scratch.write("spec-\(UUID().uuidString.prefix(6)).json", spec.json())
        return try await runRaw(specFile: specFile, in: scratch, as: user, beforeInit: beforeInit, extraBinds: extraBinds)
    }

    static func bwrapArguments(specFile: String, scratch: Scratch, beforeInit: String?, extraBinds: [String]) -> [String] {
        var arguments = ["/usr/bin/bwrap", "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
                         "--tmpfs", "/tmp", "--bind", scratch.path, scratch.path]
        // A build under the host's /tmp (a scratch clone) is hidden by the private /tmp: bound back.
        let binaries = (initBinary as NSString).deletingLastPathComponent
        if binaries.hasPrefix("/tmp/") { arguments += ["--ro-bind", binaries, binaries] }
        for path in extraBinds { arguments += ["--bind", path, path] }
        arguments.append("--")
        if let beforeInit {
            arguments += ["/bin/sh", "-c", "\(beforeInit)\nexec \(initBinary) --spec \(specFile)"]
        } else {
            arguments += [initBinary, "--spec", specFile]
        }
        return arguments
    }

    static func runRaw(specFile: String, in scratch: Scratch, as user: SandboxUser, beforeInit: String? = nil, extraBinds: [String] = []) async throws -> SandboxResult {
        let command = try user.wrap(bwrapArguments(specFile: specFile, scratch: scratch, beforeInit: beforeInit, extraBinds: extraBinds))
        let result = try await Subprocess.run(
            .path(FilePath(command[0])), arguments: Arguments(Array(command.dropFirst())),
            environment: .custom(["PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"]),
            input: .none, output: .string(limit: 1 << 20), error: .string(limit: 1 << 20))
        return SandboxResult(status: result.terminationStatus, stdout: result.standardOutput, stderr: result.standardError)
    }

    /// The python preamble of every probe: `call(number, *args)` makes a raw system call and
    /// returns "ok" or "errno N".
    static let preamble = """
        import ctypes, os, sys, socket, errno
        libc = ctypes.CDLL(None, use_errno=True)
        libc.syscall.restype = ctypes.c_long
        def call(number, *args):
            ctypes.set_errno(0)
            result = libc.syscall(ctypes.c_long(number), *[ctypes.c_long(a) for a in args])
            return "errno %d" % ctypes.get_errno() if result == -1 else "ok"

        """

    /// Runs a python probe (preamble + `body`, which prints its answer last) in the sandbox.
    static func probe(_ body: String, as user: SandboxUser, seccomp: SeccompProfile = .agent(allowUnixSocketPaths: [], allowAllUnixSockets: false),
                      landlock: Bool = true, limits: SandboxLimits = SandboxLimits(), beforeInit: String? = nil) async throws -> SandboxResult {
        let scratch = try Scratch(for: user)
        defer { scratch.remove() }
        let script = try scratch.write("probe.py", preamble + body)
        let spec = spec(scratch, command: [python, script], seccomp: seccomp, landlock: landlock, limits: limits)
        return try await run(spec, in: scratch, as: user, beforeInit: beforeInit)
    }
}
