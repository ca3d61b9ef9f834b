#!/usr/bin/env bash
# ukit install failure injection: $BOOT too small, full $BOOT, missing
# initrd, bad tries file, unreadable Secure Boot key, EFI/Linux symlinked out
# of the partition. Every time: non-zero exit, one clear error line naming
# the problem, the previously installed UKI byte-identical (sha256 before and
# after), and no temporary file left in EFI/Linux.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/kernel-install-lib.sh"

ki_init
need mount umount objdump
ki_kernel

boot=$T/boot
mkdir -p "$boot"
ksize=$(stat -c %s "$KIMG")
# Room for one UKI with a small initrd (+ the 1 MiB margin), not for two.
mb=$(( (ksize / 1048576) + 4 ))
mount -t tmpfs -o size=${mb}m tmpfs "$boot" || skip "cannot mount tmpfs"
ki_mounts+=("$boot")

conf=$T/conf
mkdir -p "$conf"
echo "quiet" >"$conf/cmdline"
export KERNEL_INSTALL_CONF_ROOT=$conf
head -c 100000 /dev/urandom >"$T/initrd-small"

inst() { "$UKIT" install --boot-path="$boot" --entry-token=literal:fail "$@"; }

inst "$KVER" "$KIMG" "$T/initrd-small" 2>"$T/first.err" || { cat "$T/first.err"; fail "first install failed"; }
uki=$boot/EFI/Linux/fail-$KVER.efi
[ -f "$uki" ] || fail "no UKI installed"
objdump -h "$uki" | grep -q ' \.linux ' || fail "installed UKI has no .linux (objdump)"
before=$(ki_sum "$uki")

# expect_fail WHAT PATTERN CMD...: fails, one error line matching PATTERN,
# UKI unchanged, no temp files.
expect_fail() {
        local what=$1 pat=$2; shift 2
        if "$@" >"$T/out" 2>"$T/err"; then
                fail "$what: succeeded unexpectedly"
        fi
        grep -v '^Wrote ' "$T/err" | grep -v ': warning: ' >"$T/err.lines" || true
        [ "$(wc -l <"$T/err.lines")" = 1 ] || { cat "$T/err"; fail "$what: expected one error line"; }
        grep -qE "$pat" "$T/err.lines" || { cat "$T/err"; fail "$what: error does not match /$pat/"; }
        assert_eq "$(ki_sum "$uki")" "$before" "$what: previous UKI checksum"
        [ -z "$(ls -A "$boot/EFI/Linux" | grep -v "^fail-$KVER.efi\$")" ] ||
                fail "$what: left behind: $(ls -A "$boot/EFI/Linux")"
        echo "ok: $what: $(cat "$T/err.lines")"
}

# 1. $BOOT too small for the new UKI: refused before writing anything.
head -c $(( 4 * 1048576 )) /dev/urandom >"$T/initrd-big"
expect_fail "too small" "not enough free space" inst "$KVER" "$KIMG" "$T/initrd-big"

# 2. $BOOT full: a filler leaves less than the small rebuild needs.
avail=$(( $(stat -f -c %a "$boot") * $(stat -f -c %S "$boot") ))
head -c $(( avail - 65536 )) /dev/zero >"$boot/filler"
expect_fail "disk full" "not enough free space" inst "$KVER" "$KIMG" "$T/initrd-small"
rm "$boot/filler"

# 2b. The config adds a big initrd: counted in the estimate too.
printf '[UKI]\nInitrd=%s\n' "$T/initrd-big" >"$T/big.conf"
expect_fail "config initrd too big" "not enough free space" inst --config="$T/big.conf" "$KVER" "$KIMG"

# 3. Missing initrd.
expect_fail "missing initrd" "$T/nonexistent: No such file or directory" inst "$KVER" "$KIMG" "$T/nonexistent"

# 4. Missing kernel.
expect_fail "missing kernel" "$T/vmlinuz-none: No such file or directory" inst "$KVER" "$T/vmlinuz-none"

# 5. A tries file that is not a number.
echo "three" >"$conf/tries"
expect_fail "bad tries" "tries: does not contain a number" inst "$KVER" "$KIMG" "$T/initrd-small"
rm "$conf/tries"

# 6. EFI/Linux is a symlink out of the partition: refused.
mv "$boot/EFI/Linux" "$boot/EFI/Linux.real"
mkdir -p "$T/elsewhere"
ln -s "$T/elsewhere" "$boot/EFI/Linux"
if inst "$KVER" "$KIMG" "$T/initrd-small" 2>"$T/err"; then fail "symlinked EFI/Linux: accepted"; fi
grep -q "symlink or on another file system" "$T/err" || { cat "$T/err"; fail "symlinked EFI/Linux: wrong error"; }
[ -z "$(ls -A "$T/elsewhere")" ] || fail "wrote outside \$BOOT: $(ls -A "$T/elsewhere")"
rm "$boot/EFI/Linux"
mv "$boot/EFI/Linux.real" "$boot/EFI/Linux"
echo "ok: symlinked EFI/Linux refused"

