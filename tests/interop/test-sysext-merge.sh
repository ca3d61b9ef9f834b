#!/usr/bin/env bash
# `ukit sysext/confext merge|refresh|unmerge|status|list` on a fake --root in
# a private mount namespace (every mount dies with it). Oracles we did not
# write: veritysetup (the corrupted image really is corrupt), systemd-repart
# 252 (DDIs it makes are merged), systemd-sysext 252 (recognises and removes
# ukit's merge, and ukit removes its merge), the kernel (noexec, read-only).
. "$(dirname "$0")/../lib.sh"
# scripts/test.sh passes UKIT=$build/ukit, but meson puts the binary in src/ukit/.

if [ -z "${UKIT_IN_NS:-}" ]; then
        [ "$(id -u)" = 0 ] || skip "needs root (mounts, loop devices)"
        need unshare veritysetup dmsetup systemd-repart systemd-sysext mkfs.erofs jq openssl sfdisk
        grep -qw overlay /proc/filesystems || skip "no overlayfs"
        [ -e /dev/loop-control ] || skip "no loop devices"
        export UKIT UKIT_TMP UKIT_TOP
        UKIT_IN_NS=1 unshare -m --propagation private bash "$0"
        exit $?
fi

R=$T/root
E=$R/var/lib/extensions
cleanup() {
        for r in "$R" "$T/we,ird:root" "$T/r2"; do
                "$UKIT" sysext unmerge --root="$r" -q >/dev/null 2>&1 || true
                "$UKIT" confext unmerge --root="$r" -q >/dev/null 2>&1 || true
        done
        [ -n "${reader:-}" ] && kill "$reader" 2>/dev/null || true
}
trap cleanup EXIT

mkdir -p "$R/etc/verity.d" "$R/usr/bin" "$R/usr/share/t" "$E" "$R/var/lib/confexts"
printf 'ID=debian\nVERSION_ID=12\nSYSEXT_LEVEL=1.0\nCONFEXT_LEVEL=3\n' >"$R/etc/os-release"
echo base >"$R/usr/share/t/base"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/k.pem" -out "$T/c.crt" -subj /CN=merge-test -days 30 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/k2.pem" -out "$T/c2.crt" -subj /CN=untrusted -days 30 2>/dev/null
cp "$T/c.crt" "$R/etc/verity.d/test.crt"

# dirext NAME RELEASE-LINES...: a directory extension in $E
dirext() {
        local n=$1; shift
        mkdir -p "$E/$n/usr/lib/extension-release.d" "$E/$n/usr/share/t"
        printf '%s\n' "$@" >"$E/$n/usr/lib/extension-release.d/extension-release.$n"
        echo "$n" >"$E/$n/usr/share/t/who"; echo "$n" >"$E/$n/usr/share/t/$n-only"
}
dirext aaa ID=debian VERSION_ID=12
dirext wrongid ID=fedora VERSION_ID=12
dirext wrongver ID=debian VERSION_ID=11
dirext wronglevel ID=debian SYSEXT_LEVEL=2.0
dirext wrongarch ID=_any ARCHITECTURE=arm64
mkdir -p "$E/norel/usr/share/t"; echo x >"$E/norel/usr/share/t/norel-only"
# a release file symlinking out of the image must resolve inside it (the
# machine's own /etc/os-release would match: Debian 12)
mkdir -p "$E/evil/usr/lib/extension-release.d" "$E/evil/usr/share/t"; echo e >"$E/evil/usr/share/t/evil-only"
ln -s ../../../../../../../etc/os-release "$E/evil/usr/lib/extension-release.d/extension-release.evil"
# an extension must not carry an os-release
dirext hasosrel ID=debian VERSION_ID=12; echo ID=evil >"$E/hasosrel/usr/lib/os-release"

# zzz: signed DDI built by ukit (and an executable, sysext is not noexec)
mkdir -p "$T/zzz/usr/share/t" "$T/zzz/usr/bin"
echo zzz >"$T/zzz/usr/share/t/who"; echo zzz >"$T/zzz/usr/share/t/zzz-only"
printf '#!/bin/sh\necho zzz-runs\n' >"$T/zzz/usr/bin/zzz-tool"; chmod 755 "$T/zzz/usr/bin/zzz-tool"
"$UKIT" sysext build --id=debian --level=1.0 --private-key="$T/k.pem" --certificate="$T/c.crt" \
        "$T/zzz" "$E/zzz.raw" >/dev/null
