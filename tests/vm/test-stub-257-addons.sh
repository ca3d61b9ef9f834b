#!/usr/bin/env bash
# ukit-stub against systemd-stub 257 (the Debian 13 oracle root) on add-ons
# of every kind, under Secure Boot (OVMF, snakeoil db). One UKI built by
# ukify 257 twice, with stub 257 and with ukit-stub (only the stub
# differs), signed with sbsign; one ESP with add-ons built by ukify 257 from
# 257's add-on stub:
#   \loader\addons\g.addon.efi          .cmdline + .initrd (signed)
#   <uki>.extra.d\10-u.addon.efi         .cmdline + .ucode + .initrd (signed)
#   <uki>.extra.d\20-m.addon.efi         .ucode (signed; the kernel takes the
#                                        first microcode: 257 puts the last
#                                        add-on's first)
#   <uki>.extra.d\30-d.addon.efi         .dtb (signed; installed and measured
#                                        also without a firmware devicetree)
#   <uki>.extra.d\40-unsigned.addon.efi  .cmdline + .initrd, unsigned: refused
# Compared across the stubs: /proc/cmdline, the files under /ukit and /.extra
# and the microcode file the kernel unpacked, PCR 12 and 13 in sha1 and
# sha256, the PCR 12/13 events (type and sha256 digest, tpm2_eventlog), and
# the loader variables except StubInfo and two that differ on purpose:
# ukit-stub announces StubPcrKernelParameters and StubPcrInitRDSysExts
# whenever it measured the image, as 252 does (docs/stub-differences.md);
# stub 257 did not set them on this boot. The unsigned add-on's command line
# and file must not appear.
. "$(dirname "$0")/../lib.sh"
. "$UKIT_TOP/tests/vm/lib.sh"
need tpm2_eventlog sbsign sbverify
vm_need_secureboot
STUB=$UKIT_BUILD/src/stub/ukit-stub.efi
[ -f "$STUB" ] || fail "$STUB not built"
vm_oracle_257
ADDON_STUB=/usr/lib/systemd/boot/efi/addonx64.efi.stub

cp "$(vm_kernel)" "$W/vmlinuz"
cp "$STUB" "$W/ukit-stub.efi"
cat >"$W/ucode-hook.sh" <<'EOF'
f=/kernel/x86/microcode/GenuineIntel.bin
if [ -f $f ]; then report "ucode sha256=$(sha256sum $f | cut -d' ' -f1)"; else report "ucode=missing"; fi
EOF
vm_initrd "$W/initrd.img" --eventlog --hook "$W/ucode-hook.sh"
printf 'ID=ukittest\nVERSION_ID=257\n' >"$W/os-release"
vm_snakeoil_key "$W/db.key"

# add-on payloads: cpios whose files the guest reports, microcode archives
mkcpio() { # NAME DEST CONTENT
        rm -rf "$W/c-$1"; mkdir -p "$W/c-$1$(dirname "$2")"
        printf '%s' "$3" >"$W/c-$1$2"
        vm_cpio "$W/$1.cpio" "$W/c-$1"
}
mkcpio gi /ukit/addon-global "global add-on initrd"
mkcpio ui /ukit/addon-uki "per-UKI add-on initrd"
mkcpio bad /ukit/addon-unsigned "must not appear"
mkcpio u1 /kernel/x86/microcode/GenuineIntel.bin "microcode from 10-u"
mkcpio u2 /kernel/x86/microcode/GenuineIntel.bin "microcode from 20-m"
# a minimal flattened devicetree: header, empty root node, end
/usr/bin/python3 - "$W/d.dtb" <<'EOF'
import struct, sys
st = struct.pack(">IIII", 1, 0, 2, 9)          # BEGIN_NODE "" (padded), END_NODE, END
rsv = bytes(16)
hdr_len = 40
off_rsv = hdr_len; off_st = off_rsv + len(rsv); off_str = off_st + len(st)
total = off_str
hdr = struct.pack(">10I", 0xd00dfeed, total, off_st, off_str, off_rsv, 17, 16, 0, 0, len(st))
open(sys.argv[1], "wb").write(hdr + rsv + st)
EOF

addon() { # OUT ARGS...: an add-on built by ukify 257
        local out=$1; shift
        in257 ukify build --stub="$ADDON_STUB" "$@" --output="$W/$out" >/dev/null || fail "ukify 257: add-on $out"
}
addon g.efi --cmdline=addon.global=1 --initrd="$W/gi.cpio"
addon u.efi --cmdline=addon.uki=1 --microcode="$W/u1.cpio" --initrd="$W/ui.cpio"
addon m.efi --microcode="$W/u2.cpio"
addon d.efi --devicetree="$W/d.dtb"
addon bad.efi --cmdline=addon.unsigned=1 --initrd="$W/bad.cpio"
sign() { sbsign --key "$W/db.key" --cert "$VM_SNAKEOIL_CERT" --output "$2" "$1" >/dev/null 2>&1 || fail "sbsign $1"; }

