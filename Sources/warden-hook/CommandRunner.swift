// `warden-hook --run COMMAND`: Claude Code's CLAUDE_CODE_SHELL_PREFIX. With the prefix set to
// "/usr/local/bin/warden-hook --run", Claude Code runs every shell command it starts as
// `warden-hook --run '<command string>'`, after its own permission checks have judged the command
// the model wrote. A Bash tool command then runs under the user's shell with its standard output
// and standard error passing through the redactor, and its exit status kept: so a command that
// fails (`cat customers.csv; exit 1`), whose output Claude Code sends to the model without a
// PostToolUse hook, is redacted too.
//
// Claude Code also starts its hooks (Warden's own included), status lines and MCP servers through
// the prefix. Those are not tool output: Warden's own hook is answered in this process, anything
// else is handed to the shell unchanged.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import WardenChannel
import WardenDetect
import WardenHooks
import WardenPolicy
import WardenRedact
import WardenSystem

enum CommandRunner {
    /// Claude Code ends every Bash tool command string with this, to learn the shell's new working
    /// directory; hooks, status lines and MCP servers have no such tail.
    static let toolCommandMarker = "pwd -P >| "

    /// The shell Claude Code runs its commands with: `$CLAUDE_CODE_SHELL`, else `$SHELL` when it
    /// is bash or zsh, else bash.
    static func shell() -> String {
        if let chosen = Files.environment("CLAUDE_CODE_SHELL") { return chosen }
        if let user = Files.environment("SHELL"), user.hasSuffix("/bash") || user.hasSuffix("/zsh") { return user }
        return "/bin/bash"
    }

