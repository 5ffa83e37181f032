public import WardenAudit

/// Whether the log still is the one the cursor was written for, judged from what a reader
/// started after the cursor's seq met: the cursor's own record, else the first record after it.
public enum ExportResume: Sendable, Hashable {
    /// The record at the cursor has the cursor's hash, or the next record links to it: go on.
    case matches
    /// The records between the cursor and the oldest record kept were removed before they were
    /// exported (retention pruned them, or they were deleted): they are lost to the collector.
    /// The export goes on from the oldest record kept.
    case gap(from: Int, to: Int)
    /// The log is not the one the cursor was written for (replaced, or rewritten): the export
    /// sends every record kept again, from the oldest, and the collector can drop the ones it
    /// already has by `warden.record.hash`. Losing records is worse than sending some twice.
    case mismatch(String)

    public static func check(cursor: ExportCursor, reader: ExportReader, firstPending: AuditRecord?) -> ExportResume {
        if let anchor = reader.anchor {
            if anchor.hash == cursor.hash { return .matches }
            return .mismatch("record seq \(cursor.seq) now has hash \(short(anchor.hash))…, not the \(short(cursor.hash))… that was exported")
        }
        if let first = firstPending {
            if first.seq == cursor.seq + 1 {
                if first.prev == cursor.hash { return .matches }
                return .mismatch("record seq \(first.seq) does not link to the record exported as seq \(cursor.seq)")
            }
            return .gap(from: cursor.seq + 1, to: first.seq - 1)
        }
        if let highest = reader.highestSeq {
            return .mismatch("the log ends at seq \(highest), before the cursor's seq \(cursor.seq)")
        }
        return .mismatch("the log has no records, but the cursor is at seq \(cursor.seq)")
    }

    static func short(_ hash: String) -> String { String(hash.prefix(12)) }
}
