import WardenDigest

/// The hash chain: each record's `hash` is SHA-256 over its canonical bytes, which include the
/// previous record's hash (`prev`) and its sequence number. Changing, removing or moving a record
/// breaks the chain at that record.
public enum AuditChain {
    /// `prev` of the first record ever written.
    public static let genesis = String(repeating: "0", count: 64)

    /// `,"hash":"` + 64 hex digits + `"}`: how every line ends.
    static let hashSuffixCount = 9 + 64 + 2

    /// SHA-256 of `bytes` as 64 lowercase hex digits (Foundation-free: this runs in the hook).
    public static func sha256Hex(_ bytes: UnsafeRawBufferPointer) -> String {
        SHA256Digest.hex(bytes)
    }

    public static func sha256Hex(_ text: String) -> String {
        var text = text
        return text.withUTF8 { sha256Hex(UnsafeRawBufferPointer($0)) }
    }

    /// `sha256:<hex>` of a policy file's bytes, for `AuditRecord.policy`.
    public static func policyHash(_ bytes: [UInt8]) -> String {
        "sha256:" + bytes.withUnsafeBytes { sha256Hex($0) }
    }

    /// Sets `seq`, `prev` and `hash` and returns the line to write, newline included.
    public static func seal(_ record: inout AuditRecord, seq: Int, prev: String) -> String {
        record.seq = seq
        record.prev = prev
        var prefix = record.canonicalPrefix()
        record.hash = prefix.withUTF8 { sha256Hex(UnsafeRawBufferPointer($0)) }
        prefix += ",\"hash\":\"" + record.hash + "\"}\n"
        return prefix
    }

    /// The hash stated at the end of `line` (no newline) and the hash its bytes give, or nil when
    /// the line does not end in `,"hash":"<64 hex>"}`.
    public static func hashes(ofLine line: UnsafeRawBufferPointer) -> (stated: String, computed: String)? {
        let n = line.count
        guard n > hashSuffixCount else { return nil }
        let suffixStart = n - hashSuffixCount
        let marker: [UInt8] = Array(",\"hash\":\"".utf8)
        for (i, byte) in marker.enumerated() where line[suffixStart + i] != byte { return nil }
        guard line[n - 2] == UInt8(ascii: "\""), line[n - 1] == UInt8(ascii: "}") else { return nil }
        var stated = ""
        for i in suffixStart + 9..<n - 2 {
            let byte = line[i]
            guard (byte >= 48 && byte <= 57) || (byte >= 97 && byte <= 102) else { return nil }
            stated.unicodeScalars.append(Unicode.Scalar(byte))
        }
        let computed = sha256Hex(UnsafeRawBufferPointer(rebasing: line[0..<suffixStart]))
        return (stated, computed)
    }
}

/// Where a line is: its file (as the caller names it) and 1-based line number.
public struct AuditLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }
    public var description: String { "\(file):\(line)" }
}

/// The first thing wrong with a log.
public struct AuditProblem: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        /// A record's bytes no longer match its hash, or it no longer links to the one before.
        case altered
        /// One or more records are missing.
        case removed
        /// Records are out of order.
        case reordered
        /// The head file disagrees with the log, or cannot be read.
        case head
    }

    public var kind: Kind
    public var location: AuditLocation?
    /// The record the problem is about.
    public var seq: Int?
    public var message: String

    public init(_ kind: Kind, at location: AuditLocation?, seq: Int?, _ message: String) {
        self.kind = kind
        self.location = location
        self.seq = seq
        self.message = message
    }

    public var description: String {
        (location.map { "\($0): " } ?? "") + message
    }
}

/// The state at the end of a log, kept in the head file so that removing the last records, or
/// the first ones of the oldest segment, shows.
public struct AuditHead: Sendable, Hashable {
    /// The last record written, and its hash.
    public var seq: Int
    public var hash: String
    /// The segment being written and its size after the last record.
    public var segment: Int
    public var size: Int
    /// The first record of the oldest segment kept, and the hash it links to: 1 and genesis
    /// until pruning removes segments.
    public var base: Int
    public var baseHash: String

    public init(seq: Int, hash: String, segment: Int, size: Int, base: Int, baseHash: String) {
        self.seq = seq
        self.hash = hash
        self.segment = segment
        self.size = size
        self.base = base
        self.baseHash = baseHash
    }

    public static let empty = AuditHead(seq: 0, hash: AuditChain.genesis, segment: 1, size: 0, base: 1, baseHash: AuditChain.genesis)

    /// The head file's size: one JSON object padded with spaces, so that it is rewritten in place
    /// by one pwrite.
    public static let encodedSize = 256

    public func encoded() -> [UInt8] {
        let text = "{\"seq\":\(seq),\"hash\":\"\(hash)\",\"segment\":\(segment),\"size\":\(size),\"base\":\(base),\"baseHash\":\"\(baseHash)\"}"
        var bytes = Array(text.utf8)
        if bytes.count < AuditHead.encodedSize - 1 {
            bytes.append(contentsOf: repeatElement(0x20, count: AuditHead.encodedSize - 1 - bytes.count))
        }
        bytes.append(0x0A)
        return bytes
    }
}

