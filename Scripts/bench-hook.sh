#!/usr/bin/env bash
# Builds the release binaries (Scripts/build-release.sh), then times warden-hook from spawn to exit
# against /bin/true and a minimal Python hook: `warden-bench hook-latency`.
#
#   Scripts/bench-hook.sh [--scratch-path DIR] [hook-latency OPTIONS...]     e.g. --runs 1000 --markdown
#
# --scratch-path builds somewhere other than .build (as `swift build --scratch-path` does).
set -euo pipefail
cd "$(dirname "$0")/.."

build_arguments=()
if [ "${1:-}" = "--scratch-path" ]; then
    build_arguments=(--scratch-path "${2:?--scratch-path needs a directory}")
    shift 2
fi

bin="$(Scripts/build-release.sh "${build_arguments[@]}")"
policy="profiles/baseline.json"
[ -f "$policy" ] || { echo "bench-hook: $policy is missing" >&2; exit 2; }

echo "bench-hook: $bin/warden-hook links:" >&2
ldd "$bin/warden-hook" 2>&1 | sed 's/^/    /' >&2 || true

exec "$bin/warden-bench" hook-latency --hook "$bin/warden-hook" --policy "$policy" "$@"
