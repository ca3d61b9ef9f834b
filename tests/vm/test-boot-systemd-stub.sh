#!/usr/bin/env bash
# A UKI built by `ukit build` on Debian's systemd-stub 252 boots in OVMF
# (Secure Boot off) with a swtpm, and the booted kernel sees what we built
# in: /proc/cmdline equals the .cmdline section byte for byte, the files of
# both --initrd archives are present with the right content (the second one
# only arrives if the concatenation is padded correctly: the first is a
# gzip whose size is chosen not to be a multiple of 4), the stub ran (its
# EFI variables) and measured into PCR 11.
# Oracles: the real firmware, stub and kernel; sha256sum on both sides.
. "$(dirname "$0")/../lib.sh"
. "$UKIT_TOP/tests/vm/lib.sh"

stub=/usr/lib/systemd/boot/efi/linuxx64.efi.stub
[ -f "$stub" ] || skip "systemd-boot-efi not installed ($stub)"
# the binary is built in src/ukit/ (scripts/test.sh points UKIT at $UKIT_BUILD/ukit)
[ -x "$UKIT" ] || skip "no ukit binary at $UKIT"
"$UKIT" build --help >/dev/null 2>&1 || skip "ukit build is not available in $UKIT"

kernel=$(vm_kernel)
kver=${kernel##*/vmlinuz-}

# The first initrd: busybox + report init + a text file + a binary blob.
printf 'hello from the host\n' >"$T/hello.txt"
for n in $(seq 4001 4040); do
        head -c "$n" /dev/urandom >"$T/blob"
        vm_initrd "$T/initrd.img" "$T/hello.txt" "$T/blob"
        [ $(( $(stat -c %s "$T/initrd.img") % 4 )) != 0 ] && break
done
[ $(( $(stat -c %s "$T/initrd.img") % 4 )) != 0 ] || fail "could not make an initrd of unaligned size"
# The second initrd: a plain newc cpio adding /ukit/second/marker.
mkdir -p "$T/second/ukit/second"
echo "second initrd $RANDOM" >"$T/second/ukit/second/marker"
vm_cpio "$T/second.cpio" "$T/second"

# quoted value with a space: the kernel must get it verbatim
cmdline='console=ttyS0 panic=-1 quiet ukit.scenario=boot-systemd-stub ukit.q="two words"'
printf 'ID=ukittest\nNAME="ukit VM test"\nPRETTY_NAME="ukit VM test %s"\nVERSION_ID=1\n' "$kver" >"$T/os-release"

"$UKIT" build --stub "$stub" --linux "$kernel" --initrd "$T/initrd.img" --initrd "$T/second.cpio" \
        --cmdline "$cmdline" --os-release "@$T/os-release" --output "$T/uki.efi" ||
        fail "ukit build failed"

mkdir -p "$T/esp/EFI/BOOT"
cp "$T/uki.efi" "$T/esp/EFI/BOOT/BOOTX64.EFI"
vm_esp "$T/esp" "$T/esp.img"
log=$T/serial.log
vm_run "$T/esp.img" "$log" --timeout 180 || { tail -n 40 "$log" >&2; fail "the UKI did not boot to a complete report"; }
echo "boot time: ${VM_BOOT_SECONDS}s"
vm_report_lines "$log" | grep -v '^pcr sha\(384\|512\)' | sed 's/^/guest: /'

assert_eq "$(vm_report "$log" uname)" "$kver" "guest kernel release"
assert_eq "$(vm_report "$log" cmdline)" "$cmdline" "/proc/cmdline"
assert_eq "$(vm_report "$log" secureboot)" 0 "SecureBoot"

for f in hello.txt blob; do
        assert_eq "$(vm_report "$log" "file /ukit/$f sha256")" "$(sha256sum <"$T/$f" | cut -d' ' -f1)" "/ukit/$f in the guest"
done
assert_eq "$(vm_report "$log" "file /ukit/second/marker sha256")" \
        "$(sha256sum <"$T/second/ukit/second/marker" | cut -d' ' -f1)" "second initrd's /ukit/second/marker"

# the stub that ran is Debian's 252, it told the OS where it came from
stubinfo=$(vm_report "$log" "efivar StubInfo") || fail "no StubInfo variable"
[[ "$stubinfo" == "systemd-stub 252"* ]] || fail "StubInfo: got '$stubinfo', expected systemd-stub 252*"
assert_eq "$(vm_report "$log" "efivar StubPcrKernelImage")" 11 "StubPcrKernelImage"
partuuid=$(vm_report "$log" "efivar LoaderDevicePartUUID") || fail "no LoaderDevicePartUUID"
assert_eq "${partuuid,,}" "$VM_ESP_PART_UUID" "LoaderDevicePartUUID"

assert_eq "$(vm_report "$log" tpm)" 1 "TPM present in the guest"
zero40=$(printf '0%.0s' $(seq 40)); zero64=$(printf '0%.0s' $(seq 64))
pcr1=$(vm_report "$log" "pcr sha1 11") || fail "no sha1 PCR 11"
pcr256=$(vm_report "$log" "pcr sha256 11") || fail "no sha256 PCR 11"
[[ "$pcr1" =~ ^[0-9a-f]{40}$ ]] && [ "$pcr1" != "$zero40" ] || fail "sha1 PCR 11 not measured: '$pcr1'"
[[ "$pcr256" =~ ^[0-9a-f]{64}$ ]] && [ "$pcr256" != "$zero64" ] || fail "sha256 PCR 11 not measured: '$pcr256'"
echo "PASS: booted in ${VM_BOOT_SECONDS}s; PCR 11 sha256 $pcr256"
