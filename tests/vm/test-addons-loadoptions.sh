#!/usr/bin/env bash
# Add-ons only extend the UKI's own command line: started from the UEFI
# shell with arguments (Secure Boot off, so the user's load options replace
# .cmdline), ukit-stub ignores the global and per-UKI add-ons; the kernel
# sees the user's command line only and PCR 12 holds only its measurement
# (extend from zero of UTF-16LE with NUL, computed here with python hashlib).
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
case "$cmdline" in
*addon.*) fail "add-on applied although the user's command line is in force: $cmdline" ;;
*builtin.cmdline=1*) fail "built-in .cmdline used although Secure Boot is off: $cmdline" ;;
*user.cmdline=1*) ;;
*) fail "user command line not passed: $cmdline" ;;
esac
for bank in sha1 sha256; do
        want=$(vm_pcr12_user_cmdline $bank "$cmdline")
        assert_eq "$(vm_report "$T/serial.log" "pcr $bank 12")" "$want" "PCR 12 $bank (user command line only)"
done
echo "kernel saw: $cmdline"
