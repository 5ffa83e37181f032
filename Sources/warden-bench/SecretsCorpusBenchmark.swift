import ArgumentParser
import Foundation
import WardenDetect

/// Recall of the secret scanner on the trufflehog test-string corpus (read at run time only, never
/// bundled), its flag rate on the corpus's clean snippets, and its throughput on generated text.
struct SecretsCorpusBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secrets-corpus",
        abstract: "Secret-scanner recall on the trufflehog corpus (30 best-known providers and all positives), clean-flag rate and throughput."
    )

    @Argument(help: "Path to secrets-trufflehog.jsonl (one JSON object per line: detector, text, expect, want).")
    var corpus: String

    @Flag(help: "Also print every missed positive snippet (detector and the start of its text).")
    var misses = false

    @Option(help: "Megabytes of generated logs/source/CSV for the throughput figure.")
    var megabytes = 8

    func run() throws {
        try SecretsCorpusReport.run(corpus: corpus, showMisses: misses, megabytes: megabytes)
    }
}

// The logic below is shared verbatim with the scanner's development tool (corpus-check).
enum SecretsCorpusReport {
    /// The 30 best-known providers. A snippet belongs to group P when its detector equals a member,
    /// or starts with a member followed by `/` (versions such as `github/v2`); for the groups marked
    /// `*` (azure, cloudflare), when the detector starts with the group's name.
    static let groups: [(name: String, members: [String])] = [
        ("aws", ["aws/access_keys", "aws/session_keys", "aws/appsync"]),
        ("github", ["github/v1", "github/v2", "githubapp", "github_oauth2"]),
        ("gitlab", ["gitlab", "gitlaboauth2"]),
        ("slack", ["slack"]),
        ("slackwebhook", ["slackwebhook"]),
        ("stripe", ["stripe", "stripepaymentintent"]),
        ("openai", ["openai", "openaiadmin"]),
        ("anthropic", ["anthropic"]),
        ("gcp", ["gcp", "gcpapplicationdefaultcredentials"]),
        ("azure", ["*"]),
        ("twilio", ["twilio", "twilioapikey"]),
        ("sendgrid", ["sendgrid"]),
        ("npm", ["npmtoken", "npmtokenv2"]),
        ("pypi", ["pypi"]),
        ("shopify", ["shopify", "shopifyoauth"]),
        ("bitbucketapppassword", ["bitbucketapppassword"]),
        ("heroku", ["heroku"]),
        ("digitalocean", ["digitaloceantoken", "digitaloceanv2"]),
        ("datadog", ["datadogapikey", "datadogtoken"]),
        ("mailgun", ["mailgun"]),
        ("mailchimp", ["mailchimp"]),
        ("huggingface", ["huggingface"]),
        ("jwt", ["jwt"]),
        ("privatekey", ["privatekey"]),
        ("postgres", ["postgres"]),
        ("mongodb", ["mongodb"]),
        ("discord", ["discordbottoken", "discordwebhook"]),
        ("telegrambottoken", ["telegrambottoken"]),
        ("cloudflare", ["*"]),
        ("sentry", ["sentryorgtoken", "sentrytoken"]),
    ]

    static func group(of detector: String) -> String? {
        for g in groups {
            for m in g.members {
                if m == "*" {
                    if detector.hasPrefix(g.name) { return g.name }
                } else if detector == m || detector.hasPrefix(m + "/") {
                    return g.name
                }
            }
        }
        return nil
    }

    struct Row { let detector: String; let text: String; let secret: Bool }

    static func load(_ path: String) throws -> [Row] {
        let data = try String(contentsOfFile: path, encoding: .utf8)
        var rows: [Row] = []
        for line in data.split(separator: "\n") where !line.isEmpty {
            guard let obj = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let d = obj["detector"] as? String, let t = obj["text"] as? String, let e = obj["expect"] as? String
            else { continue }
            rows.append(Row(detector: d, text: t, secret: e == "secret"))
        }
        return rows
    }

