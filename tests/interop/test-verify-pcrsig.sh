#!/usr/bin/env bash
# ukit verify audits a UKI's .pcrsig: entries by ukit build (RSA, EC) and by
# systemd-measure 252 sign (the oracle: it computes "pol" on a swtpm) for
# the image's sections are OK; the key fingerprint equals the SHA-256 of
# openssl's DER of .pcrpkey; the "pol" ukit verify attributes to phase
# enter-initrd equals the policy tpm2_createpolicy computes on a swtpm whose
# PCR 11 was extended with the stub's events (hashes by sha*sum). A
# .cmdline changed after signing -> mismatch; a .pcrsig by another key ->
# "other key" and failure (unless an entry by .pcrpkey is there as well:
# rotation; --strict-pcrsig refuses that); a corrupted signature ->
# bad-signature; a phase path outside the candidates needs
# --pcrsig-phase; malformed JSON -> one-line error naming the file.
. "${UKIT_TOP:-$(dirname "$0")/../..}/tests/lib.sh"
SM=/usr/lib/systemd/systemd-measure
STUB=/usr/lib/systemd/boot/efi/linuxx64.efi.stub
[ -x "$SM" ] || skip "systemd-measure not installed"
[ -f "$STUB" ] || skip "systemd-boot-efi not installed"
need swtpm tpm2_pcrextend tpm2_pcrread tpm2_createpolicy objcopy objdump openssl python3 sha1sum sha256sum
grep -q '^systemd 252' <<<"$("$SM" --version)" || skip "need systemd-measure 252 as the oracle"

cd "$T"
# One swtpm (as in test-measure-sign.sh), for systemd-measure and tpm2-tools.
swtpm_start "$T/tpm"
export TPM2TOOLS_TCTI=$SWTPM_TCTI
TPM=--tpm2-device=$SWTPM_TCTI

head -c 300000 /dev/urandom >vmlinuz
head -c 70001 /dev/urandom >initrd
printf 'ID=test\n' >osrel
printf 'root=/dev/vda1 ro quiet' >cmdline
for k in rsa other; do
        openssl genrsa -out $k.pem 2048 2>/dev/null
        openssl rsa -in $k.pem -pubout -out $k.pub 2>/dev/null
done
openssl ecparam -name prime256v1 -genkey -noout -out ec.pem
openssl ec -in ec.pem -pubout -out ec.pub 2>/dev/null
openssl req -new -x509 -newkey rsa:2048 -nodes -keyout sb.key -out sb.crt -days 30 -subj /CN=audit 2>/dev/null
common=(--stub="$STUB" --linux=vmlinuz --initrd=initrd --cmdline=@cmdline --os-release=@osrel)
sb=(--secureboot-private-key=sb.key --secureboot-certificate=sb.crt)

# audit UKI WANT-RC: runs ukit verify (text and JSON), checks the exit code.
audit() {
        local rc=0
        "$UKIT" verify "${@:3}" "$1" >"$1.txt" 2>"$1.err" || rc=$?
        [ "$rc" = "$2" ] || { cat "$1.txt" "$1.err"; fail "ukit verify $1: exit $rc, expected $2"; }
        rc=0
        "$UKIT" verify --json=short "${@:3}" "$1" >"$1.json" 2>/dev/null || rc=$?
        [ "$rc" = "$2" ] || fail "ukit verify --json $1: exit $rc, expected $2"
}
# statuses UKI: "bank:phase:status" per entry, from the JSON report.
statuses() {
        python3 - "$1.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
assert all(s["signatureValid"] for s in j["signatures"]), "Authenticode signature broken"
for e in j["pcrsig"]["entries"]:
    print(f'{e["bank"]}:{e["phase"]}:{e["status"]}')
PY
}
# pkfp of a public key, computed by openssl (PKCS#1 RSAPublicKey / EC point).
fingerprint() {
        if grep -q "BEGIN PUBLIC KEY" "$1" && openssl rsa -pubin -in "$1" -noout 2>/dev/null; then
                openssl rsa -pubin -in "$1" -RSAPublicKey_out -outform DER 2>/dev/null | sha256sum | cut -d' ' -f1
        else
                openssl ec -pubin -in "$1" -outform DER 2>/dev/null | tail -c 65 | sha256sum | cut -d' ' -f1
        fi
}
phases="enter-initrd enter-initrd:leave-initrd enter-initrd:leave-initrd:sysinit enter-initrd:leave-initrd:sysinit:ready"
expect_all_ok() {       # expect_all_ok UKI BANKS...
        local b p want="" uki=$1; shift
        for b in "$@"; do for p in $phases; do want+="$b:$p:ok"$'\n'; done; done
        assert_eq "$(statuses "$uki")" "${want%$'\n'}" "$uki: entries"
}

