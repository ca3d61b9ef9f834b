#!/usr/bin/env bash
# ukit install/list/remove --image DISK: the UKI goes into the XBOOTLDR
# partition of a GPT disk image (found in the primary GPT, attached to a loop
# device bounded to that partition), nothing else in the image changes, and
# nothing stays attached or mounted afterwards.
# Oracles: sfdisk/blkid for the layout, an independent losetup -P + mount of
# the partition for the content, bootctl 252 for the listing, cmp of the
# image outside the partition.
#
# The XBOOTLDR is vfat when the kernel can mount vfat; otherwise (containers
# whose kernel lacks the driver) ext4, which the Boot Loader Specification
# also allows for XBOOTLDR.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/kernel-install-lib.sh"

ki_init
need sfdisk losetup partx mkfs.vfat mkfs.ext4 blkid bootctl setpriv cmp
ki_kernel

# Can the kernel mount vfat?
truncate -s 8M "$T/probe.img"
mkfs.vfat "$T/probe.img" >/dev/null
mkdir -p "$T/probe"
if mount -o loop,ro "$T/probe.img" "$T/probe" 2>/dev/null; then
        umount "$T/probe"
        xbfs=vfat
else
        xbfs=ext4
fi
echo "XBOOTLDR file system: $xbfs"

img=$T/disk.img
truncate -s 320M "$img"
sfdisk -q "$img" <<EOF
label: gpt
size=64M, type=$GPT_ESP, name="esp"
size=64M, type=0fc63daf-8483-4772-8e79-3d69d8477de4, name="data"
type=$GPT_XBOOTLDR, name="xbootldr"
EOF
# Partition offsets from sfdisk (the oracle for the layout).
part_start() { sfdisk -J "$img" | jq ".partitiontable.partitions[$1].start"; }
part_size() { sfdisk -J "$img" | jq ".partitiontable.partitions[$1].size"; }
esp_off=$(( $(part_start 0) * 512 )); xb_off=$(( $(part_start 2) * 512 )); xb_size=$(( $(part_size 2) * 512 ))

L=$(losetup -f --show -P "$img"); ki_loops+=("$L")
[ -b "${L}p3" ] || partx -a "$L" 2>/dev/null || true
[ -b "${L}p3" ] || fail "no partition devices for $L"
mkfs.vfat -F 32 "${L}p1" >/dev/null
if [ $xbfs = vfat ]; then mkfs.vfat -F 32 "${L}p3" >/dev/null; else mkfs.ext4 -q "${L}p3"; fi
head -c 1048576 /dev/urandom >"${L}p2"      # a data partition that must stay untouched
partx -d "$L" 2>/dev/null || true; losetup -d "$L"; ki_loops=()

cp "$img" "$T/disk.orig"
head -c 200000 /dev/urandom >"$T/initrd.img"
echo "console=ttyS0" >"$T/cmdline"

"$UKIT" install --image="$img" --entry-token=literal:imgtest --cmdline=@"$T/cmdline" \
        "$KVER" "$KIMG" "$T/initrd.img" 2>"$T/install.err" || { cat "$T/install.err"; fail "ukit install --image failed"; }
grep -q "partition 3 (xbootldr)" "$T/install.err" || { cat "$T/install.err"; fail "install did not report XBOOTLDR"; }

# Nothing left attached or mounted.
[ -z "$(losetup -j "$img")" ] || fail "loop device still attached: $(losetup -j "$img")"
! grep -q ukit-boot- /proc/self/mountinfo || fail "mount left behind"

# Everything outside the XBOOTLDR partition is byte-identical.
cmp -s <(head -c "$xb_off" "$img") <(head -c "$xb_off" "$T/disk.orig") || fail "image changed before XBOOTLDR"
cmp -s <(tail -c +$(( xb_off + xb_size + 1 )) "$img") <(tail -c +$(( xb_off + xb_size + 1 )) "$T/disk.orig") ||
        fail "image changed after XBOOTLDR (backup GPT)"

# Look inside independently.
L=$(losetup -f --show -P "$img"); ki_loops+=("$L")
[ -b "${L}p3" ] || partx -a "$L" 2>/dev/null || true
mkdir -p "$T/xb" "$T/esp"
if [ $xbfs = vfat ]; then ki_mount_vfat "${L}p3" "$T/xb"; else mount "${L}p3" "$T/xb"; ki_mounts+=("$T/xb"); fi
ki_mount_vfat "${L}p1" "$T/esp"
uki=$T/xb/EFI/Linux/imgtest-$KVER.efi
[ -f "$uki" ] || { find "$T/xb"; fail "no UKI in the XBOOTLDR partition"; }
[ ! -e "$T/esp/EFI" ] || fail "ukit wrote to the ESP"
objcopy -O binary --only-section=.cmdline "$uki" "$T/cmdline.out"
assert_eq "$(tr -d '\0' <"$T/cmdline.out")" "console=ttyS0" ".cmdline in the installed UKI"

