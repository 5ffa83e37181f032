import ArgumentParser
import FoundationEssentials
import Glibc
import WardenInstall
import WardenJSON

/// Where `warden install` puts things. Every path has an option, so that tests and packagers can
/// install into a scratch root; the defaults are the system's.
struct InstallLocationOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Where the binaries go (PREFIX/bin) and Warden's shared files (PREFIX/share/warden).", valueName: "dir"))
    var prefix = "/usr/local"

    @Option(help: ArgumentHelp("Claude Code's managed-settings file.", valueName: "file"))
    var settings = "/etc/claude-code/managed-settings.json"

    @Option(help: ArgumentHelp("Where the install record and the backups are kept.", valueName: "dir"))
    var stateDirectory = "/var/lib/warden"

    @Option(help: ArgumentHelp("Where --shell puts the claude function for login shells.", valueName: "dir"))
    var profileDirectory = "/etc/profile.d"

    var recordPath: String { stateDirectory + "/install.json" }
    var binDirectory: String { prefix + "/bin" }
    var shareDirectory: String { prefix + "/share/warden" }
    var hookPath: String { binDirectory + "/warden-hook" }
}

/// The files of a Warden build or installation: the binaries beside the running `warden`, and the
/// profiles and hooks in the repository it was built from or in PREFIX/share/warden.
enum WardenFiles {
    static var executableDirectory: String { HostPaths.executableDirectory }

    /// The directory holding `profiles/` and `hooks/`: `$WARDEN_SHARE`, else `../share/warden` from
    /// the binary, else the repository the binary was built in (found by walking up).
    static func shareDirectory() throws -> String {
        let fm = FileManager.default
        func holdsResources(_ dir: String) -> Bool {
            fm.fileExists(atPath: dir + "/profiles/baseline.json") && fm.fileExists(atPath: dir + "/hooks/pre-commit")
        }
        if let env = ProcessInfo.processInfo.environment["WARDEN_SHARE"], !env.isEmpty {
            guard holdsResources(env) else { throw CLIError("WARDEN_SHARE=\(env) holds no profiles/baseline.json and hooks/pre-commit") }
            return env
        }
        let exe = executableDirectory
        let installed = HostPaths.parent(exe) + "/share/warden"
        if holdsResources(installed) { return installed }
        var dir = exe
        while dir != "/" && !dir.isEmpty {
            if holdsResources(dir) { return dir }
            dir = HostPaths.parent(dir)
        }
        throw CLIError("cannot find Warden's profiles and hooks beside \(exe): set WARDEN_SHARE to the repository or PREFIX/share/warden")
    }

    /// `--profile NAME` (a file in profiles/) or `--policy FILE`, else the baseline profile.
    static func profilePath(profile: String?, policy: String?) throws -> String {
        if let policy {
            if profile != nil { throw CLIError("--profile and --policy exclude each other: give one") }
            return policy
        }
        let name = profile ?? "baseline"
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw CLIError("--profile \(name): a profile is named by letters, digits, - and _ (use --policy FILE for a file)")
        }
        let path = try shareDirectory() + "/profiles/\(name).json"
        guard FileManager.default.fileExists(atPath: path) else {
            let available = ((try? FileManager.default.contentsOfDirectory(atPath: try shareDirectory() + "/profiles")) ?? [])
                .filter { $0.hasSuffix(".json") && !$0.hasSuffix(".tests.json") }.map { String($0.dropLast(5)) }.sorted()
            throw CLIError("no profile named \(name) (available: \(available.joined(separator: ", ")))")
        }
        return path
    }
}

/// Small file operations with one-line errors naming the path.
enum InstallFiles {
    static func read(_ path: String) throws -> String? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("\(path): cannot be read") }
        guard let text = String(data: data, encoding: .utf8) else { throw CLIError("\(path): not UTF-8 text") }
        return text
    }

    static func digest(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return digest(data: data)
    }

    static func digest(text: String) -> String { digest(data: Data(text.utf8)) }

    /// swift-crypto's SHA-256: the binaries are large, and its assembly is fast in debug builds too.
    static func digest(data: Data) -> String { Digests.sha256Hex(data) }

    /// Writes through a temporary file and a rename, so a reader never sees half a file.
    static func write(_ data: Data, to path: String, mode: Int) throws {
        let temporary = path + ".warden-tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: mode]) else {
            throw CLIError("\(path): cannot be written (\(String(cString: strerror(errno))))")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw CLIError("\(path): cannot be replaced (\(reason))")
        }
    }

    /// Creates `path` and its missing parents, returning the ones it created (outermost first).
    static func makeDirectories(_ path: String) throws -> [String] {
        var missing: [String] = []
        var dir = path
        while !dir.isEmpty && dir != "/" && !FileManager.default.fileExists(atPath: dir) {
            missing.insert(dir, at: 0)
            dir = HostPaths.parent(dir)
        }
        for dir in missing {
            guard mkdir(dir, 0o755) == 0 || errno == EEXIST else {
                throw CLIError("\(dir): cannot be created (\(String(cString: strerror(errno))))")
            }
        }
        return missing
    }
}
