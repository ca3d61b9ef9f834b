#!/usr/bin/env bash
# Bad input to ukit sign / ukit verify: a one-line error naming the file,
# exit 1, the input untouched (sha256 before/after), no output or temporary
# file left behind.
. "$(dirname "$0")/../lib.sh"
# scripts/test.sh points UKIT at $UKIT_BUILD/ukit; the binary is built in src/ukit/
need openssl sha256sum
PY=/usr/bin/python3

stub=/usr/lib/systemd/boot/efi/linuxx64.efi.stub
[ -f "$stub" ] || skip "$stub missing"
mkdir -p "$T/w"
cp "$stub" "$T/w/in.efi"

openssl req -new -x509 -newkey rsa:2048 -nodes -keyout "$T/k1.pem" -out "$T/c1.pem" -subj /CN=one -days 30 2>/dev/null
openssl req -new -x509 -newkey rsa:2048 -nodes -keyout "$T/k2.pem" -out "$T/c2.pem" -subj /CN=two -days 30 2>/dev/null
openssl req -new -x509 -newkey rsa:1024 -nodes -keyout "$T/k1024.pem" -out "$T/c1024.pem" -subj /CN=small -days 30 2>/dev/null
openssl req -new -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/kec.pem" -out "$T/cec.pem" -subj /CN=ec -days 30 2>/dev/null
openssl genpkey -algorithm ED25519 -out "$T/ked.pem"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -aes256 -pass pass:right -out "$T/kenc.pem" 2>/dev/null
openssl req -new -x509 -key "$T/kenc.pem" -passin pass:right -out "$T/cenc.pem" -subj /CN=enc -days 30
echo wrong >"$T/wrongpass"
echo right >"$T/rightpass"
# An expired certificate for k1 (pyOpenSSL, as openssl req cannot back-date).
if $PY -c 'import OpenSSL' 2>/dev/null; then
        $PY - "$T/k1.pem" "$T/cexp.pem" "$T/cfut.pem" <<'EOF'
import sys
from OpenSSL import crypto
key = crypto.load_privatekey(crypto.FILETYPE_PEM, open(sys.argv[1], 'rb').read())
c = crypto.X509(); c.get_subject().CN = "expired"; c.set_issuer(c.get_subject()); c.set_serial_number(7)
c.gmtime_adj_notBefore(-7200); c.gmtime_adj_notAfter(-3600); c.set_pubkey(key); c.sign(key, "sha256")
open(sys.argv[2], 'wb').write(crypto.dump_certificate(crypto.FILETYPE_PEM, c))
# Not valid yet: refused like an expired one (ukit-sign(1)).
c = crypto.X509(); c.get_subject().CN = "future"; c.set_issuer(c.get_subject()); c.set_serial_number(8)
c.gmtime_adj_notBefore(86400); c.gmtime_adj_notAfter(2 * 86400); c.set_pubkey(key); c.sign(key, "sha256")
open(sys.argv[3], 'wb').write(crypto.dump_certificate(crypto.FILETYPE_PEM, c))
EOF
fi

"$UKIT" sign --key "$T/k1.pem" --cert "$T/c1.pem" --output "$T/w/signed.efi" "$T/w/in.efi" || fail "baseline sign"
size=$(stat -c %s "$T/w/signed.efi")
head -c $((size - 100)) "$T/w/signed.efi" >"$T/w/truncated.efi"
head -c 5000 /dev/urandom >"$T/w/random.bin"
head -c 100 "$T/w/in.efi" >"$T/w/short.efi"

# expect_error WHAT EXPECTED-SUBSTRING FILE-THAT-MUST-NOT-CHANGE CMD...
expect_error() {
        local what=$1 want=$2 watched=$3; shift 3
        local before after rc=0
        before=$(sha256sum "$watched" | cut -d' ' -f1)
        "$@" >"$T/out" 2>"$T/err" </dev/null || rc=$?
        after=$(sha256sum "$watched" | cut -d' ' -f1)
        [ $rc = 1 ] || fail "$what: exit $rc, expected 1 ($(cat "$T/err"))"
        [ "$(wc -l <"$T/err")" = 1 ] || fail "$what: expected one line on stderr, got: $(cat "$T/err")"
        grep -q "^ukit [a-z]*: .*$want" "$T/err" || fail "$what: error '$(cat "$T/err")' lacks '$want'"
        [ "$before" = "$after" ] || fail "$what: $watched was modified"
        [ ! -e "$T/w/out.efi" ] || fail "$what: output file left behind"
        ls -A "$T/w" | grep -q '^\.#' && fail "$what: temporary file left behind: $(ls -A "$T/w")"
        echo "ok: $what: $(cat "$T/err")"
}

