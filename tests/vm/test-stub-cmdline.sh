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

# No removable-media loader: OVMF falls through to its built-in shell, which
# runs startup.nsh from the first file system.
mkdir -p "$T/esp"
cp "$T/uki.efi" "$T/esp/ukit.efi"
printf 'fs0:\r\n\\ukit.efi console=ttyS0 quiet user.cmdline=1\r\n' >"$T/esp/startup.nsh"
vm_esp "$T/esp" "$T/esp.img"
rc=0
vm_run "$T/esp.img" "$T/serial.log" --stop-on 'Shell> $' || rc=$?
[ $rc = 0 ] || { grep -aq 'Shell' "$T/serial.log" || skip "this OVMF build has no UEFI shell"; fail "no report (see $T/serial.log)"; }

cmdline=$(vm_report "$T/serial.log" cmdline)
case "$cmdline" in
*builtin.cmdline=1*) fail "built-in .cmdline used although Secure Boot is off: $cmdline" ;;
*user.cmdline=1*) ;;
*) fail "user command line not passed: $cmdline" ;;
esac
assert_eq "$(vm_report "$T/serial.log" "efivar StubPcrKernelParameters")" 12 StubPcrKernelParameters
for bank in sha1 sha256; do
        want=$(/usr/bin/python3 -c '
import hashlib, sys
bank, s = sys.argv[1], sys.argv[2]
d = hashlib.new(bank, s.encode("utf-16-le") + b"\0\0").digest()
print(hashlib.new(bank, bytes(len(d)) + d).hexdigest())' $bank "$cmdline")
        assert_eq "$(vm_report "$T/serial.log" "pcr $bank 12")" "$want" "PCR 12 $bank"
done
echo "kernel saw: $cmdline"
