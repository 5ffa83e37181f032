import WardenDetect

/// Which variables of the developer's environment stay out of the sandbox, and why.
public enum EnvironmentFilter {
    /// What Claude Code needs to authenticate: always kept.
    public static let claudeAuthentication: Set<String> = [
        "ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "CLAUDE_CODE_OAUTH_TOKEN", "ANTHROPIC_BASE_URL",
    ]

    /// Names that are credentials whatever their value looks like.
    static let credentialNames: Set<String> = [
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
        "GOOGLE_APPLICATION_CREDENTIALS", "AZURE_CLIENT_SECRET", "SSH_AUTH_SOCK", "GPG_AGENT_INFO",
        "KUBECONFIG", "DOCKER_AUTH_CONFIG", "VAULT_TOKEN", "NETRC",
    ]

    static let secretSuffixes = ["_TOKEN", "_SECRET", "_KEY", "_PASSWORD", "_PASSWD", "_PASS", "_CREDENTIALS", "_CREDENTIAL", "_APIKEY", "_PAT"]
    static let secretInfixes = ["PASSWORD", "SECRET", "PRIVATE_KEY", "API_KEY", "ACCESS_KEY", "AUTH_TOKEN"]

    /// Why a variable is dropped, nil when it may pass. The reason never contains the value.
    public static func secretReason(name: String, value: String) -> String? {
        let upper = name.uppercased()
        if credentialNames.contains(upper) { return "a credential by name (\(upper))" }
        if let suffix = secretSuffixes.first(where: { upper.hasSuffix($0) }) { return "the name ends in \(suffix)" }
        if let infix = secretInfixes.first(where: { contains(upper, $0) }) { return "the name contains \(infix)" }
        if upper == "TOKEN" || upper == "PASSWORD" || upper == "SECRET" { return "the name is \(upper)" }
        let findings = secretDetector.scan(value)
        if let finding = findings.first {
            return "the value looks like a secret (\(finding.kind.name))"
        }
        return nil
    }

    static let secretDetector = Detector(kinds: Set(Detector.catalogue.filter { $0.category == .secret }))

    /// Whether `text` holds `part`, compared as bytes (names are compared as the kernel stores
    /// them): `String.contains(String)` is _StringProcessing's generic search, slow on first use.
    static func contains(_ text: String, _ part: String) -> Bool {
        let haystack = Array(text.utf8), needle = Array(part.utf8)
        guard !needle.isEmpty else { return true }
        guard haystack.count >= needle.count else { return false }
        for start in 0...(haystack.count - needle.count) where haystack[start..<(start + needle.count)].elementsEqual(needle) {
            return true
        }
        return false
    }
}