/// Checks a log line by line, across segment files, and stops at the first problem.
public struct AuditVerifier: Sendable {
    public private(set) var problem: AuditProblem?
    public private(set) var records = 0
    public private(set) var firstSeq: Int?
    public private(set) var lastSeq: Int?
    public private(set) var lastHash: String
    public private(set) var lastLocation: AuditLocation?

    var expectedSeq: Int?
    /// A record whose seq came too early: removed records before it, or a swapped pair, which the
    /// next line tells apart.
    var pendingGap: (location: AuditLocation, seq: Int, expected: Int)?

    /// `base` and `baseHash`: the first record expected and the hash it links to (from the head
    /// file); nil to accept whatever record comes first (a log whose head is lost).
    public init(base: Int?, baseHash: String?) {
        expectedSeq = base
        lastHash = baseHash ?? ""
    }

    public var isFailed: Bool { problem != nil }

    public mutating func feed(_ text: String, at location: AuditLocation) {
        let bytes = Array(text.utf8)
        bytes.withUnsafeBytes { feed($0, text: text, at: location) }
    }

    mutating func feed(_ bytes: UnsafeRawBufferPointer, text: String, at location: AuditLocation) {
        guard problem == nil else { return }
        let expected = expectedSeq
        let record: AuditRecord
        do throws(AuditDecodeError) { record = try AuditRecord(line: text) } catch {
            resolvePendingGap(next: nil)
            guard problem == nil else { return }
            problem = AuditProblem(
                .altered, at: location, seq: expected,
                "record\(expected.map { " seq \($0) (expected here)" } ?? "") was altered: not a well-formed record: \(error)")
            return
        }
        guard let (stated, computed) = AuditChain.hashes(ofLine: bytes), stated == computed, stated == record.hash else {
            resolvePendingGap(next: nil)
            guard problem == nil else { return }
            problem = AuditProblem(.altered, at: location, seq: record.seq, "record seq \(record.seq) was altered: its contents do not match its hash")
            return
        }
        if pendingGap != nil {
            resolvePendingGap(next: record.seq)
            return
        }
        if let expected {
            if record.seq > expected {
                pendingGap = (location, record.seq, expected)
                return
            }
            if record.seq < expected {
                problem = AuditProblem(
                    .reordered, at: location, seq: record.seq,
                    "record seq \(record.seq) is out of order: expected seq \(expected) after seq \(expected - 1)")
                return
            }
            if !lastHash.isEmpty && record.prev != lastHash {
                let before = records == 0 ? "the last record before this log (head's base)" : "seq \(expected - 1)"
                problem = AuditProblem(
                    .altered, at: location, seq: record.seq,
                    "record seq \(record.seq) does not link to \(before): it or its predecessor was replaced")
                return
            }
        }
        if firstSeq == nil { firstSeq = record.seq }
        records += 1
        lastSeq = record.seq
        lastHash = record.hash
        lastLocation = location
        expectedSeq = record.seq + 1
    }

    mutating func resolvePendingGap(next: Int?) {
        guard let gap = pendingGap else { return }
        pendingGap = nil
        if next == gap.expected {
            problem = AuditProblem(
                .reordered, at: gap.location, seq: gap.expected,
                "records seq \(gap.expected) and seq \(gap.seq) are swapped: this line holds seq \(gap.seq), the next seq \(gap.expected)")
        } else {
            let missing = gap.seq - gap.expected == 1 ? "record seq \(gap.expected) was" : "records seq \(gap.expected)–\(gap.seq - 1) were"
            problem = AuditProblem(.removed, at: gap.location, seq: gap.expected, "\(missing) removed before this line (it holds seq \(gap.seq))")
        }
    }

    /// Ends the check: a pending gap is a removal; the last record must be the head's.
    public mutating func finish(head: AuditHead?) {
        resolvePendingGap(next: nil)
        guard problem == nil, let head else { return }
        let last = lastSeq ?? (head.base - 1)
        if head.seq > last {
            let missing = head.seq - last == 1 ? "record seq \(head.seq) was" : "records seq \(last + 1)–\(head.seq) were"
            problem = AuditProblem(
                .removed, at: lastLocation, seq: last + 1,
                "\(missing) removed from the end of the log: the head file records seq \(head.seq)\(lastSeq.map { ", the log ends at seq \($0)" } ?? ", the log is empty")")
        } else if head.seq < last {
            problem = AuditProblem(
                .head, at: lastLocation, seq: last,
                "the head file records seq \(head.seq) but the log goes on to seq \(last): the head was replaced, or a writer stopped between the two writes")
        } else if lastSeq != nil && head.hash != lastHash {
            problem = AuditProblem(
                .altered, at: lastLocation, seq: last,
                "record seq \(last) was replaced: its hash differs from the one the head file records")
        }
    }
}
