// libFuzzer harness: the shell analyser on arbitrary bytes. Valid UTF-8 reaches the analyser as
// written; invalid UTF-8 is decoded the way Swift decodes foreign text (`String(decoding:as:)`,
// U+FFFD for each bad sequence). Any crash, trap or hang (libFuzzer -timeout) is a finding.

import WardenShell

private let environments = [
    ShellEnvironment(workingDirectory: "/home/user/project", home: "/home/user", variables: ["USER": "user", "PROJECT": "/home/user/project"]),
    ShellEnvironment(workingDirectory: nil, home: nil),
]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let script = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    for environment in environments {
        do throws(ShellSyntaxError) {
            let analysis = try ShellAnalyzer.analyze(script, in: environment)
            // Touch everything the policy engine reads, so lazily computed parts run too.
            var total = 0
            for invocation in analysis.invocations {
                total &+= invocation.words.count &+ invocation.source.utf8.count &+ (invocation.name?.utf8.count ?? 0)
                for access in invocation.fileAccesses { total &+= access.path.text.utf8.count }
                total &+= invocation.arguments.count
            }
            for concern in analysis.concerns { total &+= concern.source.utf8.count }
            blackHole(total)
        } catch {
            // Positions are documented as 1-based: a zero or negative one is a bug.
            check(error.line >= 1 && error.column >= 1, "syntax error at \(error.line):\(error.column): \(error.message)")
            blackHole(error.description.utf8.count)
        }
    }
    return 0
}

@inline(never) private func blackHole(_ value: Int) { _ = value }
