#!/usr/bin/env bash
# What Warden's channel costs a hook call, side by side in one run:
#
#   Scripts/bench-channel.sh [--runs N] [--bin DIR]     (default: 200 calls each, the release build)
#
# Contenders, each a PreToolUse event answered by the built warden-hook (wall time per call, the
# process started and waited for by a Python loop):
#   outside, log          the hook on the host, its record appended to the local decision log
#   outside, --no-log     the same without the record (what the log costs outside)
#   inside, channel       the hook inside `warden run`, its record handed to the host through the
#                         channel (forwarder relay, host thread, log append, answer)
#   inside, --no-log      the same hook inside without the record (what the channel costs)
# The inside contenders run in one `warden run` session, alternating; the outside ones on the host,
# alternating. p50 and p90 in milliseconds.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=200
bin=""
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) runs="${2:?}"; shift 2 ;;
        --bin) bin="${2:?}"; shift 2 ;;
        *) echo "bench-channel: unknown argument $1" >&2; exit 64 ;;
    esac
done
if [ -z "$bin" ]; then
    bin="$(Scripts/build-release.sh)"
fi
bin="$(cd "$bin" && pwd)"
exec python3 - "$bin" "$runs" <<'PY'
import json, os, subprocess, sys, tempfile

bin, runs = sys.argv[1], int(sys.argv[2])
hook, warden = os.path.join(bin, "warden-hook"), os.path.join(bin, "warden")
scratch = tempfile.mkdtemp(prefix="warden-bench-channel-", dir=os.path.expanduser("~"))
project = os.path.join(scratch, "project")
os.makedirs(project)
subprocess.run(["git", "init", "-q", project], check=True)
policy = os.path.join(scratch, "policy.json")
with open(policy, "w") as f:
    f.write('{"permissions": {"allow": ["Bash(ls:*)"]}}\n')
env = dict(os.environ, XDG_STATE_HOME=os.path.join(scratch, "state"))
env.pop("ANTHROPIC_BASE_URL", None)

# Times N calls of each variant, alternating; prints {"name": [ms, …]} as JSON.
loop = r'''
import json, subprocess, sys, time
hook, policy, runs, cwd = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
variants = dict(json.loads(sys.argv[5]))
event = json.dumps({"hook_event_name": "PreToolUse", "session_id": "bench-1", "cwd": cwd,
                    "tool_name": "Bash", "tool_input": {"command": "ls -la"}}).encode()
times = {name: [] for name in variants}
for i in range(runs + 5):
    for name, extra in variants.items():
        start = time.perf_counter()
        result = subprocess.run([hook, "--policy", policy] + extra, input=event, capture_output=True)
        elapsed = (time.perf_counter() - start) * 1000
        if result.returncode != 0:
            sys.exit(f"{name}: status {result.returncode}: {result.stderr.decode().strip()}")
        if i >= 5:
            times[name].append(elapsed)
print(json.dumps(times))
'''
script = os.path.join(project, "loop.py")
with open(script, "w") as f:
    f.write(loop)

def measure(prefix, variants):
    out = subprocess.run(prefix + ["python3", script, hook, policy, str(runs), project, json.dumps(variants)],
                         cwd=project, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"bench-channel: {out.stderr.strip()}")
    return json.loads(out.stdout.strip().splitlines()[-1])

times = {}
times.update(measure([], [["outside, log", []], ["outside, --no-log", ["--no-log"]]]))
times.update(measure([warden, "run", "--policy", policy, "--"], [["inside, channel", []], ["inside, --no-log", ["--no-log"]]]))

def q(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]

print(f"{runs} calls each; wall time per hook call in ms")
print(f"{'contender':<22}{'p50':>8}{'p90':>8}")
for name in ["outside, log", "outside, --no-log", "inside, channel", "inside, --no-log"]:
    print(f"{name:<22}{q(times[name], 0.5):>8.2f}{q(times[name], 0.9):>8.2f}")
print(f"the channel's record at p50: {q(times['inside, channel'], 0.5) - q(times['inside, --no-log'], 0.5):.2f} ms; "
      f"the local log's: {q(times['outside, log'], 0.5) - q(times['outside, --no-log'], 0.5):.2f} ms")
records = subprocess.run([warden, "log", "--json", "--confinement", "sandbox"], env=env, capture_output=True, text=True).stdout
print(f"records through the channel: {len(records.splitlines())}")
subprocess.run(["rm", "-rf", scratch])
PY
