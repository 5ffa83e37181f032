import Foundation
import Testing
import WardenLaunch

// Warden's channel with the real bwrap, as root and as an unprivileged user the tests create: the
// hook inside `warden run` hands its records and pseudonym look-ups to the host, which keeps the
// log and the books; `warden.sandbox.required` denies outside and allows inside.

private let channelPolicy = #"""
{
  "warden": { "sandbox": { "required": true }, "detection": { "style": "pseudonym" } }
}
"""#

/// Run inside the sandbox with the hook's path and the policy's: one `name=value` line per check.
private let channelScript = #"""
H="$1"; POL="$2"; W="$3"; P="$PWD"
echo doctor=$("$W" doctor 2>&1 | grep -c '^ok    channel: inside warden-run-')
touch "$P/inside-started"
printf '{"hook_event_name":"PreToolUse","session_id":"sess-1","cwd":"%s","tool_name":"Bash","tool_input":{"command":"ls"}}' "$P" | "$H" --policy "$POL" >/tmp/pre.out 2>/tmp/pre.err
echo pre_status=$?
echo pre_err=$(head -c 300 /tmp/pre.err)
{ cat "$POL"; echo; } > /tmp/other.json
printf '{"hook_event_name":"PreToolUse","session_id":"sess-1","cwd":"%s","tool_name":"Bash","tool_input":{"command":"ls"}}' "$P" | "$H" --policy /tmp/other.json >/dev/null 2>/tmp/other.err
echo other_status=$?
echo other_err=$(head -c 400 /tmp/other.err)
echo warden_policy=$WARDEN_POLICY
printf '{"hook_event_name":"PreToolUse","session_id":"not a session id","cwd":"%s","tool_name":"Bash","tool_input":{"command":"ls"}}' "$P" | "$H" --policy "$POL" >/dev/null 2>/tmp/unlogged.err
echo unlogged_status=$?
echo unlogged_err=$(head -c 300 /tmp/unlogged.err)
printf '%s' '{"hook_event_name":"PostToolUse","session_id":"sess-1","tool_name":"Bash","tool_input":{"command":"cat a"},"tool_response":{"stdout":"write to bob@example.com"}}' | "$H" --policy "$POL" >/tmp/post1.out 2>&1
echo post1=$(grep -o '<EMAIL_[0-9]*>' /tmp/post1.out | tr '\n' ,)
printf '%s' '{"hook_event_name":"PostToolUse","session_id":"sess-1","tool_name":"Bash","tool_input":{"command":"cat b"},"tool_response":{"stdout":"alice@example.com and bob@example.com"}}' | "$H" --policy "$POL" >/tmp/post2.out 2>&1
echo post2=$(grep -o '<EMAIL_[0-9]*>' /tmp/post2.out | tr '\n' ,)
echo run_out=$(CLAUDE_CODE_SESSION_ID=sess-1 WARDEN_POLICY="$POL" "$H" --run "eval 'echo mail carol@example.com then bob@example.com' < /dev/null && pwd -P >| /tmp/cwd-file" | grep -o '<EMAIL_[0-9]*>' | tr '\n' ,)
echo books=$(ls -A "$HOME/.local/state/warden/pseudonyms" 2>/dev/null | wc -l)
cat "$HOME/.local/state/warden/pseudonyms/sess-1" >/dev/null 2>&1 && echo book_read=yes || echo book_read=no
echo log_write=$(echo x 2>/dev/null >> "$HOME/.local/state/warden/head" && echo yes || echo no)
echo forged=$(/usr/bin/python3 "$P/forge.py" "$(cat /tmp/.warden/channel)")
i=0; while [ ! -f "$P/host-probed" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done
exit 0
"""#

/// A record of the host's own kind sent straight to the channel's port.
private let forgeScript = #"""
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b'{"v":1,"op":"record","record":{"event":"SandboxStart","session":"warden-run-1","decision":"none","rules":[],"redactions":{},"latencyUs":0}}\n')
print(s.recv(4096).decode().strip())
"""#

private func connectRefusal(_ socketPath: String) -> String {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
        for (index, byte) in socketPath.utf8.enumerated() { raw[index] = byte }
    }
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    guard connected == 0 else { return "connect failed: \(String(cString: strerror(errno)))" }
    let line = Array(#"{"v":1,"op":"attest"}"#.utf8) + [10]
    _ = line.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    var buffer = [UInt8](repeating: 0, count: 4096)
    let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
    return count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self) : ""
}

private func hostRecords(_ scene: RunScene) -> [[String: Any]] {
    let directory = scene.home + "/.local/state/warden"
    var records: [[String: Any]] = []
    for name in ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted() where name.hasSuffix(".jsonl") {
        let text = (try? String(contentsOfFile: directory + "/" + name, encoding: .utf8)) ?? ""
        for line in text.split(separator: "\n") {
            if let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] { records.append(object) }
        }
    }
    return records
}

@Suite("Warden's channel with the real bwrap", .serialized)
struct RunChannelTests {
    static var users: [RunTestUser] { getuid() == 0 ? [.root, .unprivileged] : [.root] }

    @Test("inside warden run the hook's and the shell prefix's records reach the host's log, pseudonyms are the host's, forgeries and host peers are refused", arguments: users)
    func inside(user: RunTestUser) throws {
        let scene = try RunScene(user: user, policy: channelPolicy)
        defer { scene.remove() }
        _ = FileManager.default.createFile(atPath: scene.project + "/forge.py", contents: Data(forgeScript.utf8))
        let hook = builtProduct("warden-hook", override: "WARDEN_HOOK_BIN")
        let out = scene.base + "/stdout", err = scene.base + "/stderr"
        let process = try scene.process(["--", "/bin/sh", "-c", channelScript, "sh", hook, scene.policy, (hook as NSString).deletingLastPathComponent + "/warden"], stdout: out, stderr: err)
        try process.run()
        // The host side: the run directory's socket, probed by this process (not in the sandbox)
        // once the sandbox runs (before bwrap has named its first process every request is
        // refused for that reason instead).
        let base = LaunchPlaceholders.runtimeBase { _ in nil }  // the scene's environment has no XDG_RUNTIME_DIR
        let socketPath = "\(base)/warden-run.\(scene.uid).\(process.processIdentifier)/channel.sock"
        var waited = 0
        while !FileManager.default.fileExists(atPath: scene.project + "/inside-started") && waited < 300 && process.isRunning {
            usleep(50_000)
            waited += 1
        }
        let hostProbe = connectRefusal(socketPath)
        _ = FileManager.default.createFile(atPath: scene.project + "/host-probed", contents: nil)
        process.waitUntilExit()
        let stdout = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOfFile: err, encoding: .utf8)) ?? ""
        let values = RunResult(status: process.terminationStatus, stdout: stdout, stderr: stderr).values
        #expect(process.terminationStatus == 0, "\(stdout)\n\(stderr)")

        // warden doctor inside says so, from the channel's attestation.
        #expect(values["doctor"] == "1", "\(stdout)")
        // warden.sandbox.required: inside, the tool call is not denied.
        #expect(values["pre_status"] == "0", "\(values["pre_err"] ?? "")")
        // A hook judging by another policy that requires the sandbox (one byte more): this
        // sandbox was not built from it, so the tool call is denied.
        #expect(values["other_status"] == "2")
        #expect(values["other_err"]?.contains("it was built from another policy") == true, "\(values["other_err"] ?? "")")
        // Hooks registered without --policy judge by the policy the walls are built from.
        #expect(values["warden_policy"] == URL(fileURLWithPath: scene.policy).resolvingSymlinksInPath().path, "\(stdout)")
        // A record the host refuses (here: a session id that is none) blocks the tool call.
        #expect(values["unlogged_status"] == "2")
        #expect(values["unlogged_err"]?.contains("the decision log is unavailable (request.record.session") == true, "\(values["unlogged_err"] ?? "")")
        // The same value has the same name in two hook calls; the names come from the host.
        #expect(values["post1"] == "<EMAIL_1>,", "\(stdout)")
        #expect(values["post2"] == "<EMAIL_2>,<EMAIL_1>,", "\(stdout)")
        // warden-hook --run (the shell prefix) names from the same book on the host.
        #expect(values["run_out"] == "<EMAIL_3>,<EMAIL_1>,", "\(stdout)")
        // The books are masked inside, the log read-only.
        #expect(values["books"] == "0")
        #expect(values["book_read"] == "no")
        #expect(values["log_write"] == "no")
        // A record of the host's own kind, sent straight to the port: refused.
        #expect(values["forged"]?.contains(#""ok":false"#) == true && values["forged"]?.contains("not a hook event") == true, "\(values["forged"] ?? "")")
        // A process on the host connecting to the socket file: refused.
        #expect(hostProbe.contains(#""ok":false"#), "\(hostProbe)")
        #expect(hostProbe.contains(user == .root ? "not inside this run's sandbox" : "not the developer's"), "\(hostProbe)")

        // On the host: the hook's three records, stamped with the run; one SandboxStart, the real one.
        let records = hostRecords(scene)
        let run = "warden-run-\(process.processIdentifier)"
        let hooks = records.filter { ($0["confinement"] as? String) == run }
        #expect(hooks.map { $0["event"] as? String ?? "" } == ["PreToolUse", "PreToolUse", "PostToolUse", "PostToolUse", "CommandOutput"], "\(records)")
        #expect(records.filter { ($0["event"] as? String) == "SandboxStart" }.map { $0["session"] as? String ?? "" } == [run])
        // The book is on the host, and holds no value.
        let book = (try? String(contentsOfFile: scene.home + "/.local/state/warden/pseudonyms/sess-1", encoding: .utf8)) ?? ""
        #expect(book.hasPrefix("key ") && !book.contains("example.com"))
        #expect(book.split(separator: "\n").count == 4)
    }

    @Test("outside the sandbox warden.sandbox.required denies the tool call and the log says the session was outside", arguments: users)
    func outside(user: RunTestUser) throws {
        let scene = try RunScene(user: user, policy: channelPolicy)
        defer { scene.remove() }
        let hook = builtProduct("warden-hook", override: "WARDEN_HOOK_BIN")
        let event = #"{"hook_event_name":"PreToolUse","session_id":"sess-out","cwd":"# + "\"" + scene.project + #"","tool_name":"Bash","tool_input":{"command":"ls"}}"#
        let command = "printf '%s' '\(event)' | HOME=\(scene.home) XDG_STATE_HOME=\(scene.home)/.local/state \(hook) --policy \(scene.policy)"
        let process = Process()
        if user == .unprivileged {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            process.arguments = ["--reuid=\(scene.uid)", "--regid=\(scene.gid)", "--init-groups", "--", "/bin/sh", "-c", command]
        } else {
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", command]
        }
        let errorPipe = Pipe()
        process.standardError = errorPipe
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let stderr = String(decoding: errorPipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 2)
        #expect(stderr.contains("warden.sandbox.required is true") && stderr.contains("not inside Warden's sandbox"), "\(stderr)")
        let records = hostRecords(scene)
        #expect(records.count == 1)
        #expect(records.first?["confinement"] as? String == "outside")
        #expect(records.first?["decision"] as? String == "deny")
        #expect((records.first?["reason"] as? String)?.contains("warden.sandbox.required") == true)
    }
}
