// Bitcoin addresses (mainnet), checksum verified, high confidence:
// - base58check P2PKH `1…` and P2SH `3…`: 25–35 base58 characters decoding to a version byte
//   (0x00 or 0x05), a 20-byte hash and a 4-byte double-SHA-256 checksum;
// - segwit `bc1…` (BIP 173 bech32 for witness version 0, BIP 350 bech32m for versions 1–16),
//   all lower or all upper case, with a valid witness program length.

extension PIIPass {
    /// A base58check address that is the whole word `[s, e)`.
    func matchBase58(_ s: Int, _ e: Int) -> PIIMatch? {
        let b0 = t.p[s]
        guard b0 == UInt8(ascii: "1") || b0 == UInt8(ascii: "3") else { return nil }
        for k in s..<e where PIIByte.cls(t.p[k]) & PIIByte.base58 == 0 { return nil }
        guard PIIChecksum.base58Check(t, s..<e) else { return nil }
        return PIIMatch(range: s..<e, kind: .bitcoinAddress, confidence: .high, rule: "bitcoin-base58")
    }

    /// A segwit address that is the whole word `[s, e)`.
    func matchBech32(_ s: Int, _ e: Int) -> PIIMatch? {
        guard (t.p[s + 1] | 0x20) == UInt8(ascii: "c"), t.p[s + 2] == UInt8(ascii: "1") else { return nil }
        let len = e - s
        guard len >= 14 && len <= 74 else { return nil }
        guard PIIChecksum.segwit(t, s..<e) else { return nil }
        return PIIMatch(range: s..<e, kind: .bitcoinAddress, confidence: .high, rule: "bitcoin-bech32")
    }
}
