#!/usr/bin/env bash
# `ukit build` vs `ukify build` 257 (the Debian 13 oracle root,
# scripts/fetch-oracle-257.sh) in the same run, same inputs, same stub 257:
# the Debian kernel + a 256 MiB random initrd, plain and with PCR signing over
# all four banks + Secure Boot signing (ukify: systemd-measure + sbsign from
# the root). ukit runs on the host; the runner's own cost (a private mount
# namespace and a chroot, timed with `true`) is taken off ukify's time.
# Prints the median wall time of each and the ratio ukify/ukit (issue 13:
# keep ukit >= 10x faster in both).
#   usage: bench/build-ukify257.sh [RUNS]   (UKIT=path/to/ukit, default build/src/ukit/ukit)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
UKIT=$(realpath "${UKIT:-$top/build/src/ukit/ukit}")
runs=${1:-3}
cache=${UKIT_CACHE:-/var/cache/ukit}
root=$(bash "$top/scripts/fetch-oracle-257.sh" "$cache")
work=$(mktemp -d "${BENCH_DIR:-/var/tmp}/ukit-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
in257() { ORACLE_ROOT=$root bash "$top/scripts/oracle-257-run.sh" --bind "$work" "$@"; }

deb=$(ls "$cache"/linux-image-*-amd64_*.deb 2>/dev/null | sort -V | tail -1 || true)
[ -n "$deb" ] || { echo "no linux-image .deb in $cache" >&2; exit 1; }
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work" --wildcards './boot/vmlinuz-*'
kernel=$(ls "$work"/boot/vmlinuz-* | head -1)
openssl rand -out "$work/initrd.img" $((256 * 1024 * 1024))
cp "$root/usr/lib/systemd/boot/efi/linuxx64.efi.stub" "$work/stub.efi"
printf 'ID=debian\nPRETTY_NAME="Debian"\n' >"$work/osrel"
openssl req -new -x509 -newkey rsa:2048 -nodes -keyout "$work/sb.key" -out "$work/sb.crt" -subj /CN=bench -days 30 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/pcr.key" 2>/dev/null
export UKIT_CONFIG_SEARCH=0
common=(--stub="$work/stub.efi" --linux="$kernel" --initrd="$work/initrd.img" --os-release=@"$work/osrel"
        --cmdline="root=/dev/vda1 ro quiet" --uname=6.1.0-bench)
signed=(--pcr-private-key="$work/pcr.key" --secureboot-private-key="$work/sb.key"
        --secureboot-certificate="$work/sb.crt")

ms() { local a b; a=$(date +%s%N); "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }; b=$(date +%s%N); echo $(( (b - a) / 1000000 )); }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

r=(); for ((i = 0; i < runs; i++)); do r+=("$(ms in257 true)"); done
runner=$(printf '%s\n' "${r[@]}" | median)
echo "oracle runner alone: $runner ms (median), subtracted from ukify's times"
for kind in plain signed; do
        extra=(); [ $kind = signed ] && extra=("${signed[@]}")
        u=() k=()
        for ((i = 0; i < runs; i++)); do
                rm -f "$work/ukit.efi" "$work/ukify.efi"
                u+=("$(ms "$UKIT" build "${common[@]}" "${extra[@]}" -o "$work/ukit.efi")")
                k+=("$(ms in257 ukify build "${common[@]}" "${extra[@]}" --output="$work/ukify.efi")")
        done
        mu=$(printf '%s\n' "${u[@]}" | median); mk=$(( $(printf '%s\n' "${k[@]}" | median) - runner ))
        printf '%-6s ukit %6d ms   ukify 257 %6d ms   ukify/ukit %.1fx   (%d runs each, medians)\n' \
                $kind "$mu" "$mk" "$(echo "$mk / $mu" | bc -l)" "$runs"
done
