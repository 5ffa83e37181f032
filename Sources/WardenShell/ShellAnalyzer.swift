// The static analysis: a walk over the syntax tree that lists every simple command the script can
// run, following what can be known before it runs (variables assigned literally, the working
// directory) and looking inside the commands that run other commands (wrappers, shells, `eval`).

public enum ShellAnalyzer {
    /// Parses `script` as bash would and returns every simple command it can run.
    ///
    /// Only the top-level script can fail: code found inside strings (`bash -c '…'`, `eval …`) that
    /// does not parse is reported as `ShellConcern.nestedSyntaxError`.
    public static func analyze(_ script: String, in environment: ShellEnvironment) throws(ShellSyntaxError) -> ShellAnalysis {
        let bytes = Array(script.utf8)
        var parser = ShellParser(bytes: bytes)
        let parsed: ShellScript
        do {
            parsed = try parser.parseScript()
        } catch {
            throw error.syntaxError(in: bytes)
        }
        let walker = AnalysisWalker(environment: environment, scriptSize: bytes.count)
        walker.analyze(parsed)
        return ShellAnalysis(invocations: walker.invocations, concerns: walker.concerns)
    }
}

extension ParseFailure {
    func syntaxError(in bytes: [UInt8]) -> ShellSyntaxError {
        var line = 1
        var column = 1
        for b in bytes.prefix(max(0, min(offset, bytes.count))) {
            if b == .newline {
                line += 1
                column = 1
            } else if b & 0xC0 != 0x80 {
                column += 1
            }
        }
        return ShellSyntaxError(message: message, line: line, column: column)
    }
}

/// What the shell running a command knows: variables with known values and the directory.
struct ShellState {
    /// Variables whose value is known; a variable that is missing is unknown (it may be set in
    /// the user's environment).
    var variables: [String: String]
    var workingDirectory: String?
    /// Exported variables among the known ones (only those matter to a child shell).
    var exported: Set<String> = []
    /// Known variables whose value the script assigned (a child shell does not see them unless
    /// they are exported).
    var assignedInScript: Set<String> = []
    var fieldSeparatorsChanged = false
    var pwdAssigned = false
    /// Beyond this many variables assigned by the script, new ones are simply unknown: states are
    /// copied at every branch and compared after it, which must stay cheap however long the
    /// script is.
    static let maximumScriptVariables = 256

    func value(of name: String) -> String? {
        if name == "PWD", !pwdAssigned { return workingDirectory }
        return variables[name]
    }

    mutating func assign(_ name: String, _ value: String?) {
        if name == "IFS" { fieldSeparatorsChanged = true }
        if name == "PWD" { pwdAssigned = true }
        guard let value, variables[name] != nil || assignedInScript.count < ShellState.maximumScriptVariables else {
            variables[name] = nil
            assignedInScript.remove(name)
            exported.remove(name)
            return
        }
        assignedInScript.insert(name)
        variables[name] = value
    }

    mutating func export(_ name: String) {
        guard variables[name] != nil else { return }
        exported.insert(name)
    }

    mutating func forget(_ name: String) {
        assign(name, nil)
    }

    /// After code whose effects cannot be followed (`source`, `eval "$x"`, a computed command).
    mutating func forgetEverything() {
        forgetAllVariables()
        workingDirectory = nil
    }

    mutating func forgetAllVariables() {
        variables = [:]
        exported = []
        assignedInScript = []
        fieldSeparatorsChanged = true
    }

    mutating func apply(_ effects: ScriptEffects) {
        if effects.assignsUnknownNames {
            forgetAllVariables()
        } else {
            for name in effects.assignedNames { forget(name) }
        }
        if effects.changesDirectory { workingDirectory = nil }
    }

    /// Keeps only what is the same in both states: after a branch that may or may not have run.
    mutating func merge(_ other: ShellState) {
        var differing: [String] = []
        for (name, value) in variables where other.variables[name] != value { differing.append(name) }
        for name in exported where !other.exported.contains(name) { differing.append(name) }
        for name in differing {
            // A variable exported in one branch only is not known to be exported: forgotten.
            variables[name] = nil
            exported.remove(name)
            assignedInScript.remove(name)
        }
        for name in other.assignedInScript where variables[name] != nil { assignedInScript.insert(name) }
        if workingDirectory != other.workingDirectory { workingDirectory = nil }
        fieldSeparatorsChanged = fieldSeparatorsChanged || other.fieldSeparatorsChanged
        pwdAssigned = pwdAssigned || other.pwdAssigned
    }

    /// The state a new shell process starts with: only exported variables survive.
    func childShell() -> ShellState {
        var child = self
        for name in assignedInScript where !exported.contains(name) {
            child.variables[name] = nil
        }
        child.assignedInScript = []
        child.pwdAssigned = false
        return child
    }
}

