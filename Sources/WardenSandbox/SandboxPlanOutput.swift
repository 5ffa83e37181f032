public import WardenJSON

extension SandboxPlan {
    /// The plan as JSON (`warden run --dry-run --json`). Environment values appear only for the
    /// variables Warden sets; kept ones by name, dropped ones with their reason.
    public var json: JSONValue {
        func strings(_ values: [String]) -> JSONValue { .array(values.map(JSONValue.string)) }
        let mountValues: [JSONValue] = mounts.map { mount in
            var members: [JSONMember] = [JSONMember(key: "kind", value: .string(mount.kind.rawValue))]
            if let source = mount.source { members.append(JSONMember(key: "source", value: .string(source))) }
            members.append(JSONMember(key: "destination", value: .string(mount.destination)))
            members.append(JSONMember(key: "reason", value: .string(mount.reason)))
            return .object(members)
        }
        var projectMembers: [JSONMember] = [JSONMember(key: "root", value: .string(project.root))]
        if let git = project.gitDirectory { projectMembers.append(JSONMember(key: "gitDirectory", value: .string(git))) }
        if let common = project.commonGitDirectory { projectMembers.append(JSONMember(key: "commonGitDirectory", value: .string(common))) }
        var limitMembers: [JSONMember] = [
            JSONMember(key: "method", value: .string(limits.method.rawValue)),
            JSONMember(key: "processes", value: .number(limits.processes)),
            JSONMember(key: "memoryMegabytes", value: .number(limits.memoryMegabytes)),
            JSONMember(key: "openFiles", value: .number(limits.openFiles)),
            JSONMember(key: "explanation", value: strings(limits.explanation)),
        ]
        if let cgroup = limits.cgroup {
            limitMembers.insert(JSONMember(key: "cgroup", value: .object([
                JSONMember(key: "version", value: .string(cgroup.version.rawValue)),
                JSONMember(key: "directories", value: strings(cgroup.directories)),
                JSONMember(key: "settings", value: .array(cgroup.settings.map {
                    .object([
                        JSONMember(key: "file", value: .string($0.file)),
                        JSONMember(key: "value", value: .string($0.value)),
                        JSONMember(key: "optional", value: .bool($0.optional)),
                    ])
                })),
            ])), at: 1)
        }
        return .object([
            JSONMember(key: "command", value: strings(command)),
            JSONMember(key: "project", value: .object(projectMembers)),
            JSONMember(key: "processOptions", value: strings(processOptions)),
            JSONMember(key: "mounts", value: .array(mountValues)),
            JSONMember(key: "protectedWithoutMount", value: .array(protectedWithoutMount.map { item in
                .object(["path": .string(item.path), "reason": .string(item.reason), "by": .string(item.by)])
            })),
            JSONMember(key: "hostPlaceholders", value: .array(hostPlaceholders.map { item in
                .object(["path": .string(item.path), "kind": .string(item.kind.rawValue), "reason": .string(item.reason)])
            })),
            JSONMember(key: "writableRoots", value: strings(writableRoots)),
            JSONMember(key: "maskedPaths", value: strings(maskedPaths)),
            JSONMember(key: "environment", value: .object([
                "kept": strings(environment.kept),
                "set": .array(environment.set.map { .object(["name": .string($0.name), "value": .string($0.value), "reason": .string($0.reason)]) }),
                "dropped": .array(environment.dropped.map { .object(["name": .string($0.name), "reason": .string($0.reason)]) }),
            ])),
            JSONMember(key: "limits", value: .object(limitMembers)),
            JSONMember(key: "network", value: .object([
                "httpSocketOnHost": .string(network.httpSocketOnHost), "socksSocketOnHost": .string(network.socksSocketOnHost),
                "httpSocketInside": .string(network.httpSocketInside), "socksSocketInside": .string(network.socksSocketInside),
                "httpPort": .number(network.httpPort), "socksPort": .number(network.socksPort),
                "allowedHosts": strings(network.allowedHosts), "proxyAvailable": .bool(network.proxyAvailable),
                "originPort": network.originPort.map(JSONValue.number) ?? .null,
                "channelPort": network.channelPort.map(JSONValue.number) ?? .null,
                "channelSocketOnHost": .string(network.channelSocketOnHost),
            ])),
            JSONMember(key: "unixSockets", value: unixSockets.jsonValue),
            JSONMember(key: "landlockABI", value: .number(landlockABI)),
            JSONMember(key: "innerSpec", value: innerSpec.jsonValue),
            JSONMember(key: "bwrapArguments", value: strings(bwrapArguments)),
            JSONMember(key: "notes", value: strings(notes)),
        ])
    }

