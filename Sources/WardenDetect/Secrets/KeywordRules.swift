// Keyword + entropy rules: a value that follows a secret-ish key (`password=`, `api_key:`,
// `"client_secret": "…"`, `export X_TOKEN=…`) or a known provider's name on the same line, gated by
// length, character classes and entropy so that placeholders, hashes, paths, versions, UUIDs and
// git SHAs stay clean. Hand-written (no maintained Swift secret scanner exists; no Regex).

enum KeywordRules {
    typealias C = ByteClass
    typealias Match = PrefixRules.Match

    /// How a keyword vouches for a value. `password` allows short values, `secret` allows hex and
    /// UUID values, `provider` (a provider's name only) needs a value that looks generated.
    enum Strength: Int, Comparable {
        case none = 0, provider, secret, password
        static func < (a: Strength, b: Strength) -> Bool { a.rawValue < b.rawValue }
    }

    struct Keyword {
        let text: [UInt8]
        let strength: Strength
        let kind: SecretKind
    }

    static let keywords: [Keyword] = {
        var k: [Keyword] = []
        func add(_ words: [String], _ s: Strength, _ kind: SecretKind = .genericSecret) {
            for w in words { k.append(Keyword(text: Array(w.utf8), strength: s, kind: kind)) }
        }
        add(["password", "passwd", "passphrase", "passcode", "pass", "pwd", "pword"], .password)
        add(["secret", "secrets", "token", "tokens", "key", "keys", "apikey", "apikeys", "auth",
             "credential", "credentials", "creds", "cred", "bearer", "private", "signature", "sig", "hmac",
             "session", "access", "pat", "sas", "authorization", "clientsecret", "accesskey", "secretkey",
             "privatekey", "authtoken", "accesstoken", "refreshtoken", "apitoken", "appkey", "appsecret",
             "masterkey", "secretid", "encryptionkey", "webhook", "dsn", "license", "licence", "salt"], .secret)
        // Providers that map to a kind of their own.
        add(["aws", "amazon"], .provider, .awsSecretAccessKey)
        add(["azure", "cosmos", "cosmosdb", "azconfig"], .provider, .azureKey)
        add(["datadog", "ddog"], .provider, .datadogAPIKey)
        add(["heroku"], .provider, .herokuAPIKey)
        add(["mailgun"], .provider, .mailgunAPIKey)
        add(["mailchimp"], .provider, .mailchimpAPIKey)
        add(["twilio"], .provider, .twilioKey)
        add(["sendgrid"], .provider, .sendgridKey)
        add(["github"], .provider, .githubToken)
        add(["gitlab"], .provider, .gitlabToken)
        add(["bitbucket"], .provider, .bitbucketToken)
        add(["slack"], .provider, .slackToken)
        add(["stripe"], .provider, .stripeKey)
        add(["openai"], .provider, .openaiAPIKey)
        add(["anthropic", "claude"], .provider, .anthropicAPIKey)
        add(["cloudflare"], .provider, .cloudflareAPIKey)
        add(["digitalocean"], .provider, .digitaloceanToken)
        add(["sentry"], .provider, .sentryToken)
        add(["discord"], .provider, .discordToken)
        add(["telegram"], .provider, .telegramBotToken)
        add(["shopify"], .provider, .shopifyToken)
        add(["huggingface"], .provider, .huggingfaceToken)
        add(["newrelic", "new_relic"], .provider, .newRelicKey)
        add(["okta"], .provider, .oktaToken)
        add(["vercel"], .provider, .vercelToken)
        add(["netlify"], .provider, .netlifyToken)
        add(["supabase"], .provider, .supabaseKey)
        add(["databricks"], .provider, .databricksToken)
        add(["grafana"], .provider, .grafanaToken)
        add(["hubspot"], .provider, .hubspotToken)
        add(["notion"], .provider, .notionToken)
        add(["linear"], .provider, .linearAPIKey)
        add(["postman"], .provider, .postmanAPIKey)
        add(["braintree"], .provider, .braintreeToken)
        add(["adyen"], .provider, .adyenAPIKey)
        add(["alibaba", "aliyun"], .provider, .alibabaAccessKey)
        add(["tencent"], .provider, .tencentAccessKey)
        add(["square"], .provider, .squareToken)
        add(["gcp", "google", "firebase"], .provider, .gcpAPIKey)
        add(providerNames, .provider, .providerToken)
        return k
    }()

