#!/usr/bin/env bash
# Differential test: kernel-install 257 (Debian 13 oracle root, in an
# overlay as in test-kernel-install-257.sh) run twice per random case on the
# same root and an empty ESP (a tmpfs on /efi): once with its own
# 60-ukify.install (ukify 257 builds the UKI), once with ukit's plugin
# (uki_generator=ukit, 60-ukify masked); 90-uki-copy installs both. Seeded
# (UKIT_SEED=N repeats a run), random per case:
#  - /etc/kernel/cmdline with random options, or none (then /proc/cmdline);
#  - 0-2 initrds given to kernel-install add;
#  - /etc/kernel/devicetree naming a random blob under
#    /usr/lib/firmware/VERSION/device-tree (where 257 looks), or none;
#  - /etc/kernel/uki.conf or none; its [UKI] keys drawn from Stub= (stub
#    257), Splash=, PCRBanks=, SecureBootPrivateKey=/SecureBootCertificate=,
#    and a [PCRSignature:ki] section with PCRPrivateKey=/PCRPublicKey=.
# Judged against the ukify-produced file, with python3-pefile and sbverify of
# the oracle root: same section names and VirtualSizes, same bytes (.pcrsig
# as JSON); with the same stub (Stub=) the whole file is byte-identical, or,
# signed, identical outside the certificate table and the CheckSum (sbsign's
# PKCS#7 has a signingTime; man/ukit-build.1, IMAGE LAYOUT), both verify;
# without Stub= ukit uses its own stub, so only the sections after the two
# stubs' own are compared (.pcrsig: banks, PCRs and key fingerprint, as
# the stubs' .sbat is measured too). The ESP file lists and `bootctl list` 257 of the
# two runs must be equal. A case ukify 257 itself refuses for a documented
# reason ("Not enough header space") is drawn again.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/kernel-install-lib.sh"

ki_init
need meson ninja unshare openssl ppmmake ppmtobmp
root257=${ORACLE_ROOT:-$UKIT_CACHE/trixie-257}
[ -x "$root257/usr/bin/kernel-install" ] && [ -x "$root257/usr/bin/ukify" ] ||
        skip "no systemd 257 oracle root at $root257 (scripts/fetch-oracle-257.sh)"
ki_kernel
CASES=${UKIT_KI257_CASES:-20}
SEED=${UKIT_SEED:-$RANDOM}
echo "seed $SEED, $CASES cases"
RANDOM=$SEED

# ukit built and installed as a source build (prefix /usr/local) into an
# overlay of the 257 root: the plugin lands in /usr/lib/kernel/install.d.
[ -f "$T/b/build.ninja" ] || meson setup --prefix=/usr/local -Dtests=false "$T/b" "$UKIT_TOP" >"$T/setup.log" 2>&1 || { cat "$T/setup.log"; fail "meson setup failed"; }
ninja -C "$T/b" >"$T/ninja.log" 2>&1 || { tail -50 "$T/ninja.log"; fail "build failed"; }
mkdir -p "$T/ov/upper" "$T/ov/work" "$T/root"
mount -t overlay overlay -o "lowerdir=$root257,upperdir=$T/ov/upper,workdir=$T/ov/work" "$T/root" ||
        skip "cannot mount an overlay over the 257 root"
ki_mounts+=("$T/root")
meson install -C "$T/b" --destdir "$T/root" >"$T/install.log" 2>&1 || { cat "$T/install.log"; fail "meson install into the root failed"; }
RT=$T/root
STUB257=/usr/lib/systemd/boot/efi/linuxx64.efi.stub
STUBUKIT=/usr/local/lib/ukit/ukit-stub.efi
[ -f "$RT$STUB257" ] && [ -f "$RT$STUBUKIT" ] || fail "stubs missing in the root"
cp "$KIMG" "$RT/boot/vmlinuz-$KVER"
rm -f "$RT/boot/initrd.img-$KVER"
mkdir -p "$RT/etc/kernel/install.d"

cd "$T"
openssl genrsa -out pcr.pem 2048 2>/dev/null
openssl rsa -in pcr.pem -pubout -out pcr.pub 2>/dev/null
openssl req -new -x509 -newkey rsa:2048 -nodes -keyout sb.key -out sb.crt -days 3650 -subj /CN=ukit-ki257 2>/dev/null
ppmmake rgb:20/40/c0 17 9 | ppmtobmp >splash.bmp 2>/dev/null

# No $(...) around $RANDOM: a subshell reseeds it. rnd N sets R (the root is RT).
rnd() { R=$((RANDOM % $1)); }

