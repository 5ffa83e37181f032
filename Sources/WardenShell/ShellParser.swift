// A hand-written recursive-descent parser for the bash language.
//
// Why hand-written: no maintained Swift library parses POSIX or bash shell syntax, and the usual
// alternatives (asking bash itself with `bash -n`, or a C parser) would mean spawning a process or
// linking C code into a hook whose start-up time is its latency. This parser never executes
// anything and never touches the file system: it only reads the bytes it is given.
//
// It follows bash 5's grammar, including the places where bash is context-sensitive: reserved
// words only in command position, `((` as arithmetic or nested subshells, here-document bodies
// read at the next newline, `[[ … ]]` with its own operators, assignments and `NAME=(…)` arrays.
// Every recursion goes through `enterNesting`, which bounds the depth so that no input can
// exhaust the stack; every loop consumes input, so parsing is linear in practice.

struct ShellParser {
    static let maximumDepth = 200

    let bytes: [UInt8]
    var end: Int
    var pos: Int
    var depth: Int
    var pendingHereDocuments: [PendingHereDocument] = []
    var hereDocuments: [HereDocument] = []
    var definesFunctions = false

    struct PendingHereDocument {
        var index: Int
        var delimiter: String
        var isQuoted: Bool
        var stripTabs: Bool
    }

    init(bytes: [UInt8], depth: Int = 0) {
        self.bytes = bytes
        self.end = bytes.count
        self.pos = 0
        self.depth = depth
    }

    /// A parser for a part of `bytes` (a here-document body), keeping offsets into the whole.
    init(bytes: [UInt8], range: Range<Int>, depth: Int) {
        self.bytes = bytes
        self.end = range.upperBound
        self.pos = range.lowerBound
        self.depth = depth
    }

    /// Parses the whole text as a script.
    mutating func parseScript() throws(ParseFailure) -> ShellScript {
        let body = try parseList()
        if peek() != nil { throw unexpectedToken(at: pos) }
        if !pendingHereDocuments.isEmpty {
            // bash accepts a here-document cut short by the end of the script (with a warning).
            try readHereDocumentBodies()
        }
        return ShellScript(source: bytes, body: body, hereDocuments: hereDocuments, definesFunctions: definesFunctions)
    }

    // MARK: Lists

    /// Commands separated by `;`, `&` and newlines, up to a token that cannot start a command
    /// (a closing reserved word, `)`, `;;`, the end); the caller checks that token.
    mutating func parseList() throws(ParseFailure) -> CommandList {
        var items: [AndOrList] = []
        while true {
            try skipLinebreaks()
            guard var item = try parseAndOr() else { break }
            skipBlanks()
            guard let c = peek() else {
                items.append(item)
                break
            }
            let second = peekSecond()
            if c == .ampersand, second != .ampersand, second != .greater {
                advance()
                item.isAsync = true
                items.append(item)
            } else if c == .semicolon, second != .semicolon, second != .ampersand {
                advance()
                items.append(item)
            } else if c == .newline {
                items.append(item)
                try consumeNewline()
            } else {
                items.append(item)
                break
            }
        }
        return CommandList(items: items)
    }

    mutating func parseAndOr() throws(ParseFailure) -> AndOrList? {
        let start = significant(pos)
        guard let first = try parsePipeline() else { return nil }
        var rest: [(AndOrOperator, Pipeline)] = []
        var stop = first.range.upperBound
        while true {
            skipBlanks()
            let op: AndOrOperator
            if peek() == .ampersand, peekSecond() == .ampersand {
                op = .and
            } else if peek() == .pipe, peekSecond() == .pipe {
                op = .or
            } else {
                break
            }
            advance()
            advance()
            try skipLinebreaks()
            guard let next = try parsePipeline() else { throw unexpectedToken(at: pos) }
            rest.append((op, next))
            stop = next.range.upperBound
        }
        return AndOrList(first: first, rest: rest, isAsync: false, range: start..<stop)
    }

