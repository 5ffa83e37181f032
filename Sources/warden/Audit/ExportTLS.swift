#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOSSL
import WardenAudit
import WardenSystem

/// The TLS files `warden.export.otlp` names, read before anything is sent: a file that cannot be
/// used is one line and exit 2, where inside the HTTP client it would be a failed connection,
/// tried again `maxAttempts` times.
enum ExportTLS {
    static let place = "warden.export.otlp"

    /// The client's TLS configuration, or nil for the defaults (the system CA certificates and
    /// no client certificate).
    static func configuration(_ settings: OTLPExportSettings) throws -> TLSConfiguration? {
        guard settings.certificate != nil || settings.clientCertificate != nil else { return nil }
        var tls = TLSConfiguration.makeClientConfiguration()
        if let path = settings.certificate {
            // In place of the system's, as OpenTelemetry's SDKs do with OTEL_EXPORTER_OTLP_CERTIFICATE:
            // the file is the whole trust store for the collector.
            tls.trustRoots = .certificates(try certificates(path, key: "certificate"))
        }
        if let certificatePath = settings.clientCertificate, let keyPath = settings.clientKey {
            tls.certificateChain = try certificates(certificatePath, key: "clientCertificate").map { .certificate($0) }
            tls.privateKey = .privateKey(try privateKey(keyPath))
            // BoringSSL compares the key with the certificate when a context takes them; here that
            // is a clear line, in the HTTP client a connection error.
            do {
                _ = try NIOSSLContext(configuration: tls)
            } catch {
                throw AuditFailure("\(place).clientKey: \(keyPath) is not the private key of the certificate in \(certificatePath)")
            }
        }
        return tls
    }

    static func certificates(_ path: String, key: String) throws -> [NIOSSLCertificate] {
        let bytes = try contents(path, key: key)
        do {
            return try NIOSSLCertificate.fromPEMBytes(bytes)
        } catch {
            throw AuditFailure("\(place).\(key): \(path) holds no PEM certificate that can be read (-----BEGIN CERTIFICATE-----)")
        }
    }

    static func privateKey(_ path: String) throws -> NIOSSLPrivateKey {
        let bytes = try contents(path, key: "clientKey")
        do {
            // A callback that gives no passphrase: without one, BoringSSL would prompt on the
            // terminal for an encrypted key.
            return try NIOSSLPrivateKey(bytes: bytes, format: .pem, passphraseCallback: { (_: NIOSSLPassphraseSetter<[UInt8]>) in })
        } catch {
            throw AuditFailure("\(place).clientKey: \(path) holds no PEM private key that can be read (an encrypted key is not supported)")
        }
    }

    /// The whole file; bounded, so that a path such as /dev/zero is an error and not a hang.
    static func contents(_ path: String, key: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw AuditFailure("\(place).\(key): cannot read \(path): \(Files.errorText(errno).lowercased())") }
        defer { close(fd) }
        switch Files.readAll(fileDescriptor: fd, limit: 16 << 20) {
        case .success(let bytes):
            return bytes
        case .failure(.tooLarge):
            throw AuditFailure("\(place).\(key): \(path) is larger than 16 MiB, too large for a PEM file of certificates or a key")
        case .failure(.system(let message)):
            throw AuditFailure("\(place).\(key): cannot read \(path): \(message.lowercased())")
        }
    }
}
