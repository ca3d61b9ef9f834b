#!/usr/bin/env bash
# ukit build on bad input: each case exits non-zero with ONE line on stderr
# that names the offending file (or option), and leaves nothing in the output
# directory (no output, no temporary file). Oracles for "malformed": the
# inputs are made with head/truncate/sbsign, not with ukit.
. "${UKIT_TOP:-$(dirname "$0")/../..}/tests/lib.sh"
. "$UKIT_TOP/tests/interop/build-lib.sh"
build_need
need sbsign openssl truncate
KERNEL=$(build_kernel)

cd "$T"
mkdir out
printf 'ID=test\n' >osrel
printf 'not a bitmap at all' >splash.txt
: >empty
head -c 100 /dev/urandom >initrd
head -c 1000 "$STUB" >stub.trunc                 # cut inside the section table region
head -c 20000 "$STUB" >stub.short                # headers fine, sections past EOF
head -c 300000 "$KERNEL" >kernel.trunc           # PE kernel cut short
printf 'MZ' >kernel.mz                           # MZ and nothing else
cp "$STUB" stub.badlfanew; printf '\xf0\xff\xff\x7f' | dd of=stub.badlfanew bs=1 seek=60 conv=notrunc status=none
cp "$STUB" stub.nsec; printf '\xff\xff' | dd of=stub.nsec bs=1 seek=$((0x86)) conv=notrunc status=none
openssl req -new -x509 -newkey rsa:2048 -nodes -subj /CN=test -days 1 -keyout k.pem -out c.pem 2>/dev/null
sbsign --key k.pem --cert c.pem --output stub.signed "$STUB" 2>/dev/null || fail "sbsign failed"
printf 'ID="unterminated\n' >osrel.bad
printf 'sbat,1,SBAT Version,sbat,1,https://x\nbroken line without fields\n' >sbat.bad
truncate -s 5G huge                               # sparse: > 4 GiB
truncate -s 1500M big1 big2 big3                  # together > 4 GiB

# bad WHAT EXPECTED-SUBSTRING ARGS...: must fail, one line naming the problem
bad() {
        local what=$1 expect=$2; shift 2
        if "$UKIT" build --os-release=@osrel --stub="$STUB" "$@" -o "${OUT:-out/uki.efi}" >stdout.log 2>stderr.log; then
                fail "$what: succeeded unexpectedly"
        fi
        [ "$(ls -A out | wc -l)" = 0 ] || fail "$what: left files behind: $(ls -A out)"
        # usage errors add a "Try 'ukit build --help'." hint
        grep -v "^Try 'ukit build --help'.$" stderr.log >stderr.err || true
        [ "$(wc -l <stderr.err)" = 1 ] || fail "$what: expected one line of error, got: $(cat stderr.log)"
        mv stderr.err stderr.log
        grep -qF -- "$expect" stderr.log || fail "$what: error does not mention '$expect': $(cat stderr.log)"
        echo "ok: $what: $(cat stderr.log)"
}

