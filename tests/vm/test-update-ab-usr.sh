#!/usr/bin/env bash
# A/B /usr partitions, end to end in a VM: one GPT disk with an ESP
# (systemd-boot 252, UKIs in /EFI/Linux) and two /usr slots of the x86-64
# usr type; slot A "usr_1" holds a squashfs /usr with VERSION_ID=1, slot B
# is "_empty". Each UKI vN's command line finds its /usr by label:
# mount.usr=PARTLABEL=usr_N mount.usrfstype=squashfs. The guest (busybox
# initrd, ukit and its libraries outside /usr) interprets that command line
# with systemd 252's own systemd-fstab-generator (run with
# SYSTEMD_IN_INITRD=1; its sysusr-usr.mount gives What= and Type=), finds
# the partition by label with util-linux's blkid (libblkid reads the GPT
# ukit wrote), mounts it on /usr, and runs `ukit update` itself with
# Path=auto (the disk found from the mounted /usr: / is the initramfs).
# The source (v1..v3: usr_N.img + ukitab_N.efi) is a second small disk.
#   boot 1 (v1 on usr_1): `ukit update` installs v3, the newest, into the
#          inactive slot (labelled usr_3) and ukitab_3+3.efi (UKI last);
#   boot 2 (systemd-boot picks v3): /usr is VERSION_ID=3 from usr_3, slot A
#          untouched; the downgrade `ukit update update 2` writes v2 into
#          slot A (v1 is not booted; the booted v3 is protected) and
#          `ukit bless bad` marks v3 bad;
#   boot 3: systemd-boot skips v3 (+0-1) and boots v2: /usr VERSION_ID=2
#          from usr_2, v3's slot intact.
# Judged from what the guest prints (its /proc/cmdline, the boot loader's
# variables, the VERSION_ID of the mounted /usr, the labels blkid probes,
# the kernel's PARTNAME, the ESP names) and sfdisk on the host.
. "$(dirname "$0")/../lib.sh"
. "$UKIT_TOP/tests/vm/lib.sh"
. "$UKIT_TOP/tests/vm/lib-update.sh"
need mcopy mkfs.vfat mksquashfs sfdisk jq blkid
export MTOOLS_SKIP_CHECK=1
STUB=$UKIT_BUILD/src/stub/ukit-stub.efi
[ -f "$STUB" ] || fail "$STUB not built"
sdboot=/usr/lib/systemd/boot/efi/systemd-bootx64.efi
[ -f "$sdboot" ] || skip "systemd-boot-efi not installed ($sdboot)"
gen=/usr/lib/systemd/system-generators/systemd-fstab-generator
[ -x "$gen" ] || skip "no systemd-fstab-generator ($gen)"
BLKID=$(command -v blkid)
file -L "$BLKID" | grep -q 'dynamically linked' || fail "$BLKID is not util-linux's blkid"

kernel=$(vm_kernel)
USR=8484680c-9521-48c6-9c11-b0720656f69e

# The /usr images: squashfs, /lib/os-release with VERSION_ID and
# IMAGE_VERSION (the booted version sysupdate protects).
mkdir -p "$T/src"
for n in 1 2 3; do
        rm -rf "${T:?}/usr"; mkdir -p "$T/usr/lib"
        printf 'ID=ukitab\nVERSION_ID=%s\nIMAGE_VERSION=%s\nPRETTY_NAME="ukit A/B v%s"\n' $n $n $n >"$T/usr/lib/os-release"
        mksquashfs "$T/usr" "$T/src/usr_$n.img" -noappend -all-root -mkfs-time 0 -quiet >/dev/null ||
                fail "mksquashfs v$n failed"
done

# Transfer definitions as the guest reads them (/etc/sysupdate.d): the
# /usr slot first, the UKI last, 2 instances each.
mkdir -p "$T/defs"
cat >"$T/defs/10-usr.transfer" <<EOF
[Transfer]
Verify=no

[Source]
Type=regular-file
Path=/src
MatchPattern=usr_@v.img

