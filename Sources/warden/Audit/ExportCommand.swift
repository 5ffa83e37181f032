import ArgumentParser
import FoundationEssentials
import Glibc
import NIOSSL
import WardenAudit
import WardenExport
import WardenJSON
import WardenSystem

struct LogExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Send the decision log to an OpenTelemetry collector over OTLP/HTTP.",
        discussion: """
            Sends the records after the export cursor (DIR/export-cursor) to the policy's \
            warden.export.otlp.endpoint, as OTLP logs in JSON (POST ENDPOINT/v1/logs), in \
            batches of warden.export.otlp.batchSize records. A batch that fails for a connection \
            error, a timeout or HTTP 429, 502, 503 or 504 is tried again after a growing, jittered \
            wait (or Retry-After seconds), up to warden.export.otlp.maxAttempts times; any other \
            status is final. The cursor moves only after the collector acknowledges a batch \
            (2xx), so a run that fails sends the rest next time, and nothing twice.
            An https:// collector's certificate is verified against this machine's CA \
            certificates, or, when warden.export.otlp.certificate names a PEM file of CA \
            certificates, against those alone (as OTEL_EXPORTER_OTLP_CERTIFICATE does); \
            warden.export.otlp.clientCertificate and clientKey are shown to a collector that asks \
            for a client certificate.
            With --once (the default), stops when everything is sent: exit status 0, or 1 when \
            the collector stayed unreachable or refused a batch, 2 when the policy, a certificate \
            or key file, the log or the cursor cannot be used. With --follow, sends what is new every --interval seconds \
            until stopped, and exits only when the collector refuses a batch.
            """
    )

    @OptionGroup var location: AuditLocationOptions

    @Option(help: ArgumentHelp(
        "The collector's OTLP/HTTP URL, instead of the policy's warden.export.otlp.endpoint.",
        discussion: "http:// or https://; /v1/logs is appended unless the path already ends with it.",
        valueName: "url"))
    var endpoint: String?

    @Flag(help: "Send everything after the cursor, then exit (the default).")
    var once = false

    @Flag(help: "Keep going: send what is new every --interval seconds until stopped.")
    var follow = false

    @Option(help: ArgumentHelp("Seconds between rounds with --follow (default 60).", valueName: "seconds"))
    var interval: Int?

    @Flag(name: .shortAndLong, help: "Say each retry on standard error.")
    var verbose = false

    /// The first wait between tries, for the tests (default 1,000 ms, doubling, at most 30 s).
    @Option(name: .customLong("retry-base-ms"), help: .hidden)
    var retryBaseMilliseconds: Int?

    func run() async throws {
        try await reportingFailures { try await runBody() }
    }

    func runBody() async throws {
        if once && follow { throw UsageError("--once and --follow: give one of them") }
        if let interval, !follow { throw UsageError("--interval \(interval): only with --follow") }
        let seconds = interval ?? 60
        if seconds < 1 { throw UsageError("--interval: expected a number of seconds, 1 or more, got \(seconds)") }
        if let base = retryBaseMilliseconds, base < 0 { throw UsageError("--retry-base-ms: expected 0 or more") }

        let settings = try exportSettings()
        let headers = try resolveHeaders(settings)
        var tls: TLSConfiguration?
        if settings.endpoint.scheme == "https" {
            tls = try ExportTLS.configuration(settings)
        } else if settings.certificate != nil || settings.clientCertificate != nil {
            let key = settings.certificate != nil ? "certificate" : "clientCertificate"
            // As OpenTelemetry's exporters do: the files are for TLS, and http:// has none.
            ExportRun.warn("warden.export.otlp.\(key) is not used: \(settings.endpoint.logsURL) is plain HTTP, without TLS")
        }
        let log = try location.log()
        let run = ExportRun(
            log: log, settings: settings,
            sender: OTLPSender(
                url: settings.endpoint.logsURL, headers: headers, timeoutSeconds: settings.timeoutSeconds,
                maxAttempts: settings.maxAttempts, backoff: ExportBackoff(baseMilliseconds: retryBaseMilliseconds ?? 1000),
                verbose: verbose, tls: tls, certificate: settings.certificate, clientCertificate: settings.clientCertificate))
        do {
            try await run.start(follow: follow, interval: seconds)
        } catch {
            await run.sender.shutdown()
            throw error
        }
        await run.sender.shutdown()
    }

    /// `warden.export.otlp` from the policy, with --endpoint in place of its endpoint. A problem
    /// in `warden.export` stops the export with its place in the policy.
    func exportSettings() throws -> OTLPExportSettings {
        let (read, policy, problems) = try location.exportSettings()
        if let first = problems.first {
            throw AuditFailure(first + (problems.count > 1 ? " (and \(problems.count - 1) more: warden policy check \(policy ?? ""))" : ""))
        }
        var settings = read.otlp
        if let endpoint {
            switch ExportEndpoint.parse(endpoint) {
            case .success(let parsed):
                if settings == nil { settings = OTLPExportSettings(endpoint: parsed) } else { settings!.endpoint = parsed }
            case .failure(let error):
                throw UsageError("--endpoint: \(error.message)")
            }
        }
        guard let settings else {
            throw AuditFailure("no export configured: set warden.export.otlp.endpoint in \(policy ?? "the policy"), or give --endpoint")
        }
        return settings
    }

    /// The headers to send: the policy's, and those whose values come from the environment.
    func resolveHeaders(_ settings: OTLPExportSettings) throws -> [(name: String, value: String)] {
        var headers = settings.headers.map { (name: $0.name, value: $0.value) }
        let environment = ProcessInfo.processInfo.environment
        for header in settings.headersFromEnvironment {
            guard let value = environment[header.value], !value.isEmpty else {
                throw AuditFailure("warden.export.otlp.headersFromEnvironment: header \(header.name) takes its value from $\(header.value), which is not set")
            }
            guard ExportHeader.isValidValue(value) else {
                throw AuditFailure("warden.export.otlp.headersFromEnvironment: $\(header.value) (header \(header.name)) holds a line break or another control character")
            }
            headers.append((header.name, value))
        }
        return headers
    }
}

