#!/usr/bin/env bash
# mkosi 25 (the Debian 13 oracle root) builds a Format=uki image of a
# minimal custom distribution (Distribution=custom: busybox and the VM
# test's /init as the whole tree, Debian's signed kernel in
# /usr/lib/modules/VER/vmlinuz, systemd-stub 257 in the tree) twice: once
# with ukify 257, once with ukit through its ukify-compatible entry point
# (ukify-compat/ukify, found by mkosi through ExtraSearchPaths=). Judged by
# outside tools only:
#  - the two UKIs have the same sections, byte for byte (pefile); the PE
#    headers may differ only in TimeDateStamp;
#  - mkosi's split kernel (SplitArtifacts=kernel) of ukit's UKI verifies
#    against Debian's signature with sbverify;
#  - both UKIs boot in QEMU/OVMF with swtpm: /proc/cmdline is mkosi's
#    KernelCommandLine=, the booted tree's os-release is the UKI's .osrel,
#    and PCR 11 (sha1, sha256) equals systemd-measure 257's prediction on
#    the UKI's sections.
. "$(dirname "$0")/../lib.sh"
. "$UKIT_TOP/tests/vm/lib.sh"
need sbverify osslsigncode openssl unshare
vm_oracle_257
[ -d "$ROOT/usr/lib/python3/dist-packages/mkosi" ] || fail "no mkosi in the 257 oracle root"
in257 mkosi --version | grep -q '^mkosi 25' || fail "the oracle's mkosi is not 25"
UKIT_BIN=$(realpath "$UKIT")

