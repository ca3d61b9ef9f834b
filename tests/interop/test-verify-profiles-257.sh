#!/usr/bin/env bash
# ukit verify on multi-profile UKIs built by ukify 257 (the oracle root's,
# which signs every profile's .pcrsig with systemd-measure 257), signed by
# sbsign afterwards:
#  - every profile's .pcrsig is accepted (one or two PCR keys, all four or
#    one bank, base with or without its own --profile), text and JSON;
#  - the PCR 11 ukit reports for each profile equals `systemd-measure 257
#    calculate --phase=` (the value before any phase) on the sections the
#    stub uses for it, extracted by pefile: the base (sections before the
#    first .profile), each replaced by the profile's same-named one;
#  - one profile's .cmdline changed in place, or two profiles' .pcrsig
#    swapped: that profile (those) INVALID by number and ID, the others
#    valid, exit 1; the reported PCR 11 follows the change;
#  - a profile whose .pcrsig is renamed away has none: "no .pcrsig", exit 0;
#  - a malformed .pcrsig in a profile: one line naming the file and profile;
#  - a single-profile UKI keeps the JSON keys it had (no "profiles").
# (--sign-profile is ukify 258's; 257 signs every profile.)
. "${UKIT_TOP:-$(dirname "$0")/../..}/tests/lib.sh"
. "$UKIT_TOP/tests/interop/build-lib.sh"
build_need
need openssl unshare sbsign cmp
[ "$(id -u)" = 0 ] || skip "needs root (the oracle runs in a chroot)"
ORACLE=$(bash "$UKIT_TOP/scripts/fetch-oracle-257.sh") || fail "no systemd 257 oracle root"
export ORACLE_ROOT=$ORACLE
STUB_IN=/usr/lib/systemd/boot/efi/linuxx64.efi.stub
[ -f "$ORACLE$STUB_IN" ] || fail "no stub in the 257 oracle root"
W=$(realpath "$T")
o257() { bash "$UKIT_TOP/scripts/oracle-257-run.sh" --bind "$W" "$@"; }
o257 ukify --version | grep -q '^ukify 257' || fail "the oracle's ukify is not 257"
cd "$W"
cp "$(build_kernel)" vmlinuz
for k in pcr1 pcr2; do
        openssl genrsa -out $k.pem 2048 2>/dev/null
        openssl rsa -in $k.pem -pubout -out $k.pub 2>/dev/null
done
openssl req -new -x509 -newkey rsa:2048 -nodes -keyout sb.key -out sb.crt -days 30 -subj /CN=vp 2>/dev/null
head -c 3000 /dev/urandom >initrd1
head -c 5000 /dev/urandom >initrd2
unset SOURCE_DATE_EPOCH

# sbsign IN OUT: the Authenticode signature (sbsign, not ukit)
sbs() { sbsign --key sb.key --cert sb.crt --output "$2" "$1" >/dev/null 2>&1 || fail "sbsign $1 failed"; }

# verify UKI WANT-RC [OPTION...]: ukit verify in text and JSON, the exit
# code checked
verify() {
        local uki=$1 want=$2 rc=0
        shift 2
        "$UKIT" verify "$@" "$uki" >"$uki.txt" 2>"$uki.err" || rc=$?
        [ "$rc" = "$want" ] || { cat "$uki.txt" "$uki.err" >&2; fail "ukit verify $* $uki: exit $rc, expected $want"; }
        rc=0
        "$UKIT" verify --json=short "$@" "$uki" >"$uki.json" 2>/dev/null || rc=$?
        [ "$rc" = "$want" ] || fail "ukit verify --json $* $uki: exit $rc, expected $want"
}

