// A syntactic summary of what a piece of script may change in the shell that runs it: which
// variables it may assign and whether it may change directory. The analyser walks each command
// once, in order, so it uses this summary where one walk is not enough: a loop body may run again
// after changing a variable, and a function may be called anywhere after its definition. The
// summary over-approximates; forgetting a value is always safe.

struct ScriptEffects {
    var assignedNames: Set<String> = []
    /// Something may assign variables whose names are not written out (`eval`, `source`, a command
    /// whose name is computed, `read "$name"`): every variable must be forgotten.
    var assignsUnknownNames = false
    var changesDirectory = false
    /// Simple command names, to add the effects of script functions they may call.
    var calledNames: Set<String> = []

    mutating func formUnion(_ other: ScriptEffects) {
        assignedNames.formUnion(other.assignedNames)
        assignsUnknownNames = assignsUnknownNames || other.assignsUnknownNames
        changesDirectory = changesDirectory || other.changesDirectory
        calledNames.formUnion(other.calledNames)
    }

    static func of(_ list: CommandList) -> ScriptEffects {
        var effects = ScriptEffects()
        effects.add(list)
        return effects
    }

    static func of(_ command: Command) -> ScriptEffects {
        var effects = ScriptEffects()
        effects.add(command)
        return effects
    }

    mutating func add(_ list: CommandList) {
        for item in list.items {
            add(item.first)
            for (_, pipeline) in item.rest { add(pipeline) }
        }
    }

    mutating func add(_ pipeline: Pipeline) {
        for command in pipeline.commands { add(command) }
    }

    mutating func add(_ command: Command) {
        switch command {
        case .simple(let simple):
            add(simple)
        case .compound(let compound, let redirections, _):
            for redirection in redirections { add(redirection.target) }
            switch compound {
            case .braceGroup(let list), .subshell(let list):
                add(list)
            case .ifClause(let branches, let elseBody):
                for branch in branches {
                    add(branch.condition)
                    add(branch.body)
                }
                if let elseBody { add(elseBody) }
            case .whileLoop(let condition, let body, _):
                add(condition)
                add(body)
            case .forEach(let variable, let items, let body, _):
                assignedNames.insert(variable)
                for item in items ?? [] { add(item) }
                add(body)
            case .arithmeticFor(let header, let body):
                addArithmetic(header)
                add(body)
            case .caseClause(let subject, let items):
                add(subject)
                for item in items {
                    for pattern in item.patterns { add(pattern) }
                    add(item.body)
                }
            case .conditional(let words):
                for word in words { add(word) }
            case .arithmetic(let expression):
                addArithmetic(expression)
            }
        case .functionDefinition(_, let body, _):
            // Defining a function changes nothing until it is called, but a summary made before
            // the walk reaches the definition cannot look the function up by name: count its body
            // as if it were called.
            add(body)
        case .coprocess(_, let body, _):
            add(body)
        }
    }

    mutating func add(_ simple: SimpleCommand) {
        for assignment in simple.assignments {
            if simple.words.isEmpty { assignedNames.insert(assignment.name) }
            if let arrayIndex = assignment.arrayIndex { add(arrayIndex) }
            switch assignment.value {
            case .scalar(let word): add(word)
            case .array(let words): for word in words { add(word) }
            }
        }
        for word in simple.words { add(word) }
        for redirection in simple.redirections { add(redirection.target) }
        guard let first = simple.words.first else { return }
        guard let name = first.plainText else {
            // The command is computed: it may be `cd`, `eval`, `read` …
            assignsUnknownNames = true
            changesDirectory = true
            return
        }
        calledNames.insert(name)
        addBuiltin(name, arguments: simple.words.dropFirst().map { word in
            ScriptEffects.literalText(of: word) ?? ScriptEffects.assignmentPrefix(of: word)
        })
    }

    /// `name=` for a word such as `name=$value`, whose name part is all that matters.
    static func assignmentPrefix(of word: Word) -> String? {
        guard case .literal(let text) = word.parts.first, let equals = text.firstIndex(of: "=") else { return nil }
        return String(text[...equals])
    }