# corrupt: like zzz, one flipped byte in the file system partition
mkdir -p "$T/corrupt/usr/share/t"; head -c 300000 /dev/urandom >"$T/corrupt/usr/share/t/blob"
"$UKIT" sysext build --id=_any "$T/corrupt" "$E/corrupt.raw" >/dev/null
start=$(sfdisk -J "$E/corrupt.raw" | jq '.partitiontable.partitions[0].start')
flip_byte "$E/corrupt.raw" $((start * 512 + 150000))
# independent confirmation that corrupt.raw is corrupt and zzz.raw is not
vcheck() { # IMG -> veritysetup verify on its partitions
        local s0 n0 s1 n1 root
        s0=$(sfdisk -J "$1" | jq '.partitiontable.partitions[0].start'); n0=$(sfdisk -J "$1" | jq '.partitiontable.partitions[0].size')
        s1=$(sfdisk -J "$1" | jq '.partitiontable.partitions[1].start'); n1=$(sfdisk -J "$1" | jq '.partitiontable.partitions[1].size')
        dd if="$1" of="$T/v.data" bs=512 skip="$s0" count="$n0" status=none
        dd if="$1" of="$T/v.hash" bs=512 skip="$s1" count="$n1" status=none
        root=$(sfdisk -J "$1" | jq -r '.partitiontable.partitions[0].uuid, .partitiontable.partitions[1].uuid' | tr -d '\n-' | tr A-F a-f)
        veritysetup verify "$T/v.data" "$T/v.hash" "$root" >/dev/null 2>&1
}
vcheck "$E/zzz.raw" || fail "veritysetup rejects zzz.raw"
if vcheck "$E/corrupt.raw"; then fail "veritysetup accepts corrupt.raw: test setup broken"; fi

# --- list ---
"$UKIT" sysext list --root="$R" --json=short >"$T/list.json"
assert_eq "$(jq -r 'map(.name)|join(" ")' "$T/list.json")" \
        "aaa corrupt evil hasosrel norel wrongarch wrongid wronglevel wrongver zzz" "list order"
assert_eq "$(jq -r '.[]|select(.name=="zzz")|.type' "$T/list.json")" raw "zzz type"

# --- merge: good ones merged, incompatible skipped with reasons, corrupt fails ---
set +e
"$UKIT" sysext merge --root="$R" --json=short >"$T/merge.json" 2>"$T/merge.err"
rc=$?
set -e
cat "$T/merge.err"
assert_eq "$rc" 1 "merge exit status with a corrupted image"
assert_eq "$(cat "$R/usr/share/t/who")" zzz "precedence: the highest name wins"
[ -f "$R/usr/share/t/aaa-only" ] && [ -f "$R/usr/share/t/zzz-only" ] && [ -f "$R/usr/share/t/base" ] || fail "merged tree incomplete"
for n in wrongid wrongver wronglevel wrongarch norel evil; do
        [ ! -e "$R/usr/share/t/$n-only" ] || fail "$n was merged"
        assert_eq "$(jq -r ".[]|select(.name==\"$n\")|.state" "$T/merge.json")" ignored "$n state"
done
[ ! -e "$R/usr/share/t/blob" ] || fail "corrupted image was merged"
grep -q "ID=fedora does not match host ID=debian" "$T/merge.err" || fail "no reason for wrongid"
grep -q "VERSION_ID=11 does not match host VERSION_ID=12" "$T/merge.err" || fail "no reason for wrongver"
grep -q "SYSEXT_LEVEL=2.0 does not match host SYSEXT_LEVEL=1.0" "$T/merge.err" || fail "no reason for wronglevel"
grep -q "ARCHITECTURE=arm64" "$T/merge.err" || fail "no reason for wrongarch"
grep -q "corrupt.raw: dm-verity check failed" "$T/merge.err" || fail "no verity failure reported"
grep -q "hasosrel: contains usr/lib/os-release" "$T/merge.err" || fail "os-release in an extension not rejected"
[ ! -e "$R/usr/share/t/hasosrel-only" ] || fail "hasosrel merged"
assert_eq "$(jq -r '.[]|select(.name=="zzz")|.protection' "$T/merge.json")" signed "zzz protection"
assert_eq "$(jq -r '.[]|select(.name=="zzz")|.trust' "$T/merge.json")" verity.d "zzz trust"
assert_eq "$(jq -r '.[]|select(.name=="aaa")|.verity+" "+.trust' "$T/merge.json")" "none none" "directory: no verity"
# --verity=auto: the kernel when device-mapper is there (tests/vm/test-sysext-dm-verity.sh
# covers that in a guest); on a host without it, the user-space check and a note.
# Decided as ukit decides: the control node must open read-write (a node
# without device-mapper in the kernel gives ENODEV); -c first, as <> creates.
dm_usable() { [ -c /dev/mapper/control ] && { : <>/dev/mapper/control; } 2>/dev/null; }
if dm_usable; then
        assert_eq "$(jq -r '.[]|select(.name=="zzz")|.verity' "$T/merge.json")" kernel "zzz verity (device-mapper)"