[Target]
Type=partition
Path=auto
MatchPartitionType=usr
MatchPattern=usr_@v
InstancesMax=2
EOF
cat >"$T/defs/20-uki.transfer" <<EOF
[Transfer]
Verify=no

[Source]
Type=regular-file
Path=/src
MatchPattern=ukitab_@v.efi

[Target]
Type=regular-file
Path=/efi/EFI/Linux
MatchPattern=ukitab_@v+@l.efi ukitab_@v+@l-@d.efi ukitab_@v.efi
TriesLeft=3
InstancesMax=2
EOF

# The guest side, after $UPDATE_GUEST_HOOK (labels, $UL, /bb).
cat >"$T/ab-hook.sh" <<'EOF'
# partlabel NAME: the device whose GPT entry is named NAME, as libblkid
# probes it (no udev, so no /dev/disk/by-partlabel)
partlabel() {
        for d in /sys/class/block/*; do
                [ -f $d/partition ] || continue
                [ "$($UL -p -o value -s PART_ENTRY_NAME /dev/${d##*/} 2>/dev/null)" = "$1" ] && { echo /dev/${d##*/}; return 0; }
        done
        return 1
}
kernel_names() {
        for d in /sys/class/block/vda?*; do
                printf '%s:%s ' ${d##*/} "$(sed -n 's/^PARTNAME=//p' $d/uevent)"
        done | sed 's/ $//'
}
esp_files() { ls /efi/EFI/Linux | tr '\n' ' ' | sed 's/ $//'; }
report "labels=$(labels)"
report "kernel-partnames=$(kernel_names)"
mkdir -p /gen/normal /gen/early /gen/late
if e=$(SYSTEMD_IN_INITRD=1 /lib/systemd/systemd-fstab-generator /gen/normal /gen/early /gen/late 2>&1); then
        report "generator=ok"
else
        report "generator=failed: $(echo $e)"
fi
unit=
for u in /gen/normal/*.mount; do
        [ "$(sed -n 's/^Where=//p' $u)" = /sysusr/usr ] && unit=$u
done
what=$(sed -n 's/^What=//p' $unit 2>/dev/null); type=$(sed -n 's/^Type=//p' $unit 2>/dev/null)
report "usr-unit=${unit##*/} What=$what Type=$type"
case $what in
/dev/disk/by-partlabel/*) dev=$(partlabel ${what#/dev/disk/by-partlabel/}) || dev="" ;;
*) dev="" ;;
esac
report "usr-device=${dev:-none}"
if [ -n "$dev" ] && e=$(mount -t $type -o ro $dev /usr 2>&1); then
        report "usr-version=$(sed -n 's/^VERSION_ID=//p' /usr/lib/os-release)"
else
        report "usr-version=mount failed: $(echo $e)"
fi
mkdir -p /efi /src
esp=$(partlabel ESP) && mount -t vfat $esp /efi || report "esp=mount failed"
src=$($UL -t LABEL=UKITSRC -o device) && mount -t vfat -o ro $src /src || report "src=mount failed"
report "esp-files=$(esp_files)"
action=$(sed -n 's/.*ukit\.ab=\([a-z]*\).*/\1/p' /proc/cmdline)
case $action in
update)
        if e=$(/sbin/ukit update update 2>&1); then report "update=ok"; else report "update=failed: $(echo $e)"; fi ;;
downgrade)
        if e=$(/sbin/ukit update update 2 2>&1); then report "update=ok"; else report "update=failed: $(echo $e)"; fi
        if e=$(/sbin/ukit bless bad 2>&1); then report "bless=ok"; else report "bless=failed: $(echo $e)"; fi ;;
esac
report "list=$(/sbin/ukit update --json=short list 2>&1)"
report "labels-after=$(labels)"
report "esp-files-after=$(esp_files)"
sync
umount /src; umount /efi; umount /usr
EOF

