#!/usr/bin/env bash
# mkosi 25 as a client of ukit, through the `ukify` entry point
# (ukify-compat/ukify: shell and Python at once, execs `ukit ukify`), judged
# by mkosi 25's own code (from the systemd 257 oracle root, imported by the
# host's python3, so that ukit runs on the host, ASan builds included) and by
# ukify 257 (run in the oracle root):
#  - mkosi's find_binary() finds it through ExtraSearchPaths= and its
#    systemd_tool_version() reads a version >= 257 from it (plain ukit's
#    "ukit 0.1" makes mkosi fail with an IndexError);
#  - the exact ukify command line mkosi 25's build_uki()/run_ukify() make for
#    a Format=uki image (python3 UKIFY build --os-release @... --uname
#    --linux --initrd... --efi-arch x64 --stub --output --cmdline @file with a
#    NUL), plain, with Secure Boot (--sign-kernel --signtool sbsign ...) and
#    with PCR signing (--pcr-banks sha256 --pcr-private-key): ukit's UKI equals
#    ukify 257's (cmp when unsigned; with --sign-kernel, both add a second
#    signature to Debian's kernel and sbsign's has a signingTime, so the
#    sections other than .linux are equal, and both .linux verify with
#    sbverify and have the same Authenticode hash per pesign);
#  - the kernel mkosi splits back out (its extract_pe_section() expression:
#    min(VirtualSize, SizeOfRawData) bytes of .linux) verifies against
#    Debian's signature with sbverify;
#  - options ukit cannot honour are refused with one line: --signtool=pesign,
#    --signing-engine, a wrong --efi-arch; and --join-profile of a UKI
#    that is not a profile PE.
. "${UKIT_TOP:-$(dirname "$0")/../..}/tests/lib.sh"
. "$UKIT_TOP/tests/interop/build-lib.sh"
build_need
need osslsigncode pesign openssl unshare
ORACLE=$(bash "$UKIT_TOP/scripts/fetch-oracle-257.sh") || fail "no systemd 257 oracle root"
[ -d "$ORACLE/usr/lib/python3/dist-packages/mkosi" ] || fail "no mkosi in the 257 oracle root"
STUB_IN=/usr/lib/systemd/boot/efi/linuxx64.efi.stub
UKIT_BIN=$(realpath "$UKIT")
o257() { bash "$UKIT_TOP/scripts/oracle-257-run.sh" --bind "$T" "$@"; }
mkosi_py() { PYTHONPATH=$ORACLE/usr/lib/python3/dist-packages $PY "$@"; }
o257 mkosi --version | grep -q '^mkosi 25' || fail "the oracle's mkosi is not 25"
KERNEL=$(build_kernel)
cd "$T"
cp "$KERNEL" vmlinuz
kver=$(basename "$KERNEL"); kver=${kver#vmlinuz-}

# the entry point as `meson -Dukify_compat=true` installs it, pointing at this ukit
mkdir -p compat
sed "s|@UKIT@|$UKIT_BIN|g" "$UKIT_TOP/ukify-compat/ukify.in" >compat/ukify
chmod 755 compat/ukify

# 1. mkosi's own lookup and version parsing
mkosi_py - "$T/compat" "$PY" <<'PY' >found.txt || fail "mkosi 25 cannot find or version the ukify entry point"
import sys
from pathlib import Path
from mkosi.run import find_binary
from mkosi.config import systemd_tool_version
ukify = find_binary("ukify", "/usr/lib/systemd/ukify", root=Path("/"), extra=[Path(sys.argv[1])])
v = systemd_tool_version(sys.argv[2], ukify)
assert v >= "257", v
print(ukify, v)
PY
grep -q "^$T/compat/ukify " found.txt || fail "mkosi found $(cat found.txt), not the entry point"
mkosi_py - "$UKIT_BIN" <<'PY' >/dev/null 2>&1 && fail "test assumption: mkosi accepts plain ukit's --version"
import sys
from mkosi.config import systemd_tool_version
systemd_tool_version(sys.argv[1])
PY

# 2. mkosi 25's ukify command line, for ukify 257 and for ukit
head -c 1234567 /dev/urandom >initrd
head -c 4321 /dev/urandom >ucode
printf 'ID=debian\nVERSION_ID=13\nPRETTY_NAME="Debian GNU/Linux 13 (trixie)"\n' >os-release
printf 'console=ttyS0 systemd.journald.forward_to_console=1\0' >cmdline       # run_ukify() writes a NUL
openssl req -new -x509 -newkey rsa:2048 -nodes -keyout sb.key -out sb.crt -days 3650 -subj /CN=mkosi 2>/dev/null
openssl genrsa -out pcr.key 2048 2>/dev/null
osslsigncode extract-signature -in vmlinuz -out kernel.p7 >/dev/null || fail "cannot extract the kernel's signature"
openssl pkcs7 -inform DER -in kernel.p7 -print_certs -out debian-signer.pem

mkosi_args() {  # KIND OUTPUT STUB: build_uki() arguments, then run_ukify()'s
        local kind=$1 out=$2 stub=$3 a=(build --os-release "@$T/os-release" --uname "$kver" --linux "$T/vmlinuz")
        [ "$kind" = sb ] && a+=(--sign-kernel)
        [ "$kind" = pcr ] && a+=(--pcr-banks sha256 --pcr-private-key "$T/pcr.key")
        a+=(--microcode "$T/ucode" --initrd "$T/initrd" --efi-arch x64 --stub "$stub" --output "$out"
            --cmdline "@$T/cmdline")
        [ "$kind" = sb ] && a+=(--signtool sbsign --secureboot-private-key "$T/sb.key" --secureboot-certificate "$T/sb.crt")
        printf '%s\n' "${a[@]}"
}
for kind in plain sb pcr; do
        mapfile -t a < <(mkosi_args $kind "$T/ukify-$kind.efi" "$STUB_IN")
        o257 python3 /usr/lib/systemd/ukify "${a[@]}" >ukify-$kind.log 2>&1 || { cat ukify-$kind.log; fail "$kind: ukify 257"; }
        mapfile -t a < <(mkosi_args $kind "$T/ukit-$kind.efi" "$ORACLE$STUB_IN")
        $PY "$T/compat/ukify" "${a[@]}" >ukit-$kind.log 2>&1 || { cat ukit-$kind.log; fail "$kind: ukit through the entry point"; }
        if [ $kind = sb ]; then
                # --sign-kernel: both add a second signature to Debian's kernel;
                # sbsign's carries a signingTime, so .linux may differ only in
                # that signature (both must verify), the rest must be equal
                $PY - ukify-sb.efi ukit-sb.efi <<'PY' || fail "sb: sections differ from ukify 257's"
import pefile, sys
def secs(p):
    pe = pefile.PE(p, fast_load=True)
    return [(s.Name, s.Misc_VirtualSize, pe.__data__[s.PointerToRawData:s.PointerToRawData + s.Misc_VirtualSize])
            for s in pe.sections if s.Name.rstrip(b"\0") != b".linux"]
assert secs(sys.argv[1]) == secs(sys.argv[2])
PY
                for f in ukify-sb ukit-sb; do
                        sbverify --cert sb.crt $f.efi >/dev/null 2>&1 || fail "$f.efi: sbverify fails"
                        objcopy -O binary --only-section=.linux $f.efi $f.linux
                        sbverify --cert sb.crt $f.linux >/dev/null 2>&1 || fail "$f.efi: .linux not signed with the key"
                        # (osslsigncode reads only one certificate table entry)
                        pesign -h -i $f.linux >$f.digest 2>&1 || fail "$f: pesign cannot hash .linux"
                done
                [ -s ukit-sb.digest ] && cmp -s ukify-sb.digest ukit-sb.digest || fail "sb: the kernels' Authenticode digests differ"
        else
                cmp -s ukify-$kind.efi ukit-$kind.efi || fail "$kind: ukit's UKI is not ukify 257's"
        fi
        # mkosi's split kernel (extract_pe_section's expression) keeps Debian's signature
        mkosi_py - "$T/ukit-$kind.efi" <<'PY' >split-$kind || fail "$kind: no .linux"
import pefile, sys
pe = pefile.PE(sys.argv[1], fast_load=True)
section = {s.Name.decode().strip("\0"): s for s in pe.sections}.get(".linux")
sys.stdout.buffer.write(section.get_data(length=min(section.Misc_VirtualSize, section.SizeOfRawData)))
PY
        sbverify --cert debian-signer.pem split-$kind >/dev/null 2>&1 || fail "$kind: the split kernel fails sbverify"
done

# 3. what ukit cannot do is refused, one line each naming the option, no output left
refuse() {
        local what=$1; shift
        rm -f bad.efi
        if $PY "$T/compat/ukify" build --linux "$T/vmlinuz" --stub "$ORACLE$STUB_IN" --output "$T/bad.efi" "$@" \
                >bad.out 2>&1; then fail "$what: accepted"; fi
        [ ! -e bad.efi ] || fail "$what: left an output"
        # one error line (usage errors add ukit's "Try 'ukit build --help'." hint)
        head -n1 bad.out | grep -q "^ukit build: .*$2" && [ "$(grep -vc "^Try " bad.out)" = 1 ] \
                || { cat bad.out; fail "$what: not one error line naming $2"; }
}
refuse pesign --signtool pesign
refuse engine --signing-engine pkcs11 --secureboot-private-key "$T/sb.key" --secureboot-certificate "$T/sb.crt"
refuse join-profile --join-profile "$T/ukit-plain.efi"  # a UKI, not a profile PE
refuse efi-arch --efi-arch aa64     # the stub is x64
refuse unknown-arch --efi-arch vax
$PY "$T/compat/ukify" inspect "$T/ukit-plain.efi" >/dev/null || fail "ukify inspect through the entry point"
echo PASS
