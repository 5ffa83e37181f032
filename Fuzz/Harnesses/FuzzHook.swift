// libFuzzer harness: the whole hook decision, `HookResponder.answer(event:)`, with a fixed policy
// like the shipped baseline plus a rule of each other kind. Each input is answered five ways: as
// the raw event bytes, and as the Bash command, Read and Edit file path, and WebFetch URL of a
// well-formed PreToolUse event, so that the policy engine and the shell analyser behind it are
// reached even by inputs that are not JSON. Besides not crashing or hanging, every answer must
// keep the hook's contract with Claude Code (see `checkContract`).

import WardenHooks
import WardenJSON
import WardenPolicy

private let policyText = """
    {
      "permissions": {
        "deny": [
          "Bash(curl:*)", "Bash(wget:*)", "Bash(rm -rf /:*)", "Bash(sudo:*)", "Bash(nc *)",
          "Read(**/.env*)", "Read(**/secrets/**)", "Read(**/.ssh/**)", "Read(~/.aws/credentials)",
          "Read(//etc/shadow)", "Read(/config/*.key)", "Edit(**/.env*)", "Edit(**/.git/hooks/**)",
          "WebFetch(domain:evil.example)", "mcp__exfil", "NotebookEdit"
        ],
        "ask": ["Bash(git push:*)", "Bash(docker *)", "Write(/deploy/**)", "WebFetch(domain:*.internal.example)", "mcp__db__*"],
        "allow": ["Bash(ls:*)", "Bash(pwd)", "Bash(git status:*)", "Bash(git diff:*)", "Bash(echo *)", "Read(src/**)", "Glob", "WebFetch(domain:docs.example)"],
        "disableBypassPermissionsMode": "disable"
      },
      "warden": {"unverifiableCommands": "ask"}
    }
    """

/// A file system with a link and a glob that expand, so the code that follows them is reached.
private struct FakeFileSystem: FileSystemView {
    func resolvedPath(_ absolutePath: String) -> String? {
        if absolutePath.hasSuffix("/link") { return "/home/user/.ssh/id_ed25519" }
        if absolutePath.hasPrefix("/home/user/project") { return absolutePath }
        return nil
    }
    func expandGlob(_ absolutePattern: String) -> [String] {
        guard absolutePattern.contains("*") else { return [] }
        var first = absolutePattern
        if let star = first.firstIndex(of: "*") { first.replaceSubrange(star...star, with: ".env") }
        return [first.replacing("*", with: "x"), "/home/user/project/README.md"]
    }
}

private let responder: HookResponder = {
    do throws(PolicyLoadError) {
        let policy = try Policy.parse(text: policyText, path: "/etc/claude-code/managed-settings.json")
        return HookResponder(policy: .success(policy), home: "/home/user", fileSystem: FakeFileSystem())
    } catch {
        fatalError("the harness policy does not load: \(error)")
    }
}()

private func event(tool: String, input: JSONValue) -> [UInt8] {
    Array(JSONValue.object([
        "session_id": .string("fuzz"),
        "transcript_path": .string("/home/user/.claude/projects/p/fuzz.jsonl"),
        "cwd": .string("/home/user/project"),
        "permission_mode": .string("default"),
        "hook_event_name": .string("PreToolUse"),
        "tool_name": .string(tool),
        "tool_input": input,
    ]).serialized.utf8)
}

/// What Claude Code needs from every answer: exit status 0 or 2 (anything else lets the tool run);
/// with 2, a one-line reason on stderr and nothing on stdout; with 0, nothing or a PreToolUse
/// decision as JSON on stdout.
private func checkContract(_ answer: HookAnswer) {
    switch answer.exitStatus {
    case 2:
        check(answer.stdout.isEmpty, "a block also wrote stdout: \(answer.stdout)")
        check(answer.stderr.hasPrefix("Warden blocked this: "), "a block without the block message: \(answer.stderr)")
        check(answer.stderr.hasSuffix("\n"), "a block reason without its newline: \(answer.stderr)")
        check(answer.stderr.utf8.filter({ $0 == 0x0A }).count == 1,
              "a block reason that is not one line: \(answer.stderr)")
    case 0:
        guard !answer.stdout.isEmpty else { return }
        let output: JSONValue
        do throws(JSONSyntaxError) { output = try JSONValue.parse(answer.stdout) } catch {
            fail("stdout is not JSON (\(error)): \(answer.stdout)")
        }
        let specific = output["hookSpecificOutput"]
        check(specific?["hookEventName"]?.string == "PreToolUse", "no hookEventName: \(answer.stdout)")
        let decision = specific?["permissionDecision"]?.string
        check(decision == "deny" || decision == "ask" || decision == "allow", "bad decision: \(answer.stdout)")
        check(!(specific?["permissionDecisionReason"]?.string ?? "").isEmpty, "no reason: \(answer.stdout)")
    default:
        fail("exit status \(answer.exitStatus) lets the tool run")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    checkContract(responder.answer(event: bytes))

    let text = String(decoding: bytes, as: UTF8.self)
    checkContract(responder.answer(event: event(tool: "Bash", input: .object(["command": .string(text), "description": .string("fuzz")]))))
    checkContract(responder.answer(event: event(tool: "Read", input: .object(["file_path": .string(text)]))))
    checkContract(responder.answer(event: event(tool: "Edit", input: .object(["file_path": .string(text), "old_string": .string("a"), "new_string": .string("b")]))))
    checkContract(responder.answer(event: event(tool: "WebFetch", input: .object(["url": .string(text), "prompt": .string("p")]))))
    return 0
}
