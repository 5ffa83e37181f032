// The inner spec, seccomp and Landlock profiles as data: their JSON form round-trips, and what
// init must not accept is refused with a message naming the key.
import Testing
import WardenJSON
import WardenSandbox

@Suite struct ProfileSpecTests {
    static func sample() -> SandboxInnerSpec {
        SandboxInnerSpec(
            forwarders: [.init(port: 3128, socketPath: "/run/warden/http.sock"), .init(port: 1080, socketPath: "/run/warden/socks.sock")],
            limits: SandboxLimits(processes: 4096, memoryBytes: 8 << 30, openFiles: nil),
            landlock: .forSandbox(abi: 7, readable: ["/"], writable: ["/work/project", "/tmp"]),
            seccomp: .agent(allowUnixSocketPaths: [], allowAllUnixSockets: false),
            workingDirectory: "/work/project",
            command: ["/usr/bin/claude", "--resume"])
    }

    @Test func specRoundTripsThroughJSON() throws {
        let spec = Self.sample()
        let read = try SandboxInnerSpec(json: spec.json())
        #expect(read == spec)
        let withoutLandlock = SandboxInnerSpec(landlock: nil, seccomp: .agent(allowUnixSocketPaths: ["/x"], allowAllUnixSockets: true), workingDirectory: "/", command: ["/bin/true"])
        #expect(try SandboxInnerSpec(json: withoutLandlock.json()) == withoutLandlock)
    }

    func refusal(_ edit: (inout String) -> Void) -> String? {
        var text = Self.sample().json()
        edit(&text)
        do {
            _ = try SandboxInnerSpec(json: text)
            return nil
        } catch {
            return error.message
        }
    }

    @Test func errnoNamesAreTheCaseNamesAndReadBack() {
        for code in SeccompErrno.allCases {
            #expect(code.name == "\(code)")
            #expect(SeccompErrno(name: code.name) == code)
            #expect(SeccompAction(name: code.name) == .errno(code))
        }
        #expect(SeccompErrno(name: "EWHATEVER") == nil)
    }

    @Test func unknownKeysAndBadValuesAreRefusedByName() {
        #expect(refusal { $0 = $0.replacingFirst("\"workingDirectory\"", with: "\"extra\":1,\"workingDirectory\"") }?.contains("spec: unknown key \"extra\"") == true)
        #expect(refusal { $0 = $0.replacingFirst("\"/usr/bin/claude\"", with: "\"claude\"") } == "spec.command[0]: \"claude\" is not an absolute path")
        #expect(refusal { $0 = $0.replacingFirst("3128", with: "70000") } == "spec.forwarders[0].port: 70000 is not a TCP port (1-65535)")
        #expect(refusal { $0 = $0.replacingFirst("\"EPERM\"", with: "\"EWHATEVER\"") }?.hasPrefix("spec.seccomp.rules[0].action: unknown action \"EWHATEVER\"") == true)
        #expect(refusal { $0 = $0.replacingFirst("\"kill-process\"", with: "\"allow\"") }?.hasPrefix("spec.seccomp.foreignArchitectures:") == true)
        #expect(refusal { $0 = $0.replacingFirst("\"make-sock\"", with: "\"make-socket\"") }?.hasPrefix("spec.landlock.handledAccess: unknown access right \"make-socket\"") == true)
        #expect(refusal { $0 = $0.replacingFirst("\"processes\":4096", with: "\"processes\":0") } == "spec.limits.processes: 0 must be at least 1")
        #expect(refusal { $0 = String($0.dropLast()) }?.hasPrefix("spec: not JSON") == true)
    }

