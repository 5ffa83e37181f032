// The lexical half of the parser: a cursor over the script's UTF-8 bytes, line continuations,
// operators, and words with their quoting and expansions. Shell lexing depends on the grammar (a
// reserved word is only one in command position, `((` may open arithmetic or two subshells, a
// here-document body starts at the next newline token), so the grammar drives this cursor directly
// instead of consuming a token stream.

extension UInt8 {
    static let tab: UInt8 = 0x09
    static let newline: UInt8 = 0x0A
    static let space: UInt8 = 0x20
    static let exclamation: UInt8 = 0x21
    static let doubleQuote: UInt8 = 0x22
    static let hash: UInt8 = 0x23
    static let dollar: UInt8 = 0x24
    static let ampersand: UInt8 = 0x26
    static let singleQuote: UInt8 = 0x27
    static let openParen: UInt8 = 0x28
    static let closeParen: UInt8 = 0x29
    static let asterisk: UInt8 = 0x2A
    static let plus: UInt8 = 0x2B
    static let comma: UInt8 = 0x2C
    static let minus: UInt8 = 0x2D
    static let dot: UInt8 = 0x2E
    static let slash: UInt8 = 0x2F
    static let zero: UInt8 = 0x30
    static let nine: UInt8 = 0x39
    static let colon: UInt8 = 0x3A
    static let semicolon: UInt8 = 0x3B
    static let less: UInt8 = 0x3C
    static let equals: UInt8 = 0x3D
    static let greater: UInt8 = 0x3E
    static let question: UInt8 = 0x3F
    static let at: UInt8 = 0x40
    static let openBracket: UInt8 = 0x5B
    static let backslash: UInt8 = 0x5C
    static let closeBracket: UInt8 = 0x5D
    static let underscore: UInt8 = 0x5F
    static let backquote: UInt8 = 0x60
    static let openBrace: UInt8 = 0x7B
    static let pipe: UInt8 = 0x7C
    static let closeBrace: UInt8 = 0x7D
    static let tilde: UInt8 = 0x7E

    var isBlank: Bool { self == .space || self == .tab }
    var isDigit: Bool { self >= .zero && self <= .nine }
    var isLetter: Bool { (self | 0x20) >= 0x61 && (self | 0x20) <= 0x7A }
    var isNameStart: Bool { isLetter || self == .underscore }
    var isNameCharacter: Bool { isLetter || isDigit || self == .underscore }
    /// Characters that end an unquoted word.
    var isMetacharacter: Bool {
        switch self {
        case .space, .tab, .newline, .semicolon, .ampersand, .pipe, .openParen, .closeParen, .less, .greater:
            true
        default:
            false
        }
    }
    var isHexDigit: Bool { isDigit || ((self | 0x20) >= 0x61 && (self | 0x20) <= 0x66) }
    var hexValue: UInt32 {
        isDigit ? UInt32(self - .zero) : UInt32((self | 0x20) - 0x61 + 10)
    }
}

/// A parse error at a byte offset; converted to a line and column once, at the top level.
struct ParseFailure: Error {
    var offset: Int
    var message: String
}

/// Where a word is being read; decides which characters end it and which quotes are special.
enum WordContext {
    /// Command words, arguments, redirection targets, case subjects and patterns.
    case normal
    /// Inside `[[ … ]]`: `<`, `>`, `(` and `)` are operators, extended-glob groups are allowed.
    case conditional
    /// The right-hand side of `=~`: parentheses, `|` and blanks inside parentheses belong to it.
    case regex
}

extension ShellParser {
    // MARK: Cursor

    /// The first index at or after `index` that is not inside a line continuation (`\` newline),
    /// which bash removes before tokenising everywhere outside single quotes.
    @inline(__always)
    func significant(_ index: Int) -> Int {
        var i = index
        while i + 1 < end, bytes[i] == .backslash, bytes[i + 1] == .newline { i += 2 }
        return i
    }

    @inline(__always)
    func byte(at index: Int) -> UInt8? {
        index < end ? bytes[index] : nil
    }

