import Glibc

/// printf-style formatting through vsnprintf, for the numbers the CLI prints ("%.1f", "%2d"):
/// the same text `String(format:)` gave, without the Foundation that came with it.
func cFormat(_ format: String, _ arguments: any CVarArg...) -> String {
    var capacity = 64
    while true {
        let (text, needed): (String?, Int) = withVaList(arguments) { list in
            var buffer = [CChar](repeating: 0, count: capacity)
            let needed = Int(vsnprintf(&buffer, capacity, format, list))
            return (needed < capacity ? String(decoding: buffer.prefix(max(needed, 0)).map { UInt8(bitPattern: $0) }, as: UTF8.self) : nil, needed)
        }
        if let text { return text }
        capacity = needed + 1
    }
}

extension StringProtocol {
    /// Without the line breaks at either end (as Foundation's `trimmingCharacters(in: .newlines)`).
    func trimmingNewlines() -> String {
        String(drop(while: \.isNewline).reversed().drop(while: \.isNewline).reversed())
    }
}
