import ArgumentParser
import FoundationEssentials
import Glibc

/// `warden connect`: standard input and output tunnelled through a SOCKS5 proxy, for ssh's
/// ProxyCommand. Inside `warden run` git over ssh reaches its host this way, through Warden's
/// SOCKS port, where the egress policy judges the host like any other connection.
struct ConnectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connect",
        abstract: "Relay standard input and output to HOST:PORT through a SOCKS5 proxy (for ssh's ProxyCommand).",
        discussion: """
            Used inside `warden run` as GIT_SSH_COMMAND="ssh -o ProxyCommand='warden connect --socks \
            127.0.0.1:PORT %h %p'". The host name goes to the proxy unresolved (the sandbox has no \
            DNS). A refusal by the proxy is one line on standard error, naming the host, the port \
            and the proxy's reply; exit status 1. Exit status 0 when both directions have ended.
            """
    )

    @Option(help: ArgumentHelp("The SOCKS5 proxy, as ADDRESS:PORT (an IPv4 address or [IPv6]).", valueName: "address:port"))
    var socks: String

    @Argument(help: "The host to reach (a name or an address).")
    var host: String

    @Argument(help: "Its port.")
    var port: Int

    func validate() throws {
        guard (1...65535).contains(port) else { throw ValidationError("port \(port) is not between 1 and 65535") }
        guard !host.isEmpty, host.utf8.count <= 255 else { throw ValidationError("the host must have 1 to 255 bytes") }
    }

    func run() throws {
        let proxy = try SocksEndpoint(parsing: socks)
        let socket = try proxy.connect()
        defer { close(socket) }
        try SocksClient.handshake(socket: socket, host: host, port: port)
        Relay.pump(input: 0, output: 1, socket: socket)
    }
}

struct SocksEndpoint {
    var address: String
    var port: UInt16

    init(parsing text: String) throws {
        let hostPart: Substring
        let portPart: Substring
        if text.hasPrefix("["), let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") {
            hostPart = text[text.index(after: text.startIndex)..<close]
            portPart = text[text.index(close, offsetBy: 2)...]
        } else if let colon = text.lastIndex(of: ":") {
            hostPart = text[..<colon]
            portPart = text[text.index(after: colon)...]
        } else {
            throw CLIError("--socks \(text): give ADDRESS:PORT, e.g. 127.0.0.1:1080")
        }
        guard let port = UInt16(portPart), port > 0 else { throw CLIError("--socks \(text): the port is not a number from 1 to 65535") }
        self.address = String(hostPart)
        self.port = port
    }

    func connect() throws -> Int32 {
        var v4 = sockaddr_in()
        var v6 = sockaddr_in6()
        let family: Int32
        if inet_pton(AF_INET, address, &v4.sin_addr) == 1 {
            family = AF_INET
        } else if inet_pton(AF_INET6, address, &v6.sin6_addr) == 1 {
            family = AF_INET6
        } else {
            throw CLIError("--socks: \(address) is not an IP address (the proxy is named by its address)")
        }
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw CLIError("cannot create a socket: \(String(cString: strerror(errno)))") }
        let result: Int32
        if family == AF_INET {
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = port.bigEndian
            result = withUnsafePointer(to: &v4) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        } else {
            v6.sin6_family = sa_family_t(AF_INET6)
            v6.sin6_port = port.bigEndian
            result = withUnsafePointer(to: &v6) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
        }
        guard result == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw CLIError("cannot reach the SOCKS proxy at \(address):\(port): \(reason)")
        }
        return fd
    }
}

/// The client side of RFC 1928 with no authentication and a domain-name CONNECT: the few bytes
/// a ProxyCommand needs (NIOSOCKS' client lives in a channel pipeline; this runs on stdin/stdout).
enum SocksClient {
    static let replies = [
        1: "general failure", 2: "connection not allowed by the proxy's rules", 3: "network unreachable",
        4: "host unreachable", 5: "connection refused", 6: "TTL expired", 7: "command not supported",
        8: "address type not supported",
    ]

    static func handshake(socket: Int32, host: String, port: Int) throws {
        try send(socket, [5, 1, 0])
        let method = try receive(socket, 2)
        guard method[0] == 5, method[1] == 0 else {
            throw CLIError("the SOCKS proxy refused the greeting (it wants authentication Warden does not offer)")
        }
        try send(socket, [5, 1, 0, 3, UInt8(host.utf8.count)] + Array(host.utf8) + [UInt8(port >> 8), UInt8(port & 0xff)])
        let head = try receive(socket, 4)
        guard head[0] == 5 else { throw CLIError("the proxy's answer is not SOCKS5") }
        guard head[1] == 0 else {
            let reason = replies[Int(head[1])] ?? "reply \(head[1])"
            throw CLIError("the SOCKS proxy refused \(host):\(port): \(reason)")
        }
        // The bound address, which a tunnel does not need, still has to be read past.
        switch head[3] {
        case 1: _ = try receive(socket, 4 + 2)
        case 4: _ = try receive(socket, 16 + 2)
        case 3: _ = try receive(socket, Int(try receive(socket, 1)[0]) + 2)
        default: throw CLIError("the SOCKS proxy answered with an unknown address type \(head[3])")
        }
    }

    static func send(_ socket: Int32, _ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(socket, $0.baseAddress, $0.count) }
            guard written > 0 else { throw CLIError("the SOCKS proxy closed the connection") }
            offset += written
        }
    }

    static func receive(_ socket: Int32, _ count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var offset = 0
        while offset < count {
            let got = bytes[offset...].withUnsafeMutableBytes { read(socket, $0.baseAddress, $0.count) }
            guard got > 0 else { throw CLIError("the SOCKS proxy closed the connection during the handshake") }
            offset += got
        }
        return bytes
    }
}

/// Copies input → socket and socket → output until both directions end; the end of input is
/// passed on as a half-close, so the far side sees EOF and can still answer.
enum Relay {
    static func pump(input: Int32, output: Int32, socket: Int32) {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var inputOpen = true
        var socketOpen = true
        while socketOpen {
            var fds = [pollfd(fd: socket, events: Int16(POLLIN), revents: 0)]
            if inputOpen { fds.append(pollfd(fd: input, events: Int16(POLLIN), revents: 0)) }
            guard poll(&fds, nfds_t(fds.count), -1) >= 0 else {
                if errno == EINTR { continue }
                return
            }
            if inputOpen, fds.count > 1, fds[1].revents != 0 {
                let got = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
                if got <= 0 {
                    inputOpen = false
                    shutdown(socket, Int32(SHUT_WR))
                } else if !writeAll(socket, buffer, got) {
                    return
                }
            }
            if fds[0].revents != 0 {
                let got = buffer.withUnsafeMutableBytes { read(socket, $0.baseAddress, $0.count) }
                if got <= 0 {
                    socketOpen = false
                } else if !writeAll(output, buffer, got) {
                    return
                }
            }
        }
    }

    private static func writeAll(_ fd: Int32, _ buffer: [UInt8], _ count: Int) -> Bool {
        var offset = 0
        while offset < count {
            let written = buffer[offset..<count].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return false }
            offset += written
        }
        return true
    }
}
