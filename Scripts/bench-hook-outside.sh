#!/usr/bin/env bash
# Times warden-hook against /bin/true with two harnesses that are not Warden's code, on the same
# events as `warden-bench hook-latency` (Scripts/bench-hook.sh), so that the three can be compared
# side by side in one session:
#
#   - hyperfine (Debian's package; Scripts/install-bench-tools.sh installs it): each contender in
#     turn. hyperfine 1.15 cannot feed stdin from a file, and below 5 ms its subtraction of a
#     shell's start is too coarse (it takes /bin/true to 0 ms), so every contender, /bin/true
#     included, runs as `sh -c 'exec CONTENDER < EVENT'` with --shell=none: the same dash start for
#     all, which keeps the differences exact and makes the ratios smaller than the hook's own.
#   - Scripts/startup-bench.c: posix_spawn with the event file as stdin, every contender once per
#     round (interleaved), wall and CPU time.
#
# Two floors run beside the hook: an EMPTY Swift program linked as the hook is (swiftc -O
# -static-executable with the frontend flag of Scripts/build-release.sh), and an empty static C
# program. The first is the least any Swift hook linked this way can cost; the gap between it and
# the hook is the hook's own work, not the start of a static executable.
#
#   Scripts/bench-hook-outside.sh [--hook FILE] [--runs N]
#
# Without --hook it builds the release hook (Scripts/build-release.sh). The policy is
# profiles/baseline.json, as for Scripts/bench-hook.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

hook=""
runs=400
while [ $# -gt 0 ]; do
    case "$1" in
        --hook) hook="${2:?--hook needs a file}"; shift 2 ;;
        --runs) runs="${2:?--runs needs a number}"; shift 2 ;;
        *) echo "bench-hook-outside: unexpected argument '$1' (usage: $0 [--hook FILE] [--runs N])" >&2; exit 64 ;;
    esac
done
command -v hyperfine >/dev/null || { echo "bench-hook-outside: hyperfine is missing; run Scripts/install-bench-tools.sh" >&2; exit 69; }
command -v cc >/dev/null || { echo "bench-hook-outside: no C compiler (cc) for Scripts/startup-bench.c" >&2; exit 69; }
if [ -z "$hook" ]; then
    hook="$(Scripts/build-release.sh)/warden-hook"
fi
[ -x "$hook" ] || { echo "bench-hook-outside: no executable hook at $hook" >&2; exit 66; }
hook="$(cd "$(dirname "$hook")" && pwd)/$(basename "$hook")"
policy="$PWD/profiles/baseline.json"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# The events of warden-bench hook-latency (HookLatencyBenchmark.swift): the same commands, cwd
# and keys.
python3 - "$work" "$PWD" <<'EOF'
import json, sys
work, cwd = sys.argv[1], sys.argv[2]
compound = r'''cd src && git status && for f in *.swift; do grep -n TODO "$f" | head -5; done; find . -name '*.o' -exec rm {} \; ; echo "$(date)" >> build.log'''
def event(tool, tool_input):
    return json.dumps({"session_id": "bench", "transcript_path": "/tmp/bench.jsonl", "cwd": cwd,
                       "permission_mode": "default", "hook_event_name": "PreToolUse", "tool_name": tool,
                       "tool_input": tool_input}, sort_keys=True)
for name, tool, tool_input in [("ls", "Bash", {"command": "ls -la", "description": "List files"}),
                               ("compound", "Bash", {"command": compound, "description": "Build chores"}),
                               ("read", "Read", {"file_path": cwd + "/Package.swift"})]:
    with open(f"{work}/{name}.json", "w") as f:
        f.write(event(tool, tool_input))
EOF

# The floors (see the header). Keep the Swift flags in step with hook_flags in build-release.sh.
printf '' > "$work/empty.swift"
swiftc -O -static-executable -Xfrontend -disable-concrete-type-metadata-mangled-name-accessors \
    "$work/empty.swift" -o "$work/empty-static-swift" 2>&1 | { grep -v "Using 'dlopen' in statically linked" || true; } >&2
printf 'int main(void) { return 0; }\n' > "$work/empty.c"
cc -O2 -static "$work/empty.c" -o "$work/empty-static-c"
empty_swift="$work/empty-static-swift"
empty_c="$work/empty-static-c"
for floor in "$empty_swift" "$empty_c"; do
    "$floor" < "$work/ls.json" || { echo "bench-hook-outside: the floor $floor failed" >&2; exit 1; }
done

# Every hook contender must answer with exit status 0, as in warden-bench.
for event in ls compound read; do
    "$hook" --policy "$policy" < "$work/$event.json" > /dev/null || { echo "bench-hook-outside: the hook failed on the $event event" >&2; exit 1; }
done

echo "== hyperfine $(hyperfine --version | cut -d' ' -f2), $runs runs each after 20 warm-up runs"
hyperfine --style basic --shell=none --warmup 20 --runs "$runs" --export-json "$work/hyperfine.json" \
    -n "/bin/true" "sh -c 'exec /bin/true < $work/ls.json'" \
    -n "empty static C" "sh -c 'exec $empty_c < $work/ls.json'" \
    -n "empty static Swift (hook flags)" "sh -c 'exec $empty_swift < $work/ls.json'" \
    -n "warden-hook, Bash ls -la" "sh -c 'exec $hook --policy $policy < $work/ls.json'" \
    -n "warden-hook, Bash compound" "sh -c 'exec $hook --policy $policy < $work/compound.json'" \
    -n "warden-hook, Read" "sh -c 'exec $hook --policy $policy < $work/read.json'" \
    -n "warden-hook --no-log, Bash ls -la" "sh -c 'exec $hook --policy $policy --no-log < $work/ls.json'" > /dev/null
python3 - "$work/hyperfine.json" <<'EOF'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
base = results[0]["median"]
print(f"{'contender (each as sh -c exec)':36} {'median ms':>10} {'mean ms':>10} {'min ms':>10} {'minus true':>11} {'median / true':>14}")
for r in results:
    print(f"{r['command']:36} {r['median']*1e3:10.3f} {r['mean']*1e3:10.3f} {r['min']*1e3:10.3f} {(r['median']-base)*1e3:11.3f} {r['median']/base:13.2f}x")
EOF

echo "== Scripts/startup-bench.c, $runs rounds, interleaved, after 50 warm-up rounds"
cc -O2 -o "$work/startup-bench" Scripts/startup-bench.c
# startup-bench gives every contender the same stdin file; one run per event.
for event in ls compound read; do
    echo "-- event: $event"
    "$work/startup-bench" "$runs" "$work/$event.json" /bin/true "$empty_c" "$empty_swift" "$hook --policy $policy" "$hook --policy $policy --no-log"
done