    /// The current byte after any line continuations, which are consumed.
    @inline(__always)
    mutating func peek() -> UInt8? {
        pos = significant(pos)
        return pos < end ? bytes[pos] : nil
    }

    /// The byte after the current one, skipping line continuations.
    func peekSecond() -> UInt8? {
        byte(at: significant(significant(pos) + 1))
    }

    func peekThird() -> UInt8? {
        byte(at: significant(significant(significant(pos) + 1) + 1))
    }

    /// Consumes the current byte (which must exist).
    @inline(__always)
    mutating func advance() {
        pos = significant(pos) + 1
    }

    /// Skips blanks and a comment (`#` at the start of a token runs to the end of the line; bash
    /// does not honour line continuations inside comments).
    mutating func skipBlanks() {
        while let c = peek() {
            if c.isBlank {
                pos += 1
            } else if c == .hash {
                while pos < end, bytes[pos] != .newline { pos += 1 }
            } else {
                return
            }
        }
    }

    /// Skips blanks, comments and newlines (reading any pending here-document bodies).
    mutating func skipLinebreaks() throws(ParseFailure) {
        while true {
            skipBlanks()
            guard peek() == .newline else { return }
            try consumeNewline()
        }
    }

    /// Consumes a newline token; here-document bodies start right after it.
    mutating func consumeNewline() throws(ParseFailure) {
        pos += 1
        if !pendingHereDocuments.isEmpty { try readHereDocumentBodies() }
    }

    /// The reserved word at the cursor, if the next token is one: unquoted, and followed by a
    /// metacharacter or the end.
    func reservedWord() -> (word: String, end: Int)? {
        // Checked before every command, so without allocating: up to eight bytes packed in an
        // integer (the longest reserved word, `function`, has eight).
        var i = significant(pos)
        var key: UInt64 = 0
        var count = 0
        while i < end, !bytes[i].isMetacharacter {
            if count == 8 { return nil }
            key = key << 8 | UInt64(bytes[i])
            count += 1
            i = significant(i + 1)
        }
        guard let (word, length) = ShellParser.reservedWordKeys[key], length == count else { return nil }
        return (word, i)
    }

    static let reservedWords = [
        "if", "then", "elif", "else", "fi", "do", "done", "case", "esac", "while", "until", "for",
        "select", "function", "time", "coproc", "{", "}", "[[", "]]", "!", "in",
    ]

    static let reservedWordKeys: [UInt64: (String, Int)] = {
        var keys: [UInt64: (String, Int)] = [:]
        for word in reservedWords {
            var key: UInt64 = 0
            for byte in word.utf8 { key = key << 8 | UInt64(byte) }
            keys[key] = (word, word.utf8.count)
        }
        return keys
    }()

    mutating func isAtReservedWord(_ word: String) -> Bool {
        reservedWord()?.word == word
    }

    /// Consumes `word` if it is the next token.
    mutating func consumeReservedWord(_ word: String) -> Bool {
        guard let found = reservedWord(), found.word == word else { return false }
        pos = found.end
        return true
    }

    /// A description of the token at `offset` for an error message, as bash words it.
    func tokenDescription(at offset: Int) -> String? {
        let i = significant(offset)
        guard i < end else { return nil }
        if bytes[i] == .newline { return "newline" }
        let operators = [
            "&&", "||", ";;&", ";;", ";&", "|&", "&>>", "&>", "<<<", "<<-", "<<", "<&", "<>", ">>", ">&", ">|",
            "&", ";", "|", "(", ")", "<", ">",
        ]
        for op in operators {
            let opBytes = Array(op.utf8)
            if i + opBytes.count <= end, Array(bytes[i..<(i + opBytes.count)]) == opBytes { return op }
        }
        var j = i
        while j < end, !bytes[j].isMetacharacter, j - i < 40 { j += 1 }
        return String(decoding: bytes[i..<max(j, i + 1)], as: UTF8.self)
    }

    func unexpectedToken(at offset: Int) -> ParseFailure {
        if let token = tokenDescription(at: offset) {
            return ParseFailure(offset: significant(offset), message: "syntax error near unexpected token `\(token)'")
        }
        return ParseFailure(offset: min(offset, end), message: "syntax error: unexpected end of file")
    }

