#!/usr/bin/env bash
# Warden: every Claude Code session inside Warden's sandbox.
#
# Source it from ~/.bashrc or ~/.zshrc (or /etc/profile.d):
#     . /path/to/warden/hooks/claude.sh
# and `claude …` becomes `warden run -- <the real claude> …`. `command claude` steps around a
# function; a policy with `warden.sandbox.required: true` makes the hook deny the tool calls of
# such sessions.
#
# For PATH-based installs (no shell start-up file), install the shim instead: copy this file to a
# directory early on PATH as `claude`, executable; run as a program it does the same. The shim
# carries the marker WARDEN_CLAUDE_SHIM, by which `warden run` knows to skip it when it looks for
# the real claude.
#
# WARDEN_BIN names the warden binary when it is not on PATH.

# Tells `warden doctor`, run from this shell, that `claude` here is Warden's.
export WARDEN_CLAUDE_FUNCTION=1

claude() {
    local real
    real=$(warden_real_claude) || { printf 'warden: no claude on PATH besides this wrapper\n' >&2; return 127; }
    "${WARDEN_BIN:-warden}" run -- "$real" "$@"
}

# The first `claude` on PATH that is a program and not this shim.
warden_real_claude() {
    # PATH split by hand: zsh does not split an unquoted $PATH on IFS as bash does.
    local rest="${PATH}:" dir candidate
    while [ -n "$rest" ]; do
        dir="${rest%%:*}"
        rest="${rest#*:}"
        candidate="${dir:-.}/claude"
        [ -f "$candidate" ] && [ -x "$candidate" ] || continue
        if grep -q WARDEN_CLAUDE_SHIM "$candidate" 2>/dev/null; then continue; fi
        printf '%s\n' "$candidate"
        return 0
    done
    return 1
}

# Run as a program (the PATH shim), not sourced.
if [ -n "${BASH_VERSION:-}" ] && [ "${BASH_SOURCE[0]:-}" = "$0" ]; then
    claude "$@"
    exit $?
elif [ -n "${ZSH_VERSION:-}" ] && [[ "${ZSH_EVAL_CONTEXT:-}" == toplevel ]]; then
    claude "$@"
    exit $?
fi
