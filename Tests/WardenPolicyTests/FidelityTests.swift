import Foundation
import Testing
import WardenJSON
@testable import WardenPolicy

// The fidelity property of issue 15, as a differential test over generated commands:
//
// 1. whenever Claude Code's own matcher (literal prefix / wildcard matching on the command text)
//    matches, Warden matches too;
// 2. every match Warden makes beyond that is a spelling of what the rule says: the command and
//    the rule are spellings of commands whose meaning (a reference model written here, from the
//    tools' documentation, not from Warden's tables) matches, and the spellings differ by named
//    normalisations;
// 3. every spelling of what a rule says is matched.

/// Claude Code's literal matching of a Bash rule's specifier against a command's text, from its
/// documented semantics: `Bash(x)` is exactly `x`; `Bash(x:*)` and `Bash(x *)` (one trailing
/// wildcard) are `x` or `x` followed by a space, or simply a text prefix when `x` ends in a
/// punctuation character that is not an option's dash (`curl http://site.com/:*`); any other `*`
/// matches any run of characters over the whole text.
enum ClaudeCodeMatcher {
    static func matches(rule specifier: String, command: String) -> Bool {
        let specifier = specifier.trimmingCharacters(in: .whitespaces)
        var prefix: String? = nil
        if specifier.hasSuffix(":*") {
            prefix = String(specifier.dropLast(2))
        } else if specifier.hasSuffix(" *"), !specifier.dropLast(2).contains("*") {
            prefix = String(specifier.dropLast(2))
        }
        if let prefix {
            let prefix = prefix.trimmingCharacters(in: .whitespaces)
            if command == prefix || command.hasPrefix(prefix + " ") { return true }
            if let last = prefix.last, !(last.isLetter || last.isNumber || last == "-") { return command.hasPrefix(prefix) }
            return false
        }
        if specifier.contains("*") { return wildcard(Array(specifier), Array(command)) }
        return command == specifier
    }

