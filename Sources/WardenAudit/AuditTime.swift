#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A moment in UTC with millisecond precision, written as RFC 3339: `2026-11-01T09:30:12.345Z`.
public struct AuditTime: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    public var milliseconds: Int64

    public init(milliseconds: Int64) { self.milliseconds = milliseconds }

    public static func < (lhs: AuditTime, rhs: AuditTime) -> Bool { lhs.milliseconds < rhs.milliseconds }

    /// The wall clock now.
    public static func now() -> AuditTime {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return AuditTime(milliseconds: Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000)
    }

    public func adding(days: Int) -> AuditTime { AuditTime(milliseconds: milliseconds + Int64(days) * 86_400_000) }
    public func adding(milliseconds delta: Int64) -> AuditTime { AuditTime(milliseconds: milliseconds + delta) }

    /// Days since 1970-01-01 (UTC), for grouping by day.
    public var day: Int64 { milliseconds >= 0 ? milliseconds / 86_400_000 : (milliseconds - 86_399_999) / 86_400_000 }

    public var description: String { rfc3339 }

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    public var rfc3339: String {
        let ms = Int(((milliseconds % 1000) + 1000) % 1000)
        let seconds = (milliseconds - Int64(ms)) / 1000
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let secondOfDay = Int(seconds - days * 86400)
        let (y, m, d) = AuditTime.civil(fromDays: days)
        var out = AuditTime.pad(y, 4) + "-" + AuditTime.pad(m, 2) + "-" + AuditTime.pad(d, 2)
        out += "T" + AuditTime.pad(secondOfDay / 3600, 2) + ":" + AuditTime.pad(secondOfDay / 60 % 60, 2)
        out += ":" + AuditTime.pad(secondOfDay % 60, 2) + "." + AuditTime.pad(ms, 3) + "Z"
        return out
    }

    /// `YYYY-MM-DD` of this moment in UTC.
    public var dayString: String { String(rfc3339.prefix(10)) }

    /// Reads RFC 3339: `2026-11-01T09:30:12Z`, with optional fraction and a `Z` or `±HH:MM`
    /// offset; also a bare date `2026-11-01` (midnight UTC) and `2026-11-01T09:30` (UTC).
    public init?(rfc3339 text: String) {
        let b = Array(text.utf8)
        func num(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= b.count else { return nil }
            var v = 0
            for i in start..<start + count {
                guard b[i] >= 48 && b[i] <= 57 else { return nil }
                v = v * 10 + Int(b[i] - 48)
            }
            return v
        }
        guard b.count >= 10, let y = num(0, 4), b[4] == UInt8(ascii: "-"), let mo = num(5, 2),
            b[7] == UInt8(ascii: "-"), let d = num(8, 2), (1...12).contains(mo), d >= 1,
            d <= AuditTime.daysIn(month: mo, year: y)
        else { return nil }
        var ms = Int64(AuditTime.days(fromCivil: y, mo, d)) * 86_400_000
        if b.count == 10 { self.milliseconds = ms; return }
        guard b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t") || b[10] == UInt8(ascii: " "),
            let h = num(11, 2), b.count > 13, b[13] == UInt8(ascii: ":"), let mi = num(14, 2), h < 24, mi < 60
        else { return nil }
        ms += Int64(h * 3600 + mi * 60) * 1000
        var i = 16
        if i < b.count && b[i] == UInt8(ascii: ":") {
            guard let s = num(17, 2), s <= 60 else { return nil }
            ms += Int64(s) * 1000
            i = 19
            if i < b.count && b[i] == UInt8(ascii: ".") {
                i += 1
                var scale: Int64 = 100
                let start = i
                while i < b.count && b[i] >= 48 && b[i] <= 57 {
                    ms += Int64(b[i] - 48) * scale
                    scale /= 10
                    i += 1
                }
                if i == start { return nil }
            }
        }
        if i == b.count { self.milliseconds = ms; return }
        if (b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z")) && i + 1 == b.count { self.milliseconds = ms; return }
        guard b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-"), let oh = num(i + 1, 2), i + 3 < b.count,
            b[i + 3] == UInt8(ascii: ":"), let om = num(i + 4, 2), i + 6 == b.count
        else { return nil }
        let offset = Int64(oh * 60 + om) * 60_000
        self.milliseconds = b[i] == UInt8(ascii: "+") ? ms - offset : ms + offset
    }

    // Howard Hinnant's civil-date algorithms.
    static func days(fromCivil year: Int, _ month: Int, _ day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = Int64((month + 9) % 12)
        let doy = (153 * mp + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(fromDays z0: Int64) -> (Int, Int, Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = Int(doy - (153 * mp + 2) / 5 + 1)
        let m = Int(mp < 10 ? mp + 3 : mp - 9)
        let y = Int(yoe + era * 400) + (m <= 2 ? 1 : 0)
        return (y, m, d)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// `YYYY-MM-DD` for a day number.
    public static func dayString(_ day: Int64) -> String {
        let (y, m, d) = civil(fromDays: day)
        return pad(y, 4) + "-" + pad(m, 2) + "-" + pad(d, 2)
    }

    static func pad(_ value: Int, _ width: Int) -> String {
        let s = String(value)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}