# bootctl on the independent mounts vs ukit list --image: same entry.
# (ext4 is no FAT: relax bootctl's XBOOTLDR file system check for that case.)
SYSTEMD_RELAX_XBOOTLDR_CHECKS=1 ki_bootctl --esp-path="$T/esp" --boot-path="$T/xb" list --json=short \
        >"$T/bootctl.json" 2>"$T/bootctl.err" || { cat "$T/bootctl.err"; fail "bootctl list failed"; }
fields='flatten | map({id, title, version, sortKey, options, linux, triesLeft}) | .[]'
jq -c -s "$fields" "$T/bootctl.json" >"$T/bootctl.fields"
[ -s "$T/bootctl.fields" ] || fail "bootctl lists nothing"
ki_cleanup; ki_mounts=(); ki_loops=()

"$UKIT" list --image="$img" --json=short >"$T/ukit.json" 2>"$T/list.err" || { cat "$T/list.err"; fail "ukit list --image failed"; }
jq -c -s "$fields" "$T/ukit.json" >"$T/ukit.fields"
assert_files_equal "$T/ukit.fields" "$T/bootctl.fields" "ukit list --image vs bootctl list"
assert_eq "$(jq -r '.[0].partition' "$T/ukit.json")" "xbootldr" "ukit list --image partition"
[ -z "$(losetup -j "$img")" ] || fail "list left a loop device attached"

# Not root: refused with a clear message before anything is attached.
chmod 755 "$T"; chmod 644 "$img"
if setpriv --reuid=65534 --regid=65534 --clear-groups "$UKIT" install --image="$img" \
        --entry-token=literal:imgtest "$KVER" "$KIMG" "$T/initrd.img" 2>"$T/nonroot.err"; then
        fail "non-root install --image succeeded"
fi
grep -q "needs root" "$T/nonroot.err" || { cat "$T/nonroot.err"; fail "non-root: unclear error"; }

# A file without GPT.
truncate -s 4M "$T/nogpt.img"
if "$UKIT" install --image="$T/nogpt.img" "$KVER" "$KIMG" 2>"$T/nogpt.err"; then fail "no-GPT image accepted"; fi
grep -q "no GPT partition table" "$T/nogpt.err" || { cat "$T/nogpt.err"; fail "no-GPT: unclear error"; }

# A corrupt primary GPT (header CRC) is refused with one line naming the
# image, not repaired from the backup; sfdisk (the oracle) still finds the
# table through the backup header, so it is only the primary that is bad.
cp "$T/disk.orig" "$T/badgpt.img"
flip_byte "$T/badgpt.img" $((512 + 16))
sfdisk -d "$T/badgpt.img" >/dev/null 2>&1 || fail "sfdisk cannot read the backup GPT of badgpt.img"
cp "$T/badgpt.img" "$T/badgpt.orig"
for verb in install list; do
        if [ $verb = install ]; then args=(install --image="$T/badgpt.img" "$KVER" "$KIMG")
        else args=(list --image="$T/badgpt.img"); fi
        if "$UKIT" "${args[@]}" >"$T/badgpt.out" 2>"$T/badgpt.err"; then fail "$verb: corrupt primary GPT accepted"; fi
        assert_eq "$(wc -l <"$T/badgpt.err")" "1" "$verb: corrupt primary GPT: lines of error ($(cat "$T/badgpt.err"))"
        grep -q "badgpt.img: .*CRC32" "$T/badgpt.err" || { cat "$T/badgpt.err"; fail "$verb: corrupt GPT: unclear error"; }
done
cmp -s "$T/badgpt.img" "$T/badgpt.orig" || fail "the image with a corrupt GPT was changed"
[ -z "$(losetup -j "$T/badgpt.img")" ] || fail "corrupt GPT: loop device attached"

# remove --image takes it away again.
"$UKIT" remove --image="$img" --entry-token=literal:imgtest "$KVER" 2>"$T/rm.err" || { cat "$T/rm.err"; fail "remove --image failed"; }
"$UKIT" list --image="$img" --json=short >"$T/ukit.json" 2>/dev/null || fail "ukit list after remove failed"
assert_eq "$(jq 'length' "$T/ukit.json")" "0" "entries after remove --image"
[ -z "$(losetup -j "$img")" ] || fail "remove left a loop device attached"

echo "PASS"
