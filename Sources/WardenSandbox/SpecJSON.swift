// Strict reading of the sandbox's inner spec (the file `warden run` writes and
// `warden-sandbox-init` reads): every key known, every type checked, errors that name the path.
import WardenJSON

/// Why an inner spec (or a part of it) cannot be read: one line naming the key and the problem.
public struct SandboxSpecError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// An object whose keys must all be among `known`; values read by key with the path in messages.
struct StrictObject {
    let path: String
    let members: [String: JSONValue]

    init(_ value: JSONValue, at path: String, known: Set<String>) throws(SandboxSpecError) {
        guard let list = value.members else {
            throw SandboxSpecError("\(path): expected an object, found a \(value.typeName)")
        }
        var members: [String: JSONValue] = [:]
        for member in list {
            guard known.contains(member.key) else {
                throw SandboxSpecError("\(path): unknown key \(JSONValue.quoted(member.key)) at \(member.keyPosition)")
            }
            guard members[member.key] == nil else {
                throw SandboxSpecError("\(path): key \(JSONValue.quoted(member.key)) written twice")
            }
            members[member.key] = member.value
        }
        self.path = path
        self.members = members
    }

    func required(_ key: String) throws(SandboxSpecError) -> JSONValue {
        guard let value = members[key] else { throw SandboxSpecError("\(path): missing key \(JSONValue.quoted(key))") }
        return value
    }

    func string(_ key: String) throws(SandboxSpecError) -> String {
        let value = try required(key)
        guard let text = value.string else { throw typeError(key, "a string", value) }
        return text
    }

    func integer(_ key: String) throws(SandboxSpecError) -> Int {
        let value = try required(key)
        guard let number = value.integer else { throw typeError(key, "an integer", value) }
        return number
    }

    /// nil when the key is absent or null.
    func optionalInteger(_ key: String) throws(SandboxSpecError) -> Int? {
        guard let value = members[key], !value.isNull else { return nil }
        guard let number = value.integer else { throw typeError(key, "an integer or null", value) }
        return number
    }

    func array(_ key: String) throws(SandboxSpecError) -> [JSONValue] {
        let value = try required(key)
        guard let items = value.array else { throw typeError(key, "an array", value) }
        return items
    }

    func strings(_ key: String) throws(SandboxSpecError) -> [String] {
        var result: [String] = []
        for (index, item) in try array(key).enumerated() {
            guard let text = item.string else {
                throw SandboxSpecError("\(path).\(key)[\(index)]: expected a string, found a \(item.typeName)")
            }
            result.append(text)
        }
        return result
    }

    func typeError(_ key: String, _ expected: String, _ value: JSONValue) -> SandboxSpecError {
        SandboxSpecError("\(path).\(key): expected \(expected), found a \(value.typeName)")
    }
}
