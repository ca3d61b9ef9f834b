#!/usr/bin/env bash
# SMBIOS type 11 `io.systemd.stub.kernel-cmdline-extra=`: ukit-stub against
# systemd-stub 257 (the Debian 13 oracle root). One UKI built by ukify 257
# twice, with stub 257 and with ukit-stub, booted by the removable-media
# path with QEMU `-smbios type=11,value=...` (another OEM string first, then
# the extra command line). Compared across the two stubs: /proc/cmdline and
# PCR 12 in sha1 and sha256 and its events (type, sha256 digest); PCR 12 is
# also checked against python3's prediction of the one load-options-style
# event (UTF-16LE string with its NUL). A boot without the string must leave
# PCR 12 alone and the command line as .cmdline. `ukit measure calculate
# --esp` must predict each stub's PCR 12 from --smbios-cmdline=TEXT and from
# --smbios-table=FILE given the guest's own /sys/firmware/dmi/tables/DMI.
. "$(dirname "$0")/../lib.sh"
. "$UKIT_TOP/tests/vm/lib.sh"
need tpm2_eventlog
STUB=$UKIT_BUILD/src/stub/ukit-stub.efi
[ -f "$STUB" ] || fail "$STUB not built"
vm_oracle_257

cp "$(vm_kernel)" "$W/vmlinuz"
cp "$STUB" "$W/ukit-stub.efi"
# the guest's SMBIOS table, for ukit measure --smbios-table
cat >"$W/dmi.sh" <<'HOOK'
report "dmi-b64=$(base64 /sys/firmware/dmi/tables/DMI | tr -d '\n')"
HOOK
vm_initrd "$W/initrd.img" --eventlog --hook "$W/dmi.sh"
base='console=ttyS0 ukit.base=1'
extra='ukit.smbios=yes quiet=no ukit.x="a b"'
for s in sd ukit; do
        stub=/usr/lib/systemd/boot/efi/linuxx64.efi.stub; [ $s = ukit ] && stub=$W/ukit-stub.efi
        in257 ukify build --stub="$stub" --linux="$W/vmlinuz" --initrd="$W/initrd.img" --cmdline="$base" \
                --uname=6.1.0-test --output="$W/$s.efi" >/dev/null || fail "ukify 257 build with $s stub failed"
done

pcr12_events() {
        vm_eventlog "$1" "$1.bin"
        tpm2_eventlog "$1.bin" 2>/dev/null | awk '
                /^- EventNum:/ { pcr = ""; type = "" }
                /^  PCRIndex:/ { pcr = $2 }
                /^  EventType:/ { type = $2 }
                /AlgorithmId: sha256/ { want = 1; next }
                want && /Digest:/ { gsub(/"/, "", $2); if (pcr == 12) print type, $2; want = 0 }'
}

# boot STUB CASE [QEMU ARGS...]
boot() {
        local s=$1 c=$2; shift 2
        rm -rf "$W/esp" && mkdir -p "$W/esp/EFI/BOOT"
        cp "$W/$s.efi" "$W/esp/EFI/BOOT/BOOTX64.EFI"
        vm_swtpm_start "$W/swtpm-$s-$c"
        vm_esp "$W/esp" "$W/esp-$s.img"
        vm_run "$W/esp-$s.img" "$W/$s-$c.log" -- "$@" || fail "$s stub, $c: no report (see $W/$s-$c.log)"
}

# QEMU's option syntax doubles a comma inside a value; there is none here.
for s in sd ukit; do
        boot $s with -smbios "type=11,value=io.systemd.other=1,value=io.systemd.stub.kernel-cmdline-extra=$extra"
        boot $s without
done

for c in with without; do
        a=$W/sd-$c.log b=$W/ukit-$c.log
        assert_eq "$(vm_report "$b" cmdline)" "$(vm_report "$a" cmdline)" "$c SMBIOS string: /proc/cmdline"
        echo "$c SMBIOS string: the kernel saw: $(vm_report "$a" cmdline)"
        for bank in sha1 sha256; do
                assert_eq "$(vm_report "$b" "pcr $bank 12")" "$(vm_report "$a" "pcr $bank 12")" "$c: PCR 12 $bank"
        done
        assert_eq "$(pcr12_events "$b")" "$(pcr12_events "$a")" "$c: PCR 12 events (type, sha256)"
done
case "$(vm_report "$W/sd-with.log" cmdline)" in
*"$extra"*) ;;
*) fail "stub 257 did not append the SMBIOS string (test setup?)" ;;
esac
for bank in sha1 sha256; do
        assert_eq "$(vm_report "$W/ukit-with.log" "pcr $bank 12")" "$(vm_pcr12_user_cmdline $bank "$extra")" \
                "PCR 12 $bank vs python3's prediction"
done
assert_eq "$(vm_report "$W/ukit-without.log" "pcr sha256 12")" "$(printf '0%.0s' {1..64})" "no SMBIOS string: PCR 12"
# ukit measure calculate --esp: PCR 12 of each stub and case, from the
# string and from the guest's SMBIOS table
for s in sd ukit; do
        rm -rf "$W/pred" && mkdir -p "$W/pred/EFI/BOOT"
        cp "$W/$s.efi" "$W/pred/EFI/BOOT/BOOTX64.EFI"
        for c in with without; do
                log=$W/$s-$c.log
                vm_report "$log" dmi-b64 | base64 -d >"$W/$s-$c.dmi" || fail "$s $c: no SMBIOS table from the guest"
                opts=(--smbios-table="$W/$s-$c.dmi")
                [ $c = with ] && opts+=(--smbios-cmdline="$extra")
                for opt in "${opts[@]}"; do
                        for bank in sha1 sha256; do
                                guest=$(vm_report "$log" "pcr $bank 12")
                                got=$("$UKIT" measure calculate --esp "$W/pred" --uki "$W/pred/EFI/BOOT/BOOTX64.EFI" \
                                        "$opt" --bank $bank --phase= | sed -n "s/^12:$bank=//p")
                                [ -n "$got" ] || got=$(printf '%0*d' ${#guest} 0)      # nothing measured: zeros
                                assert_eq "$got" "$guest" "$s stub, $c: ukit measure calculate --esp ${opt%%=*}: PCR 12 $bank"
                        done
                done
        done
done
echo "ok: ukit measure calculate --esp --smbios-cmdline/--smbios-table predict PCR 12 of both stubs"
echo "ok: SMBIOS kernel-cmdline-extra: /proc/cmdline and PCR 12 agree with systemd-stub 257"
