import Crypto
import Testing
import WardenDigest

/// The hook's own SHA-256 against swift-crypto, bit for bit.
@Suite struct SHA256DigestTests {
    func reference(_ bytes: [UInt8]) -> [UInt8] { Array(Crypto.SHA256.hash(data: bytes)) }

    @Test func standardVectors() {
        #expect(SHA256Digest.hash(Array("".utf8)).map { String($0, radix: 16) }.joined().hasPrefix("e3b0c442"))
        let abc = SHA256Digest.hash(Array("abc".utf8))
        #expect(abc == reference(Array("abc".utf8)))
        var hex = ""
        for byte in abc { hex += (byte < 16 ? "0" : "") + String(byte, radix: 16) }
        #expect(hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let long = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        #expect(SHA256Digest.hash(long) == reference(long))
    }

    @Test func fipsVectors() {
        func hex(_ message: [UInt8]) -> String { message.withUnsafeBytes { SHA256Digest.hex($0) } }
        #expect(hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(hex([UInt8](repeating: 0x61, count: 100)) == "2816597888e4a0d3a36b82b83316ab32680eb8f00f8cd3b904d681246d285a0e")
    }

    @Test func everyLengthAroundTheBlockBoundariesMatchesSwiftCrypto() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for length in 0...300 {
            let bytes = (0..<length).map { _ -> UInt8 in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return UInt8(truncatingIfNeeded: state >> 56)
            }
            #expect(SHA256Digest.hash(bytes) == reference(bytes), "length \(length)")
        }
    }

    @Test func hexIsLowercaseAndMatches() {
        let bytes = Array("warden".utf8)
        let hex = bytes.withUnsafeBytes { SHA256Digest.hex($0) }
        let expected = reference(bytes).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
        #expect(hex == expected)
    }
}