# summary UKI: "N ID valid|INVALID|none" per profile from the JSON report,
# after checking it against the image (pefile): one entry per .profile,
# each entry's status ok when the profile is valid
summary() {
        $PY - "$1" <<'PY'
import json, sys, pefile
j = json.load(open(sys.argv[1] + ".json"))
pe = pefile.PE(sys.argv[1], fast_load=True)
n = sum(s.Name.rstrip(b"\0") == b".profile" for s in pe.sections)
assert len(j["profiles"]) == n, f'{len(j["profiles"])} profiles reported, {n} in the image'
for p in j["profiles"]:
    sig = p["pcrsig"]
    if sig is None:
        print(p["profile"], p["id"], "none")
        continue
    assert sig["valid"] == p["valid"]
    st = {e["status"] for e in sig["entries"]}
    assert (st == {"ok"}) == p["valid"], (p["profile"], st)
    print(p["profile"], p["id"], "valid" if p["valid"] else "INVALID")
PY
}

# pcr_check UKI: for every profile, systemd-measure 257 on the sections the
# stub uses for it equals the "pcr11" of ukit's JSON report, in each bank
# ukit reports (sha256 and those of the profile's .pcrsig)
pcr_check() {
        local uki=$1 n p
        rm -rf "$uki.m"; mkdir -p "$uki.m"
        n=$($PY - "$uki" "$uki.m" <<'PY'
import pefile, sys, os
pe = pefile.PE(sys.argv[1], fast_load=True)
out = sys.argv[2]
measured = {".linux", ".osrel", ".cmdline", ".initrd", ".ucode", ".splash", ".dtb", ".uname", ".sbat",
            ".pcrpkey", ".profile"}
groups, cur = [], {}
base = cur
for s in pe.sections:
    name = s.Name.rstrip(b"\0").decode()
    if name == ".profile":
        cur = {}
        groups.append(cur)
    if name in measured and name not in cur:
        cur[name] = pe.__data__[s.PointerToRawData:s.PointerToRawData + s.Misc_VirtualSize]
for i, g in enumerate(groups):
    os.makedirs(f"{out}/{i}")
    for name, data in {**base, **g}.items():
        open(f"{out}/{i}/{name[1:]}", "wb").write(data)
print(len(groups))
PY
)
        for ((p = 0; p < n; p++)); do
                margs=()
                for f in "$W/$uki.m/$p"/*; do margs+=("--${f##*/}=$f"); done
                o257 /usr/lib/systemd/systemd-measure calculate --json=short --phase= --bank=sha1 --bank=sha256 \
                        --bank=sha384 --bank=sha512 "${margs[@]}" >"$uki.m/exp$p.json" \
                        || fail "$uki profile $p: systemd-measure 257 failed"
                $PY - "$uki.json" "$p" "$uki.m/exp$p.json" <<'PY' || fail "$uki profile $p: PCR 11 differs from systemd-measure 257's"
import json, sys
got = json.load(open(sys.argv[1]))["profiles"][int(sys.argv[2])]["pcr11"]
exp = {b: v[0]["hash"] for b, v in json.load(open(sys.argv[3])).items()}
assert "sha256" in got, got
for b, v in got.items():
    if exp[b] != v:
        sys.exit(f"profile {sys.argv[2]} {b}: ukit {v}, systemd-measure {exp[b]}")
PY
        done
        echo "  PCR 11 of $n profiles = systemd-measure 257's"
}

# patch UKI NAME K PYEXPR: replaces the VirtualSize bytes of the K-th
# (0-based) section NAME by PYEXPR of them (d), which must keep the length
patch() {
        $PY - "$@" <<'PY'
import pefile, sys
path, name, k, expr = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
pe = pefile.PE(path, fast_load=True)
s = [s for s in pe.sections if s.Name.rstrip(b"\0").decode() == name][k]
buf = bytearray(open(path, "rb").read())
d = bytes(buf[s.PointerToRawData:s.PointerToRawData + s.Misc_VirtualSize])
new = eval(expr)
assert len(new) == len(d) and new != d, "patch must change the bytes and keep the length"
buf[s.PointerToRawData:s.PointerToRawData + len(d)] = new
open(path, "wb").write(buf)
PY
}

# ---- 1. ukify 257 builds, all accepted ----
printf 'ID=p1\nTITLE=One\n' >p1.profile
o257 ukify build --profile=@"$W/p1.profile" --cmdline='quiet profile=one' --initrd="$W/initrd1" \
        --output="$W/p1.efi" >/dev/null 2>&1 || fail "ukify 257: profile PE 1"
