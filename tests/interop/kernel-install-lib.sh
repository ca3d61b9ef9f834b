# Helpers for the kernel-install / ukit install tests (sourced after
# tests/lib.sh). Not a test itself: scripts/test.sh only runs test-*.sh.
#
#   ki_init                 root check, tools, $UKIT fallback, cleanup trap
#   ki_kernel               sets KVER, KIMG (Debian kernel from the .deb, cached)
#   ki_disk IMG SIZE_MB [nomount]
#                           GPT image with ESP + XBOOTLDR (both vfat), attached
#                           with losetup -P and (unless nomount) mounted: sets
#                           LOOP, ESP_DEV, XB_DEV, ESP, XB, KI_FUSE (1 if
#                           mounted via fusefat)
#   ki_sum FILE             sha256 of FILE

ki_mounts=()
ki_loops=()
ki_files=()

ki_cleanup() {
        local m l f
        for ((i = ${#ki_mounts[@]} - 1; i >= 0; i--)); do
                m=${ki_mounts[$i]}
                mountpoint -q "$m" 2>/dev/null || continue
                umount "$m" 2>/dev/null || fusermount -u "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
        done
        for l in "${ki_loops[@]}"; do
                partx -d "$l" 2>/dev/null || true
                losetup -d "$l" 2>/dev/null || true
        done
        for f in "${ki_files[@]}"; do rm -f "$f"; done
}

ki_init() {
        [ "$(id -u)" = 0 ] || skip "needs root (loop devices, mounts)"
        need jq sha256sum
        [ -x "$UKIT" ] || fail "no ukit binary at $UKIT"
        UKIT=$(realpath "$UKIT")
        export UKIT
        # Chain our cleanup in front of whatever lib.sh installed.
        local prev
        prev=$(trap -p EXIT | sed -e "s/^trap -- '//" -e "s/' EXIT\$//")
        # shellcheck disable=SC2064
        trap "ki_cleanup; $prev" EXIT
        # Make the tests independent of the machine's configuration.
        export UKIT_CONFIG_SEARCH=0
        unset KERNEL_INSTALL_ENTRY_TOKEN KERNEL_INSTALL_MACHINE_ID KERNEL_INSTALL_LAYOUT \
              KERNEL_INSTALL_BOOT_ROOT KERNEL_INSTALL_STAGING_AREA KERNEL_INSTALL_PLUGINS \
              KERNEL_INSTALL_UKI_GENERATOR BOOT_ROOT MACHINE_ID
}

# ki_kernel: KIMG, the Debian kernel image (debian_kernel in tests/lib.sh),
# and KVER, its version.
ki_kernel() {
        KIMG=$(debian_kernel) || exit 1
        # shellcheck disable=SC2034  # read by the tests that source this
        KVER=${KIMG##*/vmlinuz-}
}

ki_sum() { sha256sum "$1" | cut -d' ' -f1; }

# Mount a vfat block device: the kernel's driver when it has one, else
# FUSE (fusefat), e.g. in containers whose kernel lacks vfat.
ki_mount_vfat() {
        local dev=$1 dir=$2
        mkdir -p "$dir"
        if mount -t vfat "$dev" "$dir" 2>/dev/null; then
                ki_mounts+=("$dir")
                return 0
        fi
        need fusefat fusermount
        # fsname: mountinfo then names the device, as for a kernel mount
        fusefat -o rw+,fsname="$dev" "$dev" "$dir" >/dev/null 2>&1 || fail "fusefat $dev failed"
        ki_mounts+=("$dir")
        KI_FUSE=1
}

ki_disk() {
        local img=$1 mb=$2 mount=${3:-mount}
        need sfdisk losetup partx mkfs.vfat blkid
        KI_FUSE=0
        truncate -s "${mb}M" "$img"
        sfdisk -q "$img" <<-EOF
	label: gpt
	size=$((mb / 3))M, type=$GPT_ESP, name="esp"
	type=$GPT_XBOOTLDR, name="xbootldr"
	EOF
        LOOP=$(losetup -f --show -P "$img")
        ki_loops+=("$LOOP")
        # Without udev the partition nodes may be missing: ask partx.
        [ -b "${LOOP}p2" ] || partx -a "$LOOP" 2>/dev/null || true
        [ -b "${LOOP}p2" ] || fail "no partition devices for $LOOP"
        ESP_DEV=${LOOP}p1
        XB_DEV=${LOOP}p2
        mkfs.vfat -F 32 -n ESP "$ESP_DEV" >/dev/null
        mkfs.vfat -F 32 -n XBOOTLDR "$XB_DEV" >/dev/null
        # Independent check of the types we are going to rely on.
        assert_eq "$(blkid -p -o value -s PART_ENTRY_TYPE "$XB_DEV")" "$GPT_XBOOTLDR" "blkid type of $XB_DEV"
        [ "$mount" = mount ] || return 0
        ESP=$T/esp
        XB=$T/xbootldr
        ki_mount_vfat "$ESP_DEV" "$ESP"
        ki_mount_vfat "$XB_DEV" "$XB"
}

GPT_ESP=c12a7328-f81f-11d2-ba4b-00a0c93ec93b
GPT_XBOOTLDR=bc13c2ff-59e6-4262-a352-b275fd6f7172

# bootctl refuses a FUSE-mounted ESP ("not a FAT file system"): with the
# fusefat fallback the file system *is* FAT, only the kernel driver differs.
ki_bootctl() {
        if [ "${KI_FUSE:-0}" = 1 ]; then
                SYSTEMD_RELAX_ESP_CHECKS=1 SYSTEMD_RELAX_XBOOTLDR_CHECKS=1 bootctl "$@"
        else
                bootctl "$@"
        fi
}

# The fields bootctl and ukit list share, one entry per line, sorted.
ki_list_fields() {
        jq -c -s 'flatten | map({id, path, root, title, version, sortKey, options, linux, triesLeft, triesDone}) | sort_by(.path) | .[]'
}
