#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Brings `warden-hook` into the page cache in 2 MiB folios before Claude Code first runs it.
///
/// Why: the hook's start-up is every tool call's latency, and most of it is page faults on its
/// text. A file written in large writes (as `warden install` writes it) sits in the page cache in
/// large folios, which a mapping takes a fault per 2 MiB of; after eviction (a reboot, memory
/// pressure) exec reads it back in small ones, a fault per 64 KiB or less: about 80 more faults
/// and 0.6 ms on every call, until the file is written again (README, Performance). Read through
/// a 2 MiB-aligned mapping advised `MADV_HUGEPAGE`, the kernel's readahead brings it in as large
/// folios again. A file already fully in the cache is left alone: its folios cannot be changed
/// from here, and reading it again would only cost time.
public enum PageCacheWarmer {
    public enum Outcome: Equatable, Sendable {
        /// Every page was in the cache already.
        case resident
        /// Some pages were not: the file was read through a huge-page mapping.
        case warmed
        /// It could not be looked at (missing, unreadable, the kernel refused): nothing done.
        case skipped(String)
    }

    private static let hugePage = 2 << 20
    private static let populateRead: Int32 = 22  // MADV_POPULATE_READ (Linux 5.14), not in Glibc's module

    public static func warm(path: String) -> Outcome {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .skipped("open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_size > 0 else { return .skipped("empty or not a file") }
        let size = Int(info.st_size)
        guard let plain = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), plain != MAP_FAILED else {
            return .skipped("mmap: \(String(cString: strerror(errno)))")
        }
        let resident = isResident(plain, size: size)
        munmap(plain, size)
        if resident { return .resident }
        // Reserve 2 MiB more than needed, then map the file at the first 2 MiB boundary inside:
        // only an aligned range can be mapped, and read ahead, as huge folios.
        let span = size + hugePage
        guard let reserved = mmap(nil, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), reserved != MAP_FAILED else {
            return .skipped("mmap: \(String(cString: strerror(errno)))")
        }
        defer { munmap(reserved, span) }
        let aligned = UnsafeMutableRawPointer(bitPattern: (Int(bitPattern: reserved) + hugePage - 1) & ~(hugePage - 1))!
        guard let file = mmap(aligned, size, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0), file != MAP_FAILED else {
            return .skipped("mmap: \(String(cString: strerror(errno)))")
        }
        guard madvise(file, size, MADV_HUGEPAGE) == 0, madvise(file, size, populateRead) == 0 else {
            return .skipped("madvise: \(String(cString: strerror(errno)))")
        }
        return .warmed
    }

    /// Whether the mapping's pages are in the page cache, from one page in every 2 MiB and the
    /// last (mincore(2); nothing is read). Asking for every page cost 0.3–0.4 ms on a 20 MB hook,
    /// on every `warden run`; eviction (a reboot, `drop_caches`, reclaim of an idle file) takes
    /// the samples with the rest.
    static func isResident(_ address: UnsafeMutableRawPointer, size: Int) -> Bool {
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        var offsets = Array(stride(from: 0, to: size, by: hugePage))
        offsets.append((size - 1) / pageSize * pageSize)
        var page: UInt8 = 0
        for offset in offsets {
            guard mincore(address + offset, pageSize, &page) == 0, page & 1 == 1 else { return false }
        }
        return true
    }
}
