import AsyncHTTPClient
import FoundationEssentials
import Glibc
import NIOCore
import NIOSSL
import WardenAudit
import WardenExport
import WardenSystem

/// Posts OTLP/HTTP JSON requests to one collector, with a timeout per request and retries with
/// backoff. Redirects are not followed: a collector's headers (tokens) must not go to another
/// host. Header values are never printed.
final class OTLPSender: Sendable {
    let url: String
    let headers: [(name: String, value: String)]
    let timeoutSeconds: Int
    let maxAttempts: Int
    let backoff: ExportBackoff
    let verbose: Bool
    /// The files of `warden.export.otlp.certificate` (nil: the system's CA certificates) and
    /// `clientCertificate`, to name them when the TLS handshake fails.
    let certificate: String?
    let clientCertificate: String?
    let client: HTTPClient

    init(
        url: String, headers: [(name: String, value: String)], timeoutSeconds: Int, maxAttempts: Int, backoff: ExportBackoff, verbose: Bool,
        tls: TLSConfiguration? = nil, certificate: String? = nil, clientCertificate: String? = nil
    ) {
        self.url = url
        self.headers = headers
        self.timeoutSeconds = timeoutSeconds
        self.maxAttempts = maxAttempts
        self.backoff = backoff
        self.verbose = verbose
        self.certificate = certificate
        self.clientCertificate = clientCertificate
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(Int64(timeoutSeconds)), read: .seconds(Int64(timeoutSeconds))))
        configuration.httpVersion = .http1Only
        if let tls { configuration.tlsConfiguration = tls }
        // Each failed connection is one attempt, retried here with the documented backoff, not
        // again and again inside the client until the timeout runs out.
        configuration.connectionPool.retryConnectionEstablishment = false
        client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    func shutdown() async {
        try? await client.shutdown()
    }

    /// Why a batch was not acknowledged.
    struct Failure: Error {
        /// Worth trying again later (the collector was down or busy); false for a rejection.
        let transient: Bool
        let message: String
    }

    /// Sends one request body until the collector acknowledges it or the tries run out. Returns
    /// what a partial success said was rejected, if anything.
    func send(_ body: String) async throws(Failure) -> (rejected: Int, message: String)? {
        var last = ""
        for attempt in 1...maxAttempts {
            var wait: Int?
            do {
                var request = HTTPClientRequest(url: url)
                request.method = .POST
                request.headers.add(name: "Content-Type", value: "application/json")
                request.headers.add(name: "User-Agent", value: "warden/\(Warden.configuration.version)")
                for header in headers { request.headers.add(name: header.name, value: header.value) }
                request.body = .bytes(ByteBuffer(string: body))
                let response = try await client.execute(request, timeout: .seconds(Int64(timeoutSeconds)))
                let bytes = Array((try await response.body.collect(upTo: 1 << 20)).readableBytesView)
                let status = Int(response.status.code)
                let statusText = "HTTP \(status)\(response.status.reasonPhrase.isEmpty ? "" : " " + response.status.reasonPhrase)"
                switch ExportAnswer(status: status) {
                case .accepted:
                    return OTLPResponse.partialSuccess(bytes)
                case .retryable:
                    last = statusText + (OTLPResponse.errorMessage(bytes).map { " (\($0))" } ?? "")
                    wait = ExportBackoff.retryAfter(response.headers.first(name: "Retry-After"))
                case .rejected:
                    var message = statusText + (OTLPResponse.errorMessage(bytes).map { " (\($0))" } ?? "")
                    if (300...399).contains(status) { message += "; redirects are not followed: give the final URL as the endpoint" }
                    throw Failure(transient: false, message: message)
                }
            } catch let failure as Failure {
                throw failure
            } catch {
                last = OTLPSender.describe(error, certificate: certificate, clientCertificate: clientCertificate)
            }
            guard attempt < maxAttempts else { break }
            let delay = wait ?? backoff.delay(afterAttempt: attempt, unit: Double.random(in: 0..<1))
            if verbose {
                let seconds = cFormat("%.1f", Double(delay) / 1000)
                Files.writeAll(2, "warden: \(url): \(last) (attempt \(attempt) of \(maxAttempts)); trying again in \(seconds) s\n")
            }
            do { try await Task.sleep(for: .milliseconds(delay)) } catch {
                throw Failure(transient: true, message: "stopped")
            }
        }
        let tries = maxAttempts == 1 ? "1 attempt" : "\(maxAttempts) attempts"
        throw Failure(transient: true, message: "no acknowledgement after \(tries): \(last)")
    }

    /// A connection error in a few words: "connection refused", "connect timed out", …
    /// `certificate` and `clientCertificate`: the configured files, named when the handshake fails.
    static func describe(_ error: any Error, certificate: String? = nil, clientCertificate: String? = nil) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout: return "connect timed out"
            case .readTimeout: return "no answer in time (read timed out)"
            case .deadlineExceeded: return "no answer in time"
            case .remoteConnectionClosed: return "the collector closed the connection"
            default: break
            }
        }
        if let error = error as? IOError {
            return String(cString: strerror(error.errnoCode)).lowercased()
        }
        let text = String(describing: error)
        for (needle, words) in [
            ("Connection refused", "connection refused"), ("errno: 111", "connection refused"),
            ("No route to host", "no route to host"), ("Network is unreachable", "network is unreachable"),
            ("Connection reset", "the connection was reset"), ("timed out", "timed out"),
        ] where text.contains(needle) {
            return words
        }
        if let tls = describeTLS(text, certificate: certificate, clientCertificate: clientCertificate) { return tls }
        if text.contains("UnknownHost") { return "host not found" }
        if text.contains("NIOConnectionError") || text.contains("dnsAError") { return "cannot connect (host not found or unreachable)" }
        return OTLPResponse.oneLine(text, limit: 160)
    }

    /// A failed TLS handshake in a few words, from NIOSSL's error text (BoringSSL's reason, such
    /// as "OPENSSL_internal:CERTIFICATE_VERIFY_FAILED at /path/of/the/source…", is the only
    /// detail it gives); nil for another error.
    static func describeTLS(_ text: String, certificate: String?, clientCertificate: String?) -> String? {
        if text.contains("failedToValidateHostname") || text.contains("Couldn't find") && text.contains("in certificate from peer") {
            return "TLS: the collector's certificate is not for the endpoint's host (its subject alternative names do not include it)"
        }
        var reason: String?
        if let range = text.firstRange(of: "OPENSSL_internal:") {
            let word = text[range.upperBound...].prefix { $0.isLetter || $0.isNumber || $0 == "_" }
            if !word.isEmpty { reason = String(word) }
        }
        if reason == "CERTIFICATE_VERIFY_FAILED" || text.contains("unableToValidateCertificate") {
            // Verification covers the chain and the dates: "not trusted" would be wrong for an
            // expired certificate from the right CA.
            let store = certificate.map { "the CA certificates in \($0) (warden.export.otlp.certificate)" }
                ?? "this machine's CA certificates (a private CA goes in warden.export.otlp.certificate)"
            return "TLS: the collector's certificate does not verify against \(store): not issued by them, or expired"
        }
        guard let reason else {
            return text.contains("handshakeFailed") || text.contains("sslError") ? "TLS handshake failed" : nil
        }
        if reason == "WRONG_VERSION_NUMBER" {
            return "TLS: the collector did not answer in TLS (does it serve http:// on this port?)"
        }
        for prefix in ["TLSV1_ALERT_", "SSLV3_ALERT_", "TLSV13_ALERT_"] where reason.hasPrefix(prefix) {
            let alert = reason.dropFirst(prefix.count).lowercased().replacing("_", with: " ")
            if alert == "certificate required" {
                return "TLS: the collector asks for a client certificate (warden.export.otlp.clientCertificate and clientKey)"
            }
            if let clientCertificate, ["unknown ca", "bad certificate", "certificate unknown", "certificate expired", "certificate revoked", "unsupported certificate", "access denied"].contains(alert) {
                return "TLS: the collector refused the client certificate in \(clientCertificate) (\(alert))"
            }
            return "TLS: the collector ended the handshake (\(alert))"
        }
        return "TLS handshake failed (\(reason.lowercased().replacing("_", with: " ")))"
    }
}
