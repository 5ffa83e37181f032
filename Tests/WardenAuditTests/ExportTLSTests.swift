#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Testing
import WardenJSON
@testable import WardenAudit
@testable import WardenExport

/// A throwaway CA with a server certificate for 127.0.0.1 (an IP address SAN: the name
/// `warden log export` connects to), one for another host, and a client certificate; and a
/// second CA that signed none of them. Made with the openssl CLI in `dir`.
struct TestPKI {
    let dir: String
    var ca: String { dir + "/ca.pem" }
    var otherCA: String { dir + "/other-ca.pem" }
    var serverCertificate: String { dir + "/server.pem" }
    var serverKey: String { dir + "/server.key" }
    var clientCertificate: String { dir + "/client.pem" }
    var clientKey: String { dir + "/client.key" }
    var otherHostCertificate: String { dir + "/other-host.pem" }
    var otherHostKey: String { dir + "/other-host.key" }
    static let clientName = "warden-test-client"

    static let isAvailable: Bool = {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        return waitFor(spawn(["/usr/bin/env", "openssl", "version"], stdout: dir.path + "/out", stderr: dir.path + "/err")) == 0
    }()

    struct Failed: Error, CustomStringConvertible {
        let description: String
    }

    static func make(in dir: String) async throws -> TestPKI {
        guard isAvailable else {
            throw Failed(description: "the openssl CLI is missing, which the TLS export tests need: run Scripts/install-deps.sh — required, as WARDEN_E2E_REQUIRED=1")
        }
        let pki = TestPKI(dir: dir)
        func openssl(_ arguments: [String]) async throws {
            let err = dir + "/openssl.err"
            unlink(err)
            let status = await waitForExit(spawn(["/usr/bin/env", "openssl"] + arguments, stdout: dir + "/openssl.out", stderr: err))
            if status != 0 { throw Failed(description: "openssl \(arguments.joined(separator: " ")): exit \(status): \(readText(err))") }
        }
        // P-256 keys: an RSA key takes a noticeable share of a loaded 2-core machine to make.
        let newKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        for (name, subject) in [("ca", "Warden test CA"), ("other-ca", "Another test CA")] {
            try await openssl(
                ["req", "-x509"] + newKey + ["-keyout", "\(dir)/\(name).key", "-out", "\(dir)/\(name).pem", "-days", "2", "-subj", "/CN=\(subject)",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        }
        for (name, subject, extensions) in [
            ("server", "127.0.0.1", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n"),
            ("client", clientName, "extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n"),
            ("other-host", "collector.example", "subjectAltName=DNS:collector.example\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n"),
        ] {
            writeLines([extensions], to: "\(dir)/\(name).ext")
            try await openssl(["req"] + newKey + ["-keyout", "\(dir)/\(name).key", "-out", "\(dir)/\(name).csr", "-subj", "/CN=\(subject)"])
            try await openssl([
                "x509", "-req", "-in", "\(dir)/\(name).csr", "-CA", pki.ca, "-CAkey", "\(dir)/ca.key", "-set_serial", String(name.utf8.count),
                "-days", "2", "-out", "\(dir)/\(name).pem", "-extfile", "\(dir)/\(name).ext",
            ])
        }
        return pki
    }
}

extension ExportFixture {
    /// `path` as a JSON string, for `writePolicy`.
    func quoted(_ path: String) -> String { JSONValue.quoted(path) }
}

extension ExportProcessTests {
    /// https:// to a receiver whose certificate a throwaway CA signed: real sockets, real TLS.
    @Suite(.enabled(if: TestPKI.isAvailable || OTLPReceiver.isRequired, "the openssl CLI is missing: run Scripts/install-deps.sh"))
    struct TLS {
        @Test func withTheCollectorsCAConfiguredEveryRecordArrivesOverHTTPS() async throws {
            let fixture = ExportFixture(records: 5)
            defer { fixture.remove() }
            let pki = try await TestPKI.make(in: fixture.dir.path)
            let receiver = try await OTLPReceiver.start(
                out: fixture.dir.path + "/received.jsonl", options: ["--tls-cert", pki.serverCertificate, "--tls-key", pki.serverKey])
            defer { receiver.stop() }
            #expect(receiver.url.hasPrefix("https://127.0.0.1:"))
            fixture.writePolicy(endpoint: receiver.endpoint, ["batchSize": "2", "certificate": fixture.quoted(pki.ca)])
            let run = await fixture.export()
            #expect(run.status == 0, "\(run.err)")
            #expect(run.out == "sent 5 records in 3 requests to \(receiver.url); the cursor is at seq 5\n")
            #expect(run.err == "")
            #expect(try receiver.acceptedSeqs() == Array(1...5))
            let cursor = try #require(fixture.cursor())
            #expect(cursor.seq == 5 && cursor.endpoint == receiver.url)
            let doctor = await runCLI(["doctor", "--log-only", "--policy", fixture.policy, "--log-dir", fixture.log.directory])
            #expect(doctor.out.contains("ok    export: to \(receiver.url); cursor at seq 5 (acknowledged \(cursor.time.rfc3339)), 0 records to send; CA certificates from \(pki.ca)\n"), "\(doctor.out)")
        }

        @Test func aCollectorTheCertificateDoesNotVouchForFailsTheRunAndTheCursorStays() async throws {
            let fixture = ExportFixture(records: 3)
            defer { fixture.remove() }
            let pki = try await TestPKI.make(in: fixture.dir.path)
            let receiver = try await OTLPReceiver.start(
                out: fixture.dir.path + "/received.jsonl", options: ["--tls-cert", pki.serverCertificate, "--tls-key", pki.serverKey])
            defer { receiver.stop() }
            fixture.writePolicy(endpoint: receiver.endpoint, ["certificate": fixture.quoted(pki.ca)])
            #expect(await fixture.export().status == 0)
            fixture.append(4...5)
            let before = AuditLog.readFile(fixture.cursorPath, from: 0)

            // No certificate: this machine's CA certificates, which do not know the test CA.
            fixture.writePolicy(endpoint: receiver.endpoint)
            let system = await fixture.export()
            #expect(system.status == 1)
            #expect(system.out == "")
            #expect(system.err == "warden: export to \(receiver.url) failed: no acknowledgement after 3 attempts: TLS: the collector's certificate does not verify against this machine's CA certificates (a private CA goes in warden.export.otlp.certificate): not issued by them, or expired; the cursor stays at seq 3\n")

            // Another CA: the file replaces the system's CA certificates, it does not add to them.
            fixture.writePolicy(endpoint: receiver.endpoint, ["certificate": fixture.quoted(pki.otherCA)])
            let other = await fixture.export()
            #expect(other.status == 1)
            #expect(other.err == "warden: export to \(receiver.url) failed: no acknowledgement after 3 attempts: TLS: the collector's certificate does not verify against the CA certificates in \(pki.otherCA) (warden.export.otlp.certificate): not issued by them, or expired; the cursor stays at seq 3\n")

            #expect(AuditLog.readFile(fixture.cursorPath, from: 0) == before)
            #expect(try receiver.acceptedSeqs() == [1, 2, 3])
        }

        @Test func aCertificateFileThatCannotBeUsedStopsTheExportWithOneLine() async throws {
            let fixture = ExportFixture(records: 2)
            defer { fixture.remove() }
            let pki = try await TestPKI.make(in: fixture.dir.path)
            let receiver = try await OTLPReceiver.start(
                out: fixture.dir.path + "/received.jsonl", options: ["--tls-cert", pki.serverCertificate, "--tls-key", pki.serverKey])
            defer { receiver.stop() }
            let missing = fixture.dir.path + "/no-such-ca.pem"
            fixture.writePolicy(endpoint: receiver.endpoint, ["certificate": fixture.quoted(missing)])
            let absent = await fixture.export()
            #expect(absent.status == 2)
            #expect(absent.out == "")
            #expect(absent.err == "warden: warden.export.otlp.certificate: cannot read \(missing): no such file or directory\n")
            let doctor = await runCLI(["doctor", "--log-only", "--policy", fixture.policy, "--log-dir", fixture.log.directory])
            #expect(doctor.status == 1)
            #expect(doctor.out.contains("FAIL  export: warden.export.otlp.certificate: cannot read \(missing): no such file or directory\n"), "\(doctor.out)")

            fixture.writePolicy(endpoint: receiver.endpoint, ["certificate": fixture.quoted(pki.serverKey)])
            let key = await fixture.export()
            #expect(key.status == 2)
            #expect(key.err == "warden: warden.export.otlp.certificate: \(pki.serverKey) holds no PEM certificate that can be read (-----BEGIN CERTIFICATE-----)\n")

            fixture.writePolicy(endpoint: receiver.endpoint, ["certificate": fixture.quoted(fixture.dir.path)])
            let directory = await fixture.export()
            #expect(directory.status == 2)
            #expect(directory.err == "warden: warden.export.otlp.certificate: cannot read \(fixture.dir.path): is a directory\n")

            fixture.writePolicy(endpoint: receiver.endpoint, ["certificate": #""ca.pem""#])
            let relative = await fixture.export()
            #expect(relative.status == 2)
            #expect(relative.err.hasPrefix("warden: \(fixture.policy):1:"), "\(relative.err)")
            #expect(relative.err.hasSuffix(": warden.export.otlp.certificate must be the absolute path of a PEM file of CA certificates, got \"ca.pem\"\n"), "\(relative.err)")

            #expect(try receiver.requests().isEmpty)
            #expect(fixture.cursor() == nil)
        }

        @Test func aClientCertificateForACollectorThatAsksForOne() async throws {
            let fixture = ExportFixture(records: 2)
            defer { fixture.remove() }
            let pki = try await TestPKI.make(in: fixture.dir.path)
            let receiver = try await OTLPReceiver.start(
                out: fixture.dir.path + "/received.jsonl",
                options: ["--tls-cert", pki.serverCertificate, "--tls-key", pki.serverKey, "--tls-client-ca", pki.ca])
            defer { receiver.stop() }

            fixture.writePolicy(endpoint: receiver.endpoint, ["certificate": fixture.quoted(pki.ca)])
            let without = await fixture.export()
            #expect(without.status == 1)
            #expect(without.err == "warden: export to \(receiver.url) failed: no acknowledgement after 3 attempts: TLS: the collector asks for a client certificate (warden.export.otlp.clientCertificate and clientKey); the cursor stays at the start (nothing acknowledged yet)\n")
            #expect(fixture.cursor() == nil)

            fixture.writePolicy(endpoint: receiver.endpoint, [
                "certificate": fixture.quoted(pki.ca), "clientCertificate": fixture.quoted(pki.clientCertificate), "clientKey": fixture.quoted(pki.serverKey),
            ])
            let mismatch = await fixture.export()
            #expect(mismatch.status == 2)
            #expect(mismatch.err == "warden: warden.export.otlp.clientKey: \(pki.serverKey) is not the private key of the certificate in \(pki.clientCertificate)\n")

            fixture.writePolicy(endpoint: receiver.endpoint, [
                "certificate": fixture.quoted(pki.ca), "clientCertificate": fixture.quoted(pki.clientCertificate), "clientKey": fixture.quoted(pki.clientKey),
            ])
            let with = await fixture.export()
            #expect(with.status == 0, "\(with.err)")
            #expect(with.out == "sent 2 records in 1 request to \(receiver.url); the cursor is at seq 2\n")
            let requests = try receiver.requests()
            #expect(requests.map { $0["clientCertificate"]?.string } == [TestPKI.clientName])
            #expect(try receiver.acceptedSeqs() == [1, 2])

            // A collector that trusts another CA for its clients.
            fixture.append(3...3)
            let picky = try await OTLPReceiver.start(
                out: fixture.dir.path + "/picky.jsonl",
                options: ["--tls-cert", pki.serverCertificate, "--tls-key", pki.serverKey, "--tls-client-ca", pki.otherCA])
            defer { picky.stop() }
            let refused = await fixture.export(["--endpoint", picky.endpoint])
            #expect(refused.status == 1)
            #expect(refused.err == "warden: the cursor was acknowledged by \(receiver.url); going on after seq 2 with \(picky.url) (remove \(fixture.cursorPath) to send every record kept to it)\n"
                + "warden: export to \(picky.url) failed: no acknowledgement after 3 attempts: TLS: the collector refused the client certificate in \(pki.clientCertificate) (unknown ca); the cursor stays at seq 2\n")
            #expect(try picky.requests().isEmpty)
        }

        @Test func aCertificateForAnotherHostOrNoTLSAtAllIsSaidSo() async throws {
            let fixture = ExportFixture(records: 1)
            defer { fixture.remove() }
            let pki = try await TestPKI.make(in: fixture.dir.path)
            let receiver = try await OTLPReceiver.start(
                out: fixture.dir.path + "/received.jsonl", options: ["--tls-cert", pki.otherHostCertificate, "--tls-key", pki.otherHostKey])
            defer { receiver.stop() }
            fixture.writePolicy(endpoint: receiver.endpoint, ["certificate": fixture.quoted(pki.ca), "maxAttempts": "1"])
            let otherHost = await fixture.export()
            #expect(otherHost.status == 1)
            #expect(otherHost.err == "warden: export to \(receiver.url) failed: no acknowledgement after 1 attempt: TLS: the collector's certificate is not for the endpoint's host (its subject alternative names do not include it); the cursor stays at the start (nothing acknowledged yet)\n")

            let plain = try await OTLPReceiver.start(out: fixture.dir.path + "/plain.jsonl")
            defer { plain.stop() }
            let https = "https://127.0.0.1:\(plain.port)"
            let noTLS = await fixture.export(["--endpoint", https])
            #expect(noTLS.status == 1)
            #expect(noTLS.err == "warden: export to \(https)/v1/logs failed: no acknowledgement after 1 attempt: TLS: the collector did not answer in TLS (does it serve http:// on this port?); the cursor stays at the start (nothing acknowledged yet)\n")
            #expect(fixture.cursor() == nil)
        }

        @Test func aCertificateWithAnHTTPEndpointIsSaidToBeUnused() async throws {
            let fixture = ExportFixture(records: 1)
            defer { fixture.remove() }
            let receiver = try await OTLPReceiver.start(out: fixture.dir.path + "/received.jsonl")
            defer { receiver.stop() }
            // Not read either: the file need not exist.
            fixture.writePolicy(endpoint: receiver.endpoint, ["certificate": fixture.quoted(fixture.dir.path + "/ca.pem")])
            let run = await fixture.export()
            #expect(run.status == 0, "\(run.err)")
            #expect(run.err == "warden: warden.export.otlp.certificate is not used: \(receiver.url) is plain HTTP, without TLS\n")
            #expect(try receiver.acceptedSeqs() == [1])
        }
    }
}
