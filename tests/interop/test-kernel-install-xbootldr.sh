#!/usr/bin/env bash
# Debian's kernel-install 252 with kernel-install/60-ukit.install, layout=uki,
# on a GPT disk (loop device) with an ESP and an XBOOTLDR partition:
#  - the UKI lands in XBOOTLDR under EFI/Linux/TOKEN-VERSION.efi, not on the ESP;
#  - bootctl 252 (the oracle) lists it as a Type #2 entry with the title,
#    version and command line we expect, and `ukit list` agrees with bootctl
#    field by field;
#  - /etc/kernel/tries gives +N, re-adding replaces the old name;
#  - `kernel-install remove` removes it; layout=bls makes the plugin a no-op.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/kernel-install-lib.sh"

ki_init
need kernel-install bootctl
ki_kernel
ki_disk "$T/disk.img" 384

# kernel-install 252 is a shell script honouring these (see its man page):
# KERNEL_INSTALL_PLUGINS (only our plugin runs, nothing in /etc or /usr/lib is
# touched), KERNEL_INSTALL_CONF_ROOT (install.conf, entry-token, tries,
# cmdline), BOOT_ROOT and MACHINE_ID.
conf=$T/conf
mkdir -p "$conf"
echo "layout=uki" >"$conf/install.conf"
echo "ukittest" >"$conf/entry-token"
echo "console=ttyS0 root=/dev/vda2 ro" >"$conf/cmdline"
export KERNEL_INSTALL_CONF_ROOT=$conf
export KERNEL_INSTALL_PLUGINS="$UKIT_TOP/kernel-install/60-ukit.install"
export BOOT_ROOT=$XB
export MACHINE_ID=0123456789abcdef0123456789abcdef

head -c 300000 /dev/urandom >"$T/initrd.img"

kernel-install --verbose add "$KVER" "$KIMG" "$T/initrd.img" >"$T/ki-add.log" 2>&1 ||
        { cat "$T/ki-add.log"; fail "kernel-install add failed"; }

uki=$XB/EFI/Linux/ukittest-$KVER.efi
[ -f "$uki" ] || { cat "$T/ki-add.log"; ls -lR "$XB" "$ESP"; fail "no UKI at $uki"; }
# (not "ls -A": fusefat shows the volume label as a file)
[ ! -e "$ESP/EFI" ] || fail "something was written to the ESP: $(find "$ESP/EFI")"
[ -z "$(ls -A "$XB/EFI/Linux" | grep '^\.#')" ] || fail "temporary file left in EFI/Linux"

# The oracle: bootctl 252 reads XBOOTLDR and parses the UKI's .osrel/.cmdline.
ki_bootctl --esp-path="$ESP" --boot-path="$XB" list >"$T/bootctl.txt" 2>"$T/bootctl.err" ||
        { cat "$T/bootctl.err"; fail "bootctl list failed"; }
grep -q "type: Boot Loader Specification Type #2 (.efi)" "$T/bootctl.txt" || { cat "$T/bootctl.txt"; fail "bootctl: no Type #2 entry"; }
ki_bootctl --esp-path="$ESP" --boot-path="$XB" list --json=short >"$T/bootctl.json" 2>/dev/null
jq -e -s --arg p "$uki" --arg root "$XB" '
        flatten | length == 1 and .[0].path == $p and .[0].root == $root' "$T/bootctl.json" >/dev/null ||
        { cat "$T/bootctl.json"; fail "bootctl does not list exactly our UKI on XBOOTLDR"; }

. /etc/os-release
assert_eq "$(jq -r -s 'flatten | .[0].title' "$T/bootctl.json")" "$PRETTY_NAME" "bootctl title"
assert_eq "$(jq -r -s 'flatten | .[0].version' "$T/bootctl.json")" "$VERSION" "bootctl version"
assert_eq "$(jq -r -s 'flatten | .[0].options' "$T/bootctl.json")" "console=ttyS0 root=/dev/vda2 ro" "bootctl options"

# ukit list must agree with bootctl on every field they share.
"$UKIT" list --esp-path="$ESP" --boot-path="$XB" --json=short >"$T/ukit.json" || fail "ukit list failed"
ki_list_fields <"$T/bootctl.json" >"$T/bootctl.fields"
ki_list_fields <"$T/ukit.json" >"$T/ukit.fields"
assert_files_equal "$T/ukit.fields" "$T/bootctl.fields" "ukit list vs bootctl list"
assert_eq "$(jq -r '.[0].partition' "$T/ukit.json")" "xbootldr" "ukit list partition"
assert_eq "$(jq -r '.[0].uname' "$T/ukit.json")" "$KVER" "ukit list uname"
assert_eq "$(jq -r '.[0].signed' "$T/ukit.json")" "false" "ukit list signature state"

# The initrd inside the UKI is the one kernel-install handed over (objcopy as oracle).
objcopy -O binary --only-section=.initrd "$uki" "$T/initrd.out" 2>/dev/null || fail "objcopy cannot read $uki"
cmp -s <(head -c "$(stat -c %s "$T/initrd.img")" "$T/initrd.out") "$T/initrd.img" || fail ".initrd differs from the input"

# Boot counting: tries=3 gives +3, and the uncounted name goes away.
echo 3 >"$conf/tries"
kernel-install add "$KVER" "$KIMG" "$T/initrd.img" >"$T/ki-add2.log" 2>&1 ||
        { cat "$T/ki-add2.log"; fail "kernel-install add (tries) failed"; }
