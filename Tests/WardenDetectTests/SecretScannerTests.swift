import Testing
@testable import WardenDetect

// Fixtures are built from pieces at run time (a seeded generator for the random part, provider
// prefixes concatenated on), so this file holds no live-looking secrets.

private struct Gen {
    var state: UInt64
    init(_ seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }
    mutating func next() -> UInt64 {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return state >> 29
    }
    mutating func string(_ n: Int, _ alphabet: String) -> String {
        let a = Array(alphabet)
        return String((0..<n).map { _ in a[Int(next() % UInt64(a.count))] })
    }
}

private let upperDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
private let alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
private let lowerAlnum = "abcdefghijklmnopqrstuvwxyz0123456789"
private let hexLower = "0123456789abcdef"
private let base64 = alnum + "+/"
private let base64URL = alnum + "-_"

private func rnd(_ n: Int, _ alphabet: String, _ seed: UInt64) -> String {
    var g = Gen(seed)
    return g.string(n, alphabet)
}

/// Independent CRC32 + base62 (0-9A-Za-z), as GitHub and npm tokens carry in their last 6 chars.
private func crcSuffix(_ body: String) -> String {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in body.utf8 {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    crc ^= 0xFFFF_FFFF
    let digits = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
    var v = crc
    var out: [Character] = []
    while v > 0 { out.append(digits[Int(v % 62)]); v /= 62 }
    while out.count < 6 { out.append("0") }
    return String(out.reversed())
}

private func checksummed(_ prefix: String, seed: UInt64) -> String {
    let body = rnd(30, alnum, seed)
    return prefix + body + crcSuffix(body)
}

private func base64url(_ s: String) -> String {
    let table = Array(base64URL.prefix(62)) + ["-", "_"]
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    _ = table
    let bytes = Array(s.utf8)
    var out = ""
    var i = 0
    while i < bytes.count {
        let b0 = UInt32(bytes[i]), b1 = i + 1 < bytes.count ? UInt32(bytes[i + 1]) : 0, b2 = i + 2 < bytes.count ? UInt32(bytes[i + 2]) : 0
        let v = b0 << 16 | b1 << 8 | b2
        out.append(alphabet[Int(v >> 18 & 63)])
        out.append(alphabet[Int(v >> 12 & 63)])
        if i + 1 < bytes.count { out.append(alphabet[Int(v >> 6 & 63)]) }
        if i + 2 < bytes.count { out.append(alphabet[Int(v & 63)]) }
        i += 3
    }
    return out
}

private func scan(_ text: String) -> [Finding] {
    var findings: [Finding] = []
    var t = text
    t.withUTF8 { SecretScanner(enabled: Set(SecretScanner.kinds)).scan($0, into: &findings) }
    return findings
}

private func covered(_ text: String, _ f: Finding) -> String {
    String(decoding: Array(text.utf8)[f.range], as: UTF8.self)
}

struct PositiveCase: CustomTestStringConvertible, Sendable {
    let kind: String
    let text: String
    /// The finding must cover this value (nil: any finding of `kind`).
    let value: String?
    var minConfidence: Confidence = .low
    var testDescription: String { kind + ": " + String(text.prefix(50)) }
}

private let ghPAT = checksummed("ghp_", seed: 1)
private let npmTok = checksummed("npm_", seed: 2)
private let awsID = "AKIA" + rnd(16, upperDigits, 3)
private let awsSecret = rnd(40, base64, 4)
private let jwtToken = base64url("{\"alg\":\"HS256\",\"typ\":\"JWT\"}") + "." + base64url("{\"sub\":\"1234567890\",\"name\":\"Jo\"}") + "." + rnd(43, base64URL, 5)
private let pemBody = (0..<8).map { rnd(64, base64, 100 + UInt64($0)) }.joined(separator: "\n")
private let pem = "-----BEGIN RSA " + "PRIVATE KEY-----\n" + pemBody + "\n-----END RSA " + "PRIVATE KEY-----"
private let sshKey = "-----BEGIN OPENSSH " + "PRIVATE KEY-----\n" + pemBody + "\n-----END OPENSSH " + "PRIVATE KEY-----"

let positiveCases: [PositiveCase] = [
    PositiveCase(kind: "AWS_ACCESS_KEY_ID", text: "aws_access_key_id = \(awsID)\n", value: awsID, minConfidence: .high),
    PositiveCase(kind: "AWS_SECRET_ACCESS_KEY", text: "aws_access_key_id = \(awsID)\naws_secret_access_key = \(awsSecret)\n", value: awsSecret, minConfidence: .medium),
    PositiveCase(kind: "AWS_SESSION_TOKEN", text: "aws_session_token = \(rnd(300, base64, 6))\n", value: nil),
    PositiveCase(kind: "GCP_API_KEY", text: "const key = \"AIza\(rnd(35, base64URL, 7))\";", value: nil, minConfidence: .high),
    PositiveCase(kind: "GCP_SERVICE_ACCOUNT_KEY", text: "{\n  \"type\": \"service_account\",\n  \"project_id\": \"demo\",\n  \"private_key\": \"-----BEGIN " + "PRIVATE KEY-----\\n\(rnd(64, base64, 8))\\n\(rnd(64, base64, 9))\\n-----END " + "PRIVATE KEY-----\\n\",\n}", value: nil, minConfidence: .high),
    PositiveCase(kind: "GOOGLE_OAUTH_TOKEN", text: "client_secret: GOCSPX-\(rnd(28, base64URL, 10))", value: nil, minConfidence: .high),
    PositiveCase(kind: "AZURE_KEY", text: "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=\(rnd(86, base64, 11))==;EndpointSuffix=core.windows.net", value: nil, minConfidence: .high),
    PositiveCase(kind: "AZURE_KEY", text: "https://acct.blob.core.windows.net/c?sv=2022-11-02&ss=b&se=2025-01-01&sig=\(rnd(40, alnum, 12))%3D", value: nil),
    PositiveCase(kind: "AZURE_AD_CLIENT_SECRET", text: "AZURE_CLIENT_SECRET=abc8Q~\(rnd(34, alnum, 13))", value: nil, minConfidence: .high),
    PositiveCase(kind: "GITHUB_TOKEN", text: "GITHUB_TOKEN=\(ghPAT)", value: ghPAT, minConfidence: .high),
    PositiveCase(kind: "GITHUB_TOKEN", text: "token: github_pat_\(rnd(22, alnum, 14))_\(rnd(59, alnum, 15))", value: nil, minConfidence: .high),
    PositiveCase(kind: "GITLAB_TOKEN", text: "export GITLAB_TOKEN=glpat-\(rnd(20, base64URL, 16))", value: nil, minConfidence: .high),
    PositiveCase(kind: "BITBUCKET_TOKEN", text: "bitbucket app password ATBB\(rnd(32, alnum, 17))", value: nil),
    PositiveCase(kind: "ATLASSIAN_API_TOKEN", text: "jira: ATATT3\(rnd(180, base64URL, 18))", value: nil),
    PositiveCase(kind: "SLACK_TOKEN", text: "SLACK=xoxb-\(rnd(11, "0123456789", 19))-\(rnd(13, "0123456789", 20))-\(rnd(24, alnum, 21))", value: nil, minConfidence: .high),
    PositiveCase(kind: "SLACK_WEBHOOK", text: "url: https://hooks.slack.com/services/T\(rnd(8, upperDigits, 22))/B\(rnd(8, upperDigits, 23))/\(rnd(24, alnum, 24))", value: nil, minConfidence: .high),
    PositiveCase(kind: "STRIPE_KEY", text: "stripe.api_key = 'sk_" + "live_\(rnd(24, alnum, 25))'", value: nil, minConfidence: .high),
    PositiveCase(kind: "STRIPE_KEY", text: "client_secret: pi_\(rnd(24, alnum, 26))_secret_\(rnd(25, alnum, 27))", value: nil),
    PositiveCase(kind: "TWILIO_KEY", text: "TWILIO_API_KEY=SK\(rnd(32, hexLower, 28))", value: nil),
    PositiveCase(kind: "SENDGRID_KEY", text: "SENDGRID=SG.\(rnd(22, base64URL, 29)).\(rnd(43, base64URL, 30))", value: nil, minConfidence: .high),
    PositiveCase(kind: "SHOPIFY_TOKEN", text: "X-Shopify-Access-Token: shpat_\(rnd(32, hexLower, 31))", value: nil, minConfidence: .high),
    PositiveCase(kind: "NPM_TOKEN", text: "//registry.npmjs.org/:_authToken=\(npmTok)", value: npmTok, minConfidence: .high),
    PositiveCase(kind: "PYPI_TOKEN", text: "password = pypi-AgEIcHlwaS5vcmc\(rnd(70, base64URL, 32))", value: nil, minConfidence: .high),
    PositiveCase(kind: "ANTHROPIC_API_KEY", text: "ANTHROPIC_API_KEY=sk-ant-api03-\(rnd(93, base64URL, 33))AA", value: nil, minConfidence: .high),
    PositiveCase(kind: "OPENAI_API_KEY", text: "OPENAI_API_KEY=sk-proj-\(rnd(48, base64URL, 34))", value: nil, minConfidence: .high),
    PositiveCase(kind: "OPENAI_API_KEY", text: "key: sk-\(rnd(20, alnum, 35))T3BlbkFJ\(rnd(20, alnum, 36))", value: nil, minConfidence: .high),
    PositiveCase(kind: "PRIVATE_KEY", text: "key = '''\n" + pem + "\n'''", value: pem, minConfidence: .high),
    PositiveCase(kind: "PRIVATE_KEY", text: sshKey + "\n", value: sshKey, minConfidence: .high),
    PositiveCase(kind: "JWT", text: "Authorization: Bearer \(jwtToken)", value: jwtToken, minConfidence: .medium),
    PositiveCase(kind: "DATABASE_URL_PASSWORD", text: "DATABASE_URL=postgres://app:Tr0ub4dor3xyz@db.internal:5432/app", value: "Tr0ub4dor3xyz", minConfidence: .medium),
    PositiveCase(kind: "DATABASE_URL_PASSWORD", text: "uri: mongodb+srv://svc:\(rnd(20, alnum, 37))@cluster0.mongodb.net/test", value: nil),
    PositiveCase(kind: "URL_PASSWORD", text: "git clone https://deploy:\(rnd(20, alnum, 38))@git.example.org/repo.git", value: nil),
    PositiveCase(kind: "GENERIC_SECRET", text: "password=Sup3r-S3cret!Pa55", value: "Sup3r-S3cret!Pa55"),
    PositiveCase(kind: "GENERIC_SECRET", text: "{\"client_secret\": \"\(rnd(32, alnum, 39))\"}", value: nil),
    PositiveCase(kind: "GENERIC_SECRET", text: "export MY_SERVICE_TOKEN=\(rnd(40, alnum, 40))", value: nil),
    PositiveCase(kind: "GENERIC_SECRET", text: "api_key: \(rnd(32, hexLower, 41))", value: nil),
    PositiveCase(kind: "GENERIC_SECRET", text: "Server=db;User ID=sa;Password=" + "Q7@vx!" + "Lp2#k;Encrypt=true", value: "Q7@vx!Lp2#k"),
    PositiveCase(kind: "GENERIC_SECRET", text: "\"client_secret\": \"" + "u@D7G)t>8d" + "(LtH^Z2q\"", value: "u@D7G)t>8d(LtH^Z2q"),
    PositiveCase(kind: "DATADOG_API_KEY", text: "datadog_api_key: \(rnd(32, hexLower, 42))", value: nil),
    PositiveCase(kind: "HEROKU_API_KEY", text: "HEROKU=HRKU-\(rnd(60, base64URL, 43))", value: nil, minConfidence: .high),
    PositiveCase(kind: "DIGITALOCEAN_TOKEN", text: "DO_TOKEN=dop_v1_\(rnd(64, hexLower, 44))", value: nil, minConfidence: .high),
    PositiveCase(kind: "MAILGUN_API_KEY", text: "MAILGUN=key-\(rnd(32, lowerAlnum, 45))", value: nil),
    PositiveCase(kind: "MAILCHIMP_API_KEY", text: "mc = \"\(rnd(32, hexLower, 46))-us14\"", value: nil),
    PositiveCase(kind: "HUBSPOT_TOKEN", text: "HUBSPOT=pat-na1-\(rnd(8, hexLower, 47))-\(rnd(4, hexLower, 48))-\(rnd(4, hexLower, 49))-\(rnd(4, hexLower, 50))-\(rnd(12, hexLower, 51))", value: nil),
    PositiveCase(kind: "LINEAR_API_KEY", text: "LINEAR=lin_api_\(rnd(40, alnum, 52))", value: nil),
    PositiveCase(kind: "NOTION_TOKEN", text: "NOTION=ntn_\(rnd(46, alnum, 53))", value: nil),
    PositiveCase(kind: "DOPPLER_TOKEN", text: "DOPPLER_TOKEN=dp.pt.\(rnd(43, alnum, 54))", value: nil),
    PositiveCase(kind: "VAULT_TOKEN", text: "VAULT_TOKEN=hvs.\(rnd(90, base64URL, 55))", value: nil),
    PositiveCase(kind: "TERRAFORM_TOKEN", text: "token = \"\(rnd(14, lowerAlnum, 56)).atlasv1.\(rnd(67, lowerAlnum, 57))\"", value: nil),
    PositiveCase(kind: "GRAFANA_TOKEN", text: "GRAFANA=glsa_\(rnd(32, alnum, 58))_\(rnd(8, hexLower, 59))", value: nil),
    PositiveCase(kind: "SENTRY_TOKEN", text: "SENTRY_AUTH_TOKEN=sntryu_\(rnd(64, hexLower, 60))", value: nil),
    PositiveCase(kind: "NEW_RELIC_KEY", text: "NEW_RELIC=NRAK-\(rnd(27, upperDigits, 61))", value: nil),
    PositiveCase(kind: "DATABRICKS_TOKEN", text: "DATABRICKS_TOKEN=dapi\(rnd(32, hexLower, 62))", value: nil),
    PositiveCase(kind: "HUGGINGFACE_TOKEN", text: "HF_TOKEN=hf_\(rnd(34, alnum, 63))", value: nil, minConfidence: .high),
    PositiveCase(kind: "REPLICATE_TOKEN", text: "REPLICATE_API_TOKEN=r8_\(rnd(37, alnum, 64))", value: nil),
    PositiveCase(kind: "DISCORD_TOKEN", text: "bot.run(\"MT\(rnd(24, alnum, 65)).\(rnd(6, base64URL, 66)).\(rnd(38, base64URL, 67))\")", value: nil),
    PositiveCase(kind: "DISCORD_WEBHOOK", text: "https://discord.com/api/webhooks/\(rnd(18, "0123456789", 68))/\(rnd(68, base64URL, 69))", value: nil, minConfidence: .high),
    PositiveCase(kind: "TELEGRAM_BOT_TOKEN", text: "bot = \"\(rnd(9, "123456789", 70)):\(rnd(35, base64URL, 71))\"", value: nil),
    PositiveCase(kind: "POSTMAN_API_KEY", text: "PMAK-\(rnd(24, hexLower, 72))-\(rnd(34, hexLower, 73))", value: nil),
    PositiveCase(kind: "PULUMI_TOKEN", text: "PULUMI_ACCESS_TOKEN=pul-\(rnd(40, hexLower, 74))", value: nil),
    PositiveCase(kind: "FLYIO_TOKEN", text: "FLY=fo1_\(rnd(43, base64URL, 75))", value: nil),
    PositiveCase(kind: "SUPABASE_KEY", text: "SUPABASE=sbp_\(rnd(40, hexLower, 76))", value: nil),
    PositiveCase(kind: "VERCEL_TOKEN", text: "VERCEL=vcp_\(rnd(40, alnum, 77))", value: nil),
    PositiveCase(kind: "NETLIFY_TOKEN", text: "NETLIFY=nfp_\(rnd(36, alnum, 78))", value: nil),
    PositiveCase(kind: "CLOUDFLARE_API_KEY", text: "CLOUDFLARE_API_KEY=cfk_\(rnd(48, alnum, 79))", value: nil),
    PositiveCase(kind: "OKTA_TOKEN", text: "OKTA_API_TOKEN=00\(rnd(40, alnum, 80))", value: nil),
    PositiveCase(kind: "SQUARE_TOKEN", text: "SQUARE=sq0atp-\(rnd(22, base64URL, 81))", value: nil),
    PositiveCase(kind: "BRAINTREE_TOKEN", text: "BRAINTREE_PRIVATE_KEY=\(rnd(32, hexLower, 82))", value: nil),
    PositiveCase(kind: "ADYEN_API_KEY", text: "ADYEN_API_KEY=AQE\(rnd(60, base64, 83))", value: nil),
    PositiveCase(kind: "AGE_SECRET_KEY", text: "AGE-SECRET-KEY-1\(rnd(58, upperDigits, 84))", value: nil, minConfidence: .high),
    PositiveCase(kind: "ALIBABA_ACCESS_KEY", text: "ALIYUN=LTAI\(rnd(20, alnum, 85))", value: nil),
    PositiveCase(kind: "TENCENT_ACCESS_KEY", text: "TENCENT=AKID\(rnd(32, alnum, 86))", value: nil),
    PositiveCase(kind: "PROVIDER_TOKEN", text: "GROQ_API_KEY=gsk_\(rnd(52, alnum, 87))", value: nil, minConfidence: .high),
]

@Test(arguments: positiveCases)
func findsEveryKind(_ c: PositiveCase) {
    let findings = scan(c.text)
    let match = findings.first { $0.kind.name == c.kind }
    #expect(match != nil, "no \(c.kind) in \(findings.map { "\($0.kind)/\($0.rule)" })")
    guard let match else { return }
    #expect(match.confidence >= c.minConfidence)
    if let value = c.value {
        #expect(covered(c.text, match).contains(value), "covered \(covered(c.text, match))")
    }
}

@Test func everyKindHasAFixture() {
    let tested = Set(positiveCases.map(\.kind))
    for kind in SecretScanner.kinds {
        #expect(tested.contains(kind.name), "no fixture for \(kind.name)")
        #expect(kind.category == .secret)
        #expect(kind.name.allSatisfy { $0.isUppercase || $0.isNumber || $0 == "_" }, "\(kind.name) is not SCREAMING_SNAKE_CASE")
    }
}

@Test func githubChecksumDecidesConfidence() {
    let good = scan("t=" + ghPAT)
    #expect(good.first?.confidence == .high)
    // Flip the last checksum character.
    var bad = ghPAT
    let last = bad.removeLast()
    bad.append(last == "A" ? "B" : "A")
    let findings = scan("t=" + bad)
    #expect(findings.first?.kind.name == "GITHUB_TOKEN")
    #expect(findings.first?.confidence == .medium)
}

@Test func pemBlockIsOneFinding() {
    let text = "config:\n" + pem + "\ntrailer"
    let findings = scan(text)
    #expect(findings.count == 1)
    #expect(findings.first.map { covered(text, $0) } == pem)
}

@Test func urlFindingCoversPasswordOnly() {
    let text = "mysql://root:hunter2xyz@localhost:3306/db"
    let f = scan(text)
    #expect(f.count == 1)
    #expect(f.first.map { covered(text, $0) } == "hunter2xyz")
}

@Test func providerRuleBeatsGenericOne() {
    let text = "GITHUB_TOKEN=\(ghPAT)"
    let f = scan(text)
    #expect(f.count == 1)
    #expect(f.first?.kind.name == "GITHUB_TOKEN")
}

@Test func enabledKindsFilter() {
    var findings: [Finding] = []
    var text = "GITHUB_TOKEN=\(ghPAT) id=\(awsID)"
    text.withUTF8 { SecretScanner(enabled: [DetectionKind("AWS_ACCESS_KEY_ID", .secret)]).scan($0, into: &findings) }
    #expect(findings.map(\.kind.name) == ["AWS_ACCESS_KEY_ID"])
}

@Test func rangesAreUTF8ByteOffsets() {
    let text = "héllo wörld → token ghp: \(ghPAT)"
    let f = scan(text)
    #expect(f.count == 1)
    #expect(f.first.map { covered(text, $0) } == ghPAT)
}

struct NegativeCase: CustomTestStringConvertible, Sendable {
    let name: String
    let text: String
    var testDescription: String { name }
}

let negativeCases: [NegativeCase] = [
    NegativeCase(name: "uuid", text: "request_id=\(rnd(8, hexLower, 200))-\(rnd(4, hexLower, 201))-4\(rnd(3, hexLower, 202))-a\(rnd(3, hexLower, 203))-\(rnd(12, hexLower, 204))"),
    NegativeCase(name: "bare uuid", text: "id: 123e4567-e89b-12d3-a456-426614174000"),
    NegativeCase(name: "git sha", text: "commit \(rnd(40, hexLower, 205))\nAuthor: Jo <jo@example.com>"),
    NegativeCase(name: "sha256", text: "sha256:\(rnd(64, hexLower, 206))  image.tar"),
    NegativeCase(name: "version", text: "version: 1.24.3-beta.2+build.20240101"),
    NegativeCase(name: "data uri", text: "<img src=\"data:image/png;base64,iVBORw0KGgo\(rnd(120, base64, 207))==\">"),
    NegativeCase(name: "integrity", text: "\"integrity\": \"sha512-\(rnd(86, base64, 208))==\","),
    NegativeCase(name: "password_hash", text: "password_hash = \"$2b$12$\(rnd(53, alnum, 209))\""),
    NegativeCase(name: "template token", text: "token=<your-token>"),
    NegativeCase(name: "env password", text: "password=${PASSWORD}"),
    NegativeCase(name: "xxx api key", text: "api_key: \"xxxxxxxxxxxxxxxxxxxxxxxx\""),
    NegativeCase(name: "changeme", text: "password: changeme"),
    NegativeCase(name: "your-api-key-here", text: "API_KEY=your-api-key-here"),
    NegativeCase(name: "process.env", text: "const token = process.env.TOKEN;"),
    NegativeCase(name: "aws example id", text: "aws_access_key_id = AKIAIOSFODNN7EXAMPLE"),
    NegativeCase(name: "aws example secret", text: "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    NegativeCase(name: "identifier", text: "let result = try withUnsafeMutableBufferPointerIfAvailable(x3)"),
    NegativeCase(name: "random id in code", text: "let cacheKeyPrefixValue = computeHash(\"\(rnd(32, alnum, 210))\")"),
    NegativeCase(name: "long identifier no keyword", text: "static let \(rnd(1, "abcdef", 211))\(rnd(40, alnum, 212)) = 3"),
    NegativeCase(name: "placeholder url", text: "postgres://user:password@localhost:5432/db"),
    NegativeCase(name: "env url", text: "redis://default:${REDIS_PASSWORD}@cache:6379"),
    NegativeCase(name: "public key", text: "-----BEGIN PUBLIC KEY-----\n\(rnd(64, base64, 213))\n-----END PUBLIC KEY-----"),
    NegativeCase(name: "doc key block", text: "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----"),
    NegativeCase(name: "prose", text: "The key insight is that tokens are passed through the secret handshake unchanged."),
    NegativeCase(name: "csv", text: "id,name,email,amount\n1,Jo,jo@example.com,12.50\n2,Al,al@example.com,7.25\n"),
    NegativeCase(name: "path", text: "key_file: /etc/ssl/private/server.key"),
    NegativeCase(name: "not a jwt", text: "eyJhbGciOi is a prefix only"),
    NegativeCase(name: "log line", text: "2024-05-01T12:00:00Z INFO token refresh ok in 35ms (attempt 2)"),
    NegativeCase(name: "type names after key", text: "if isinstance(key, (Ed25519PrivateKey, Ed448PrivateKey)):"),
    NegativeCase(name: "identifier list", text: "'gss_krb5_lucid_key', 'gss_krb5_rfc1964_keydata', 'AVPlayerItemAccessLogEvent'"),
    NegativeCase(name: "key algorithm setting", text: "keystore.pkcs12.keyProtectionAlgorithm = PBEWithHmacSHA256AndAES_256"),
    NegativeCase(name: "issue link", text: "# see https://github.com/pypa/setuptools/issues/417#issuecomment-392298401"),
    NegativeCase(name: "package versions", text: "Install: google-cloud-cli:amd64 (528.0.0-0), libgdk-pixbuf2.0-bin:amd64 (2.42.10+dfsg-1+deb12u2)"),
    NegativeCase(name: "style token", text: "Token.Comment: \"italic #A3AAB2\","),
    NegativeCase(name: "token type", text: "\"tokenType\": \"Bearer\", \"token_endpoint\": \"https://login.example.com/oauth2/v2.0/token\""),
    NegativeCase(name: "public key by name", text: "\"auth_public_key\": \"\(rnd(43, base64, 214))=\","),
    NegativeCase(name: "html anchor", text: "<a href=\"listing/warn-by-default.html#aarch64-softfloat-neon\">aarch64-softfloat-neon</a>"),
    NegativeCase(name: "slug value", text: "key = \"version-2024-01-15-build-1234\""),
    NegativeCase(name: "shell substitution", text: "export GITHUB_TOKEN=$(gh auth token)"),
    NegativeCase(name: "env in header", text: "curl -H \"Authorization: Bearer $TOKEN\" https://api.github.com/user"),
    NegativeCase(name: "k8s secret ref", text: "secretKeyRef:\n  name: db-credentials-7f9c2b\n  key: password"),
    NegativeCase(name: "prose about passwords", text: "password: must be at least 8 characters long"),
    NegativeCase(name: "hasher call", text: "self.password = password_hasher.hash(raw_password)"),
    NegativeCase(name: "setting lookup", text: "const apiKey = config.get(\"stripe.apiKey\");"),
    NegativeCase(name: "token url", text: "token_url = \"https://oauth2.googleapis.com/token\""),
    NegativeCase(name: "secret name path", text: "secret_name = \"prod/payments/stripe-key-v2\""),
    NegativeCase(name: "android placeholder", text: "<string name=\"google_maps_key\">YOUR_API_KEY</string>"),
    NegativeCase(name: "expiry setting", text: "password_reset_token_expiry_hours = 24"),
    NegativeCase(name: "actions secret ref", text: "token: ${{ secrets.GITHUB_TOKEN }}"),
    NegativeCase(name: "npm resolved url", text: "\"resolved\": \"https://registry.npmjs.org/lodash/-/lodash-4.17.21.tgz\","),
    NegativeCase(name: "camel identifier assigned", text: "let secretKey = makeSymmetricKeyFromPassphrase(salt)"),
]

@Test(arguments: negativeCases)
func hardNegativesStayClean(_ c: NegativeCase) {
    let f = scan(c.text)
    #expect(f.isEmpty, "flagged: \(f.map { "\($0.rule)=\(covered(c.text, $0))" })")
}

@Test func manyHeadersWithoutEndStayLinear() {
    // 40k BEGIN lines and no END: must not search 64 KB after each of them.
    let text = String(repeating: "-----BEGIN RSA " + "PRIVATE KEY-----\n", count: 40_000)
    let clock = ContinuousClock()
    let elapsed = clock.measure { _ = scan(text) }
    #expect(elapsed < .seconds(5))
}

@Test func emptyAndTinyInputs() {
    #expect(scan("").isEmpty)
    #expect(scan("a").isEmpty)
    #expect(scan("-----BEGIN ").isEmpty)
    #expect(scan("ghp_").isEmpty)
    #expect(scan("eyJ").isEmpty)
    #expect(scan("x://").isEmpty)
}

@Test func randomInputNeverCrashesAndRangesAreSane() {
    // Fragments that start rules, glued at random: prefixes, separators, quotes, PEM and URL pieces.
    let pieces = ["ghp_", "AKIA", "sk-ant-", "sk-", "xoxb-", "eyJ", "-----BEGIN ", "PRIVATE KEY-----", "-----END ",
                  "://", "@", ":", "=", "\"", "'", " ", "\n", "password", "token", "key", "secret", "AccountKey=",
                  "sig=", "&", "?sv=1&", "Q~", "+ACR", ".atlasv1.", "-us1", "hooks.slack.com/", "services/",
                  "discord.com/api/webhooks/", "pi_", "_secret_", "SG.", ".", "/", "_", "-", "~", "\\n", "é", "\u{0}",
                  rnd(7, alnum, 300), rnd(16, base64, 301), rnd(36, alnum, 302), rnd(40, hexLower, 303), "12345678", ":"]
    var g = Gen(99)
    for round in 0..<400 {
        var text = ""
        let count = Int(g.next() % 120)
        for _ in 0..<count { text += pieces[Int(g.next() % UInt64(pieces.count))] }
        let n = text.utf8.count
        let findings = scan(text)
        for f in findings {
            #expect(f.range.lowerBound >= 0 && f.range.upperBound <= n && !f.range.isEmpty, "round \(round): \(f)")
        }
        for (a, b) in zip(findings, findings.dropFirst()) {
            #expect(a.range.upperBound <= b.range.lowerBound, "round \(round): overlap \(a) \(b)")
        }
    }
}
