// Provider rules keyed by a unique prefix: `ghp_`, `AKIA`, `sk-ant-`, `xoxb-`, … plus the structural
// rules that also start at a fixed literal (PEM blocks, JWTs, webhooks, Azure connection-string keys).
// Hand-written matching (no maintained Swift secret scanner exists; no Regex, no Foundation).
// The table is a lazily initialised static, so nothing is built until the first scan.

struct SecretPrefixRule {
    enum Check: UInt8 {
        case none
        case github        // GitHub classic tokens: CRC32 of the 30 random chars in the last 6 base62
        case npm           // npm tokens: same checksum scheme as GitHub
        case awsID         // AWS key id: reject AWS's documented EXAMPLE ids
        case openAI        // bare `sk-`: needs the T3BlbkFJ marker or exactly 48 alphanumerics
        case slack         // xox?- tokens: dash-separated, with digits
        case hasDigit      // the body must hold a digit (word-like bodies are prose)
        case mixed         // the body must hold a digit and a letter
        case hexLower      // the body must be lowercase hex
        case pem           // -----BEGIN … PRIVATE KEY----- … -----END …-----
        case jwt           // header.payload.signature, header decodes to JSON with "alg"
        case slackWebhook
        case discordWebhook
        case azureKey      // AccountKey=<base64>
        case sas           // sig=<url-encoded base64> with sv=/se= before it
        case stripeIntent  // pi_…_secret_…
        case sendgrid      // SG.<22>.<43>
        case postman       // PMAK-<24 hex>-<34 hex>
        case databricks
        case uuidShape     // 8-4-4-4-12, any alphanumerics, not all one digit
    }

    let prefix: [UInt8]
    let kind: SecretKind
    let body: UInt16
    let minLen: Int
    let maxLen: Int
    let confidence: Confidence
    let id: String
    let check: Check

    init(_ prefix: String, _ kind: SecretKind, _ body: UInt16, _ minLen: Int, _ maxLen: Int,
         _ confidence: Confidence, _ id: String, _ check: Check = .none) {
        self.prefix = Array(prefix.utf8)
        self.kind = kind
        self.body = body
        self.minLen = minLen
        self.maxLen = maxLen
        self.confidence = confidence
        self.id = id
        self.check = check
    }
}

enum SecretPrefixRules {
    typealias C = SecretByteClass

