#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
import WardenJSON
@testable import WardenAudit
@testable import WardenExport
@testable import warden

let testOrigin = AuditOrigin(host: "host", user: "alice", uid: 1000)
let testTime = AuditTime(milliseconds: 1_793_000_000_000)

func networkRecord(
    asked: String = "Example.COM.", host: String? = "example.com", port: Int = 443, allowed: Bool = true,
    rule: String? = "*.example.com", address: String? = "93.184.216.34", sni: String? = "example.com",
    up: Int = 512, down: Int = 4096, session: String = "run-1", time: AuditTime = testTime
) -> AuditRecord {
    AuditRecord(
        network: NetworkDetails(
            proto: .connect, asked: asked, host: host, port: port, address: address, sni: sni,
            bytesUp: up, bytesDown: down, durationMillis: 120),
        allowed: allowed, rule: rule, reason: allowed ? nil : "not in sandbox.network.allowedDomains",
        session: session, policy: "sha256:abc", time: time, origin: testOrigin)
}

/// Connection records and sandbox start/end records: written, chained, read back, shown, exported.
@Suite struct NetworkRecordTests {
    @Test func aConnectionRecordHasItsShape() {
        let record = networkRecord(allowed: false, rule: nil)
        #expect(record.event == "Network")
        #expect(record.tool == nil)
        #expect(record.decision == .deny)
        #expect(record.rules == [])
        #expect(record.subject == "example.com:443")
        let allowed = networkRecord()
        #expect(allowed.decision == .allow)
        #expect(allowed.rules == ["*.example.com"])
        // An IPv6 address is bracketed; a name that did not parse is shown as asked.
        #expect(networkRecord(host: "2001:db8::1").subject == "[2001:db8::1]:443")
        #expect(networkRecord(asked: "bad name!", host: nil).subject == "bad name!:443")
    }