# draw D: one random case into directory D (inputs, desc, flags).
draw() {
        local d=$1 k n
        rm -rf "$d"; mkdir -p "$d"
        desc="" signed=0 samestub=0
        rnd 3
        if [ $R != 0 ]; then
                : >"$d/cmdline"
                n=$((1 + RANDOM % 6))
                for ((k = 0; k < n; k++)); do
                        rnd 3
                        case $R in
                        0) printf 'o%d ' $RANDOM >>"$d/cmdline" ;;
                        1) printf 'k%d=v%d ' $RANDOM $RANDOM >>"$d/cmdline" ;;
                        *) printf 'root=/dev/vd%d\n ' $((RANDOM % 9)) >>"$d/cmdline" ;;
                        esac
                done
                desc+=" cmdline"
        fi
        rnd 3; n=$R
        for ((k = 0; k < n; k++)); do
                head -c $((1 + RANDOM * (1 + RANDOM % 4))) /dev/urandom >"$d/initrd$k"
        done
        desc+=" initrd*$n"
        rnd 2
        if [ $R = 0 ]; then
                echo "vendor$((RANDOM % 10))/board-$RANDOM.dtb" >"$d/devicetree"
                { printf '\xd0\x0d\xfe\xed'; head -c $((64 + RANDOM % 4000)) /dev/urandom; } >"$d/dtb"
                desc+=" devicetree"
        fi
        rnd 4
        if [ $R != 0 ]; then
                echo "[UKI]" >"$d/uki.conf"
                rnd 2; [ $R = 0 ] && { echo "Stub=$STUB257" >>"$d/uki.conf"; samestub=1; desc+=" Stub"; }
                rnd 3; [ $R = 0 ] && { echo "Splash=$T/splash.bmp" >>"$d/uki.conf"; desc+=" Splash"; }
                rnd 3
                if [ $R = 0 ]; then
                        # ukify reads these only in a [PCRSignature:NAME] section
                        printf '[PCRSignature:ki]\nPCRPrivateKey=%s\nPCRPublicKey=%s\n' "$T/pcr.pem" "$T/pcr.pub" >"$d/pcr.conf"
                        desc+=" PCR"
                        rnd 2
                        if [ $R = 0 ]; then
                                local b="" bank
                                for bank in sha1 sha256 sha384 sha512; do
                                        rnd 2; [ $R = 0 ] && b+=${b:+,}$bank
                                done
                                echo "PCRBanks=${b:-sha256}" >>"$d/uki.conf"; desc+=" PCRBanks=${b:-sha256}"
                        fi
                fi
                rnd 3
                if [ $R = 0 ]; then
                        printf 'SecureBootPrivateKey=%s\nSecureBootCertificate=%s\n' "$T/sb.key" "$T/sb.crt" >>"$d/uki.conf"
                        signed=1; desc+=" SecureBoot"
                fi
                [ ! -f "$d/pcr.conf" ] || cat "$d/pcr.conf" >>"$d/uki.conf"
                desc+=" uki.conf"
        fi
        echo "$signed $samestub" >"$d/flags"
}

# setup D: the case's files into the root's /etc/kernel and firmware dir.
setup() {
        local d=$1
        rm -f "$RT/etc/kernel/cmdline" "$RT/etc/kernel/uki.conf" "$RT/etc/kernel/devicetree"
        rm -rf "$RT/usr/lib/firmware/$KVER"
        [ -f "$d/cmdline" ] && cp "$d/cmdline" "$RT/etc/kernel/cmdline"
        [ -f "$d/uki.conf" ] && cp "$d/uki.conf" "$RT/etc/kernel/uki.conf"
        if [ -f "$d/devicetree" ]; then
                cp "$d/devicetree" "$RT/etc/kernel/devicetree"
                mkdir -p "$(dirname "$RT/usr/lib/firmware/$KVER/device-tree/$(cat "$d/devicetree")")"
                cp "$d/dtb" "$RT/usr/lib/firmware/$KVER/device-tree/$(cat "$d/devicetree")"
        fi
        echo ukitrnd >"$RT/etc/kernel/entry-token"
}

cat >"$T/run.sh" <<'INNER'
# in the 257 root: run.sh D GEN -- kernel-install add with generator GEN
set -uo pipefail
d=$1 gen=$2
export SYSTEMD_RELAX_ESP_CHECKS=1
mkdir -p /efi
mount -t tmpfs tmpfs /efi || exit 3
printf 'layout=uki\nuki_generator=%s\n' "$gen" >/etc/kernel/install.conf
if [ "$gen" = ukit ]; then
        ln -sf /dev/null /etc/kernel/install.d/60-ukify.install
else
        rm -f /etc/kernel/install.d/60-ukify.install
