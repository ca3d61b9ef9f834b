#!/usr/bin/env bash
# Benchmark: `ukit sign` vs sbsign and osslsigncode on a ~264 MiB UKI (the
# Debian kernel + a 256 MiB random initrd), in one run, best of N each.
# Prints the times and the ratios to sbsign, osslsigncode and to a plain
# SHA-256 of the file (sha256sum, openssl dgst). Target: ukit <= 0.5x sbsign.
#
# Then the one-pass signed build: `ukit build` with Secure Boot signing and
# 4-bank PCR signing of the same inputs, against openssl dgst -sha256 of its
# output (ukify is not packaged in Debian 12, so there is no ukify run).
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
size=$(stat -c %s "$W/uki.efi")
echo "UKI: $((size / 1024 / 1024)) MiB ($size bytes) in $W; best of $RUNS runs each"

# best wall and best CPU (user+sys) time of RUNS for CMD, in ms: "WALL CPU"
best() {
        local bw="" bc="" w c
        for _ in $(seq "$RUNS"); do
                rm -f "$W/out.efi"
                /usr/bin/time -f "%e %U %S" -o "$W/time" "$@" >/dev/null 2>&1
                read -r w u s <"$W/time"
                w=$(awk -v a="$w" 'BEGIN { printf "%d", a * 1000 }')
                c=$(awk -v a="$u" -v b="$s" 'BEGIN { printf "%d", (a + b) * 1000 }')
                if [ -z "$bw" ] || [ "$w" -lt "$bw" ]; then bw=$w; fi
                if [ -z "$bc" ] || [ "$c" -lt "$bc" ]; then bc=$c; fi
        done
        echo "$bw $bc"
}
cat "$W/uki.efi" >/dev/null     # warm the page cache

read -r t_ukit c_ukit < <(best "$UKIT" sign --key "$W/k.pem" --cert "$W/c.pem" --output "$W/out.efi" "$W/uki.efi")
read -r t_ukit_detach c_ukit_detach < <(best "$UKIT" sign --key "$W/k.pem" --cert "$W/c.pem" --detach "$W/out.p7" "$W/uki.efi")
read -r t_sbsign c_sbsign < <(best sbsign --key "$W/k.pem" --cert "$W/c.pem" --output "$W/out.efi" "$W/uki.efi")
read -r t_ossl c_ossl < <(best osslsigncode sign -key "$W/k.pem" -certs "$W/c.pem" -in "$W/uki.efi" -out "$W/out.efi")
read -r t_sha c_sha < <(best sha256sum "$W/uki.efi")
read -r t_dgst c_dgst < <(best openssl dgst -sha256 "$W/uki.efi")

# sanity: ukit's output is valid for sbverify
"$UKIT" sign --key "$W/k.pem" --cert "$W/c.pem" --output "$W/check.efi" "$W/uki.efi"
sbverify --cert "$W/c.pem" "$W/check.efi" >/dev/null 2>&1 || { echo "ukit output does not verify!"; exit 1; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
sec() { awk -v a="$1" 'BEGIN { printf "%.3f s", a / 1000 }'; }
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs (wall times suffer from load; CPU = user+sys)"
printf '%-32s %-10s %s\n' "" "wall" "CPU"
printf '%-32s %-10s %s\n' "ukit sign --output" "$(sec $t_ukit)" "$(sec $c_ukit)"
printf '%-32s %-10s %s\n' "ukit sign --detach (no copy)" "$(sec $t_ukit_detach)" "$(sec $c_ukit_detach)"
printf '%-32s %-10s %s\n' "sbsign" "$(sec $t_sbsign)" "$(sec $c_sbsign)"
printf '%-32s %-10s %s\n' "osslsigncode sign" "$(sec $t_ossl)" "$(sec $c_ossl)"
printf '%-32s %-10s %s\n' "sha256sum" "$(sec $t_sha)" "$(sec $c_sha)"
printf '%-32s %-10s %s\n' "openssl dgst -sha256" "$(sec $t_dgst)" "$(sec $c_dgst)"
echo
printf '%-28s %-8s %s\n' "ratio (wall, CPU)" "" ""
printf '%-28s %sx   %sx   (target <= 0.50x)\n' "ukit / sbsign" "$(ratio $t_ukit $t_sbsign)" "$(ratio $c_ukit $c_sbsign)"
printf '%-28s %sx   %sx\n' "ukit / osslsigncode" "$(ratio $t_ukit $t_ossl)" "$(ratio $c_ukit $c_ossl)"
printf '%-28s %sx   %sx\n' "ukit / sha256sum" "$(ratio $t_ukit $t_sha)" "$(ratio $c_ukit $c_sha)"
printf '%-28s %sx   %sx\n' "ukit / openssl dgst -sha256" "$(ratio $t_ukit $t_dgst)" "$(ratio $c_ukit $c_dgst)"

# ---- one-pass signed build
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$W/pcr.key" 2>/dev/null
openssl pkey -in "$W/pcr.key" -pubout -out "$W/pcr.pub"
build=("$UKIT" build --linux "$kernel" --initrd "$W/initrd" --cmdline quiet --os-release "@$W/os-release"
       --uname 6.1.0-bench --output "$W/out.efi")
read -r t_b c_b < <(best "${build[@]}")
read -r t_bs c_bs < <(best "${build[@]}" --secureboot-private-key "$W/k.pem" --secureboot-certificate "$W/c.pem")
read -r t_bsp c_bsp < <(best "${build[@]}" --secureboot-private-key "$W/k.pem" --secureboot-certificate "$W/c.pem" \
        --pcr-private-key "$W/pcr.key" --pcr-public-key "$W/pcr.pub" --pcr-banks sha1,sha256,sha384,sha512)
"${build[@]}" --secureboot-private-key "$W/k.pem" --secureboot-certificate "$W/c.pem" \
        --pcr-private-key "$W/pcr.key" --pcr-public-key "$W/pcr.pub" --pcr-banks sha1,sha256,sha384,sha512 >/dev/null
sbverify --cert "$W/c.pem" "$W/out.efi" >/dev/null 2>&1 || { echo "signed build does not verify!"; exit 1; }
mv "$W/out.efi" "$W/built.efi"
read -r t_d2 c_d2 < <(best openssl dgst -sha256 "$W/built.efi")
echo
printf '%-44s %-10s %s\n' "" "wall" "CPU"
printf '%-44s %-10s %s\n' "ukit build (unsigned)" "$(sec $t_b)" "$(sec $c_b)"
printf '%-44s %-10s %s\n' "ukit build + Secure Boot" "$(sec $t_bs)" "$(sec $c_bs)"
printf '%-44s %-10s %s\n' "ukit build + Secure Boot + 4-bank PCR signing" "$(sec $t_bsp)" "$(sec $c_bsp)"
printf '%-44s %-10s %s\n' "openssl dgst -sha256 of the output" "$(sec $t_d2)" "$(sec $c_d2)"
printf '%-44s %sx   %sx   (target <= 1.50x)\n' "SB+PCR build / openssl dgst" "$(ratio $t_bsp $t_d2)" "$(ratio $c_bsp $c_d2)"
printf '%-44s %sx   %sx\n' "SB build / unsigned build" "$(ratio $t_bs $t_b)" "$(ratio $c_bs $c_b)"
