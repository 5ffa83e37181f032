import Foundation
import Testing
@testable import WardenShell

/// The option tables against the tools installed here: every option the tool's own help lists is
/// in the table with the same kind of value, and the table has nothing the help does not list
/// (apart from documented BSD/macOS additions).
@Suite struct OptionTableTests {
    /// The help text of a tool (stdout and stderr: `git x -h` writes to either and exits 129).
    static func helpText(_ arguments: [String]) throws -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: NSTemporaryDirectory())
        var environment = ProcessInfo.processInfo.environment
        environment["LC_ALL"] = "C"
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        do { try process.run() } catch { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    static func isInstalled(_ tool: String) -> Bool {
        ["/usr/bin/", "/bin/"].contains { FileManager.default.isExecutableFile(atPath: $0 + tool) }
    }

    /// Reads the option column of `--help` / `-h` output: lines indented by one to eight spaces
    /// that start with `-`, up to two spaces. Spellings are separated by `, `; the value is marked
    /// as in the tools' help: `-x ARG`, `-x[ARG]`, `--long=ARG`, `--long[=ARG]`, `--long <arg>`,
    /// `--long (a|b)`.
    static func options(inHelp text: String) -> [String: OptionTable.Value] {
        var result: [String: OptionTable.Value] = [:]
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let indent = line.prefix(while: { $0 == " " }).count
            guard (1...8).contains(indent) else { continue }
            var column = line.dropFirst(indent)
            guard column.first == "-", column.count > 1, column.dropFirst().first != " " else { continue }
            if let gap = column.firstRange(of: "  ") { column = column[..<gap.lowerBound] }
            var spellings: [(String, OptionTable.Value)] = []
            var entryValue = OptionTable.Value.none
            for part in column.split(separator: ",") {
                let part = part.drop(while: { $0 == " " })
                guard part.first == "-" else { continue }
                let nameEnd = part.firstIndex(where: { $0 == " " || $0 == "=" || $0 == "[" }) ?? part.endIndex
                let name = String(part[..<nameEnd])
                let marker = part[nameEnd...]
                var value = OptionTable.Value.none
                if marker.hasPrefix("[") { value = .optional }
                else if marker.hasPrefix("=") || marker.hasPrefix(" ") { value = .required }
                // git's `-n[<n>]`: the name ends at `[`.
                if value != .none { entryValue = value }
                spellings.append((name, value))
            }
            // GNU: "Mandatory or optional arguments to long options are also mandatory or
            // optional for any corresponding short options."
            for (name, value) in spellings { result[name] = value == .none ? entryValue : value }
        }
        return result
    }

    static let gnuTools = ["rm", "cp", "mv", "chmod", "chown", "sed", "xargs", "timeout", "nice", "env"]

    @Test(arguments: gnuTools)
    func gnuTableMatchesHelp(tool: String) throws {
        try #require(Self.isInstalled(tool), "\(tool) is not installed")
        let help = try #require(try Self.helpText([tool, "--help"]))
        let listed = Self.options(inHelp: help)
        let table = try #require(OptionTables.table(for: tool))
        var known = table.spellings
        if tool == "xargs" { for bsd in OptionTables.xargsBSDOnly { known[bsd] = nil } }
        #expect(!listed.isEmpty)
        for (name, value) in listed {
            #expect(known[name] == value, "\(tool) \(name): help says \(value), table says \(String(describing: known[name]))")
        }
        for name in known.keys where listed[name] == nil {
            Issue.record("\(tool): the table has \(name), which \(tool) --help does not list")
        }
    }

    @Test(arguments: OptionTables.gitSubcommands.filter { $0 != "stash" })
    func gitTableMatchesHelp(subcommand: String) throws {
        try #require(Self.isInstalled("git"))
        let help = try #require(try Self.helpText(["git", subcommand, "-h"]))
        let listed = Self.options(inHelp: help)
        let table = try #require(OptionTables.git(subcommand))
        #expect(listed.count > 5, "git \(subcommand) -h: \(help)")
        #expect(listed == table.spellings, "git \(subcommand): help \(listed.sorted { $0.key < $1.key }) table \(table.spellings.sorted { $0.key < $1.key })")
    }

    /// `git stash -h` prints usage lines only; every option they name is in the table.
    @Test func gitStashTableCoversUsage() throws {
        try #require(Self.isInstalled("git"))
        let help = try #require(try Self.helpText(["git", "stash", "-h"]))
        let table = try #require(OptionTables.git("stash"))
        var named: Set<String> = []
        var word = ""
        for character in help + " " {
            if character.isLetter || character.isNumber || character == "-" {
                word.append(character)
            } else {
                if word.hasPrefix("-"), word.count > 1, word != "--" { named.insert(word) }
                word = ""
            }
        }
        named.remove("--no-keep-index")  // written `--[no-]keep-index`; the `[` splits it above
        #expect(named.isSubset(of: Set(table.spellings.keys)), "\(named.subtracting(table.spellings.keys))")
    }

    @Test func unknownHelpLinesAreNotOptions() {
        let parsed = Self.options(inHelp: "Usage: x [OPTION]...\n  -a, --all    everything\n      --size=N  size\n  -b           plain\n -    not an option\n")
        #expect(parsed == ["-a": .none, "--all": .none, "--size": .required, "-b": .none])
    }
}

