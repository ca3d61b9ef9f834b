#!/usr/bin/env bash
# ukit bless renames boot-counted entries as docs/AUTOMATIC_BOOT_ASSESSMENT.md
# of systemd describes: good drops "+LEFT[-DONE]", bad sets LEFT to 0
# (keeping DONE), indeterminate restores the counting name; status reports.
. "$(dirname "$0")/../lib.sh"
E=$T/esp
mkdir -p "$E/EFI/Linux" "$E/loader/entries"
b() { "$UKIT" bless --esp-path="$E" "$@"; }
names() { (cd "$E" && find . -type f | sort | tr '\n' ' '); }

echo uki >"$E/EFI/Linux/foo+2-1.efi"
P='\EFI\Linux\foo+2-1.efi'
assert_eq "$(b --path="$P" status)" indeterminate "status of a counting entry"
b --path="$P" good
assert_eq "$(names)" "./EFI/Linux/foo.efi " "good"
assert_eq "$(b --path="$P" status)" good "status after good"
b --path="$P" indeterminate
assert_eq "$(names)" "./EFI/Linux/foo+2-1.efi " "indeterminate"
b --path="$P" bad
assert_eq "$(names)" "./EFI/Linux/foo+0-1.efi " "bad keeps DONE"
assert_eq "$(b --path="$P" status)" bad "status after bad"
b --path="$P" good
assert_eq "$(names)" "./EFI/Linux/foo.efi " "good after bad"
assert_eq "$(cat "$E/EFI/Linux/foo.efi")" uki "content kept"
rm -f "$E"/EFI/Linux/*

# type #1 entries, forward slashes, a fresh counter without DONE
echo e >"$E/loader/entries/bar+3.conf"
b --path=/loader/entries/bar+3.conf bad
assert_eq "$(names)" "./loader/entries/bar+0.conf " "bad without DONE"
b --path=/loader/entries/bar+3.conf indeterminate
assert_eq "$(names)" "./loader/entries/bar+3.conf " "back to counting"
# exhausted counter: status bad
mv "$E/loader/entries/bar+3.conf" "$E/loader/entries/bar+0-3.conf"
assert_eq "$(b --path=/loader/entries/bar+0-3.conf status)" bad "+0-3 is bad"

# errors: one line, non-zero
assert_fails "no counter" b --path='\EFI\Linux\plain.efi' good
[ "$(wc -l <"$T/.out")" = 1 ] || fail "no counter: not one line: $(cat "$T/.out")"
grep -q 'no boot counter' "$T/.out" || fail "no counter: $(cat "$T/.out")"
assert_fails "missing file" b --path='\EFI\Linux\gone+1.efi' good
grep -q 'not found' "$T/.out" || fail "missing file: $(cat "$T/.out")"
assert_fails "relative path" b --path='EFI/Linux/x+1.efi' good
assert_fails "no verb" b
assert_fails "bad verb" b --path="$P" maybe
# --root: the ESP looked up under a root
mkdir -p "$T/root/efi/EFI/Linux"
echo k >"$T/root/efi/EFI/Linux/k+1-2.efi"
"$UKIT" bless --root="$T/root" --path='\EFI\Linux\k+1-2.efi' good
[ -f "$T/root/efi/EFI/Linux/k.efi" ] || fail "--root: not renamed"
# without the EFI variable (not booted by a counting boot loader)
if [ ! -e /sys/firmware/efi/efivars/LoaderBootCountPath-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f ]; then
        assert_eq "$("$UKIT" bless status)" clean "status without LoaderBootCountPath"
        assert_fails "good without LoaderBootCountPath" "$UKIT" bless good
fi
echo "bless OK"
