#!/usr/bin/env bash
# ukit update's Type=subvolume targets against systemd-sysupdate 257 (the
# Debian 13 oracle root). Each scenario runs on a fresh, loop-mounted file
# system: btrfs (mkfs.btrfs), where 257 makes every instance a subvolume,
# or ext4, where it falls back to plain directories. The same steps run
# with 257 and with ukit on identical copies at the same path; the trees,
# exit statuses and --json output must match, and so must what btrfs-progs
# and e2fsprogs say about each instance: a subvolume or not (btrfs
# subvolume show, inode 256), its read-only property, its immutable
# attribute (lsattr), and the file system's list of subvolumes (no
# temporary left behind).
. "$(dirname "$0")/../lib.sh"

if [ -z "${UKIT_IN_NS:-}" ]; then
        need mkfs.btrfs btrfs mkfs.ext4 lsattr losetup
        grep -qw btrfs /proc/filesystems || [ -d /lib/modules/"$(uname -r)"/kernel/fs/btrfs ] ||
                skip "the kernel has no btrfs"
fi
. "$(dirname "$0")/lib-update-257.sh"

B=$T/fs                 # the scratch file system's mount point
W=$B/w                  # the tree under test, on it
mkdir -p "$B"
cleanup() { umount "$B" 2>/dev/null || true; }
trap cleanup EXIT
o257() { bash "$UKIT_TOP/scripts/oracle-257-run.sh" --bind "$T" --bind "$B" "$@"; }

# fresh_fs TYPE: a new empty file system of TYPE mounted on $B (loop,
# detached again by umount)
fresh_fs() {
        umount "$B" 2>/dev/null || true
        rm -f "$T/fs.img"
        truncate -s 160M "$T/fs.img"
        case $1 in
        btrfs) mkfs.btrfs -q -f "$T/fs.img" >/dev/null ;;
        ext4) mkfs.ext4 -q -F "$T/fs.img" ;;
        esac
        mount -o loop "$T/fs.img" "$B" || fail "cannot mount a $1 image"
        case $1:$(stat -f -c %T "$B") in
        btrfs:btrfs | ext4:ext2/ext3) ;;
        *) fail "$B is not $1" ;;
        esac
}

# dump_trees: per instance directory in $W/tgt, what it is on disk
dump_trees() {
        local d attrs
        for d in "$W"/tgt/*; do
                [ -d "$d" ] || continue
                if btrfs subvolume show "$d" >/dev/null 2>&1; then
                        [ "$(stat -c %i "$d")" = 256 ] || fail "$d: a subvolume whose inode is not 256"
                        echo "tree ${d#"$W"/} subvolume $(btrfs property get -ts "$d" ro)"
                else
                        echo "tree ${d#"$W"/} directory"
                fi
                attrs=$(lsattr -d "$d" 2>/dev/null | cut -d' ' -f1) || attrs=
                case $attrs in *i*) echo "tree ${d#"$W"/} immutable" ;; esac
        done
        if [ "$(stat -f -c %T "$B")" = btrfs ]; then
                btrfs subvolume list "$B" | awk '{print "subvolume-on-fs", $NF}' | sort
        fi
}

# sv_scenario NAME FS: setup_NAME fills $W; steps=() run by both tools
sv_scenario() {
        local name=$1 fs=$2 tool
        fresh_fs "$fs"
        mkdir -p "$W"
        ukit_sed=
        "setup_$name"
        rm -rf "$T/orig"; cp -a "$W" "$T/orig"
        for tool in 257 ukit; do
                if [ "$tool" = ukit ]; then fresh_fs "$fs"; cp -a "$T/orig" "$W"; fi
                if declare -F "prepare_$name" >/dev/null; then "prepare_$name"; fi
                run_steps "$tool" "$T/$name.$tool"
                # an instance's mtime is when it was made (by either tool)
                sed -i 's/"mtime":[0-9]*/"mtime":N/g' "$T/$name.$tool"
                dump_trees >>"$T/$name.$tool"
        done
        if ! diff -u "$T/$name.257" "$T/$name.ukit" >"$T/$name.diff"; then
                cat "$T/$name.diff" >&2
                tail -n 20 "$T/log.ukit" >&2
                fail "scenario $name: ukit differs from systemd-sysupdate 257 (- 257, + ukit)"
        fi
        [ -n "${no_instance:-}" ] || grep -q "^tree " "$T/$name.257" || fail "scenario $name: no instance was made"
        echo "ok $name ($fs)"
        n=$((n + 1))
}

