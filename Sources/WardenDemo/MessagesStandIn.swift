import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization
import WardenJSON

/// One request the stand-in received, as it received it.
public struct StandInRequest: Sendable {
    public enum Kind: String, Sendable {
        /// The agent loop: a Messages request carrying tool definitions.
        case main
        /// A Messages request without tools (title generation, topic detection, quota checks).
        case side
        case countTokens = "count_tokens"
        case other
    }

    public var method: String
    public var path: String
    public var kind: Kind
    /// For main requests: the scripted turn it was answered with.
    public var turn: Int?
    /// The parsed body; nil when empty or not JSON.
    public var body: JSONValue?

    public var messages: [JSONValue] { body?["messages"]?.array ?? [] }

    public init(method: String, path: String, kind: Kind, turn: Int? = nil, body: JSONValue?) {
        self.method = method
        self.path = path
        self.kind = kind
        self.turn = turn
        self.body = body
    }
}

/// A stand-in for the Anthropic Messages API on loopback, which serves a script of model turns to
/// the real Claude Code CLI and records every request: the tool results in them are what a model
/// would have seen. Endpoints: `POST /v1/messages` (JSON, or an event stream when the body asks
/// `stream: true`), `POST /v1/messages/count_tokens`, `HEAD` (answered 200, the CLI's
/// reachability probe); anything else is 404. Every answer names the model
/// `warden-demo-stand-in` and every text begins with `StandInScript.label`.
///
/// Main requests are told from side requests by a non-empty `tools` array: Claude Code sends its
/// tool definitions with every request of the agent loop and none with its side requests.
public final class MessagesStandIn: Sendable {
    public let port: Int
    private let server: any Channel
    private let group: MultiThreadedEventLoopGroup
    let state: StandInState

    private init(port: Int, server: any Channel, group: MultiThreadedEventLoopGroup, state: StandInState) {
        self.port = port
        self.server = server
        self.group = group
        self.state = state
    }

    /// Listens on `host` (loopback) at `port` (0: a free one; read `port` afterwards).
    public static func start(script: StandInScript, host: String = "127.0.0.1", port: Int = 0) async throws -> MessagesStandIn {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let state = StandInState(script: script)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.configureHTTPServerPipeline(withErrorHandling: true)
                    try sync.addHandler(StandInHandler(state: state))
                }
            }
        do {
            let server = try await bootstrap.bind(host: host, port: port).get()
            guard let bound = server.localAddress?.port else {
                try? await server.close()
                throw StandInError("the stand-in's socket has no port")
            }
            return MessagesStandIn(port: bound, server: server, group: group, state: state)
        } catch let error as StandInError {
            try? await group.shutdownGracefully()
            throw error
        } catch {
            try? await group.shutdownGracefully()
            throw StandInError("cannot listen on \(host):\(port): \(error)")
        }
    }

    /// Every request so far, in the order they arrived.
    public var requests: [StandInRequest] { state.requests }

    /// The base URL to give Claude Code (`ANTHROPIC_BASE_URL`).
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    public func stop() async {
        try? await server.close()
        try? await group.shutdownGracefully()
    }
}

public struct StandInError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The script, the tool_use ids served (and their turns), and the requests received; shared by
/// every connection.
final class StandInState: Sendable {
    private struct Guarded {
        var turnOfToolUse: [String: Int] = [:]
        var requests: [StandInRequest] = []
        var generator = SystemRandomNumberGenerator()
    }

    let script: StandInScript
    private let guarded = Mutex(Guarded())

    init(script: StandInScript) {
        self.script = script
    }

    var requests: [StandInRequest] { guarded.withLock { $0.requests } }

