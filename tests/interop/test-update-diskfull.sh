#!/usr/bin/env bash
# ukit update onto a full disk: the target directory is a 2 MiB tmpfs (in a
# private mount namespace) that cannot hold the new version. For a
# regular-file target (a UKI), a directory target (a tar) and a gzip payload
# (the size is known only while it is decompressed), the update must fail
# with one line that names the file and says the space ran out, exit
# non-zero, leave no temporary behind, and leave the old version as it was.
# Once space is freed, the same command completes. The judge of "full" is
# the kernel's tmpfs (ENOSPC); sha256sum judges the old and new content.
. "$(dirname "$0")/../lib.sh"
if [ -z "${UKIT_IN_NS:-}" ]; then
        [ "$(id -u)" = 0 ] || skip "needs root (a small tmpfs)"
        need unshare
        export UKIT UKIT_TMP UKIT_TOP
        UKIT_IN_NS=1 unshare -m --propagation private bash "$0"
        exit $?
fi
need tar gzip
W=$T/w
mkdir -p "$W/src" "$W/tgt" "$W/defs"
mount -t tmpfs -o size=2m tmpfs "$W/tgt" || fail "cannot mount a 2 MiB tmpfs"
mkdir -p "$W/tgt/esp" "$W/tgt/trees"

random_bytes 300000 >"$W/src/uki_1.efi"
random_bytes 3000000 >"$W/src/uki_2.efi"        # does not fit
cp "$W/src/uki_1.efi" "$W/tgt/esp/uki_1.efi"
mkdir -p "$T/t1/etc" "$T/t2/etc"
random_bytes 100000 >"$T/t1/etc/blob"
random_bytes 2500000 >"$T/t2/etc/blob"
tar -C "$T/t1" -czf "$W/src/tree_1.tar.gz" .
tar -C "$T/t2" -czf "$W/src/tree_2.tar.gz" .
mkdir -p "$W/tgt/trees/tree_1" && tar -C "$W/tgt/trees/tree_1" -xzf "$W/src/tree_1.tar.gz"
head -c 2500000 /dev/zero | tr '\0' u | gzip -1 >"$W/src/img_2.raw.gz"
random_bytes 1000 >"$W/tgt/esp/img_1.raw"
[ "$(stat -c %s "$W/src/img_2.raw.gz")" -lt 1500000 ] || fail "the gzip payload should fit compressed"

transfer() { # NAME SOURCE-TYPE SOURCE-PATTERN TARGET-TYPE TARGET-DIR TARGET-PATTERN
        cat >"$W/defs/$1.transfer" <<EOT
[Transfer]
Verify=no
[Source]
Type=$2
Path=$W/src
MatchPattern=$3
[Target]
Type=$4
Path=$W/tgt/$5
MatchPattern=$6
EOT
}
u() { "$UKIT" update --definitions="$W/defs" "$@"; }
before=$(cd "$W/tgt" && find . -type f -exec sha256sum {} + | sort)

check_full() { # WHAT PATTERN-OF-FILE
        assert_fails "$1" u update 2
        [ "$(grep -c . "$T/.out")" -le 2 ] || fail "$1: more than one line of error: $(cat "$T/.out")"
        grep -q "$2" "$T/.out" || fail "$1: the error does not name the file: $(cat "$T/.out")"
        grep -qi 'no space' "$T/.out" || fail "$1: the error does not say the disk is full: $(cat "$T/.out")"
        [ -z "$(find "$W/tgt" -name '.#*')" ] || fail "$1: temporary left: $(find "$W/tgt" -name '.#*')"
        [ ! -e "$W/tgt/esp/uki_2.efi" ] && [ ! -e "$W/tgt/trees/tree_2" ] && [ ! -e "$W/tgt/esp/img_2.raw" ] ||
                fail "$1: a version 2 was named"
        assert_eq "$(cd "$W/tgt" && find . -type f -exec sha256sum {} + | sort)" "$before" "$1: old versions unchanged"
        echo "ok $1"
}

rm -f "$W/defs"/*; transfer uki regular-file 'uki_@v.efi' regular-file esp 'uki_@v.efi'
check_full "regular-file" 'uki_2.efi'
rm -f "$W/defs"/*; transfer tree tar 'tree_@v.tar.gz' directory trees 'tree_@v'
check_full "directory from tar" 'tree_2'
rm -f "$W/defs"/*; transfer img regular-file 'img_@v.raw.gz' regular-file esp 'img_@v.raw'
check_full "gzip payload" 'img_2'

# Space freed: the same update completes, with the right bytes.
umount "$W/tgt"
mount -t tmpfs -o size=64m tmpfs "$W/tgt" || fail "cannot remount"
mkdir -p "$W/tgt/esp" "$W/tgt/trees"
cp "$W/src/uki_1.efi" "$W/tgt/esp/uki_1.efi"
rm -f "$W/defs"/*; transfer uki regular-file 'uki_@v.efi' regular-file esp 'uki_@v.efi'
u update 2 >"$T/.out" 2>&1 || fail "with space: $(cat "$T/.out")"
cmp -s "$W/src/uki_2.efi" "$W/tgt/esp/uki_2.efi" || fail "with space: uki_2.efi differs from the source"
echo "ok with space"
