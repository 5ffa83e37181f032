import Testing
import WardenJSON
import WardenPolicy
import WardenRedact
import WardenDetect
@testable import WardenHooks

/// PostToolUse and UserPromptSubmit against Claude Code's contract: a rewritten tool output has
/// exactly the shape of `tool_response`; a blocked prompt names kinds, never values.
@Suite struct DetectionHookTests {
    static let awsKey = "AKIA" + "Z7QRSTUVWXY23456"
    static let email = "ada.lovelace" + "@" + "analytical.co.uk"
    static let card = "4111 1111" + " 1111 1111"
    static let ssn = "078-05" + "-1120"

    let responder = HookResponder(policy: .success(try! Policy(deny: ["Bash(curl:*)"])), home: "/home/dev")

    func responder(policy text: String) throws -> HookResponder {
        HookResponder(policy: .success(try Policy.parse(text: text, path: "/etc/claude-code/managed-settings.json")), home: "/home/dev")
    }

    func postToolUse(tool: String = "Bash", response: JSONValue) -> [UInt8] {
        Array(JSONValue.object([
            "session_id": .string("s-1"), "transcript_path": .string("/tmp/t.jsonl"), "cwd": .string("/work/p"),
            "permission_mode": .string("default"), "hook_event_name": .string("PostToolUse"),
            "tool_name": .string(tool), "tool_input": .object([:]), "tool_response": response,
            "tool_use_id": .string("toolu_1"),
        ]).serialized.utf8)
    }

    func prompt(_ text: String) -> [UInt8] {
        Array(JSONValue.object([
            "session_id": .string("s-1"), "cwd": .string("/work/p"), "hook_event_name": .string("UserPromptSubmit"),
            "prompt": .string(text),
        ]).serialized.utf8)
    }

    /// The `hookSpecificOutput` of an answer, checked for the PostToolUse frame.
    func rewritten(_ answer: HookAnswer, key: String = "updatedToolOutput") throws -> JSONValue {
        #expect(answer.exitStatus == 0)
        let output = try JSONValue.parse(answer.stdout)
        let specific = try #require(output["hookSpecificOutput"])
        #expect(specific["hookEventName"]?.string == "PostToolUse")
        return try #require(specific[key])
    }

    /// The names and types of `value`'s members, recursively: what Claude Code compares.
    func shape(_ value: JSONValue) -> String {
        switch value.kind {
        case .object(let members): "{" + members.map { "\($0.key):\(shape($0.value))" }.joined(separator: ",") + "}"
        case .array(let elements): "[" + elements.map(shape).joined(separator: ",") + "]"
        default: value.typeName
        }
    }

    @Test func bashOutputIsRedactedInTheSameShape() throws {
        let response = JSONValue.object([
            "stdout": .string("name,email\nAda,\(Self.email)\n"), "stderr": .string(""),
            "interrupted": .bool(false), "isImage": .bool(false),
        ])
        let answer = responder.answer(event: postToolUse(response: response))
        let updated = try rewritten(answer)
        #expect(shape(updated) == shape(response))
        #expect(updated["stdout"]?.string == "name,email\nAda,[REDACTED:EMAIL]\n")
        #expect(!answer.stdout.contains(Self.email))
        #expect(answer.summary.decision == .redact)
        #expect(answer.summary.redactions == ["EMAIL": 1])
    }

    @Test func readOutputIsRedactedInTheSameShape() throws {
        let response = JSONValue.object([
            "type": .string("text"),
            "file": .object([
                "filePath": .string("/work/p/config.ini"), "content": .string("[aws]\nkey = \(Self.awsKey)\n"),
                "numLines": .number(3), "startLine": .number(1), "totalLines": .number(3),
            ]),
        ])
        let updated = try rewritten(responder.answer(event: postToolUse(tool: "Read", response: response)))
        #expect(shape(updated) == shape(response))
        #expect(updated["file"]?["content"]?.string == "[aws]\nkey = [REDACTED:AWS_ACCESS_KEY_ID]\n")
        #expect(updated["file"]?["numLines"]?.integer == 3)
    }

