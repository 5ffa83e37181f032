import ArgumentParser
import FoundationEssentials
import Glibc
import WardenInstall
import WardenJSON
import WardenPolicy

struct InstallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install",
        abstract: "Install Warden on this machine: binaries, managed settings, and optionally the claude function and the git guard.",
        discussion: """
            Copies warden, warden-hook and warden-sandbox-init (stripped) to PREFIX/bin and the \
            profiles and hooks to PREFIX/share/warden; merges the profile's policy, Warden's hook \
            registration and the shell prefix into the managed-settings file. Keys Warden does not \
            own are kept; rule lists gain the profile's rules they lack. A settings file that does \
            not parse is refused with its line and column; so is a merged policy that would not \
            load. Running install again with the same options changes nothing. Before the settings \
            file is changed, its previous content is kept in the state directory. What install did \
            is recorded in STATE/install.json: `warden uninstall` takes back exactly that.
            --lock also sets allowManagedHooksOnly, allowManagedPermissionRulesOnly, \
            allowManagedMcpServersOnly and permissions.disableBypassPermissionsMode, so that \
            developers cannot switch Warden off from their own settings.
            --shell installs the `claude` function (hooks/claude.sh) for bash and zsh login shells \
            in /etc/profile.d. --git sets the system git configuration's core.hooksPath to \
            PREFIX/share/warden/git-hooks: its pre-commit runs `warden precommit`, and every hook \
            there then runs the repository's own hook of the same name, if it has one.
            Writing the system paths needs root.
            """
    )

    @Option(help: ArgumentHelp("A profile in profiles/ (baseline, strict, open).", valueName: "name"))
    var profile: String?

    @Option(help: ArgumentHelp("A policy file to install instead of a profile.", valueName: "file"))
    var policy: String?

    @Flag(help: "Also set the managed-only keys that keep developers from switching Warden off.")
    var lock = false

    @Flag(help: "Also install the pre-commit guard for every repository (system core.hooksPath).")
    var git = false

    @Flag(help: "Also install the claude function for bash and zsh in the profile directory.")
    var shell = false

    @Flag(help: "Copy the binaries as they are, without stripping their symbols.")
    var noStrip = false

    @OptionGroup var location: InstallLocationOptions

    func run() throws {
        var installer = try Installer(location: location)
        let share = try WardenFiles.shareDirectory()
        let policyPath = try WardenFiles.profilePath(profile: profile, policy: policy)

        // Everything that can be refused is checked before anything is written.
        let settings = try installer.mergedSettings(policyPath: policyPath, lock: lock)
        do {
            installer.noteDirectories(try InstallFiles.makeDirectories(location.stateDirectory))
            try installer.installBinaries(strip: !noStrip)
            try installer.installShared(from: share)
            if let settings { try installer.writeSettings(settings) }
            if shell { try installer.installShellFunction(from: share) }
            if git { try installer.installGitGuard() }
        } catch {
            // What was done so far stays undoable by `warden uninstall`.
            try? installer.saveRecord()
            throw error
        }
        try installer.saveRecord()
        for line in installer.actions { print(line) }
        if installer.actions.isEmpty { print("warden install: nothing to change; Warden is installed as asked") }
    }
}

/// The steps of `warden install`, each recorded in the install record as it is done.
struct Installer {
    let location: InstallLocationOptions
    var record: InstallRecord
    var actions: [String] = []

    init(location: InstallLocationOptions) throws {
        self.location = location
        if let text = try InstallFiles.read(location.recordPath) {
            do { record = try InstallRecord(parsing: text) } catch {
                throw CLIError("\(location.recordPath): \(error); repair or remove it first")
            }
        } else {
            record = InstallRecord()
        }
    }

    mutating func noteDirectories(_ created: [String]) {
        for dir in created where !record.directories.contains(dir) { record.directories.append(dir) }
    }

