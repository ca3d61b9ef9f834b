#!/usr/bin/env bash
# Configures and builds ukit in the given build directory.
# usage: scripts/build.sh [normal|asan|fuzz] [BUILDDIR]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
kind=${1:-normal}
dir=${2:-$top/build${kind/normal/}}
[ "$kind" = normal ] || dir=${2:-$top/build-$kind}

case "$kind" in
normal)
        opts=() ;;
asan)
        # Sanitized host code. The stub is still built (its own clang
        # custom_target takes none of the project's sanitizer flags), so the
        # host tools under test find their default stubs.
        opts=(-Db_sanitize=address,undefined -Db_lundef=false
              -Dc_args=-fno-sanitize-recover=all) ;;
fuzz)
        opts=(-Dfuzz=true -Dstub=false) ;;
*)
        echo "usage: $0 [normal|asan|fuzz] [BUILDDIR]" >&2; exit 2 ;;
esac

if [ ! -f "$dir/build.ninja" ]; then
        cc=; [ "$kind" = fuzz ] && cc=clang
        if ! CC=${cc:-${CC:-cc}} meson setup "$dir" "$top" "${opts[@]}" >"$dir.setup.log" 2>&1; then
                cat "$dir.setup.log" >&2; rm -rf "$dir"; exit 1
        fi
        rm -f "$dir.setup.log"
fi
# Quiet on success, the whole compiler output on failure.
if ! out=$(ninja -C "$dir" 2>&1); then
        printf '%s\n' "$out" >&2; exit 1
fi
echo "$dir"
