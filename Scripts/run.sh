#!/usr/bin/env bash
# Sets up Warden on this machine and starts Claude Code inside Warden's sandbox, with its hooks,
# in the current directory.
#
#   Scripts/run.sh [--profile baseline|strict|open|FILE] [-- CLAUDE_ARGS...]
#
# 1. installs the Debian packages and the Claude Code CLI (PyPI claude-agent-sdk) if missing;
# 2. builds the release binaries (Scripts/build-release.sh);
# 3. `warden install --profile …`: the binaries into /usr/local/bin, the profile and Warden's hook
#    registration merged into /etc/claude-code/managed-settings.json (reversible: `warden uninstall`);
# 4. `warden run -- claude …`: the session inside bubblewrap, seccomp and Landlock, its network
#    through Warden's proxies — when Claude Code has an account to use (ANTHROPIC_API_KEY,
#    ANTHROPIC_AUTH_TOKEN, CLAUDE_CODE_OAUTH_TOKEN, or a login in ~/.claude/.credentials.json);
#    otherwise `warden demo`: the same sandbox and hooks, driven by Warden's scripted Messages API
#    stand-in, no account needed.
# Needs root or sudo for step 3.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
profile="baseline"
while [ $# -gt 0 ]; do
    case "$1" in
        --profile) profile="${2:?--profile needs a name or a file}"; shift 2 ;;
        --) shift; break ;;
        *) break ;;
    esac
done
case "$profile" in
    */*|*.json) profile_option=(--policy "$(cd "$(dirname "$profile")" && pwd)/$(basename "$profile")") ;;
    *) profile_option=(--profile "$profile") ;;
esac

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

"$repo/Scripts/install-deps.sh"
claude_bin="$("$repo/Scripts/install-claude-code.sh")"

echo "run: building Warden (release)" >&2
bin_dir="$(cd "$repo" && Scripts/build-release.sh)"
$sudo env WARDEN_SHARE="$repo" "$bin_dir/warden" install "${profile_option[@]}"

config_dir="${CLAUDE_CONFIG_DIR:-$HOME/.claude}"
if [ -n "${ANTHROPIC_API_KEY:-}" ] || [ -n "${ANTHROPIC_AUTH_TOKEN:-}" ] || [ -n "${CLAUDE_CODE_OAUTH_TOKEN:-}" ] \
    || [ -s "$config_dir/.credentials.json" ]; then
    echo "run: starting Claude Code inside Warden's sandbox ($profile)" >&2
    exec /usr/local/bin/warden run -- "$claude_bin" "$@"
fi
echo "run: no API key and no Claude login: showing \`warden demo\` instead (set ANTHROPIC_API_KEY or run claude /login for a real session)" >&2
exec /usr/local/bin/warden demo --claude "$claude_bin"
