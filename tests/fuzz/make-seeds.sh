#!/usr/bin/env bash
# Makes the fuzz seeds that come from real tools, into tests/fuzz/corpus and
# tests/fuzz/data. File names say where a seed comes from: ukify257-*,
# measure252-*/measure257-* (systemd-measure), repart252-*, veritysetup-*,
# debian12-* (Debian 12's systemd-stub 252), stub257-*, ukit-*, ...
# Large files are kept small: a tiny fake kernel in UKIs, disk images in the
# sparse form of sparse.h, only the head of the real kernel image.
#
# usage: tests/fuzz/make-seeds.sh BUILD FUZZBUILD
#   BUILD: a normal build (ukit, its stubs); FUZZBUILD: scripts/build.sh fuzz.
#   Needs root, the Debian 12 tools of scripts/deps.sh and the systemd 257
#   oracle root (scripts/fetch-oracle-257.sh). Keys are made afresh, so every
#   run gives different bytes; the seeds' kinds stay the same.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(realpath "$1"); fbuild=$(realpath "$2")
ukit=$build/src/ukit/ukit
C=$top/tests/fuzz/corpus D=$top/tests/fuzz/data
oracle() { bash "$top/scripts/oracle-257-run.sh" --bind "$W" "$@"; }
W=$(mktemp -d /tmp/ukit-seeds.XXXXXX)
trap 'rm -rf "$W"; [ -f "$W.swtpm.pid" ] && kill "$(cat "$W.swtpm.pid")" 2>/dev/null; rm -f "$W.swtpm.pid"' EXIT
cd "$W"
S257=/usr/lib/systemd/boot/efi            # inside the oracle root
S252=/usr/lib/systemd/boot/efi/linuxx64.efi.stub
sec() { objcopy -O binary --only-section="$2" "$1" "$3"; }

# ---- keys, small inputs --------------------------------------------------
openssl genrsa -out pcr.pem 2048 2>/dev/null; openssl rsa -in pcr.pem -pubout -out pcr.pub 2>/dev/null
openssl genrsa -out pcr2.pem 2048 2>/dev/null; openssl rsa -in pcr2.pem -pubout -out pcr2.pub 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout db.key -out db.crt -subj /CN=fuzz-db -days 3650 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout v.key -out v.crt -subj /CN=fuzz-verity -days 3650 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout v2.key -out v2.crt -subj /CN=other -days 3650 2>/dev/null
printf 'fake-kernel\n' >linux
printf 'ID=fuzz\nVERSION_ID=1\nPRETTY_NAME="Fuzz 1"\n' >osrel
printf 'quiet ro' >cmdline

# ---- UKIs ------------------------------------------------------------------
ukify() { oracle ukify build --linux="$W/linux" --os-release=@"$W/osrel" --cmdline=@"$W/cmdline" --uname=6.1.0-fuzz "$@" >/dev/null 2>&1; }
ukify --stub=$S257/addonx64.efi.stub --pcrpkey="$W/pcr.pub" --output="$W/base.efi"
ukify --stub=$S257/addonx64.efi.stub --pcr-private-key="$W/pcr.pem" --pcr-public-key="$W/pcr.pub" \
        --pcr-banks=sha256,sha384 --output="$W/ukify257-addon-pcrsig.efi"
ukify --pcr-private-key="$W/pcr.pem" --pcr-public-key="$W/pcr.pub" --output="$W/ukify257-stub257-pcrsig.efi"
ukify --output="$W/ukify257-stub257.efi"
oracle ukify build --cmdline=debug --stub=$S257/addonx64.efi.stub --output="$W/ukify257-addon.efi" >/dev/null 2>&1
"$ukit" build --stub="$build/src/stub/ukit-stub.efi" --linux=linux --os-release=@osrel --cmdline=@cmdline \
        --uname=6.1.0-fuzz --pcr-private-key=pcr.pem --pcr-public-key=pcr.pub --pcr-banks=sha256,sha1 \
        -o ukit-stub-pcrsig.efi 2>/dev/null
"$ukit" build --stub=$S252 --linux=linux --os-release=@osrel --cmdline=@cmdline --uname=6.1.0-fuzz \
        -o ukit-debian12stub.efi 2>/dev/null
"$ukit" build --stub="$build/src/stub/ukit-addon.efi" --cmdline=debug -o ukit-addon.efi 2>/dev/null
mkdir -p stubs; oracle cp $S257/addonx64.efi.stub $S257/linuxx64.efi.stub "$W/stubs/"
# a multi-profile UKI (ukify 257's way: profile PEs, then --join-profile)
oracle ukify build --profile=ID=one --cmdline=one --output="$W/prof1.efi" >/dev/null 2>&1
oracle ukify build --profile=ID=two --initrd="$W/linux" --uname=2 --output="$W/prof2.efi" >/dev/null 2>&1
oracle ukify build --linux="$W/linux" --os-release=ID=x --cmdline=base --uname=1 --join-profile="$W/prof1.efi" \
        --join-profile="$W/prof2.efi" --output="$W/ukify257-multiprofile.efi" >/dev/null 2>&1