    static let all: [SecretPrefixRule] = {
        typealias R = SecretPrefixRule
        var r: [R] = []
        // Cloud: AWS
        for p in ["AKIA", "ASIA", "ABIA", "ACCA"] {
            r.append(R(p, .awsAccessKeyID, C.upperDigit, 16, 16, .high, "aws-access-key-id", .awsID))
        }
        r.append(R("A3T", .awsAccessKeyID, C.upperDigit, 17, 17, .high, "aws-access-key-id", .awsID))
        r.append(R("da2-", .providerToken, C.lowerDigit, 26, 26, .medium, "aws-appsync-api-key"))
        // Google
        r.append(R("AIza", .gcpAPIKey, C.base64URL, 35, 35, .high, "gcp-api-key"))
        r.append(R("GOCSPX-", .googleOAuthToken, C.base64URL, 28, 28, .high, "google-oauth-client-secret"))
        r.append(R("ya29.", .googleOAuthToken, C.base64URL, 30, 2048, .medium, "google-oauth-access-token", .mixed))
        r.append(R("1//0", .googleOAuthToken, C.base64URL, 30, 512, .medium, "google-oauth-refresh-token", .mixed))
        // Other clouds
        r.append(R("LTAI", .alibabaAccessKey, C.alnum, 12, 20, .medium, "alibaba-access-key-id", .mixed))
        r.append(R("AKID", .tencentAccessKey, C.alnum, 32, 32, .medium, "tencent-secret-id", .mixed))
        for p in ["dop_v1_", "doo_v1_", "dor_v1_"] {
            r.append(R(p, .digitaloceanToken, C.hexL, 64, 64, .high, "digitalocean-token"))
        }
        r.append(R("HRKU-", .herokuAPIKey, C.base64URL, 40, 80, .high, "heroku-api-key"))
        for p in ["cfat_", "cfut_", "cfk_"] {
            r.append(R(p, .cloudflareAPIKey, C.alnum, 40, 60, .high, "cloudflare-token", .mixed))
        }
        r.append(R("AccountKey=", .azureKey, C.base64, 40, 100, .high, "azure-storage-account-key", .azureKey))
        r.append(R("SharedAccessKey=", .azureKey, C.base64, 40, 100, .high, "azure-shared-access-key", .azureKey))
        r.append(R("sig=", .azureKey, C.alnum, 20, 200, .medium, "azure-sas-token", .sas))
        r.append(R("0.A", .azureKey, C.base64URL | C.dot, 100, 8192, .medium, "azure-entra-refresh-token", .mixed))
        r.append(R("fo1_", .flyioToken, C.base64URL, 43, 43, .high, "flyio-token"))
        for p in ["fm1r_", "fm1a_", "fm2_"] {
            r.append(R(p, .flyioToken, C.base64 | C.underscore | C.dash, 50, 4096, .high, "flyio-macaroon"))
        }
        r.append(R("sbp_", .supabaseKey, C.hexL, 40, 40, .high, "supabase-access-token"))
        r.append(R("sb_secret_", .supabaseKey, C.base64URL, 24, 64, .high, "supabase-secret-key"))
        for p in ["vcp_", "vci_", "vca_", "vcr_", "vck_"] {
            r.append(R(p, .vercelToken, C.alnum, 24, 80, .medium, "vercel-token", .mixed))
        }
        r.append(R("nfp_", .netlifyToken, C.alnum, 36, 40, .high, "netlify-token", .mixed))
        r.append(R("dt0c01.", .providerToken, C.alnum | C.dot, 80, 100, .high, "dynatrace-token"))
        // VCS and CI
        for p in ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"] {
            r.append(R(p, .githubToken, C.alnumU, 36, 255, .high, "github-token", .github))
        }
        r.append(R("github_pat_", .githubToken, C.alnumU, 70, 100, .high, "github-fine-grained-pat", .mixed))
        r.append(R("glpat-", .gitlabToken, C.alnumUD | C.dot, 20, 120, .high, "gitlab-pat"))
        for p in ["gldt-", "glptt-", "glrt-", "glcbt-", "glft-", "glimt-", "glagent-", "glsoat-", "glffct-", "glwt-"] {
            r.append(R(p, .gitlabToken, C.alnumUD | C.dot, 20, 120, .high, "gitlab-token"))
        }
        r.append(R("gloas-", .gitlabToken, C.hexL, 64, 64, .high, "gitlab-oauth-app-secret"))
        r.append(R("GR1348941", .gitlabToken, C.alnumUD, 20, 40, .high, "gitlab-runner-registration-token"))
        r.append(R("ATBB", .bitbucketToken, C.alnumUD | C.equals | C.dot, 24, 80, .medium, "bitbucket-app-password", .mixed))
        r.append(R("ATATT3", .atlassianAPIToken, C.alnumUD | C.equals, 150, 300, .high, "atlassian-api-token"))
        r.append(R("ATCTT3", .atlassianAPIToken, C.alnumUD | C.equals, 150, 300, .high, "atlassian-api-token"))
        r.append(R("pul-", .pulumiToken, C.hexL, 40, 40, .high, "pulumi-token"))
        r.append(R("dckr_pat_", .providerToken, C.base64URL, 27, 40, .high, "docker-hub-pat"))
        r.append(R("rubygems_", .providerToken, C.hexL, 48, 48, .high, "rubygems-api-key"))
        r.append(R("CLOJARS_", .providerToken, C.alnum, 60, 60, .high, "clojars-token"))
        r.append(R("oy2", .providerToken, C.lowerDigit, 43, 43, .medium, "nuget-api-key", .mixed))
        for p in ["pscale_tkn_", "pscale_pw_", "pscale_oauth_"] {
            r.append(R(p, .providerToken, C.alnumUD | C.dot, 32, 64, .high, "planetscale-token"))
        }
        // HashiCorp, secrets managers
        for p in ["hvs.", "hvb.", "hvr."] {
            r.append(R(p, .vaultToken, C.alnumUD, 24, 512, .high, "vault-token", .mixed))
        }
        for p in ["dp.pt.", "dp.st.", "dp.ct.", "dp.sa.", "dp.scim.", "dp.audit."] {
            r.append(R(p, .dopplerToken, C.alnum, 40, 44, .high, "doppler-token"))
        }
        r.append(R("ops_eyJ", .providerToken, C.base64 | C.equals | C.base64URL, 200, 4096, .high, "1password-service-account"))
        r.append(R("AGE-SECRET-KEY-1", .ageSecretKey, C.upperDigit, 58, 58, .high, "age-secret-key"))
        // Chat and SaaS
        for p in ["xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-", "xoxo-", "xoxe-", "xoxe.xoxp-"] {
            r.append(R(p, .slackToken, C.alnum | C.dash, 10, 255, .high, "slack-token", .slack))
        }
        r.append(R("xapp-", .slackToken, C.alnum | C.dash, 20, 255, .high, "slack-app-token", .slack))
        r.append(R("hooks.slack.com/", .slackWebhook, C.alnumUD | C.slash, 20, 200, .high, "slack-webhook", .slackWebhook))
        r.append(R("discord.com/api/webhooks/", .discordWebhook, C.alnumUD | C.slash, 20, 200, .high, "discord-webhook", .discordWebhook))
        r.append(R("discordapp.com/api/webhooks/", .discordWebhook, C.alnumUD | C.slash, 20, 200, .high, "discord-webhook", .discordWebhook))
        r.append(R("webhook.office.com/webhookb2/", .providerToken, C.alnumUD | C.slash | C.dot, 30, 400, .high, "teams-webhook"))
        r.append(R("hooks.zapier.com/hooks/catch/", .providerToken, C.alnum | C.slash, 8, 80, .high, "zapier-webhook", .hasDigit))
        r.append(R("tines.com/webhook/", .providerToken, C.alnum | C.slash, 40, 100, .high, "tines-webhook", .hasDigit))
        for p in ["sk_live_", "rk_live_"] {
            r.append(R(p, .stripeKey, C.alnum, 20, 255, .high, "stripe-live-key"))
        }
        for p in ["sk_test_", "rk_test_"] {
            r.append(R(p, .stripeKey, C.alnum, 20, 255, .medium, "stripe-test-key"))
        }
        r.append(R("whsec_", .stripeKey, C.base64, 24, 64, .medium, "stripe-webhook-secret", .mixed))
        r.append(R("pi_", .stripeKey, C.alnumU, 30, 100, .medium, "stripe-payment-intent-secret", .stripeIntent))
        r.append(R("SK", .twilioKey, C.lowerDigit, 32, 32, .medium, "twilio-api-key", .mixed))
        r.append(R("AC", .twilioKey, C.hexL, 32, 32, .low, "twilio-account-sid", .hexLower))
        r.append(R("SG.", .sendgridKey, C.alnumUD | C.dot, 40, 100, .high, "sendgrid-api-key", .sendgrid))
        for p in ["shpat_", "shpca_", "shppa_", "shpss_"] {
            r.append(R(p, .shopifyToken, C.hexAny, 32, 32, .high, "shopify-token"))
        }
        r.append(R("npm_", .npmToken, C.alnum, 36, 36, .high, "npm-token", .npm))
        r.append(R("pypi-AgEIcHlwaS5vcmc", .pypiToken, C.base64URL, 50, 400, .high, "pypi-token"))
        r.append(R("pypi-AgENdGVzdC5weXBpLm9yZw", .pypiToken, C.base64URL, 50, 400, .high, "pypi-test-token"))
        r.append(R("key-", .mailgunAPIKey, C.alnum, 32, 32, .medium, "mailgun-api-key", .mixed))
        r.append(R("PMAK-", .postmanAPIKey, C.alnum | C.dash, 59, 59, .high, "postman-api-key", .postman))
        r.append(R("lin_api_", .linearAPIKey, C.alnum, 40, 40, .high, "linear-api-key"))
        r.append(R("ntn_", .notionToken, C.alnum, 40, 50, .high, "notion-token", .mixed))
        r.append(R("secret_", .notionToken, C.alnum, 43, 43, .medium, "notion-integration-token", .mixed))
        r.append(R("pat-na1-", .hubspotToken, C.hexL | C.dash, 36, 36, .high, "hubspot-pat"))
        r.append(R("pat-eu1-", .hubspotToken, C.hexL | C.dash, 36, 36, .high, "hubspot-pat"))
        r.append(R("sq0atp-", .squareToken, C.base64URL, 22, 22, .high, "square-access-token"))
        r.append(R("sq0csp-", .squareToken, C.base64URL, 43, 43, .high, "square-oauth-secret"))
        r.append(R("EAAA", .squareToken, C.base64URL, 60, 60, .medium, "square-access-token", .mixed))
        r.append(R("shippo_live_", .providerToken, C.hexL, 40, 40, .high, "shippo-token"))
        r.append(R("FLWSECK-", .providerToken, C.hexL | C.dash, 32, 40, .high, "flutterwave-secret-key"))
        r.append(R("FLWSECK_TEST-", .providerToken, C.hexL | C.dash, 32, 40, .medium, "flutterwave-test-key"))
        r.append(R("xkeysib-", .providerToken, C.hexL | C.dash, 60, 90, .high, "brevo-api-key"))
        r.append(R("sl.", .providerToken, C.base64URL, 130, 200, .medium, "dropbox-token", .mixed))
        r.append(R("glc_", .grafanaToken, C.base64 | C.equals, 32, 400, .high, "grafana-cloud-token", .mixed))
        r.append(R("glsa_", .grafanaToken, C.alnumU, 41, 41, .high, "grafana-service-account-token"))
        r.append(R("eyJrIjoi", .grafanaToken, C.base64 | C.equals, 40, 200, .high, "grafana-api-key"))
        r.append(R("sntrys_", .sentryToken, C.base64 | C.equals | C.underscore, 50, 600, .high, "sentry-org-token"))
        r.append(R("sntryu_", .sentryToken, C.hexL, 64, 64, .high, "sentry-user-token"))
        r.append(R("NRAK-", .newRelicKey, C.upperDigit, 27, 27, .high, "new-relic-user-key"))
        r.append(R("NRJS-", .newRelicKey, C.hexL, 19, 19, .high, "new-relic-browser-key"))
        r.append(R("NRII-", .newRelicKey, C.alnumUD, 32, 32, .medium, "new-relic-insert-key"))
        r.append(R("dapi", .databricksToken, C.hexL, 32, 32, .medium, "databricks-token", .databricks))
        // AI providers
        r.append(R("sk-ant-", .anthropicAPIKey, C.base64URL, 32, 255, .high, "anthropic-api-key", .mixed))
        for p in ["sk-proj-", "sk-svcacct-", "sk-admin-", "sk-None-"] {
            r.append(R(p, .openaiAPIKey, C.base64URL, 20, 255, .high, "openai-api-key", .mixed))
        }
        r.append(R("sk-or-v1-", .providerToken, C.hexL, 64, 64, .high, "openrouter-api-key"))
        r.append(R("sk-", .openaiAPIKey, C.base64URL, 20, 255, .high, "openai-api-key", .openAI))
        r.append(R("hf_", .huggingfaceToken, C.alnum, 30, 40, .high, "huggingface-token", .mixed))
        r.append(R("api_org_", .huggingfaceToken, C.alnum, 34, 34, .high, "huggingface-org-token", .mixed))
        r.append(R("r8_", .replicateToken, C.alnum, 37, 40, .medium, "replicate-token", .mixed))
        for p in ["duffel_live_", "duffel_test_"] {
            r.append(R(p, .providerToken, C.base64URL, 40, 50, .high, "duffel-token", .mixed))
        }
        r.append(R("API-", .providerToken, C.upperDigit, 25, 32, .medium, "octopus-deploy-api-key", .mixed))
        r.append(R("spu-", .providerToken, C.alnum, 32, 32, .high, "spectralops-token", .mixed))
        r.append(R("pgar_", .providerToken, C.alnum, 27, 40, .high, "pganalyze-token", .mixed))
        r.append(R("rootly_", .providerToken, C.hexL, 64, 64, .high, "rootly-api-key"))
        r.append(R("BBDC-", .bitbucketToken, C.base64URL, 40, 48, .high, "bitbucket-data-center-token", .mixed))
        r.append(R("pat.", .providerToken, C.base64URL | C.dot, 60, 90, .medium, "harness-pat", .mixed))
        r.append(R("sk-lf-", .providerToken, C.hexL | C.dash, 36, 36, .medium, "langfuse-secret-key", .uuidShape))
        for p in ["api-", "sdk-"] {
            r.append(R(p, .providerToken, C.lowerDigit | C.dash, 36, 36, .medium, "launchdarkly-key", .uuidShape))
        }
        r.append(R("gsk_", .providerToken, C.alnum, 52, 52, .high, "groq-api-key"))
        r.append(R("pplx-", .providerToken, C.alnum, 48, 48, .high, "perplexity-api-key"))
        r.append(R("xai-", .providerToken, C.alnum, 80, 80, .high, "xai-api-key"))
        r.append(R("lsv2_pt_", .providerToken, C.alnumU, 40, 60, .high, "langsmith-api-key"))
        r.append(R("lsv2_sk_", .providerToken, C.alnumU, 40, 60, .high, "langsmith-api-key"))
        r.append(R("pcsk_", .providerToken, C.alnumU, 50, 100, .high, "pinecone-api-key"))
        // Structural rules that begin at a literal.
        r.append(R("-----BEGIN ", .privateKey, 0, 0, 0, .high, "private-key", .pem))
        r.append(R("eyJ", .jwt, C.base64URL, 10, 8192, .medium, "jwt", .jwt))
        return r
    }()

    /// Every rule's prefix in plain memory, grouped by first byte, longest first: copied from the
    /// constants of SecretTables.swift, so that the rules themselves (`all`, some two hundred
    /// allocations) are built only once a prefix is found.
    static let prefixIndex = SecretPrefixIndex(SecretTables.index)

    /// `prefixIndex`'s arrays, as computed from the rules.
    static func computedIndex() -> SecretPrefixIndex.Arrays { SecretPrefixIndex.arrays(all.map(\.prefix)) }

    /// One bit per hash of a prefix's first three bytes: the prefilter (`triples`, in
    /// SecretTables.swift). A two-byte prefix sets the bit of every third byte its body allows.
    static func computedTriples() -> [UInt64] {
        var bits = [UInt64](repeating: 0, count: 1024)
        func set(_ a: UInt8, _ b: UInt8, _ c: UInt8) {
            let v = triple(a, b, c)
            bits[v >> 6] |= 1 << UInt64(v & 63)
        }
        let cls = SecretByteClass.computedTable()
        for r in all {
            if r.prefix.count >= 3 {
                set(r.prefix[0], r.prefix[1], r.prefix[2])
            } else {
                for x in 0..<256 where cls[x] & r.body != 0 { set(r.prefix[0], r.prefix[1], UInt8(x)) }
            }
        }
        return bits
    }

    @inline(__always) static func triple(_ a: UInt8, _ b: UInt8, _ c: UInt8) -> Int {
        (Int(a) << 10 ^ Int(b) << 5 ^ Int(c)) & 0xFFFF
    }

    struct Match {
        var range: Range<Int>
        var confidence: Confidence
        var kind: SecretKind
        var id: String
    }

    /// Tries every rule whose prefix starts at `i`. The caller has checked the three-byte prefilter
    /// (so `i + 2 < n`) and that `i` starts a word.
    static func match(_ b: SecretBytes, at i: Int) -> Match? {
        // Prefixes are compared in the index, which copies no rule: a rule (whose prefix, id and
        // body are reference-counted) is read only when its prefix is there.
        let index = prefixIndex
        var pos = index.bucketStart(b, at: i)
        while let idx = index.nextRule(b, at: i, &pos) {
            if let m = apply(all[idx], b, i) { return m }
        }
        return nil
    }

    static func apply(_ rule: SecretPrefixRule, _ b: SecretBytes, _ i: Int) -> Match? {
        let s = i + rule.prefix.count
        switch rule.check {
        case .pem: return SecretStructuralRules.pem(b, at: i)
        case .jwt: return SecretStructuralRules.jwt(b, at: i)
        case .slackWebhook: return SecretStructuralRules.slackWebhook(b, at: i, bodyStart: s, rule: rule)
        case .discordWebhook: return SecretStructuralRules.discordWebhook(b, at: i, bodyStart: s, rule: rule)
        case .sas: return SecretStructuralRules.sas(b, at: i, bodyStart: s, rule: rule)
        case .sendgrid: return SecretStructuralRules.sendgrid(b, at: i, bodyStart: s, rule: rule)
        case .stripeIntent: return SecretStructuralRules.stripeIntent(b, at: i, bodyStart: s, rule: rule)
        default: break
        }
        let len = b.run(from: s, rule.body, limit: rule.maxLen + 1)
        guard len >= rule.minLen, len <= rule.maxLen else { return nil }
        var e = s + len
        var conf = rule.confidence
        switch rule.check {
        case .github:
            if len == 36 && b.run(from: s, C.alnum) == 36 {
                conf = SecretChecksum.base62CRCValid(b, s, 36) ? .high : .medium
            } else {
                conf = .medium
            }
        case .npm:
            conf = SecretChecksum.base62CRCValid(b, s, 36) ? .high : .medium
        case .awsID:
            if b.find("EXAMPLE", from: s, to: e) != nil { return nil }
            // A key id is a random mix: a body of one repeated letter is a placeholder.
            let shape = SecretValueShape(b, s, e)
            if shape.distinct < 6 { return nil }
        case .openAI:
            if b.find("T3BlbkFJ", from: s, to: e) != nil {
                conf = .high
            } else if len == 48 && b.run(from: s, C.alnum) == 48 && hasDigitAndLetter(b, s, e) {
                conf = .medium
            } else {
                return nil
            }
        case .slack:
            var dashes = 0, digits = 0
            for k in s..<e { if b[k] == UInt8(ascii: "-") { dashes += 1 } else if SecretASCII.isDigit(b[k]) { digits += 1 } }
            guard dashes >= 1, digits >= 6 else { return nil }
        case .hasDigit:
            var any = false
            for k in s..<e where SecretASCII.isDigit(b[k]) { any = true; break }
            guard any else { return nil }
        case .mixed:
            guard hasDigitAndLetter(b, s, e) else { return nil }
            if isPlaceholder(b, s, e) { return nil }
        case .hexLower:
            for k in s..<e where !(SecretASCII.isDigit(b[k]) || b[k] &- 97 < 6) { return nil }
        case .azureKey:
            while e < b.n && b[e] == UInt8(ascii: "=") && e - s < rule.maxLen + 2 { e += 1 }
            if isPlaceholder(b, s, e) { return nil }
            return Match(range: s..<e, confidence: conf, kind: rule.kind, id: rule.id)
        case .postman:
            guard b.at(s + 24) == UInt8(ascii: "-") else { return nil }
        case .databricks:
            if b.at(e) == UInt8(ascii: "-") && SecretASCII.isDigit(b.at(e + 1)) { e += 2 }
        case .uuidShape:
            for k in 0..<36 {
                let dash = b[s + k] == UInt8(ascii: "-")
                if dash != (k == 8 || k == 13 || k == 18 || k == 23) { return nil }
            }
            if SecretValueShape(b, s, e).distinct < 8 { return nil }
        default: break
        }
        // A body that runs on into more word bytes is some other, longer token.
        if rule.check != .databricks, b.isClass(e, C.alnum) { return nil }
        return Match(range: i..<e, confidence: conf, kind: rule.kind, id: rule.id)
    }

    @inline(__always) static func hasDigitAndLetter(_ b: SecretBytes, _ s: Int, _ e: Int) -> Bool {
        var d = false, l = false
        for k in s..<e {
            let c = b.cls[Int(b[k])]
            if c & C.digit != 0 { d = true } else if c & C.letter != 0 { l = true }
            if d && l { return true }
        }
        return false
    }

    /// Documentation placeholders: `xxxx`, `your…`, `EXAMPLE`, `<…>`, `changeme`, `****`.
    static func isPlaceholder(_ b: SecretBytes, _ s: Int, _ e: Int) -> Bool {
        for lit in placeholderWords where b.findFolded(lit, from: s, to: e) != nil { return true }
        return b.find("EXAMPLE", from: s, to: e) != nil
    }

    static let placeholderWords: [StaticString] = [
        "xxxx", "your", "placeholder", "changeme", "change_me", "redacted", "dummy", "****", "....",
        "<", "${", "{{", "insert", "replace", "sample", "example",
    ]
}