    @Test func connectionAndSandboxRecordsAreChainedAndReadBackWhole() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let log = AuditLog(directory: dir.path + "/log")
        let start = AuditRecord(
            sandboxStart: "sha256:0f3c", features: ["userns", "seccomp", "landlock-abi-7"], session: "run-1",
            policy: "sha256:abc", subject: "claude", time: testTime, origin: testOrigin)
        let end = AuditRecord(
            sandboxEnd: "sha256:0f3c", features: ["userns", "seccomp", "landlock-abi-7"], exitStatus: 130,
            durationMillis: 61_250, session: "run-1", policy: "sha256:abc", time: testTime, origin: testOrigin)
        let written = [makeRecord(1), start, networkRecord(), networkRecord(asked: "evil\u{1b}[31m.test", host: nil, allowed: false, rule: nil, address: nil, sni: nil), end]
        #expect(log.append(contentsOf: written) == nil)
        let verification = log.verify()
        #expect(verification.isValid, "\(String(describing: verification.problem))")
        #expect(verification.records == 5)
        let read = try log.records().get().records
        #expect(read.count == 5)
        for (a, b) in zip(read, written) {
            var expected = b
            expected.seq = a.seq
            expected.prev = a.prev
            expected.hash = a.hash
            #expect(a == expected)
            #expect(a.line() == readLines(log.segmentPath(1))[a.seq - 1] + "\n")
        }
        #expect(read[1].sandbox?.features == ["userns", "seccomp", "landlock-abi-7"])
        #expect(read[1].sandbox?.exitStatus == nil)
        #expect(read[4].sandbox?.exitStatus == 130 && read[4].sandbox?.durationMillis == 61_250)
        #expect(read[2].network?.address == "93.184.216.34")
        #expect(read[3].network?.asked == "evil\\u001b[31m.test")
        // The members are written between latencyUs and prev, and only where there is one.
        let lines = readLines(log.segmentPath(1))
        #expect(!lines[0].contains("\"network\"") && !lines[0].contains("\"sandbox\""))
        #expect(lines[2].contains(",\"latencyUs\":0,\"network\":{\"proto\":\"connect\",\"asked\":\"Example.COM.\",\"host\":\"example.com\",\"port\":443,\"address\":\"93.184.216.34\",\"sni\":\"example.com\",\"bytesUp\":512,\"bytesDown\":4096,\"durationMs\":120},\"prev\":"))
        #expect(lines[1].contains(",\"sandbox\":{\"planDigest\":\"sha256:0f3c\",\"features\":[\"userns\",\"seccomp\",\"landlock-abi-7\"],\"exitStatus\":null,\"durationMs\":null},\"prev\":"))
    }

    @Test func changingAConnectionsBytesBreaksTheChain() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let log = AuditLog(directory: dir.path + "/log")
        #expect(log.append(contentsOf: [networkRecord(), networkRecord(), networkRecord()]) == nil)
        let path = log.segmentPath(1)
        var lines = readLines(path)
        lines[1] = lines[1].replacingFirst("\"bytesUp\":512", with: "\"bytesUp\":51")
        writeLines(lines, to: path)
        let problem = try #require(log.verify().problem)
        #expect(problem.kind == .altered)
        #expect(problem.seq == 2)
    }

    /// A line as version 1 wrote it before connections were logged, with its hash: it must read,
    /// verify and encode to the same bytes.
    @Test func aRecordWrittenBeforeTheNewFieldsStillVerifies() throws {
        let prefix = #"{"v":1,"seq":1,"time":"2026-11-26T08:53:20.000Z","host":"host","user":"alice","uid":1000,"session":"s1","event":"PreToolUse","tool":"Bash","decision":"deny","rules":["Bash(curl:*)"],"reason":"no","redactions":{"EMAIL":1},"subject":"curl x","policy":"sha256:abc","latencyUs":101,"prev":"0000000000000000000000000000000000000000000000000000000000000000""#
        let line = prefix + ",\"hash\":\"" + AuditChain.sha256Hex(prefix) + "\"}"
        let record = try AuditRecord(line: line)
        #expect(record.network == nil && record.sandbox == nil)
        #expect(record.line() == line + "\n")
        var verifier = AuditVerifier(base: 1, baseHash: AuditChain.genesis)
        verifier.feed(line, at: AuditLocation(file: "old.jsonl", line: 1))
        #expect(verifier.problem == nil && verifier.records == 1)
    }

    @Test func badNetworkAndSandboxMembersAreNamed() {
        func error(_ line: String) -> String? {
            do { _ = try AuditRecord(line: line); return nil } catch { return error.description }
        }
        var record = networkRecord()
        _ = AuditChain.seal(&record, seq: 1, prev: AuditChain.genesis)
        let line = record.line()
        #expect(error(line.replacingFirst("\"proto\":\"connect\"", with: "\"proto\":\"gopher\"")) == "\"network.proto\" is not one of http, connect, socks5, origin, unix")
        #expect(error(line.replacingFirst("\"port\":443", with: "\"port\":\"443\"")) == "\"network.port\" is missing or not an integer")
        #expect(error(line.replacingFirst("\"network\":{", with: "\"network\":[{").replacingFirst("\"durationMs\":120}", with: "\"durationMs\":120}]")) == "\"network\" is not an object")
        var start = AuditRecord(sandboxStart: "sha256:1", features: ["seccomp"], session: "s", policy: nil, time: testTime, origin: testOrigin)
        _ = AuditChain.seal(&start, seq: 1, prev: AuditChain.genesis)
        #expect(error(start.line().replacingFirst("\"features\":[\"seccomp\"]", with: "\"features\":[1]")) == "\"sandbox.features\" holds a non-string")
        #expect(error(start.line().replacingFirst("\"exitStatus\":null", with: "\"exitStatus\":\"0\"")) == "\"sandbox.exitStatus\" is not an integer or null")
    }

    @Test func whatTheClientSentIsEscapedAndClipped() {
        #expect(NetworkDetails.shown("a\u{0}b\u{7f}c\u{85}d\nxn--bcher-kva.example") == "a\\u0000b\\u007fc\\u0085d\\u000axn--bcher-kva.example")
        let long = String(repeating: "a", count: 300)
        let clipped = NetworkDetails.shown(long)
        #expect(clipped.count == NetworkDetails.clipLength)
        #expect(clipped.hasSuffix("…"))
        #expect(NetworkDetails.shown(clipped) == clipped)
        // An escape is never cut in two.
        let escapes = String(repeating: "\u{1}", count: 100)
        let cut = NetworkDetails.shown(escapes)
        #expect(cut == String(repeating: "\\u0001", count: 42) + "…")
        #expect(NetworkDetails.shown(cut) == cut)
        let details = NetworkDetails(proto: .http, asked: "x\ty", host: nil, port: 80, sni: "s\u{1b}")
        #expect(details.asked == "x\\u0009y" && details.sni == "s\\u001b")
    }

    @Test func aConnectionIsExportedWithItsAttributes() throws {
        var record = networkRecord(allowed: false, rule: "deny: *.test", sni: "other.test")
        _ = AuditChain.seal(&record, seq: 3, prev: AuditChain.genesis)
        let json = try JSONValue.parse(OTLPLogs.logRecord(record, observedAt: testTime))
        #expect(json["body"]?["stringValue"]?.string == "deny Network example.com:443")
        #expect(json["severityText"]?.string == "WARN")
        var attributes: [String: JSONValue] = [:]
        for pair in json["attributes"]?.array ?? [] { attributes[pair["key"]!.string!] = pair["value"] }
        #expect(attributes["warden.event"]?["stringValue"]?.string == "Network")
        #expect(attributes["warden.tool"] == nil)
        #expect(attributes["warden.network.protocol"]?["stringValue"]?.string == "connect")
        #expect(attributes["warden.network.asked"]?["stringValue"]?.string == "Example.COM.")
        #expect(attributes["warden.network.host"]?["stringValue"]?.string == "example.com")
        #expect(attributes["warden.network.port"]?["intValue"]?.string == "443")
        #expect(attributes["warden.network.address"]?["stringValue"]?.string == "93.184.216.34")
        #expect(attributes["warden.network.sni"]?["stringValue"]?.string == "other.test")
        #expect(attributes["warden.network.bytes_up"]?["intValue"]?.string == "512")
        #expect(attributes["warden.network.bytes_down"]?["intValue"]?.string == "4096")
        #expect(attributes["warden.network.duration_ms"]?["intValue"]?.string == "120")
        #expect(attributes["warden.rules"]?["arrayValue"]?["values"]?.array?.first?["stringValue"]?.string == "deny: *.test")
        #expect(attributes["warden.subject"]?["stringValue"]?.string == "example.com:443")

        let unresolved = networkRecord(host: nil, address: nil, sni: nil)
        let keys = Set((try JSONValue.parse(OTLPLogs.logRecord(unresolved, observedAt: testTime)))["attributes"]?.array?.compactMap { $0["key"]?.string } ?? [])
        #expect(!keys.contains("warden.network.host") && !keys.contains("warden.network.address") && !keys.contains("warden.network.sni"))
        #expect(keys.contains("warden.network.asked"))
        #expect(!keys.contains { $0.hasPrefix("warden.sandbox.") })
    }

    @Test func sandboxStartAndEndAreExportedWithTheirAttributes() throws {
        func attributes(_ record: AuditRecord) throws -> [String: JSONValue] {
            var out: [String: JSONValue] = [:]
            for pair in try JSONValue.parse(OTLPLogs.logRecord(record, observedAt: testTime))["attributes"]?.array ?? [] {
                out[pair["key"]!.string!] = pair["value"]
            }
            return out
        }
        let start = try attributes(AuditRecord(sandboxStart: "sha256:9", features: ["userns", "seccomp"], session: "r", policy: nil, time: testTime, origin: testOrigin))
        #expect(start["warden.event"]?["stringValue"]?.string == "SandboxStart")
        #expect(start["warden.sandbox.plan_digest"]?["stringValue"]?.string == "sha256:9")
        #expect(start["warden.sandbox.features"]?["arrayValue"]?["values"]?.array?.compactMap { $0["stringValue"]?.string } == ["userns", "seccomp"])
        #expect(start["warden.sandbox.exit_status"] == nil && start["warden.sandbox.duration_ms"] == nil)
        let end = try attributes(AuditRecord(sandboxEnd: "sha256:9", features: [], exitStatus: 0, durationMillis: 5, session: "r", policy: nil, time: testTime, origin: testOrigin))
        #expect(end["warden.event"]?["stringValue"]?.string == "SandboxEnd")
        #expect(end["warden.sandbox.exit_status"]?["intValue"]?.string == "0")
        #expect(end["warden.sandbox.duration_ms"]?["intValue"]?.string == "5")
    }

    @Test func theLogTableShowsConnectionsAndSandboxSessions() {
        let table = LogTable.render([
            networkRecord(),
            networkRecord(allowed: false, rule: nil),
            AuditRecord(sandboxEnd: "sha256:0123456789abcdef0123", features: ["seccomp"], exitStatus: 1, durationMillis: 12_345, session: "r", policy: nil, time: testTime, origin: testOrigin),
        ])
        let rows = table.split(separator: "\n").map(String.init)
        #expect(rows.count == 4)
        #expect(rows[1].contains("Network"))
        #expect(rows[1].hasSuffix("*.example.com · connect example.com:443 → 93.184.216.34 (asked Example.COM.) ↑512 B ↓4.0 KiB 120 ms"))
        #expect(rows[2].contains("deny"))
        #expect(rows[2].contains("not in sandbox.network.allowedDomains · connect example.com:443"))
        #expect(rows[3].contains("SandboxEnd"))
        #expect(rows[3].contains("plan sha256:0123456789ab… [seccomp] exit 1 after 12.3 s"))
    }

    @Test func warden_log_filtersByEventAndShowsConnectionsAsJSON() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let log = AuditLog(directory: dir.path + "/log")
        #expect(log.append(contentsOf: [makeRecord(1), networkRecord(), makeRecord(2), networkRecord(allowed: false, rule: nil)]) == nil)
        let result = runCLI(["log", "--log-dir", log.directory, "--event", "network", "--json"])
        #expect(result.status == 0, "\(result.err)")
        let lines = result.out.split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        let json = try JSONValue.parse(lines[1])
        #expect(json["event"]?.string == "Network")
        #expect(json["decision"]?.string == "deny")
        #expect(json["network"]?["asked"]?.string == "Example.COM.")
        #expect(json["network"]?["bytesDown"]?.integer == 4096)
        #expect(try AuditRecord(line: lines[1]).network?.port == 443)
        let table = runCLI(["log", "--log-dir", log.directory, "--event", "Network"])
        #expect(table.out.split(separator: "\n").count == 3)
        #expect(table.out.contains("connect example.com:443"))
    }
}
