import ArgumentParser
import WardenDetect
import WardenJSON
import WardenScan

/// How `warden scan` and `warden precommit` print findings. No format holds a detected value:
/// only masked previews and fingerprints.
enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, sarif
}

enum FindingReport {
    /// `path:line:column: KIND preview (rule, confidence) fingerprint`, one per line.
    static func text(_ findings: [LocatedFinding]) -> String {
        findings.map { finding in
            "\(finding.path):\(finding.line):\(finding.column): \(finding.kind.name) \(finding.preview) "
                + "(\(finding.rule), \(finding.confidence)) \(finding.fingerprint)\n"
        }.joined()
    }

    /// One JSON object per finding, in an array.
    static func json(_ findings: [LocatedFinding]) -> String {
        JSONValue.array(findings.map { finding in
            .object([
                "path": .string(finding.path), "line": .number(finding.line), "column": .number(finding.column),
                "kind": .string(finding.kind.name), "category": .string(finding.kind.category.rawValue),
                "rule": .string(finding.rule), "confidence": .string(finding.confidence.description),
                "preview": .string(finding.preview), "fingerprint": .string(finding.fingerprint),
            ])
        }).serialized + "\n"
    }

    /// SARIF 2.1.0, for code-scanning dashboards: one rule per kind, one result per finding.
    static func sarif(_ findings: [LocatedFinding], version: String) -> String {
        let kinds = Array(Set(findings.map(\.kind))).sorted()
        let rules = kinds.map { kind in
            JSONValue.object([
                "id": .string(kind.name),
                "shortDescription": .object(["text": .string(description(of: kind))]),
                "properties": .object(["category": .string(kind.category.rawValue)]),
            ])
        }
        let results = findings.map { finding in
            JSONValue.object([
                "ruleId": .string(finding.kind.name),
                "level": .string(finding.confidence == .low ? "warning" : "error"),
                "message": .object(["text": .string("\(description(of: finding.kind)) (\(finding.rule)): \(finding.preview)")]),
                "locations": .array([.object([
                    "physicalLocation": .object([
                        "artifactLocation": .object(["uri": .string(finding.path)]),
                        "region": .object(["startLine": .number(finding.line), "startColumn": .number(finding.column)]),
                    ]),
                ])]),
                "partialFingerprints": .object(["wardenFingerprint/v1": .string(finding.fingerprint)]),
                "properties": .object(["confidence": .string(finding.confidence.description)]),
            ])
        }
        return JSONValue.object([
            "$schema": .string("https://json.schemastore.org/sarif-2.1.0.json"),
            "version": .string("2.1.0"),
            "runs": .array([.object([
                "tool": .object(["driver": .object([
                    "name": .string("warden"), "version": .string(version),
                    "rules": .array(rules),
                ])]),
                "results": .array(results),
            ])]),
        ]).serialized + "\n"
    }

    static func description(of kind: DetectionKind) -> String {
        kind.category == .secret ? "Secret: \(kind.name)" : "Personal data: \(kind.name)"
    }

    static func render(_ findings: [LocatedFinding], as format: ReportFormat) -> String {
        switch format {
        case .text: text(findings)
        case .json: json(findings)
        case .sarif: sarif(findings, version: Warden.configuration.version)
        }
    }
}

/// `--kinds` and `--min-confidence`, shared by the commands that scan.
struct DetectionOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Comma-separated kinds or categories (secret, pii) to look for.",
            discussion: "Default: for scan, every kind; for precommit, the policy's warden.detection.commits settings.",
            valueName: "kinds"))
    var kinds: String?

    @Option(name: .customLong("min-confidence"), help: ArgumentHelp("low, medium or high: report only findings at least this sure.", valueName: "level"))
    var minimumConfidence: ConfidenceLevel = .low

    /// The kinds named by --kinds, or nil when not given.
    func selectedKinds() throws -> Set<DetectionKind>? {
        guard let kinds else { return nil }
        var selected: Set<DetectionKind> = []
        for name in kinds.split(separator: ",").map({ String($0).trimmingCharacters(in: " ") }) where !name.isEmpty {
            if let category = DetectionCategory(rawValue: name) {
                selected.formUnion(Detector.catalogue.filter { $0.category == category })
            } else if let kind = Detector.kind(named: name) {
                selected.insert(kind)
            } else {
                throw CLIError("--kinds: unknown kind \"\(name)\"; see `warden scan --list-kinds`")
            }
        }
        guard !selected.isEmpty else { throw CLIError("--kinds: no kind given") }
        return selected
    }
}

enum ConfidenceLevel: String, ExpressibleByArgument, CaseIterable {
    case low, medium, high
    var confidence: Confidence {
        switch self {
        case .low: .low
        case .medium: .medium
        case .high: .high
        }
    }
}

extension String {
    func trimmingCharacters(in set: Character) -> String {
        var text = Substring(self)
        while text.first == set { text.removeFirst() }
        while text.last == set { text.removeLast() }
        return String(text)
    }
}
