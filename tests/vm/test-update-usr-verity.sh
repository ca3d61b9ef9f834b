#!/usr/bin/env bash
# Path=auto with /usr on dm-verity, in a VM: the boot disk holds an ESP (the
# UKI as the removable-media boot file), usr_1 (a squashfs /usr) and
# usr-verity_1 (its hash tree, made by veritysetup on the host), and two
# "_empty" slots of the same types. The guest (busybox initrd; ukit and
# veritysetup with their libraries outside /usr) opens the verity device
# with cryptsetup's own veritysetup over the data and hash partitions and
# mounts it on /usr, so the kernel's device-mapper device has two backing
# partitions of one disk, the case systemd 257's Path=auto accepts. `ukit
# update` (Path=auto, / is the initramfs) must find /dev/vda from that
# /usr and write version 2 into the free slots: judged from the guest's
# report (the device's slaves, the labels libblkid reads, veritysetup
# verify of the new pair with version 2's root hash, done by the guest's
# kernel) and, on the host, by sfdisk and the slots' bytes.
. "$(dirname "$0")/../lib.sh"
. "$UKIT_TOP/tests/vm/lib.sh"
. "$UKIT_TOP/tests/vm/lib-update.sh"
need mcopy mkfs.vfat mksquashfs sfdisk jq veritysetup blkid
export MTOOLS_SKIP_CHECK=1
STUB=$UKIT_BUILD/src/stub/ukit-stub.efi
[ -f "$STUB" ] || fail "$STUB not built"
VERITYSETUP=$(command -v veritysetup)
BLKID=$(command -v blkid)
kernel=$(vm_kernel)
USR=8484680c-9521-48c6-9c11-b0720656f69e
VER=77ff5f63-e7b6-4633-acf4-1565b864c0e6

# usr_N.img (squashfs, /lib/os-release with IMAGE_VERSION=N) and its hash
# tree usr-verity_N.img; the root hashes in roothash_N
mkdir -p "$T/src"
for n in 1 2; do
        rm -rf "${T:?}/usr"; mkdir -p "$T/usr/lib"
        printf 'ID=ukitverity\nVERSION_ID=%s\nIMAGE_VERSION=%s\n' $n $n >"$T/usr/lib/os-release"
        mksquashfs "$T/usr" "$T/src/usr_$n.img" -noappend -all-root -mkfs-time 0 -quiet >/dev/null ||
                fail "mksquashfs v$n failed"
        veritysetup format "$T/src/usr_$n.img" "$T/src/usr-verity_$n.img" >"$T/format.$n" || fail "veritysetup format v$n"
        awk '/^Root hash:/ { print $3 }' "$T/format.$n" >"$T/src/roothash_$n"
        [ "$(wc -c <"$T/src/roothash_$n")" = 65 ] || fail "no root hash for v$n"
done

for t in usr:usr usr-verity:usr-verity; do
        IFS=: read -r name type <<<"$t"
        cat >"$T/$name.transfer" <<EOF
[Transfer]
Verify=no
[Source]
Type=regular-file
Path=/src
MatchPattern=${name}_@v.img
[Target]
Type=partition
Path=auto
MatchPartitionType=$type
MatchPattern=${name}_@v
EOF
done

# The guest, after $UPDATE_GUEST_HOOK (labels, $UL, /bb): the verity
# device over vda2 (data) + vda3 (hash) on /usr, then the update.
cat >"$T/hook.sh" <<'EOF'
report "labels=$(labels)"
if e=$(/sbin/veritysetup open /dev/vda2 usr /dev/vda3 "$(cat /etc/roothash_1)" 2>&1); then
        report "verity-open=ok"
else
        report "verity-open=failed: $(echo $e)"
fi
dm=$(ls /sys/block | grep '^dm-' | head -n 1)
report "usr-slaves=$(ls /sys/block/$dm/slaves 2>/dev/null | tr '\n' ' ' | sed 's/ $//')"
if e=$(mount -t squashfs -o ro /dev/$dm /usr 2>&1); then
        report "usr-version=$(sed -n 's/^IMAGE_VERSION=//p' /usr/lib/os-release)"
else
        report "usr-version=mount failed: $(echo $e)"
