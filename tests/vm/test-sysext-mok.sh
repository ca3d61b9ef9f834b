#!/usr/bin/env bash
# "If you have certificates in the Machine Owner Keyring (MOK), you can
# dm-verity extensions": Debian's 6.1 kernel, booted with a MOK table the
# way shim hands it over (tests/vm/efi/mokvar-inject.efi plays shim's part,
# see docs/mok-testing.md), with OVMF's Secure Boot on the snakeoil db.
#
# Boots (one QEMU each):
#   trusted    Secure Boot, injector, MokListRT = our test certificate +
#              MokListTrustedRT: the kernel exposes both entries in
#              /sys/firmware/efi/mok-variables (MokListRT byte-identical to
#              the EFI_SIGNATURE_LIST we built), loads the certificate, and
#              it is the one key of .machine, which is linked into
#              .secondary_trusted_keys (2 links: .builtin + .machine)
#   untrusted  the same without MokListTrustedRT: upstream puts the
#              certificate into .platform (.machine empty, .secondary 1
#              link); Debian's 6.1 has that check patched out and still
#              uses .machine (the test reads which one the image is)
#   nomok      Secure Boot, the UKI booted directly (no shim, no table):
#              no mok-variables, no such key
#   nosb       the trusted table without Secure Boot: the kernel takes the
#              table (sysfs) but loads no MOK certificate (load_uefi.c: "the
#              MOK/MOKx can not be trusted when secure boot is disabled")
# Oracles: the kernel's own view (/sys/firmware/efi/mok-variables,
# /proc/keys, its log), OVMF's image verification, openssl.
. "$(dirname "$0")/../lib.sh"
. "$UKIT_TOP/tests/vm/lib.sh"
. "$UKIT_TOP/tests/vm/lib-mok.sh"
need openssl sha256sum
STUB=$UKIT_BUILD/src/stub/ukit-stub.efi
[ -f "$STUB" ] || fail "$STUB not built"
[ -f "$VM_MOK_INJECTOR" ] || fail "$VM_MOK_INJECTOR not built"
[ -f "$VM_OVMF_DIR/OVMF_CODE_4M.secboot.fd" ] && [ -f "$VM_OVMF_DIR/OVMF_VARS_4M.snakeoil.fd" ] ||
        skip "OVMF Secure Boot images missing"
[ -f "$VM_SNAKEOIL_KEY_ENC" ] || skip "no snakeoil key $VM_SNAKEOIL_KEY_ENC"

CN="ukit MOK test key"
vm_mok_cert mok "$CN"
vm_esl "$T/mok.der" "$T/moklist.esl"
vm_mokvar_table "$T/mok.der" "$T/mokvar-trusted.bin"
vm_mokvar_table --untrusted "$T/mok.der" "$T/mokvar-untrusted.bin"

kernel=$(vm_kernel)
vm_mok_hook "$T/mok-hook.sh"
vm_initrd "$T/initrd.img" --hook "$T/mok-hook.sh"
printf 'ID=ukittest\n' >"$T/os-release"
cmdline="console=ttyS0 quiet ukit.scenario=sysext-mok"
"$UKIT" build --stub "$STUB" --linux "$kernel" --initrd "$T/initrd.img" --cmdline "$cmdline" \
        --os-release "@$T/os-release" -o "$T/uki.efi" >/dev/null || fail "ukit build failed"
vm_snakeoil_key "$T/db.key"
"$UKIT" sign --key "$T/db.key" --cert "$VM_SNAKEOIL_CERT" --output "$T/uki.signed.efi" "$T/uki.efi" ||
        fail "ukit sign failed"

# boot NAME TABLE|- [vm_run options]: one boot, log in $T/NAME.log
boot() {
        local name=$1 table=$2; shift 2
        local sign=(--sign "$T/db.key" "$VM_SNAKEOIL_CERT")
        vm_mok_esp "${sign[@]}" "$T/uki.signed.efi" "$table" "$T/esp-$name" "$T/$name.img"
        vm_run "$T/$name.img" "$T/$name.log" --timeout 240 "$@" ||
                { tail -n 40 "$T/$name.log" >&2; fail "$name: no complete report"; }
        echo "$name: booted in ${VM_BOOT_SECONDS}s"
        vm_mok_dmesg "$T/$name.log" | sed "s/^/$name: kernel: /"
}
machine() { vm_mok_keyring_count "$T/$1.log" .machine; }
secondary() { vm_mok_keyring_count "$T/$1.log" .secondary_trusted_keys; }
platform() { vm_mok_keyring_count "$T/$1.log" .platform; }
loaded_line() { vm_mok_dmesg "$T/$1.log" | grep -F "Loaded X.509 cert '$CN: " || true; }

