// Structural rules: PEM/OpenSSH private-key blocks (the whole block, one finding), JWTs (header
// decoded and checked for "alg"), URLs with a password (the password only), webhooks, and the
// in-token shapes found on a value run (Azure AD client secrets, ACR passwords, Terraform tokens,
// Discord bot tokens, Mailchimp keys, Telegram bot tokens). Hand-written: no maintained Swift
// secret scanner exists, and the hook binary may not pay for Regex or Foundation.

enum SecretStructuralRules {
    typealias C = SecretByteClass
    typealias Match = SecretPrefixRules.Match

    static let beginLit: StaticString = "-----BEGIN "
    static let endLit: StaticString = "-----END "
    static let dashes5: StaticString = "-----"
    static let privateKeyLit: StaticString = "PRIVATE KEY"
    static let serviceAccountLit: StaticString = "service_account"

    // MARK: PEM

    /// `-----BEGIN … PRIVATE KEY-----` to the matching `-----END …-----`, escaped newlines
    /// (`\n` in JSON) included. A truncated block (no END) counts up to its last base64 byte.
    static func pem(_ b: SecretBytes, at i: Int) -> Match? {
        let labelStart = i + beginLit.utf8CodeUnitCount
        var j = labelStart
        while j < b.n && j - labelStart < 48 && (b[j] &- 65 < 26 || b[j] == 32) { j += 1 }
        guard b.has(dashes5, at: j) else { return nil }
        let label = labelStart..<j
        // OPENSSH / RSA / EC / DSA / ENCRYPTED / (no prefix) PRIVATE KEY, and PGP PRIVATE KEY BLOCK.
        guard b.find(privateKeyLit, from: label.lowerBound, to: label.upperBound) != nil else { return nil }
        let bodyStart = j + dashes5.utf8CodeUnitCount
        var end: Int
        var base64Count = 0
        if let endAt = endOfBlock(b, from: bodyStart) {
            for k in bodyStart..<endAt where b.cls[Int(b[k])] & (C.alnum | C.plus | C.slash) != 0 { base64Count += 1 }
            // The END line's own closing dashes.
            end = endAt + endLit.utf8CodeUnitCount
            while end < b.n && end - endAt < 64 && (b[end] &- 65 < 26 || b[end] == 32) { end += 1 }
            if b.has(dashes5, at: end) { end += dashes5.utf8CodeUnitCount }
        } else {
            // Truncated: take base64, whitespace and escaped newlines.
            var k = bodyStart
            var lastB64 = bodyStart
            while k < b.n {
                let x = b[k]
                if b.cls[Int(x)] & (C.alnum | C.plus | C.slash | C.equals) != 0 {
                    base64Count += 1; lastB64 = k + 1
                } else if x == 92 && (b.at(k + 1) == UInt8(ascii: "n") || b.at(k + 1) == 92) {
                    k += 1
                } else if !(x == 10 || x == 13 || x == 32 || x == 9 || x == UInt8(ascii: ":") || x == UInt8(ascii: ",")) {
                    break
                }
                k += 1
            }
            guard base64Count >= 64 else { return nil }
            end = lastB64
        }
        guard base64Count >= 20 else { return nil }
        // A GCP service-account JSON holds its key as "private_key".
        let near = b.find(serviceAccountLit, from: max(0, i - 4096), to: min(b.n, end + 4096)) != nil
        if near {
            return Match(range: i..<end, confidence: .high, kind: .gcpServiceAccountKey, id: "gcp-service-account-key")
        }
        return Match(range: i..<end, confidence: base64Count >= 64 ? .high : .medium, kind: .privateKey, id: "private-key")
    }

    /// The `-----END ` of a block whose body starts at `from`: the first `-----` run that is an END
    /// line, unless another BEGIN comes first (then the block is truncated). Each byte is searched
    /// by at most one BEGIN, so many headers without an END cost linear time, not quadratic.
    static func endOfBlock(_ b: SecretBytes, from: Int) -> Int? {
        var k = from
        let limit = min(b.n, from + 65_536)
        while let at = b.find(dashes5, from: k, to: limit) {
            if b.has(endLit, at: at) { return at }
            if b.has(beginLit, at: at) { return nil }
            k = at + 1
        }
        return nil
    }

    // MARK: JWT

