# The checks of tests/interop/test-deb-root-*.sh (sourced; not a test itself):
# ukit's .deb installed into a fresh Debian root, judged by that
# distribution's own tools (dpkg, man, kernel-install 252/257, bootctl,
# ukify 257, systemd-analyze, systemctl):
#  - dpkg -i the package: no systemd file replaced or changed (dpkg --verify);
#  - ukit --version, man -w ukit-build, the default stub is /usr/lib/ukit's;
#  - systemd-analyze verify on the units; systemctl preset leaves them disabled;
#  - kernel-install add with layout=uki (13: 60-ukify masked): the UKI is on
#    the ESP, bootctl lists it, objdump (13: also ukify inspect) reads it,
#    kernel-install remove takes it away;
#  - dpkg -i of Debian's linux-image .deb (its hooks run kernel-install when
#    bootctl is-installed) puts a UKI on the ESP, dpkg --purge removes it;
#  - dpkg --purge ukit: no ukit file is left, the user's /etc/kernel/uki.conf is.
# The roots are never written: each run is an overlay with an upper dir in $T.
# The ESP is a tmpfs (SYSTEMD_RELAX_ESP_CHECKS=1: bootctl refuses a plain dir).
# One test per root: each needs a few minutes (dpkg -i of a kernel, mkinitramfs).
. "$(dirname "$0")/deb-lib.sh"
. "$(dirname "$0")/kernel-install-lib.sh"

# Runs inside the root: $1 = 12 or 13, $2 = kernel version, $3 = ukit .deb,
# $4 = linux-image .deb (paths inside the root).
inside='
rel=$1 kver=$2 deb=$3 kdeb=$4
step() { echo "--- [$rel] $*"; }
die() { echo "FAIL [$rel]: $*" >&2; exit 1; }
export SYSTEMD_RELAX_ESP_CHECKS=1
snapshot() {
        find / -xdev \( -path /var/lib/dpkg -o -path /var/log -o -path /var/cache -o -path /var/lib/apt \
                -o -path /var/lib/initramfs-tools -o -path /var/lib/systemd/deb-systemd-helper-masked \) -prune -o -print | sort
}

step "a user configuration before the package"
mkdir -p /etc/kernel
printf "[UKI]\n# mine\n" >/etc/kernel/uki.conf
echo "root=/dev/vda1 ro console=ttyS0" >/etc/kernel/cmdline
cp /etc/kernel/uki.conf /tmp/uki.conf.orig
snapshot >/tmp/before
dpkg --verify systemd systemd-boot >/tmp/verify.before 2>&1 || true

step "dpkg -i ukit"
dpkg -i "$deb"
dpkg --verify systemd systemd-boot >/tmp/verify.after 2>&1 || true
cmp -s /tmp/verify.before /tmp/verify.after || { diff /tmp/verify.before /tmp/verify.after; die "systemd files changed"; }
dpkg --verify ukit || die "dpkg --verify ukit"

step "ukit --version, man -w ukit-build"
ukit --version | tee /tmp/v
grep -q "^ukit [0-9]" /tmp/v || die "ukit --version"
[ "$(man -w ukit-build)" = /usr/share/man/man1/ukit-build.1.gz ] || die "man -w ukit-build: $(man -w ukit-build 2>&1)"
ukit build --help | grep -q -- "--stub=PATH .*default /usr/lib/ukit/ukit-stub.efi" || die "default stub is not /usr/lib/ukit/ukit-stub.efi"

step "systemd-analyze verify, preset"
units=$(dpkg -L ukit | grep -E "/system/ukit-(sys|conf)ext\.service$")
[ "$(echo "$units" | wc -l)" = 2 ] || die "units: $units"
systemd-analyze verify $units
systemctl preset ukit-sysext.service ukit-confext.service
for u in ukit-sysext.service ukit-confext.service; do
        s=$(systemctl is-enabled "$u" || true)
        [ "$s" = disabled ] || die "$u is $s after systemctl preset"
done

step "bootctl install on a tmpfs ESP"
mkdir -p /boot/efi
mount -t tmpfs tmpfs /boot/efi
bootctl install --esp-path=/boot/efi --no-variables >/dev/null 2>&1 || bootctl install --esp-path=/boot/efi --no-variables
bootctl --esp-path=/boot/efi is-installed
echo layout=uki >/etc/kernel/install.conf
[ "$rel" = 13 ] && ln -sf /dev/null /etc/kernel/install.d/60-ukify.install

