#!/usr/bin/env bash
# ukit-stub against systemd-stub 257 (the Debian 13 oracle root) on one
# multi-profile UKI with microcode, built by ukify 257 twice: with stub 257
# and with ukit-stub (same inputs, only the stub differs). Each is booted
# from the UEFI shell with no profile, "@1" and "@2" + a user command line.
# Compared across the two stubs, per boot: /proc/cmdline, every file under
# /ukit and /.extra (the profile's /.extra/profile, /.extra/os-release), the
# early microcode file the kernel found in the first archive, StubProfile,
# StubFeatures' profile bit, PCR 12 (profile event, user command line) in
# sha1 and sha256 and the types and digests of the PCR 12 events; PCR 11 of
# each boot against systemd-measure 257 run on that profile's sections
# (the .sbat differs with the stub, so PCR 11 differs across stubs).
. "$(dirname "$0")/../lib.sh"
. "$UKIT_TOP/tests/vm/lib.sh"
need tpm2_eventlog
STUB=$UKIT_BUILD/src/stub/ukit-stub.efi
[ -f "$STUB" ] || fail "$STUB not built"
vm_oracle_257

cp "$(vm_kernel)" "$W/vmlinuz"
cp "$STUB" "$W/ukit-stub.efi"
# The kernel unpacks every archive into the rootfs, so the microcode file
# the early loader looks for is also a file the guest can report.
cat >"$W/ucode-hook.sh" <<'EOF'
f=/kernel/x86/microcode/GenuineIntel.bin
if [ -f $f ]; then report "ucode sha256=$(sha256sum $f | cut -d' ' -f1)"; else report "ucode=missing"; fi
EOF
vm_initrd "$W/initrd.img" --eventlog --hook "$W/ucode-hook.sh"
mkdir -p "$W/uc/kernel/x86/microcode"
head -c 3000 /dev/urandom >"$W/uc/kernel/x86/microcode/GenuineIntel.bin"
vm_cpio "$W/ucode.cpio" "$W/uc"
printf 'ID=ukittest\nVERSION_ID=257\nPRETTY_NAME="ukit profile test"\n' >"$W/os-release"

in257 ukify build --profile='ID=one
TITLE=Profile one' --cmdline='console=ttyS0 ukit.profile=one' --output="$W/p1.efi" >/dev/null ||
        fail "ukify 257: profile 1"
in257 ukify build --profile='ID=two
TITLE=Profile two' --cmdline='console=ttyS0 ukit.profile=two' --output="$W/p2.efi" >/dev/null ||
        fail "ukify 257: profile 2"
for s in sd ukit; do
        stub=/usr/lib/systemd/boot/efi/linuxx64.efi.stub; [ $s = ukit ] && stub=$W/ukit-stub.efi  # paths inside the root
        in257 ukify build --stub="$stub" --linux="$W/vmlinuz" --initrd="$W/initrd.img" --microcode="$W/ucode.cpio" \
                --cmdline='console=ttyS0 ukit.profile=base' --os-release="@$W/os-release" --uname=6.1.0-test \
                --join-profile="$W/p1.efi" --join-profile="$W/p2.efi" --output="$W/$s.efi" >/dev/null ||
                fail "ukify 257 build with $s stub failed"
done

# pcr11_oracle UKI PROFILE: PCR 11 (sha1 and sha256 lines "BANK=HEX") from
# systemd-measure 257 on the sections stub 257 measures for that profile:
# the base ones (before the first .profile) replaced by the profile's own.
pcr11_oracle() {
        local uki=$1 p=$2 d=$W/sec-$(basename "$1" .efi)-$2
        rm -rf "$d"; mkdir -p "$d"
        /usr/bin/python3 - "$uki" "$p" "$d" <<'EOF' || return 1
import os, sys, pefile
uki, want, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
known = [".linux", ".osrel", ".cmdline", ".initrd", ".ucode", ".splash", ".dtb", ".uname", ".sbat",
         ".pcrpkey", ".profile", ".dtbauto", ".hwids"]
pe = pefile.PE(uki, fast_load=True)
base, prof, n = {}, {}, 0
for s in pe.sections:
    name = s.Name.rstrip(b"\0").decode()
    if name not in known:
        continue
    if name == ".profile":
        n += 1
    slot = base if n == 0 else prof if n - 1 == want else None
    if slot is not None and name not in slot:
        slot[name] = s.get_data()[:s.Misc_VirtualSize].ljust(s.Misc_VirtualSize, b"\0")
for name, data in {**base, **prof}.items():
    open(os.path.join(out, name[1:]), "wb").write(data)
EOF
        local args=() f
        for f in "$d"/*; do args+=("--${f##*/}=$f"); done
        in257 /usr/lib/systemd/systemd-measure calculate --phase= --bank=sha1 --bank=sha256 "${args[@]}" 2>/dev/null |
                sed 's/^11://'
}

