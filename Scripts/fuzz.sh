#!/usr/bin/env bash
# Builds the libFuzzer harnesses in Fuzz/Harnesses and runs each for a bounded time.
#
#   Scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     (default: 60 s; targets: shell json hook policy network)
#   Scripts/fuzz.sh --build                              (build only; prints the binaries' directory)
#
# Each Warden module is compiled by swiftc into its own module, instrumented for libFuzzer and
# AddressSanitizer (-sanitize=fuzzer,address, -O, with Swift's run-time checks kept), and each harness
# is linked against the modules it needs. SwiftPM is not used for this: a fuzzer's main comes from
# libFuzzer, and a sanitized build of the package would also have to build every test and tool.
#
# Inputs start from the hand-written seeds in Fuzz/Corpus/<target>/ (never modified); what libFuzzer
# learns goes to fuzz-out/corpus/<target>/ and is reused by the next run. A crash, a Swift trap, a
# failed contract check in the harness, a hang longer than 2 s (-timeout=2; confirmed by running the
# input again alone, since a loaded machine can stall a process) or running out of memory stops that
# target, leaves the input in fuzz-out/artifacts/<target>/, and makes this script exit 1 after the
# other targets ran. Reproduce with:  .build-fuzz/libfuzzer/fuzz-<target> FILE
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

all_targets=(shell json hook policy network)
declare -A harness_names=([shell]=FuzzShell [json]=FuzzJSON [hook]=FuzzHook [policy]=FuzzPolicy [network]=FuzzNetwork)
build_only=0
seconds=60
if [ "${1:-}" = "--build" ]; then
    build_only=1
    shift
elif [[ "${1:-}" =~ ^[0-9]+$ ]]; then
    seconds="$1"
    shift
fi
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")
for target in "${targets[@]}"; do
    [ -n "${harness_names[$target]:-}" ] || { echo "fuzz: no target '$target' (known: ${all_targets[*]})" >&2; exit 2; }
done

build="$root/.build-fuzz/libfuzzer"
out="$root/fuzz-out"
mkdir -p "$build/modules" "$out"

log() { printf '==> %s\n' "$*" >&2; }

swift_flags=(
    -O -g -parse-as-library -swift-version 6
    -enable-upcoming-feature InternalImportsByDefault -enable-upcoming-feature ExistentialAny
    -sanitize=fuzzer,address
    -I "$build/modules"
)

# Modules in dependency order, each with what it imports.
declare -A module_dependencies=(
    [WardenJSON]=""
    [WardenShell]=""
    [WardenDigest]=""
    [WardenDetect]="WardenDigest"
    [WardenAudit]="WardenJSON WardenDigest"
    [WardenRedact]="WardenDetect WardenJSON WardenDigest"
    [WardenNetwork]="WardenJSON"
    [WardenPolicy]="WardenJSON WardenShell WardenDetect WardenAudit WardenDigest WardenNetwork"
    [WardenHooks]="WardenJSON WardenPolicy WardenShell WardenDetect WardenRedact WardenAudit WardenDigest WardenNetwork"
)
module_order=(WardenJSON WardenShell WardenDigest WardenDetect WardenAudit WardenRedact WardenNetwork WardenPolicy WardenHooks)
declare -A target_modules=(
    [shell]="WardenShell"
    [json]="WardenJSON"
    [network]="WardenJSON WardenNetwork"
    [policy]="WardenJSON WardenShell WardenDigest WardenDetect WardenAudit WardenNetwork WardenPolicy"
    [hook]="WardenJSON WardenShell WardenDigest WardenDetect WardenAudit WardenRedact WardenNetwork WardenPolicy WardenHooks"
)

# Rebuilt when a source file, a dependency or this script is newer than the object.
stale() {
    local product="$1"; shift
    [ -f "$product" ] || return 0
    [ -n "$(find "$@" "$root/Scripts/fuzz.sh" -newer "$product" -print -quit 2>/dev/null)" ]
}

declare -A needed=()
for target in "${targets[@]}"; do
    for module in ${target_modules[$target]}; do needed[$module]=1; done
done

for module in "${module_order[@]}"; do
    [ -n "${needed[$module]:-}" ] || continue
    object="$build/modules/$module.o"
    inputs=("Sources/$module")
    for dependency in ${module_dependencies[$module]}; do inputs+=("$build/modules/$dependency.o"); done
    if stale "$object" "${inputs[@]}"; then
        log "Compiling $module (fuzzer + address sanitizer)"
        mapfile -t sources < <(find "Sources/$module" -name '*.swift' | sort)
        swiftc "${swift_flags[@]}" -module-name "$module" -wmo -c "${sources[@]}" \
            -emit-module -emit-module-path "$build/modules/$module.swiftmodule" -o "$object"
        touch "$object"  # swiftc leaves an unchanged output's time alone; the next run would rebuild it
    fi
done

