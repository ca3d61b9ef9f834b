#!/usr/bin/env bash
# Secure Boot in OVMF with Debian's snakeoil keys (OVMF_VARS_4M.snakeoil.fd:
# db holds PkKek-1-snakeoil.pem): a UKI built by `ukit build` and signed by
# sbsign with the snakeoil key boots and the guest reports SecureBoot=1;
# the same image unsigned, signed with a key the firmware does not trust,
# or signed and then modified, is refused by the firmware (OVMF prints
# "Access Denied" for the boot option and the kernel never runs). The
# three refusals share one boot (three disks) to keep the test short.
# Oracles: OVMF's image verification, sbsign/sbverify.
. "$(dirname "$0")/../lib.sh"
. "$UKIT_TOP/tests/vm/lib.sh"
need sbsign sbverify openssl

stub=/usr/lib/systemd/boot/efi/linuxx64.efi.stub
[ -f "$stub" ] || skip "systemd-boot-efi not installed ($stub)"
vm_need_secureboot
# the binary is built in src/ukit/ (scripts/test.sh points UKIT at $UKIT_BUILD/ukit)
[ -x "$UKIT" ] || skip "no ukit binary at $UKIT"
"$UKIT" build --help >/dev/null 2>&1 || skip "ukit build is not available in $UKIT"

kernel=$(vm_kernel)
vm_initrd "$T/initrd.img"
cmdline="console=ttyS0 panic=-1 quiet ukit.scenario=secureboot-sbsign"
printf 'ID=ukittest\nPRETTY_NAME="ukit Secure Boot test"\n' >"$T/os-release"
"$UKIT" build --stub "$stub" --linux "$kernel" --initrd "$T/initrd.img" \
        --cmdline "$cmdline" --os-release "@$T/os-release" --output "$T/uki.efi" ||
        fail "ukit build failed"

vm_snakeoil_key "$T/db.key"
sbsign --key "$T/db.key" --cert "$VM_SNAKEOIL_CERT" --output "$T/signed.efi" "$T/uki.efi" >/dev/null 2>&1 ||
        fail "sbsign refused the UKI"
sbverify --cert "$VM_SNAKEOIL_CERT" "$T/signed.efi" >/dev/null 2>&1 || fail "sbverify does not accept the signed UKI"

# a key the firmware has never seen
openssl req -new -x509 -newkey rsa:2048 -nodes -subj "/CN=ukit untrusted test key/" -days 1 \
        -keyout "$T/other.key" -out "$T/other.pem" 2>/dev/null || fail "openssl req failed"
sbsign --key "$T/other.key" --cert "$T/other.pem" --output "$T/other-signed.efi" "$T/uki.efi" >/dev/null 2>&1 ||
        fail "sbsign (untrusted key) failed"

# signed, then one byte of the command line changed: the signature no longer
# matches the image's Authenticode digest
off=$(objdump -h -w "$T/signed.efi" | awk '$2 == ".cmdline" { print $6 }')
[ -n "$off" ] || fail "no .cmdline section in the signed UKI"
cp "$T/signed.efi" "$T/tampered.efi"
printf 'X' | dd of="$T/tampered.efi" bs=1 seek=$((0x$off)) conv=notrunc status=none
sbverify --cert "$VM_SNAKEOIL_CERT" "$T/tampered.efi" >/dev/null 2>&1 && fail "sbverify accepts the tampered UKI"

# boot IMAGE NAME [vm_run options]: an ESP with IMAGE as the removable-media
# loader, booted with Secure Boot on; the serial log is $T/NAME.log
boot() {
        local img=$1 name=$2; shift 2
        mkdir -p "$T/esp-$name/EFI/BOOT"
        cp "$img" "$T/esp-$name/EFI/BOOT/BOOTX64.EFI"
        vm_esp "$T/esp-$name" "$T/$name.img"
        vm_run "$T/$name.img" "$T/$name.log" --secureboot "$@"
}

log=$T/signed.log
boot "$T/signed.efi" signed --timeout 180 || { tail -n 40 "$log" >&2; fail "the signed UKI did not boot to a complete report"; }
signed_secs=$VM_BOOT_SECONDS
vm_report_lines "$log" | grep -v '^pcr' | sed 's/^/guest: /'
assert_eq "$(vm_report "$log" secureboot)" 1 "SecureBoot in the guest"
assert_eq "$(vm_report "$log" setupmode)" 0 "SetupMode in the guest"
assert_eq "$(vm_report "$log" cmdline)" "$cmdline" "/proc/cmdline"
# Debian's kernel locks itself down when booted with Secure Boot
lockdown=$(vm_report "$log" lockdown)
[[ "$lockdown" == *"[integrity]"* || "$lockdown" == *"[confidentiality]"* ]] ||
        fail "kernel lockdown not active under Secure Boot: '$lockdown'"

# The three bad images in one boot (vm_expect_refused); none may reach the kernel.
vm_expect_refused unsigned="$T/uki.efi" other-signed="$T/other-signed.efi" tampered="$T/tampered.efi"
echo "PASS: signed UKI booted with Secure Boot in ${signed_secs}s; unsigned, untrusted and tampered images refused"
