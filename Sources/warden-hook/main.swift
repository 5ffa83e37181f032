// warden-hook: reads one Claude Code hook event on stdin and answers on stdout/stderr.
//
// Claude Code lets the tool run when a hook exits with any status but 0 or 2 — a crash, a signal,
// a timeout included. So before anything else this process arranges that every way it can die
// answers "blocked" with exit status 2: fatal signals (Swift traps are SIGILL/SIGTRAP, a stack
// overflow is SIGSEGV on an alternate stack), a watchdog alarm, and SIGTERM from a killed session.
// Only Glibc is imported: Foundation would triple the start-up time that every tool call pays.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import WardenAudit
import WardenChannel
import WardenHooks
import WardenJSON
import WardenPolicy
import WardenSystem

/// When the process started its work, for the latency the decision log records.
let startedMicros = DecisionLogging.monotonicMicros()

// MARK: The crash path

/// The message the signal handler writes: a constant in the binary, because a signal handler may
/// only call async-signal-safe functions (no allocation, no Swift runtime). Static text, not a
/// string built at start: formatting and copying the two messages, the signal list as an array
/// and a 256 KiB stack from malloc cost the hook a tenth of its own work per call.
nonisolated(unsafe) var crashMessage: UnsafePointer<UInt8>? = nil
/// Where the hook's own messages go: the original stderr. Descriptor 2 itself is pointed at
/// /dev/null, so that nothing else (the Swift runtime's "Fatal error" line before a trap) lands in
/// the reason Claude Code shows.
nonisolated(unsafe) var messageFD: Int32 = 2
nonisolated(unsafe) var crashMessageLength = 0
nonisolated(unsafe) var timeoutMessage: UnsafePointer<UInt8>? = nil
nonisolated(unsafe) var timeoutMessageLength = 0

/// Keep in step with the number in `timeoutText`.
let watchdogSeconds: UInt32 = 20
let crashText: StaticString =
    "Warden blocked this: the hook failed unexpectedly (fatal signal), and a failed guard must not let a tool run.\n"
let timeoutText: StaticString = "Warden blocked this: the hook did not decide within 20 seconds.\n"

