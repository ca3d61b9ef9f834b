#!/usr/bin/env bash
# ukit inspect on bad input: one-line error naming the file, non-zero exit,
# no output file left behind; usage errors exit 2.
. "$UKIT_TOP/tests/lib.sh"
# scripts/test.sh passes UKIT=$build/ukit, but meson puts it in src/ukit/.
[ -x "$UKIT" ] || UKIT=$UKIT_BUILD/src/ukit/ukit

STUB=/usr/lib/systemd/boot/efi/linuxx64.efi.stub
[ -f "$STUB" ] || skip "systemd-boot-efi not installed ($STUB)"
need objcopy

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

# And the good one works, with --help.
"$UKIT" inspect --section .cmdline:text@cmdline.out good.efi >/dev/null || fail "inspect good.efi failed"
assert_files_equal cmdline.out text ".cmdline extracted"
"$UKIT" inspect --help | grep -q '^Usage: ukit inspect' || fail "--help"

echo "PASS"