cp ukify257-multiprofile.efi "$C/pe-agree/"
oracle ukify build --linux="$W/linux" --os-release=ID=x --cmdline=base --uname=1 --pcr-private-key="$W/pcr.pem" \
        --pcr-banks=sha256 --join-profile="$W/prof1.efi" --join-profile="$W/prof2.efi" \
        --output="$W/ukify257-multiprofile-pcrsig.efi" >/dev/null 2>&1

# signed: ukit sign, sbsign, osslsigncode, pesign, systemd-sbsign 257
"$ukit" sign --key=db.key --cert=db.crt -o ukit-signed.efi ukify257-addon.efi 2>/dev/null
sbsign --key db.key --cert db.crt --output sbsign-signed.efi ukify257-addon.efi 2>/dev/null
osslsigncode sign -key db.key -certs db.crt -h sha256 -in ukify257-addon.efi -out osslsigncode-signed.efi >/dev/null
osslsigncode sign -nest -key v.key -certs v.crt -h sha384 -in osslsigncode-signed.efi -out osslsigncode-nested.efi >/dev/null
oracle /usr/lib/systemd/systemd-sbsign sign --private-key="$W/db.key" --certificate="$W/db.crt" \
        --output="$W/sbsign257-signed.efi" "$W/ukify257-addon.efi" >/dev/null 2>&1
mkdir -p nss; certutil -N -d nss --empty-password
openssl pkcs12 -export -inkey db.key -in db.crt -out db.p12 -passout pass: -name fuzzdb
pk12util -i db.p12 -d nss -W '' >/dev/null
pesign -n nss -c fuzzdb -s -i ukify257-addon.efi -o pesign-signed.efi >/dev/null 2>&1

