#!/usr/bin/env bash
# One fuzz test of the 'fuzz' suite (tests/fuzz/meson.build), run by
# tests/run-test.sh.
#
# usage: tests/run-fuzz.sh replay TARGET FUZZDIR
#          every file of every FUZZDIR/corpus/* and FUZZDIR/regressions/*
#          (seeds of all targets and saved crash inputs) through TARGET, once
#        tests/run-fuzz.sh run TARGET FUZZDIR
#          fuzz TARGET for UKIT_FUZZ_SECONDS (default 15) from a copy of its
#          corpus FUZZDIR/corpus/NAME (fuzz-NAME), so the sources stay as they are
set -euo pipefail
[ $# = 3 ] || { echo "usage: $0 replay|run TARGET FUZZDIR" >&2; exit 2; }
mode=$1 target=$2 dir=$3
# Crash inputs go to UKIT_TMP, which run-test.sh keeps when the test fails.
opts=(-timeout=10 -rss_limit_mb=4096 "-artifact_prefix=${UKIT_TMP:-${TMPDIR:-/tmp}}/")

case "$mode" in
replay)
        mapfile -t inputs < <(find "$dir/corpus" "$dir/regressions" -type f ! -name README.md | sort)
        [ ${#inputs[@]} -gt 0 ] || { echo "FAIL: no corpus files under $dir"; exit 1; }
        exec "$target" "${opts[@]}" "${inputs[@]}"
        ;;
run)
        name=$(basename "$target")
        work=$(mktemp -d "${UKIT_TMP:-${TMPDIR:-/tmp}}/corpus.XXXXXX")
        trap 'rm -rf "$work"' EXIT
        corpus=$dir/corpus/${name#fuzz-}
        [ -d "$corpus" ] && cp -r "$corpus"/. "$work"/
        "$target" -max_total_time="${UKIT_FUZZ_SECONDS:-15}" "${opts[@]}" "$work"
        ;;
*)
        echo "usage: $0 replay|run TARGET FUZZDIR" >&2; exit 2 ;;
esac