# pcr12_events LOG: "TYPE DIGEST" of each PCR 12 event (sha256), in log order.
pcr12_events() {
        vm_eventlog "$1" "$1.bin"
        tpm2_eventlog "$1.bin" 2>/dev/null | awk '
                /^- EventNum:/ { pcr = ""; type = "" }
                /^  PCRIndex:/ { pcr = $2 }
                /^  EventType:/ { type = $2 }
                /AlgorithmId: sha256/ { want = 1; next }
                want && /Digest:/ { gsub(/"/, "", $2); if (pcr == 12) print type, $2; want = 0 }'
}

files() { vm_report_lines "$1" | grep -E '^(file |ucode)' | sort; }
boot_args=("" "@1" "@2 ukit.user=1 console=ttyS0")
for i in 0 1 2; do
        args=${boot_args[$i]}
        for s in sd ukit; do
                rm -rf "$W/esp" && mkdir -p "$W/esp"
                cp "$W/$s.efi" "$W/esp/uki.efi"
                vm_swtpm_start "$W/swtpm-$s-$i"
                # shellcheck disable=SC2086
                vm_shell_boot "$W/esp" "$W/$s-$i.log" uki.efi $args
        done
        a=$W/sd-$i.log b=$W/ukit-$i.log what="profile $i (${args:-no arguments})"
        assert_eq "$(vm_report "$b" cmdline)" "$(vm_report "$a" cmdline)" "$what: /proc/cmdline"
        echo "$what: the kernel saw: $(vm_report "$a" cmdline)"
        [ -n "$(files "$a")" ] || fail "$what: stub 257 boot reported no files"
        assert_eq "$(files "$b")" "$(files "$a")" "$what: initrd files and microcode"
        assert_eq "$(vm_report "$a" "ucode sha256")" "$(sha256sum <"$W/uc/kernel/x86/microcode/GenuineIntel.bin" | cut -d' ' -f1)" \
                "$what: microcode under stub 257"
        vm_report_has "$b" "file /.extra/profile sha256" || fail "$what: no /.extra/profile"
        vm_report_has "$b" "file /.extra/os-release sha256" || fail "$what: no /.extra/os-release"
        assert_eq "$(vm_report "$b" "efivar StubProfile")" "$(vm_report "$a" "efivar StubProfile")" "$what: StubProfile"
        for s in sd ukit; do
                f=$(vm_report "$W/$s-$i.log" "efivar StubFeatures"); f=${f#hex:}
                (( (0x${f:2:2} & 0x02) != 0 )) || fail "$what: $s: StubFeatures $f lacks MULTI_PROFILE_UKI (0x200)"
        done
        for bank in sha1 sha256; do
                assert_eq "$(vm_report "$b" "pcr $bank 12")" "$(vm_report "$a" "pcr $bank 12")" "$what: PCR 12 $bank"
        done
        assert_eq "$(pcr12_events "$b")" "$(pcr12_events "$a")" "$what: PCR 12 events (type, sha256)"
        [ $i = 0 ] || [ -n "$(pcr12_events "$a")" ] || fail "$what: stub 257 measured nothing into PCR 12"
        for s in sd ukit; do
                want=$(pcr11_oracle "$W/$s.efi" $i) || fail "$what: cannot predict PCR 11 of $s.efi"
                got=$(printf 'sha1=%s\nsha256=%s' "$(vm_report "$W/$s-$i.log" "pcr sha1 11")" \
                        "$(vm_report "$W/$s-$i.log" "pcr sha256 11")")
                assert_eq "$got" "$want" "$what: $s stub: PCR 11 vs systemd-measure 257 on the profile's sections"
        done
done
echo "ok: profiles 0-2, microcode, /.extra, StubProfile, PCR 11/12 agree with systemd-stub 257"
