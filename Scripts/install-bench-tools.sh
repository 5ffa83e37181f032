#!/usr/bin/env bash
# Installs the peers the benchmarks compare Warden with: detect-secrets (PyPI), for
# `warden-bench redaction-throughput`, and hyperfine (Debian), the outside harness of
# Scripts/bench-hook-outside.sh. Idempotent.
set -euo pipefail
if ! command -v hyperfine >/dev/null 2>&1; then
    echo "install-bench-tools: installing hyperfine from Debian" >&2
    apt-get install -y hyperfine >&2
fi
if ! command -v detect-secrets >/dev/null 2>&1; then
    echo "install-bench-tools: installing detect-secrets from PyPI" >&2
    python3 -m pip install --quiet --disable-pip-version-check detect-secrets >&2
fi
command -v detect-secrets
