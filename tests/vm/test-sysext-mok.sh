#!/usr/bin/env bash
# "If you have certificates in the Machine Owner Keyring (MOK), you can
# dm-verity extensions": Debian's 6.1 kernel, booted with a MOK table the
# way shim hands it over (tests/vm/efi/mokvar-inject.efi plays shim's part,
# see docs/mok-testing.md), with OVMF's Secure Boot on the snakeoil db.
# In every boot the guest runs `ukit sysext merge --verity=kernel` on a
# root with two signed DDIs and NO verity.d: mok.raw (signed with the MOK
# certificate's key) and other.raw (a key the kernel never saw).
#
# Boots (one QEMU each):
#   trusted    Secure Boot, injector, MokListRT = our test certificate +
#              MokListTrustedRT: the kernel exposes both entries in
#              /sys/firmware/efi/mok-variables (MokListRT byte-identical to
#              the EFI_SIGNATURE_LIST we built), loads the certificate, and
#              it is the one key of .machine, which is linked into
#              .secondary_trusted_keys (2 links: .builtin + .machine);
#              mok.raw merges through dm-verity, trust "kernel-keyring";
#              other.raw fails, dm-verity logs one -ENOKEY
#   untrusted  the same without MokListTrustedRT: upstream puts the
#              certificate into .platform (.machine empty, .secondary 1
#              link, mok.raw refused); Debian's 6.1 has that check patched
#              out and still uses .machine (the test reads which kernel
#              this is from its image)
#   nomok      Secure Boot, the UKI booted directly (no shim, no table):
#              no mok-variables, no such key, both images refused
#   nosb       the trusted table without Secure Boot: the kernel takes the
#              table (sysfs) but loads no MOK certificate (load_uefi.c: "the
#              MOK/MOKx can not be trusted when secure boot is disabled"),
#              both images refused
#   notable    (firmware only) the injector without \ukit\mokvar.bin:
#              one error line, the UKI is not started
# Oracles: the kernel's own view (/sys/firmware/efi/mok-variables,
# /proc/keys, its log, dm-verity's verdict), OVMF's image verification.
. "$(dirname "$0")/../lib.sh"
. "$UKIT_TOP/tests/vm/lib.sh"
. "$UKIT_TOP/tests/vm/lib-mok.sh"
need openssl sha256sum jq mkfs.erofs
STUB=$UKIT_BUILD/src/stub/ukit-stub.efi
[ -f "$STUB" ] || fail "$STUB not built"
[ -f "$VM_MOK_INJECTOR" ] || fail "$VM_MOK_INJECTOR not built"
vm_need_secureboot

CN="ukit MOK test key"
vm_mok_cert mok "$CN"
vm_esl "$T/mok.der" "$T/moklist.esl"
vm_mokvar_table "$T/mok.der" "$T/mokvar-trusted.bin"
vm_mokvar_table --untrusted "$T/mok.der" "$T/mokvar-untrusted.bin"

# The extensions (milestone 2): mok.raw signed with the MOK certificate's
# key, other.raw with a key the kernel has never seen (the control: the
# kernel must really check). The guest root has no verity.d at all, so only
# the kernel keyring can trust either of them.
vm_mok_cert other "ukit key not in MOK"
for n in mok other; do
        mkdir -p "$T/tree-$n/usr/share/$n"
        echo "$n-signed" >"$T/tree-$n/usr/share/$n/hello"
        "$UKIT" sysext build --name=$n --id=ukittest --private-key="$T/$n.key" --certificate="$T/$n.pem" \
                "$T/tree-$n" "$T/$n.raw" >/dev/null || fail "ukit sysext build $n failed"
done
printf 'ID=ukittest\n' >"$T/os-release"
GROOT=/mokroot
vm_mok_merge_hook "$T/merge-hook.sh" "$GROOT" usr/share/mok/hello

kernel=$(vm_kernel)
vm_mok_hook "$T/mok-hook.sh"
vm_initrd "$T/initrd.img" --ukit "$UKIT" --modules "loop dm-verity overlay erofs" \
        --hook "$T/mok-hook.sh" --hook "$T/merge-hook.sh" \
        "$T/os-release=$GROOT/usr/lib/os-release" \
        "$T/mok.raw=$GROOT/var/lib/extensions/mok.raw" "$T/other.raw=$GROOT/var/lib/extensions/other.raw"
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
# merged NAME: mok.raw went through the kernel's signature check
merged() {
        local log=$T/$1.log
        vm_report_lines "$log" | grep -E '^(merge|dmesg-verity)' | sed "s/^/$1: /"
        assert_eq "$(vm_report "$log" "merge json" | jq -r 'type')" array "$1: merge --json=short output"
        assert_eq "$(vm_mok_merge_field "$log" mok state)" merged "$1: mok.raw state"
        assert_eq "$(vm_mok_merge_field "$log" mok protection)" signed "$1: mok.raw protection"
        assert_eq "$(vm_mok_merge_field "$log" mok verity)" kernel "$1: mok.raw verity"
        assert_eq "$(vm_mok_merge_field "$log" mok trust)" kernel-keyring "$1: mok.raw trust"
        assert_eq "$(vm_report "$log" "merge file")" mok-signed "$1: file from mok.raw after the merge"
        vm_report_lines "$log" | grep -q '^merge dm .*=' || fail "$1: no device-mapper device during the merge"
}
# rejections NAME: how many root hash signatures dm-verity itself refused
rejections() { vm_report_lines "$T/$1.log" | grep -c '^dmesg-verity [0-9]*=.*verity: Root hash verification failed' || true; }
# refused NAME EXT: EXT.raw failed because the kernel keyring does not trust it
refused() {
        local log=$T/$1.log reason
        assert_eq "$(vm_mok_merge_field "$log" "$2" state)" failed "$1: $2.raw state"
        reason=$(vm_mok_merge_field "$log" "$2" reason)
        [[ "$reason" == *"kernel keyring"* ]] || fail "$1: $2.raw reason does not name the kernel keyring: $reason"
}