    /// What a builtin called `name` may change, given its arguments (nil for one only known at run
    /// time).
    mutating func addBuiltin(_ name: String, arguments: [String?]) {
        switch name {
        case "cd", "pushd", "popd":
            changesDirectory = true
        case "eval", "source", ".":
            assignsUnknownNames = true
            changesDirectory = true
        case "builtin", "command":
            // `command cd x` changes directory like `cd x`.
            changesDirectory = true
            assignsUnknownNames = true
        case "printf":
            guard arguments.first == "-v", arguments.count > 1 else { return }
            addAssignedName(arguments[1])
        case "let":
            for argument in arguments {
                guard let argument else {
                    assignsUnknownNames = true
                    continue
                }
                assignedNames.formUnion(ScriptEffects.identifiers(in: argument))
            }
        case "read", "mapfile", "readarray", "getopts":
            // Options whose value is not a name.
            let valueOptions: Set<String> = ["-p", "-d", "-t", "-n", "-N", "-u", "-i", "-O", "-s", "-c", "-C"]
            var names: [String?] = []
            var index = 0
            while index < arguments.count {
                let argument = arguments[index]
                if let argument, valueOptions.contains(argument) {
                    index += 2
                    continue
                }
                if let argument, argument.hasPrefix("-") {
                    index += 1
                    continue
                }
                names.append(argument)
                index += 1
            }
            if name == "getopts" {
                names = Array(names.dropFirst())
                assignedNames.formUnion(["OPTARG", "OPTIND"])
            }
            assignedNames.formUnion(["REPLY", "MAPFILE"])
            for argument in names { addAssignedName(argument) }
        case "export", "declare", "typeset", "local", "readonly", "unset":
            for argument in arguments {
                if let argument, argument.hasPrefix("-") || argument.hasPrefix("+") { continue }
                addAssignedName(argument)
            }
        default:
            break
        }
    }

    /// Records the variable that an argument such as `x`, `x=1` or `a[2]=y` names.
    mutating func addAssignedName(_ argument: String?) {
        guard let argument else {
            assignsUnknownNames = true
            return
        }
        let name = String(argument.prefix(while: { $0 != "=" && $0 != "[" && $0 != "+" }))
        if ShellParser.isValidName(name) { assignedNames.insert(name) }
    }

    /// The text of a word made only of literal and quoted parts, without any expansion.
    static func literalText(of word: Word) -> String? {
        var text = ""
        for part in word.parts {
            switch part {
            case .literal(let s), .escaped(let s), .singleQuoted(let s), .ansiCQuoted(let s):
                text += s
            case .doubleQuoted(let inner):
                for innerPart in inner {
                    guard case .literal(let s) = innerPart else { return nil }
                    text += s
                }
            default:
                return nil
            }
        }
        return text
    }

    /// Assignments hidden in words: `${x:=v}`, `${x=v}` and arithmetic such as `$((i++))`.
    mutating func add(_ word: Word) {
        for part in word.parts { add(part) }
    }

    mutating func add(_ part: WordPart) {
        switch part {
        case .doubleQuoted(let parts):
            for inner in parts { add(inner) }
        case .parameter(let parameter):
            if parameter.op == ":=" || parameter.op == "=" { assignedNames.insert(parameter.name) }
            if let argument = parameter.argument { add(argument) }
            if let arrayIndex = parameter.arrayIndex { add(arrayIndex) }
        case .arithmetic(let arithmetic):
            addArithmetic(arithmetic.expression)
        case .commandSubstitution, .processSubstitution:
            // These run in a subshell: nothing they assign survives.
            break
        case .literal, .escaped, .singleQuoted, .ansiCQuoted:
            break
        }
    }

    mutating func addArithmetic(_ expression: Word) {
        var text = ""
        for part in expression.parts {
            if case .literal(let s) = part { text += s }
            add(part)
        }
        if ScriptEffects.arithmeticAssigns(text) {
            for identifier in ScriptEffects.identifiers(in: text) { assignedNames.insert(identifier) }
        }
    }

    /// Whether arithmetic text contains an assignment (`=`, `+=`, …) or an increment.
    static func arithmeticAssigns(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        for (i, c) in bytes.enumerated() {
            if c == .equals {
                let previous = i > 0 ? bytes[i - 1] : 0
                let next = i + 1 < bytes.count ? bytes[i + 1] : 0
                if next == .equals || previous == .equals || previous == .exclamation || previous == .less
                    || previous == .greater
                {
                    // `==`, `!=`, `<=`, `>=`; but `<<=` and `>>=` assign.
                    if (previous == .less || previous == .greater), i > 1, bytes[i - 2] == previous { return true }
                    continue
                }
                return true
            }
            if (c == .plus || c == .minus), i + 1 < bytes.count, bytes[i + 1] == c { return true }
        }
        return false
    }

    /// The variable names in arithmetic text (runs of name characters not starting with a digit,
    /// so that `0x1F` is not a name).
    static func identifiers(in text: String) -> [String] {
        var result: [String] = []
        var current: [UInt8] = []
        func flush() {
            if let first = current.first, !first.isDigit { result.append(String(decoding: current, as: UTF8.self)) }
            current = []
        }
        for c in text.utf8 {
            if c.isNameCharacter { current.append(c) } else { flush() }
        }
        flush()
        return result
    }
}