    /// The error for a construct opened at `offset` that is never closed.
    func unterminated(_ opener: String, closer: String, at offset: Int) -> ParseFailure {
        ParseFailure(offset: offset, message: "unexpected end of file: `\(opener)' is not closed by `\(closer)'")
    }

    mutating func enterNesting(at offset: Int) throws(ParseFailure) {
        depth += 1
        if depth > ShellParser.maximumDepth {
            throw ParseFailure(offset: offset, message: "nesting too deep (more than \(ShellParser.maximumDepth) levels)")
        }
    }

    mutating func leaveNesting() {
        depth -= 1
    }

    // MARK: Words

    /// Reads a word at the cursor, or returns nil when the next character cannot start one.
    mutating func readWord(_ context: WordContext = .normal) throws(ParseFailure) -> Word? {
        guard peek() != nil else { return nil }
        let start = pos
        var parts: [WordPart] = []
        var literal: [UInt8] = []
        var parenDepth = 0
        loop: while let c = peek() {
            switch c {
            case .space, .tab, .newline:
                if parenDepth > 0, c != .newline { break }
                break loop
            case .semicolon, .ampersand:
                break loop
            case .pipe:
                if parenDepth > 0 || (context == .regex && peekSecond() != .pipe) { break }
                break loop
            case .openParen:
                if context == .regex {
                    parenDepth += 1
                    break
                }
                if context == .conditional, let last = literal.last,
                    last == .at || last == .question || last == .asterisk || last == .plus || last == .exclamation
                {
                    parenDepth += 1
                    break
                }
                break loop
            case .closeParen:
                if parenDepth > 0 {
                    parenDepth -= 1
                    break
                }
                break loop
            case .less, .greater:
                if context == .normal, peekSecond() == .openParen {
                    flush(&literal, into: &parts)
                    parts.append(try readProcessSubstitution())
                    continue loop
                }
                break loop
            case .backslash:
                flush(&literal, into: &parts)
                parts.append(readEscape())
                continue loop
            case .singleQuote:
                flush(&literal, into: &parts)
                parts.append(try readSingleQuoted())
                continue loop
            case .doubleQuote:
                flush(&literal, into: &parts)
                parts.append(try readDoubleQuoted())
                continue loop
            case .dollar:
                flush(&literal, into: &parts)
                if let part = try readDollar(quoted: false) {
                    parts.append(part)
                } else {
                    literal.append(.dollar)
                }
                continue loop
            case .backquote:
                flush(&literal, into: &parts)
                parts.append(try readBackquote(inDoubleQuotes: false))
                continue loop
            default:
                break
            }
            literal.append(c)
            pos += 1
        }
        flush(&literal, into: &parts)
        guard !parts.isEmpty else { return nil }
        return Word(parts: parts, range: start..<pos)
    }

    @inline(__always)
    func flush(_ literal: inout [UInt8], into parts: inout [WordPart]) {
        guard !literal.isEmpty else { return }
        parts.append(.literal(String(decoding: literal, as: UTF8.self)))
        literal.removeAll(keepingCapacity: true)
    }

    /// The UTF-8 sequence starting at `index`, so that an escaped character is never split.
    func scalarEnd(at index: Int) -> Int {
        guard index < end else { return index }
        let lead = bytes[index]
        let length = lead < 0xC0 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
        return min(index + length, end)
    }

    /// `\c` outside quotes. The cursor is on the backslash, which is not a line continuation.
    mutating func readEscape() -> WordPart {
        let next = pos + 1
        guard next < end else {
            pos = next
            return .escaped("\\")
        }
        let stop = scalarEnd(at: next)
        pos = stop
        return .escaped(String(decoding: bytes[next..<stop], as: UTF8.self))
    }

    mutating func readSingleQuoted() throws(ParseFailure) -> WordPart {
        let open = pos
        var i = pos + 1
        while i < end, bytes[i] != .singleQuote { i += 1 }
        guard i < end else { throw unterminatedQuote("'", at: open) }
        pos = i + 1
        return .singleQuoted(String(decoding: bytes[(open + 1)..<i], as: UTF8.self))
    }

