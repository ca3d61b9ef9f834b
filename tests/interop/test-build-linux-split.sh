#!/usr/bin/env bash
# The .linux of a ukit UKI is the kernel file, byte for byte and no longer
# (VirtualSize = the file's length, as ukify 257):
#  - split back out (objcopy, and pefile by VirtualSize, as mkosi does), Debian's
#    signed kernel still verifies: sbverify (against the signer certificate
#    taken from the kernel's own signature) and osslsigncode (current digest =
#    calculated digest);
#  - PCR 11 as systemd-measure 257 calculates it from the SOURCE files (the
#    kernel file, the os-release and cmdline text, the .sbat ukify would merge)
#    equals `ukit measure calculate --uki` of the UKI, and the .pcrsig equals
#    systemd-measure 257 sign on the same source files (RSA: deterministic).
. "${UKIT_TOP:-$(dirname "$0")/../..}/tests/lib.sh"
. "$UKIT_TOP/tests/interop/build-lib.sh"
build_need
need osslsigncode openssl unshare
ORACLE=$(bash "$UKIT_TOP/scripts/fetch-oracle-257.sh") || fail "no systemd 257 oracle root"
STUB257=$ORACLE/usr/lib/systemd/boot/efi/linuxx64.efi.stub
[ -f "$STUB257" ] || fail "no stub in the 257 oracle root"
o257() { bash "$UKIT_TOP/scripts/oracle-257-run.sh" --bind "$T" "$@"; }
KERNEL=$(build_kernel)
cd "$T"
cp "$KERNEL" vmlinuz

sbverify --list vmlinuz | grep -q '^signature 1' || fail "test assumption: Debian's kernel is signed"
osslsigncode extract-signature -in vmlinuz -out kernel.p7 >/dev/null || fail "cannot extract the kernel's signature"
openssl pkcs7 -inform DER -in kernel.p7 -print_certs -out signer.pem || fail "no certificate in the kernel's signature"
sbverify --cert signer.pem vmlinuz >/dev/null 2>&1 || fail "test assumption: the kernel verifies against its signer"

printf 'ID=test\nVERSION_ID=1\n' >osrel
printf 'root=/dev/vda1 ro quiet' >cmdline
openssl genrsa -out pcr.pem 2048 2>/dev/null
"$UKIT" build --stub="$STUB257" --linux=vmlinuz --os-release=@osrel --cmdline=@cmdline \
        --pcr-private-key=pcr.pem --pcr-banks=sha1,sha256,sha384,sha512 -o uki.efi >/dev/null || fail "build"

# 1. .linux VirtualSize is the file's length; the split kernel verifies.
size=$(stat -c %s vmlinuz)
assert_eq "$(pe_field uki.efi '[s.Misc_VirtualSize for s in pe.sections if s.Name.rstrip(b"\0")==b".linux"][0]')" \
        "$size" ".linux VirtualSize"
$PY - uki.efi split.pefile <<'PY' || fail "pefile: cannot split .linux"
import pefile, sys
pe = pefile.PE(sys.argv[1], fast_load=True)
s = [s for s in pe.sections if s.Name.rstrip(b"\0") == b".linux"][0]
open(sys.argv[2], "wb").write(pe.__data__[s.PointerToRawData:s.PointerToRawData + s.Misc_VirtualSize])
PY
objcopy -O binary --only-section=.linux uki.efi split.objcopy || fail "objcopy: cannot split .linux"
for f in split.pefile split.objcopy; do
        cmp -s "$f" vmlinuz || fail "$f: the split kernel is not the kernel file"
        sbverify --cert signer.pem "$f" >sbv.out 2>&1 || { cat sbv.out >&2; fail "$f: sbverify fails"; }
        osslsigncode verify -in "$f" >osv.out 2>&1 || true
        cur=$(sed -n 's/^Current message digest *: *//p' osv.out | tr -d ' ')
        calc=$(sed -n 's/^Calculated message digest *: *//p' osv.out | tr -d ' ')
        [ -n "$cur" ] && [ "$cur" = "$calc" ] || { cat osv.out >&2; fail "$f: osslsigncode: digest mismatch"; }
done

# 2. PCR 11 from the source files (systemd-measure 257) = ukit's prediction
#    from the UKI; .pcrsig = systemd-measure 257 sign on the source files.
#    The .sbat the oracle gets is built here from the stub's own lines and
#    ukify's default "uki" line (ukify 257's merge: header, lines, "\n\0").
{
        echo 'sbat,1,SBAT Version,sbat,1,https://github.com/rhboot/shim/blob/main/SBAT.md'
        objcopy -O binary --only-section=.sbat "$STUB257" /dev/stdout | tr -d '\0' | tail -n +2
        printf 'uki,1,UKI,uki,1,https://uapi-group.org/specifications/specs/unified_kernel_image/\n\0'
} >sbat
if objdump -h vmlinuz | grep -q ' \.sbat '; then
        fail "test assumption: the kernel has no .sbat of its own"
fi
openssl rsa -in pcr.pem -pubout -out pcrpkey 2>/dev/null
# the kernel release, as the package names it (ukit and ukify read it from the kernel)
uname=$(basename "$KERNEL"); printf '%s' "${uname#vmlinuz-}" >uname
src=(--linux="$T/vmlinuz" --osrel="$T/osrel" --cmdline="$T/cmdline" --uname="$T/uname" --sbat="$T/sbat"
     --pcrpkey="$T/pcrpkey")
banks=(--bank=sha1 --bank=sha256 --bank=sha384 --bank=sha512)
o257 /usr/lib/systemd/systemd-measure calculate "${src[@]}" "${banks[@]}" --json=short >exp.calc \
        || fail "systemd-measure 257 calculate"
"$UKIT" measure calculate --uki=uki.efi --bank=sha1 --bank=sha256 --bank=sha384 --bank=sha512 --json=short >got.calc \
        || fail "ukit measure calculate --uki"
$PY - exp.calc got.calc <<'PY' || fail "PCR 11: ukit's UKI differs from systemd-measure 257 on the source files"
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:])
assert a == b, (a, b)
PY
o257 /usr/lib/systemd/systemd-measure sign "${src[@]}" "${banks[@]}" --private-key="$T/pcr.pem" --json=short >exp.sig \
        || fail "systemd-measure 257 sign"
objcopy -O binary --only-section=.pcrsig uki.efi got.sig
$PY - exp.sig got.sig <<'PY' || fail ".pcrsig differs from systemd-measure 257 sign on the source files"
import json, sys
a = json.load(open(sys.argv[1])); b = json.loads(open(sys.argv[2], "rb").read().rstrip(b"\0"))
assert a == b, "policies or signatures differ"
PY
echo PASS
