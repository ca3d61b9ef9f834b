#!/usr/bin/env bash
# sysext images with a usr partition, both directions, judged by systemd 252:
# every systemd tool mounts a usr partition AT /usr, so it holds the contents
# of /usr.
# - `ukit sysext build --usr`: systemd-dissect 252 sees a system extension
#   and copies /usr/bin/x out of it; systemd-sysext 252 merges it; a tree
#   with anything outside usr/ is refused.
# - `ukit sysext merge` merges usr DDIs made by systemd-repart 252
#   (Type=usr, CopyFiles=/usr/:/), squashfs, plain / verity / verity+signature.
#   (repart 252 cannot make erofs; test-sysext-257.sh covers erofs with 257.)
# Runs in a private mount namespace: every mount dies with it.
. "$(dirname "$0")/../lib.sh"

if [ -z "${UKIT_IN_NS:-}" ]; then
        [ "$(id -u)" = 0 ] || skip "needs root (mounts, loop devices)"
        need unshare systemd-dissect systemd-sysext systemd-repart mkfs.erofs mksquashfs jq openssl sfdisk
        grep -qw overlay /proc/filesystems || skip "no overlayfs"
        [ -e /dev/loop-control ] || skip "no loop devices"
        export UKIT UKIT_TMP UKIT_TOP
        UKIT_IN_NS=1 unshare -m --propagation private bash "$0"
        exit $?
fi

cleanup() {
        for r in "$T/r252" "$T/root"; do
                systemd-sysext unmerge --root="$r" >/dev/null 2>&1 || true
                "$UKIT" sysext unmerge --root="$r" -q >/dev/null 2>&1 || true
        done
}
trap cleanup EXIT

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/k.pem" -out "$T/c.crt" -subj /CN=usr-test -days 30 2>/dev/null

# The tree a user has: usr/bin/x, usr/share/u/data.
mkdir -p "$T/tree/usr/bin" "$T/tree/usr/share/u"
printf '#!/bin/sh\necho x-runs\n' >"$T/tree/usr/bin/x"; chmod 755 "$T/tree/usr/bin/x"
head -c 50000 /dev/urandom >"$T/tree/usr/share/u/data"

# --- ukit --usr images, judged by systemd-dissect 252 ---
for fmt in erofs squashfs; do
        for sig in plain signed; do
                n=u-$fmt-$sig
                keys=(); [ $sig = signed ] && keys=(--private-key="$T/k.pem" --certificate="$T/c.crt")
                "$UKIT" sysext build --usr --format=$fmt --name=$n --id=debian --version-id=12 "${keys[@]}" \
                        "$T/tree" "$T/$n.raw" >/dev/null
                j=$(systemd-dissect --json=short "$T/$n.raw") || fail "$n: systemd-dissect rejected it"
                assert_eq "$(jq -r .useSystemExtension <<<"$j")" true "$n: dissect useSystemExtension"
                assert_eq "$(jq -r '.extensionRelease|join(" ")' <<<"$j")" "ID=debian VERSION_ID=12" "$n: dissect release"
                assert_eq "$(jq -r '[.mounts[].designator]|sort|join(" ")' <<<"$j")" \
                        "$([ $sig = signed ] && echo "usr usr-verity usr-verity-sig" || echo "usr usr-verity")" "$n: partitions"
                assert_eq "$(jq -r '.mounts[]|select(.designator=="usr")|.fstype' <<<"$j")" $fmt "$n: fstype"
                # dissect 252 mounts without device-mapper here: no root hash
                # is passed, so it does not set up dm-verity for the copy.
                rm -f "$T/x.out"
                systemd-dissect --copy-from "$T/$n.raw" /usr/bin/x "$T/x.out" || fail "$n: --copy-from /usr/bin/x"
                assert_files_equal "$T/x.out" "$T/tree/usr/bin/x" "$n: /usr/bin/x copied out by systemd-dissect"
                if systemd-dissect --copy-from "$T/$n.raw" /usr/usr/bin/x "$T/x2.out" 2>/dev/null; then
                        fail "$n: the image still has /usr/usr"
                fi
        done
done

