// Static word expansion: what bash's expansions produce when they can be computed without running
// anything. Brace expansion, tilde expansion, known variables, field splitting of unquoted known
// values and quote removal are performed; command substitution, arithmetic, unknown variables and
// positional parameters stay as written and make the word dynamic. A wrong static value would let
// a command through under a false name, so anything uncertain is dynamic.

/// A word after expansion, with where it came from in the analysed text.
struct ExpandedWord {
    var word: ShellWord
    /// The byte range of the word this one was expanded from, in the current script's text.
    var range: Range<Int>?
    /// The word is `<(…)` or `>(…)`: a pipe to a command, not a file of the user.
    var isProcessSubstitution = false
    /// The word is dynamic only because it holds a placeholder (`{}` of `find -exec`) that another
    /// program fills in; the rest of it is known.
    var isPlaceholderOnly = false
    /// The placeholders the word holds, so that code built from it keeps them dynamic.
    var placeholders: [String] = []

    var text: String { word.text }
    var isStatic: Bool { word.isStatic }
}

/// One piece of a word for brace and tilde expansion: unquoted characters are live, everything
/// else is opaque.
enum ExpansionAtom {
    case character(UInt8)
    case text(String)
    case part(WordPart, quoted: Bool)
    case tilde(String)
}

/// A field being built while a word is expanded.
struct ExpansionField {
    var text: [UInt8] = []
    var isStatic = true
    var containsCommandOutput = false
    var hasGlob = false
    /// Whether the field exists even if empty: it had quotes or dynamic content.
    var exists = false
}

struct FieldBuilder {
    var fields: [ExpansionField] = []
    var current = ExpansionField()
    /// True when the previous unquoted expansion ended with a field separator, so that the next
    /// content starts a new field.
    var pendingBreak = false

    mutating func startIfBroken() {
        if pendingBreak {
            fields.append(current)
            current = ExpansionField()
            pendingBreak = false
        }
    }

    mutating func appendUnquoted(_ c: UInt8) {
        startIfBroken()
        if c == .asterisk || c == .question || c == .openBracket { current.hasGlob = true }
        current.text.append(c)
        current.exists = true
    }

    mutating func appendQuoted(_ s: String) {
        startIfBroken()
        current.text.append(contentsOf: s.utf8)
        current.exists = true
    }

    mutating func appendDynamic(_ written: String, commandOutput: Bool) {
        startIfBroken()
        current.text.append(contentsOf: written.utf8)
        current.isStatic = false
        current.containsCommandOutput = current.containsCommandOutput || commandOutput
        current.exists = true
    }

    /// An unquoted known value: split on blanks and newlines (the default IFS), globbing stays live.
    mutating func appendSplitting(_ value: String) {
        for c in value.utf8 {
            if c == .space || c == .tab || c == .newline {
                if current.exists || !current.text.isEmpty { pendingBreak = true }
                continue
            }
            startIfBroken()
            if c == .asterisk || c == .question || c == .openBracket { current.hasGlob = true }
            current.text.append(c)
            current.exists = true
        }
    }

    mutating func finish() -> [ExpansionField] {
        var result = fields
        result.append(current)
        return result.filter { $0.exists }
    }
}

/// The value of an expansion part when it is known.
enum ExpansionValue {
    case known(String)
    case unknown(written: String, commandOutput: Bool)
}

extension AnalysisWalker {
    static let maximumBraceResults = 1024
    /// The most characters one word's brace expansion may produce.
    static let maximumBraceSize = 1 << 16
    static let maximumBraceDepth = 32

