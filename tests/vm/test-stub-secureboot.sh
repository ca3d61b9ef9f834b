#!/usr/bin/env bash
# ukit-stub under Secure Boot (OVMF with the snakeoil db): a UKI signed with
# sbsign boots, although the embedded Debian kernel is signed by a key that
# is not in db (the stub's temporary security override accepts exactly that
# buffer); an unsigned and a tampered UKI are refused by the firmware, i.e.
# the override never lets an unverified outer image through.
. "$(dirname "$0")/../lib.sh"
. "$UKIT_TOP/tests/vm/lib.sh"
need sbsign sbverify
STUB=$UKIT_BUILD/src/stub/ukit-stub.efi
[ -f "$STUB" ] || fail "$STUB not built"
[ -f "$VM_OVMF_DIR/OVMF_CODE_4M.secboot.fd" ] || skip "no Secure Boot OVMF"

kernel=$(vm_kernel)
# The point of the override: the kernel alone would be refused.
sbverify --cert "$VM_SNAKEOIL_CERT" "$kernel" >/dev/null 2>&1 && fail "kernel verifies against snakeoil; test would prove nothing"

echo marker >"$T/marker"
vm_initrd "$T/initrd.img" "$T/marker"
printf 'ID=ukittest\n' >"$T/os-release"
cmdline="console=ttyS0 quiet ukit.stub=secureboot"
"$UKIT" build --stub "$STUB" --linux "$kernel" --initrd "$T/initrd.img" --cmdline "$cmdline" \
        --os-release "@$T/os-release" --uname 6.1.0-test -o "$T/uki.efi" || fail "ukit build failed"
vm_snakeoil_key "$T/db.key"
sbsign --key "$T/db.key" --cert "$VM_SNAKEOIL_CERT" --output "$T/uki.signed.efi" "$T/uki.efi" 2>/dev/null ||
        fail "sbsign failed"
sbverify --cert "$VM_SNAKEOIL_CERT" "$T/uki.signed.efi" >/dev/null 2>&1 || fail "sbverify rejects our signed UKI"

boot() { # IMAGE LOG [vm_run options]: boot IMAGE as the removable-media loader
        local img=$1 log=$2; shift 2
        rm -rf "$T/esp" && mkdir -p "$T/esp/EFI/BOOT"
        cp "$img" "$T/esp/EFI/BOOT/BOOTX64.EFI"
        vm_esp "$T/esp" "$T/esp.img"
        vm_run "$T/esp.img" "$log" --secureboot "$@"
}

boot "$T/uki.signed.efi" "$T/signed.log" || fail "signed UKI did not boot (see $T/signed.log)"
signed_secs=$VM_BOOT_SECONDS
assert_eq "$(vm_report "$T/signed.log" secureboot)" 1 "SecureBoot variable"
assert_eq "$(vm_report "$T/signed.log" cmdline)" "$cmdline" "/proc/cmdline under Secure Boot"
assert_eq "$(vm_report "$T/signed.log" "file /ukit/marker sha256")" "$(sha256sum <"$T/marker" | cut -d' ' -f1)" "initrd"
assert_eq "$(vm_report "$T/signed.log" "efivar StubInfo")" "ukit-stub 0.1" StubInfo

# Refusals: the firmware must not run the image at all, so the stub never
# gets to install its override. OVMF falls through to the next boot option
# and eventually gives up; no report must appear.
refused='Access Denied|Security Violation|failed to load|No bootable option'
/usr/bin/python3 - "$T/uki.signed.efi" "$T/uki.tampered.efi" <<'PY'
import sys, pefile
pe = pefile.PE(sys.argv[1])
data = bytearray(open(sys.argv[1], "rb").read())
s = next(s for s in pe.sections if s.Name.rstrip(b"\0") == b".cmdline")
data[s.PointerToRawData] ^= 0x20       # "console" -> "Console": still a valid UKI
open(sys.argv[2], "wb").write(data)
PY
for variant in uki uki.tampered; do
        rc=0
        boot "$T/$variant.efi" "$T/$variant.log" --timeout 90 --stop-on "$refused" || rc=$?
        vm_report_has "$T/$variant.log" start && fail "$variant.efi booted under Secure Boot"
        [ $rc = 2 ] || fail "$variant.efi: no firmware refusal seen (rc $rc, see $T/$variant.log)"
        grep -aq 'ukit-stub' "$T/$variant.log" && fail "$variant.efi: the stub ran"
done
echo "signed boot ${signed_secs}s; unsigned and tampered refused"
