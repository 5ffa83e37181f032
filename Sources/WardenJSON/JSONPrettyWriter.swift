extension JSONValue {
    /// The value as indented JSON text (two spaces, one member or element a line, a final newline),
    /// for files people read and diff, such as the managed settings. Object members keep their order.
    public var prettyPrinted: String {
        var output = ""
        writePretty(to: &output, indent: 0)
        output += "\n"
        return output
    }

    private func writePretty(to output: inout String, indent: Int) {
        let inner = String(repeating: "  ", count: indent + 1)
        switch kind {
        case .array(let values) where !values.isEmpty:
            // A short list of scalars stays on one line, as people write rule lists by hand.
            if values.allSatisfy(\.isScalar), values.count <= 4,
               values.reduce(0, { $0 + $1.serialized.utf8.count }) <= 60 {
                write(to: &output)
                return
            }
            output += "[\n"
            for (offset, value) in values.enumerated() {
                output += inner
                value.writePretty(to: &output, indent: indent + 1)
                output += offset == values.count - 1 ? "\n" : ",\n"
            }
            output += String(repeating: "  ", count: indent) + "]"
        case .object(let members) where !members.isEmpty:
            output += "{\n"
            for (offset, member) in members.enumerated() {
                output += inner
                JSONValue.writeString(member.key, to: &output)
                output += ": "
                member.value.writePretty(to: &output, indent: indent + 1)
                output += offset == members.count - 1 ? "\n" : ",\n"
            }
            output += String(repeating: "  ", count: indent) + "}"
        default:
            write(to: &output)
        }
    }

    private var isScalar: Bool {
        switch kind {
        case .array, .object: false
        default: true
        }
    }

    /// The same value with every source position cleared, so that two values read from different
    /// texts compare equal when their content is equal.
    public var withoutPositions: JSONValue {
        switch kind {
        case .array(let values): JSONValue(.array(values.map(\.withoutPositions)))
        case .object(let members):
            JSONValue(.object(members.map { JSONMember(key: $0.key, value: $0.value.withoutPositions) }))
        default: JSONValue(kind)
        }
    }
}