/// Rule prefixes, case-sensitive, grouped by a hash of their first two bytes with the longest
/// first (so that `sk-ant-` is tried before `sk-`; rules whose first two bytes differ cannot both
/// match, so buckets that share a hash may mix them), stored in plain memory so that the scan's hot
/// path does no reference counting. A prefix's first eight bytes are also kept as a word and a
/// mask, so that away from the end of the text one comparison tells whether a rule can apply.
/// Copied once, on first use, from the constants of SecretTables.swift, and never freed.
struct SecretPrefixIndex: @unchecked Sendable {
    private let text: UnsafeMutablePointer<UInt8>
    private let offsets: UnsafeMutablePointer<Int32>
    private let lengths: UnsafeMutablePointer<Int32>
    /// A prefix's first (up to) eight bytes as a little-endian word, and the mask of those bytes.
    private let heads: UnsafeMutablePointer<UInt64>
    private let masks: UnsafeMutablePointer<UInt64>
    /// Per hash of the first two bytes (`bucket`): the range of `order` holding its rules, as
    /// start << 16 | end.
    private let buckets: UnsafeMutablePointer<UInt32>
    /// Rule indices, bucket after bucket.
    private let order: UnsafeMutablePointer<Int32>

    /// The index's contents as arrays: what SecretTables.swift holds as constants.
    struct Arrays: Equatable {
        var text: [UInt8]
        var offsets: [Int32]
        var lengths: [Int32]
        var heads: [UInt64]
        var masks: [UInt64]
        var buckets: [UInt32]
        var order: [Int32]
    }