    /// `eyJ…` header `.` payload `.` signature, header decoding to JSON that names "alg".
    static func jwt(_ b: SecretBytes, at i: Int) -> Match? {
        let h = b.run(from: i, C.base64URL, limit: 4096)
        guard h >= 10, b.at(i + h) == UInt8(ascii: ".") else { return nil }
        let ps = i + h + 1
        let pl = b.run(from: ps, C.base64URL, limit: 65_536)
        guard pl >= 2, b.at(ps + pl) == UInt8(ascii: ".") else { return nil }
        let ss = ps + pl + 1
        let sl = b.run(from: ss, C.base64URL, limit: 8192)
        guard headerHasAlg(b, i, i + h) else { return nil }
        let conf: Confidence = sl >= 16 ? .medium : .low
        return Match(range: i..<(ss + sl), confidence: conf, kind: .jwt, id: "jwt")
    }

    static let algLit: [UInt8] = Array("\"alg\"".utf8)

    /// Decodes at most 512 bytes of base64url and looks for `"alg"`.
    static func headerHasAlg(_ b: SecretBytes, _ s: Int, _ e: Int) -> Bool {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        var acc: UInt32 = 0, bits = 0
        for k in s..<min(e, s + 512) {
            let x = b[k]
            let v: UInt32
            if x &- 65 < 26 { v = UInt32(x - 65) } else if x &- 97 < 26 { v = UInt32(x - 97 + 26) }
            else if x &- 48 < 10 { v = UInt32(x - 48 + 52) } else if x == 45 || x == 43 { v = 62 } else { v = 63 }
            acc = acc << 6 | v
            bits += 6
            if bits >= 8 { bits -= 8; out.append(UInt8((acc >> UInt32(bits)) & 0xFF)) }
        }
        guard out.first == UInt8(ascii: "{"), out.count >= 5 else { return false }
        let n = out.count - algLit.count
        if n < 0 { return false }
        for k in 0...n where out[k] == 34 && out[k + 1] == 97 && out[k + 2] == 108 && out[k + 3] == 103 && out[k + 4] == 34 { return true }
        return false
    }

    // MARK: Webhooks and other literal-led shapes

    static func slackWebhook(_ b: SecretBytes, at i: Int, bodyStart s: Int, rule: SecretPrefixRule) -> Match? {
        let len = b.run(from: s, rule.body, limit: 400)
        guard len >= 30 else { return nil }
        guard b.has("services/", at: s) || b.has("workflows/", at: s)
            || b.has("triggers/", at: s) else { return nil }
        // The last path segment is the secret part.
        var last = s + len
        while last > s && b[last - 1] != UInt8(ascii: "/") { last -= 1 }
        guard s + len - last >= 16 else { return nil }
        return Match(range: i..<(s + len), confidence: .high, kind: rule.kind, id: rule.id)
    }

    static func discordWebhook(_ b: SecretBytes, at i: Int, bodyStart s: Int, rule: SecretPrefixRule) -> Match? {
        let d = b.run(from: s, C.digit, limit: 24)
        guard d >= 10, b.at(s + d) == UInt8(ascii: "/") else { return nil }
        let t = b.run(from: s + d + 1, C.base64URL, limit: 128)
        guard t >= 30 else { return nil }
        return Match(range: i..<(s + d + 1 + t), confidence: .high, kind: rule.kind, id: rule.id)
    }

    /// `sig=` of an Azure SAS token: URL-encoded base64 with `sv=`/`se=` earlier in the query.
    static func sas(_ b: SecretBytes, at i: Int, bodyStart s: Int, rule: SecretPrefixRule) -> Match? {
        let prev = b.at(i - 1)
        guard prev == UInt8(ascii: "&") || prev == UInt8(ascii: "?") else { return nil }
        var e = s
        while e < b.n && e - s < 300 {
            let c = b.cls[Int(b[e])]
            if c & (C.alnum | C.plus | C.slash | C.percent | C.equals) == 0 { break }
            e += 1
        }
        guard e - s >= 30 else { return nil }
        let from = max(0, i - 600)
        guard b.find("sv=", from: from, to: i) != nil || b.find("se=", from: from, to: i) != nil
        else { return nil }
        return Match(range: s..<e, confidence: rule.confidence, kind: rule.kind, id: rule.id)
    }

