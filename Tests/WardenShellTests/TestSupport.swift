import Testing
@testable import WardenShell

/// The environment every test runs in unless it says otherwise.
let testEnvironment = ShellEnvironment(workingDirectory: "/cwd", home: "/home/u", variables: ["USER": "u"])

func analyze(_ script: String, in environment: ShellEnvironment = testEnvironment) throws -> ShellAnalysis {
    try ShellAnalyzer.analyze(script, in: environment)
}

extension ShellAnalysis {
    /// Command names in order; `?` for a computed name.
    var names: [String] { invocations.map { $0.name ?? "?" } }

    func first(named name: String) -> CommandInvocation? {
        invocations.first { $0.name == name }
    }

    func last(named name: String) -> CommandInvocation? {
        invocations.last { $0.name == name }
    }

    /// All file accesses of all invocations, as `r path` / `w path`.
    var accessSummary: [String] {
        invocations.flatMap { $0.fileAccesses.map(\.summary) }
    }
}

extension FileAccess {
    var summary: String { (mode == .read ? "r " : "w ") + path.text }
}

extension CommandInvocation {
    var texts: [String] { words.map(\.text) }
}

/// A script and what is expected of it, shown by its script in test results.
struct Case<Expected: Sendable>: Sendable, CustomTestStringConvertible {
    let script: String
    let expected: Expected

    init(_ script: String, _ expected: Expected) {
        self.script = script
        self.expected = expected
    }

    var testDescription: String { script.debugDescription }
}
