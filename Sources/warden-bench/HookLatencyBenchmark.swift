import ArgumentParser
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Whole-process latency of a hook, as Claude Code pays it on every tool call: spawn, the event
/// written to stdin, the decision, exit. Every contender is started the same way (posix_spawn,
/// stdin a pipe, stdout and stderr /dev/null) and timed from spawn to reap, and the contenders take
/// turns run by run, so that noise on the machine hits all of them alike.
struct HookLatencyBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hook-latency",
        abstract: "Time warden-hook from spawn to exit against /bin/true and a minimal Python hook.",
        discussion: "Build the hook first with Scripts/build-release.sh (static Swift runtime), or run Scripts/bench-hook.sh, which does both.")

    @Option(help: "The warden-hook executable to time.")
    var hook = ".build/release/warden-hook"

    @Option(help: "The policy file the hook is given.")
    var policy = "profiles/baseline.json"

    @Option(help: "The python3 interpreter for the Python contender (default: the real interpreter behind `python3` on PATH).")
    var python: String?

    @Option(help: "Timed runs of each contender.")
    var runs = 300

    @Option(help: "Untimed runs of each contender first.")
    var warmup = 20

    @Flag(help: "Print the results as a Markdown table.")
    var markdown = false

    static let compoundCommand = #"cd src && git status && for f in *.swift; do grep -n TODO "$f" | head -5; done; find . -name '*.o' -exec rm {} \; ; echo "$(date)" >> build.log"#

    func validate() throws {
        guard runs > 0, warmup >= 0 else { throw ValidationError("--runs must be positive and --warmup not negative.") }
        guard access(hook, X_OK) == 0 else {
            throw ValidationError("no executable hook at \(hook); build it with Scripts/build-release.sh or pass --hook.")
        }
        guard FileManager.default.isReadableFile(atPath: policy) else { throw ValidationError("cannot read the policy \(policy).") }
    }

    func run() throws {
        signal(SIGPIPE, SIG_IGN)  // a contender that exits without reading its stdin must not kill us
        let python = try self.python ?? Self.realPython()
        let workingDirectory = FileManager.default.currentDirectoryPath
        func event(_ tool: String, _ input: [String: String]) throws -> [UInt8] {
            let members: [String: Any] = [
                "session_id": "bench", "transcript_path": "/tmp/bench.jsonl", "cwd": workingDirectory,
                "permission_mode": "default", "hook_event_name": "PreToolUse", "tool_name": tool, "tool_input": input,
            ]
            return Array(try JSONSerialization.data(withJSONObject: members, options: [.sortedKeys]))
        }
        let plainBash = try event("Bash", ["command": "ls -la", "description": "List files"])
        let compoundBash = try event("Bash", ["command": Self.compoundCommand, "description": "Build chores"])
        let read = try event("Read", ["file_path": workingDirectory + "/Package.swift"])
        let hookArguments = [hook, "--policy", policy]
        let contenders = [
            Contender(name: "/bin/true", arguments: ["/bin/true"], stdin: plainBash, expectedStatus: 0),
            Contender(name: "python3 json.load", arguments: [python, "-c", "import json,sys; json.load(sys.stdin)"], stdin: plainBash, expectedStatus: 0),
            Contender(name: "warden-hook, Bash `ls -la`", arguments: hookArguments, stdin: plainBash, expectedStatus: 0),
            Contender(name: "warden-hook, Bash compound (\(Self.compoundCommand.utf8.count) chars)", arguments: hookArguments, stdin: compoundBash, expectedStatus: 0),
            Contender(name: "warden-hook, Read", arguments: hookArguments, stdin: read, expectedStatus: 0),
            // What the decision log costs: the same call without it.
            Contender(name: "warden-hook --no-log, Bash `ls -la`", arguments: hookArguments + ["--no-log"], stdin: plainBash, expectedStatus: 0),
        ]

        // One checked run of each, showing what is being timed.
        for contender in contenders {
            let outcome = try HookSpawner.run(contender.arguments, stdin: contender.stdin, capture: true)
            guard outcome.status == contender.expectedStatus else {
                throw ValidationError("\(contender.name) exited with \(outcome.status), not \(contender.expectedStatus): \(outcome.stderr)")
            }
            if !markdown, contender.arguments[0] == hook {
                print("\(contender.name): \(Self.summary(ofAnswer: outcome.stdout))")
            }
        }

        var samples = Array(repeating: [Double](), count: contenders.count)
        for index in samples.indices { samples[index].reserveCapacity(runs) }
        for round in 0..<(warmup + runs) {
            // Each round in a new random order: in a fixed cycle, the contender that always runs
            // right after Python paid for what Python's run left behind (evicted caches, freed
            // memory), 0.4-0.5 ms here, and the comparison of the hook with and without its log
            // measured that instead of the log.
            for index in contenders.indices.shuffled() {
                let contender = contenders[index]
                let outcome = try HookSpawner.run(contender.arguments, stdin: contender.stdin, capture: false)
                guard outcome.status == contender.expectedStatus else {
                    throw ValidationError("\(contender.name) exited with \(outcome.status) in round \(round)")
                }
                if round >= warmup { samples[index].append(outcome.milliseconds) }
            }
        }

        let statistics = samples.map(Statistics.init)
        let baseline = statistics[0].p50
        if markdown {
            print("| contender | p50 (ms) | p99 (ms) | mean (ms) | p50 / `/bin/true` |")
            print("|---|---:|---:|---:|---:|")
            for (contender, stats) in zip(contenders, statistics) {
                print("| \(contender.name) | \(Self.format(stats.p50)) | \(Self.format(stats.p99)) | \(Self.format(stats.mean)) | \(String(format: "%.1f×", stats.p50 / baseline)) |")
            }
            print("")
            print("\(runs) runs each after \(warmup) warm-up runs, interleaved in a random order each round; Python: \(python); \(Self.machine()).")
        } else {
            print("")
            print("\(runs) runs each (after \(warmup) warm-up runs), interleaved in a random order each round; Python: \(python); \(Self.machine())")
            let width = contenders.map(\.name.count).max() ?? 10
            print("contender".padding(toLength: width, withPad: " ", startingAt: 0) + "    p50 ms    p99 ms   mean ms   p50/true")
            for (contender, stats) in zip(contenders, statistics) {
                let columns = [stats.p50, stats.p99, stats.mean].map { Self.format($0).leftPadded(to: 10) }.joined()
                print(contender.name.padding(toLength: width, withPad: " ", startingAt: 0) + columns + String(format: "%10.1f×", stats.p50 / baseline))
            }
        }
    }

    struct Contender {
        var name: String
        var arguments: [String]
        var stdin: [UInt8]
        var expectedStatus: Int32
    }

    struct Statistics {
        var p50: Double
        var p99: Double
        var mean: Double

        init(_ samples: [Double]) {
            let sorted = samples.sorted()
            // Nearest rank.
            func percentile(_ p: Double) -> Double { sorted[max(0, Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1)] }
            p50 = percentile(50)
            p99 = percentile(99)
            mean = sorted.reduce(0, +) / Double(sorted.count)
        }
    }

    static func format(_ milliseconds: Double) -> String { String(format: "%.2f", milliseconds) }

    static func summary(ofAnswer stdout: String) -> String {
        guard !stdout.isEmpty else { return "no decision (exit 0, empty stdout)" }
        guard let data = stdout.data(using: .utf8),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let specific = object["hookSpecificOutput"] as? [String: Any],
              let decision = specific["permissionDecision"] as? String
        else { return "stdout: \(stdout.prefix(200))" }
        let reason = (specific["permissionDecisionReason"] as? String).map { " — \($0.prefix(160))" } ?? ""
        return decision + reason
    }

    /// The interpreter itself: `python3` on PATH may be a shell-script shim (pyenv), whose start-up
    /// would be counted against Python.
    static func realPython() throws -> String {
        let outcome = try HookSpawner.run(["/usr/bin/env", "python3", "-c", "import sys; print(sys.executable)"], stdin: [], capture: true)
        let path = outcome.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        guard outcome.status == 0, path.hasPrefix("/") else { throw ValidationError("cannot find python3; pass --python.") }
        return path
    }

    static func machine() -> String {
        var name = utsname()
        uname(&name)
        let release = withUnsafeBytes(of: &name.release) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
        let machine = withUnsafeBytes(of: &name.machine) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
        return "Linux \(release) \(machine), \(ProcessInfo.processInfo.activeProcessorCount) CPUs"
    }
}

