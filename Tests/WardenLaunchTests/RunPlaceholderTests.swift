import Foundation
import Testing
import WardenLaunch
import WardenSandbox

@Suite("Placeholders of absent protected paths: created, recorded, swept")
struct RunPlaceholderTests {
    func directory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("warden-placeholders-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: path + "/project", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: path + "/run", withIntermediateDirectories: true)
        return path
    }

    @Test("the sweep removes what it made, keeps what someone wrote into, and the run directory goes")
    func sweep() throws {
        let base = try directory()
        defer { try? FileManager.default.removeItem(atPath: base) }
        let state = try LaunchPlaceholders.begin(stateDirectory: base + "/state", runtimeDirectory: base + "/run")
        _ = FileManager.default.createFile(atPath: base + "/run/empty", contents: Data())
        try state.create([
            HostPlaceholder(path: base + "/project/.mcp.json", kind: .file, reason: "test"),
            HostPlaceholder(path: base + "/project/.vscode", kind: .directory, reason: "test"),
            HostPlaceholder(path: base + "/project/.gitmodules", kind: .file, reason: "test"),
            HostPlaceholder(path: base + "/project/.idea", kind: .directory, reason: "test"),
        ])
        #expect(FileManager.default.fileExists(atPath: base + "/project/.mcp.json"))
        // Written on the host meanwhile: kept.
        try "[submodule]\n".write(toFile: base + "/project/.gitmodules", atomically: false, encoding: .utf8)
        _ = FileManager.default.createFile(atPath: base + "/project/.idea/workspace.xml", contents: Data("x".utf8))
        LaunchPlaceholders.sweep(stateFile: state.stateFile)
        let left = try FileManager.default.contentsOfDirectory(atPath: base + "/project").sorted()
        #expect(left == [".gitmodules", ".idea"])
        #expect(!FileManager.default.fileExists(atPath: base + "/run"))
        #expect(!FileManager.default.fileExists(atPath: state.stateFile))
        // Twice is harmless.
        LaunchPlaceholders.sweep(stateFile: state.stateFile)
    }

    @Test("the watcher (forked by warden-sandbox-init --gate --watch-cleanup) sweeps only once the writer of its pipe is gone")
    func watcher() throws {
        let base = try directory()
        defer { try? FileManager.default.removeItem(atPath: base) }
        let state = try LaunchPlaceholders.begin(stateDirectory: base + "/state", runtimeDirectory: base + "/run")
        try state.create([
            HostPlaceholder(path: base + "/project/.mcp.json", kind: .file, reason: "test"),
            HostPlaceholder(path: base + "/project/.vscode", kind: .directory, reason: "test"),
        ])
        let watching = try WatcherForTest(stateFile: state.stateFile)
        defer { watching.gate.abandon() }
        usleep(300_000)
        #expect(FileManager.default.fileExists(atPath: base + "/project/.mcp.json"), "swept while the pipe is open")
        #expect(FileManager.default.fileExists(atPath: state.stateFile))
        close(watching.life)
        var waited = 0
        while FileManager.default.fileExists(atPath: state.stateFile) && waited < 100 {
            usleep(50_000)
            waited += 1
        }
        #expect(!FileManager.default.fileExists(atPath: state.stateFile), "the watcher did not sweep within 5 s")
        #expect(!FileManager.default.fileExists(atPath: base + "/project/.mcp.json"))
        #expect(!FileManager.default.fileExists(atPath: base + "/project/.vscode"))
        #expect(!FileManager.default.fileExists(atPath: base + "/run"))
    }

    @Test("a placeholder listed as pending (its run killed before its inode was listed) is removed while empty; anything else stays")
    func pending() throws {
        let base = try directory()
        defer { try? FileManager.default.removeItem(atPath: base) }
        try FileManager.default.createDirectory(atPath: base + "/state", withIntermediateDirectories: true)
        let project = base + "/project"
        _ = FileManager.default.createFile(atPath: project + "/.mcp.json", contents: Data())
        try FileManager.default.createDirectory(atPath: project + "/.vscode", withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: project + "/.bashrc", contents: Data("# mine\n".utf8))
        try FileManager.default.createDirectory(atPath: project + "/.idea", withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: project + "/.idea/workspace.xml", contents: Data("x".utf8))
        let lines = ["pending-file\t0\t0\t\(project)/.mcp.json", "pending-dir\t0\t0\t\(project)/.vscode",
                     "pending-file\t0\t0\t\(project)/.bashrc", "pending-dir\t0\t0\t\(project)/.idea",
                     "pending-file\t0\t0\t\(project)/.gitmodules"]
        // pid 2^22 + 1 is above pid_max's default: a dead run.
        try (lines.joined(separator: "\n") + "\n").write(toFile: base + "/state/4194305.run", atomically: false, encoding: .utf8)
        LaunchPlaceholders.sweepAbandoned(stateDirectory: base + "/state")
        let left = try FileManager.default.contentsOfDirectory(atPath: project).sorted()
        #expect(left == [".bashrc", ".idea"])
        #expect(!FileManager.default.fileExists(atPath: base + "/state/4194305.run"))
    }

