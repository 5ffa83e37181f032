public import WardenJSON

/// What `warden install` did on this machine, kept in its state directory, so that
/// `warden uninstall` can take back exactly that and nothing else.
public struct InstallRecord: Sendable, Hashable {
    /// The managed-settings file: its bytes before the first install (nil: there was none), the
    /// digest of what install last wrote, and every edit made, in order.
    public struct Settings: Sendable, Hashable {
        public var path: String
        public var original: String?
        public var written: String
        public var changes: [SettingsChange]

        public init(path: String, original: String?, written: String, changes: [SettingsChange]) {
            self.path = path
            self.original = original
            self.written = written
            self.changes = changes
        }
    }

    /// A file install wrote: its digest as written, and where the file it replaced was kept.
    public struct File: Sendable, Hashable {
        public var path: String
        public var digest: String
        public var previous: String?

        public init(path: String, digest: String, previous: String? = nil) {
            self.path = path
            self.digest = digest
            self.previous = previous
        }
    }

    /// A git configuration value install set (`core.hooksPath` in the system configuration).
    public struct GitSetting: Sendable, Hashable {
        public var key: String
        public var old: String?
        public var new: String

        public init(key: String, old: String?, new: String) {
            self.key = key
            self.old = old
            self.new = new
        }
    }

    public static let formatVersion = 1

    public var settings: Settings?
    public var files: [File]
    /// Directories install created, removed again by uninstall when they are empty.
    public var directories: [String]
    public var git: GitSetting?

    public init(settings: Settings? = nil, files: [File] = [], directories: [String] = [], git: GitSetting? = nil) {
        self.settings = settings
        self.files = files
        self.directories = directories
        self.git = git
    }

    public var json: JSONValue {
        var members = [JSONMember(key: "version", value: .number(Self.formatVersion))]
        if let settings {
            members.append(JSONMember(key: "settings", value: .object([
                JSONMember(key: "path", value: .string(settings.path)),
                JSONMember(key: "original", value: settings.original.map(JSONValue.string) ?? .null),
                JSONMember(key: "written", value: .string(settings.written)),
                JSONMember(key: "changes", value: .array(settings.changes.map(\.json))),
            ])))
        }
        members.append(JSONMember(key: "files", value: .array(files.map { file in
            .object([
                JSONMember(key: "path", value: .string(file.path)),
                JSONMember(key: "digest", value: .string(file.digest)),
                JSONMember(key: "previous", value: file.previous.map(JSONValue.string) ?? .null),
            ])
        })))
        members.append(JSONMember(key: "directories", value: .array(directories.map(JSONValue.string))))
        if let git {
            members.append(JSONMember(key: "git", value: .object([
                JSONMember(key: "key", value: .string(git.key)),
                JSONMember(key: "old", value: git.old.map(JSONValue.string) ?? .null),
                JSONMember(key: "new", value: .string(git.new)),
            ])))
        }
        return .object(members)
    }

    public struct FormatError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// The record in `text`; an error names what is wrong (a damaged record must stop uninstall,
    /// not make it guess).
    public init(parsing text: String) throws(FormatError) {
        let json: JSONValue
        do throws(JSONSyntaxError) { json = try JSONValue.parse(text) } catch {
            throw FormatError(description: "\(error.position): not valid JSON: \(error.message)")
        }
        guard json["version"]?.integer == Self.formatVersion else {
            throw FormatError(description: "version is not \(Self.formatVersion)")
        }
        func string(_ value: JSONValue?, _ name: String) throws(FormatError) -> String {
            guard let text = value?.string else { throw FormatError(description: "\(name) is missing or not a string") }
            return text
        }
        func optionalString(_ value: JSONValue?, _ name: String) throws(FormatError) -> String? {
            guard let value, !value.isNull else { return nil }
            guard let text = value.string else { throw FormatError(description: "\(name) is not a string") }
            return text
        }
        if let settings = json["settings"] {
            var changes: [SettingsChange] = []
            for entry in settings["changes"]?.array ?? [] {
                guard let change = SettingsChange(json: entry) else {
                    throw FormatError(description: "settings.changes holds an entry that is not a change: \(entry.serialized)")
                }
                changes.append(change)
            }
            self.settings = Settings(
                path: try string(settings["path"], "settings.path"),
                original: try optionalString(settings["original"], "settings.original"),
                written: try string(settings["written"], "settings.written"),
                changes: changes)
        }
        var files: [File] = []
        for entry in json["files"]?.array ?? [] {
            files.append(File(
                path: try string(entry["path"], "files[].path"), digest: try string(entry["digest"], "files[].digest"),
                previous: try optionalString(entry["previous"], "files[].previous")))
        }
        self.files = files
        var directories: [String] = []
        for entry in json["directories"]?.array ?? [] { directories.append(try string(entry, "directories[]")) }
        self.directories = directories
        if let git = json["git"], !git.isNull {
            self.git = GitSetting(
                key: try string(git["key"], "git.key"), old: try optionalString(git["old"], "git.old"),
                new: try string(git["new"], "git.new"))
        }
    }
}
