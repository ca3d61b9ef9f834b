#!/usr/bin/env bash
# A unit test: every test file is registered with meson, so none can be
# forgotten and silently never run.
#   tests/DIR/test-NAME.c and tests/DIR/test-NAME.sh  ->  'test-NAME' in tests/DIR/meson.build
#   tests/fuzz/fuzz-NAME.c                            ->  'fuzz-NAME' in tests/fuzz/meson.build
# (A listed name without its file already fails `meson setup`.)
# usage: tests/check-registered.sh [TESTSDIR]
set -uo pipefail
dir=${1:-$(dirname "${BASH_SOURCE[0]}")}
missing=0 checked=0
shopt -s nullglob
# each meson.build read once, comments stripped (one process per
# directory, not per test: this runs on busy machines under a timeout)
declare -A lists=()
for f in "$dir"/*/test-*.c "$dir"/*/test-*.sh "$dir"/fuzz/fuzz-*.c; do
        sub=${f%/*}
        name=${f##*/}; name=${name%.*}
        checked=$((checked + 1))
        if [ -z "${lists[$sub]+set}" ]; then
                lists[$sub]=$(sed 's/#.*//' "$sub/meson.build" 2>/dev/null)
        fi
        if [[ "${lists[$sub]}" != *"'$name'"* ]]; then
                echo "FAIL: ${f#"$dir"/} is not registered: add '$name' to ${sub#"$dir"/}/meson.build"
                missing=$((missing + 1))
        fi
done
[ $checked -gt 0 ] || { echo "FAIL: no test files found under $dir"; exit 1; }
echo "$checked test files, $missing not registered"
[ $missing = 0 ]
