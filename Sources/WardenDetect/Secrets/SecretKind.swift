/// The secret kinds Warden reports. A kind is what a policy turns on or off and what redaction
/// writes; a rule id (`Finding.rule`) is finer and names the format or provider that matched.
/// Kept to a number people can configure: well-known providers have a kind of their own, other
/// documented provider formats share `PROVIDER_TOKEN`, keyword-gated values are `GENERIC_SECRET`.
enum SecretKind: UInt8, CaseIterable, Sendable {
    // In the order of their names: the catalogue lists kinds by name without sorting them at
    // every hook start (WardenDetectTests checks the order).
    case adyenAPIKey, ageSecretKey, alibabaAccessKey, anthropicAPIKey, atlassianAPIToken, awsAccessKeyID
    case awsSecretAccessKey, awsSessionToken, azureADClientSecret, azureKey, bitbucketToken, braintreeToken
    case cloudflareAPIKey, databaseURLPassword, databricksToken, datadogAPIKey, digitaloceanToken
    case discordToken, discordWebhook, dopplerToken, flyioToken, gcpAPIKey, gcpServiceAccountKey
    case genericSecret, githubToken, gitlabToken, googleOAuthToken, grafanaToken, herokuAPIKey, hubspotToken
    case huggingfaceToken, jwt, linearAPIKey, mailchimpAPIKey, mailgunAPIKey, netlifyToken, newRelicKey
    case notionToken, npmToken, oktaToken, openaiAPIKey, postmanAPIKey, privateKey, providerToken
    case pulumiToken, pypiToken, replicateToken, sendgridKey, sentryToken, shopifyToken, slackToken
    case slackWebhook, squareToken, stripeKey, supabaseKey, telegramBotToken, tencentAccessKey
    case terraformToken, twilioKey, urlPassword, vaultToken, vercelToken

    var name: String {
        switch self {
        case .awsAccessKeyID: "AWS_ACCESS_KEY_ID"
        case .awsSecretAccessKey: "AWS_SECRET_ACCESS_KEY"
        case .gcpServiceAccountKey: "GCP_SERVICE_ACCOUNT_KEY"
        case .gcpAPIKey: "GCP_API_KEY"
        case .azureKey: "AZURE_KEY"
        case .githubToken: "GITHUB_TOKEN"
        case .gitlabToken: "GITLAB_TOKEN"
        case .bitbucketToken: "BITBUCKET_TOKEN"
        case .slackToken: "SLACK_TOKEN"
        case .slackWebhook: "SLACK_WEBHOOK"
        case .stripeKey: "STRIPE_KEY"
        case .twilioKey: "TWILIO_KEY"
        case .sendgridKey: "SENDGRID_KEY"
        case .shopifyToken: "SHOPIFY_TOKEN"
        case .npmToken: "NPM_TOKEN"
        case .pypiToken: "PYPI_TOKEN"
        case .anthropicAPIKey: "ANTHROPIC_API_KEY"
        case .openaiAPIKey: "OPENAI_API_KEY"
        case .privateKey: "PRIVATE_KEY"
        case .jwt: "JWT"
        case .databaseURLPassword: "DATABASE_URL_PASSWORD"
        case .urlPassword: "URL_PASSWORD"
        case .genericSecret: "GENERIC_SECRET"
        case .datadogAPIKey: "DATADOG_API_KEY"
        case .herokuAPIKey: "HEROKU_API_KEY"
        case .digitaloceanToken: "DIGITALOCEAN_TOKEN"
        case .mailgunAPIKey: "MAILGUN_API_KEY"
        case .mailchimpAPIKey: "MAILCHIMP_API_KEY"
        case .hubspotToken: "HUBSPOT_TOKEN"
        case .linearAPIKey: "LINEAR_API_KEY"
        case .notionToken: "NOTION_TOKEN"
        case .dopplerToken: "DOPPLER_TOKEN"
        case .vaultToken: "VAULT_TOKEN"
        case .terraformToken: "TERRAFORM_TOKEN"
        case .grafanaToken: "GRAFANA_TOKEN"
        case .sentryToken: "SENTRY_TOKEN"
        case .newRelicKey: "NEW_RELIC_KEY"
        case .databricksToken: "DATABRICKS_TOKEN"
        case .huggingfaceToken: "HUGGINGFACE_TOKEN"
        case .replicateToken: "REPLICATE_TOKEN"
        case .discordToken: "DISCORD_TOKEN"
        case .discordWebhook: "DISCORD_WEBHOOK"
        case .telegramBotToken: "TELEGRAM_BOT_TOKEN"
        case .postmanAPIKey: "POSTMAN_API_KEY"
        case .pulumiToken: "PULUMI_TOKEN"
        case .flyioToken: "FLYIO_TOKEN"
        case .supabaseKey: "SUPABASE_KEY"
        case .vercelToken: "VERCEL_TOKEN"
        case .netlifyToken: "NETLIFY_TOKEN"
        case .cloudflareAPIKey: "CLOUDFLARE_API_KEY"
        case .oktaToken: "OKTA_TOKEN"
        case .squareToken: "SQUARE_TOKEN"
        case .braintreeToken: "BRAINTREE_TOKEN"
        case .adyenAPIKey: "ADYEN_API_KEY"
        case .ageSecretKey: "AGE_SECRET_KEY"
        case .alibabaAccessKey: "ALIBABA_ACCESS_KEY"
        case .tencentAccessKey: "TENCENT_ACCESS_KEY"
        case .googleOAuthToken: "GOOGLE_OAUTH_TOKEN"
        case .azureADClientSecret: "AZURE_AD_CLIENT_SECRET"
        case .awsSessionToken: "AWS_SESSION_TOKEN"
        case .atlassianAPIToken: "ATLASSIAN_API_TOKEN"
        case .providerToken: "PROVIDER_TOKEN"
        }
    }

    /// Built on first use (a scan or a catalogue lookup), never at process start.
    static let detectionKinds: [DetectionKind] = allCases.map { DetectionKind($0.name, .secret) }

    var detectionKind: DetectionKind { Self.detectionKinds[Int(rawValue)] }

    /// Generic kinds lose an overlap against a provider's kind of the same confidence.
    var isGeneric: Bool { self == .genericSecret || self == .urlPassword }
}