    mutating func parsePipeline() throws(ParseFailure) -> Pipeline? {
        skipBlanks()
        let start = pos
        var isNegated = false
        var isTimed = false
        var hasPrefix = false
        while true {
            if consumeReservedWord("!") {
                isNegated.toggle()
            } else if consumeReservedWord("time") {
                isTimed = true
                skipBlanks()
                for option in ["-p", "--"] where plainTokenIs(option) {
                    pos = significant(pos) + option.utf8.count
                    skipBlanks()
                }
            } else {
                break
            }
            hasPrefix = true
            skipBlanks()
        }
        guard let first = try parseCommand() else {
            return hasPrefix ? Pipeline(commands: [], isNegated: isNegated, isTimed: isTimed, range: start..<pos) : nil
        }
        var commands = [first]
        var stop = pos
        while true {
            skipBlanks()
            guard peek() == .pipe, peekSecond() != .pipe else { break }
            advance()
            if peek() == .ampersand { advance() }
            try skipLinebreaks()
            guard let next = try parseCommand() else { throw unexpectedToken(at: pos) }
            commands.append(next)
            stop = pos
        }
        return Pipeline(commands: commands, isNegated: isNegated, isTimed: isTimed, range: start..<stop)
    }

    /// Whether the next token is exactly `text`, unquoted and followed by a metacharacter.
    func plainTokenIs(_ text: String) -> Bool {
        let i = significant(pos)
        let expected = Array(text.utf8)
        guard i + expected.count <= end, bytes[i..<(i + expected.count)].elementsEqual(expected) else { return false }
        return byte(at: i + expected.count)?.isMetacharacter ?? true
    }

    // MARK: Commands

    mutating func parseCommand() throws(ParseFailure) -> Command? {
        skipBlanks()
        guard let c = peek() else { return nil }
        let start = pos
        switch c {
        case .newline, .semicolon, .pipe, .closeParen:
            return nil
        case .ampersand:
            guard peekSecond() == .greater else { return nil }
            return try parseSimpleCommand()
        case .openParen:
            let compound = try parseParenthesized()
            return try finishCompound(compound, start: start)
        default:
            break
        }
        if let reserved = reservedWord() {
            switch reserved.word {
            case "if", "while", "until", "for", "select", "case", "{", "[[":
                let compound = try parseCompound()
                return try finishCompound(compound, start: start)
            case "function":
                return try parseFunctionKeyword()
            case "coproc":
                return try parseCoprocess()
            case "in", "]]":
                break
            default:
                // Closing words (`then`, `fi`, `done`, `}` …) end the list; `!` and `time` are only
                // allowed at the start of a pipeline.
                return nil
            }
        }
        return try parseSimpleCommand()
    }

    /// Attaches the redirections that may follow a compound command.
    mutating func finishCompound(_ compound: CompoundCommand, start: Int) throws(ParseFailure) -> Command {
        var redirections: [Redirection] = []
        var stop = pos
        while true {
            skipBlanks()
            guard let redirection = try parseRedirectionIfPresent() else { break }
            redirections.append(redirection)
            stop = pos
        }
        return .compound(compound, redirections: redirections, range: start..<stop)
    }

    /// The compound command starting with the reserved word at the cursor.
    mutating func parseCompound() throws(ParseFailure) -> CompoundCommand {
        let start = pos
        guard let reserved = reservedWord() else { throw unexpectedToken(at: pos) }
        try enterNesting(at: start)
        defer { leaveNesting() }
        pos = reserved.end
        switch reserved.word {
        case "if":
            var branches: [ConditionalBranch] = []
            var elseBody: CommandList?
            while true {
                let condition = try parseNonEmptyList("if", "fi", openedAt: start)
                try expectReservedWord("then", opener: "if", closer: "fi", openedAt: start)
                let body = try parseNonEmptyList("if", "fi", openedAt: start)
                branches.append(ConditionalBranch(condition: condition, body: body))
                if consumeReservedWord("elif") { continue }
                if consumeReservedWord("else") {
                    elseBody = try parseNonEmptyList("if", "fi", openedAt: start)
                }
                try expectReservedWord("fi", opener: "if", closer: "fi", openedAt: start)
                return .ifClause(branches: branches, elseBody: elseBody)
            }
        case "while", "until":
            let condition = try parseNonEmptyList(reserved.word, "done", openedAt: start)
            try expectReservedWord("do", opener: reserved.word, closer: "done", openedAt: start)
            let body = try parseNonEmptyList(reserved.word, "done", openedAt: start)
            try expectReservedWord("done", opener: reserved.word, closer: "done", openedAt: start)
            return .whileLoop(condition: condition, body: body, isUntil: reserved.word == "until")
        case "for", "select":
            return try parseForLoop(start: start, isSelect: reserved.word == "select")
        case "case":
            return try parseCase(start: start)
        case "{":
            let body = try parseNonEmptyList("{", "}", openedAt: start)
            try expectReservedWord("}", opener: "{", closer: "}", openedAt: start)
            return .braceGroup(body)
        default:
            return try parseConditionalExpression(start: start)
        }
    }