CMDLINE="console=ttyS0 ukit.scenario=257-addons"
for s in sd ukit; do
        stub=/usr/lib/systemd/boot/efi/linuxx64.efi.stub; [ $s = ukit ] && stub=$W/ukit-stub.efi
        in257 ukify build --stub="$stub" --linux="$W/vmlinuz" --initrd="$W/initrd.img" --cmdline="$CMDLINE" \
                --os-release="@$W/os-release" --uname=6.1.0-test --output="$W/$s-unsigned.efi" >/dev/null ||
                fail "ukify 257 build with the $s stub"
        sign "$W/$s-unsigned.efi" "$W/$s.efi"
done

files() { vm_report_lines "$1" | grep -E '^(file |ucode)' | sort; }
events() { # LOG: "PCR TYPE DIGEST" of the PCR 12/13 events (sha256)
        vm_eventlog "$1" "$1.bin"
        tpm2_eventlog "$1.bin" 2>/dev/null | awk '
                /^- EventNum:/ { pcr = ""; type = "" }
                /^  PCRIndex:/ { pcr = $2 }
                /^  EventType:/ { type = $2 }
                /AlgorithmId: sha256/ { want = 1; next }
                want && /Digest:/ { gsub(/"/, "", $2); if (pcr == 12 || pcr == 13) print pcr, type, $2; want = 0 }'
}
efivars() { vm_report_lines "$1" | grep '^efivar ' | grep -Ev '^efivar (StubInfo|StubPcrKernelParameters|StubPcrInitRDSysExts)=' | sort; }

for s in sd ukit; do
        esp=$W/esp-$s d=$W/esp-$s/EFI/BOOT/BOOTX64.EFI.extra.d
        rm -rf "$esp"; mkdir -p "$d" "$esp/loader/addons"
        cp "$W/$s.efi" "$esp/EFI/BOOT/BOOTX64.EFI"
        sign "$W/g.efi" "$esp/loader/addons/g.addon.efi"
        sign "$W/u.efi" "$d/10-u.addon.efi"
        sign "$W/m.efi" "$d/20-m.addon.efi"
        sign "$W/d.efi" "$d/30-d.addon.efi"
        cp "$W/bad.efi" "$d/40-unsigned.addon.efi"
        vm_esp "$esp" "$W/esp-$s.img"
        vm_swtpm_start "$W/swtpm-$s"
        vm_run "$W/esp-$s.img" "$W/$s.log" --secureboot || fail "$s stub: no report (see $W/$s.log)"
        assert_eq "$(vm_report "$W/$s.log" secureboot)" 1 "$s stub: SecureBoot"
done
a=$W/sd.log b=$W/ukit.log
echo "stub 257: the kernel saw: $(vm_report "$a" cmdline)"
assert_eq "$(vm_report "$b" cmdline)" "$(vm_report "$a" cmdline)" "/proc/cmdline"
case "$(vm_report "$a" cmdline)" in *addon.unsigned*) fail "stub 257 used the unsigned add-on" ;; esac
[ -n "$(files "$a")" ] || fail "stub 257 reported no files"
assert_eq "$(files "$b")" "$(files "$a")" "files under /ukit and /.extra, microcode"
vm_report_has "$b" "file /ukit/addon-global sha256" || fail "ukit-stub: no global add-on initrd"
vm_report_has "$b" "file /ukit/addon-unsigned sha256" && fail "ukit-stub: the unsigned add-on's initrd was used"
for pcr in 12 13; do
        for bank in sha1 sha256; do
                assert_eq "$(vm_report "$b" "pcr $bank $pcr")" "$(vm_report "$a" "pcr $bank $pcr")" "PCR $pcr $bank"
        done
done
assert_eq "$(events "$b")" "$(events "$a")" "PCR 12/13 events (type, sha256)"
events "$a" | grep -q EV_EVENT_TAG || fail "stub 257 logged no tagged add-on event"
assert_eq "$(efivars "$b")" "$(efivars "$a")" "loader variables (StubInfo aside)"
# ukit measure calculate --esp predicts stub 257's PCR 12/13 from the ESP
# without the add-on the firmware refuses
rm -rf "$W/pred"; cp -a "$W/esp-ukit" "$W/pred"; rm "$W/pred/EFI/BOOT/BOOTX64.EFI.extra.d/40-unsigned.addon.efi"
for bank in sha1 sha256; do
        for pcr in 12 13; do
                want=$(vm_report "$a" "pcr $bank $pcr")
                got=$("$UKIT" measure calculate --esp "$W/pred" --uki "$W/pred/EFI/BOOT/BOOTX64.EFI" --bank $bank --phase= |
                        sed -n "s/^$pcr:$bank=//p")
                [ -n "$got" ] || got=$(printf '%0*d' ${#want} 0)       # nothing measured: zeros
                assert_eq "$got" "$want" "ukit measure calculate --esp: PCR $pcr $bank vs stub 257"
        done
done
echo "ok: add-on .cmdline/.initrd/.ucode/.dtb under Secure Boot agree with systemd-stub 257"
