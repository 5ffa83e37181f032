public import WardenJSON

/// One edit `warden install` made to the managed settings, kept in the install record so that
/// `warden uninstall` can take back exactly that edit and nothing else.
public enum SettingsChange: Sendable, Hashable {
    /// `item` was appended to the array at `path` (rules, hook groups).
    case appended(path: [String], item: JSONValue)
    /// The key at `path` was set to `new`; it held `old` before (nil: it was absent).
    case set(path: [String], old: JSONValue?, new: JSONValue)
}

/// Merging a settings overlay (a profile, Warden's hook registration, the lock keys) into a
/// managed-settings document, and taking such a merge back. Pure: no files.
public enum SettingsMerge {
    /// `base` with `overlay` merged in: objects are merged key by key, arrays gain the overlay's
    /// items they do not already hold (rule lists, hook groups), any other value is replaced. A
    /// value already equal to the overlay's is left alone, so merging twice changes nothing.
    public static func merge(_ base: JSONValue, adding overlay: JSONValue) -> (result: JSONValue, changes: [SettingsChange]) {
        var changes: [SettingsChange] = []
        let result = merge(base.withoutPositions, overlay.withoutPositions, path: [], changes: &changes)
        return (result, changes)
    }

    private static func merge(_ base: JSONValue, _ overlay: JSONValue, path: [String], changes: inout [SettingsChange]) -> JSONValue {
        switch (base.kind, overlay.kind) {
        case (.object(var members), .object(let additions)):
            for addition in additions {
                let childPath = path + [addition.key]
                if let index = members.lastIndex(where: { $0.key == addition.key }) {
                    members[index].value = merge(members[index].value, addition.value, path: childPath, changes: &changes)
                } else if case .object = addition.value.kind {
                    // Created empty first, so that taking the change back removes it only once it
                    // is empty again (the admin may have added keys of their own since).
                    let empty = JSONValue(.object([]))
                    changes.append(.set(path: childPath, old: nil, new: empty))
                    members.append(JSONMember(key: addition.key, value: merge(empty, addition.value, path: childPath, changes: &changes)))
                } else if case .array = addition.value.kind {
                    let empty = JSONValue(.array([]))
                    changes.append(.set(path: childPath, old: nil, new: empty))
                    members.append(JSONMember(key: addition.key, value: merge(empty, addition.value, path: childPath, changes: &changes)))
                } else {
                    changes.append(.set(path: childPath, old: nil, new: addition.value))
                    members.append(JSONMember(key: addition.key, value: addition.value))
                }
            }
            return JSONValue(.object(members))
        case (.array(var items), .array(let additions)):
            for item in additions where !items.contains(item) {
                items.append(item)
                changes.append(.appended(path: path, item: item))
            }
            return JSONValue(.array(items))
        default:
            if base == overlay { return base }
            changes.append(.set(path: path, old: base, new: overlay))
            return overlay
        }
    }

    /// `current` with `changes` taken back, last first. An edit is taken back only where the
    /// document still shows it: an appended item still there is removed, a key still holding
    /// what install set gets its old value back (or goes, if it was absent). Edits someone has
    /// changed since are left as they are and described in `kept`.
    public static func revert(_ current: JSONValue, _ changes: [SettingsChange]) -> (result: JSONValue, kept: [String]) {
        var document = current.withoutPositions
        var kept: [String] = []
        for change in changes.reversed() {
            switch change {
            case .appended(let path, let item):
                let removed = update(&document, at: path) { value in
                    guard case .array(var items) = value.kind, let index = items.lastIndex(of: item) else { return false }
                    items.remove(at: index)
                    value = JSONValue(.array(items))
                    return true
                }
                if !removed { kept.append("\(display(path)): \(item.serialized) is no longer there") }
            case .set(let path, let old, let new):
                guard let key = path.last else {
                    kept.append("the whole document was replaced")
                    continue
                }
                let parent = Array(path.dropLast())
                let restored = update(&document, at: parent) { value in
                    guard case .object(var members) = value.kind,
                          let index = members.lastIndex(where: { $0.key == key }),
                          members[index].value == new else { return false }
                    if let old {
                        members[index].value = old
                    } else {
                        members.remove(at: index)
                    }
                    value = JSONValue(.object(members))
                    return true
                }
                if !restored { kept.append("\(display(path)) was changed after install; left as it is") }
            }
        }
        return (document, kept)
    }

    /// Applies `edit` to the value at `path` (through objects), reporting whether it did.
    private static func update(_ value: inout JSONValue, at path: ArraySlice<String>, _ edit: (inout JSONValue) -> Bool) -> Bool {
        guard let key = path.first else { return edit(&value) }
        guard case .object(var members) = value.kind, let index = members.lastIndex(where: { $0.key == key }) else { return false }
        let done = update(&members[index].value, at: path.dropFirst(), edit)
        value = JSONValue(.object(members))
        return done
    }

    private static func update(_ value: inout JSONValue, at path: [String], _ edit: (inout JSONValue) -> Bool) -> Bool {
        update(&value, at: path[...], edit)
    }

    static func display(_ path: [String]) -> String { path.isEmpty ? "the settings" : path.joined(separator: ".") }
}

extension SettingsChange {
    /// The change as JSON, for the install record.
    public var json: JSONValue {
        switch self {
        case .appended(let path, let item):
            .object(["op": .string("append"), "path": .array(path.map(JSONValue.string)), "item": item])
        case .set(let path, let old, let new):
            .object([JSONMember(key: "op", value: .string("set")), JSONMember(key: "path", value: .array(path.map(JSONValue.string)))]
                + (old.map { [JSONMember(key: "old", value: $0)] } ?? []) + [JSONMember(key: "new", value: new)])
        }
    }

    /// A change read back from the install record; nil when the entry is not one.
    public init?(json: JSONValue) {
        guard let op = json["op"]?.string, let pathValues = json["path"]?.array else { return nil }
        let path = pathValues.compactMap(\.string)
        guard path.count == pathValues.count else { return nil }
        switch op {
        case "append":
            guard let item = json["item"] else { return nil }
            self = .appended(path: path, item: item.withoutPositions)
        case "set":
            guard let new = json["new"] else { return nil }
            self = .set(path: path, old: json["old"]?.withoutPositions, new: new.withoutPositions)
        default:
            return nil
        }
    }
}
