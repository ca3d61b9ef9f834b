#!/usr/bin/env bash
# ukit update with Type=partition targets against systemd-sysupdate 257 (the
# Debian 13 oracle root): GPT disk images made by sfdisk with A/B slots
# ("_empty" when unused) for usr, usr-verity and usr-verity-sig; both tools
# run the same steps on identical copies (Path= is the image file, one
# scenario uses --image= with url-file sources, three use --root=: an image
# file inside the root, Path=auto and a block device node inside the root,
# both refused), and the partition tables
# (sfdisk --json: labels, UUIDs, types, attributes, sizes), every
# partition's bytes, the exit statuses and list --json / check-new output
# are compared. The expected results are whatever 257 does.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-http.sh"
need sfdisk mkfs.ext4 xz losetup
. "$(dirname "$0")/lib-update-257.sh"

USR=8484680c-9521-48c6-9c11-b0720656f69e
VER=77ff5f63-e7b6-4633-acf4-1565b864c0e6
SIG=e7bb33fb-06cf-4e81-8273-e543b413e2e2

# mkdisk IMG "SIZE TYPE LABEL [ATTRS]"...: a 64 MiB GPT image; each slot
# gets random bytes so that what a tool leaves unwritten shows
mkdisk() {
        local img=$1 p size type label attrs
        shift
        truncate -s 64M "$img"
        {
                echo "label: gpt"
                for p in "$@"; do
                        read -r size type label attrs <<<"$p"
                        echo "size=$size, type=$type, name=$label${attrs:+, attrs=\"$attrs\"}"
                done
        } | sfdisk -q "$img"
        sfdisk --json "$img" | jq -r '.partitiontable.partitions[] | "\(.start) \(.size)"' | while read -r st sz; do
                head -c $((sz * 512)) /dev/urandom | dd of="$img" bs=512 seek="$st" conv=notrunc status=none
        done
}

# VERSION...: usr, verity and signature payloads in $W/src (no suffix is a
# prefix of another: 257 lets "usr_@v.verity" match "usr_3.verity-sig")
payloads() {
        mkdir -p "$W/src"
        for v in "$@"; do
                random_bytes 3000000 >"$W/src/usr_$v.raw"
                random_bytes 300000 >"$W/src/usr_$v.verity"
                printf '{"rootHash":"%s","signature":"x"}\n' "$v" >"$W/src/usr_$v.sig"
        done
}

part_transfer() { # FILE SUFFIX TYPE TARGETPATTERN [extra Transfer lines] [extra Target lines]
        cat >"$1" <<EOT
[Transfer]
$5
[Source]
Type=regular-file
Path=$W/src
MatchPattern=usr_@v$2 usr_@v$2.xz
[Target]
Type=partition
Path=$W/disk.img
MatchPartitionType=$3
MatchPattern=$4
$6
EOT
}

set_defs() { # [extra Transfer lines] [extra usr Target lines]
        mkdir -p "$W/defs"
        part_transfer "$W/defs/50-usr.transfer" .raw usr "usr_@v" "$1" "$2"
        part_transfer "$W/defs/60-usr-verity.transfer" .verity usr-verity "usr-verity_@v" "$1" ""
        part_transfer "$W/defs/70-usr-verity-sig.transfer" .sig usr-verity-sig "usr-verity-sig_@v" "$1" ""
}

D="--definitions=$W/defs"


# A/B with "_empty": first update into B, second update vacuums A (the
# oldest) to "_empty" and writes there; one payload xz-compressed
setup_ab() {
        mkdisk "$W/disk.img" "8M $USR usr_1" "8M $USR _empty" "1M $VER usr-verity_1" "1M $VER _empty" \
                "1M $SIG usr-verity-sig_1" "1M $SIG _empty"
        payloads 2 3
        xz "$W/src/usr_3.raw"
        set_defs "" "InstancesMax=2
ReadOnly=yes"
        steps=("=$D --json=short list" "=$D check-new" "$D update 2" "=$D --json=short list" "$D update"
               "=$D --json=short list" "$D update 2" "=$D check-new")
}
scenario ab
expect ab '"name":"usr-verity-sig_3"'
expect ab '"name":"usr_2","attrs":"GUID:60"'

