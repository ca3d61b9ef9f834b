#!/usr/bin/env bash
# `ukit build` vs ukify-style assembly with `objcopy --add-section` on the
# Debian kernel + a 256 MiB random initrd, in the same run, page cache warm
# for all. Also times `cp` of ukit's output and `openssl dgst -sha256` of it
# (the cost of just reading + writing, or just reading, the same bytes).
# Prints best-of-N wall times and the ratios (issue target: ukit within 1.3x
# of cp).
#   usage: bench/build.sh [RUNS]   (UKIT=path/to/ukit, default build/src/ukit/ukit)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
UKIT=${UKIT:-$top/build/src/ukit/ukit}
STUB=/usr/lib/systemd/boot/efi/linuxx64.efi.stub
runs=${1:-5}
cache=${UKIT_CACHE:-/var/cache/ukit}
work=$(mktemp -d "${BENCH_DIR:-/var/tmp}/ukit-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

deb=$(ls "$cache"/linux-image-*-amd64_*.deb 2>/dev/null | sort -V | tail -1 || true)
[ -n "$deb" ] || { echo "no linux-image .deb in $cache" >&2; exit 1; }
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work" --wildcards './boot/vmlinuz-*'
kernel=$(ls "$work"/boot/vmlinuz-* | head -1)
initrd=$work/initrd.img
openssl rand -out "$initrd" $((256 * 1024 * 1024))
printf 'ID=debian\nPRETTY_NAME="Debian"\n' >"$work/osrel"
printf 'root=/dev/vda1 ro quiet' >"$work/cmdline"
uname=${kernel##*/vmlinuz-}; printf '%s' "$uname" >"$work/uname"
export UKIT_CONFIG_SEARCH=0

ukit_build() {
        rm -f "$work/ukit.efi"
        "$UKIT" build --stub="$STUB" --linux="$kernel" --initrd="$initrd" --os-release=@"$work/osrel" \
                --cmdline=@"$work/cmdline" --uname="$uname" -o "$work/ukit.efi"
}

# ukify's approach with objcopy: each section at the next aligned address
# after the previous one.
objcopy_build() {
        local vma args=() s f align=$((0x1000))
        vma=0
        while read -r _ _ size addr _; do
                (( 0x$addr + 0x$size > vma )) && vma=$(( 0x$addr + 0x$size ))
        done < <(objdump -h "$STUB" | awk '$1 ~ /^[0-9]+$/')
        for a in .osrel="$work/osrel" .cmdline="$work/cmdline" .uname="$work/uname" .initrd="$initrd" .linux="$kernel"; do
                s=${a%%=*}; f=${a#*=}
                vma=$(( (vma + align - 1) & ~(align - 1) ))
                args+=(--add-section "$s=$f" --change-section-vma "$s=$(printf '0x%x' "$vma")"
                       --set-section-flags "$s=data,readonly")
                vma=$(( vma + $(stat -c %s "$f") ))
        done
        rm -f "$work/objcopy.efi"
        objcopy "${args[@]}" "$STUB" "$work/objcopy.efi"
}

copy_out() { rm -f "$work/copy.efi"; cp "$work/ukit.efi" "$work/copy.efi"; }
# ukit writes through AtomicFile, which fsyncs before the rename (a UKI on an
# ESP must not be half-written after a crash); this is cp doing the same.
copy_sync() { copy_out; sync "$work/copy.efi"; }
hash_out() { openssl dgst -sha256 "$work/ukit.efi"; }

best() {        # best ms of $runs runs of "$@"
        local b=999999999 s e t
        for _ in $(seq "$runs"); do
                s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N)
                t=$(( (e - s) / 1000000 )); [ $t -lt $b ] && b=$t
        done
        echo $b
}

ukit_build >/dev/null 2>&1 || { echo "ukit build failed" >&2; exit 1; }
objcopy_build || { echo "objcopy assembly failed" >&2; exit 1; }
objcopy -O binary --only-section=.initrd "$work/ukit.efi" "$work/initrd.out"
cmp -s <(head -c $((256 << 20)) "$work/initrd.out") "$initrd" ||
        { echo "ukit's .initrd differs from the input" >&2; exit 1; }
rm -f "$work/initrd.out"

t_ukit=$(best ukit_build)
t_objcopy=$(best objcopy_build)
t_cp=$(best copy_out)
t_cps=$(best copy_sync)
t_sha=$(best hash_out)
size=$(stat -c %s "$work/ukit.efi")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) b = 1; printf "%.2f", a / b }'; }
echo "output: $size bytes (kernel $(stat -c %s "$kernel") + initrd 256 MiB), best of $runs runs"
printf '%-28s %6d ms\n' "ukit build" "$t_ukit" "objcopy --add-section" "$t_objcopy" \
        "cp of the output" "$t_cp" "cp + fsync of the output" "$t_cps" "openssl dgst -sha256" "$t_sha"
echo "ukit / objcopy: $(ratio "$t_ukit" "$t_objcopy")"
echo "ukit / cp:      $(ratio "$t_ukit" "$t_cp")   (target <= 1.3; ukit fsyncs, cp does not)"
echo "ukit / cp+fsync: $(ratio "$t_ukit" "$t_cps")"
echo "ukit / sha256:  $(ratio "$t_ukit" "$t_sha")"