kernel=$(vm_kernel)
kver=${kernel##*/vmlinuz-}
cat >"$W/osrel-hook.sh" <<'EOF'
report "osrel sha256=$(sha256sum /usr/lib/os-release | cut -d' ' -f1)"
EOF
vm_initrd "$W/base.img" --hook "$W/osrel-hook.sh"

# The custom distribution: the test initrd's tree + kernel + stub 257.
mkdir -p "$W/tree"
(cd "$W/tree" && zcat "$W/base.img" | cpio -id --quiet) || fail "cannot unpack the test initrd"
mkdir -p "$W/tree/usr/lib/modules/$kver" "$W/tree/usr/lib/systemd/boot/efi"
cp "$kernel" "$W/tree/usr/lib/modules/$kver/vmlinuz"
# the tree has no modules; mkosi runs depmod chrooted into the tree: a no-op one
mkdir -p "$W/tree/usr/bin"
printf '#!/bin/busybox sh\nexit 0\n' >"$W/tree/usr/bin/depmod"; chmod 755 "$W/tree/usr/bin/depmod"
cp "$ROOT/usr/lib/systemd/boot/efi/linuxx64.efi.stub" "$W/tree/usr/lib/systemd/boot/efi/"
printf 'ID=ukitmini\nVERSION_ID=1\nPRETTY_NAME="ukit minimal mkosi image"\n' >"$W/tree/usr/lib/os-release"

# ukit as mkosi sees it: the entry point as `meson -Dukify_compat=true`
# installs it, calling a ukit that runs inside mkosi's sandbox (the
# oracle root's /usr): ukit with the host's loader and libraries.
mkdir -p "$W/compat/lib"
cp "$UKIT_BIN" "$W/compat/ukit.bin"
while read -r line; do
        case "$line" in
        *' => '/*) lib=${line#* => }; lib=${lib%% (*}; cp -L "$lib" "$W/compat/lib/${line%% => *}" ;;
        /*) cp -L "${line%% (*}" "$W/compat/lib/ld.so" ;;
        esac
done < <(ldd "$UKIT_BIN")
printf '#!/bin/sh\necho ukit-entry-point >&2\nexec %s/compat/lib/ld.so --library-path %s/compat/lib %s/compat/ukit.bin "$@"\n' \
        "$W" "$W" "$W" >"$W/compat/ukit"
chmod 755 "$W/compat/ukit"
sed "s|@UKIT@|$W/compat/ukit|g" "$UKIT_TOP/ukify-compat/ukify.in" >"$W/compat/ukify"
chmod 755 "$W/compat/ukify"
in257 "$W/compat/ukify" --version | grep -q '^ukify 2[5-9][0-9]' || fail "ukit's entry point does not run in the oracle root"

CMDLINE="console=ttyS0 ukit.mkosi=1"
for tool in ukify ukit; do
        d=$W/mk-$tool; mkdir -p "$d"
        extra=""; [ $tool = ukit ] && extra="ExtraSearchPaths=$W/compat"
        cat >"$d/mkosi.conf" <<EOF
[Distribution]
Distribution=custom
Architecture=x86-64

[Output]
Format=uki
Output=image
OutputDirectory=$d/out
CompressOutput=no
SplitArtifacts=uki,kernel

[Content]
Bootable=yes
SkeletonTrees=$W/tree
KernelCommandLine=$CMDLINE
SourceDateEpoch=1700000000

[Build]
WorkspaceDirectory=$W/work-$tool
$extra
EOF
        mkdir -p "$d/out" "$W/work-$tool"
        (cd "$d" && in257 sh -c "cd $d && mkosi --force build") >"$d.log" 2>&1 ||
                { tail -n 30 "$d.log"; fail "mkosi 25 with $tool failed"; }
        uki=$(find "$d/out" -maxdepth 1 -name '*.efi' | head -n1)
        [ -f "$uki" ] || fail "mkosi with $tool made no UKI ($(ls "$d/out"))"
        cp "$uki" "$W/$tool.efi"
done
grep -q '^ukit-entry-point$' "$W/mk-ukit.log" || fail "mkosi did not run ukit's entry point"
grep -q '^ukit-entry-point$' "$W/mk-ukify.log" && fail "test assumption: the ukify build ran ukit"

# 1. same sections; headers differ at most in TimeDateStamp
/usr/bin/python3 - "$W/ukify.efi" "$W/ukit.efi" <<'EOF' || fail "ukit's UKI differs from ukify 257's"
import pefile, sys
a, b = (pefile.PE(p, fast_load=True) for p in sys.argv[1:3])
def secs(pe):
    return [(s.Name.rstrip(b"\0").decode(), s.Misc_VirtualSize, s.get_data()[:s.Misc_VirtualSize]) for s in pe.sections]
sa, sb = secs(a), secs(b)
print("ukify 257:", " ".join(n for n, _, _ in sa))
print("ukit     :", " ".join(n for n, _, _ in sb))
assert [x[:2] for x in sa] == [x[:2] for x in sb], "section names or sizes differ"
for x, y in zip(sa, sb):
    assert x[2] == y[2], f"section {x[0]} content differs"
if a.FILE_HEADER.TimeDateStamp != b.FILE_HEADER.TimeDateStamp:
    print("TimeDateStamp differs:", a.FILE_HEADER.TimeDateStamp, b.FILE_HEADER.TimeDateStamp)
EOF

# 2. the kernel mkosi split out of ukit's UKI keeps Debian's signature
split=$(find "$W/mk-ukit/out" -maxdepth 1 -name '*.vmlinuz' | head -n1)
[ -f "$split" ] || fail "mkosi split no kernel out of ukit's UKI ($(ls "$W/mk-ukit/out"))"
osslsigncode extract-signature -in "$kernel" -out "$W/kernel.p7" >/dev/null || fail "cannot extract the kernel's signature"
openssl pkcs7 -inform DER -in "$W/kernel.p7" -print_certs -out "$W/debian-signer.pem"
sbverify --cert "$W/debian-signer.pem" "$split" >/dev/null 2>&1 || fail "the split kernel fails sbverify"
sbverify --cert "$W/debian-signer.pem" "$kernel" >/dev/null 2>&1 || fail "test assumption: Debian's kernel fails sbverify"

# 3. both boot; cmdline, os-release, PCR 11 against systemd-measure 257
mkdir -p "$W/sec"
/usr/bin/python3 - "$W/ukit.efi" "$W/sec" <<'EOF' || fail "cannot split the sections"
import os, sys, pefile
pe = pefile.PE(sys.argv[1], fast_load=True)
for s in pe.sections:
    n = s.Name.rstrip(b"\0").decode()
    if n in (".linux", ".osrel", ".cmdline", ".initrd", ".ucode", ".splash", ".dtb", ".uname", ".sbat", ".pcrpkey"):
        open(os.path.join(sys.argv[2], n[1:]), "wb").write(s.get_data()[:s.Misc_VirtualSize].ljust(s.Misc_VirtualSize, b"\0"))
EOF
args=(); for f in "$W"/sec/*; do args+=("--${f##*/}=$f"); done
want=$(in257 /usr/lib/systemd/systemd-measure calculate --phase= --bank=sha1 --bank=sha256 "${args[@]}" | sed 's/^11://') ||
        fail "systemd-measure 257 failed"
osrel=$(sha256sum <"$W/sec/osrel" | cut -d' ' -f1)
for tool in ukify ukit; do
        rm -rf "$W/esp"; mkdir -p "$W/esp/EFI/BOOT"
        cp "$W/$tool.efi" "$W/esp/EFI/BOOT/BOOTX64.EFI"
        vm_esp "$W/esp" "$W/esp.img"
        vm_swtpm_start "$W/swtpm-$tool"
        vm_run "$W/esp.img" "$W/$tool.log" || fail "$tool's UKI: no report (see $W/$tool.log)"
        assert_eq "$(vm_report "$W/$tool.log" cmdline)" "$CMDLINE" "$tool's UKI: /proc/cmdline"
        assert_eq "$(vm_report "$W/$tool.log" "osrel sha256")" "$osrel" "$tool's UKI: os-release of the booted tree"
        got=$(printf 'sha1=%s\nsha256=%s' "$(vm_report "$W/$tool.log" "pcr sha1 11")" "$(vm_report "$W/$tool.log" "pcr sha256 11")")
        assert_eq "$got" "$want" "$tool's UKI: PCR 11 vs systemd-measure 257"
        echo "ok: mkosi + $tool UKI boots (cmdline, os-release, PCR 11)"
done
echo PASS