    /// The words of `command` when it is a plain invocation of this very executable (how Claude
    /// Code starts Warden's hook through the prefix), else nil.
    static func ownInvocation(_ command: String) -> [String]? {
        let special: Set<Character> = ["$", "`", "'", "\"", "\\", ";", "&", "|", "<", ">", "(", ")", "{", "}", "*", "?", "[", "~", "#", "\n"]
        guard !command.contains(where: { special.contains($0) }) else { return nil }
        let words = command.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard let program = words.first, program.hasPrefix("/") else { return nil }
        guard let own = realPath("/proc/self/exe"), realPath(program) == own else { return nil }
        return words
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Runs `command` and never returns: redacted when it is a Bash tool command, handed to the
    /// shell otherwise.
    static func run(_ command: String, policyPath: String?) -> Never {
        // A nested Landlock domain for the command and everything it starts: no ptrace-class
        // access to Claude Code or the hooks (its /proc/PID/mem, ptrace, process_vm_writev), no
        // signals to them with Landlock ABI 6. Applied here, so that this process (the redactor)
        // is inside too: it has nothing to protect from the command, whose output it is. On a
        // kernel without Landlock the command runs without it (see README, "Inside the sandbox").
        _ = Landlock.restrictSelfForCommand()
        let shell = shell()
        guard command.contains(toolCommandMarker) else {
            execute(shell, ["-c", command])
        }
        let loaded = PolicyFile.loadWithBytes(path: PolicyFile.locate(given: policyPath))
        let policy = try? loaded.policy.get()
        let settings = policy?.detection ?? .defaults
        let keepDays = PseudonymStore.keepDays(cleanupPeriodDays: policy?.audit.cleanupPeriodDays)
        // Under `style: pseudonym` the names come from the session's book, the one the hook keeps
        // for its answers: Claude Code gives the commands it runs the session's id as
        // CLAUDE_CODE_SESSION_ID. Without it, placeholders: names of a book of this command's own
        // could be the hook's names for other values, and mislead the model.
        let session = Files.environment("CLAUDE_CODE_SESSION_ID")
        // Inside `warden run` the book is the host's: names come through its channel.
        var channelPort: Int? = nil
        if case .inside(let port) = Confinement.detect() { channelPort = port }
        var book: PseudonymBook?
        if settings.style == .pseudonym, let session {
            if channelPort != nil, ChannelRequest.isSessionIdentifier(session) {
                book = SandboxChannel.digestBook()
            } else if channelPort == nil, let store = PseudonymStore.open(session: session, keepDays: keepDays) {
                book = store.book
                store.save(nil)
            }
        }
        let pseudonyms = SessionPseudonyms(session: book == nil ? nil : session, keepDays: keepDays, channelPort: channelPort)
        let redactor = HookResponder.toolOutputRedactor(settings, pseudonyms: book)
        let (status, streams) = runRedacted(shell: shell, command: command, redactor: redactor, pseudonyms: pseudonyms)
        var redactions: [String: Int] = [:]
        var withheld: Set<DetectionKind> = []
        for stream in streams {
            redactions.merge(stream.redactor.redactor.countsByName, uniquingKeysWith: +)
            withheld.formUnion(stream.redactor.redactor.withheldKinds)
        }
        let summary = HookResponder.commandOutputSummary(
            command: modelCommand(command), session: session, redactions: redactions, withheldKinds: withheld)
        if let channelPort {
            // The command has run: a record the host does not take changes nothing now.
            _ = ChannelClient.send(.record(SandboxChannel.channelRecord(summary, policy: loaded.bytes, latencyMicros: DecisionLogging.cpuMicros())), port: channelPort)
        } else {
            DecisionLogging.record(HookAnswer(exitStatus: 0, summary: summary), policy: loaded, latencyMicros: DecisionLogging.cpuMicros(), reportsTrouble: false)
        }
        exit(status)
    }

    /// The command the model wrote, from the string Claude Code runs (`eval 'COMMAND' < /dev/null
    /// && pwd -P >| FILE`, after a prelude of its own ending in `&& `): the log shows what was
    /// asked for. Anything of another shape is shown whole.
    static func modelCommand(_ command: String) -> String {
        let bytes = Array(command.utf8)
        let opening = Array("eval '".utf8)
        let afterPrelude = Array("&& eval '".utf8)
        var i: Int
        if bytes.starts(with: opening) {
            i = opening.count
        } else if let start = bytes.indices.first(where: { bytes[$0...].starts(with: afterPrelude) }) {
            i = start + afterPrelude.count
        } else {
            return command
        }
        var words: [UInt8] = []
        let quoteEscape = Array("'\\''".utf8)
        while i < bytes.count {
            if bytes[i...].starts(with: quoteEscape) {
                words.append(UInt8(ascii: "'"))
                i += quoteEscape.count
            } else if bytes[i] == UInt8(ascii: "'") {
                return bytes[(i + 1)...].starts(with: Array(" < /dev/null && ".utf8)) ? String(decoding: words, as: UTF8.self) : command
            } else {
                words.append(bytes[i])
                i += 1
            }
        }
        return command
    }

    /// The session's pseudonym book, shared through its file with the hook and with commands that
    /// run at the same time.
    struct SessionPseudonyms {
        let session: String?
        let keepDays: Int
        /// Inside `warden run`: the channel's port, through which the host numbers the values.
        var channelPort: Int? = nil

        /// Runs `body`, a feed or finish that releases redacted output, with the newest book
        /// (locked meanwhile), and keeps the names it added. The lock is held only for a release,
        /// never for the whole command: a command may run for hours beside other tool calls.
        /// Through the channel: a trial run on a copy collects the digests of what needs a name,
        /// the host numbers them, and the release itself runs with every name known.
        func releasing(_ stream: inout StreamRedactor, _ body: (inout StreamRedactor) -> [UInt8]) -> [UInt8] {
            if let session, let channelPort {
                var trial = stream
                trial.adopt(SandboxChannel.digestBook())
                _ = body(&trial)
                if let book = SandboxChannel.hostBook(for: trial.redactor.pseudonyms, session: session, port: channelPort) {
                    stream.adopt(book)
                } else {
                    stream.usePlaceholders()
                }
                return body(&stream)
            }
            guard let session, let store = PseudonymStore.open(session: session, keepDays: keepDays) else { return body(&stream) }
            stream.adopt(store.book)
            let released = body(&stream)
            store.save(stream.redactor.pseudonyms)
            return released
        }
    }

    static func execute(_ program: String, _ arguments: [String]) -> Never {
        let argv: [UnsafeMutablePointer<CChar>?] = ([program] + arguments).map { strdup($0) } + [nil]
        execv(program, argv)
        fail("cannot run \(program): \(Files.errorText(errno))")
    }

    static func fail(_ message: String) -> Never {
        _ = Files.writeAll(2, "warden-hook --run: \(message)\n")
        exit(126)
    }

    /// Runs `command` with its output redacted; returns the status a shell would report, and the
    /// streams with what their redactors counted.
    static func runRedacted(
        shell: String, command: String, redactor: Redactor, pseudonyms: SessionPseudonyms
    ) -> (status: Int32, streams: [RedactedStream]) {
        var outputPipe: [Int32] = [0, 0]
        var errorPipe: [Int32] = [0, 0]
        guard pipe(&outputPipe) == 0, pipe(&errorPipe) == 0 else {
            fail("cannot make a pipe: \(Files.errorText(errno))")
        }
        // The read ends stay out of the child; they are polled without blocking, so that a
        // background job that keeps the pipe open cannot hold the answer after the shell exits.
        for end in [outputPipe[0], errorPipe[0]] {
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_adddup2(&actions, outputPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errorPipe[1], 2)
        let words: [String] = [shell, "-c", command]
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        var child: pid_t = 0
        let spawned = posix_spawn(&child, shell, &actions, nil, argv, environ)
        posix_spawn_file_actions_destroy(&actions)
        guard spawned == 0 else { fail("cannot run \(shell): \(Files.errorText(spawned))") }
        close(outputPipe[1])
        close(errorPipe[1])
        // A reader that went away must not kill the redactor before the child's status is known.
        signal(SIGPIPE, SIG_IGN)

        var streams = [
            RedactedStream(source: outputPipe[0], target: 1, redactor: StreamRedactor(redactor: redactor)),
            RedactedStream(source: errorPipe[0], target: 2, redactor: StreamRedactor(redactor: redactor)),
        ]
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var status: Int32 = 0
        var exited = false
        while streams.contains(where: { $0.open }) {
            var polled = streams.filter { $0.open }.map { pollfd(fd: $0.source, events: Int16(POLLIN), revents: 0) }
            // Once the shell has exited, only what is already in the pipes is read.
            if poll(&polled, nfds_t(polled.count), exited ? 0 : 200) < 0 {
                if errno == EINTR { continue }
                fail("cannot wait for the command's output: \(Files.errorText(errno))")
            }
            for index in streams.indices where streams[index].open {
                let count = buffer.withUnsafeMutableBytes { read(streams[index].source, $0.baseAddress, $0.count) }
                if count > 0 {
                    let releases = streams[index].redactor.releases(afterAdding: count)
                    let released = buffer.withUnsafeBytes { chunk in
                        let piece = UnsafeRawBufferPointer(rebasing: chunk[0..<count])
                        return releases
                            ? pseudonyms.releasing(&streams[index].redactor) { $0.feed(piece) }
                            : streams[index].redactor.feed(piece)
                    }
                    Files.writeAll(streams[index].target, released)
                } else if count == 0 || (errno != EAGAIN && errno != EINTR) || exited {
                    Files.writeAll(streams[index].target, pseudonyms.releasing(&streams[index].redactor) { $0.finish() })
                    close(streams[index].source)
                    streams[index].open = false
                }
            }
            if !exited {
                var result: pid_t
                repeat { result = waitpid(child, &status, WNOHANG) } while result < 0 && errno == EINTR
                exited = result == child
            }
        }
        if !exited {
            while waitpid(child, &status, 0) < 0 && errno == EINTR {}
        }
        // What a shell reports: the exit status, or 128 plus the signal that ended the command.
        let signalNumber = status & 0x7f
        return (signalNumber == 0 ? (status >> 8) & 0xff : 128 + signalNumber, streams)
    }

    /// One of the command's output streams on its way through the redactor.
    struct RedactedStream {
        var source: Int32
        var target: Int32
        var redactor: StreamRedactor
        var open = true
    }
}