# trees SRCTYPE: tree-1..3 in $W/src as directories (mode 0750) or tarballs
trees() {
        local v
        for v in 1 2 3; do
                mkdir -p "$W/src/tree-$v/sub"
                echo "$v" >"$W/src/tree-$v/sub/file"
                ln -s sub/file "$W/src/tree-$v/link"
                chmod 0750 "$W/src/tree-$v"
                if [ "$1" = tar ]; then
                        tar -C "$W/src/tree-$v" -cf "$W/src/tree-$v.tar" .
                        rm -rf "$W/src/tree-$v"
                fi
        done
}

# transfer SRCTYPE TGTTYPE [Target lines]
transfer() {
        local pat=tree-@v
        [ "$1" = tar ] && pat=tree-@v.tar
        mkdir -p "$W/defs"
        cat >"$W/defs/10-tree.transfer" <<EOT
[Source]
Type=$1
Path=$W/src
MatchPattern=$pat

[Target]
Type=$2
Path=$W/tgt
MatchPattern=tree-@v
InstancesMax=3
$3
EOT
}

D="--definitions=$W/defs"
updates=("=$D --json=short list" "$D update 1" "$D update 2" "$D update"
         "=$D --json=short list" "=$D --json=short list 3" "$D update 1")

# (a) not btrfs: the subvolume target falls back to plain directories
setup_ext4_plain() { trees directory; transfer directory subvolume ""; steps=("${updates[@]}" "$D -m 2 vacuum"); }
sv_scenario ext4_plain ext4

# ... and ReadOnly=yes there: FS_IMMUTABLE_FL, which 257's vacuum then
# cannot remove
setup_ext4_ro() { trees tar; transfer tar subvolume "ReadOnly=yes"; steps=("${updates[@]}" "$D -m 2 vacuum"); }
sv_scenario ext4_ro ext4

# (b) btrfs: every instance a subvolume, read-only with ReadOnly=yes;
# (c) InstancesMax= and vacuum delete read-only subvolumes
setup_btrfs_ro() { trees directory; transfer directory subvolume "ReadOnly=yes"; steps=("${updates[@]}" "$D -m 2 vacuum"); }
sv_scenario btrfs_ro btrfs

setup_btrfs_tar() { trees tar; transfer tar subvolume ""; steps=("${updates[@]}"); }
sv_scenario btrfs_tar btrfs

# a Type=directory target on btrfs stays a directory (257: --btrfs-subvol=no)
setup_btrfs_dir() { trees directory; transfer directory directory "ReadOnly=yes"; steps=("$D update" "=$D --json=short list 3"); }
sv_scenario btrfs_dir btrfs

# existing subvolume instances (one read-only, one with a nested
# subvolume) and a stale read-only temporary of an interrupted 257 run:
# vacuum removes them all
prepare_btrfs_vacuum() {
        local v
        for v in 0.1 0.2 0.3; do
                btrfs subvolume create "$W/tgt/tree-$v" >/dev/null
                echo "$v" >"$W/tgt/tree-$v/file"
        done
        btrfs subvolume create "$W/tgt/tree-0.2/nested" >/dev/null
        btrfs subvolume create "$W/tgt/.#sysupdatetree-3stale" >/dev/null
        btrfs property set -ts "$W/tgt/tree-0.1" ro true
        btrfs property set -ts "$W/tgt/.#sysupdatetree-3stale" ro true
}
setup_btrfs_vacuum() {
        trees directory; transfer directory subvolume ""; mkdir -p "$W/tgt"
        steps=("=$D --json=short list" "$D vacuum" "=$D --json=short list" "$D update" "$D -m 2 vacuum" "=$D --json=short list")
}
sv_scenario btrfs_vacuum btrfs

