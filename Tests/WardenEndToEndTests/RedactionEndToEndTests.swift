import Foundation
import Testing

/// Secrets and personal data in tool output and prompts, through the real Claude Code CLI: what
/// the scripted model server receives is what a real model would have seen.
@Suite(
    "Claude Code end to end: redaction",
    .enabled("the Claude Code CLI is not installed (Scripts/install-claude-code.sh, or set WARDEN_CLAUDE_BIN)") {
        await ClaudeCode.shouldRun()
    }
)
struct RedactionEndToEndTests {
    /// Every value of customers.csv that must not reach the model, with the kind that replaces it.
    static let customers: [(value: String, kind: String)] = [
        ("ada.lovelace" + "@" + "analytical.co.uk", "EMAIL"),
        ("+44 20 7946" + " 0958", "PHONE_NUMBER"),
        ("4111 1111 1111" + " 1111", "CREDIT_CARD"),
        ("078-05" + "-1120", "US_SSN"),
        ("GB82 WEST 1234" + " 5698 7654 32", "IBAN"),
        ("grace.hopper" + "@" + "navy-cobol.org", "EMAIL"),
        ("(415) 555" + "-2671", "PHONE_NUMBER"),
        ("5500 0000 0000" + " 0004", "CREDIT_CARD"),
        ("219-09" + "-9999", "US_SSN"),
        ("DE89 3704 0044 0532" + " 0130 00", "IBAN"),
    ]

    static var customersCSV: String {
        "name,email,phone,card,ssn,iban\n"
            + "Ada Lovelace,\(customers[0].value),\(customers[1].value),\(customers[2].value),\(customers[3].value),\(customers[4].value)\n"
            + "Grace Hopper,\(customers[5].value),\(customers[6].value),\(customers[7].value),\(customers[8].value),\(customers[9].value)\n"
    }

    static let benign = "swift-6.3.1 commit 4f6cde8a9b0c1d2e3f405162738495a6b7c8d9e0 id 123e4567-e89b-12d3-a456-426614174000 build v1.2.3.4 sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

    static let policy = #"{"permissions": {"deny": ["Read(**/.env)"]}}"#

    @Test("customers.csv reaches the model redacted through Bash, a failing Bash command and Read; benign output is intact")
    func customerDataIsRedactedOnEveryPath() async throws {
        let claude = try await ClaudeCode.requireBinary()
        let session = ClaudeCodeSession(
            script: [
                .bash("cat customers.csv", description: "Show the customers"),
                .bash("cat customers.csv; exit 1", description: "Show the customers, then fail"),
                .read("@PROJECT@/customers.csv"),
                .bash("cat build-info.txt", description: "Show the build info"),
                .text("done"),
            ],
            projectFiles: ["customers.csv": Self.customersCSV, "build-info.txt": Self.benign + "\n"],
            hook: .warden(policy: Self.policy),
            arguments: ["--allowedTools", "Bash(exit:*)"]
        )
        let outcome = try await ClaudeCode.run(session, claude: claude)
        try #require(outcome.succeeded, "\(outcome.diagnostics)")
        #expect(outcome.mainRequests.compactMap(\.turn).max() == 4, "the script did not run to its end\n\(outcome.diagnostics)")

        for (value, _) in Self.customers {
            #expect(!outcome.serverReceived(value), "\(value.prefix(4))… reached the model\n\(outcome.diagnostics)")
        }

        let cat = try #require(outcome.bashExchange("cat customers.csv"), "\(outcome.diagnostics)")
        let failing = try #require(outcome.bashExchange("cat customers.csv; exit 1"), "\(outcome.diagnostics)")
        let read = try #require(outcome.toolExchanges.first { $0.name == "Read" }, "\(outcome.diagnostics)")
        #expect(failing.isError, "the failing command was not reported as failing: \(failing.text)")
        for exchange in [cat, failing, read] {
            for kind in ["EMAIL", "PHONE_NUMBER", "CREDIT_CARD", "US_SSN", "IBAN"] {
                #expect(exchange.text.contains("[REDACTED:\(kind)]"), "\(exchange.name) \(exchange.input): no \(kind) placeholder in \(exchange.text)")
            }
            #expect(exchange.text.contains("Ada Lovelace"), "the rest of the text was lost: \(exchange.text)")
        }

        let info = try #require(outcome.bashExchange("cat build-info.txt"), "\(outcome.diagnostics)")
        #expect(info.text.contains(Self.benign), "benign output was changed: \(info.text)")
    }

