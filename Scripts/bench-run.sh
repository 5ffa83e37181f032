#!/usr/bin/env bash
# What `warden run` costs over a bare bubblewrap sandbox, side by side in one run, and what each
# of its steps costs:
#
#   Scripts/bench-run.sh [--runs N] [--traced N] [--warden PATH] [--baseline PATH]
#                                           (default: 200 runs, 40 traced runs, the release build)
#
# Contenders, interleaved in a random order each round so a neighbour's load falls on all alike:
#   bare bwrap       bwrap --unshare-all --ro-bind / / --dev /dev --proc /proc true (issue 13's)
#   bare bwrap (warden's options)   the same with --die-with-parent --new-session --tmpfs /tmp
#   warden run (minimal policy)     warden run --policy P -- true, P = {} (no rules, no globs)
#   warden run (baseline.json)      the same with profiles/baseline.json (globs to expand)
#                    Both: the plan, the run directory and its clean-up watcher, the proxies on
#                    their unix sockets, the channel, bwrap with every mount of the plan,
#                    warden-sandbox-init (forwarders, limits, Landlock, seccomp), the log records,
#                    the clean-up
#   warden run (allowUnixSockets)   baseline.json with one path listed: the unix socket supervisor
# and, to show where the difference goes:
#   warden --version                 the CLI's own start-up
#   warden run --dry-run             the plan alone (policy, project, globs, environment)
# and with --baseline, another build's `warden run` (e.g. the commit before a change), so that a
# change's cost is measured in the same run as the change.
# Wall time per run; p50 and p95 in milliseconds, and the machine's load average before and after
# (other work on a shared machine moves every figure). Target: warden run within 15 ms of bare bwrap.
#
# Then the steps: --traced N more runs of each `warden run` contender with WARDEN_TRACE_START=1
# (warden and warden-sandbox-init print `warden-trace MICROSECONDS PROGRAM STEP` as each step
# ends), the lines of both processes sorted into one timeline, each step costed as the time since
# the line before it (the first: since the spawn; "exit": the last line to the end of the
# process); the median of each step over the runs. With --baseline, the other build is traced in
# the same rounds (its steps are named as that build names them).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=200
traced=40
warden=""
baseline=""
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) runs="${2:?}"; shift 2 ;;
        --traced) traced="${2:?}"; shift 2 ;;
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
exec python3 - "$warden" "$runs" "$baseline" "$traced" <<'PY'
import json, os, random, statistics, subprocess, sys, tempfile, time

warden, runs, baseline, traced = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
scratch = tempfile.mkdtemp(prefix="warden-bench-run-")
project = os.path.join(scratch, "project")
os.makedirs(project)
subprocess.run(["git", "init", "-q", project], check=True)
policy = os.path.join(scratch, "policy.json")
with open(policy, "w") as f:
    f.write(open("profiles/baseline.json").read())
minimal = os.path.join(scratch, "minimal.json")
with open(minimal, "w") as f:
    f.write("{}\n")
supervised = os.path.join(scratch, "supervised.json")
with open(supervised, "w") as f:
    settings = json.load(open("profiles/baseline.json"))
    settings.setdefault("sandbox", {}).setdefault("network", {})["allowUnixSockets"] = [os.path.join(scratch, "agent.sock")]
    json.dump(settings, f)
env = dict(os.environ, XDG_STATE_HOME=os.path.join(scratch, "state"))
env.pop("ANTHROPIC_BASE_URL", None)
env.pop("WARDEN_TRACE_START", None)

# warden run's own bwrap command: the plan's arguments, taken from --dry-run --json.
plan = json.loads(subprocess.run([warden, "run", "--dry-run", "--json", "--policy", policy, "--", "/bin/true"],
                                 cwd=project, env=env, capture_output=True, text=True, check=True).stdout)

contenders = {
    "bare bwrap": ["bwrap", "--unshare-all", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "true"],
    "bare bwrap (warden's options)": ["bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--ro-bind", "/", "/",
                   "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", "--", "/bin/true"],
    "warden run (minimal policy)": [warden, "run", "--policy", minimal, "--", "true"],
    "warden run": [warden, "run", "--policy", policy, "--", "true"],
    "warden run (allowUnixSockets)": [warden, "run", "--policy", supervised, "--", "/bin/true"],
    "warden --version": [warden, "--version"],
    "warden run --dry-run": [warden, "run", "--dry-run", "--policy", policy, "--", "/bin/true"],
}
if baseline:
    contenders["warden run (baseline)"] = [baseline, "run", "--policy", policy, "--", "/bin/true"]
times = {name: [] for name in contenders}
load_before = os.getloadavg()
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

print(f"{runs} runs each, interleaved; wall time in ms; 'warden run' is with profiles/baseline.json; uid {os.getuid()}")
print("load average (1, 5, 15 min) before: %.2f %.2f %.2f, after: %.2f %.2f %.2f" % (load_before + os.getloadavg()))
print(f"{'contender':<34}{'p50':>8}{'p95':>8}")
for name, values in times.items():
    print(f"{name:<34}{q(values, 0.5):>8.2f}{q(values, 0.95):>8.2f}")
for name in ["warden run (minimal policy)", "warden run"]:
    difference = q(times[name], 0.5) - q(times["bare bwrap"], 0.5)
    print(f"{name} - bare bwrap at p50: {difference:.2f} ms (target: under 15 ms)")
if baseline:
    print(f"warden run - baseline at p50: {q(times['warden run'], 0.5) - q(times['warden run (baseline)'], 0.5):.2f} ms")
print(f"plan mounts: {len([m for m in plan.get('mounts', [])])}; bwrap arguments: {len(plan.get('bwrapArguments', []))}")

# The steps, from WARDEN_TRACE_START=1 runs, interleaved like the rounds above.
traced_contenders = {name: contenders[name] for name in ["warden run (minimal policy)", "warden run", "warden run (baseline)"] if name in contenders}
steps = {name: {} for name in traced_contenders}
order_of = {name: [] for name in traced_contenders}
totals = {name: [] for name in traced_contenders}
trace_env = dict(env, WARDEN_TRACE_START="1")
for _ in range(traced):
    order = list(traced_contenders.items())
    random.shuffle(order)
    for name, command in order:
        start = time.monotonic_ns() // 1000
        result = subprocess.run(command, cwd=project, env=trace_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        end = time.monotonic_ns() // 1000
        if result.returncode != 0:
            sys.exit(f"bench-run: {name} (traced) failed: {result.stderr.decode().strip()}")
        marks = []
        for line in result.stderr.decode().splitlines():
            parts = line.split(" ", 3)
            if len(parts) == 4 and parts[0] == "warden-trace":
                marks.append((int(parts[1]), f"{parts[2]}: {parts[3]}"))
        marks.sort()
        previous = start
        for at, step in marks + [(end, "exit (after the last step)")]:
            if step not in steps[name]:
                steps[name][step] = []
                order_of[name].append(step)
            steps[name][step].append((at - previous) / 1000)
            previous = at
        totals[name].append((end - start) / 1000)

for name in traced_contenders:
    print(f"\nsteps of {name}, {traced} traced runs: median ms of the time since the line before")
    print(f"  (the first: since the spawn, i.e. the CLI's own start)")
    for step in order_of[name]:
        print(f"  {step:<44}{statistics.median(steps[name][step]):>8.2f}")
    print(f"  {'whole run (traced), p50':<44}{q(totals[name], 0.5):>8.2f}")
PY
