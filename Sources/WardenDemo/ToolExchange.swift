import WardenJSON

/// A tool call of the model and the tool_result Claude Code sent back for it: what the model
/// saw of the call.
public struct ToolExchange: Sendable {
    public var toolUseID: String
    public var name: String
    public var input: JSONValue
    public var isError: Bool
    /// The result's text (text blocks joined by newlines when the content is a list).
    public var text: String

    public init(toolUseID: String, name: String, input: JSONValue, isError: Bool, text: String) {
        self.toolUseID = toolUseID
        self.name = name
        self.input = input
        self.isError = isError
        self.text = text
    }

    /// Every tool call in the main requests, in the order the model made them, with its result
    /// (the latest one received); calls without a result yet are left out.
    public static func all(in requests: [StandInRequest]) -> [ToolExchange] {
        var calls: [(id: String, name: String, input: JSONValue)] = []
        var seen: Set<String> = []
        var results: [String: (isError: Bool, text: String)] = [:]
        for request in requests where request.kind == .main {
            for message in request.messages {
                for block in message["content"]?.array ?? [] {
                    switch block["type"]?.string {
                    case "tool_use":
                        if let id = block["id"]?.string, seen.insert(id).inserted {
                            calls.append((id, block["name"]?.string ?? "", block["input"] ?? .object([])))
                        }
                    case "tool_result":
                        if let id = block["tool_use_id"]?.string {
                            results[id] = (block["is_error"]?.bool ?? false, text(of: block["content"]))
                        }
                    default:
                        break
                    }
                }
            }
        }
        return calls.compactMap { call in
            results[call.id].map { ToolExchange(toolUseID: call.id, name: call.name, input: call.input, isError: $0.isError, text: $0.text) }
        }
    }

    static func text(of content: JSONValue?) -> String {
        if let string = content?.string { return string }
        return (content?.array ?? []).compactMap { $0["text"]?.string }.joined(separator: "\n")
    }
}