    /// Other providers whose keys are recognised by a nearby name (lowercase, distinctive).
    static let providerNames: [String] = [
        "atlassian", "jira", "confluence", "mailjet", "mandrill", "postmark", "sparkpost", "sendinblue",
        "brevo", "paypal", "plaid", "linode", "vultr", "fastly", "pagerduty", "opsgenie", "splunk",
        "sumologic", "loggly", "honeycomb", "dynatrace", "auth0", "onelogin", "salesforce", "zendesk",
        "intercom", "freshdesk", "airtable", "asana", "trello", "clickup", "figma", "dropbox", "cohere",
        "mistral", "replicate", "groq", "pinecone", "deepgram", "elevenlabs", "assemblyai", "algolia",
        "mapbox", "contentful", "segment", "mixpanel", "amplitude", "posthog", "launchdarkly", "optimizely",
        "circleci", "travis", "jenkins", "buildkite", "codecov", "snyk", "sonar", "npm", "pypi", "docker",
        "artifactory", "jfrog", "nuget", "rubygems", "terraform", "pulumi", "vault", "doppler", "bitwarden",
        "planetscale", "mongo", "redis", "elastic", "twitch", "twitter", "facebook", "instagram", "linkedin",
        "youtube", "spotify", "zoom", "webex", "nexmo", "vonage", "plivo", "messagebird", "pusher", "cloudinary",
        "imgur", "unsplash", "giphy", "coinbase", "binance", "kraken", "etherscan", "infura", "alchemy",
        "moralis", "openweather", "weather", "ipinfo", "ipstack", "apify", "browserstack", "saucelabs",
        "lambdatest", "rapidapi", "shodan", "virustotal", "censys", "securitytrails", "clearbit",
        "fullcontact", "zapier", "typeform", "jotform", "surveymonkey", "calendly", "eventbrite", "yelp",
        "foursquare", "tomtom", "bing", "api", "client", "mailerlite", "mailersend", "mailbox", "mailsac",
        "mailmodo", "abstract", "scrapingbee", "scraperapi", "serpapi", "newsapi", "currency", "exchange",
        "geocod", "openai", "gemini", "perplexity", "deepseek", "together", "fireworks", "anyscale",
        "langchain", "langsmith", "weaviate", "qdrant", "cockroach", "neon", "upstash", "fauna", "render",
        "railway", "flyio", "fly_", "sanity", "strapi", "storyblok", "prismic", "ghost", "wordpress",
        "woocommerce", "bigcommerce", "magento", "klaviyo", "convertkit", "drip", "activecampaign",
        "getresponse", "aweber", "freshbooks", "quickbooks", "xero", "zoho", "pipedrive", "close",
        "copper", "gong", "outreach", "apollo", "lemlist", "hunter", "snov", "dialpad", "ringcentral",
        "aircall", "bandwidth", "sinch", "telnyx", "textmagic", "clicksend", "nylas", "front", "helpscout",
        "gorgias", "kustomer", "drift", "crisp", "tawk", "olark", "livechat", "uservoice", "canny",
        "productboard", "pendo", "fullstory", "hotjar", "logrocket", "bugsnag", "rollbar", "raygun",
        "airbrake", "honeybadger", "statuspage", "uptimerobot", "pingdom", "checkly", "cronitor",
        "netlify", "bitly", "rebrandly", "shorten", "tinyurl", "pastebin", "gist", "ngrok", "tailscale",
        "zerotier", "wireguard", "consul", "nomad", "keycloak", "ldap", "smtp", "ftp", "database", "db_",
        "mysql", "postgres", "oracle", "snowflake", "bigquery", "redshift", "clickhouse", "influx",
        "rabbitmq", "kafka", "nats", "minio", "backblaze", "wasabi", "scaleway", "ovh", "hetzner",
        "ibm", "oci", "tencent", "huawei", "yandex", "baidu", "qiniu", "upyun",
    ]

