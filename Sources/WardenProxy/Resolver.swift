import FoundationEssentials
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import WardenNetwork

/// Turns a canonical name into addresses, once: the proxy connects to the addresses it judged,
/// never to a name, so nothing is resolved a second time behind the policy's back.
public protocol HostResolver: Sendable {
    func resolve(_ name: String, on eventLoop: any EventLoop) -> EventLoopFuture<[IPAddress]>
}

/// A name that did not resolve: one line.
struct ResolveError: Error, CustomStringConvertible {
    let description: String
}

/// The system resolver (getaddrinfo, so /etc/hosts and nsswitch apply) on a thread pool, as
/// getaddrinfo blocks. Addresses keep getaddrinfo's order (RFC 6724 sorting), duplicates dropped.
public final class SystemResolver: HostResolver {
    private enum Pool {
        case given(NIOThreadPool)
        /// Started on the first name to resolve (nil: shut down).
        case onDemand(NIOLockedValueBox<(pool: NIOThreadPool, started: Bool, closed: Bool)>)
    }
    private let pool: Pool

    public init(pool: NIOThreadPool) { self.pool = .given(pool) }

    /// A pool of its own, whose threads start only when the first name is resolved: a session
    /// whose agent never leaves the loopback starts none (`warden run` starts in less time).
    /// `shutdown()` stops it.
    public init(onDemandThreads numberOfThreads: Int) {
        pool = .onDemand(NIOLockedValueBox((NIOThreadPool(numberOfThreads: numberOfThreads), false, false)))
    }

    public func resolve(_ name: String, on eventLoop: any EventLoop) -> EventLoopFuture<[IPAddress]> {
        let threads: NIOThreadPool
        switch pool {
        case .given(let given): threads = given
        case .onDemand(let box):
            let ready = box.withLockedValue { state -> NIOThreadPool? in
                guard !state.closed else { return nil }
                if !state.started {
                    state.pool.start()
                    state.started = true
                }
                return state.pool
            }
            guard let ready else { return eventLoop.makeFailedFuture(ResolveError(description: "\(name): the resolver has been shut down")) }
            threads = ready
        }
        return threads.runIfActive(eventLoop: eventLoop) { () throws -> [IPAddress] in
            try SystemResolver.getaddrinfo(name)
        }
    }

    /// Stops an on-demand pool (its threads, when it started any); a given pool is its owner's.
    public func shutdown() async {
        guard case .onDemand(let box) = pool else { return }
        let started = box.withLockedValue { state -> NIOThreadPool? in
            state.closed = true
            return state.started ? state.pool : nil
        }
        try? await started?.shutdownGracefully()
    }

    static func getaddrinfo(_ name: String) throws -> [IPAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = Glibc.getaddrinfo(name, nil, &hints, &list)
        guard status == 0, let first = list else {
            let why = String(cString: gai_strerror(status))
            throw ResolveError(description: "\(name) does not resolve: \(why)")
        }
        defer { freeaddrinfo(first) }
        var result: [IPAddress] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            defer { cursor = entry.pointee.ai_next }
            guard let sockaddr = entry.pointee.ai_addr else { continue }
            var address: IPAddress?
            switch Int32(entry.pointee.ai_family) {
            case AF_INET:
                address = sockaddr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                    withUnsafeBytes(of: pointer.pointee.sin_addr) { IPAddress(bytes: Array($0)) }
                }
            case AF_INET6:
                address = sockaddr.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                    withUnsafeBytes(of: pointer.pointee.sin6_addr) { IPAddress(bytes: Array($0)) }
                }
            default:
                break
            }
            if let address, !result.contains(address) { result.append(address) }
        }
        guard !result.isEmpty else { throw ResolveError(description: "\(name) has no IPv4 or IPv6 address") }
        return result
    }
}

extension IPAddress {
    /// The socket address to connect to, for this checked address.
    func socketAddress(port: Int) throws -> SocketAddress {
        var buffer = ByteBuffer(bytes: bytes)
        return try SocketAddress(packedIPAddress: buffer.readSlice(length: buffer.readableBytes)!, port: port)
    }

    init?(socketAddress: SocketAddress) {
        switch socketAddress {
        case .v4(let v4):
            self.init(bytes: withUnsafeBytes(of: v4.address.sin_addr) { Array($0) })
        case .v6(let v6):
            self.init(bytes: withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) })
        default:
            return nil
        }
    }
}