[ -f "$XB/EFI/Linux/ukittest-$KVER+3.efi" ] || { ls -l "$XB/EFI/Linux"; fail "no +3 UKI"; }
[ ! -e "$uki" ] || fail "old UKI without counter still present"
ki_bootctl --esp-path="$ESP" --boot-path="$XB" list --json=short >"$T/bootctl.json" 2>/dev/null
assert_eq "$(jq -r -s 'flatten | .[0].triesLeft' "$T/bootctl.json")" "3" "bootctl triesLeft"
"$UKIT" list --esp-path="$ESP" --boot-path="$XB" --json=short >"$T/ukit.json" || fail "ukit list failed"
ki_list_fields <"$T/bootctl.json" >"$T/bootctl.fields"
ki_list_fields <"$T/ukit.json" >"$T/ukit.fields"
assert_files_equal "$T/ukit.fields" "$T/bootctl.fields" "ukit list vs bootctl list (tries)"
rm "$conf/tries"

# remove takes all variants away; bootctl sees nothing any more.
kernel-install remove "$KVER" >"$T/ki-rm.log" 2>&1 || { cat "$T/ki-rm.log"; fail "kernel-install remove failed"; }
[ -z "$(ls -A "$XB/EFI/Linux")" ] || fail "remove left: $(ls -A "$XB/EFI/Linux")"
ki_bootctl --esp-path="$ESP" --boot-path="$XB" list --json=short >"$T/bootctl.json" 2>/dev/null || true
assert_eq "$(jq -s 'flatten | length' "$T/bootctl.json")" "0" "bootctl entries after remove"

# Another layout: the plugin must not do anything.
echo "layout=bls" >"$conf/install.conf"
kernel-install add "$KVER" "$KIMG" "$T/initrd.img" >"$T/ki-bls.log" 2>&1 ||
        { cat "$T/ki-bls.log"; fail "kernel-install add (bls) failed"; }
[ -z "$(ls -A "$XB/EFI/Linux")" ] || fail "layout=bls: plugin wrote $(ls -A "$XB/EFI/Linux")"

# Signing from uki.conf (ukify's format) through kernel-install: Secure Boot
# key + certificate (judged by sbverify) and a PCR signing key (.pcrsig).
echo "layout=uki" >"$conf/install.conf"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/db.key" -out "$T/db.pem" \
        -days 1 -subj /CN=ukit-kernel-install-test >/dev/null 2>&1 || fail "openssl req failed"
printf '[UKI]\nSecureBootPrivateKey=%s\nSecureBootCertificate=%s\n' "$T/db.key" "$T/db.pem" >"$conf/uki.conf"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/pcr.key" 2>/dev/null
openssl pkey -in "$T/pcr.key" -pubout -out "$T/pcr.pub" 2>/dev/null
printf '\n[PCRSignature:all]\nPCRPrivateKey=%s\nPCRPublicKey=%s\n' "$T/pcr.key" "$T/pcr.pub" >>"$conf/uki.conf"
# fusefat loses small pwrite()s into a file it just extended (the
# signer patches CheckSum and the certificate-table entry in place):
# with the FUSE fallback, sign onto a tmpfs $BOOT instead.
sboot=$XB
if [ "$KI_FUSE" = 1 ]; then
        sboot=$T/sboot; mkdir -p "$sboot"
        mount -t tmpfs tmpfs "$sboot" || fail "cannot mount tmpfs"; ki_mounts+=("$sboot")
        echo "note: FUSE vfat: signed install goes to a tmpfs \$BOOT"
fi
suki=$sboot/EFI/Linux/ukittest-$KVER.efi
BOOT_ROOT=$sboot kernel-install add "$KVER" "$KIMG" "$T/initrd.img" >"$T/ki-signed.log" 2>&1 ||
        { cat "$T/ki-signed.log"; fail "kernel-install add (signed) failed"; }
sbverify --cert "$T/db.pem" "$suki" >/dev/null 2>&1 || fail "sbverify rejects the installed UKI"
"$UKIT" list --boot-path="$sboot" --json=short >"$T/ukit.json" || fail "ukit list failed"
assert_eq "$(jq -r '.[0].signature' "$T/ukit.json")" "valid" "ukit list signature state (signed)"
objdump -h "$suki" | grep -q ' \.pcrsig ' || fail "no .pcrsig in the installed UKI"
echo "ok: signed install (Secure Boot + PCR)"
BOOT_ROOT=$sboot kernel-install remove "$KVER" >/dev/null 2>&1 || fail "kernel-install remove (signed) failed"
[ ! -e "$suki" ] || fail "signed UKI not removed"
rm "$conf/uki.conf"

# Newer kernel-install protocol: with 90-uki-copy.install in the plugin list
# we only build $KERNEL_INSTALL_STAGING_AREA/uki.efi. A stand-in plugin of
# that name records what it finds (252 has no 90-uki-copy.install).
echo "layout=uki" >"$conf/install.conf"
mkdir -p "$T/plugins"
cat >"$T/plugins/90-uki-copy.install" <<EOF
#!/bin/sh
[ "\$1" = add ] && cp "\$KERNEL_INSTALL_STAGING_AREA/uki.efi" "$T/staged.efi"
exit 0
EOF
chmod +x "$T/plugins/90-uki-copy.install"
KERNEL_INSTALL_PLUGINS="$UKIT_TOP/kernel-install/60-ukit.install $T/plugins/90-uki-copy.install" \
        kernel-install add "$KVER" "$KIMG" "$T/initrd.img" >"$T/ki-new.log" 2>&1 ||
        { cat "$T/ki-new.log"; fail "kernel-install add (staging) failed"; }
[ -f "$T/staged.efi" ] || { cat "$T/ki-new.log"; fail "no uki.efi in the staging area"; }
[ -z "$(ls -A "$XB/EFI/Linux")" ] || fail "staging mode also wrote to \$BOOT"
objdump -h "$T/staged.efi" | grep -q ' \.osrel ' || fail "staged uki.efi has no .osrel"

echo "PASS"