    init(_ arrays: Arrays) {
        func copy<T>(_ array: [T]) -> UnsafeMutablePointer<T> {
            let pointer = UnsafeMutablePointer<T>.allocate(capacity: max(array.count, 1))
            array.withUnsafeBufferPointer { if let base = $0.baseAddress { pointer.initialize(from: base, count: $0.count) } }
            return pointer
        }
        precondition(arrays.buckets.count == 1024 && arrays.offsets.count == arrays.order.count)
        text = copy(arrays.text)
        offsets = copy(arrays.offsets)
        lengths = copy(arrays.lengths)
        heads = copy(arrays.heads)
        masks = copy(arrays.masks)
        buckets = copy(arrays.buckets)
        order = copy(arrays.order)
    }

    static func arrays(_ prefixes: [[UInt8]]) -> Arrays {
        var arrays = Arrays(text: [], offsets: [], lengths: [], heads: [], masks: [], buckets: [], order: [])
        var off = 0
        for prefix in prefixes {
            precondition(!prefix.isEmpty)
            var head: UInt64 = 0, mask: UInt64 = 0
            for (j, x) in prefix.enumerated() {
                arrays.text.append(x)
                if j < 8 {
                    head |= UInt64(x) << UInt64(8 * j)
                    mask |= 0xFF << UInt64(8 * j)
                }
            }
            arrays.heads.append(head)
            arrays.masks.append(mask)
            arrays.offsets.append(Int32(off))
            arrays.lengths.append(Int32(prefix.count))
            off += prefix.count
        }
        precondition(prefixes.allSatisfy { $0.count >= 2 }, "buckets are keyed by two bytes")
        // Rules by bucket, then longest prefix first, then in table order.
        let keys = prefixes.map { Self.bucket($0[0], $0[1]) }
        // Sorted as one integer per rule (bucket, then 1023 - length, then index, ten bits each).
        precondition(prefixes.count < 1024 && prefixes.allSatisfy { $0.count < 1024 }, "sort keys hold ten bits")
        let sorted = prefixes.indices.map { keys[$0] << 20 | (1023 - prefixes[$0].count) << 10 | $0 }.sorted().map { $0 & 1023 }
        arrays.buckets = [UInt32](repeating: 0, count: 1024)
        arrays.order = [Int32](repeating: 0, count: prefixes.count)
        for (pos, r) in sorted.enumerated() {
            arrays.order[pos] = Int32(r)
            let start = arrays.buckets[keys[r]] == 0 ? pos : Int(arrays.buckets[keys[r]] >> 16)
            arrays.buckets[keys[r]] = UInt32(start) << 16 | UInt32(pos + 1)
        }
        return arrays
    }

