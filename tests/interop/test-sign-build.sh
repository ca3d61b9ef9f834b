#!/usr/bin/env bash
# ukit build --secureboot-private-key/--secureboot-certificate[/--sign-kernel]:
# the one-pass signed build equals build-then-sign byte for byte, the
# reference tools accept it, the kernel is signed as ukify does it, and bad
# keys leave no output.
. "$(dirname "$0")/../lib.sh"
# scripts/test.sh points UKIT at $UKIT_BUILD/ukit; the binary is built in src/ukit/
need sbverify osslsigncode pesign openssl objcopy
PY=/usr/bin/python3
$PY -c 'import pefile' 2>/dev/null || skip "python3-pefile not installed"

kernel=$(debian_kernel)
for n in 1 2; do
        openssl req -new -x509 -newkey rsa:2048 -nodes -keyout "$T/k$n.pem" -out "$T/c$n.pem" -subj "/CN=build $n" -days 30 2>/dev/null
done
printf 'ID=test\n' >"$T/os-release"
head -c 5000000 /dev/urandom >"$T/initrd"
common=(--initrd "$T/initrd" --cmdline "console=ttyS0" --os-release "@$T/os-release" --uname 6.1.0-test)
"$UKIT" sign --remove --output "$T/vmlinuz.unsigned" "$kernel" || fail "removing Debian's kernel signature"

# .linux content, cut to the kernel's own length (the section's raw size is
# padded to FileAlignment)
linux_of() {
        objcopy -O binary --only-section=.linux "$1" "$2.raw"
        $PY - "$2.raw" "$2" <<'EOF'
import sys, pefile
d = open(sys.argv[1], 'rb').read()
p = pefile.PE(data=d, fast_load=True)
s = p.OPTIONAL_HEADER.DATA_DIRECTORY[4]
end = s.VirtualAddress + s.Size if s.Size else max(x.PointerToRawData + x.SizeOfRawData for x in p.sections)
open(sys.argv[2], 'wb').write(d[:end])
EOF
}

# 1. one pass == build, then sign; the reference tools accept it
"$UKIT" build --linux "$kernel" "${common[@]}" --secureboot-private-key "$T/k1.pem" --secureboot-certificate "$T/c1.pem" \
        --output "$T/onepass.efi" >/dev/null || fail "signed build"
"$UKIT" build --linux "$kernel" "${common[@]}" --output "$T/plain.efi" >/dev/null || fail "unsigned build"
"$UKIT" sign --key "$T/k1.pem" --cert "$T/c1.pem" --output "$T/twopass.efi" "$T/plain.efi"
assert_files_equal "$T/onepass.efi" "$T/twopass.efi" "one-pass signed build vs build + ukit sign"
sbverify --cert "$T/c1.pem" "$T/onepass.efi" >/dev/null 2>&1 || fail "sbverify rejects the signed build"
osslsigncode verify -CAfile "$T/c1.pem" -in "$T/onepass.efi" >"$T/o" 2>&1 || { cat "$T/o"; fail "osslsigncode rejects the signed build"; }
grep -q MISMATCH "$T/o" && fail "osslsigncode: PE checksum mismatch"
pesign -S -i "$T/onepass.efi" | grep -q "The signer's common name is build 1" || fail "pesign does not list the signer"
$PY -c 'import sys,pefile; p=pefile.PE(sys.argv[1], fast_load=True); sys.exit(p.OPTIONAL_HEADER.CheckSum != p.generate_checksum())' \
        "$T/onepass.efi" || fail "PE checksum of the signed build"

# 2. Debian's (signed) kernel is left alone by default, gets a second
# signature with --sign-kernel (== ukit sign --append of the kernel)
linux_of "$T/onepass.efi" "$T/l1"
assert_files_equal "$T/l1" "$kernel" ".linux of a signed kernel without --sign-kernel"
"$UKIT" build --linux "$kernel" "${common[@]}" --secureboot-private-key "$T/k1.pem" --secureboot-certificate "$T/c1.pem" \
        --sign-kernel --output "$T/sk.efi" >/dev/null || fail "--sign-kernel build"
linux_of "$T/sk.efi" "$T/l2"
"$UKIT" sign --append --key "$T/k1.pem" --cert "$T/c1.pem" --output "$T/kernel.appended" "$kernel"
assert_files_equal "$T/l2" "$T/kernel.appended" ".linux with --sign-kernel vs ukit sign --append of the kernel"
sbverify --list "$T/l2" 2>/dev/null | grep -c '^signature [0-9]' | grep -qx 2 || fail "kernel should carry 2 signatures"
sbverify --cert "$T/c1.pem" "$T/l2" >/dev/null 2>&1 || fail "sbverify rejects the kernel signed by the build"
sbverify --cert "$T/c1.pem" "$T/sk.efi" >/dev/null 2>&1 || fail "sbverify rejects the --sign-kernel UKI"

