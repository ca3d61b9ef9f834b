# Shared by the A/B /usr VM tests (test-update-ab-usr, -usr-verity); sourced
# after tests/vm/lib.sh.
#
# Host side: a boot disk of an ESP and GPT slots, a FAT source disk, and the
# slots' bytes read back. Guest side: $UPDATE_GUEST_HOOK, a vm_initrd --hook
# fragment to put before the test's own: busybox applets in /bb (the
# mounted /usr hides the initrd's /usr/bin), util-linux's blkid as $UL (add
# it with --bin "$BLKID=/opt/util-linux/blkid"), the source disk /dev/vdb
# waited for, and labels(): "vdaN:NAME ..." as libblkid reads the GPT.
UPDATE_GUEST_HOOK=$UKIT_TOP/tests/vm/update-guest.sh

# update_boot_disk IMG ESP_DIR ESP_MIB "SIZE TYPE LABEL"...: IMG with an ESP
# (a FAT copy of ESP_DIR, ESP_MIB large) first, then one partition per
# argument (size in MiB, type UUID, label)
update_boot_disk() {
        local img=$1 dir=$2 esp_mib=$3 total p size type label
        shift 3
        vm_esp "$dir" "$T/.esp.img" "$esp_mib"
        total=$((esp_mib + 2))
        for p in "$@"; do read -r size type label <<<"$p"; total=$((total + size)); done
        truncate -s $((total * 1048576)) "$img"
        {
                printf 'label: gpt\nstart=2048, size=%d, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="ESP"\n' \
                        $((esp_mib * 2048))
                for p in "$@"; do
                        read -r size type label <<<"$p"
                        printf 'size=%sMiB, type=%s, name="%s"\n' "$size" "$type" "$label"
                done
        } | sfdisk -q "$img" >/dev/null || fail "update_boot_disk: sfdisk failed"
        dd if="$T/.esp.img" of="$img" bs=1M skip=1 seek=1 count="$esp_mib" conv=notrunc,sparse status=none ||
                fail "update_boot_disk: dd of the ESP failed"
        rm -f "$T/.esp.img"
}

# part_start IMG N: the first sector of partition N (0-based)
part_start() { sfdisk -J "$1" | jq ".partitiontable.partitions[$2].start"; }

# put_slot IMG N FILE: FILE's bytes at the start of partition N
put_slot() {
        dd if="$3" of="$1" bs=512 seek="$(part_start "$1" "$2")" conv=notrunc status=none || fail "put_slot $3"
}

# slot_is IMG N FILE: partition N starts with FILE's bytes
slot_is() {
        local sz; sz=$(stat -c %s "$3")
        cmp -s -n "$sz" <(dd if="$1" bs=512 skip="$(part_start "$1" "$2")" count=$(((sz + 511) / 512)) status=none) "$3"
}

# update_src_disk DIR IMG: a FAT file system labelled UKITSRC with DIR's files
update_src_disk() {
        local mib f
        mib=$(( $(du -sm --apparent-size "$1" | cut -f1) + 8 ))
        mkfs.vfat -C -n UKITSRC "$2" $((mib * 1024)) >/dev/null || fail "update_src_disk: mkfs.vfat"
        for f in "$1"/*; do mcopy -i "$2" "$f" "::${f##*/}" || fail "update_src_disk: mcopy $f"; done
}
