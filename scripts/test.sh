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
# The tests are registered with meson (tests/*/meson.build) and run by
# `meson test --suite S` in each build; the counts come from its testlog.json.
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
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
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

# tests/run-test.sh sets the rest (UKIT, UKIT_BUILD, sanitizer options).
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

pass=0; fail=0; skip=0; failed=()

# run_suites BUILD LABEL SUITE...: `meson test` of the registered tests of
# those suites in BUILD (tests/*/meson.build; -k picks names containing
# SUBSTRING), then adds up its meson-logs/testlog-SUITES.json. Each test runs through
# tests/run-test.sh: log in BUILD/test-logs/SUITE_NAME.log, a skip fails
# under CI=true.
run_suites() {
        local b=$1 label=$2; shift 2
        local sel s names=()
        sel=$(printf '"%s",' "$@"); sel="[${sel%,}]"
        # Exact names of the selected tests (meson test matches names
        # exactly); -k matches NAME or SUITE/NAME, as in the log names.
        mapfile -t names < <(meson introspect --tests "$b" | jq -r --argjson sel "$sel" --arg k "$filter" '
                .[] | .name as $n | [.suite[] | sub("^[^:]*:"; "")] as $ss
                    | select(any($ss[]; . as $s | any($sel[]; . == $s)))
                    | select(any($ss[]; "\(.)/\($n)" | contains($k))) | $n' | sort -u)
        [ ${#names[@]} -gt 0 ] || return 0
        local args=()
        for s in "$@"; do args+=(--suite "$s"); done
        # One log per suite set (meson-logs/testlog-unit-interop.json, ...),
        # so runs of different suites in one build do not mix their logs.
        local base; base=testlog-$(IFS=-; echo "$*")
        local json=$b/meson-logs/$base.json
        rm -f "$json"
        meson test -C "$b" --no-rebuild --print-errorlogs --logbase "$base" "${args[@]}" "${names[@]}"
        if [ ! -f "$json" ]; then
                fail=$((fail + 1)); failed+=("$label: meson test wrote no $json")
                return 0
        fi
        local p f k
        p=$(jq -s '[.[] | select(.result == "OK")] | length' "$json")
        k=$(jq -s '[.[] | select(.result == "SKIP")] | length' "$json")
        f=$(jq -s '[.[] | select(.result != "OK" and .result != "SKIP")] | length' "$json")
        pass=$((pass + p)); skip=$((skip + k)); fail=$((fail + f))
        mapfile -t -O ${#failed[@]} failed < <(jq -r --arg l "$label" \
                'select(.result != "OK" and .result != "SKIP") | "\($l): \(.name) (\(.result))"' "$json")
}

for b in "${builds[@]}"; do
        sfx=${b#"$prefix"}
        want=()
        has_suite unit && want+=(unit)
        has_suite interop && want+=(interop)
        [ ${#want[@]} -gt 0 ] && run_suites "$b" "build$sfx" "${want[@]}"
done
# The VM tests boot the normal build's stub and ukit.
has_suite vm && run_suites "$build" build vm
# Replays every corpus and crash file through every target, then fuzzes each
# target for a few seconds (tests/run-fuzz.sh).
has_suite fuzz && run_suites "$fuzzbuild" build-fuzz fuzz

echo
# testlog.json names a test "ukit:SUITE / NAME".
[ ${#failed[@]} -gt 0 ] && printf 'failed: %s\n' "${failed[@]}"
if [ $skip -gt 0 ]; then
        echo "$pass passed, $fail failed, $skip skipped"
else
        echo "$pass passed, $fail failed"
fi
[ $fail = 0 ]
