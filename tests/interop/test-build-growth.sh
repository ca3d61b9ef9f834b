#!/usr/bin/env bash
# Header growth: Debian's stub has room for 7 more section headers below its
# first section's data (ukify fails beyond that). ukit moves the section data
# up instead; section addresses stay. Checked with pefile/objdump, sbverify,
# and by signing the result with sbsign and verifying it with sbverify and
# osslsigncode (their Authenticode digests must agree on the moved layout).
# Also: a UKI with little header room used as the stub of a second build.
. "${UKIT_TOP:-$(dirname "$0")/../..}/tests/lib.sh"
. "$UKIT_TOP/tests/interop/build-lib.sh"
build_need
need sbsign osslsigncode openssl
KERNEL=$(build_kernel)

cd "$T"
printf 'ID=test\n' >osrel
head -c 200000 /dev/urandom >initrd
args=()
specs=()
for i in $(seq 1 20); do
        printf 'content of section %d\n' "$i" >"s$i"
        args+=(--section=".s$i:@s$i")
        specs+=(".s$i=s$i")
done

soh() { pe_field "$1" 'pe.OPTIONAL_HEADER.SizeOfHeaders'; }
first_raw() { pe_field "$1" 'min(s.PointerToRawData for s in pe.sections if s.SizeOfRawData)'; }

# 1. one build that needs more header room than the stub has
"$UKIT" build --stub="$STUB" --linux="$KERNEL" --initrd=initrd --os-release=@osrel "${args[@]}" -o grown.efi 2>build.log ||
        { cat build.log; fail "build with 20 extra sections failed"; }
[ "$(soh grown.efi)" -gt "$(soh "$STUB")" ] || fail "SizeOfHeaders did not grow"
[ "$(first_raw grown.efi)" -gt "$(first_raw "$STUB")" ] || fail "section data did not move"
[ "$(first_raw grown.efi)" -ge "$(soh grown.efi)" ] || fail "section data inside the headers"
assert_eq "$(pe_field grown.efi 'len(pe.sections)')" $((8 + 20 + 5)) "number of sections"
pe_check grown.efi "$STUB" .osrel=osrel .initrd=initrd "${specs[@]}" .linux="$KERNEL" || fail "pe_check grown.efi"
objdump -h grown.efi >objdump.log 2>&1 || fail "objdump -h failed: $(cat objdump.log)"
assert_eq "$(grep -c CONTENTS objdump.log)" 33 "objdump section count"
sbverify --list grown.efi >/dev/null 2>&1 || fail "sbverify --list refused the grown image"

# 2. sign and verify: both tools hash the moved layout the same way
openssl req -new -x509 -newkey rsa:2048 -nodes -subj /CN=growth-test -days 1 -keyout k.pem -out c.pem 2>/dev/null
sbsign --key k.pem --cert c.pem --output signed.efi grown.efi 2>sign.log || { cat sign.log; fail "sbsign failed"; }
sbverify --cert c.pem signed.efi >verify.log 2>&1 || { cat verify.log; fail "sbverify: signature does not verify"; }
osslsigncode verify -CAfile c.pem signed.efi >ossl.log 2>&1 || { cat ossl.log; fail "osslsigncode verify failed"; }
grep -q "Signature verification: ok" ossl.log || fail "osslsigncode: $(cat ossl.log)"

# 3. a stub that already has little room: an image with 7 added sections
#    (exactly full), used as the stub for another build
"$UKIT" build --stub="$STUB" --section=.a1:x --section=.a2:x --section=.a3:x --section=.a4:x --section=.a5:x \
        --section=.a6:x -o full-stub.efi 2>/dev/null || fail "building the full stub"
assert_eq "$(pe_field full-stub.efi 'len(pe.sections)')" 15 "sections in the full stub (6 + .sbat)"
pe_check full-stub.efi "$STUB" || fail "pe_check full-stub.efi"
"$UKIT" build --stub=full-stub.efi --linux="$KERNEL" --os-release=@osrel --initrd=initrd -o second.efi 2>build2.log ||
        { cat build2.log; fail "build on the full stub failed"; }
[ "$(first_raw second.efi)" -gt "$(first_raw full-stub.efi)" ] || fail "second build: section data did not move"
pe_check second.efi full-stub.efi .osrel=osrel .initrd=initrd .linux="$KERNEL" || fail "pe_check second.efi"
# the first build's .sbat is the second's stub .sbat: renamed, one .sbat left
assert_eq "$(pe_field second.efi 'sum(1 for s in pe.sections if s.Name.rstrip(b"\0")==b".sbat")')" 1 ".sbat count"
sbverify --list second.efi >/dev/null 2>&1 || fail "sbverify --list refused second.efi"
echo "PASS"