    @Test("under pseudonyms a value has one name in every tool output of the session, failing commands included")
    func pseudonymsHoldAcrossTheSession() async throws {
        let claude = try await ClaudeCode.requireBinary()
        let session = ClaudeCodeSession(
            script: [
                .bash("cat customers.csv; exit 1", description: "Show the customers, then fail"),
                .read("@PROJECT@/customers.csv"),
                .bash("cat customers.csv", description: "Show the customers"),
                .text("done"),
            ],
            projectFiles: ["customers.csv": Self.customersCSV],
            hook: .warden(policy: #"{"warden": {"detection": {"style": "pseudonym"}}}"#),
            arguments: ["--allowedTools", "Bash(exit:*)"]
        )
        let outcome = try await ClaudeCode.run(session, claude: claude)
        try #require(outcome.succeeded, "\(outcome.diagnostics)")
        for (value, _) in Self.customers {
            #expect(!outcome.serverReceived(value), "\(value.prefix(4))… reached the model\n\(outcome.diagnostics)")
        }
        // The failing command's output is named by the shell prefix, the others by the hook: one book.
        let ada = "Ada Lovelace,<EMAIL_1>,<PHONE_NUMBER_1>,<CREDIT_CARD_1>,<US_SSN_1>,<IBAN_1>"
        let grace = "Grace Hopper,<EMAIL_2>,<PHONE_NUMBER_2>,<CREDIT_CARD_2>,<US_SSN_2>,<IBAN_2>"
        let failing = try #require(outcome.bashExchange("cat customers.csv; exit 1"), "\(outcome.diagnostics)")
        let read = try #require(outcome.toolExchanges.first { $0.name == "Read" }, "\(outcome.diagnostics)")
        let cat = try #require(outcome.bashExchange("cat customers.csv"), "\(outcome.diagnostics)")
        for exchange in [failing, read, cat] {
            #expect(exchange.text.contains(ada) && exchange.text.contains(grace), "\(exchange.name) \(exchange.input): \(exchange.text)")
        }
    }

    @Test("without Warden, all of customers.csv reaches the model (the control)")
    func withoutWardenCustomerDataLeaks() async throws {
        let claude = try await ClaudeCode.requireBinary()
        let session = ClaudeCodeSession(
            script: [.bash("cat customers.csv", description: "Show the customers"), .text("done")],
            projectFiles: ["customers.csv": Self.customersCSV],
            hook: .none
        )
        let outcome = try await ClaudeCode.run(session, claude: claude)
        try #require(outcome.succeeded, "\(outcome.diagnostics)")
        for (value, _) in Self.customers {
            #expect(outcome.serverReceived(value), "the control did not see \(value.prefix(4))…")
        }
    }

    @Test("a prompt carrying an AWS key never reaches the model; Claude Code shows Warden's reason")
    func aPromptWithASecretIsBlocked() async throws {
        let claude = try await ClaudeCode.requireBinary()
        let key = "AKIA" + "Z7QRSTUVWXY23456"
        let secretKey = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYzQ9x8Lm2Vt4s"
        let session = ClaudeCodeSession(
            prompt: "Deploy with aws_access_key_id=\(key) and aws_secret_access_key=\(secretKey) please.",
            script: [.text("done")],
            hook: .warden(policy: Self.policy)
        )
        let outcome = try await ClaudeCode.run(session, claude: claude)
        #expect(!outcome.serverReceived(key), "the key reached the model\n\(outcome.diagnostics)")
        #expect(!outcome.serverReceived(secretKey), "the secret key reached the model\n\(outcome.diagnostics)")
        #expect(outcome.mainRequests.isEmpty, "the prompt was sent to the model\n\(outcome.diagnostics)")
        let shown = outcome.stdout + outcome.stderr
        #expect(shown.contains("AWS_ACCESS_KEY_ID"), "Claude Code did not show Warden's reason\n\(outcome.diagnostics)")
        // Claude Code echoes the blocked prompt to the user who typed it ("Original prompt: …"):
        // that stays on the user's terminal, which the assertions on the server above cover.
    }
}
