#!/usr/bin/env bash
# 4-bank `calculate` on the Debian kernel + a 256 MiB initrd: ukit measure vs
# systemd-measure 252, same inputs, same run (page cache warm for both).
# Prints the best-of-N wall time of each and the ratio (target <= 0.6).
# Then `ukit build` of the same inputs with 4-bank PCR signing (hashing in
# the write pass) against the same build without it: the cost of the
# signing. (ukify is not packaged for Debian 12, so there is no ukify run.)
#   usage: bench/measure.sh [RUNS]   (UKIT=path/to/ukit, default build/src/ukit/ukit)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
UKIT=${UKIT:-$top/build/src/ukit/ukit}
SM=/usr/lib/systemd/systemd-measure
runs=${1:-5}
cache=${UKIT_CACHE:-/var/cache/ukit}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

deb=$(ls "$cache"/linux-image-*-amd64_*.deb 2>/dev/null | head -1 || true)
if [ -n "$deb" ]; then
        dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work" --wildcards './boot/vmlinuz-*'
        kernel=$(ls "$work"/boot/vmlinuz-* | head -1)
else
        echo "no kernel .deb in $cache; using 8 MiB of random data as the kernel" >&2
        kernel=$work/vmlinuz; head -c 8M /dev/urandom >"$kernel"
fi
initrd=$work/initrd.img
head -c 256M /dev/urandom >"$initrd"
printf 'ID=debian\n' >"$work/osrel"
printf 'root=/dev/vda1 ro quiet' >"$work/cmdline"
args=(--linux="$kernel" --initrd="$initrd" --osrel="$work/osrel" --cmdline="$work/cmdline"
      --bank=sha1 --bank=sha256 --bank=sha384 --bank=sha512)

# Same answer first (otherwise the timing means nothing).
cmp <("$SM" calculate "${args[@]}" 2>&1) <("$UKIT" measure calculate "${args[@]}" 2>&1) \
        || { echo "outputs differ" >&2; exit 1; }

best() {        # best ms of $runs runs of "$@"
        local b=999999999 s e t
        for _ in $(seq "$runs"); do
                s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N)
                t=$(( (e - s) / 1000000 )); [ $t -lt $b ] && b=$t
        done
        echo $b
}
# CPU seconds (user+sys) of one run: on a busy machine wall time follows the
# CPU share we get, so this shows whether the work itself got cheaper.
cpu() { local TIMEFORMAT='%U %S'; { time "$@" >/dev/null 2>&1; } 2>&1 | awk '{ printf "%.2f", $1 + $2 }'; }
cat "$kernel" "$initrd" >/dev/null      # warm the page cache
sm=$(best "$SM" calculate "${args[@]}")
uk=$(best "$UKIT" measure calculate "${args[@]}")
smcpu=$(cpu "$SM" calculate "${args[@]}")
ukcpu=$(cpu "$UKIT" measure calculate "${args[@]}")
echo "input: $(basename "$kernel") ($(stat -c %s "$kernel") bytes) + 256 MiB initrd, 4 banks, best of $runs, $(nproc) CPUs"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) (the ratio is meaningful on an idle machine)"
echo "systemd-measure 252: ${sm} ms (CPU ${smcpu} s)"
echo "ukit measure:        ${uk} ms (CPU ${ukcpu} s, banks hashed in parallel threads)"
awk -v a="$uk" -v b="$sm" 'BEGIN { printf "ratio ukit/systemd-measure: %.2fx (target <= 0.60x)\n", a / b }'

# ukit build with and without 4-bank .pcrsig (same inputs, output in $work).
openssl genrsa -out "$work/pcr.pem" 2048 2>/dev/null
bargs=(--linux="$kernel" --initrd="$initrd" --cmdline="root=/dev/vda1 ro quiet" --os-release=ID=debian
       --output="$work/uki.efi")
plain=$(best "$UKIT" build "${bargs[@]}")
signed=$(best "$UKIT" build "${bargs[@]}" --pcr-private-key="$work/pcr.pem" --pcr-banks=sha1,sha256,sha384,sha512)
echo "ukit build:                       ${plain} ms"
echo "ukit build + 4-bank PCR signing:  ${signed} ms"