    /// `SG.` + 16…32 + `.` + 16…64 of `[A-Za-z0-9_-]`.
    static func sendgrid(_ b: SecretBytes, at i: Int, bodyStart s: Int, rule: SecretPrefixRule) -> Match? {
        let a = b.run(from: s, C.base64URL, limit: 40)
        guard a >= 16, a <= 32, b.at(s + a) == UInt8(ascii: ".") else { return nil }
        let t = b.run(from: s + a + 1, C.base64URL, limit: 80)
        guard t >= 16, t <= 64 else { return nil }
        return Match(range: i..<(s + a + 1 + t), confidence: .high, kind: rule.kind, id: rule.id)
    }

    /// `pi_<id>_secret_<secret>`: a Stripe PaymentIntent client secret.
    static func stripeIntent(_ b: SecretBytes, at i: Int, bodyStart s: Int, rule: SecretPrefixRule) -> Match? {
        let a = b.run(from: s, C.alnum, limit: 40)
        guard a >= 14, b.has("_secret_", at: s + a) else { return nil }
        let t = b.run(from: s + a + 8, C.alnum, limit: 80)
        guard t >= 16 else { return nil }
        return Match(range: i..<(s + a + 8 + t), confidence: .medium, kind: rule.kind, id: rule.id)
    }

    // MARK: URLs with a password

    static let dbSchemes: [StaticString] = [
        "postgres", "postgresql", "mysql", "mysqlx", "mariadb", "mongodb", "mongodb+srv", "redis", "rediss",
        "amqp", "amqps", "mssql", "sqlserver", "oracle", "cockroachdb", "clickhouse", "couchdb", "neo4j",
        "neo4j+s", "bolt", "cassandra", "memcached", "elasticsearch", "influxdb", "nats", "kafka", "mqtt",
        "ldap", "ldaps", "snowflake", "jdbc:postgresql", "jdbc:mysql", "postgis", "timescaledb", "db2",
    ]

    static let passwordPlaceholders: [StaticString] = [
        "password", "pass", "passwd", "pwd", "secret", "pw", "xxx", "changeme", "user", "username",
        "yourpassword", "your_password", "mypassword", "my_password", "dbpassword", "db_password", "pass123",
        "***", "token", "null", "none", "undefined",
    ]

    /// At `i`, the `:` of `scheme://user:password@host`: the password's range.
    static func urlPassword(_ b: SecretBytes, at i: Int) -> Match? {
        // Scheme: letters, digits, + - . and `jdbc:` style nesting.
        var s = i
        while s > 0 && s > i - 32 {
            let x = b[s - 1]
            if b.cls[Int(x)] & (C.alnum | C.plus | C.dash | C.dot) != 0 || (x == UInt8(ascii: ":") && s - 1 > 0 && b.cls[Int(b[s - 2])] & C.alnum != 0) {
                s -= 1
            } else { break }
        }
        guard s < i else { return nil }
        let authStart = i + 3
        var j = authStart
        var colon = -1
        var at = -1
        while j < b.n && j - authStart < 512 {
            let x = b[j]
            if x == UInt8(ascii: "@") { at = j }  // the last @ before the path ends the userinfo
            else if x == UInt8(ascii: ":") { if colon < 0 && at < 0 { colon = j } }
            else if x == UInt8(ascii: "/") || x == UInt8(ascii: "?") || x == UInt8(ascii: "#") || x <= 32
                || x == 34 || x == 39 || x == 96 || x == UInt8(ascii: "<") || x == UInt8(ascii: ">")
                || x == UInt8(ascii: "\\") || x == UInt8(ascii: ")") || x == UInt8(ascii: ",") { break }
            j += 1
        }
        guard colon > authStart - 1, at > colon + 1 else { return nil }
        let ps = colon + 1, pe = at
        let user = authStart..<colon
        // Placeholders and template references.
        let first = b[ps]
        if first == UInt8(ascii: "$") || first == UInt8(ascii: "<") || first == UInt8(ascii: "{") || first == UInt8(ascii: "[") { return nil }
        if first == UInt8(ascii: "%") && !(SecretASCII.isHex(b.at(ps + 1)) && SecretASCII.isHex(b.at(ps + 2))) { return nil }
        for lit in passwordPlaceholders where lit.utf8CodeUnitCount == pe - ps && b.hasFolded(lit, at: ps) { return nil }
        if SecretPrefixRules.isPlaceholder(b, ps, pe) { return nil }
        var allSame = true
        for k in ps..<pe where b[k] != first { allSame = false; break }
        if allSame && pe - ps > 1 { return nil }
        if user.count == pe - ps {
            var same = true
            for k in 0..<user.count where SecretASCII.lower(b[user.lowerBound + k]) != SecretASCII.lower(b[ps + k]) { same = false; break }
            if same { return nil }
        }
        // Scheme decides the kind.
        var isDB = false
        for lit in dbSchemes where lit.utf8CodeUnitCount == i - s && b.hasFolded(lit, at: s) { isDB = true; break }
        if isDB {
            return Match(range: ps..<pe, confidence: .medium, kind: .databaseURLPassword, id: "database-url-password")
        }
        return Match(range: ps..<pe, confidence: pe - ps >= 8 ? .medium : .low, kind: .urlPassword, id: "url-password")
    }