# vacuum: slots beyond InstancesMax become "_empty", the newest stay
setup_vacuum() {
        mkdisk "$W/disk.img" "4M $USR usr_1" "4M $USR usr_3" "4M $USR usr_2" "4M $USR _empty"
        mkdir -p "$W/defs"
        part_transfer "$W/defs/50-usr.transfer" .raw usr "usr_@v" "" ""
        steps=("$D vacuum" "$D -m 2 vacuum" "=$D --json=short list" "$D -m 2 vacuum")
}
scenario vacuum
expect vacuum '"all":\["3","2"\]'

# ProtectVersion=: the protected oldest stays, the next one is replaced
setup_protect() {
        mkdisk "$W/disk.img" "8M $USR usr_1" "8M $USR usr_2" "1M $VER usr-verity_1" "1M $VER usr-verity_2" \
                "1M $SIG usr-verity-sig_1" "1M $SIG usr-verity-sig_2"
        payloads 3
        set_defs "ProtectVersion=1" ""
        steps=("$D update" "=$D --json=short list")
}
scenario protect
expect protect '"all":\["3","1"\]'

# PartitionUUID=, PartitionFlags=, NoAuto/ReadOnly/GrowFileSystem: set
# only where the type gives the bit a meaning. Flags in bits 48..63 only:
# 257 fails to write bits 0..2 (libfdisk wants them by name), ukit sets
# them (ukit-update(1), DIFFERENCES)
setup_attrs() {
        mkdisk "$W/disk.img" "8M $USR usr_1 GUID:59" "8M $USR _empty GUID:48" "1M $VER usr-verity_1" \
                "1M $VER _empty GUID:50" "1M $SIG usr-verity-sig_1" "1M $SIG _empty"
        payloads 2
        set_defs "" "PartitionUUID=0a4a3e36-5c83-4c7a-9f0c-3a2d9b3c8e11
PartitionFlags=0x1001000000000000
PartitionNoAuto=yes
PartitionGrowFileSystem=yes"
        printf 'PartitionNoAuto=yes\nPartitionGrowFileSystem=yes\nReadOnly=yes\n' >>"$W/defs/60-usr-verity.transfer"
        printf 'PartitionNoAuto=yes\nReadOnly=yes\nPartitionGrowFileSystem=yes\n' >>"$W/defs/70-usr-verity-sig.transfer"
        steps=("$D update" "=$D --json=short list")
}
scenario attrs
expect attrs '"uuid":"0A4A3E36-5C83-4C7A-9F0C-3A2D9B3C8E11","name":"usr_2"'

# refusals: no second slot; a payload larger than every free slot
setup_noroom() {
        mkdisk "$W/disk.img" "8M $USR usr_1" "1M $VER usr-verity_1" "1M $VER _empty" "1M $SIG usr-verity-sig_1" \
                "1M $SIG _empty"
        payloads 2
        set_defs "" ""
        steps=("$D update" "=$D --json=short list")
}
scenario noroom
expect noroom "update' rc=1"

setup_toolarge() {
        mkdisk "$W/disk.img" "8M $USR usr_1" "1M $USR _empty"
        payloads 2
        mkdir -p "$W/defs"
        part_transfer "$W/defs/50-usr.transfer" .raw usr "usr_@v" "" ""
        steps=("$D update" "=$D --json=short list")
}
scenario toolarge
expect toolarge "update' rc=1"

# --image=: 257 mounts the image (its newest usr partition, an ext4 file
# system here) and reads the definitions inside it; ukit does not mount
# and is given the same definitions with --definitions=. url-file
# sources, so the source is the same for both.
mkdir -p "$T/www"
http_serve "$T/www"