else
        assert_eq "$(jq -r '.[]|select(.name=="zzz")|.verity' "$T/merge.json")" userspace "zzz verity (no device-mapper)"
        grep -q "Note: no device-mapper here" "$T/merge.err" || fail "no note about the missing device-mapper"
fi
assert_eq "$(jq -r '.[]|select(.name=="corrupt")|.state' "$T/merge.json")" failed "corrupt state"
assert_eq "$(jq -r '.[]|select(.name=="corrupt")|.verity' "$T/merge.json")" none "corrupt: not merged, so no verity"
assert_eq "$(tr '\n' ' ' <"$R/usr/.systemd-sysext/extensions")" "aaa zzz " "marker extensions file"
assert_eq "$("$R/usr/bin/zzz-tool")" zzz-runs "sysext binaries execute"
if touch "$R/usr/share/t/new" 2>/dev/null; then fail "merged /usr is writable"; fi
assert_eq "$(grep -c " $R/usr " /proc/self/mountinfo)" 1 "one overlay on /usr"
"$UKIT" sysext status --root="$R" --json=short >"$T/status.json"
assert_eq "$(jq -r '.[]|select(.hierarchy=="/usr")|.extensions|join(" ")' "$T/status.json")" "aaa zzz" "status"
assert_eq "$(jq -r '.[]|select(.hierarchy=="/opt")|.extensions' "$T/status.json")" none "status /opt"
assert_fails "merge twice" "$UKIT" sysext merge --root="$R"
grep -q "already merged" "$T/.out" || fail "merge twice: $(cat "$T/.out")"

rm -rf "$E/hasosrel"

# --- unmerge restores the base ---
"$UKIT" sysext unmerge --root="$R"
[ ! -e "$R/usr/share/t/who" ] && [ -f "$R/usr/share/t/base" ] || fail "unmerge did not restore the base"
grep -q " $R/usr " /proc/self/mountinfo && fail "overlay still mounted after unmerge"
for i in $(seq 50); do losetup -j "$E/zzz.raw" | grep -q . || break; sleep 0.1; done
losetup -j "$E/zzz.raw" | grep -q . && fail "loop device left attached after unmerge"

# --- --strict: a failed image stops everything ---
assert_fails "strict merge" "$UKIT" sysext merge --root="$R" --strict
grep -q " $R/usr " /proc/self/mountinfo && fail "--strict merged despite a failed image"

# --- signatures: untrusted signer, --require-signature ---
rm "$E/corrupt.raw"
mkdir -p "$T/untr/usr/share/t"; echo u >"$T/untr/usr/share/t/untr-only"
"$UKIT" sysext build --id=_any --private-key="$T/k2.pem" --certificate="$T/c2.crt" "$T/untr" "$E/untr.raw" >/dev/null
assert_fails "untrusted signer" "$UKIT" sysext merge --root="$R"
grep -q "untr.raw: root hash signature not made by any certificate in verity.d" "$T/.out" || fail "untrusted: $(cat "$T/.out")"
[ -f "$R/usr/share/t/zzz-only" ] || fail "good image not merged next to the untrusted one"
"$UKIT" sysext unmerge --root="$R" -q
assert_fails "untrusted signer, --verity=userspace" "$UKIT" sysext merge --root="$R" --verity=userspace
grep -q "untr.raw: .*verity.d (--verity=userspace does not ask the kernel keyring)" "$T/.out" ||
        fail "untrusted, userspace: $(cat "$T/.out")"
