#!/usr/bin/env bash
# ukit measure sign (no TPM) == systemd-measure 252 sign (which computes the
# PolicyPCR digest on a TPM: a swtpm here) byte for byte with the same RSA key
# (PKCS#1 v1.5 is deterministic). EC P-256 (randomised ECDSA): same "pol" and
# "pkfp", signature verified with openssl. Bad keys: clear error, no output.
. "${UKIT_TOP:-$(dirname "$0")/../..}/tests/lib.sh"
SM=/usr/lib/systemd/systemd-measure
[ -x "$SM" ] || skip "systemd-measure not installed"
need swtpm openssl python3
grep -q '^systemd 252' <<<"$("$SM" --version)" || skip "need systemd-measure 252 as the oracle"

cd "$T"
swtpm_start "$T/tpm"
TPM=--tpm2-device=$SWTPM_TCTI

head -c 300000 /dev/urandom >linux
head -c 70000 /dev/urandom >initrd
printf 'ID=debian\n' >osrel
printf 'root=/dev/sda1 ro' >cmdline
openssl genrsa -out rsa.pem 2048 2>/dev/null
openssl rsa -in rsa.pem -pubout -out rsa.pub 2>/dev/null
openssl genrsa -out rsa4k.pem 4096 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out ec.pem
openssl ec -in ec.pem -pubout -out ec.pub 2>/dev/null
openssl genpkey -algorithm ed25519 -out ed.pem 2>/dev/null

cases=(
        "--linux=linux"
        "--linux=linux --osrel=osrel --cmdline=cmdline --initrd=initrd --pcrpkey=rsa.pub"
        "--linux=linux --phase= --bank=sha256"
        "--linux=linux --cmdline=cmdline --bank=sha1 --bank=sha512 --phase=enter-initrd --phase=ready"
        "--linux=linux --initrd=initrd --bank=sha384 --phase=enter-initrd:leave-initrd:sysinit:ready:shutdown:final"
)
n=0
for c in "${cases[@]}"; do
        for key in "rsa.pem" "rsa.pem --public-key=rsa.pub" "rsa4k.pem"; do
                for j in "" --json=short --json=pretty; do
                        # shellcheck disable=SC2086
                        "$SM" sign "$TPM" $c --private-key=$key $j >exp.json 2>exp.err || fail "systemd-measure sign failed: $c: $(cat exp.err)"
                        # shellcheck disable=SC2086
                        "$UKIT" measure sign $c --private-key=$key $j >got.json 2>got.err || fail "ukit sign failed: $c: $(cat got.err)"
                        cmp -s exp.json got.json || { diff exp.json got.json | head -5; fail "sign JSON differs: $c key=$key $j"; }
                        n=$((n + 1))
                done
        done
done

# EC P-256: pol and pkfp equal systemd-measure's; the signature verifies.
"$SM" sign "$TPM" --linux=linux --osrel=osrel --private-key=ec.pem >exp.json
"$UKIT" measure sign --linux=linux --osrel=osrel --private-key=ec.pem --public-key=ec.pub >got.json
python3 - exp.json got.json <<'PY' || fail "EC pol/pkfp differ"
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
strip = lambda j: {k: [{f: e[f] for f in ("pcrs", "pkfp", "pol")} for e in v] for k, v in j.items()}
assert list(a) == list(b) and strip(a) == strip(b), (strip(a), strip(b))
PY
python3 - got.json <<'PY' >ec.list
import json, sys, base64
for bank, entries in json.load(open(sys.argv[1])).items():
    for i, e in enumerate(entries):
        open(f"pol.{bank}.{i}", "wb").write(bytes.fromhex(e["pol"]))
        open(f"sig.{bank}.{i}", "wb").write(base64.b64decode(e["sig"]))
        print(bank, i)
PY
while read -r bank i; do
        openssl dgst "-$bank" -verify ec.pub -signature "sig.$bank.$i" "pol.$bank.$i" >/dev/null \
                || fail "EC signature $bank/$i does not verify"
        n=$((n + 1))
done <ec.list

# Bad keys: one-line error, non-zero exit, no output.
bad() {
        local what=$1; shift
        if "$UKIT" measure sign --linux=linux "$@" >bad.out 2>bad.err; then fail "$what: succeeded"; fi
        [ ! -s bad.out ] || fail "$what: printed output"
        [ "$(wc -l <bad.err)" -le 2 ] || fail "$what: more than one line of error"
        grep -q "ukit measure: " bad.err || fail "$what: no error message"
}
bad "ed25519 key" --private-key=ed.pem
bad "mismatched public key" --private-key=rsa.pem --public-key=ec.pub
bad "not a key" --private-key=osrel
bad "missing key" --private-key=/nonexistent.pem
bad "no key" --bank=sha256
bad "unreadable section" --private-key=rsa.pem --initrd=/nonexistent
grep -q "does not belong" <("$UKIT" measure sign --linux=linux --private-key=rsa.pem --public-key=ec.pub 2>&1) \
        || fail "mismatch error unclear"
echo "ok: $n comparisons"
