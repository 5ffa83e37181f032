// The pseudonym book of one Claude Code session, kept between hook calls so that the same value
// gets the same name (`<EMAIL_1>`) in every tool output of the session. The file holds a random
// per-session key and keyed fingerprints, never a value: `key <hex>`, then `KIND <hex> <n>` lines.
// A fingerprint is SHA-256(key ‖ SHA-256(value)), cut to 16 bytes: the hook outside the sandbox
// computes it from the value, `warden run` on the host from the digest a hook inside sends over
// the channel (ChannelHost), so one book serves both and the key never enters the sandbox.
// It is locked for the whole answer, so that two tool calls finishing at once cannot give two
// values the same number. `warden-hook --run` takes names from the same book, so a value has one
// name in every hook answer and every command's output of the session.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import WardenAudit
import WardenDigest
public import WardenRedact
import WardenSystem

public struct PseudonymStore {
    public let descriptor: Int32
    let key: [UInt8]
    /// kind name → fingerprint → number, as read (and as `numbers(for:)` extends it).
    public private(set) var entries: [String: [[UInt8]: Int]]

    /// The book for answers computed here, from values.
    public var book: PseudonymBook {
        let sessionKey = key
        return PseudonymBook(fingerprint: { value in PseudonymStore.fingerprint(key: sessionKey, digest: SHA256Digest.hash(value)) }, entries: entries)
    }

    static func fingerprint(key: [UInt8], digest: [UInt8]) -> [UInt8] {
        Array(SHA256Digest.hash(key + digest).prefix(16))
    }

    /// The directory of the books: `pseudonyms` in the decision log's default directory.
    public static func directory() -> String? {
        AuditLog.defaultDirectory().map { $0 + "/pseudonyms" }
    }

    /// Opens (creating) and locks the session's book in `directory`; nil when there is nowhere to
    /// keep it, in which case the answer uses placeholders. Starting a book removes those
    /// untouched for `keepDays`: Claude Code deletes a session's transcript after
    /// `cleanupPeriodDays`, and with it any chance to resume the session and need its names again.
    public static func open(session: String, keepDays: Int, directory: String? = PseudonymStore.directory()) -> PseudonymStore? {
        guard !session.isEmpty, session.utf8.count <= 128,
              session.utf8.allSatisfy({ $0 == 45 || $0 == 95 || (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) }),
              let directory
        else { return nil }
        var prefix = ""
        for component in directory.split(separator: "/") {
            prefix += "/" + component
            _ = mkdir(prefix, 0o700)
        }
        let descriptor = Glibc.open(directory + "/" + session, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { return nil }
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else { close(descriptor); return nil }
        }
        var key: [UInt8] = []
        var entries: [String: [[UInt8]: Int]] = [:]
        if case .success(let bytes) = Files.readAll(fileDescriptor: descriptor, limit: 16 << 20) {
            for line in bytes.split(separator: UInt8(ascii: "\n")) {
                let fields = line.split(separator: UInt8(ascii: " ")).map { String(decoding: $0, as: UTF8.self) }
                if fields.count == 2, fields[0] == "key", let decoded = Hex.decode(fields[1]), decoded.count == 32 {
                    key = decoded
                } else if fields.count == 3, let fingerprint = Hex.decode(fields[1]), let number = Int(fields[2]) {
                    entries[fields[0], default: [:]][fingerprint] = number
                }
            }
        }
        if key.isEmpty {
            key = randomBytes(32)
            entries = [:]
            removeBooks(in: directory, untouchedFor: keepDays, except: session)
        }
        return PseudonymStore(descriptor: descriptor, key: key, entries: entries)
    }

    /// The numbers of values named by their SHA-256 digests, new ones numbered in order; nil,
    /// with nothing added, when a kind would pass `limitPerKind` names (each new name is one
    /// answered guess: the limit bounds what the channel can be asked, see ChannelHost).
    public mutating func numbers(for items: [PseudonymQuery], limitPerKind: Int) -> [Int]? {
        var extended = entries
        var numbers: [Int] = []
        for item in items {
            let fingerprint = PseudonymStore.fingerprint(key: key, digest: item.digest)
            var names = extended[item.kind, default: [:]]
            if let known = names[fingerprint] {
                numbers.append(known)
                continue
            }
            guard names.count < limitPerKind else { return nil }
            names[fingerprint] = names.count + 1
            numbers.append(names.count)
            extended[item.kind] = names
        }
        entries = extended
        return numbers
    }

    /// Writes the book back (with `book`'s names, or `entries` as they are) and releases the lock.
    public func save(_ book: PseudonymBook?) {
        save(entries: book?.entries)
    }

    public func save(entries newEntries: [String: [[UInt8]: Int]]?) {
        defer { close(descriptor) }
        guard let newEntries else { return }
        var text = "key \(Hex.encode(key))\n"
        for (kind, names) in newEntries.sorted(by: { $0.key < $1.key }) {
            for (fingerprint, number) in names.sorted(by: { $0.value < $1.value }) {
                text += "\(kind) \(Hex.encode(fingerprint)) \(number)\n"
            }
        }
        guard ftruncate(descriptor, 0) == 0, lseek(descriptor, 0, SEEK_SET) == 0 else { return }
        Files.writeAll(descriptor, text)
    }

    /// Releases the lock without writing.
    public func release() { close(descriptor) }

    /// How long a session's book is kept: the policy's `cleanupPeriodDays`, else Claude Code's
    /// default of 30 days (0, which keeps no transcript at all, keeps a book for a day).
    public static func keepDays(cleanupPeriodDays: Int?) -> Int {
        guard let days = cleanupPeriodDays else { return 30 }
        return max(days, 1)
    }

    static func removeBooks(in directory: String, untouchedFor days: Int, except session: String) {
        guard let listing = opendir(directory) else { return }
        defer { closedir(listing) }
        let cutoff = time(nil) - days * 86_400
        while let entry = readdir(listing) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            guard !name.hasPrefix("."), name != session else { continue }
            var info = stat()
            let path = directory + "/" + name
            guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_mtim.tv_sec < cutoff else { continue }
            unlink(path)
        }
    }

    static func randomBytes(_ count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let source = Glibc.open("/dev/urandom", O_RDONLY | O_CLOEXEC)
        if source >= 0 {
            _ = bytes.withUnsafeMutableBytes { read(source, $0.baseAddress, count) }
            close(source)
        }
        return bytes
    }
}
