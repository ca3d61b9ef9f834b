#!/usr/bin/env bash
# Runs every ukit test and ends with "N passed, N failed".
#
#   unit     tests/unit/test-*      in the normal and the ASan+UBSan build
#   interop  tests/interop/*.sh     against both builds' ukit
#   fuzz     tests/fuzz/fuzz-*      libFuzzer: every corpus and crash file replayed
#                                   through every target, then a short run each
#   vm       tests/vm/test-*.sh     QEMU + OVMF + swtpm boots (normal build)
#
# usage: scripts/test.sh [-k SUBSTRING] [--suites unit,interop,fuzz,vm] [--no-asan]
# A test exits 0 (pass), 77 (skip: it printed "SKIP: reason") or anything
# else (fail). Under CI=true a skip counts as a failure: CI must never skip.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

filter=""
suites="unit,interop,fuzz,vm"
asan=1
while [ $# -gt 0 ]; do
        case "$1" in
        -k) filter=$2; shift 2 ;;
        --suites) suites=$2; shift 2 ;;
        --no-asan) asan=0; shift ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
        esac
done
has_suite() { [[ ",$suites," == *",$1,"* ]]; }

bash scripts/deps.sh || { echo "dependency installation failed"; echo "0 passed, 1 failed"; exit 1; }

# UKIT_BUILD_PREFIX lets several people share one checkout: build dirs are
# PREFIX, PREFIX-asan, PREFIX-fuzz (default build, build-asan, build-fuzz).
prefix=${UKIT_BUILD_PREFIX:-$top/build}
build=$(bash scripts/build.sh normal "$prefix") || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }
builds=("$build")
if [ $asan = 1 ] && { has_suite unit || has_suite interop; }; then
        b=$(bash scripts/build.sh asan "$prefix-asan") || { echo "asan build failed"; echo "0 passed, 1 failed"; exit 1; }
        builds+=("$b")
fi
if has_suite fuzz; then
        fuzzbuild=$(bash scripts/build.sh fuzz "$prefix-fuzz") || { echo "fuzz build failed"; echo "0 passed, 1 failed"; exit 1; }
fi

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export UKIT_TOP=$top
if [ "$(id -u)" = 0 ]; then export UKIT_CACHE=${UKIT_CACHE:-/var/cache/ukit}; else export UKIT_CACHE=${UKIT_CACHE:-$top/build/cache}; fi
mkdir -p "$UKIT_CACHE"
# The real kernel the interop, unit and VM tests use (no test may skip for want of it).
bash scripts/fetch-kernel.sh "$UKIT_CACHE" >/dev/null || { echo "could not get a Debian kernel package"; echo "0 passed, 1 failed"; exit 1; }
# The systemd 257 oracle (a Debian 13 root), built once and cached like the kernel.
if has_suite interop || has_suite vm; then
        bash scripts/fetch-oracle-257.sh "$UKIT_CACHE" >/dev/null || { echo "could not build the systemd 257 oracle root"; echo "0 passed, 1 failed"; exit 1; }
        # A Debian 12 root for dpkg -i of the kernel package (test-kernel-install-debian-dpkg).
        bash scripts/fetch-root-bookworm.sh "$UKIT_CACHE" >/dev/null || { echo "could not build the Debian 12 root"; echo "0 passed, 1 failed"; exit 1; }
fi

logs=$build/test-logs
rm -rf "$logs"; mkdir -p "$logs"
pass=0; fail=0; skip=0; failed=()

# run NAME TIMEOUT CMD...
run() {
        local name=$1 t=$2; shift 2
        [ -n "$filter" ] && [[ "$name" != *"$filter"* ]] && return 0
        local log=$logs/${name//\//_}.log start end rc
        local tmp; tmp=$(mktemp -d "${TMPDIR:-/tmp}/ukit-test.XXXXXX")
        start=$(date +%s%N)
        UKIT_TMP=$tmp timeout -k 10 "$t" "$@" >"$log" 2>&1 </dev/null
        rc=$?
        end=$(date +%s%N)
        local ds=$(( (end - start) / 100000000 )) secs; secs="$((ds / 10)).$((ds % 10))"
        if [ $rc = 0 ]; then
                pass=$((pass + 1)); echo "PASS  $name (${secs}s)"
                rm -rf "$tmp"
        elif [ $rc = 77 ]; then
                local why; why=$(grep -m1 '^SKIP:' "$log" || echo "SKIP: (no reason given)")
                if [ "${CI:-}" = true ]; then
                        fail=$((fail + 1)); failed+=("$name"); echo "FAIL  $name (skipped under CI: $why)"
                else
                        skip=$((skip + 1)); echo "SKIP  $name: ${why#SKIP: }"
                fi
                rm -rf "$tmp"
        else
                fail=$((fail + 1)); failed+=("$name")
                [ $rc = 124 ] && echo "timed out after ${t}s" >>"$log"
                echo "FAIL  $name (exit $rc, ${secs}s; log $log, files kept in $tmp)"
                tail -n 25 "$log" | sed 's/^/    | /'
        fi
}

for b in "${builds[@]}"; do
        sfx=${b#"$prefix"}
        if has_suite unit; then
                for t in "$b"/tests/unit/test-*; do
                        [ -x "$t" ] && [ -f "$t" ] || continue
                        run "unit$sfx/$(basename "$t")" 300 "$t"
                done
        fi
        if has_suite interop; then
                for t in tests/interop/test-*.sh; do
                        [ -f "$t" ] || continue
                        UKIT=$b/src/ukit/ukit UKIT_BUILD=$b run "interop$sfx/$(basename "$t" .sh)" 900 bash "$t"
                done
        fi
done

if has_suite fuzz; then
        # Replay: every seed of every corpus and every saved crash input
        # (tests/fuzz/regressions) through every target, each run once.
        mapfile -t replay < <(find tests/fuzz/corpus tests/fuzz/regressions -type f ! -name README.md | sort)
        for t in "$fuzzbuild"/tests/fuzz/fuzz-*; do
                [ -x "$t" ] && [ -f "$t" ] || continue
                n=$(basename "$t")
                run "fuzz/replay-$n" 300 "$t" -timeout=10 -rss_limit_mb=4096 "${replay[@]}"
        done
        # Then a short fuzzing run of each target from its own seeds.
        for t in "$fuzzbuild"/tests/fuzz/fuzz-*; do
                [ -x "$t" ] && [ -f "$t" ] || continue
                n=$(basename "$t"); corpus=tests/fuzz/corpus/${n#fuzz-}
                work=$(mktemp -d); [ -d "$corpus" ] && cp -r "$corpus"/. "$work"/
                run "fuzz/$n" 120 "$t" -max_total_time="${UKIT_FUZZ_SECONDS:-15}" -timeout=10 -rss_limit_mb=4096 "$work"
                rm -rf "$work"
        done
fi

if has_suite vm; then
        for t in tests/vm/test-*.sh; do
                [ -f "$t" ] || continue
                UKIT=$build/src/ukit/ukit UKIT_BUILD=$build run "vm/$(basename "$t" .sh)" 600 bash "$t"
        done
fi

echo
[ ${#failed[@]} -gt 0 ] && printf 'failed: %s\n' "${failed[*]}"
if [ $skip -gt 0 ]; then
        echo "$pass passed, $fail failed, $skip skipped"
else
        echo "$pass passed, $fail failed"
fi
[ $fail = 0 ]
