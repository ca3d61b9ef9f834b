#!/usr/bin/env bash
# Runs one registered test for `meson test` (see tests/*/meson.build).
#
# usage: tests/run-test.sh [--vm] SUITE NAME CMD [ARG...]
#
# The test's whole output goes to $UKIT_BUILD/test-logs/SUITE_NAME.log
# (a file, not meson's pipe: a daemon a test leaves behind, such as swtpm,
# cannot keep `meson test` waiting) and is copied to stdout afterwards, so
# meson-logs/testlog.* hold it too. UKIT_TMP is a fresh directory, removed
# when the test passes and kept (and named) when it fails.
#
# Exit status: the test's own, 0 pass, 77 skip (the test printed
# "SKIP: reason"), else fail. Under CI=true a skip is turned into a failure:
# CI must never pass by skipping.
#
# --vm: a QEMU test; killed after UKIT_VM_TIMEOUT seconds (default 600) of
# its own time, not counting the time it waits for the shared QEMU lock;
# read when the test starts, so it scales with the machine without
# reconfiguring (the meson timeout of VM tests is off).
set -uo pipefail

vm=0
if [ "${1:-}" = --vm ]; then vm=1; shift; fi
if [ $# -lt 3 ]; then
        echo "usage: $0 [--vm] SUITE NAME CMD [ARG...]" >&2
        exit 2
fi
suite=$1 name=$2
shift 2

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export UKIT_TOP=${UKIT_TOP:-$top}
export UKIT_BUILD=${UKIT_BUILD:-$top/build}
export UKIT=${UKIT:-$UKIT_BUILD/src/ukit/ukit}
if [ -z "${UKIT_CACHE:-}" ]; then
        if [ "$(id -u)" = 0 ]; then UKIT_CACHE=/var/cache/ukit; else UKIT_CACHE=$UKIT_BUILD/cache; fi
fi
export UKIT_CACHE
mkdir -p "$UKIT_CACHE"
# Sanitized builds stop at the first report, leaks included.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

logs=$UKIT_BUILD/test-logs
mkdir -p "$logs"
log=$logs/${suite}_${name//\//_}.log
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ukit-test.XXXXXX") || exit 1
export UKIT_TMP=$tmp

# run_vm CMD...: CMD in its own session, killed (the whole session) after
# UKIT_VM_TIMEOUT seconds of its own time; the seconds it spends waiting
# for the shared QEMU lock (tests/vm/lib.sh holds $UKIT_VM_WAITING while it
# waits) do not count, so a test queued behind others is not timed out.
run_vm() {
        local limit=${UKIT_VM_TIMEOUT:-600} used=0 pid
        export UKIT_VM_WAITING=$tmp/.waiting-for-qemu-lock
        setsid "$@" >"$log" 2>&1 </dev/null &
        pid=$!
        while kill -0 "$pid" 2>/dev/null; do
                sleep 1
                [ -e "$UKIT_VM_WAITING" ] || used=$((used + 1))
                if [ $used -ge "$limit" ]; then
                        kill -TERM -- "-$pid" 2>/dev/null
                        sleep 10
                        kill -KILL -- "-$pid" 2>/dev/null
                        wait "$pid" 2>/dev/null
                        return 124
                fi
        done
        wait "$pid"
}

if [ $vm = 1 ]; then
        run_vm "$@"
else
        "$@" >"$log" 2>&1 </dev/null
fi
rc=$?
cat "$log"

if [ $rc = 0 ]; then
        rm -rf "$tmp"
elif [ $rc = 77 ]; then
        rm -rf "$tmp"
        why=$(grep -m1 '^SKIP:' "$log" || echo "SKIP: (no reason given)")
        if [ "${CI:-}" = true ]; then
                echo "FAIL: skipped under CI=true ($why)"
                rc=1
        fi
else
        if [ $vm = 1 ] && [ $rc = 124 ]; then
                echo "FAIL: timed out after ${UKIT_VM_TIMEOUT:-600}s (UKIT_VM_TIMEOUT)" | tee -a "$log"
        fi
        echo "FAIL: exit $rc; log $log, files kept in $tmp"
fi
exit $rc