bad "missing kernel"        "nonexistent-kernel"  --linux=nonexistent-kernel
bad "missing initrd"        "missing-initrd"      --linux="$KERNEL" --initrd=initrd --initrd=missing-initrd
bad "missing stub"          "no-stub"             --linux="$KERNEL" --stub=no-stub
bad "truncated stub"        "stub.trunc"          --linux="$KERNEL" --stub=stub.trunc
bad "stub sections past EOF" "stub.short"         --linux="$KERNEL" --stub=stub.short
bad "stub e_lfanew"         "stub.badlfanew"      --linux="$KERNEL" --stub=stub.badlfanew
bad "stub NumberOfSections" "stub.nsec"           --linux="$KERNEL" --stub=stub.nsec
bad "signed stub"           "signed"              --linux="$KERNEL" --stub=stub.signed
bad "stub is not PE"        "osrel"               --linux="$KERNEL" --stub=osrel
bad "truncated kernel"      "kernel.trunc"        --linux=kernel.trunc
bad "MZ-only kernel"        "kernel.mz"           --linux=kernel.mz
bad "empty kernel"          "empty"               --linux=empty
bad "directory as initrd"   "directory"           --linux="$KERNEL" --initrd=out
bad "pipe as initrd"        "not a regular file"  --linux="$KERNEL" --initrd=<(echo x)
bad "non-BMP splash"        "splash.txt"          --linux="$KERNEL" --splash=splash.txt
bad "empty splash"          "empty"               --linux="$KERNEL" --splash=empty
bad "section name > 8"      ".toolongname"        --linux="$KERNEL" --section=.toolongname:x
bad "duplicate --section"   "duplicate"           --linux="$KERNEL" --section=.a:x --section=.a:y
bad "--section vs --cmdline" "duplicate"          --linux="$KERNEL" --cmdline=x --section=.cmdline:y
bad "--section .linux"      ".linux"              --linux="$KERNEL" --section=.linux:y
bad "--section clash with stub" ".text"           --linux="$KERNEL" --section=.text:y
bad "--section without colon" "--section"         --linux="$KERNEL" --section=nocolon
bad "--section missing file" "nofile"             --linux="$KERNEL" --section=.x:@nofile
bad "invalid os-release"    "osrel.bad"           --linux="$KERNEL" --os-release=@osrel.bad
bad "missing os-release"    "no-osrel"            --linux="$KERNEL" --os-release=@no-osrel
bad "invalid sbat"          "sbat.bad"            --linux="$KERNEL" --sbat=@sbat.bad
bad "missing cmdline file"  "no-cmdline"          --linux="$KERNEL" --cmdline=@no-cmdline
bad "initrd > 4 GiB"        "huge"                --linux="$KERNEL" --initrd=huge
bad "initrds together > 4 GiB" "big1"             --linux="$KERNEL" --initrd=big1 --initrd=big2 --initrd=big3
bad "image > 4 GiB"         "4 GiB"               --linux="$KERNEL" --initrd=big1 --initrd=big2 --section=.x:@big3
bad "unknown option"        "--no-such-option"       --linux="$KERNEL" --no-such-option
bad "argument to a flag"    "option '--no-sign-kernel' takes no argument" --linux="$KERNEL" --no-sign-kernel=x
bad "unknown short option"  "unknown option '-Z'" --linux="$KERNEL" -Z
bad "missing config"        "no-config"           --linux="$KERNEL" --config=no-config
OUT=nodir/uki.efi bad "output directory missing" "nodir" --linux="$KERNEL"

# A write error half-way (a full file system) must not leave a temporary
# file either. The 4 MiB tmpfs is mounted in a private mount namespace
# (inside a user namespace when not root), so it goes away by itself.
mkdir small
ns=(unshare --mount)
[ "$(id -u)" = 0 ] || ns=(unshare --user --map-root-user --mount)
"${ns[@]}" bash -c 'mount -t tmpfs -o size=4m tmpfs small || exit
        rc=0; "$@" -o small/uki.efi 2>stderr.log || rc=$?
        ls -A small >left.txt; echo "$rc" >build.rc' \
        _ "$UKIT" build --linux="$KERNEL" --os-release=@osrel 2>ns.err || true
if [ -f build.rc ]; then
        [ "$(cat build.rc)" != 0 ] || fail "build onto a full file system succeeded"
        [ "$(wc -l <stderr.log)" = 1 ] || fail "ENOSPC: expected one line: $(cat stderr.log)"
        grep -q "small/uki.efi" stderr.log || fail "ENOSPC: error does not name the output: $(cat stderr.log)"
        [ ! -s left.txt ] || fail "ENOSPC: left files behind: $(cat left.txt)"
        echo "ok: full file system: $(cat stderr.log)"
else
        why="cannot mount a tmpfs in a new mount namespace ($(head -n 1 ns.err))"
        [ "${CI:-}" != true ] || fail "ENOSPC case cannot run under CI: $why"
        echo "note: $why, skipping the ENOSPC case"
fi
echo "PASS"
