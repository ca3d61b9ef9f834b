#!/usr/bin/env bash
# `ukit build` without --linux builds a UKI add-on (ukify's way) on
# ukit-addon.efi: objdump and pefile see exactly .cmdline/.dtb/.ucode/.initrd
# plus .sbat (the add-on stub's entry and ukify's generic "uki-addon" one)
# and the stub's .sdmagic, no kernel sections; the default stub in this mode
# is the add-on stub; two builds are identical; `ukit sign` signs it so that
# sbverify and osslsigncode accept it. Plus the one-line errors of
# `ukit measure calculate --esp`.
. "${UKIT_TOP:-$(dirname "$0")/../..}/tests/lib.sh"
need objdump sbverify osslsigncode openssl
STUB_BUILD=$UKIT_BUILD
# The sanitizer build (PREFIX-asan) has no stubs (-Dstub=false); use the
# normal build's, as test-stub-pe does.
[ -f "$STUB_BUILD/src/stub/ukit-addon.efi" ] || STUB_BUILD=${UKIT_BUILD%-asan}
ADDON_STUB=$STUB_BUILD/src/stub/ukit-addon.efi
[ -f "$ADDON_STUB" ] || fail "$ADDON_STUB not built"
/usr/bin/python3 -c 'import pefile' 2>/dev/null || skip "python3-pefile missing"

cd "$T"
printf 'addon.x=1 quiet\n' >cmdline
head -c 3000 /dev/urandom >dtb
head -c 4096 /dev/urandom >ucode
head -c 10001 /dev/urandom >initrd
build() {
        "$UKIT" build --stub "$ADDON_STUB" --cmdline @cmdline --devicetree dtb --microcode ucode --initrd initrd "$@"
}
SOURCE_DATE_EPOCH=1 build -o a.addon.efi >/dev/null || fail "add-on build failed"
SOURCE_DATE_EPOCH=1 build -o b.addon.efi >/dev/null || fail "second add-on build failed"
cmp -s a.addon.efi b.addon.efi || fail "two add-on builds differ"

objdump -h a.addon.efi >objdump.out || fail "objdump cannot read the add-on"
for s in .cmdline .dtb .ucode .initrd .sbat .sdmagic; do
        grep -qE "^ *[0-9]+ +\\$s " objdump.out || fail "objdump: no $s section"
done
for s in .linux .osrel .uname .splash; do
        grep -qE "^ *[0-9]+ +\\$s " objdump.out && fail "objdump: add-on has $s"
done

/usr/bin/python3 - a.addon.efi <<'PY' || fail "pefile check failed"
import sys, pefile
pe = pefile.PE(sys.argv[1])
sec = {s.Name.rstrip(b"\0").decode(): s.get_data()[:s.Misc_VirtualSize] for s in pe.sections}
def same(name, path):
    if sec[name] != open(path, "rb").read():
        sys.exit(f"{name} differs from {path}")
same(".cmdline", "cmdline"); same(".dtb", "dtb"); same(".ucode", "ucode"); same(".initrd", "initrd")
magic = sec[".sdmagic"].rstrip(b"\0").decode()
if not magic.startswith("#### LoaderInfo: ukit-addon ") or not magic.endswith(" ####"):
    sys.exit(f"unexpected .sdmagic {magic!r}")
sbat = sec[".sbat"].rstrip(b"\0").decode().splitlines()
names = [l.split(",")[0] for l in sbat]
if names[0] != "sbat" or "ukit-addon" not in names or "uki-addon" not in names or "ukit-stub" in names:
    sys.exit(f"unexpected .sbat components {names}")
if pe.OPTIONAL_HEADER.Subsystem != 10:
    sys.exit("not an EFI application")
PY

# Without --stub the add-on stub built next to this ukit is the default
# (objcopy reads its identity), and --output is required.
"$UKIT" build --cmdline x -o c.addon.efi >/dev/null 2>err || fail "add-on with the default stub: $(cat err)"
objcopy -O binary --only-section=.sdmagic c.addon.efi c.sdmagic 2>/dev/null || fail "objcopy cannot read c.addon.efi"
grep -qa 'ukit-addon' c.sdmagic || fail "default add-on stub is not ukit-addon.efi: $(tr -d '\0' <c.sdmagic)"
rc=0; "$UKIT" build --stub "$ADDON_STUB" --cmdline x 2>err || rc=$?
[ $rc = 2 ] || fail "add-on without --output: rc $rc"

openssl req -new -x509 -newkey rsa:2048 -nodes -subj "/CN=ukit add-on admin key/" -days 1 \
        -keyout admin.key -out admin.pem 2>/dev/null || fail "openssl req failed"
"$UKIT" sign --key admin.key --cert admin.pem --output a.signed.efi a.addon.efi >/dev/null || fail "ukit sign failed"
sbverify --cert admin.pem a.signed.efi >/dev/null 2>&1 || fail "sbverify rejects the signed add-on"
osslsigncode verify -CAfile admin.pem -in a.signed.efi >ossl.out 2>&1 || { cat ossl.out; fail "osslsigncode rejects the signed add-on"; }

# measure --esp: needs --uki inside the ESP
"$UKIT" build --stub "$STUB_BUILD/src/stub/ukit-stub.efi" --linux dtb --uname 6.1.0-test --cmdline x \
        --os-release 'ID=test' -o uki.efi >/dev/null || fail "ukit build (UKI) failed"
mkdir -p esp/EFI/Linux
cp uki.efi esp/EFI/Linux/u.efi
rc=0; "$UKIT" measure calculate --esp esp --phase= --linux dtb 2>err >/dev/null || rc=$?
[ $rc = 2 ] && grep -q -- '--uki' err || fail "--esp without --uki: rc $rc, $(cat err)"
rc=0; "$UKIT" measure calculate --esp esp --uki uki.efi --phase= 2>err >/dev/null || rc=$?
[ $rc = 1 ] && grep -q 'not inside' err && [ "$(wc -l <err)" = 1 ] || fail "UKI outside the ESP: rc $rc, $(cat err)"
"$UKIT" measure calculate --esp esp --uki esp/EFI/Linux/u.efi --phase= --bank sha256 >out 2>/dev/null ||
        fail "measure --esp on an empty ESP failed"
assert_eq "$(grep -c '^1[23]:sha256=0\{64\}$' out)" 2 "PCR 12/13 of an ESP with nothing to pick up"
echo "add-on: $(stat -c %s a.addon.efi) bytes, signed and verified"
