import Foundation
import Testing

@Suite("hooks/claude.sh: the claude function and the PATH shim")
struct RunShimTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("hooks/claude.sh").path

    /// A fake `claude` that says what it got and whether it runs inside bwrap's pid namespace.
    func scene() throws -> (scene: RunScene, path: String) {
        let scene = try RunScene(user: .root, policy: "{}")
        let fake = scene.base + "/real-bin", shim = scene.base + "/shim-bin"
        try FileManager.default.createDirectory(atPath: fake, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: shim, withIntermediateDirectories: true)
        // The executables are made by install(1), not written here: a descriptor open for writing
        // in this process could be inherited by a child another test forks at that moment, and
        // exec would then fail with ETXTBSY ("Text file busy") while that child lives.
        try "#!/bin/sh\necho \"args=$*\"\necho \"pid1=$(cat /proc/1/comm)\"\n".write(toFile: scene.base + "/claude.txt", atomically: false, encoding: .utf8)
        try RunScene.shell("install -m 755 \(scene.base)/claude.txt \(fake)/claude && install -m 755 \(Self.script) \(shim)/claude")
        let warden = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
        let wardenDirectory = ProcessInfo.processInfo.environment["WARDEN_BIN"].map { URL(fileURLWithPath: $0).deletingLastPathComponent().path }
            ?? ((try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")).map { URL(fileURLWithPath: $0).deletingLastPathComponent().path } ?? warden)
        return (scene, "\(shim):\(fake):\(wardenDirectory):/usr/bin:/bin")
    }

    func run(_ command: String, path: String, scene: RunScene) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", command]
        process.currentDirectoryURL = URL(fileURLWithPath: scene.project)
        process.environment = ["PATH": path, "HOME": scene.home, "WARDEN_POLICY": scene.policy, "XDG_STATE_HOME": scene.home + "/.local/state"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    @Test("the shim on PATH runs the real claude inside the sandbox, not itself")
    func shim() throws {
        let (scene, path) = try scene()
        defer { scene.remove() }
        let output = try run("claude -p 'hello there'", path: path, scene: scene)
        #expect(output.contains("args=-p hello there"), "\(output)")
        #expect(output.contains("pid1=bwrap"), "\(output)")
    }

    @Test("the sourced function does the same; `command claude` steps around it")
    func function() throws {
        let (scene, path) = try scene()
        defer { scene.remove() }
        let sandboxed = try run(". \(Self.script); claude --version", path: path, scene: scene)
        #expect(sandboxed.contains("args=--version") && sandboxed.contains("pid1=bwrap"), "\(sandboxed)")
        let bypass = try run(". \(Self.script); PATH=${PATH#*:} command claude --version", path: path, scene: scene)
        #expect(bypass.contains("args=--version") && !bypass.contains("pid1=bwrap"), "\(bypass)")
    }
}
