#!/usr/bin/env bash
# ukit-stub failure paths on real firmware: each prints one line on the
# console and returns to the firmware (which then tries its next boot
# option) instead of hanging: the bare stub (no .linux), and a UKI whose
# .linux is not a loadable PE image.
. "$(dirname "$0")/../lib.sh"
. "$UKIT_TOP/tests/vm/lib.sh"
STUB=$UKIT_BUILD/src/stub/ukit-stub.efi
[ -f "$STUB" ] || fail "$STUB not built"

head -c 65536 /dev/urandom >"$T/notakernel"
printf 'ID=ukittest\n' >"$T/os-release"
"$UKIT" build --stub "$STUB" --linux "$T/notakernel" --cmdline "console=ttyS0" \
        --os-release "@$T/os-release" --uname 6.1.0-test -o "$T/bad.efi" || fail "ukit build failed"

# expect IMAGE MESSAGE-ERE
expect() {
        local img=$1 msg=$2 rc=0
        rm -rf "$T/esp" && mkdir -p "$T/esp/EFI/BOOT"
        cp "$img" "$T/esp/EFI/BOOT/BOOTX64.EFI"
        vm_esp "$T/esp" "$T/esp.img"
        # After the stub returns, BDS moves on: the next option is the
        # built-in shell or the "no bootable option" screen.
        vm_run "$T/esp.img" "$T/serial.log" --no-tpm --timeout 90 \
                --stop-on 'Shell>|No bootable option|BdsDxe: starting Boot0002|failed to start Boot' || rc=$?
        [ $rc = 2 ] || fail "$(basename "$img"): firmware did not get control back (rc $rc, see $T/serial.log)"
        local lines; lines=$(tr -d '\r' <"$T/serial.log" | grep -a '^ukit-stub: ' | sort -u)
        grep -Eq "$msg" <<<"$lines" || fail "$(basename "$img"): expected '$msg', got: $lines"
        [ "$(wc -l <<<"$lines")" = 1 ] || fail "$(basename "$img"): more than one message: $lines"
        echo "$(basename "$img"): $lines"
}
expect "$STUB" '^ukit-stub: image has no \.linux section: error 14$'
expect "$T/bad.efi" '^ukit-stub: LoadImage\(\) of the embedded kernel failed: error [0-9]+$'