# source Type=subvolume (a tree, wherever it lives) into a subvolume
setup_btrfs_from_subvol() {
        trees directory; transfer subvolume subvolume "ReadOnly=no"; steps=("$D update" "=$D --json=short list 3")
}
sv_scenario btrfs_from_subvol btrfs

# files do not go to trees: refused by both (exit status compared)
setup_btrfs_file_source() {
        mkfiles "$W/src" tree- "" 1 2; transfer regular-file subvolume ""
        steps=("=$D --json=short list" "$D update")
}
no_instance=1 sv_scenario btrfs_file_source btrfs

echo "$n scenarios identical to systemd-sysupdate 257"

# SIGTERM, then SIGKILL at random points, while ukit makes a read-only
# subvolume (no 257 here: btrfs-progs and the source tree are the judges). A tree under a
# version's name is always complete and read-only; the next run removes the
# stale temporary subvolume and finishes.
fresh_fs btrfs
mkdir -p "$W/src/tree-1" "$W/src/tree-2/d" "$W/tgt"
echo 1 >"$W/src/tree-1/file"
for i in $(seq 1 400); do random_bytes 2048 >"$W/src/tree-2/d/f$i"; done
transfer directory subvolume "ReadOnly=yes"
"$UKIT" update "$D" update 1 >/dev/null 2>&1 || fail "kill: installing version 1"
want=$(cd "$W/src/tree-2" && find . -type f -exec sha256sum {} + | sort | sha256sum)
# SIGTERM: ukit's handler removes the temporary subvolume before it exits
"$UKIT" update "$D" update 2 >/dev/null 2>&1 &
pid=$!
sleep 0.1
if kill -TERM $pid 2>/dev/null; then
        rc=0; wait $pid || rc=$?
        assert_eq "$rc" 143 "SIGTERM: exit status"
        assert_eq "$(ls -A "$W/tgt" | tr '\n' ' ')" "tree-1 " "SIGTERM: left in the target"
        assert_eq "$(btrfs subvolume list "$B" | awk '{print $NF}' | tr '\n' ' ')" "w/tgt/tree-1 " "SIGTERM: subvolumes left"
        echo "ok SIGTERM"
else
        fail "SIGTERM: the update ended within 0.1 s, nothing to interrupt"
fi
kills=0
for i in $(seq 1 15); do
        "$UKIT" update "$D" update 2 >/dev/null 2>&1 &
        pid=$!
        sleep "0.$((RANDOM % 4))$((RANDOM % 10))"
        kill -KILL $pid 2>/dev/null && kills=$((kills + 1))
        wait $pid 2>/dev/null || true
        for d in "$W"/tgt/tree-*; do
                btrfs subvolume show "$d" >/dev/null 2>&1 || fail "kill $i: $d is not a subvolume"
                [ "$(btrfs property get -ts "$d" ro)" = ro=true ] || fail "kill $i: $d is writable"
        done
        if [ -d "$W/tgt/tree-2" ]; then
                [ "$(cd "$W/tgt/tree-2" && find . -type f -exec sha256sum {} + | sort | sha256sum)" = "$want" ] ||
                        fail "kill $i: a partial tree is named tree-2"
                break
        fi
done
stale=$(find "$W/tgt" -mindepth 1 -maxdepth 1 -name '.#*' | wc -l)
"$UKIT" update "$D" update 2 >/dev/null 2>&1 || fail "kill: the update after the kills"
[ "$(cd "$W/tgt/tree-2" && find . -type f -exec sha256sum {} + | sort | sha256sum)" = "$want" ] || fail "kill: tree-2 content"
"$UKIT" update "$D" vacuum >/dev/null 2>&1 || fail "kill: vacuum"
assert_eq "$(btrfs subvolume list "$B" | awk '{print $NF}' | sort | tr '\n' ' ')" "w/tgt/tree-1 w/tgt/tree-2 " "kill: subvolumes left"
echo "ok SIGKILL loop ($kills kills, $stale stale temporaries swept)"