for target in "${targets[@]}"; do
    binary="$build/fuzz-$target"
    harness="Fuzz/Harnesses/${harness_names[$target]}.swift"
    objects=()
    for module in ${target_modules[$target]}; do objects+=("$build/modules/$module.o"); done
    if stale "$binary" "$harness" Fuzz/Harnesses/Check.swift "${objects[@]}"; then
        log "Linking fuzz-$target"
        # ld.gold warns about every ASan helper it cannot export; those warnings are noise.
        swiftc "${swift_flags[@]}" -module-name "${harness_names[$target]}" "$harness" Fuzz/Harnesses/Check.swift "${objects[@]}" -o "$binary" \
            2> >(grep -v "Cannot export local symbol" >&2)
        touch "$binary"
    fi
done

if [ "$build_only" = 1 ]; then
    echo "$build"
    exit 0
fi

# The Swift runtime's own backtracer (swift-backtrace) hangs on these instrumented binaries; the
# sanitizer prints the stack instead, demangled below.
export SWIFT_BACKTRACE=enable=no
# No leak checking: Swift keeps enum tags in the spare bits of object pointers, so LeakSanitizer
# cannot see that a global (a harness's fixed policy) still references its objects and reports
# them as leaked. A leak would not matter in the hook anyway: it answers once and exits.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=0:symbolize=1:handle_abort=1:handle_sigill=1:handle_sigtrap=1}"
command -v llvm-symbolizer >/dev/null && export ASAN_SYMBOLIZER_PATH="${ASAN_SYMBOLIZER_PATH:-$(command -v llvm-symbolizer)}"

demangle() { if command -v swift-demangle >/dev/null; then swift-demangle --simplified; else cat; fi; }

failed=()
summary=()
timeout_status=70  # libFuzzer's exit status for an input that ran longer than -timeout
for target in "${targets[@]}"; do
    binary="$build/fuzz-$target"
    corpus="$out/corpus/$target"
    artifacts="$out/artifacts/$target"
    run_log="$out/fuzz-$target.log"
    mkdir -p "$corpus" "$artifacts"
    : > "$run_log"
    dictionary=()
    [ -f "Fuzz/Dictionaries/$target.dict" ] && dictionary=(-dict="Fuzz/Dictionaries/$target.dict")
    log "Fuzzing $target for ${seconds}s (log: ${run_log#$root/})"
    remaining="$seconds"
    runs=0
    unconfirmed=0
    while :; do
        started="$(date +%s)"
        status=0
        "$binary" "$corpus" "Fuzz/Corpus/$target" "${dictionary[@]}" \
            -max_total_time="$remaining" -timeout=2 -max_len=4096 -rss_limit_mb=2048 -malloc_limit_mb=2048 \
            -artifact_prefix="$artifacts/" -print_final_stats=1 -reload=0 \
            >> "$run_log" 2>&1 < /dev/null || status=$?
        executed="$(sed -n 's/^stat::number_of_executed_units: *//p' "$run_log" | tail -1)"
        runs=$(( runs + ${executed:-0} ))
        [ "$status" -eq "$timeout_status" ] || break
        # A timeout on a loaded machine may be the machine: the input must time out again alone.
        artifact="$(sed -n 's/.*Test unit written to //p' "$run_log" | tail -1)"
        [ -f "$artifact" ] || break
        confirmed=0
        for _ in 1 2 3; do
            if ! "$binary" -timeout=2 -rss_limit_mb=2048 "$artifact" >> "$run_log" 2>&1 < /dev/null; then confirmed=1; break; fi
        done
        [ "$confirmed" = 0 ] || break
        unconfirmed=$(( unconfirmed + 1 ))
        mv "$artifact" "$(dirname "$artifact")/unconfirmed-$(basename "$artifact")"
        echo "==== fuzz.sh: that timeout did not happen again in 3 runs alone (machine load?); fuzzing on" >> "$run_log"
        remaining=$(( remaining - ($(date +%s) - started) ))
        [ "$remaining" -gt 5 ] || { status=0; break; }
    done
    coverage="$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9]+[a-zA-Z]*' "$run_log" | tail -1 || true)"
    note=""
    [ "$unconfirmed" = 0 ] || note=" ($unconfirmed timeout(s) not reproduced, kept as unconfirmed-*)"
    if [ "$status" -ne 0 ]; then
        failed+=("$target")
        summary+=("$(printf '%-7s FAILED (exit %s) after %s runs; %s%s' "$target" "$status" "$runs" "${coverage:-no coverage line}" "$note")")
        {
            echo "---- fuzz-$target failed; the report, demangled:"
            grep -nE '^(==[0-9]+==|SUMMARY|\*\*\* Warden fuzz check failed|.*Fatal error:|    #[0-9]+ |artifact_prefix|Test unit written|MS: )' "$run_log" \
                | grep -v 'in fuzzer::' | tail -60 | demangle || true
            echo "---- full log: ${run_log#$root/}"
        } >&2
    else
        summary+=("$(printf '%-7s ok: %s runs in %ss; %s%s' "$target" "$runs" "$seconds" "${coverage:-}" "$note")")
    fi
done

printf '\nFuzzing summary\n' >&2
printf '  %s\n' "${summary[@]}" >&2
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: findings in: ${failed[*]} (inputs in fuzz-out/artifacts/)" >&2
    exit 1
fi
