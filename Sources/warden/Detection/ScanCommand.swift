import ArgumentParser
import FoundationEssentials
import Glibc
import WardenDetect
import WardenScan
import WardenSystem

struct ScanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Report secrets and personal data in files and directories.",
        discussion: """
            Directories are walked recursively, without following symbolic links; .git \
            directories, binary files (a NUL byte in the first 8 KB) and files over 64 MB are \
            skipped. Lines containing warden:allow are not reported, nor findings whose \
            fingerprint is listed in --ignore-file. Text output is one line per finding: \
            PATH:LINE:COLUMN: KIND PREVIEW (RULE, CONFIDENCE) FINGERPRINT. The preview keeps at \
            most four characters of a value; no output format holds a detected value.
            Exit status: 0 nothing found, 1 something found, 2 a path could not be read.
            """
    )

    @Argument(help: ArgumentHelp("Files or directories to scan; - reads standard input.", valueName: "path"))
    var paths: [String] = []

    @Option(help: "Output format: text, json or sarif.")
    var format: ReportFormat = .text

    @Option(name: .customLong("ignore-file"), help: ArgumentHelp("A file of accepted fingerprints, one per line.", valueName: "file"))
    var ignoreFile: String?

    @Flag(name: .customLong("list-kinds"), help: "List every kind Warden detects, with its category, and exit.")
    var listKinds = false

    @OptionGroup var detection: DetectionOptions

    func validate() throws {
        if !listKinds && paths.isEmpty { throw ValidationError("give at least one path to scan (or - for standard input)") }
    }

    func run() throws {
        do {
            try scan()
        } catch let error as CLIError {
            Files.writeAll(2, "warden scan: \(error.description)\n")
            throw ExitCode(2)
        }
    }

    func scan() throws {
        if listKinds {
            for kind in Detector.catalogue { print("\(kind.name)\t\(kind.category.rawValue)") }
            return
        }
        let kinds = try detection.selectedKinds() ?? Set(Detector.catalogue)
        let scanner = TextScanner(detector: Detector(kinds: kinds), minimumConfidence: detection.minimumConfidence.confidence, digest: Digests.sha256)
        let ignore = try ignoreFile.map(loadIgnoreList) ?? IgnoreList()
        var findings: [LocatedFinding] = []
        var unreadable = false
        for path in paths {
            for file in files(under: path, unreadable: &unreadable) {
                switch file == "-" ? Files.readAll(fileDescriptor: 0, limit: 64 << 20) : Files.read(path: file, limit: 64 << 20) {
                case .success(let bytes):
                    if bytes.prefix(8192).contains(0) { continue }
                    findings += scanner.scan(bytes, path: file == "-" ? "<stdin>" : file, ignore: ignore)
                case .failure(.tooLarge):
                    Files.writeAll(2, "warden scan: \(file): skipped, larger than 64 MB\n")
                case .failure(let failure):
                    Files.writeAll(2, "warden scan: \(file): \(failure)\n")
                    unreadable = true
                }
            }
        }
        print(FindingReport.render(findings, as: format), terminator: "")
        if unreadable { throw ExitCode(2) }
        if !findings.isEmpty { throw ExitCode(1) }
    }

    /// `path` itself, or the regular files under it in a stable order.
    func files(under path: String, unreadable: inout Bool) -> [String] {
        if path == "-" { return [path] }
        guard let isDirectory = HostPaths.isDirectory(path) else {
            Files.writeAll(2, "warden scan: \(path): no such file or directory\n")
            unreadable = true
            return []
        }
        guard isDirectory else { return [path] }
        var result: [String] = []
        var pending = [path]
        while let directory = pending.popLast() {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
                Files.writeAll(2, "warden scan: \(directory): cannot list\n")
                unreadable = true
                continue
            }
            for name in names.sorted().reversed() where name != ".git" {
                let child = directory.hasSuffix("/") ? directory + name : directory + "/" + name
                guard let attributes = try? FileManager.default.attributesOfItem(atPath: child),
                      let type = attributes[.type] as? FileAttributeType else { continue }
                if type == .typeDirectory { pending.append(child) } else if type == .typeRegular { result.append(child) }
            }
        }
        return result.sorted()
    }
}

func loadIgnoreList(_ path: String) throws -> IgnoreList {
    let text = try readText(path, what: "cannot read the ignore file")
    let (list, bad) = IgnoreList.parse(text)
    if let first = bad.first {
        throw CLIError("\(path):\(first): not a fingerprint (expected \(FindingFingerprint.prefix) and \(FindingFingerprint.hexDigits) hex digits, as warden scan prints)")
    }
    return list
}
