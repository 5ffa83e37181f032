// The checksums that make card numbers, IBANs and Bitcoin addresses high-confidence findings.
// They read the candidate straight from the scanned bytes (skipping separators) and allocate
// nothing.

import WardenDigest

enum PIIChecksum {
    /// Luhn (ISO/IEC 7812-1) over the digits in `r`, separators skipped.
    static func luhn(_ t: PIIText, _ r: Range<Int>) -> Bool {
        var sum = 0
        var double = false
        var k = r.upperBound - 1
        while k >= r.lowerBound {
            let b = t.p[k]
            if PIIByte.isDigit(b) {
                var d = Int(b - 48)
                if double {
                    d *= 2
                    if d > 9 { d -= 9 }
                }
                sum += d
                double.toggle()
            }
            k -= 1
        }
        return sum % 10 == 0
    }

    /// ISO 13616 / ISO 7064 mod 97-10: the first four characters moved to the end, letters as
    /// 10–35, the number modulo 97 must be 1. Spaces and dashes in `r` are skipped.
    static func ibanMod97(_ t: PIIText, _ r: Range<Int>) -> Bool {
        var rest = 0
        var seen = 0
        var k = r.lowerBound
        // Pass 1: everything after the first four characters; pass 2: those four.
        var firstFourEnd = r.lowerBound
        while k < r.upperBound && seen < 4 {
            if PIIByte.isAlnum(t.p[k]) { seen += 1 }
            k += 1
        }
        firstFourEnd = k
        func add(_ b: UInt8) {
            if PIIByte.isDigit(b) {
                rest = (rest * 10 + Int(b - 48)) % 97
            } else if PIIByte.isUpper(b) {
                rest = (rest * 100 + Int(b - 55)) % 97
            }
        }
        while k < r.upperBound {
            add(t.p[k])
            k += 1
        }
        k = r.lowerBound
        while k < firstFourEnd {
            add(t.p[k])
            k += 1
        }
        return rest == 1
    }

    /// The value of a base58 digit (Bitcoin alphabet), or nil.
    @inline(__always) static func base58Value(_ b: UInt8) -> Int? {
        switch b {
        case UInt8(ascii: "1")...UInt8(ascii: "9"): return Int(b) - 49
        case UInt8(ascii: "A")...UInt8(ascii: "H"): return Int(b) - 65 + 9
        case UInt8(ascii: "J")...UInt8(ascii: "N"): return Int(b) - 74 + 17
        case UInt8(ascii: "P")...UInt8(ascii: "Z"): return Int(b) - 80 + 22
        case UInt8(ascii: "a")...UInt8(ascii: "k"): return Int(b) - 97 + 33
        case UInt8(ascii: "m")...UInt8(ascii: "z"): return Int(b) - 109 + 44
        default: return nil
        }
    }

    /// Base58check of a mainnet P2PKH or P2SH address: 25 bytes, version 0x00 or 0x05, the last
    /// four bytes the first four of SHA-256(SHA-256(the first 21)).
    static func base58Check(_ t: PIIText, _ r: Range<Int>) -> Bool {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { buffer -> Bool in
            let bytes = UnsafeMutableBufferPointer(rebasing: buffer[0..<25])
            bytes.initialize(repeating: 0)
            for k in r {
                guard var carry = base58Value(t.p[k]) else { return false }
                var i = 24
                while i >= 0 {
                    carry += 58 * Int(bytes[i])
                    bytes[i] = UInt8(truncatingIfNeeded: carry)
                    carry >>= 8
                    i -= 1
                }
                if carry != 0 { return false }
            }
            // Each leading `1` stands for one leading zero byte, and the 25 bytes must be all there is.
            var ones = 0
            while r.lowerBound + ones < r.upperBound && t.p[r.lowerBound + ones] == UInt8(ascii: "1") { ones += 1 }
            var zeros = 0
            while zeros < 25 && bytes[zeros] == 0 { zeros += 1 }
            guard ones == zeros, bytes[0] == 0x00 || bytes[0] == 0x05 else { return false }
            let digest = UnsafeMutableBufferPointer(rebasing: buffer[32..<64])
            SHA256Digest.hash(UnsafeBufferPointer(rebasing: bytes[0..<21]), into: digest)
            SHA256Digest.hash(UnsafeBufferPointer(digest), into: digest)
            return digest[0] == bytes[21] && digest[1] == bytes[22] && digest[2] == bytes[23] && digest[3] == bytes[24]
        }
    }

    /// The value of a bech32 character, either case, or nil.
    @inline(__always) static func bech32Value(_ b: UInt8) -> UInt32? {
        let charset: StaticString = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
        let c = PIIByte.lower(b)
        let p = charset.utf8Start
        for v in 0..<32 where p[v] == c { return UInt32(v) }
        return nil
    }

    /// A mainnet segwit address `bc1…` in `r`: one case throughout, the bech32 checksum for witness
    /// version 0 and bech32m for versions 1–16 (BIP 173, BIP 350), and a valid program length.
    static func segwit(_ t: PIIText, _ r: Range<Int>) -> Bool {
        var lower = false
        var upper = false
        var chk: UInt32 = 1
        func step(_ v: UInt32) {
            let top = chk >> 25
            chk = (chk & 0x1ff_ffff) << 5 ^ v
            if top & 1 != 0 { chk ^= 0x3b6a_57b2 }
            if top & 2 != 0 { chk ^= 0x2650_8e6d }
            if top & 4 != 0 { chk ^= 0x1ea1_19fa }
            if top & 8 != 0 { chk ^= 0x3d42_33dd }
            if top & 16 != 0 { chk ^= 0x2a14_62b3 }
        }
        // The human-readable part "bc", expanded.
        for v: UInt32 in [3, 3, 0, 2, 3] { step(v) }
        var version: UInt32 = 0
        var last: UInt32 = 0
        let dataStart = r.lowerBound + 3
        let count = r.upperBound - dataStart
        guard count >= 8 else { return false }
        for k in r {
            let b = t.p[k]
            if PIIByte.isUpper(b) { upper = true } else if PIIByte.isLower(b) { lower = true }
            guard k >= dataStart else { continue }
            guard let v = bech32Value(b) else { return false }
            if k == dataStart { version = v }
            if k == r.upperBound - 7 { last = v }
            step(v)
        }
        guard !(lower && upper), version <= 16 else { return false }
        guard chk == (version == 0 ? 1 : 0x2bc8_30a3) else { return false }
        // The witness program: 5-bit groups to bytes, at most 4 bits of zero padding.
        let bits = (count - 7) * 5
        let padding = bits % 8
        let programLength = bits / 8
        guard padding <= 4, last & ((1 << UInt32(padding)) - 1) == 0 else { return false }
        guard programLength >= 2 && programLength <= 40 else { return false }
        if version == 0 && programLength != 20 && programLength != 32 { return false }
        return true
    }
}