    func unterminatedQuote(_ quote: String, at offset: Int) -> ParseFailure {
        ParseFailure(offset: offset, message: "unexpected end of file while looking for matching `\(quote)'")
    }

    mutating func readDoubleQuoted() throws(ParseFailure) -> WordPart {
        let open = pos
        pos += 1
        var parts: [WordPart] = []
        var literal: [UInt8] = []
        while true {
            guard pos < end else { throw unterminatedQuote("\"", at: open) }
            let c = bytes[pos]
            switch c {
            case .doubleQuote:
                pos += 1
                flush(&literal, into: &parts)
                return .doubleQuoted(parts)
            case .backslash:
                guard pos + 1 < end else {
                    literal.append(c)
                    pos += 1
                    continue
                }
                let next = bytes[pos + 1]
                if next == .newline {
                    pos += 2
                } else if next == .dollar || next == .backquote || next == .doubleQuote || next == .backslash {
                    literal.append(next)
                    pos += 2
                } else {
                    literal.append(c)
                    pos += 1
                }
            case .dollar:
                flush(&literal, into: &parts)
                if let part = try readDollar(quoted: true) {
                    parts.append(part)
                } else {
                    literal.append(.dollar)
                }
            case .backquote:
                flush(&literal, into: &parts)
                parts.append(try readBackquote(inDoubleQuotes: true))
            default:
                literal.append(c)
                pos += 1
            }
        }
    }

    /// Reads what follows a `$` at the cursor. Returns nil (having consumed the `$`) when the
    /// dollar sign is literal. `quoted` is true inside double quotes and here-document bodies,
    /// where `$'…'` and `$"…"` are not quotes.
    mutating func readDollar(quoted: Bool) throws(ParseFailure) -> WordPart? {
        let start = pos
        let next = significant(pos + 1)
        guard next < end else {
            pos = next
            return nil
        }
        switch bytes[next] {
        case .openParen:
            let second = significant(next + 1)
            if second < end, bytes[second] == .openParen, let close = scanArithmetic(from: second + 1) {
                try enterNesting(at: start)
                let expression = try readArithmeticWord(from: second + 1, to: close)
                pos = significant(close + 1) + 1
                leaveNesting()
                return .arithmetic(ArithmeticExpansion(expression: expression, range: start..<pos))
            }
            try enterNesting(at: start)
            pos = next + 1
            let list = try parseList()
            guard peek() == .closeParen else {
                if pos >= end { throw unterminated("$(", closer: ")", at: start) }
                throw unexpectedToken(at: pos)
            }
            pos += 1
            leaveNesting()
            return .commandSubstitution(CommandSubstitution(body: .inline(list), range: start..<pos))
        case .openBrace:
            return .parameter(try readBracedParameter(start: start, open: next, quoted: quoted))
        case .openBracket:
            // `$[ … ]`, the obsolete arithmetic expansion.
            var depthCount = 0
            var i = next + 1
            while i < end {
                if bytes[i] == .openBracket { depthCount += 1 }
                if bytes[i] == .closeBracket {
                    if depthCount == 0 { break }
                    depthCount -= 1
                }
                i += 1
            }
            guard i < end else { throw unterminatedQuote("]", at: start) }
            try enterNesting(at: start)
            let expression = try readArithmeticWord(from: next + 1, to: i)
            leaveNesting()
            pos = i + 1
            return .arithmetic(ArithmeticExpansion(expression: expression, range: start..<pos))
        case .singleQuote where !quoted:
            pos = next
            return try readANSICQuoted()
        case .doubleQuote where !quoted:
            pos = next
            return try readDoubleQuoted()
        case let c where c.isNameStart:
            var i = next
            var name: [UInt8] = []
            while i < end, bytes[i].isNameCharacter {
                name.append(bytes[i])
                i = significant(i + 1)
            }
            pos = i
            return .parameter(ParameterExpansion(
                name: String(decoding: name, as: UTF8.self), isBraced: false, isLength: false, isIndirect: false,
                arrayIndex: nil, op: nil, argument: nil, range: start..<pos))
        case let c where c.isDigit || ShellParser.isSpecialParameter(c):
            pos = next + 1
            return .parameter(ParameterExpansion(
                name: String(UnicodeScalar(c)), isBraced: false, isLength: false, isIndirect: false,
                arrayIndex: nil, op: nil, argument: nil, range: start..<pos))
        default:
            pos = start + 1
            return nil
        }
    }