    /// A compound list that must contain at least one command, as bash requires in `if`, loops,
    /// groups and subshells.
    mutating func parseNonEmptyList(_ opener: String, _ closer: String, openedAt start: Int) throws(ParseFailure) -> CommandList {
        let list = try parseList()
        if list.items.isEmpty {
            if peek() == nil { throw unterminated(opener, closer: closer, at: start) }
            throw unexpectedToken(at: pos)
        }
        return list
    }

    mutating func expectReservedWord(_ word: String, opener: String, closer: String, openedAt start: Int) throws(ParseFailure) {
        skipBlanks()
        if consumeReservedWord(word) { return }
        if peek() == nil { throw unterminated(opener, closer: closer, at: start) }
        throw unexpectedToken(at: pos)
    }

    /// `( … )` or `(( … ))`; the cursor is on the first parenthesis.
    mutating func parseParenthesized() throws(ParseFailure) -> CompoundCommand {
        let start = pos
        try enterNesting(at: start)
        defer { leaveNesting() }
        let second = significant(pos + 1)
        if second < end, bytes[second] == .openParen, let close = scanArithmetic(from: second + 1) {
            let expression = try readArithmeticWord(from: second + 1, to: close)
            pos = significant(close + 1) + 1
            return .arithmetic(expression)
        }
        advance()
        let body = try parseNonEmptyList("(", ")", openedAt: start)
        guard peek() == .closeParen else {
            if pos >= end { throw unterminated("(", closer: ")", at: start) }
            throw unexpectedToken(at: pos)
        }
        advance()
        return .subshell(body)
    }

    mutating func parseForLoop(start: Int, isSelect: Bool) throws(ParseFailure) -> CompoundCommand {
        let keyword = isSelect ? "select" : "for"
        skipBlanks()
        if !isSelect, peek() == .openParen, peekSecond() == .openParen {
            let second = significant(significant(pos) + 1)
            guard let close = scanArithmetic(from: second + 1) else {
                throw ParseFailure(offset: pos, message: "unexpected end of file: `((' is not closed by `))'")
            }
            let header = try readArithmeticWord(from: second + 1, to: close)
            pos = significant(close + 1) + 1
            skipBlanks()
            if peek() == .semicolon { advance() }
            try skipLinebreaks()
            let body = try parseLoopBody(keyword: keyword, start: start)
            return .arithmeticFor(header: header, body: body)
        }
        // bash checks the name only when the loop runs (`for 1 in …` parses).
        guard let c = peek(), !c.isMetacharacter, let nameWord = try readWord() else {
            if peek() == nil { throw unterminated(keyword, closer: "done", at: start) }
            throw unexpectedToken(at: pos)
        }
        let name = nameWord.plainText ?? String(decoding: bytes[nameWord.range], as: UTF8.self)
        skipBlanks()
        var items: [Word]?
        if peek() == .semicolon, peekSecond() != .semicolon {
            advance()
            try skipLinebreaks()
        } else {
            try skipLinebreaks()
            if consumeReservedWord("in") {
                var words: [Word] = []
                while true {
                    skipBlanks()
                    guard let c = peek() else { throw unterminated(keyword, closer: "done", at: start) }
                    if c == .newline {
                        try consumeNewline()
                        break
                    }
                    if c == .semicolon, peekSecond() != .semicolon {
                        advance()
                        break
                    }
                    guard !c.isMetacharacter || ((c == .less || c == .greater) && peekSecond() == .openParen),
                        let word = try readWord()
                    else { throw unexpectedToken(at: pos) }
                    words.append(word)
                }
                items = words
                try skipLinebreaks()
            }
        }
        let body = try parseLoopBody(keyword: keyword, start: start)
        return .forEach(variable: name, items: items, body: body, isSelect: isSelect)
    }