fi
mkdir -p /src
src=$($UL -t LABEL=UKITSRC -o device) && mount -t vfat -o ro $src /src || report "src=mount failed"
if e=$(/sbin/ukit update update 2>&1); then report "update=ok"; else report "update=failed: $(echo $e)"; fi
report "list=$(/sbin/ukit update --json=short list 2>&1)"
report "labels-after=$(labels)"
sync
# the new pair as the kernel's dm-verity checks it, with v2's root hash
if e=$(/sbin/veritysetup verify /dev/vda4 /dev/vda5 "$(cat /src/roothash_2)" 2>&1); then
        report "verify-2=ok"
else
        report "verify-2=failed: $(echo $e)"
fi
umount /src; umount /usr
/sbin/veritysetup close usr
EOF

vm_initrd "$T/initrd.img" --modules "virtio_pci virtio_blk vfat nls_cp437 nls_ascii squashfs dm-verity" \
        --ukit "$UKIT" --bin "$VERITYSETUP=/sbin/veritysetup" --bin "$BLKID=/opt/util-linux/blkid" \
        --hook "$UPDATE_GUEST_HOOK" --hook "$T/hook.sh" "$T/src/roothash_1=/etc/roothash_1" \
        "$T/usr.transfer=/etc/sysupdate.d/10-usr.transfer" "$T/usr-verity.transfer=/etc/sysupdate.d/20-usr-verity.transfer"
"$UKIT" build --stub "$STUB" --linux "$kernel" --initrd "$T/initrd.img" \
        --cmdline "console=ttyS0 quiet no_timer_check panic=-1" -o "$T/uki.efi" || fail "ukit build failed"

mkdir -p "$T/esp/EFI/BOOT"
cp "$T/uki.efi" "$T/esp/EFI/BOOT/BOOTX64.EFI"
esp_mib=$(( $(stat -c %s "$T/uki.efi") / 1048576 + 8 ))
img=$T/disk.img
update_boot_disk "$img" "$T/esp" "$esp_mib" "4 $USR usr_1" "2 $VER usr-verity_1" "4 $USR _empty" "2 $VER _empty"
put_slot "$img" 1 "$T/src/usr_1.img"
put_slot "$img" 2 "$T/src/usr-verity_1.img"
update_src_disk "$T/src" "$T/src.img"

log=$T/boot.log
vm_run "$img" "$log" --no-tpm -- \
        -drive "if=none,id=src,format=raw,readonly=on,file=$T/src.img" -device virtio-blk-pci,drive=src ||
        { tail -n 30 "$log" >&2; fail "no complete report from the guest"; }
r() { vm_report "$log" "$1" || echo "(no $1)"; }
assert_eq "$(r labels)" "vda1:ESP vda2:usr_1 vda3:usr-verity_1 vda4:_empty vda5:_empty" "labels before (guest blkid)"
assert_eq "$(r verity-open)" ok "veritysetup open in the guest"
assert_eq "$(r usr-slaves)" "vda2 vda3" "the verity device's backing partitions (guest sysfs)"
assert_eq "$(r usr-version)" 1 "IMAGE_VERSION of the verity /usr"
assert_eq "$(r update)" ok "ukit update (Path=auto) in the guest"
assert_eq "$(r labels-after)" "vda1:ESP vda2:usr_1 vda3:usr-verity_1 vda4:usr_2 vda5:usr-verity_2" "labels after (guest blkid)"
assert_eq "$(r verify-2)" ok "veritysetup verify of the new slots with v2's root hash (guest kernel)"
host_labels() { sfdisk -J "$img" | jq -r '[.partitiontable.partitions[].name] | join(" ")'; }
assert_eq "$(host_labels)" "ESP usr_1 usr-verity_1 usr_2 usr-verity_2" "labels after (host sfdisk)"
slot_is "$img" 3 "$T/src/usr_2.img" || fail "slot usr_2: not usr_2.img's bytes"
slot_is "$img" 4 "$T/src/usr-verity_2.img" || fail "slot usr-verity_2: not usr-verity_2.img's bytes"
slot_is "$img" 1 "$T/src/usr_1.img" || fail "slot usr_1 changed"
echo "ok Path=auto found /dev/vda through the dm-verity /usr (vda2 + vda3) and wrote v2 into the free slots"
