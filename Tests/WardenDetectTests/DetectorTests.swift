import Testing
@testable import WardenDetect

/// The merge rules that make redaction safe when two rules claim overlapping bytes.
@Suite struct DetectorMergeTests {
    static let secret = DetectionKind("TEST_SECRET", .secret)
    static let email = DetectionKind("TEST_EMAIL", .pii)

    func finding(_ kind: DetectionKind, _ range: Range<Int>, _ confidence: Confidence) -> Finding {
        Finding(kind: kind, range: range, confidence: confidence, rule: kind.name.lowercased())
    }

    @Test func disjointFindingsComeBackSortedByPosition() {
        let merged = Detector.merged([finding(Self.email, 20..<30, .medium), finding(Self.secret, 0..<10, .high)])
        #expect(merged.map(\.range) == [0..<10, 20..<30])
    }

    @Test func adjacentFindingsStaySeparate() {
        let merged = Detector.merged([finding(Self.secret, 0..<10, .high), finding(Self.email, 10..<20, .medium)])
        #expect(merged.count == 2)
    }

    @Test func overlapBecomesTheUnionUnderTheMoreConfidentKind() {
        let merged = Detector.merged([finding(Self.email, 5..<25, .medium), finding(Self.secret, 0..<12, .high)])
        #expect(merged.count == 1)
        #expect(merged[0].range == 0..<25)
        #expect(merged[0].kind == Self.secret)
    }

    @Test func onEqualConfidenceASecretBeatsPersonalData() {
        let merged = Detector.merged([finding(Self.email, 0..<30, .medium), finding(Self.secret, 4..<12, .medium)])
        #expect(merged == [Finding(kind: Self.secret, range: 0..<30, confidence: .medium, rule: "test_secret")])
    }

    @Test func aChainOfOverlapsCollapsesIntoOne() {
        let merged = Detector.merged([
            finding(Self.email, 0..<10, .low), finding(Self.email, 8..<20, .low), finding(Self.email, 19..<40, .low),
        ])
        #expect(merged.map(\.range) == [0..<40])
    }

    @Test func catalogueNamesAreUniqueAndResolvable() {
        let names = Detector.catalogue.map(\.name)
        #expect(Set(names).count == names.count)
        for kind in Detector.catalogue {
            #expect(Detector.kind(named: kind.name) == kind)
        }
        #expect(Detector.kind(named: "NOT_A_KIND") == nil)
    }

    /// The kinds are declared in name order so that the catalogue needs no sorting at start-up.
    @Test func catalogueListsSecretsThenPersonalDataEachByName() {
        let secrets = Detector.catalogue.filter { $0.category == .secret }
        let personal = Detector.catalogue.filter { $0.category == .pii }
        #expect(Detector.catalogue == secrets + personal)
        #expect(secrets.map(\.name) == secrets.map(\.name).sorted())
        #expect(personal.map(\.name) == personal.map(\.name).sorted())
        #expect(secrets.count == 62 && personal.count == 7)
    }

    @Test func onlyRequestedKindsAreReported() {
        let emailOnly = Detector.catalogue.filter { $0.category == .pii && $0.name == "EMAIL" }
        let detector = Detector(kinds: Set(emailOnly))
        let findings = detector.scan("contact ada@example.org, key AKIA" + "Z7QRSTUVWXY23456")
        #expect(findings.map(\.kind.name) == ["EMAIL"])
    }
}

/// `Detector.all()` skips building the set of every kind; it must find exactly what a detector
/// given that set finds, on every fixture of both scanners.
@Suite struct EveryKindDetectorTests {
    @Test func findsWhatTheCatalogueSetFinds() {
        let everyKind = Detector.all()
        let catalogue = Detector(kinds: Set(Detector.catalogue))
        var texts = positiveCases.map(\.text) + negativeCases.map(\.text)
        texts += PIIScannerTests.positives.map(\.1) + PIIScannerTests.negatives.map(\.1)
        texts.append(texts.joined(separator: "\n"))
        var found = 0
        for text in texts {
            let findings = everyKind.scan(text)
            found += findings.count
            #expect(findings == catalogue.scan(text), "\(text.prefix(60))")
        }
        #expect(found >= positiveCases.count, "the fixtures must give findings for the comparison to mean anything")
    }
}