/// Where a command's standard input comes from, for shells that read their script from it.
enum StandardInput {
    /// Whatever the hook's command was given; not something the script controls.
    case inherited
    /// Text known before the script runs: a here-document, a here-string, `echo '…' |`.
    case literal(String)
    /// Anything else: another command's output, a file, a descriptor.
    case dynamic(source: String)
}

/// The context of the code being walked.
struct Frame {
    var script: ShellScript
    var wrappers: [String]
    /// Syntax levels currently being walked, across nested scripts; bounded like the parser's.
    var nesting: Int
    var nestedScripts: Int
    /// Texts that another program substitutes into this code (`{}` of `find -exec`).
    var placeholders: [String]
    var stdin: StandardInput
    /// Redirections of enclosing compound commands (`while …; done < file`), which every command
    /// inside shares.
    var inheritedAccesses: [FileAccess]
    /// The state in which function bodies of this script are judged.
    var functionState: ShellState?

    func text(_ range: Range<Int>) -> String {
        let lower = min(max(range.lowerBound, 0), script.source.count)
        let upper = min(max(range.upperBound, lower), script.source.count)
        return String(decoding: script.source[lower..<upper], as: UTF8.self)
    }

    func deeper() -> Frame {
        var frame = self
        frame.nesting += 1
        return frame
    }
}

/// A command or process substitution to walk after the command that contains it.
struct PendingSubstitution {
    enum Body {
        case inline(CommandList)
        case separate(ShellScript)
    }

    var body: Body
    /// `>(…)`: the command reads what the outer command writes.
    var readsOuterOutput: Bool
    var source: String
}

/// A command about to be listed, with what it inherits from the command that runs it.
struct CommandContext {
    var words: [ExpandedWord]
    var assignments: [String]
    var redirectionAccesses: [FileAccess]
    var stdin: StandardInput
    var workingDirectory: String?
    var source: String
    var wrappers: [String]
    /// The command runs in the analysed shell itself, so builtins such as `cd` affect it.
    var inCurrentShell: Bool
    var wrapperDepth: Int
}

final class AnalysisWalker {
    static let maximumNestedScripts = 16
    static let maximumWrapperDepth = 32

    let initialState: ShellState
    var invocations: [CommandInvocation] = []
    var concerns: [ShellConcern] = []
    private var concernSet: Set<ShellConcern> = []
    /// Characters of expanded words left to produce (brace expansion multiplies them); past it,
    /// words are kept as written and dynamic.
    var expansionBudget: Int
    /// Bytes of nested code (`bash -c`, `eval`) left to parse.
    var nestedCodeBudget: Int
    /// What each function defined so far may change when called.
    var functionEffects: [String: ScriptEffects] = [:]

    init(environment: ShellEnvironment, scriptSize: Int) {
        var variables = environment.variables
        if let home = environment.home { variables["HOME"] = home }
        variables["PWD"] = nil
        initialState = ShellState(
            variables: variables, workingDirectory: environment.workingDirectory, exported: Set(variables.keys))
        nestedCodeBudget = max(1 << 20, scriptSize * 16)
        expansionBudget = max(1 << 20, scriptSize * 4)
    }

    func analyze(_ script: ShellScript) {
        var state = initialState
        let frame = makeFrame(
            script, state: state, wrappers: [], nesting: 0, nestedScripts: 0, placeholders: [], stdin: .inherited)
        walk(script.body, &state, frame)
    }

    func makeFrame(
        _ script: ShellScript, state: ShellState, wrappers: [String], nesting: Int, nestedScripts: Int,
        placeholders: [String], stdin: StandardInput
    ) -> Frame {
        var functionState: ShellState?
        if script.definesFunctions {
            // A function may be called after anything the script does, so its body is judged with
            // what no part of the script can change.
            var base = state
            base.apply(resolved(ScriptEffects.of(script.body)))
            functionState = base
        }
        return Frame(
            script: script, wrappers: wrappers, nesting: nesting, nestedScripts: nestedScripts,
            placeholders: placeholders, stdin: stdin, inheritedAccesses: [], functionState: functionState)
    }

    static let maximumResolvedFunctions = 64

    /// Effects including those of the script functions they call. Past a few dozen functions the
    /// answer is "anything", which keeps each call cheap whatever the call graph.
    func resolved(_ effects: ScriptEffects) -> ScriptEffects {
        var result = effects
        guard !functionEffects.isEmpty else { return result }
        var visited: Set<String> = []
        var queue = Array(effects.calledNames)
        while let name = queue.popLast() {
            guard let called = functionEffects[name], visited.insert(name).inserted else { continue }
            if visited.count > AnalysisWalker.maximumResolvedFunctions {
                result.assignsUnknownNames = true
                result.changesDirectory = true
                return result
            }
            result.formUnion(called)
            queue.append(contentsOf: called.calledNames)
        }
        return result
    }