/// Starts processes with posix_spawn and times them from spawn to reap.
enum HookSpawner {
    struct Outcome {
        /// The exit status, or 128 + the signal number.
        var status: Int32
        var milliseconds: Double
        var stdout: String = ""
        var stderr: String = ""
    }

    struct SpawnError: Error, CustomStringConvertible {
        var description: String
    }

    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) * 1000 + Double(time.tv_nsec) / 1_000_000
    }

    static func pipe() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        guard Glibc.pipe(&fds) == 0 else { throw SpawnError(description: "pipe: \(String(cString: strerror(errno)))") }
        // Neither end may leak into a child: the one it needs is dup2'd to 0, 1 or 2.
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return (fds[0], fds[1])
    }

    /// Runs `arguments` (an absolute or relative path first) with `stdin` written to a pipe.
    /// With `capture`, stdout and stderr are read (small outputs only, after the process ends:
    /// a pipe holds 64 KiB); otherwise they go to /dev/null.
    static func run(_ arguments: [String], stdin: [UInt8], capture: Bool) throws -> Outcome {
        let input = try pipe()
        var outputs: [(read: Int32, write: Int32)] = []
        if capture { outputs = [try pipe(), try pipe()] }
        defer {
            for fd in outputs.flatMap({ [$0.read, $0.write] }) where fd >= 0 { close(fd) }
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, input.read, 0)
        if capture {
            posix_spawn_file_actions_adddup2(&actions, outputs[0].write, 1)
            posix_spawn_file_actions_adddup2(&actions, outputs[1].write, 2)
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        }
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }

        var pid: pid_t = 0
        let start = now()
        let spawned = posix_spawn(&pid, arguments[0], &actions, nil, argv, environ)
        close(input.read)
        guard spawned == 0 else {
            close(input.write)
            throw SpawnError(description: "cannot start \(arguments[0]): \(String(cString: strerror(spawned)))")
        }
        stdin.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(input.write, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    break  // EPIPE: the process does not read its stdin (/bin/true)
                }
                offset += written
            }
        }
        close(input.write)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw SpawnError(description: "waitpid: \(String(cString: strerror(errno)))") }
        }
        let elapsed = now() - start

        var outcome = Outcome(status: exitStatus(status), milliseconds: elapsed)
        if capture {
            for index in outputs.indices {
                close(outputs[index].write)
                outputs[index].write = -1
            }
            outcome.stdout = readAll(outputs[0].read)
            outcome.stderr = readAll(outputs[1].read)
        }
        return outcome
    }

    static func exitStatus(_ status: Int32) -> Int32 {
        let signal = status & 0x7F
        return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
    }

    static func readAll(_ fd: Int32) -> String {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

private extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