grep -q "Note: no device-mapper" "$T/.out" && fail "note printed although --verity=userspace was asked for"
"$UKIT" sysext unmerge --root="$R" -q
if ! dm_usable; then
        # --verity=kernel without device-mapper: every verity image fails, the
        # directory images still merge, exit status 1
        assert_fails "--verity=kernel without device-mapper" "$UKIT" sysext merge --root="$R" --verity=kernel
        grep -q "zzz.raw: --verity=kernel, but there is no device-mapper" "$T/.out" ||
                fail "--verity=kernel: $(cat "$T/.out")"
        [ -f "$R/usr/share/t/aaa-only" ] && [ ! -e "$R/usr/share/t/zzz-only" ] || fail "--verity=kernel merged the wrong set"
        "$UKIT" sysext unmerge --root="$R" -q
fi
assert_fails "--verity=bogus" "$UKIT" sysext merge --root="$R" --verity=bogus
grep -q -- "--verity=bogus: expected auto, kernel or userspace" "$T/.out" || fail "--verity=bogus: $(cat "$T/.out")"
rm "$E/untr.raw"
assert_fails "require signature" "$UKIT" sysext merge --root="$R" --require-signature
grep -q "aaa: directory image, but a signature is required" "$T/.out" || fail "require-signature: $(cat "$T/.out")"
[ -f "$R/usr/share/t/zzz-only" ] && [ ! -e "$R/usr/share/t/aaa-only" ] || fail "require-signature merged the wrong set"
"$UKIT" sysext unmerge --root="$R" -q

# --- garbage .raw fails alone; a usr-partition squashfs DDI merges ---
head -c 1048576 /dev/urandom >"$E/garbage.raw"
mkdir -p "$T/usrp/usr/share/t"; echo u >"$T/usrp/usr/share/t/usrp-only"
"$UKIT" sysext build --usr --format=squashfs --id=_any "$T/usrp" "$E/usrp.raw" >/dev/null
assert_fails "garbage image" "$UKIT" sysext merge --root="$R"
grep -q "garbage.raw: no known file system" "$T/.out" || fail "garbage: $(cat "$T/.out")"
[ -f "$R/usr/share/t/usrp-only" ] && [ -f "$R/usr/share/t/zzz-only" ] || fail "good images not merged next to garbage"
"$UKIT" sysext unmerge --root="$R" -q
rm "$E/garbage.raw" "$E/usrp.raw"

# --- bare file systems with sidecar verity made by veritysetup, signed by openssl smime ---
side() { # NAME -> $E/NAME.raw + NAME.verity + NAME.roothash
        mkdir -p "$T/$1/usr/lib/extension-release.d" "$T/$1/usr/share/t"
        echo ID=_any >"$T/$1/usr/lib/extension-release.d/extension-release.$1"
        head -c 100000 /dev/urandom >"$T/$1/usr/share/t/$1-only"
        mkfs.erofs --quiet "$E/$1.raw" "$T/$1" >/dev/null
        veritysetup format "$E/$1.raw" "$E/$1.verity" | awk '/^Root hash:/ {print $3}' >"$E/$1.roothash"
}
side plain; side signedside; side badsig; side flipped
openssl smime -sign -in <(tr -d '\n' <"$E/signedside.roothash") -nocerts -inkey "$T/k.pem" -signer "$T/c.crt" \
        -noattr -binary -outform der -out "$E/signedside.roothash.p7s"
openssl smime -sign -in <(tr -d '\n' <"$E/badsig.roothash") -nocerts -inkey "$T/k2.pem" -signer "$T/c2.crt" \
        -noattr -binary -outform der -out "$E/badsig.roothash.p7s"
flip_byte "$E/flipped.raw" $((4096 + 50000))
veritysetup verify "$E/flipped.raw" "$E/flipped.verity" "$(cat "$E/flipped.roothash")" >/dev/null 2>&1 \
        && fail "veritysetup accepts flipped.raw: test setup broken"
set +e; "$UKIT" sysext merge --root="$R" --json=short >"$T/side.json" 2>"$T/side.err"; rc=$?; set -e
assert_eq "$rc" 1 "sidecar merge exit status"
assert_eq "$(jq -r '.[]|select(.name=="plain")|.protection' "$T/side.json")" verity "plain sidecar"
assert_eq "$(jq -r '.[]|select(.name=="signedside")|.protection' "$T/side.json")" signed "openssl-signed sidecar"
grep -q "badsig.raw: root hash signature not made by any certificate" "$T/side.err" || fail "badsig: $(cat "$T/side.err")"
grep -q "flipped.raw: dm-verity check failed" "$T/side.err" || fail "flipped: $(cat "$T/side.err")"
[ -f "$R/usr/share/t/plain-only" ] && [ -f "$R/usr/share/t/signedside-only" ] || fail "sidecar images not merged"
[ ! -e "$R/usr/share/t/badsig-only" ] && [ ! -e "$R/usr/share/t/flipped-only" ] || fail "bad sidecar images merged"
"$UKIT" sysext unmerge --root="$R" -q
rm -f "$E"/{plain,signedside,badsig,flipped}.*

