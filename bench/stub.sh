#!/usr/bin/env bash
# ukit-stub vs Debian's systemd-stub 252:
#   - size of the stub binary
#   - time from firmware handoff ("BdsDxe: starting Boot0001" on the serial
#     console) to kernel start (its "Linux version" line), same UKI inputs,
#     same QEMU (TCG) + OVMF, serial lines timestamped as they arrive.
# usage: bench/stub.sh [RUNS]   (needs a build with the stub: UKIT_BUILD)
set -euo pipefail
runs=${1:-3}
top=$(cd "$(dirname "$0")/.." && pwd)
export UKIT_TOP=$top
: "${UKIT_BUILD:=$top/build}"
. "$top/tests/lib.sh"
. "$top/tests/vm/lib.sh"
UKIT=$UKIT_BUILD/src/ukit/ukit
STUB=$UKIT_BUILD/src/stub/ukit-stub.efi
SDSTUB=/usr/lib/systemd/boot/efi/linuxx64.efi.stub
[ -f "$STUB" ] && [ -f "$SDSTUB" ] && [ -x "$UKIT" ] || { echo "need $STUB, $SDSTUB and $UKIT"; exit 1; }

a=$(stat -c %s "$STUB"); b=$(stat -c %s "$SDSTUB")
printf 'size: ukit-stub %d bytes (%.1f KiB), systemd-stub 252 %d bytes (%.1f KiB), ratio %.2f\n' \
        "$a" "$(echo "$a/1024" | bc -l)" "$b" "$(echo "$b/1024" | bc -l)" "$(echo "$a/$b" | bc -l)"

kernel=$(vm_kernel)
vm_initrd "$T/initrd.img"
printf 'ID=bench\n' >"$T/os-release"

# boot_ms ESP_IMG: milliseconds from firmware handoff to kernel start
boot_ms() {
        local vars; vars=$(mktemp "$T/vars.XXXXXX"); cp "$VM_OVMF_DIR/OVMF_VARS_4M.fd" "$vars"
        flock "$VM_QEMU_LOCK" timeout 300 qemu-system-x86_64 -machine q35,accel=tcg -smp 1 -m 1024 \
                -no-reboot -nodefaults -display none -monitor none -serial stdio \
                -drive "if=pflash,format=raw,unit=0,readonly=on,file=$VM_OVMF_DIR/OVMF_CODE_4M.fd" \
                -drive "if=pflash,format=raw,unit=1,file=$vars" \
                -drive "if=none,id=esp,format=raw,file=$1" -device virtio-blk-pci,drive=esp,bootindex=1 \
                -device virtio-rng-pci </dev/null 2>/dev/null |
        /usr/bin/python3 -c '
import sys, time
t0 = t1 = None
for raw in sys.stdin.buffer:
    line = raw.decode("utf-8", "replace")
    now = time.monotonic()
    if t0 is None and "BdsDxe: starting" in line: t0 = now
    if t0 is not None and t1 is None and "Linux version" in line: t1 = now
print(int((t1 - t0) * 1000) if t0 and t1 else -1)'
        rm -f "$vars"
}

declare -A best
for s in sd ukit; do
        stub=$STUB; [ $s = sd ] && stub=$SDSTUB
        "$UKIT" build --stub "$stub" --linux "$kernel" --initrd "$T/initrd.img" \
                --cmdline "console=ttyS0 ukit.bench=1" --os-release "@$T/os-release" --uname bench \
                -o "$T/$s.efi" >/dev/null
        rm -rf "$T/esp"; mkdir -p "$T/esp/EFI/BOOT"; cp "$T/$s.efi" "$T/esp/EFI/BOOT/BOOTX64.EFI"
        vm_esp "$T/esp" "$T/$s.img"
done
for i in $(seq "$runs"); do
        for s in sd ukit; do
                ms=$(boot_ms "$T/$s.img")
                echo "run $i $s: ${ms} ms"
                [ "$ms" -gt 0 ] || { echo "no timing for $s"; exit 1; }
                if [ -z "${best[$s]:-}" ] || [ "$ms" -lt "${best[$s]}" ]; then best[$s]=$ms; fi
        done
done
printf 'handoff to kernel start (best of %d): ukit-stub %d ms, systemd-stub 252 %d ms, ratio %.2f\n' \
        "$runs" "${best[ukit]}" "${best[sd]}" "$(echo "${best[ukit]}/${best[sd]}" | bc -l)"
