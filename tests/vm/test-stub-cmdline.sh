#!/usr/bin/env bash
# User-supplied command line (Secure Boot off): started from the UEFI shell
# with arguments, ukit-stub passes the shell's load options to the kernel
# instead of .cmdline and measures them into PCR 12: PCR 12 (sha1, sha256)
# equals an extend, from zero, of the hash of the command line the kernel
# reports, as UTF-16LE with its NUL.
. "$(dirname "$0")/../lib.sh"
. "$UKIT_TOP/tests/vm/lib.sh"
STUB=$UKIT_BUILD/src/stub/ukit-stub.efi
[ -f "$STUB" ] || fail "$STUB not built"

kernel=$(vm_kernel)
vm_initrd "$T/initrd.img"
printf 'ID=ukittest\n' >"$T/os-release"
"$UKIT" build --stub "$STUB" --linux "$kernel" --initrd "$T/initrd.img" \
        --cmdline "console=ttyS0 builtin.cmdline=1" --os-release "@$T/os-release" --uname 6.1.0-test \
        -o "$T/uki.efi" || fail "ukit build failed"

# No removable-media loader: the UEFI shell passes our options (vm_shell_boot).
mkdir -p "$T/esp"
cp "$T/uki.efi" "$T/esp/ukit.efi"
vm_shell_boot "$T/esp" "$T/serial.log" ukit.efi console=ttyS0 quiet user.cmdline=1

cmdline=$(vm_report "$T/serial.log" cmdline)
case "$cmdline" in
*builtin.cmdline=1*) fail "built-in .cmdline used although Secure Boot is off: $cmdline" ;;
*user.cmdline=1*) ;;
*) fail "user command line not passed: $cmdline" ;;
esac
assert_eq "$(vm_report "$T/serial.log" "efivar StubPcrKernelParameters")" 12 StubPcrKernelParameters
for bank in sha1 sha256; do
        want=$(vm_pcr12_user_cmdline $bank "$cmdline")
        assert_eq "$(vm_report "$T/serial.log" "pcr $bank 12")" "$want" "PCR 12 $bank"
done
echo "kernel saw: $cmdline"