    func addConcern(_ concern: ShellConcern) {
        if concernSet.insert(concern).inserted { concerns.append(concern) }
    }

    // MARK: Lists and pipelines

    func walk(_ list: CommandList, _ state: inout ShellState, _ frame: Frame) {
        for item in list.items {
            if item.isAsync {
                // A background job runs in a subshell.
                var copy = state
                walk(item, &copy, frame)
            } else {
                walk(item, &state, frame)
            }
        }
    }

    func walk(_ item: AndOrList, _ state: inout ShellState, _ frame: Frame) {
        walk(item.first, &state, frame)
        for (_, pipeline) in item.rest {
            // Runs or not depending on the previous status.
            var branch = state
            walk(pipeline, &branch, frame)
            state.merge(branch)
        }
    }

    func walk(_ pipeline: Pipeline, _ state: inout ShellState, _ frame: Frame) {
        if pipeline.commands.count == 1 {
            walk(pipeline.commands[0], &state, frame)
            return
        }
        // Every stage of a multi-command pipeline runs in a subshell.
        let source = frame.text(pipeline.range)
        for (index, command) in pipeline.commands.enumerated() {
            var copy = state
            var stageFrame = frame
            if index > 0 {
                stageFrame.stdin = output(of: pipeline.commands[index - 1], state, frame, pipelineSource: source)
            }
            walk(command, &copy, stageFrame)
        }
    }

    /// What a pipeline stage writes to the next one, when it is known text.
    func output(of command: Command, _ state: ShellState, _ frame: Frame, pipelineSource: String) -> StandardInput {
        let dynamic = StandardInput.dynamic(source: pipelineSource.trimmed)
        guard case .simple(let simple) = command, !simple.words.isEmpty else { return dynamic }
        let savedBudget = expansionBudget
        defer { expansionBudget = savedBudget }
        let words = simple.words.flatMap { expand($0, state, frame) }
        guard let first = words.first, first.isStatic, words.allSatisfy(\.isStatic) else { return dynamic }
        let arguments = words.dropFirst().map(\.text)
        switch CommandNames.name(of: first.text) {
        case "echo":
            if simple.redirections.contains(where: { $0.op != .input && $0.op != .hereDocument && $0.op != .hereString }) {
                return dynamic
            }
            return LiteralOutput.echo(arguments).map { .literal($0) } ?? dynamic
        case "printf":
            if simple.redirections.contains(where: { $0.op != .input && $0.op != .hereDocument && $0.op != .hereString }) {
                return dynamic
            }
            return LiteralOutput.printf(arguments).map { .literal($0) } ?? dynamic
        case "cat" where arguments.isEmpty || arguments == ["-"]:
            var stdin = StandardInput.dynamic(source: pipelineSource.trimmed)
            for redirection in simple.redirections {
                switch redirection.op {
                case .hereDocument, .hereString:
                    stdin = hereInput(redirection, state, frame, source: pipelineSource.trimmed)
                case .input, .readWrite, .duplicateInput:
                    stdin = dynamic
                default:
                    return dynamic
                }
            }
            if case .literal = stdin { return stdin }
            return dynamic
        default:
            return dynamic
        }
    }

    // MARK: Commands

    func walk(_ command: Command, _ state: inout ShellState, _ frame: Frame) {
        switch command {
        case .simple(let simple):
            walk(simple, &state, frame)
        case .compound(let compound, let redirections, let range):
            var inner = frame.deeper()
            let before = state
            var substitutions: [PendingSubstitution] = []
            for redirection in redirections { collectSubstitutions(in: redirection, into: &substitutions, frame) }
            let (accesses, stdin) = redirectionEffects(redirections, state, frame, commandSource: frame.text(range).trimmed)
            inner.inheritedAccesses.append(contentsOf: accesses)
            inner.stdin = stdin
            let count = invocations.count
            walk(compound, &state, inner)
            if invocations.count == count, !accesses.isEmpty {
                invocations.append(CommandInvocation(
                    words: [], name: nil, fileAccesses: frame.inheritedAccesses + accesses,
                    workingDirectory: before.workingDirectory, source: frame.text(range).trimmed,
                    wrappers: frame.wrappers))
            }
            walk(substitutions, before, frame)
        case .functionDefinition(let name, let body, _):
            functionEffects[name] = ScriptEffects.of(body)
            // Judged where it is written, whether or not it is called, in the state that no part of
            // the script can change.
            var bodyState = frame.functionState ?? state
            if frame.functionState == nil { bodyState.apply(resolved(ScriptEffects.of(body))) }
            var inner = frame.deeper()
            inner.stdin = .inherited
            walk(body, &bodyState, inner)
        case .coprocess(_, let body, _):
            var copy = state
            walk(body, &copy, frame.deeper())
        }
    }