/// How a command's words become its normal form.
@Suite struct NormalFormTests {
    static func form(_ line: String) -> CommandNormalForm {
        CommandNormalForm(words: line.split(separator: " ").map(String.init))
    }

    @Test func endOfOptionsIsKeptAndStopsOptionHandling() {
        let remove = Self.form("rm -- -rf")
        #expect(remove.options.isEmpty)
        #expect(remove.operands == ["--", "-rf"])
        #expect(remove.endOfOptions == 0)
        let restore = Self.form("git checkout -f -- file")
        #expect(restore.operands == ["checkout", "--", "file"])
        #expect(restore.options == ["-f"])
        #expect(restore.endOfOptions == 1)
        // A second `--` is a file name.
        #expect(Self.form("rm -- --").operands == ["--", "--"])
    }

    @Test func attachedValuesStayWithTheirOption() {
        #expect(Self.form("git checkout -bfeature").options == ["-b", "-b=feature"])
        #expect(Self.form("git checkout -b feature").options == ["-b", "-b=feature"])
        #expect(Self.form("git switch -cfix").options == ["-c", "-c=fix"])
        #expect(Self.form("git switch --create=fix").options == ["-c", "-c=fix"])
        #expect(Self.form("git commit -qmwip").options == ["-q", "-m", "-m=wip"])
        #expect(Self.form("git commit -m -f").options == ["-m", "-m=-f"])
        #expect(Self.form("sed -i.bak s/a/b/ f").options == ["-i", "-i=.bak"])
        #expect(Self.form("sed -n -e p f").operands == ["f"])
    }

    @Test func clustersTwinsAndOrder() {
        #expect(Self.form("rm -fR x").options == ["-r", "-f"])
        #expect(Self.form("rm --recursive --force x") == Self.form("rm -rf x"))
        #expect(Self.form("git push origin main -f") == Self.form("git push -f origin main"))
        #expect(Self.form("git -C repo -c a=b --no-pager push --force") == Self.form("git push -f"))
        #expect(Self.form("git branch -D x").options == ["-d", "-f"])
        #expect(Self.form("git push --forc").options == ["--forc"], "ambiguous: --force, --force-with-lease, --force-if-includes")
        #expect(Self.form("git push --force-w").options == ["--force-with-lease"])
        #expect(Self.form("git push --force --no-force").options.isEmpty)
        #expect(Self.form("git push origin +main").options == ["-f"])
        #expect(Self.form("git push origin :old") == Self.form("git push origin --delete old"))
        #expect(Self.form("npm i -g x") == Self.form("npm install --global x"))
    }

    @Test func unknownOptionsAreNeverFolded() {
        #expect(Self.form("rm -rZf x").options == ["-r", "-Zf"])
        #expect(Self.form("git push --frobnicate").options == ["--frobnicate"])
        #expect(Self.form("git push --force=yes").options == ["--force=yes"])
        let unknown = Self.form("frob -rf x")
        #expect(!unknown.parsed)
        #expect(unknown.operands == ["-rf", "x"])
        #expect(Self.form("git frob -f").operands == ["frob", "-f"])
    }

    @Test func descriptionShowsOperandsAndOptions() {
        #expect(Self.form("git push origin -f").description == "git push origin  {-f}")
        #expect(Self.form("frob -x").description == "frob -x  (as written: no option table)")
    }
}
