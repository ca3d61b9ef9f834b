#!/usr/bin/env bash
# Secure Boot in OVMF with Debian's snakeoil keys, signatures made by ukit
# (the sbsign scenario of test-secureboot-sbsign.sh with ukit instead):
#   1. a UKI signed by `ukit sign` with the encrypted snakeoil key
#      (--passphrase-file) boots, and the guest reports SecureBoot=1;
#   2. a UKI signed in one pass by `ukit build --secureboot-*` with a key
#      NOT in db, then given a second signature with the snakeoil key by
#      `ukit sign --append`, boots: the firmware walks every WIN_CERTIFICATE
#      entry, so ukit's multi-signature layout works where it matters;
#   3. one boot with two disks that must both be refused: the UKI signed only
#      by the untrusted key, and the snakeoil-signed UKI with one byte of
#      .cmdline changed.
# Oracles: OVMF's image verification (DxeImageVerificationLib), sbverify.
. "$(dirname "$0")/../lib.sh"
. "$UKIT_TOP/tests/vm/lib.sh"
need sbverify openssl objdump

stub=/usr/lib/systemd/boot/efi/linuxx64.efi.stub
[ -f "$stub" ] || skip "systemd-boot-efi not installed ($stub)"
vm_need_secureboot
[ -x "$UKIT" ] || skip "no ukit binary at $UKIT"

kernel=$(vm_kernel)
vm_initrd "$T/initrd.img"
cmdline="console=ttyS0 panic=-1 quiet ukit.scenario=secureboot-ukit-sign"
printf 'ID=ukittest\nPRETTY_NAME="ukit Secure Boot signing test"\n' >"$T/os-release"
common=(--stub "$stub" --linux "$kernel" --initrd "$T/initrd.img" --cmdline "$cmdline" --os-release "@$T/os-release")
"$UKIT" build "${common[@]}" --output "$T/uki.efi" >/dev/null || fail "ukit build failed"

echo snakeoil >"$T/passphrase"
openssl req -new -x509 -newkey rsa:2048 -nodes -subj "/CN=ukit untrusted test key/" -days 1 \
        -keyout "$T/other.key" -out "$T/other.pem" 2>/dev/null || fail "openssl req failed"

# 1. ukit sign, snakeoil key straight from Debian's encrypted PEM
"$UKIT" sign --key "$VM_SNAKEOIL_KEY_ENC" --passphrase-file "$T/passphrase" --cert "$VM_SNAKEOIL_CERT" \
        --output "$T/signed.efi" "$T/uki.efi" || fail "ukit sign failed"
sbverify --cert "$VM_SNAKEOIL_CERT" "$T/signed.efi" >/dev/null 2>&1 || fail "sbverify does not accept ukit's signature"

# 2. one-pass signed build with the untrusted key, plus the snakeoil signature
"$UKIT" build "${common[@]}" --secureboot-private-key "$T/other.key" --secureboot-certificate "$T/other.pem" \
        --output "$T/other-signed.efi" >/dev/null || fail "signed ukit build failed"
"$UKIT" sign --append --key "$VM_SNAKEOIL_KEY_ENC" --passphrase-file "$T/passphrase" --cert "$VM_SNAKEOIL_CERT" \
        --output "$T/two.efi" "$T/other-signed.efi" || fail "ukit sign --append failed"
sbverify --cert "$VM_SNAKEOIL_CERT" "$T/two.efi" >/dev/null 2>&1 || fail "sbverify does not accept the appended signature"
sbverify --cert "$VM_SNAKEOIL_CERT" "$T/other-signed.efi" >/dev/null 2>&1 && fail "sbverify accepts the untrusted-only image"

# 3b. tampered: one byte of .cmdline
off=$(objdump -h -w "$T/signed.efi" | awk '$2 == ".cmdline" { print $6 }')
[ -n "$off" ] || fail "no .cmdline section"
cp "$T/signed.efi" "$T/tampered.efi"
printf 'X' | dd of="$T/tampered.efi" bs=1 seek=$((0x$off)) conv=notrunc status=none
"$UKIT" verify --cert "$VM_SNAKEOIL_CERT" "$T/tampered.efi" >/dev/null 2>&1 && fail "ukit verify accepts the tampered UKI"

boot_ok() {     # IMAGE NAME: must boot to a full report with SecureBoot=1
        local img=$1 name=$2 log=$T/$2.log
        mkdir -p "$T/esp-$name/EFI/BOOT"
        cp "$img" "$T/esp-$name/EFI/BOOT/BOOTX64.EFI"
        vm_esp "$T/esp-$name" "$T/$name.img"
        vm_run "$T/$name.img" "$log" --secureboot --timeout 240 ||
                { tail -n 40 "$log" >&2; fail "$name: did not boot under Secure Boot"; }
        assert_eq "$(vm_report "$log" secureboot)" 1 "$name: SecureBoot in the guest"
        assert_eq "$(vm_report "$log" cmdline)" "$cmdline" "$name: /proc/cmdline"
        echo "$name: booted with Secure Boot in ${VM_BOOT_SECONDS}s"
}
boot_ok "$T/signed.efi" signed
boot_ok "$T/two.efi" appended

# 3. the refusals, one boot, one disk each
vm_expect_refused other-signed="$T/other-signed.efi" tampered="$T/tampered.efi"
echo "PASS: ukit-signed UKIs boot under Secure Boot (single and appended signature); untrusted and tampered ones are refused"
