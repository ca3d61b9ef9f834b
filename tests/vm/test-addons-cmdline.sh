#!/usr/bin/env bash
# UKI add-ons without Secure Boot: unsigned add-ons built by `ukit build`
# apply; global ones (\loader\addons) come first, then the per-UKI ones
# (<uki>.extra.d), each directory in byte order of the names, the suffix
# matched case-insensitively, control characters turned into spaces.
# Skipped: a file that is no image (the firmware's LoadImage fails; one
# message), a full UKI named *.addon.efi (has .linux), hidden files,
# directories, other suffixes. PCR 12 holds exactly one event for the joined
# add-on command line: checked against sha256/sha1 computed here with
# iconv + openssl (UTF-16LE with the NUL), against tpm2_eventlog's view of
# the event log (EV_IPL in PCR 12, description = the command line), and
# against `ukit measure calculate --esp`.
. "$(dirname "$0")/../lib.sh"
. "$UKIT_TOP/tests/vm/lib.sh"
need openssl iconv tpm2_eventlog xxd
STUB=$UKIT_BUILD/src/stub/ukit-stub.efi
ADDON_STUB=$UKIT_BUILD/src/stub/ukit-addon.efi
[ -f "$STUB" ] && [ -f "$ADDON_STUB" ] || fail "$STUB / $ADDON_STUB not built"

kernel=$(vm_kernel)
vm_initrd "$T/initrd.img" --eventlog
cmdline="console=ttyS0 quiet ukit.scenario=addons-cmdline"
printf 'ID=ukittest\n' >"$T/os-release"
esp=$T/esp
d=$esp/EFI/BOOT/BOOTX64.EFI.extra.d
mkdir -p "$d/dir.addon.efi" "$esp/loader/addons"
# .cmdline from a file with its newline: joined with the add-ons by one space
printf '%s\n' "$cmdline" >"$T/cmdline"
"$UKIT" build --stub "$STUB" --linux "$kernel" --initrd "$T/initrd.img" --cmdline "@$T/cmdline" \
        --os-release "@$T/os-release" --uname 6.1.0-test -o "$esp/EFI/BOOT/BOOTX64.EFI" >/dev/null ||
        fail "ukit build failed"
addon() { # PATH CMDLINE
        "$UKIT" build --stub "$ADDON_STUB" --cmdline "$2" -o "$1" >/dev/null || fail "ukit build (add-on $1) failed"
}
addon "$esp/loader/addons/b.addon.efi" "g.b=1"
addon "$esp/loader/addons/A.ADDON.EFI" "g.A=1"
addon "$d/2.addon.efi" "$(printf 'u.2=1\tu.2b=1\n')"
addon "$d/10.addon.efi" "u.10=1"
addon "$d/.hidden.addon.efi" "hidden=1"
addon "$d/notes.addon.efi.txt" "notes=1"
addon "$d/20-empty.addon.efi" "   "
head -c 4096 /dev/urandom >"$d/30-junk.addon.efi"
"$UKIT" build --stub "$STUB" --linux "$kernel" --cmdline "uki-as-addon=1" --os-release "@$T/os-release" \
        --uname 6.1.0-test -o "$d/40-uki.addon.efi" >/dev/null || fail "ukit build (UKI as add-on) failed"

extra="g.A=1 g.b=1 u.10=1 u.2=1 u.2b=1"
vm_esp "$esp" "$T/esp.img"
vm_run "$T/esp.img" "$T/serial.log" || fail "UKI with add-ons did not boot (see $T/serial.log)"
assert_eq "$(vm_report "$T/serial.log" cmdline)" "$cmdline $extra" "/proc/cmdline with add-ons"
grep -aq "add-on refused by the firmware, skipping: .*30-junk.addon.efi" "$T/serial.log" ||
        fail "no message for the junk add-on"
grep -aq "add-on has a .linux section, skipping: .*40-uki.addon.efi" "$T/serial.log" ||
        fail "no message for the UKI named as add-on"

# Independent PCR 12: one extend with H(UTF-16LE(extra) + NUL).
printf '%s\0' "$extra" | iconv -f utf-8 -t utf-16le >"$T/event.bin"
for bank in sha1 sha256; do
        n=$(openssl dgst -$bank -binary </dev/null | wc -c)
        { head -c "$n" /dev/zero; openssl dgst -$bank -binary <"$T/event.bin"; } >"$T/pcr.in"
        want=$(openssl dgst -$bank -binary <"$T/pcr.in" | xxd -p -c 256)
        assert_eq "$(vm_report "$T/serial.log" "pcr $bank 12")" "$want" "PCR 12 $bank (extend computed with openssl)"
        pred=$("$UKIT" measure calculate --esp "$esp" --uki "$esp/EFI/BOOT/BOOTX64.EFI" --bank $bank --phase= \
                2>/dev/null | sed -n "s/^12:$bank=//p")
        assert_eq "$pred" "$want" "PCR 12 $bank from ukit measure calculate --esp"
done

vm_eventlog "$T/serial.log" "$T/eventlog.bin"
tpm2_eventlog "$T/eventlog.bin" >"$T/eventlog.yaml" 2>"$T/eventlog.err" || fail "tpm2_eventlog failed: $(head -3 "$T/eventlog.err")"
/usr/bin/python3 - "$T/eventlog.yaml" "$extra" <<'PY' || fail "event log check failed (see $T/eventlog.yaml)"
import sys, re
text = open(sys.argv[1]).read()
want = (sys.argv[2] + "\0").encode("utf-16-le").hex()
events = re.split(r"\n- EventNum:", text)
pcr12 = [e for e in events if re.search(r"\n\s*PCRIndex: 12\n", e)]
if len(pcr12) != 1:
    sys.exit(f"{len(pcr12)} events in PCR 12, expected 1")
e = pcr12[0]
if "EV_IPL" not in e:
    sys.exit("PCR 12 event is not EV_IPL")
# tpm2_eventlog shows the UTF-16 description as a string with "\\0" bytes
m = re.search(r'String: \|-\n\s*"(.*)"', e)
if not m or m.group(1).replace("\\0", "") != sys.argv[2]:
    sys.exit("PCR 12 event description is not the add-on command line")
size = re.search(r"EventSize: (\d+)", e)
if not size or int(size.group(1)) != len(want) // 2:
    sys.exit("PCR 12 event size is not that of the UTF-16 command line with its NUL")
PY
echo "boot ${VM_BOOT_SECONDS}s: add-on order, skips and PCR 12 event as expected"