    /// Expands one word into the fields bash would produce.
    func expand(_ word: Word, _ state: ShellState, _ frame: Frame) -> [ExpandedWord] {
        let written = frame.text(word.range)
        if expansionBudget <= 0 {
            return [ExpandedWord(word: ShellWord(text: written, isStatic: false), range: word.range)]
        }
        // Fast path: a plain unquoted word without anything to expand.
        if word.parts.count == 1, case .literal(let text) = word.parts[0],
            !text.utf8.contains(where: { $0 == .openBrace || $0 == .tilde || $0 == .asterisk || $0 == .question || $0 == .openBracket })
        {
            expansionBudget -= text.utf8.count + 1
            return [placeholderChecked(ExpandedWord(word: ShellWord(text: text), range: word.range), frame)]
        }
        if word.parts.count == 1, case .processSubstitution = word.parts[0] {
            expansionBudget -= written.utf8.count + 1
            return [ExpandedWord(
                word: ShellWord(text: written, isStatic: false, containsCommandOutput: true), range: word.range,
                isProcessSubstitution: true)]
        }
        let atoms = ExpansionAtom.atoms(of: word.parts)
        guard let alternatives = braceExpand(atoms[...], depth: 0) else {
            expansionBudget -= written.utf8.count + 1
            return [ExpandedWord(word: ShellWord(text: written, isStatic: false), range: word.range)]
        }
        var result: [ExpandedWord] = []
        for alternative in alternatives {
            let withTilde = tildeMarked(alternative, isAssignmentValue: false)
            var builder = FieldBuilder()
            evaluate(withTilde, into: &builder, state, frame, splitting: true)
            for field in builder.finish() {
                let shellWord = ShellWord(
                    text: String(decoding: field.text, as: UTF8.self), isStatic: field.isStatic,
                    containsCommandOutput: field.containsCommandOutput, hasGlob: field.hasGlob)
                result.append(placeholderChecked(ExpandedWord(word: shellWord, range: word.range), frame))
            }
        }
        expansionBudget -= result.reduce(1) { $0 + $1.text.utf8.count + 1 }
        return result
    }

    /// Marks a word that contains a placeholder of the program running this code as dynamic.
    func placeholderChecked(_ word: ExpandedWord, _ frame: Frame) -> ExpandedWord {
        guard !frame.placeholders.isEmpty, word.word.isStatic,
            frame.placeholders.contains(where: { word.text.contains($0) })
        else { return word }
        var result = word
        result.word.isStatic = false
        result.isPlaceholderOnly = true
        result.placeholders = frame.placeholders.filter { word.text.contains($0) }
        return result
    }

    /// Expands a word without brace expansion or field splitting, as bash does for assignment
    /// values, here-strings and here-document bodies. Returns the text and whether it is static.
    func expandJoined(_ word: Word, _ state: ShellState, _ frame: Frame, isAssignmentValue: Bool) -> ShellWord {
        let atoms = tildeMarked(ExpansionAtom.atoms(of: word.parts), isAssignmentValue: isAssignmentValue)
        var builder = FieldBuilder()
        evaluate(atoms, into: &builder, state, frame, splitting: false)
        let field = builder.current
        let text = String(decoding: field.text, as: UTF8.self)
        var result = ShellWord(text: text, isStatic: field.isStatic, containsCommandOutput: field.containsCommandOutput)
        if result.isStatic, !frame.placeholders.isEmpty, frame.placeholders.contains(where: { text.contains($0) }) {
            result.isStatic = false
        }
        return result
    }

    func evaluate(
        _ atoms: [ExpansionAtom], into builder: inout FieldBuilder, _ state: ShellState, _ frame: Frame,
        splitting: Bool
    ) {
        for atom in atoms {
            switch atom {
            case .character(let c):
                if splitting {
                    builder.appendUnquoted(c)
                } else {
                    builder.current.text.append(c)
                    builder.current.exists = true
                }
            case .text(let s):
                builder.appendQuoted(s)
            case .tilde(let prefix):
                switch prefix {
                case "":
                    if let home = state.value(of: "HOME") {
                        builder.appendQuoted(home)
                    } else {
                        builder.appendDynamic("~", commandOutput: false)
                    }
                case "+":
                    if let directory = state.workingDirectory {
                        builder.appendQuoted(directory)
                    } else {
                        builder.appendDynamic("~+", commandOutput: false)
                    }
                case "-":
                    builder.appendDynamic("~-", commandOutput: false)
                default:
                    builder.appendQuoted("~" + prefix)
                }
            case .part(let part, let quoted):
                evaluatePart(part, quoted: quoted, into: &builder, state, frame, splitting: splitting)
            }
        }
    }

