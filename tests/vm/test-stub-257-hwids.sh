#!/usr/bin/env bash
# .dtbauto selection through .hwids: ukit-stub against systemd-stub 257 (the
# Debian 13 oracle root). One UKI built by ukify 257 twice (stub 257 and
# ukit-stub) with a .dtb (fallback) and two .dtbauto ("ukit,other" first,
# then "ukit,match") and a .hwids made from two JSON files: "ukit,match"
# under the CHID 3 (manufacturer, family, product, SKU, baseboard
# manufacturer and product) of the QEMU SMBIOS fields below, "ukit,other"
# under CHID 9 (manufacturer, product), which 257 tries later. The CHIDs are
# computed here with python3's hashlib from the field strings (not by ukit).
# OVMF has no devicetree, so the stubs go by the CHIDs:
#  - match: QEMU -smbios type=1/type=2 with those fields;
#  - miss: another manufacturer.
# x86 Linux does not read the EFI devicetree table, so which devicetree was
# chosen is seen in PCR 11, where only the selected .dtbauto is measured:
# each boot's PCR 11 (sha1, sha256) must equal a python3 replay of the
# UKI's sections plus the expected .dtbauto (ukit,match; none on a miss).
# /proc/cmdline and PCR 12 are compared across the stubs too.
. "$(dirname "$0")/../lib.sh"
. "$UKIT_TOP/tests/vm/lib.sh"
STUB=$UKIT_BUILD/src/stub/ukit-stub.efi
[ -f "$STUB" ] || fail "$STUB not built"
vm_oracle_257

cp "$(vm_kernel)" "$W/vmlinuz"
cp "$STUB" "$W/ukit-stub.efi"
vm_initrd "$W/initrd.img"

vm_dtbauto_fixture     # fallback/match/other.dtb, hw/*.json, $manu $fam $prod $sku $bbm $bbp

for s in sd ukit; do
        stub=/usr/lib/systemd/boot/efi/linuxx64.efi.stub; [ $s = ukit ] && stub=$W/ukit-stub.efi
        in257 ukify build --stub="$stub" --linux="$W/vmlinuz" --initrd="$W/initrd.img" --cmdline='console=ttyS0' \
                --uname=6.1.0-test --devicetree="$W/fallback.dtb" --devicetree-auto="$W/other.dtb" \
                --devicetree-auto="$W/match.dtb" --hwids="$W/hw" --output="$W/$s.efi" >/dev/null ||
                fail "ukify 257 build with $s stub failed"
done

# pcr11_oracle UKI [DTBAUTO]: PCR 11 (lines "sha1=HEX", "sha256=HEX")
# replayed with python3's hashlib: the UKI's sections (first of each name)
# without .dtbauto, plus DTBAUTO as .dtbauto when given, in systemd-stub
# 257's order. (systemd-measure 257 cannot be the oracle here: its
# `calculate --dtbauto=` measures the file under the name ".hwids" and
# `--hwids=` under ".dtbauto", so its PCR 11 for such a UKI is not stub
# 257's.)
pcr11_oracle() {
        /usr/bin/python3 - "$1" "${2:-}" <<'PY'
import hashlib, sys, pefile
uki, dtb = sys.argv[1], sys.argv[2]
order = [".linux", ".osrel", ".cmdline", ".initrd", ".ucode", ".splash", ".dtb", ".uname", ".sbat",
         ".pcrpkey", ".profile", ".dtbauto", ".hwids"]
found = {}
for s in pefile.PE(uki, fast_load=True).sections:
    name = s.Name.rstrip(b"\0").decode()
    if name in order and name != ".dtbauto":
        found.setdefault(name, s.get_data()[:s.Misc_VirtualSize].ljust(s.Misc_VirtualSize, b"\0"))
if dtb:
    found[".dtbauto"] = open(dtb, "rb").read()
for bank in ("sha1", "sha256"):
    pcr = bytes(hashlib.new(bank).digest_size)
    for name in order:
        if found.get(name):
            for blob in (name.encode() + b"\0", found[name]):
                pcr = hashlib.new(bank, pcr + hashlib.new(bank, blob).digest()).digest()
    print(f"{bank}={pcr.hex()}")
PY
}

boot() {        # boot STUB CASE MANUFACTURER
        local s=$1 c=$2 m=$3
        rm -rf "$W/esp" && mkdir -p "$W/esp/EFI/BOOT"
        cp "$W/$s.efi" "$W/esp/EFI/BOOT/BOOTX64.EFI"
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
        assert_eq "$(vm_report "$b" cmdline)" "$(vm_report "$a" cmdline)" "$c: /proc/cmdline"
        for bank in sha1 sha256; do
                assert_eq "$(vm_report "$b" "pcr $bank 12")" "$(vm_report "$a" "pcr $bank 12")" "$c: PCR 12 $bank"
        done
        dtb=; [ $c = match ] && dtb=$W/match.dtb
        for s in sd ukit; do
                want=$(pcr11_oracle "$W/$s.efi" "$dtb") || fail "$c: cannot predict PCR 11 of $s.efi"
                got=$(printf 'sha1=%s\nsha256=%s' "$(vm_report "$W/$s-$c.log" "pcr sha1 11")" \
                        "$(vm_report "$W/$s-$c.log" "pcr sha256 11")")
                assert_eq "$got" "$want" "$c: $s stub: PCR 11 vs the replay with .dtbauto=${dtb##*/}"
        done
        name=${dtb##*/}
        echo "$c: both stubs measured .dtbauto=${name:-none}"
done
echo "ok: HWID devicetree selection (match and miss) agrees with systemd-stub 257"