    static func wildcard(_ pattern: [Character], _ text: [Character]) -> Bool {
        var p = 0, t = 0, star = -1, mark = 0
        while t < text.count {
            if p < pattern.count, pattern[p] != "*", pattern[p] == text[t] {
                p += 1; t += 1
            } else if p < pattern.count, pattern[p] == "*" {
                star = p; mark = t; p += 1
            } else if star >= 0 {
                p = star + 1; mark += 1; t = mark
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == "*" { p += 1 }
        return p == pattern.count
    }
}

/// A deterministic random source, so a failure can be replayed.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The reference model: for each command, the options the generator uses, with all their
/// spellings (first = the one the meaning uses), whether they take a value, and an unambiguous
/// abbreviation of the long spelling where the tool accepts one.
struct OptionSpec {
    var spellings: [String]
    var takesValue = false
    var abbreviation: String? = nil
    var values: [String] = []
    var canonical: String { spellings[0] }
    var shortSpelling: String? { spellings.first { !$0.hasPrefix("--") } }
    var longSpelling: String? { spellings.first { $0.hasPrefix("--") } }
}

struct CommandSpec {
    /// `["rm"]` or `["git", "push"]`.
    var head: [String]
    var options: [OptionSpec]
    var operands: [[String]]
    /// Whether options may follow operands.
    var permutes = true
    /// A spelling that stands for several options (`git branch -D` = `-d -f`).
    var combined: [String: [String]] = [:]
    /// Known to Warden: without a table, only the literal text counts.
    var known = true
}

enum Model {
    static let commands: [CommandSpec] = [
        CommandSpec(head: ["rm"], options: [
            OptionSpec(spellings: ["-r", "-R", "--recursive"], abbreviation: "--recur"),
            OptionSpec(spellings: ["-f", "--force"], abbreviation: "--forc"),
            OptionSpec(spellings: ["-v", "--verbose"]), OptionSpec(spellings: ["-d", "--dir"]), OptionSpec(spellings: ["-i"]),
        ], operands: [["build"], ["/"], ["a", "b"], ["node_modules/"], ["/tmp/x"]]),
        CommandSpec(head: ["git", "push"], options: [
            OptionSpec(spellings: ["-f", "--force"]), OptionSpec(spellings: ["-u", "--set-upstream"], abbreviation: "--set-up"),
            OptionSpec(spellings: ["-v", "--verbose"]), OptionSpec(spellings: ["-n", "--dry-run"]),
            OptionSpec(spellings: ["-d", "--delete"]), OptionSpec(spellings: ["--tags"]),
            OptionSpec(spellings: ["--force-with-lease"], abbreviation: "--force-w"),
            OptionSpec(spellings: ["-o", "--push-option"], takesValue: true, values: ["ci.skip", "x"]),
        ], operands: [["origin"], ["origin", "main"], ["upstream", "feature"], []]),
        CommandSpec(head: ["git", "checkout"], options: [
            OptionSpec(spellings: ["-f", "--force"], abbreviation: "--forc"), OptionSpec(spellings: ["-q", "--quiet"]),
            OptionSpec(spellings: ["-b"], takesValue: true, values: ["feature", "fix", "f"]),
            OptionSpec(spellings: ["-B"], takesValue: true, values: ["feature", "main"]),
            OptionSpec(spellings: ["-m", "--merge"]), OptionSpec(spellings: ["-d", "--detach"]),
        ], operands: [["main"], ["."], ["src/a.swift"], ["HEAD", "file"], ["-"]]),
        CommandSpec(head: ["git", "switch"], options: [
            OptionSpec(spellings: ["-c", "--create"], takesValue: true, values: ["fix", "feature"]),
            OptionSpec(spellings: ["-C", "--force-create"], takesValue: true, values: ["fix"]),
            OptionSpec(spellings: ["-f", "--force"]), OptionSpec(spellings: ["--discard-changes"], abbreviation: "--disc"),
            OptionSpec(spellings: ["-d", "--detach"]), OptionSpec(spellings: ["-q", "--quiet"]),
        ], operands: [["main"], ["-"], []]),
        CommandSpec(head: ["git", "branch"], options: [
            OptionSpec(spellings: ["-d", "--delete"]), OptionSpec(spellings: ["-f", "--force"]),
            OptionSpec(spellings: ["-m", "--move"]), OptionSpec(spellings: ["-r", "--remotes"]),
            OptionSpec(spellings: ["-a", "--all"]), OptionSpec(spellings: ["-v", "--verbose"]),
        ], operands: [["old"], ["a", "b"], []], combined: ["-D": ["-d", "-f"], "-M": ["-m", "-f"]]),
        CommandSpec(head: ["git", "reset"], options: [
            OptionSpec(spellings: ["--hard"], abbreviation: "--har"), OptionSpec(spellings: ["--soft"]),
            OptionSpec(spellings: ["-q", "--quiet"]), OptionSpec(spellings: ["--keep"]),
        ], operands: [["HEAD~1"], ["origin/main"], []]),
        CommandSpec(head: ["git", "clean"], options: [
            OptionSpec(spellings: ["-f", "--force"]), OptionSpec(spellings: ["-d"]), OptionSpec(spellings: ["-x"]),
            OptionSpec(spellings: ["-n", "--dry-run"]), OptionSpec(spellings: ["-q", "--quiet"]),
            OptionSpec(spellings: ["-e", "--exclude"], takesValue: true, values: ["tmp", "f"]),
        ], operands: [["."], ["build"], []]),
        CommandSpec(head: ["git", "commit"], options: [
            OptionSpec(spellings: ["-a", "--all"]), OptionSpec(spellings: ["--amend"], abbreviation: "--amen"),
            OptionSpec(spellings: ["-m", "--message"], takesValue: true, values: ["wip", "fix", "--amend", "-f"]),
            OptionSpec(spellings: ["-n", "--no-verify"]), OptionSpec(spellings: ["-q", "--quiet"]),
        ], operands: [[], ["file"]]),
        CommandSpec(head: ["git", "stash"], options: [OptionSpec(spellings: ["-q", "--quiet"])],
                    operands: [["drop"], ["clear"], ["pop"], ["list"], ["drop", "stash@{1}"]]),
        CommandSpec(head: ["frob"], options: [
            OptionSpec(spellings: ["-r"]), OptionSpec(spellings: ["-f"]), OptionSpec(spellings: ["--all"]),
        ], operands: [["x"], ["a", "b"]], known: false),
    ]

    /// What a command or rule means: the options in their first spelling (`-b=x` for a value),
    /// the operands in order, and where `--` ended the options.
    struct Meaning: Hashable {
        var head: [String]
        var options: Set<String>
        var operands: [String]
        var endOfOptions: Int?
    }

    /// A spelled command: its text and the normalisations its spelling used.
    struct Spelling {
        var words: [String]
        var normalisations: Set<String>
        /// The words before paths, quoting, git's global options and wrappers were added.
        var core: [String] = []
        var text: String { words.joined(separator: " ") }
    }

    static func randomMeaning(_ spec: CommandSpec, _ random: inout SplitMix) -> Meaning {
        var options: Set<String> = []
        for option in spec.options where Int.random(in: 0..<3, using: &random) == 0 {
            options.insert(option.takesValue ? option.canonical + "=" + option.values.randomElement(using: &random)! : option.canonical)
        }
        let operands = spec.operands.randomElement(using: &random)!
        var marker: Int? = nil
        if spec.known, Int.random(in: 0..<6, using: &random) == 0 { marker = Int.random(in: 0...operands.count, using: &random) }
        if operands.contains(where: { $0.hasPrefix("-") }) { marker = nil }
        return Meaning(head: spec.head, options: options, operands: operands, endOfOptions: marker)
    }

    /// A smaller meaning the rule may say: some of the options, a prefix of the operands.
    static func ruleMeaning(of meaning: Meaning, _ spec: CommandSpec, _ random: inout SplitMix, exact: Bool) -> Meaning {
        if exact { return meaning }
        var rule = meaning
        rule.options = Set(meaning.options.sorted().filter { _ in Bool.random(using: &random) })
        // Sometimes an option the command does not have.
        if Int.random(in: 0..<4, using: &random) == 0, let other = spec.options.randomElement(using: &random) {
            rule.options.insert(other.takesValue ? other.canonical + "=" + other.values[0] : other.canonical)
        }
        let keep = Int.random(in: 0...meaning.operands.count, using: &random)
        rule.operands = Array(meaning.operands.prefix(keep))
        if let marker = meaning.endOfOptions, marker <= keep, Bool.random(using: &random) {
            rule.endOfOptions = marker
        } else {
            rule.endOfOptions = nil
        }
        if rule.operands.isEmpty, rule.options.isEmpty, rule.endOfOptions == nil, Bool.random(using: &random) {
            rule.operands = ["main"]
        }
        return rule
    }

    /// Whether the meaning of a rule is said by the meaning of a command: same command, the
    /// rule's options among the command's, its operands first; `--` counts only when the rule
    /// has one. An exact rule must have everything.
    static func says(_ rule: Meaning, _ command: Meaning, exact: Bool) -> Bool {
        guard rule.head == command.head else { return false }
        var operands = command.operands
        var ruleOperands = rule.operands
        if let marker = rule.endOfOptions {
            guard command.endOfOptions == marker else { return false }
            ruleOperands.insert("--", at: marker)
            operands.insert("--", at: marker)
        }
        if exact { return rule.options == command.options && ruleOperands == operands }
        guard rule.options.isSubset(of: command.options), operands.count >= ruleOperands.count else { return false }
        // As Claude Code reads a prefix: a last word ending in punctuation (`/`) continues.
        for (index, word) in ruleOperands.enumerated() where operands[index] != word {
            guard index == ruleOperands.count - 1, let last = word.last, !(last.isLetter || last.isNumber || last == "-"),
                operands[index].hasPrefix(word)
            else { return false }
        }
        return true
    }

    /// One spelling of a meaning. `plain` spells it the way the rule families are written:
    /// options first, one word each, as given.
    static func spell(_ meaning: Meaning, _ spec: CommandSpec, _ random: inout SplitMix, plain: Bool) -> Spelling {
        var used: Set<String> = []
        func chance(_ n: Int) -> Bool { !plain && Int.random(in: 0..<n, using: &random) == 0 }
        var pieces: [[String]] = []  // each option's words
        var options = meaning.options.sorted()
        for (spelling, parts) in spec.combined.sorted(by: { $0.key < $1.key }) where parts.allSatisfy(options.contains) && chance(2) {
            options.removeAll { parts.contains($0) }
            pieces.append([spelling])
            used.insert("implied options")
        }
        var clusterable: [String] = []
        for entry in options {
            let name = entry.split(separator: "=", maxSplits: 1).first.map(String.init) ?? entry
            let value = entry.contains("=") ? String(entry.split(separator: "=", maxSplits: 1)[1]) : nil
            let option = spec.options.first { $0.canonical == name }!
            var spelling = name
            if option.spellings.count > 1, chance(2) {
                spelling = option.spellings.filter { $0 != name }.randomElement(using: &random)!
                used.insert("long/short twins")
            }
            if spelling.hasPrefix("--"), let abbreviation = option.abbreviation, spelling == option.longSpelling, chance(4) {
                spelling = abbreviation
                used.insert("abbreviations")
            }
            if let value {
                if spelling.hasPrefix("--"), chance(2) {
                    pieces.append([spelling + "=" + value])
                    used.insert("attached values")
                } else if !spelling.hasPrefix("--"), chance(2) {
                    pieces.append([spelling + value])
                    used.insert("attached values")
                } else {
                    pieces.append([spelling, value])
                }
            } else if !spelling.hasPrefix("--"), spec.known {
                clusterable.append(spelling)
            } else {
                pieces.append([spelling])
            }
        }
        // Clustering: no-value short options joined in one word.
        while !clusterable.isEmpty {
            if clusterable.count > 1, chance(2) {
                let count = Int.random(in: 2...clusterable.count, using: &random)
                pieces.append(["-" + clusterable.prefix(count).map { String($0.dropFirst()) }.joined()])
                clusterable.removeFirst(count)
                used.insert("clustering")
            } else {
                pieces.append([clusterable.removeFirst()])
            }
        }
        if spec.known, pieces.count > 1, chance(2) {
            pieces.shuffle(using: &random)
            used.insert("option order")
        } else if plain {
            pieces.sort { $0[0] < $1[0] }
        }
        var operandWords = meaning.operands
        if let marker = meaning.endOfOptions { operandWords.insert("--", at: marker) }
        var words = spec.head
        // Options after operands, before any `--` (GNU and git permute).
        let splitAt = meaning.endOfOptions ?? operandWords.count
        if spec.known, spec.permutes, splitAt > 0, !pieces.isEmpty, chance(3) {
            let at = Int.random(in: 1...splitAt, using: &random)
            words += Array(operandWords.prefix(at)) + pieces.flatMap { $0 } + Array(operandWords.dropFirst(at))
            used.insert("option order")
        } else {
            words += pieces.flatMap { $0 } + operandWords
        }
        // git push +ref: a forced ref.
        if spec.head == ["git", "push"], meaning.options.contains("-f"), meaning.operands.count == 2,
            meaning.endOfOptions == nil, chance(3), let force = words.firstIndex(where: { $0 == "-f" || $0 == "--force" })
        {
            words.remove(at: force)
            if let ref = words.lastIndex(of: meaning.operands[1]) {
                words[ref] = "+" + words[ref]
                used.insert("git push refspecs")
            } else {
                words.insert("-f", at: force)
            }
        }
        let core = words
        if spec.head.first == "git", chance(5) {
            words.insert(contentsOf: [["-C", "repo"], ["--no-pager"], ["-c", "core.pager=cat"]].randomElement(using: &random)!, at: 1)
            used.insert("git global options")
        }
        if chance(6) {
            words[0] = "/usr/bin/" + words[0]
            used.insert("paths")
        }
        if chance(6) {
            let index = Int.random(in: 1..<words.count + 1, using: &random) - 1
            if !words[index].contains("'"), !words[index].contains("{") {
                words[index] = "'" + words[index] + "'"
                used.insert("quoting")
            }
        }
        if chance(5) {
            words.insert(contentsOf: [["sudo"], ["env", "A=1"], ["timeout", "5"], ["nice", "-n", "5"], ["command"]].randomElement(using: &random)!, at: 0)
            used.insert("wrappers")
        }
        return Spelling(words: words, normalisations: used, core: core)
    }

    /// The rule text of a meaning: a prefix rule in one of its two forms, or an exact rule.
    static func ruleText(_ spelling: Spelling, exact: Bool, _ random: inout SplitMix) -> String {
        exact ? spelling.text : spelling.text + (Bool.random(using: &random) ? ":*" : " *")
    }
}

@Suite struct FidelityTests {
    struct Tally {
        var pairs = 0
        var literal = 0
        var extra: [String: Int] = [:]
        var failures: [String] = []
        mutating func fail(_ text: String) { if failures.count < 25 { failures.append(text) } }
    }

    static func denies(_ engine: PolicyEngine, _ command: String) -> Bool {
        engine.decide(ToolCall(toolName: "Bash", input: .object(["command": .string(command)]), workingDirectory: "/w")).verdict == .deny
    }

    @Test func generatedCommandsKeepTheFidelityProperty() throws {
        var random = SplitMix(state: 15)
        var tally = Tally()
        for round in 0..<700 {
            let spec = Model.commands[round % Model.commands.count]
            let meaning = Model.randomMeaning(spec, &random)
            // Rules: three about this command, some exact.
            var rules: [(text: String, meaning: Model.Meaning, exact: Bool, spelling: Model.Spelling)] = []
            for index in 0..<3 {
                let exact = index == 2 && Bool.random(using: &random)
                let ruleMeaning = Model.ruleMeaning(of: meaning, spec, &random, exact: exact)
                guard !(ruleMeaning.options.isEmpty && ruleMeaning.operands.isEmpty && ruleMeaning.endOfOptions == nil) else { continue }
                let spelling = Model.spell(ruleMeaning, spec, &random, plain: Int.random(in: 0..<3, using: &random) != 0)
                guard !spelling.normalisations.contains("wrappers"), !spelling.normalisations.contains("quoting"),
                    !spelling.normalisations.contains("paths")
                else { continue }
                rules.append((Model.ruleText(spelling, exact: exact, &random), ruleMeaning, exact, spelling))
            }
            let engines = try rules.map { rule in
                PolicyEngine(policy: try Policy(deny: ["Bash(\(rule.text))"]), home: "/home/u")
            }
            for _ in 0..<4 {
                let spelling = Model.spell(meaning, spec, &random, plain: false)
                // Claude Code sees the text; a quoted word is a different text.
                let command = spelling.text
                for (rule, engine) in zip(rules, engines) {
                    tally.pairs += 1
                    let literal = ClaudeCodeMatcher.matches(rule: rule.text, command: command)
                    let warden = Self.denies(engine, command)
                    // Without a table, what a rule says is its text, once the shell's spelling
                    // (wrappers, paths, quoting) is set aside.
                    let said = spec.known
                        ? Model.says(rule.meaning, meaning, exact: rule.exact)
                        : ClaudeCodeMatcher.matches(rule: rule.text, command: spelling.core.joined(separator: " "))
                    if literal { tally.literal += 1 }
                    if literal && !warden {
                        tally.fail("Claude Code matches, Warden does not: Bash(\(rule.text)) vs \(command)")
                    }
                    if warden && !literal {
                        let names = spelling.normalisations.union(rule.spelling.normalisations)
                        if !said {
                            tally.fail("extra match not said by the rule: Bash(\(rule.text)) vs \(command)")
                        } else {
                            // Spelled alike, the rule's options are among the command's others, or
                            // the command's `--` is one the rule does not mention.
                            let implicit = meaning.endOfOptions != nil && rule.meaning.endOfOptions == nil ? "end of options" : "option order"
                            for name in names.isEmpty ? [implicit] : names.sorted() { tally.extra[name, default: 0] += 1 }
                        }
                    }
                    if said && !warden {
                        tally.fail("a spelling of what the rule says is missed: Bash(\(rule.text)) vs \(command)")
                    }
                }
            }
        }
        #expect(tally.pairs > 5000)
        #expect(tally.literal > 200)
        #expect(tally.extra.values.reduce(0, +) > 500)
        #expect(tally.failures.isEmpty, "\(tally.failures.joined(separator: "\n"))")
        print("fidelity: \(tally.pairs) pairs, \(tally.literal) literal matches, extra matches by normalisation: \(tally.extra.sorted { $0.key < $1.key })")
    }

    @Test func referenceMatcherFollowsClaudeCodesDocumentation() {
        #expect(ClaudeCodeMatcher.matches(rule: "npm run build", command: "npm run build"))
        #expect(!ClaudeCodeMatcher.matches(rule: "npm run build", command: "npm run build --watch"))
        #expect(ClaudeCodeMatcher.matches(rule: "git push:*", command: "git push origin"))
        #expect(!ClaudeCodeMatcher.matches(rule: "git push:*", command: "git push-docs"))
        #expect(ClaudeCodeMatcher.matches(rule: "ls *", command: "ls"))
        #expect(!ClaudeCodeMatcher.matches(rule: "ls *", command: "lsof"))
        #expect(ClaudeCodeMatcher.matches(rule: "ls*", command: "lsof"))
        #expect(ClaudeCodeMatcher.matches(rule: "git * main", command: "git push origin main"))
        #expect(ClaudeCodeMatcher.matches(rule: "curl http://site.com/:*", command: "curl http://site.com/x"))
        #expect(!ClaudeCodeMatcher.matches(rule: "git checkout --:*", command: "git checkout --force"))
    }

    /// The shell corpus of the benchmarks, when present (it is not part of the repository): every
    /// line against rules built from its own first words; Claude Code's literal matches are all
    /// Warden's too.
    @Test func shellCorpusKeepsTheLiteralHalf() throws {
        let path = ProcessInfo.processInfo.environment["WARDEN_SHELL_CORPUS"] ?? "/work/shared/benchmarks/shell-commands.txt"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return }
        var misses: [String] = []
        var literal = 0
        var engines: [String: PolicyEngine] = [:]
        for line in text.split(separator: "\n").prefix(3000) {
            let command = String(line)
            // Only single simple commands: Claude Code splits compound commands its own way.
            guard !command.contains(where: { "|&;<>()`$\\\"'\n#".contains($0) }) else { continue }
            let words = command.split(separator: " ").map(String.init)
            guard words.count >= 2 else { continue }
            for rule in [words[0] + ":*", words.prefix(2).joined(separator: " ") + " *", command] {
                let engine: PolicyEngine
                if let cached = engines[rule] { engine = cached } else {
                    guard let policy = try? Policy(deny: ["Bash(\(rule))"]) else { continue }
                    engine = PolicyEngine(policy: policy, home: "/home/u")
                    engines[rule] = engine
                }
                guard ClaudeCodeMatcher.matches(rule: rule, command: command) else { continue }
                literal += 1
                if !Self.denies(engine, command) { misses.append("Bash(\(rule)) vs \(command)") }
            }
        }
        #expect(literal > 100)
        #expect(misses.isEmpty, "\(misses.prefix(20).joined(separator: "\n"))")
    }
}
