#if canImport(Glibc)
import Glibc
import Testing
@testable import WardenNetwork

/// The C library is the reference for the address forms: `inet_aton` for the lenient IPv4
/// forms, `inet_pton` for the strict ones and for IPv6, `inet_ntop` for IPv6 text. Random
/// inputs, a fixed seed.
@Suite struct LibcDifferentialTests {
    private func inetAton(_ text: String) -> UInt32? {
        var address = in_addr()
        guard inet_aton(text, &address) != 0 else { return nil }
        return UInt32(bigEndian: address.s_addr)
    }

    private func inetPton(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }

    private func inetNtop(_ bytes: [UInt8]) -> String {
        var v6 = in6_addr()
        withUnsafeMutableBytes(of: &v6) { $0.copyBytes(from: bytes) }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        _ = inet_ntop(AF_INET6, &v6, &buffer, socklen_t(buffer.count))
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// What canonicalHost reads as an IPv4 address inet_aton reads as the same one, and the other
    /// way round.
    @Test func lenientIPv4AgreesWithInetAton() throws {
        var generator = SplitMix64(seed: 42)
        let alphabet = Array("0123456789xX.abcdef".utf8)
        var agreed = 0
        for _ in 0..<20_000 {
            let length = Int.random(in: 1...14, using: &generator)
            let text = String(decoding: (0..<length).map { _ in alphabet.randomElement(using: &generator)! }, as: UTF8.self)
            let ours: UInt32?
            if case .address(let address)? = try? canonicalHost(text), address.isIPv4 { ours = address.ipv4Value } else { ours = nil }
            // inet_aton takes no trailing dot, which the URL standard drops.
            let theirs = inetAton(text.hasSuffix(".") ? String(text.dropLast()) : text)
            guard ours != nil || theirs != nil else { continue }
            // A part that is "0x" alone is 0 to the URL standard (browsers) and an error to glibc's
            // inet_aton; either way no other address is reached.
            if text.split(separator: ".", omittingEmptySubsequences: false).contains(where: { $0.lowercased() == "0x" }) { continue }
            #expect(theirs == ours, "\(text)")
            agreed += 1
        }
        #expect(agreed > 500)
    }

    /// Strict parsing accepts exactly what inet_pton accepts, as the same bytes.
    @Test func strictParsingAgreesWithInetPton() {
        var generator = SplitMix64(seed: 7)
        let alphabet = Array("0123456789abcdefABCDEF:.::".utf8)
        var accepted = 0
        for round in 0..<30_000 {
            let text: String
            if round % 2 == 0 {
                let length = Int.random(in: 1...24, using: &generator)
                text = String(decoding: (0..<length).map { _ in alphabet.randomElement(using: &generator)! }, as: UTF8.self)
            } else {
                text = randomIPv6Text(using: &generator)
            }
            let ours = IPAddress.parse(text)
            let theirs = inetPton(text)
            #expect(ours?.bytes == theirs, "\(text)")
            if ours != nil { accepted += 1 }
        }
        #expect(accepted > 10_000)
    }

    /// IPv6 text is inet_ntop's (RFC 5952), but for IPv4-compatible ::a.b.c.d, which glibc writes
    /// dotted and RFC 5952 does not.
    @Test func ipv6TextAgreesWithInetNtop() {
        var generator = SplitMix64(seed: 99)
        for _ in 0..<20_000 {
            let bytes = randomIPv6Bytes(using: &generator)
            let address = IPAddress(bytes: bytes)!
            let compatible = bytes[0..<12].allSatisfy { $0 == 0 } && !(bytes[12] == 0 && bytes[13] == 0)
            guard !compatible else { continue }
            #expect(address.description == inetNtop(bytes), "\(bytes)")
            #expect(IPAddress.parse(address.description) == address)
        }
    }

    /// Addresses with runs of zero groups (the interesting case for `::`), sometimes IPv4-mapped.
    private func randomIPv6Bytes(using generator: inout SplitMix64) -> [UInt8] {
        var groups = (0..<8).map { _ in Bool.random(using: &generator) ? UInt16(0) : UInt16.random(in: 0...0xffff, using: &generator) }
        if Int.random(in: 0..<8, using: &generator) == 0 { groups[0..<5] = [0, 0, 0, 0, 0]; groups[5] = 0xffff }
        return groups.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xff)] }
    }

    private func randomIPv6Text(using generator: inout SplitMix64) -> String {
        let bytes = randomIPv6Bytes(using: &generator)
        let groups = stride(from: 0, to: 16, by: 2).map { UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]) }
        var parts = groups.map { String($0, radix: 16, uppercase: Bool.random(using: &generator)) }
        if Bool.random(using: &generator), let start = parts.indices.randomElement(using: &generator) {
            // Compress a run of zero groups (perhaps a single one, which RFC 4291 allows too).
            var end = start
            while end < 8 && groups[end] == 0 { end += 1 }
            if end > start {
                let head = parts[..<start].joined(separator: ":"), tail = parts[end...].joined(separator: ":")
                return head + "::" + tail
            }
        }
        if Int.random(in: 0..<4, using: &generator) == 0 {
            parts[6] = "\(bytes[12]).\(bytes[13]).\(bytes[14]).\(bytes[15])"
            parts.removeLast()
        }
        return parts.joined(separator: ":")
    }
}
#endif