# 8. Missing config file given explicitly.
expect_fail "missing config" "$T/no.conf: No such file or directory" inst --config="$T/no.conf" "$KVER" "$KIMG" "$T/initrd-small"

# After all this, a normal reinstall still works and replaces the file.
# Replacing atomically needs room for the old and the new UKI at once.
mount -o remount,size=$(( mb * 2 + 4 ))m "$boot" || fail "cannot grow the tmpfs"

# 7. Unreadable Secure Boot key in uki.conf: ukit build fails, old UKI stays
#    (with room for a new UKI, so that the build itself is what fails).
echo "not a key" >"$T/bad.key"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/good.key" -out "$T/cert.pem" \
        -days 1 -subj /CN=ukit-test >/dev/null 2>&1 || fail "openssl req failed"
printf '[UKI]\nSecureBootPrivateKey=%s\nSecureBootCertificate=%s\n' "$T/bad.key" "$T/cert.pem" >"$T/uki.conf"
expect_fail "bad key" "bad.key" inst --config="$T/uki.conf" "$KVER" "$KIMG" "$T/initrd-small"
printf '[UKI]\nSecureBootPrivateKey=%s\nSecureBootCertificate=%s\n' "$T/none.key" "$T/cert.pem" >"$T/uki.conf"
expect_fail "missing key" "none.key" inst --config="$T/uki.conf" "$KVER" "$KIMG" "$T/initrd-small"

inst --cmdline="quiet splash" "$KVER" "$KIMG" "$T/initrd-small" 2>"$T/err" || { cat "$T/err"; fail "reinstall failed"; }
[ "$(ki_sum "$uki")" != "$before" ] || fail "reinstall did not change the UKI"
objcopy -O binary --only-section=.cmdline "$uki" "$T/cmdline.out"
assert_eq "$(tr -d '\0' <"$T/cmdline.out")" "quiet splash" ".cmdline after reinstall"

# Cmdline= in the config wins over kernel-install's cmdline file.
printf '[UKI]\nCmdline=from the config\n' >"$T/cmdline.conf"
inst --config="$T/cmdline.conf" "$KVER" "$KIMG" "$T/initrd-small" 2>"$T/err" || { cat "$T/err"; fail "install with Cmdline= failed"; }
objcopy -O binary --only-section=.cmdline "$uki" "$T/cmdline.out"
assert_eq "$(tr -d '\0' <"$T/cmdline.out")" "from the config" ".cmdline from the config"

# Signature state in ukit list, judged by sbsign/sbverify: unsigned, then
# signed by sbsign (valid), then one byte of .linux changed (mismatch).
if command -v sbsign >/dev/null && command -v sbverify >/dev/null; then
        openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/db.key" -out "$T/db.pem" \
                -days 1 -subj /CN=ukit-list-test >/dev/null 2>&1 || fail "openssl req failed"
        sig() { "$UKIT" list --boot-path="$boot" --json=short | jq -r '.[0].signature'; }
        assert_eq "$(sig)" "unsigned" "signature state before signing"
        sbsign --key "$T/db.key" --cert "$T/db.pem" --output "$uki" "$uki" 2>/dev/null || fail "sbsign failed"
        sbverify --cert "$T/db.pem" "$uki" >/dev/null 2>&1 || fail "sbverify rejects the sbsign'ed UKI"
        assert_eq "$(sig)" "valid" "signature state after sbsign"
        assert_eq "$("$UKIT" list --boot-path="$boot" --json=short | jq -r '.[0].signer')" "/CN=ukit-list-test" "signer"
        off=$(( 0x$(objdump -h "$uki" | awk '$2 == ".linux" { print $6 }') + 4096 ))
        printf 'X' | dd of="$uki" bs=1 seek="$off" conv=notrunc 2>/dev/null
        ! sbverify --cert "$T/db.pem" "$uki" >/dev/null 2>&1 || fail "sbverify accepts the tampered UKI"
        assert_eq "$(sig)" "digest-mismatch" "signature state after tampering"
        echo "ok: signature states agree with sbverify"
else
        fail "sbsign/sbverify not installed (scripts/deps.sh installs sbsigntool)"
fi

# remove, and remove again (idempotent).
"$UKIT" remove --boot-path="$boot" --entry-token=literal:fail "$KVER" 2>/dev/null || fail "remove failed"
[ ! -e "$uki" ] || fail "remove left the UKI"
"$UKIT" remove --boot-path="$boot" --entry-token=literal:fail "$KVER" 2>/dev/null || fail "second remove failed"

echo "PASS"
