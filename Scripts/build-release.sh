#!/usr/bin/env bash
# Builds the release binaries and copies them into one directory, whose path it prints on stdout:
#
#   Scripts/build-release.sh [--scratch-path DIR]        (default DIR: .build; binaries in DIR/warden-bin)
#
# warden-hook starts on every tool call, so its start-up time is Claude Code's latency. It is
# linked as a fully static executable (-static-executable: no dynamic loader, no relocations of
# the Swift runtime; measured 2.1 M fewer instructions per call than -static-stdlib) and compiled
# with concrete-type metadata accessors, which hand generic types their witness tables instead of
# looking conformances up at run time (about 1.2 M instructions per call). It gets its own scratch
# path because those flags differ from the other products'. It calls no NSS function (user
# names come from $USER), the one part of glibc a static binary cannot use reliably.
#
# warden (FoundationEssentials only) and warden-bench (full Foundation) are built with the Swift
# runtime linked statically, with the same concrete-type metadata accessors as the hook, and
# without exporting their symbols (--no-export-dynamic; the Swift driver links executables with
# -rdynamic). Measured on `warden run` (Scripts/bench-run.sh, same run): the accessors took
# 1.4 ms off `warden --version` and 3.5 ms off a sandbox's start (the CLI meets each generic type
# it uses for the first time once per run, and each first meeting searched every protocol
# conformance of a 110 MB binary); the 35,800 exported symbols cost 0.5 ms at every start,
# where the Swift runtime's backtracer set-up calls dladdr(), which walks them all.
set -euo pipefail
cd "$(dirname "$0")/.."

scratch=".build"
if [ "${1:-}" = "--scratch-path" ]; then
    scratch="${2:?--scratch-path needs a directory}"
    shift 2
fi
[ $# -eq 0 ] || { echo "build-release: unexpected argument '$1' (usage: $0 [--scratch-path DIR])" >&2; exit 64; }

hook_flags=(
    -Xswiftc -static-executable
    -Xswiftc -Xfrontend -Xswiftc -disable-concrete-type-metadata-mangled-name-accessors
)
# warden-sandbox-init, the first process inside the sandbox, is built the same way: it links no
# Foundation, and a static executable needs nothing from the sandbox's view of /usr/lib.
for product in warden-hook warden-sandbox-init; do
    echo "build-release: $product (static executable)" >&2
    # The static glibc's dlopen warning concerns code the binaries never reach (the runtime's
    # optional prespecialisation library); it is filtered so that real warnings stand out.
    swift build -c release --scratch-path "$scratch-hook" --product "$product" "${hook_flags[@]}" 2>&1 \
        | { grep -v "Using 'dlopen' in statically linked" || true; } >&2
done
hook_bin="$(swift build -c release --scratch-path "$scratch-hook" --show-bin-path "${hook_flags[@]}")"

tools_flags=(
    --static-swift-stdlib
    -Xswiftc -Xfrontend -Xswiftc -disable-concrete-type-metadata-mangled-name-accessors
    -Xlinker --no-export-dynamic
)
for product in warden warden-bench; do
    echo "build-release: $product" >&2
    swift build -c release --scratch-path "$scratch" --product "$product" "${tools_flags[@]}" >&2
done
tools_bin="$(swift build -c release --scratch-path "$scratch" --show-bin-path "${tools_flags[@]}")"

out="$scratch/warden-bin"
mkdir -p "$out"
# Copied in 4 MiB writes, not by cp: the page cache keeps a file in the folios it was written
# with, and exec maps the hook's text with one fault per 2 MiB folio, against one per 64 KiB
# of small ones. cp (copy_file_range) leaves small folios; `warden install` writes each binary
# in one write, which leaves 2 MiB ones, and the benchmarks should time the hook as installed
# (README, "Performance": 0.15-0.2 ms per call). Through a new file, so that a running binary
# is not overwritten.
copy_binary() {
    dd if="$1" of="$2.tmp" bs=4M status=none
    chmod 755 "$2.tmp"
    mv -f "$2.tmp" "$2"
}
for binary in "$hook_bin/warden-hook" "$hook_bin/warden-sandbox-init" "$tools_bin/warden" "$tools_bin/warden-bench"; do
    copy_binary "$binary" "$out/$(basename "$binary")"
done
echo "build-release: binaries in $out" >&2
(cd "$out" && pwd)
