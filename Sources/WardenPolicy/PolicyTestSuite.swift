public import WardenJSON

/// A security team's regression suite for its own rules: tool calls with the decision each must
/// get. The file format (documented in the README, "Policy test files"):
///
///     {"cwd": "/work/project", "home": "/home/dev",
///      "cases": [
///        {"name": "no env files", "tool": "Bash", "command": "cat .env", "expect": "deny"},
///        {"tool": "Read", "path": "~/.ssh/id_rsa", "expect": "deny"},
///        {"tool": "WebFetch", "url": "https://example.com", "expect": "none"},
///        {"tool": "mcp__github__create_issue", "input": {}, "expect": "allow", "cwd": "/elsewhere"}]}
public struct PolicyTestSuite: Sendable {
    public struct Case: Sendable {
        public var name: String
        public var call: ToolCall
        public var expected: Verdict
        /// Where the case is written, for reports.
        public var position: JSONPosition
    }

    public struct Outcome: Sendable {
        public var testCase: Case
        public var decision: Decision
        public var passed: Bool { decision.verdict == testCase.expected }
    }

    public var cases: [Case]
    public var home: String?

    /// Reads a suite; every problem is reported with its position, and any problem means no suite.
    public static func parse(_ text: String) -> Result<PolicyTestSuite, PolicyLoadError> {
        let json: JSONValue
        do throws(JSONSyntaxError) {
            json = try JSONValue.parse(text)
        } catch {
            return .failure(PolicyLoadError(path: nil, problems: [PolicyProblem(severity: .error, position: error.position, message: "not valid JSON: \(error.message)")]))
        }
        var problems: [PolicyProblem] = []
        func problem(_ message: String, _ position: JSONPosition) {
            problems.append(PolicyProblem(severity: .error, position: position, message: message))
        }
        guard json.members != nil else {
            problem("a test file is a JSON object with a \"cases\" array", json.position)
            return .failure(PolicyLoadError(path: nil, problems: problems))
        }
        for member in json.members ?? [] where !["cwd", "home", "cases", "policy", "$comment"].contains(member.key) {
            problem("unknown key \(JSONValue.quoted(member.key)) (known: cases, cwd, home, $comment)", member.keyPosition)
        }
        let defaultDirectory = json["cwd"]?.string ?? "/work/project"
        let home = json["home"]?.string ?? "/home/dev"
        var cases: [Case] = []
        guard let entries = json["cases"]?.array else {
            problem("\"cases\" must be an array of test cases", json["cases"]?.position ?? json.position)
            return .failure(PolicyLoadError(path: nil, problems: problems))
        }
        for (index, entry) in entries.enumerated() {
            guard entry.members != nil else {
                problem("a case must be an object", entry.position)
                continue
            }
            for member in entry.members ?? [] where !caseKeys.contains(member.key) {
                problem("unknown key \(JSONValue.quoted(member.key)) in a case (known: \(caseKeys.sorted().joined(separator: ", ")))", member.keyPosition)
            }
            guard let tool = entry["tool"]?.string, !tool.isEmpty else {
                problem("a case needs a \"tool\" name", entry.position)
                continue
            }
            guard let expectText = entry["expect"]?.string, let expected = Verdict(rawValue: expectText) else {
                problem("\"expect\" must be one of deny, ask, allow, none", entry["expect"]?.position ?? entry.position)
                continue
            }
            var input = entry["input"] ?? .object([])
            guard var members = input.members else {
                problem("\"input\" must be an object", input.position)
                continue
            }
            // Shorthands for the common tools.
            if let command = entry["command"] { members.append(JSONMember(key: "command", value: command)) }
            if let path = entry["path"] {
                members.append(JSONMember(key: tool == "NotebookEdit" ? "notebook_path" : (["Grep", "Glob", "LS"].contains(tool) ? "path" : "file_path"), value: path))
            }
            if let url = entry["url"] { members.append(JSONMember(key: "url", value: url)) }
            input = .object(members)
            let name = entry["name"]?.string ?? "case \(index + 1)"
            let call = ToolCall(
                toolName: tool, input: input, workingDirectory: entry["cwd"]?.string ?? defaultDirectory,
                permissionMode: entry["permission_mode"]?.string)
            cases.append(Case(name: name, call: call, expected: expected, position: entry.position))
        }
        guard problems.isEmpty else { return .failure(PolicyLoadError(path: nil, problems: problems)) }
        return .success(PolicyTestSuite(cases: cases, home: home))
    }

    private static let caseKeys: Set<String> = ["name", "tool", "input", "command", "path", "url", "expect", "cwd", "permission_mode"]

    public func run(against policy: Policy, fileSystem: any FileSystemView = NoFileSystem()) -> [Outcome] {
        let engine = PolicyEngine(policy: policy, home: home, fileSystem: fileSystem)
        return cases.map { Outcome(testCase: $0, decision: engine.decide($0.call)) }
    }
}
