import Foundation
import NIOConcurrencyHelpers
import NIOCore
import Testing
@testable import WardenProxy

/// The writer thread of the connection log is woken lazily: at once for the first record after
/// a quiet spell, then once per batch delay (or past `wakeAfter` waiting records), never once per
/// record; `close` writes everything.
@Suite("Connection log queue")
struct LogQueueTests {
    /// Counts the appends (batches) the writer makes.
    final class CountingLog: ConnectionLog {
        let batches = NIOLockedValueBox<[[ConnectionRecord]]>([])
        func record(_ one: ConnectionRecord) { record(contentsOf: [one]) }
        func record(contentsOf records: [ConnectionRecord]) { batches.withLockedValue { $0.append(records) } }
        var written: Int { batches.withLockedValue { $0.reduce(0) { $0 + $1.count } } }
        var appends: Int { batches.withLockedValue { $0.count } }
    }

    static func record(_ index: Int) -> ConnectionRecord {
        ConnectionRecord(proto: .connect, client: "127.0.0.1", asked: "h\(index).test", decision: .allow, key: "default", reason: "", start: Date())
    }

    static func waitFor(_ condition: () -> Bool, seconds: Double) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition() && Date() < deadline { try? await Task.sleep(nanoseconds: 2_000_000) }
        return condition()
    }

    @Test("a lone record is written at once; records right behind it wait for the batch delay and go in one append; close writes the rest")
    func lazyWakeUps() async throws {
        let log = CountingLog()
        let queue = ConnectionLogQueue(sink: log, batchDelay: .seconds(3), wakeAfter: 1000)
        queue.enqueue(Self.record(0))
        #expect(await Self.waitFor({ log.written == 1 }, seconds: 2.5))
        for index in 1...20 { queue.enqueue(Self.record(index)) }
        try await Task.sleep(nanoseconds: 300_000_000)
        // Not asserted as a time window (a loaded machine can hold any thread for longer): the
        // twenty records behind the first must still go in one append, below.
        queue.close()
        #expect(log.written == 21)
        #expect(log.appends == 2)
        #expect(log.batches.withLockedValue { $0.flatMap { $0 } }.map(\.asked) == (0...20).map { "h\($0).test" })
    }

    @Test("past wakeAfter waiting records the writer is woken before the batch delay")
    func wakeAfterCount() async throws {
        let log = CountingLog()
        let queue = ConnectionLogQueue(sink: log, batchDelay: .seconds(30), wakeAfter: 5)
        queue.enqueue(Self.record(0))
        #expect(await Self.waitFor({ log.written == 1 }, seconds: 2.5))
        for index in 1...5 { queue.enqueue(Self.record(index)) }
        #expect(await Self.waitFor({ log.written == 6 }, seconds: 5))
        queue.close()
        #expect(log.written == 6)
    }

    @Test("after a quiet batch delay the writer sleeps until the next record, which is written at once")
    func sleepsWhenQuiet() async throws {
        let log = CountingLog()
        let queue = ConnectionLogQueue(sink: log, batchDelay: .milliseconds(50), wakeAfter: 1000)
        queue.enqueue(Self.record(0))
        #expect(await Self.waitFor({ log.written == 1 }, seconds: 2.5))
        try await Task.sleep(nanoseconds: 400_000_000)  // quiet: several delays pass
        let appendsWhileQuiet = log.appends
        queue.enqueue(Self.record(1))
        #expect(await Self.waitFor({ log.written == 2 }, seconds: 2.5))
        #expect(appendsWhileQuiet == 1, "the writer appended nothing while no record came")
        queue.close()
    }
}
