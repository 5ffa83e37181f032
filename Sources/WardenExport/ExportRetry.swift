import WardenJSON

/// What to do after a collector's answer, as the OTLP/HTTP specification says: 2xx is accepted;
/// 429, 502, 503 and 504 are worth another try; any other status is final.
public enum ExportAnswer: Sendable, Hashable {
    case accepted
    case retryable
    case rejected

    public init(status: Int) {
        switch status {
        case 200...299: self = .accepted
        case 429, 502, 503, 504: self = .retryable
        default: self = .rejected
        }
    }
}

/// Exponential backoff with jitter between tries of one batch.
public struct ExportBackoff: Sendable, Hashable {
    /// The wait before the second try; it doubles for each try after it.
    public var baseMilliseconds: Int
    /// No wait computed here is longer (a `Retry-After` may be, up to `maximumRetryAfterSeconds`).
    public var capMilliseconds: Int

    /// The longest `Retry-After` honoured, in seconds; a longer one is cut to this.
    public static let maximumRetryAfterSeconds = 300

    public init(baseMilliseconds: Int = 1000, capMilliseconds: Int = 30_000) {
        self.baseMilliseconds = baseMilliseconds
        self.capMilliseconds = capMilliseconds
    }

    /// The wait after failed try number `attempt` (1 for the first): half of
    /// `base × 2^(attempt-1)` (capped) plus a random part of the other half, so that machines
    /// that lost the collector together do not all come back at once. `unit` is a random number
    /// in 0..<1.
    public func delay(afterAttempt attempt: Int, unit: Double) -> Int {
        var full = max(baseMilliseconds, 0)
        for _ in 1..<max(attempt, 1) where full < capMilliseconds { full *= 2 }
        full = min(full, capMilliseconds)
        let half = full / 2
        return half + Int(Double(full - half) * min(max(unit, 0), 1))
    }

    /// The wait a `Retry-After` header asks for, in milliseconds: delta-seconds only (an HTTP
    /// date is ignored, and the backoff applies), at most `maximumRetryAfterSeconds`.
    public static func retryAfter(_ header: String?) -> Int? {
        guard let header else { return nil }
        let text = header.trimmingSpaces
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let seconds = Int(text.prefix(9)) else { return nil }
        return min(seconds, maximumRetryAfterSeconds) * 1000
    }
}

/// What a collector said in its answer's body.
public enum OTLPResponse {
    /// `partialSuccess` of an `ExportLogsServiceResponse` in JSON: how many records the collector
    /// rejected, and its message; nil when it rejected none (or the body is not JSON).
    public static func partialSuccess(_ body: [UInt8]) -> (rejected: Int, message: String)? {
        guard !body.isEmpty, let json = try? JSONValue.parse(bytes: body), let partial = json["partialSuccess"] ?? json["partial_success"] else { return nil }
        let field = partial["rejectedLogRecords"] ?? partial["rejected_log_records"]
        let rejected = field?.integer ?? field?.string.flatMap { Int($0) } ?? 0
        let message = (partial["errorMessage"] ?? partial["error_message"])?.string ?? ""
        guard rejected > 0 || !message.isEmpty else { return nil }
        return (rejected, oneLine(message))
    }

    /// The `message` of a `google.rpc.Status` body, else the beginning of a text body; nil when
    /// there is nothing to show. One line, at most `limit` characters.
    public static func errorMessage(_ body: [UInt8], limit: Int = 200) -> String? {
        guard !body.isEmpty else { return nil }
        if let json = try? JSONValue.parse(bytes: body) {
            if let message = json["message"]?.string, !message.isEmpty { return oneLine(message, limit: limit) }
            return nil
        }
        let text = String(decoding: body.prefix(limit * 4), as: UTF8.self)
        let line = oneLine(text, limit: limit)
        return line.isEmpty ? nil : line
    }

    /// Control characters become spaces, runs of spaces one; cut at `limit` characters with `…`.
    public static func oneLine(_ text: String, limit: Int = 200) -> String {
        var out = ""
        var lastWasSpace = true
        for scalar in text.unicodeScalars {
            let isSpace = scalar.value < 0x20 || scalar.value == 0x7F || scalar == " "
            if isSpace {
                if !lastWasSpace { out.unicodeScalars.append(" ") }
                lastWasSpace = true
            } else {
                out.unicodeScalars.append(scalar)
                lastWasSpace = false
            }
        }
        while out.last == " " { out.removeLast() }
        if out.count > limit { out = String(out.prefix(limit)) + "…" }
        return out
    }
}

extension String {
    var trimmingSpaces: String {
        var text = Substring(self)
        while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" { text.removeLast() }
        return String(text)
    }
}
