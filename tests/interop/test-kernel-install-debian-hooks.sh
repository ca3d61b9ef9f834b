#!/usr/bin/env bash
# Debian 12's kernel hooks, as its systemd-boot package installs them, with
# kernel-install 252 and 60-ukit.install (layout=uki). A kernel package's
# postinst runs /etc/kernel/postinst.d/* in run-parts order:
#   initramfs-tools  builds /boot/initrd.img-VER, then runs
#                    /etc/initramfs/post-update.d/* -> systemd-boot:
#                    kernel-install add VER /boot/vmlinuz-VER /boot/initrd.img-VER
#   zz-systemd-boot  kernel-install add VER /boot/vmlinuz-VER   (no initrd)
# 60-ukit.install runs before 85-initrd.install, so on the second call it is
# handed no initrd; it must find /boot/initrd.img-VER itself.
# Judges: objdump/objcopy (binutils) read the installed UKI's .initrd, which
# must be the initrd byte for byte, and the second call must leave the UKI of
# the first unchanged. Then, with the initrd gone from /boot, a call without
# one must keep the UKI (one line says so).
#
# initramfs-tools is not installed here; its postinst.d hook is stood in for
# by a script that does what update-initramfs does (write the initrd, then
# run-parts the post-update.d directory with VER and its path). Everything
# runs in a private mount namespace: tmpfs on /boot, the ESP of a loop disk on
# /boot/efi, a copy of /etc/kernel bound over it.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/kernel-install-lib.sh"

ki_init
need unshare run-parts kernel-install bootctl objdump objcopy
[ -x /etc/kernel/postinst.d/zz-systemd-boot ] && [ -x /etc/initramfs/post-update.d/systemd-boot ] ||
        skip "Debian's systemd-boot hooks are not installed"
[ -d /boot ] || skip "no /boot directory to mount over"
ki_kernel
ki_disk "$T/disk.img" 256 nomount