    @Test func grepAndWebFetchOutputsAreRedacted() throws {
        let grep = JSONValue.object([
            "mode": .string("content"), "numFiles": .number(1), "filenames": .array([.string("users.txt")]),
            "content": .string("users.txt:3:\(Self.email)"), "numLines": .number(1),
        ])
        #expect(try rewritten(responder.answer(event: postToolUse(tool: "Grep", response: grep)))["content"]?.string
            == "users.txt:3:[REDACTED:EMAIL]")
        let fetch = JSONValue.object([
            "bytes": .number(120), "code": .number(200), "codeText": .string("OK"),
            "result": .string("Contact \(Self.email)"), "durationMs": .number(80), "url": .string("https://example.com/"),
        ])
        #expect(try rewritten(responder.answer(event: postToolUse(tool: "WebFetch", response: fetch)))["result"]?.string
            == "Contact [REDACTED:EMAIL]")
    }

    @Test func everydayAddressesStayInToolOutputByDefaultOthersAreRedacted() throws {
        let response = JSONValue.object(["stdout": .string("bound 127.0.0.1:8080 and ::1, peer 10.20.30.40"), "stderr": .string("")])
        let updated = try rewritten(responder.answer(event: postToolUse(response: response)))
        #expect(updated["stdout"]?.string == "bound 127.0.0.1:8080 and ::1, peer [REDACTED:IP_ADDRESS]")
    }

    @Test func allowValuesReplacesTheDefaultList() throws {
        let strict = try responder(policy: #"{"warden":{"detection":{"allowValues":["10.20.30.40"]}}}"#)
        let response = JSONValue.object(["stdout": .string("bound 127.0.0.1:8080, peer 10.20.30.40"), "stderr": .string("")])
        let updated = try rewritten(strict.answer(event: postToolUse(response: response)))
        #expect(updated["stdout"]?.string == "bound [REDACTED:IP_ADDRESS]:8080, peer 10.20.30.40")
        let card = try responder(policy: #"{"warden":{"detection":{"allowValues":["4111 1111 1111 1111"]}}}"#)
        #expect(card.answer(event: prompt("test card \(Self.card)")).stdout.isEmpty)
        #expect(!responder.answer(event: prompt("test card \(Self.card)")).stdout.isEmpty)
    }

    @Test func mcpToolsAnswerUnderTheirOwnKey() throws {
        let response = JSONValue.array([.object(["type": .string("text"), "text": .string("owner: \(Self.email)")])])
        let updated = try rewritten(
            responder.answer(event: postToolUse(tool: "mcp__crm__lookup", response: response)), key: "updatedMCPToolOutput")
        #expect(updated.serialized == #"[{"type":"text","text":"owner: [REDACTED:EMAIL]"}]"#)
    }

    @Test func nothingFoundMeansNoAnswerAtAll() {
        let response = JSONValue.object([
            "stdout": .string("Swift version 6.3.1\nabc123de 4f6cde8 123e4567-e89b-12d3-a456-426614174000\n"),
            "stderr": .string(""), "interrupted": .bool(false),
        ])
        #expect(responder.answer(event: postToolUse(response: response)) == .noDecision)
    }

    @Test func aPlainStringResponseStaysAString() throws {
        let updated = try rewritten(responder.answer(event: postToolUse(tool: "Task", response: .string("mail \(Self.email)"))))
        #expect(updated.string == "mail [REDACTED:EMAIL]")
    }

    @Test func kindsThePolicyAllowsPassAndBlockedKindsWithholdTheText() throws {
        let policy = try responder(policy: #"""
            {"warden": {"detection": {"toolOutput": {"pii": "allow", "secret": "block"}}}}
            """#)
        #expect(policy.answer(event: postToolUse(response: .object(["stdout": .string(Self.email)]))) == .noDecision)
        let answer = policy.answer(event: postToolUse(response: .object(["stdout": .string("k=\(Self.awsKey)"), "stderr": .string("")])))
        let updated = try rewritten(answer)
        #expect(updated["stdout"]?.string == "[WITHHELD by Warden: this output contains AWS_ACCESS_KEY_ID]")
        #expect(updated["stderr"]?.string == "")
        #expect(answer.summary.decision == .block)
    }

    @Test func pseudonymsComeBackInTheAnswerForTheNextCall() throws {
        let text = #"{"warden": {"detection": {"style": "pseudonym"}}}"#
        let book = PseudonymBook(fingerprint: { Array($0.reversed()) })
        var responder = HookResponder(
            policy: .success(try Policy.parse(text: text, path: nil)), home: nil, pseudonyms: book)
        let first = responder.answer(event: postToolUse(response: .object(["stdout": .string("a \(Self.email)")])))
        #expect(try rewritten(first)["stdout"]?.string == "a <EMAIL_1>")
        responder.pseudonyms = first.pseudonyms
        let other = "grace" + "@" + "navy-cobol.org"
        let second = responder.answer(event: postToolUse(response: .object(["stdout": .string("\(other) \(Self.email)")])))
        #expect(try rewritten(second)["stdout"]?.string == "<EMAIL_2> <EMAIL_1>")
    }

    @Test func anUnusablePolicyStillRedactsEverything() throws {
        let broken = HookResponder(policy: .failure(.unreadable(path: "/etc/p.json", reason: "cannot open")), home: nil)
        let updated = try rewritten(broken.answer(event: postToolUse(response: .object(["stdout": .string(Self.email)]))))
        #expect(updated["stdout"]?.string == "[REDACTED:EMAIL]")
    }

    @Test func aPostToolUseEventWithoutAResponseIsBlocked() {
        let event = Array(#"{"hook_event_name":"PostToolUse","tool_name":"Bash","cwd":"/w"}"#.utf8)
        let answer = responder.answer(event: event)
        #expect(answer.exitStatus == 2)
        #expect(answer.stderr.contains("has no \"tool_response\""))
    }

    @Test func aPromptWithASecretIsBlockedNamingTheKindOnly() throws {
        let answer = responder.answer(event: prompt("deploy with key \(Self.awsKey) please"))
        #expect(answer.exitStatus == 0)
        let output = try JSONValue.parse(answer.stdout)
        #expect(output["decision"]?.string == "block")
        let reason = try #require(output["reason"]?.string)
        #expect(reason.contains("AWS_ACCESS_KEY_ID"))
        #expect(!answer.stdout.contains(Self.awsKey) && !answer.stderr.contains(Self.awsKey))
        #expect(answer.summary.decision == .block)
    }

    @Test func cardsAndSSNsBlockAPromptButEmailsDoNotByDefault() throws {
        #expect(responder.answer(event: prompt("write to \(Self.email)")) == .noDecision)
        #expect(try JSONValue.parse(responder.answer(event: prompt("charge \(Self.card)")).stdout)["decision"]?.string == "block")
        #expect(try JSONValue.parse(responder.answer(event: prompt("ssn \(Self.ssn)")).stdout)["decision"]?.string == "block")
    }

    @Test func thePolicyDecidesWhichPersonalDataBlocksAPrompt() throws {
        let strict = try responder(policy: #"{"warden": {"detection": {"prompts": {"pii": "block"}}}}"#)
        #expect(try JSONValue.parse(strict.answer(event: prompt("write to \(Self.email)")).stdout)["decision"]?.string == "block")
        let lax = try responder(policy: #"{"warden": {"detection": {"prompts": {"secret": "allow"}}}}"#)
        #expect(lax.answer(event: prompt("key \(Self.awsKey)")) == .noDecision)
    }
}

@Suite struct DetectionSettingsTests {
    func problems(_ text: String) -> [String] {
        Policy.load(text: text, path: "p.json").problems.map { "\($0.position): \($0.message)" }
    }

    @Test func defaultsRedactEverythingFromToolOutput() throws {
        let policy = try Policy(deny: [])
        #expect(policy.detection == .defaults)
        #expect(policy.detection.toolOutput.kindsToScan().count == Detector.catalogue.count)
    }

    @Test func kindsOverrideTheirCategory() throws {
        let policy = try Policy.parse(text: #"{"warden":{"detection":{"toolOutput":{"pii":"allow","EMAIL":"redact"}}}}"#, path: nil)
        #expect(policy.detection.toolOutput.kindsToScan().filter { $0.category == .pii }.map(\.name) == ["EMAIL"])
    }

    @Test func mistakesAreReportedWithTheirPosition() {
        #expect(problems(#"{"warden":{"detection":{"toolOutput":{"EMAL":"redact"}}}}"#)
            == [#"1:39: detection.toolOutput: unknown kind "EMAL"; use "secret", "pii" or a kind `warden scan --list-kinds` prints"#])
        #expect(problems(#"{"warden":{"detection":{"prompts":{"secret":"redact"}}}}"#)
            == [#"1:45: detection.prompts.secret must be one of "block", "allow""#])
        #expect(problems(#"{"warden":{"detection":{"style":"hash"}}}"#)
            == [#"1:33: detection.style must be "placeholder" or "pseudonym""#])
        #expect(problems(#"{"warden":{"detection":{"logs":{}}}}"#)
            == [#"1:25: unknown detection setting "logs" (known: style, toolOutput, prompts, commits, allowValues)"#])
        #expect(problems(#"{"warden":{"detection":{"allowValues":"127.0.0.1"}}}"#)
            == [#"1:39: detection.allowValues must be an array of strings, found string"#])
        #expect(problems(#"{"warden":{"detection":{"allowValues":["::1", 7, ""]}}}"#)
            == [#"1:47: detection.allowValues entries must be non-empty strings, found number"#,
                #"1:50: detection.allowValues entries must be non-empty strings, found string"#])
    }
}
