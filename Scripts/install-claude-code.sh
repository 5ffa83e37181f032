#!/usr/bin/env bash
# Installs the Claude Code CLI for the end-to-end tests, if it is not there yet, and prints the path
# of its `claude` binary on stdout (everything else goes to stderr).
#
# The CLI comes bundled in the PyPI package claude-agent-sdk (`claude_agent_sdk/_bundled/claude`);
# it is installed with the python3 found on PATH. Idempotent: when the package is importable and
# its binary is there, nothing is installed.
#
#   export WARDEN_CLAUDE_BIN="$(Scripts/install-claude-code.sh)"
#
# CLAUDE_AGENT_SDK_VERSION picks the version installed when one is needed (default: the one whose
# CLI the hook contract in the tests was observed with); an empty value takes the newest.
set -euo pipefail

version="${CLAUDE_AGENT_SDK_VERSION-0.2.188}"
python="${PYTHON:-python3}"

locate() {
    "$python" - <<'EOF' 2>/dev/null
import os, sys
try:
    import claude_agent_sdk
except ImportError:
    sys.exit(1)
path = os.path.join(os.path.dirname(claude_agent_sdk.__file__), "_bundled", "claude")
if not (os.path.isfile(path) and os.access(path, os.X_OK)):
    sys.exit(1)
print(path)
EOF
}

if ! command -v "$python" >/dev/null 2>&1; then
    echo "install-claude-code: $python not found; install Python 3 first" >&2
    exit 1
fi

if path="$(locate)"; then
    echo "$path"
    exit 0
fi

requirement="claude-agent-sdk${version:+==$version}"
echo "install-claude-code: installing $requirement" >&2
pip=("$python" -m pip install --quiet --disable-pip-version-check)
# Debian's own python3 refuses pip installs outside a virtual environment (PEP 668); the package
# only adds its modules and the bundled binary, so it goes in beside the system's anyway (into
# ~/.local for a user who cannot write the system's site-packages).
"${pip[@]}" "$requirement" >&2 2>/dev/null || "${pip[@]}" --break-system-packages "$requirement" >&2

if ! path="$(locate)"; then
    echo "install-claude-code: $requirement installed, but its bundled claude binary is missing" >&2
    exit 1
fi
"$path" --version >&2
echo "$path"
