#!/usr/bin/env bash
# Differential test of ukify 257's options outside the sections, against
# ukify 257 itself (the judge, run in the systemd 257 oracle root) on the
# same stub, inputs and keys, in seeded random cases (UKIT_SEED=N repeats):
#  - build --measure: what ukify prints (systemd-measure 257 calculate, once
#    per .dtbauto: values on stdout, "# PCR[11] Phase <...>" on stderr) equals
#    what ukit build --measure prints, with random --pcr-banks, keys and
#    --phases (comma- or space-separated); the images are byte-identical too.
#    With .dtbauto sections the judge is systemd-measure 257 run on the
#    sections (dumped with python3-pefile) with --dtbauto= given as --hwids=:
#    257 swaps the two options (systemd PR #35765, fixed in 258), so ukify
#    257 prints a value no stub measures; ukit prints what the stub measures;
#  - inspect --json: `ukify inspect --json=short|pretty [--all]
#    [--section=NAME:text|binary]` and `ukit ukify inspect` with the same
#    options, on the same (ukify-built) image, equal after normalisation
#    (jq -S), and byte for byte for --json=short;
#  - genkey: certificates from the same options or the same config file carry
#    the same subject, issuer, validity and basic constraints, the keys the
#    same PEM types and sizes;
#  - bad input: one-line errors, non-zero exit, no output file.
. "${UKIT_TOP:-$(dirname "$0")/../..}/tests/lib.sh"
. "$UKIT_TOP/tests/interop/build-lib.sh"
build_need
need openssl unshare jq
ORACLE=$(bash "$UKIT_TOP/scripts/fetch-oracle-257.sh") || fail "no systemd 257 oracle root"
STUB_IN=/usr/lib/systemd/boot/efi/linuxx64.efi.stub
STUB257=$ORACLE$STUB_IN
[ -f "$STUB257" ] || fail "no stub in the 257 oracle root"
o257() { bash "$UKIT_TOP/scripts/oracle-257-run.sh" --bind "$T" "$@"; }
o257 ukify --version | grep -q '^ukify 257' || fail "the oracle's ukify is not 257"
KERNEL=$(build_kernel)
CASES=${UKIT_UKIFY257_OPTIONS_CASES:-22}
SEED=${UKIT_SEED:-$RANDOM}
echo "seed $SEED, $CASES cases"
RANDOM=$SEED
cd "$T"
cp "$KERNEL" vmlinuz
openssl genrsa -out pcr1.pem 2048 2>/dev/null
openssl genrsa -out pcr2.pem 2048 2>/dev/null
openssl rsa -in pcr1.pem -pubout -out pub1.pem 2>/dev/null
openssl rsa -in pcr2.pem -pubout -out pub2.pem 2>/dev/null
unset SOURCE_DATE_EPOCH

rnd() { R=$((RANDOM % $1)); }
PATHS=(enter-initrd enter-initrd:leave-initrd enter-initrd:leave-initrd:sysinit
       enter-initrd:leave-initrd:sysinit:ready enter-initrd:leave-initrd:sysinit:ready:shutdown
       enter-initrd:leave-initrd:sysinit:ready:shutdown:final)
