#!/usr/bin/env bash
# Lists C functions longer than a limit (default 120 lines, the project's
# rule), "LINES FILE:LINE NAME", longest first; exits 1 if there is one.
# A function runs from the first line of its definition (column 0) to its
# closing brace in column 0, the tree's style. The stub's efi_main is exempt.
# usage: scripts/function-lengths.sh [--max N] [DIR...]   (default: src)
set -euo pipefail
max=120
if [ "${1:-}" = --max ]; then max=$2; shift 2; fi
[ $# -gt 0 ] || set -- "$(cd "$(dirname "$0")/.." && pwd)/src"
out=$(find "$@" -name '*.c' -print0 | sort -z | xargs -0 awk -v max="$max" '
FNR == 1 { start = 0; body = 0 }
!body && !start && /^[A-Za-z_][^;=#]*\(/ && !/^(typedef|struct|enum|union)[ \t]/ {
        start = FNR; name = $0; sub(/\(.*/, "", name); sub(/.*[ *]/, "", name)
}
start && !body && /;[ \t]*$/ { start = 0 }
start && !body && /\{[ \t]*$/ { body = 1; next }
body && /^}/ {
        n = FNR - start + 1
        if (n > max && !(name == "efi_main" && FILENAME ~ /stub\//))
                printf "%d %s:%d %s\n", n, FILENAME, start, name
        start = 0; body = 0
}' | sort -rn)
if [ -z "$out" ]; then
        echo "no function over $max lines"
        exit 0
fi
printf '%s\n' "$out"
echo "FAIL: $(printf '%s\n' "$out" | wc -l) function(s) over $max lines (split them)"
exit 1
