import Testing
import WardenDetect
import WardenJSON
@testable import WardenRedact

/// Fixtures are built from pieces so that this file does not itself look like it leaks keys.
enum Fixtures {
    static let awsKey = "AKIA" + "Z7QRSTUVWXY23456"
    static let otherAWSKey = "AKIA" + "Q2W3E4R5T6Y7U8I9"
    static let ada = "ada.lovelace" + "@" + "analytical.co.uk"
    static let grace = "grace.hopper" + "@" + "navy-cobol.org"
}

/// `#require` cannot take a mutating call: its macro captures the receiver immutably.
func unwrap<Value>(_ value: Value?, sourceLocation: SourceLocation = #_sourceLocation) throws -> Value {
    try #require(value, sourceLocation: sourceLocation)
}

func kind(_ name: String) throws -> DetectionKind {
    try #require(Detector.kind(named: name))
}

func redactEverything(_ style: Redactor.Style = .placeholder) -> Redactor {
    Redactor.everyKind(style: style)
}

/// A stand-in keyed hash for the pseudonym book: the real one is keyed per session by the caller.
let testFingerprint: @Sendable ([UInt8]) -> [UInt8] = { value in
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in value { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
    return withUnsafeBytes(of: hash) { Array($0) }
}

@Suite struct RedactorTests {
    @Test func placeholdersNameTheKindAndCountIt() throws {
        var redactor = redactEverything()
        let text = "owner: \(Fixtures.ada)\naws_access_key_id = \(Fixtures.awsKey)\n"
        let redacted = try unwrap(redactor.redact(text))
        #expect(redacted == "owner: [REDACTED:EMAIL]\naws_access_key_id = [REDACTED:AWS_ACCESS_KEY_ID]\n")
        #expect(redactor.counts[try kind("EMAIL")] == 1)
        #expect(redactor.counts[try kind("AWS_ACCESS_KEY_ID")] == 1)
        #expect(redactor.changedAnything)
    }

    @Test func textWithNothingToRedactIsReportedUnchanged() {
        var redactor = redactEverything()
        #expect(redactor.redact("swift 6.3.1, commit 4f6cde8, id 123e4567-e89b-12d3-a456-426614174000") == nil)
        #expect(!redactor.changedAnything)
    }

    @Test func kindsWithoutATreatmentAreLeftAlone() throws {
        var redactor = Redactor(treatments: [try kind("AWS_ACCESS_KEY_ID"): .redact])
        let redacted = try unwrap(redactor.redact("\(Fixtures.ada) \(Fixtures.awsKey)"))
        #expect(redacted == "\(Fixtures.ada) [REDACTED:AWS_ACCESS_KEY_ID]")
    }

    @Test func pseudonymsAreStableWithinABookAndDistinctAcrossValues() throws {
        var redactor = redactEverything(.pseudonym(PseudonymBook(fingerprint: testFingerprint)))
        let first = try unwrap(redactor.redact("from \(Fixtures.ada) to \(Fixtures.grace), cc \(Fixtures.ada)"))
        #expect(first == "from <EMAIL_1> to <EMAIL_2>, cc <EMAIL_1>")
        // The book carries over to the next text of the same session.
        let second = try unwrap(redactor.redact("reply-to: \(Fixtures.grace)"))
        #expect(second == "reply-to: <EMAIL_2>")
    }

    @Test func anAdoptedBookIsContinuedFrom() throws {
        // What another process named meanwhile (grace first) is kept; this redactor's own names
        // from before the adoption are not.
        var elsewhere = redactEverything(.pseudonym(PseudonymBook(fingerprint: testFingerprint)))
        _ = elsewhere.redact(Fixtures.grace)
        var redactor = redactEverything(.pseudonym(PseudonymBook(fingerprint: testFingerprint)))
        #expect(try unwrap(redactor.redact(Fixtures.ada)) == "<EMAIL_1>")
        redactor.adopt(try #require(elsewhere.pseudonyms))
        #expect(try unwrap(redactor.redact("\(Fixtures.ada) \(Fixtures.grace)")) == "<EMAIL_2> <EMAIL_1>")

        var placeholders = redactEverything()
        placeholders.adopt(try #require(elsewhere.pseudonyms))
        #expect(placeholders.pseudonyms == nil)
        #expect(try unwrap(placeholders.redact(Fixtures.grace)) == "[REDACTED:EMAIL]")
    }

    @Test func theBookKeepsFingerprintsNeverValues() throws {
        var redactor = redactEverything(.pseudonym(PseudonymBook(fingerprint: testFingerprint)))
        _ = redactor.redact(Fixtures.ada)
        guard case .pseudonym(let book) = redactor.style else { Issue.record("style changed"); return }
        let stored = book.entries.values.flatMap(\.keys)
        #expect(stored.count == 1)
        #expect(stored.allSatisfy { $0 != Array(Fixtures.ada.utf8) })
    }

    @Test func withheldKindsReplaceTheWholeText() throws {
        var redactor = Redactor(treatments: [try kind("AWS_ACCESS_KEY_ID"): .withhold, try kind("EMAIL"): .redact])
        let redacted = try unwrap(redactor.redact("a lot of text\nkey \(Fixtures.awsKey)\nmore"))
        #expect(redacted == "[WITHHELD by Warden: this output contains AWS_ACCESS_KEY_ID]")
        #expect(redactor.withheldKinds == [try kind("AWS_ACCESS_KEY_ID")])
    }

    @Test func multibyteTextAroundAFindingSurvives() throws {
        var redactor = redactEverything()
        let redacted = try unwrap(redactor.redact("Grüße → \(Fixtures.ada) ✓"))
        #expect(redacted == "Grüße → [REDACTED:EMAIL] ✓")
    }
}

@Suite struct JSONRedactionTests {
    @Test func stringsAreRedactedAndTheShapeIsKept() throws {
        let original = try JSONValue.parse("""
            {"stdout": "user \(Fixtures.ada)\\n", "stderr": "", "interrupted": false, "exitCode": 0,
             "file": {"filePath": "/p/customers.csv", "numLines": 3, "lines": ["a", "\(Fixtures.awsKey)", null]}}
            """)
        var redactor = redactEverything()
        let redacted = try unwrap(redactor.redact(json: original))
        #expect(redacted.serialized == """
            {"stdout":"user [REDACTED:EMAIL]\\n","stderr":"","interrupted":false,"exitCode":0,\
            "file":{"filePath":"/p/customers.csv","numLines":3,"lines":["a","[REDACTED:AWS_ACCESS_KEY_ID]",null]}}
            """)
    }

    @Test func nothingFoundMeansNil() throws {
        var redactor = redactEverything()
        #expect(redactor.redact(json: try JSONValue.parse(#"{"stdout":"ok","n":[1,2,{"a":true}]}"#)) == nil)
    }
}

@Suite struct StreamRedactorTests {
    @Test func itSaysWhichFeedReleases() {
        var stream = StreamRedactor(redactor: redactEverything(), batch: 64, overlap: 32)
        #expect(!stream.releases(afterAdding: 63))
        #expect(stream.releases(afterAdding: 64))
        let line = Array(repeating: UInt8(ascii: "a"), count: 39) + [UInt8(ascii: "\n")]
        let released = line.withUnsafeBytes { stream.feed($0) }
        #expect(released.isEmpty)
        #expect(!stream.releases(afterAdding: 23))
        #expect(stream.releases(afterAdding: 24))
        let more = line.withUnsafeBytes { stream.feed($0) }
        #expect(more == line, "the first line, before the overlap")
    }

    /// Feeds `text` in pieces of the given sizes and returns everything released.
    func stream(_ text: String, pieces: [Int], batch: Int = 64, overlap: Int = 32) -> String {
        var stream = StreamRedactor(redactor: redactEverything(), batch: batch, overlap: overlap)
        let bytes = Array(text.utf8)
        var output: [UInt8] = []
        var start = 0
        var index = 0
        while start < bytes.count {
            let size = max(1, pieces[index % pieces.count])
            let end = min(bytes.count, start + size)
            bytes[start..<end].withUnsafeBytes { output += stream.feed($0) }
            start = end
            index += 1
        }
        output += stream.finish()
        return String(decoding: output, as: UTF8.self)
    }

    func lines(_ count: Int) -> String {
        (0..<count).map { index in
            switch index % 4 {
            case 0: "row \(index): \(Fixtures.ada)\n"
            case 1: "row \(index): nothing to see here, just a longer line of ordinary log text\n"
            case 2: "row \(index): key=\(Fixtures.awsKey)\n"
            default: "row \(index): \(Fixtures.grace) and \(Fixtures.otherAWSKey)\n"
            }
        }.joined()
    }

    @Test(arguments: [[1], [3, 7], [64], [1000], [5, 61, 2, 200]])
    func anyChunkingGivesTheSameOutputAsOneScan(pieces: [Int]) throws {
        let text = lines(60)
        var whole = redactEverything()
        let expected = try unwrap(whole.redact(text))
        #expect(stream(text, pieces: pieces) == expected)
    }

    @Test(arguments: Array(stride(from: 0, to: 260, by: 13)))
    func aValueOnOneLongLineIsNeverReleasedInPieces(position: Int) {
        // 300 bytes without a line break, far more than the redactor holds before it must cut.
        let filler = String(repeating: "x", count: position)
        let text = filler + " \(Fixtures.awsKey) " + String(repeating: "y", count: 300 - position)
        let output = stream(text, pieces: [5, 9, 2], batch: 16, overlap: 24)
        #expect(output == filler + " [REDACTED:AWS_ACCESS_KEY_ID] " + String(repeating: "y", count: 300 - position))
    }

    @Test func textWithoutFindingsPassesThroughByteForByte() {
        let text = String(repeating: "plain line of output 0123456789\n", count: 100)
        #expect(stream(text, pieces: [17]) == text)
    }
}

/// `Redactor.everyKind()` keeps no treatment table; it must treat every kind as one built from
/// the catalogue does.
@Suite struct EveryKindRedactorTests {
    @Test func redactsAsAnExplicitTableOfEveryKind() throws {
        var everyKind = Redactor.everyKind()
        var explicit = Redactor(treatments: Dictionary(uniqueKeysWithValues: Detector.catalogue.map { ($0, Treatment.redact) }))
        #expect(everyKind.treatments == explicit.treatments)
        for text in ["key \(Fixtures.awsKey) and \(Fixtures.ada), \(Fixtures.grace)", "nothing here", "\(Fixtures.otherAWSKey)"] {
            #expect(everyKind.redact(text) == explicit.redact(text))
        }
        #expect(everyKind.counts == explicit.counts)
        #expect(!everyKind.counts.isEmpty)
    }
}