# --- systemd-sysext 252 merges ukit --usr images ---
# 252 needs /run to be a mount point, and its child namespace only propagates
# its bind mount back through shared mounts: both only inside this namespace.
# Only unsigned images: with a signature 252 sets up dm-verity, and a failed
# image makes 252 merge nothing.
mount -t tmpfs tmpfs /run
mount --make-rshared /
R2=$T/r252
mkdir -p "$R2/etc" "$R2/usr/share" "$R2/var/lib/extensions"
printf 'ID=debian\nVERSION_ID=12\n' >"$R2/etc/os-release"
cp "$T/u-erofs-plain.raw" "$T/u-squashfs-plain.raw" "$R2/var/lib/extensions/"
if [ -e /dev/mapper/control ] && dmsetup version >/dev/null 2>&1; then
        cp "$T/c.crt" "$R2/etc/" && mkdir -p /run/verity.d && cp "$T/c.crt" /run/verity.d/usr-test.crt
        cp "$T/u-erofs-signed.raw" "$R2/var/lib/extensions/"
fi
systemd-sysext merge --root="$R2" >"$T/sd.out" 2>&1 || true
grep -q " $R2/usr " /proc/self/mountinfo || fail "systemd-sysext 252 merged nothing: $(cat "$T/sd.out")"
assert_eq "$("$R2/usr/bin/x")" x-runs "systemd-sysext 252: /usr/bin/x from a ukit --usr image"
assert_files_equal "$R2/usr/share/u/data" "$T/tree/usr/share/u/data" "systemd-sysext 252: /usr/share/u/data"
[ ! -e "$R2/usr/usr" ] || fail "systemd-sysext 252 sees /usr/usr"
assert_eq "$(tr '\n' ' ' <"$R2/usr/.systemd-sysext/extensions")" \
        "$(ls "$R2/var/lib/extensions" | sed 's/\.raw$//' | tr '\n' ' ')" "systemd-sysext 252 merged every image"
systemd-sysext unmerge --root="$R2" >/dev/null 2>&1 || true
grep -q " $R2/usr " /proc/self/mountinfo && fail "systemd-sysext 252 unmerge"

# --- --usr refuses content outside usr/, leaves nothing behind ---
mkdir -p "$T/bad/usr/bin" "$T/bad/opt/thing"; cp "$T/tree/usr/bin/x" "$T/bad/usr/bin/"
assert_fails "--usr with opt/" "$UKIT" sysext build --usr --id=_any "$T/bad" "$T/bad.raw"
grep -q "bad/opt: outside usr/, but a --usr image holds only /usr" "$T/.out" || fail "--usr with opt/: $(cat "$T/.out")"
assert_eq "$(wc -l <"$T/.out")" 1 "one error line"
rm -r "$T/bad/opt"; echo hi >"$T/bad/README"
assert_fails "--usr with a top-level file" "$UKIT" sysext build --usr --id=_any "$T/bad" "$T/bad.raw"
grep -q "bad/README: outside usr/" "$T/.out" || fail "--usr with a file: $(cat "$T/.out")"
mkdir -p "$T/ctree/etc"
assert_fails "confext --usr" "$UKIT" confext build --usr --id=_any "$T/ctree" "$T/bad.raw"
grep -q -- "--usr: a confext image holds /etc" "$T/.out" || fail "confext --usr: $(cat "$T/.out")"
[ ! -e "$T/bad.raw" ] || fail "bad.raw left behind"
ls -A "$T" | grep -q '^\.#' && fail "temporary files left behind"