    /// The plan for people (`warden run --dry-run`).
    public var text: String {
        var out = ""
        func line(_ text: String = "") { out += text + "\n" }
        line("command: \(command.joined(separator: " "))")
        line("project: \(project.root)" + (project.gitDirectory.map { " (gitdir \($0))" } ?? " (not a git repository)"))
        line("process: \(processOptions.joined(separator: " "))")
        line()
        line("mounts, in order (a later one shadows an earlier one):")
        for mount in mounts {
            let source = mount.source.map { "\($0) -> " } ?? ""
            line("  \(mount.kind.rawValue.padding(15)) \(source)\(mount.destination)")
            line("  \("".padding(15)) why: \(mount.reason)")
        }
        if !protectedWithoutMount.isEmpty {
            line()
            line("protected without a mount of their own:")
            for item in protectedWithoutMount { line("  \(item.path): \(item.by) (\(item.reason))") }
        }
        if !hostPlaceholders.isEmpty {
            line()
            line("created on the host for the session and removed afterwards (mount points of absent protected paths):")
            for item in hostPlaceholders { line("  \(item.kind.rawValue) \(item.path)") }
        }
        line()
        line("environment:")
        line("  kept: \(environment.kept.joined(separator: " "))")
        for variable in environment.set { line("  set \(variable.name)=\(variable.value) (\(variable.reason))") }
        for dropped in environment.dropped { line("  dropped \(dropped.name): \(dropped.reason)") }
        line()
        line("limits (\(limits.method.rawValue)\(limits.cgroup.map { " \($0.directories.joined(separator: " "))" } ?? "")): processes \(limits.processes), memory \(limits.memoryMegabytes) MB, open files \(limits.openFiles)")
        for explanation in limits.explanation { line("  \(explanation)") }
        line()
        line("network: loopback only; proxies at 127.0.0.1:\(network.httpPort) (HTTP) and 127.0.0.1:\(network.socksPort) (SOCKS5)")
        line("  bridged from \(network.httpSocketOnHost) and \(network.socksSocketOnHost)")
        if let port = network.originPort {
            line("  127.0.0.1:\(port) relayed to the host's ANTHROPIC_BASE_URL origin through \(network.originSocketOnHost)")
        }
        if let port = network.channelPort {
            line("  127.0.0.1:\(port) is Warden's channel: the hooks hand their records and pseudonym look-ups to `warden run` through \(network.channelSocketOnHost) (its port in \(SandboxPlan.runtimeMountPoint)/channel)")
        }
        line("  allowed hosts: \(network.allowedHosts.isEmpty ? "none" : network.allowedHosts.joined(separator: " "))")
        for text in unixSockets.lines { line("  " + text) }
        line()
        if let landlock = innerSpec.landlock {
            line("landlock (ABI \(landlockABI)): handles \(landlock.handledAccess.nameList.joined(separator: ","))")
            for rule in landlock.rules { line("  \(rule.path): \(rule.access.nameList.joined(separator: ",")) (\(rule.reason))") }
        } else {
            line("landlock: not available on this kernel")
        }
        line()
        line("seccomp (loaded by init right before the command):")
        for rule in innerSpec.seccomp.rules {
            let conditions = rule.conditions.map { "arg\($0.argument)&\(hex($0.mask))==\(hex($0.value))" }.joined(separator: " ")
            line("  \(rule.syscall)\(conditions.isEmpty ? "" : " [\(conditions)]"): \(rule.action.name) (\(rule.reason))")
        }
        line("  foreign architectures: \(innerSpec.seccomp.foreignArchitectures.name)")
        if !notes.isEmpty {
            line()
            line("notes:")
            for note in notes { line("  - \(note)") }
        }
        line()
        line("bwrap arguments (passed through --args FD):")
        line("  " + bwrapArguments.map(shellQuoted).joined(separator: " "))
        return out
    }
}

func hex(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }

func shellQuoted(_ word: String) -> String {
    let safe = word.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:,+@%".contains($0) }
    return safe && !word.isEmpty ? word : "'" + word.replacingQuotes() + "'"
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
    func replacingQuotes() -> String {
        var result = ""
        for character in self { if character == "'" { result += "'\\''" } else { result.append(character) } }
        return result
    }
}

extension EnvironmentPlan {
    /// The variables the sandbox starts with: the kept ones with their values from `environment`,
    /// then Warden's.
    public func variables(from environment: [(name: String, value: String)]) -> [(name: String, value: String)] {
        var values: [String: String] = [:]
        for (name, value) in environment { values[name] = value }
        var result: [(name: String, value: String)] = kept.compactMap { name in values[name].map { (name, $0) } }
        result += set.map { ($0.name, $0.value) }
        return result
    }
}
