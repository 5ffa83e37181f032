import WardenJSON

/// The Messages API's answers as the real Claude Code CLI reads them: a `message` object, or the
/// same message as a server-sent event stream (`stream: true`, which the CLI asks for in its agent
/// loop). Pure: the server in `MessagesStandIn` only writes these bytes.
public enum StandInProtocol {
    /// A rough token count (a quarter of the JSON's length), enough for the CLI's bookkeeping.
    public static func estimatedTokens(_ value: JSONValue) -> Int {
        max(1, value.serialized.utf8.count / 4)
    }

    /// The complete assistant message.
    public static func message(id: String, blocks: [StandInBlock], stopReason: String, inputTokens: Int) -> JSONValue {
        let content = JSONValue.array(blocks.map(\.json))
        return .object([
            "id": .string(id),
            "type": .string("message"),
            "role": .string("assistant"),
            "model": .string(StandInScript.model),
            "content": content,
            "stop_reason": .string(stopReason),
            "stop_sequence": .null,
            "usage": usage(input: inputTokens, output: estimatedTokens(content)),
        ])
    }

    static func usage(input: Int, output: Int) -> JSONValue {
        .object([
            "input_tokens": .number(input), "output_tokens": .number(output),
            "cache_creation_input_tokens": .number(0), "cache_read_input_tokens": .number(0),
        ])
    }

    /// The event stream for `message` (as `message(…)` made it): message_start, ping, each block's
    /// start, deltas (two where the text allows, as a real stream would) and stop, message_delta
    /// with the stop reason, message_stop.
    public static func eventStream(_ message: JSONValue) -> String {
        var out = ""
        func event(_ name: String, _ data: JSONValue) {
            out += "event: \(name)\ndata: \(data.serialized)\n\n"
        }
        let members = message.members ?? []
        let start = JSONValue.object(members.map { member in
            switch member.key {
            case "content": return JSONMember(key: "content", value: .array([]))
            case "stop_reason": return JSONMember(key: "stop_reason", value: .null)
            case "usage":
                return JSONMember(key: "usage", value: usage(input: member.value["input_tokens"]?.integer ?? 1, output: 1))
            default: return member
            }
        })
        event("message_start", .object(["type": .string("message_start"), "message": start]))
        event("ping", .object(["type": .string("ping")]))
        for (index, block) in (message["content"]?.array ?? []).enumerated() {
            if block["type"]?.string == "tool_use" {
                let empty = JSONValue.object([
                    "type": .string("tool_use"), "id": block["id"] ?? .null, "name": block["name"] ?? .null, "input": .object([]),
                ])
                event("content_block_start", .object(["type": .string("content_block_start"), "index": .number(index), "content_block": empty]))
                for piece in halves((block["input"] ?? .object([])).serialized) {
                    event("content_block_delta", .object([
                        "type": .string("content_block_delta"), "index": .number(index),
                        "delta": .object(["type": .string("input_json_delta"), "partial_json": .string(piece)]),
                    ]))
                }
            } else {
                let empty = JSONValue.object(["type": .string("text"), "text": .string("")])
                event("content_block_start", .object(["type": .string("content_block_start"), "index": .number(index), "content_block": empty]))
                for piece in halves(block["text"]?.string ?? "") {
                    event("content_block_delta", .object([
                        "type": .string("content_block_delta"), "index": .number(index),
                        "delta": .object(["type": .string("text_delta"), "text": .string(piece)]),
                    ]))
                }
            }
            event("content_block_stop", .object(["type": .string("content_block_stop"), "index": .number(index)]))
        }
        event("message_delta", .object([
            "type": .string("message_delta"),
            "delta": .object(["stop_reason": message["stop_reason"] ?? .null, "stop_sequence": .null]),
            "usage": .object(["output_tokens": message["usage"]?["output_tokens"] ?? .number(1)]),
        ]))
        event("message_stop", .object(["type": .string("message_stop")]))
        return out
    }

    /// `text` in two pieces cut at a character boundary, or one piece when it is that short.
    static func halves(_ text: String) -> [String] {
        guard text.count > 1 else { return [text] }
        let middle = text.index(text.startIndex, offsetBy: text.count / 2)
        return [String(text[..<middle]), String(text[middle...])]
    }

    /// An error body as the API writes one.
    public static func error(type: String, message: String) -> JSONValue {
        .object(["type": .string("error"), "error": .object(["type": .string(type), "message": .string(message)])])
    }
}
