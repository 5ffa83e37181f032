import Testing
import WardenJSON
import WardenPolicy
@testable import WardenSandbox

private func channelPlan(_ policyText: String = "{}", channel: Bool = true, initPath: String? = "/opt/warden/bin/warden-sandbox-init", proxy: Bool = true) throws -> SandboxPlan {
    var disk = standardDisk()
    disk.add("/home/dev/.local/state/warden/pseudonyms/")
    let policy = try Policy.parse(text: policyText, path: "/etc/claude-code/managed-settings.json")
    let request = SandboxRequest(
        policy: policy, policyPath: "/etc/claude-code/managed-settings.json", home: "/home/dev", workingDirectory: "/home/dev/src/app",
        environment: [("HOME", "/home/dev")], kernel: KernelFeatures(landlockABI: 7), uid: 1000, gid: 1000, command: ["/usr/bin/claude"],
        wardenDirectory: "/opt/warden/bin", initPath: initPath, logDirectory: "/home/dev/.local/state/warden",
        runtimeDirectory: "/run/user/1000/warden-run.1000.42", commandIsClaude: true, proxyAvailable: proxy,
        channelAvailable: channel, pseudonymDirectory: "/home/dev/.local/state/warden/pseudonyms")
    return SandboxPlanner.plan(request, fileSystem: disk)
}

@Suite("Warden's channel in the plan")
struct ChannelPlanTests {
    @Test("one more forwarder: 127.0.0.1:2997 inside to the run directory's channel.sock, shown in --dry-run")
    func forwarder() throws {
        let plan = try channelPlan()
        #expect(plan.network.channelPort == 2997)
        #expect(plan.network.channelSocketOnHost == "/run/user/1000/warden-run.1000.42/channel.sock")
        #expect(plan.innerSpec.forwarders.contains(.init(port: 2997, socketPath: "/tmp/.warden/channel.sock")))
        #expect(plan.text.contains("127.0.0.1:2997 is Warden's channel"))
        #expect(plan.json["network"]?["channelPort"]?.integer == 2997)
        #expect(plan.mount(at: SandboxPlan.runtimeMountPoint)?.reason.contains("channel") == true)
    }

    @Test("the channel's port moves off a port the proxies were given; it is served without the proxies too")
    func portChoice() throws {
        let plan = try channelPlan(#"{"sandbox":{"network":{"httpProxyPort":2997,"socksProxyPort":2998}}}"#)
        #expect(plan.network.channelPort == 2999)
        let alone = try channelPlan(proxy: false)
        #expect(alone.innerSpec.forwarders == [.init(port: 2997, socketPath: "/tmp/.warden/channel.sock")])
    }

    @Test("no channel without a launcher that serves it, nor without init to relay it")
    func absent() throws {
        #expect(try channelPlan(channel: false).network.channelPort == nil)
        #expect(try channelPlan(initPath: nil).network.channelPort == nil)
        #expect(try !channelPlan(channel: false).innerSpec.forwarders.contains { $0.socketPath.hasSuffix("channel.sock") })
    }

    @Test("the pseudonym books are masked inside: their keys stay on the host")
    func booksMasked() throws {
        let mount = try #require(try channelPlan().mount(at: "/home/dev/.local/state/warden/pseudonyms"))
        #expect(mount.kind == .maskDirectory)
        #expect(mount.reason.contains("pseudonym books"))
    }
}