    func evaluatePart(
        _ part: WordPart, quoted: Bool, into builder: inout FieldBuilder, _ state: ShellState, _ frame: Frame,
        splitting: Bool
    ) {
        switch part {
        case .literal(let s):
            if quoted || !splitting {
                builder.appendQuoted(s)
            } else {
                for c in s.utf8 { builder.appendUnquoted(c) }
            }
        case .escaped(let s), .singleQuoted(let s), .ansiCQuoted(let s):
            builder.appendQuoted(s)
        case .doubleQuoted(let parts):
            builder.startIfBroken()
            builder.current.exists = true
            for inner in parts {
                evaluatePart(inner, quoted: true, into: &builder, state, frame, splitting: splitting)
            }
        case .parameter(let parameter):
            switch parameterValue(parameter, quoted: quoted, state, frame) {
            case .known(let value):
                if quoted || !splitting {
                    builder.appendQuoted(value)
                } else if state.fieldSeparatorsChanged, value.utf8.contains(where: { !$0.isNameCharacter && $0 != .slash && $0 != .dot && $0 != .minus }) {
                    // With a changed IFS the split points are unknown.
                    builder.appendDynamic(frame.text(parameter.range), commandOutput: false)
                } else {
                    builder.appendSplitting(value)
                }
            case .unknown(let written, let commandOutput):
                builder.appendDynamic(written, commandOutput: commandOutput)
            }
        case .commandSubstitution(let substitution):
            builder.appendDynamic(frame.text(substitution.range), commandOutput: true)
        case .arithmetic(let arithmetic):
            builder.appendDynamic(frame.text(arithmetic.range), commandOutput: true)
        case .processSubstitution(let substitution):
            builder.appendDynamic(frame.text(substitution.range), commandOutput: true)
        }
    }

    func parameterValue(_ parameter: ParameterExpansion, quoted: Bool, _ state: ShellState, _ frame: Frame) -> ExpansionValue {
        let unknown = ExpansionValue.unknown(written: frame.text(parameter.range), commandOutput: false)
        guard let first = parameter.name.utf8.first, first.isNameStart, !parameter.isIndirect,
            parameter.arrayIndex == nil
        else { return unknown }
        let value = state.value(of: parameter.name)
        if parameter.isLength {
            guard parameter.op == nil, let value else { return unknown }
            return .known(String(value.count))
        }
        func argument() -> ExpansionValue {
            guard let word = parameter.argument else { return .known("") }
            let expanded = expandJoined(word, state, frame, isAssignmentValue: false)
            return expanded.isStatic ? .known(expanded.text) : unknown
        }
        switch parameter.op {
        case nil:
            return value.map { .known($0) } ?? unknown
        case ":-", ":=":
            guard let value else { return unknown }
            return value.isEmpty ? argument() : .known(value)
        case "-", "=":
            return value.map { .known($0) } ?? unknown
        case ":+":
            guard let value else { return unknown }
            return value.isEmpty ? .known("") : argument()
        case "+":
            return value == nil ? unknown : argument()
        case ":?":
            guard let value, !value.isEmpty else { return unknown }
            return .known(value)
        case "?":
            return value.map { .known($0) } ?? unknown
        default:
            return unknown
        }
    }

    /// Brace expansion over the live characters of a word; nil when the result would be too large
    /// or too deeply nested to be worth listing (the word is then kept as written, dynamic).
    func braceExpand(_ atoms: ArraySlice<ExpansionAtom>, depth: Int) -> [[ExpansionAtom]]? {
        guard depth < AnalysisWalker.maximumBraceDepth else { return nil }
        guard atoms.contains(where: { if case .character(.openBrace) = $0 { true } else { false } }) else {
            return [Array(atoms)]
        }
        var results: [[ExpansionAtom]] = [[]]
        var runStart = atoms.startIndex
        var i = atoms.startIndex
        while i < atoms.endIndex {
            guard case .character(.openBrace) = atoms[i], let found = braceGroup(atoms, openingAt: i) else {
                i += 1
                continue
            }
            guard case .group(let groupAlternatives, let close) = found else { return nil }
            var alternatives: [[ExpansionAtom]] = []
            for alternative in groupAlternatives {
                guard let expanded = braceExpand(alternative, depth: depth + 1) else { return nil }
                alternatives.append(contentsOf: expanded)
                if alternatives.count > AnalysisWalker.maximumBraceResults { return nil }
            }
            guard results.count * alternatives.count <= AnalysisWalker.maximumBraceResults else { return nil }
            let run = atoms[runStart..<i]
            // The size of the combination, checked before it is built.
            let size = results.count * alternatives.count * run.count
                + alternatives.count * results.reduce(0) { $0 + $1.count }
                + results.count * alternatives.reduce(0) { $0 + $1.count }
            guard size <= AnalysisWalker.maximumBraceSize else { return nil }
            var combined: [[ExpansionAtom]] = []
            combined.reserveCapacity(results.count * alternatives.count)
            for prefix in results {
                for alternative in alternatives {
                    combined.append(prefix + run + alternative)
                }
            }
            results = combined
            i = close + 1
            runStart = i
        }
        let tail = atoms[runStart...]
        return results.map { $0 + tail }
    }

