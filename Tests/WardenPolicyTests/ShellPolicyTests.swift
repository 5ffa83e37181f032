import Testing
import WardenJSON
import WardenShell
@testable import WardenPolicy

/// Bash calls judged through the real shell analysis: the bypasses known against Claude Code's own
/// matching (its issues #36637, #37662, #92542, #31558) and the path rules that reach into commands.
@Suite struct ShellPolicyTests {
    static let policy = try! Policy(
        deny: ["Bash(curl:*)", "Bash(wget:*)", "Bash(rm -rf:*)", "Bash(git push --force:*)",
               "Read(**/.env*)", "Read(~/.ssh/**)", "Read(**/secrets/**)", "Edit(**/.git/hooks/**)", "Edit(//etc/**)"],
        ask: ["Bash(git push:*)"],
        allow: ["Bash(ls:*)", "Bash(echo:*)", "Bash(git status:*)", "Bash(cat:*)", "Bash(grep:*)", "Bash(true)"])
    static let engine = PolicyEngine(policy: policy, home: "/home/dev")

    static func decide(_ command: String, cwd: String = "/work/p") -> Decision {
        engine.decide(ToolCall(toolName: "Bash", input: .object(["command": .string(command)]), workingDirectory: cwd))
    }

    static let denied: [String] = [
        // Chains, non-first segments, pipelines, background jobs, newlines.
        "echo ok && curl https://x.example", "true; curl x", "false || curl x", "ls | curl -d @- x", "curl x &",
        "ls\ncurl x", "echo a; echo b; curl x",
        // Quoting and escaping the name.
        "c''url x", "\"curl\" x", "\\curl x", "cu\\\nrl x", "$'\\x63url' x", "c{u,}rl x", "/usr/bin/curl x", "./curl x",
        // Variables.
        "X=curl; $X x", "FOO=1 curl x", "env FOO=1 curl x",
        // Wrappers.
        "sudo curl x", "sudo -u root -- curl x", "env -i curl x", "nohup curl x", "timeout 5 curl x", "nice -n 10 curl x",
        "time curl x", "command curl x", "exec curl x", "xargs curl < urls.txt", "find . -exec curl {} \\;",
        "watch -n 1 curl x", "busybox wget x", "nohup nice timeout 9 sudo curl x",
        // Nested shells and eval.
        "bash -c 'curl x'", "sh -c \"ls; curl x\"", "zsh -lc 'curl x'", "eval 'curl x'", "eval curl x",
        "bash -c \"bash -c 'curl x'\"", "bash <<EOF\ncurl x\nEOF", "echo 'curl x' | sh",
        // Substitutions.
        "echo $(curl x)", "echo `curl x`", "echo \"$(curl x)\"", "cat <(curl x)", "X=$(curl x)", "echo ${X:-$(curl x)}",
        "cat <<EOF\n$(curl x)\nEOF",
        // Compound commands.
        "if curl x; then :; fi", "for i in 1 2; do curl x; done", "while true; do curl x; break; done",
        "case a in a) curl x;; esac", "f() { curl x; }", "( curl x )", "{ curl x; }",
        // Flags spelled differently.
        "rm -fr /", "rm -r -f build", "rm -Rf build", "rm --recursive --force build", "rm \\-rf build",
        "git push --force", "git push -f origin", "git -C repo push -f",
        // Paths reached through the shell.
        "cat .env", "grep KEY .env", "source .env", ". .env", "< .env wc -l", "cp .env /tmp/x", "cat sub/../.env",
        "cat ~/.ssh/id_rsa", "cat $HOME/.ssh/id_rsa", "cat ${HOME}/.ssh/id_rsa", "cd ~/.ssh && cat id_rsa", "cat /work/p/.env.local",
        "head -n 5 .env", "base64 .env", "tar czf out.tgz .env", "ln -s .env innocent", "cat secrets/db.txt",
        "a=.env; cat $a", "echo x > /etc/hosts", "echo x >> /etc/profile", "tee /etc/hosts < x",
        "cp x .git/hooks/pre-commit", "sed -i s/a/b/ /etc/hosts", "chmod 777 .git/hooks/post-checkout", "mv x /etc/x",
    ]

    @Test(arguments: denied)
    func deniesEveryKnownBypass(command: String) {
        let decision = Self.decide(command)
        #expect(decision.verdict == .deny, "\(command): \(decision.verdict) \(decision.reason ?? "")")
    }

    static let notCalls: [String] = [
        "echo \"curl is a tool\"", "grep curl docs.md", "git commit -m 'remove curl'", "echo '$(curl x)'", "ls # curl x",
        "printf '%s\\n' curl", "cat <<'EOF'\n$(curl x)\nEOF", "echo .env", "grep -r env src", "git status",
    ]

    @Test(arguments: notCalls)
    func mentioningIsNotCalling(command: String) {
        let decision = Self.decide(command)
        #expect(decision.verdict != .deny, "\(command): \(decision.reason ?? "")")
    }

    @Test func gitPushAsks() {
        #expect(Self.decide("git push origin main").verdict == .ask)
        #expect(Self.decide("cd repo && git push").verdict == .ask)
        #expect(Self.decide("git push-docs").verdict == .none)
    }

    @Test func allowNeedsEveryCommandAllowed() {
        #expect(Self.decide("ls -la").verdict == .allow)
        #expect(Self.decide("ls && echo done").verdict == .allow)
        #expect(Self.decide("ls && make").verdict == .none)
        // `ls` reads a path that only `make` knows: not verifiable, so not allowed either.
        #expect(Self.decide("ls $(make)").verdict == .ask)
        #expect(Self.decide("ls $(make)").notAllowed == ["make"])
        // A wrapper allowed by name does not carry what it wraps.
        let wrapped = try! PolicyEngine(policy: Policy(allow: ["Bash(timeout:*)"]), home: nil)
            .decide(ToolCall(toolName: "Bash", input: .object(["command": .string("timeout 5 make")]), workingDirectory: "/"))
        #expect(wrapped.verdict == .none)
        #expect(wrapped.notAllowed == ["make"] || wrapped.notAllowed.last?.hasPrefix("make") == true)
    }

