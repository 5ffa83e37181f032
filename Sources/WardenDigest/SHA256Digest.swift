// SHA-256 (FIPS 180-4) for the hook's hot path: the Bitcoin base58check checksum of the PII
// scanner and the links of the decision log's hash chain.
//
// Not from a library on purpose: these run inside warden-hook, whose start-up time is its latency,
// and swift-crypto (the maintained Swift SHA-256) pulls FoundationEssentials into the binary:
// measured at +1.5 ms median start-up per hook call (see README, "Performance"). Everything off
// the hook's path (the `warden` CLI) uses swift-crypto, and the tests check this implementation
// against swift-crypto bit for bit.

public enum SHA256Digest {
    /// SHA-256 of `bytes`.
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: 32) { out, count in
            hash(bytes.bindMemory(to: UInt8.self), into: out)
            count = 32
        }
    }

    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBytes { hash($0) }
    }

    /// SHA-256 of `bytes` as 64 lowercase hex digits.
    public static func hex(_ bytes: UnsafeRawBufferPointer) -> String {
        Hex.encode(hash(bytes))
    }

    /// SHA-256 of `message` into the first 32 bytes of `out` (which may overlap `message`).
    public static func hash(_ message: UnsafeBufferPointer<UInt8>, into out: UnsafeMutableBufferPointer<UInt8>) {
        precondition(out.count >= 32)
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 72) { words in
            let w = words.baseAddress!
            let h = w + 64
            h[0] = 0x6a09e667; h[1] = 0xbb67ae85; h[2] = 0x3c6ef372; h[3] = 0xa54ff53a
            h[4] = 0x510e527f; h[5] = 0x9b05688c; h[6] = 0x1f83d9ab; h[7] = 0x5be0cd19
            let length = message.count
            let fullBlocks = length / 64
            if let base = message.baseAddress {
                for b in 0..<fullBlocks { compress(base + 64 * b, w, h) }
            }
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 128) { tail in
                let rest = length - 64 * fullBlocks
                for i in 0..<rest { tail[i] = message[64 * fullBlocks + i] }
                tail[rest] = 0x80
                let tailLength = rest + 9 <= 64 ? 64 : 128
                for i in (rest + 1)..<tailLength { tail[i] = 0 }
                let bits = UInt64(length) * 8
                for i in 0..<8 { tail[tailLength - 1 - i] = UInt8(truncatingIfNeeded: bits >> UInt64(8 * i)) }
                let t = UnsafePointer(tail.baseAddress!)
                compress(t, w, h)
                if tailLength == 128 { compress(t + 64, w, h) }
            }
            for i in 0..<8 {
                out[4 * i] = UInt8(truncatingIfNeeded: h[i] >> 24)
                out[4 * i + 1] = UInt8(truncatingIfNeeded: h[i] >> 16)
                out[4 * i + 2] = UInt8(truncatingIfNeeded: h[i] >> 8)
                out[4 * i + 3] = UInt8(truncatingIfNeeded: h[i])
            }
        }
    }

    @inline(__always) static func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { x >> n | x << (32 - n) }

    /// One 64-byte block at `block` into the state `h`, with `w` as the message schedule.
    static func compress(_ block: UnsafePointer<UInt8>, _ w: UnsafeMutablePointer<UInt32>, _ h: UnsafeMutablePointer<UInt32>) {
        for i in 0..<16 {
            w[i] = UInt32(block[4 * i]) << 24 | UInt32(block[4 * i + 1]) << 16 | UInt32(block[4 * i + 2]) << 8 | UInt32(block[4 * i + 3])
        }
        for i in 16..<64 {
            let s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3)
            let s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10)
            w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
        }
        var a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7]
        for i in 0..<64 {
            let S1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
            let ch = (e & f) ^ (~e & g)
            let temp1 = hh &+ S1 &+ ch &+ k(i) &+ w[i]
            let S0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
            let maj = (a & b) ^ (a & c) ^ (b & c)
            let temp2 = S0 &+ maj
            hh = g; g = f; f = e; e = d &+ temp1
            d = c; c = b; b = a; a = temp1 &+ temp2
        }
        h[0] &+= a; h[1] &+= b; h[2] &+= c; h[3] &+= d
        h[4] &+= e; h[5] &+= f; h[6] &+= g; h[7] &+= hh
    }

    /// The round constants (the first 32 bits of the fractional parts of the cube roots of the
    /// first 64 primes); a switch, so that they sit in the binary instead of an array made at run time.
    @inline(__always) static func k(_ i: Int) -> UInt32 {
        switch i {
        case 0: return 0x428a2f98
        case 1: return 0x71374491
        case 2: return 0xb5c0fbcf
        case 3: return 0xe9b5dba5
        case 4: return 0x3956c25b
        case 5: return 0x59f111f1
        case 6: return 0x923f82a4
        case 7: return 0xab1c5ed5
        case 8: return 0xd807aa98
        case 9: return 0x12835b01
        case 10: return 0x243185be
        case 11: return 0x550c7dc3
        case 12: return 0x72be5d74
        case 13: return 0x80deb1fe
        case 14: return 0x9bdc06a7
        case 15: return 0xc19bf174
        case 16: return 0xe49b69c1
        case 17: return 0xefbe4786
        case 18: return 0x0fc19dc6
        case 19: return 0x240ca1cc
        case 20: return 0x2de92c6f
        case 21: return 0x4a7484aa
        case 22: return 0x5cb0a9dc
        case 23: return 0x76f988da
        case 24: return 0x983e5152
        case 25: return 0xa831c66d
        case 26: return 0xb00327c8
        case 27: return 0xbf597fc7
        case 28: return 0xc6e00bf3
        case 29: return 0xd5a79147
        case 30: return 0x06ca6351
        case 31: return 0x14292967
        case 32: return 0x27b70a85
        case 33: return 0x2e1b2138
        case 34: return 0x4d2c6dfc
        case 35: return 0x53380d13
        case 36: return 0x650a7354
        case 37: return 0x766a0abb
        case 38: return 0x81c2c92e
        case 39: return 0x92722c85
        case 40: return 0xa2bfe8a1
        case 41: return 0xa81a664b
        case 42: return 0xc24b8b70
        case 43: return 0xc76c51a3
        case 44: return 0xd192e819
        case 45: return 0xd6990624
        case 46: return 0xf40e3585
        case 47: return 0x106aa070
        case 48: return 0x19a4c116
        case 49: return 0x1e376c08
        case 50: return 0x2748774c
        case 51: return 0x34b0bcb5
        case 52: return 0x391c0cb3
        case 53: return 0x4ed8aa4a
        case 54: return 0x5b9cca4f
        case 55: return 0x682e6ff3
        case 56: return 0x748f82ee
        case 57: return 0x78a5636f
        case 58: return 0x84c87814
        case 59: return 0x8cc70208
        case 60: return 0x90befffa
        case 61: return 0xa4506ceb
        case 62: return 0xbef9a3f7
        default: return 0xc67178f2
        }
    }
}