    /// The answer to one request: status, content type and body.
    func answer(method: String, uri: String, body: [UInt8]) -> (status: HTTPResponseStatus, contentType: String, body: String) {
        let route = String(uri.prefix { $0 != "?" }).trimmingSuffix("/")
        let parsed = body.isEmpty ? nil : try? JSONValue.parse(bytes: body)
        func record(_ kind: StandInRequest.Kind, turn: Int? = nil) {
            let request = StandInRequest(method: method, path: uri, kind: kind, turn: turn, body: parsed)
            guarded.withLock { $0.requests.append(request) }
        }
        switch (method, route) {
        case ("HEAD", _):
            record(.other)
            return (.ok, "application/json", "")
        case ("POST", "/v1/messages/count_tokens"):
            record(.countTokens)
            let tokens = parsed.map(StandInProtocol.estimatedTokens) ?? 1
            return (.ok, "application/json", JSONValue.object(["input_tokens": .number(tokens)]).serialized)
        case ("POST", "/v1/messages"):
            guard let request = parsed, request.members != nil else {
                record(.other)
                let error = StandInProtocol.error(type: "invalid_request_error", message: "the stand-in needs a JSON object body")
                return (.badRequest, "application/json", error.serialized)
            }
            let messages = request["messages"]?.array ?? []
            let blocks: [StandInBlock]
            let stopReason: String
            if let tools = request["tools"]?.array, !tools.isEmpty {
                let (turn, content) = guarded.withLock { guarded -> (Int, (blocks: [StandInBlock], stopReason: String)) in
                    let turn = script.nextTurn(messages: messages, turnOfToolUse: guarded.turnOfToolUse)
                    let content = script.content(ofTurn: turn) { Self.newID("toolu_", using: &guarded.generator) }
                    for case .toolUse(let id, _, _) in content.blocks { guarded.turnOfToolUse[id] = turn }
                    return (turn, content)
                }
                record(.main, turn: turn)
                (blocks, stopReason) = content
            } else {
                record(.side)
                (blocks, stopReason) = ([.text(StandInScript.sideText)], "end_turn")
            }
            let id = guarded.withLock { Self.newID("msg_", using: &$0.generator) }
            let message = StandInProtocol.message(
                id: id, blocks: blocks, stopReason: stopReason, inputTokens: StandInProtocol.estimatedTokens(.array(messages)))
            if request["stream"]?.bool == true {
                return (.ok, "text/event-stream", StandInProtocol.eventStream(message))
            }
            return (.ok, "application/json", message.serialized)
        default:
            record(.other)
            let error = StandInProtocol.error(type: "not_found_error", message: "the Warden demo's stand-in has no \(method) \(route)")
            return (.notFound, "application/json", error.serialized)
        }
    }

    static func newID(_ prefix: String, using generator: inout SystemRandomNumberGenerator) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        return prefix + "01" + String((0..<22).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })
    }
}

extension String {
    fileprivate func trimmingSuffix(_ suffix: String) -> String {
        var text = self
        while text.count > 1 && text.hasSuffix(suffix) { text.removeLast(suffix.count) }
        return text
    }
}

/// One connection: gathers each request's head and body, then writes the whole answer with its
/// length (the event stream too: the CLI reads it as it arrives either way).
private final class StandInHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let state: StandInState
    var head: HTTPRequestHead?
    var body: [UInt8] = []

    init(state: StandInState) {
        self.state = state
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body.removeAll(keepingCapacity: true)
        case .body(var buffer):
            body += buffer.readBytes(length: buffer.readableBytes) ?? []
        case .end:
            guard let head else { return }
            self.head = nil
            let answer = state.answer(method: head.method.rawValue, uri: head.uri, body: body)
            var headers = HTTPHeaders()
            headers.add(name: "content-type", value: answer.contentType)
            headers.add(name: "content-length", value: String(answer.body.utf8.count))
            headers.add(name: "request-id", value: "req_warden_demo_stand_in")
            let response = HTTPResponseHead(version: head.version, status: answer.status, headers: headers)
            context.write(wrapOutboundOut(.head(response)), promise: nil)
            if head.method != .HEAD, !answer.body.isEmpty {
                context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: answer.body)))), promise: nil)
            }
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }
}
