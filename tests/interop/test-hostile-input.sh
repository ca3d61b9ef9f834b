#!/usr/bin/env bash
# Hostile input (issue 20, R4-R9): FIFOs, devices and oversized files as
# inputs; terminal escape sequences in UKIs and file names; output modes
# under a strict umask; in-place signing of a symlink and of a file owned by
# another group; the error messages of the review. Each case is the review's
# reproduction. Anything that could hang runs under `timeout`, so a
# regression fails instead of blocking the suite.
# Oracles: sbverify (signature), stat/cat -v/od (modes, bytes), jq (JSON),
# sfdisk (partition offsets for the DDI corruptions), python3 os.*xattr.
. "${UKIT_TOP:-$(dirname "$0")/../..}/tests/lib.sh"
. "$UKIT_TOP/tests/interop/build-lib.sh"
build_need
need openssl jq timeout sbverify sfdisk mkfs.erofs
KERNEL=$(build_kernel)
export UKIT_CONFIG_SEARCH=0

cd "$T"
printf 'ID=test\nNAME=Test\n' >osrel
head -c 1000 /dev/urandom >initrd
openssl req -new -x509 -newkey rsa:2048 -nodes -keyout sb.key -out sb.crt -subj /CN=hostile -days 30 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out pcr.key 2>/dev/null
openssl pkey -in pcr.key -pubout -out pcr.pub
"$UKIT" build --linux="$KERNEL" --initrd=initrd --os-release=@osrel --uname=UNAMEXXXXX \
        --cmdline=CMDLINEXXXXXX -o small.efi >/dev/null || fail "baseline build"
mkfifo fifo
mkdir dir

# run_bad WHAT PATTERN CMD...: exit 1 within 20 s (124 = timed out = hung),
# one line on stderr matching PATTERN.
run_bad() {
        local what=$1 pattern=$2 rc=0
        shift 2
        timeout 20 "$@" >out 2>err </dev/null || rc=$?
        [ "$rc" != 124 ] || fail "$what: hung (killed after 20 s)"
        [ "$rc" = 1 ] || fail "$what: exit $rc, expected 1 (stderr: $(cat err))"
        [ "$(wc -l <err)" = 1 ] || fail "$what: expected one error line, got: $(cat err)"
        grep -qE -- "$pattern" err || fail "$what: stderr '$(cat err)' does not match '$pattern'"
}

# ---- R5: a FIFO without a writer, as every file input ----
B=("$UKIT" build --linux="$KERNEL" --os-release=@osrel -o out.efi)
run_bad "build --linux=FIFO" "fifo: not a regular file" "$UKIT" build --linux=fifo --os-release=@osrel -o out.efi
for opt in --initrd --stub --splash --devicetree --microcode --pcrpkey; do
        run_bad "build $opt=FIFO" "fifo: not a regular file" "${B[@]}" "$opt=fifo"
done
run_bad "build --section=.x:@FIFO" "fifo: not a regular file" "${B[@]}" --section=.x:@fifo
run_bad "build --pcr-private-key=FIFO" "fifo: .*not a regular file" "${B[@]}" --pcr-private-key=fifo
run_bad "build --pcr-public-key=FIFO" "fifo: .*not a regular file" "${B[@]}" --pcr-private-key=pcr.key \
        --pcr-public-key=fifo
run_bad "build --secureboot-certificate=FIFO" "fifo: .*not a regular file" "${B[@]}" \
        --secureboot-private-key=sb.key --secureboot-certificate=fifo
[ ! -e out.efi ] || fail "build left an output behind"
run_bad "inspect FIFO" "fifo: not a regular file" "$UKIT" inspect fifo
run_bad "verify FIFO" "fifo: not a regular file" "$UKIT" verify fifo
run_bad "verify --cert=FIFO" "fifo: not a regular file" "$UKIT" verify --cert=fifo small.efi
run_bad "sign FIFO" "fifo: not a regular file" "$UKIT" sign --key=sb.key --cert=sb.crt fifo
run_bad "sign --key=FIFO" "fifo: not a regular file" "$UKIT" sign --key=fifo --cert=sb.crt -o s.efi small.efi
run_bad "sign --cert=FIFO" "fifo: not a regular file" "$UKIT" sign --key=sb.key --cert=fifo -o s.efi small.efi
run_bad "sign --attach=FIFO" "fifo: not a regular file" "$UKIT" sign --attach=fifo -o s.efi small.efi
run_bad "measure calculate --linux=FIFO" "fifo: .*not a regular file" "$UKIT" measure calculate --linux=fifo
run_bad "measure calculate --uki=FIFO" "fifo: .*not a regular file" "$UKIT" measure calculate --uki=fifo
run_bad "measure sign --private-key=FIFO" "fifo: .*not a regular file" \
        "$UKIT" measure sign --linux="$KERNEL" --private-key=fifo