# --- ukit merges usr DDIs made by systemd-repart 252 ---
R=$T/root
E=$R/var/lib/extensions
mkdir -p "$R/etc/verity.d" "$R/usr/share/rp" "$E"
printf 'ID=debian\nVERSION_ID=12\n' >"$R/etc/os-release"
cp "$T/c.crt" "$R/etc/verity.d/usr-test.crt"
echo base >"$R/usr/share/rp/base"
# repart_usr NAME FORMAT plain|verity|signed: $E/NAME.raw, Type=usr, holding /usr
repart_usr() {
        local n=$1 fmt=$2 mode=$3 d=$T/rp-$1
        mkdir -p "$d/defs" "$d/src/usr/lib/extension-release.d" "$d/src/usr/share/rp" "$d/src/usr/bin"
        printf 'ID=debian\nVERSION_ID=12\n' >"$d/src/usr/lib/extension-release.d/extension-release.$n"
        echo "$n" >"$d/src/usr/share/rp/$n-only"
        printf '#!/bin/sh\necho %s-runs\n' "$n" >"$d/src/usr/bin/$n"; chmod 755 "$d/src/usr/bin/$n"
        printf '[Partition]\nType=usr\nFormat=%s\nCopyFiles=/usr/:/\n' "$fmt" >"$d/defs/10-usr.conf"
        local keys=()
        if [ "$mode" != plain ]; then
                printf 'Verity=data\nVerityMatchKey=usr\n' >>"$d/defs/10-usr.conf"
                printf '[Partition]\nType=usr-verity\nVerity=hash\nVerityMatchKey=usr\n' >"$d/defs/20-usr-verity.conf"
        fi
        if [ "$mode" = signed ]; then
                printf '[Partition]\nType=usr-verity-sig\nVerity=signature\nVerityMatchKey=usr\n' >"$d/defs/30-usr-sig.conf"
                keys=(--private-key="$T/k.pem" --certificate="$T/c.crt")
        fi
        systemd-repart --definitions="$d/defs" --root="$d/src" --empty=create --size=auto --dry-run=no \
                "${keys[@]}" "$E/$n.raw" >"$d/log" 2>&1 || fail "systemd-repart $n: $(tail -3 "$d/log")"
        # the judge of the layout: dissect finds the release file at /usr
        systemd-dissect --json=short "$E/$n.raw" | jq -e .useSystemExtension >/dev/null ||
                fail "systemd-dissect 252 does not see $n as a system extension (test setup)"
}
repart_usr rp-plain squashfs plain
repart_usr rp-verity squashfs verity
repart_usr rp-signed squashfs signed
"$UKIT" sysext merge --root="$R" --json=short >"$T/merge.json" 2>"$T/merge.err" || {
        cat "$T/merge.err"; fail "ukit merge of repart 252 usr images"; }
for n in rp-plain rp-verity rp-signed; do
        assert_eq "$(jq -r ".[]|select(.name==\"$n\")|.state" "$T/merge.json")" merged "$n state"
        assert_eq "$(cat "$R/usr/share/rp/$n-only")" "$n" "$n: /usr/share/rp/$n-only"
        assert_eq "$("$R/usr/bin/$n")" "$n-runs" "$n: /usr/bin/$n"
done
assert_eq "$(jq -r '.[]|select(.name=="rp-plain")|.protection' "$T/merge.json")" none "rp-plain protection"
assert_eq "$(jq -r '.[]|select(.name=="rp-verity")|.protection' "$T/merge.json")" verity "rp-verity protection"
assert_eq "$(jq -r '.[]|select(.name=="rp-signed")|.protection' "$T/merge.json")" signed "rp-signed protection"
[ -f "$R/usr/share/rp/base" ] || fail "host /usr not a lower layer"
[ ! -e "$R/usr/usr" ] || fail "merged tree has /usr/usr"
"$UKIT" sysext unmerge --root="$R" -q
[ ! -e "$R/usr/share/rp/rp-plain-only" ] || fail "unmerge"

# A corrupted usr partition (verity) fails alone; the others still merge.
start=$(sfdisk -J "$E/rp-verity.raw" | jq '.partitiontable.partitions[0].start')
flip_byte "$E/rp-verity.raw" $((start * 512 + 3000))
assert_fails "corrupted usr partition" "$UKIT" sysext merge --root="$R"
grep -q "rp-verity.raw: dm-verity check failed" "$T/.out" || fail "corrupted usr partition: $(cat "$T/.out")"
[ -f "$R/usr/share/rp/rp-signed-only" ] && [ ! -e "$R/usr/share/rp/rp-verity-only" ] || fail "corrupted: wrong set merged"
"$UKIT" sysext unmerge --root="$R" -q
echo ok
