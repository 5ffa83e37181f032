#!/usr/bin/env bash
# What `warden run` costs over a bare bubblewrap sandbox, side by side in one run:
#
#   Scripts/bench-run.sh [--runs N] [--warden PATH] [--baseline PATH]
#                                                       (default: 200 runs, the release build)
#
# Contenders, interleaved in a random order each round so a neighbour's load falls on all alike:
#   bare bwrap       bwrap --unshare-all --die-with-parent --new-session --ro-bind / / --dev /dev
#                    --proc /proc --tmpfs /tmp -- /bin/true
#   warden run       warden run --policy P -- /bin/true: the plan, the run directory and its clean-up
#                    watcher, the proxies on their unix sockets, bwrap with every mount of the plan,
#                    warden-sandbox-init (forwarders, limits, Landlock, seccomp), the log records
#   warden run (allowUnixSockets)    the same with one path listed: the unix socket supervisor
#                    (its channel, its thread, init's hand-over of the seccomp listener)
# and, to show where the difference goes:
#   warden --version                 the CLI's own start-up
#   warden run --dry-run             the plan alone (policy, project, globs, environment)
# and with --baseline, another build's `warden run` (e.g. the commit before a change), so that a
# change's cost is measured in the same run as the change.
# Wall time per run; p50 and p90 in milliseconds. Target: warden run within 15 ms of bare bwrap.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=200
warden=""
baseline=""
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) runs="${2:?}"; shift 2 ;;
        --warden) warden="${2:?}"; shift 2 ;;
        --baseline) baseline="${2:?}"; shift 2 ;;
        *) echo "bench-run: unknown argument $1" >&2; exit 64 ;;
    esac
done
if [ -z "$warden" ]; then
    warden="$(Scripts/build-release.sh)/warden"
fi
warden="$(cd "$(dirname "$warden")" && pwd)/$(basename "$warden")"
[ -z "$baseline" ] || baseline="$(cd "$(dirname "$baseline")" && pwd)/$(basename "$baseline")"
exec python3 - "$warden" "$runs" "$baseline" <<'PY'
import json, os, random, statistics, subprocess, sys, tempfile, time

warden, runs, baseline = sys.argv[1], int(sys.argv[2]), sys.argv[3]
scratch = tempfile.mkdtemp(prefix="warden-bench-run-")
project = os.path.join(scratch, "project")
os.makedirs(project)
subprocess.run(["git", "init", "-q", project], check=True)
policy = os.path.join(scratch, "policy.json")
with open(policy, "w") as f:
    f.write(open("profiles/baseline.json").read())
supervised = os.path.join(scratch, "supervised.json")
with open(supervised, "w") as f:
    settings = json.load(open("profiles/baseline.json"))
    settings.setdefault("sandbox", {}).setdefault("network", {})["allowUnixSockets"] = [os.path.join(scratch, "agent.sock")]
    json.dump(settings, f)
env = dict(os.environ, XDG_STATE_HOME=os.path.join(scratch, "state"))
env.pop("ANTHROPIC_BASE_URL", None)

# warden run's own bwrap command: the plan's arguments, taken from --dry-run --json.
plan = json.loads(subprocess.run([warden, "run", "--dry-run", "--json", "--policy", policy, "--", "/bin/true"],
                                 cwd=project, env=env, capture_output=True, text=True, check=True).stdout)

contenders = {
    "bare bwrap": ["bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--ro-bind", "/", "/",
                   "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", "--", "/bin/true"],
    "warden run": [warden, "run", "--policy", policy, "--", "/bin/true"],
    "warden run (allowUnixSockets)": [warden, "run", "--policy", supervised, "--", "/bin/true"],
    "warden --version": [warden, "--version"],
    "warden run --dry-run": [warden, "run", "--dry-run", "--policy", policy, "--", "/bin/true"],
}
if baseline:
    contenders["warden run (baseline)"] = [baseline, "run", "--policy", policy, "--", "/bin/true"]
times = {name: [] for name in contenders}
for _ in range(5):  # warm the page cache
    for command in contenders.values():
        subprocess.run(command, cwd=project, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
for _ in range(runs):
    order = list(contenders.items())
    random.shuffle(order)
    for name, command in order:
        start = time.perf_counter()
        result = subprocess.run(command, cwd=project, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        elapsed = (time.perf_counter() - start) * 1000
        if result.returncode != 0:
            sys.exit(f"bench-run: {name} failed: {result.stderr.decode().strip()}")
        times[name].append(elapsed)

def q(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]

print(f"{runs} runs each, interleaved; wall time in ms")
print(f"{'contender':<32}{'p50':>8}{'p90':>8}")
for name, values in times.items():
    print(f"{name:<32}{q(values, 0.5):>8.2f}{q(values, 0.9):>8.2f}")
difference = q(times["warden run"], 0.5) - q(times["bare bwrap"], 0.5)
print(f"warden run - bare bwrap at p50: {difference:.2f} ms (target: under 15 ms)")
if baseline:
    print(f"warden run - baseline at p50: {q(times['warden run'], 0.5) - q(times['warden run (baseline)'], 0.5):.2f} ms")
print(f"plan mounts: {len([m for m in plan.get('mounts', [])])}; bwrap arguments: {len(plan.get('bwrapArguments', []))}")
PY