    /// Keywords as a literal set; the payload is the index into `keywords`.
    static let keywordSet = LiteralSet(keywords.enumerated().map { (String(decoding: $0.element.text, as: UTF8.self), UInt16($0.offset)) })

    /// Strength (low byte) and kind (high byte) of each keyword, by index.
    nonisolated(unsafe) static let keywordInfo: UnsafeMutablePointer<UInt16> = {
        let p = UnsafeMutablePointer<UInt16>.allocate(capacity: keywords.count)
        for (i, k) in keywords.enumerated() { p[i] = UInt16(k.strength.rawValue) | UInt16(k.kind.rawValue) << 8 }
        return p
    }()

    /// Words after a keyword that say the value is not the secret (`password_hash`, `key_id`).
    static let negativeNext = LiteralSet([
        "hash", "hashed", "digest", "id", "ids", "name", "names", "type", "types", "url", "uri", "endpoint",
        "file", "path", "length", "len", "size", "field", "format", "policy", "expiry", "expires",
        "expiration", "prefix", "regex", "pattern", "hint", "label", "header", "placeholder", "param",
        "count", "version", "index", "column", "validator", "reset", "min", "max", "strength", "required",
        "mode", "method", "usage", "kind", "ref", "source", "provider", "store", "manager", "service",
        "helper", "handler", "input", "prompt", "message", "error", "rotation", "algorithm", "alg",
    ].map { ($0, 0) })

    struct Hit {
        var strength: Strength = .none
        var kind: SecretKind = .genericSecret
        var direct = false        // `key = value` with nothing between
    }

    /// Finds the best keyword in `from..<to` (case-folded), skipping negated occurrences.
    static func bestKeyword(_ b: Bytes, from: Int, to: Int) -> Hit {
        var hit = Hit()
        let set = keywordSet
        let info = keywordInfo
        var i = from
        while i + 1 < to {
            let x = Ascii.lower(b[i])
            guard set.mayStart(x, Ascii.lower(b[i + 1])), let (len, idx) = set.match(b, at: i, limit: to) else {
                i += 1
                continue
            }
            let end = i + len
            // The keyword must end a word: the next byte is not a lowercase letter, unless the
            // keyword was written in capitals (`ACRPWD`, `APIKEY`): then not a capital either.
            let next = b.at(end)
            let upperKW = b[i] &- 65 < 26 && b[end - 1] &- 65 < 26
            let v = info[Int(idx)]
            let strength = Strength(rawValue: Int(v & 0xFF)) ?? .none
            let kind = SecretKind(rawValue: UInt8(v >> 8)) ?? .genericSecret
            var ok = !(next &- 97 < 26 || (upperKW && next &- 65 < 26))
            // Short words (`pat`, `sig`, `api`) must start a word; `key` may end one (`cosmosKey`).
            if ok && len <= 3 && strength != .password && !(len == 3 && x == 107) {
                let prev = b.at(i - 1)
                if prev &- 97 < 26 || (upperKW && prev &- 65 < 26) { ok = false }
            }
            if ok && isNegated(b, end) { ok = false }
            if ok {
                if strength > hit.strength { hit.strength = strength }
                if kind != .genericSecret && hit.kind == .genericSecret { hit.kind = kind }
            }
            i += 1
        }
        return hit
    }

    /// Whether a secret-ish keyword (not just a provider name) is on the line before `s`.
    static func secretKeywordBefore(_ b: Bytes, _ s: Int) -> Bool {
        bestKeyword(b, from: b.lineStart(s, limit: 96), to: s).strength >= .secret
    }

    /// After a keyword: `_hash`, `Hash`, `-id`, `.name` …
    static func isNegated(_ b: Bytes, _ end: Int) -> Bool {
        var j = end
        let sep = b.at(j)
        if sep == UInt8(ascii: "_") || sep == UInt8(ascii: "-") || sep == UInt8(ascii: ".") { j += 1 }
        else if !(sep &- 65 < 26) { return false }
        guard j + 1 < b.n, let (len, _) = negativeNext.match(b, at: j, limit: min(b.n, j + 16)) else { return false }
        let after = b.at(j + len)
        return !(after &- 97 < 26)
    }