# --- trusted: the claim itself
boot trusted "$T/mokvar-trusted.bin" --secureboot
grep -qa 'mokvar-inject: installed the MOK variable table' "$T/trusted.log" || fail "trusted: the injector did not run"
assert_eq "$(vm_report "$T/trusted.log" secureboot)" 1 "trusted: SecureBoot"
assert_eq "$(vm_report "$T/trusted.log" "mok sysfs")" "MokListRT,MokListTrustedRT" "trusted: kernel's mok-variables"
assert_eq "$(vm_report "$T/trusted.log" "mok sysfs MokListRT sha256")" "$(sha256sum <"$T/moklist.esl" | cut -d' ' -f1)" \
        "trusted: MokListRT as the kernel sees it"
vm_mok_has_key "$T/trusted.log" "$CN" || { vm_mok_keys "$T/trusted.log" >&2; fail "trusted: our certificate is not a kernel key"; }
[ -n "$(loaded_line trusted)" ] || fail "trusted: no 'Loaded X.509 cert' line for our certificate"
assert_eq "$(machine trusted)" 1 "trusted: keys in .machine"
assert_eq "$(secondary trusted)" 2 "trusted: links in .secondary_trusted_keys (.builtin_trusted_keys + .machine)"
platform_trusted=$(platform trusted)

# --- untrusted: without MokListTrustedRT upstream puts MOK certificates in
# .platform (which dm-verity does not use); Debian's 6.1 has that check
# patched out (no "MokListTrustedRT" anywhere in its image) and trusts them
# anyway. Whichever kernel this is, it must do what its code says.
mok_trust_check=$(vm_kernel_mok_trust_check "$kernel")
echo "kernel checks MokListTrustedRT: $mok_trust_check"
boot untrusted "$T/mokvar-untrusted.bin" --secureboot
assert_eq "$(vm_report "$T/untrusted.log" "mok sysfs")" "MokListRT" "untrusted: kernel's mok-variables"
vm_mok_has_key "$T/untrusted.log" "$CN" || fail "untrusted: our certificate was not loaded at all"
case $mok_trust_check in
yes)
        assert_eq "$(machine untrusted)" 0 "untrusted: keys in .machine"
        assert_eq "$(secondary untrusted)" 1 "untrusted: links in .secondary_trusted_keys"
        assert_eq "$(platform untrusted)" $((platform_trusted + 1)) "untrusted: keys in .platform (db + our certificate)" ;;
no)
        assert_eq "$(machine untrusted)" 1 "untrusted (kernel without the MokListTrustedRT check): keys in .machine"
        assert_eq "$(secondary untrusted)" 2 "untrusted (kernel without the MokListTrustedRT check): links in .secondary_trusted_keys"
        assert_eq "$(platform untrusted)" "$platform_trusted" "untrusted: keys in .platform" ;;
*)      echo "untrusted: cannot tell whether this kernel checks MokListTrustedRT; keyring placement not asserted" ;;
esac

# --- nomok: no shim, no table
boot nomok - --secureboot
assert_eq "$(vm_report "$T/nomok.log" "mok sysfs")" none "nomok: mok-variables"
vm_mok_has_key "$T/nomok.log" "$CN" && fail "nomok: our certificate is a kernel key without the MOK table"
assert_eq "$(machine nomok)" 0 "nomok: keys in .machine"

# --- nosb: the kernel ignores MOK certificates without Secure Boot
boot nosb "$T/mokvar-trusted.bin"
assert_eq "$(vm_report "$T/nosb.log" secureboot)" 0 "nosb: SecureBoot"
assert_eq "$(vm_report "$T/nosb.log" "mok sysfs")" "MokListRT,MokListTrustedRT" "nosb: kernel's mok-variables"
vm_mok_has_key "$T/nosb.log" "$CN" && fail "nosb: MOK certificate loaded without Secure Boot"
[ "$(machine nosb)" != 1 ] || fail "nosb: .machine has a key"

echo "PASS: MOK certificate handed over like shim -> kernel .machine (linked into .secondary_trusted_keys) under Secure Boot; without MokListTrustedRT as this kernel's code says ($mok_trust_check); nothing without the table or without Secure Boot"