    static func isSpecialParameter(_ c: UInt8) -> Bool {
        c == .at || c == .asterisk || c == .hash || c == .question || c == .minus || c == .dollar
            || c == .exclamation
    }

    static let parameterOperators = [
        ":-", ":=", ":+", ":?", "##", "%%", "//", "/#", "/%", "^^", ",,", "-", "=", "+", "?", "#", "%", "/", "^",
        ",", ":", "@",
    ].map { Array($0.utf8) }

    /// `${…}`. The cursor is on the `$`; `open` is the index of the brace.
    mutating func readBracedParameter(start: Int, open: Int, quoted: Bool) throws(ParseFailure) -> ParameterExpansion {
        try enterNesting(at: start)
        defer { leaveNesting() }
        pos = open + 1
        var isLength = false
        var isIndirect = false
        if let c = peek(), c == .hash || c == .exclamation, let n = peekSecond(), n != .closeBrace,
            n.isNameCharacter || ShellParser.isSpecialParameter(n)
        {
            if c == .hash { isLength = true } else { isIndirect = true }
            advance()
        }
        var name: [UInt8] = []
        if let c = peek() {
            if c.isNameStart {
                while let n = peek(), n.isNameCharacter {
                    name.append(n)
                    advance()
                }
            } else if c.isDigit {
                while let n = peek(), n.isDigit {
                    name.append(n)
                    advance()
                }
            } else if ShellParser.isSpecialParameter(c) {
                name.append(c)
                advance()
            }
        }
        var arrayIndex: Word?
        if peek() == .openBracket {
            let indexStart = pos
            guard let close = matchingBracket(from: pos + 1) else { throw unterminatedQuote("]", at: indexStart) }
            arrayIndex = try readArithmeticWord(from: indexStart + 1, to: close)
            pos = close + 1
        }
        var op: String?
        var argument: Word?
        if peek() != .closeBrace {
            var matched: [UInt8] = []
            for candidate in ShellParser.parameterOperators {
                var i = pos
                var ok = true
                for b in candidate {
                    i = significant(i)
                    guard i < end, bytes[i] == b else {
                        ok = false
                        break
                    }
                    i += 1
                }
                if ok {
                    matched = candidate
                    pos = i
                    break
                }
            }
            op = String(decoding: matched, as: UTF8.self)
            argument = try readParameterArgument(quoted: quoted)
        }
        guard peek() == .closeBrace else { throw unterminatedQuote("}", at: start) }
        pos += 1
        return ParameterExpansion(
            name: String(decoding: name, as: UTF8.self), isBraced: true, isLength: isLength, isIndirect: isIndirect,
            arrayIndex: arrayIndex, op: op, argument: argument, range: start..<pos)
    }

    /// The index of the `]` closing a subscript whose content starts at `index`.
    func matchingBracket(from index: Int) -> Int? {
        var depthCount = 0
        var i = index
        while i < end {
            switch bytes[i] {
            case .backslash:
                i += 1
            case .singleQuote:
                i += 1
                while i < end, bytes[i] != .singleQuote { i += 1 }
            case .doubleQuote:
                i += 1
                while i < end, bytes[i] != .doubleQuote {
                    if bytes[i] == .backslash { i += 1 }
                    i += 1
                }
            case .openBracket:
                depthCount += 1
            case .closeBracket:
                if depthCount == 0 { return i }
                depthCount -= 1
            default:
                break
            }
            i += 1
        }
        return nil
    }