setup_image() {
        local v
        rm -rf "$T/www"/* "$T/fs"
        mkdir -p "$T/fs/lib/sysupdate.d" "$W/defs"
        cat >"$T/fs/lib/sysupdate.d/50-usr.transfer" <<EOT
[Transfer]
Verify=no
[Source]
Type=url-file
Path=http://127.0.0.1:$port
MatchPattern=usr_@v.raw.xz usr_@v.raw
[Target]
Type=partition
Path=auto
MatchPartitionType=usr
MatchPattern=usr_@v
ReadOnly=yes
EOT
        cp "$T/fs/lib/sysupdate.d/50-usr.transfer" "$W/defs/"
        for v in 1 2 3; do
                rm -f "$T/fs.ext4"; echo "$v" >"$T/fs/lib/version"
                truncate -s 3M "$T/fs.ext4"
                mkfs.ext4 -q -E root_owner=0:0 -U "00000000-0000-4000-8000-00000000000$v" -d "$T/fs" "$T/fs.ext4"
                cp "$T/fs.ext4" "$T/www/usr_$v.raw"
        done
        xz "$T/www/usr_3.raw"
        (cd "$T/www" && sha256sum usr_* >SHA256SUMS)
        mkdisk "$W/disk.img" "8M $USR usr_1" "8M $USR _empty"
        st=$(sfdisk --json "$W/disk.img" | jq '.partitiontable.partitions[0].start')
        dd if="$T/www/usr_1.raw" of="$W/disk.img" bs=512 seek="$st" conv=notrunc status=none
        ukit_sed="s|^|--definitions=$W/defs |"
        steps=("=--image=$W/disk.img --json=short list" "--image=$W/disk.img update 2" "=--image=$W/disk.img --json=short list"
               "--image=$W/disk.img update" "=--image=$W/disk.img --json=short list")
}
scenario image
expect image '"current":"3"'

# --root=: definitions, sources and the target's Path= resolve inside the
# root (an image file there works as without --root); Path=auto (the
# booted system's disk) and a device node reached through the root are
# refused; --root= with --image= is refused
root_transfer() { # PATH
        mkdir -p "$W/etc/sysupdate.d" "$W/usr/lib"
        printf 'ID=debian\nIMAGE_VERSION=1\n' >"$W/usr/lib/os-release"
        cat >"$W/etc/sysupdate.d/50-usr.transfer" <<EOT
[Transfer]
Verify=no
[Source]
Type=regular-file
Path=/src
MatchPattern=usr_@v.raw
[Target]
Type=partition
Path=$1
MatchPartitionType=usr
MatchPattern=usr_@v
EOT
}
setup_root_image() {
        mkdisk "$W/disk.img" "8M $USR usr_1" "8M $USR _empty"
        payloads 2
        root_transfer /disk.img
        steps=("=--root=$W --json=short list" "--root=$W update" "=--root=$W --json=short list")
}
scenario root_image
expect root_image '"current":"2"'
setup_root_auto() {
        mkdisk "$W/disk.img" "8M $USR usr_1" "8M $USR _empty"
        payloads 2
        root_transfer auto
        steps=("=--root=$W --json=short list" "--root=$W update" "=--root=$W --image=$W/disk.img --json=short list"
               "--root=$W --image=$W/disk.img update")
}
scenario root_auto
expect root_auto "list' rc=1"
expect root_auto "update' rc=1"
# a block device node inside the root: a loop device on an image with a
# usr_1 slot (what the host path would show if it were used)
mkdisk "$T/loop.img" "8M $USR usr_1" "8M $USR _empty"
loop_sum=$(sha256sum <"$T/loop.img")
loopdev=$(losetup -f --show "$T/loop.img") || fail "losetup"
at_exit 'losetup -d "$loopdev" 2>/dev/null'

setup_root_dev() {
        payloads 2
        root_transfer "$loopdev"
        mkdir -p "$W/dev"
        cp -a "$loopdev" "$W/dev/"
        steps=("=--root=$W --json=short list" "--root=$W update")
}
scenario root_dev
expect root_dev "list' rc=1"
losetup -d "$loopdev"
assert_eq "$(sha256sum <"$T/loop.img")" "$loop_sum" "root_dev: the device behind the node was written"

echo "$n partition scenarios: ukit update leaves what systemd-sysupdate 257 leaves"
