#!/usr/bin/env bash
# Issue 19: the signed `ukit build` against the cost of its hashing, measured
# in the same run on the same output, in /dev/shm (no disk in the figures).
# Inputs: the Debian kernel (~8 MiB) + a 256 MiB random initrd, stub 257.
#   A. 4 PCR banks + Secure Boot vs the hash-work limit
#      (sha1 + 2 x sha256 + sha384 + sha512 of the output) / cores;
#   B. sha256-only PCR + Secure Boot vs one sha256 pass of the output.
# Each digest pass is timed with `openssl dgst` on the built UKI. Medians of
# RUNS (default 5). Goals: A <= 1.10, B <= 1.25 (on 2 cores).
#   usage: bench/build-signed.sh [RUNS]   (UKIT=path/to/ukit; UKIT_BUILD_THREADS is passed on)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
UKIT=$(realpath "${UKIT:-$top/build/src/ukit/ukit}")
runs=${1:-5}
cache=${UKIT_CACHE:-/var/cache/ukit}
root=$(bash "$top/scripts/fetch-oracle-257.sh" "$cache")
work=$(mktemp -d /dev/shm/ukit-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

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
cmd=("$UKIT" build --stub="$work/stub.efi" --linux="$kernel" --initrd="$work/initrd.img"
     --os-release=@"$work/osrel" --cmdline="root=/dev/vda1 ro quiet" --uname=6.1.0-bench
     --pcr-private-key="$work/pcr.key" --secureboot-private-key="$work/sb.key"
     --secureboot-certificate="$work/sb.crt" -o "$work/out.efi")
cores=$(nproc)

ms() { local a b; a=$(date +%s%N); "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }; b=$(date +%s%N); echo $(( (b - a) / 1000000 )); }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# The output is removed before each build (outside the timing): replacing
# an existing 264 MiB file would add the freeing of its pages to ukit.
build_ms() { local t=(); for ((i = 0; i < runs; i++)); do rm -f "$work/out.efi"; t+=("$(ms "${cmd[@]}" "$@")"); done; printf '%s\n' "${t[@]}" | median; }
# CPU time (user + sys) of one run, ms: under load, wall time says more about
# the neighbours than about ukit; CPU time shows the work done.
cpu_ms() { /usr/bin/time -f '%U %S' -o "$work/cpu" "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }
           awk '{ printf "%d\n", ($1 + $2) * 1000 }' "$work/cpu"; }
cpu_med() { local t=(); for ((i = 0; i < runs; i++)); do [ "$1" != "$UKIT" ] || rm -f "$work/out.efi"; t+=("$(cpu_ms "$@")"); done
            printf '%s\n' "${t[@]}" | median; }
dgst_ms() { local t=(); for ((i = 0; i < runs; i++)); do t+=("$(ms openssl dgst -"$1" "$work/out.efi")"); done; printf '%s\n' "${t[@]}" | median; }
ratio() { echo "scale=4; $1 / $2" | bc -l | xargs printf '%.2f'; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

load0=$(load)
echo "== bench/build-signed.sh (issue 19): $cores cores, UKIT_BUILD_THREADS=${UKIT_BUILD_THREADS:-auto}, $runs runs each, medians"
echo "load average before: $load0"
echo "A: ${cmd[*]}"
echo "B: the same + --pcr-banks=sha256"
a=$(build_ms)
s1=$(dgst_ms sha1); s256=$(dgst_ms sha256); s384=$(dgst_ms sha384); s512=$(dgst_ms sha512)
limit=$(( (s1 + 2 * s256 + s384 + s512) / cores ))
size=$(stat -c %s "$work/out.efi")
ca=$(cpu_med "${cmd[@]}"); cw=0
for d in sha1 sha256 sha256 sha384 sha512; do cw=$((cw + $(cpu_med openssl dgst -$d "$work/out.efi"))); done
b=$(build_ms --pcr-banks=sha256)
cb=$(cpu_med "${cmd[@]}" --pcr-banks=sha256); cd256=$(cpu_med openssl dgst -sha256 "$work/out.efi")
floor_b=$(echo "m = $cb / $cores; if (m < $cd256) m = $cd256; m / $cd256" | bc -l | xargs printf '%.2f')
printf 'output %d MiB; `openssl dgst` of it, wall: sha1 %d ms, sha256 %d ms, sha384 %d ms, sha512 %d ms\n' \
        $((size >> 20)) "$s1" "$s256" "$s384" "$s512"
echo "wall time:"
printf '  A  4 banks + SB   %5d ms  vs hash-work limit (sha1+2*sha256+sha384+sha512)/%d = %5d ms   ratio %s  (goal <= 1.10)\n' \
        "$a" "$cores" "$limit" "$(ratio "$a" "$limit")"
printf '  B  sha256 + SB    %5d ms  vs one sha256 pass                                   %5d ms   ratio %s  (goal <= 1.25)\n' \
        "$b" "$s256" "$(ratio "$b" "$s256")"
echo "CPU time (user+sys):"
printf '  A  ukit %5d ms  vs the five digest passes it does (sha1, 2 x sha256, sha384, sha512)  %5d ms   ratio %s\n' \
        "$ca" "$cw" "$(ratio "$ca" "$cw")"
printf '  B  ukit %5d ms  vs its two sha256 passes (PCR 11, Authenticode), 2 x %d           %5d ms   ratio %s\n' \
        "$cb" "$cd256" $((2 * cd256)) "$(ratio "$cb" $((2 * cd256)))"
printf '     B wall-time floor from CPU on %d idle cores: max(ukit CPU / %d, one pass) / one pass = %s\n' \
        "$cores" "$cores" "$floor_b"
echo "load average after: $(load)  (wall ratios assume $cores idle cores: under load they mostly measure the neighbours)"