    /// The word after a parameter operator, up to the unquoted `}` (bash does not count other
    /// braces: `${x:-{a}b}` is `{a` followed by `b}`). Blanks and newlines belong to the word.
    mutating func readParameterArgument(quoted: Bool) throws(ParseFailure) -> Word {
        let start = pos
        var parts: [WordPart] = []
        var literal: [UInt8] = []
        while let c = peek(), c != .closeBrace {
            switch c {
            case .backslash:
                flush(&literal, into: &parts)
                parts.append(readEscape())
            case .singleQuote:
                if quoted {
                    // Inside double quotes the quotes are matched but stay part of the value.
                    let open = pos
                    _ = try readSingleQuoted()
                    literal.append(contentsOf: bytes[open..<pos])
                } else {
                    flush(&literal, into: &parts)
                    parts.append(try readSingleQuoted())
                }
            case .doubleQuote:
                flush(&literal, into: &parts)
                parts.append(try readDoubleQuoted())
            case .dollar:
                flush(&literal, into: &parts)
                if let part = try readDollar(quoted: quoted) {
                    parts.append(part)
                } else {
                    literal.append(.dollar)
                }
            case .backquote:
                flush(&literal, into: &parts)
                parts.append(try readBackquote(inDoubleQuotes: quoted))
            default:
                literal.append(c)
                pos += 1
            }
        }
        flush(&literal, into: &parts)
        return Word(parts: parts, range: start..<pos)
    }

    /// The index of the first `)` of the `))` that closes an arithmetic expression whose content
    /// starts at `index`, or nil when the text is not arithmetic (`$((ls) | wc)` is a command
    /// substitution holding a subshell). A lexical scan, as bash's own look-ahead is: quotes are
    /// skipped and parentheses counted.
    func scanArithmetic(from index: Int) -> Int? {
        var depthCount = 0
        var i = index
        while i < end {
            switch bytes[i] {
            case .backslash:
                i += 1
            case .singleQuote:
                i += 1
                while i < end, bytes[i] != .singleQuote { i += 1 }
                if i >= end { return nil }
            case .doubleQuote, .backquote:
                let quote = bytes[i]
                i += 1
                while i < end, bytes[i] != quote {
                    if bytes[i] == .backslash { i += 1 }
                    i += 1
                }
                if i >= end { return nil }
            case .openParen:
                depthCount += 1
            case .closeParen:
                if depthCount == 0 {
                    let next = significant(i + 1)
                    return next < end && bytes[next] == .closeParen ? i : nil
                }
                depthCount -= 1
            default:
                break
            }
            i += 1
        }
        return nil
    }

    /// The content of an arithmetic expression or subscript, `start..<stop`, as a word: only its
    /// expansions and quotes matter (for the commands they run).
    mutating func readArithmeticWord(from start: Int, to stop: Int) throws(ParseFailure) -> Word {
        let savedEnd = end
        end = stop
        defer { end = savedEnd }
        pos = start
        var parts: [WordPart] = []
        var literal: [UInt8] = []
        while let c = peek() {
            switch c {
            case .backslash:
                flush(&literal, into: &parts)
                parts.append(readEscape())
            case .singleQuote:
                flush(&literal, into: &parts)
                parts.append(try readSingleQuoted())
            case .doubleQuote:
                flush(&literal, into: &parts)
                parts.append(try readDoubleQuoted())
            case .dollar:
                flush(&literal, into: &parts)
                if let part = try readDollar(quoted: true) {
                    parts.append(part)
                } else {
                    literal.append(.dollar)
                }
            case .backquote:
                flush(&literal, into: &parts)
                parts.append(try readBackquote(inDoubleQuotes: false))
            default:
                literal.append(c)
                pos += 1
            }
        }
        flush(&literal, into: &parts)
        return Word(parts: parts, range: start..<stop)
    }