    // MARK: Shapes inside a value run

    /// Formats recognised by the shape of a whole value run (no fixed prefix at its start).
    /// `orClass` is the union of the run's byte classes.
    static func runShapes(_ b: SecretBytes, _ s: Int, _ e: Int, _ orClass: UInt16, into out: inout [Match]) {
        let len = e - s
        // Azure AD client secret: 3 chars, a digit, `Q~`, 31-34 more.
        if orClass & C.tilde != 0 && len >= 40 {
            var k = s + 4
            while k + 2 <= e {
                if b[k] == UInt8(ascii: "Q") && b[k + 1] == UInt8(ascii: "~") && SecretASCII.isDigit(b[k - 1]) {
                    let tail = e - (k + 2)
                    if tail >= 31 && tail <= 34 && k - 4 >= s {
                        out.append(Match(range: (k - 4)..<e, confidence: .high, kind: .azureADClientSecret, id: "azure-ad-client-secret"))
                        return
                    }
                }
                k += 1
            }
        }
        // Azure Container Registry password: 42 base64, `+ACR`, 6 alphanumerics.
        if orClass & C.plus != 0 && len == 52 && b.has("+ACR", at: s + 42) {
            out.append(Match(range: s..<e, confidence: .high, kind: .azureKey, id: "azure-container-registry-password"))
            return
        }
        // Terraform Cloud: 14 alnum `.atlasv1.` 60-70.
        if orClass & C.dot != 0 && len >= 80, let at = b.find(".atlasv1.", from: s, to: e), at - s >= 14 {
            out.append(Match(range: (at - 14)..<e, confidence: .high, kind: .terraformToken, id: "terraform-cloud-token"))
            return
        }
        // Discord bot token: [MNO] + 23-27 base64url . 6 . 27-38.
        if orClass & C.dot != 0 && len >= 59 && len <= 75 {
            let a = b.run(from: s, C.base64URL, limit: 30)
            if a >= 23 && a <= 27 && b.at(s + a) == UInt8(ascii: ".") && SecretPrefixRules.hasDigitAndLetter(b, s, s + a) {
                let m = b.run(from: s + a + 1, C.base64URL, limit: 10)
                if m >= 6 && m <= 7 && b.at(s + a + 1 + m) == UInt8(ascii: ".") {
                    let t = e - (s + a + 2 + m)
                    if t >= 27 && t <= 38 && b.run(from: s + a + 2 + m, C.base64URL) == t {
                        out.append(Match(range: s..<e, confidence: .medium, kind: .discordToken, id: "discord-bot-token"))
                        return
                    }
                }
            }
        }
        // Mailchimp: 32 hex `-us` 1-2 digits.
        if len >= 35 && len <= 37 && b.run(from: s, C.hexL) == 32 && b.has("-us", at: s + 32)
            && b.run(from: s + 35, C.digit) == len - 35 && len > 35 {
            out.append(Match(range: s..<e, confidence: .medium, kind: .mailchimpAPIKey, id: "mailchimp-api-key"))
            return
        }
        // Telegram bot token: 8-10 digits `:` 35 base64url.
        if len == 35 && b.at(s - 1) == UInt8(ascii: ":") {
            var d = 0
            while d < 11 && SecretASCII.isDigit(b.at(s - 2 - d)) { d += 1 }
            if d >= 8 && d <= 10 && b.cls[Int(b.at(s - 2 - d))] & C.alnum == 0 && b.run(from: s, C.base64URL) == 35 {
                out.append(Match(range: (s - 1 - d)..<e, confidence: .medium, kind: .telegramBotToken, id: "telegram-bot-token"))
                return
            }
        }
    }
}