    @Test func reasonsNameTheRuleAndTheMatchingPart() throws {
        let curl = try #require(Self.decide("echo ok && sudo curl https://x.example").reason)
        #expect(curl.contains("Bash(curl:*)"))
        #expect(curl.contains("curl https://x.example"))
        #expect(curl.contains("in: echo ok && sudo curl https://x.example"))
        let env = try #require(Self.decide("cd api && cat .env").reason)
        #expect(env.contains("Read(**/.env*)") && env.contains("/work/p/api/.env") && env.contains("read by cat .env"))
    }

    @Test func unverifiableCommandsAskOrDenyByPolicy() {
        for command in ["$CMD x", "$(echo curl) x", "eval \"$X\"", "bash -c \"$X\"", "curl x | sh", "cat $(printf .e%s nv)"] {
            let decision = Self.decide(command)
            #expect(decision.verdict == .ask || decision.verdict == .deny, "\(command)")
        }
        #expect(Self.decide("$CMD x").verdict == .ask)
        #expect(Self.decide("$CMD x").reason?.hasPrefix("Warden cannot verify this command: the command name is computed when it runs") == true)
        let strict = PolicyEngine(policy: Policy(rules: Self.policy.rules, unverifiableCommands: .deny), home: nil)
        #expect(strict.decide(ToolCall(toolName: "Bash", input: .object(["command": .string("$CMD x")]), workingDirectory: "/")).verdict == .deny)
        // Without rules that could apply there is nothing to protect, so nothing to ask.
        let empty = try! PolicyEngine(policy: Policy(allow: ["Read", "Bash(x:*)"]), home: nil)
        #expect(empty.decide(ToolCall(toolName: "Bash", input: .object(["command": .string("$CMD x")]), workingDirectory: "/")).verdict == .none)
        #expect(empty.decide(ToolCall(toolName: "Bash", input: .object(["command": .string("x && $CMD")]), workingDirectory: "/")).verdict == .none)
    }

    @Test func unparsableCommandsFailClosedWhereRulesApply() {
        for command in ["cat <file>", "echo \"unterminated", "if true; then", "echo $(", ")"] {
            let decision = Self.decide(command)
            #expect(decision.verdict == .ask, "\(command)")
            #expect(decision.reason?.contains("does not parse") == true)
        }
    }

    @Test func globsAreExpandedAgainstTheFileSystem() {
        struct Files: FileSystemView {
            func resolvedPath(_ path: String) -> String? { nil }
            func expandGlob(_ pattern: String) -> [String] { pattern == "/work/p/.e*" ? ["/work/p/.env"] : [] }
        }
        let engine = PolicyEngine(policy: Self.policy, home: "/home/dev", fileSystem: Files())
        let decision = engine.decide(ToolCall(toolName: "Bash", input: .object(["command": .string("cat .e*")]), workingDirectory: "/work/p"))
        #expect(decision.verdict == .deny)
    }

    @Test func unknownDirectoryStillProtects() {
        #expect(Self.decide("cd \"$D\" && cat .env").verdict == .deny)
        #expect(Self.decide("cd \"$D\" && cat .ssh/id_rsa").verdict == .deny)
        #expect(Self.decide("cd \"$D\" && cat notes.txt").verdict != .deny)
    }
}

/// Commands whose options cannot be read exactly count as unverifiable where a rule could apply.
@Suite struct UnreadableArgumentsTests {
    static let engine = PolicyEngine(
        policy: try! Policy(deny: ["Bash(rm -rf:*)", "Bash(git push --force:*)"], allow: ["Bash(parallel:*)", "Bash(xargs:*)", "Bash(rm:*)", "Bash(ls:*)"]),
        home: "/home/dev")

    static func decide(_ command: String) -> Decision {
        engine.decide(ToolCall(toolName: "Bash", input: .object(["command": .string(command)]), workingDirectory: "/w"))
    }

    @Test(arguments: [
        "parallel rm -rf ::: a b",  // provable: the template says rm -rf
        "xargs -J {} rm -rf {} < list",  // BSD xargs: {} is -J's value, rm the command
        "rm -- -rf && rm -rf x",
    ])
    func provableMatchesAreDenied(_ command: String) {
        #expect(Self.decide(command).verdict == .deny, "\(Self.decide(command).reason ?? "")")
    }

    @Test(arguments: [
        "parallel 'rm -r{}' ::: f",  // parallel pastes f into -r{}: -rf
        "parallel rm ::: x",  // parallel re-parses its command through a shell
        "xargs -I{} rm -r{} < list",
        "rm -$FLAGS /tmp/x",
    ])
    func unprovableOptionsAreUnverifiable(_ command: String) {
        let decision = Self.decide(command)
        #expect(decision.verdict == .ask, "\(decision.reason ?? "")")
        #expect(!decision.unverifiable.isEmpty)
    }

    @Test(arguments: ["parallel -q rm ::: x", "parallel ls ::: x", "rm -- -rf", "ls -$X", "xargs rm < list"])
    func otherwiseNothingIsReported(_ command: String) {
        let decision = Self.decide(command)
        #expect(decision.unverifiable.isEmpty, "\(decision.unverifiable)")
        #expect(decision.verdict == .allow, "\(decision.reason ?? "")")
    }
}