phases() {      # phases: P = 1..3 random phase paths, comma- or space-separated
        local i n sep
        rnd 3; n=$((R + 1)); rnd 2; sep=$([ $R = 0 ] && echo , || echo ' ')
        P=""
        for ((i = 0; i < n; i++)); do rnd ${#PATHS[@]}; P+=${P:+$sep}${PATHS[$R]}; done
}
# the PCR lines of a log: stdout values, stderr headers (ukify's "+ cmd"
# and "Wrote" lines and ukit's "Wrote" line are not part of the output)
pcr_lines() { grep -E '^(11:|# PCR\[11\])' "$1" || true; }
# inspect OPTIONS...: both inspectors on ukify.efi of the case in $d
inspect_both() {
        o257 ukify inspect "$d/ukify.efi" "$@" >"$d/i.ukify" 2>"$d/i.ukify.err" ||
                { cat "$d/i.ukify.err" >&2; fail "case $i: ukify inspect $* failed"; }
        "$UKIT" ukify inspect "$d/ukify.efi" "$@" >"$d/i.ukit" 2>"$d/i.ukit.err" ||
                { cat "$d/i.ukit.err" >&2; fail "case $i: ukit ukify inspect $* failed"; }
        cmp -s <(jq -S . "$d/i.ukify") <(jq -S . "$d/i.ukit") ||
                { diff <(jq -S . "$d/i.ukify") <(jq -S . "$d/i.ukit") | head -20 >&2
                  fail "case $i (seed $SEED): inspect $*: JSON differs from ukify 257's"; }
}

# judge_dtbauto DIR BANKARGS...: systemd-measure 257 calculate on the measured
# sections of DIR/ukify.efi, once per .dtbauto, each given as --hwids= (the
# option 257 measures under the name .dtbauto)
judge_dtbauto() {
        local dir=$1 k; shift
        mkdir -p "$dir/sec"
        $PY - "$dir/ukify.efi" "$dir/sec" <<'PY' || fail "pefile cannot dump $dir/ukify.efi"
import pefile, sys
pe = pefile.PE(sys.argv[1], fast_load=True)
n = 0
for s in pe.sections:
    name = s.Name.rstrip(b"\0").decode()
    data = s.get_data(length=min(s.Misc_VirtualSize, s.SizeOfRawData))
    if name == ".dtbauto":
        name = ".dtbauto%d" % n
        n += 1
    open(sys.argv[2] + "/" + name[1:], "wb").write(data)
PY
        local secs=()
        for k in linux osrel cmdline initrd ucode splash dtb uname sbat pcrpkey; do
                [ -f "$dir/sec/$k" ] && secs+=(--$k="$dir/sec/$k")
        done
        for k in "$dir"/sec/dtbauto*; do
                o257 /usr/lib/systemd/systemd-measure calculate "${secs[@]}" --hwids="$k" "$@" ||
                        fail "systemd-measure 257 failed on $dir"
        done
}

pass=0
for ((i = 1; i <= CASES; i++)); do
        d=$T/c$i; mkdir -p "$d"
        args=(--linux="$T/vmlinuz" --uname="6.$((RANDOM % 20)).0-t") desc=""
        printf 'ID=t%d\nVERSION_ID=%d\n' $((RANDOM % 100)) $((RANDOM % 100)) >"$d/osrel"
        args+=(--os-release=@"$d/osrel" --cmdline="quiet x$RANDOM")
        rnd 3; [ $R -gt 0 ] && { head -c $((1 + RANDOM * 4)) /dev/urandom >"$d/initrd"; args+=(--initrd="$d/initrd"); desc+=" initrd"; }
        rnd 3; [ $R = 0 ] && { head -c $((100 + RANDOM)) /dev/urandom >"$d/dtb"; args+=(--devicetree="$d/dtb"); desc+=" dtb"; }
        rnd 3; [ $R = 0 ] && { head -c $((100 + RANDOM)) /dev/urandom >"$d/ucode"; args+=(--microcode="$d/ucode"); desc+=" ucode"; }
        rnd 4; [ $R = 0 ] && { args+=(--pcrpkey="$T/pub2.pem"); desc+=" pcrpkey"; }
        rnd 2
        if [ $R = 0 ]; then
                # keys: their phases are what --measure prints for
                phases; args+=(--pcr-private-key="$T/pcr1.pem" --phases="$P"); desc+=" pcr[$P]"
                rnd 2
                if [ $R = 0 ]; then
                        phases; args+=(--pcr-private-key="$T/pcr2.pem" --phases="$P"
                                       --pcr-public-key="$T/pub1.pem" --pcr-public-key="$T/pub2.pem"); desc+="+[$P]"
                fi
        else
                # ukit signs no policy per .dtbauto, so only without keys
                rnd 3
                for ((k = 0; k < R; k++)); do
                        head -c $((100 + RANDOM)) /dev/urandom >"$d/dtbauto$k"; args+=(--devicetree-auto="$d/dtbauto$k")
                done
                [ $R -gt 0 ] && desc+=" dtbauto*$R"
        fi
        rnd 2; b=""
        if [ $R = 0 ]; then
                for bank in sha1 sha256 sha384 sha512; do rnd 2; [ $R = 0 ] && b+=${b:+,}$bank; done
                b=${b:-sha384}; args+=(--pcr-banks="$b"); desc+=" banks=$b"
        fi
        echo "case $i:$desc"
        o257 ukify build --stub="$STUB_IN" "${args[@]}" --measure --output="$d/ukify.efi" >"$d/ukify.out" 2>"$d/ukify.err" \
                || { cat "$d/ukify.err" >&2; fail "case $i: ukify 257 failed"; }
        "$UKIT" build --stub="$STUB257" "${args[@]}" --measure --output="$d/ukit.efi" >"$d/ukit.out" 2>"$d/ukit.err" \
                || { cat "$d/ukit.err" >&2; fail "case $i: ukit build failed"; }
        [ -s "$d/ukify.out" ] || fail "case $i: ukify --measure printed nothing"
        if [ -e "$d/dtbauto0" ]; then
                bargs=(); [ -n "${b:-}" ] && for bank in ${b//,/ }; do bargs+=(--bank="$bank"); done
                judge_dtbauto "$d" "${bargs[@]}" >"$d/judge.out" 2>"$d/judge.err"
                cmp -s "$d/ukify.out" "$d/judge.out" && fail "case $i: ukify 257 no longer swaps .dtbauto/.hwids (judge changed)"
                cp "$d/judge.out" "$d/ukify.out"
                cp "$d/judge.err" "$d/ukify.err"
        fi
        cmp -s "$d/ukify.out" "$d/ukit.out" ||
                { diff "$d/ukify.out" "$d/ukit.out" >&2; fail "case $i (seed $SEED):$desc: --measure values differ"; }
        cmp -s <(pcr_lines "$d/ukify.err") <(pcr_lines "$d/ukit.err") ||
                { diff <(pcr_lines "$d/ukify.err") <(pcr_lines "$d/ukit.err") >&2; fail "case $i: --measure phase headers differ"; }
        cmp -s "$d/ukify.efi" "$d/ukit.efi" || fail "case $i (seed $SEED):$desc: images not byte-identical"

        # inspect: random selection of options
        iargs=()
        rnd 3; [ $R = 0 ] && iargs+=(--all)
        rnd 3; [ $R = 0 ] && iargs+=(--section=.cmdline:binary --section=.sbat:text)
        rnd 4; [ $R = 0 ] && iargs+=(--section=.sdmagic:text)
        [ -e "$d/dtbauto1" ] && iargs+=(--section=.dtbauto:binary)     # a name twice: the last one's values
        inspect_both --json=short "${iargs[@]}"
        cmp -s "$d/i.ukify" <(head -c -1 "$d/i.ukit") || fail "case $i: inspect --json=short: not byte-identical to ukify's"
        inspect_both --json=pretty "${iargs[@]}"
        pass=$((pass + 1))
done
[ "$pass" -ge 20 ] || fail "only $pass cases ran"

# ---- genkey: same subject, issuer, validity --------------------------------
certinfo() {    # the certificate's subject, issuer, basic constraints and validity in days
        local nb na
        openssl x509 -in "$1" -noout -subject -issuer -ext basicConstraints
        nb=$(date -d "$(openssl x509 -in "$1" -noout -startdate | cut -d= -f2)" +%s)
        na=$(date -d "$(openssl x509 -in "$1" -noout -enddate | cut -d= -f2)" +%s)
        echo "days $(((na - nb) / 86400))"
}
keyinfo() {     # PEM type and key size
        head -n 1 "$1"
        if grep -q 'PUBLIC KEY' "$1"; then openssl pkey -pubin -in "$1" -noout -text; else openssl pkey -in "$1" -noout -text; fi | head -n 1
}
for how in options config; do
        for side in ukify ukit; do
                g=$T/g-$how-$side; mkdir -p "$g"
                days=$((1 + SEED % 3000))
                if [ $how = options ]; then
                        gargs=(--secureboot-private-key="$g/sb.key" --secureboot-certificate="$g/sb.crt"
                               --secureboot-certificate-validity=$days --pcr-private-key="$g/p.pem" --pcr-public-key="$g/p.pub")
                else
                        printf '[UKI]\nSecureBootPrivateKey=%s\nSecureBootCertificate=%s\nSecureBootCertificateValidity=%d\n[PCRSignature:one]\nPCRPrivateKey=%s\nPCRPublicKey=%s\n' \
                                "$g/sb.key" "$g/sb.crt" "$days" "$g/p.pem" "$g/p.pub" >"$g/ukify.conf"
                        gargs=(--config="$g/ukify.conf")
                fi
                if [ $side = ukify ]; then
                        o257 ukify genkey "${gargs[@]}" >"$g/log" 2>&1 || { cat "$g/log" >&2; fail "ukify genkey ($how) failed"; }
                else
                        "$UKIT" genkey "${gargs[@]}" >"$g/log" 2>&1 || { cat "$g/log" >&2; fail "ukit genkey ($how) failed"; }
                fi
                for f in sb.key sb.crt p.pem p.pub; do [ -s "$g/$f" ] || fail "genkey ($how, $side): no $f"; done
                { certinfo "$g/sb.crt"; keyinfo "$g/sb.key"; keyinfo "$g/p.pem"; keyinfo "$g/p.pub"; } >"$g/info"
        done
        cmp -s "$T/g-$how-ukify/info" "$T/g-$how-ukit/info" ||
                { diff "$T/g-$how-ukify/info" "$T/g-$how-ukit/info" >&2; fail "genkey ($how): certificate/keys differ from ukify 257's"; }
        grep -q "^days $((1 + SEED % 3000))$" "$T/g-$how-ukit/info" || fail "genkey ($how): wrong validity"
        [ "$(stat -c %a "$T/g-$how-ukit/sb.key")" = 600 ] || fail "genkey ($how): private key not 0600"
done
# both refuse an existing target and write nothing
for side in ukify ukit; do
        g=$T/g-exists-$side; mkdir -p "$g"; : >"$g/p.pem"
        if [ $side = ukify ]; then
                o257 ukify genkey --secureboot-private-key="$g/sb.key" --secureboot-certificate="$g/sb.crt" \
                        --pcr-private-key="$g/p.pem" >/dev/null 2>&1 && fail "ukify genkey overwrote a file?"
        else
                "$UKIT" genkey --secureboot-private-key="$g/sb.key" --secureboot-certificate="$g/sb.crt" \
                        --pcr-private-key="$g/p.pem" >/dev/null 2>"$g/err" && fail "ukit genkey: existing target accepted"
                [ "$(wc -l <"$g/err")" = 1 ] || fail "genkey existing target: not one line: $(cat "$g/err")"
        fi
        [ ! -e "$g/sb.key" ] && [ ! -e "$g/sb.crt" ] || fail "genkey ($side): wrote although a target exists"
done

# genkey: a bad config file is one line, and nothing is written
mkdir -p "$T/gbad"
printf '[UKI]\nSecureBootCertificateValidity=forever\n' >"$T/gbad/v.conf"
printf '[PCRSignature:x]\nPCRPublicKey=%s\n' "$T/gbad/p.pub" >"$T/gbad/p.conf"
for conf in v p; do
        "$UKIT" genkey --config="$T/gbad/$conf.conf" --secureboot-private-key="$T/gbad/sb.key" \
                --secureboot-certificate="$T/gbad/sb.crt" >/dev/null 2>"$T/gbad/err" && fail "genkey: bad $conf.conf accepted"
        [ "$(wc -l <"$T/gbad/err")" = 1 ] || fail "genkey $conf.conf: not one line: $(cat "$T/gbad/err")"
        [ -z "$(ls "$T/gbad" | grep -v -e conf -e err)" ] || fail "genkey $conf.conf: wrote $(ls "$T/gbad")"
done

# ---- bad input -------------------------------------------------------------
bad() {         # bad NAME EXIT ARGS...: ukit build (on the 257 stub unless NOSTUB=1) fails with EXIT, one line, no output
        local name=$1 want=$2; shift 2
        rm -f "$T/bad.efi"
        local rc=0 stub=(--stub="$STUB257")
        [ -n "${NOSTUB:-}" ] && stub=()
        "$UKIT" build "${stub[@]}" --os-release=ID=x "$@" --output="$T/bad.efi" >"$T/bad.out" 2>"$T/bad.err" || rc=$?
        [ $rc = "$want" ] || fail "$name: exit $rc, expected $want ($(cat "$T/bad.err"))"
        [ "$(grep -cv '^Try ' "$T/bad.err")" = 1 ] || fail "$name: not one error line: $(cat "$T/bad.err")"
        [ ! -e "$T/bad.efi" ] || fail "$name: output left behind"
        ls "$T"/.#ukit* >/dev/null 2>&1 && fail "$name: temporary file left behind"
        echo "bad $name: $(head -n 1 "$T/bad.err")"
}
# an add-on has nothing systemd-measure calculates: ukify 257 fails too
o257 ukify build --stub=/usr/lib/systemd/boot/efi/addonx64.efi.stub --cmdline=x --measure \
        --output="$T/addon-ukify.efi" >/dev/null 2>&1 && fail "ukify 257 --measure of an add-on succeeded?"
[ ! -e "$T/addon-ukify.efi" ] || fail "ukify left an add-on behind (the judge changed)"
bad "measure add-on" 2 --cmdline=x --measure
bad "pesign name" 2 --linux="$T/vmlinuz" --secureboot-certificate-name=cert
bad "unknown signtool" 2 --linux="$T/vmlinuz" --signtool=osslsigncode
bad "bad --json" 2 --linux="$T/vmlinuz" --measure --json=yaml
bad "bad validity" 2 --linux="$T/vmlinuz" --secureboot-certificate-validity=ten
printf '[UKI]\nSecureBootSigningTool=pesign\n' >"$T/pesign.conf"
bad "config pesign" 1 --linux="$T/vmlinuz" --config="$T/pesign.conf"
printf '[UKI]\nSigningEngine=pkcs11\n' >"$T/engine.conf"
bad "config engine" 1 --linux="$T/vmlinuz" --config="$T/engine.conf"
bad "measure bad phase" 2 --linux="$T/vmlinuz" --pcr-private-key="$T/pcr1.pem" --phases=enter-initrd,bogus --measure
# --summary: the merged settings, no image
printf '[UKI]\nInitrd=%s\nCmdline=from-config\n' "$T/c1/osrel" >"$T/sum.conf"
"$UKIT" build --summary --config="$T/sum.conf" --linux="$T/vmlinuz" --cmdline=from-cli --output="$T/sum.efi" >"$T/sum.out" ||
        fail "--summary failed"
[ ! -e "$T/sum.efi" ] || fail "--summary wrote an image"
grep -qx -- "--cmdline=from-cli" "$T/sum.out" || fail "--summary: the command line does not win: $(cat "$T/sum.out")"
grep -qx -- "--initrd=$T/c1/osrel" "$T/sum.out" || fail "--summary: config Initrd= missing"
# --efi-arch without --stub picks the stub of that architecture (ukify:
# linux<ARCH>.efi.stub; ukit: its own stub built for it), judged by pefile
head -c 30000 /dev/urandom >"$T/noise"
for arch in x64:0x8664 aa64:0xaa64; do
        "$UKIT" build --linux="$T/noise" --efi-arch="${arch%:*}" --os-release=ID=x --output="$T/arch.efi" >/dev/null 2>&1 ||
                fail "--efi-arch=${arch%:*} without --stub failed"
        m=$($PY -c 'import pefile, sys; print(hex(pefile.PE(sys.argv[1], fast_load=True).FILE_HEADER.Machine))' "$T/arch.efi")
        [ "$m" = "${arch#*:}" ] || fail "--efi-arch=${arch%:*}: image machine $m"
        rm -f "$T/arch.efi"
done
NOSTUB=1 bad "efi-arch without stub" 1 --linux="$T/noise" --efi-arch=riscv64
bad "efi-arch other stub" 1 --linux="$T/noise" --efi-arch=aa64
# inspect: an unknown shape is a usage error
rc=0; "$UKIT" inspect --json-shape=python "$T/c1/ukit.efi" >/dev/null 2>&1 || rc=$?
[ $rc = 2 ] || fail "--json-shape=python: exit $rc, expected 2"
echo "PASS ($pass cases, seed $SEED)"