vm_initrd "$T/initrd.img" --modules "virtio_pci virtio_blk vfat nls_cp437 nls_ascii squashfs" \
        --ukit "$UKIT" --bin "$BLKID=/opt/util-linux/blkid" --bin "$gen=/lib/systemd/systemd-fstab-generator" \
        --hook "$UPDATE_GUEST_HOOK" --hook "$T/ab-hook.sh" "$T/defs/10-usr.transfer=/etc/sysupdate.d/10-usr.transfer" \
        "$T/defs/20-uki.transfer=/etc/sysupdate.d/20-uki.transfer"
# uki N ACTION: ukitab_N.efi in the source, its /usr by label
cmdline() { echo "console=ttyS0 quiet no_timer_check panic=-1 mount.usr=PARTLABEL=usr_$1 mount.usrfstype=squashfs ukit.ab=$2"; }
uki() {
        printf 'ID=ukitab\nVERSION_ID=%s\n' "$1" >"$T/os-release-v$1"
        "$UKIT" build --stub "$STUB" --linux "$kernel" --initrd "$T/initrd.img" --cmdline "$(cmdline "$1" "$2")" \
                --os-release "@$T/os-release-v$1" -o "$T/src/ukitab_$1.efi" || fail "ukit build v$1 failed"
}
uki 1 update
uki 2 none
uki 3 downgrade
echo "UKI size: $(stat -c %s "$T/src/ukitab_1.efi"), /usr image size: $(stat -c %s "$T/src/usr_1.img")"

# The boot disk: ESP (systemd-boot + UKI v1), slot A usr_1 = v1, slot B _empty.
mkdir -p "$T/esp/EFI/BOOT" "$T/esp/EFI/Linux" "$T/esp/loader"
cp "$sdboot" "$T/esp/EFI/BOOT/BOOTX64.EFI"
printf 'timeout 0\n' >"$T/esp/loader/loader.conf"
cp "$T/src/ukitab_1.efi" "$T/esp/EFI/Linux/"
esp_mib=$(( $(stat -c %s "$T/src/ukitab_1.efi") * 3 / 1048576 + 16 ))
img=$T/disk.img
update_boot_disk "$img" "$T/esp" "$esp_mib" "8 $USR usr_1" "8 $USR _empty"
put_slot "$img" 1 "$T/src/usr_1.img"

# The source disk: a FAT file system labelled UKITSRC with the payloads.
update_src_disk "$T/src" "$T/src.img"

vars=$T/vars.fd
cp "$VM_OVMF_DIR/OVMF_VARS_4M.fd" "$vars"
boots=0
boot() {
        local log=$T/$1.log
        boots=$((boots + 1))
        vm_run "$img" "$log" --no-tpm --vars "$vars" --keep-vars "$vars" -- \
                -drive "if=none,id=src,format=raw,readonly=on,file=$T/src.img" -device virtio-blk-pci,drive=src ||
                { tail -n 30 "$log" >&2; fail "$1: no complete report from the guest"; }
        LOG=$log
        echo "$1 (${VM_BOOT_SECONDS}s): entry=$(vm_report "$log" "efivar LoaderEntrySelected" || echo -)" \
                "usr=$(vm_report "$log" usr-device || echo -) VERSION_ID=$(vm_report "$log" usr-version || echo -)" \
                "labels='$(vm_report "$log" labels || echo -)' after='$(vm_report "$log" labels-after || echo -)'" \
                "esp='$(vm_report "$log" esp-files-after || echo -)'"
}
r() { vm_report "$LOG" "$1" || echo "(no $1)"; }
# expect WHAT N ACTION ENTRY DEV LABELS: the guest booted UKI vN (its own
# command line) as ENTRY, by systemd-boot 252, found /usr on DEV by label
# usr_N through the generator's unit, mounted it and read VERSION_ID=N;
# blkid and the kernel saw LABELS
expect() {
        local what=$1 n=$2 action=$3 entry=$4 dev=$5 labels=$6
        assert_eq "$(r cmdline)" "$(cmdline "$n" "$action")" "$what: booted UKI (guest /proc/cmdline)"
        local info; info=$(r "efivar LoaderInfo")
        [[ "$info" == "systemd-boot 252"* ]] || fail "$what: not booted by systemd-boot 252 (LoaderInfo: $info)"
        assert_eq "$(r "efivar LoaderEntrySelected")" "$entry" "$what: LoaderEntrySelected"
        assert_eq "$(r generator)" ok "$what: systemd-fstab-generator"
        assert_eq "$(r usr-unit)" "sysusr-usr.mount What=/dev/disk/by-partlabel/usr_$n Type=squashfs" "$what: the generator's /usr mount unit"
        assert_eq "$(r usr-device)" "$dev" "$what: the partition labelled usr_$n (libblkid)"
        assert_eq "$(r usr-version)" "$n" "$what: VERSION_ID of the mounted /usr"
        assert_eq "$(r labels)" "$labels" "$what: GPT labels (guest blkid)"
        assert_eq "$(r kernel-partnames)" "$labels" "$what: GPT labels (guest kernel PARTNAME)"
}
# host_labels: the partition names sfdisk reads from the image
host_labels() { sfdisk -J "$img" | jq -r '.partitiontable.partitions | to_entries | map("vda\(.key + 1):\(.value.name)") | join(" ")'; }