    @inline(__always) static func bucket(_ a: UInt8, _ b: UInt8) -> Int { (Int(a) << 3 ^ Int(b)) & 1023 }

    /// Where the rules for the two bytes at `i` (`i + 1 < n`) begin in `order`: a cursor for `nextRule`.
    @inline(__always) func bucketStart(_ b: SecretBytes, at i: Int) -> Int { Int(buckets[Self.bucket(b[i], b[i + 1])] >> 16) }

    /// The next rule from the cursor `pos` on whose prefix is at `i`, or nil when there is none;
    /// moves the cursor past it.
    @inline(__always) func nextRule(_ b: SecretBytes, at i: Int, _ pos: inout Int) -> Int? {
        let end = Int(buckets[Self.bucket(b[i], b[i + 1])] & 0xFFFF)
        let word = i + 8 <= b.n ? b.word(at: i) : nil
        while pos < end {
            let r = Int(order[pos])
            pos += 1
            let len = Int(lengths[r])
            var j = 0
            if let word {
                // The first eight bytes at once; the rest (of long prefixes) one by one.
                guard word & masks[r] == heads[r] else { continue }
                if len <= 8 { return r }
                j = 8
            }
            guard i + len <= b.n else { continue }
            let t = text + Int(offsets[r])
            while j < len && b[i + j] == t[j] { j += 1 }
            if j == len { return r }
        }
        return nil
    }
}

