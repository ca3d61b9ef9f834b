#!/usr/bin/env bash
# systemd-boot 257 on the ESP, a multi-profile UKI on XBOOTLDR (/EFI/Linux):
# (a) bootctl 257 (the Debian 13 oracle root) lists one entry per profile;
# (b) with loader.conf's default set to profile 1's entry id (as bootctl
#     lists it), OVMF -> systemd-boot 257 -> ukit-stub boots profile 1: the
#     kernel gets profile 1's command line, /.extra/profile is profile 1's
#     .profile section, LoaderEntrySelected is that id, StubProfile is 1;
# (c) the same disk with systemd-stub 257 in place of ukit-stub gives the
#     same /proc/cmdline, StubProfile and PCR 12 (sha256).
# The UKIs are built by ukify 257 (ukit build does not build multi-profile
# UKIs yet), same inputs, only the stub differs.
# Oracles: bootctl 257, systemd-boot 257, systemd-stub 257, OVMF, the kernel.
. "$(dirname "$0")/../lib.sh"
. "$UKIT_TOP/tests/vm/lib.sh"
. "$UKIT_TOP/tests/interop/kernel-install-lib.sh"

ki_init
need jq
STUB=$UKIT_BUILD/src/stub/ukit-stub.efi
[ -f "$STUB" ] || fail "$STUB not built"
vm_oracle_257
sdboot=$ROOT/usr/lib/systemd/boot/efi/systemd-bootx64.efi
[ -f "$sdboot" ] || fail "no systemd-boot 257 in the oracle root ($sdboot)"

cp "$(vm_kernel)" "$W/vmlinuz"
cp "$STUB" "$W/ukit-stub.efi"
vm_initrd "$W/initrd.img"
printf 'ID=ukittest\nVERSION_ID=257\nPRETTY_NAME="ukit xbootldr test"\n' >"$W/os-release"
in257 ukify build --profile='ID=one
TITLE=Profile one' --cmdline='console=ttyS0 panic=-1 ukit.profile=one' --output="$W/p1.efi" >/dev/null ||
        fail "ukify 257: profile one"
in257 ukify build --profile='ID=two
TITLE=Profile two' --cmdline='console=ttyS0 panic=-1 ukit.profile=two' --output="$W/p2.efi" >/dev/null ||
        fail "ukify 257: profile two"
for s in sd ukit; do
        stub=/usr/lib/systemd/boot/efi/linuxx64.efi.stub; [ $s = ukit ] && stub=$W/ukit-stub.efi
        in257 ukify build --stub="$stub" --linux="$W/vmlinuz" --initrd="$W/initrd.img" \
                --cmdline='console=ttyS0 panic=-1 ukit.profile=base' --os-release="@$W/os-release" --uname=6.1.0-test \
                --join-profile="$W/p1.efi" --join-profile="$W/p2.efi" --output="$W/$s.efi" >/dev/null ||
                fail "ukify 257 build with $s stub failed"
done
# ukify 257 gives the base its own .profile (ID=main) when it joins
# profiles: profile 0 is the base, 1 is "one", 2 is "two". Count the
# .profile sections and hash profile 1's (the second) as the stub passes it.
read -r nprof want_profile < <(/usr/bin/python3 - "$W/ukit.efi" <<'EOF'
import hashlib, sys, pefile
pe = pefile.PE(sys.argv[1], fast_load=True)
p = [s for s in pe.sections if s.Name.rstrip(b"\0") == b".profile"]
print(len(p), hashlib.sha256(p[1].get_data()[:p[1].Misc_VirtualSize]).hexdigest())
EOF
)
[ "${nprof:-0}" -ge 2 ] && [ -n "${want_profile:-}" ] || fail "cannot read the .profile sections of ukit.efi"

# bootctl_list: bootctl 257's entries (JSON array) for the mounted disk.
bootctl_list() {
        bash "$UKIT_TOP/scripts/oracle-257-run.sh" --bind "$ESP" --bind "$XB" \
                env SYSTEMD_RELAX_ESP_CHECKS=1 SYSTEMD_RELAX_XBOOTLDR_CHECKS=1 \
                bootctl --esp-path="$ESP" --boot-path="$XB" --no-pager list --json=short
}

