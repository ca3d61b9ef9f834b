#!/usr/bin/env bash
# Differential test: ukit build against ukify build 257 (the judge, run in the
# systemd 257 oracle root) on the same stub 257, inputs and keys, in random
# cases (seeded; UKIT_SEED=N repeats one run): random subsets of sections,
# random cmdline/os-release text, sizes, several initrds, --section, --sbat,
# with and without --pcr-private-key (default banks = all four, or a random
# --pcr-banks), with and without Secure Boot signing (ukify: sbsign in the
# oracle root; ukit: in-house).
#  - unsigned: the two files are byte-identical (cmp);
#  - signed: sbsign's PKCS#7 carries a signingTime (not reproducible) and
#    S/MIME capabilities, so only the certificate table and the CheckSum that
#    covers it may differ: everything before the table is equal with those
#    two header fields blanked, both verify with sbverify against the
#    certificate, and osslsigncode computes the same Authenticode digest;
#  - every case also compares the sections (name, VirtualSize, bytes) with
#    python3-pefile and the .pcrsig JSON after normalisation, so a failure
#    says where the images differ.
. "${UKIT_TOP:-$(dirname "$0")/../..}/tests/lib.sh"
. "$UKIT_TOP/tests/interop/build-lib.sh"
build_need
need osslsigncode openssl unshare ppmmake ppmtobmp
ORACLE=$(bash "$UKIT_TOP/scripts/fetch-oracle-257.sh") || fail "no systemd 257 oracle root"
STUB_IN=/usr/lib/systemd/boot/efi/linuxx64.efi.stub     # path inside the oracle root
STUB257=$ORACLE$STUB_IN
[ -f "$STUB257" ] || fail "no stub in the 257 oracle root"
o257() { bash "$UKIT_TOP/scripts/oracle-257-run.sh" --bind "$T" "$@"; }
o257 ukify --version | grep -q '^ukify 257' || fail "the oracle's ukify is not 257"
KERNEL=$(build_kernel)
CASES=${UKIT_UKIFY257_CASES:-24}
SEED=${UKIT_SEED:-$RANDOM}
echo "seed $SEED, $CASES cases"
RANDOM=$SEED
cd "$T"
cp "$KERNEL" vmlinuz
# a kernel that is not Debian's: unsigned, so both tools sign .linux too
# (ukify asks sbverify --list; ukit checks for a certificate table)
python3 -c 'import random, sys; random.seed(int(sys.argv[1])); sys.stdout.buffer.write(random.randbytes(50000))' "$SEED" >noise
openssl genrsa -out pcr1.pem 2048 2>/dev/null
openssl genrsa -out pcr2.pem 2048 2>/dev/null
openssl req -new -x509 -newkey rsa:2048 -nodes -keyout sb.key -out sb.crt -days 3650 -subj /CN=ukit-test 2>/dev/null
ppmmake rgb:10/80/f0 23 11 | ppmtobmp >splash.bmp 2>/dev/null

unset SOURCE_DATE_EPOCH
# No $(...) around $RANDOM: a subshell reseeds it, and the seed would not
# repeat a run. rnd N sets R; words N sets W (random whitespace between).
rnd() { R=$((RANDOM % $1)); }
words() {
        local i
        W=""
        for ((i = 0; i < $1; i++)); do
                W+=w$RANDOM
                rnd 4
                case $R in 0) W+="  " ;; 1) W+=$'\t' ;; 2) W+=$'\n ' ;; *) W+=" " ;; esac
        done
}

compare() {     # compare CASE SIGNED
        $PY - "$1/ukify.efi" "$1/ukit.efi" "$2" <<'PY'
import json, pefile, sys
a_path, b_path, signed = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
A, B = (pefile.PE(p, fast_load=True) for p in (a_path, b_path))
def secs(pe):
    return [(s.Name.rstrip(b"\0").decode(), s.Misc_VirtualSize,
             pe.__data__[s.PointerToRawData:s.PointerToRawData + min(s.Misc_VirtualSize, s.SizeOfRawData)])
            for s in pe.sections]
sa, sb = secs(A), secs(B)
if [x[:2] for x in sa] != [x[:2] for x in sb]:
    sys.exit(f"section tables differ:\n ukify {[x[:2] for x in sa]}\n ukit  {[x[:2] for x in sb]}")
for (n, _, da), (_, _, db) in zip(sa, sb):
    if n == ".pcrsig":
        ja, jb = json.loads(da.rstrip(b"\0")), json.loads(db.rstrip(b"\0 "))
        if ja != jb:
            sys.exit(".pcrsig policies/signatures differ")
    elif da != db:
        sys.exit(f"section {n}: bytes differ")
def blank(pe):
    d = bytearray(pe.__data__)
    sec = pe.OPTIONAL_HEADER.DATA_DIRECTORY[pefile.DIRECTORY_ENTRY["IMAGE_DIRECTORY_ENTRY_SECURITY"]]
    end = sec.VirtualAddress if sec.VirtualAddress else len(d)
    for off in (pe.OPTIONAL_HEADER.get_field_absolute_offset("CheckSum"), sec.get_field_absolute_offset("Size")):
        d[off:off + 4] = b"\0" * 4
    return bytes(d[:end])
if signed and blank(A) != blank(B):
    sys.exit("signed images differ outside the certificate table and CheckSum")
PY
}

