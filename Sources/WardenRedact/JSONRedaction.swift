public import WardenJSON

extension Redactor {
    /// The same JSON with every string value redacted: same keys in the same order, same types,
    /// same numbers. Claude Code ignores a rewritten tool output whose shape differs from the
    /// original, and the raw output then reaches the model. Object keys are never changed.
    /// Returns nil when nothing was replaced.
    public mutating func redact(json value: JSONValue) -> JSONValue? {
        switch value.kind {
        case .null, .bool, .number:
            return nil
        case .string(let text):
            return redact(text).map { JSONValue(.string($0), at: value.position) }
        case .array(let elements):
            var changed = false
            var result = elements
            for index in elements.indices {
                if let redacted = redact(json: elements[index]) {
                    result[index] = redacted
                    changed = true
                }
            }
            return changed ? JSONValue(.array(result), at: value.position) : nil
        case .object(let members):
            var changed = false
            var result = members
            for index in members.indices {
                if let redacted = redact(json: members[index].value) {
                    result[index].value = redacted
                    changed = true
                }
            }
            return changed ? JSONValue(.object(result), at: value.position) : nil
        }
    }
}