    /// `do … done`, or `{ … }` which bash also accepts after `for` and `select`.
    mutating func parseLoopBody(keyword: String, start: Int) throws(ParseFailure) -> CommandList {
        skipBlanks()
        if consumeReservedWord("do") {
            let body = try parseNonEmptyList(keyword, "done", openedAt: start)
            try expectReservedWord("done", opener: keyword, closer: "done", openedAt: start)
            return body
        }
        if consumeReservedWord("{") {
            let body = try parseNonEmptyList("{", "}", openedAt: start)
            try expectReservedWord("}", opener: "{", closer: "}", openedAt: start)
            return body
        }
        if peek() == nil { throw unterminated(keyword, closer: "done", at: start) }
        throw unexpectedToken(at: pos)
    }

    mutating func parseCase(start: Int) throws(ParseFailure) -> CompoundCommand {
        skipBlanks()
        guard let subject = try readWord() else {
            if peek() == nil { throw unterminated("case", closer: "esac", at: start) }
            throw unexpectedToken(at: pos)
        }
        try skipLinebreaks()
        try expectReservedWord("in", opener: "case", closer: "esac", openedAt: start)
        var items: [CaseItem] = []
        while true {
            try skipLinebreaks()
            if consumeReservedWord("esac") { break }
            guard peek() != nil else { throw unterminated("case", closer: "esac", at: start) }
            if peek() == .openParen { advance() }
            var patterns: [Word] = []
            while true {
                skipBlanks()
                guard let c = peek(), !c.isMetacharacter, let pattern = try readWord() else {
                    if peek() == nil { throw unterminated("case", closer: "esac", at: start) }
                    throw unexpectedToken(at: pos)
                }
                patterns.append(pattern)
                skipBlanks()
                guard peek() == .pipe else { break }
                advance()
            }
            guard peek() == .closeParen else {
                if peek() == nil { throw unterminated("case", closer: "esac", at: start) }
                throw unexpectedToken(at: pos)
            }
            advance()
            let body = try parseList()
            items.append(CaseItem(patterns: patterns, body: body))
            skipBlanks()
            if peek() == .semicolon, let second = peekSecond(), second == .semicolon || second == .ampersand {
                advance()
                advance()
                if second == .semicolon, peek() == .ampersand { advance() }
                continue
            }
            if consumeReservedWord("esac") { break }
            if peek() == nil { throw unterminated("case", closer: "esac", at: start) }
            throw unexpectedToken(at: pos)
        }
        return .caseClause(subject: subject, items: items)
    }

    /// `[[ … ]]`. bash -n reports mistakes inside the expression without failing, so only the
    /// words and the closing `]]` are required here; the words matter for their substitutions.
    mutating func parseConditionalExpression(start: Int) throws(ParseFailure) -> CompoundCommand {
        var words: [Word] = []
        var afterRegexOperator = false
        while true {
            skipBlanks()
            guard let c = peek() else { throw unterminated("[[", closer: "]]", at: start) }
            if c == .newline {
                try consumeNewline()
                continue
            }
            if consumeReservedWord("]]") { break }
            if c.isMetacharacter {
                // Operators of the expression (`&&`, `||`, `(`, `)`, `<`, `>`, `!`…) carry nothing
                // the analyser needs.
                advance()
                continue
            }
            guard let word = try readWord(afterRegexOperator ? .regex : .conditional) else {
                throw unexpectedToken(at: pos)
            }
            afterRegexOperator = word.plainText == "=~"
            words.append(word)
        }
        return .conditional(words)
    }

