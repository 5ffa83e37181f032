import Testing
import WardenDetect
@testable import WardenScan

@Suite struct LineIndexTests {
    @Test func positionsAreOneBasedAndCountCharacters() {
        let index = LineIndex(Array("first\nGrüße x\n\nlast".utf8))
        #expect(index.position(of: 0) == (1, 1))
        #expect(index.position(of: 6) == (2, 1))
        // "Grüße " is 6 characters, 8 bytes: x is at byte 14 of the text, column 7.
        #expect(index.position(of: 14) == (2, 7))
        #expect(index.position(of: 17) == (4, 1))
        #expect(index.text(ofLine: 2) == "Grüße x")
        #expect(index.text(ofLine: 3) == "")
        #expect(index.text(ofLine: 4) == "last")
    }
}

@Suite struct PreviewTests {
    static let secret = DetectionKind("SOME_TOKEN", .secret)
    static let email = DetectionKind("EMAIL", .pii)

    @Test func secretsKeepAProviderPrefixAndPersonalDataOneCharacter() {
        #expect(Preview.masked("AKIAZ7QRSTUVWXY23456", kind: Self.secret) == "AKIA****************")
        #expect(Preview.masked("ada.lovelace@analytical.co.uk", kind: Self.email) == "a****************")
        #expect(Preview.masked("hunter2", kind: Self.secret) == "h******")
        #expect(Preview.masked("x", kind: Self.secret) == "*")
    }

    @Test func aPreviewNeverHoldsMoreThanFourCharactersOfTheValue() {
        let value = "sk-ant-api03-" + String(repeating: "Q", count: 80)
        let preview = Preview.masked(Substring(value), kind: Self.secret)
        #expect(preview.filter { $0 != "*" }.count <= 4)
    }
}

@Suite struct IgnoreListTests {
    @Test func fingerprintsCommentsAndMistakes() {
        let text = """
            # accepted by security on 2026-11-01
            wfp1:0123456789abcdef01234567  # test fixture

            wfp1:0123456789ABCDEF01234567
            not-a-fingerprint
            """
        let (list, bad) = IgnoreList.parse(text)
        #expect(list.contains("wfp1:0123456789abcdef01234567"))
        #expect(list.fingerprints.count == 1)
        #expect(bad == [4, 5])
    }

    @Test func fingerprintFormatting() {
        #expect(FindingFingerprint.format(digest: [0x00, 0xff, 0x10] + Array(repeating: 0xab, count: 29))
            == "wfp1:00ff10" + String(repeating: "ab", count: 9))
        #expect(FindingFingerprint.material(kind: DetectionKind("K", .secret), value: Array("v".utf8))
            == Array("warden-fingerprint-v1\u{0}K\u{0}v".utf8))
    }
}

@Suite struct StagedDiffTests {
    @Test func addedLinesKeepTheirNumbersInTheNewFile() {
        let diff = StagedDiff.parse("""
            diff --git a/config/app.yml b/config/app.yml
            index 1111111..2222222 100644
            --- a/config/app.yml
            +++ b/config/app.yml
            @@ -3,0 +4,2 @@ database:
            +  user: app
            +  password: hunter2-but-longer
            @@ -10 +12 @@ cache:
            -  ttl: 5
            +  ttl: 50
            diff --git a/new file.txt b/new file.txt
            new file mode 100644
            index 0000000..3333333
            --- /dev/null
            +++ b/new file.txt
            @@ -0,0 +1 @@
            +hello
            diff --git a/logo.png b/logo.png
            new file mode 100644
            index 0000000..4444444
            Binary files /dev/null and b/logo.png differ
            """)
        #expect(diff.files.map(\.path) == ["config/app.yml", "new file.txt", "logo.png"])
        #expect(diff.files[0].addedLines == [
            .init(line: 4, text: "  user: app"), .init(line: 5, text: "  password: hunter2-but-longer"), .init(line: 12, text: "  ttl: 50"),
        ])
        #expect(diff.files[1].addedLines == [.init(line: 1, text: "hello")])
        #expect(diff.files[2].isBinary && diff.files[2].addedLines.isEmpty)
    }

    @Test func quotedPathsAreUnquoted() {
        let diff = StagedDiff.parse("""
            diff --git "a/d\\303\\251j\\303\\240 \\"vu\\".txt" "b/d\\303\\251j\\303\\240 \\"vu\\".txt"
            --- /dev/null
            +++ "b/d\\303\\251j\\303\\240 \\"vu\\".txt"
            @@ -0,0 +1 @@
            ++plus at the start
            """)
        #expect(diff.files.map(\.path) == ["déjà \"vu\".txt"])
        #expect(diff.files[0].addedLines == [.init(line: 1, text: "+plus at the start")])
    }

    @Test func theAddedLinesOfAFileCanContainDiffLikeText() {
        // A line added to a file that itself reads like a diff header is content, not structure.
        let diff = StagedDiff.parse("""
            diff --git a/notes.md b/notes.md
            --- a/notes.md
            +++ b/notes.md
            @@ -1,0 +2,2 @@
            ++++ b/elsewhere
            +Binary files are fine
            """)
        #expect(diff.files.count == 1)
        #expect(diff.files[0].path == "notes.md")
        #expect(diff.files[0].addedLines.map(\.text) == ["+++ b/elsewhere", "Binary files are fine"])
    }
}

@Suite struct TextScannerTests {
    static let awsKey = "AKIA" + "Z7QRSTUVWXY23456"
    let scanner = TextScanner(
        detector: Detector(kinds: Set(Detector.catalogue.filter { $0.name == "AWS_ACCESS_KEY_ID" })),
        digest: { Array($0.prefix(12)) })

    @Test func findingsArePlacedMaskedAndFingerprinted() throws {
        let found = scanner.scan(Array("line one\n  key = \(Self.awsKey)\n".utf8), path: "a.ini")
        let finding = try #require(found.first)
        #expect(found.count == 1)
        #expect((finding.path, finding.line, finding.column) == ("a.ini", 2, 9))
        #expect(finding.preview == "AKIA****************")
        #expect(FindingFingerprint.isWellFormed(Substring(finding.fingerprint)))
        #expect(!finding.preview.contains("Z7QR") && !finding.fingerprint.contains("Z7QR"))
    }

    @Test func allowMarkersIgnoreFilesAndLineMaps() throws {
        let text = "a \(Self.awsKey) # warden:allow\nb \(Self.awsKey)\n"
        let found = scanner.scan(Array(text.utf8), path: "x", lineNumbers: [40, 52])
        #expect(found.map(\.line) == [52])
        var ignore = IgnoreList.parse(try #require(found.first?.fingerprint)).list
        #expect(scanner.scan(Array(text.utf8), path: "x", ignore: ignore).isEmpty)
        ignore = IgnoreList()
        #expect(scanner.scan(Array(text.utf8), path: "x", ignore: ignore).count == 1)
    }
}
