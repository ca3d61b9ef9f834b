#!/usr/bin/env bash
# Drop-in check: the same inputs built with Debian's systemd-stub 252 and
# with ukit-stub boot to the same /proc/cmdline and the same initrd files
# (two initrds, concatenated by `ukit build`, the /.extra files made from
# .pcrsig and .pcrpkey, credentials and a sysext picked up from the ESP),
# and the same PCR 12 and 13 (the generated archives are measured byte for
# byte). The variables each stub
# exports are printed for docs/stub-differences.md; the ones systemd in the
# booted OS relies on must be there with equal values.
. "$(dirname "$0")/../lib.sh"
. "$UKIT_TOP/tests/vm/lib.sh"
STUB=$UKIT_BUILD/src/stub/ukit-stub.efi
SDSTUB=/usr/lib/systemd/boot/efi/linuxx64.efi.stub
[ -f "$STUB" ] || fail "$STUB not built"
[ -f "$SDSTUB" ] || skip "systemd-boot-efi not installed ($SDSTUB)"

kernel=$(vm_kernel)
head -c 200000 /dev/urandom >"$T/blob"
echo one >"$T/one.txt"
vm_initrd "$T/initrd1.img" "$T/blob" "$T/one.txt"
mkdir -p "$T/extra/ukit/second"
echo two >"$T/extra/ukit/second/two.txt"
vm_cpio "$T/initrd2.cpio" "$T/extra"
printf 'ID=ukittest\nVERSION_ID=7\n' >"$T/os-release"
need openssl
openssl genrsa -out "$T/pcr.pem" 2048 2>/dev/null || fail "openssl genrsa failed"
cmdline="console=ttyS0 quiet ukit.compat=1 with=\"quoted words\" unicode=ä"

for s in sd ukit; do
        stub=$STUB; [ $s = sd ] && stub=$SDSTUB
        "$UKIT" build --stub "$stub" --linux "$kernel" --initrd "$T/initrd1.img" --initrd "$T/initrd2.cpio" \
                --cmdline "$cmdline" --os-release "@$T/os-release" --uname 6.1.0-test \
                --pcr-private-key "$T/pcr.pem" --pcr-banks sha256 --phases enter-initrd \
                -o "$T/$s.efi" || fail "ukit build --stub $stub failed"
        rm -rf "$T/esp" && mkdir -p "$T/esp/EFI/BOOT"
        cp "$T/$s.efi" "$T/esp/EFI/BOOT/BOOTX64.EFI"
        # ESP pick-up: per-image and global credentials, a sysext; files
        # that must be ignored (wrong suffix, hidden)
        d=$T/esp/EFI/BOOT/BOOTX64.EFI.extra.d
        mkdir -p "$d" "$T/esp/loader/credentials"
        printf 'secret-b' >"$d/b.cred"; printf 'secret-a\n' >"$d/a.cred"
        printf 'ignored' >"$d/notes.txt"; printf 'hidden' >"$d/.hidden.cred"
        head -c 5000 /dev/zero | tr '\0' 'S' >"$d/ext.raw"
        printf 'global' >"$T/esp/loader/credentials/g.cred"
        vm_esp "$T/esp" "$T/esp-$s.img"
        vm_run "$T/esp-$s.img" "$T/$s.log" || fail "$s stub: boot failed (see $T/$s.log)"
done

assert_eq "$(vm_report "$T/ukit.log" cmdline)" "$(vm_report "$T/sd.log" cmdline)" "/proc/cmdline ukit-stub vs systemd-stub"
# .pcrsig signs each stub's own PCR 11 values, so it differs between the two
# UKIs: compare it with its section, everything else across the stubs.
# /.extra/os-release is new in systemd-stub 257, which ukit-stub follows
# (docs/stub-differences.md); 252 has no such file.
files() { vm_report_lines "$1" | grep '^file ' | grep -v -e '^file /.extra/tpm2-pcr-signature.json ' \
        -e '^file /.extra/os-release ' | sort; }
[ -n "$(files "$T/sd.log")" ] || fail "systemd-stub boot reported no files"
assert_eq "$(files "$T/ukit.log")" "$(files "$T/sd.log")" "initrd files ukit-stub vs systemd-stub"
for f in /ukit/second/two.txt /.extra/tpm2-pcr-public-key.pem /.extra/credentials/a.cred /.extra/credentials/b.cred \
         /.extra/global_credentials/g.cred /.extra/sysext/ext.raw; do
        vm_report_has "$T/ukit.log" "file $f sha256" || fail "$f missing in the ukit-stub boot"
done
for s in sd ukit; do
        want=$(/usr/bin/python3 -c '
import hashlib, sys, pefile
pe = pefile.PE(sys.argv[1], fast_load=True)
s = next(s for s in pe.sections if s.Name.rstrip(b"\0") == b".pcrsig")
print(hashlib.sha256(s.get_data()[:s.Misc_VirtualSize]).hexdigest())' "$T/$s.efi") || fail "cannot read .pcrsig of $s.efi"
        assert_eq "$(vm_report "$T/$s.log" "file /.extra/tpm2-pcr-signature.json sha256")" "$want" "$s: /.extra/tpm2-pcr-signature.json"
done

# The generated archives are measured as a whole: same bytes, same PCRs.
for pcr in 12 13; do
        for bank in sha1 sha256; do
                a=$(vm_report "$T/sd.log" "pcr $bank $pcr"); b=$(vm_report "$T/ukit.log" "pcr $bank $pcr")
                [ "$a" != "$(printf '%0*d' ${#a} 0)" ] || fail "PCR $pcr $bank is zero under systemd-stub: test proves nothing"
                assert_eq "$b" "$a" "PCR $pcr $bank ukit-stub vs systemd-stub"
        done
done

# Variables: print both sets; the common ones systemd reads must agree.
vars() { vm_report_lines "$1" | sed -n 's/^efivar //p' | sort; }
echo "--- systemd-stub 252 exports:"; vars "$T/sd.log"
echo "--- ukit-stub exports:"; vars "$T/ukit.log"
for v in LoaderDevicePartUUID LoaderImageIdentifier LoaderFirmwareType LoaderFirmwareInfo \
         StubPcrKernelImage StubPcrKernelParameters StubPcrInitRDSysExts; do
        a=$(vm_report "$T/sd.log" "efivar $v" || echo absent)
        b=$(vm_report "$T/ukit.log" "efivar $v" || echo absent)
        assert_eq "$b" "$a" "variable $v"
done
