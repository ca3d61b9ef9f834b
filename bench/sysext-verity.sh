#!/usr/bin/env bash
# dm-verity hash tree: `ukit sysext verity` vs `veritysetup format` on the
# same data in the same run (same salt/UUID, so the outputs are also compared).
# usage: bench/sysext-verity.sh [MiB] [UKIT]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
mib=${1:-512}
ukit=${2:-$top/build/src/ukit/ukit}
command -v veritysetup >/dev/null || { echo "veritysetup not installed"; exit 1; }
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
head -c $((mib * 1024 * 1024)) /dev/urandom >"$t/data"
salt=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
uuid=12345678-1234-4234-8234-123456789abc
cat "$t/data" >/dev/null     # warm the page cache for both
now() { date +%s%N; }
best_ref=; best_ukit=
for i in 1 2 3; do
        s=$(now); veritysetup format "$t/data" "$t/ref.hash" --salt=$salt --uuid=$uuid >/dev/null; e=$(now)
        d=$(( (e - s) / 1000000 )); [ -z "$best_ref" ] || [ $d -lt $best_ref ] && best_ref=$d
        s=$(now); "$ukit" sysext verity "$t/data" "$t/ukit.hash" --salt=$salt --uuid=$uuid >/dev/null; e=$(now)
        d=$(( (e - s) / 1000000 )); [ -z "$best_ukit" ] || [ $d -lt $best_ukit ] && best_ukit=$d
done
cmp -s "$t/ref.hash" "$t/ukit.hash" || { echo "hash devices differ!"; exit 1; }
echo "verity ${mib} MiB (best of 3): veritysetup ${best_ref} ms, ukit ${best_ukit} ms, ratio ukit/veritysetup $(awk "BEGIN{printf \"%.2f\", $best_ukit/$best_ref}")"