    /// Copies `source` to `destination`, keeping a file that was there before (and that install
    /// did not write) in the state directory so that uninstall can put it back.
    mutating func installFile(_ data: Data, to destination: String, mode: Int, describe: String) throws {
        noteDirectories(try InstallFiles.makeDirectories(HostPaths.parent(destination)))
        let digest = InstallFiles.digest(data: data)
        if InstallFiles.digest(destination) == digest {
            // Already there byte for byte: when install did not write it, it is not install's to
            // remove either, so it stays out of the record.
            return
        }
        var previous: String? = record.files.first(where: { $0.path == destination })?.previous
        let ownedBefore = record.files.contains(where: { $0.path == destination })
        if !ownedBefore, FileManager.default.fileExists(atPath: destination) {
            noteDirectories(try InstallFiles.makeDirectories(location.stateDirectory + "/replaced"))
            let kept = location.stateDirectory + "/replaced/" + destination.replacing("/", with: "%")
            guard let old = FileManager.default.contents(atPath: destination) else { throw CLIError("\(destination): cannot be read") }
            try InstallFiles.write(old, to: kept, mode: 0o600)
            previous = kept
        }
        try InstallFiles.write(data, to: destination, mode: mode)
        record.files.removeAll { $0.path == destination }
        record.files.append(InstallRecord.File(path: destination, digest: digest, previous: previous))
        actions.append("installed \(destination)\(describe.isEmpty ? "" : " (\(describe))")")
    }

    mutating func installBinaries(strip: Bool) throws {
        let source = WardenFiles.executableDirectory
        for name in ["warden", "warden-hook", "warden-sandbox-init"] {
            let path = source + "/" + name
            guard FileManager.default.isExecutableFile(atPath: path) else {
                throw CLIError("\(path) is missing: build Warden first (Scripts/build-release.sh)")
            }
            var data = try Data(contentsOf: URL(fileURLWithPath: path))
            var describe = ""
            if strip {
                data = try stripped(path)
                describe = "stripped"
            }
            try installFile(data, to: location.binDirectory + "/" + name, mode: 0o755, describe: describe)
        }
    }

    /// The binary without its symbol tables, made by binutils' strip into a scratch file.
    func stripped(_ path: String) throws -> Data {
        let scratch = FileManager.default.temporaryDirectory.path + "/warden-strip-\(getpid())-" + Paths.lastComponent(path)
        defer { unlink(scratch) }
        let status: Int32
        do { status = try Programs.run("strip", ["-o", scratch, path]).status } catch {
            throw CLIError("strip: cannot run (\(error)); install binutils or pass --no-strip")
        }
        guard status == 0, let data = FileManager.default.contents(atPath: scratch) else {
            throw CLIError("strip \(path) failed (exit \(status)); install binutils or pass --no-strip")
        }
        return data
    }

    mutating func installShared(from share: String) throws {
        let fm = FileManager.default
        let profiles = try fm.contentsOfDirectory(atPath: share + "/profiles").filter { $0.hasSuffix(".json") }.sorted()
        for name in profiles {
            let data = try Data(contentsOf: URL(fileURLWithPath: share + "/profiles/" + name))
            try installFile(data, to: location.shareDirectory + "/profiles/" + name, mode: 0o644, describe: "")
        }
        for name in ["pre-commit", "claude.sh", "managed-settings.json"] where fm.fileExists(atPath: share + "/hooks/" + name) {
            let data = try Data(contentsOf: URL(fileURLWithPath: share + "/hooks/" + name))
            try installFile(data, to: location.shareDirectory + "/hooks/" + name, mode: name == "pre-commit" || name == "claude.sh" ? 0o755 : 0o644, describe: "")
        }
    }

    /// The settings after the merge, or nil when they already hold everything.
    struct MergedSettings {
        var existing: String?
        var text: String
        var changes: [SettingsChange]
    }

