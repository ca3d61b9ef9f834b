#!/usr/bin/env bash
# `ukit build` without --linux builds a UKI add-on (ukify's way) on
# ukit-addon.efi: objdump and pefile see exactly .cmdline/.dtb/.ucode/.initrd
# plus .sbat (the add-on stub's entry and ukify's generic "uki-addon" one)
# and the stub's .sdmagic, no kernel sections; the default stub in this mode
# is the add-on stub; two builds are identical; `ukit sign` signs it so that
# sbverify and osslsigncode accept it. Plus the one-line errors of
# `ukit measure calculate --esp` and its SMBIOS command line prediction.
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
# --smbios-cmdline / --smbios-table: one PCR 12 event, the UTF-16LE string
# with its NUL (python3's hashlib computes the expected value); the table is
# a hand-made SMBIOS structure table (type 1, then type 11 with another OEM
# string first, then a second type 11 the stub must not read, end type 127)
smbios=$(/usr/bin/python3 - smbios.bin <<'PY'
import sys, struct, hashlib
def st(t, h, fmt, strings):
    body = struct.pack(fmt, *([1] * fmt.count("B")))
    return struct.pack("<BBH", t, 4 + len(body), h) + body + b"".join(s + b"\0" for s in strings) + b"\0"
extra = "ukit.smbios=1 x=\"a b\""
t = (st(1, 1, "<BBBB", [b"Vendor", b"Product", b"1", b"S"])
     + st(11, 2, "<B", [b"io.systemd.other=1", ("io.systemd.stub.kernel-cmdline-extra=" + extra).encode()])
     + st(11, 3, "<B", [b"io.systemd.stub.kernel-cmdline-extra=second"])
     + struct.pack("<BBH", 127, 4, 4) + b"\0\0")
open(sys.argv[1], "wb").write(t)
d = hashlib.sha256(extra.encode("utf-16-le") + b"\0\0").digest()
print(extra)
print(hashlib.sha256(bytes(32) + d).hexdigest())
PY
) || fail "python3: cannot make the SMBIOS table"
extra=$(sed -n 1p <<<"$smbios"); want=$(sed -n 2p <<<"$smbios")
for opt in --smbios-cmdline="$extra" --smbios-table=smbios.bin; do
        "$UKIT" measure calculate --esp esp --uki esp/EFI/Linux/u.efi --phase= --bank sha256 "$opt" >out 2>err ||
                fail "measure --esp $opt failed: $(cat err)"
        assert_eq "$(sed -n 's/^12:sha256=//p' out)" "$want" "PCR 12 with ${opt%%=*} vs python3"
        assert_eq "$(sed -n 's/^13:sha256=//p' out)" "$(printf '0%.0s' {1..64})" "PCR 13 with ${opt%%=*}"
done
"$UKIT" measure calculate --esp esp --uki esp/EFI/Linux/u.efi --phase= --bank sha256 --smbios-cmdline= >out 2>/dev/null ||
        fail "measure --esp --smbios-cmdline= failed"
assert_eq "$(grep -c '^12:sha256=0\{64\}$' out)" 1 "an empty SMBIOS string is not measured"
rc=0; "$UKIT" measure calculate --uki esp/EFI/Linux/u.efi --phase= --smbios-cmdline=x 2>err >/dev/null || rc=$?
[ $rc = 2 ] && grep -q -- '--esp' err || fail "--smbios-cmdline without --esp: rc $rc, $(cat err)"
rc=0; "$UKIT" measure calculate --esp esp --uki esp/EFI/Linux/u.efi --phase= --smbios-cmdline=x --smbios-table=smbios.bin \
        2>err >/dev/null || rc=$?
[ $rc = 2 ] || fail "--smbios-cmdline with --smbios-table: rc $rc, $(cat err)"
rc=0; "$UKIT" measure calculate --esp esp --uki esp/EFI/Linux/u.efi --phase= --smbios-table=missing.bin 2>err >/dev/null || rc=$?
[ $rc = 1 ] && grep -q 'missing.bin' err && [ "$(wc -l <err)" = 1 ] || fail "missing SMBIOS table: rc $rc, $(cat err)"
rc=0; "$UKIT" measure calculate --esp esp --uki esp/EFI/Linux/u.efi --phase= --smbios-cmdline=$'\xc3\xa9' 2>err >/dev/null || rc=$?
[ $rc = 1 ] && grep -q 'non-ASCII' err || fail "non-ASCII SMBIOS string: rc $rc, $(cat err)"
# an add-on with a .dtbauto: which one the stub takes depends on the
# machine's CHIDs; without --smbios-table that is one line of error, with
# the table above (no .hwids entry for it) the add-on's .dtb is predicted
mkdir -p esp/EFI/Linux/u.efi.extra.d
"$UKIT" build --stub "$ADDON_STUB" --devicetree dtb --devicetree-auto dtb -o esp/EFI/Linux/u.efi.extra.d/d.addon.efi \
        >/dev/null 2>&1 || fail "add-on build with --devicetree-auto failed"
rc=0; "$UKIT" measure calculate --esp esp --uki esp/EFI/Linux/u.efi --phase= 2>err >/dev/null || rc=$?
[ $rc = 1 ] && grep -q 'smbios-table' err && [ "$(wc -l <err)" = 1 ] || fail "add-on .dtbauto without a table: rc $rc, $(cat err)"
rm -r esp/EFI/Linux/u.efi.extra.d
echo "add-on: $(stat -c %s a.addon.efi) bytes, signed and verified"
