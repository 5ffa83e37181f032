import WardenDetect

/// Redacts a stream that arrives in chunks (a command's output, `warden redact`'s stdin) without
/// holding all of it: text is released in pieces that end at a line break, far enough behind the
/// newest byte that a value, and the keyword before it that some rules need, is never split
/// between two pieces. Nothing is released before it has been scanned.
public struct StreamRedactor: Sendable {
    public private(set) var redactor: Redactor
    var pending: [UInt8] = []
    var nextRelease: Int
    /// Scan once this much is pending.
    let batch: Int
    /// Keep this much unreleased after each scan: more than the longest value or context a rule
    /// spans (a 4096-bit RSA key in PEM is about 3.3 KB).
    let overlap: Int
    /// A line longer than this is released in pieces rather than held whole.
    let longestLine: Int

    public init(redactor: Redactor, batch: Int = 256 * 1024, overlap: Int = 32 * 1024) {
        self.redactor = redactor
        self.batch = max(batch, overlap * 2)
        self.overlap = overlap
        self.longestLine = self.batch * 4
        self.nextRelease = self.batch
    }

    /// Takes the next chunk; returns what can be released now (often nothing).
    public mutating func feed(_ chunk: UnsafeRawBufferPointer) -> [UInt8] {
        pending.append(contentsOf: chunk.bindMemory(to: UInt8.self))
        guard pending.count >= nextRelease else { return [] }
        let released = release(final: false)
        // Held back whole (one long line so far): wait for another batch before scanning again.
        nextRelease = released.isEmpty ? pending.count + batch : batch
        return released
    }

    /// Whether feeding `count` more bytes redacts and releases some (else they are only held).
    public func releases(afterAdding count: Int) -> Bool {
        pending.count + count >= nextRelease
    }

    /// Continues with `book`: see `Redactor.adopt(_:)`.
    public mutating func adopt(_ book: PseudonymBook) {
        redactor.adopt(book)
    }

    /// See `Redactor.usePlaceholders()`.
    public mutating func usePlaceholders() {
        redactor.usePlaceholders()
    }

    /// Everything still held, redacted: call once at the end of the stream.
    public mutating func finish() -> [UInt8] {
        release(final: true)
    }

    mutating func release(final: Bool) -> [UInt8] {
        let pending = self.pending
        return pending.withUnsafeBufferPointer { bytes -> [UInt8] in
            var cut = bytes.count
            var findings: [Finding] = []
            if !final {
                // Release up to the last line break before the overlap, so that a value and the
                // keyword before it are judged whole, in one scan. A single line longer than
                // `longestLine` is cut inside, `overlap` bytes behind its end.
                cut = bytes.count - overlap
                while cut > 0 && bytes[cut - 1] != UInt8(ascii: "\n") { cut -= 1 }
                if cut == 0 {
                    guard bytes.count >= longestLine else { return [] }
                    cut = bytes.count - overlap
                }
                findings = redactor.detector.scan(bytes)
                // Never inside a finding: move the cut to the start of any finding across it.
                for finding in findings.reversed() where finding.range.lowerBound < cut && finding.range.upperBound > cut {
                    cut = finding.range.lowerBound
                }
                guard cut > 0 else { return [] }
            } else {
                findings = redactor.detector.scan(bytes)
            }
            let released = findings.filter { $0.range.upperBound <= cut }
            let output = redactor.replace(released, in: bytes, upTo: cut) ?? Array(UnsafeBufferPointer(rebasing: bytes[0..<cut]))
            self.pending = Array(UnsafeBufferPointer(rebasing: bytes[cut...]))
            return output
        }
    }
}
