#!/usr/bin/env bash
# ukit inspect on a UKI assembled by binutils alone (objcopy --add-section on
# Debian's systemd-stub, as the systemd docs did before ukify), then signed by
# sbsign. Every value is checked against a tool that is not ours:
#   section sizes        objdump -h
#   section contents     objcopy -O binary --only-section + sha256sum, and the input files
#   machine, subsystem   objdump -f / objdump -p
#   uname                the kernel package's file name
#   PRETTY_NAME          /bin/sh sourcing the os-release file
#   SBAT                 the .sbat bytes cut(1) into fields
#   signer               sbverify --list
. "$(dirname "$0")/../lib.sh"
. "$UKIT_TOP/tests/interop/build-lib.sh"     # build_kernel only

STUB=/usr/lib/systemd/boot/efi/linuxx64.efi.stub
[ -f "$STUB" ] || skip "systemd-boot-efi not installed ($STUB)"
need objcopy objdump sha256sum jq sbsign sbverify openssl dpkg-deb

KERNEL=$(build_kernel)
deb=$(debian_kernel_deb)
want_uname=$(basename "$deb"); want_uname=${want_uname#linux-image-}; want_uname=${want_uname%%_*}

cd "$T"
cat >osrel <<'EOF'
NAME="Test OS"
PRETTY_NAME="Test OS 1.0 \"quoted\" (inspect)"
ID=testos
EOF
printf 'console=ttyS0 root=/dev/vda1 quiet' >cmdline
printf '%s' "$want_uname" >uname
head -c 300001 /dev/urandom >initrd
head -c 4097 /dev/urandom >splash

objcopy \
        --add-section .osrel=osrel --change-section-vma .osrel=0x20000 \
        --add-section .cmdline=cmdline --change-section-vma .cmdline=0x30000 \
        --add-section .uname=uname --change-section-vma .uname=0x40000 \
        --add-section .splash=splash --change-section-vma .splash=0x50000 \
        --add-section .initrd=initrd --change-section-vma .initrd=0x100000 \
        --add-section .linux="$KERNEL" --change-section-vma .linux=0x2000000 \
        "$STUB" uki.efi

# check_image IMAGE: every section of IMAGE as objdump/objcopy see it.
check_image() {
        local img=$1 json name size want_sha got_size got_sha n=0
        json=$("$UKIT" inspect --all --json=short "$img") || fail "inspect $img failed"
        printf '%s\n' "$json" | jq -e . >/dev/null || fail "inspect $img: output is not JSON"
        while read -r _ name size _; do
                objcopy -O binary --only-section="$name" "$img" sec.bin
                want_sha=$(sha256sum <sec.bin | cut -d' ' -f1)
                got_size=$(printf '%s' "$json" | jq -r --arg n "$name" '.sections[$n].file_size')
                got_sha=$(printf '%s' "$json" | jq -r --arg n "$name" '.sections[$n].sha256')
                assert_eq "$got_size" "$((16#$size))" "$img $name size (objdump -h)"
                assert_eq "$got_sha" "$want_sha" "$img $name sha256 (objcopy + sha256sum)"
                n=$((n + 1))
        done < <(objdump -h "$img" | awk '$1 ~ /^[0-9]+$/ { print $1, $2, $3, $4 }')
        assert_eq "$(printf '%s' "$json" | jq -r '.sections | length')" "$n" "$img number of sections"
        assert_eq "$n" "$(objdump -h "$img" | awk '$1 ~ /^[0-9]+$/' | wc -l)" "objdump section count"
}

check_image "$STUB"
check_image uki.efi
# A UKI from `ukit build` too (other layout: grown headers, renamed stub .sbat).
"$UKIT" build --stub "$STUB" --linux "$KERNEL" --initrd initrd --cmdline @cmdline --os-release @osrel \
        -o built.efi >/dev/null 2>&1 || fail "ukit build failed"
check_image built.efi

json=$("$UKIT" inspect --json=pretty uki.efi) || fail "inspect --json=pretty failed"
j() { printf '%s' "$json" | jq -r "$1"; }

# Default listing: the UKI sections only (ukify's default set), in file order.
assert_eq "$(j '.sections | keys_unsorted | join(" ")')" \
        "$(objdump -h uki.efi | awk '$1 ~ /^[0-9]+$/ { print $2 }' | grep -xE '\.(osrel|cmdline|uname|splash|initrd|linux|sbat)' | paste -sd' ')" \
        "default sections"

assert_eq "$(j '.machine')" "x86-64" "machine"
objdump -f uki.efi | grep -q 'architecture: i386:x86-64' || fail "objdump: not x86-64"
assert_eq "$(j '.subsystem_type')" "$((16#$(objdump -p uki.efi | awk '$1 == "Subsystem" { print $2 }')))" "subsystem (objdump -p)"
assert_eq "$(j '.subsystem')" "EFI application" "subsystem name"

assert_eq "$(j '.sections[".cmdline"].text')" "$(cat cmdline)" ".cmdline text"
assert_eq "$(j '.sections[".osrel"].text')" "$(cat osrel)" ".osrel text"
assert_eq "$(j '.uname')" "$want_uname" "uname (package file name)"
assert_eq "$(j '.uname_source')" ".uname" "uname source"
assert_eq "$(j '.os_release_pretty_name')" "$(sh -c '. ./osrel; printf %s "$PRETTY_NAME"')" "PRETTY_NAME (sh)"
assert_eq "$(j '.signed')" "false" "unsigned"

objcopy -O binary --only-section=.sbat uki.efi sbat.bin
assert_eq "$(j '[.sbat[].component] | join(",")')" "$(tr -d '\0' <sbat.bin | cut -d, -f1 | paste -sd,)" "SBAT components"
assert_eq "$(j '[.sbat[].vendor_version] | join(",")')" "$(tr -d '\0' <sbat.bin | cut -d, -f5 | paste -sd,)" "SBAT versions"
assert_eq "$(j '[.sbat[].generation] | join(",")')" "$(tr -d '\0' <sbat.bin | cut -d, -f2 | paste -sd,)" "SBAT generations"

# Text output carries the same facts.
"$UKIT" inspect uki.efi >text.out || fail "inspect (text) failed"
grep -qx "Uname: $want_uname" text.out || fail "text: no Uname line"
grep -qx 'Signed: no' text.out || fail "text: no 'Signed: no'"
grep -qx '    console=ttyS0 root=/dev/vda1 quiet' text.out || fail "text: cmdline not shown"
grep -qx "  sha256: $(sha256sum <initrd | cut -d' ' -f1)" text.out || fail "text: .initrd sha256 differs from the input's"

# Extraction gives back the inputs byte for byte.
"$UKIT" inspect --section .linux:binary@linux.out --section .initrd:binary@initrd.out uki.efi >/dev/null \
        || fail "extract failed"
assert_files_equal linux.out "$KERNEL" ".linux extracted"
assert_files_equal initrd.out initrd ".initrd extracted"
"$UKIT" inspect --section .cmdline:text@- uki.efi >cmdline.out || fail "extract to stdout failed"
assert_files_equal cmdline.out cmdline ".cmdline to stdout"
# --section limits the listing to the named sections.
assert_eq "$("$UKIT" inspect --json=short --section .uname:binary uki.efi | jq -r '.sections | keys | join(" ")')" \
        ".uname" "--section selects"
assert_eq "$("$UKIT" inspect --json=short --section .uname:binary uki.efi | jq -r '.sections[".uname"] | has("text")')" \
        "false" "binary mode has no text"

# Repeated section names get unique JSON keys, in file order.
objcopy --rename-section .sdmagic=.sbat "$STUB" twice.efi
want=$(objdump -h twice.efi | awk '$2 == ".sbat" { print $3 }' | {
        i=0 out=
        while read -r sz; do
                i=$((i + 1)); k=.sbat; [ $i -gt 1 ] && k=.sbat#$i
                out="$out${out:+ }$k=$((16#$sz))"
        done
        echo "$out"
})
[ "$(echo "$want" | wc -w)" = 2 ] || fail "objcopy --rename-section did not give two .sbat sections"
assert_eq "$("$UKIT" inspect --json=short twice.efi | jq -r '.sections | to_entries | map(.key + "=" + (.value.file_size | tostring)) | join(" ")')" \
        "$want" "repeated section names"

# No .uname: detected from the kernel inside.
objcopy --remove-section .uname uki.efi nouname.efi
assert_eq "$("$UKIT" inspect --json=short nouname.efi | jq -r '.uname + " " + .uname_source')" \
        "$want_uname .linux" "uname detected from .linux"

# Signed by sbsign with a CA-issued certificate (subject != issuer): one
# signature, signer as sbverify lists it.
openssl req -new -x509 -newkey rsa:2048 -nodes -sha256 -days 1 -subj "/C=DE/O=ukit test/CN=inspect CA" \
        -keyout ca.key -out ca.crt 2>/dev/null || fail "openssl req (CA) failed"
openssl req -new -newkey rsa:2048 -nodes -subj "/O=ukit test/CN=inspect signer" \
        -keyout db.key -out db.csr 2>/dev/null || fail "openssl req (signer) failed"
openssl x509 -req -in db.csr -CA ca.crt -CAkey ca.key -set_serial 7 -days 1 -sha256 -out db.crt 2>/dev/null \
        || fail "openssl x509 -req failed"
sbsign --key db.key --cert db.crt --output signed.efi uki.efi 2>/dev/null || fail "sbsign failed"
sbverify --list signed.efi >sbv.out 2>&1 || fail "sbverify --list failed"
want_subject=$(sed -n 's/^ *- subject: //p' sbv.out | head -n1)
want_issuer=$(sed -n 's/^ *issuer: *//p' sbv.out | head -n1)
[ -n "$want_subject" ] && [ -n "$want_issuer" ] && [ "$want_subject" != "$want_issuer" ] \
        || fail "unexpected sbverify --list output: $(cat sbv.out)"
json=$("$UKIT" inspect --json=short signed.efi) || fail "inspect signed failed"
assert_eq "$(j '.signed')" "true" "signed"
assert_eq "$(j '.signatures | length')" "$(grep -c '^signature [0-9]' sbv.out)" "signature count (sbverify)"
assert_eq "$(j '.signatures[0].signers[0].subject')" "$want_subject" "signer subject (sbverify)"
assert_eq "$(j '.signatures[0].signers[0].issuer')" "$want_issuer" "signer issuer (sbverify)"
assert_eq "$(j '.signatures[0].digest')" "sha256" "digest algorithm"
check_image signed.efi

echo "PASS"
