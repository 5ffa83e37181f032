// Keyword + entropy rules: a value that follows a secret-ish key (`password=`, `api_key:`,
// `"client_secret": "…"`, `export X_TOKEN=…`) or a known provider's name on the same line, gated by
// length, character classes and entropy so that placeholders, hashes, paths, versions, UUIDs and
// git SHAs stay clean. Hand-written (no maintained Swift secret scanner exists; no Regex).

enum SecretKeywordRules {
    typealias C = SecretByteClass
    typealias Match = SecretPrefixRules.Match

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
             "credential", "credentials", "creds", "cred", "bearer", "private", "signature", "sig",
             "session", "pat", "sas", "authorization", "clientsecret", "accesskey", "secretkey",
             "privatekey", "authtoken", "accesstoken", "refreshtoken", "apitoken", "appkey", "appsecret",
             "masterkey", "secretid", "secret_id", "secret-id", "encryptionkey", "webhook", "dsn", "license", "licence"], .secret)
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
        add(["postman"], .provider, .postmanAPIKey)
        add(["braintree"], .provider, .braintreeToken)
        add(["adyen"], .provider, .adyenAPIKey)
        add(["alibaba", "aliyun"], .provider, .alibabaAccessKey)
        add(["tencent"], .provider, .tencentAccessKey)
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
        "mapbox", "contentful", "mixpanel", "amplitude", "posthog", "launchdarkly", "optimizely", "circleci",
        "travis", "jenkins", "buildkite", "codecov", "snyk", "npm", "pypi", "artifactory", "jfrog", "nuget",
        "rubygems", "terraform", "pulumi", "doppler", "bitwarden", "planetscale", "twitch", "twitter",
        "facebook", "instagram", "linkedin", "youtube", "spotify", "webex", "nexmo", "vonage", "plivo",
        "messagebird", "pusher", "cloudinary", "imgur", "unsplash", "giphy", "coinbase", "binance", "kraken",
        "etherscan", "infura", "alchemy", "moralis", "openweather", "ipinfo", "ipstack", "apify",
        "browserstack", "saucelabs", "lambdatest", "rapidapi", "shodan", "virustotal", "censys",
        "securitytrails", "clearbit", "fullcontact", "zapier", "typeform", "jotform", "surveymonkey",
        "calendly", "eventbrite", "yelp", "foursquare", "tomtom", "mailerlite", "mailersend", "mailbox",
        "mailsac", "mailmodo", "scrapingbee", "scraperapi", "serpapi", "newsapi", "openai", "gemini",
        "perplexity", "deepseek", "anyscale", "langchain", "langsmith", "weaviate", "qdrant", "cockroach",
        "upstash", "fauna", "railway", "flyio", "strapi", "storyblok", "prismic", "wordpress", "woocommerce",
        "bigcommerce", "magento", "klaviyo", "convertkit", "activecampaign", "getresponse", "aweber",
        "freshbooks", "quickbooks", "xero", "zoho", "pipedrive", "lemlist", "dialpad", "ringcentral",
        "aircall", "telnyx", "textmagic", "clicksend", "helpscout", "gorgias", "kustomer", "livechat",
        "uservoice", "productboard", "fullstory", "hotjar", "logrocket", "bugsnag", "rollbar", "raygun",
        "airbrake", "honeybadger", "statuspage", "uptimerobot", "pingdom", "checkly", "cronitor", "netlify",
        "bitly", "rebrandly", "tinyurl", "pastebin", "ngrok", "tailscale", "zerotier", "wireguard", "consul",
        "nomad", "keycloak", "snowflake", "bigquery", "redshift", "clickhouse", "rabbitmq", "backblaze",
        "wasabi", "scaleway", "hetzner", "tencent", "huawei", "yandex", "baidu", "qiniu", "upyun",
        "freshworks", "freshservice", "mattermost", "rocketchat", "instamojo", "razorpay", "paystack",
        "flutterwave", "mollie", "klarna", "payoneer", "gocardless", "chargebee", "recurly", "paddle",
        "lemonsqueezy", "smartsheet", "wrike", "basecamp", "teamwork", "podio", "toggl", "clockify",
        "everhour", "metabase", "tableau", "metaapi", "kucoin", "bitfinex", "bitstamp", "bybit", "huobi",
        "poloniex", "bittrex", "coinmarketcap", "coingecko", "nomics", "messari", "cloudsmith",
        "cloudmersive", "cloudimage", "imagekit", "uploadcare", "filestack", "transloadit", "keycdn",
        "stackpath", "akamai", "imperva", "sucuri", "vouchery", "websitepulse", "checkvist", "cloze",
        "currencycloud", "onesignal", "redhat", "geoip", "maxmind", "liveagent", "invoiceocean", "magicbell",
        "gocanvas", "tallyfy", "lendflow", "voicegain", "mockaroo", "parsehub", "myintervals", "vbout",
        "simplynoted",
    ]

    /// Keywords as a literal set; the payload is the keyword's strength (low byte) and kind (high byte).
    static let keywordSet = SecretLiteralSet(keywords.map {
        (String(decoding: $0.text, as: UTF8.self), UInt16($0.strength.rawValue) | UInt16($0.kind.rawValue) << 8)
    })

    struct Hit {
        var strength: Strength = .none
        var kind: SecretKind = .genericSecret
        var direct = false        // `key = value` with nothing between
        var end = -1              // end of the last vouching keyword
    }

    /// Finds the best keyword in `from..<to` (case-folded), skipping negated occurrences.
    static func bestKeyword(_ b: SecretBytes, from: Int, to: Int) -> Hit {
        var hit = Hit()
        guard to - from >= 3 else { return hit }   // (`status=`, `id:`: no keyword fits)
        let set = keywordSet
        // Every keyword starts with three letters: only positions where three letters start are
        // looked up. They are found eight bytes at a time (five positions per step, so that the
        // four bytes the filter hashes are in the word), then one at a time near the end.
        let last = to - 3   // the last position a keyword fits at
        var i = from
        while i <= last && i + 8 <= b.n {
            let x = b.word(at: i)
            var starts = SecretASCII.threeLetterStarts(x)
            while starts != 0 {
                let lane = starts.trailingZeroBitCount >> 3
                let k = i + lane
                if k > last { break }
                // The bytes are in `x` already: the filter turns most starts away unread.
                if set.mayStart(UInt32(truncatingIfNeeded: x >> UInt64(8 * lane))) {
                    consider(b, k, to, set, &hit)
                }
                starts &= starts - 1
            }
            i += 5
        }
        while i <= last {
            if SecretASCII.isLetter(b[i]) && SecretASCII.isLetter(b[i + 1]) && SecretASCII.isLetter(b[i + 2]) {
                consider(b, i, to, set, &hit)
            }
            i += 1
        }
        return hit
    }

    /// The keyword at `i`, if any fits before `to`, folded into `hit` (positions in order).
    @inline(__always)
    private static func consider(_ b: SecretBytes, _ i: Int, _ to: Int, _ set: SecretLiteralSet, _ hit: inout Hit) {
        guard let (len, v) = set.match(b, at: i, limit: to) else { return }
        let x = SecretASCII.lower(b[i])
        let end = i + len
        // The keyword must end a word: the next byte is not a lowercase letter, unless the
        // keyword was written in capitals (`ACRPWD`, `APIKEY`): then not a capital either.
        let next = b.at(end)
        let upperKW = b[i] &- 65 < 26 && b[end - 1] &- 65 < 26
        let strength = Strength(rawValue: Int(v & 0xFF)) ?? .none
        let kind = SecretKind(rawValue: UInt8(v >> 8)) ?? .genericSecret
        var ok = !(next &- 97 < 26 || (upperKW && next &- 65 < 26))
        // Short words (`pat`, `sig`, `api`) must start a word; `key` may end one (`cosmosKey`).
        if ok && len <= 3 && strength != .password && !(len == 3 && x == 107) {
            let prev = b.at(i - 1)
            if prev &- 97 < 26 || (upperKW && prev &- 65 < 26) { ok = false }
        }
        if ok && strength != .provider && isNegated(b, end) { ok = false }
        // A provider's name in a host or attribute (`api.github.com`, `openai.Model`).
        if ok && strength == .provider && b.at(end) == UInt8(ascii: ".") && b.at(end + 1) &- 97 < 26 { ok = false }
        if ok {
            hit.end = end
            if strength > hit.strength { hit.strength = strength }
            if kind != .genericSecret && hit.kind == .genericSecret { hit.kind = kind }
        }
    }

    /// Whether a keyword on the line before `s` can vouch for a hex value of `len` bytes: a
    /// secret-ish one always, a provider's name unless the length is a git SHA's (40, 64).
    static func hexVouched(_ b: SecretBytes, _ s: Int, _ len: Int) -> Bool {
        let strength = bestKeyword(b, from: b.lineStart(s, limit: 64), to: s).strength
        return strength >= .secret || (strength == .provider && hexAllowedForProvider(len))
    }

    @inline(__always) static func hexAllowedForProvider(_ len: Int) -> Bool { len != 40 && len != 64 && len >= 24 }

    /// A keyword vouches for a value only as the last word of its key (`api_key`, `AUTH_TOKEN`,
    /// `cosmosKey`) or before a digit or one of `allowedNext` (`secret_key_base`, `token_value`):
    /// `password_hash`, `tokenType`, `key_id`, `keyProtectionAlgorithm` name something else.
    static func isNegated(_ b: SecretBytes, _ end: Int) -> Bool {
        var j = end
        let sep = b.at(j)
        var camel = false
        if sep == UInt8(ascii: "_") || sep == UInt8(ascii: "-") { j += 1 }
        else if sep &- 65 < 26 { camel = true }
        else { return false }
        let first = b.at(j)
        guard first &- 65 < 26 || first &- 97 < 26 else { return false }   // `key_1`, `token-`
        var k = j + 1
        if camel || (first &- 97 < 26) {
            while k < b.n && b[k] &- 97 < 26 { k += 1 }
        } else {
            while k < b.n && b[k] &- 65 < 26 { k += 1 }
        }
        guard let (len, _) = allowedNext.match(b, at: j, limit: k), len == k - j else { return true }
        return false
    }

    static let allowedNext = SecretLiteralSet([
        "value", "base", "str", "string", "data", "b64", "base64", "hex", "raw", "plain", "text", "enc",
        "encoded", "prod", "production", "dev", "development", "test", "staging", "live", "new", "old",
        "primary", "secondary", "main", "default", "api", "admin", "app", "user", "bot", "access",
        "secret", "key", "token", "pass", "password", "auth",
    ].map { ($0, 0) })

    /// The key of `key = value`, `"key": "value"`, `key: value`, `<key>value`, `--key value` right
    /// before a value starting at `s`, as a range, or nil when the value is not directly assigned.
    static func directKey(_ b: SecretBytes, _ s: Int) -> Range<Int>? {
        var j = s - 1
        var steps = 0
        while j >= 0 && steps < 8 && (SecretASCII.isQuote(b[j]) || SecretASCII.isSpace(b[j]) || b[j] == UInt8(ascii: "{") || b[j] == UInt8(ascii: "(") || b[j] == UInt8(ascii: "[") || b[j] == UInt8(ascii: "\\")) { j -= 1; steps += 1 }
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
        while j >= 0 && steps < 8 && (SecretASCII.isQuote(b[j]) || SecretASCII.isSpace(b[j]) || b[j] == UInt8(ascii: "\\")) { j -= 1; steps += 1 }
        let e = j + 1
        while j >= 0 && b.cls[Int(b[j])] & (C.word | C.dash | C.dot) != 0 && e - j < 64 { j -= 1 }
        let ks = j + 1
        if xml && b.at(j) != UInt8(ascii: "<") { return nil }
        guard e > ks else { return nil }
        return ks..<e
    }

    static let publicLit: StaticString = "public"
    static let hashPrefixes: [StaticString] = ["sha1-", "sha256-", "sha384-", "sha512-", "md5-"]
    static let base64Marker: StaticString = "base64,"
    static let codeRefs: [StaticString] = ["process.env", "os.environ", "getenv", "env.", "config.", "settings.", "secrets."]

    /// A value run `runS..<runE` (bytes of `SecretByteClass.token`): a secret if a keyword vouches for it
    /// and its shape passes the gates.
    static func candidate(_ b: SecretBytes, _ runS: Int, _ runE: Int, awsIDEnd: Int, into out: inout [Match]) {
        var s = runS, e = runE
        while s < e && b.cls[Int(b[s])] & (C.dot | C.dash | C.underscore | C.plus | C.tilde) != 0 { s += 1 }
        while e > s && b.cls[Int(b[e - 1])] & (C.dot | C.dash | C.underscore | C.tilde | C.slash) != 0 { e -= 1 }
        guard e > s else { return }
        // Template references and paths: `${X}`, `$X`, `<x>`, `%X%`, `/etc/…`, `./x`.
        let before = b.at(runS - 1)
        if before == UInt8(ascii: "$") || before == UInt8(ascii: "%") || before == UInt8(ascii: "<") || before == UInt8(ascii: "@") { return }
        if before == UInt8(ascii: "{") && (b.at(runS - 2) == UInt8(ascii: "$") || b.at(runS - 2) == UInt8(ascii: "{")) { return }
        if b[runS] == UInt8(ascii: "/") || b[runS] == UInt8(ascii: "~") { return }
        if b.at(runE) == UInt8(ascii: "(") { return }   // a function call

        // The key, when the value is directly assigned. Unquoted and under twelve bytes, a value can
        // only be a password (see `minLen` below), and every password keyword starts with a `p`:
        // `version=1.18.6`, `10:14:32.402Z` need no keyword lookup.
        let passwordOnly = e - s < 12 && !SecretASCII.isQuote(before)
        var hit = Hit()
        if let key = directKey(b, runS) {
            let keyStart = lastSegment(b, key)
            if passwordOnly {
                var k = keyStart
                while k < key.upperBound && b[k] | 0x20 != UInt8(ascii: "p") { k += 1 }
                if k == key.upperBound { return }
            }
            // `auth_public_key`, `publishable_key`: public by name.
            if b.findFolded(publicLit, from: keyStart, to: key.upperBound) != nil { return }
            hit = bestKeyword(b, from: keyStart, to: key.upperBound)
            hit.direct = hit.strength != .none
        } else if passwordOnly {
            return
        }
        // A password directly assigned may hold any printable bytes: take the whole value.
        if hit.direct && hit.strength == .password {
            passwordValue(b, runS, into: &out)
            return
        }
        if before == UInt8(ascii: "#") { return }   // a URL fragment or a colour
        // A quoted secret with punctuation inside (`"client_secret": "u@D7G)t>8d(L…"`).
        let q = b.at(runS - 1)
        if hit.direct && hit.strength == .secret && SecretASCII.isQuote(q) && b.at(runE) != q && b.at(runE) != UInt8(ascii: "=") {
            quotedSecretValue(b, runS, quote: q, into: &out)
            return
        }
        if b.at(runE) == UInt8(ascii: "@") { return }   // user@host, handled by the URL rule
        let len = e - s
        let quoted = SecretASCII.isQuote(q) && b.at(runE) == q
        let minLen = hit.direct ? (quoted ? 8 : 12) : 16
        guard len >= minLen, len <= 8192 else { return }
        // Long numbers directly assigned to a secret key (`token = '97347413371939051267'`).
        if hit.direct && hit.strength >= .secret && len >= 20 && b.run(from: s, C.digit) == len {
            out.append(Match(range: s..<e, confidence: .low, kind: .genericSecret, id: "generic-keyword-secret"))
            return
        }
        // Cheap shape gates first: paths, host and file names, identifiers, slugs.
        if looksLikePathOrName(b, s, e) { return }
        let hexOnly = b.run(from: s, C.hexAny, limit: len) == len
        if !hexOnly {
            let w = wordiness(b, s, e)
            if w >= (len >= 16 ? 0.6 : 0.7) { return }
            // One group of digits among words: `Ed25519PrivateKey`, `fromBase58String`.
            if w >= 0.45 && digitRuns(b, s, e) <= 1 { return }
            if isSlug(b, s, e) { return }
        }
        // A keyword earlier on the line, unless the key itself named one.
        let awsNear = awsIDEnd >= 0 && runS - awsIDEnd < 400 && runS > awsIDEnd
        if hit.strength == .none || hit.strength == .provider {
            let lineStart = b.lineStart(runS, limit: 64)
            var w = bestKeyword(b, from: lineStart, to: runS)
            if w.strength != .none && separated(b, from: w.end, to: runS) { w = Hit() }
            if w.strength > hit.strength { let k = hit.kind; hit = w; if k != .genericSecret && w.kind == .genericSecret { hit.kind = k } }
            else if hit.kind == .genericSecret { hit.kind = w.kind }
        }
        if hit.strength == .none && !awsNear { return }
        // Shape gates.
        let shape = SecretValueShape(b, s, e)
        if shape.isDigitsOnly || shape.letters == 0 { return }
        if shape.maxRepeat >= 6 || shape.entropy < 2.8 { return }
        let isUUID = Self.isUUID(b, s, e)
        // Versions: `3.11.2-6+deb12u6`.
        if SecretASCII.isDigit(b[s]) && b.find(byte: UInt8(ascii: "."), from: s, to: e) != nil && shape.letters < shape.digits { return }
        if !(shape.hexOnly || isUUID) {
            if shape.digits == 0 {
                // No digit: only a mixed-case run with many case changes looks generated.
                if hit.direct && len >= 12 && len < 20 {
                    guard shape.upper >= 2, shape.lower >= 2, caseSwitches(b, s, e) * 2 >= len else { return }
                } else {
                    guard len >= 20, shape.upper >= 3, shape.lower >= 3, shape.entropy >= 4.0, caseSwitches(b, s, e) * 4 >= len else { return }
                }
            } else if shape.entropy < (len >= 24 ? 3.2 : (len >= 12 ? 3.0 : 2.5)) {
                return
            }
        }
        // Padding.
        var pe = e
        if e == runE { while pe < b.n && b[pe] == UInt8(ascii: "=") && pe - e < 2 { pe += 1 } }
        if SecretPrefixRules.isPlaceholder(b, s, e) { return }
        for h in hashPrefixes where b.hasFolded(h, at: s) { return }
        if s >= 7 && b.has(base64Marker, at: s - 7) { return }
        for r in codeRefs where b.findFolded(r, from: s, to: e) != nil { return }
        if shape.hexOnly || isUUID {
            if hit.strength < .secret && !awsNear && (isUUID || !hexAllowedForProvider(len)) { return }
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

    /// Whether the value at `s` is directly assigned to a password-like key.
    static func passwordKeyBefore(_ b: SecretBytes, _ s: Int) -> Bool {
        // Every password keyword holds a `p` (pass, pwd, passphrase, pword): look for one in the
        // bytes just before the value first, which rules out most `key=value` pairs cheaply.
        guard let k = b.lastPOrNewline(before: s, stop: max(0, s - 48)), b[k] != 10 else { return false }
        guard let key = directKey(b, s) else { return false }
        return bestKeyword(b, from: lastSegment(b, key), to: key.upperBound).strength == .password
    }

    /// The last `.`-separated part of a key (`Token.Comment` is a comment, `config.password` a password).
    static func lastSegment(_ b: SecretBytes, _ key: Range<Int>) -> Int {
        var k = key.upperBound - 1
        while k > key.lowerBound && b[k] != UInt8(ascii: ".") { k -= 1 }
        return b[k] == UInt8(ascii: ".") ? k + 1 : key.lowerBound
    }

    /// Whether list or call punctuation stands between a keyword and its supposed value
    /// (`'lucid_key', 'rfc1964_keydata'`, `isinstance(key, (Ed25519PrivateKey`).
    static func separated(_ b: SecretBytes, from: Int, to: Int) -> Bool {
        guard from >= 0 else { return false }
        var k = from
        while k < to {
            switch b[k] {
            case UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "|"): return true
            default: k += 1
            }
        }
        return false
    }

    /// `password = value`: the value to its quote or to whitespace.
    static func passwordValue(_ b: SecretBytes, _ runS: Int, into out: inout [Match]) {
        let s = runS
        // Include a leading special byte that the run split off (`P@ss` starts at the run, `!x` before it).
        let q = b.at(s - 1)
        let quoted = SecretASCII.isQuote(q)
        var e = passwordValueEnd(b, s)
        if quoted && b.at(e) != q { return }
        while e > s && (b[e - 1] == UInt8(ascii: ".") || b[e - 1] == UInt8(ascii: ",")) && !quoted { e -= 1 }
        let len = e - s
        guard len >= 6, len <= 200 else { return }
        if SecretPrefixRules.isPlaceholder(b, s, e) { return }
        for lit in SecretStructuralRules.passwordPlaceholders where lit.utf8CodeUnitCount == len && b.hasFolded(lit, at: s) { return }
        for r in codeRefs where b.findFolded(r, from: s, to: e) != nil { return }
        if b[s] == UInt8(ascii: "$") || b[s] == UInt8(ascii: "%") { return }
        let shape = SecretValueShape(b, s, e)
        if shape.maxRepeat >= 5 || shape.distinct < 4 { return }
        // Prose and identifiers: a password has at least two classes of bytes.
        var classes = 0
        if shape.lower > 0 { classes += 1 }
        if shape.upper > 0 { classes += 1 }
        if shape.digits > 0 { classes += 1 }
        if shape.other > 0 { classes += 1 }
        guard classes >= 2, shape.entropy >= 2.3 else { return }
        // `password = getPassword()`, `password: str`, `password = self.x`.
        if b.at(e) == UInt8(ascii: "(") { return }
        if !quoted, let paren = b.find(byte: UInt8(ascii: "("), from: s, to: e), b.run(from: s, C.word | C.dot) == paren - s { return }
        if shape.digits == 0 && shape.other == 0 && len < 16 { return }
        if shape.other > 0 && shape.digits == 0 && shape.upper == 0 {
            // `user.password`, `some-value`: words with dots or dashes only.
            var onlyWordish = true
            for k in s..<e where !(b[k] &- 97 < 26 || b[k] == UInt8(ascii: ".") || b[k] == UInt8(ascii: "_") || b[k] == UInt8(ascii: "-")) { onlyWordish = false; break }
            if onlyWordish { return }
        }
        out.append(Match(range: s..<e, confidence: .low, kind: .genericSecret, id: "password-assignment"))
    }

    /// Where a password value starting at `s` ends, before trimming: at its closing quote when it
    /// follows one, else at whitespace, a quote or punctuation that ends a value; `limit` bytes on
    /// at most.
    @inline(__always) static func passwordValueEnd(_ b: SecretBytes, _ s: Int, limit: Int = 256) -> Int {
        let q = b.at(s - 1)
        var e = s
        let stop = min(b.n, s + limit)
        if SecretASCII.isQuote(q) {
            while e < stop && !(b[e] == q || b[e] == 10 || b[e] == 13) { e += 1 }
        } else {
            while e < stop && !endsUnquotedValue(b[e]) { e += 1 }
        }
        return e
    }

    /// Whitespace and controls, quotes, and `;` `,` `&` `<` `)` `}` `]`: one bit per ASCII byte.
    @inline(__always) static func endsUnquotedValue(_ x: UInt8) -> Bool {
        // Bytes 0-63: 0...32, `"` 34, `&` 38, `'` 39, `)` 41, `,` 44, `;` 59, `<` 60.
        let low: UInt64 = 0x1FFFF_FFFF | 1 << 34 | 1 << 38 | 1 << 39 | 1 << 41 | 1 << 44 | 1 << 59 | 1 << 60
        // Bytes 64-127: `]` 93, backquote 96, `}` 125.
        let high: UInt64 = 1 << (93 - 64) | 1 << (96 - 64) | 1 << (125 - 64)
        return x < 64 ? low >> UInt64(x) & 1 != 0 : x < 128 && high >> UInt64(x - 64) & 1 != 0
    }

    /// Whether a password value at `s` can be long enough to report: `passwordValue` drops values
    /// under six bytes, so for `status=200` the key need not be looked at.
    @inline(__always) static func passwordValueFits(_ b: SecretBytes, _ s: Int) -> Bool {
        passwordValueEnd(b, s, limit: 6) - s == 6
    }

    /// `"secret": "…"` whose value holds punctuation: the whole quoted value, strictly gated.
    static func quotedSecretValue(_ b: SecretBytes, _ s: Int, quote q: UInt8, into out: inout [Match]) {
        var e = s
        while e < b.n && e - s < 1024 && b[e] != q && b[e] != 10 && b[e] != 13 { e += 1 }
        guard b.at(e) == q else { return }
        let len = e - s
        guard len >= 12 else { return }
        if SecretPrefixRules.isPlaceholder(b, s, e) { return }
        for r in codeRefs where b.findFolded(r, from: s, to: e) != nil { return }
        // Prose has spaces; a secret rarely more than one.
        var spaces = 0
        for k in s..<e where b[k] == 32 { spaces += 1 }
        if spaces > 0 { return }
        let shape = SecretValueShape(b, s, e)
        var classes = 0
        if shape.lower > 0 { classes += 1 }
        if shape.upper > 0 { classes += 1 }
        if shape.digits > 0 { classes += 1 }
        if shape.other > 0 { classes += 1 }
        guard classes >= 3, shape.entropy >= 3.0, shape.maxRepeat < 5 else { return }
        if b.hasFolded("http", at: s) { return }
        out.append(Match(range: s..<e, confidence: .low, kind: .genericSecret, id: "generic-keyword-secret"))
    }

    /// Share of the value made of pronounceable camel/snake words (`Asset`, `Writer`, `register`):
    /// identifiers score 0.6 and up, generated keys rarely above 0.5.
    static func wordiness(_ b: SecretBytes, _ s: Int, _ e: Int) -> Double {
        var inWords = 0
        var k = s
        while k < e {
            let x = b[k]
            let isUp = x &- 65 < 26, isLow = x &- 97 < 26
            guard isUp || isLow else { k += 1; continue }
            let segStart = k
            var capsRun = false
            if isUp {
                if k + 1 < e && b[k + 1] &- 97 < 26 {
                    k += 1
                    while k < e && b[k] &- 97 < 26 { k += 1 }
                } else {
                    while k < e && b[k] &- 65 < 26 && !(k + 1 < e && b[k + 1] &- 97 < 26) { k += 1 }
                    if k == segStart { k += 1 }
                    capsRun = true
                }
            } else {
                while k < e && b[k] &- 97 < 26 { k += 1 }
            }
            let len = k - segStart
            guard len >= 3 else { continue }
            var vowels = 0, cluster = 0, maxCluster = 0
            for q in segStart..<k {
                switch b[q] | 0x20 {
                case 97, 101, 105, 111, 117, 121: vowels += 1; cluster = 0
                default: cluster += 1; if cluster > maxCluster { maxCluster = cluster }
                }
            }
            // An all-caps run is a word (`IDENTIFIER`) only when long and pronounceable.
            if capsRun && (len < 5 || vowels * 10 < len * 3) { continue }
            if vowels > 0 && maxCluster <= 3 && vowels * 5 >= len { inWords += len }
        }
        return e > s ? Double(inWords) / Double(e - s) : 0
    }

    /// `version-2024-01-15-build-1234`, `prod/payments/stripe-v2`: separated parts that are each
    /// a number or a pronounceable word.
    static func isSlug(_ b: SecretBytes, _ s: Int, _ e: Int) -> Bool {
        var parts = 0
        var k = s
        while k < e {
            var j = k
            while j < e && b.cls[Int(b[j])] & C.alnum != 0 { j += 1 }
            if j > k {
                parts += 1
                let digits = b.run(from: k, C.digit, limit: j - k)
                if digits != j - k {
                    guard digits == 0, b.run(from: k, C.letter, limit: j - k) == j - k else { return false }
                    if j - k > 2 && wordiness(b, k, j) < 0.99 { return false }
                }
            }
            k = j + 1
        }
        return parts >= 2
    }

    static func digitRuns(_ b: SecretBytes, _ s: Int, _ e: Int) -> Int {
        var runs = 0
        var prev = false
        for k in s..<e {
            let d = SecretASCII.isDigit(b[k])
            if d && !prev { runs += 1 }
            prev = d
        }
        return runs
    }

    /// 8-4-4-4-12 hex.
    static func isUUID(_ b: SecretBytes, _ s: Int, _ e: Int) -> Bool {
        guard e - s == 36 else { return false }
        for k in 0..<36 {
            let x = b[s + k]
            if k == 8 || k == 13 || k == 18 || k == 23 { if x != UInt8(ascii: "-") { return false } }
            else if !SecretASCII.isHex(x) { return false }
        }
        return true
    }

    static func caseSwitches(_ b: SecretBytes, _ s: Int, _ e: Int) -> Int {
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
    static func looksLikePathOrName(_ b: SecretBytes, _ s: Int, _ e: Int) -> Bool {
        var dots = 0, slashes = 0, lastDot = -1
        for k in s..<e {
            if b[k] == UInt8(ascii: ".") { dots += 1; lastDot = k } else if b[k] == UInt8(ascii: "/") { slashes += 1 }
        }
        if b.hasFolded("http", at: s) || b.hasFolded("www.", at: s) { return true }
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
                        for q in segStart..<k where SecretASCII.isDigit(b[q]) { wordish = false; break }
                        if !wordish { break }
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