    /// The key of `key = value`, `"key": "value"`, `key: value`, `<key>value`, `--key value` right
    /// before a value starting at `s`, as a range, or nil when the value is not directly assigned.
    static func directKey(_ b: Bytes, _ s: Int) -> Range<Int>? {
        var j = s - 1
        var steps = 0
        while j >= 0 && steps < 4 && (Ascii.isQuote(b[j]) || Ascii.isSpace(b[j]) || b[j] == UInt8(ascii: "{") || b[j] == UInt8(ascii: "(") || b[j] == UInt8(ascii: "[")) { j -= 1; steps += 1 }
        guard j >= 0 else { return nil }
        var x = b[j]
        var xml = false
        if x == UInt8(ascii: ">") && b.at(j - 1) == UInt8(ascii: "=") { j -= 1; x = b[j] }
        if x == UInt8(ascii: ">") { xml = true } else if x == UInt8(ascii: "=") || x == UInt8(ascii: ":") {
            if x == UInt8(ascii: "=") && b.at(j - 1) == UInt8(ascii: ":") { j -= 1 }
            if x == UInt8(ascii: "=") && (b.at(j - 1) == UInt8(ascii: "=") || b.at(j - 1) == UInt8(ascii: "!")) { return nil }
        } else { return nil }
        j -= 1
        steps = 0
        while j >= 0 && steps < 3 && (Ascii.isQuote(b[j]) || Ascii.isSpace(b[j])) { j -= 1; steps += 1 }
        let e = j + 1
        while j >= 0 && b.cls[Int(b[j])] & (C.word | C.dash | C.dot) != 0 && e - j < 64 { j -= 1 }
        let ks = j + 1
        if xml && b.at(j) != UInt8(ascii: "<") { return nil }
        guard e > ks else { return nil }
        return ks..<e
    }

    static let hashPrefixes: [[UInt8]] = ["sha1-", "sha256-", "sha384-", "sha512-", "md5-"].map { Array($0.utf8) }
    static let base64Marker = Ascii.bytes("base64,")
    static let codeRefs: [[UInt8]] = ["process.env", "os.environ", "getenv", "env.", "config.", "settings.", "secrets."].map { Array($0.utf8) }

