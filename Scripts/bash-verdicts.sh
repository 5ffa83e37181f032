#!/usr/bin/env bash
# Prints one verdict per line of a corpus of shell commands: `ok` when `bash -n` accepts the line,
# `err` when it does not. Feed the output to `warden-bench shell-corpus --bash-verdicts`.
#
# The lines are only syntax-checked: `bash -n` reads commands without executing any of them, and
# each check runs with stdin closed so nothing can be read interactively.
set -u

if [[ $# -ne 1 ]]; then
    echo "usage: $0 CORPUS > verdicts.txt" >&2
    exit 64
fi

while IFS= read -r line || [[ -n $line ]]; do
    if bash -n -c "$line" </dev/null >/dev/null 2>&1; then
        echo ok
    else
        echo err
    fi
done < "$1"