enum SecretChecksum {
    static let crcTable: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func crc32<S: Sequence>(_ bytes: S) -> UInt32 where S.Element == UInt8 {
        var c: UInt32 = 0xFFFF_FFFF
        let t = crcTable
        for x in bytes { c = t[Int((c ^ UInt32(x)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }

    /// `0-9A-Za-z` digit value, or nil.
    @inline(__always) static func base62(_ x: UInt8) -> UInt64? {
        if x &- 48 < 10 { return UInt64(x - 48) }
        if x &- 65 < 26 { return UInt64(x - 65 + 10) }
        if x &- 97 < 26 { return UInt64(x - 97 + 36) }
        return nil
    }

    /// GitHub/npm: the last 6 of `len` body bytes are base62 of the CRC32 of the first `len - 6`.
    static func base62CRCValid(_ b: SecretBytes, _ s: Int, _ len: Int) -> Bool {
        guard s + len <= b.n, len > 6 else { return false }
        var c: UInt32 = 0xFFFF_FFFF
        let t = crcTable
        for k in s..<(s + len - 6) { c = t[Int((c ^ UInt32(b[k])) & 0xFF)] ^ (c >> 8) }
        c ^= 0xFFFF_FFFF
        var v: UInt64 = 0
        for k in (s + len - 6)..<(s + len) {
            guard let d = base62(b[k]) else { return false }
            v = v * 62 + d
        }
        return v == UInt64(c)
    }

    static func base62Encode(_ value: UInt32, width: Int) -> [UInt8] {
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
        var v = value
        var out: [UInt8] = []
        while v > 0 { out.append(alphabet[Int(v % 62)]); v /= 62 }
        while out.count < width { out.append(UInt8(ascii: "0")) }
        return out.reversed()
    }
}
