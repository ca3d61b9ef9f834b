#!/usr/bin/env bash
# ukit build --devicetree-auto/--hwids against ukify build 257 (the judge,
# in the systemd 257 oracle root), same stub 257 and inputs: the UKIs are
# byte-identical (so are .dtbauto and .hwids), for a HWID directory with
# nested folders, two files describing the same device (merged), repeated
# and unsorted CHIDs, upper-case and braced UUIDs, and names whose byte
# order differs from their path order; also --hwids alone and with
# --devicetree. A description without "compatible" fails in both tools (ukit:
# one line naming the file, no output). --pcr-private-key together with
# --devicetree-auto is refused (ukify 257 signs once per .dtbauto).
. "${UKIT_TOP:-$(dirname "$0")/../..}/tests/lib.sh"
. "$UKIT_TOP/tests/interop/build-lib.sh"
build_need
ORACLE=$(bash "$UKIT_TOP/scripts/fetch-oracle-257.sh") || fail "no systemd 257 oracle root"
STUB_IN=/usr/lib/systemd/boot/efi/linuxx64.efi.stub
STUB257=$ORACLE$STUB_IN
[ -f "$STUB257" ] || fail "no stub in the 257 oracle root"
o257() { bash "$UKIT_TOP/scripts/oracle-257-run.sh" --bind "$T" "$@"; }
o257 ukify --version | grep -q '^ukify 257' || fail "the oracle's ukify is not 257"
cd "$T"
cp "$(build_kernel)" vmlinuz
unset SOURCE_DATE_EPOCH
head -c 3000 /dev/urandom >a.dtb
head -c 1234 /dev/urandom >b.dtb
head -c 777 /dev/urandom >c.dtb

mkdir -p hw/sub/deeper hw/a-b hw/a
cat >hw/widget.json <<'J'
{"type": "devicetree", "name": "ACME Widget", "compatible": "acme,widget",
 "hwids": ["7ee7aef0-a0d5-53ad-9d5e-627b46feea33", "1d479a21-4865-5873-98d6-02396e769d9b",
           "{0A14EA15-A5C8-59D7-A092-D01568CA602B}", "1d479a21-4865-5873-98d6-02396e769d9b"]}
J
cat >hw/sub/deeper/widget-more.json <<'J'
{"name": "ACME Widget", "compatible": "acme,widget", "hwids": ["00000000-0000-5000-8000-000000000001"]}
J
cat >hw/a-b/zeta.json <<'J'
{"name": "Zeta Board", "compatible": "zeta,board-ü", "hwids": ["ffffffff-ffff-5fff-bfff-ffffffffffff"]}
J
cat >hw/a/alpha.json <<'J'
{"name": "Alpha", "compatible": "acme,alpha", "hwids": ["6a204125-8b3c-5a48-93e6-fb9d996e58af", "159d46a2-941c-5a14-8fd3-0abdbaafd9f6"]}
J
echo 'not json' >hw/readme.txt

n=0
same() {        # same ARGS...: ukify 257 and ukit build give the same file
        n=$((n + 1))
        o257 ukify build --stub="$STUB_IN" --linux="$T/vmlinuz" --uname=6.1.0-test --cmdline='console=ttyS0' \
                --os-release='ID=test' "$@" --output="$T/ukify$n.efi" >/dev/null 2>"$T/ukify$n.err" ||
                fail "case $n: ukify 257 failed: $(tail -n 2 "$T/ukify$n.err")"
        local args=() a
        for a in "$@"; do args+=("${a//$T\//}"); done
        "$UKIT" build --stub="$STUB257" --linux=vmlinuz --uname=6.1.0-test --cmdline='console=ttyS0' \
                --os-release='ID=test' "${args[@]}" --output="ukit$n.efi" -q || fail "case $n: ukit build failed"
        cmp -s "ukify$n.efi" "ukit$n.efi" || {
                objdump -h "ukify$n.efi" >"h1"; objdump -h "ukit$n.efi" >"h2"; diff h1 h2 >&2 || true
                fail "case $n ($*): ukit's UKI differs from ukify 257's"
        }
        objdump -h "ukit$n.efi" | grep -q ' \.hwids \| \.dtbauto ' || fail "case $n: no .hwids/.dtbauto section"
}
same --devicetree-auto="$T/a.dtb" --devicetree-auto="$T/b.dtb" --hwids="$T/hw"
same --devicetree="$T/c.dtb" --devicetree-auto="$T/b.dtb" --hwids="$T/hw"
same --hwids="$T/hw/sub"
echo "byte-identical to ukify 257: $n cases"

# The section's layout, read back by python (the format of stub 257's chid.h).
/usr/bin/python3 - ukit1.efi <<'PY' || fail ".hwids layout"
import struct, sys, uuid, pefile
pe = pefile.PE(sys.argv[1], fast_load=True)
d = [s for s in pe.sections if s.Name.rstrip(b"\0") == b".hwids"][0]
b = d.get_data()[:d.Misc_VirtualSize]
entries = []
while True:
    desc, = struct.unpack_from("<I", b, 28 * len(entries))
    if desc == 0:
        break
    assert desc == (1 << 28 | 28), hex(desc)
    chid = uuid.UUID(bytes_le=b[28 * len(entries) + 4:28 * len(entries) + 20])
    no, co = struct.unpack_from("<II", b, 28 * len(entries) + 20)
    s = lambda o: b[o:b.index(b"\0", o)].decode()
    entries.append((s(no), s(co), str(chid)))
assert ("ACME Widget", "acme,widget", "0a14ea15-a5c8-59d7-a092-d01568ca602b") in entries, entries
assert len([e for e in entries if e[0] == "ACME Widget"]) == 4, entries
PY

mkdir -p bad && echo '{"name": "x", "hwids": []}' >bad/x.json
if o257 ukify build --stub="$STUB_IN" --linux="$T/vmlinuz" --hwids="$T/bad" --output="$T/bad1.efi" >/dev/null 2>&1; then
        fail "ukify 257 accepted a description without compatible"
fi
assert_fails "ukit: description without compatible" "$UKIT" build --stub="$STUB257" --linux=vmlinuz --hwids=bad --output=bad2.efi
[ "$(wc -l <"$T/.out")" = 1 ] && grep -q 'bad/x.json' "$T/.out" || fail "ukit's error is not one line naming the file: $(cat "$T/.out")"
[ ! -e bad2.efi ] || fail "ukit left an output file"

openssl genrsa -out pcr.pem 2048 2>/dev/null
assert_fails "ukit: --pcr-private-key with --devicetree-auto" "$UKIT" build --stub="$STUB257" --linux=vmlinuz \
        --devicetree-auto=a.dtb --pcr-private-key=pcr.pem --output=bad3.efi
grep -q 'devicetree-auto' "$T/.out" || fail "refusal does not name --devicetree-auto: $(cat "$T/.out")"
[ ! -e bad3.efi ] || fail "ukit left an output file"
echo "PASS"