    /// `$'…'`: the cursor is on the quote. No line continuations inside.
    mutating func readANSICQuoted() throws(ParseFailure) -> WordPart {
        let open = pos
        var i = pos + 1
        var decoded: [UInt8] = []
        var truncated = false
        func append(_ bytes: some Sequence<UInt8>) {
            if !truncated { decoded.append(contentsOf: bytes) }
        }
        while i < end {
            let c = bytes[i]
            if c == .singleQuote {
                pos = i + 1
                return .ansiCQuoted(String(decoding: decoded, as: UTF8.self))
            }
            guard c == .backslash, i + 1 < end else {
                append(CollectionOfOne(c))
                i += 1
                continue
            }
            let e = bytes[i + 1]
            i += 2
            var value: UInt8?
            switch e {
            case 0x61: value = 0x07  // a
            case 0x62: value = 0x08  // b
            case 0x65, 0x45: value = 0x1B  // e E
            case 0x66: value = 0x0C  // f
            case 0x6E: value = 0x0A  // n
            case 0x72: value = 0x0D  // r
            case 0x74: value = 0x09  // t
            case 0x76: value = 0x0B  // v
            case .backslash, .singleQuote, .doubleQuote, .question: value = e
            case 0x30...0x37:
                var number = UInt32(e - .zero)
                var count = 1
                while count < 3, i < end, bytes[i] >= .zero, bytes[i] <= 0x37 {
                    number = number * 8 + UInt32(bytes[i] - .zero)
                    i += 1
                    count += 1
                }
                value = UInt8(truncatingIfNeeded: number)
            case 0x78:  // x
                var number: UInt32 = 0
                var count = 0
                while count < 2, i < end, bytes[i].isHexDigit {
                    number = number * 16 + bytes[i].hexValue
                    i += 1
                    count += 1
                }
                if count == 0 {
                    append([.backslash, e])
                    continue
                }
                value = UInt8(truncatingIfNeeded: number)
            case 0x75, 0x55:  // u U
                let limit = e == 0x75 ? 4 : 8
                var number: UInt32 = 0
                var count = 0
                while count < limit, i < end, bytes[i].isHexDigit {
                    number = (number &* 16) &+ bytes[i].hexValue
                    i += 1
                    count += 1
                }
                if count == 0 {
                    append([.backslash, e])
                    continue
                }
                if number == 0 {
                    truncated = true
                } else if let scalar = Unicode.Scalar(number) {
                    append(String(Character(scalar)).utf8)
                }
                continue
            case 0x63:  // c: control character
                guard i < end else {
                    append([.backslash, e])
                    continue
                }
                value = bytes[i] & 0x1F
                i += 1
            default:
                append([.backslash, e])
                continue
            }
            if let value {
                // bash stops the string at a NUL byte.
                if value == 0 { truncated = true } else { append(CollectionOfOne(value)) }
            }
        }
        throw unterminatedQuote("'", at: open - 1)
    }

    /// `` `…` ``: the content is unescaped (`\``, `\\`, `\$`, and `\"` inside double quotes) and
    /// parsed on its own. bash parses it only when the command runs, so a content that does not
    /// parse is kept as such rather than failing the script.
    mutating func readBackquote(inDoubleQuotes: Bool) throws(ParseFailure) -> WordPart {
        let open = pos
        var i = pos + 1
        var content: [UInt8] = []
        while i < end, bytes[i] != .backquote {
            if bytes[i] == .backslash, i + 1 < end {
                let next = bytes[i + 1]
                if next == .backquote || next == .backslash || next == .dollar || (inDoubleQuotes && next == .doubleQuote) {
                    content.append(next)
                } else {
                    content.append(.backslash)
                    content.append(next)
                }
                i += 2
                continue
            }
            content.append(bytes[i])
            i += 1
        }
        guard i < end else { throw unterminatedQuote("`", at: open) }
        pos = i + 1
        let range = open..<pos
        var nested = ShellParser(bytes: content, depth: depth + 1)
        do {
            let script = try nested.parseScript()
            return .commandSubstitution(CommandSubstitution(body: .separate(script), range: range))
        } catch {
            return .commandSubstitution(CommandSubstitution(
                body: .invalid(text: String(decoding: content, as: UTF8.self), message: error.message), range: range))
        }
    }

    /// `<(…)` or `>(…)`; the cursor is on `<` or `>`.
    mutating func readProcessSubstitution() throws(ParseFailure) -> WordPart {
        let start = pos
        let isInput = bytes[pos] == .less
        try enterNesting(at: start)
        advance()
        advance()
        let list = try parseList()
        guard peek() == .closeParen else {
            if pos >= end { throw unterminated(isInput ? "<(" : ">(", closer: ")", at: start) }
            throw unexpectedToken(at: pos)
        }
        pos += 1
        leaveNesting()
        return .processSubstitution(ProcessSubstitution(body: list, isInput: isInput, range: start..<pos))
    }

