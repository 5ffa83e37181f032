// A JSON reader and writer written by hand, for two reasons no library here serves:
// `warden-hook` must not link Foundation (its start-up time is the latency of every tool call),
// and `warden policy check` must point at the line and column of every problem, which
// JSONSerialization and JSONDecoder do not report.

/// A place in a JSON text: 1-based line and column (in Unicode scalars), and the byte offset.
public struct JSONPosition: Sendable, Hashable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public var offset: Int

    public init(line: Int, column: Int, offset: Int) {
        self.line = line
        self.column = column
        self.offset = offset
    }

    /// The position of a value built in code rather than read from text.
    public static let none = JSONPosition(line: 0, column: 0, offset: 0)

    public var description: String { "\(line):\(column)" }
}

/// One member of a JSON object, in the order written; duplicates are kept so that a checker can
/// report them.
public struct JSONMember: Sendable, Hashable {
    public var key: String
    public var keyPosition: JSONPosition
    public var value: JSONValue

    public init(key: String, keyPosition: JSONPosition = .none, value: JSONValue) {
        self.key = key
        self.keyPosition = keyPosition
        self.value = value
    }
}

/// A JSON value and where it was written.
public struct JSONValue: Sendable, Hashable {
    public indirect enum Kind: Sendable, Hashable {
        case null
        case bool(Bool)
        /// The number as written, so that it is written back unchanged.
        case number(String)
        case string(String)
        case array([JSONValue])
        case object([JSONMember])
    }

    public var kind: Kind
    public var position: JSONPosition

    public init(_ kind: Kind, at position: JSONPosition = .none) {
        self.kind = kind
        self.position = position
    }

    public static let null = JSONValue(.null)
    public static func bool(_ value: Bool) -> JSONValue { JSONValue(.bool(value)) }
    public static func string(_ value: String) -> JSONValue { JSONValue(.string(value)) }
    public static func number(_ value: Int) -> JSONValue { JSONValue(.number(String(value))) }
    public static func array(_ values: [JSONValue]) -> JSONValue { JSONValue(.array(values)) }
    public static func object(_ members: KeyValuePairs<String, JSONValue>) -> JSONValue {
        JSONValue(.object(members.map { JSONMember(key: $0.key, value: $0.value) }))
    }
    public static func object(_ members: [JSONMember]) -> JSONValue { JSONValue(.object(members)) }

    // MARK: Reading values

    /// The value of `key` in an object; the last one written when the key is repeated, as
    /// JavaScript and Claude Code read it.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = kind else { return nil }
        return members.last(where: { $0.key == key })?.value
    }

    public var string: String? {
        if case .string(let value) = kind { return value }
        return nil
    }

    public var bool: Bool? {
        if case .bool(let value) = kind { return value }
        return nil
    }

    public var array: [JSONValue]? {
        if case .array(let values) = kind { return values }
        return nil
    }

    public var members: [JSONMember]? {
        if case .object(let members) = kind { return members }
        return nil
    }

    /// An integer number written without fraction or exponent.
    public var integer: Int? {
        if case .number(let literal) = kind { return Int(literal) }
        return nil
    }

    public var isNull: Bool {
        if case .null = kind { return true }
        return false
    }

    /// `text` as a JSON string literal, quotes included: the safe way to show a key or a name
    /// taken from input in a one-line message (a newline in it stays `\n`).
    public static func quoted(_ text: String) -> String {
        var output = ""
        writeString(text, to: &output)
        return output
    }

    /// The JSON type's name, for messages: "string", "object", …
    public var typeName: String {
        switch kind {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}

/// Why a text is not JSON, and where.
public struct JSONSyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public var position: JSONPosition

    public var description: String { "\(position): \(message)" }
}
