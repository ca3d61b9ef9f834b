#!/usr/bin/env bash
# ukit sign / ukit verify judged by sbverify, osslsigncode and pesign (and
# python3-pefile for the PE checksum), in both directions, on the systemd
# stub, systemd-boot, the Debian kernel and a UKI built by ukit build.
. "$(dirname "$0")/../lib.sh"
# scripts/test.sh points UKIT at $UKIT_BUILD/ukit; the binary is built in src/ukit/
need sbsign sbverify sbattach osslsigncode pesign openssl
PY=/usr/bin/python3     # Debian's python, which has python3-pefile
$PY -c 'import pefile' 2>/dev/null || skip "python3-pefile not installed"

# ---- keys: two independent RSA-2048 signers
for n in 1 2; do
        openssl req -new -x509 -newkey rsa:2048 -nodes -keyout "$T/k$n.pem" -out "$T/c$n.pem" \
                -subj "/CN=ukit test signer $n" -days 30 2>/dev/null
done

# ---- inputs
inputs=()
for f in /usr/lib/systemd/boot/efi/linuxx64.efi.stub /usr/lib/systemd/boot/efi/systemd-bootx64.efi; do
        [ -f "$f" ] || skip "$f missing (systemd-boot-efi)"
        cp "$f" "$T/$(basename "$f").in"; inputs+=("$T/$(basename "$f").in")
done
kernel=$(debian_kernel)
# Debian's kernel comes signed by Debian: ukit verify accepts that signature
# (no trust anchor given: signature and digest only), then it is removed.
"$UKIT" verify "$kernel" >"$T/deb.out" || { cat "$T/deb.out"; fail "ukit verify rejects Debian's kernel signature"; }
grep -q "Debian Secure Boot Signer" "$T/deb.out" || fail "Debian signer not listed: $(cat "$T/deb.out")"
"$UKIT" sign --remove --output "$T/vmlinuz.in" "$kernel" || fail "--remove of Debian's signature"
inputs+=("$T/vmlinuz.in")
printf 'ID=test\nNAME="ukit test"\n' >"$T/os-release"
head -c 300000 /dev/urandom >"$T/initrd"
"$UKIT" build --linux "$kernel" --initrd "$T/initrd" --cmdline "console=ttyS0" --os-release "@$T/os-release" \
        --uname 6.1.0-test --output "$T/uki.in" || fail "ukit build failed"
inputs+=("$T/uki.in")

checksum_ok() {         # FILE: stored PE checksum == pefile's computation
        $PY - "$1" <<'EOF' || fail "$1: PE checksum mismatch"
import sys, pefile
p = pefile.PE(sys.argv[1], fast_load=True)
sys.exit(0 if p.OPTIONAL_HEADER.CheckSum == p.generate_checksum() else 1)
EOF
}

pesign_signers() { pesign -S -i "$1" 2>/dev/null | grep -c "The signer's common name is" || true; }