run_bad "measure sign --public-key=FIFO" "fifo: .*not a regular file" \
        "$UKIT" measure sign --linux="$KERNEL" --private-key=pcr.key --public-key=fifo
mkdir esp
run_bad "install KERNEL=FIFO" "fifo: not a regular file" "$UKIT" install --boot-path="$T/esp" \
        --entry-token=literal:tok --cmdline=quiet --os-release=ID=x 6.1.0-1 fifo initrd
run_bad "install INITRD=FIFO" "fifo: not a regular file" "$UKIT" install --boot-path="$T/esp" \
        --entry-token=literal:tok --cmdline=quiet --os-release=ID=x 6.1.0-1 "$KERNEL" fifo
# An anonymous pipe stays accepted where systemd-measure accepts one.
timeout 20 "$UKIT" measure calculate --linux=<(cat "$KERNEL") >pipe.out || fail "measure on a pipe"
timeout 20 "$UKIT" measure calculate --linux="$KERNEL" >file.out
cmp -s pipe.out file.out || fail "measure: a pipe and the file give different PCR values"

# `ukit list` with a FIFO named *.efi in EFI/Linux: skipped with a warning.
mkdir -p l/EFI/Linux
mkfifo l/EFI/Linux/a.efi
cp small.efi l/EFI/Linux/b.efi
rc=0; timeout 20 "$UKIT" list --esp-path="$T/l" --boot-path="$T/l" >out 2>err || rc=$?
[ "$rc" != 124 ] || fail "list: hung on a FIFO named a.efi"
grep -q "a.efi: not a UKI (not a regular file)" err || fail "list: no warning for the FIFO: $(cat err)"
grep -q "id: b.efi" out || fail "list: the real UKI is not listed"
rm l/EFI/Linux/a.efi

# ---- R6: devices and oversized key files ----
run_bad "measure calculate --linux=/dev/zero" "/dev/zero: .*not a regular file" \
        "$UKIT" measure calculate --linux=/dev/zero
run_bad "build --pcr-private-key=/dev/urandom" "/dev/urandom: .*not a regular file" \
        "${B[@]}" --pcr-private-key=/dev/urandom
run_bad "measure sign --public-key=/dev/urandom" "/dev/urandom: .*not a regular file" \
        "$UKIT" measure sign --linux="$KERNEL" --private-key=pcr.key --public-key=/dev/urandom
run_bad "sign --cert=/dev/urandom" "/dev/urandom: .*not a regular file" \
        "$UKIT" sign --key=sb.key --cert=/dev/urandom -o s.efi small.efi
# A 2 MiB "certificate": refused by size, not parsed.
{ cat sb.crt; head -c 2M /dev/zero; } >big.crt
run_bad "sign --cert=2MiB" "big.crt: .*too large" "$UKIT" sign --key=sb.key --cert=big.crt -o s.efi small.efi

