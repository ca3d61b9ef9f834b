#!/usr/bin/env bash
# CHIDs (src/fundamental/chid.c) against fwupd's: several synthetic SMBIOS
# tables (types 0/1/2/3, 2.x and 3.x entry points, surrounding spaces,
# UTF-8, a missing family, odd BIOS releases) are shown to `fwupdtool hwids`
# as the sysfs DMI tables (FWUPD_SYSFSFWDIR); all 15 HardwareIDs it prints
# must equal chid-dump's with fwupd's field rules, and with the stub's rules
# the ones 257 computes (3-11, 13, 14) must equal fwupd's where the strings
# carry no leading zero or space.
. "$(dirname "$0")/../lib.sh"
need fwupdtool python3
DUMP=$UKIT_BUILD/tests/unit/chid-dump
[ -x "$DUMP" ] || fail "chid-dump not built"

cat >"$T/mk.py" <<'PY'
import struct, sys
out, v3, bios, maj, mino, manu, fam, prod, sku, bbm, bbp, encl = sys.argv[1:]
def st(t, h, fmt, strings):
    body = bytes([t, 4 + len(fmt)]) + struct.pack('<H', h) + fmt
    ss = b''.join(s.encode() + b'\0' for s in strings) or b'\0'
    return body + ss + b'\0'
def idx(strings, s):
    if s == '@none':
        return 0
    strings.append(s)
    return len(strings)
s0 = []; i_v = idx(s0, bios); i_ver = idx(s0, 'Ver 1.0 ')
t0 = st(0, 0, bytes([i_v, i_ver]) + b'\0' * 14 + bytes([int(maj), int(mino)]) + b'\0\0', s0)
s1 = []; a = idx(s1, manu); b = idx(s1, prod); c = idx(s1, sku); d = idx(s1, fam)
t1 = st(1, 1, bytes([a, b, 0, 0]) + b'\0' * 16 + b'\x06' + bytes([c, d]), s1)
s2 = []; a = idx(s2, bbm); b = idx(s2, bbp)
t2 = st(2, 2, bytes([a, b, 0, 0, 0]), s2)
t3 = st(3, 3, bytes([1, int(encl), 0, 0, 0]), [manu])
tab = t0 + t1 + t2 + t3 + st(127, 4, b'', [])
if v3 == '3':
    ep = bytearray(b'_SM3_' + bytes([0, 24, 3, 2, 0, 1, 0]) + struct.pack('<IQ', len(tab), 0))
    ep[5] = (-sum(ep)) & 0xff
else:
    ep = bytearray(b'_SM_' + bytes([0, 31, 2, 8]) + b'\0' * 8 + b'_DMI_\0' + struct.pack('<HIH', len(tab), 0, 5) + b'\x28')
    ep[0x15] = (-sum(ep[0x10:])) & 0xff
    ep[4] = (-sum(ep)) & 0xff
open(out + '/DMI', 'wb').write(tab)
open(out + '/smbios_entry_point', 'wb').write(bytes(ep))
PY

n=0
check() {
        n=$((n + 1))
        local d=$T/case$n/dmi/tables
        mkdir -p "$d"
        python3 "$T/mk.py" "$d" "$@" || fail "case $n: cannot write the table"
        FWUPD_SYSFSFWDIR=$T/case$n timeout 120 fwupdtool hwids >"$T/fw$n.txt" 2>&1 ||
                fail "case $n: fwupdtool hwids failed: $(tail -n 3 "$T/fw$n.txt")"
        # fwupd prints the 15 Microsoft IDs first, in order; "not available" for missing ones.
        sed -n '/^Hardware IDs/,$p' "$T/fw$n.txt" | sed -n '3,17p' |
                sed -E 's/^\{([0-9a-f-]{36})\}.*/\1/; s/^not available.*/-/' >"$T/fw$n.ids"
        [ "$(wc -l <"$T/fw$n.ids")" = 15 ] || fail "case $n: fwupd printed no 15 IDs: $(cat "$T/fw$n.txt")"
        "$DUMP" "$d/DMI" fwupd | cut -d' ' -f2 >"$T/uk$n.ids"
        if ! cmp -s "$T/fw$n.ids" "$T/uk$n.ids"; then
                diff "$T/fw$n.ids" "$T/uk$n.ids" >&2 || true
                fail "case $n ($*): CHIDs differ from fwupd's"
        fi
        grep -q '^[0-9a-f]' "$T/fw$n.ids" || fail "case $n: fwupd computed no CHID at all"
}

#     v3 bios        maj min manufacturer      family       product        sku        bb-manu      bb-prod  enclosure
check 3 'BiosVend'   5   6   'ACME Inc'        'WidgetFam'  'Widget 3000'  'SKU-9'    'ACME Board' 'BB-1'   10
check 2 'Coreboot'   1   17  'Star Labs'       'StarBook'   'StarBook'     'K12'      'Star Labs'  'I5'     9
check 3 ' LENOVO '   255 0   '  LENOVO '       'ThinkPad X' '21A0 '        'LENOVO_MT' ' LENOVO'   '21A0CT' 3
check 3 'Vendor'     0   0   'Müller GmbH ☃'   '@none'      'Gerät ü'      'S'        'B'          'P'      1
check 2 'V'          16  32  'QEMU'            'Fam'        'Standard PC'  '@none'    'QEMU'       'Board'  1

# The stub's rules (257): only strings, missing ones empty. Case 1 has no
# leading zero/space, so the CHIDs 257 computes equal fwupd's.
"$DUMP" "$T/case1/dmi/tables/DMI" stub | cut -d' ' -f2 >"$T/stub1.ids"
for i in 3 4 5 6 7 8 9 10 11 13 14; do
        assert_eq "$(sed -n "$((i + 1))p" "$T/stub1.ids")" "$(sed -n "$((i + 1))p" "$T/fw1.ids")" "stub-rule CHID $i"
done
for i in 0 1 2 12; do
        assert_eq "$(sed -n "$((i + 1))p" "$T/stub1.ids")" "-" "stub-rule CHID $i (not computed by 257)"
done
echo "PASS: $n tables, 15 CHIDs each equal to fwupdtool's"
