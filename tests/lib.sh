# Shared helpers for shell tests (interop/, vm/). Source it:
#   . "$UKIT_TOP/tests/lib.sh"
# scripts/test.sh provides UKIT (the binary), UKIT_BUILD, UKIT_TOP,
# UKIT_CACHE (downloads kept between runs) and UKIT_TMP (a fresh directory,
# removed when the test passes).
set -euo pipefail

: "${UKIT_TOP:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${UKIT_BUILD:=$UKIT_TOP/build}"
: "${UKIT:=$UKIT_BUILD/src/ukit/ukit}"
: "${UKIT_CACHE:=/var/cache/ukit}"
if [ -z "${UKIT_TMP:-}" ]; then
        UKIT_TMP=$(mktemp -d)
        trap 'rm -rf "$UKIT_TMP"' EXIT
fi
T=$UKIT_TMP

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
need() { for c in "$@"; do command -v "$c" >/dev/null || skip "$c not installed"; done; }

# assert_eq ACTUAL EXPECTED WHAT
assert_eq() { [ "$1" = "$2" ] || fail "$3: got '$1', expected '$2'"; }
# assert_fails WHAT CMD...: CMD must exit non-zero
assert_fails() { local what=$1; shift; if "$@" >"$T/.out" 2>&1; then fail "$what: succeeded unexpectedly"; fi; }
# assert_files_equal A B WHAT
assert_files_equal() { cmp -s "$1" "$2" || fail "$3: $1 and $2 differ"; }

echo "== $(basename "$0")"