    /// A loop body may run any number of times, none included: what it may change is forgotten
    /// before it (later iterations see earlier ones' changes) and after it, and what it leaves
    /// the same either way is kept. `beforeBody` walks what runs before each iteration (a
    /// `while` condition) in the loop's state.
    func walkLoop(
        _ body: CommandList, effects: ScriptEffects, _ state: inout ShellState, _ frame: Frame,
        beforeBody: (inout ShellState) -> Void = { _ in }
    ) {
        let resolvedEffects = resolved(effects)
        state.apply(resolvedEffects)
        beforeBody(&state)
        var bodyState = state
        walk(body, &bodyState, frame)
        state.merge(bodyState)
        state.apply(resolvedEffects)
    }

    func walk(_ compound: CompoundCommand, _ state: inout ShellState, _ frame: Frame) {
        switch compound {
        case .braceGroup(let list):
            walk(list, &state, frame)
        case .subshell(let list):
            var copy = state
            walk(list, &copy, frame)
        case .ifClause(let branches, let elseBody):
            var current = state
            var outcomes: [ShellState] = []
            for branch in branches {
                walk(branch.condition, &current, frame)
                var body = current
                walk(branch.body, &body, frame)
                outcomes.append(body)
            }
            if let elseBody {
                var body = current
                walk(elseBody, &body, frame)
                outcomes.append(body)
            } else {
                outcomes.append(current)
            }
            state = outcomes[0]
            for outcome in outcomes.dropFirst() { state.merge(outcome) }
        case .whileLoop(let condition, let body, _):
            // Later iterations see what earlier ones changed.
            var effects = ScriptEffects.of(condition)
            effects.formUnion(ScriptEffects.of(body))
            walkLoop(body, effects: effects, &state, frame) { walk(condition, &$0, frame) }
        case .forEach(let variable, let items, let body, _):
            for item in items ?? [] { walkWord(item, &state, frame) }
            var effects = ScriptEffects.of(body)
            effects.assignedNames.insert(variable)
            walkLoop(body, effects: effects, &state, frame)
        case .arithmeticFor(let header, let body):
            walkWord(header, &state, frame)
            var effects = ScriptEffects.of(body)
            effects.addArithmetic(header)
            walkLoop(body, effects: effects, &state, frame)
        case .caseClause(let subject, let items):
            walkWord(subject, &state, frame)
            var merged = state
            for item in items {
                for pattern in item.patterns { walkWord(pattern, &state, frame) }
                var body = state
                walk(item.body, &body, frame)
                merged.merge(body)
            }
            state.merge(merged)
        case .conditional(let words):
            for word in words { walkWord(word, &state, frame) }
        case .arithmetic(let expression):
            walkWord(expression, &state, frame)
            var effects = ScriptEffects()
            effects.addArithmetic(expression)
            state.apply(effects)
        }
    }

    /// A word outside a simple command (`for` list, `case` subject, `[[ ]]`): only its
    /// substitutions run commands, and it may assign (`${x:=v}`, `$((i++))`).
    func walkWord(_ word: Word, _ state: inout ShellState, _ frame: Frame) {
        var substitutions: [PendingSubstitution] = []
        collectSubstitutions(in: word, into: &substitutions, frame)
        let before = state
        var effects = ScriptEffects()
        effects.add(word)
        state.apply(effects)
        walk(substitutions, before, frame)
    }

