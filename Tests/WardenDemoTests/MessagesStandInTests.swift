import AsyncHTTPClient
import Foundation
import NIOCore
import Testing
import WardenDemo
import WardenJSON

/// The stand-in on a real loopback socket, spoken to over HTTP as the CLI speaks to it.
@Suite("Messages API stand-in")
struct MessagesStandInTests {
    static let script = StandInScript([
        StandInTurn(text: "Looking.", toolUses: [
            StandInToolUse(name: "Bash", input: .object(["command": .string("ls")])),
        ]),
        StandInTurn(text: "done"),
    ])

    static let tools = JSONValue.array([.object(["name": .string("Bash")])])

    func post(_ standIn: MessagesStandIn, _ path: String, _ body: JSONValue) async throws -> (status: Int, contentType: String, text: String) {
        var request = HTTPClientRequest(url: standIn.baseURL + path)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: body.serialized))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), response.headers.first(name: "content-type") ?? "", String(buffer: bytes))
    }

    func messages(_ items: [JSONValue], stream: Bool = false, tools: JSONValue? = Self.tools) -> JSONValue {
        var members = [JSONMember(key: "model", value: .string("claude-x")), JSONMember(key: "messages", value: .array(items))]
        if let tools { members.append(JSONMember(key: "tools", value: tools)) }
        if stream { members.append(JSONMember(key: "stream", value: .bool(true))) }
        return .object(members)
    }

    static let user = JSONValue.object(["role": .string("user"), "content": .string("hi")])

    @Test("serves the script in order, derived from the conversation, and labels itself")
    func servesTheScript() async throws {
        let standIn = try await MessagesStandIn.start(script: Self.script)
        defer { Task { await standIn.stop() } }
        #expect(standIn.port > 0)

        let first = try await post(standIn, "/v1/messages?beta=true", messages([Self.user]))
        #expect(first.status == 200)
        let answer = try JSONValue.parse(first.text)
        #expect(answer["model"]?.string == StandInScript.model)
        #expect(answer["stop_reason"]?.string == "tool_use")
        let blocks = try #require(answer["content"]?.array)
        #expect(blocks.first?["text"]?.string == StandInScript.label + " Looking.")
        let use = try #require(blocks.last)
        #expect(use["type"]?.string == "tool_use")
        #expect(use["input"]?["command"]?.string == "ls")
        let id = try #require(use["id"]?.string)

        // A retry of the same conversation gets turn 0 again; the conversation with the tool
        // result gets turn 1.
        let retry = try JSONValue.parse(try await post(standIn, "/v1/messages", messages([Self.user])).text)
        #expect(retry["stop_reason"]?.string == "tool_use")
        let result = JSONValue.object(["role": .string("user"), "content": .array([
            .object(["type": .string("tool_result"), "tool_use_id": .string(id), "content": .string("a.txt"), "is_error": .bool(false)]),
        ])])
        let assistant = JSONValue.object(["role": .string("assistant"), "content": .array(blocks)])
        let second = try JSONValue.parse(try await post(standIn, "/v1/messages", messages([Self.user, assistant, result])).text)
        #expect(second["stop_reason"]?.string == "end_turn")
        #expect(second["content"]?.array?.first?["text"]?.string == StandInScript.label + " done")

        // A side request (no tools) neither advances nor consumes the script.
        let side = try JSONValue.parse(try await post(standIn, "/v1/messages", messages([Self.user], tools: nil)).text)
        #expect(side["content"]?.array?.first?["text"]?.string == StandInScript.sideText)

        let kinds = standIn.requests.map(\.kind)
        #expect(kinds == [.main, .main, .main, .side])
        #expect(standIn.requests.compactMap(\.turn) == [0, 0, 1])

        // What the model saw of the call.
        let exchanges = ToolExchange.all(in: standIn.requests)
        #expect(exchanges.count == 1)
        #expect(exchanges.first?.name == "Bash")
        #expect(exchanges.first?.text == "a.txt")
        #expect(exchanges.first?.isError == false)
    }

    @Test("answers `stream: true` with the event stream of the same message")
    func streams() async throws {
        let standIn = try await MessagesStandIn.start(script: Self.script)
        defer { Task { await standIn.stop() } }
        let answer = try await post(standIn, "/v1/messages", messages([Self.user], stream: true))
        #expect(answer.status == 200)
        #expect(answer.contentType == "text/event-stream")
        let events = answer.text.components(separatedBy: "\n\n").filter { !$0.isEmpty }
        let names = events.compactMap { $0.split(separator: "\n").first.map { String($0.dropFirst("event: ".count)) } }
        #expect(names.first == "message_start")
        #expect(names.last == "message_stop")
        #expect(names.contains("content_block_delta"))
        // The tool input arrives as partial JSON that joins into the scripted input.
        var partial = ""
        var text = ""
        for event in events {
            guard let data = event.split(separator: "\n").last?.dropFirst("data: ".count) else { continue }
            let value = try JSONValue.parse(String(data))
            if let piece = value["delta"]?["partial_json"]?.string { partial += piece }
            if let piece = value["delta"]?["text"]?.string { text += piece }
        }
        #expect(try JSONValue.parse(partial)["command"]?.string == "ls")
        #expect(text == StandInScript.label + " Looking.")
        #expect(answer.text.contains("\"stop_reason\":\"tool_use\""))
    }

    @Test("count_tokens, unknown routes and bodies that are not JSON")
    func otherRoutes() async throws {
        let standIn = try await MessagesStandIn.start(script: Self.script)
        defer { Task { await standIn.stop() } }
        let count = try await post(standIn, "/v1/messages/count_tokens", messages([Self.user]))
        #expect(count.status == 200)
        #expect((try JSONValue.parse(count.text)["input_tokens"]?.integer ?? 0) > 0)
        let missing = try await post(standIn, "/v1/models", .object([:]))
        #expect(missing.status == 404)
        #expect(missing.text.contains("stand-in"))
        let bad = try await post(standIn, "/v1/messages", .string("not an object"))
        #expect(bad.status == 400)
        #expect(standIn.requests.map(\.kind) == [.countTokens, .other, .other])
    }

    @Test("past the end of the script: a labelled closing text")
    func exhausted() {
        let script = StandInScript([])
        let content = script.content(ofTurn: 0) { "id" }
        #expect(content.stopReason == "end_turn")
        #expect(content.blocks == [.text(StandInScript.exhaustedText)])
        #expect(StandInScript.exhaustedText.hasPrefix(StandInScript.label))
    }
}