    /// `function NAME [()] COMPOUND`
    mutating func parseFunctionKeyword() throws(ParseFailure) -> Command {
        let start = pos
        _ = consumeReservedWord("function")
        skipBlanks()
        let nameStart = pos
        guard let c = peek(), !c.isMetacharacter, let nameWord = try readWord() else {
            if peek() == nil { throw unterminated("function", closer: "}", at: start) }
            throw unexpectedToken(at: nameStart)
        }
        // bash checks the name only when the definition runs.
        let name = nameWord.plainText ?? String(decoding: bytes[nameWord.range], as: UTF8.self)
        skipBlanks()
        if peek() == .openParen {
            advance()
            skipBlanks()
            guard peek() == .closeParen else { throw unexpectedToken(at: pos) }
            advance()
        }
        return try parseFunctionBody(name: name, start: start)
    }

    mutating func parseFunctionBody(name: String, start: Int) throws(ParseFailure) -> Command {
        try skipLinebreaks()
        let bodyStart = pos
        let compound: CompoundCommand
        if peek() == .openParen {
            compound = try parseParenthesized()
        } else if let reserved = reservedWord(),
            ["if", "while", "until", "for", "select", "case", "{", "[["].contains(reserved.word)
        {
            compound = try parseCompound()
        } else {
            if peek() == nil { throw unterminated(name, closer: "}", at: start) }
            throw unexpectedToken(at: pos)
        }
        definesFunctions = true
        let body = try finishCompound(compound, start: bodyStart)
        return .functionDefinition(name: name, body: body, range: start..<pos)
    }

    /// `coproc [NAME] COMMAND`
    mutating func parseCoprocess() throws(ParseFailure) -> Command {
        let start = pos
        _ = consumeReservedWord("coproc")
        try enterNesting(at: start)
        defer { leaveNesting() }
        skipBlanks()
        var name: String?
        if !startsCompound() {
            // `coproc NAME { …; }` names the coprocess; `coproc cmd args` runs a simple command.
            let saved = pos
            if let word = try readWord(), let text = word.plainText, ShellParser.isValidName(text) {
                skipBlanks()
                if startsCompound() { name = text } else { pos = saved }
            } else {
                pos = saved
            }
        }
        guard let body = try parseCommand() else { throw unexpectedToken(at: pos) }
        return .coprocess(name: name, body: body, range: start..<pos)
    }

    mutating func startsCompound() -> Bool {
        if peek() == .openParen { return true }
        guard let reserved = reservedWord() else { return false }
        return ["if", "while", "until", "for", "select", "case", "{", "[["].contains(reserved.word)
    }

    static func isValidName(_ text: String) -> Bool {
        var iterator = text.utf8.makeIterator()
        guard let first = iterator.next(), first.isNameStart else { return false }
        while let c = iterator.next() {
            if !c.isNameCharacter { return false }
        }
        return true
    }

    static let declarationBuiltins: Set<String> = ["declare", "typeset", "local", "export", "readonly"]

    /// Assignments, words and redirections up to a control operator.
    mutating func parseSimpleCommand() throws(ParseFailure) -> Command? {
        skipBlanks()
        let start = pos
        var assignments: [Assignment] = []
        var words: [Word] = []
        var redirections: [Redirection] = []
        var acceptsArrayArguments = false
        var stop = pos
        loop: while true {
            skipBlanks()
            guard let c = peek() else { break }
            switch c {
            case .newline, .semicolon, .pipe, .closeParen:
                break loop
            case .ampersand:
                guard peekSecond() == .greater else { break loop }
            case .openParen:
                if words.count == 1, assignments.isEmpty, redirections.isEmpty {
                    return try parseFunctionDefinition(nameWord: words[0], start: start)
                }
                throw unexpectedToken(at: pos)
            default:
                break
            }
            if let redirection = try parseRedirectionIfPresent() {
                redirections.append(redirection)
                stop = pos
                continue
            }
            if words.isEmpty || acceptsArrayArguments, let assignment = try parseAssignmentIfPresent() {
                if words.isEmpty {
                    assignments.append(assignment)
                } else {
                    words.append(ShellParser.word(for: assignment, source: bytes))
                }
                stop = pos
                continue
            }
            guard let word = try readWord() else { throw unexpectedToken(at: pos) }
            words.append(word)
            stop = pos
            if words.count == 1, let name = word.plainText, ShellParser.declarationBuiltins.contains(name) {
                acceptsArrayArguments = true
            }
        }
        guard !(assignments.isEmpty && words.isEmpty && redirections.isEmpty) else { return nil }
        return .simple(SimpleCommand(
            assignments: assignments, words: words, redirections: redirections, range: start..<stop))
    }