o257 ukify build --profile=$'ID=p2\nTITLE=Two' --uname=6.99.0-two --os-release=$'ID=two\n' \
        --output="$W/p2.efi" >/dev/null 2>&1 || fail "ukify 257: profile PE 2"
o257 ukify build --profile=$'ID=p3\nTITLE=Three' --cmdline='quiet profile=three' --initrd="$W/initrd2" \
        --output="$W/p3.efi" >/dev/null 2>&1 || fail "ukify 257: profile PE 3"
common=(--stub="$STUB_IN" --linux="$W/vmlinuz" --cmdline='root=/dev/vda2 ro' --os-release=$'ID=vp\n')
o257 ukify build "${common[@]}" --pcr-private-key="$W/pcr1.pem" --join-profile="$W/p1.efi" \
        --join-profile="$W/p2.efi" --join-profile="$W/p3.efi" --output="$W/a-unsigned.efi" >/dev/null 2>&1 \
        || fail "ukify 257: UKI a"
o257 ukify build "${common[@]}" --profile=$'ID=base\nTITLE=Base' --pcr-private-key="$W/pcr2.pem" \
        --pcr-banks=sha256 --join-profile="$W/p2.efi" --join-profile="$W/p1.efi" --output="$W/b-unsigned.efi" \
        >/dev/null 2>&1 || fail "ukify 257: UKI b"
# two PCR keys: ukify 257 writes no .pcrpkey then
o257 ukify build "${common[@]}" --pcr-private-key="$W/pcr1.pem" --pcr-private-key="$W/pcr2.pem" \
        --pcr-public-key="$W/pcr1.pub" --pcr-public-key="$W/pcr2.pub" --pcr-banks=sha1,sha384 \
        --join-profile="$W/p3.efi" --output="$W/c-unsigned.efi" >/dev/null 2>&1 || fail "ukify 257: UKI c"
o257 ukify build "${common[@]}" --pcr-private-key="$W/pcr1.pem" --output="$W/single-unsigned.efi" \
        >/dev/null 2>&1 || fail "ukify 257: single-profile UKI"
for u in a b c single; do sbs $u-unsigned.efi $u.efi; done

verify a.efi 0
assert_eq "$(summary a.efi | tr '\n' ,)" "0 main valid,1 p1 valid,2 p2 valid,3 p3 valid," "a: profiles"
for id in main p1 p2 p3; do
        grep -q "^profile [0-3] \"$id\": pcrsig: valid$" a.efi.txt || fail "a: text report: $id not valid"
done
pcr_check a.efi
verify b.efi 0
assert_eq "$(summary b.efi | tr '\n' ,)" "0 base valid,1 p2 valid,2 p1 valid," "b: profiles"
pcr_check b.efi
# Two keys, no .pcrpkey: nothing to check the signatures with, so refused
# (as for a single-profile UKI), but every entry's policy is one of the
# profile's PCR 11 values.
verify c.efi 1
$PY - c.efi.json <<'PY' || fail "c: policies do not match the profiles' PCR 11"
import json, sys
j = json.load(open(sys.argv[1]))
assert [p["id"] for p in j["profiles"]] == ["main", "p3"]
for p in j["profiles"]:
    e = p["pcrsig"]["entries"]
    assert len(e) == 2 * 2 * 4, len(e)
    assert all(x["phase"] is not None and x["status"] == "unknown-key" for x in e), e
    assert sorted(p["pcr11"]) == ["sha1", "sha256", "sha384"], p["pcr11"]
PY
pcr_check c.efi
# The vendor's two keys given with --pcr-public-key: every entry checks
# out with its own key (ukify's signatures, openssl's keys)
verify c.efi 0 --pcr-public-key=pcr1.pub --pcr-public-key=pcr2.pub
assert_eq "$(summary c.efi | tr '\n' ,)" "0 main valid,1 p3 valid," "c with both keys: profiles"
fps=$(for k in pcr1 pcr2; do openssl rsa -pubin -in $k.pub -RSAPublicKey_out -outform DER 2>/dev/null |
        sha256sum | cut -d' ' -f1; done | tr '\n' ,)