    func walk(_ simple: SimpleCommand, _ state: inout ShellState, _ frame: Frame) {
        let before = state
        var substitutions: [PendingSubstitution] = []
        var effects = ScriptEffects()
        for assignment in simple.assignments {
            if let arrayIndex = assignment.arrayIndex { collectSubstitutions(in: arrayIndex, into: &substitutions, frame) }
            switch assignment.value {
            case .scalar(let word): collectSubstitutions(in: word, into: &substitutions, frame)
            case .array(let words): for word in words { collectSubstitutions(in: word, into: &substitutions, frame) }
            }
        }
        for word in simple.words {
            collectSubstitutions(in: word, into: &substitutions, frame)
            effects.add(word)
        }
        for redirection in simple.redirections { collectSubstitutions(in: redirection, into: &substitutions, frame) }

        // Without a command the assignments change the shell, from left to right (`a=1 b=$a`);
        // before a command they only go into its environment.
        let assignsShell = simple.words.isEmpty
        var assignmentTexts: [String] = []
        var assignmentState = state
        for assignment in simple.assignments {
            let op = assignment.isAppend ? "+=" : "="
            var known: String?
            switch assignment.value {
            case .scalar(let word):
                let value = expandJoined(word, assignmentState, frame, isAssignmentValue: true)
                assignmentTexts.append(assignment.name + op + value.text)
                known = value.isStatic ? value.text : nil
                if assignment.isAppend {
                    known = known.flatMap { suffix in assignmentState.value(of: assignment.name).map { $0 + suffix } }
                }
                if assignment.arrayIndex != nil { known = nil }
            case .array:
                assignmentTexts.append(frame.text(assignment.range))
            }
            if assignsShell { assignmentState.assign(assignment.name, known) }
            if let arrayIndex = assignment.arrayIndex { effects.add(arrayIndex) }
        }
        let words = simple.words.flatMap { expand($0, state, frame) }
        let source = frame.text(simple.range).trimmed
        let (accesses, stdin) = redirectionEffects(simple.redirections, state, frame, commandSource: source)
        if words.isEmpty {
            state = assignmentState
            if !accesses.isEmpty {
                invocations.append(CommandInvocation(
                    words: [], name: nil, assignments: assignmentTexts, fileAccesses: frame.inheritedAccesses + accesses,
                    workingDirectory: state.workingDirectory, source: source, wrappers: frame.wrappers))
            }
        } else {
            let context = CommandContext(
                words: words, assignments: assignmentTexts, redirectionAccesses: frame.inheritedAccesses + accesses,
                stdin: stdin, workingDirectory: state.workingDirectory, source: source, wrappers: frame.wrappers,
                inCurrentShell: true, wrapperDepth: 0)
            process(context, &state, frame)
        }
        state.apply(effects)
        walk(substitutions, before, frame)
    }

    func walk(_ substitutions: [PendingSubstitution], _ state: ShellState, _ frame: Frame) {
        for substitution in substitutions {
            var copy = state
            var inner = frame.deeper()
            if substitution.readsOuterOutput { inner.stdin = .dynamic(source: substitution.source) }
            switch substitution.body {
            case .inline(let list):
                walk(list, &copy, inner)
            case .separate(let script):
                let nested = makeFrame(
                    script, state: copy, wrappers: frame.wrappers, nesting: inner.nesting,
                    nestedScripts: frame.nestedScripts, placeholders: frame.placeholders, stdin: inner.stdin)
                var nestedFrame = nested
                nestedFrame.inheritedAccesses = frame.inheritedAccesses
                walk(script.body, &copy, nestedFrame)
            }
        }
    }

    // MARK: Substitutions and redirections

    func collectSubstitutions(in redirection: Redirection, into result: inout [PendingSubstitution], _ frame: Frame) {
        if let index = redirection.hereDocumentIndex, index < frame.script.hereDocuments.count {
            switch frame.script.hereDocuments[index].body {
            case .literal:
                break
            case .expandable(let word):
                collectSubstitutions(in: word, into: &result, frame)
            case .invalid(let text, let message):
                addConcern(.nestedSyntaxError(source: text, message: message))
            }
        } else {
            collectSubstitutions(in: redirection.target, into: &result, frame)
        }
    }

    func collectSubstitutions(in word: Word, into result: inout [PendingSubstitution], _ frame: Frame) {
        for part in word.parts { collectSubstitutions(in: part, into: &result, frame) }
    }

    func collectSubstitutions(in part: WordPart, into result: inout [PendingSubstitution], _ frame: Frame) {
        switch part {
        case .literal, .escaped, .singleQuoted, .ansiCQuoted:
            break
        case .doubleQuoted(let parts):
            for inner in parts { collectSubstitutions(in: inner, into: &result, frame) }
        case .parameter(let parameter):
            if let arrayIndex = parameter.arrayIndex { collectSubstitutions(in: arrayIndex, into: &result, frame) }
            if let argument = parameter.argument { collectSubstitutions(in: argument, into: &result, frame) }
        case .arithmetic(let arithmetic):
            collectSubstitutions(in: arithmetic.expression, into: &result, frame)
        case .commandSubstitution(let substitution):
            let source = frame.text(substitution.range)
            switch substitution.body {
            case .inline(let list):
                result.append(PendingSubstitution(body: .inline(list), readsOuterOutput: false, source: source))
            case .separate(let script):
                result.append(PendingSubstitution(body: .separate(script), readsOuterOutput: false, source: source))
            case .invalid(let text, let message):
                addConcern(.nestedSyntaxError(source: text, message: message))
            }
        case .processSubstitution(let substitution):
            result.append(PendingSubstitution(
                body: .inline(substitution.body), readsOuterOutput: !substitution.isInput,
                source: frame.text(substitution.range)))
        }
    }