    /// `declare a=(1 2)`: the array argument as one word, kept for its substitutions and so that
    /// the analyser sees which name it sets.
    static func word(for assignment: Assignment, source: [UInt8]) -> Word {
        var parts: [WordPart] = [.literal(assignment.name + (assignment.isAppend ? "+=" : "="))]
        switch assignment.value {
        case .scalar(let value):
            parts.append(contentsOf: value.parts)
        case .array(let elements):
            parts.append(.literal("("))
            for (index, element) in elements.enumerated() {
                if index > 0 { parts.append(.literal(" ")) }
                parts.append(contentsOf: element.parts)
            }
            parts.append(.literal(")"))
        }
        return Word(parts: parts, range: assignment.range)
    }

    mutating func parseFunctionDefinition(nameWord: Word, start: Int) throws(ParseFailure) -> Command {
        // bash checks the name only when the definition runs (`$x() { :; }` parses).
        let name = nameWord.plainText ?? String(decoding: bytes[nameWord.range], as: UTF8.self)
        advance()
        skipBlanks()
        guard peek() == .closeParen else { throw unexpectedToken(at: pos) }
        advance()
        return try parseFunctionBody(name: name, start: start)
    }

    /// `NAME=value`, `NAME+=value`, `NAME[sub]=value` or `NAME=(…)` at the cursor.
    mutating func parseAssignmentIfPresent() throws(ParseFailure) -> Assignment? {
        let start = significant(pos)
        guard start < end, bytes[start].isNameStart else { return nil }
        var i = start
        while i < end, bytes[i].isNameCharacter { i += 1 }
        let nameEnd = i
        var indexRange: Range<Int>?
        if i < end, bytes[i] == .openBracket {
            guard let close = matchingBracket(from: i + 1) else { return nil }
            indexRange = (i + 1)..<close
            i = close + 1
        }
        var isAppend = false
        if i + 1 < end, bytes[i] == .plus, bytes[i + 1] == .equals {
            isAppend = true
            i += 1
        }
        guard i < end, bytes[i] == .equals else { return nil }
        let name = String(decoding: bytes[start..<nameEnd], as: UTF8.self)
        var arrayIndex: Word?
        if let indexRange {
            arrayIndex = try readArithmeticWord(from: indexRange.lowerBound, to: indexRange.upperBound)
        }
        pos = i + 1
        let value: AssignmentValue
        if pos < end, bytes[pos] == .openParen {
            try enterNesting(at: pos)
            defer { leaveNesting() }
            let open = pos
            pos += 1
            var elements: [Word] = []
            while true {
                try skipLinebreaks()
                guard let c = peek() else { throw unterminated("(", closer: ")", at: open) }
                if c == .closeParen {
                    pos += 1
                    break
                }
                guard !c.isMetacharacter || ((c == .less || c == .greater) && peekSecond() == .openParen),
                    let element = try readWord()
                else { throw unexpectedToken(at: pos) }
                elements.append(element)
            }
            value = .array(elements)
        } else {
            let valueStart = pos
            value = .scalar(try readWord() ?? Word(parts: [], range: valueStart..<valueStart))
        }
        return Assignment(name: name, arrayIndex: arrayIndex, isAppend: isAppend, value: value, range: start..<pos)
    }

    // MARK: Redirections

