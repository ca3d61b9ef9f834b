#!/usr/bin/env bash
# Benchmark: `ukit sign` vs sbsign and osslsigncode on a ~264 MiB UKI (the
# Debian kernel + a 256 MiB random initrd), in one run, best of N each.
# Prints the times and the ratios to sbsign, osslsigncode and to a plain
# SHA-256 of the file (sha256sum, openssl dgst). Target: ukit <= 0.5x sbsign.
#
# usage: bench/sign.sh [UKIT] [RUNS]     (BENCH_DIR: work directory,
#        default a fresh one in /dev/shm so the disk does not dominate;
#        ukit fsyncs its output, the others do not)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
UKIT=${1:-$top/build/src/ukit/ukit}
RUNS=${2:-3}
[ -x "$UKIT" ] || { echo "no ukit binary at $UKIT (build first, or pass its path)"; exit 1; }
for c in sbsign osslsigncode openssl sha256sum dpkg-deb; do
        command -v $c >/dev/null || { echo "$c missing"; exit 1; }
done
base=${BENCH_DIR:-/dev/shm}
W=$(mktemp -d "$base/ukit-bench-sign.XXXXXX")
trap 'rm -rf "$W"' EXIT

cache=${UKIT_CACHE:-/var/cache/ukit}
kernel=$(ls "$cache"/vmlinuz-*-amd64 2>/dev/null | sort -V | tail -n1 || true)
if [ -z "$kernel" ]; then
        deb=$(ls "$cache"/linux-image-[0-9]*-amd64_*.deb 2>/dev/null | sort -V | tail -n1)
        dpkg-deb -x "$deb" "$W/deb"
        kernel=$(ls "$W"/deb/boot/vmlinuz-* | head -n1)
fi
# Debian's kernel is signed; the UKI's .linux keeps that, the UKI itself is unsigned.
openssl req -new -x509 -newkey rsa:2048 -nodes -keyout "$W/k.pem" -out "$W/c.pem" -subj /CN=bench -days 30 2>/dev/null
head -c $((256 * 1024 * 1024)) /dev/urandom >"$W/initrd"
printf 'ID=bench\n' >"$W/os-release"
"$UKIT" build --linux "$kernel" --initrd "$W/initrd" --cmdline quiet --os-release "@$W/os-release" \
        --uname 6.1.0-bench --output "$W/uki.efi" >/dev/null
rm -f "$W/initrd"
size=$(stat -c %s "$W/uki.efi")
echo "UKI: $((size / 1024 / 1024)) MiB ($size bytes) in $W; best of $RUNS runs each"

# best TIME of RUNS for CMD (seconds, 3 decimals); output files removed in between
best() {
        local b="" t s e
        for _ in $(seq "$RUNS"); do
                rm -f "$W/out.efi"
                s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N)
                t=$(( (e - s) / 1000000 ))
                if [ -z "$b" ] || [ $t -lt $b ]; then b=$t; fi
        done
        echo "$b"
}
cat "$W/uki.efi" >/dev/null     # warm the page cache

t_ukit=$(best "$UKIT" sign --key "$W/k.pem" --cert "$W/c.pem" --output "$W/out.efi" "$W/uki.efi")
t_ukit_detach=$(best "$UKIT" sign --key "$W/k.pem" --cert "$W/c.pem" --detach "$W/out.p7" "$W/uki.efi")
t_sbsign=$(best sbsign --key "$W/k.pem" --cert "$W/c.pem" --output "$W/out.efi" "$W/uki.efi")
t_ossl=$(best osslsigncode sign -key "$W/k.pem" -certs "$W/c.pem" -in "$W/uki.efi" -out "$W/out.efi")
t_sha=$(best sha256sum "$W/uki.efi")
t_dgst=$(best openssl dgst -sha256 "$W/uki.efi")

# sanity: ukit's output is valid for sbverify
"$UKIT" sign --key "$W/k.pem" --cert "$W/c.pem" --output "$W/check.efi" "$W/uki.efi"
sbverify --cert "$W/c.pem" "$W/check.efi" >/dev/null 2>&1 || { echo "ukit output does not verify!"; exit 1; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
sec() { awk -v a="$1" 'BEGIN { printf "%.3f s", a / 1000 }'; }
printf '%-34s %s\n' "ukit sign --output" "$(sec $t_ukit)"
printf '%-34s %s\n' "ukit sign --detach (hash only)" "$(sec $t_ukit_detach)"
printf '%-34s %s\n' "sbsign" "$(sec $t_sbsign)"
printf '%-34s %s\n' "osslsigncode sign" "$(sec $t_ossl)"
printf '%-34s %s\n' "sha256sum" "$(sec $t_sha)"
printf '%-34s %s\n' "openssl dgst -sha256" "$(sec $t_dgst)"
echo
echo "ukit / sbsign               = $(ratio $t_ukit $t_sbsign)x   (target <= 0.50x)"
echo "ukit / osslsigncode         = $(ratio $t_ukit $t_ossl)x"
echo "ukit / sha256sum            = $(ratio $t_ukit $t_sha)x"
echo "ukit / openssl dgst -sha256 = $(ratio $t_ukit $t_dgst)x"