    /// A value run `runS..<runE` (bytes of `ByteClass.token`): a secret if a keyword vouches for it
    /// and its shape passes the gates.
    static func candidate(_ b: Bytes, _ runS: Int, _ runE: Int, awsIDEnd: Int, into out: inout [Match]) {
        var s = runS, e = runE
        while s < e && b.cls[Int(b[s])] & (C.dot | C.dash | C.underscore | C.plus | C.tilde) != 0 { s += 1 }
        while e > s && b.cls[Int(b[e - 1])] & (C.dot | C.dash | C.underscore | C.tilde | C.slash) != 0 { e -= 1 }
        guard e - s >= 6 else { return }
        // Template references and paths: `${X}`, `$X`, `<x>`, `%X%`, `/etc/…`, `./x`.
        let before = b.at(runS - 1)
        if before == UInt8(ascii: "$") || before == UInt8(ascii: "%") || before == UInt8(ascii: "<") || before == UInt8(ascii: "@") { return }
        if before == UInt8(ascii: "{") && (b.at(runS - 2) == UInt8(ascii: "$") || b.at(runS - 2) == UInt8(ascii: "{")) { return }
        if b[runS] == UInt8(ascii: "/") || b[runS] == UInt8(ascii: "~") { return }
        if b.at(runE) == UInt8(ascii: "(") { return }   // a function call
        if b.at(runE) == UInt8(ascii: "@") { return }   // user@host, handled by the URL rule

        // The key, when the value is directly assigned.
        var hit = Hit()
        if let key = directKey(b, runS) {
            hit = bestKeyword(b, from: key.lowerBound, to: key.upperBound)
            hit.direct = hit.strength != .none
        }
        // A password directly assigned may hold any printable bytes: take the whole value.
        if hit.direct && hit.strength == .password {
            passwordValue(b, runS, into: &out)
            return
        }
        let len = e - s
        let minLen = hit.direct ? 12 : 16
        guard len >= minLen, len <= 1024 else { return }
        // Shape gates before any keyword search on the line.
        let shape = ValueShape(b, s, e)
        if shape.isDigitsOnly || shape.letters == 0 { return }
        if shape.maxRepeat >= 6 || shape.entropy < 2.8 { return }
        if looksLikePathOrName(b, s, e) { return }
        let isUUID = Self.isUUID(b, s, e)
        if !(shape.hexOnly || isUUID) {
            if shape.digits == 0 {
                // No digit: only a long mixed-case run with many case changes looks generated.
                guard len >= 20, shape.upper >= 3, shape.lower >= 3, shape.entropy >= 4.0, caseSwitches(b, s, e) * 4 >= len else { return }
            } else if shape.entropy < (len >= 24 ? 3.2 : 3.0) {
                return
            }
        }
        // Otherwise a keyword earlier on the line.
        if hit.strength == .none || hit.strength == .provider {
            let lineStart = b.lineStart(runS, limit: 96)
            let w = bestKeyword(b, from: lineStart, to: runS)
            if w.strength > hit.strength { let k = hit.kind; hit = w; if k != .genericSecret && w.kind == .genericSecret { hit.kind = k } }
            else if hit.kind == .genericSecret { hit.kind = w.kind }
        }
        // An AWS secret access key right after an access key id.
        let awsNear = awsIDEnd >= 0 && runS - awsIDEnd < 400 && runS > awsIDEnd
        if hit.strength == .none && !awsNear { return }
        // Padding.
        var pe = e
        if e == runE { while pe < b.n && b[pe] == UInt8(ascii: "=") && pe - e < 2 { pe += 1 } }
        if PrefixRules.isPlaceholder(b, s, e) { return }
        for h in hashPrefixes where b.hasFolded(h, at: s) { return }
        if s >= 7 && b.has(base64Marker, at: s - 7) { return }
        for r in codeRefs where b.findFolded(r, from: s, to: e) != nil { return }
        if shape.hexOnly || isUUID {
            if hit.strength < .secret && !awsNear { return }
        } else if hit.strength == .provider && shape.digits > 0 && shape.entropy < 3.5 {
            return
        }
        // Kind and confidence.
        var kind = hit.kind == .providerToken ? .genericSecret : hit.kind
        var conf: Confidence = .low
        var id = "generic-keyword-secret"
        if len == 40 && !isUUID && b.run(from: s, C.base64) == 40 && (awsNear || kind == .awsSecretAccessKey) {
            kind = .awsSecretAccessKey
            conf = awsNear ? .medium : .low
            id = "aws-secret-access-key"
        } else if kind == .awsSecretAccessKey && len >= 100 {
            kind = .awsSessionToken
            id = "aws-session-token"
        } else if kind == .awsSecretAccessKey {
            kind = .genericSecret
        } else if kind != .genericSecret {
            id = "provider-keyword-secret"
        }
        out.append(Match(range: s..<pe, confidence: conf, kind: kind, id: id))
    }

