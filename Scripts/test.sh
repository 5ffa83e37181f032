#!/usr/bin/env bash
# Sets up and runs every test of Warden on a fresh Debian machine with Swift:
#   unit and process tests, the end-to-end tests with the real Claude Code CLI, and a bounded fuzz run.
# .ci/run calls exactly this. Environment: FUZZ_SECONDS (per fuzz target, default 30; 0 skips fuzzing).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n==> %s\n' "$*" >&2; }

log "Installing what the tests need"
Scripts/install-deps.sh
export WARDEN_CLAUDE_BIN="$(Scripts/install-claude-code.sh)"
# The end-to-end tests fail, rather than skip, when the CLI is missing.
export WARDEN_E2E_REQUIRED=1

log "Building"
swift build --build-tests

log "Running the test suite"
# The tests' scratch files (repositories, policies, state) go under one directory, removed at the end.
TMPDIR="$(mktemp -d "${TMPDIR:-/tmp}/warden-tests.XXXXXX")"
export TMPDIR
trap 'rm -rf "$TMPDIR"' EXIT
# The decision log's load test (16 writer processes x 1,000 records) runs on its own: beside the
# rest of the suite it would starve the process tests' timing-sensitive signal handling on 2 cores.
load_test="sixteenWriterProcessesLoseNothingAndTearNothing"
swift test --skip-build --skip "$load_test"
log "Running the decision log's load test"
swift test --skip-build --filter "$load_test"

fuzz_seconds="${FUZZ_SECONDS:-30}"
if [ "$fuzz_seconds" != "0" ]; then
    log "Fuzzing each target for ${fuzz_seconds}s"
    Scripts/fuzz.sh "$fuzz_seconds"
fi
log "All tests passed"