# make_disk S: disk-S.img with systemd-boot 257 on the ESP and S.efi on
# XBOOTLDR; checks bootctl's list and sets loader.conf's default to the
# entry of profile 1. Sets ENTRY to that id.
make_disk() {
        local s=$1 list n
        ki_disk "$W/disk-$s.img" 256
        mkdir -p "$ESP/EFI/BOOT" "$ESP/loader" "$XB/EFI/Linux"
        cp "$sdboot" "$ESP/EFI/BOOT/BOOTX64.EFI"
        cp "$W/$s.efi" "$XB/EFI/Linux/ukit-xbootldr.efi"
        printf 'timeout 0\n' >"$ESP/loader/loader.conf"
        list=$(bootctl_list) || fail "$s: bootctl 257 list failed"
        echo "$list" | jq -c '.[] | {id, title, path}' | sed "s/^/$s: bootctl 257: /"
        n=$(echo "$list" | jq '[.[] | select(.path | test("ukit-xbootldr.efi$"))] | length')
        assert_eq "$n" "$nprof" "$s: bootctl 257 entries (one per .profile section)"
        ENTRY=$(echo "$list" | jq -r '.[] | select(.title | test("Profile one")) | .id')
        [ -n "$ENTRY" ] && [ "$(echo "$ENTRY" | wc -l)" = 1 ] || fail "$s: no single bootctl entry titled 'Profile one'"
        printf 'timeout 0\ndefault %s\n' "$ENTRY" >"$ESP/loader/loader.conf"
        sync
        ki_cleanup
        ki_mounts=(); ki_loops=()
}

for s in ukit sd; do
        make_disk $s
        eval "entry_$s=\$ENTRY"
        vm_run "$W/disk-$s.img" "$W/$s.log" --timeout "${UKIT_VM_TIMEOUT:-300}" ||
                { tail -n 40 "$W/$s.log" >&2; fail "$s: no complete report from the guest"; }
        vm_report_lines "$W/$s.log" | grep -E '^(cmdline|file /.extra|efivar (LoaderEntrySelected|StubProfile|LoaderInfo|StubInfo)|pcr sha256 12)' |
                sed "s/^/$s guest: /"
done
# shellcheck disable=SC2154  # set by eval above
assert_eq "$entry_ukit" "$entry_sd" "bootctl's profile 1 id with either stub"
a=$W/sd.log b=$W/ukit.log
vm_report "$b" "efivar StubInfo" | grep -q "^ukit-stub" || fail "ukit.efi: ukit-stub did not run"
vm_report "$a" "efivar StubInfo" | grep -q "^systemd-stub 257" || fail "sd.efi: systemd-stub 257 did not run"
vm_report "$b" "efivar LoaderInfo" | grep -q "systemd-boot 257" || fail "not booted by systemd-boot 257"
assert_eq "$(vm_report "$b" cmdline)" "console=ttyS0 panic=-1 ukit.profile=one" "ukit-stub: /proc/cmdline of profile 1"
assert_eq "$(vm_report "$b" "file /.extra/profile sha256")" "$want_profile" "ukit-stub: /.extra/profile is profile 1's"
assert_eq "$(vm_report "$b" "efivar LoaderEntrySelected")" "$entry_ukit" "ukit-stub: LoaderEntrySelected"
assert_eq "$(vm_report "$b" "efivar StubProfile")" 1 "ukit-stub: StubProfile"
assert_eq "$(vm_report "$a" "efivar LoaderEntrySelected")" "$entry_sd" "systemd-stub 257: LoaderEntrySelected"
assert_eq "$(vm_report "$b" cmdline)" "$(vm_report "$a" cmdline)" "/proc/cmdline vs systemd-stub 257"
assert_eq "$(vm_report "$b" "efivar StubProfile")" "$(vm_report "$a" "efivar StubProfile")" "StubProfile vs systemd-stub 257"
p=$(vm_report "$a" "pcr sha256 12") || fail "systemd-stub 257: no PCR 12 sha256"
assert_eq "$(vm_report "$b" "pcr sha256 12")" "$p" "PCR 12 sha256 vs systemd-stub 257"
echo "PASS"
