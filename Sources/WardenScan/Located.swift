public import WardenDetect
import WardenDigest

/// A finding placed in a file: where it is, what it is, and a preview that cannot give the value
/// away. This is what `warden scan` and `warden precommit` report; it never holds the value.
public struct LocatedFinding: Sendable, Hashable {
    public var path: String
    /// 1-based line and column; the column counts characters, not bytes.
    public var line: Int
    public var column: Int
    public var kind: DetectionKind
    public var rule: String
    public var confidence: Confidence
    /// `AKIA****************`: see `Preview.masked`.
    public var preview: String
    /// A keyed digest of kind and value, for ignore files (see `FindingFingerprint`).
    public var fingerprint: String

    public init(
        path: String, line: Int, column: Int, kind: DetectionKind, rule: String, confidence: Confidence,
        preview: String, fingerprint: String
    ) {
        self.path = path
        self.line = line
        self.column = column
        self.kind = kind
        self.rule = rule
        self.confidence = confidence
        self.preview = preview
        self.fingerprint = fingerprint
    }
}

/// Line and column of byte offsets in one text, found in one pass over the line starts.
public struct LineIndex: Sendable {
    let lineStarts: [Int]
    let bytes: [UInt8]

    public init(_ bytes: [UInt8]) {
        var starts = [0]
        for (offset, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") { starts.append(offset + 1) }
        lineStarts = starts
        self.bytes = bytes
    }

    /// 1-based line and character column of `offset`.
    public func position(of offset: Int) -> (line: Int, column: Int) {
        var low = 0
        var high = lineStarts.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if lineStarts[middle] <= offset { low = middle } else { high = middle - 1 }
        }
        let start = lineStarts[low]
        // Characters, approximated by UTF-8 sequence starts: continuation bytes are 10xxxxxx.
        let column = bytes[start..<min(offset, bytes.count)].reduce(1) { $1 & 0xC0 == 0x80 ? $0 : $0 + 1 }
        return (low + 1, column)
    }

    /// The text of the 1-based line `line`, without its line break.
    public func text(ofLine line: Int) -> Substring {
        let start = lineStarts[line - 1]
        var end = line < lineStarts.count ? lineStarts[line] - 1 : bytes.count
        if end > start && bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        return Substring(String(decoding: bytes[start..<max(start, end)], as: UTF8.self))
    }
}

/// How a finding is shown to people: enough to find it, never enough to use it.
public enum Preview {
    /// A secret keeps its first four characters when it is at least 16 long (provider prefixes
    /// such as `AKIA` or `ghp_` say what it is; four characters of a random key give nothing
    /// away); personal data and short values keep one. The rest becomes at most 16 asterisks.
    public static func masked(_ value: Substring, kind: DetectionKind) -> String {
        let characters = Array(value)
        let kept = kind.category == .secret && characters.count >= 16 ? 4 : 1
        let shown = String(characters.prefix(min(kept, max(characters.count - 1, 0))))
        return shown + String(repeating: "*", count: min(16, max(characters.count - shown.count, 1)))
    }
}

/// A line that carries this marker is not reported, in scans and in commits: for test fixtures
/// and documentation that must hold a value of a secret's shape.
public enum AllowMarker {
    public static let text = "warden:allow"

    public static func isPresent(in line: Substring) -> Bool { line.contains(text) }
}

/// Fingerprints a team has reviewed and accepted: one per line, `#` starts a comment.
public struct IgnoreList: Sendable {
    public private(set) var fingerprints: Set<String> = []

    public init() {}

    /// Reads an ignore file; returns the list and the 1-based numbers of lines that are not a
    /// fingerprint (an ignore file with typos would silently stop protecting nothing).
    public static func parse(_ text: String) -> (list: IgnoreList, badLines: [Int]) {
        var list = IgnoreList()
        var bad: [Int] = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let entry = line.trimmingWhitespace()
            if entry.isEmpty { continue }
            if FindingFingerprint.isWellFormed(entry) {
                list.fingerprints.insert(String(entry))
            } else {
                bad.append(index + 1)
            }
        }
        return (list, bad)
    }

    public func contains(_ fingerprint: String) -> Bool { fingerprints.contains(fingerprint) }
}

/// Fingerprints are computed by the caller (a SHA-256 digest lives outside this pure module) and
/// written as `wfp1:` followed by 24 lowercase hex digits.
public enum FindingFingerprint {
    public static let prefix = "wfp1:"
    public static let hexDigits = 24

    /// The bytes a digest is taken of: a domain tag, the kind and the value, separated by NUL.
    public static func material(kind: DetectionKind, value: some Sequence<UInt8>) -> [UInt8] {
        Array("warden-fingerprint-v1\u{0}\(kind.name)\u{0}".utf8) + Array(value)
    }

    public static func format(digest: some Sequence<UInt8>) -> String {
        prefix + Hex.encode(digest.prefix(hexDigits / 2))
    }

    public static func isWellFormed(_ text: Substring) -> Bool {
        guard text.hasPrefix(prefix) else { return false }
        let digits = text.dropFirst(prefix.count)
        return digits.count == hexDigits && digits.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }
}

extension Substring {
    func trimmingWhitespace() -> Substring {
        var result = self
        while let first = result.first, first == " " || first == "\t" || first == "\r" { result.removeFirst() }
        while let last = result.last, last == " " || last == "\t" || last == "\r" { result.removeLast() }
        return result
    }
}
