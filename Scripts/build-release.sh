#!/usr/bin/env bash
# Builds the release binaries with the Swift runtime linked statically, so that warden-hook starts
# without loading the Swift shared libraries (its start-up time is the latency of every tool call).
#
#   Scripts/build-release.sh [EXTRA SWIFT BUILD ARGUMENTS...]
#
# The binaries land in $(swift build -c release --show-bin-path), normally .build/release/.
set -euo pipefail
cd "$(dirname "$0")/.."

for product in warden-hook warden warden-bench; do
    echo "build-release: $product" >&2
    swift build -c release --static-swift-stdlib --product "$product" "$@"
done
echo "build-release: binaries in $(swift build -c release --static-swift-stdlib --show-bin-path "$@")" >&2
