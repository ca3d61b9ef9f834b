#!/usr/bin/env bash
# Add-ons extend the user's command line too, as systemd-stub 257 does
# (252, which had no add-ons, and ukit before 257 parity left them out):
# started from the UEFI shell with arguments (Secure Boot off, so the
# user's load options replace .cmdline), the kernel sees the user's command
# line, then the global, then the per-UKI add-on's; PCR 12 holds two
# events, the user's command line and the joined add-on command line (each
# UTF-16LE with NUL, extended from zero here with python hashlib).
. "$(dirname "$0")/../lib.sh"
. "$UKIT_TOP/tests/vm/lib.sh"
STUB=$UKIT_BUILD/src/stub/ukit-stub.efi
ADDON_STUB=$UKIT_BUILD/src/stub/ukit-addon.efi
[ -f "$STUB" ] && [ -f "$ADDON_STUB" ] || fail "$STUB / $ADDON_STUB not built"

kernel=$(vm_kernel)
vm_initrd "$T/initrd.img"
printf 'ID=ukittest\n' >"$T/os-release"
mkdir -p "$T/esp/loader/addons" "$T/esp/ukit.efi.extra.d"
"$UKIT" build --stub "$STUB" --linux "$kernel" --initrd "$T/initrd.img" \
        --cmdline "console=ttyS0 builtin.cmdline=1" --os-release "@$T/os-release" --uname 6.1.0-test \
        -o "$T/esp/ukit.efi" >/dev/null || fail "ukit build failed"
"$UKIT" build --stub "$ADDON_STUB" --cmdline "addon.global=1" -o "$T/esp/loader/addons/g.addon.efi" >/dev/null ||
        fail "ukit build (add-on) failed"
"$UKIT" build --stub "$ADDON_STUB" --cmdline "addon.uki=1" -o "$T/esp/ukit.efi.extra.d/u.addon.efi" >/dev/null ||
        fail "ukit build (add-on) failed"
# No removable-media loader: the UEFI shell passes our options (vm_shell_boot).
vm_shell_boot "$T/esp" "$T/serial.log" ukit.efi console=ttyS0 quiet user.cmdline=1

cmdline=$(vm_report "$T/serial.log" cmdline)
assert_eq "$cmdline" "console=ttyS0 quiet user.cmdline=1 addon.global=1 addon.uki=1" "/proc/cmdline"
for bank in sha1 sha256; do
        want=$(/usr/bin/python3 -c '
import hashlib, sys
bank, pcr = sys.argv[1], None
for s in sys.argv[2:]:
    d = hashlib.new(bank, s.encode("utf-16-le") + b"\0\0").digest()
    pcr = hashlib.new(bank, (pcr or bytes(len(d))) + d).digest()
print(pcr.hex())' $bank "console=ttyS0 quiet user.cmdline=1" "addon.global=1 addon.uki=1")
        assert_eq "$(vm_report "$T/serial.log" "pcr $bank 12")" "$want" "PCR 12 $bank (user command line, then add-ons)"
done
echo "kernel saw: $cmdline"