rm -f "$C"/pe/{ukify257-addon,ukify257-addon-pcrsig,ukit-addon,stub257-addon}.efi \
        "$C"/stub-pe/{ukify257-stub257,ukit-debian12stub}.efi "$C"/certtable/*-signed.efi \
        "$C"/certtable/osslsigncode-nested.efi "$C"/pcrsig/*
cp ukify257-addon.efi ukify257-addon-pcrsig.efi ukit-addon.efi "$C/pe/"
cp stubs/addonx64.efi.stub "$C/pe/stub257-addon.efi"
cp ukify257-stub257.efi ukit-debian12stub.efi "$C/stub-pe/"
cp ukit-signed.efi sbsign-signed.efi osslsigncode-signed.efi osslsigncode-nested.efi sbsign257-signed.efi \
        pesign-signed.efi "$C/certtable/"

# ---- .pcrsig ------------------------------------------------------------------
cp base.efi "$D/pcrsig-base.efi"
for s in linux osrel cmdline uname pcrpkey sbat; do sec base.efi .$s s.$s; done
M="--linux=$W/s.linux --osrel=$W/s.osrel --cmdline=$W/s.cmdline --pcrpkey=$W/s.pcrpkey"
M257="$M --uname=$W/s.uname --sbat=$W/s.sbat"
measure257() { oracle /usr/lib/systemd/systemd-measure sign $M257 "$@"; }
measure257 --private-key="$W/pcr.pem" --public-key="$W/pcr.pub" --bank=sha256 --phase=enter-initrd \
        --phase=enter-initrd:leave-initrd --json=short >"$C/pcrsig/measure257-sha256-2phases.json"
measure257 --private-key="$W/pcr.pem" --public-key="$W/pcr.pub" --bank=sha1 --bank=sha256 --bank=sha384 \
        --bank=sha512 --json=short >"$C/pcrsig/measure257-4banks.json"
measure257 --private-key="$W/pcr2.pem" --public-key="$W/pcr2.pub" --bank=sha256 --phase=sysinit:ready \
        --json=pretty >"$C/pcrsig/measure257-otherkey-pretty.json"
port=$((20000 + RANDOM % 20000)); mkdir -p tpm
swtpm socket --tpm2 --server type=tcp,port=$port --ctrl type=tcp,port=$((port + 1)) --tpmstate dir="$W/tpm" \
        --flags not-need-init,startup-clear --pid file="$W.swtpm.pid" --daemon
for _ in $(seq 50); do [ -s "$W.swtpm.pid" ] && break; sleep 0.1; done
/usr/lib/systemd/systemd-measure sign --tpm2-device=swtpm:port=$port $M --private-key=pcr.pem --public-key=pcr.pub \
        --bank=sha256 --bank=sha1 --json=short >"$C/pcrsig/measure252-2banks.json"
cp ukify257-addon-pcrsig.efi ukify257-stub257-pcrsig.efi ukit-stub-pcrsig.efi ukify257-multiprofile-pcrsig.efi \
        "$C/pcrsig/"
cp "$C/pcrsig/measure257-4banks.json" "$C/json-parse/measure257-4banks.json"
cp "$C/pcrsig/measure252-2banks.json" "$C/json-parse/measure252-2banks.json"

# ---- .sdmagic, .sbat, kernel head ---------------------------------------------
sec stubs/linuxx64.efi.stub .sdmagic "$C/measure/stub257-sdmagic"
sec stubs/addonx64.efi.stub .sdmagic "$C/measure/addon257-sdmagic"
sec $S252 .sdmagic "$C/measure/debian12-sdmagic"
sec "$build/src/stub/ukit-stub.efi" .sdmagic "$C/measure/ukit-sdmagic"
sec stubs/linuxx64.efi.stub .sbat "$C/sbat/stub257-sbat"
sec $S252 .sbat "$C/sbat/debian12-stub-sbat"
sec ukify257-stub257.efi .sbat "$C/sbat/ukify257-uki-sbat"
sec "$build/src/stub/ukit-stub.efi" .sbat "$C/sbat/ukit-stub-sbat"
kernel=$(UKIT_TOP=$top bash -c '. "$UKIT_TOP/tests/lib.sh" >/dev/null && debian_kernel')
head -c 32768 "$kernel" >"$C/uname/debian12-vmlinuz-head"

# ---- DDIs, verity, release files ------------------------------------------------
cp v.crt "$D/verity-cert.crt"
mkdir -p src/usr/lib/extension-release.d src/usr/share/t
echo ID=_any >src/usr/lib/extension-release.d/extension-release.rp
echo hello >src/usr/share/t/f
repart() { # NAME TYPE SIGNED
        rm -rf defs; mkdir defs
        printf '[Partition]\nType=%s\nFormat=squashfs\nCopyFiles=/usr/\nVerity=data\nVerityMatchKey=r\nSizeMinBytes=16K\n' "$2" >defs/10.conf
        printf '[Partition]\nType=%s-verity\nVerity=hash\nVerityMatchKey=r\nSizeMinBytes=4K\n' "$2" >defs/20.conf
        [ "$3" = no ] || printf '[Partition]\nType=%s-verity-sig\nVerity=signature\nVerityMatchKey=r\n' "$2" >defs/30.conf
        systemd-repart --definitions=defs --root=src --empty=create --size=auto --dry-run=no \
                --private-key=v.key --certificate=v.crt "$1.raw" >/dev/null 2>&1
}
repart repart252-root-signed root yes; repart repart252-root-unsigned root no
repart repart252-usr-signed usr yes; repart repart252-root-arm64-signed root-arm64 yes
"$ukit" sysext build --id=_any --name=uk src ukit-erofs-signed.raw --private-key=v.key --certificate=v.crt >/dev/null
"$ukit" sysext build --id=debian --version-id=12 --format=squashfs --usr --architecture=arm64 src ukit-usr-arm64.raw >/dev/null
rm -f "$C"/ddi/*
for f in repart252-*.raw ukit-*.raw; do "$fbuild/tests/fuzz/sparse-pack" "$f" "$C/ddi/${f%.raw}.sparse"; done
head -c 40960 repart252-root-signed.raw >"$C/gpt/repart252-head"
off=$(sfdisk -J repart252-root-signed.raw | jq '.partitiontable.partitions[1].start * 512')
dd if=repart252-root-signed.raw of="$C/gpt/repart252-verity-sb" bs=512 skip=$((off / 512)) count=1 status=none
off=$(sfdisk -J repart252-root-signed.raw | jq '.partitiontable.partitions[2].start * 512')
dd if=repart252-root-signed.raw bs=512 skip=$((off / 512)) count=32 status=none | tr -d '\0' >"$C/gpt/repart252-sig.json"
cp "$C/gpt/repart252-sig.json" "$C/json-parse/repart252-sig.json"

# sidecars: veritysetup + openssl smime, as systemd documents them
SEP=$'\n--8<--\n'
mksquashfs src sq.img -quiet -noappend >/dev/null
mkdir -p big/usr/share; seq 1 3000 >big/usr/share/nums; cp -r src/usr/lib big/usr/
mksquashfs big sq2.img -quiet -noappend >/dev/null
sidecar() { # NAME DATA SIGNER(k/k2/none/cert) VERITYSETUP-ARGS...
        local n=$1 data=$2 who=$3; shift 3
        veritysetup format "$@" "$data" "$n.verity" | awk '/^Root hash:/ {print $3}' >"$n.roothash"
        {
                cat "$data"; printf '%s' "$SEP"; cat "$n.verity"; printf '%s' "$SEP"; cat "$n.roothash"
                case $who in
                v) printf '%s' "$SEP"; openssl smime -sign -in <(tr -d '\n' <"$n.roothash") -nocerts -inkey v.key \
                        -signer v.crt -binary -noattr -outform der ;;
                cert) printf '%s' "$SEP"; openssl smime -sign -in <(tr -d '\n' <"$n.roothash") -inkey v.key \
                        -signer v.crt -binary -outform der ;;
                v2) printf '%s' "$SEP"; openssl smime -sign -in <(tr -d '\n' <"$n.roothash") -nocerts -inkey v2.key \
                        -signer v2.crt -binary -noattr -outform der ;;
                esac
        } >"$C/sidecar/$n"
}
rm -f "$C"/sidecar/*
sidecar veritysetup-squashfs-signed sq2.img v
sidecar veritysetup-squashfs-unsigned sq.img none
sidecar veritysetup-sha1-512-salt sq.img cert --hash=sha1 --data-block-size=512 --hash-block-size=512 --salt=00112233445566778899
sidecar veritysetup-sha512-othersigner sq.img v2 --hash=sha512

# host os-release and release files (the fuzz-sysext-files layout)
host=$(cat /usr/lib/os-release); trixie=$(oracle cat /usr/lib/os-release)
cp /usr/lib/os-release "$C/osrel/debian12-os-release"; printf '%s\n' "$trixie" >"$C/osrel/debian13-os-release"
rm -f "$C"/sysext-files/*
printf '%s' "sysext debian-tools${SEP}${host}${SEP}extension-release.debian-tools${SEP}${SEP}ID=debian
VERSION_ID=12
ARCHITECTURE=x86-64" >"$C/sysext-files/debian12-exact"
printf '%s' "sysext tools_1.2.raw usrlib${SEP}${trixie}${SEP}extension-release.tools_0.9${SEP}${SEP}ID=debian
SYSEXT_LEVEL=1.0" >"$C/sysext-files/debian13-fallback-basename"
printf '%s' "confext myconf${SEP}${trixie}${SEP}extension-release.other${SEP}false${SEP}ID=_any${SEP}extension-release.second${SEP}0${SEP}ID=_any
CONFEXT_SCOPE=system" >"$C/sysext-files/confext-xattr-two-candidates"
printf '%s' "sysext linked${SEP}${host}${SEP}@extension-release.linked${SEP}${SEP}../../../../etc/os-release${SEP}/extension-release.dir${SEP}${SEP}" \
        >"$C/sysext-files/symlink-and-dir"
printf '%s' "sysext plain${SEP}${host}${SEP}|extension-release.plain${SEP}${SEP}" >"$C/sysext-files/fifo"
printf '%s' "sysext rp${SEP}${host}${SEP}extension-release.rp${SEP}${SEP}$(cat src/usr/lib/extension-release.d/extension-release.rp)" \
        >"$C/sysext-files/repart-any"

# ---- ukify configurations --------------------------------------------------------
rm -f "$C"/config/*
oracle cat /usr/lib/kernel/uki.conf >"$C/config/systemd257-uki.conf"
man257() { oracle zcat /usr/share/man/man1/ukify.1.gz | sed -n "$1" | sed 's/\\-/-/g; s/\\&//g'; }
man257 '/^\$ cat ukify\\&\.conf/,/^\$ ukify/p' | sed '1d;$d' >"$C/config/ukify257-man-example3.conf"
man257 '/^# cat >\/etc\/kernel\/uki\\&\.conf <<EOF/,/^EOF/p' | sed '1d;$d' >"$C/config/ukify257-man-example5.conf"
sed -n '/^cat >ukify.conf <<EOF/,/^EOF/p' "$top/tests/interop/test-build-config.sh" | sed '1d;$d' |
        sed 's|\$KERNEL|/boot/vmlinuz|; s|\$STUB|/usr/lib/systemd/boot/efi/linuxx64.efi.stub|' >"$C/config/ukit-test-build-config.conf"

# ---- BMP (netpbm), for the splash reader --------------------------------------------
printf 'P3\n3 2\n255\n255 0 0 0 255 0 0 0 255\n255 255 0 0 255 255 255 255 255\n' >img.ppm
ppmtobmp -bpp=24 img.ppm >"$C/bmp/ppmtobmp-24.bmp" 2>/dev/null
ppmtobmp -bpp=8 img.ppm >"$C/bmp/ppmtobmp-8.bmp" 2>/dev/null
ppmtobmp -os2 img.ppm >"$C/bmp/ppmtobmp-os2.bmp" 2>/dev/null
echo "seeds written; sizes:"; du -sh "$C" "$D"
