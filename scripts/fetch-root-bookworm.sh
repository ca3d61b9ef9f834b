#!/usr/bin/env bash
# Makes sure a minimal Debian 12 (bookworm) root exists, for the tests that
# install ukit's .deb into a fresh Debian 12 system (tests/interop/test-deb-*.sh)
# and those that install a kernel package the way Debian does
# (test-kernel-install-debian-dpkg.sh: dpkg -i, its postinst hooks):
# systemd (kernel-install 252, systemd-analyze), systemd-boot (bootctl and
# Debian's kernel/initramfs hooks), initramfs-tools and linux-base (what a
# linux-image .deb needs), man-db and bash-completion. Built once into the
# cache directory with debootstrap and reused; prints the root's path.
#
# usage: scripts/fetch-root-bookworm.sh [CACHE_DIR]   (default $UKIT_CACHE or /var/cache/ukit)
#
# Tests never change this root: they mount an overlay with it as the lower
# layer in a private mount namespace (as with the trixie-257 oracle root).
set -euo pipefail
cache=${1:-${UKIT_CACHE:-/var/cache/ukit}}
mkdir -p "$cache"
root=$cache/bookworm
stamp=$root/.ukit-root-complete
# Bumped when the package list changes, so an old cached root is rebuilt.
want=2
packages=systemd,systemd-sysv,systemd-boot,systemd-boot-efi,udev,kmod,initramfs-tools,linux-base,man-db,bash-completion,binutils,dosfstools,cpio,zstd,libarchive13,libcurl4

ready() { [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; }

if ! ready; then
        (
                flock 9
                ready && exit 0
                command -v debootstrap >/dev/null || {
                        [ "$(id -u)" = 0 ] || { echo "fetch-root-bookworm: debootstrap missing and not root" >&2; exit 1; }
                        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
                }
                tmp=$(mktemp -d "$cache/.bookworm.XXXXXX")
                trap 'umount -R "$tmp/proc" 2>/dev/null || true; rm -rf "$tmp"' EXIT
                echo "fetch-root-bookworm: debootstrap bookworm into $root (a few minutes)" >&2
                debootstrap --variant=minbase --include="$packages" bookworm "$tmp" >"$cache/.bookworm-debootstrap.log" 2>&1 ||
                        echo "fetch-root-bookworm: debootstrap reported an error; completing with apt-get" >&2
                [ -x "$tmp/usr/bin/apt-get" ] || { tail -n 20 "$cache/.bookworm-debootstrap.log" >&2; exit 1; }
                mkdir -p "$tmp/proc"
                mount -t proc proc "$tmp/proc"
                export DEBIAN_FRONTEND=noninteractive
                chroot "$tmp" apt-get -f install -y -qq >/dev/null 2>&1 || true
                chroot "$tmp" dpkg --configure -a >/dev/null 2>&1 || true
                # minbase excludes man pages (dpkg path-exclude): man -w must find ukit's.
                rm -f "$tmp/etc/dpkg/dpkg.cfg.d/excludes"
                for f in usr/bin/kernel-install usr/bin/bootctl usr/bin/systemd-analyze usr/bin/man \
                         usr/share/bash-completion/bash_completion usr/sbin/update-initramfs \
                         etc/kernel/postinst.d/zz-systemd-boot etc/initramfs/post-update.d/systemd-boot \
                         etc/kernel/postinst.d/initramfs-tools usr/lib/kernel/install.d/85-initrd.install \
                         usr/lib/systemd/boot/efi/systemd-bootx64.efi usr/bin/objcopy usr/sbin/mkinitramfs; do
                        [ -e "$tmp/$f" ] || { echo "fetch-root-bookworm: $f missing in the bookworm root" >&2; exit 1; }
                done
                umount "$tmp/proc"
                echo "$want" >"$tmp/.ukit-root-complete"
                rm -rf "$root"
                mv "$tmp" "$root"
                trap - EXIT
        ) 9>"$cache/.bookworm.lock"
        ready || { echo "fetch-root-bookworm: no root at $root" >&2; exit 1; }
fi
echo "$root"