# ---- R4: no control character from an image or a file name reaches the terminal ----
mkdir -p e/EFI/Linux
evil=$(printf 'x\033[7m.efi')
$PY - small.efi "e/EFI/Linux/$evil" <<'EOF'
import sys
d = open(sys.argv[1], 'rb').read()
d = d.replace(b'UNAMEXXXXX', b'\x1b]0;PWN\x07AB').replace(b'CMDLINEXXXXXX', b'\x1b[2J\x1b[31mRED!')
open(sys.argv[2], 'wb').write(d)
EOF
# controls FILE WHAT: FILE holds no C0 control other than newline and no DEL.
controls() {
        if LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177]')" "$1"; then
                fail "$2: control characters in the output: $(cat -v "$1" | head -c 400)"
        fi
}
"$UKIT" list --esp-path="$T/e" --boot-path="$T/e" >list.out 2>list.err || fail "list"
controls list.out "list"
controls list.err "list (stderr)"
grep -q 'RED!' list.out || fail "list: the command line is not shown at all"
"$UKIT" inspect "e/EFI/Linux/$evil" >inspect.out 2>inspect.err || fail "inspect"
controls inspect.out "inspect"
grep -q 'RED!' inspect.out || fail "inspect: the command line is not shown at all"
# JSON keeps the exact bytes (escaped by JSON itself).
"$UKIT" list --esp-path="$T/e" --boot-path="$T/e" --json=short >list.json 2>/dev/null
jq -e '.[0].uname == "\u001b]0;PWN\u0007AB"' list.json >/dev/null || fail "list --json: uname changed: $(cat list.json)"
# A C1 control (U+009B, CSI, in UTF-8) and bytes that are not UTF-8 (a raw
# 0x9b is CSI to an 8-bit terminal) are escaped as well. Same lengths as
# the placeholder, so the PE layout stays valid.
mkdir -p c1/EFI/Linux
$PY - small.efi c1/EFI/Linux/utf8.efi c1/EFI/Linux/raw.efi <<'EOF'
import sys
d = open(sys.argv[1], 'rb').read()
open(sys.argv[2], 'wb').write(d.replace(b'CMDLINEXXXXXX', b'A\xc2\x9b2JBCDEFGHI'))
open(sys.argv[3], 'wb').write(d.replace(b'CMDLINEXXXXXX', b'A\xff\x9b2JBCDEFGHI'))
EOF
# raw8 FILE WHAT: FILE holds no C1 control (UTF-8 or raw) and no 0xff byte.
raw8() {
        if LC_ALL=C grep -q "$(printf '\302[\200-\237]')" "$1" || LC_ALL=C grep -q "$(printf '[\233\377]')" "$1"; then
                fail "$2: C1 control or invalid byte printed raw: $(cat -v "$1")"
        fi
}
"$UKIT" inspect c1/EFI/Linux/utf8.efi >c1.out 2>/dev/null || fail "inspect utf8.efi"
grep -q '2JBCDEFGHI' c1.out || fail "inspect: the C1 command line is not shown"
raw8 c1.out "inspect"
"$UKIT" list --esp-path="$T/c1" --boot-path="$T/c1" >c1.out 2>/dev/null || fail "list c1"
[ "$(grep -c '2JBCDEFGHI' c1.out)" -ge 2 ] || fail "list: the command lines are not shown"
raw8 c1.out "list"

# ---- R7: outputs follow the umask ----
(
        umask 077
        "$UKIT" inspect --section=.initrd:binary@x.initrd small.efi >/dev/null
        "$UKIT" sign --key=sb.key --cert=sb.crt --detach=d.sig small.efi
        mkdir -p tree/usr/lib/extension-release.d tree/usr/share/x
        echo hi >tree/usr/share/x/f
        echo ID=_any >tree/usr/lib/extension-release.d/extension-release.x
        "$UKIT" sysext build tree x.raw >/dev/null
)
for f in x.initrd d.sig x.raw; do
        assert_eq "$(stat -c %a $f)" 600 "$f written under umask 077"
done
(umask 022; "$UKIT" inspect --section=.initrd:binary@y.initrd small.efi >/dev/null)
assert_eq "$(stat -c %a y.initrd)" 644 "y.initrd written under umask 022"

# ---- R8: in-place sign of a symlink signs its target; owner, group, mode kept ----
cp small.efi target.efi
ln -s target.efi link.efi
"$UKIT" sign --key=sb.key --cert=sb.crt link.efi || fail "sign link.efi"
[ -L link.efi ] || fail "sign replaced the symlink with a file"
sbverify --cert sb.crt target.efi >/dev/null 2>&1 || fail "the symlink's target is not signed (sbverify)"
cp small.efi p.efi
chmod 640 p.efi
if [ "$(id -u)" = 0 ] && getent group daemon >/dev/null; then
        chown root:daemon p.efi
