// warden-sandbox-init --spec PATH: the first process inside the sandbox (bwrap's command). Starts
// the proxy forwarders, applies the limits, Landlock and seccomp of the spec, then execs the
// agent. Any failure: one line on stderr, exit 126, and the agent is not run. No Foundation.
#if canImport(Glibc)
import Glibc
#endif
import WardenLaunch
import WardenSystem

func refuse(_ message: String) -> Never {
    _ = Files.writeAll(2, "warden-sandbox-init: \(message)\n")
    exit(InsideSandbox.refusalStatus)
}

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments == ["--help"] || arguments == ["-h"] {
    _ = Files.writeAll(1, """
        usage: warden-sandbox-init --spec PATH
               warden-sandbox-init --gate [--watch-cleanup STATE-FILE]

        The first process inside Warden's bubblewrap sandbox, started by `warden run`. Reads the
        spec (JSON, written by `warden run`), listens on the forwarders' ports, applies the
        limits, drops privileges, applies Landlock and seccomp (with allowUnixSockets paths, the
        filter's listener goes to warden run over the inherited descriptor the spec names), and
        execs the spec's command.
        Any failure prints one line "warden-sandbox-init: ..." and exits with status 126.

        --gate: on the host, `warden run`'s launch gate: reads its instructions on descriptor 9
        (NUL-ended fields: "make" DIR, "set" or "set-if-present" FILE VALUE, "enter" DIR; an
        empty field ends them), makes the session's cgroup, moves itself into it, answers a
        line feed (or a one-line reason), then execs what warden run sends next (bwrap). With
        --watch-cleanup it first forks warden run's clean-up watcher, whose pipes it gets as
        descriptors 5 (warden run's) and 6 (the sandbox's): once both have ended, the watcher
        removes what the state file lists.

        """)
    exit(0)
}
// On the host: the launch gate (LaunchGate.serve), which moves itself into the session's cgroup
// and becomes bwrap.
if arguments.first == "--gate" { LaunchGate.serve(arguments: Array(arguments.dropFirst())) }
StartTrace.mark("init", "started")
guard arguments.count == 2, arguments[0] == "--spec" else { refuse("usage: warden-sandbox-init --spec PATH") }
switch InsideSandbox.readSpec(path: arguments[1]) {
case .failure(let error): refuse(error.message)
case .success(let spec):
    StartTrace.mark("init", "spec read")
    refuse(InsideSandbox.run(spec))
}
