#!/usr/bin/env bash
# A real `dpkg -i` of Debian 12's kernel package with 60-ukit.install, in a
# Debian 12 root (scripts/fetch-root-bookworm.sh: systemd 252, systemd-boot,
# initramfs-tools) used as the lower layer of an overlay, so neither the
# cached root nor the host's /boot or dpkg database is touched:
#  - the package's postinst runs /etc/kernel/postinst.d/initramfs-tools
#    (update-initramfs -c builds the initrd, then post-update.d/systemd-boot
#    calls kernel-install with it) and zz-systemd-boot (kernel-install
#    without it); the installed UKI's .initrd must be /boot/initrd.img-VER,
#    as objdump/objcopy (binutils) read it;
#  - dpkg --purge removes the UKI again (postrm.d/zz-systemd-boot).
# ukit comes from the build under test (meson install --destdir into the
# overlay); /boot is a tmpfs, the ESP of a loop disk is on /boot/efi.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/kernel-install-lib.sh"

ki_init
need unshare meson objdump objcopy ldd
ki_kernel
deb=$(debian_kernel_deb)
root=$(bash "$UKIT_TOP/scripts/fetch-root-bookworm.sh" "$UKIT_CACHE") || fail "no Debian 12 root (scripts/fetch-root-bookworm.sh)"
ki_disk "$T/disk.img" 256 nomount
mkdir -p "$T/ov/upper" "$T/ov/work" "$T/root"
cp "$deb" "$T/linux-image.deb"

cat >"$T/inner.sh" <<'INNER'
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
r=$T/root
fuse=
cleanup() { [ -z "$fuse" ] || fusermount -u "$r/boot/efi" 2>/dev/null || umount -l "$r/boot/efi" 2>/dev/null || true; }
trap cleanup EXIT
mount -t overlay overlay -o "lowerdir=$ROOT,upperdir=$T/ov/upper,workdir=$T/ov/work" "$r"
mount --rbind /dev "$r/dev"
mount -t proc proc "$r/proc"
mount -t sysfs sysfs "$r/sys" 2>/dev/null || mount --rbind /sys "$r/sys"
mount -t tmpfs tmpfs "$r/run"
mount -t tmpfs tmpfs "$r/tmp"
mount -t tmpfs tmpfs "$r/boot"
mkdir "$r/boot/efi"
relax=()
boot_opt=()
if ! mount -t vfat "$ESP_DEV" "$r/boot/efi" 2>/dev/null; then
        fusefat -o rw+,fsname="$ESP_DEV" "$ESP_DEV" "$r/boot/efi" >/dev/null 2>&1 || fail "cannot mount $ESP_DEV"
        fuse=1
        # bootctl insists on the kernel's vfat driver and then cannot read
        # partition types: say where the ESP is, and that /boot (a tmpfs
        # here, no mount point on Debian) is not XBOOTLDR.
        relax=(SYSTEMD_RELAX_ESP_CHECKS=1 SYSTEMD_RELAX_XBOOTLDR_CHECKS=1 SYSTEMD_ESP_PATH=/boot/efi)
        boot_opt=(--boot-path=/boot/efi)
fi

# ukit as built, installed the way meson installs it, plus any library the
# root lacks (the sanitizer runtimes of an ASan build).
meson install -C "$UKIT_BUILD" --no-rebuild --destdir "$r" >"$T/meson-install.log" 2>&1 ||
        { cat "$T/meson-install.log"; fail "meson install into the root failed"; }
plugin=$r/usr/lib/kernel/install.d/60-ukit.install
[ -x "$plugin" ] || fail "meson install put no plugin in /usr/lib/kernel/install.d"
bin=$(sed -n 's/^UKIT="${UKIT:-\(.*\)}"$/\1/p' "$plugin")
[ -x "$r$bin" ] || fail "the plugin's ukit ($bin) is not installed"
for lib in $(ldd "$r$bin" | awk '$3 ~ /^\// { print $3 }'); do
        [ -e "$r$lib" ] || cp -L "$lib" "$r$lib"
done
cp "$T/linux-image.deb" "$r/tmp/"

printf 'layout=uki\n' >"$r/etc/kernel/install.conf"
# Only the modules listed in /etc/initramfs-tools/modules (none): a small
# initrd, made quickly (MODULES=most would copy ~30 MB of drivers).
echo "MODULES=list" >"$r/etc/initramfs-tools/conf.d/ukit-test.conf"
echo dpkgtest >"$r/etc/kernel/entry-token"
echo "console=ttyS0 root=/dev/vda2 ro" >"$r/etc/kernel/cmdline"

in_root() {
        chroot "$r" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
                HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "${relax[@]}" "$@"
}
in_root bootctl install --esp-path=/boot/efi "${boot_opt[@]}" --no-variables >"$T/bootctl.log" 2>&1 ||
        { cat "$T/bootctl.log"; fail "bootctl install failed"; }
in_root bootctl is-installed --quiet || fail "bootctl is-installed says no"

in_root dpkg -i /tmp/linux-image.deb >"$T/dpkg.log" 2>&1 || { cat "$T/dpkg.log"; fail "dpkg -i failed"; }
grep -E 'systemd-boot|update-initramfs|ukit|initrd' "$T/dpkg.log" || true
grep -q "^Updating kernel version $KVER in systemd-boot" "$T/dpkg.log" || fail "post-update.d/systemd-boot did not run"
grep -q "^Installing kernel version $KVER in systemd-boot" "$T/dpkg.log" || fail "postinst.d/zz-systemd-boot did not run"
uki=$r/boot/efi/EFI/Linux/dpkgtest-$KVER.efi
initrd=$r/boot/initrd.img-$KVER
[ -f "$initrd" ] || fail "update-initramfs made no $initrd"
[ -f "$uki" ] || { ls -lR "$r/boot"; fail "no UKI at $uki"; }
size=$(objdump -h "$uki" | awk '$2 == ".initrd" { print $3 }')
[ -n "$size" ] || { objdump -h "$uki"; fail "after dpkg -i the UKI has no .initrd"; }
isz=$(stat -c %s "$initrd")
[ $((16#$size)) -ge "$isz" ] || fail ".initrd is $((16#$size)) bytes, the initrd $isz"
objcopy -O binary --only-section=.initrd "$uki" "$T/initrd.out"
cmp -n "$isz" "$T/initrd.out" "$initrd" || fail ".initrd differs from /boot/initrd.img-$KVER"
echo "ok: dpkg -i: the UKI's .initrd is /boot/initrd.img-$KVER ($isz bytes)"

in_root dpkg --purge "linux-image-$KVER" >"$T/purge.log" 2>&1 || { cat "$T/purge.log"; fail "dpkg --purge failed"; }
[ ! -e "$uki" ] || fail "dpkg --purge left the UKI"
echo "ok: dpkg --purge removed the UKI"
echo "inner: ok"
INNER

export T ROOT=$root ESP_DEV UKIT_BUILD KVER
unshare --mount --propagation private bash "$T/inner.sh" || fail "dpkg scenario failed"
[ ! -e "$root/usr/lib/kernel/install.d/60-ukit.install" ] || fail "the cached root was written to"
! grep -q " /boot " /proc/self/mountinfo || fail "the namespace's mounts leaked to the host"
echo "PASS"
