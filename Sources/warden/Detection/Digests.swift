import Crypto
import FoundationEssentials
import Glibc
import WardenDigest
import WardenRedact

/// The digests behind fingerprints and pseudonyms, from swift-crypto. The CLI is not on the hook's
/// hot path, so it can afford the library.
enum Digests {
    /// SHA-256, unkeyed: fingerprints in ignore files must be the same on every machine of a team.
    static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        Array(SHA256.hash(data: bytes))
    }

    /// SHA-256 in lower-case hex: install records, the sandbox plan's digest.
    static func sha256Hex(_ data: some DataProtocol) -> String {
        Hex.encode(SHA256.hash(data: data))
    }

    /// A pseudonym book for one run: HMAC-SHA-256 under a key that lives only in this process.
    static func ephemeralPseudonymBook() -> PseudonymBook {
        let key = SymmetricKey(size: .bits256)
        return PseudonymBook(fingerprint: { value in Array(HMAC<SHA256>.authenticationCode(for: value, using: key)) })
    }
}
