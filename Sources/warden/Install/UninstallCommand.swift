import ArgumentParser
import FoundationEssentials
import Glibc
import WardenInstall
import WardenJSON

struct UninstallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "uninstall",
        abstract: "Take back exactly what `warden install` did on this machine, and nothing else.",
        discussion: """
            Reads the install record (STATE/install.json). The managed-settings file gets its \
            bytes from before the first install back when nobody has changed it since; otherwise \
            only Warden's own edits are taken out, the rest is kept, and each edit that was changed \
            since is named. Installed files are removed when they are still as installed (a file \
            they replaced is put back); the system git core.hooksPath gets its old value back; \
            directories install created are removed when empty; then the record and backups go.
            Exit status: 0 done, 1 nothing is installed or something could not be taken back.
            """
    )

    @OptionGroup var location: InstallLocationOptions

    func run() throws {
        guard let text = try InstallFiles.read(location.recordPath) else {
            throw CLIError("no install record at \(location.recordPath): nothing to uninstall")
        }
        let record: InstallRecord
        do { record = try InstallRecord(parsing: text) } catch {
            throw CLIError("\(location.recordPath): \(error); nothing was changed")
        }
        var notes: [String] = []

        if let settings = record.settings {
            notes += try restoreSettings(settings)
        }
        if let git = record.git {
            let current = try GitHooks.systemValue(git.key)
            if current == git.new {
                try GitHooks.setSystemValue(git.key, git.old)
                print("restored the system git \(git.key)\(git.old.map { " to \($0)" } ?? " (unset)")")
            } else {
                notes.append("git \(git.key) was changed after install (\(current ?? "unset")); left as it is")
            }
        }
        for file in record.files.reversed() {
            if InstallFiles.digest(file.path) == file.digest {
                unlink(file.path)
                if let previous = file.previous, let data = FileManager.default.contents(atPath: previous) {
                    try InstallFiles.write(data, to: file.path, mode: 0o755)
                    print("put back the earlier \(file.path)")
                } else {
                    print("removed \(file.path)")
                }
            } else if FileManager.default.fileExists(atPath: file.path) {
                notes.append("\(file.path) was changed after install; left as it is")
            }
        }
        // The state directory's own files, then every directory install created, deepest first.
        for sub in ["backups", "replaced"] {
            let dir = location.stateDirectory + "/" + sub
            for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] { unlink(dir + "/" + name) }
        }
        unlink(location.recordPath)
        let directories = (record.directories + [location.stateDirectory + "/backups", location.stateDirectory + "/replaced", location.stateDirectory])
        for dir in Set(directories).sorted(by: { $0.count > $1.count }) { rmdir(dir) }
        for note in notes { print("kept: \(note)") }
        print("warden uninstall: done")
    }

    private func restoreSettings(_ settings: InstallRecord.Settings) throws -> [String] {
        guard let current = try InstallFiles.read(settings.path) else {
            return ["\(settings.path) was removed after install; nothing to restore"]
        }
        if InstallFiles.digest(text: current) == settings.written {
            if let original = settings.original {
                try InstallFiles.write(Data(original.utf8), to: settings.path, mode: 0o644)
                print("restored \(settings.path) as it was before install")
            } else {
                unlink(settings.path)
                print("removed \(settings.path) (there was none before install)")
            }
            return []
        }
        let document: JSONValue
        do { document = try JSONValue.parse(current) } catch {
            throw CLIError("\(settings.path):\(error.position): not valid JSON: \(error.message); fix it, then run uninstall again")
        }
        let (result, kept) = SettingsMerge.revert(document, settings.changes)
        try InstallFiles.write(Data(result.prettyPrinted.utf8), to: settings.path, mode: 0o644)
        print("took Warden's edits out of \(settings.path) (it was changed after install; the other changes are kept)")
        return kept
    }
}
