#!/usr/bin/env bash
# ukit build --pcr-private-key: the embedded .pcrsig equals what
# systemd-measure 252 sign (the oracle, on a swtpm) prints for the sections
# of the built image (extracted with objcopy), byte for byte for RSA; with
# two keys (rotation) it is systemd-measure's two outputs merged per bank
# (old key's entries, then the new key's); [PCRSignature:NAME] config groups
# give the same result; .pcrpkey is the key's public half; the prediction
# from the UKI (--uki) equals systemd-measure calculate on the sections.
. "${UKIT_TOP:-$(dirname "$0")/../..}/tests/lib.sh"
SM=/usr/lib/systemd/systemd-measure
STUB=/usr/lib/systemd/boot/efi/linuxx64.efi.stub
[ -x "$SM" ] || skip "systemd-measure not installed"
[ -f "$STUB" ] || skip "systemd-boot-efi not installed"
need swtpm objcopy openssl python3
grep -q '^systemd 252' <<<"$("$SM" --version)" || skip "need systemd-measure 252 as the oracle"

cd "$T"
swtpm_start "$T/tpm"
TPM=--tpm2-device=$SWTPM_TCTI

head -c 400000 /dev/urandom >vmlinuz
head -c 123457 /dev/urandom >initrd
for k in old new; do
        openssl genrsa -out $k.pem 2048 2>/dev/null
        openssl rsa -in $k.pem -pubout -out $k.pub 2>/dev/null
done
openssl ecparam -name prime256v1 -genkey -noout -out ec.pem
common=(--stub="$STUB" --linux=vmlinuz --initrd=initrd --cmdline="root=/dev/vda1 ro" --os-release="ID=test")

sections() {    # sections UKI: extract the measured sections to UKI.NAME
        local s
        for s in linux osrel cmdline initrd splash dtb pcrpkey pcrsig; do
                objcopy -O binary --only-section=.$s "$1" "$1.$s" 2>/dev/null || true
                [ -s "$1.$s" ] || rm -f "$1.$s"
        done
}
sm_args() {     # systemd-measure section options for the sections of UKI
        local s out=()
        for s in linux osrel cmdline initrd splash dtb pcrpkey; do
                [ -f "$1.$s" ] && out+=("--$s=$1.$s")
        done
        echo "${out[@]}"
}
strip_pad() { python3 -c 'import sys; d = open(sys.argv[1], "rb").read(); assert d.rstrip(b" ") == d.rstrip(), "padding is not spaces"; sys.stdout.buffer.write(d.rstrip(b" "))' "$1"; }

# 1. One RSA key, two banks, custom phases.
"$UKIT" build "${common[@]}" --pcr-private-key=new.pem --pcr-public-key=new.pub --pcr-banks=sha1,sha256 \
        --phases="enter-initrd enter-initrd:leave-initrd" -o one.efi >/dev/null
sections one.efi
[ -f one.efi.pcrsig ] || fail "no .pcrsig"
cmp -s one.efi.pcrpkey new.pub || fail ".pcrpkey is not the public key"
# shellcheck disable=SC2046
"$SM" sign "$TPM" $(sm_args one.efi) --private-key=new.pem --bank=sha1 --bank=sha256 \
        --phase=enter-initrd --phase=enter-initrd:leave-initrd --json=short | tr -d '\n' >one.exp
strip_pad one.efi.pcrsig >one.got
# ukify writes the JSON it got from systemd-measure with Python's json.dumps()
python3 -c 'import json, sys; sys.stdout.write(json.dumps(json.load(open(sys.argv[1]))))' one.exp >one.ukify
cmp -s one.ukify one.got || { diff <(tr , '\n' <one.ukify) <(tr , '\n' <one.got) | head; fail ".pcrsig differs from systemd-measure sign"; }
# shellcheck disable=SC2046
diff <("$SM" calculate $(sm_args one.efi) 2>&1) <("$UKIT" measure calculate --uki=one.efi 2>&1) \
        || fail "--uki prediction differs from systemd-measure calculate"

# 2. Rotation: old and new key; default phases and banks (all four, as ukify
#    257 passes none to systemd-measure); .pcrpkey chosen explicitly.
"$UKIT" build "${common[@]}" --pcrpkey=new.pub --pcr-private-key=old.pem --pcr-private-key=new.pem -o two.efi >/dev/null
sections two.efi
cmp -s two.efi.pcrpkey new.pub || fail ".pcrpkey (rotation) is not the new key"
for k in old new; do
        # shellcheck disable=SC2046
        "$SM" sign "$TPM" $(sm_args two.efi) --private-key=$k.pem --bank=sha1 --bank=sha256 --bank=sha384 --bank=sha512 --json=short >two.$k.json
done
strip_pad two.efi.pcrsig >two.got
python3 - two.old.json two.new.json two.got <<'PY' || fail "rotation .pcrsig is not old+new merged"
import json, sys
old, new = (json.load(open(f)) for f in sys.argv[1:3])
raw = open(sys.argv[3]).read()
merged = {b: old[b] + new[b] for b in old}
assert json.dumps(merged) == raw, "merged JSON differs"
PY

# 3. The same from a ukify-style config file with [PCRSignature:NAME] groups.
cat >uki.conf <<CONF
[UKI]
PCRBanks=sha1,sha256,sha384,sha512
PCRPKey=new.pub

[PCRSignature:old]
PCRPrivateKey=old.pem
PCRPublicKey=old.pub

[PCRSignature:new]
PCRPrivateKey=new.pem
CONF
"$UKIT" build "${common[@]}" --config=uki.conf -o conf.efi >/dev/null
cmp -s conf.efi two.efi || fail "config file groups give a different image than the command line"

# 4. EC P-256: JSON (space-padded to the reserved size) parses; pol/pkfp match.
"$UKIT" build "${common[@]}" --pcr-private-key=ec.pem -o ec.efi >/dev/null
sections ec.efi
# shellcheck disable=SC2046
"$SM" sign "$TPM" $(sm_args ec.efi) --private-key=ec.pem --bank=sha1 --bank=sha256 --bank=sha384 --bank=sha512 --json=short >ec.exp
python3 - ec.exp ec.efi.pcrsig <<'PY' || fail "EC .pcrsig pol/pkfp differ"
import json, sys
a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
strip = lambda j: {k: [{f: e[f] for f in ("pcrs", "pkfp", "pol")} for e in v] for k, v in j.items()}
assert strip(a) == strip(b)
PY

# 5. Bad keys: error naming the file, no output file.
openssl genpkey -algorithm ed25519 -out ed.pem 2>/dev/null
badb() {
        local what=$1; shift
        rm -f bad.efi
        if "$UKIT" build "${common[@]}" -o bad.efi "$@" >bad.out 2>&1; then fail "$what: succeeded"; fi
        [ ! -e bad.efi ] || fail "$what: left an output file"
        grep -q "ukit build: " bad.out || fail "$what: no error message"
}
badb "ed25519" --pcr-private-key=ed.pem
badb "mismatch" --pcr-private-key=old.pem --pcr-public-key=new.pub
badb "missing key" --pcr-private-key=/nonexistent.pem
badb "bad bank" --pcr-private-key=old.pem --pcr-banks=sha256,md5
badb "bad phase" --pcr-private-key=old.pem --phases="enter-initrd bogus"
badb "phases not one per key" --pcr-private-key=old.pem --pcr-private-key=new.pem --phases=enter-initrd
grep -q "nonexistent.pem" <("$UKIT" build "${common[@]}" -o bad.efi --pcr-private-key=/nonexistent.pem 2>&1) \
        || fail "missing key error does not name the file"
echo ok