boot 1-v1
expect "boot 1" 1 update ukitab_1.efi /dev/vda2 "vda1:ESP vda2:usr_1 vda3:_empty"
assert_eq "$(r esp-files)" "ukitab_1.efi" "boot 1: ESP before the update"
assert_eq "$(r update)" ok "boot 1: ukit update in the guest"
assert_eq "$(r labels-after)" "vda1:ESP vda2:usr_1 vda3:usr_3" "boot 1: v3 written into the inactive slot (guest blkid)"
assert_eq "$(r esp-files-after)" "ukitab_1.efi ukitab_3+3.efi" "boot 1: UKI v3 with 3 tries"
assert_eq "$(host_labels)" "vda1:ESP vda2:usr_1 vda3:usr_3" "boot 1: labels (host sfdisk)"
slot_is "$img" 2 "$T/src/usr_3.img" || fail "boot 1: slot B does not hold usr_3.img"
slot_is "$img" 1 "$T/src/usr_1.img" || fail "boot 1: slot A changed"

boot 2-v3
expect "boot 2" 3 downgrade ukitab_3+3.efi /dev/vda3 "vda1:ESP vda2:usr_1 vda3:usr_3"
assert_eq "$(r efivar\ LoaderBootCountPath)" '\EFI\Linux\ukitab_3+2-1.efi' "boot 2: LoaderBootCountPath"
assert_eq "$(r update)" ok "boot 2: ukit update update 2 (downgrade) in the guest"
assert_eq "$(r bless)" ok "boot 2: ukit bless bad"
assert_eq "$(r labels-after)" "vda1:ESP vda2:usr_2 vda3:usr_3" "boot 2: v2 written into slot A, v3's slot kept"
assert_eq "$(r esp-files-after)" "ukitab_2+3.efi ukitab_3+0-1.efi" "boot 2: UKI v2 installed, v3 marked bad"
slot_is "$img" 1 "$T/src/usr_2.img" || fail "boot 2: slot A does not hold usr_2.img"
slot_is "$img" 2 "$T/src/usr_3.img" || fail "boot 2: slot B changed"

boot 3-v2
expect "boot 3" 2 none ukitab_2+3.efi /dev/vda2 "vda1:ESP vda2:usr_2 vda3:usr_3"
assert_eq "$(r esp-files)" "ukitab_2+2-1.efi ukitab_3+0-1.efi" "boot 3: ESP (v2 tried once, v3 bad)"
assert_eq "$(host_labels)" "vda1:ESP vda2:usr_2 vda3:usr_3" "boot 3: labels (host sfdisk)"

echo "$boots boots: v1 -> update writes v3 into the inactive slot -> boots v3 from it -> downgrade to v2 into the other slot, v3 bad -> boots v2"
echo "PASS"
