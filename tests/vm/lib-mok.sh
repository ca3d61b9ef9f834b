# shellcheck shell=bash
# Machine Owner Key (MOK) helpers for VM tests: the table shim hands to the
# kernel, built in shell, and the injector that plays shim's part
# (tests/vm/efi/mokvar-inject.c). See docs/mok-testing.md.
#
# Source it after tests/lib.sh and tests/vm/lib.sh.

# The injector, built by tests/vm/efi/meson.build (never installed).
VM_MOK_INJECTOR=$UKIT_BUILD/tests/vm/efi/mokvar-inject.efi
# EFI_CERT_X509_GUID a5c059a1-94e4-4aa7-87b5-ab155c2bf072 and shim's
# SHIM_LOCK_GUID 605dab50-e046-4300-abb6-3dd810dd8b23 (the owner mokutil
# gives enrolled keys), both in EFI's mixed-endian byte order.
VM_MOK_X509_GUID_HEX=a159c0a5e494a74a87b5ab155c2bf072
VM_MOK_OWNER_GUID_HEX=50ab5d6046e00043abb63dd810dd8b23
# struct efi_mokvar_table_entry: char name[256]; u64 data_size; u8 data[].
VM_MOK_NAME_MAX=256

# _mok_hex HEX: the bytes HEX (an even number of hex digits) to stdout.
_mok_hex() {
        local h=$1 i out=""
        for ((i = 0; i < ${#h}; i += 2)); do
                out+="\\x${h:i:2}"
        done
        printf %b "$out"
}
# _mok_le BYTES VALUE: VALUE as a BYTES-byte little-endian integer.
_mok_le() {
        local n=$1 v=$2 i h=""
        for ((i = 0; i < n; i++)); do
                h+=$(printf %02x $(( (v >> (8 * i)) & 255 )))
        done
        _mok_hex "$h"
}
# _mok_entry NAME FILE: one table entry (NAME padded with NULs to 256 bytes,
# the size, the bytes of FILE).
_mok_entry() {
        local name=$1 file=$2 size
        [ ${#name} -lt $VM_MOK_NAME_MAX ] || fail "vm_mokvar_table: name too long: $name"
        size=$(stat -c %s "$file")
        printf %s "$name"
        head -c $((VM_MOK_NAME_MAX - ${#name})) /dev/zero
        _mok_le 8 "$size"
        cat "$file"
}

# vm_esl CERT_DER OUT: an EFI_SIGNATURE_LIST (UEFI 2.10 section 32.4.1)
# with one X.509 certificate, as MokListRT holds it: SignatureType =
# EFI_CERT_X509_GUID, SignatureListSize, SignatureHeaderSize = 0,
# SignatureSize = 16 + length of the certificate, then one
# EFI_SIGNATURE_DATA (owner GUID + DER).
vm_esl() {
        local der=$1 out=$2 len
        [ -s "$der" ] || fail "vm_esl: $der: no such certificate"
        len=$(stat -c %s "$der")
        {
                _mok_hex "$VM_MOK_X509_GUID_HEX"
                _mok_le 4 $((16 + 4 + 4 + 4 + 16 + len))
                _mok_le 4 0
                _mok_le 4 $((16 + len))
                _mok_hex "$VM_MOK_OWNER_GUID_HEX"
                cat "$der"
        } >"$out" || fail "vm_esl: cannot write $out"
        [ "$(stat -c %s "$out")" = $((28 + 16 + len)) ] || fail "vm_esl: $out has the wrong size"
}

# vm_mokvar_table [--untrusted] CERT_DER OUT: the LINUX_EFI_MOK_VARIABLE_TABLE
# shim would install for a MokList holding CERT_DER: the entry "MokListRT"
# (vm_esl of the certificate), the entry "MokListTrustedRT" (one byte 1, as
# shim mirrors an enabled MokListTrusted; the kernel only checks that the
# entry exists) unless --untrusted, and the all-zero terminator header.
# Without MokListTrustedRT the kernel puts the MOK certificates into
# .platform instead of .machine.
vm_mokvar_table() {
        local trusted=1
        [ "${1:-}" = --untrusted ] && { trusted=0; shift; }
        local der=$1 out=$2
        vm_esl "$der" "$T/.moklist.esl"
        printf '\001' >"$T/.moktrusted"
        {
                _mok_entry MokListRT "$T/.moklist.esl"
                [ $trusted = 1 ] && _mok_entry MokListTrustedRT "$T/.moktrusted"
                head -c $((VM_MOK_NAME_MAX + 8)) /dev/zero
        } >"$out" || fail "vm_mokvar_table: cannot write $out"
        rm -f "$T/.moklist.esl" "$T/.moktrusted"
}

# vm_kernel_mok_trust_check KERNEL: "yes" when the kernel image refers to
# MokListTrustedRT (upstream 5.19+: MOK certificates go to .machine only
# when that table entry exists, else to .platform), "no" when it does not
# (the check was patched out, as in Debian's 6.1: MOK certificates always
# go to .machine), "unknown" when the image cannot be unpacked. The bzImage
# payload is xz in Debian's kernels; the string is the name
# efi_mokvar_entry_find() looks up, so it is ASCII in .rodata.
vm_kernel_mok_trust_check() {
        local k=$1 off n
        command -v xz >/dev/null || { echo unknown; return; }
        off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$k" | head -n 1 | cut -d: -f1)
        [ -n "$off" ] || { echo unknown; return; }
        # xz complains about the data after the payload; the payload is out by then
        n=$(tail -c +$((off + 1)) "$k" | { xz -dc 2>/dev/null || true; } | LC_ALL=C grep -ac 'MokListRT' || true)
        [ "${n:-0}" -gt 0 ] || { echo unknown; return; }
        n=$(tail -c +$((off + 1)) "$k" | { xz -dc 2>/dev/null || true; } | LC_ALL=C grep -ac 'MokListTrustedRT' || true)
        if [ "${n:-0}" -gt 0 ]; then echo yes; else echo no; fi
}

# vm_mok_cert NAME CN: a self-signed RSA-2048 test certificate and its key:
# NAME.key, NAME.pem, NAME.der (under $T). RSA because every kernel's X.509
# parser takes it.
vm_mok_cert() {
        local name=$1 cn=$2
        openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 30 -subj "/CN=$cn/" \
                -keyout "$T/$name.key" -out "$T/$name.pem" 2>/dev/null || fail "vm_mok_cert: openssl req failed"
        openssl x509 -in "$T/$name.pem" -outform der -out "$T/$name.der" || fail "vm_mok_cert: openssl x509 failed"
}

# vm_mok_esp [--sign KEY CERT] UKI TABLE|- DIR IMG: an ESP as shim would boot
# it: the injector as \EFI\BOOT\BOOTX64.EFI, the UKI as \EFI\Linux\uki.efi,
# TABLE (from vm_mokvar_table) as \ukit\mokvar.bin. With TABLE "-" the UKI
# itself is BOOTX64.EFI and there is no injector (no MOK table at all).
# --sign signs the injector with KEY/CERT (for Secure Boot; sign the UKI
# yourself before).
vm_mok_esp() {
        local key="" cert=""
        if [ "${1:-}" = --sign ]; then key=$2; cert=$3; shift 3; fi
        local uki=$1 table=$2 dir=$3 img=$4
        rm -rf "$dir"; mkdir -p "$dir/EFI/BOOT" "$dir/EFI/Linux" "$dir/ukit"
        if [ "$table" = - ]; then
                cp "$uki" "$dir/EFI/BOOT/BOOTX64.EFI"
        else
                [ -f "$VM_MOK_INJECTOR" ] || skip "no $VM_MOK_INJECTOR (build with -Dstub=true)"
                if [ -n "$key" ]; then
                        "$UKIT" sign --key "$key" --cert "$cert" --output "$dir/EFI/BOOT/BOOTX64.EFI" "$VM_MOK_INJECTOR" ||
                                fail "vm_mok_esp: ukit sign of the injector failed"
                else
                        cp "$VM_MOK_INJECTOR" "$dir/EFI/BOOT/BOOTX64.EFI"
                fi
                cp "$uki" "$dir/EFI/Linux/uki.efi"
                cp "$table" "$dir/ukit/mokvar.bin"
        fi
        vm_esp "$dir" "$img"
}

# vm_mok_hook OUT: a vm_initrd --hook that reports what the kernel did with
# MOK certificates:
#   mok sysfs=NAME,NAME...|none        /sys/firmware/efi/mok-variables/*
#                                      (the kernel accepted the table)
#   mok sysfs NAME sha256=HEX          each entry's data as the kernel has it
#   proc-keys NNN=LINE                 every line of /proc/keys
#   dmesg-keys NNN=LINE                kernel log lines about keys/MOK
vm_mok_hook() {
        cat >"$1" <<'EOF'
mokdir=/sys/firmware/efi/mok-variables
names=""
if [ -d $mokdir ]; then
        for f in $mokdir/*; do
                [ -f "$f" ] || continue
                n=${f##*/}
                names="$names${names:+,}$n"
                report "mok sysfs $n sha256=$(sha256sum "$f" | cut -d' ' -f1)"
        done
fi
report "mok sysfs=${names:-none}"
i=0
while read -r line; do
        report "proc-keys $(printf %03d $i)=$line"
        i=$((i + 1))
done </proc/keys
i=0
dmesg | grep -iE 'x\.509|mokvar|mok|keyring|integrity' | sed 's/^\[[ 0-9.]*\] //' | while read -r line; do
        report "dmesg-keys $(printf %03d $i)=$line"
        i=$((i + 1))
done
EOF
}

# vm_mok_keys LOG: the guest's /proc/keys lines (from vm_mok_hook).
vm_mok_keys() { vm_report_lines "$1" | sed -n 's/^proc-keys [0-9]*=//p'; }
# vm_mok_dmesg LOG: the guest's key-related kernel log lines.
vm_mok_dmesg() { vm_report_lines "$1" | sed -n 's/^dmesg-keys [0-9]*=//p'; }
# vm_mok_keyring_count LOG NAME: the number of keys linked into keyring NAME
# (e.g. .machine) per /proc/keys: "0" for "empty", "none" when there is no
# such keyring.
vm_mok_keyring_count() {
        local line
        line=$(vm_mok_keys "$1" | awk -v n="$2" '$8 == "keyring" && ($9 == n ":" || $9 == n) { print; exit }')
        [ -n "$line" ] || { echo none; return; }
        case "$line" in
        *": empty") echo 0 ;;
        *) echo "${line##*: }" ;;
        esac
}
# vm_mok_has_key LOG CN: whether /proc/keys holds an asymmetric key whose
# description is "CN: <key id>" (the kernel's name for an X.509 key; the
# type column is 9 characters wide, so it reads "asymmetri").
vm_mok_has_key() {
        vm_mok_keys "$1" | awk '$8 == "asymmetri"' | grep -F " $2: " >/dev/null
}

# vm_mok_merge_hook OUT ROOT FILE: a vm_initrd --hook that runs, in the
# guest, `ukit sysext merge --root ROOT --verity=kernel --json=short` (needs
# vm_initrd --ukit and --modules "loop dm-verity overlay erofs") and reports
#   merge rc=N                 its exit status
#   merge json=JSON            its JSON (one line)
#   merge err NNN=LINE         its stderr
#   merge file=TEXT|missing    ROOT/FILE after the merge (from an extension)
#   merge dm NAME=UUID         every device-mapper device during the merge
#   dmesg-verity NNN=LINE      kernel log lines about dm-verity/signatures
# then unmerges.
vm_mok_merge_hook() {
        local out=$1 root=$2 file=$3
        {
                printf 'mroot=%s\nmfile=%s\n' "$root" "$file"
                cat <<'EOF2'
mrc=0
ukit sysext merge --root "$mroot" --verity=kernel --json=short >/tmp/merge.json 2>/tmp/merge.err || mrc=$?
report "merge rc=$mrc"
report "merge json=$(tr -d '\n' </tmp/merge.json)"
i=0
while read -r line; do
        report "merge err $(printf %03d $i)=$line"
        i=$((i + 1))
done </tmp/merge.err
if [ -f "$mroot/$mfile" ]; then report "merge file=$(cat "$mroot/$mfile")"; else report "merge file=missing"; fi
for d in /sys/block/dm-*; do
        [ -d "$d/dm" ] || continue
        report "merge dm $(cat $d/dm/name)=$(cat $d/dm/uuid)"
done
i=0
dmesg | grep -iE 'verity|pkcs7|signature|x\.509' | sed 's/^\[[ 0-9.]*\] //' | while read -r line; do
        report "dmesg-verity $(printf %03d $i)=$line"
        i=$((i + 1))
done
ukit sysext unmerge --root "$mroot" -q >/dev/null 2>&1 || true
EOF2
        } >"$out"
}
# vm_mok_merge_field LOG NAME FIELD: FIELD of the merge JSON object of the
# extension NAME (jq), empty when there is none.
vm_mok_merge_field() {
        vm_report "$1" "merge json" | jq -r --arg n "$2" --arg f "$3" '.[] | select(.name == $n) | .[$f] // empty'
}