    /// The files a command's redirections open, and where its standard input then comes from.
    func redirectionEffects(
        _ redirections: [Redirection], _ state: ShellState, _ frame: Frame, commandSource source: String
    ) -> ([FileAccess], StandardInput) {
        var accesses: [FileAccess] = []
        var stdin = frame.stdin
        for redirection in redirections {
            var prefix = ""
            var isStandardInput = true
            switch redirection.fileDescriptor {
            case .number(let number):
                prefix = String(number)
                isStandardInput = number == 0
            case .variable(let name):
                prefix = "{\(name)}"
                isStandardInput = false
            case nil:
                break
            }
            let via = "redirection " + prefix + redirection.operatorText
            switch redirection.op {
            case .input, .readWrite:
                let targets = expand(redirection.target, state, frame)
                for target in targets where !target.isProcessSubstitution {
                    accesses.append(FileAccess(path: target.word, mode: .read, via: via))
                    if redirection.op == .readWrite { accesses.append(FileAccess(path: target.word, mode: .write, via: via)) }
                }
                if isStandardInput { stdin = .dynamic(source: source) }
            case .output, .append, .clobber, .outputAndError, .appendOutputAndError:
                for target in expand(redirection.target, state, frame) where !target.isProcessSubstitution {
                    accesses.append(FileAccess(path: target.word, mode: .write, via: via))
                }
            case .duplicateInput, .duplicateOutput:
                let target = expandJoined(redirection.target, state, frame, isAssignmentValue: false)
                let isDescriptor = target.isStatic && !target.text.isEmpty
                    && target.text.utf8.allSatisfy { $0.isDigit || $0 == .minus }
                if !isDescriptor, redirection.op == .duplicateOutput,
                    redirection.fileDescriptor == nil || prefix == "1"
                {
                    // `>&word` with a word that is not a descriptor redirects both outputs to a file.
                    accesses.append(FileAccess(path: target, mode: .write, via: via))
                }
                if redirection.op == .duplicateInput, isStandardInput { stdin = .dynamic(source: source) }
            case .hereDocument, .hereString:
                if isStandardInput { stdin = hereInput(redirection, state, frame, source: source) }
            }
        }
        return (accesses, stdin)
    }

    /// The text a here-document or here-string feeds, when it is known.
    func hereInput(_ redirection: Redirection, _ state: ShellState, _ frame: Frame, source: String) -> StandardInput {
        if let index = redirection.hereDocumentIndex {
            guard index < frame.script.hereDocuments.count else { return .dynamic(source: source) }
            switch frame.script.hereDocuments[index].body {
            case .literal(let text):
                return .literal(text)
            case .expandable(let word):
                let expanded = expandJoined(word, state, frame, isAssignmentValue: false)
                return expanded.isStatic ? .literal(expanded.text) : .dynamic(source: source)
            case .invalid:
                return .dynamic(source: source)
            }
        }
        let expanded = expandJoined(redirection.target, state, frame, isAssignmentValue: false)
        return expanded.isStatic ? .literal(expanded.text + "\n") : .dynamic(source: source)
    }

    // MARK: Invocations

    /// Lists a command, then applies what it does to the shell and looks inside it when it runs
    /// other code.
    func process(_ context: CommandContext, _ state: inout ShellState, _ frame: Frame) {
        guard let first = context.words.first else { return }
        let name = first.isStatic ? CommandNames.name(of: first.text) : nil
        var accesses = context.redirectionAccesses
        if let name { accesses.append(contentsOf: FileAccessTable.accesses(name: name, words: context.words)) }
        invocations.append(CommandInvocation(
            words: context.words.map(\.word), name: name, assignments: context.assignments, fileAccesses: accesses,
            workingDirectory: context.workingDirectory, source: context.source, wrappers: context.wrappers))
        guard let name else {
            addConcern(.dynamicCommandName(source: context.source))
            // The computed command may be `cd`, `eval`, `read` …
            if context.inCurrentShell { state.forgetEverything() }
            return
        }
        if context.inCurrentShell, first.text == name {
            applyBuiltin(name, context, &state, frame)
        }
        if ShellCommands.shellNames.contains(name) {
            runShell(name, context, &state, frame)
            return
        }
        guard context.wrapperDepth < AnalysisWalker.maximumWrapperDepth else { return }
        for wrapped in CommandWrappers.unwrap(name: name, words: context.words) {
            switch wrapped {
            case .command(let inner):
                guard !inner.words.isEmpty else { continue }
                var directory = context.workingDirectory
                switch inner.workingDirectory {
                case .unchanged:
                    break
                case .changed(let word):
                    directory = word.isStatic ? Paths.resolve(word.text, from: directory) : nil
                case .unknown:
                    directory = nil
                }
                let innerContext = CommandContext(
                    words: inner.words, assignments: inner.assignments, redirectionAccesses: [], stdin: context.stdin,
                    workingDirectory: directory, source: sourceText(of: inner.words, frame, fallback: context.source),
                    wrappers: context.wrappers + [inner.label], inCurrentShell: context.inCurrentShell && inner.keepsShell,
                    wrapperDepth: context.wrapperDepth + 1)
                process(innerContext, &state, frame)
            case .code(let word, let label, let placeholders):
                runCode(
                    word, label: label, placeholders: placeholders, context: context, sameShell: false, &state, frame)
            case .dynamicCode:
                addConcern(.dynamicScript(source: context.source))
            }
        }
    }

