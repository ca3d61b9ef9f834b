#!/usr/bin/env bash
# An add-on's .dtbauto, ukit-stub against systemd-stub 257 (the Debian 13
# oracle root): 257 locates an add-on's sections as the UKI's, so its
# .dtbauto is matched against the firmware devicetree or, without one, the
# machine's CHIDs in the add-on's own .hwids; without a match its .dtb is
# used. One add-on built by ukify 257 with a .dtb (fallback), two .dtbauto
# ("ukit,other" first, then "ukit,match") and a .hwids ("ukit,match" under
# CHID 3 of the QEMU SMBIOS fields below, "ukit,other" under CHID 9, which
# 257 tries later; CHIDs computed with python3's hashlib), in the drop-in
# directory of a UKI without devicetree (ukify 257, either stub). OVMF has
# no devicetree, so the CHIDs decide:
#  - match: QEMU -smbios type=1/type=2 with those fields -> match.dtb;
#  - miss: another manufacturer -> fallback.dtb.
# x86 Linux ignores the EFI devicetree table; the chosen one is seen in
# PCR 12, where the add-on devicetree is the only event: PCR 12 (sha1,
# sha256) of both stubs must equal python3's replay of that one blob, and
# `ukit measure calculate --esp --smbios-table=` given the guest's own
# /sys/firmware/dmi/tables/DMI must predict it.
. "$(dirname "$0")/../lib.sh"
. "$UKIT_TOP/tests/vm/lib.sh"
STUB=$UKIT_BUILD/src/stub/ukit-stub.efi
[ -f "$STUB" ] || fail "$STUB not built"
vm_oracle_257

cp "$(vm_kernel)" "$W/vmlinuz"
cp "$STUB" "$W/ukit-stub.efi"
cat >"$W/dmi.sh" <<'HOOK'
report "dmi-b64=$(base64 /sys/firmware/dmi/tables/DMI | tr -d '\n')"
HOOK
vm_initrd "$W/initrd.img" --hook "$W/dmi.sh"

vm_dtbauto_fixture     # fallback/match/other.dtb, hw/*.json, $manu $fam $prod $sku $bbm $bbp

in257 ukify build --devicetree="$W/fallback.dtb" --devicetree-auto="$W/other.dtb" --devicetree-auto="$W/match.dtb" \
        --hwids="$W/hw" --output="$W/dt.addon.efi" >/dev/null || fail "ukify 257: add-on build failed"
/usr/bin/python3 - "$W/dt.addon.efi" <<'PY' || fail "the add-on does not have the expected sections"
import sys, pefile
names = [s.Name.rstrip(b"\0").decode() for s in pefile.PE(sys.argv[1], fast_load=True).sections]
assert ".linux" not in names and names.count(".dtbauto") == 2 and ".hwids" in names and ".dtb" in names, names
PY
for s in sd ukit; do
        stub=/usr/lib/systemd/boot/efi/linuxx64.efi.stub; [ $s = ukit ] && stub=$W/ukit-stub.efi
        in257 ukify build --stub="$stub" --linux="$W/vmlinuz" --initrd="$W/initrd.img" --cmdline='console=ttyS0' \
                --uname=6.1.0-test --output="$W/$s.efi" >/dev/null || fail "ukify 257 build with $s stub failed"
done

# pcr_one_event BANK FILE: PCR value after one event measuring FILE's bytes.
pcr_one_event() {
        /usr/bin/python3 -c '
import hashlib, sys
d = hashlib.new(sys.argv[1], open(sys.argv[2], "rb").read()).digest()
print(hashlib.new(sys.argv[1], bytes(len(d)) + d).hexdigest())' "$1" "$2"
}

boot() {        # boot STUB CASE MANUFACTURER
        local s=$1 c=$2 m=$3
        rm -rf "$W/esp" && mkdir -p "$W/esp/EFI/BOOT/BOOTX64.EFI.extra.d"
        cp "$W/$s.efi" "$W/esp/EFI/BOOT/BOOTX64.EFI"
        cp "$W/dt.addon.efi" "$W/esp/EFI/BOOT/BOOTX64.EFI.extra.d/"
        vm_swtpm_start "$W/swtpm-$s-$c"
        vm_esp "$W/esp" "$W/esp-$s.img"
        vm_run "$W/esp-$s.img" "$W/$s-$c.log" -- \
                -smbios "type=1,manufacturer=$m,product=$prod,family=$fam,sku=$sku" \
                -smbios "type=2,manufacturer=$bbm,product=$bbp" || fail "$s stub, $c: no report (see $W/$s-$c.log)"
}

for s in sd ukit; do
        boot $s match "$manu"
        boot $s miss "Someone Else"
done

for c in match miss; do
        a=$W/sd-$c.log b=$W/ukit-$c.log
        dtb=$W/fallback.dtb; [ $c = match ] && dtb=$W/match.dtb
        for bank in sha1 sha256; do
                assert_eq "$(vm_report "$b" "pcr $bank 12")" "$(vm_report "$a" "pcr $bank 12")" "$c: PCR 12 $bank vs stub 257"
                for s in sd ukit; do
                        assert_eq "$(vm_report "$W/$s-$c.log" "pcr $bank 12")" "$(pcr_one_event $bank "$dtb")" \
                                "$c: $s stub: PCR 12 $bank vs one event of ${dtb##*/}"
                done
        done
        for s in sd ukit; do
                vm_report "$W/$s-$c.log" dmi-b64 | base64 -d >"$W/$s-$c.dmi" || fail "$s $c: no SMBIOS table from the guest"
                rm -rf "$W/pred" && mkdir -p "$W/pred/EFI/BOOT/BOOTX64.EFI.extra.d"
                cp "$W/$s.efi" "$W/pred/EFI/BOOT/BOOTX64.EFI"
                cp "$W/dt.addon.efi" "$W/pred/EFI/BOOT/BOOTX64.EFI.extra.d/"
                for bank in sha1 sha256; do
                        got=$("$UKIT" measure calculate --esp "$W/pred" --uki "$W/pred/EFI/BOOT/BOOTX64.EFI" \
                                --smbios-table="$W/$s-$c.dmi" --bank $bank --phase= | sed -n "s/^12:$bank=//p")
                        assert_eq "$got" "$(vm_report "$W/$s-$c.log" "pcr $bank 12")" \
                                "$c: $s stub: ukit measure calculate --esp --smbios-table: PCR 12 $bank"
                done
        done
        assert_eq "$(vm_report "$b" cmdline)" "$(vm_report "$a" cmdline)" "$c: /proc/cmdline"
        echo "$c: both stubs installed and measured the add-on's ${dtb##*/}"
done
echo "ok: add-on .dtbauto/.hwids selection (match and miss) agrees with systemd-stub 257"