# /etc/kernel as the host has it (the real zz-systemd-boot), plus the stand-in
# for initramfs-tools' hook and our configuration.
cp -a /etc/kernel "$T/etc-kernel"
cmp -s /etc/kernel/postinst.d/zz-systemd-boot "$T/etc-kernel/postinst.d/zz-systemd-boot" || fail "copy of zz-systemd-boot differs"
[ ! -e "$T/etc-kernel/postinst.d/initramfs-tools" ] || fail "initramfs-tools' hook is installed: use it instead of the stand-in"
cat >"$T/etc-kernel/postinst.d/initramfs-tools" <<'EOF'
#!/bin/sh
# Stand-in for initramfs-tools' hook: "update-initramfs -c -k VER".
set -e
head -c 2000001 /dev/urandom >"/boot/initrd.img-$1"
run-parts --report --exit-on-error --arg="$1" --arg="/boot/initrd.img-$1" /etc/initramfs/post-update.d
# (for the test: the UKI after the first kernel-install call)
sha256sum /boot/efi/EFI/Linux/*.efi >"$HOOK_LOG" 2>&1 || true
EOF
chmod 0755 "$T/etc-kernel/postinst.d/initramfs-tools"
echo "layout=uki" >"$T/etc-kernel/install.conf"
echo "debhooks" >"$T/etc-kernel/entry-token"
echo "console=ttyS0 root=/dev/vda2 ro" >"$T/etc-kernel/cmdline"

cat >"$T/inner.sh" <<'INNER'
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
mounts=()
cleanup() { for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount "${mounts[$i]}" 2>/dev/null || fusermount -u "${mounts[$i]}" 2>/dev/null || umount -l "${mounts[$i]}" 2>/dev/null || true; done; }
trap cleanup EXIT

mount --bind "$T/etc-kernel" /etc/kernel; mounts+=(/etc/kernel)
mount -t tmpfs tmpfs /boot; mounts+=(/boot)
mkdir /boot/efi
if mount -t vfat "$ESP_DEV" /boot/efi 2>/dev/null; then :; else
        fusefat -o rw+,fsname="$ESP_DEV" "$ESP_DEV" /boot/efi >/dev/null 2>&1 || fail "cannot mount $ESP_DEV"
        # bootctl insists on the kernel's vfat driver; /boot (tmpfs) must
        # then not be taken for the ESP.
        export SYSTEMD_RELAX_ESP_CHECKS=1 SYSTEMD_ESP_PATH=/boot/efi
fi
mounts+=(/boot/efi)
cp "$KIMG" "/boot/vmlinuz-$KVER"
# The hooks act only when systemd-boot is installed on the ESP. On Debian
# /boot is no mount point; here it is (tmpfs), and in a container bootctl
# skips the partition type check and would take it for XBOOTLDR: say where
# $BOOT is, as on a Debian system with the ESP on /boot/efi.
bootctl install --esp-path=/boot/efi --boot-path=/boot/efi --no-variables >"$T/bootctl-install.log" 2>&1 ||
        { cat "$T/bootctl-install.log"; fail "bootctl install failed"; }
bootctl is-installed --quiet || fail "bootctl is-installed says no"

uki=/boot/efi/EFI/Linux/debhooks-$KVER.efi
initrd=/boot/initrd.img-$KVER
export HOOK_LOG=$T/after-first.sha
# What a linux-image package's postinst does.
run-parts --report --exit-on-error --arg="$KVER" --arg="/boot/vmlinuz-$KVER" /etc/kernel/postinst.d \
        >"$T/hooks.log" 2>&1 || { cat "$T/hooks.log"; fail "the kernel hooks failed"; }
cat "$T/hooks.log"
[ "$(grep -c '^Updating kernel version' "$T/hooks.log")" = 1 ] || fail "post-update.d/systemd-boot did not run once"
[ "$(grep -c '^Installing kernel version' "$T/hooks.log")" = 1 ] || fail "postinst.d/zz-systemd-boot did not run once"
[ -f "$uki" ] || { ls -lR /boot/efi; fail "no UKI at $uki"; }
[ "$(ls /boot/efi/EFI/Linux)" = "debhooks-$KVER.efi" ] || fail "EFI/Linux holds: $(ls /boot/efi/EFI/Linux)"

# The judge: the .initrd section as binutils reads it.
size=$(objdump -h "$uki" | awk '$2 == ".initrd" { print $3 }')
[ -n "$size" ] || { objdump -h "$uki"; fail "the installed UKI has no .initrd"; }
isz=$(stat -c %s "$initrd")
[ $((16#$size)) -ge "$isz" ] || fail ".initrd is $((16#$size)) bytes, the initrd $isz"
objcopy -O binary --only-section=.initrd "$uki" "$T/initrd.out"
cmp -n "$isz" "$T/initrd.out" "$initrd" || fail ".initrd differs from $initrd"
echo "ok: .initrd of the UKI is $initrd ($isz bytes)"

# The second call (zz-systemd-boot, no initrd) gave the same UKI as the first.
first=$(awk '{ print $1 }' "$HOOK_LOG")
[ -n "$first" ] || { cat "$HOOK_LOG"; fail "no UKI after the first call"; }
[ "$(sha256sum "$uki" | cut -d' ' -f1)" = "$first" ] || fail "the second call changed the UKI"
echo "ok: the second call left the UKI of the first unchanged"

# The initrd is gone from /boot: a call without one keeps the UKI.
before=$(sha256sum "$uki" | cut -d' ' -f1)
rm "$initrd"
/etc/kernel/postinst.d/zz-systemd-boot "$KVER" "/boot/vmlinuz-$KVER" >"$T/keep.log" 2>&1 ||
        { cat "$T/keep.log"; fail "zz-systemd-boot without an initrd failed"; }
cat "$T/keep.log"
[ "$(sha256sum "$uki" | cut -d' ' -f1)" = "$before" ] || fail "a UKI with an initrd was replaced by one without"
[ "$(grep -c "keeping $uki" "$T/keep.log")" = 1 ] || fail "no one-line message about keeping the UKI"
objdump -h "$uki" | grep -q ' \.initrd ' || fail "the UKI lost its .initrd"
echo "inner: ok"
INNER

export UKIT KVER KIMG T ESP_DEV
export KERNEL_INSTALL_PLUGINS="$UKIT_TOP/kernel-install/60-ukit.install /usr/lib/kernel/install.d/85-initrd.install /usr/lib/kernel/install.d/90-loaderentry.install"
export MACHINE_ID=0123456789abcdef0123456789abcdef
unshare --mount --propagation private bash "$T/inner.sh" || fail "Debian 12 hook scenario failed"
! grep -q " /boot " /proc/self/mountinfo || fail "the namespace's mounts leaked to the host"
echo "PASS"