    // MARK: Here-documents

    /// Reads the bodies of the here-documents whose operators appeared on the line that just
    /// ended, in order.
    mutating func readHereDocumentBodies() throws(ParseFailure) {
        let pending = pendingHereDocuments
        pendingHereDocuments = []
        for document in pending {
            let delimiter = Array(document.delimiter.utf8)
            let bodyStart = pos
            var bodyEnd = end
            var next = end
            var lineStart = pos
            var continued = false
            while lineStart < end {
                var lineEnd = lineStart
                while lineEnd < end, bytes[lineEnd] != .newline { lineEnd += 1 }
                if !continued {
                    var contentStart = lineStart
                    if document.stripTabs {
                        while contentStart < lineEnd, bytes[contentStart] == .tab { contentStart += 1 }
                    }
                    if lineEnd - contentStart == delimiter.count, bytes[contentStart..<lineEnd].elementsEqual(delimiter) {
                        bodyEnd = lineStart
                        next = min(lineEnd + 1, end)
                        break
                    }
                }
                // In an unquoted body a line ending in an odd number of backslashes continues on
                // the next line, which therefore cannot be the delimiter line.
                var backslashes = 0
                var k = lineEnd
                while k > lineStart, bytes[k - 1] == .backslash {
                    backslashes += 1
                    k -= 1
                }
                continued = !document.isQuoted && backslashes % 2 == 1 && lineEnd < end
                lineStart = lineEnd + 1
            }
            let body: HereDocumentBody
            if document.isQuoted {
                body = .literal(String(decoding: strippedLines(bodyStart..<bodyEnd, stripTabs: document.stripTabs), as: UTF8.self))
            } else {
                var sub = ShellParser(bytes: bytes, range: bodyStart..<bodyEnd, depth: depth)
                sub.hereDocuments = hereDocuments
                do {
                    let word = try sub.readHereDocumentWord(stripTabs: document.stripTabs)
                    hereDocuments = sub.hereDocuments
                    body = .expandable(word)
                } catch {
                    body = .invalid(
                        text: String(decoding: bytes[bodyStart..<bodyEnd], as: UTF8.self), message: error.message)
                }
            }
            hereDocuments[document.index].body = body
            pos = next
        }
    }

    func strippedLines(_ range: Range<Int>, stripTabs: Bool) -> [UInt8] {
        guard stripTabs else { return Array(bytes[range]) }
        var result: [UInt8] = []
        var atLineStart = true
        for b in bytes[range] {
            if atLineStart, b == .tab { continue }
            atLineStart = b == .newline
            result.append(b)
        }
        return result
    }

    /// An unquoted here-document body: `$` expansions and backquotes are live, a backslash only
    /// escapes `$`, `` ` ``, `\` and newline, and double quotes are ordinary characters.
    mutating func readHereDocumentWord(stripTabs: Bool) throws(ParseFailure) -> Word {
        let start = pos
        var parts: [WordPart] = []
        var literal: [UInt8] = []
        var atLineStart = true
        while pos < end {
            let c = bytes[pos]
            if atLineStart, stripTabs, c == .tab {
                pos += 1
                continue
            }
            atLineStart = false
            switch c {
            case .backslash where pos + 1 < end:
                let next = bytes[pos + 1]
                if next == .newline {
                    pos += 2
                } else if next == .dollar || next == .backquote || next == .backslash {
                    literal.append(next)
                    pos += 2
                } else {
                    literal.append(c)
                    pos += 1
                }
            case .dollar:
                flush(&literal, into: &parts)
                if let part = try readDollar(quoted: true) {
                    parts.append(part)
                } else {
                    literal.append(.dollar)
                }
            case .backquote:
                flush(&literal, into: &parts)
                parts.append(try readBackquote(inDoubleQuotes: false))
            default:
                literal.append(c)
                pos += 1
                atLineStart = c == .newline
            }
        }
        flush(&literal, into: &parts)
        return Word(parts: parts, range: start..<end)
    }
}
