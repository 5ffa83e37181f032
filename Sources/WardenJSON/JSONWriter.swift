extension JSONValue {
    /// The value as compact JSON text. Numbers are written as they were read; object members keep
    /// their order, so a value read and written back has the same shape.
    public var serialized: String {
        var output = ""
        output.reserveCapacity(64)
        write(to: &output)
        return output
    }

    public func write(to output: inout String) {
        switch kind {
        case .null: output += "null"
        case .bool(let value): output += value ? "true" : "false"
        case .number(let literal): output += literal
        case .string(let value): JSONValue.writeString(value, to: &output)
        case .array(let values):
            output += "["
            for (offset, value) in values.enumerated() {
                if offset > 0 { output += "," }
                value.write(to: &output)
            }
            output += "]"
        case .object(let members):
            output += "{"
            for (offset, member) in members.enumerated() {
                if offset > 0 { output += "," }
                JSONValue.writeString(member.key, to: &output)
                output += ":"
                member.value.write(to: &output)
            }
            output += "}"
        }
    }

    /// Writes `value` as a JSON string literal, escaping what RFC 8259 requires.
    public static func writeString(_ value: String, to output: inout String) {
        output += "\""
        var pending = value.utf8.startIndex
        let utf8 = value.utf8
        var index = pending
        while index != utf8.endIndex {
            let byte = utf8[index]
            if byte == 0x22 || byte == 0x5C || byte < 0x20 {
                output += String(value[pending..<index])
                switch byte {
                case 0x22: output += "\\\""
                case 0x5C: output += "\\\\"
                case 0x0A: output += "\\n"
                case 0x0D: output += "\\r"
                case 0x09: output += "\\t"
                default:
                    let hex = String(byte, radix: 16)
                    output += "\\u00" + (hex.count == 1 ? "0" + hex : hex)
                }
                pending = utf8.index(after: index)
            }
            index = utf8.index(after: index)
        }
        output += String(value[pending..<utf8.endIndex])
        output += "\""
    }
}