/// One export: the log, where it goes, and the rounds that send what is after the cursor.
struct ExportRun: Sendable {
    let log: AuditLog
    let settings: OTLPExportSettings
    let sender: OTLPSender

    var cursorPath: String { ExportCursor.path(in: log.directory) }
    var url: String { settings.endpoint.logsURL }

    /// A line on standard output, unbuffered: --follow's lines reach the journal as they happen.
    static func say(_ line: String) {
        Files.writeAll(1, (line + "\n"))
    }

    static func warn(_ message: String) {
        Files.writeAll(2, "warden: \(message)\n")
    }

    func start(follow: Bool, interval: Int) async throws {
        guard FileManager.default.fileExists(atPath: log.directory) || follow else {
            ExportRun.say("nothing to send to \(url): no decision log in \(log.directory) yet")
            return
        }
        var lock: Int32?
        defer { if let lock { close(lock) } }
        while true {
            if lock == nil && FileManager.default.fileExists(atPath: log.directory) {
                switch ExportCursor.lock(directory: log.directory) {
                case .success(.some(let fd)): lock = fd
                case .success(.none):
                    throw AuditFailure("another 'warden log export' is sending \(log.directory) (\(log.directory)/\(ExportCursor.lockName) is locked)", code: 1)
                case .failure(let error): throw AuditFailure(error.description)
                }
            }
            if lock != nil {
                do {
                    let result = try await round()
                    if !follow || result.sent > 0 {
                        ExportRun.say(result.summary(url: url))
                    }
                } catch let failure as OTLPSender.Failure {
                    let message = "export to \(url) failed: \(failure.message); the cursor stays at \(cursorText())"
                    guard follow && failure.transient else { throw AuditFailure(message, code: 1) }
                    ExportRun.warn(message)
                }
            }
            guard follow else { return }
            try await Task.sleep(for: .seconds(interval))
        }
    }