    /// A redirection at the cursor, with its optional `N` or `{NAME}` descriptor prefix.
    mutating func parseRedirectionIfPresent() throws(ParseFailure) -> Redirection? {
        let start = significant(pos)
        guard start < end else { return nil }
        var fileDescriptor: Redirection.FileDescriptor?
        var i = start
        if bytes[i].isDigit {
            var value = 0
            while i < end, bytes[i].isDigit {
                value = min(value * 10 + Int(bytes[i] - .zero), 1 << 30)
                i += 1
            }
            fileDescriptor = .number(value)
        } else if bytes[i] == .openBrace, i + 1 < end, bytes[i + 1].isNameStart {
            var j = i + 1
            while j < end, bytes[j].isNameCharacter { j += 1 }
            if j < end, bytes[j] == .closeBrace {
                fileDescriptor = .variable(String(decoding: bytes[(i + 1)..<j], as: UTF8.self))
                i = j + 1
            }
        }
        guard i < end else { return nil }
        let c = bytes[i]
        let isOperator: Bool
        switch c {
        case .less, .greater:
            isOperator = byte(at: significant(i + 1)) != .openParen
        case .ampersand:
            isOperator = fileDescriptor == nil && byte(at: significant(i + 1)) == .greater
        default:
            isOperator = false
        }
        guard isOperator else { return nil }
        pos = i
        let op: Redirection.Operator
        var stripTabs = false
        advance()
        switch c {
        case .less:
            switch peek() {
            case .less:
                advance()
                if peek() == .less {
                    advance()
                    op = .hereString
                } else if peek() == .minus {
                    advance()
                    op = .hereDocument
                    stripTabs = true
                } else {
                    op = .hereDocument
                }
            case .ampersand:
                advance()
                op = .duplicateInput
            case .greater:
                advance()
                op = .readWrite
            default:
                op = .input
            }
        case .greater:
            switch peek() {
            case .greater:
                advance()
                op = .append
            case .ampersand:
                advance()
                op = .duplicateOutput
            case .pipe:
                advance()
                op = .clobber
            default:
                op = .output
            }
        default:
            advance()
            if peek() == .greater {
                advance()
                op = .appendOutputAndError
            } else {
                op = .outputAndError
            }
        }
        skipBlanks()
        guard let c = peek(), !c.isMetacharacter || ((c == .less || c == .greater) && peekSecond() == .openParen && op != .hereDocument),
            let target = try readWord()
        else {
            // bash reads the end of a `-c` string as a newline here (`cat <file>`).
            if peek() == nil { throw ParseFailure(offset: pos, message: "syntax error near unexpected token `newline'") }
            throw unexpectedToken(at: pos)
        }
        var hereDocumentIndex: Int?
        if op == .hereDocument {
            let (delimiter, isQuoted) = hereDocumentDelimiter(target.range)
            hereDocumentIndex = hereDocuments.count
            hereDocuments.append(HereDocument(delimiter: delimiter, isQuoted: isQuoted, body: .literal("")))
            pendingHereDocuments.append(PendingHereDocument(
                index: hereDocuments.count - 1, delimiter: delimiter, isQuoted: isQuoted, stripTabs: stripTabs))
        }
        return Redirection(
            fileDescriptor: fileDescriptor, op: op, target: target, hereDocumentIndex: hereDocumentIndex,
            range: start..<pos)
    }

    /// A here-document delimiter after quote removal, and whether any part of it was quoted
    /// (which turns off expansion in the body). Nothing in a delimiter is expanded.
    func hereDocumentDelimiter(_ range: Range<Int>) -> (String, Bool) {
        var result: [UInt8] = []
        var isQuoted = false
        var i = range.lowerBound
        while i < range.upperBound {
            let c = bytes[i]
            switch c {
            case .backslash where i + 1 < range.upperBound:
                if bytes[i + 1] != .newline {
                    result.append(bytes[i + 1])
                    isQuoted = true
                }
                i += 2
                continue
            case .singleQuote:
                isQuoted = true
                i += 1
                while i < range.upperBound, bytes[i] != .singleQuote {
                    result.append(bytes[i])
                    i += 1
                }
            case .doubleQuote:
                isQuoted = true
                i += 1
                while i < range.upperBound, bytes[i] != .doubleQuote {
                    if bytes[i] == .backslash, i + 1 < range.upperBound {
                        i += 1
                    }
                    result.append(bytes[i])
                    i += 1
                }
            case .dollar where i + 1 < range.upperBound && (bytes[i + 1] == .singleQuote || bytes[i + 1] == .doubleQuote):
                // `$'EOF'` and `$"EOF"` are quoted delimiters without the dollar sign.
                break
            default:
                result.append(c)
            }
            i += 1
        }
        return (String(decoding: result, as: UTF8.self), isQuoted)
    }
}
