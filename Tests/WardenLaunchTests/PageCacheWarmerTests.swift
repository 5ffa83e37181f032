// The hook's page-cache warming, on a real file on this machine's file system.
import Foundation
import Testing
@testable import WardenLaunch

@Suite struct PageCacheWarmerTests {
    /// A file of `megabytes` MiB written in small pieces, its pages then dropped from the cache.
    func evictedFile(megabytes: Int) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("warden-warm-\(UUID().uuidString)").path
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        try #require(fd >= 0)
        defer { close(fd) }
        var chunk = [UInt8](repeating: 0, count: 16 << 10)
        for index in 0..<(megabytes << 6) {
            chunk[0] = UInt8(truncatingIfNeeded: index)
            _ = chunk.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        }
        // Dirty pages cannot be dropped: write them out first.
        try #require(fdatasync(fd) == 0 && posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) == 0)
        return path
    }

    /// Whether the file's pages are all in the cache (mapped without reading, asked with mincore).
    func resident(_ path: String) throws -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        defer { close(fd) }
        var info = stat()
        fstat(fd, &info)
        let size = Int(info.st_size)
        let map = try #require(mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0))
        defer { munmap(map, size) }
        return PageCacheWarmer.isResident(map, size: size)
    }

    @Test("an evicted file is read in; one already in the cache is left alone; a missing one is skipped")
    func warmsOnlyWhatIsMissing() throws {
        let path = try evictedFile(megabytes: 8)
        defer { unlink(path) }
        #expect(try !resident(path))
        #expect(PageCacheWarmer.warm(path: path) == .warmed)
        #expect(try resident(path))
        #expect(PageCacheWarmer.warm(path: path) == .resident)
        guard case .skipped(let reason) = PageCacheWarmer.warm(path: path + ".missing") else {
            Issue.record("a missing file was not skipped")
            return
        }
        #expect(reason.hasPrefix("open: "))
    }

    /// The point of it: the warmed file is mapped with a fault per 2 MiB, as one written in one
    /// write is, where the kernel gives this file system large folios at all.
    @Test("the warmed file comes back in 2 MiB folios where the kernel gives the file system large folios")
    func warmedFileIsInHugeFolios() throws {
        let thp = (try? String(contentsOfFile: "/sys/kernel/mm/transparent_hugepage/enabled", encoding: .utf8)) ?? "[never]"
        try #require(!thp.contains("[never]"), "transparent huge pages are on")
        // The reference: the same bytes written in one write, which the kernel caches in large folios.
        let reference = try evictedFile(megabytes: 8)
        defer { unlink(reference) }
        let whole = try #require(FileManager.default.contents(atPath: reference))
        unlink(reference)
        try whole.write(to: URL(fileURLWithPath: reference))
        let expected = hugeMapped(reference)
        try #require(expected > 0, "this file system keeps a file written in one write in large folios")

        let path = try evictedFile(megabytes: 8)
        defer { unlink(path) }
        // Read back the way exec does (faults on a plain mapping): small folios.
        _ = hugeMapped(path, advise: false)
        #expect(hugeMapped(path) == 0)
        try #require(evict(path) == 0)
        #expect(PageCacheWarmer.warm(path: path) == .warmed)
        #expect(hugeMapped(path) >= expected / 2, "FilePmdMapped after warming")
    }

    /// Drops the file's pages from the cache again.
    func evict(_ path: String) -> Int32 {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        defer { close(fd) }
        return posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED)
    }

    /// KiB of the file mapped by PMD (2 MiB) entries when this process maps and reads it through
    /// a 2 MiB-aligned mapping (advised MADV_HUGEPAGE, without which THP's `madvise` mode maps
    /// nothing by PMD), from /proc/self/smaps.
    func hugeMapped(_ path: String, advise: Bool = true) -> Int {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        defer { close(fd) }
        var info = stat()
        fstat(fd, &info)
        let size = Int(info.st_size), huge = 2 << 20
        guard let reserved = mmap(nil, size + huge, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), reserved != MAP_FAILED else { return -1 }
        defer { munmap(reserved, size + huge) }
        let aligned = UnsafeMutableRawPointer(bitPattern: (Int(bitPattern: reserved) + huge - 1) & ~(huge - 1))!
        guard let map = mmap(aligned, size, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0), map != MAP_FAILED else { return -1 }
        if advise { madvise(map, size, MADV_HUGEPAGE) }
        var sum = 0
        for offset in stride(from: 0, to: size, by: 4096) { sum &+= Int(map.load(fromByteOffset: offset, as: UInt8.self)) }
        let start = String(UInt(bitPattern: map), radix: 16)
        // Read to the end: a /proc file's size says 0.
        guard let handle = FileHandle(forReadingAtPath: "/proc/self/smaps"), let bytes = try? handle.readToEnd() else { return -1 }
        let smaps = String(decoding: bytes, as: UTF8.self)
        var inside = false
        for line in smaps.split(separator: "\n") {
            if let dash = line.firstIndex(of: "-"), line[..<dash].allSatisfy(\.isHexDigit) {
                inside = line[..<dash].drop(while: { $0 == "0" }) == start.drop(while: { $0 == "0" })[...]
            } else if inside, line.hasPrefix("FilePmdMapped:") {
                return Int(line.split(separator: " ")[1]) ?? -1
            }
        }
        return sum == Int.min ? -2 : -1
    }
}
