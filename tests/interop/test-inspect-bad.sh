#!/usr/bin/env bash
# ukit inspect on bad input: one-line error naming the file, non-zero exit,
# no output file left behind; usage errors exit 2.
. "$(dirname "$0")/../lib.sh"
# scripts/test.sh passes UKIT=$build/ukit, but meson puts it in src/ukit/.

STUB=/usr/lib/systemd/boot/efi/linuxx64.efi.stub
[ -f "$STUB" ] || skip "systemd-boot-efi not installed ($STUB)"
need objcopy objdump jq

cd "$T"

# expect_error RC PATTERN ARGS...: exit status RC, one error line on stderr
# matching PATTERN, nothing on stdout.
expect_error() {
        local want_rc=$1 pattern=$2 rc=0
        shift 2
        "$UKIT" inspect "$@" >out 2>err || rc=$?
        [ "$rc" = "$want_rc" ] || fail "inspect $*: exit $rc, expected $want_rc (stderr: $(cat err))"
        # Usage errors add the shared "Try 'ukit inspect --help'." hint line.
        local max=1; [ "$want_rc" = 2 ] && max=2
        [ "$(wc -l <err)" -ge 1 ] && [ "$(wc -l <err)" -le $max ] \
                || fail "inspect $*: expected one error line on stderr, got: $(cat err)"
        head -n1 err | grep -qE "^ukit inspect: $pattern" || fail "inspect $*: stderr '$(cat err)' does not match '$pattern'"
        [ ! -s out ] || fail "inspect $*: unexpected stdout: $(head -c 200 out)"
}

: >empty
printf 'NAME=x\n' >text
head -c 1000 "$STUB" >truncated
# A PE whose section table runs past the end of the file: keep the headers only.
head -c 512 "$STUB" >headers-only
mkdir dir
objcopy --add-section .cmdline=text --change-section-vma .cmdline=0x30000 "$STUB" good.efi

expect_error 1 "missing: No such file or directory" missing
expect_error 1 "empty: not a usable PE image" empty
expect_error 1 "text: not a usable PE image" text
expect_error 1 "truncated: not a usable PE image" truncated
expect_error 1 "headers-only: not a usable PE image" headers-only
expect_error 1 "dir: not a regular file" dir
expect_error 1 "good.efi: no section \.nothere" --section .nothere:text good.efi
expect_error 2 "" --section .cmdline good.efi
expect_error 2 "" --section .cmdline:hex good.efi
expect_error 2 "" --section .waytoolongname:text good.efi
expect_error 2 "" --section .cmdline:text@ good.efi
expect_error 2 "" --section .a:text@- --section .b:text@- good.efi
expect_error 2 "" --json=yaml good.efi
expect_error 2 "" good.efi good.efi
expect_error 2 ""

# A failed extraction leaves nothing behind: missing section, unwritable target.
expect_error 1 "good.efi: no section \.linux" --section .linux:binary@linux.out good.efi
[ ! -e linux.out ] || fail "output file left after a failed extraction"
expect_error 1 "nodir/cmdline.out: " --section .cmdline:text@nodir/cmdline.out good.efi
[ -z "$(ls -A . | grep -v -xE 'empty|text|truncated|headers-only|dir|good.efi|out|err')" ] \
        || fail "stray files left: $(ls -A .)"

# Bad contents are reported, not fatal: invalid .osrel and .sbat, a .cmdline
# that is not UTF-8, a signature that is not PKCS#7.
printf 'ID=x\nthis is garbage\n' >bad-osrel
printf 'sbat,1,a,b,c,d\nx,1,a,b,c\n' >bad-sbat
printf 'root=/dev/sda \377\376' >bad-cmdline
objcopy --remove-section .sbat \
        --add-section .osrel=bad-osrel --change-section-vma .osrel=0x20000 \
        --add-section .sbat=bad-sbat --change-section-vma .sbat=0x30000 \
        --add-section .cmdline=bad-cmdline --change-section-vma .cmdline=0x40000 \
        "$STUB" bad.efi
"$UKIT" inspect --json=short bad.efi >bad.json || fail "inspect bad.efi failed"
assert_eq "$(jq -r .os_release_problem bad.json)" "invalid (line 2)" ".osrel problem"
assert_eq "$(jq -r .sbat_problem bad.json)" "invalid (line 2)" ".sbat problem"
assert_eq "$(jq -r '.sections[".cmdline"].text' bad.json)" "null" "non-UTF-8 .cmdline text"
assert_eq "$(jq -r '.sections[".cmdline"].file_size' bad.json)" "$(stat -c %s bad-cmdline)" "non-UTF-8 .cmdline size"
"$UKIT" inspect bad.efi | grep -qx '  text: (not valid UTF-8)' || fail "text output: no '(not valid UTF-8)'"
if command -v sbsign >/dev/null && command -v openssl >/dev/null; then
        openssl req -new -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=t" -keyout k -out c 2>/dev/null
        sbsign --key k --cert c --output signed.efi good.efi 2>/dev/null || fail "sbsign failed"
        # Overwrite the PKCS#7 (after the 8-byte WIN_CERTIFICATE header) with zeros.
        off=$(objdump -p signed.efi | awk '$1 == "Entry" && $2 == 4 { print $3 }')
        [ -n "$off" ] || fail "objdump -p: no security directory"
        off=$((16#$off))
        dd if=/dev/zero of=signed.efi bs=1 seek=$((off + 8)) count=64 conv=notrunc 2>/dev/null
        "$UKIT" inspect --json=short signed.efi >sig.json || fail "inspect of a broken signature failed"
        assert_eq "$(jq -r '.signed' sig.json)" "true" "broken signature: signed"
        assert_eq "$(jq -r '.signatures[0].problem' sig.json)" "malformed PKCS#7" "broken signature: problem"
        rm -f k c signed.efi sig.json
fi
rm -f bad-osrel bad-sbat bad-cmdline bad.efi bad.json

# And the good one works, with --help.
"$UKIT" inspect --section .cmdline:text@cmdline.out good.efi >/dev/null || fail "inspect good.efi failed"
assert_files_equal cmdline.out text ".cmdline extracted"
"$UKIT" inspect --help | grep -q '^Usage: ukit inspect' || fail "--help"

echo "PASS"
