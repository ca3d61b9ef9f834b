#!/usr/bin/env bash
# ukit measure against systemd-measure 257 (the Debian 13 oracle root), byte
# for byte: random section files covering every section 257 knows (.ucode,
# .profile, .dtbauto, .hwids included), random banks and phases, in text and
# JSON; sign with an RSA key (PKCS#1 v1.5 signatures are deterministic, so
# the JSON must be identical), --append of a second key's signatures, and
# --certificate instead of --public-key. Then the 257 rules on a built UKI:
# `ukit measure calculate --uki` of a UKI whose sections are these files
# (stub 257 inside) equals systemd-measure 257 on the files.
. "${UKIT_TOP:-$(dirname "$0")/../..}/tests/lib.sh"
need openssl cmp
[ "$(id -u)" = 0 ] || skip "needs root (the oracle runs in a chroot)"
ROOT=$(bash "$UKIT_TOP/scripts/fetch-oracle-257.sh" "$UKIT_CACHE") || fail "no systemd 257 oracle root"
export ORACLE_ROOT=$ROOT
W=$(realpath "$T")
# systemd-measure 257 maps --dtbauto= to .hwids and --hwids= to .dtbauto (its
# option enum has the two the other way round from the section table), while
# stub 257 measures each section under its own name, .dtbauto before .hwids
# (its section-name table, read out of linuxx64.efi.stub 257). ukit measures
# what the stub measures, so the oracle is given the two options swapped: a
# named difference, in ukit-measure(1).
sm257() {
        local a args=()
        for a in "$@"; do
                case "$a" in
                --dtbauto=*) args+=("--hwids=${a#--dtbauto=}") ;;
                --hwids=*) args+=("--dtbauto=${a#--hwids=}") ;;
                *) args+=("$a") ;;
                esac
        done
        bash "$UKIT_TOP/scripts/oracle-257-run.sh" --bind "$W" /usr/lib/systemd/systemd-measure "${args[@]}"
}
sm257 --version | grep -q '^systemd 257' || fail "the oracle root has no systemd-measure 257"

sections=(linux osrel cmdline initrd ucode splash dtb dtbauto uname sbat pcrpkey profile hwids)
banks=(sha1 sha256 sha384 sha512)
phases=(enter-initrd leave-initrd sysinit ready shutdown final)

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$W/k1.pem" 2>/dev/null
openssl pkey -in "$W/k1.pem" -pubout -out "$W/k1.pub"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$W/k2.pem" 2>/dev/null
openssl req -new -x509 -key "$W/k2.pem" -subj /CN=pcr2 -days 30 -out "$W/k2.crt" 2>/dev/null

# compare WHAT ARGS...: the same output (stdout and stderr separately) and exit status
compare() {
        local what=$1; shift
        local erc=0 grc=0
        sm257 "$@" >"$W/exp.out" 2>"$W/exp.err" || erc=$?
        "$UKIT" measure "$@" >"$W/got.out" 2>"$W/got.err" || grc=$?
        [ "$erc" = "$grc" ] || { cat "$W/exp.err" "$W/got.err" >&2; fail "$what: exit $grc, systemd-measure 257 exit $erc"; }
        cmp -s "$W/exp.out" "$W/got.out" || { diff "$W/exp.out" "$W/got.out" | head -20 >&2; fail "$what: stdout differs"; }
        if [ "$erc" = 0 ]; then
                cmp -s "$W/exp.err" "$W/got.err" || { diff "$W/exp.err" "$W/got.err" | head >&2; fail "$what: stderr differs"; }
        fi
}

cases=${UKIT_MEASURE257_CASES:-24}
for ((c = 1; c <= cases; c++)); do
        d=$W/case$c; mkdir -p "$d"
        args=()
        for s in "${sections[@]}"; do
                # .linux always; the others in about half the cases
                if [ "$s" != linux ] && [ $((RANDOM % 2)) = 0 ]; then continue; fi
                size=$((RANDOM % 3 == 0 ? RANDOM % 64 : RANDOM * 3 % 70000))
                [ $((RANDOM % 13)) = 0 ] && size=0         # empty: skipped like an absent section
                head -c "$size" /dev/urandom >"$d/$s"
                args+=("--$s=$d/$s")
        done
        for b in "${banks[@]}"; do [ $((RANDOM % 3)) = 0 ] && args+=("--bank=$b"); done
        np=$((RANDOM % 4))
        for ((p = 0; p < np; p++)); do
                n=$((1 + RANDOM % 3)) ph=""
                for ((q = 0; q < n; q++)); do ph+="${ph:+:}${phases[RANDOM % 6]}"; done
                args+=("--phase=$ph")
        done
        [ $((RANDOM % 5)) = 0 ] && args+=("--phase=")
        compare "case $c calculate" calculate "${args[@]}"
        compare "case $c calculate --json" calculate --json=short "${args[@]}"
        compare "case $c sign" sign --private-key="$W/k1.pem" --public-key="$W/k1.pub" "${args[@]}"
        if [ $((c % 4)) = 0 ]; then
                sm257 sign --private-key="$W/k1.pem" "${args[@]}" >"$d/first.json"
                compare "case $c sign --append --certificate" sign --append="$d/first.json" \
                        --private-key="$W/k2.pem" --certificate="$W/k2.crt" --json=pretty "${args[@]}"
        fi