IN=$T/w/in.efi
expect_error "key for another certificate" "does not match certificate" "$IN" \
        "$UKIT" sign --key "$T/k2.pem" --cert "$T/c1.pem" "$IN"
expect_error "EC key" "unsupported key type" "$IN" \
        "$UKIT" sign --key "$T/kec.pem" --cert "$T/cec.pem" "$IN"
expect_error "Ed25519 key" "unsupported key type" "$IN" \
        "$UKIT" sign --key "$T/ked.pem" --cert "$T/c1.pem" "$IN"
expect_error "RSA-1024 key" "too small" "$IN" \
        "$UKIT" sign --key "$T/k1024.pem" --cert "$T/c1024.pem" "$IN"
expect_error "wrong passphrase" "passphrase" "$IN" \
        "$UKIT" sign --key "$T/kenc.pem" --passphrase-file "$T/wrongpass" --cert "$T/cenc.pem" "$IN"
expect_error "passphrase needed, no terminal" "passphrase" "$IN" \
        "$UKIT" sign --key "$T/kenc.pem" --cert "$T/cenc.pem" "$IN"
expect_error "missing key" "$T/nokey.pem" "$IN" \
        "$UKIT" sign --key "$T/nokey.pem" --cert "$T/c1.pem" "$IN"
expect_error "certificate is a key" "no X.509 certificate" "$IN" \
        "$UKIT" sign --key "$T/k1.pem" --cert "$T/k1.pem" "$IN"
if [ -f "$T/cexp.pem" ]; then
        expect_error "expired certificate" "expired" "$IN" \
                "$UKIT" sign --key "$T/k1.pem" --cert "$T/cexp.pem" "$IN"
fi
if [ -f "$T/cfut.pem" ]; then
        expect_error "certificate not valid yet" "not valid yet" "$IN" \
                "$UKIT" sign --key "$T/k1.pem" --cert "$T/cfut.pem" "$IN"
fi
expect_error "missing input" "$T/w/none.efi" "$IN" \
        "$UKIT" sign --key "$T/k1.pem" --cert "$T/c1.pem" "$T/w/none.efi"
expect_error "not a PE file" "random.bin" "$T/w/random.bin" \
        "$UKIT" sign --key "$T/k1.pem" --cert "$T/c1.pem" "$T/w/random.bin"
expect_error "truncated headers" "short.efi" "$T/w/short.efi" \
        "$UKIT" sign --key "$T/k1.pem" --cert "$T/c1.pem" "$T/w/short.efi"
expect_error "already signed" "already signed" "$T/w/signed.efi" \
        "$UKIT" sign --key "$T/k2.pem" --cert "$T/c2.pem" "$T/w/signed.efi"
expect_error "already signed, --output" "already signed" "$T/w/signed.efi" \
        "$UKIT" sign --key "$T/k2.pem" --cert "$T/c2.pem" --output "$T/w/out.efi" "$T/w/signed.efi"
expect_error "truncated certificate table (sign --append)" "truncated.efi: .*certificate table" "$T/w/truncated.efi" \
        "$UKIT" sign --append --key "$T/k2.pem" --cert "$T/c2.pem" "$T/w/truncated.efi"
expect_error "truncated certificate table (verify)" "truncated.efi: .*certificate table" "$T/w/truncated.efi" \
        "$UKIT" verify "$T/w/truncated.efi"
expect_error "truncated certificate table (remove)" "truncated.efi: .*certificate table" "$T/w/truncated.efi" \
        "$UKIT" sign --remove --output "$T/w/out.efi" "$T/w/truncated.efi"
expect_error "attach garbage" "random.bin: not a DER PKCS#7" "$IN" \
        "$UKIT" sign --attach "$T/w/random.bin" "$IN"
expect_error "verify unsigned" "not signed" "$IN" "$UKIT" verify "$IN"
expect_error "remove from unsigned" "not signed" "$IN" "$UKIT" sign --remove "$IN"

# The encrypted key with the right passphrase works (the baseline for the above).
"$UKIT" sign --key "$T/kenc.pem" --passphrase-file "$T/rightpass" --cert "$T/cenc.pem" --output "$T/w/enc.efi" "$IN" ||
        fail "right passphrase refused"
"$UKIT" verify --cert "$T/cenc.pem" "$T/w/enc.efi" >/dev/null || fail "verify after signing with the encrypted key"

# Usage errors exit 2.
rc=0; "$UKIT" sign "$IN" 2>/dev/null || rc=$?; assert_eq "$rc" 2 "sign without --key/--cert"
rc=0; "$UKIT" verify 2>/dev/null || rc=$?; assert_eq "$rc" 2 "verify without FILE"
echo "all ok"
