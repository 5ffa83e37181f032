#!/usr/bin/env bash
# Times the release warden-hook in the page-cache states a developer's machine sees, side by side
# with /bin/true in one Scripts/startup-bench.c run (every contender once per round):
#
#   - installed: the binaries written in 4 MiB writes, as `warden install` writes them (the kernel
#     keeps such a file in large folios: a fault per 2 MiB of text);
#   - evicted: the same bytes dropped from the cache (posix_fadvise DONTNEED, as after a reboot or
#     under memory pressure) and read back by the hook's own exec (small folios);
#   - evicted, then `warden run`: dropped the same way, then one `warden run -- true` of the
#     warden beside it, which reads the hook back through a huge-page mapping (PageCacheWarmer)
#     before anything runs it.
#
#   Scripts/bench-hook-cache.sh [--bin DIR] [--runs N]
#
# DIR holds release warden, warden-hook and warden-sandbox-init (default: Scripts/build-release.sh
# builds them). The event is the compound Bash command of Scripts/bench-hook-outside.sh, the
# policy profiles/baseline.json. Needs bwrap (warden run), python3 and cc.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=""
runs=400
while [ $# -gt 0 ]; do
    case "$1" in
        --bin) bin="${2:?--bin needs a directory}"; shift 2 ;;
        --runs) runs="${2:?--runs needs a number}"; shift 2 ;;
        *) echo "bench-hook-cache: unexpected argument '$1' (usage: $0 [--bin DIR] [--runs N])" >&2; exit 64 ;;
    esac
done
[ -n "$bin" ] || bin="$(Scripts/build-release.sh)"
for name in warden warden-hook warden-sandbox-init; do
    [ -x "$bin/$name" ] || { echo "bench-hook-cache: no executable $bin/$name" >&2; exit 66; }
done
policy="$PWD/profiles/baseline.json"

work="$(mktemp -d /var/tmp/bench-hook-cache.XXXXXX)"
trap 'rm -rf "$work"' EXIT
python3 - "$work" "$PWD" <<'EOF'
import json, sys
work, cwd = sys.argv[1], sys.argv[2]
compound = r'''cd src && git status && for f in *.swift; do grep -n TODO "$f" | head -5; done; find . -name '*.o' -exec rm {} \; ; echo "$(date)" >> build.log'''
with open(f"{work}/compound.json", "w") as f:
    f.write(json.dumps({"session_id": "bench", "transcript_path": "/tmp/bench.jsonl", "cwd": cwd,
                        "permission_mode": "default", "hook_event_name": "PreToolUse", "tool_name": "Bash",
                        "tool_input": {"command": compound, "description": "Build chores"}}, sort_keys=True))
EOF
evict() { python3 -c 'import os, sys; fd = os.open(sys.argv[1], os.O_RDONLY); os.fsync(fd); os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)' "$1"; }
resident() { python3 - "$1" <<'EOF'
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
fd = os.open(sys.argv[1], os.O_RDONLY)
size = os.fstat(fd).st_size
address = libc.mmap(None, size, 1, 2, fd, 0)  # PROT_READ, MAP_PRIVATE: nothing is read
pages = (size + 4095) // 4096
vector = (ctypes.c_ubyte * pages)()
libc.mincore(ctypes.c_void_p(address), ctypes.c_size_t(size), vector)
print(f"{sum(v & 1 for v in vector) * 100 // pages}% in the page cache")
EOF
}

for state in installed evicted warmed; do
    mkdir -p "$work/$state"
    for name in warden warden-hook warden-sandbox-init; do
        dd if="$bin/$name" of="$work/$state/$name" bs=4M status=none
        chmod 755 "$work/$state/$name"
    done
done
evict "$work/evicted/warden-hook"
evict "$work/warmed/warden-hook"
mkdir -p "$work/project" && git -C "$work/project" init -q
(cd "$work/project" && "$work/warmed/warden" run --policy "$policy" -- /bin/true) \
    || { echo "bench-hook-cache: warden run failed" >&2; exit 1; }
echo "after the warm-up run: evicted hook $(resident "$work/evicted/warden-hook"), warmed hook $(resident "$work/warmed/warden-hook")"

for state in installed evicted warmed; do
    "$work/$state/warden-hook" --policy "$policy" --no-log < "$work/compound.json" > /dev/null \
        || { echo "bench-hook-cache: the $state hook failed" >&2; exit 1; }
done
echo "page faults per call (minor, /usr/bin/time), compound command:"
for state in installed evicted warmed; do
    faults=$( { /usr/bin/time -f '%R' "$work/$state/warden-hook" --policy "$policy" < "$work/compound.json" > /dev/null; } 2>&1 | tail -1)
    echo "  $state: $faults"
done

echo "== load average: $(cut -d' ' -f1-3 /proc/loadavg)"
cc -O2 -o "$work/startup-bench" Scripts/startup-bench.c
"$work/startup-bench" "$runs" "$work/compound.json" /bin/true \
    "$work/installed/warden-hook --policy $policy" \
    "$work/evicted/warden-hook --policy $policy" \
    "$work/warmed/warden-hook --policy $policy"
echo "== load average: $(cut -d' ' -f1-3 /proc/loadavg)"