for in in "${inputs[@]}"; do
        b=${in%.in}
        echo "-- $(basename "$b")"

        # in place, via --output, deterministic
        cp "$in" "$b.signed"
        "$UKIT" sign --key "$T/k1.pem" --cert "$T/c1.pem" "$b.signed" || fail "$b: ukit sign failed"
        "$UKIT" sign --key "$T/k1.pem" --cert "$T/c1.pem" --output "$b.signed2" "$in" || fail "$b: sign --output"
        assert_files_equal "$b.signed" "$b.signed2" "$b: in-place and --output results (determinism)"
        assert_files_equal "$in" "$in" "input"
        cmp -s "$in" "$b.signed" && fail "$b: --output modified nothing?"

        sbverify --cert "$T/c1.pem" "$b.signed" >/dev/null 2>&1 || fail "$b: sbverify rejects ukit's signature"
        osslsigncode verify -CAfile "$T/c1.pem" -in "$b.signed" >"$T/ossl.out" 2>&1 || { cat "$T/ossl.out"; fail "$b: osslsigncode rejects"; }
        grep -q "MISMATCH" "$T/ossl.out" && fail "$b: osslsigncode reports a PE checksum mismatch"
        assert_eq "$(pesign_signers "$b.signed")" 1 "$b: pesign -S signer count"
        checksum_ok "$b.signed"
        "$UKIT" verify --cert "$T/c1.pem" "$b.signed" >/dev/null || fail "$b: ukit verify rejects its own signature"
        # the wrong certificate is refused by both
        sbverify --cert "$T/c2.pem" "$b.signed" >/dev/null 2>&1 && fail "$b: sbverify accepts the wrong cert"
        assert_fails "$b: ukit verify with the wrong cert" "$UKIT" verify --cert "$T/c2.pem" "$b.signed"

        # the same digest as sbsign computes: sign with sbsign, and compare
        # the SpcIndirectDataContent digests via osslsigncode's reading
        sbsign --key "$T/k1.pem" --cert "$T/c1.pem" --output "$b.sbsign" "$in" >/dev/null 2>&1 || fail "$b: sbsign failed"
        osslsigncode sign -key "$T/k2.pem" -certs "$T/c2.pem" -in "$in" -out "$b.ossl" >/dev/null 2>&1 || fail "$b: osslsigncode sign failed"
        "$UKIT" verify --cert "$T/c1.pem" "$b.sbsign" >/dev/null || fail "$b: ukit verify rejects sbsign's signature"
        "$UKIT" verify --cert "$T/c2.pem" "$b.ossl" >/dev/null || fail "$b: ukit verify rejects osslsigncode's signature"
        assert_fails "$b: ukit verify accepts sbsign's signature with the wrong cert" "$UKIT" verify --cert "$T/c2.pem" "$b.sbsign"
        d_ukit=$("$UKIT" verify --json=short "$b.signed" | sed 's/.*"digest":"\([0-9a-f]*\)".*/\1/')
        d_sb=$("$UKIT" verify --json=short "$b.sbsign" | sed 's/.*"digest":"\([0-9a-f]*\)".*/\1/')
        assert_eq "$d_ukit" "$d_sb" "$b: signed image digest, ukit vs sbsign"

        # --append: a second signature with another key
        "$UKIT" sign --append --key "$T/k2.pem" --cert "$T/c2.pem" --output "$b.two" "$b.signed" || fail "$b: --append"
        sbverify --list "$b.two" >"$T/list" 2>/dev/null || fail "$b: sbverify --list"
        assert_eq "$(grep -c '^signature [0-9]' "$T/list")" 2 "$b: sbverify --list signature count"
        sbverify --cert "$T/c1.pem" "$b.two" >/dev/null 2>&1 || fail "$b: sbverify (cert 1) rejects the 2-signature image"
        sbverify --cert "$T/c2.pem" "$b.two" >/dev/null 2>&1 || fail "$b: sbverify (cert 2) rejects the 2-signature image"
        assert_eq "$(pesign_signers "$b.two")" 2 "$b: pesign -S signer count after --append"
        checksum_ok "$b.two"
        "$UKIT" verify --cert "$T/c1.pem" --cert "$T/c2.pem" "$b.two" >"$T/v.out" || fail "$b: ukit verify (2 signatures)"
        grep -q "^$b.two: 2 signatures" "$T/v.out" || fail "$b: ukit verify does not list 2 signatures"
        assert_fails "$b: second signature untrusted" "$UKIT" verify --cert "$T/c1.pem" "$b.two"
        # without --append an already signed image is refused
        assert_fails "$b: re-sign without --append" "$UKIT" sign --key "$T/k2.pem" --cert "$T/c2.pem" --output "$b.x" "$b.signed"
        [ ! -e "$b.x" ] || fail "$b: output left behind on error"

        # --detach / --attach give exactly the in-place result; sbsign's
        # detached signature attaches too
        "$UKIT" sign --key "$T/k1.pem" --cert "$T/c1.pem" --detach "$b.p7" "$in" || fail "$b: --detach"
        openssl pkcs7 -inform DER -in "$b.p7" -noout || fail "$b: detached signature is not DER PKCS#7"
        "$UKIT" sign --attach "$b.p7" --output "$b.att" "$in" || fail "$b: --attach"
        assert_files_equal "$b.att" "$b.signed" "$b: detach+attach vs sign"
        sbsign --key "$T/k2.pem" --cert "$T/c2.pem" --detached --output "$b.sbp7" "$in" >/dev/null 2>&1
        "$UKIT" sign --attach "$b.sbp7" --output "$b.att2" "$in" || fail "$b: --attach of sbsign's detached signature"
        sbverify --cert "$T/c2.pem" "$b.att2" >/dev/null 2>&1 || fail "$b: sbverify rejects the attached sbsign signature"
        other=$T/uki.in; [ "$in" != "$other" ] || other=${inputs[0]}
        assert_fails "$b: --attach of a signature for another image" "$UKIT" sign --attach "$b.p7" --output "$b.y" "$other"
        [ ! -e "$b.y" ] || fail "$b: output left behind"

        # --remove: unsigned again, and signing that again gives the same signature
        "$UKIT" sign --remove --output "$b.removed" "$b.two" || fail "$b: --remove"
        assert_fails "$b: verify of a removed image" "$UKIT" verify "$b.removed"
        sbverify --list "$b.removed" 2>&1 | grep -q "No signature table present" || fail "$b: sbverify still sees a signature table"
        checksum_ok "$b.removed"
        "$UKIT" sign --key "$T/k1.pem" --cert "$T/c1.pem" --output "$b.resigned" "$b.removed"
        assert_files_equal "$b.resigned" "$b.signed" "$b: sign(remove(sign(x))) vs sign(x)"
