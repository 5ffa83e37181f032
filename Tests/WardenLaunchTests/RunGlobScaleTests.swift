import Foundation
import Testing
import WardenLaunch
import WardenPolicy
import WardenSandbox

@Suite("Sandbox globs on a large tree")
struct RunGlobScaleTests {
    @Test("**/.env* over 100,000 files: every match found, .git skipped, the time printed")
    func largeTree() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("warden-globs-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let project = root + "/project"
        for directory in 0..<1000 {
            let path = "\(project)/d\(directory / 50)/s\(directory)"
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            for file in 0..<100 { close(creat("\(path)/f\(file).txt", 0o644)) }
            if directory % 100 == 0 { close(creat("\(path)/.env.local", 0o644)) }
        }
        try FileManager.default.createDirectory(atPath: project + "/.git/objects", withIntermediateDirectories: true)
        close(creat(project + "/.git/objects/.env.decoy", 0o644))
        try FileManager.default.createDirectory(atPath: root + "/home", withIntermediateDirectories: true)

        let policy = try Policy.parse(text: #"{"permissions": {"deny": ["Read(**/.env*)", "Read(**/secrets/**)", "Edit(**/*.pem)"]}}"#, path: nil)
        let request = SandboxRequest(
            policy: policy, policyPath: nil, home: root + "/home", workingDirectory: project, environment: [],
            kernel: KernelFeatures(landlockABI: 0), uid: getuid(), gid: getgid(), command: ["/bin/true"],
            wardenDirectory: "/nonexistent", logDirectory: nil, runtimeDirectory: root + "/run")
        let clock = ContinuousClock()
        var plan: SandboxPlan?
        let elapsed = clock.measure { plan = SandboxPlanner.plan(request, fileSystem: LaunchFileSystem()) }
        let masked = try #require(plan).maskedPaths
        #expect(masked.filter { $0.hasSuffix("/.env.local") }.count == 10)
        #expect(!masked.contains { $0.contains("/.git/") })
        print("sandbox plan over 100,000 files, 3 glob rules: \(elapsed)")
    }
}