    func mergedSettings(policyPath: String, lock: Bool) throws -> MergedSettings? {
        guard let profileText = try InstallFiles.read(policyPath) else { throw CLIError("\(policyPath): no such file") }
        let profile: JSONValue
        do { profile = try JSONValue.parse(profileText) } catch {
            throw CLIError("\(policyPath):\(error.position): not valid JSON: \(error.message)")
        }
        if let problem = Policy.load(text: profileText, path: policyPath).problems.first(where: { $0.severity == .error }) {
            throw CLIError("\(policyPath):\(problem.position): \(problem.message)")
        }
        let path = location.settings
        let existingText = try InstallFiles.read(path)
        var existing = JSONValue.object([JSONMember]())
        if let existingText {
            do { existing = try JSONValue.parse(existingText) } catch {
                throw CLIError("\(path):\(error.position): not valid JSON: \(error.message); fix it before installing")
            }
            guard existing.members != nil else { throw CLIError("\(path): the settings must be a JSON object, found \(existing.typeName)") }
        }
        var merged = SettingsMerge.merge(existing, adding: profile)
        let registration = SettingsMerge.merge(merged.result, adding: WardenRegistration.settings(hook: location.hookPath, policy: location.settings))
        merged = (registration.result, merged.changes + registration.changes)
        if lock {
            let locked = SettingsMerge.merge(merged.result, adding: WardenRegistration.lock)
            merged = (locked.result, merged.changes + locked.changes)
        }
        guard !merged.changes.isEmpty else { return nil }
        let text = merged.result.prettyPrinted
        if let problem = Policy.load(text: text, path: path).problems.first(where: { $0.severity == .error }) {
            throw CLIError("the merged settings would not load (\(problem.position): \(problem.message)); \(path) is left as it was")
        }
        return MergedSettings(existing: existingText, text: text, changes: merged.changes)
    }

    mutating func writeSettings(_ merged: MergedSettings) throws {
        let path = location.settings
        let (existingText, text) = (merged.existing, merged.text)
        if let existingText {
            noteDirectories(try InstallFiles.makeDirectories(location.stateDirectory + "/backups"))
            let stamp = Int(Date().timeIntervalSince1970)
            let backup = location.stateDirectory + "/backups/managed-settings.\(stamp).json"
            try InstallFiles.write(Data(existingText.utf8), to: backup, mode: 0o600)
            actions.append("kept the previous settings as \(backup)")
        }
        noteDirectories(try InstallFiles.makeDirectories(HostPaths.parent(path)))
        try InstallFiles.write(Data(text.utf8), to: path, mode: 0o644)
        if var settings = record.settings, settings.path == path {
            settings.written = InstallFiles.digest(text: text)
            settings.changes += merged.changes
            record.settings = settings
        } else {
            record.settings = InstallRecord.Settings(
                path: path, original: existingText, written: InstallFiles.digest(text: text), changes: merged.changes)
        }
        actions.append("merged \(merged.changes.count) change\(merged.changes.count == 1 ? "" : "s") into \(path)")
    }

    mutating func installShellFunction(from share: String) throws {
        let source = share + "/hooks/claude.sh"
        guard let data = FileManager.default.contents(atPath: source) else { throw CLIError("\(source) is missing") }
        try installFile(data, to: location.profileDirectory + "/warden-claude.sh", mode: 0o644, describe: "the claude function for login shells")
    }

    /// The git hooks directory: pre-commit runs Warden's guard first; every hook then runs the
    /// repository's own hook of that name, since core.hooksPath would otherwise silence them.
    mutating func installGitGuard() throws {
        let directory = location.shareDirectory + "/git-hooks"
        for name in GitHooks.names {
            try installFile(Data(GitHooks.script(for: name, warden: location.binDirectory + "/warden").utf8),
                            to: directory + "/" + name, mode: 0o755, describe: "")
        }
        let old = try GitHooks.systemValue("core.hooksPath")
        guard old != directory else { return }
        try GitHooks.setSystemValue("core.hooksPath", directory)
        // A value install itself set earlier is not the one to give back.
        let original: String? = if let earlier = record.git { earlier.old } else { old }
        record.git = InstallRecord.GitSetting(key: "core.hooksPath", old: original, new: directory)
        actions.append("set the system git core.hooksPath to \(directory)\(old.map { " (was \($0))" } ?? "")")
    }

    func saveRecord() throws {
        _ = try InstallFiles.makeDirectories(location.stateDirectory)
        try InstallFiles.write(Data(record.json.prettyPrinted.utf8), to: location.recordPath, mode: 0o644)
    }
}