done

# An encrypted key (Debian's snakeoil one) with --passphrase-file
so=/usr/share/ovmf/PkKek-1-snakeoil
if [ -f "$so.key" ]; then
        echo snakeoil >"$T/pass"
        "$UKIT" sign --key "$so.key" --passphrase-file "$T/pass" --cert "$so.pem" --output "$T/so.efi" "$T/uki.in" ||
                fail "signing with the encrypted snakeoil key"
        sbverify --cert "$so.pem" "$T/so.efi" >/dev/null 2>&1 || fail "sbverify rejects the snakeoil signature"
        # a file: URI and a DER certificate load too
        openssl x509 -in "$so.pem" -outform DER -out "$T/so.der"
        "$UKIT" sign --key "file:$so.key" --passphrase-file "$T/pass" --cert "$T/so.der" --output "$T/so2.efi" "$T/uki.in" ||
                fail "signing with a file: URI key and DER certificate"
        assert_files_equal "$T/so.efi" "$T/so2.efi" "PEM path vs URI/DER"
fi
# Nested signatures (osslsigncode's way of carrying several): ukit verify
# lists and checks them, marked as nested
osslsigncode sign -key "$T/k1.pem" -certs "$T/c1.pem" -in "${inputs[0]}" -out "$T/n1.efi" >/dev/null 2>&1 || fail "osslsigncode sign"
osslsigncode sign -nest -key "$T/k2.pem" -certs "$T/c2.pem" -in "$T/n1.efi" -out "$T/nested.efi" >/dev/null 2>&1 || fail "osslsigncode -nest"
cat "$T/c1.pem" "$T/c2.pem" >"$T/bundle.pem"
osslsigncode verify -CAfile "$T/bundle.pem" -in "$T/nested.efi" >/dev/null 2>&1 || fail "osslsigncode rejects its own nested signature"
"$UKIT" verify --cert "$T/c1.pem" --cert "$T/c2.pem" "$T/nested.efi" >"$T/v.out" || fail "ukit verify rejects osslsigncode's nested signature"
grep -q "^signature 2: (nested in 1" "$T/v.out" || fail "nested signature not listed: $(cat "$T/v.out")"
grep -q "subject /CN=ukit test signer 2" "$T/v.out" || fail "nested signer not listed"
assert_fails "nested signer untrusted" "$UKIT" verify --cert "$T/c1.pem" "$T/nested.efi"
# SBAT audit: a signed UKI whose .sbat shim could not parse fails verify
# (the signature itself is fine)
$PY - "$T/uki.in" "$T/badsbat.efi" <<'EOF'
import sys, pefile
d = bytearray(open(sys.argv[1], 'rb').read())
p = pefile.PE(data=bytes(d), fast_load=True)
s = [x for x in p.sections if x.Name.rstrip(b'\0') == b'.sbat'][0]
i = d.index(b',', s.PointerToRawData)   # "sbat,1,..." -> "sbat;1,...": no header line
d[i] = ord(';')
open(sys.argv[2], 'wb').write(d)
EOF
"$UKIT" sign --key "$T/k1.pem" --cert "$T/c1.pem" "$T/badsbat.efi"
sbverify --cert "$T/c1.pem" "$T/badsbat.efi" >/dev/null 2>&1 || fail "sbverify rejects the bad-SBAT image's signature"
"$UKIT" verify --cert "$T/c1.pem" "$T/uki.signed" >"$T/v.out" || fail "verify of the good UKI"
grep -q "^sbat: valid" "$T/v.out" || fail "no SBAT line for the good UKI: $(cat "$T/v.out")"
if "$UKIT" verify --cert "$T/c1.pem" "$T/badsbat.efi" >"$T/v.out"; then fail "verify accepts an invalid .sbat"; fi
grep -q "^sbat: INVALID (line 1)" "$T/v.out" || fail "SBAT failure not reported: $(cat "$T/v.out")"
echo "all ok"