    enum BraceGroup {
        case group(alternatives: [ArraySlice<ExpansionAtom>], close: Int)
        /// A sequence too long to list (`{1..1000000}`).
        case tooLarge
    }

    /// The alternatives of the brace group opening at `open`, or nil when the braces there are
    /// literal (no comma and no valid sequence, or no closing brace).
    func braceGroup(_ atoms: ArraySlice<ExpansionAtom>, openingAt open: Int) -> BraceGroup? {
        var nesting = 0
        var commas: [Int] = []
        var i = open + 1
        while i < atoms.endIndex {
            if case .character(let c) = atoms[i] {
                if c == .openBrace {
                    nesting += 1
                } else if c == .closeBrace {
                    if nesting == 0 { break }
                    nesting -= 1
                } else if c == .comma, nesting == 0 {
                    commas.append(i)
                }
            }
            i += 1
        }
        guard i < atoms.endIndex else { return nil }
        let close = i
        if !commas.isEmpty {
            var alternatives: [ArraySlice<ExpansionAtom>] = []
            var start = open + 1
            for comma in commas {
                alternatives.append(atoms[start..<comma])
                start = comma + 1
            }
            alternatives.append(atoms[start..<close])
            return .group(alternatives: alternatives, close: close)
        }
        var text: [UInt8] = []
        for atom in atoms[(open + 1)..<close] {
            guard case .character(let c) = atom else { return nil }
            text.append(c)
        }
        switch BraceSequence.expand(text, limit: AnalysisWalker.maximumBraceResults) {
        case .notASequence:
            return nil
        case .tooLarge:
            return .tooLarge
        case .items(let items):
            return .group(alternatives: items.map { item in ArraySlice(item.utf8.map { ExpansionAtom.character($0) }) }, close: close)
        }
    }

    /// Replaces a leading `~prefix` (and, in assignment values, one after each `:`) with a tilde
    /// atom. bash also expands after the `=` (and later `:`s) of an argument that looks like an
    /// assignment (`echo a=~/x`).
    func tildeMarked(_ atoms: [ExpansionAtom], isAssignmentValue: Bool) -> [ExpansionAtom] {
        guard atoms.contains(where: { if case .character(.tilde) = $0 { true } else { false } }) else { return atoms }
        // Where an assignment-like argument's value starts, if it is one.
        var valueStart: Int?
        if !isAssignmentValue {
            var i = 0
            while i < atoms.count, case .character(let c) = atoms[i], c.isNameCharacter, !(i == 0 && c.isDigit) { i += 1 }
            if i > 0, i < atoms.count, case .character(.equals) = atoms[i] { valueStart = i + 1 }
        }
        var result: [ExpansionAtom] = []
        var i = 0
        while i < atoms.count {
            var eligible = i == 0 || i == valueStart
            let inValue = isAssignmentValue || (valueStart.map { i >= $0 } ?? false)
            if !eligible, inValue, case .character(.colon) = atoms[i - 1] { eligible = true }
            if eligible, case .character(.tilde) = atoms[i] {
                var j = i + 1
                var prefix: [UInt8] = []
                var plain = true
                while j < atoms.count {
                    guard case .character(let c) = atoms[j] else {
                        plain = false
                        break
                    }
                    if c == .slash || (c == .colon && inValue) { break }
                    prefix.append(c)
                    j += 1
                }
                if plain {
                    result.append(.tilde(String(decoding: prefix, as: UTF8.self)))
                    i = j
                    continue
                }
            }
            result.append(atoms[i])
            i += 1
        }
        return result
    }
}

