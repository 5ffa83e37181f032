// The hook's side of the channel: whether this process is inside Warden's sandbox, and one
// request over the forwarder's port. Glibc only (the hook's start-up is its latency).
//
// Why the hook trusts what it finds: a process cannot tell a real host server from a fake one
// answering on 127.0.0.1 (same uid, no secret the hook could hold that the developer cannot
// read). So before it uses the channel, the hook checks what only a sandbox sets up, and what an
// unprivileged process on the host cannot fake without building a sandbox of its own: the port
// file sits on a read-only mount point at /tmp/.warden (no mount is possible without a mount
// namespace), and this process runs with no_new_privs under a seccomp filter. A fake port file
// and a fake server on the host (`command claude` in a shell where someone prepared both) fail
// the first check. The host then attests the other half: it answers only connections whose peer
// is in this run's sandbox (ChannelAdmission).

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import WardenSystem

public enum Confinement: Sendable, Hashable {
    /// No channel: not inside `warden run` (the hooks work as they always did).
    case outside
    /// A channel file that fails the checks: treated as outside, with the reason.
    case counterfeit(String)
    /// Inside Warden's sandbox: the channel's port on the sandbox's loopback.
    case inside(port: Int)

    /// Reads the port file and checks the process's surroundings (see the file's header).
    public static func detect(runDirectory: String = ChannelProtocol.runDirectoryInside) -> Confinement {
        let portFile = runDirectory + "/" + ChannelProtocol.portFileName
        let fd = open(portFile, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .outside }
        defer { close(fd) }
        guard case .success(let bytes) = Files.readAll(fileDescriptor: fd, limit: 32),
              let port = Int(String(decoding: bytes.filter { $0 != UInt8(ascii: "\n") }, as: UTF8.self)), (1...65535).contains(port)
        else { return .counterfeit("\(portFile) does not hold a port") }
        var fileSystem = statvfs()
        guard fstatvfs(fd, &fileSystem) == 0, fileSystem.f_flag & UInt(ST_RDONLY) != 0 else {
            return .counterfeit("\(portFile) is not on a read-only mount")
        }
        var directory = stat()
        var parent = stat()
        let above = runDirectory.split(separator: "/").dropLast().map { "/" + $0 }.joined()
        guard stat(runDirectory, &directory) == 0, stat(above.isEmpty ? "/" : above, &parent) == 0, directory.st_dev != parent.st_dev else {
            return .counterfeit("\(runDirectory) is not a mount point")
        }
        guard case .success(let status) = Files.read(path: "/proc/self/status", limit: 16 * 1024) else {
            return .counterfeit("/proc/self/status cannot be read")
        }
        let text = String(decoding: status, as: UTF8.self)
        guard text.contains("\nNoNewPrivs:\t1\n"), text.contains("\nSeccomp:\t2\n") else {
            return .counterfeit("this process has no seccomp filter with no_new_privs, as every process in Warden's sandbox has")
        }
        return .inside(port: port)
    }
}

public enum ChannelClient {
    /// How long the hook waits for the host's answer (the watchdog's 20 s is the outer bound).
    public static let answerTimeoutSeconds = 5

    /// Sends `request` to 127.0.0.1:`port` and reads the answer; any failure is a refusal whose
    /// reason names it.
    public static func send(_ request: ChannelRequest, port: Int) -> ChannelResponse {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .refused("the channel: cannot create a socket: \(Files.errorText(errno))") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return .refused("the channel at 127.0.0.1:\(port) cannot be reached: \(Files.errorText(errno))") }
        var timeout = timeval(tv_sec: answerTimeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        let line = Array(request.line.utf8)
        guard line.count <= ChannelProtocol.maximumRequestBytes else {
            return .refused("the request is longer than the channel takes (\(ChannelProtocol.maximumRequestBytes) bytes)")
        }
        var offset = 0
        while offset < line.count {
            let sent = line[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent < 0 && errno == EINTR { continue }
            guard sent > 0 else { return .refused("the channel: cannot send: \(Files.errorText(errno))") }
            offset += sent
        }
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while answer.count <= ChannelProtocol.maximumResponseBytes {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 && errno == EINTR { continue }
            if count < 0 { return .refused("the channel did not answer: \(Files.errorText(errno))") }
            if count == 0 { break }
            answer += buffer[0..<count]
            if answer.last == UInt8(ascii: "\n") { break }
        }
        guard !answer.isEmpty else { return .refused("the channel closed without an answer") }
        return ChannelResponse.parse(answer)
    }
}
