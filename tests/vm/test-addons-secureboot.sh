#!/usr/bin/env bash
# UKI add-ons under Secure Boot (OVMF, snakeoil db): a ukit-stub UKI signed
# with `ukit sign` (snakeoil key) boots with
#   - a global add-on (\loader\addons) and a per-UKI one (<uki>.extra.d),
#     both built by `ukit build` without --linux and signed with the
#     snakeoil key: their command lines are appended, global first;
#   - an add-on signed with a key that is not in db and an unsigned one in
#     the same directory: refused by the firmware's LoadImage, skipped with a
#     message, the boot goes on;
#   - credentials and a sysext next to it.
# PCR 12 and 13 in the guest equal `ukit measure calculate --esp --uki` for
# the ESP without the refused add-ons (and differ from the prediction with
# them, so the comparison can fail).
. "$(dirname "$0")/../lib.sh"
. "$UKIT_TOP/tests/vm/lib.sh"
need openssl sbverify
STUB=$UKIT_BUILD/src/stub/ukit-stub.efi
ADDON_STUB=$UKIT_BUILD/src/stub/ukit-addon.efi
[ -f "$STUB" ] && [ -f "$ADDON_STUB" ] || fail "$STUB / $ADDON_STUB not built"
vm_need_secureboot

kernel=$(vm_kernel)
vm_initrd "$T/initrd.img"
cmdline="console=ttyS0 quiet ukit.scenario=addons-secureboot"
printf 'ID=ukittest\n' >"$T/os-release"
"$UKIT" build --stub "$STUB" --linux "$kernel" --initrd "$T/initrd.img" --cmdline "$cmdline" \
        --os-release "@$T/os-release" --uname 6.1.0-test -o "$T/uki.efi" >/dev/null || fail "ukit build failed"

echo snakeoil >"$T/passphrase"
openssl req -new -x509 -newkey rsa:2048 -nodes -subj "/CN=ukit untrusted add-on key/" -days 1 \
        -keyout "$T/other.key" -out "$T/other.pem" 2>/dev/null || fail "openssl req failed"
snakeoil_sign() { # IN OUT
        "$UKIT" sign --key "$VM_SNAKEOIL_KEY_ENC" --passphrase-file "$T/passphrase" --cert "$VM_SNAKEOIL_CERT" \
                --output "$2" "$1" >/dev/null || fail "ukit sign $1 failed"
        sbverify --cert "$VM_SNAKEOIL_CERT" "$2" >/dev/null 2>&1 || fail "sbverify rejects $2"
}
addon() { # NAME CMDLINE: an unsigned add-on $T/NAME
        "$UKIT" build --stub "$ADDON_STUB" --cmdline "$2" -o "$T/$1" >/dev/null || fail "ukit build (add-on $1) failed"
}

esp=$T/esp
d=$esp/EFI/BOOT/BOOTX64.EFI.extra.d
mkdir -p "$d" "$esp/loader/addons" "$esp/loader/credentials"
snakeoil_sign "$T/uki.efi" "$esp/EFI/BOOT/BOOTX64.EFI"
addon global.efi "addon.global=1"
snakeoil_sign "$T/global.efi" "$esp/loader/addons/global.addon.efi"
addon good.efi "addon.good=1"
snakeoil_sign "$T/good.efi" "$d/10-good.addon.efi"
addon bad.efi "addon.bad=1"
"$UKIT" sign --key "$T/other.key" --cert "$T/other.pem" --output "$d/20-bad.addon.efi" "$T/bad.efi" >/dev/null ||
        fail "ukit sign (other key) failed"
sbverify --cert "$VM_SNAKEOIL_CERT" "$d/20-bad.addon.efi" >/dev/null 2>&1 && fail "bad add-on verifies against snakeoil"
addon unsigned.efi "addon.unsigned=1"
cp "$T/unsigned.efi" "$d/30-unsigned.addon.efi"
printf 'secret-a\n' >"$d/a.cred"
printf 'global' >"$esp/loader/credentials/g.cred"
head -c 6000 /dev/zero | tr '\0' 'S' >"$d/ext.raw"

# The prediction: the add-ons the firmware accepts, i.e. all but 20 and 30.
rm -rf "$T/esp-pred" && cp -a "$esp" "$T/esp-pred"
rm "$T/esp-pred/EFI/BOOT/BOOTX64.EFI.extra.d/"{20-bad,30-unsigned}.addon.efi
predict() { # ESP BANK PCR
        "$UKIT" measure calculate --esp "$1" --uki "$1/EFI/BOOT/BOOTX64.EFI" --bank "$2" --phase= 2>/dev/null |
                sed -n "s/^$3:$2=//p"
}

vm_esp "$esp" "$T/esp.img"
vm_run "$T/esp.img" "$T/serial.log" --secureboot || fail "signed UKI with add-ons did not boot (see $T/serial.log)"
assert_eq "$(vm_report "$T/serial.log" secureboot)" 1 "SecureBoot variable"
assert_eq "$(vm_report "$T/serial.log" cmdline)" "$cmdline addon.global=1 addon.good=1" "/proc/cmdline with add-ons"
for a in 20-bad 30-unsigned; do
        grep -aq "add-on refused by the firmware, skipping: .*$a.addon.efi" "$T/serial.log" ||
                fail "no refusal message for $a.addon.efi"
done
assert_eq "$(vm_report "$T/serial.log" "file /.extra/credentials/a.cred sha256")" \
        "$(sha256sum <"$d/a.cred" | cut -d' ' -f1)" "credential next to the add-ons"

for pcr in 12 13; do
        for bank in sha1 sha256; do
                got=$(vm_report "$T/serial.log" "pcr $bank $pcr") || fail "no PCR $pcr $bank in the report"
                [ "$got" != "$(printf '%0*d' ${#got} 0)" ] || fail "PCR $pcr $bank is zero: test proves nothing"
                want=$(predict "$T/esp-pred" $bank $pcr)
                [ -n "$want" ] || fail "ukit measure calculate --esp printed no PCR $pcr $bank"
                assert_eq "$got" "$want" "PCR $pcr $bank guest vs ukit measure calculate --esp"
        done
done
[ "$(predict "$esp" sha256 12)" != "$(vm_report "$T/serial.log" "pcr sha256 12")" ] ||
        fail "PCR 12 prediction including the refused add-ons matches: the add-on command lines are not measured"
echo "boot ${VM_BOOT_SECONDS}s: 2 add-ons applied, 2 refused, PCR 12/13 as predicted"