# --- trusted: the claim itself
boot trusted "$T/mokvar-trusted.bin" --secureboot
grep -qa 'mokvar-inject: installed the MOK variable table' "$T/trusted.log" || fail "trusted: the injector did not run"
assert_eq "$(vm_report "$T/trusted.log" secureboot)" 1 "trusted: SecureBoot"
lockdown=$(vm_report "$T/trusted.log" lockdown)
[[ "$lockdown" == *"[integrity]"* || "$lockdown" == *"[confidentiality]"* ]] ||
        fail "trusted: kernel lockdown not active under Secure Boot: '$lockdown'"
assert_eq "$(vm_report "$T/trusted.log" "mok sysfs")" "MokListRT,MokListTrustedRT" "trusted: kernel's mok-variables"
assert_eq "$(vm_report "$T/trusted.log" "mok sysfs MokListRT sha256")" "$(sha256sum <"$T/moklist.esl" | cut -d' ' -f1)" \
        "trusted: MokListRT as the kernel sees it"
vm_mok_has_key "$T/trusted.log" "$CN" || { vm_mok_keys "$T/trusted.log" >&2; fail "trusted: our certificate is not a kernel key"; }
[ -n "$(loaded_line trusted)" ] || fail "trusted: no 'Loaded X.509 cert' line for our certificate"
assert_eq "$(machine trusted)" 1 "trusted: keys in .machine"
assert_eq "$(secondary trusted)" 2 "trusted: links in .secondary_trusted_keys (.builtin_trusted_keys + .machine)"
platform_trusted=$(platform trusted)
merged trusted
refused trusted other
assert_eq "$(vm_report "$T/trusted.log" "merge rc")" 1 "trusted: merge exit status (other.raw failed)"
assert_eq "$(rejections trusted)" 1 "trusted: signatures refused by dm-verity (other.raw only)"

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
case $mok_trust_check in
yes) refused untrusted mok ;;
no) merged untrusted ;;
esac
refused untrusted other
[ "$mok_trust_check" = no ] && assert_eq "$(rejections untrusted)" 1 "untrusted: signatures refused by dm-verity"

# --- nomok: no shim, no table
boot nomok - --secureboot
assert_eq "$(vm_report "$T/nomok.log" "mok sysfs")" none "nomok: mok-variables"
vm_mok_has_key "$T/nomok.log" "$CN" && fail "nomok: our certificate is a kernel key without the MOK table"
assert_eq "$(machine nomok)" 0 "nomok: keys in .machine"
refused nomok mok
refused nomok other
assert_eq "$(vm_report "$T/nomok.log" "merge file")" missing "nomok: file from mok.raw"
assert_eq "$(rejections nomok)" 2 "nomok: signatures refused by dm-verity"

# --- nosb: the kernel ignores MOK certificates without Secure Boot
boot nosb "$T/mokvar-trusted.bin"
assert_eq "$(vm_report "$T/nosb.log" secureboot)" 0 "nosb: SecureBoot"
assert_eq "$(vm_report "$T/nosb.log" "mok sysfs")" "MokListRT,MokListTrustedRT" "nosb: kernel's mok-variables"
vm_mok_has_key "$T/nosb.log" "$CN" && fail "nosb: MOK certificate loaded without Secure Boot"
[ "$(machine nosb)" != 1 ] || fail "nosb: .machine has a key"
refused nosb mok
assert_eq "$(rejections nosb)" 2 "nosb: signatures refused by dm-verity"

# --- the injector's own error path: no table on its volume -> one line, no boot
vm_mok_esp "$T/uki.signed.efi" "$T/mokvar-trusted.bin" "$T/esp-notable" "$T/notable.img"
rm "$T/esp-notable/ukit/mokvar.bin"
vm_esp "$T/esp-notable" "$T/notable.img"
rc=0
vm_run "$T/notable.img" "$T/notable.log" --no-tpm --timeout 120 --stop-on 'mokvar-inject: cannot open' || rc=$?
[ $rc = 2 ] || { tail -n 20 "$T/notable.log" >&2; fail "notable: no error line from the injector (vm_run returned $rc)"; }
vm_report_has "$T/notable.log" start && fail "notable: the UKI was started without a table"
echo "notable: $(grep -a 'mokvar-inject: cannot open' "$T/notable.log" | tr -d '\r' | head -n 1)"

echo "PASS: MOK certificate handed over like shim -> .machine (linked into .secondary_trusted_keys) under Secure Boot -> a DDI signed with its key merges with kernel dm-verity, trust kernel-keyring; a foreign key is refused by dm-verity; without MokListTrustedRT as this kernel's code says (checks it: $mok_trust_check); nothing without the table or without Secure Boot"
