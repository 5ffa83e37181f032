import FoundationEssentials
import Glibc
import WardenAudit

/// `warden report --format html`: one self-contained page, charts in inline SVG, no scripts and
/// nothing fetched.
enum ReportHTML {
    static let colors: [AuditDecision: String] = [
        .allow: "#2e9d5b", .ask: "#e0a100", .deny: "#d64545", .redact: "#7b5cd6", .block: "#8b1e1e", .none: "#9aa3ad",
    ]

    static func render(_ report: AuditReport, directory: String, top: Int) -> String {
        let denied = (report.decisions[.deny] ?? 0) + (report.decisions[.block] ?? 0)
        var html = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Warden decision report — \(escape(ReportWords.period(report)))</title>
            <style>
            :root { --ink: #1d2733; --muted: #5d6b7a; --line: #e3e8ee; --card: #ffffff; --bg: #f4f6f9; }
            * { box-sizing: border-box; }
            body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
            main { max-width: 1040px; margin: 0 auto; padding: 28px 20px 48px; }
            h1 { font-size: 26px; margin: 0 0 4px; }
            h2 { font-size: 17px; margin: 0 0 12px; }
            .sub { color: var(--muted); margin: 0 0 22px; }
            .tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 12px; margin-bottom: 16px; }
            .tile { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; }
            .tile .n { font-size: 28px; font-weight: 650; }
            .tile .l { color: var(--muted); font-size: 13px; }
            .grid { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
            .card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 18px; margin-bottom: 16px; overflow-x: auto; }
            .wide { grid-column: 1 / -1; }
            svg text { font: 12px system-ui, sans-serif; fill: var(--ink); }
            svg .axis { fill: var(--muted); }
            table { border-collapse: collapse; width: 100%; font-size: 14px; }
            th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); }
            th { color: var(--muted); font-weight: 600; }
            td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
            code { font: 13px ui-monospace, SFMono-Regular, Menlo, monospace; }
            .empty { color: var(--muted); }
            .legend span { display: inline-block; margin-right: 14px; font-size: 13px; }
            .legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 5px; }
            @media (max-width: 760px) { .grid { grid-template-columns: 1fr; } }
            </style>
            </head>
            <body>
            <main>
            <h1>Warden decision report</h1>
            <p class="sub">\(escape(ReportWords.period(report))) · log <code>\(escape(directory))</code></p>
            <section class="tiles">
            \(tile(report.total, "decisions"))
            \(tile(denied, "denied or blocked", color: colors[.deny]!))
            \(tile(report.decisions[.ask] ?? 0, "asked", color: colors[.ask]!))
            \(tile(report.totalRedactions, "values redacted", color: colors[.redact]!))
            \(tile(report.sessions.count, "sessions"))
            \(tile(report.networkRecords, "connections · \(report.networkDenied) denied"))
            <div class="tile"><div class="n">\(escape(ReportWords.micros(report.latencyP50)))</div><div class="l">hook latency p50 · p99 \(escape(ReportWords.micros(report.latencyP99)))</div></div>
            </section>

            """
        html += "<section class=\"card\"><h2>Decisions per day</h2>\(legend())\(dayChart(report.days))</section>\n"
        html += "<div class=\"grid\">\n"
        html += "<section class=\"card\"><h2>Decisions by kind</h2>\(donut(report))</section>\n"
        html += "<section class=\"card\"><h2>Top denied rules</h2>\(bars(report.topDeniedRules, color: colors[.deny]!, empty: "No rule denied anything in this period."))</section>\n"
        html += "<section class=\"card\"><h2>Redactions by kind</h2>\(bars(report.redactions, color: colors[.redact]!, empty: "Nothing was redacted in this period."))</section>\n"
        html += "<section class=\"card\"><h2>Tools</h2>\(bars(Array(report.tools.prefix(top)), color: "#3d7bd9", empty: "No tool calls in this period."))</section>\n"
        html += "</div>\n"
        html += "<section class=\"card\"><h2>Network</h2>\(networkTables(report))</section>\n"
        html += "<section class=\"card\"><h2>Sessions</h2>\(sessionTable(report, top: top))</section>\n"
        if !report.topAskedRules.isEmpty {
            html += "<section class=\"card\"><h2>Rules that asked most</h2>\(bars(report.topAskedRules, color: colors[.ask]!, empty: ""))</section>\n"
        }
        html += "<p class=\"sub\">\(report.users.count) users on \(report.hosts.count) hosts. Generated by <code>warden report</code>; every value shown was redacted before it was logged.</p>\n"
        html += "</main>\n</body>\n</html>\n"
        return html
    }

    static func tile(_ value: Int, _ label: String, color: String? = nil) -> String {
        let style = color.map { " style=\"color: \($0)\"" } ?? ""
        return "<div class=\"tile\"><div class=\"n\"\(style)>\(value)</div><div class=\"l\">\(escape(label))</div></div>"
    }

    static func legend() -> String {
        "<div class=\"legend\">" + AuditDecision.allCases.map { "<span><i style=\"background: \(colors[$0]!)\"></i>\($0.rawValue)</span>" }.joined() + "</div>\n"
    }

    /// Stacked bars, one per day, by decision.
    static func dayChart(_ days: [AuditReport.Day]) -> String {
        guard !days.isEmpty else { return "<p class=\"empty\">No decisions in this period.</p>" }
        let width = 980.0, height = 240.0, left = 46.0, bottom = 28.0, top = 10.0
        let plotW = width - left - 10, plotH = height - bottom - top
        let maximum = max(1, days.map(\.total).max() ?? 1)
        let scale = niceCeiling(maximum)
        let slot = plotW / Double(days.count)
        let barW = max(1, min(48, slot * 0.72))
        var svg = "<svg viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"100%\" role=\"img\" aria-label=\"Decisions per day\">\n"
        for i in 0...4 {
            let value = scale * i / 4
            let y = top + plotH - plotH * Double(value) / Double(scale)
            svg += "<line x1=\"\(f(left))\" y1=\"\(f(y))\" x2=\"\(f(width - 10))\" y2=\"\(f(y))\" stroke=\"#e3e8ee\"/>"
            svg += "<text class=\"axis\" x=\"\(f(left - 6))\" y=\"\(f(y + 4))\" text-anchor=\"end\">\(value)</text>\n"
        }
        let labelEvery = max(1, Int((Double(days.count) / (plotW / 70)).rounded(.up)))
        for (i, day) in days.enumerated() {
            let x = left + slot * Double(i) + (slot - barW) / 2
            var y = top + plotH
            let label = AuditTime.dayString(day.day)
            for kind in AuditDecision.allCases {
                let count = day.counts[kind] ?? 0
                guard count > 0 else { continue }
                let h = plotH * Double(count) / Double(scale)
                y -= h
                svg += "<rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(barW))\" height=\"\(f(h))\" fill=\"\(colors[kind]!)\"><title>\(label): \(count) \(kind.rawValue)</title></rect>"
            }
            if i % labelEvery == 0 {
                svg += "<text class=\"axis\" x=\"\(f(x + barW / 2))\" y=\"\(f(height - 8))\" text-anchor=\"middle\">\(label.dropFirst(5))</text>"
            }
            svg += "\n"
        }
        return svg + "</svg>"
    }

    /// A donut of decision kinds with counts beside it.
    static func donut(_ report: AuditReport) -> String {
        guard report.total > 0 else { return "<p class=\"empty\">No decisions in this period.</p>" }
        let cx = 90.0, cy = 90.0, r = 70.0, stroke = 28.0
        let circumference = 2 * Double.pi * r
        var svg = "<svg viewBox=\"0 0 360 180\" width=\"100%\" style=\"max-width: 480px\" role=\"img\" aria-label=\"Decisions by kind\">\n"
        var offset = 0.0
        for kind in AuditDecision.allCases {
            let count = report.decisions[kind] ?? 0
            guard count > 0 else { continue }
            let length = circumference * Double(count) / Double(report.total)
            svg += "<circle cx=\"\(f(cx))\" cy=\"\(f(cy))\" r=\"\(f(r))\" fill=\"none\" stroke=\"\(colors[kind]!)\" stroke-width=\"\(f(stroke))\" stroke-dasharray=\"\(f(length)) \(f(circumference - length))\" stroke-dashoffset=\"\(f(-offset))\" transform=\"rotate(-90 \(f(cx)) \(f(cy)))\"><title>\(count) \(kind.rawValue)</title></circle>\n"
            offset += length
        }
        svg += "<text x=\"\(f(cx))\" y=\"\(f(cy + 2))\" text-anchor=\"middle\" style=\"font-size: 22px; font-weight: 650\">\(report.total)</text>"
        svg += "<text class=\"axis\" x=\"\(f(cx))\" y=\"\(f(cy + 20))\" text-anchor=\"middle\">decisions</text>\n"
        var y = 30.0
        for kind in AuditDecision.allCases {
            let count = report.decisions[kind] ?? 0
            svg += "<rect x=\"200\" y=\"\(f(y - 10))\" width=\"12\" height=\"12\" rx=\"2\" fill=\"\(colors[kind]!)\"/>"
            svg += "<text x=\"220\" y=\"\(f(y))\">\(kind.rawValue)</text><text x=\"350\" y=\"\(f(y))\" text-anchor=\"end\">\(count) · \(ReportWords.percent(count, of: report.total))</text>\n"
            y += 24
        }
        return svg + "</svg>"
    }

    /// Horizontal bars with the name on the left and the count at the end.
    static func bars(_ counts: [AuditReport.Count], color: String, empty: String) -> String {
        guard !counts.isEmpty else { return "<p class=\"empty\">\(escape(empty))</p>" }
        let rowH = 26.0, labelW = 190.0, width = 460.0
        let maximum = Double(counts.map(\.count).max() ?? 1)
        var svg = "<svg viewBox=\"0 0 \(Int(width)) \(Int(rowH * Double(counts.count) + 4))\" width=\"100%\" style=\"max-width: 560px\" role=\"img\">\n"
        for (i, count) in counts.enumerated() {
            let y = Double(i) * rowH
            let barW = max(2, (width - labelW - 60) * Double(count.count) / maximum)
            let name = count.name.count > 28 ? String(count.name.prefix(27)) + "…" : count.name
            svg += "<text x=\"\(f(labelW - 8))\" y=\"\(f(y + 17))\" text-anchor=\"end\"><title>\(escape(count.name))</title>\(escape(name))</text>"
            svg += "<rect x=\"\(f(labelW))\" y=\"\(f(y + 5))\" width=\"\(f(barW))\" height=\"16\" rx=\"3\" fill=\"\(color)\"/>"
            svg += "<text x=\"\(f(labelW + barW + 6))\" y=\"\(f(y + 17))\">\(count.count)</text>\n"
        }
        return svg + "</svg>"
    }

    /// The hosts denied and allowed most, with connections and bytes each way.
    static func networkTables(_ report: AuditReport) -> String {
        guard report.networkRecords > 0 else { return "<p class=\"empty\">No connections through Warden's proxies in this period.</p>" }
        var html = "<p>\(report.networkRecords) connections: \(report.networkAllowed) allowed, \(report.networkDenied) denied.</p>\n"
        html += "<div class=\"grid\">\n"
        for (title, hosts, color) in [("Top denied hosts", report.topDeniedHosts, colors[.deny]!), ("Top allowed hosts", report.topAllowedHosts, colors[.allow]!)] {
            html += "<div><h2 style=\"color: \(color)\">\(title)</h2>"
            if hosts.isEmpty {
                html += "<p class=\"empty\">None.</p></div>\n"
                continue
            }
            html += "<table><thead><tr><th>Host</th><th class=\"num\">Connections</th><th class=\"num\">Bytes up</th><th class=\"num\">Bytes down</th></tr></thead><tbody>\n"
            for host in hosts {
                html += "<tr><td><code>\(escape(host.host))</code></td><td class=\"num\">\(host.count)</td>"
                html += "<td class=\"num\">\(escape(LogTable.byteCount(host.bytesUp)))</td><td class=\"num\">\(escape(LogTable.byteCount(host.bytesDown)))</td></tr>\n"
            }
            html += "</tbody></table></div>\n"
        }
        return html + "</div>"
    }

    static func sessionTable(_ report: AuditReport, top: Int) -> String {
        guard !report.sessions.isEmpty else { return "<p class=\"empty\">No sessions in this period.</p>" }
        var html = "<table><thead><tr><th>Session</th><th>User</th><th>Host</th><th class=\"num\">Decisions</th><th class=\"num\">Denied</th><th class=\"num\">Asked</th><th class=\"num\">Redacted</th><th>From</th><th>To</th></tr></thead><tbody>\n"
        for s in report.sessions.prefix(top) {
            html += "<tr><td><code title=\"\(escape(s.id))\">\(escape(String(s.id.prefix(8))))</code>\(s.outsideSandbox ? " <strong>outside the sandbox</strong>" : "")</td><td>\(escape(s.user))</td><td>\(escape(s.host))</td>"
            html += "<td class=\"num\">\(s.decisions)</td><td class=\"num\">\(s.denied)</td><td class=\"num\">\(s.asked)</td><td class=\"num\">\(s.redactions)</td>"
            html += "<td>\(escape(short(s.first)))</td><td>\(escape(short(s.last)))</td></tr>\n"
        }
        html += "</tbody></table>"
        if report.sessions.count > top { html += "<p class=\"empty\">and \(report.sessions.count - top) more sessions.</p>" }
        return html
    }

    static func short(_ time: AuditTime) -> String {
        let text = time.rfc3339
        return String(text.prefix(10)) + " " + String(text.dropFirst(11).prefix(5))
    }

    /// A round top for the y axis, divisible into 4 whole ticks: 8 for 7, 1000 for 900.
    static func niceCeiling(_ value: Int) -> Int {
        let rawStep = max(1, (value + 3) / 4)
        var power = 1
        while true {
            let steps = power >= 10 ? [power, 2 * power, 25 * power / 10, 5 * power] : [1, 2, 5]
            for step in steps where step >= rawStep { return step * 4 }
            power *= 10
        }
    }

    static func f(_ value: Double) -> String { cFormat("%.1f", value) }

    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for ch in text {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(ch)
            }
        }
        return out
    }
}
