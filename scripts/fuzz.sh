#!/usr/bin/env bash
# Runs every libFuzzer target for N seconds each, one after the other, on a
# copy of its seed corpus, and prints per target the figures libFuzzer
# reports: coverage (cov:) and features (ft:) at the start and the end, total
# executions, exec/s and the final corpus size.
# usage: scripts/fuzz.sh [-t SECONDS] [-k SUBSTRING] [BUILDDIR]
#   BUILDDIR defaults to ./build-fuzz (built with scripts/build.sh fuzz).
#   Crash artifacts and logs are kept in $UKIT_FUZZ_OUT (default: a new
#   temporary directory, printed at the end). $UKIT_FUZZ_CORPUS replaces
#   tests/fuzz/corpus as the seed directory. Exit status 1 if any target
#   crashed, leaked, timed out or ran out of memory.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
secs=60 filter=
while [ $# -gt 0 ]; do
        case "$1" in
        -t) secs=$2; shift 2 ;;
        -k) filter=$2; shift 2 ;;
        -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
        *) break ;;
        esac
done
build=${1:-$top/build-fuzz}
[ -d "$build/tests/fuzz" ] || { echo "fuzz.sh: $build: no fuzz build (scripts/build.sh fuzz $build)" >&2; exit 2; }
out=${UKIT_FUZZ_OUT:-$(mktemp -d /tmp/ukit-fuzz.XXXXXX)}
mkdir -p "$out"

# the last "#N ... cov: C ft: F corp: K/S ... exec/s: E" status line
field() { grep -o "$1: [0-9]*[a-zA-Z]*" <<<"$2" | tail -1 | cut -d' ' -f2; }

printf '%-24s %7s %7s %7s %7s %11s %8s %9s %s\n' target cov0 cov ft0 ft execs exec/s corpus result
bad=0
for t in "$build"/tests/fuzz/fuzz-*; do
        [ -x "$t" ] && [ -f "$t" ] || continue
        n=$(basename "$t")
        [ -z "$filter" ] || [[ $n == *"$filter"* ]] || continue
        corpus=${UKIT_FUZZ_CORPUS:-$top/tests/fuzz/corpus}/${n#fuzz-}
        work=$out/$n.corpus; rm -rf "$work"; mkdir -p "$work"
        [ -d "$corpus" ] && cp -r "$corpus"/. "$work"/
        log=$out/$n.log
        ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
        "$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
                -artifact_prefix="$out/$n-" "$work" >"$log" 2>&1
        rc=$?
        init=$(grep -E '^#[0-9]+[[:space:]]+(INITED|pulse)' "$log" | grep INITED | tail -1)
        last=$(grep -E '^#[0-9]+[[:space:]]' "$log" | tail -1)
        execs=$(awk '/^stat::number_of_executed_units:/ {print $2}' "$log")
        eps=$(awk '/^stat::average_exec_per_sec:/ {print $2}' "$log")
        corp=$(field corp "$last")
        res=ok; [ $rc -eq 0 ] || { res="FAIL($rc) $log"; bad=1; }
        printf '%-24s %7s %7s %7s %7s %11s %8s %9s %s\n' "$n" "$(field cov "$init")" "$(field cov "$last")" \
                "$(field ft "$init")" "$(field ft "$last")" "${execs:-?}" "${eps:-?}" "${corp:-?}" "$res"
done
echo "logs: $out"
exit $bad