    /// The source text spanning `words`, or `fallback` when they do not come from one place.
    func sourceText(of words: [ExpandedWord], _ frame: Frame, fallback: String) -> String {
        let ranges = words.compactMap(\.range)
        guard let lower = ranges.map(\.lowerBound).min(), let upper = ranges.map(\.upperBound).max(), lower < upper,
            ranges.count == words.count || words.last?.range == nil
        else { return fallback }
        return frame.text(lower..<upper).trimmed
    }

    /// Runs `word` as shell code in a new shell (or the current one for `eval`): parses it when
    /// it is known, reports it when it is not.
    func runCode(
        _ word: ExpandedWord, label: String, placeholders: [String], context: CommandContext, sameShell: Bool,
        _ state: inout ShellState, _ frame: Frame
    ) {
        if !word.isStatic {
            addConcern(.dynamicScript(source: context.source))
            guard word.isPlaceholderOnly else {
                if sameShell { state.forgetEverything() }
                return
            }
        }
        runNested(
            word.text, label: label, placeholders: placeholders + word.placeholders, context: context,
            sameShell: sameShell, &state, frame)
    }

    func runNested(
        _ code: String, label: String, placeholders: [String], context: CommandContext, sameShell: Bool,
        _ state: inout ShellState, _ frame: Frame
    ) {
        let bytes = Array(code.utf8)
        guard frame.nestedScripts < AnalysisWalker.maximumNestedScripts, frame.nesting < ShellParser.maximumDepth else {
            addConcern(.nestedSyntaxError(source: code, message: "nesting too deep"))
            if sameShell { state.forgetEverything() }
            return
        }
        guard nestedCodeBudget >= bytes.count else {
            addConcern(.nestedSyntaxError(source: code, message: "too much nested code to analyse"))
            if sameShell { state.forgetEverything() }
            return
        }
        nestedCodeBudget -= bytes.count
        var parser = ShellParser(bytes: bytes, depth: frame.nesting)
        let script: ShellScript
        do {
            script = try parser.parseScript()
        } catch {
            addConcern(.nestedSyntaxError(source: code, message: error.message))
            if sameShell { state.forgetEverything() }
            return
        }
        let wrappers = context.wrappers + [label]
        if sameShell {
            let nestedFrame = makeFrame(
                script, state: state, wrappers: wrappers, nesting: frame.nesting + 1,
                nestedScripts: frame.nestedScripts + 1, placeholders: placeholders + frame.placeholders,
                stdin: context.stdin)
            walk(script.body, &state, nestedFrame)
        } else {
            var child = state.childShell()
            child.workingDirectory = context.workingDirectory
            let nestedFrame = makeFrame(
                script, state: child, wrappers: wrappers, nesting: frame.nesting + 1,
                nestedScripts: frame.nestedScripts + 1, placeholders: placeholders + frame.placeholders,
                stdin: context.stdin)
            walk(script.body, &child, nestedFrame)
        }
    }

    /// A shell (`bash`, `sh -c`, `zsh -lc` …): its script comes from `-c`, a file, or stdin.
    func runShell(_ name: String, _ context: CommandContext, _ state: inout ShellState, _ frame: Frame) {
        switch ShellCommands.scriptSource(of: context.words) {
        case .commandString(let word):
            runCode(word, label: name + " -c", placeholders: [], context: context, sameShell: false, &state, frame)
        case .missingCommandString:
            break
        case .file(let word):
            if word.isProcessSubstitution || !word.isStatic {
                addConcern(.dynamicScript(source: context.source))
            } else if ShellCommands.standardInputPaths.contains(word.text) {
                runStandardInput(label: name, context: context, sameShell: false, &state, frame)
            }
        case .standardInput:
            runStandardInput(label: name, context: context, sameShell: false, &state, frame)
        }
    }

    /// Code read from standard input: parsed when the input is known text.
    func runStandardInput(
        label: String, context: CommandContext, sameShell: Bool, _ state: inout ShellState, _ frame: Frame
    ) {
        switch context.stdin {
        case .inherited:
            break
        case .literal(let text):
            var innerContext = context
            innerContext.stdin = .inherited
            runNested(text, label: label, placeholders: [], context: innerContext, sameShell: sameShell, &state, frame)
        case .dynamic(let source):
            addConcern(.dynamicScript(source: source))
            if sameShell { state.forgetEverything() }
        }
    }