pass=0
for ((i = 1; i <= CASES; i++)); do
        d=$T/c$i; mkdir -p "$d"
        args=() desc=""
        # Secure Boot signing decided first: ukify cannot sign (sbverify
        # --list fails) when the kernel is not a PE image
        signed=0; rnd 3; [ $R = 0 ] && signed=1
        # kernel: Debian's (signed, has a version for .uname) or random bytes
        rnd 5
        if [ $R = 0 ] && [ $signed = 0 ]; then
                cp noise "$d/linux"; args+=(--uname=r$RANDOM); desc+=" noise-kernel"
        else
                ln -s "$T/vmlinuz" "$d/linux"
                rnd 2; [ $R = 0 ] && { args+=(--uname="6.$((RANDOM % 20)).0-test"); desc+=" uname"; }
        fi
        args+=(--linux="$d/linux")
        # os-release: text or file (always given: the two roots' /etc/os-release differ)
        words 3
        printf 'ID=t%d\nVERSION_ID=%d\nPRETTY_NAME="%s"\n' $((RANDOM % 100)) $((RANDOM % 100)) "$(tr -d '\n\t"' <<<"$W")" >"$d/osrel"
        rnd 2
        if [ $R = 0 ]; then args+=(--os-release=@"$d/osrel"); else args+=(--os-release="$(cat "$d/osrel")"); fi
        rnd 3
        case $R in
        0) words $((1 + RANDOM % 8)); args+=(--cmdline="$W"); desc+=" cmdline-text" ;;
        1) words $((1 + RANDOM % 8)); printf '%s' "$W" >"$d/cmdline"; args+=(--cmdline=@"$d/cmdline"); desc+=" cmdline-file" ;;
        esac
        rnd 4; n_initrd=$R
        for ((k = 0; k < n_initrd; k++)); do
                head -c $((1 + RANDOM * (1 + RANDOM % 8))) /dev/urandom >"$d/initrd$k"
                args+=(--initrd="$d/initrd$k")
        done
        [ "$n_initrd" -gt 0 ] && desc+=" initrd*$n_initrd"
        rnd 3; [ $R = 0 ] && { head -c $((100 + RANDOM)) /dev/urandom >"$d/dtb"; args+=(--devicetree="$d/dtb"); desc+=" dtb"; }
        rnd 3; [ $R = 0 ] && { head -c $((100 + RANDOM)) /dev/urandom >"$d/ucode"; args+=(--microcode="$d/ucode"); desc+=" ucode"; }
        rnd 3; [ $R = 0 ] && { args+=(--splash="$T/splash.bmp"); desc+=" splash"; }
        rnd 4; [ $R = 0 ] && { openssl rsa -in pcr2.pem -pubout -out "$d/pkey" 2>/dev/null; args+=(--pcrpkey="$d/pkey"); desc+=" pcrpkey"; }
        rnd 3
        if [ $R = 0 ]; then
                head -c $((1 + RANDOM)) /dev/urandom >"$d/extra"
                args+=(--section=.extra:@"$d/extra" --section=.note:n$RANDOM); desc+=" sections"
        fi
        rnd 4
        if [ $R = 0 ]; then
                args+=(--sbat="sbat,1,SBAT Version,sbat,1,https://github.com/rhboot/shim/blob/main/SBAT.md
ukittest,$((1 + RANDOM % 9)),Test,ukittest,1,https://example.com/"); desc+=" sbat"
        fi
        rnd 2
        if [ $R = 0 ]; then
                args+=(--pcr-private-key="$T/pcr1.pem"); desc+=" pcr"
                rnd 3
                if [ $R = 0 ]; then
                        args+=(--pcr-private-key="$T/pcr2.pem" --pcr-public-key="$d/pub1" --pcr-public-key="$d/pub2")
                        openssl rsa -in pcr1.pem -pubout -out "$d/pub1" 2>/dev/null
                        openssl rsa -in pcr2.pem -pubout -out "$d/pub2" 2>/dev/null
                        desc+="x2"
                fi
                rnd 2
                if [ $R = 0 ]; then
                        b=""
                        for bank in sha1 sha256 sha384 sha512; do
                                rnd 2; [ $R = 0 ] && b+=${b:+,}$bank
                        done
                        args+=(--pcr-banks="${b:-sha256}"); desc+=" banks=${b:-sha256}"
                fi
        fi
        if [ $signed = 1 ]; then
                args+=(--secureboot-private-key="$T/sb.key" --secureboot-certificate="$T/sb.crt"); desc+=" sb"
        fi
        echo "case $i:$desc"
        o257 ukify build --stub="$STUB_IN" "${args[@]}" --output="$d/ukify.efi" >"$d/ukify.log" 2>&1 \
                || { cat "$d/ukify.log" >&2; fail "case $i: ukify 257 failed"; }
        "$UKIT" build --stub="$STUB257" "${args[@]}" --output="$d/ukit.efi" >"$d/ukit.log" 2>&1 \
                || { cat "$d/ukit.log" >&2; fail "case $i: ukit build failed"; }
        compare "$d" "$signed" || fail "case $i (seed $SEED):$desc: ukit's UKI differs from ukify 257's"
        if [ "$signed" = 0 ]; then
                cmp -s "$d/ukify.efi" "$d/ukit.efi" || fail "case $i (seed $SEED):$desc: not byte-identical"
        else
                for f in ukify ukit; do
                        sbverify --cert sb.crt "$d/$f.efi" >/dev/null 2>&1 || fail "case $i: $f.efi: sbverify fails"
                        osslsigncode verify -in "$d/$f.efi" >"$d/$f.osv" 2>&1 || true
                        sed -n 's/^Calculated message digest *: *//p' "$d/$f.osv" | tr -d ' ' >"$d/$f.digest"
                        [ -s "$d/$f.digest" ] || fail "case $i: osslsigncode gave no digest for $f.efi"
                done
                cmp -s "$d/ukify.digest" "$d/ukit.digest" || fail "case $i: Authenticode digests differ"
        fi
        pass=$((pass + 1))
done
[ "$pass" -ge 20 ] || fail "only $pass cases ran"
echo "PASS ($pass cases, seed $SEED)"