done
echo "compared $cases random cases with systemd-measure 257"

# The order of the 257 sections is the stub's: one case per pair of new
# sections, every section present, against systemd-measure 257.
d=$W/all; mkdir -p "$d"; args=()
for s in "${sections[@]}"; do echo "content of $s" >"$d/$s"; args+=("--$s=$d/$s"); done
compare "all sections" calculate --json=pretty "${args[@]}"

# Errors both refuse, with no output (messages and the exit code are each
# tool's own: ukit exits 2 for usage errors, as all its verbs do).
refused() {
        local what=$1; shift
        if sm257 "$@" >"$W/exp.out" 2>/dev/null; then fail "$what: systemd-measure 257 accepted it"; fi
        if "$UKIT" measure "$@" >"$W/got.out" 2>"$W/got.err"; then fail "$what: ukit accepted it"; fi
        [ ! -s "$W/got.out" ] || fail "$what: ukit printed output"
}
refused "--append with calculate" calculate --linux="$d/linux" --append="$W/k1.pub"
refused "no --linux" calculate --osrel="$d/osrel"
echo '{"sha256":[{"pcrs":[11],"pkfp":"zz","pol":"00","sig":"AA=="}]}' >"$W/bad.json"
# systemd-measure 257 copies an --append document without looking inside;
# ukit refuses entries it could not have written (a named difference).
if "$UKIT" measure sign --private-key="$W/k1.pem" --linux="$d/linux" --append="$W/bad.json" >"$W/got.out" 2>"$W/got.err"; then
        fail "--append of a malformed document accepted"
fi
[ ! -s "$W/got.out" ] || fail "--append of a malformed document: output printed"
grep -q "bad.json: not a PCR signature document: sha256\[0\]: \"pkfp\" is not 64 hex digits" "$W/got.err" ||
        fail "--append error: $(cat "$W/got.err")"

# A UKI with stub 257 and the 257 sections: ukit measure --uki uses the 257
# rules (the .sdmagic of the stub inside), equal to systemd-measure 257 on
# the files. objcopy adds the sections (the UKI's own layout does not matter;
# this is about the rule set chosen from .sdmagic).
need objcopy
stub=$ROOT/usr/lib/systemd/boot/efi/linuxx64.efi.stub
base=$(objdump -p "$stub" | awk '$1 == "ImageBase" { print $2 }')
ocargs=() vma=$((0x$base + 0x1000000))
for s in "${sections[@]}"; do
        ocargs+=(--add-section ".$s=$d/$s" --change-section-vma ".$s=$vma")
        vma=$((vma + 0x100000))
done
# (the stub's own .sbat goes, so that ours is the one measured)
objcopy --remove-section .sbat "${ocargs[@]}" "$stub" "$W/uki.efi"
sm257 calculate --json=short "${args[@]}" >"$W/exp.json"
"$UKIT" measure calculate --json=short --uki="$W/uki.efi" >"$W/got.json"
cmp -s "$W/exp.json" "$W/got.json" || { diff "$W/exp.json" "$W/got.json" >&2; fail "--uki with stub 257"; }
# ... while a 256 stub identity keeps .profile, .dtbauto and .hwids out.
printf '#### LoaderInfo: systemd-stub 256.7 ####\0' >"$W/sdmagic256"
objcopy --update-section ".sdmagic=$W/sdmagic256" "$W/uki.efi" "$W/uki256.efi"
no257=()
for a in "${args[@]}"; do case "$a" in --profile=*|--dtbauto=*|--hwids=*) ;; *) no257+=("$a") ;; esac; done
sm257 calculate --json=short "${no257[@]}" >"$W/exp256.json"
"$UKIT" measure calculate --json=short --uki="$W/uki256.efi" >"$W/got256.json"
cmp -s "$W/exp256.json" "$W/got256.json" || fail "--uki with a 256 stub measured the 257 sections"
echo ok
