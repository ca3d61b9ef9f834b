#!/usr/bin/env bash
# ukit-stub against systemd-stub 257 (the Debian 13 oracle root) on
# extensions next to the UKI and in \loader\extensions. One UKI built by
# ukify 257 twice, with stub 257 and with ukit-stub (only the stub
# differs), on an ESP with
#   <uki>.extra.d\a.raw, b.sysext.raw   -> /.extra/sysext (PCR 13)
#   <uki>.extra.d\c.confext.raw         -> /.extra/confext (PCR 12)
#   \loader\extensions\g.sysext.raw, h.confext.raw: global extensions,
#       which systemd-stub picks up only from 258 on: 257 ignores them, and
#       so must ukit-stub.
# Compared across the stubs: the files under /.extra, PCR 12 and 13 in sha1
# and sha256, the PCR 12/13 events (type, sha256 digest) and the loader
# variables except StubInfo; and ukit measure calculate --esp against stub
# 257's PCR 12/13.
. "$(dirname "$0")/../lib.sh"
. "$UKIT_TOP/tests/vm/lib.sh"
need tpm2_eventlog
STUB=$UKIT_BUILD/src/stub/ukit-stub.efi
[ -f "$STUB" ] || fail "$STUB not built"
vm_oracle_257

cp "$(vm_kernel)" "$W/vmlinuz"
cp "$STUB" "$W/ukit-stub.efi"
vm_initrd "$W/initrd.img" --eventlog
printf 'ID=ukittest\nVERSION_ID=257\n' >"$W/os-release"
CMDLINE="console=ttyS0 ukit.scenario=257-extensions"
for s in sd ukit; do
        stub=/usr/lib/systemd/boot/efi/linuxx64.efi.stub; [ $s = ukit ] && stub=$W/ukit-stub.efi
        in257 ukify build --stub="$stub" --linux="$W/vmlinuz" --initrd="$W/initrd.img" --cmdline="$CMDLINE" \
                --os-release="@$W/os-release" --uname=6.1.0-test --output="$W/$s.efi" >/dev/null ||
                fail "ukify 257 build with the $s stub"
done

files() { vm_report_lines "$1" | grep -E '^file /.extra/' | sort; }
events() {
        vm_eventlog "$1" "$1.bin"
        tpm2_eventlog "$1.bin" 2>/dev/null | awk '
                /^- EventNum:/ { pcr = ""; type = "" }
                /^  PCRIndex:/ { pcr = $2 }
                /^  EventType:/ { type = $2 }
                /AlgorithmId: sha256/ { want = 1; next }
                want && /Digest:/ { gsub(/"/, "", $2); if (pcr == 12 || pcr == 13) print pcr, type, $2; want = 0 }'
}
# StubPcrKernelParameters/StubPcrInitRDSysExts: ukit-stub sets them as 252
# does (docs/stub-differences.md)
efivars() { vm_report_lines "$1" | grep '^efivar ' | grep -Ev '^efivar (StubInfo|StubPcrKernelParameters|StubPcrInitRDSysExts)=' | sort; }

for s in sd ukit; do
        esp=$W/esp-$s d=$W/esp-$s/EFI/BOOT/BOOTX64.EFI.extra.d
        rm -rf "$esp"; mkdir -p "$d" "$esp/loader/extensions"
        cp "$W/$s.efi" "$esp/EFI/BOOT/BOOTX64.EFI"
        head -c 5000 /dev/zero | tr '\0' A >"$d/a.raw"
        head -c 3000 /dev/zero | tr '\0' B >"$d/b.sysext.raw"
        head -c 2000 /dev/zero | tr '\0' C >"$d/c.confext.raw"
        head -c 4000 /dev/zero | tr '\0' G >"$esp/loader/extensions/g.sysext.raw"
        head -c 1000 /dev/zero | tr '\0' H >"$esp/loader/extensions/h.confext.raw"
        vm_esp "$esp" "$W/esp-$s.img"
        vm_swtpm_start "$W/swtpm-$s"
        vm_run "$W/esp-$s.img" "$W/$s.log" || fail "$s stub: no report (see $W/$s.log)"
done
a=$W/sd.log b=$W/ukit.log
[ -n "$(files "$a")" ] || fail "stub 257 reported no /.extra files"
assert_eq "$(files "$b")" "$(files "$a")" "files under /.extra"
files "$a" | grep -q global_ && fail "test assumption: stub 257 picked up \\loader\\extensions"
for pcr in 12 13; do
        for bank in sha1 sha256; do
                assert_eq "$(vm_report "$b" "pcr $bank $pcr")" "$(vm_report "$a" "pcr $bank $pcr")" "PCR $pcr $bank"
                got=$("$UKIT" measure calculate --esp "$W/esp-ukit" --uki "$W/esp-ukit/EFI/BOOT/BOOTX64.EFI" --bank $bank \
                        --phase= | sed -n "s/^$pcr:$bank=//p")
                assert_eq "$got" "$(vm_report "$a" "pcr $bank $pcr")" "ukit measure calculate --esp: PCR $pcr $bank vs stub 257"
        done
done
assert_eq "$(events "$b")" "$(events "$a")" "PCR 12/13 events (type, sha256)"
assert_eq "$(efivars "$b")" "$(efivars "$a")" "loader variables (StubInfo aside)"
echo "ok: per-UKI extensions agree with systemd-stub 257; both ignore \\loader\\extensions"
