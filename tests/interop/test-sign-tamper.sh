#!/usr/bin/env bash
# Flip one byte in every region of a ukit-signed image: headers, header
# padding, each section, trailing data, the 8-byte alignment padding, the
# signature. ukit verify AND sbverify must both reject each one; only the
# CheckSum field (excluded from the digest) may change.
# Gaps between sections are not covered by the Authenticode digest (the
# document's algorithm, EDK2's, shim's and sbsign's all skip them; firmware
# does not load them): there both tools must agree to ACCEPT, and an image
# signed by osslsigncode (which hashes gaps, so its digest differs from
# what firmware computes) must be rejected by both.
# Region offsets come from python3-pefile, not from ukit.
. "$(dirname "$0")/../lib.sh"
# scripts/test.sh points UKIT at $UKIT_BUILD/ukit; the binary is built in src/ukit/
need sbverify openssl
PY=/usr/bin/python3
$PY -c 'import pefile' 2>/dev/null || skip "python3-pefile not installed"

openssl req -new -x509 -newkey rsa:2048 -nodes -keyout "$T/k.pem" -out "$T/c.pem" -subj "/CN=tamper" -days 30 2>/dev/null

stub=/usr/lib/systemd/boot/efi/linuxx64.efi.stub
[ -f "$stub" ] || skip "$stub missing"
printf 'ID=test\n' >"$T/os-release"
head -c 100000 /dev/urandom >"$T/initrd"
head -c 50000 /dev/urandom >"$T/kernel"    # any bytes will do for .linux here
"$UKIT" build --stub "$stub" --linux "$T/kernel" --initrd "$T/initrd" --cmdline x --os-release "@$T/os-release" \
        --uname 1.0 --output "$T/uki.efi" >/dev/null || fail "ukit build failed"

# A copy of the UKI with a 0x200-byte gap before its last section (file order).
$PY - "$T/uki.efi" "$T/gap.efi" <<'EOF'
import sys, pefile, struct
d = bytearray(open(sys.argv[1], 'rb').read())
p = pefile.PE(data=bytes(d), fast_load=True)
last = max(p.sections, key=lambda s: s.PointerToRawData)
off = last.PointerToRawData
d[off:off] = b'\xa5' * 0x200
struct.pack_into('<I', d, last.get_file_offset() + 20, off + 0x200)   # PointerToRawData
open(sys.argv[2], 'wb').write(d)
EOF

