import Testing
import WardenJSON
@testable import WardenSandbox

/// `struct sockaddr_un` bytes as a caller passes them: the family, then `path` (no NUL added).
private func address(_ path: [UInt8], family: UInt16 = 1) -> [UInt8] {
    [UInt8(family & 0xFF), UInt8(family >> 8)] + path
}

@Suite("allowUnixSockets: the plan and the supervisor's judgement, as data")
struct UnixSocketPlanTests {
    let plan = UnixSocketPlan(allowUnixSocketPaths: ["/run/user/1000/ssh-agent.sock", "/var/run/docker.sock"], allowAllUnixSockets: false)

    @Test func modes() {
        #expect(plan.mode == .supervised)
        #expect(UnixSocketPlan(allowUnixSocketPaths: [], allowAllUnixSockets: false).mode == .refused)
        let all = UnixSocketPlan(allowUnixSocketPaths: ["/x.sock"], allowAllUnixSockets: true)
        #expect(all.mode == .all && all.paths.isEmpty)
    }

    @Test func listedPathsConnectExactly() {
        #expect(plan.judge(address: address(Array("/var/run/docker.sock".utf8))) == .connect(path: "/var/run/docker.sock"))
        // The kernel reads a path up to its first NUL: trailing bytes after it change nothing.
        #expect(plan.judge(address: address(Array("/var/run/docker.sock".utf8) + [0, 0x41, 0x42])) == .connect(path: "/var/run/docker.sock"))
        // A listed directory does not cover what is below it, nor a prefix its neighbour.
        let directory = UnixSocketPlan(allowUnixSocketPaths: ["/run/user/1000"], allowAllUnixSockets: false)
        #expect(directory.judge(address: address(Array("/run/user/1000/bus".utf8))) == .refuse(shown: "/run/user/1000/bus", reason: "not a path of sandbox.network.allowUnixSockets"))
        #expect(plan.judge(address: address(Array("/var/run/docker.sock2".utf8))) == .refuse(shown: "/var/run/docker.sock2", reason: "not a path of sandbox.network.allowUnixSockets"))
        #expect(plan.judge(address: address(Array("/var/run/../run/docker.sock".utf8))) == .refuse(shown: "/var/run/../run/docker.sock", reason: "not a path of sandbox.network.allowUnixSockets"))
    }

    @Test func everythingElseIsRefusedOrInvalid() {
        #expect(plan.judge(address: address(Array("docker.sock".utf8))) == .refuse(shown: "docker.sock", reason: "a relative path: allowUnixSockets lists absolute paths only"))
        #expect(plan.judge(address: address([0] + Array("/var/run/docker.sock".utf8))) == .refuse(shown: "@/var/run/docker.sock", reason: "abstract addresses are never allowed: allowUnixSockets lists paths"))
        #expect(plan.judge(address: address([0, 0x1B])) == .refuse(shown: "@\\x1b", reason: "abstract addresses are never allowed: allowUnixSockets lists paths"))
        #expect(plan.judge(address: address([])) == .refuse(shown: "(unnamed)", reason: "an unnamed address is no path of allowUnixSockets"))
        // Not UTF-8: no match through replacement characters.
        let odd = UnixSocketPlan(allowUnixSocketPaths: ["/tmp/\u{FFFD}.sock"], allowAllUnixSockets: false)
        guard case .refuse = odd.judge(address: address(Array("/tmp/".utf8) + [0xFF] + Array(".sock".utf8))) else {
            Issue.record("a non-UTF-8 path matched a listed one")
            return
        }
        // The kernel's EINVAL: too short, too long, another family.
        #expect(plan.judge(address: [1]) == .invalid(errno: 22))
        #expect(plan.judge(address: address(Array(repeating: 0x61, count: 109))) == .invalid(errno: 22))
        #expect(plan.judge(address: address(Array("/var/run/docker.sock".utf8), family: 2)) == .invalid(errno: 22))
    }

    @Test("the planner: rules, descriptor, dry-run text and JSON, SSH_AUTH_SOCK")
    func planner() throws {
        let policy = #"{"sandbox": {"network": {"allowUnixSockets": ["/run/user/1000/ssh-agent.sock"]}}}"#
        let plan = try makePlan(policy, environment: [("PATH", "/usr/bin"), ("HOME", "/home/dev"), ("SSH_AUTH_SOCK", "/run/user/1000/ssh-agent.sock")])
        #expect(plan.unixSockets == UnixSocketPlan(allowUnixSocketPaths: ["/run/user/1000/ssh-agent.sock"], allowAllUnixSockets: false))
        #expect(plan.innerSpec.supervisorDescriptor == 5)
        #expect(plan.innerSpec.seccomp.rules.contains { $0.syscall == "connect" && $0.action == .notify })
        #expect(plan.text.contains("unix sockets: supervised"))
        #expect(plan.text.contains("  allowed: /run/user/1000/ssh-agent.sock"))
        #expect(plan.text.contains("connect: notify ("))
        #expect(plan.json.serialized.contains(#""unixSockets":{"mode":"supervised","paths":["/run/user/1000/ssh-agent.sock"],"refusalErrno":"EACCES"}"#))
        #expect(plan.environment.kept.contains("SSH_AUTH_SOCK"))

        // An agent socket that is not listed stays out, as every credential.
        let other = try makePlan(policy, environment: [("HOME", "/home/dev"), ("SSH_AUTH_SOCK", "/tmp/ssh-XYZ/agent.1")])
        #expect(!other.environment.kept.contains("SSH_AUTH_SOCK"))
        let none = try makePlan(environment: [("HOME", "/home/dev"), ("SSH_AUTH_SOCK", "/run/user/1000/ssh-agent.sock")])
        #expect(!none.environment.kept.contains("SSH_AUTH_SOCK"))
        #expect(none.innerSpec.supervisorDescriptor == nil && !none.innerSpec.seccomp.needsSupervisor)
        #expect(none.text.contains("unix sockets: none (new AF_UNIX sockets are refused by seccomp: EPERM)"))
        let all = try makePlan(#"{"sandbox": {"network": {"allowUnixSockets": ["/x.sock"], "allowAllUnixSockets": true}}}"#)
        #expect(all.unixSockets.mode == .all && all.innerSpec.supervisorDescriptor == nil)
        #expect(!all.innerSpec.seccomp.rules.contains { $0.syscall == "connect" })
    }
}
