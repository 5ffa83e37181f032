#!/usr/bin/env bash
# Sets up Warden on this machine and starts a hooked Claude Code session in the current directory.
#
#   Scripts/run.sh [--profile baseline|strict|open|FILE] [-- CLAUDE_ARGS...]
#
# 1. installs the Debian packages and the Claude Code CLI (PyPI claude-agent-sdk) if missing;
# 2. builds warden and warden-hook (release, Scripts/build-release.sh) into /usr/local/bin;
# 3. writes /etc/claude-code/managed-settings.json: the profile's policy plus the registration of
#    warden-hook from hooks/managed-settings.json (an existing file is kept as .bak first);
# 4. checks the policy with `warden policy check`, then starts `claude` with the remaining arguments.
# Needs root or sudo for steps 2-3. The sandbox (bubblewrap, proxies) comes with `warden run`.
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
    */*|*.json) policy_source="$profile" ;;
    *) policy_source="$repo/profiles/$profile.json" ;;
esac
[ -f "$policy_source" ] || { echo "run: no profile at $policy_source" >&2; exit 2; }

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

"$repo/Scripts/install-deps.sh"
claude_bin="$("$repo/Scripts/install-claude-code.sh")"

echo "run: building Warden (release)" >&2
bin_dir="$(cd "$repo" && Scripts/build-release.sh)"
$sudo install -m 0755 "$bin_dir/warden" "$bin_dir/warden-hook" /usr/local/bin/

settings=/etc/claude-code/managed-settings.json
$sudo mkdir -p /etc/claude-code
[ -f "$settings" ] && $sudo cp "$settings" "$settings.bak"
merged="$(mktemp)"
python3 - "$policy_source" "$repo/hooks/managed-settings.json" > "$merged" <<'PY'
import json, sys
policy = json.load(open(sys.argv[1]))
hooks = json.load(open(sys.argv[2]))
env = {**policy.get("env", {}), **hooks.get("env", {})}
policy.update(hooks)
policy["env"] = env
json.dump(policy, sys.stdout, indent=2)
print()
PY
$sudo install -m 0644 "$merged" "$settings"
rm -f "$merged"
/usr/local/bin/warden policy check "$settings"

echo "run: starting Claude Code with Warden's hooks ($profile profile)" >&2
exec "$claude_bin" "$@"