# 1. ukit build, RSA and EC, all four banks: every entry OK, phases recovered.
for k in rsa ec; do
        "$UKIT" build "${common[@]}" "${sb[@]}" --pcr-private-key=$k.pem --pcr-public-key=$k.pub \
                --pcr-banks=sha1,sha256,sha384,sha512 -o $k.efi 2>/dev/null || fail "ukit build ($k) failed"
        audit $k.efi 0
        expect_all_ok $k.efi sha1 sha256 sha384 sha512
        got=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pcrsig"]["pcrpkeyFingerprint"])' $k.efi.json)
        assert_eq "$got" "$(fingerprint $k.pub)" "$k: .pcrpkey fingerprint vs openssl"
        grep -q '^pcrsig: valid$' $k.efi.txt || fail "$k: text report does not say valid"
done

# 2. The .pcrsig systemd-measure 252 signs for the image's own sections.
for s in linux osrel cmdline initrd pcrpkey; do
        objcopy -O binary --only-section=.$s rsa.efi rsa.$s || fail "objcopy .$s"
done
"$SM" sign "$TPM" --linux=rsa.linux --osrel=rsa.osrel --cmdline=rsa.cmdline --initrd=rsa.initrd \
        --pcrpkey=rsa.pcrpkey --bank=sha1 --bank=sha256 --private-key=rsa.pem --json=short >sm.json \
        || fail "systemd-measure sign failed"
"$UKIT" build "${common[@]}" "${sb[@]}" --pcrpkey=rsa.pub --section=.pcrsig:@sm.json -o sm.efi 2>/dev/null \
        || fail "ukit build with systemd-measure's .pcrsig failed"
audit sm.efi 0
expect_all_ok sm.efi sha1 sha256

# 3. tpm2-tools: PCR 11 after the stub's events (252 order) and enter-initrd;
# the TPM's PolicyPCR digest equals the pol of the entry ukit verify
# attributes to enter-initrd.
h() { "$1sum" | cut -d' ' -f1; }
extend_file() { tpm2_pcrextend "11:sha1=$(h sha1 <"$1"),sha256=$(h sha256 <"$1")"; }
for s in linux osrel cmdline initrd pcrpkey; do
        printf '.%s\0' $s >ev; extend_file ev
        extend_file rsa.$s
done
printf 'enter-initrd' >ev; extend_file ev
tpm2_createpolicy -Q --policy-pcr -l sha256:11 -L tpm.pol || fail "tpm2_createpolicy failed"
want=$(python3 - sm.efi.json sm.json <<'PY'
import json, sys
rep, doc = (json.load(open(f)) for f in sys.argv[1:3])
[i] = [e["index"] for e in rep["pcrsig"]["entries"] if e["bank"] == "sha256" and e["phase"] == "enter-initrd"]
print(doc["sha256"][i]["pol"])
PY
)
assert_eq "$(od -An -tx1 -v tpm.pol | tr -d ' \n')" "$want" "PolicyPCR from tpm2_createpolicy vs entry for enter-initrd"