extension ExpansionAtom {
    static func atoms(of parts: [WordPart]) -> [ExpansionAtom] {
        var atoms: [ExpansionAtom] = []
        for part in parts {
            switch part {
            case .literal(let s):
                for c in s.utf8 { atoms.append(.character(c)) }
            case .escaped(let s), .singleQuoted(let s), .ansiCQuoted(let s):
                atoms.append(.text(s))
            case .doubleQuoted(let inner):
                if inner.allSatisfy({ if case .literal = $0 { true } else { false } }) {
                    var text = ""
                    for case .literal(let s) in inner { text += s }
                    atoms.append(.text(text))
                } else {
                    atoms.append(.part(part, quoted: true))
                }
            default:
                atoms.append(.part(part, quoted: false))
            }
        }
        return atoms
    }
}

/// `{a..e}`, `{1..10..2}`, `{01..10}`.
enum BraceSequence {
    enum Expansion {
        case notASequence
        case tooLarge
        case items([String])
    }

    static func expand(_ text: [UInt8], limit: Int) -> Expansion {
        var pieces: [[UInt8]] = [[]]
        var i = 0
        while i < text.count {
            if text[i] == .dot, i + 1 < text.count, text[i + 1] == .dot {
                pieces.append([])
                i += 2
                continue
            }
            pieces[pieces.count - 1].append(text[i])
            i += 1
        }
        guard pieces.count == 2 || pieces.count == 3 else { return .notASequence }
        var step = 1
        if pieces.count == 3 {
            guard let value = integer(pieces[2]) else { return .notASequence }
            step = value == 0 ? 1 : abs(value)
        }
        if isLongNumber(pieces[0]) || isLongNumber(pieces[1]) { return .tooLarge }
        if let first = integer(pieces[0]), let last = integer(pieces[1]) {
            let count = abs(last - first) / step + 1
            guard count <= limit else { return .tooLarge }
            let width = max(padWidth(pieces[0]), padWidth(pieces[1]))
            var result: [String] = []
            var value = first
            for _ in 0..<count {
                var digits = String(abs(value))
                let signWidth = value < 0 ? 1 : 0
                if digits.count + signWidth < width {
                    digits = String(repeating: "0", count: width - digits.count - signWidth) + digits
                }
                result.append((value < 0 ? "-" : "") + digits)
                value += first <= last ? step : -step
            }
            return .items(result)
        }
        guard pieces[0].count == 1, pieces[1].count == 1, pieces[0][0].isLetter, pieces[1][0].isLetter else {
            return .notASequence
        }
        let first = Int(pieces[0][0])
        let last = Int(pieces[1][0])
        var result: [String] = []
        var value = first
        while true {
            result.append(String(UnicodeScalar(UInt8(value))))
            if value == last { break }
            let next = first <= last ? value + step : value - step
            if (first <= last && next > last) || (first > last && next < last) { break }
            value = next
        }
        return .items(result)
    }

    /// A small signed decimal; nil for anything else. Numbers of more than nine digits are not
    /// sequences here, which keeps every computation far from overflowing.
    static func integer(_ digits: [UInt8]) -> Int? {
        var i = 0
        var negative = false
        if i < digits.count, digits[i] == .minus || digits[i] == .plus {
            negative = digits[i] == .minus
            i += 1
        }
        guard i < digits.count, digits.count - i <= 9 else { return nil }
        var value = 0
        while i < digits.count {
            guard digits[i].isDigit else { return nil }
            value = value * 10 + Int(digits[i] - .zero)
            i += 1
        }
        return negative ? -value : value
    }

    static func isLongNumber(_ digits: [UInt8]) -> Bool {
        let unsigned = digits.first == .minus || digits.first == .plus ? digits.dropFirst() : digits[...]
        return unsigned.count > 9 && unsigned.allSatisfy(\.isDigit)
    }

    static func padWidth(_ digits: [UInt8]) -> Int {
        let unsigned = digits.first == .minus || digits.first == .plus ? Array(digits.dropFirst()) : digits
        guard unsigned.count > 1, unsigned.first == .zero else { return 0 }
        return digits.count
    }
}