func installCrashPath() {
    let original = dup(2)
    let null = open("/dev/null", O_WRONLY | O_CLOEXEC)
    if original >= 0 && null >= 0 && dup2(null, 2) == 2 {
        _ = fcntl(original, F_SETFD, FD_CLOEXEC)
        messageFD = original
    }
    if null >= 0 { close(null) }
    (crashMessage, crashMessageLength) = (crashText.utf8Start, crashText.utf8CodeUnitCount)
    (timeoutMessage, timeoutMessageLength) = (timeoutText.utf8Start, timeoutText.utf8CodeUnitCount)

    // A stack overflow cannot run its handler on the stack that overflowed. Mapped, not
    // allocated: none of its pages is touched unless a handler runs.
    let alternateStackSize = 256 * 1024
    var stack = stack_t()
    let mapped = mmap(nil, alternateStackSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
    stack.ss_sp = mapped != MAP_FAILED ? mapped : UnsafeMutableRawPointer.allocate(byteCount: alternateStackSize, alignment: 16)
    stack.ss_size = alternateStackSize
    stack.ss_flags = 0
    sigaltstack(&stack, nil)

    let onFatalSignal: @convention(c) (Int32) -> Void = { _ in
        if let message = crashMessage { _ = write(messageFD, message, crashMessageLength) }
        _exit(2)
    }
    let onTimeout: @convention(c) (Int32) -> Void = { _ in
        if let message = timeoutMessage { _ = write(messageFD, message, timeoutMessageLength) }
        _exit(2)
    }
    func install(_ handler: @convention(c) (Int32) -> Void, for signal: Int32) {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = handler
        action.sa_flags = Int32(SA_ONSTACK)
        sigemptyset(&action.sa_mask)
        sigaction(signal, &action, nil)
    }
    // One call per signal, not a loop over an array: the hook uses no other array of Int32, and
    // its metadata is made at run time on first use.
    install(onFatalSignal, for: SIGSEGV)
    install(onFatalSignal, for: SIGBUS)
    install(onFatalSignal, for: SIGILL)
    install(onFatalSignal, for: SIGTRAP)
    install(onFatalSignal, for: SIGABRT)
    install(onFatalSignal, for: SIGFPE)
    install(onFatalSignal, for: SIGSYS)
    install(onFatalSignal, for: SIGTERM)
    install(onFatalSignal, for: SIGINT)
    install(onFatalSignal, for: SIGHUP)
    install(onFatalSignal, for: SIGQUIT)
    install(onFatalSignal, for: SIGXCPU)
    install(onFatalSignal, for: SIGXFSZ)
    install(onFatalSignal, for: SIGUSR1)
    install(onFatalSignal, for: SIGUSR2)
    install(onTimeout, for: SIGALRM)
    // A closed stdout must surface as a failed write, not as a silent SIGPIPE death.
    signal(SIGPIPE, SIG_IGN)
    alarm(watchdogSeconds)
}

// Claude Code's shell prefix (see CommandRunner): a command to run, or this hook started through it.
// `warden install` pins the prefix to the managed settings with `--run-policy=FILE COMMAND`: one
// word, because Claude Code splits CLAUDE_CODE_SHELL_PREFIX at its last " -" and quotes all
// before it as the executable (`--policy FILE --run` would make "warden-hook --policy FILE" the
// program's name, and every command and hook fail with 127, open).
var hookArguments = Array(CommandLine.arguments.dropFirst())
var prefixPolicy: String? = nil
if let first = hookArguments.first, first.hasPrefix("--run-policy=") {
    prefixPolicy = String(first.dropFirst("--run-policy=".count))
    hookArguments[0] = "--run"
}
if hookArguments.first == "--run" {
    guard hookArguments.count == 2 else { CommandRunner.fail("usage: warden-hook [--run | --run-policy=FILE] COMMAND") }
    guard let words = CommandRunner.ownInvocation(hookArguments[1]) else {
        CommandRunner.run(hookArguments[1], policyPath: prefixPolicy)
    }
    hookArguments = Array(words.dropFirst())
}

/// `WARDEN_TRACE_START=1`: when each step of the call was done (see `StartTrace`).
func trace(_ step: String) { StartTrace.mark("hook", step, fd: messageFD) }
trace("started")
installCrashPath()
trace("crash path installed")

func finish(_ answer: HookAnswer) -> Never {
    var status = answer.exitStatus
    if !answer.stdout.isEmpty && !Files.writeAll(1, answer.stdout) {
        // The answer did not get out: make sure what Claude Code sees is a block, not silence.
        status = 2
        _ = Files.writeAll(messageFD, "Warden blocked this: the hook could not write its answer (\(Files.errorText(errno))).\n")
    }
    if !answer.stderr.isEmpty { _ = Files.writeAll(messageFD, answer.stderr) }
    exit(status == 0 ? 0 : 2)
}

// MARK: Arguments

let usage = """
    usage: warden-hook [--policy FILE]
           warden-hook --run COMMAND | --run-policy=FILE COMMAND

    Reads one Claude Code hook event (JSON) on standard input and answers as Claude Code expects.
    Register it for PreToolUse, PostToolUse and UserPromptSubmit (see hooks/managed-settings.json).

    The policy is FILE, else $WARDEN_POLICY, else /etc/claude-code/managed-settings.json. `warden
    install` registers the hook with --policy naming the managed settings, so that no variable a
    developer or a project's settings set can swap the policy.
    Exit status: 0 with a JSON decision (or nothing) on stdout; 2 with the reason on stderr when the
    event must be blocked because Warden cannot judge it (malformed event, unusable policy, crash).

    --no-log                do not write the decision log (benchmarks only: it measures what the
                            log costs; the managed registration never passes it)
    --run COMMAND           run COMMAND as Claude Code's shell prefix: set
                            CLAUDE_CODE_SHELL_PREFIX="/usr/local/bin/warden-hook --run" (the managed
                            settings in hooks/ do). A Bash tool command runs under $CLAUDE_CODE_SHELL,
                            else $SHELL (bash or zsh), else /bin/bash, with its stdout and stderr
                            redacted as the policy says for tool output and its exit status kept.
                            Anything else Claude Code starts through the prefix (hooks, MCP servers)
                            runs unchanged; this hook itself is answered in the same process.
    --run-policy=FILE COMMAND
                            --run with FILE as the policy (one word: Claude Code splits the prefix
                            at its last " -"); what `warden install` registers.
    --crash-for-test KIND   crash on purpose (trap, overflow, segfault) to prove a crash blocks.

    """

var policyPath: String? = nil
/// `--no-log`: for benchmarks that measure what the log costs; the managed registration never
/// passes it.
var decisionLogEnabled = true
var arguments = hookArguments[...]
while let argument = arguments.popFirst() {
    switch argument {
    case "--policy":
        guard let value = arguments.popFirst() else { finish(.block("warden-hook: --policy needs a file.")) }
        policyPath = value
    case _ where argument.hasPrefix("--policy="):
        policyPath = String(argument.dropFirst("--policy=".count))
    case "-h", "--help":
        _ = Files.writeAll(1, usage)
        exit(0)
    case "--no-log":
        decisionLogEnabled = false
    case "--crash-for-test":
        crashForTest(arguments.popFirst() ?? "")
    default:
        finish(.block("warden-hook: unknown argument '\(argument)' (see warden-hook --help)."))
    }
}

func recurseWithoutEnd(_ depth: Int) -> Int {
    var frame = [Int](repeating: depth, count: 64)
    if depth >= 0 { frame[depth % 64] = recurseWithoutEnd(depth &+ 1) }
    return frame.reduce(0, &+)
}

func crashForTest(_ kind: String) -> Never {
    switch kind {
    case "trap": fatalError("crash requested by --crash-for-test")
    case "overflow": _ = recurseWithoutEnd(0); exit(0)
    case "segfault": _ = raise(SIGSEGV); exit(0)
    default: finish(.block("warden-hook: --crash-for-test takes trap, overflow or segfault."))
    }
}

// MARK: Load the policy, read the event, answer

let event: [UInt8]
switch Files.readAll(fileDescriptor: 0, limit: 64 * 1024 * 1024) {
case .success(let bytes): event = bytes
case .failure(let failure): finish(.block("the hook could not read its event (\(failure))."))
}
trace("event read")

let policyLocation = PolicyFile.locate(given: policyPath)
let loaded = PolicyFile.loadWithBytes(path: policyLocation)
trace("policy read")
// Inside `warden run` the log and the pseudonym books are the host's, through its channel.
let confinement = Confinement.detect()
if case .inside(let port) = confinement {
    finish(SandboxChannel.answer(
        parsed: HookResponder.parse(event: event), policy: loaded, port: port, logEnabled: decisionLogEnabled, startedMicros: startedMicros))
}
// Pseudonyms are kept per session only when the policy asks for them: the common path reads no
// extra file.
let parsedEvent = HookResponder.parse(event: event)
trace("event parsed")
var pseudonymStore: PseudonymStore?
if let policy = try? loaded.policy.get(), policy.detection.style == .pseudonym,
   let session = (try? parsedEvent.get())?["session_id"]?.string {
    pseudonymStore = PseudonymStore.open(session: session, keepDays: PseudonymStore.keepDays(cleanupPeriodDays: policy.audit.cleanupPeriodDays))
}
let responder = HookResponder(
    policy: loaded.policy, home: Files.environment("HOME"), fileSystem: SystemFileSystem(), pseudonyms: pseudonymStore?.book)
var answer = responder.answer(parsed: parsedEvent)
trace("answered")
pseudonymStore?.save(answer.pseudonyms)
// Outside the sandbox: `warden.sandbox.required` denies the tool call, and the record says where
// the session was.
var confinementMark: String? = nil
if case .counterfeit = confinement { confinementMark = "outside" }
if let policy = try? loaded.policy.get(), policy.sandbox.required {
    confinementMark = "outside"
    let why = if case .counterfeit(let reason) = confinement { reason } else { "no channel at \(ChannelProtocol.portFileInside)" }
    answer = SandboxRequirement.outside(answer, why: why)
}
if decisionLogEnabled {
    DecisionLogging.record(answer, policy: loaded, latencyMicros: DecisionLogging.monotonicMicros() - startedMicros, confinement: confinementMark)
    trace("logged")
}
finish(answer)
