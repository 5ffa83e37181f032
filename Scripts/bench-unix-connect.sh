#!/usr/bin/env bash
# What the unix socket supervisor (sandbox.network.allowUnixSockets) costs per connect, side by
# side in one run:
#
#   Scripts/bench-unix-connect.sh [--connects N] [--rounds R] [--warden PATH]
#                                 (default: 2000 connects, 5 rounds, the release build)
#
# One `warden run` per contender and round, in a random order each round; inside, python times N
# connects (each on a new socket, closed at once; blocking sockets, then non-blocking ones, which
# the supervisor connects on its own thread instead of a thread per connect) to:
#   unix   a unix socket server on the host, reached through the listed path (supervised), or
#          directly (allowAllUnixSockets: true, no supervisor)
#   tcp    a listener on the sandbox's own 127.0.0.1 (every connect notifies the supervisor when
#          paths are listed)
# Printed: microseconds per connect, median over the rounds, for each mode and kind.
set -euo pipefail
cd "$(dirname "$0")/.."
connects=2000
rounds=5
warden=""
while [ $# -gt 0 ]; do
    case "$1" in
        --connects) connects="${2:?}"; shift 2 ;;
        --rounds) rounds="${2:?}"; shift 2 ;;
        --warden) warden="${2:?}"; shift 2 ;;
        *) echo "bench-unix-connect: unknown argument $1" >&2; exit 64 ;;
    esac
done
if [ -z "$warden" ]; then
    warden="$(Scripts/build-release.sh)/warden"
fi
warden="$(cd "$(dirname "$warden")" && pwd)/$(basename "$warden")"
exec python3 - "$warden" "$connects" "$rounds" <<'PY'
import json, os, random, shutil, socket, statistics, subprocess, sys, tempfile, threading

warden, connects, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
# Not under /tmp: the sandbox has a private one, and allowAllUnixSockets connects from inside.
scratch = tempfile.mkdtemp(prefix=".warden-bench-unix-", dir=os.environ.get("HOME", "/root"))
project = os.path.join(scratch, "project")
os.makedirs(project)
subprocess.run(["git", "init", "-q", project], check=True)
path = os.path.join(scratch, "server.sock")
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(path)
server.listen(1024)
def serve():
    while True:
        connection, _ = server.accept()
        connection.close()
threading.Thread(target=serve, daemon=True).start()

policies = {}
for mode, network in (("supervised", {"allowUnixSockets": [path]}), ("allowAll", {"allowAllUnixSockets": True})):
    settings = json.load(open("profiles/baseline.json"))
    settings.setdefault("sandbox", {}).setdefault("network", {}).update(network)
    policies[mode] = os.path.join(scratch, mode + ".json")
    json.dump(settings, open(policies[mode], "w"))

probe = r'''
import socket, sys, time
path, count = sys.argv[1], int(sys.argv[2])
listener = socket.socket(); listener.bind(("127.0.0.1", 0)); listener.listen(4096)
port = listener.getsockname()[1]
def timed(family, address, blocking=True):
    start = time.perf_counter()
    for _ in range(count):
        s = socket.socket(family, socket.SOCK_STREAM)
        s.setblocking(blocking)
        s.connect_ex(address)
        s.close()
        if family == socket.AF_INET:
            listener.accept()[0].close()
    return (time.perf_counter() - start) / count * 1e6
print("unix=%.2f unix-nonblocking=%.2f tcp=%.2f tcp-nonblocking=%.2f" % (
    timed(socket.AF_UNIX, path), timed(socket.AF_UNIX, path, False),
    timed(socket.AF_INET, ("127.0.0.1", port)), timed(socket.AF_INET, ("127.0.0.1", port), False)))
'''
env = dict(os.environ, XDG_STATE_HOME=os.path.join(scratch, "state"))
env.pop("ANTHROPIC_BASE_URL", None)
results = {(mode, kind): [] for mode in policies for kind in ("unix", "unix-nonblocking", "tcp", "tcp-nonblocking")}
for _ in range(rounds):
    order = list(policies.items())
    random.shuffle(order)
    for mode, policy in order:
        run = subprocess.run([warden, "run", "--policy", policy, "--", "/usr/bin/python3", "-c", probe, path, str(connects)],
                             cwd=project, env=env, capture_output=True, text=True)
        if run.returncode != 0:
            sys.exit(f"bench-unix-connect: {mode} failed: {run.stderr.strip()}")
        for item in run.stdout.split():
            kind, value = item.split("=")
            results[(mode, kind)].append(float(value))
print(f"{connects} connects per run, {rounds} rounds, interleaved; microseconds per connect (median of rounds)")
print(f"{'connect':<18}{'supervised':>12}{'allowAll':>12}{'difference':>12}")
for kind in ("unix", "unix-nonblocking", "tcp", "tcp-nonblocking"):
    supervised = statistics.median(results[("supervised", kind)])
    direct = statistics.median(results[("allowAll", kind)])
    print(f"{kind:<18}{supervised:>12.1f}{direct:>12.1f}{supervised - direct:>12.1f}")
shutil.rmtree(scratch, ignore_errors=True)
PY