    /// `password = value`: the value to its quote or to whitespace.
    static func passwordValue(_ b: Bytes, _ runS: Int, into out: inout [Match]) {
        let s = runS
        // Include a leading special byte that the run split off (`P@ss` starts at the run, `!x` before it).
        let q = b.at(s - 1)
        let quoted = Ascii.isQuote(q)
        var e = s
        while e < b.n && e - s < 256 {
            let x = b[e]
            if quoted ? (x == q || x == 10 || x == 13) : (x <= 32 || Ascii.isQuote(x) || x == UInt8(ascii: ";") || x == UInt8(ascii: ",") || x == UInt8(ascii: "&") || x == UInt8(ascii: "<") || x == UInt8(ascii: ")") || x == UInt8(ascii: "}") || x == UInt8(ascii: "]")) { break }
            e += 1
        }
        if quoted && b.at(e) != q { return }
        while e > s && (b[e - 1] == UInt8(ascii: ".") || b[e - 1] == UInt8(ascii: ",")) && !quoted { e -= 1 }
        let len = e - s
        guard len >= 6, len <= 200 else { return }
        if PrefixRules.isPlaceholder(b, s, e) { return }
        for lit in Structural.passwordPlaceholders where lit.count == len && b.hasFolded(lit, at: s) { return }
        for r in codeRefs where b.findFolded(r, from: s, to: e) != nil { return }
        if b[s] == UInt8(ascii: "$") || b[s] == UInt8(ascii: "%") { return }
        let shape = ValueShape(b, s, e)
        if shape.maxRepeat >= 5 || shape.distinct < 4 { return }
        // Prose and identifiers: a password has at least two classes of bytes.
        var classes = 0
        if shape.lower > 0 { classes += 1 }
        if shape.upper > 0 { classes += 1 }
        if shape.digits > 0 { classes += 1 }
        if shape.other > 0 { classes += 1 }
        guard classes >= 2, shape.entropy >= 2.3 else { return }
        // `password = getPassword()`, `password: str`, `password = self.x`.
        if b.at(e) == UInt8(ascii: "(") || b.find([UInt8(ascii: "(")], from: s, to: e) != nil { return }
        if shape.digits == 0 && shape.other == 0 && len < 16 { return }
        if shape.other > 0 && shape.digits == 0 && shape.upper == 0 {
            // `user.password`, `some-value`: words with dots or dashes only.
            var onlyWordish = true
            for k in s..<e where !(b[k] &- 97 < 26 || b[k] == UInt8(ascii: ".") || b[k] == UInt8(ascii: "_") || b[k] == UInt8(ascii: "-")) { onlyWordish = false; break }
            if onlyWordish { return }
        }
        out.append(Match(range: s..<e, confidence: .low, kind: .genericSecret, id: "password-assignment"))
    }

    /// 8-4-4-4-12 hex.
    static func isUUID(_ b: Bytes, _ s: Int, _ e: Int) -> Bool {
        guard e - s == 36 else { return false }
        for k in 0..<36 {
            let x = b[s + k]
            if k == 8 || k == 13 || k == 18 || k == 23 { if x != UInt8(ascii: "-") { return false } }
            else if !Ascii.isHex(x) { return false }
        }
        return true
    }

    static func caseSwitches(_ b: Bytes, _ s: Int, _ e: Int) -> Int {
        var n = 0
        var prevUpper: Bool? = nil
        for k in s..<e {
            let x = b[k]
            let u: Bool? = x &- 65 < 26 ? true : (x &- 97 < 26 ? false : nil)
            if let u, let p = prevUpper, u != p { n += 1 }
            if u != nil { prevUpper = u }
        }
        return n
    }

    /// File names, host names, dotted identifiers, paths, versions.
    static func looksLikePathOrName(_ b: Bytes, _ s: Int, _ e: Int) -> Bool {
        var dots = 0, slashes = 0, lastDot = -1
        for k in s..<e {
            if b[k] == UInt8(ascii: ".") { dots += 1; lastDot = k } else if b[k] == UInt8(ascii: "/") { slashes += 1 }
        }
        if b.hasFolded(Ascii.bytes("http"), at: s) || b.hasFolded(Ascii.bytes("www."), at: s) { return true }
        if dots > 0 {
            // A trailing `.ext` / `.com`.
            let tail = e - lastDot - 1
            if tail >= 1 && tail <= 5 {
                var letters = true
                for k in (lastDot + 1)..<e where !(b[k] &- 97 < 26) { letters = false; break }
                if letters { return true }
            }
            if dots >= 2 {
                // `a.b.c` identifiers: every segment starts with a letter and holds no upper/lower mix.
                var wordish = true
                var segStart = s
                for k in s...e {
                    if k == e || b[k] == UInt8(ascii: ".") {
                        if k == segStart { wordish = false; break }
                        let x = b[segStart]
                        if !(x &- 97 < 26 || x &- 65 < 26 || x == UInt8(ascii: "_")) { wordish = false; break }
                        segStart = k + 1
                    }
                }
                if wordish { return true }
            }
        }
        if slashes >= 2 {
            // Paths: segments of lowercase words.
            var lowerish = true
            for k in s..<e where b[k] &- 65 < 26 { lowerish = false; break }
            if lowerish { return true }
        }
        return false
    }
}

