import Testing
import WardenAudit
import WardenDigest
import WardenJSON
import WardenSandbox
@testable import WardenChannel

private let record = ChannelRecord(
    event: "PreToolUse", tool: "Bash", session: "0b6c7c1e-5a4e-4d2b-9a43-1f0e6c3b2a10", decision: .allow,
    rules: ["Bash(ls:*)"], reason: nil, redactions: ["EMAIL": 2], subject: "ls -la", policy: "sha256:ab", latencyMicros: 812)

private func refusal(_ line: String) -> String? {
    if case .failure(let refusal) = ChannelRequest.parse(Array(line.utf8)) { return refusal.description }
    return nil
}

@Suite("The channel's protocol as data")
struct ChannelProtocolTests {
    @Test("every request survives its own line")
    func roundTrip() throws {
        let digest = SHA256Digest.hash(Array("bob@example.com".utf8))
        for request in [ChannelRequest.attest, .record(record), .pseudonyms(session: "s-1", items: [PseudonymQuery(kind: "EMAIL", digest: digest)])] {
            #expect(try ChannelRequest.parse(Array(request.line.utf8)).get() == request)
            #expect(request.line.hasSuffix("\n") && request.line.dropLast().contains("\n") == false)
        }
    }

    @Test("a record may carry only hook events: the host's own kinds are refused")
    func hookEventsOnly() {
        for event in ["SandboxStart", "SandboxEnd", "Network", "Anything"] {
            var forged = record
            forged.event = event
            let reason = refusal(ChannelRequest.record(forged).line)
            #expect(reason?.contains("request.record.event") == true && reason?.contains("is not a hook event") == true, "\(event): \(reason ?? "accepted")")
        }
    }

    @Test("what the host stamps cannot be sent: unknown keys, other versions and ops, bad shapes are refused with a reason")
    func refusals() {
        #expect(refusal(#"{"v":2,"op":"attest"}"#)?.contains("version 2") == true)
        #expect(refusal(#"{"v":1,"op":"shell"}"#)?.contains("request.op") == true)
        #expect(refusal(#"{"v":1,"op":"attest","run":"warden-run-1"}"#)?.contains("unknown key \"run\"") == true)
        #expect(refusal(#"{"v":1,"op":"attest","session":"s"}"#)?.contains("does not belong") == true)
        #expect(refusal(#"{"v":1,"op":"record","record":{"event":"PreToolUse","session":"s","decision":"allow","rules":[],"redactions":{},"latencyUs":1,"confinement":"x"}}"#)?.contains("unknown key \"confinement\"") == true)
        #expect(refusal(#"{"v":1,"op":"record","record":{"event":"PreToolUse","session":"s","decision":"maybe","rules":[],"redactions":{},"latencyUs":1}}"#)?.contains("request.record.decision") == true)
        #expect(refusal(#"{"v":1,"op":"record","record":{"event":"PreToolUse","session":"../x","decision":"allow","rules":[],"redactions":{},"latencyUs":1}}"#)?.contains("request.record.session") == true)
        #expect(refusal(#"{"v":1,"op":"pseudonyms","session":"s","items":[{"kind":"EMAIL","digest":"abc"}]}"#)?.contains("digest") == true)
        #expect(refusal(#"{"v":1,"op":"pseudonyms","session":"s","items":[{"kind":"email; rm","digest":"\#(String(repeating: "a", count: 64))"}]}"#)?.contains("kind") == true)
        #expect(refusal("{\"v\":1,\"op\":\"attest\"}\n{\"v\":1,\"op\":\"attest\"}\n")?.contains("more than one line") == true)
        #expect(refusal("not json")?.contains("not JSON") == true)
        #expect(refusal("[1]")?.contains("not an object") == true)
        var long = record
        long.subject = String(repeating: "x", count: ChannelProtocol.maximumRequestBytes)
        #expect(refusal(ChannelRequest.record(long).line)?.contains("longer than") == true)
        let many = (0...ChannelProtocol.maximumPseudonymItems).map { _ in PseudonymQuery(kind: "EMAIL", digest: [UInt8](repeating: 1, count: 32)) }
        #expect(refusal(ChannelRequest.pseudonyms(session: "s", items: many).line)?.contains("more than") == true)
    }

    @Test("answers: done with the run and numbers, refusals with their reason; anything else is a refusal")
    func answers() {
        #expect(ChannelResponse.parse(Array(ChannelResponse.done(run: "warden-run-7", numbers: [1, 2]).line.utf8)) == .done(run: "warden-run-7", numbers: [1, 2]))
        #expect(ChannelResponse.parse(Array(ChannelResponse.refused("no").line.utf8)) == .refused("no"))
        guard case .refused = ChannelResponse.parse(Array("HTTP/1.1 200 OK\r\n".utf8)) else { Issue.record("accepted a non-answer"); return }
        guard case .refused = ChannelResponse.parse(Array(#"{"v":1,"ok":true,"run":"r","numbers":[0]}"#.utf8)) else { Issue.record("accepted number 0"); return }
    }

    @Test("admission: the developer's uid, and the sandbox's pid namespace, once it is known")
    func admission() {
        let identity = ChannelIdentity(uid: 1000, pidNamespace: "pid:[4026532900]", run: "warden-run-1")
        #expect(ChannelAdmission.refusal(peer: ChannelPeer(pid: 5, uid: 1000, pidNamespace: "pid:[4026532900]"), identity: identity) == nil)
        #expect(ChannelAdmission.refusal(peer: ChannelPeer(pid: 5, uid: 1001, pidNamespace: "pid:[4026532900]"), identity: identity)?.description.contains("uid 1001") == true)
        #expect(ChannelAdmission.refusal(peer: ChannelPeer(pid: 5, uid: 1000, pidNamespace: "pid:[4026531836]"), identity: identity)?.description.contains("not inside this run's sandbox") == true)
        #expect(ChannelAdmission.refusal(peer: ChannelPeer(pid: 5, uid: 1000, pidNamespace: nil), identity: identity)?.description.contains("cannot be read") == true)
        var notStarted = identity
        notStarted.pidNamespace = nil
        #expect(ChannelAdmission.refusal(peer: ChannelPeer(pid: 5, uid: 1000, pidNamespace: "pid:[4026532900]"), identity: notStarted)?.description.contains("not started") == true)
    }

    @Test("the hook's fixed path is the plan's mount point of the run directory")
    func fixedPath() {
        #expect(ChannelProtocol.runDirectoryInside == SandboxPlan.runtimeMountPoint)
    }

    @Test("the host stamps origin, time and the run on a record; the hook's fields pass unchanged")
    func stamping() {
        let stamped = record.auditRecord(origin: AuditOrigin(host: "box", user: "dev", uid: 1000), run: "warden-run-9")
        #expect(stamped.confinement == "warden-run-9" && stamped.host == "box" && stamped.uid == 1000)
        #expect(stamped.event == "PreToolUse" && stamped.tool == "Bash" && stamped.rules == ["Bash(ls:*)"] && stamped.redactions == ["EMAIL": 2])
        #expect(stamped.line().contains(#","confinement":"warden-run-9","prev":"#))
        #expect((try? AuditRecord(line: stamped.line()))?.confinement == "warden-run-9")
    }
}
