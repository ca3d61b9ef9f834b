#!/usr/bin/env bash
# ukit-stub boots a UKI built by `ukit build` (Secure Boot off, swtpm):
# the kernel sees the built-in command line and initrd, PCR 11 in sha1 and
# sha256 equals both an independent replay of the measurement rules
# (python3-pefile + hashlib) and `ukit measure calculate --uki`, and the Boot
# Loader Interface variables are visible in /sys/firmware/efi/efivars.
# ESP pick-up: a configuration extension (x.confext.raw) next to the UKI
# shows up with identical bytes at /.extra/confext/ and not among the
# sysexts (a plain *.raw next to it does, at /.extra/sysext/); PCR 12 holds
# exactly one event, "Configuration extension initrd" (tpm2_eventlog), whose
# sha256/sha1 replay and the PCR 12/13 values equal `ukit measure calculate
# --esp`.
. "$(dirname "$0")/../lib.sh"
. "$UKIT_TOP/tests/vm/lib.sh"
STUB=$UKIT_BUILD/src/stub/ukit-stub.efi
[ -f "$STUB" ] || fail "$STUB not built"
[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import pefile' 2>/dev/null || skip "python3-pefile not installed"

kernel=$(vm_kernel)
head -c 300000 /dev/urandom >"$T/payload.bin"
echo "ukit-stub test" >"$T/hello.txt"
need tpm2_eventlog
vm_initrd "$T/initrd.img" --eventlog "$T/payload.bin" "$T/hello.txt"
printf 'ID=ukittest\nVERSION_ID=1\nPRETTY_NAME="ukit stub test"\n' >"$T/os-release"
cmdline="console=ttyS0 quiet ukit.stub=boot foo=bar"

"$UKIT" build --stub "$STUB" --linux "$kernel" --initrd "$T/initrd.img" \
        --cmdline "$cmdline" --os-release "@$T/os-release" --uname 6.1.0-test \
        -o "$T/uki.efi" || fail "ukit build failed"
mkdir -p "$T/esp/EFI/BOOT" "$T/esp/loader"
cp "$T/uki.efi" "$T/esp/EFI/BOOT/BOOTX64.EFI"
head -c 32 /dev/urandom >"$T/esp/loader/random-seed"
d=$T/esp/EFI/BOOT/BOOTX64.EFI.extra.d
mkdir -p "$d"
head -c 6000 /dev/urandom >"$d/x.confext.raw"
head -c 3000 /dev/urandom >"$d/s.raw"
vm_esp "$T/esp" "$T/esp.img"
vm_run "$T/esp.img" "$T/serial.log" || fail "boot failed (see $T/serial.log)"
log=$T/serial.log

assert_eq "$(vm_report "$log" cmdline)" "$cmdline" "/proc/cmdline"
for f in payload.bin hello.txt; do
        assert_eq "$(vm_report "$log" "file /ukit/$f sha256")" "$(sha256sum <"$T/$f" | cut -d' ' -f1)" "initrd file $f"
done
assert_eq "$(vm_report "$log" "efivar StubInfo")" "ukit-stub 0.1" StubInfo
assert_eq "$(vm_report "$log" "efivar StubPcrKernelImage")" "11" StubPcrKernelImage
# upper case, as systemd-stub 252 writes it
assert_eq "$(vm_report "$log" "efivar LoaderDevicePartUUID")" "${VM_ESP_PART_UUID^^}" LoaderDevicePartUUID
assert_eq "$(vm_report "$log" "efivar LoaderImageIdentifier")" '\EFI\BOOT\BOOTX64.EFI' LoaderImageIdentifier
assert_eq "$(vm_report "$log" "efivar StubPcrKernelParameters")" "12" StubPcrKernelParameters
assert_eq "$(vm_report "$log" "efivar StubPcrInitRDSysExts")" "13" StubPcrInitRDSysExts
assert_eq "$(vm_report "$log" "efivar StubPcrInitRDConfExts")" "12" StubPcrInitRDConfExts
# REPORT_BOOT_PARTITION, PICK_UP_CREDENTIALS, PICK_UP_SYSEXTS, THREE_PCRS,
# RANDOM_SEED, CMDLINE_ADDONS, CMDLINE_SMBIOS, DEVICETREE_ADDONS,
# PICK_UP_CONFEXTS, MULTI_PROFILE_UKI, REPORT_STUB_PARTITION
# (systemd's bit values 0x1 .. 0x400), u64 LE: 0x7ff, systemd-stub 257's
assert_eq "$(vm_report "$log" "efivar StubFeatures")" "hex:ff07000000000000" StubFeatures

# ESP pick-up: confext at /.extra/confext, not taken as a sysext
assert_eq "$(vm_report "$log" "file /.extra/confext/x.confext.raw sha256")" "$(sha256sum <"$d/x.confext.raw" | cut -d' ' -f1)" \
        "/.extra/confext/x.confext.raw"
assert_eq "$(vm_report "$log" "file /.extra/sysext/s.raw sha256")" "$(sha256sum <"$d/s.raw" | cut -d' ' -f1)" \
        "/.extra/sysext/s.raw"
assert_eq "$(vm_report_lines "$log" | grep -c '^file /.extra/sysext/')" 1 "files under /.extra/sysext"
for pcr in 12 13; do
        for bank in sha1 sha256; do
                got=$(vm_report "$log" "pcr $bank $pcr") || fail "no PCR $pcr $bank in the report"
                [ "$got" != "$(printf '%0*d' ${#got} 0)" ] || fail "PCR $pcr $bank is zero: nothing measured"
                pred=$("$UKIT" measure calculate --esp "$T/esp" --uki "$T/esp/EFI/BOOT/BOOTX64.EFI" --bank $bank \
                        --phase= 2>/dev/null | sed -n "s/^$pcr:$bank=//p")
                assert_eq "$got" "$pred" "PCR $pcr $bank vs ukit measure calculate --esp"
        done
done
vm_eventlog "$log" "$T/eventlog.bin"
tpm2_eventlog "$T/eventlog.bin" >"$T/eventlog.yaml" 2>"$T/eventlog.err" || fail "tpm2_eventlog failed: $(head -3 "$T/eventlog.err")"
/usr/bin/python3 - "$T/eventlog.yaml" "$(vm_report "$log" "pcr sha256 12")" <<'PY' || fail "PCR 12 event log check failed (see $T/eventlog.yaml)"
import hashlib, re, sys
text = open(sys.argv[1]).read()
events = re.split(r"\n- EventNum:", text)
pcr12 = [e for e in events if re.search(r"\n\s*PCRIndex: 12\n", e)]
if len(pcr12) != 1:
    sys.exit(f"{len(pcr12)} events in PCR 12, expected 1 (the confext initrd)")
e = pcr12[0]
m = re.search(r'String: \|-\n\s*"(.*)"', e)
if "EV_IPL" not in e or not m or m.group(1).replace("\\0", "") != "Configuration extension initrd":
    sys.exit("PCR 12 event is not EV_IPL 'Configuration extension initrd'")
d = re.search(r"AlgorithmId: sha256\s*\n\s*Digest: \"?([0-9a-fA-F]+)", e)
if not d:
    sys.exit("no sha256 digest in the PCR 12 event")
if hashlib.sha256(bytes(32) + bytes.fromhex(d.group(1))).hexdigest() != sys.argv[2]:
    sys.exit("PCR 12 sha256 is not the replay of its event")
PY

for bank in sha1 sha256; do
        got=$(vm_report "$log" "pcr $bank 11") || fail "no PCR 11 $bank in the report"
        want=$(/usr/bin/python3 "$UKIT_TOP/tests/vm/pcr11-replay.py" "$T/uki.efi" $bank)
        assert_eq "$got" "$want" "PCR 11 $bank vs independent replay"
        ukit_pcr=$("$UKIT" measure calculate --uki "$T/uki.efi" --phase= --bank $bank | sed -n 's/^11:'$bank'=//p')
        assert_eq "$got" "$ukit_pcr" "PCR 11 $bank vs ukit measure calculate"
done

# The firmware RNG (virtio-rng) seeds the kernel through the stub's table,
# and the ESP seed file was consumed and rewritten with fresh bytes.
vm_report "$log" rng | grep -q 'RNG=0x' || fail "kernel saw no LINUX_EFI_RANDOM_SEED table: $(vm_report "$log" rng)"
MTOOLS_SKIP_CHECK=1 mcopy -n -i "$T/esp.img@@1M" ::/loader/random-seed "$T/seed.after" || fail "cannot read the seed file back"
assert_eq "$(stat -c %s "$T/seed.after")" 32 "random-seed size after boot"
cmp -s "$T/esp/loader/random-seed" "$T/seed.after" && fail "random-seed was not refreshed"
echo "boot took ${VM_BOOT_SECONDS}s"
