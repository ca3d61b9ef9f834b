#!/usr/bin/env bash
# Makes sure a Debian 12 (bookworm) root exists for the tests that install a
# kernel package the way Debian does (dpkg -i, its postinst hooks,
# initramfs-tools, kernel-install 252, systemd-boot's hooks) without touching
# the host's /boot or dpkg database: debootstrap once into the cache
# directory, reused; the tests use it as the lower layer of an overlay.
# Prints the root's path.
#
# usage: scripts/fetch-bookworm-root.sh [CACHE_DIR]   (default $UKIT_CACHE or /var/cache/ukit)
set -euo pipefail
cache=${1:-${UKIT_CACHE:-/var/cache/ukit}}
mkdir -p "$cache"
root=$cache/bookworm-252
stamp=$root/.ukit-root-complete
# Bumped when the package list changes, so an old cached root is rebuilt.
want=1
packages=systemd,systemd-boot,systemd-boot-efi,initramfs-tools,linux-base,kmod,udev,zstd,binutils,dosfstools

ready() { [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; }

if ! ready; then
        (
                flock 9
                ready && exit 0
                command -v debootstrap >/dev/null || {
                        [ "$(id -u)" = 0 ] || { echo "fetch-bookworm-root: debootstrap missing and not root" >&2; exit 1; }
                        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
                }
                tmp=$(mktemp -d "$cache/.bookworm.XXXXXX")
                trap 'umount -R "$tmp/proc" 2>/dev/null || true; rm -rf "$tmp"' EXIT
                echo "fetch-bookworm-root: debootstrap bookworm into $root (a few minutes)" >&2
                debootstrap --variant=minbase --include="$packages" bookworm "$tmp" >"$cache/.bookworm-debootstrap.log" 2>&1 ||
                        echo "fetch-bookworm-root: debootstrap reported an error; completing with apt-get" >&2
                [ -x "$tmp/usr/bin/apt-get" ] || { tail -n 20 "$cache/.bookworm-debootstrap.log" >&2; exit 1; }
                mkdir -p "$tmp/proc"
                mount -t proc proc "$tmp/proc"
                export DEBIAN_FRONTEND=noninteractive
                chroot "$tmp" apt-get -f install -y -qq >/dev/null 2>&1 || true
                chroot "$tmp" dpkg --configure -a >/dev/null 2>&1 || true
                for f in usr/bin/kernel-install usr/bin/bootctl usr/sbin/update-initramfs usr/sbin/mkinitramfs \
                         etc/kernel/postinst.d/initramfs-tools etc/kernel/postinst.d/zz-systemd-boot \
                         etc/initramfs/post-update.d/systemd-boot usr/lib/kernel/install.d/85-initrd.install \
                         usr/lib/systemd/boot/efi/systemd-bootx64.efi usr/bin/objcopy; do
                        [ -e "$tmp/$f" ] || { echo "fetch-bookworm-root: $f missing in the bookworm root" >&2; exit 1; }
                done
                umount "$tmp/proc"
                echo "$want" >"$tmp/.ukit-root-complete"
                rm -rf "$root"
                mv "$tmp" "$root"
                trap - EXIT
        ) 9>"$cache/.bookworm.lock"
        ready || { echo "fetch-bookworm-root: no root at $root" >&2; exit 1; }
fi
echo "$root"