# regions FILE: "name offset" lines, for a signed FILE
regions() {
        $PY - "$1" <<'EOF'
import sys, pefile
p = pefile.PE(sys.argv[1], fast_load=True)
size = len(p.__data__)
sec = p.OPTIONAL_HEADER.DATA_DIRECTORY[4]
pe = p.DOS_HEADER.e_lfanew
print("dos-header", 2)
print("coff-timestamp", pe + 8)
print("optional-header-entry", p.OPTIONAL_HEADER.get_file_offset() + 16)
table_end = p.sections[-1].get_file_offset() + 40
if table_end < p.OPTIONAL_HEADER.SizeOfHeaders:
    print("header-padding", (table_end + p.OPTIONAL_HEADER.SizeOfHeaders) // 2)
ends = []
for s in sorted(p.sections, key=lambda s: s.PointerToRawData):
    if s.SizeOfRawData:
        print("section-" + s.Name.rstrip(b'\0').decode(), s.PointerToRawData + s.SizeOfRawData // 2)
        ends.append((s.PointerToRawData, s.PointerToRawData + s.SizeOfRawData))
pos = p.OPTIONAL_HEADER.SizeOfHeaders
for a, b in ends:
    if a > pos:
        print("gap", (pos + a) // 2)
    pos = max(pos, b)
img_end = sec.VirtualAddress
data_end = pos
if img_end > data_end:
    # trailing data and/or alignment padding before the table
    print("trailing", data_end + (img_end - data_end) // 2 if img_end - data_end > 8 else img_end - 1)
    print("before-table", img_end - 1)
print("signature-value", img_end + sec.Size - 20)
print("signature-certificate", img_end + sec.Size // 2)
print("signature-header", img_end + 6)
EOF
}

flip() {        # FILE OFFSET OUT
        cp "$1" "$3"
        $PY -c '
import sys
f = open(sys.argv[1], "r+b"); o = int(sys.argv[2]); f.seek(o); b = f.read(1); f.seek(o); f.write(bytes([b[0] ^ 0x01]))
' "$3" "$2"
}

n=0
for img in "$T/uki.efi" "$T/gap.efi" "$stub"; do
        name=$(basename "$img")
        "$UKIT" sign --key "$T/k.pem" --cert "$T/c.pem" --output "$T/s.efi" "$img" || fail "$name: sign"
        sbverify --cert "$T/c.pem" "$T/s.efi" >/dev/null 2>&1 || fail "$name: sbverify rejects the untampered image"
        "$UKIT" verify --cert "$T/c.pem" "$T/s.efi" >/dev/null || fail "$name: ukit verify rejects the untampered image"
        regions "$T/s.efi" >"$T/regions"
        [ "$img" != "$T/gap.efi" ] || grep -q '^gap ' "$T/regions" || fail "gap image has no gap"
        while read -r what off; do
                flip "$T/s.efi" "$off" "$T/t.efi"
                if [ "$what" = gap ]; then
                        "$UKIT" verify --cert "$T/c.pem" "$T/t.efi" >/dev/null ||
                                fail "$name: ukit verify rejects a flipped gap byte, which the digest does not cover"
                        sbverify --cert "$T/c.pem" "$T/t.efi" >/dev/null 2>&1 ||
                                fail "$name: sbverify rejects a flipped gap byte (so ukit's digest differs from sbsign's)"
                        echo "$name: $what @$off accepted by both (not covered by Authenticode)"
                        continue
                fi
                if "$UKIT" verify --cert "$T/c.pem" "$T/t.efi" >"$T/out" 2>&1; then
                        fail "$name: ukit verify accepts a flipped byte in $what (offset $off)"
                fi
                if sbverify --cert "$T/c.pem" "$T/t.efi" >/dev/null 2>&1; then
                        fail "$name: sbverify accepts a flipped byte in $what (offset $off)"
                fi
                echo "$name: $what @$off rejected by both"
                n=$((n + 1))
        done <"$T/regions"

        # The excluded CheckSum field may change.
        off=$($PY -c 'import sys,pefile; p=pefile.PE(sys.argv[1], fast_load=True); print(p.OPTIONAL_HEADER.get_file_offset() + 64)' "$T/s.efi")
        flip "$T/s.efi" "$off" "$T/t.efi"
        "$UKIT" verify --cert "$T/c.pem" "$T/t.efi" >/dev/null || fail "$name: ukit verify rejects a changed CheckSum"
        sbverify --cert "$T/c.pem" "$T/t.efi" >/dev/null 2>&1 || fail "$name: sbverify rejects a changed CheckSum"
done
# The gapped image: sbsign's signature is accepted by ukit, osslsigncode's
# (a different digest) by neither.
if command -v sbsign >/dev/null && command -v osslsigncode >/dev/null; then
        sbsign --key "$T/k.pem" --cert "$T/c.pem" --output "$T/gs.efi" "$T/gap.efi" >/dev/null 2>&1
        "$UKIT" verify --cert "$T/c.pem" "$T/gs.efi" >/dev/null || fail "ukit verify rejects sbsign's signature of a gapped image"
        osslsigncode sign -key "$T/k.pem" -certs "$T/c.pem" -in "$T/gap.efi" -out "$T/go.efi" >/dev/null 2>&1
        sbverify --cert "$T/c.pem" "$T/go.efi" >/dev/null 2>&1 && fail "sbverify accepts osslsigncode's gapped digest?"
        assert_fails "ukit verify accepts osslsigncode's gapped digest" "$UKIT" verify --cert "$T/c.pem" "$T/go.efi"
fi
[ $n -ge 20 ] || fail "only $n regions tested"
echo "all ok ($n tampered images rejected)"
