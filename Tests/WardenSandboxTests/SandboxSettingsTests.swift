import Testing
import WardenPolicy

@Suite("Reading sandbox and warden.sandbox")
struct SandboxSettingsTests {
    func load(_ text: String) -> (policy: Policy?, problems: [String]) {
        let (policy, problems) = Policy.load(text: text, path: "/etc/claude-code/managed-settings.json")
        return (policy, problems.map(\.description))
    }

    @Test("defaults: failIfUnavailable true, not required, limits that stop a fork bomb but not a build")
    func defaults() throws {
        let settings = try #require(load("{}").policy).sandbox
        #expect(settings.failIfUnavailable)
        #expect(!settings.required)
        #expect(settings.enabled == nil)
        #expect(settings.limits == SandboxLimitSettings(processes: 4096, memoryMegabytes: 8192, openFiles: 8192))
    }

    @Test("every key is read")
    func everyKey() throws {
        let text = """
            {"sandbox": {"enabled": true, "failIfUnavailable": false, "autoAllowBashIfSandboxed": true,
              "excludedCommands": ["docker"], "allowUnsandboxedCommands": false, "enableWeakerNestedSandbox": true,
              "ignoreViolations": {"npm *": ["/tmp"]}, "network": {"allowedDomains": ["github.com"]},
              "filesystem": {"allowWrite": ["~/.kube"], "denyWrite": ["//etc"], "denyRead": ["~/.aws"], "allowRead": ["~/.aws/config"]}},
             "warden": {"sandbox": {"required": true, "environment": {"keep": ["GH_TOKEN"]},
               "limits": {"processes": 100, "memoryMegabytes": 256, "openFiles": 64}, "network": {}}}}
            """
        let (policy, problems) = load(text)
        #expect(problems == [])
        let settings = try #require(policy).sandbox
        #expect(settings.enabled == true)
        #expect(!settings.failIfUnavailable)
        #expect(settings.excludedCommands == ["docker"])
        #expect(settings.ignoreViolations == ["npm *": ["/tmp"]])
        #expect(settings.allowWrite.map(\.text) == ["~/.kube"])
        #expect(settings.denyRead.map(\.text) == ["~/.aws"])
        #expect(settings.required)
        #expect(settings.environmentKeep == ["GH_TOKEN"])
        #expect(settings.limits == SandboxLimitSettings(processes: 100, memoryMegabytes: 256, openFiles: 64))
    }

    @Test("errors name the key and the line:column", arguments: [
        (#"{"sandbox": {"enabled": "yes"}}"#, "1:25: error: sandbox.enabled must be true or false, found string"),
        (#"{"sandbox": {"filesystem": {"denyRead": "~/.aws"}}}"#, "1:41: error: sandbox.filesystem.denyRead must be an array of path strings, found string"),
        (#"{"sandbox": {"filesystem": {"denyRead": ["[a"]}}}"#, "1:42: error: sandbox.filesystem.denyRead entry \"[a\": '[' without a closing ']'"),
        (#"{"warden": {"sandbox": {"requierd": true}}}"#, "1:25: error: unknown Warden sandbox setting \"requierd\" (known: required, environment, limits, network)"),
        (#"{"warden": {"sandbox": {"limits": {"processes": 0}}}}"#, "1:49: error: warden.sandbox.limits.processes must be a positive integer"),
        (#"{"warden": {"sandbox": {"environment": {"keep": ["A-B"]}}}}"#, "1:50: error: warden.sandbox.environment.keep: \"A-B\" is not an environment variable name"),
    ])
    func errors(text: String, expected: String) {
        let (policy, problems) = load(text)
        #expect(policy == nil)
        #expect(problems.contains(expected), "\(problems)")
    }

    @Test("an unknown key of Claude Code's sandbox is a warning, not an error")
    func unknownClaudeKey() {
        let (policy, problems) = load(#"{"sandbox": {"newKey": 1}}"#)
        #expect(policy != nil)
        #expect(problems == ["1:14: warning: unknown key \"newKey\" in \"sandbox\"; Warden ignores it"])
    }

    @Test("Read and Edit rules are the sandbox's path rules")
    func pathRules() throws {
        let policy = try Policy(deny: ["Read(~/.ssh)", "Edit(./vendor/**)", "Bash(curl *)"], allow: ["Read(./src)"])
        let rules = policy.filePathRules
        #expect(rules.map(\.pattern.text) == ["~/.ssh", "./vendor/**", "./src"])
        #expect(rules.map(\.access) == [.read, .edit, .read])
        #expect(rules.map(\.list) == [.deny, .deny, .allow])
    }
}

@Suite("PathGlob's name filter")
struct PathGlobNameFilterTests {
    /// The walk's fast test (plain text, or plain text and one trailing `*`) answers as the
    /// compiled match of the last segment does, for every kind of last segment.
    @Test("mayEndWith agrees with matching the last segment", arguments: [
        "/**/.ssh/**", "/**/.env*", "/**/secrets/**", "/home/dev/*.pem", "/**/id_*", "/**/[ab]c", "/**/x?z", "/**/*", "/**/caf\u{E9}*",
    ])
    func fastFilterAgrees(pattern: String) throws {
        let glob = try PathGlob(absolute: pattern)
        let last = try #require(glob.segments.last(where: { $0 != nil }) ?? nil)
        let names = [".ssh", ".sshx", "ssh", ".env", ".env.local", ".envrc", "x.env", "secrets", "Secrets", "a.pem", "pem", "id_rsa", "id_",
                     "ac", "bc", "cc", "xyz", "x?z", "xz", "", "caf\u{E9}s", "cafe\u{301}s", "caf"]
        for name in names {
            #expect(glob.mayEndWith(name: name) == PathGlob.segment(name, matches: last), "\(pattern) against \(name)")
        }
    }
}