# --- merge succeeds (exit 0) when nothing is broken; a DDI from systemd-repart 252 ---
mkdir -p "$T/rp/defs" "$T/rp/src/usr/lib/extension-release.d" "$T/rp/src/usr/share/t"
echo ID=_any >"$T/rp/src/usr/lib/extension-release.d/extension-release.rp"
echo rp >"$T/rp/src/usr/share/t/rp-only"
printf '[Partition]\nType=root\nFormat=squashfs\nCopyFiles=/usr/\nVerity=data\nVerityMatchKey=root\n' >"$T/rp/defs/10-root.conf"
printf '[Partition]\nType=root-verity\nVerity=hash\nVerityMatchKey=root\n' >"$T/rp/defs/20-verity.conf"
printf '[Partition]\nType=root-verity-sig\nVerity=signature\nVerityMatchKey=root\n' >"$T/rp/defs/30-sig.conf"
systemd-repart --definitions="$T/rp/defs" --root="$T/rp/src" --empty=create --size=auto --dry-run=no \
        --private-key="$T/k.pem" --certificate="$T/c.crt" "$E/rp.raw" >/dev/null 2>&1 || fail "systemd-repart failed"
"$UKIT" sysext merge --root="$R" --json=short >"$T/merge2.json" 2>"$T/merge2.err" || { cat "$T/merge2.err"; fail "clean merge exit status"; }
assert_eq "$(cat "$R/usr/share/t/rp-only")" rp "repart DDI content"
assert_eq "$(jq -r '.[]|select(.name=="rp")|.protection' "$T/merge2.json")" signed "repart DDI signature verified"

# --- refresh: atomic for readers, one overlay afterwards ---
mkdir -p "$T/setA/usr/share/t/set" "$T/setB/usr/share/t/set"
for i in $(seq 10); do echo a >"$T/setA/usr/share/t/set/a$i"; echo b >"$T/setB/usr/share/t/set/b$i"; done
for s in A B; do
        mkdir -p "$T/set$s/usr/lib/extension-release.d"
        echo ID=_any >"$T/set$s/usr/lib/extension-release.d/extension-release.set"
done
A=$(ls "$T/setA/usr/share/t/set" | tr '\n' ' '); B=$(ls "$T/setB/usr/share/t/set" | tr '\n' ' ')
mv "$T/setA" "$E/set"
"$UKIT" sysext refresh --root="$R" -q
assert_eq "$(ls "$R/usr/share/t/set" | tr '\n' ' ')" "$A" "refresh picked up the new extension"
( while :; do
        l=$(ls "$R/usr/share/t/set" 2>/dev/null | tr '\n' ' ')
        if [ "$l" = "$A" ]; then echo A; elif [ "$l" = "$B" ]; then echo B; else echo "BAD:[$l]"; fi
  done >"$T/reader.log" ) &
reader=$!
cur=A
for i in $(seq 12); do
        if [ $cur = A ]; then mv "$E/set" "$T/setA"; mv "$T/setB" "$E/set"; cur=B
        else mv "$E/set" "$T/setB"; mv "$T/setA" "$E/set"; cur=A; fi
        "$UKIT" sysext refresh --root="$R" -q || fail "refresh $i"
done
kill "$reader"; wait "$reader" 2>/dev/null || true; reader=
grep -m3 BAD "$T/reader.log" && fail "a reader saw a partial state during refresh"
[ "$(grep -c '^A$' "$T/reader.log")" -gt 0 ] && [ "$(grep -c '^B$' "$T/reader.log")" -gt 0 ] || fail "reader saw too little"
echo "reader: $(wc -l <"$T/reader.log") listings, all complete"
assert_eq "$(grep -c " $R/usr " /proc/self/mountinfo)" 1 "one overlay after refreshes"

