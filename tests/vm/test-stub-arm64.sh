#!/usr/bin/env bash
# ukit-stub on AArch64: the ukit-stub-aa64.efi build boots Debian 12's arm64
# kernel under QEMU `virt` (TCG, cortex-a57) with AAVMF and a swtpm.
#
# The report is the one of the x86 boot tests: the kernel sees the built-in
# command line, the initrd's file (sha256), /.extra/os-release, the Boot
# Loader Interface variables (LoaderDevicePartUUID = our ESP partition).
#
# PCR 11: Debian's arm64 kernel has no driver for QEMU virt's TPM
# (CONFIG_TCG_TIS is not set; only the SPI/I2C variants are modules), so the
# guest cannot read PCRs. The swtpm logs every command instead
# (VM_SWTPM_LOG_LEVEL=20) and tests/vm/swtpm-pcr.py replays the
# TPM2_PCR_Extend commands that reached the TPM: PCR 11 in sha1 and sha256
# equals the independent replay of the sections (tests/vm/pcr11-replay.py,
# python3-pefile) and `ukit measure calculate --uki --phase=`.
#
# Secure Boot: the UKI signed by `ukit sign` with the snakeoil key boots on
# AAVMF with the snakeoil db (secureboot=1 in the guest); the unsigned one is
# refused by the firmware.
VM_ARCH=aa64
. "$(dirname "$0")/../lib.sh"
. "$UKIT_TOP/tests/vm/lib.sh"
STUB=$UKIT_BUILD/src/stub/ukit-stub-aa64.efi
[ -f "$STUB" ] || fail "$STUB not built"
[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import pefile' 2>/dev/null || skip "python3-pefile not installed"

kernel=$(vm_kernel)
ver=${kernel##*/vmlinuz-}
[[ "$ver" == *-arm64 ]] || fail "vm_kernel gave $kernel, not an arm64 kernel"
head -c 200000 /dev/urandom >"$T/payload.bin"
vm_initrd "$T/initrd.img" "$T/payload.bin"
printf 'ID=ukittest\nVERSION_ID=1\nPRETTY_NAME="ukit arm64 test"\n' >"$T/os-release"
cmdline="console=ttyAMA0 quiet ukit.stub=arm64"
"$UKIT" build --stub "$STUB" --linux "$kernel" --initrd "$T/initrd.img" \
        --cmdline "$cmdline" --os-release "@$T/os-release" \
        -o "$T/uki.efi" || fail "ukit build failed"

# The UKI is an AArch64 EFI application (python3-pefile, not ukit, says so).
machine=$(/usr/bin/python3 -c 'import pefile,sys; p=pefile.PE(sys.argv[1], fast_load=True); print(hex(p.FILE_HEADER.Machine), p.OPTIONAL_HEADER.Subsystem)' "$T/uki.efi") ||
        fail "pefile cannot read the UKI"
assert_eq "$machine" "0xaa64 10" "UKI machine type and subsystem"

boot() { # boot NAME ESP_FILE [vm_run options]: boots, checks the report
        local name=$1 efi=$2; shift 2
        mkdir -p "$T/esp-$name/EFI/BOOT"
        cp "$efi" "$T/esp-$name/EFI/BOOT/BOOTAA64.EFI"
        vm_esp "$T/esp-$name" "$T/$name.img"
        VM_SWTPM_DIR= vm_swtpm_start "$T/swtpm-$name"
        vm_run "$T/$name.img" "$T/$name.log" "$@" || fail "$name: no report (see $T/$name.log)"
        local log=$T/$name.log
        assert_eq "$(vm_report "$log" uname)" "$ver" "$name: kernel release"
        assert_eq "$(vm_report "$log" cmdline)" "$cmdline" "$name: /proc/cmdline"
        assert_eq "$(vm_report "$log" "file /ukit/payload.bin sha256")" "$(sha256sum <"$T/payload.bin" | cut -d' ' -f1)" "$name: initrd file"
        assert_eq "$(vm_report "$log" "file /.extra/os-release sha256")" "$(sha256sum <"$T/os-release" | cut -d' ' -f1)" "$name: /.extra/os-release"
        assert_eq "$(vm_report "$log" "efivar LoaderDevicePartUUID")" "${VM_ESP_PART_UUID^^}" "$name: LoaderDevicePartUUID"
        vm_report "$log" "efivar StubInfo" | grep -q '^ukit-stub ' || fail "$name: no StubInfo"
        assert_eq "$(vm_report "$log" tpm)" 0 "$name: the guest has no TPM driver (if this changes, read PCRs in the guest)"
        local bank got want ukit_pcr
        for bank in sha1 sha256; do
                got=$(/usr/bin/python3 "$UKIT_TOP/tests/vm/swtpm-pcr.py" "$T/swtpm-$name/swtpm.log" 11 $bank | sed -n "s/^$bank=//p")
                want=$(/usr/bin/python3 "$UKIT_TOP/tests/vm/pcr11-replay.py" "$efi" $bank)
                assert_eq "$got" "$want" "$name: PCR 11 $bank (TPM commands) vs independent replay"
                ukit_pcr=$("$UKIT" measure calculate --uki "$efi" --phase= --bank $bank | sed -n "s/^11:$bank=//p")
                assert_eq "$got" "$ukit_pcr" "$name: PCR 11 $bank vs ukit measure calculate"
        done
        echo "$name: booted in ${VM_BOOT_SECONDS}s, PCR 11 replayed from $(grep -c 'SWTPM_IO_Read' "$T/swtpm-$name/swtpm.log") TPM commands"
}

export VM_SWTPM_LOG_LEVEL=20
boot plain "$T/uki.efi"
assert_eq "$(vm_report "$T/plain.log" secureboot)" 0 "plain: Secure Boot state"

# Secure Boot with the snakeoil db AAVMF ships.
[ -f "$VM_AAVMF_DIR/AAVMF_VARS.snakeoil.fd" ] || fail "AAVMF_VARS.snakeoil.fd missing"
vm_snakeoil_key "$T/db.key"
"$UKIT" sign --key "$T/db.key" --cert "$VM_SNAKEOIL_CERT" -o "$T/uki-signed.efi" "$T/uki.efi" ||
        fail "ukit sign failed"
sbverify --cert "$VM_SNAKEOIL_CERT" "$T/uki-signed.efi" >/dev/null 2>&1 || fail "sbverify rejects the signed arm64 UKI"
boot signed "$T/uki-signed.efi" --secureboot
assert_eq "$(vm_report "$T/signed.log" secureboot)" 1 "signed: Secure Boot state"

# The unsigned UKI under the same firmware and db: refused by the firmware.
mkdir -p "$T/esp-unsigned/EFI/BOOT"
cp "$T/uki.efi" "$T/esp-unsigned/EFI/BOOT/BOOTAA64.EFI"
vm_esp "$T/esp-unsigned" "$T/unsigned.img"
rc=0
vm_run "$T/unsigned.img" "$T/unsigned.log" --secureboot --no-tpm --stop-on 'Access Denied|Security Violation' || rc=$?
grep -q 'UKIT-REPORT' "$T/unsigned.log" && fail "the unsigned arm64 UKI booted under Secure Boot"
[ $rc = 2 ] || { tail -n 20 "$T/unsigned.log" >&2; fail "no refusal by the firmware (vm_run returned $rc)"; }
echo "unsigned: refused ($(grep -aE 'Access Denied|Security Violation' "$T/unsigned.log" | head -n1 | tr -d '\r'))"