    // MARK: Builtins

    /// What a builtin run by the analysed shell itself changes in it.
    func applyBuiltin(_ name: String, _ context: CommandContext, _ state: inout ShellState, _ frame: Frame) {
        let arguments = Array(context.words.dropFirst())
        switch name {
        case "cd", "pushd", "popd":
            state.workingDirectory = Paths.directory(after: name, arguments: arguments, state: state)
        case "export", "declare", "typeset", "local", "readonly":
            declare(name, arguments, &state)
        case "read", "mapfile", "readarray", "getopts", "unset", "printf", "let":
            var effects = ScriptEffects()
            effects.addBuiltin(name, arguments: arguments.map { $0.isStatic ? $0.text : nil })
            state.apply(effects)
        case "eval":
            guard !arguments.isEmpty else { return }
            let code = arguments.map(\.text).joined(separator: " ")
            let isStatic = arguments.allSatisfy(\.isStatic)
            let placeholderOnly = arguments.allSatisfy { $0.isStatic || $0.isPlaceholderOnly }
            var word = ExpandedWord(word: ShellWord(text: code, isStatic: isStatic), range: nil)
            word.isPlaceholderOnly = !isStatic && placeholderOnly
            word.placeholders = arguments.flatMap(\.placeholders)
            runCode(word, label: "eval", placeholders: [], context: context, sameShell: true, &state, frame)
        case "source", ".":
            guard let file = arguments.first else { return }
            if file.isProcessSubstitution || !file.isStatic {
                addConcern(.dynamicScript(source: context.source))
            } else if ShellCommands.standardInputPaths.contains(file.text) {
                runStandardInput(label: name, context: context, sameShell: true, &state, frame)
                return
            }
            // The sourced file may change anything.
            state.forgetEverything()
        case "alias":
            for argument in arguments {
                guard let equals = argument.text.firstIndex(of: "=") else { continue }
                var value = argument
                value.word.text = String(argument.text[argument.text.index(after: equals)...])
                var copy = state
                runCode(value, label: "alias", placeholders: [], context: context, sameShell: false, &copy, frame)
            }
        case "trap":
            // `trap [--] ACTION SIGNAL…`; `trap -p`, `trap -l` and `trap - SIGNAL` run nothing.
            let operands = arguments.first.map { $0.isStatic && $0.text == "--" } == true ? Array(arguments.dropFirst()) : arguments
            guard let action = operands.first, !action.text.hasPrefix("-") || !action.isStatic, operands.count > 1
            else { return }
            var copy = state
            runCode(action, label: "trap", placeholders: [], context: context, sameShell: false, &copy, frame)
        default:
            if let effects = functionEffects[name] {
                var all = effects
                all.calledNames.insert(name)
                state.apply(resolved(all))
            }
        }
    }

    /// `export`/`declare`/`local`/`readonly`/`typeset` arguments.
    func declare(_ name: String, _ arguments: [ExpandedWord], _ state: inout ShellState) {
        var plainFlags = true
        var exportFlag = name == "export"
        for argument in arguments {
            guard argument.isStatic else {
                // `declare "$x=1"` sets a name only known at run time.
                state.forgetEverything()
                return
            }
            let text = argument.text
            if text.hasPrefix("-") || text.hasPrefix("+") {
                // Only export, read-only and global keep the value as written; `-i`, `-a`, `-n`,
                // `-l`, `-u` … transform it.
                if text.dropFirst().contains(where: { !"xrg-".contains($0) }) { plainFlags = false }
                if text.hasPrefix("-"), text.contains("x") { exportFlag = true }
                continue
            }
            let parts = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let variable = String(parts[0].prefix(while: { $0 != "[" && $0 != "+" }))
            guard ShellParser.isValidName(variable) else { continue }
            if parts.count == 2 {
                let value = String(parts[1])
                let simple = plainFlags && !parts[0].contains("[") && !parts[0].hasSuffix("+") && !value.hasPrefix("(")
                state.assign(variable, simple ? value : nil)
            } else if name == "local" || name == "declare" || name == "typeset" {
                state.forget(variable)
            }
            if exportFlag { state.export(variable) }
        }
    }
}

extension String {
    /// Without the blanks and newlines around it (the only white space the shell knows).
    var trimmed: String {
        let bytes = utf8
        func isSpace(_ c: UInt8) -> Bool { c == .space || c == .tab || c == .newline || c == 0x0D }
        guard let first = bytes.first, let last = bytes.last, isSpace(first) || isSpace(last) else { return self }
        var start = bytes.startIndex
        var end = bytes.endIndex
        while start < end, isSpace(bytes[start]) { start = bytes.index(after: start) }
        while end > start, isSpace(bytes[bytes.index(before: end)]) { end = bytes.index(before: end) }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }
}
