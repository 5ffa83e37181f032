import ArgumentParser
import Foundation
import WardenShell

/// Runs the shell analyser over a corpus of one-line commands: every line must be handled without
/// crashing or hanging, and the lines bash accepts must parse. With verdicts from
/// `Scripts/bash-verdicts.sh`, it compares its syntax verdicts with `bash -n`.
struct ShellCorpusBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shell-corpus",
        abstract: "Parse a corpus of shell commands (one per line) and compare with bash -n verdicts.")

    @Argument(help: "The corpus file: one shell command per line.")
    var corpus: String

    @Option(
        name: .customLong("bash-verdicts"),
        help: "A file with one `ok` or `err` per corpus line, as written by Scripts/bash-verdicts.sh.")
    var bashVerdicts: String?

    @Option(help: "How many lines of each disagreement to list.")
    var list = 20

    @Option(help: "Runs over the whole corpus; timings are taken from the last one.")
    var iterations = 3

    func run() throws {
        let lines = try Self.lines(of: corpus)
        let environment = ShellEnvironment(workingDirectory: "/home/user/project", home: "/home/user")

        var durations: [Duration] = []
        var results: [Result<ShellAnalysis, ShellSyntaxError>] = []
        var total = Duration.zero
        let clock = ContinuousClock()
        for _ in 0..<max(iterations, 1) {
            durations = []
            results = []
            durations.reserveCapacity(lines.count)
            results.reserveCapacity(lines.count)
            let runStart = clock.now
            for line in lines {
                let start = clock.now
                let result = Result { () throws(ShellSyntaxError) -> ShellAnalysis in
                    try ShellAnalyzer.analyze(line, in: environment)
                }
                durations.append(clock.now - start)
                results.append(result)
            }
            total = clock.now - runStart
        }

        var parsed = 0
        var invocations = 0
        var concerns = 0
        for result in results {
            if case .success(let analysis) = result {
                parsed += 1
                invocations += analysis.invocations.count
                concerns += analysis.concerns.count
            }
        }
        print("Corpus: \(corpus)")
        print("Lines: \(lines.count)")
        print("Parsed: \(parsed)   syntax errors: \(lines.count - parsed)")
        print("Invocations listed: \(invocations)   concerns: \(concerns)")
        print("Crashes: 0 (a crash would have ended this run; the analyser has no trapping operation on input data)")
        print("")
        let sorted = durations.sorted()
        print("Time for \(lines.count) lines: \(Self.format(total))")
        print(
            "Per command: mean \(Self.format(total / lines.count))   p50 \(Self.format(Self.percentile(sorted, 0.5)))   "
                + "p99 \(Self.format(Self.percentile(sorted, 0.99)))   max \(Self.format(sorted.last ?? .zero))")
        let slowest = durations.indices.sorted { durations[$0] > durations[$1] }.prefix(5)
        print("Slowest lines:")
        for index in slowest {
            print("  line \(index + 1): \(Self.format(durations[index]))  \(Self.abbreviated(lines[index]))")
        }

        guard let bashVerdicts else { return }
        let verdicts = try Self.lines(of: bashVerdicts)
        guard verdicts.count == lines.count else {
            throw ValidationError("\(bashVerdicts) has \(verdicts.count) verdicts for \(lines.count) lines")
        }
        var table = [[0, 0], [0, 0]]
        var bashOkWardenError: [(Int, ShellSyntaxError)] = []
        var bashErrorWardenOk: [Int] = []
        for (index, verdict) in verdicts.enumerated() {
            let bashOk = verdict.trimmingCharacters(in: .whitespaces) == "ok"
            switch results[index] {
            case .success:
                table[bashOk ? 0 : 1][0] += 1
                if !bashOk { bashErrorWardenOk.append(index) }
            case .failure(let error):
                table[bashOk ? 0 : 1][1] += 1
                if bashOk { bashOkWardenError.append((index, error)) }
            }
        }
        print("")
        print("Agreement with bash -n:")
        print("                 warden ok   warden error")
        print("  bash ok        \(Self.pad(table[0][0]))   \(Self.pad(table[0][1]))")
        print("  bash error     \(Self.pad(table[1][0]))   \(Self.pad(table[1][1]))")
        print("")
        print("bash ok, warden error: \(bashOkWardenError.count)")
        for (index, error) in bashOkWardenError.prefix(list) {
            print("  line \(index + 1): \(error)\n    \(Self.abbreviated(lines[index]))")
        }
        print("bash error, warden ok: \(bashErrorWardenOk.count)")
        for index in bashErrorWardenOk.prefix(list) {
            print("  line \(index + 1): \(Self.abbreviated(lines[index]))")
        }
    }

    /// The file's lines, split on newlines only, as `read` splits them in the verdicts script.
    static func lines(of path: String) throws -> [String] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        var lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
        if lines.last?.isEmpty == true { lines.removeLast() }
        return lines
    }

    static func percentile(_ sorted: [Duration], _ fraction: Double) -> Duration {
        guard !sorted.isEmpty else { return .zero }
        let index = min(sorted.count - 1, Int((Double(sorted.count - 1) * fraction).rounded()))
        return sorted[index]
    }

    static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let microseconds = Double(seconds) * 1_000_000 + Double(attoseconds) / 1_000_000_000_000
        if microseconds >= 1_000_000 { return String(format: "%.2f s", microseconds / 1_000_000) }
        if microseconds >= 1_000 { return String(format: "%.2f ms", microseconds / 1_000) }
        return String(format: "%.1f µs", microseconds)
    }

    static func pad(_ number: Int) -> String {
        let text = String(number)
        return String(repeating: " ", count: max(0, 10 - text.count)) + text
    }

    static func abbreviated(_ line: String) -> String {
        line.count > 160 ? String(line.prefix(157)) + "..." : line
    }
}