    /// Mixed logs, source and CSV from a fixed-seed generator, with a few secrets sprinkled in.
    static func syntheticText(megabytes: Int) -> String {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state >> 33 }
        let words = ["the", "request", "user", "failed", "retrying", "connection", "timeout", "config", "value",
                     "return", "let", "var", "func", "import", "struct", "self", "print", "error", "warning",
                     "info", "debug", "handler", "response", "status", "session", "cache", "index", "build"]
        func word() -> String { words[Int(next() % UInt64(words.count))] }
        let alnum = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)
        func rand(_ n: Int) -> String { String(decoding: (0..<n).map { _ in alnum[Int(next() % 62)] }, as: UTF8.self) }
        var out = ""
        out.reserveCapacity(megabytes << 20)
        var line = 0
        while out.utf8.count < megabytes << 20 {
            line += 1
            switch next() % 6 {
            case 0:
                out += "2024-05-\(10 + next() % 20)T12:\(next() % 60):\(next() % 60)Z INFO [worker-\(next() % 16)] "
                for _ in 0..<(6 + next() % 10) { out += word() + " " }
                out += "id=\(next() % 100000) latency=\(next() % 900)ms\n"
            case 1:
                out += "    let \(word())\(next() % 9) = try \(word()).fetch(\"\(word())\", count: \(next() % 100))\n"
            case 2:
                out += "\(next() % 100000),\(word()),\(word())@example.com,\(next() % 1000).\(next() % 100),2024-01-0\(1 + next() % 9)\n"
            case 3:
                out += "commit \(String(format: "%08x%08x%08x%08x%08x", next(), next(), next(), next(), next())) Merge branch '\(word())'\n"
            case 4:
                out += "    \"\(word())\": \"\(word()) \(word())\",\n"
            default:
                if line % 97 == 0 {
                    out += "export SERVICE_TOKEN=\(rand(32))\n"
                } else {
                    out += "// \(word()) \(word()) \(word()): see https://docs.example.com/\(word())\n"
                }
            }
        }
        return out
    }

    /// CPU time of this thread, so that a busy shared machine does not count against the scanner.
    static func cpuSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    static func pct(_ a: Int, _ b: Int) -> String { b == 0 ? "n/a" : String(format: "%.1f%%", 100.0 * Double(a) / Double(b)) }

    static func run(corpus: String, showMisses: Bool, megabytes: Int) throws {
        let detector = Detector(kinds: Set(Detector.catalogue.filter { $0.category == .secret }))
        let rows = try load(corpus)
        var groupFound: [String: Int] = [:], groupTotal: [String: Int] = [:], groupMissed: [String: [String]] = [:]
        var positives = 0, found = 0, cleans = 0, flagged = 0
        for row in rows {
            let hit = !detector.scan(row.text).isEmpty
            if row.secret {
                positives += 1
                if hit { found += 1 }
                if let g = group(of: row.detector) {
                    groupTotal[g, default: 0] += 1
                    if hit { groupFound[g, default: 0] += 1 } else { groupMissed[g, default: []].append(row.detector) }
                }
                if !hit && showMisses { print("MISS \(row.detector): \(row.text.prefix(300).debugDescription)") }
            } else {
                cleans += 1
                if hit { flagged += 1 }
            }
        }
        var gFound = 0, gTotal = 0
        print("Top-30 provider groups (found/positives):")
        for g in groups {
            let t = groupTotal[g.name] ?? 0, f = groupFound[g.name] ?? 0
            gFound += f
            gTotal += t
            let missed = groupMissed[g.name].map { "  missed: " + $0.joined(separator: ", ") } ?? ""
            print("  \(g.name.padding(toLength: 22, withPad: " ", startingAt: 0)) \(f)/\(t)\(missed)")
        }
        print("Top-30 recall: \(gFound)/\(gTotal) = \(pct(gFound, gTotal))")
        print("Overall recall: \(found)/\(positives) = \(pct(found, positives))")
        print("Clean snippets flagged: \(flagged)/\(cleans) = \(pct(flagged, cleans)) (many hold another provider's real-looking key)")

        let text = syntheticText(megabytes: megabytes)
        let bytes = Double(text.utf8.count)
        var best = Double.infinity, bestWall = Double.infinity
        var count = 0
        for _ in 0..<7 {
            let t0 = cpuSeconds(), w0 = DispatchTime.now().uptimeNanoseconds
            count = detector.scan(text).count
            best = min(best, cpuSeconds() - t0)
            bestWall = min(bestWall, Double(DispatchTime.now().uptimeNanoseconds - w0) / 1e9)
        }
        print(String(format: "Throughput (secret kinds): %.1f MB/s CPU time, %.1f MB/s wall, on %.1f MB of generated logs/source/CSV (%d findings)",
                     bytes / best / 1e6, bytes / bestWall / 1e6, bytes / 1e6, count))
    }
}