step "kernel-install add (layout=uki)"
cp "/cache/vmlinuz-$kver" /tmp/vmlinuz
mkdir -p /tmp/initrd.d && echo hello >/tmp/initrd.d/hello
(cd /tmp/initrd.d && echo hello | cpio -o -H newc --quiet >/tmp/initrd.img)
kernel-install add "$kver" /tmp/vmlinuz /tmp/initrd.img
# check_uki [SECTIONS]: one UKI of $kver on the ESP, listed by bootctl, with
# SECTIONS (default: with .initrd).
check_uki() {
        local want=${1:-".linux .osrel .cmdline .uname .initrd"}
        ukis=$(ls /boot/efi/EFI/Linux/*"$kver"*.efi 2>/dev/null || true)
        [ "$(echo "$ukis" | grep -c .)" = 1 ] || die "expected one UKI of $kver on the ESP: $(ls -R /boot/efi)"
        bootctl --esp-path=/boot/efi list >/tmp/list 2>&1 || { cat /tmp/list; die "bootctl list"; }
        grep -q "${ukis#/boot/efi}" /tmp/list || { cat /tmp/list; die "bootctl list does not show $ukis"; }
        grep -q "options: root=/dev/vda1 ro console=ttyS0" /tmp/list || { cat /tmp/list; die "bootctl list: not /etc/kernel/cmdline"; }
        objdump -h "$ukis" >/tmp/sections || die "objdump -h $ukis"
        for s in $want; do
                grep -q " $s " /tmp/sections || { cat /tmp/sections; die "objdump: no $s"; }
        done
        if [ "$rel" = 13 ]; then
                ukify inspect "$ukis" >/tmp/inspect || die "ukify inspect $ukis"
                for s in .linux .osrel .cmdline .uname .initrd .sbat; do
                        grep -q "^$s:" /tmp/inspect || { cat /tmp/inspect; die "ukify inspect: no $s"; }
                done
                grep -A4 "^\.uname:" /tmp/inspect | grep -qx " *$kver" || die "ukify inspect: .uname is not $kver"
        fi
        echo "UKI: $ukis"
}
check_uki
cat /tmp/list
kernel-install remove "$kver"
[ -z "$(ls /boot/efi/EFI/Linux/*"$kver"* 2>/dev/null)" ] || die "kernel-install remove left $(ls /boot/efi/EFI/Linux)"

step "dpkg -i linux-image, dpkg --purge"
# A small initrd (no modules) keeps mkinitramfs short; its size is not under test.
mkdir -p /etc/initramfs-tools/conf.d
echo MODULES=list >/etc/initramfs-tools/conf.d/small.conf
dpkg -i "$kdeb" >/tmp/kdeb.log 2>&1 || { tail -n 30 /tmp/kdeb.log; die "dpkg -i $kdeb"; }
grep -E "kernel-install|systemd-boot|ukit" /tmp/kdeb.log || true
# On Debian 12 too the UKI keeps its .initrd through the second
# kernel-install call, which passes none (60-ukit.install finds it in /boot).
check_uki
dpkg --purge "linux-image-$kver" >/tmp/kpurge.log 2>&1 || { tail -n 30 /tmp/kpurge.log; die "dpkg --purge linux-image-$kver"; }
[ -z "$(ls /boot/efi/EFI/Linux/*"$kver"* 2>/dev/null)" ] || die "dpkg --purge left $(ls /boot/efi/EFI/Linux)"

step "dpkg --purge ukit"
files=$(dpkg -L ukit)
dpkg --purge ukit
for f in $files; do
        [ -d "$f" ] && continue
        [ -e "$f" ] && die "$f left after purge"
done
cmp /tmp/uki.conf.orig /etc/kernel/uki.conf || die "/etc/kernel/uki.conf changed or removed"
rm -f /etc/kernel/install.conf /etc/kernel/install.d/60-ukify.install /etc/initramfs-tools/conf.d/small.conf
snapshot >/tmp/after
if comm -3 /tmp/before /tmp/after | grep -i ukit; then die "ukit files differ after purge (above)"; fi
echo "[$rel] OK"
'


# deb_root_check REL LOWER: the checks above in an overlay of LOWER.
deb_root_check() {
        local rel=$1 lower=$2 kdeb
        [ "$(id -u)" = 0 ] || skip "needs root (mount namespaces, overlayfs)"
        need unshare
        ki_kernel
        kdeb=$(ls "$UKIT_CACHE"/linux-image-"$KVER"_*.deb | tail -n1)
        deb_build
        echo "=== Debian $rel"
        deb_root_run "$lower" "$T/root$rel" "$inside" root "$rel" "$KVER" "/deb/$(basename "$DEB")" "/cache/$(basename "$kdeb")" ||
                fail "Debian $rel root"
        echo "Debian $rel OK"
}
