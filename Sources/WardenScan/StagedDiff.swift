/// What a commit adds, read from `git diff --cached --unified=0 --no-color --no-ext-diff
/// --src-prefix=a/ --dst-prefix=b/`: the lines each file gains, with their line numbers in the
/// new file, and the files git shows as binary. Hand-written: the format is small and fixed.
public struct StagedDiff: Sendable, Equatable {
    public struct AddedLine: Sendable, Equatable {
        public var line: Int
        public var text: String
    }

    public struct File: Sendable, Equatable {
        public var path: String
        public var addedLines: [AddedLine] = []
        public var isBinary = false
    }

    public private(set) var files: [File] = []

    public init(files: [File] = []) { self.files = files }

    public static func parse(_ text: String) -> StagedDiff {
        var diff = StagedDiff()
        var current: File?
        var nextLine = 0
        var inHunk = false
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if rawLine.hasPrefix("diff --git ") {
                if let file = current { diff.files.append(file) }
                current = File(path: pathFromHeader(rawLine) ?? "")
                inHunk = false
            } else if !inHunk, rawLine.hasPrefix("+++ ") {
                let target = rawLine.dropFirst(4)
                if target != "/dev/null", let path = unquote(target), path.hasPrefix("b/") {
                    current?.path = String(path.dropFirst(2))
                }
            } else if !inHunk, rawLine.hasPrefix("Binary files ") {
                current?.isBinary = true
            } else if rawLine.hasPrefix("@@ ") {
                nextLine = newStart(of: rawLine) ?? 0
                inHunk = true
            } else if inHunk, rawLine.hasPrefix("+") {
                current?.addedLines.append(AddedLine(line: nextLine, text: String(rawLine.dropFirst())))
                nextLine += 1
            } else if inHunk, rawLine.hasPrefix(" ") {
                nextLine += 1
            }
        }
        if let file = current { diff.files.append(file) }
        return diff
    }

    /// `+c,d` of `@@ -a,b +c,d @@`.
    static func newStart(of header: Substring) -> Int? {
        guard let plus = header.firstIndex(of: "+") else { return nil }
        let digits = header[header.index(after: plus)...].prefix { $0.isASCII && $0.isNumber }
        return Int(digits)
    }

    /// The `b/…` path of `diff --git a/x b/x`, for files whose `+++` line is missing (binary or
    /// mode-only changes). Quoted paths are handled by `unquote`.
    static func pathFromHeader(_ header: Substring) -> String? {
        let rest = header.dropFirst("diff --git ".count)
        if rest.hasPrefix("\"") {
            // "a/x" "b/x": the second quoted string.
            guard let secondQuote = rest.dropFirst().firstIndex(of: "\"") else { return nil }
            let second = rest[rest.index(after: secondQuote)...].drop { $0 == " " }
            return unquote(second).map { $0.hasPrefix("b/") ? String($0.dropFirst(2)) : $0 }
        }
        let bytes = Array(rest.utf8)
        var index = bytes.count - 3
        while index >= 0 {
            if bytes[index] == UInt8(ascii: " "), bytes[index + 1] == UInt8(ascii: "b"), bytes[index + 2] == UInt8(ascii: "/") {
                return String(decoding: bytes[(index + 3)...], as: UTF8.self)
            }
            index -= 1
        }
        return nil
    }

    /// Git quotes paths with unusual bytes in C style: `"dir/\303\251t\303\251 \"x\".txt"`.
    static func unquote(_ text: Substring) -> String? {
        guard text.hasPrefix("\"") else { return String(text) }
        guard text.count >= 2, text.hasSuffix("\"") else { return nil }
        var bytes: [UInt8] = []
        var iterator = Array(text.dropFirst().dropLast().utf8).makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "\\"), let escaped = iterator.next() else { bytes.append(byte); continue }
            switch escaped {
            case UInt8(ascii: "n"): bytes.append(10)
            case UInt8(ascii: "t"): bytes.append(9)
            case UInt8(ascii: "a"): bytes.append(7)
            case UInt8(ascii: "b"): bytes.append(8)
            case UInt8(ascii: "f"): bytes.append(12)
            case UInt8(ascii: "v"): bytes.append(11)
            case UInt8(ascii: "r"): bytes.append(13)
            case UInt8(ascii: "0")...UInt8(ascii: "3"):
                guard let second = iterator.next(), let third = iterator.next() else { return nil }
                bytes.append((escaped - 48) << 6 | (second - 48) << 3 | (third - 48))
            default: bytes.append(escaped)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
