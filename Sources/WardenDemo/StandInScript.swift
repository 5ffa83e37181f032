import WardenJSON

/// One tool call the scripted model makes: a tool's name and its input, as Claude Code's tool
/// definitions expect it (`Bash` takes `command`, `Read` takes `file_path`, …).
public struct StandInToolUse: Sendable, Hashable {
    public var name: String
    public var input: JSONValue

    public init(name: String, input: JSONValue) {
        self.name = name
        self.input = input
    }
}

/// One answer of the scripted model in the main conversation: some text, tool calls, or both. A
/// turn with tool calls stops with `tool_use`, one without with `end_turn`.
public struct StandInTurn: Sendable, Hashable {
    public var text: String?
    public var toolUses: [StandInToolUse]

    public init(text: String? = nil, toolUses: [StandInToolUse] = []) {
        self.text = text
        self.toolUses = toolUses
    }
}

/// The model turns the stand-in serves, and which one answers a conversation.
///
/// The turn is derived from the conversation in the request, never from a request counter: the
/// turn after the latest scripted turn found among the request's assistant messages (by the
/// tool_use ids generated here, unique to each call, or for a text-only turn by its text); turn 0
/// when there is none. A retried request therefore gets the same answer, and Claude Code's side
/// requests (title generation, topic detection, …) cannot advance the script.
public struct StandInScript: Sendable {
    /// What every text the stand-in writes begins with, so that nobody mistakes it for Claude.
    public static let label = "[Warden demo: scripted Messages API stand-in, not Claude]"
    /// The model name in every answer.
    public static let model = "warden-demo-stand-in"
    /// The answer once the script is exhausted, and to side requests.
    public static let exhaustedText = label + " The scripted session is over."
    public static let sideText = label + " OK"

    public let turns: [StandInTurn]

    public init(_ turns: [StandInTurn]) {
        self.turns = turns
    }

    /// The text turn `index` is served with: labelled.
    public func servedText(ofTurn index: Int) -> String? {
        guard turns.indices.contains(index), let text = turns[index].text, !text.isEmpty else { return nil }
        return text.hasPrefix(Self.label) ? text : Self.label + " " + text
    }

    /// The index of the scripted turn that answers a conversation holding `messages` (the
    /// request's `messages` array). `turnOfToolUse` maps the tool_use ids served so far to the
    /// turns that carried them.
    public func nextTurn(messages: [JSONValue], turnOfToolUse: [String: Int]) -> Int {
        var latest = -1
        for message in messages where message["role"]?.string == "assistant" {
            let blocks: [JSONValue]
            if let text = message["content"]?.string {
                blocks = [.object(["type": .string("text"), "text": .string(text)])]
            } else {
                blocks = message["content"]?.array ?? []
            }
            let known = blocks.compactMap { block -> Int? in
                guard block["type"]?.string == "tool_use", let id = block["id"]?.string else { return nil }
                return turnOfToolUse[id]
            }
            if let newest = known.max() {
                latest = max(latest, newest)
                continue
            }
            let texts = Set(blocks.compactMap { $0["type"]?.string == "text" ? $0["text"]?.string : nil })
            var index = latest + 1
            while index < turns.count {
                if turns[index].toolUses.isEmpty, let served = servedText(ofTurn: index), texts.contains(served) {
                    latest = index
                    break
                }
                index += 1
            }
        }
        return latest + 1
    }

    /// The content blocks and stop reason of turn `index`, with `newID()` naming each tool use;
    /// past the end of the script, a text that ends the turn.
    public func content(ofTurn index: Int, newID: () -> String) -> (blocks: [StandInBlock], stopReason: String) {
        guard turns.indices.contains(index) else { return ([.text(Self.exhaustedText)], "end_turn") }
        var blocks: [StandInBlock] = []
        if let text = servedText(ofTurn: index) { blocks.append(.text(text)) }
        for use in turns[index].toolUses {
            blocks.append(.toolUse(id: newID(), name: use.name, input: use.input))
        }
        if blocks.isEmpty { blocks.append(.text(Self.label)) }
        return (blocks, turns[index].toolUses.isEmpty ? "end_turn" : "tool_use")
    }
}

/// A content block of an answer.
public enum StandInBlock: Sendable, Hashable {
    case text(String)
    case toolUse(id: String, name: String, input: JSONValue)

    var json: JSONValue {
        switch self {
        case .text(let text):
            return .object(["type": .string("text"), "text": .string(text)])
        case .toolUse(let id, let name, let input):
            return .object(["type": .string("tool_use"), "id": .string(id), "name": .string(name), "input": input])
        }
    }
}