# --- a refresh killed at random points leaves a complete tree ---
for i in $(seq 8); do
        if [ $cur = A ]; then mv "$E/set" "$T/setA"; mv "$T/setB" "$E/set"; cur=B
        else mv "$E/set" "$T/setB"; mv "$T/setA" "$E/set"; cur=A; fi
        "$UKIT" sysext refresh --root="$R" -q & p=$!
        sleep "0.0$((RANDOM % 10))"; kill -9 $p 2>/dev/null || true; wait $p 2>/dev/null || true
        l=$(ls "$R/usr/share/t/set" | tr '\n' ' ')
        [ "$l" = "$A" ] || [ "$l" = "$B" ] || fail "killed refresh left a partial tree: [$l]"
done
"$UKIT" sysext unmerge --root="$R" -q
grep -q " $R/usr " /proc/self/mountinfo && fail "unmerge after killed refreshes left overlays"
[ -z "$(ls -A /run/ukit-sysext 2>/dev/null)" ] || fail "killed refreshes left files in /run/ukit-sysext"

# --- confext: /etc, noexec ---
C=$R/var/lib/confexts
mkdir -p "$C/cfg/etc/extension-release.d" "$C/oldcfg/etc/extension-release.d"
printf 'ID=debian\nCONFEXT_LEVEL=3\n' >"$C/cfg/etc/extension-release.d/extension-release.cfg"
printf 'ID=debian\nCONFEXT_LEVEL=2\n' >"$C/oldcfg/etc/extension-release.d/extension-release.oldcfg"
printf '#!/bin/sh\necho runs\n' >"$C/cfg/etc/cfg-tool"; chmod 755 "$C/cfg/etc/cfg-tool"
echo old >"$C/oldcfg/etc/oldcfg-only"
"$UKIT" confext merge --root="$R" 2>"$T/conf.err" || { cat "$T/conf.err"; fail "confext merge"; }
[ -f "$R/etc/cfg-tool" ] && [ -f "$R/etc/os-release" ] || fail "confext tree incomplete"
[ ! -e "$R/etc/oldcfg-only" ] || fail "CONFEXT_LEVEL mismatch merged"
grep -q "CONFEXT_LEVEL=2 does not match host CONFEXT_LEVEL=3" "$T/conf.err" || fail "no confext level reason"
if "$R/etc/cfg-tool" >/dev/null 2>&1; then fail "confext binary executed (must be noexec)"; fi
grep " $R/etc " /proc/self/mountinfo | grep -q noexec || fail "confext overlay not noexec"
assert_eq "$(cat "$R/etc/.systemd-confext/confexts")" cfg "confext marker (systemd-confext 257 names it confexts)"
"$UKIT" confext unmerge --root="$R" -q
[ ! -e "$R/etc/cfg-tool" ] || fail "confext unmerge"

# --- ',' and ':' in layer paths are escaped ---
W="$T/we,ird:root"
mkdir -p "$W/etc" "$W/usr/share" "$W/var/lib/extensions"
cp "$R/etc/os-release" "$W/etc/"; cp -a "$E/aaa" "$W/var/lib/extensions/"
"$UKIT" sysext merge --root="$W" -q || fail "merge with , and : in the path"
assert_eq "$(cat "$W/usr/share/t/who")" aaa "escaped path merge"
"$UKIT" sysext unmerge --root="$W" -q

# --- systemd-sysext 252 and ukit understand each other's merges ---
# 252 needs /run to be a mount point, and its child namespace only propagates
# its bind mount back through shared mounts: both only inside this namespace.
mount -t tmpfs tmpfs /run
mount --make-rshared /
R2=$T/r2
mkdir -p "$R2/etc" "$R2/usr/share" "$R2/var/lib/extensions"
cp "$R/etc/os-release" "$R2/etc/"; cp -a "$E/aaa" "$R2/var/lib/extensions/"
"$UKIT" sysext merge --root="$R2" -q
systemd-sysext unmerge --root="$R2" >/dev/null 2>&1 || true
grep -q " $R2/usr " /proc/self/mountinfo && fail "systemd-sysext 252 did not recognise ukit's merge"
systemd-sysext merge --root="$R2" >/dev/null 2>&1 || true
[ -f "$R2/usr/share/t/aaa-only" ] || fail "systemd-sysext 252 merge (setup)"
"$UKIT" sysext status --root="$R2" --json=short | jq -e '.[]|select(.hierarchy=="/usr")|.extensions==["aaa"]' >/dev/null \
        || fail "ukit status does not read systemd-sysext's merge"
"$UKIT" sysext unmerge --root="$R2" -q
grep -q " $R2/usr " /proc/self/mountinfo && fail "ukit did not remove systemd-sysext's merge"
echo ok