assert_eq "$($PY -c 'import json,sys; print("".join(f + "," for f in json.load(open(sys.argv[1]))["profiles"][0]["pcrsig"]["givenKeyFingerprints"]))' c.efi.json)" \
        "$fps" "c: the given keys' fingerprints (openssl: SHA-256 of the DER RSAPublicKey)"
# ... which are the "pkfp" ukify wrote into the entries
assert_eq "$($PY -c 'import json,sys; print("".join(f + "," for f in sorted({e["pkfp"] for e in json.load(open(sys.argv[1]))["profiles"][0]["pcrsig"]["entries"]})))' c.efi.json)" \
        "$(tr , '\n' <<<"$fps" | grep . | sort | tr '\n' ,)" "c: ukify's pkfp values"
grep -q '^profile 0 "main": pcrsig: 16 entries, .*\.pcrpkey missing, checked with the 2 given keys instead$' c.efi.txt ||
        fail "c with both keys: text report: $(grep 'entries' c.efi.txt)"
# one of them: its entries are ok, the other key's are "other key" (not an
# error unless --strict-pcrsig)
verify c.efi 0 --pcr-public-key=pcr2.pub
[ "$(grep -c ': ok$' c.efi.txt)" = 16 ] && [ "$(grep -c ': other key: signed by none of the given keys$' c.efi.txt)" = 16 ] ||
        fail "c with pcr2.pub: $(cat c.efi.txt)"
verify c.efi 1 --pcr-public-key=pcr2.pub --strict-pcrsig
# a key that signed nothing: refused, per bank
openssl genrsa -out pcr3.pem 2048 2>/dev/null && openssl rsa -in pcr3.pem -pubout -out pcr3.pub 2>/dev/null
verify c.efi 1 --pcr-public-key=pcr3.pub
[ "$(grep -c 'pcrsig sha384: no entry verifies with the given keys$' c.efi.txt)" = 2 ] || fail "c with pcr3.pub: $(cat c.efi.txt)"
# given keys replace .pcrpkey: a (signed with pcr1, its .pcrpkey) is refused
# when only pcr2 is trusted, accepted with pcr1
verify a.efi 1 --pcr-public-key=pcr2.pub
verify a.efi 0 --pcr-public-key=pcr1.pub
# a file that is no key: one line naming it, exit 1
echo junk >junk.pub
rc=0; "$UKIT" verify --pcr-public-key=junk.pub c.efi >junk.out 2>&1 || rc=$?
[ $rc = 1 ] && [ "$(grep -c . junk.out)" = 1 ] && grep -q '^ukit verify: junk.pub: cannot load the public key' junk.out ||
        fail "junk key: exit $rc: $(cat junk.out)"
echo "ok: ukify 257 UKIs accepted (two keys without .pcrpkey: policies match, refused; accepted with --pcr-public-key)"

# The per-profile PCR 11 values differ where the sections do (a sanity
# check of the comparison itself).
$PY -c 'import json,sys; v=[p["pcr11"]["sha256"] for p in json.load(open(sys.argv[1]))["profiles"]]; assert len(set(v)) == len(v), v' \
        a.efi.json || fail "a: two profiles with the same PCR 11"

# Single-profile UKI: the JSON report as before (no "profiles").
verify single.efi 0
assert_eq "$($PY -c 'import json,sys; print(",".join(json.load(open(sys.argv[1]))))' single.efi.json)" \
        "file,valid,uncoveredBytes,sbat,pcrsig,signatures" "single-profile JSON keys"
grep -q '^pcrsig: valid$' single.efi.txt || fail "single-profile text report"

