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
for f in "$dir"/*/test-*.c "$dir"/*/test-*.sh "$dir"/fuzz/fuzz-*.c; do
        sub=$(dirname "$f")
        name=$(basename "$f"); name=${name%.*}
        checked=$((checked + 1))
        if [ ! -f "$sub/meson.build" ] || ! sed 's/#.*//' "$sub/meson.build" | grep -q "'$name'"; then
                echo "FAIL: ${f#"$dir"/} is not registered: add '$name' to ${sub#"$dir"/}/meson.build"
                missing=$((missing + 1))
        fi
done
[ $checked -gt 0 ] || { echo "FAIL: no test files found under $dir"; exit 1; }
echo "$checked test files, $missing not registered"
[ $missing = 0 ]