    @Test("a placeholder replaced by another file of the same name is not removed")
    func replaced() throws {
        let base = try directory()
        defer { try? FileManager.default.removeItem(atPath: base) }
        let state = try LaunchPlaceholders.begin(stateDirectory: base + "/state", runtimeDirectory: base + "/run")
        try state.create([HostPlaceholder(path: base + "/project/.profile", kind: .file, reason: "test")])
        // Moved aside (its inode stays in use) and an empty file made in its place: not ours.
        try FileManager.default.moveItem(atPath: base + "/project/.profile", toPath: base + "/project/profile-moved")
        close(creat(base + "/project/.profile", 0o644))
        LaunchPlaceholders.sweep(stateFile: state.stateFile)
        #expect(FileManager.default.fileExists(atPath: base + "/project/.profile"))
    }

    @Test("state files of runs whose warden is gone are swept at the next start; live ones are not")
    func abandoned() throws {
        let base = try directory()
        defer { try? FileManager.default.removeItem(atPath: base) }
        try FileManager.default.createDirectory(atPath: base + "/state", withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: base + "/project/.mcp.json", contents: Data())
        var info = stat()
        stat(base + "/project/.mcp.json", &info)
        // pid 2^22 + 1 is above pid_max's default: no such process.
        let dead = "file\t\(info.st_dev)\t\(info.st_ino)\t\(base)/project/.mcp.json\n"
        try dead.write(toFile: base + "/state/4194305.run", atomically: false, encoding: .utf8)
        _ = FileManager.default.createFile(atPath: base + "/project/.zshrc", contents: Data())
        stat(base + "/project/.zshrc", &info)
        let alive = "file\t\(info.st_dev)\t\(info.st_ino)\t\(base)/project/.zshrc\n"
        try alive.write(toFile: base + "/state/1.run", atomically: false, encoding: .utf8)  // init is alive
        LaunchPlaceholders.sweepAbandoned(stateDirectory: base + "/state")
        #expect(!FileManager.default.fileExists(atPath: base + "/project/.mcp.json"))
        #expect(FileManager.default.fileExists(atPath: base + "/project/.zshrc"))
        #expect(FileManager.default.fileExists(atPath: base + "/state/1.run"))
    }

    @Test("a dead run that had this process's pid (reused) is swept too: its state file and its run directory")
    func reusedPid() throws {
        let base = try directory()
        defer { try? FileManager.default.removeItem(atPath: base) }
        try FileManager.default.createDirectory(atPath: base + "/state", withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: base + "/project/.mcp.json", contents: Data())
        var info = stat()
        stat(base + "/project/.mcp.json", &info)
        let stale = "runtime\t0\t0\t\(base)/run\nfile\t\(info.st_dev)\t\(info.st_ino)\t\(base)/project/.mcp.json\n"
        try stale.write(toFile: base + "/state/\(getpid()).run", atomically: false, encoding: .utf8)
        LaunchPlaceholders.sweepAbandoned(stateDirectory: base + "/state")
        #expect(!FileManager.default.fileExists(atPath: base + "/project/.mcp.json"))
        #expect(!FileManager.default.fileExists(atPath: base + "/run"))
        #expect(!FileManager.default.fileExists(atPath: base + "/state/\(getpid()).run"))
    }

    @Test("a run directory left by a dead run is made afresh; a link or another user's is refused")
    func staleRunDirectory() throws {
        let base = try directory()
        defer { try? FileManager.default.removeItem(atPath: base) }
        let run = base + "/run"
        _ = FileManager.default.createFile(atPath: run + "/http.sock", contents: Data("stale".utf8))
        #expect(LaunchPlaceholders.makeRunDirectory(run, uid: getuid()))
        #expect(try FileManager.default.contentsOfDirectory(atPath: run).isEmpty)
        var info = stat()
        lstat(run, &info)
        #expect(info.st_mode & 0o777 == 0o700)

        // Someone else's directory, as far as this uid is concerned.
        #expect(!LaunchPlaceholders.makeRunDirectory(run, uid: getuid() &+ 1))
        #expect(errno == EEXIST)
        // A symbolic link is never followed or removed.
        let link = base + "/link"
        symlink(base + "/project", link)
        #expect(!LaunchPlaceholders.makeRunDirectory(link, uid: getuid()))
        #expect(FileManager.default.fileExists(atPath: base + "/project"))
    }
}