# ---- 2. .cmdline of profile 3 changed after ukify signed it ----
# .cmdline sections of a: base, p1, p3 -> index 2 is profile 3's
cp a-unsigned.efi t1-unsigned.efi
patch t1-unsigned.efi .cmdline 2 'd.replace(b"three", b"THREE")'
sbs t1-unsigned.efi t1.efi
verify t1.efi 1
assert_eq "$(summary t1.efi | tr '\n' ,)" "0 main valid,1 p1 valid,2 p2 valid,3 p3 INVALID," "changed .cmdline: profiles"
grep -q '^pcrsig: INVALID for profile 3 "p3"$' t1.efi.txt || fail "changed .cmdline: text does not name profile 3"
[ "$(grep -c '^pcrsig: INVALID' t1.efi.txt)" = 1 ] || fail "changed .cmdline: other profiles named"
grep -q '^FAILED$' t1.efi.txt || fail "changed .cmdline: not FAILED"
pcr_check t1.efi
echo "ok: changed .cmdline of profile 3 named"

# ---- 3. .pcrsig of profiles 1 and 2 swapped ----
# .pcrsig sections of a: profile 0, 1, 2, 3 (one key, same banks: same size)
cp a-unsigned.efi t2-unsigned.efi
$PY - t2-unsigned.efi <<'PY'
import pefile, sys
path = sys.argv[1]
pe = pefile.PE(path, fast_load=True)
s = [s for s in pe.sections if s.Name.rstrip(b"\0") == b".pcrsig"]
assert len(s) == 4, len(s)
a, b = s[1], s[2]
assert a.Misc_VirtualSize == b.Misc_VirtualSize and a.SizeOfRawData == b.SizeOfRawData, "sizes differ"
buf = bytearray(open(path, "rb").read())
da = buf[a.PointerToRawData:a.PointerToRawData + a.SizeOfRawData]
db = buf[b.PointerToRawData:b.PointerToRawData + b.SizeOfRawData]
assert da != db
buf[a.PointerToRawData:a.PointerToRawData + a.SizeOfRawData] = db
buf[b.PointerToRawData:b.PointerToRawData + b.SizeOfRawData] = da
open(path, "wb").write(buf)
PY
sbs t2-unsigned.efi t2.efi
verify t2.efi 1
assert_eq "$(summary t2.efi | tr '\n' ,)" "0 main valid,1 p1 INVALID,2 p2 INVALID,3 p3 valid," "swapped .pcrsig: profiles"
for p in 1 2; do
        grep -q "^pcrsig: INVALID for profile $p \"p$p\"\$" t2.efi.txt || fail "swapped .pcrsig: text does not name profile $p"
done
echo "ok: swapped .pcrsig of profiles 1 and 2 named"

# ---- 4. profile 2 without .pcrsig (its section renamed): nothing to check ----
cp a-unsigned.efi t3-unsigned.efi
$PY - t3-unsigned.efi <<'PY'
import pefile, sys
pe = pefile.PE(sys.argv[1])
s = [s for s in pe.sections if s.Name.rstrip(b"\0") == b".pcrsig"][2]
s.Name = b".pcrsiX\0"
pe.write(sys.argv[1])
PY
sbs t3-unsigned.efi t3.efi
verify t3.efi 0
assert_eq "$(summary t3.efi | tr '\n' ,)" "0 main valid,1 p1 valid,2 p2 none,3 p3 valid," "profile without .pcrsig"
grep -q '^profile 2 "p2": no .pcrsig$' t3.efi.txt || fail "profile without .pcrsig: text report"
echo "ok: profile without .pcrsig reported, not refused"

# ---- 5. malformed .pcrsig in profile 1: one line naming file and profile ----
cp a-unsigned.efi t4.efi
patch t4.efi .pcrsig 1 'b"[" + d[1:]'
if "$UKIT" verify t4.efi >t4.out 2>t4.err; then fail "malformed .pcrsig accepted"; fi
[ ! -s t4.out ] || fail "malformed .pcrsig: printed a report"
assert_eq "$(wc -l <t4.err)" 1 "malformed .pcrsig: lines of error"
grep -q '^ukit verify: t4.efi: profile 1: .pcrsig: ' t4.err || fail "malformed .pcrsig: $(cat t4.err)"
echo "ok: malformed .pcrsig in profile 1: $(cat t4.err)"
echo PASS