# 4. .cmdline changed after signing (bytes patched at objdump's file offset,
# then Authenticode-signed): every entry is a mismatch, exit 1.
"$UKIT" build "${common[@]}" --pcr-private-key=rsa.pem --pcr-banks=sha256 -o tamper.efi 2>/dev/null || fail "build"
off=$(objdump -h tamper.efi | awk '$2 == ".cmdline" {print $6}')
[ -n "$off" ] || fail "no .cmdline in objdump -h"
off=$((16#$off))
printf 'ROOT' | dd of=tamper.efi bs=1 seek="$off" conv=notrunc status=none
"$UKIT" sign --key=sb.key --cert=sb.crt tamper.efi 2>/dev/null || fail "ukit sign failed"
objcopy -O binary --only-section=.cmdline tamper.efi tamper.cmdline
grep -q '^ROOT=/dev/vda1' tamper.cmdline || fail "patch did not land in .cmdline"
audit tamper.efi 1
assert_eq "$(statuses tamper.efi | sort -u)" "sha256:None:mismatch" "tampered .cmdline: entries"
grep -q 'mismatch' tamper.efi.txt || fail "text report does not name the mismatch"

# 5. Signed by another key than .pcrpkey (systemd-measure again): other key, exit 1.
"$SM" sign "$TPM" --linux=rsa.linux --osrel=rsa.osrel --cmdline=rsa.cmdline --initrd=rsa.initrd \
        --pcrpkey=rsa.pcrpkey --bank=sha256 --private-key=other.pem --json=short >other.json || fail "sign other"
"$UKIT" build "${common[@]}" "${sb[@]}" --pcrpkey=rsa.pub --section=.pcrsig:@other.json -o other.efi 2>/dev/null \
        || fail "build other"
audit other.efi 1
for p in $phases; do w+="sha256:$p:unknown-key"$'\n'; done
assert_eq "$(statuses other.efi)" "${w%$'\n'}" "other key: entries"
grep -q 'other key' other.efi.txt && grep -q 'sha256: no entry verifies with .pcrpkey' other.efi.txt \
        || fail "text report does not name the other key"
pk=$(python3 -c 'import json,sys; print({e["pkfp"] for e in json.load(open(sys.argv[1]))["pcrsig"]["entries"]}.pop())' other.efi.json)
assert_eq "$pk" "$(fingerprint other.pub)" "other key's fingerprint"

# Rotation: the other key's and .pcrpkey's entries in one .pcrsig: OK, but
# not with --strict-pcrsig.
python3 - other.json sm.json >rot.json <<'PY'
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
print(json.dumps({"sha256": a["sha256"] + b["sha256"]}))
PY
"$UKIT" build "${common[@]}" "${sb[@]}" --pcrpkey=rsa.pub --section=.pcrsig:@rot.json -o rot.efi 2>/dev/null || fail "build rot"
audit rot.efi 0
assert_eq "$(statuses rot.efi | awk -F: '{print $NF}' | sort | uniq -c | tr -s ' ')" " 4 ok"$'\n'" 4 unknown-key" "rotation: entries"
audit rot.efi 1 --strict-pcrsig

# 6. A corrupted signature: bad-signature, exit 1.
python3 - sm.json >badsig.json <<'PY'
import json, sys, base64
j = json.load(open(sys.argv[1]))
s = bytearray(base64.b64decode(j["sha256"][1]["sig"])); s[10] ^= 1
j["sha256"][1]["sig"] = base64.b64encode(bytes(s)).decode()
print(json.dumps(j))
PY
"$UKIT" build "${common[@]}" "${sb[@]}" --pcrpkey=rsa.pub --section=.pcrsig:@badsig.json -o badsig.efi 2>/dev/null || fail "build"
audit badsig.efi 1
assert_eq "$(statuses badsig.efi | grep -c ':bad-signature$')" 1 "corrupted signature: bad-signature entries"

# 7. A phase path outside the known candidates needs --pcrsig-phase.
"$SM" sign "$TPM" --linux=rsa.linux --osrel=rsa.osrel --cmdline=rsa.cmdline --initrd=rsa.initrd \
        --pcrpkey=rsa.pcrpkey --bank=sha256 --phase=enter-initrd:ready --private-key=rsa.pem --json=short >ph.json \
        || fail "systemd-measure sign --phase failed"
"$UKIT" build "${common[@]}" "${sb[@]}" --pcrpkey=rsa.pub --section=.pcrsig:@ph.json -o ph.efi 2>/dev/null || fail "build"
audit ph.efi 1
assert_eq "$(statuses ph.efi)" "sha256:None:mismatch" "unlisted phase path"
audit ph.efi 0 --pcrsig-phase=enter-initrd::ready
assert_eq "$(statuses ph.efi)" "sha256:enter-initrd:ready:ok" "--pcrsig-phase"

# 8. Malformed .pcrsig: one line naming the file, exit 1, nothing on stdout.
n=0
for bad in '{"sha256": [' '{"sha256": [{"pcrs": [11], "pol": "zz", "pkfp": "00", "sig": "AA=="}]}' \
           '{"md5": []}' '[1,2]' '{"sha256": [{"pcrs": [11], "pol": 1.5}]}'; do
        printf '%s' "$bad" >bad.json
        "$UKIT" build "${common[@]}" "${sb[@]}" --pcrpkey=rsa.pub --section=.pcrsig:@bad.json -o bad.efi 2>/dev/null || fail "build"
        if "$UKIT" verify bad.efi >bad.out 2>bad.err; then fail "malformed .pcrsig accepted: $bad"; fi
        [ ! -s bad.out ] || fail "malformed .pcrsig: printed a report: $bad"
        assert_eq "$(wc -l <bad.err)" 1 "malformed .pcrsig: lines of error ($bad)"
        grep -q '^ukit verify: bad.efi: .pcrsig: ' bad.err || fail "error does not name the file: $(cat bad.err)"
        n=$((n + 1))
done
echo "ok: $n malformed inputs refused"

# An unsigned UKI is still audited (its .pcrsig checked against the
# systemd-measure-made one above), and fails for want of a signature.
"$UKIT" build "${common[@]}" --pcrpkey=rsa.pub --section=.pcrsig:@sm.json -o unsigned.efi 2>/dev/null || fail "build unsigned"
if "$UKIT" verify unsigned.efi >unsigned.out 2>unsigned.err; then fail "unsigned image verified"; fi
grep -q '^pcrsig: valid$' unsigned.out || fail "unsigned image: .pcrsig not audited: $(cat unsigned.out)"
grep -q 'unsigned.efi: image is not signed' unsigned.err || fail "unsigned image: no error line: $(cat unsigned.err)"
echo "ok: unsigned image audited and refused"
