/// The kinds of personal data the PII scanner reports. Every one is either checksum-backed or
/// held to a strict format with boundary checks; see `PIIScanner` for what each matcher accepts.
public enum PIIKinds {
    /// An e-mail address: `local@domain.tld`.
    public static let email = DetectionKind("EMAIL", .pii)
    /// A phone number in an international (`+44 20 7946 0958`, `0044 …`, E.164) or North American
    /// (`(415) 555-2671`, `415-555-2671`) format; other national formats only after a word such as
    /// "phone" or "tel".
    public static let phoneNumber = DetectionKind("PHONE_NUMBER", .pii)
    /// A payment card number: 13–19 digits, a known issuer prefix for its length, Luhn-checked.
    public static let creditCard = DetectionKind("CREDIT_CARD", .pii)
    /// A US Social Security number: `NNN-NN-NNNN` with a valid area, group and serial; other
    /// spellings only after "SSN" or "social security".
    public static let usSSN = DetectionKind("US_SSN", .pii)
    /// An IBAN: country code, check digits and the country's BBAN length, mod-97 checked.
    public static let iban = DetectionKind("IBAN", .pii)
    /// An IPv4 or IPv6 address: medium confidence when it can identify a host, low for loopback,
    /// unspecified, broadcast and multicast addresses.
    public static let ipAddress = DetectionKind("IP_ADDRESS", .pii)
    /// A Bitcoin address: base58check (`1…`, `3…`) or bech32/bech32m (`bc1…`), checksum verified.
    public static let bitcoinAddress = DetectionKind("BITCOIN_ADDRESS", .pii)

    /// By name, as `Detector.catalogue` lists them.
    public static let all: [DetectionKind] = [bitcoinAddress, creditCard, email, iban, ipAddress, phoneNumber, usSSN]
}
