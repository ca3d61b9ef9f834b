#!/usr/bin/env bash
# PCR 11 on real firmware: boot a UKI built by `ukit build --pcr-private-key`
# around Debian's systemd-stub 252 (OVMF + swtpm, TCG) and compare what the
# guest's TPM holds (/sys/class/tpm/tpm0/pcr-sha1/11 and pcr-sha256/11) with
# `ukit measure calculate --uki` for the empty phase (the busybox initrd runs
# no systemd-pcrphase). Also: the stub hands .pcrsig and .pcrpkey to the
# initrd as /.extra/tpm2-pcr-signature.json and tpm2-pcr-public-key.pem
# unchanged.
. "${UKIT_TOP:-$(dirname "$0")/../..}/tests/lib.sh"
. "$UKIT_TOP/tests/vm/lib.sh"
[ -x "$UKIT" ] || skip "no ukit binary at $UKIT"
STUB=/usr/lib/systemd/boot/efi/linuxx64.efi.stub
[ -f "$STUB" ] || skip "systemd-boot-efi not installed"
grep -aq "LoaderInfo: systemd-stub 252" "$STUB" || skip "stub is not systemd-stub 252"
need openssl objcopy

kernel=$(vm_kernel)
vm_initrd "$T/initrd.img"
openssl genrsa -out "$T/pcr.pem" 2048 2>/dev/null
printf 'ID=ukit-test\nNAME="ukit PCR 11 test"\n' >"$T/os-release"
cmdline='console=ttyS0 panic=-1 quiet ukit.scenario=measure-pcr11'
"$UKIT" build --stub "$STUB" --linux "$kernel" --initrd "$T/initrd.img" --cmdline "$cmdline" \
        --os-release "@$T/os-release" --pcr-private-key "$T/pcr.pem" --pcr-banks sha1,sha256 \
        --phases "enter-initrd" --output "$T/uki.efi" 2>"$T/build.err" ||
        fail "ukit build failed: $(cat "$T/build.err")"

mkdir -p "$T/esp/EFI/BOOT"
cp "$T/uki.efi" "$T/esp/EFI/BOOT/BOOTX64.EFI"
vm_esp "$T/esp" "$T/esp.img"
log=$T/serial.log
vm_run "$T/esp.img" "$log" --timeout 240 || fail "no report from the guest (log: $log)"
assert_eq "$(vm_report "$log" tpm)" "1" "guest TPM"

for b in sha1 sha256; do
        got=$(vm_report "$log" "pcr $b 11") || fail "guest reported no PCR 11 in $b"
        want=$("$UKIT" measure calculate --uki="$T/uki.efi" --phase= --bank=$b 2>/dev/null | cut -d= -f2)
        [ -n "$want" ] || fail "ukit measure calculate --uki failed"
        assert_eq "$got" "$want" "PCR 11 $b: guest TPM vs ukit measure calculate --uki"
done

# .pcrsig/.pcrpkey reach the initrd byte for byte (the stub copies VirtualSize bytes).
objcopy -O binary --only-section=.pcrsig "$T/uki.efi" "$T/pcrsig"
objcopy -O binary --only-section=.pcrpkey "$T/uki.efi" "$T/pcrpkey"
assert_eq "$(vm_report "$log" "file /.extra/tpm2-pcr-signature.json sha256")" \
        "$(sha256sum <"$T/pcrsig" | cut -d' ' -f1)" "/.extra/tpm2-pcr-signature.json"
assert_eq "$(vm_report "$log" "file /.extra/tpm2-pcr-public-key.pem sha256")" \
        "$(sha256sum <"$T/pcrpkey" | cut -d' ' -f1)" "/.extra/tpm2-pcr-public-key.pem"
echo ok