# 3. an unsigned kernel is signed by default (ukify's rule), not with --no-sign-kernel
"$UKIT" build --linux "$T/vmlinuz.unsigned" "${common[@]}" --secureboot-private-key "$T/k1.pem" \
        --secureboot-certificate "$T/c1.pem" --output "$T/auto.efi" >/dev/null || fail "build with unsigned kernel"
linux_of "$T/auto.efi" "$T/l3"
"$UKIT" sign --key "$T/k1.pem" --cert "$T/c1.pem" --output "$T/kernel.signed" "$T/vmlinuz.unsigned"
assert_files_equal "$T/l3" "$T/kernel.signed" ".linux of an unsigned kernel (signed by default)"
sbverify --cert "$T/c1.pem" "$T/l3" >/dev/null 2>&1 || fail "sbverify rejects the embedded kernel"
"$UKIT" build --linux "$T/vmlinuz.unsigned" "${common[@]}" --secureboot-private-key "$T/k1.pem" \
        --secureboot-certificate "$T/c1.pem" --no-sign-kernel --output "$T/nosk.efi" >/dev/null || fail "--no-sign-kernel"
linux_of "$T/nosk.efi" "$T/l4"
assert_files_equal "$T/l4" "$T/vmlinuz.unsigned" ".linux with --no-sign-kernel"
sbverify --cert "$T/c1.pem" "$T/nosk.efi" >/dev/null 2>&1 || fail "sbverify rejects the --no-sign-kernel UKI"

# 4. the config file, and ukify's default output name KERNEL.efi when signing
mkdir "$T/cfg"; cp "$T/vmlinuz.unsigned" "$T/cfg/vmlinuz"
cat >"$T/cfg/ukify.conf" <<EOF
[UKI]
SecureBootPrivateKey=$T/k2.pem
SecureBootCertificate=$T/c2.pem
SignKernel=no
EOF
(cd "$T/cfg" && "$UKIT" build --config ukify.conf --linux vmlinuz "${common[@]}" >/dev/null) || fail "build with config"
[ -f "$T/cfg/vmlinuz.efi" ] || fail "default output name with signing should be vmlinuz.efi: $(ls "$T/cfg")"
sbverify --cert "$T/c2.pem" "$T/cfg/vmlinuz.efi" >/dev/null 2>&1 || fail "sbverify rejects the config-signed build"
linux_of "$T/cfg/vmlinuz.efi" "$T/l5"
assert_files_equal "$T/l5" "$T/vmlinuz.unsigned" "SignKernel=no"

# 5. together with PCR signing (.pcrsig is filled during the write pass)
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/pcr.key" 2>/dev/null
openssl pkey -in "$T/pcr.key" -pubout -out "$T/pcr.pub"
"$UKIT" build --linux "$kernel" "${common[@]}" --secureboot-private-key "$T/k1.pem" --secureboot-certificate "$T/c1.pem" \
        --pcr-private-key "$T/pcr.key" --pcr-public-key "$T/pcr.pub" --output "$T/pcr.efi" >/dev/null || fail "PCR + SB build"
sbverify --cert "$T/c1.pem" "$T/pcr.efi" >/dev/null 2>&1 || fail "sbverify rejects the PCR-signed + SB-signed build"
"$UKIT" sign --remove --output "$T/pcr.unsigned.efi" "$T/pcr.efi"
"$UKIT" sign --key "$T/k1.pem" --cert "$T/c1.pem" --output "$T/pcr.resigned.efi" "$T/pcr.unsigned.efi"
assert_files_equal "$T/pcr.resigned.efi" "$T/pcr.efi" "PCR+SB one-pass vs re-signed"

# 6. bad keys: clear error, no output
assert_fails "wrong key" "$UKIT" build --linux "$kernel" "${common[@]}" --secureboot-private-key "$T/k2.pem" \
        --secureboot-certificate "$T/c1.pem" --output "$T/bad.efi"
grep -q "does not match certificate" "$T/.out" || fail "wrong-key message: $(cat "$T/.out")"
[ ! -e "$T/bad.efi" ] || fail "output left behind after a key error"
rc=0; "$UKIT" build --linux "$kernel" "${common[@]}" --secureboot-private-key "$T/k1.pem" --output "$T/bad.efi" 2>"$T/err" || rc=$?
assert_eq "$rc" 2 "key without certificate"
[ ! -e "$T/bad.efi" ] || fail "output left behind"
rc=0; "$UKIT" build --linux "$kernel" "${common[@]}" --sign-kernel --output "$T/bad.efi" 2>"$T/err" || rc=$?
assert_eq "$rc" 2 "--sign-kernel without key"
ls -A "$T" | grep -q '^\.#' && fail "temporary file left behind"
echo "all ok"