    func cursorText() -> String {
        switch ExportCursor.read(directory: log.directory) {
        case .success(.some(let cursor)): "seq \(cursor.seq)"
        case .success(.none): "the start (nothing acknowledged yet)"
        case .failure: "its last position"
        }
    }

    struct RoundResult {
        var sent = 0
        var requests = 0
        var cursor: ExportCursor?

        func summary(url: String) -> String {
            let position = cursor.map { "the cursor is at seq \($0.seq)" } ?? "no records yet"
            if sent == 0 { return "nothing to send to \(url): \(position)" }
            return "sent \(sent) record\(sent == 1 ? "" : "s") in \(requests) request\(requests == 1 ? "" : "s") to \(url); \(position)"
        }
    }

    /// Sends everything after the cursor, a batch at a time; the cursor moves after each batch
    /// the collector acknowledges.
    func round() async throws -> RoundResult {
        var cursor: ExportCursor?
        switch ExportCursor.read(directory: log.directory) {
        case .success(let read): cursor = read
        case .failure(let error): throw AuditFailure(error.description)
        }
        var result = RoundResult(cursor: cursor)
        var reader = try reader(after: cursor?.seq ?? 0)
        var batch = try next(&reader)
        if let previous = cursor {
            switch ExportResume.check(cursor: previous, reader: reader, firstPending: batch.first) {
            case .matches:
                break
            case .gap(let from, let to):
                let records = from == to ? "record seq \(from) was" : "records seq \(from)–\(to) were"
                ExportRun.warn("\(records) removed from \(log.directory) before they were exported (by retention, or by hand): the collector will not have them")
            case .mismatch(let reason):
                reader = try self.reader(after: 0)
                batch = try next(&reader)
                let from = batch.first.map { "from seq \($0.seq)" } ?? "as records come"
                ExportRun.warn("the export cursor does not match the log in \(log.directory): \(reason); the log was replaced or rewritten, so every record kept is sent again \(from) (a collector can drop repeats by warden.record.hash)")
                cursor = nil
                result.cursor = nil
            }
            if let cursor, cursor.endpoint != url, !batch.isEmpty {
                ExportRun.warn("the cursor was acknowledged by \(cursor.endpoint); going on after seq \(cursor.seq) with \(url) (remove \(cursorPath) to send every record kept to it)")
            }
        }
        let resource = OTLPResource(serviceVersion: Warden.configuration.version, hostName: AuditOrigin.current().host)
        while !batch.isEmpty {
            for (records, body) in OTLPLogs.batches(batch, batchSize: settings.batchSize, resource: resource, observedAt: .now()) {
                if let partial = try await sender.send(body) {
                    let detail = partial.message.isEmpty ? "" : ": \(partial.message)"
                    ExportRun.warn("the collector at \(url) accepted the batch up to seq \(records.last!.seq) but rejected \(partial.rejected) of its \(records.count) records\(detail)")
                }
                let last = records.last!
                let acknowledged = ExportCursor(seq: last.seq, hash: last.hash, endpoint: url, time: .now())
                if let error = acknowledged.save(directory: log.directory) {
                    throw AuditFailure("\(error); the collector has records up to seq \(last.seq), which the next export sends again")
                }
                result.sent += records.count
                result.requests += 1
                result.cursor = acknowledged
            }
            batch = try next(&reader)
        }
        if reader.unreadable > 0 {
            ExportRun.warn("\(reader.unreadable) line\(reader.unreadable == 1 ? " is" : "s are") in \(log.directory) not records and were not sent; run 'warden log verify'")
        }
        return result
    }

    func reader(after seq: Int) throws -> ExportReader {
        do throws(AuditWriteError) { return try ExportReader(log: log, after: seq) } catch { throw AuditFailure(error.description) }
    }

    func next(_ reader: inout ExportReader) throws -> [AuditRecord] {
        do throws(AuditWriteError) { return try reader.next(limit: settings.batchSize) } catch { throw AuditFailure(error.description) }
    }
}
