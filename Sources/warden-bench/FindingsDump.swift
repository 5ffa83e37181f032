import ArgumentParser
import Foundation
import WardenDetect
import WardenRedact

/// Every finding on the benchmark inputs, the corpora and a generated stress text, one per line:
/// run it before and after a change to the scanners and `diff` the two outputs, since a faster
/// scanner must find exactly what the old one found. `--only` instead scans the mixed text of
/// `redaction-throughput` once, for instruction counts under `valgrind --tool=callgrind`.
struct FindingsDump: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "findings",
        abstract: "Print every finding on the benchmark texts and corpora (to diff before and after a scanner change).")

    @Option(help: "JSON Lines corpora whose `text` fields are scanned (secrets-trufflehog.jsonl, pii-presidio.jsonl).")
    var corpus: [String] = []

    @Option(help: "Size of the generated mixed text and of the stress text, in MB.")
    var megabytes = 4

    @Option(help: "Only scan the mixed text: all, secret, pii or redact; prints nothing but a count.")
    var only: String?

    @Option(help: "With --only: how many times to scan (for a sampling profiler).")
    var times = 1

    func run() throws {
        let mixed = MixedText.generate(bytes: megabytes << 20, seed: 20261124)
        let detectors: [(String, Detector)] = [("all", Detector.all())] + DetectionCategory.allCases.map { category in
            (category.rawValue, Detector(kinds: Set(Detector.catalogue.filter { $0.category == category })))
        }
        if let only {
            var best = Double.infinity
            var count = 0
            for _ in 0..<max(times, 1) {
                let start = RedactionThroughputBenchmark.cpuSeconds()
                if only == "redact" {
                    var redactor = Redactor.everyKind()
                    count = redactor.redact(mixed)?.utf8.count ?? 0
                } else {
                    guard let detector = detectors.first(where: { $0.0 == only })?.1 else { throw ValidationError("--only: all, secret, pii or redact") }
                    count = detector.scan(mixed).count
                }
                best = min(best, RedactionThroughputBenchmark.cpuSeconds() - start)
            }
            print(String(format: "%d %.1f MB/s (CPU time, best of %d)", count, Double(mixed.utf8.count) / 1_048_576 / best, max(times, 1)))
            return
        }
        func dump(_ label: String, _ text: String) {
            for (name, detector) in detectors {
                for f in detector.scan(text) {
                    print("\(label) \(name) \(f.kind.name) \(f.range.lowerBound)..<\(f.range.upperBound) \(f.confidence) \(f.rule)")
                }
            }
        }
        dump("mixed", mixed)
        var redactor = Redactor.everyKind()
        let redacted = redactor.redact(mixed) ?? ""
        print("mixed redacted \(redacted.utf8.count) bytes, \(Self.fnv(redacted)) fnv, counts \(redactor.counts.map { "\($0.key.name)=\($0.value)" }.sorted())")
        dump("synthetic", SecretsCorpusReport.syntheticText(megabytes: megabytes))
        dump("stress", Self.stress(bytes: megabytes << 20, seed: 7))
        for path in corpus {
            let name = URL(fileURLWithPath: path).lastPathComponent
            let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
            for (number, line) in lines.enumerated() where !line.isEmpty {
                guard let row = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                      let text = row["text"] as? String else { continue }
                dump("\(name):\(number + 1)", text)
            }
        }
    }

    static func fnv(_ text: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in text.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }

    /// Random tokens that the rules care about (keywords, hex and base64 runs, numbers, UUIDs,
    /// separators, quotes, provider prefixes, non-ASCII bytes) strung together without a grammar,
    /// so that lines hit the rules in combinations the other texts do not.
    static func stress(bytes target: Int, seed: UInt64) -> String {
        var state = seed
        func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state >> 33
        }
        func pick(_ items: [String]) -> String { items[Int(next() % UInt64(items.count))] }
        func run(_ alphabet: [UInt8], _ count: Int) -> String {
            String(decoding: (0..<count).map { _ in alphabet[Int(next() % UInt64(alphabet.count))] }, as: UTF8.self)
        }
        let hex = Array("0123456789abcdef".utf8), hexUpper = Array("0123456789ABCDEF".utf8)
        let b64 = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        let alnum = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)
        let lower = Array("abcdefghijklmnopqrstuvwxyz".utf8), digits = Array("0123456789".utf8)
        let words = ["password", "Password", "PASSWD", "pwd", "passphrase", "secret", "client_secret", "api_key", "apiKey",
                     "API_KEY", "token", "auth_token", "accessToken", "key", "cosmosKey", "private_key", "public_key",
                     "secret_key_base", "password_hash", "tokenType", "key_id", "aws", "AWS_SECRET", "github", "stripe",
                     "openai", "slack", "azure", "datadog", "heroku", "twilio", "sendgrid", "mailgun", "jira", "sig",
                     "pat", "session", "bearer", "Authorization", "phone", "tel", "mobile", "fax", "SSN", "social security",
                     "email", "iban", "card", "user", "name", "value", "config", "settings", "process.env", "os.environ",
                     "getenv", "the", "request", "failed", "retry", "version", "build", "commit", "sha256", "sha512-", "md5-",
                     "http", "https", "www.example.com", "file.txt", "/etc/passwd", "./run.sh", "localhost", "EXAMPLE",
                     "changeme", "xxx", "null", "none", "${TOKEN}", "$SECRET", "%APPDATA%", "<token>", "{{ secret }}",
                     "base64,", "data:image/png", "Ed25519PrivateKey", "fromBase58String", "caf\u{e9}", "\u{2192}", "\u{1F511}"]
        let seps = [" ", " ", " ", "=", " = ", ": ", ":", "\"", "'", "`", ",", ";", "\n", "\n", "\t", "(", ")", "{", "}",
                    "[", "]", "<", ">", "/", ".", "-", "_", "@", "+", "://", "&", "?", "#", "|", "\\", "~", "%", "!", "\r\n", "=="]
        let prefixes = ["AKIA", "ASIA", "ghp_", "gho_", "github_pat_", "glpat-", "xoxb-", "xoxp-", "sk-", "sk-ant-", "sk-proj-",
                        "AIza", "SG.", "sk_live_", "rk_test_", "whsec_", "npm_", "hf_", "key-", "dapi", "AC", "SK", "eyJ",
                        "-----BEGIN ", "hooks.slack.com/services/", "AccountKey=", "sig=", "pi_", "LTAI", "hvs.", "dp.pt.",
                        "ya29.", "1//0", "0.A", "shpat_", "sntrys_", "NRAK-", "pul-", "dop_v1_", "api-", "sk-lf-", "oy2"]
        var out: [String] = []
        var size = 0
        while size < target {
            let token: String
            switch next() % 20 {
            case 0, 1, 2: token = pick(words)
            case 3, 4, 5, 6: token = pick(seps)
            case 7: token = run(hex, [8, 12, 16, 20, 24, 32, 40, 64][Int(next() % 8)])
            case 8: token = run(hexUpper, 16 + Int(next() % 30))
            case 9: token = run(b64, 6 + Int(next() % 60))
            case 10: token = run(alnum, 4 + Int(next() % 50))
            case 11: token = pick(prefixes) + run(alnum, 8 + Int(next() % 50))
            case 12: token = run(lower, 2 + Int(next() % 14))
            case 13: token = run(digits, 1 + Int(next() % 19))
            case 14: token = "\(run(hex, 8))-\(run(hex, 4))-\(run(hex, 4))-\(run(hex, 4))-\(run(hex, 12))"
            case 15: token = "\(run(digits, 3))-\(run(digits, 2))-\(run(digits, 4))"
            case 16: token = "\(next() % 256).\(next() % 256).\(next() % 256).\(next() % 256)"
            case 17: token = "+\(run(digits, 2)) \(run(digits, 3)) \(run(digits, 3)) \(run(digits, 4))"
            case 18: token = "\(run(lower, 5))@\(run(lower, 6)).com"
            default: token = "\(run(digits, 4)) \(run(digits, 4)) \(run(digits, 4)) \(run(digits, 4))"
            }
            out.append(token)
            size += token.utf8.count
        }
        return out.joined()
    }
}
