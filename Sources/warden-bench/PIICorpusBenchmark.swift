import ArgumentParser
import Foundation
import WardenDetect

/// Scores the personal-data detector on an external corpus of JSON lines, one test case a line:
/// `{"entity": …, "text": …, "expected_count": N, "spans": [[start, end], …]}` (character offsets,
/// end exclusive), such as /work/shared/benchmarks/pii-presidio.jsonl. The corpus is read at run
/// time only and never copied into the project.
///
/// Per entity: a row with expected_count > 0 is matched when the number of findings of the mapped
/// kind equals expected_count ("at least one" is reported too); where spans are given, the
/// findings' ranges, converted from UTF-8 byte offsets to character (Unicode scalar) offsets as
/// Python counts them, must equal them. A row with expected_count == 0 is a false positive when
/// anything of that kind is found. Entities without a Warden kind are listed as not covered.
struct PIICorpusBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pii-corpus",
        abstract: "Score the personal-data detector on a corpus of expected matches (JSON lines).",
        discussion: "Entities map to Warden kinds: CREDIT_CARD, EMAIL_ADDRESS→EMAIL, PHONE_NUMBER, IBAN_CODE→IBAN, IP_ADDRESS, US_SSN, CRYPTO→BITCOIN_ADDRESS. URL, US_BANK_NUMBER, US_PASSPORT and US_DRIVER_LICENSE have no Warden kind.")

    @Argument(help: "The corpus: one JSON object a line with entity, text, expected_count and optional spans.")
    var corpus: String

    @Flag(help: "Print every row that is not matched exactly, with what was found.")
    var verbose = false

    /// The corpus's entity names and the Warden kinds they are scored against; nil: no Warden kind.
    static let entityKinds: [String: String?] = [
        "CREDIT_CARD": "CREDIT_CARD", "EMAIL_ADDRESS": "EMAIL", "PHONE_NUMBER": "PHONE_NUMBER",
        "IBAN_CODE": "IBAN", "IP_ADDRESS": "IP_ADDRESS", "US_SSN": "US_SSN", "CRYPTO": "BITCOIN_ADDRESS",
        "URL": nil, "US_BANK_NUMBER": nil, "US_PASSPORT": nil, "US_DRIVER_LICENSE": nil,
    ]

    struct Score {
        var rows = 0
        var positives = 0
        var matched = 0
        var atLeastOne = 0
        var withSpans = 0
        var spansExact = 0
        var negatives = 0
        var falsePositives = 0
    }

    func run() throws {
        let detector = Detector(kinds: Set(Detector.catalogue.filter { $0.category == .pii }))
        let contents = try String(contentsOfFile: corpus, encoding: .utf8)
        var scores: [String: Score] = [:]
        var order: [String] = []
        var uncovered: [String: Int] = [:]

        for line in contents.split(separator: "\n") where !line.isEmpty {
            guard let row = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let entity = row["entity"] as? String, let text = row["text"] as? String,
                  let expected = row["expected_count"] as? Int else { continue }
            guard let mapped = Self.entityKinds[entity], let kind = mapped else {
                uncovered[entity, default: 0] += 1
                continue
            }
            if scores[entity] == nil { order.append(entity) }
            var score = scores[entity] ?? Score()
            score.rows += 1
            let findings = detector.scan(text).filter { $0.kind.name == kind }
            let offsets = Self.scalarOffsets(text)
            let found = findings.map { [offsets[$0.range.lowerBound], offsets[$0.range.upperBound]] }
            var ok = true
            if expected > 0 {
                score.positives += 1
                if findings.count == expected { score.matched += 1 } else { ok = false }
                if !findings.isEmpty { score.atLeastOne += 1 }
                if let spans = row["spans"] as? [[Int]] {
                    score.withSpans += 1
                    if found == spans { score.spansExact += 1 } else { ok = false }
                }
            } else {
                score.negatives += 1
                if !findings.isEmpty {
                    score.falsePositives += 1
                    ok = false
                }
            }
            if verbose && !ok {
                print("MISS \(entity) expected \(expected) \(row["spans"] as? [[Int]] ?? []) found \(found) \(findings.map(\.rule)): \(text)")
            }
            scores[entity] = score
        }

        print(Self.pad("entity", 18) + Self.pad("kind", 16) + Self.pad("rows", 6) + Self.pad("count matched", 17)
              + Self.pad("at least one", 17) + Self.pad("spans exact", 17) + "false positives")
        for entity in order {
            let s = scores[entity]!
            let kind = (Self.entityKinds[entity] ?? nil) ?? "-"
            print(Self.pad(entity, 18) + Self.pad(kind, 16) + Self.pad("\(s.rows)", 6) + Self.ratio(s.matched, s.positives)
                  + Self.ratio(s.atLeastOne, s.positives) + Self.ratio(s.spansExact, s.withSpans)
                  + "\(s.falsePositives)/\(s.negatives)")
        }
        for (entity, count) in uncovered.sorted(by: { $0.key < $1.key }) {
            print("\(entity): \(count) rows, not covered (no Warden kind)")
        }
    }

    /// Character (Unicode scalar) offset of each UTF-8 byte offset, as Python counts string indices.
    static func scalarOffsets(_ text: String) -> [Int] {
        var offsets = [Int](repeating: 0, count: text.utf8.count + 1)
        var byte = 0
        var scalar = 0
        for s in text.unicodeScalars {
            let width = String(s).utf8.count
            for k in 0..<width { offsets[byte + k] = scalar }
            byte += width
            scalar += 1
        }
        offsets[byte] = scalar
        return offsets
    }

    static func percent(_ a: Int, _ b: Int) -> String { b == 0 ? "-" : String(format: "%.1f%%", 100 * Double(a) / Double(b)) }
    static func pad(_ s: String, _ width: Int) -> String { s.count >= width ? s : s + String(repeating: " ", count: width - s.count) }
    static func ratio(_ a: Int, _ b: Int) -> String { pad("\(a)/\(b) \(percent(a, b))", 17) }
}