fi
initrds=()
for f in "$d"/initrd*; do [ -f "$f" ] && initrds+=("$f"); done
kernel-install -v add "$KVER" "/boot/vmlinuz-$KVER" "${initrds[@]}" >"$d/$gen.log" 2>&1
rc=$?
echo "$rc" >"$d/$gen.rc"
[ "$rc" = 0 ] || exit 0
bootctl list --no-pager >"$d/$gen.bootctl" 2>&1 || echo "bootctl list failed: $?" >>"$d/$gen.bootctl"
(cd /efi && find . | sort) >"$d/$gen.files"
cp /efi/EFI/Linux/*.efi "$d/$gen.efi" 2>/dev/null || true
rm -f /etc/kernel/install.d/60-ukify.install
INNER

cat >"$T/compare.py" <<'PY'
# compare.py UKIFY UKIT SIGNED SAMESTUB STUB_UKIFY STUB_UKIT (oracle root's pefile)
import json, pefile, sys
a_path, b_path, signed, same, sa_path, sb_path = sys.argv[1:]
signed, same = signed == "1", same == "1"
A, B = (pefile.PE(p, fast_load=True) for p in (a_path, b_path))
def secs(pe):
    return [(s.Name.rstrip(b"\0").decode(), s.Misc_VirtualSize,
             pe.__data__[s.PointerToRawData:s.PointerToRawData + min(s.Misc_VirtualSize, s.SizeOfRawData)])
            for s in pe.sections]
sa, sb = secs(A), secs(B)
if not same:
    # different stubs: only what was added after each stub's own sections
    na = len(pefile.PE(sa_path, fast_load=True).sections)
    nb = len(pefile.PE(sb_path, fast_load=True).sections)
    sa, sb = sa[na:], sb[nb:]
if [x[:2] for x in sa] != [x[:2] for x in sb]:
    sys.exit(f"section tables differ:\n ukify {[x[:2] for x in sa]}\n ukit  {[x[:2] for x in sb]}")
for (n, _, da), (_, _, db) in zip(sa, sb):
    if n == ".pcrsig":
        ja, jb = json.loads(da.rstrip(b"\0")), json.loads(db.rstrip(b"\0 "))
        if not same:
            # the stubs' .sbat is measured too: only banks, PCRs, key
            ja, jb = ({k: [(e["pcrs"], e["pkfp"]) for e in v] for k, v in j.items()} for j in (ja, jb))
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
if same:
    if not signed and bytes(A.__data__) != bytes(B.__data__):
        sys.exit("same stub, unsigned: files not byte-identical")
    if signed and blank(A) != blank(B):
        sys.exit("same stub, signed: files differ outside the certificate table and CheckSum")
print(f"sections equal: {[x[0] for x in sa]}")
PY

o257() { ORACLE_ROOT=$RT bash "$UKIT_TOP/scripts/oracle-257-run.sh" --bind "$T" env KVER="$KVER" "$@"; }

pass=0 redrawn=0
for ((i = 1; i <= CASES; i++)); do
        d=$T/c$i
        for ((try = 0; ; try++)); do
                [ $try -lt 10 ] || fail "case $i: 10 draws that ukify 257 refuses"
                draw "$d"
                setup "$d"
                o257 bash "$T/run.sh" "$d" ukify || fail "case $i: run (ukify) failed"
                [ "$(cat "$d/ukify.rc")" = 0 ] && break
                grep -q "Not enough header space" "$d/ukify.log" ||
                        { cat "$d/ukify.log" >&2; fail "case $i (seed $SEED):$desc: kernel-install with ukify 257 failed"; }
                echo "case $i:$desc: ukify 257: not enough header space, drawn again"
                redrawn=$((redrawn + 1))
        done
        echo "case $i:$desc"
        o257 bash "$T/run.sh" "$d" ukit || fail "case $i: run (ukit) failed"
        [ "$(cat "$d/ukit.rc")" = 0 ] || { cat "$d/ukit.log" >&2; fail "case $i (seed $SEED):$desc: kernel-install with ukit failed"; }
        diff "$d/ukify.files" "$d/ukit.files" || fail "case $i (seed $SEED):$desc: the ESPs differ in their files"
        [ "$(grep -c '\.efi$' "$d/ukify.files")" = 1 ] || { cat "$d/ukify.files"; fail "case $i: not one UKI on the ESP"; }
        grep -qx "./EFI/Linux/ukitrnd-$KVER.efi" "$d/ukify.files" || fail "case $i: UKI not at EFI/Linux/ukitrnd-$KVER.efi"
        diff "$d/ukify.bootctl" "$d/ukit.bootctl" || fail "case $i (seed $SEED):$desc: bootctl list 257 differs"
        grep -q "source: /efi//EFI/Linux/ukitrnd-$KVER.efi" "$d/ukit.bootctl" || { cat "$d/ukit.bootctl"; fail "case $i: bootctl does not list the UKI"; }
        read -r signed samestub <"$d/flags"
        o257 python3 "$T/compare.py" "$d/ukify.efi" "$d/ukit.efi" "$signed" "$samestub" "$STUB257" "$STUBUKIT" >"$d/cmp.log" 2>&1 ||
                { cat "$d/cmp.log" >&2; fail "case $i (seed $SEED):$desc: ukit's UKI differs from ukify 257's"; }
        if [ "$signed" = 1 ]; then
                for g in ukify ukit; do
                        o257 sbverify --cert "$T/sb.crt" "$d/$g.efi" >/dev/null 2>&1 || fail "case $i: $g.efi: sbverify 257 root fails"
                done
        fi
        pass=$((pass + 1))
done
[ "$pass" -ge 20 ] || [ -n "${UKIT_KI257_CASES:-}" ] || fail "only $pass cases ran"
[ ! -e "$root257/usr/local/bin/ukit" ] && [ ! -e "$root257/efi" ] || fail "the cached 257 root was written to"
echo "PASS ($pass cases, $redrawn redrawn, seed $SEED)"
