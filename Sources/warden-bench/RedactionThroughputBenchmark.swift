import ArgumentParser
import Foundation
import WardenDetect
import WardenRedact

#if canImport(Glibc)
import Glibc
#endif

/// Redaction throughput on a few MB of mixed text (logs, source code, CSV) made here from a fixed
/// seed, side by side with detect-secrets (PyPI) on the same file in the same run; then the
/// PostToolUse hook's whole-process latency on a 1 MB tool output.
struct RedactionThroughputBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redaction-throughput",
        abstract: "Redaction MB/s against detect-secrets, and PostToolUse latency on a 1 MB output.",
        discussion: "Install the peer with Scripts/install-bench-tools.sh; build the hook with Scripts/build-release.sh.")

    @Option(help: "Size of the generated mixed text, in MB.")
    var megabytes = 4

    // The fastest pass is the estimate: on a shared host a pass can only be slowed, never sped
    // up, by its neighbours, and twenty passes of 4 MB take about a second.
    @Option(help: "Timed passes of the in-process redactor; the fastest is reported.")
    var passes = 20

    @Option(help: "The detect-secrets executable (skipped with --no-peer).")
    var detectSecrets = "detect-secrets"

    @Flag(name: .customLong("no-peer"), help: "Do not run detect-secrets.")
    var noPeer = false

    @Option(help: "The warden-hook executable for the PostToolUse latency (skipped when missing).")
    var hook = ".build/release/warden-hook"

    @Option(help: "Timed hook runs on the 1 MB output.")
    var runs = 40

    func run() throws {
        signal(SIGPIPE, SIG_IGN)
        let text = MixedText.generate(bytes: megabytes << 20, seed: 20261124)
        let bytes = Array(text.utf8)
        let size = Double(bytes.count) / 1_048_576
        print(String(format: "input: %.2f MB of mixed text (logs, source, CSV), %d planted values", size, MixedText.planted(in: text)))

        // In-process: every kind looked for, every finding replaced; one core.
        var best = Double.infinity
        var replaced = 0
        var scanOnlyBest = Double.infinity
        let detector = Detector.all()
        for _ in 0..<max(passes, 1) {
            var redactor = Redactor.everyKind()
            let start = Self.cpuSeconds()
            let output = text.isEmpty ? nil : redactor.redact(text)
            best = min(best, Self.cpuSeconds() - start)
            replaced = redactor.counts.values.reduce(0, +)
            precondition(output != nil, "nothing was redacted in the benchmark text")
            let scanStart = Self.cpuSeconds()
            _ = bytes.withUnsafeBufferPointer { detector.scan($0) }
            scanOnlyBest = min(scanOnlyBest, Self.cpuSeconds() - scanStart)
        }
        let wardenRate = size / best
        for category in DetectionCategory.allCases {
            let only = Detector(kinds: Set(Detector.catalogue.filter { $0.category == category }))
            var fastest = Double.infinity
            for _ in 0..<max(passes, 1) {
                let start = Self.cpuSeconds()
                _ = bytes.withUnsafeBufferPointer { only.scan($0) }
                fastest = min(fastest, Self.cpuSeconds() - start)
            }
            print(String(format: "  scan, %@ kinds only: %.1f MB/s", category.rawValue, size / fastest))
        }
        print(String(format: "warden redact (in process, one core, CPU time, best of %d): %.1f MB/s, %d values replaced; scan only: %.1f MB/s",
                     passes, wardenRate, replaced, size / scanOnlyBest))

        if !noPeer {
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("warden-bench-mixed-\(getpid()).txt")
            try Data(bytes).write(to: file)
            defer { try? FileManager.default.removeItem(at: file) }
            // Both as whole processes on the same file: `warden redact` from the same build.
            let warden = URL(fileURLWithPath: hook).deletingLastPathComponent().appendingPathComponent("warden").path
            if access(warden, X_OK) == 0 {
                let start = ContinuousClock.now
                let run = try HookSpawner.run(["/bin/sh", "-c", #""$0" redact < "$1" > /dev/null"#, warden, file.path], stdin: [], capture: true)
                let seconds = (ContinuousClock.now - start).seconds
                guard run.status == 0 else { throw ValidationError("warden redact exited with \(run.status): \(run.stderr.prefix(300))") }
                print(String(format: "warden redact (whole process, wall time): %.1f MB/s", size / seconds))
            }
            let start = ContinuousClock.now
            // From the file's own directory: inside a git repository detect-secrets skips files git
            // does not track, and would report nothing.
            let outcome = try HookSpawner.run(
                ["/bin/sh", "-c", #"cd "$1" && exec "$0" scan "$2""#, try Self.which(detectSecrets),
                 file.deletingLastPathComponent().path, file.lastPathComponent],
                stdin: [], capture: true)
            let seconds = (ContinuousClock.now - start).seconds
            guard outcome.status == 0 else { throw ValidationError("detect-secrets exited with \(outcome.status): \(outcome.stderr.prefix(300))") }
            let found = (try? JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any])
                .flatMap { ($0["results"] as? [String: [Any]])?.values.map(\.count).reduce(0, +) } ?? -1
            print(String(format: "detect-secrets scan (whole process, wall time): %.2f MB/s, %d findings", size / seconds, found))
            print(String(format: "warden (in process) / detect-secrets: %.0f×", wardenRate / (size / seconds)))
        }

        guard access(hook, X_OK) == 0 else {
            print("PostToolUse latency: skipped, no hook at \(hook) (Scripts/build-release.sh builds it)")
            return
        }
        let megabyte = String(text.utf8.prefix(1 << 20)) ?? String(decoding: bytes.prefix(1 << 20), as: UTF8.self)
        let event: [String: Any] = [
            "session_id": "bench", "transcript_path": "/tmp/bench.jsonl", "cwd": "/tmp", "permission_mode": "default",
            "hook_event_name": "PostToolUse", "tool_name": "Bash", "tool_input": ["command": "cat big.log"],
            "tool_response": ["stdout": megabyte, "stderr": "", "interrupted": false, "isImage": false],
        ]
        let stdin = Array(try JSONSerialization.data(withJSONObject: event, options: [.sortedKeys]))
        // One checked run, through files: the spawner reads captured output only after the
        // process ends, and a 1 MB answer does not fit in a pipe.
        let eventFile = FileManager.default.temporaryDirectory.appendingPathComponent("warden-bench-event-\(getpid()).json")
        let answerFile = FileManager.default.temporaryDirectory.appendingPathComponent("warden-bench-answer-\(getpid()).json")
        defer { try? FileManager.default.removeItem(at: eventFile); try? FileManager.default.removeItem(at: answerFile) }
        try Data(stdin).write(to: eventFile)
        let checked = try HookSpawner.run(
            ["/bin/sh", "-c", #""$0" < "$1" > "$2""#, hook, eventFile.path, answerFile.path], stdin: [], capture: true)
        let answer = (try? String(contentsOf: answerFile, encoding: .utf8)) ?? ""
        guard checked.status == 0, answer.contains("updatedToolOutput"), !answer.contains(MixedText.marker + "=AKIA") else {
            throw ValidationError("the hook did not redact the 1 MB output (exit \(checked.status)): \(checked.stderr.prefix(300))")
        }
        let python = try HookLatencyBenchmark.realPython()
        let contenders: [(String, [String])] = [
            ("python3 json.load of the event", [python, "-c", "import json,sys; json.load(sys.stdin)"]),
            ("warden-hook PostToolUse, 1 MB", [hook]),
        ]
        var samples = Array(repeating: [Double](), count: contenders.count)
        for round in 0..<(runs + 3) {
            for index in contenders.indices {
                let outcome = try HookSpawner.run(contenders[index].1, stdin: stdin, capture: false)
                guard outcome.status == 0 else {
                    throw ValidationError("\(contenders[index].0) exited with \(outcome.status): \(outcome.stderr.prefix(300))")
                }
                if round >= 3 { samples[index].append(outcome.milliseconds) }
            }
        }
        print("PostToolUse on a \(stdin.count / 1024) KB event (\(runs) runs each, interleaved):")
        for (contender, series) in zip(contenders, samples) {
            let stats = HookLatencyBenchmark.Statistics(series)
            print(String(format: "  %@: p50 %.1f ms, p99 %.1f ms", contender.0, stats.p50, stats.p99))
        }
    }

    /// This thread's CPU time: unlike wall time, it does not count what other processes take from
    /// a shared machine.
    static func cpuSeconds() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    static func which(_ name: String) throws -> String {
        if name.contains("/") { return name }
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        throw ValidationError("\(name) is not on PATH: run Scripts/install-bench-tools.sh, or pass --no-peer")
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// Deterministic mixed text: application logs, source code and CSV, with a planted value (an
/// email, a card, a key…) on about one line in forty, as real tool output has.
enum MixedText {
    static let marker = "planted"

    static func generate(bytes target: Int, seed: UInt64) -> String {
        var state = seed
        func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state >> 33
        }
        func pick<T>(_ items: [T]) -> T { items[Int(next() % UInt64(items.count))] }
        let digits = Array("0123456789abcdef")
        func hex(_ count: Int) -> String { String((0..<count).map { _ in digits[Int(next() % 16)] }) }
        let planted = [
            "ada.lovelace" + "@" + "analytical.co.uk", "+44 20 7946" + " 0958", "4111 1111 1111" + " 1111",
            "078-05" + "-1120", "GB82 WEST 1234 5698" + " 7654 32", "AKIA" + "Z7QRSTUVWXY23456",
            "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tV9wX1yZ3b5D", "xoxb-" + "1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx",
        ]
        var lines: [String] = []
        var size = 0
        while size < target {
            var line: String
            switch next() % 6 {
            case 0, 1:
                line = "2026-11-24T10:\(10 + next() % 50):\(10 + next() % 50).\(100 + next() % 900)Z INFO http request_id=\(hex(8))-\(hex(4))-4\(hex(3))-a\(hex(3))-\(hex(12)) method=\(pick(["GET", "POST", "PUT"])) path=/api/v2/\(pick(["orders", "users", "invoices"]))/\(next() % 100000) status=\(pick([200, 201, 204, 404])) duration_ms=\(next() % 900) version=1.\(next() % 20).\(next() % 9)"
            case 2:
                line = pick([
                    "    let total = items.reduce(0) { $0 + $1.price * Double($1.quantity) }",
                    "    func handle(_ request: Request) async throws -> Response {",
                    "def checksum(data: bytes) -> str:  # sha256 of the payload",
                    "        return hashlib.sha256(data).hexdigest()",
                    "import { useState, useEffect } from 'react';",
                    "  \"integrity\": \"sha512-\(hex(40))\",",
                ])
            case 3:
                line = "commit \(hex(40)) Merge pull request #\(next() % 9000) from team/feature-\(next() % 500)"
            default:
                line = "\(next() % 100000),\(pick(["Ada", "Grace", "Alan", "Edsger", "Barbara"])) \(pick(["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov"])),\(pick(["London", "New York", "Zurich"])),\(next() % 1000).\(next() % 100),\(pick(["paid", "open", "void"]))"
            }
            if next() % 40 == 0 { line += " \(marker)=" + pick(planted) }
            lines.append(line)
            size += line.utf8.count + 1
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func planted(in text: String) -> Int {
        text.split(separator: "\n").filter { $0.contains(marker + "=") }.count
    }
}