fi
owner=$(stat -c %U:%G p.efi)
xattr=no
if $PY -c 'import os,sys; os.setxattr(sys.argv[1], "user.ukit-test", b"kept")' p.efi 2>/dev/null; then xattr=yes; fi
"$UKIT" sign --key=sb.key --cert=sb.crt p.efi || fail "sign p.efi"
assert_eq "$(stat -c '%a %U:%G' p.efi)" "640 $owner" "mode and owner after in-place sign"
if [ $xattr = yes ]; then
        got=$($PY -c 'import os,sys; print(os.getxattr(sys.argv[1], "user.ukit-test").decode())' p.efi 2>/dev/null || true)
        assert_eq "$got" kept "user xattr after in-place sign"
fi
"$UKIT" sign --remove p.efi
assert_eq "$(stat -c '%a %U:%G' p.efi)" "640 $owner" "mode and owner after sign --remove"

# ---- R9: messages name the file and the problem ----
run_bad "verify /dev/null" "/dev/null: not a regular file" "$UKIT" verify /dev/null
run_bad "verify DIR" "dir: not a regular file" "$UKIT" verify dir
run_bad "measure calculate --uki=DIR" "dir: .*not a regular file" "$UKIT" measure calculate --uki=dir
run_bad "sysext verity /dev/null H" "/dev/null: not a regular file" "$UKIT" sysext verity /dev/null H
if grep -q "no error\|File descriptor in bad state" err; then fail "old unclear message"; fi
rc=0; "$UKIT" install --os-release=ID=x -rf K >out 2>err || rc=$?
assert_eq "$rc" 2 "install -rf exit status"
grep -q "'-r'" err || fail "install -rf: the unknown option -r is not named: $(cat err)"
if grep -q "os-release" err; then fail "install -rf blames --os-release: $(cat err)"; fi
"$UKIT" install -q --boot-path="$T/esp" --entry-token=literal:tok --cmdline=quiet --os-release=ID=x \
        6.1.0-1 "$KERNEL" initrd >out 2>err || fail "install -q: $(cat err)"
[ ! -s out ] && [ ! -s err ] || fail "install -q printed: $(cat out err)"
[ -f esp/EFI/Linux/tok-6.1.0-1.efi ] || fail "install -q installed nothing"
# list on a corrupt file gives the parser's reason, not a generic one.
mkdir -p c/EFI/Linux
head -c 3000 small.efi >c/EFI/Linux/cut.efi
"$UKIT" list --esp-path="$T/c" --boot-path="$T/c" >/dev/null 2>err || true
grep -q "cut.efi: not a UKI (.*end of the file" err || fail "list: no parser reason for a truncated file: $(cat err)"
# verify --json on an image that cannot be parsed: a JSON object with the error.
head -c 3000 small.efi >cut.efi
rc=0; "$UKIT" verify --json=short cut.efi >v.json 2>/dev/null || rc=$?
assert_eq "$rc" 1 "verify --json on a truncated image: exit status"
[ -s v.json ] && jq -e '.valid == false and (.error | length > 0) and .file == "cut.efi"' v.json >/dev/null \
        || fail "verify --json printed no JSON error object: $(cat v.json)"

# DDI faults name the structure and the field (dissected before any mount).
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
        mkdir -p R/var/lib/extensions R/usr/lib
        printf 'ID=debian\nVERSION_ID=12\n' >R/usr/lib/os-release
        cp x.raw R/var/lib/extensions/crc.raw
        # GPT header CRC32 (LBA 1, bytes 16..19) flipped.
        flip_byte R/var/lib/extensions/crc.raw $((512 + 16))
        unshare -m "$UKIT" sysext merge --root="$T/R" >/dev/null 2>err || true
        grep -q "crc.raw: .*GPT header.*CRC" err || fail "GPT CRC fault not named: $(cat err)"
        rm R/var/lib/extensions/crc.raw
        cp x.raw R/var/lib/extensions/sb.raw
        vstart=$(sfdisk -J x.raw | jq '.partitiontable.partitions[] | select(.name | endswith("-verity")) | .start')
        # data_block_size (superblock offset 64) = 3.
        printf '\003\000\000\000' | dd of=R/var/lib/extensions/sb.raw bs=1 seek=$((vstart * 512 + 64)) \
                conv=notrunc status=none
        unshare -m "$UKIT" sysext merge --root="$T/R" >/dev/null 2>err || true
        grep -q "sb.raw: .*verity superblock.*data_block_size" err || fail "superblock fault not named: $(cat err)"
else
        echo "note: DDI message cases need root and unshare, not run"
fi

echo "ok: hostile input"