    @Test func agentProfileBlocksAFUnixUnlessAllAreAllowed() {
        let none = SeccompProfile.agent(allowUnixSocketPaths: [], allowAllUnixSockets: false)
        let afUnix = none.rules.filter { $0.syscall == "socket" && $0.conditions == [SeccompCondition(argument: 0, value: 1)] }
        #expect(afUnix.count == 1 && afUnix.first?.action == .errno(.EPERM))
        #expect(!none.needsSupervisor && !none.rules.contains { $0.syscall == "connect" })
        #expect(!none.rules.contains { $0.syscall == "socketpair" && $0.conditions.contains { $0.argument == 1 && $0.value == 1 } },
                "stream pairs stay allowed")
        let open = SeccompProfile.agent(allowUnixSocketPaths: [], allowAllUnixSockets: true)
        #expect(!open.rules.contains { $0.conditions.contains { $0.argument == 0 && $0.value == 1 } && ($0.syscall == "socket" || $0.syscall == "socketpair") })
        #expect(!open.needsSupervisor)
        #expect(open.rules.contains { $0.syscall == "clone3" && $0.action == .errno(.ENOSYS) })
        #expect(none.foreignArchitectures == .killProcess)
        #expect(none.rules.allSatisfy { !$0.reason.isEmpty })
    }

    @Test func listedUnixSocketsAreSupervised() throws {
        let listed = SeccompProfile.agent(allowUnixSocketPaths: ["/run/user/1000/ssh-agent"], allowAllUnixSockets: false)
        #expect(listed.needsSupervisor)
        // Stream sockets may be made; their connect waits for the supervisor.
        #expect(!listed.rules.contains { $0.syscall == "socket" && $0.conditions == [SeccompCondition(argument: 0, value: 1)] })
        #expect(listed.rules.contains { $0.syscall == "connect" && $0.conditions.isEmpty && $0.action == .notify })
        for type: UInt64 in [2, 5] {
            #expect(listed.rules.contains { rule in
                rule.syscall == "socket" && rule.action == .errno(.EPERM)
                    && rule.conditions == [SeccompCondition(argument: 0, value: 1), SeccompCondition(argument: 1, mask: 0xF, value: type)]
            }, "AF_UNIX type \(type) refused")
        }
        #expect(!listed.rules.contains { $0.syscall == "socket" && $0.conditions.contains { $0.argument == 1 && $0.value == 1 } })
        // No second listener: the newest filter's notification would answer connect first.
        #expect(listed.rules.contains { $0.syscall == "seccomp" && $0.action == .errno(.EPERM)
            && $0.conditions == [SeccompCondition(argument: 0, value: 1), SeccompCondition(argument: 1, mask: 8, value: 8)] })
        #expect(listed.rules.first { $0.syscall == "connect" }?.reason.contains("/run/user/1000/ssh-agent") == true)
        // The JSON form carries "notify" through; a notify rule needs the supervisor's descriptor.
        let spec = SandboxInnerSpec(landlock: nil, seccomp: listed, workingDirectory: "/", command: ["/bin/true"], supervisorDescriptor: 5)
        #expect(try SandboxInnerSpec(json: spec.json()) == spec)
        #expect(spec.json().contains(#""action":"notify""#))
        var withoutDescriptor = spec
        withoutDescriptor.supervisorDescriptor = nil
        #expect(throws: SandboxSpecError("spec.supervisorDescriptor: the seccomp profile has notify rules, which need a supervisor")) {
            try SandboxInnerSpec(json: withoutDescriptor.json())
        }
        var stray = SandboxInnerSpec(landlock: nil, seccomp: .agent(allowUnixSocketPaths: [], allowAllUnixSockets: false), workingDirectory: "/", command: ["/bin/true"])
        stray.supervisorDescriptor = 5
        #expect(throws: SandboxSpecError("spec.supervisorDescriptor: given, but no seccomp rule notifies a supervisor")) {
            try SandboxInnerSpec(json: stray.json())
        }
        var low = spec
        low.supervisorDescriptor = 2
        #expect(throws: SandboxSpecError("spec.supervisorDescriptor: 2 is not an inherited descriptor (3-1023)")) {
            try SandboxInnerSpec(json: low.json())
        }
        #expect(throws: SandboxSpecError("spec.seccomp.foreignArchitectures: \"notify\" would let x32 and i386 calls around every rule")) {
            try SandboxInnerSpec(json: spec.json().replacingFirst(#""foreignArchitectures":"kill-process""#, with: #""foreignArchitectures":"notify""#))
        }
    }

    @Test func landlockProfileFollowsTheABI() {
        let old = LandlockProfile.forSandbox(abi: 1, readable: ["/"], writable: ["/p"])
        #expect(old.handledAccess == LandlockFilesystemAccess(rawValue: (1 << 13) - 1))
        #expect(old.scopes.isEmpty)
        let new = LandlockProfile.forSandbox(abi: 7, readable: ["/"], writable: ["/p"])
        #expect(new.handledAccess.contains([.refer, .truncate, .ioctlDevice]))
        #expect(new.scopes == [.abstractUnixSocket, .signal])
        #expect(new.rules.first { $0.path == "/p" }?.access == new.handledAccess)
        #expect(new.rules.first { $0.path == "/" }?.access == .read)
    }
}

extension String {
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = firstRange(of: target) else { return self }
        var copy = self
        copy.replaceSubrange(range, with: replacement)
        return copy
    }
}
