#!/usr/bin/env bash
# Makes sure the systemd 257 oracle exists: a Debian 13 (trixie) root made
# with debootstrap, holding ukify, systemd-measure, systemd-sbsign,
# systemd-repart/dissect/sysext, kernel-install (60-ukify, 90-uki-copy),
# systemd-sysupdate and the 257 stubs. Built once into the cache directory
# and reused; prints the root's path.
#
# usage: scripts/fetch-oracle-257.sh [CACHE_DIR]   (default $UKIT_CACHE or /var/cache/ukit)
#
# Tests run the tools with scripts/oracle-257-run.sh (proc/dev/sys mounted in
# a private mount namespace, never on the host's mount table).
set -euo pipefail
cache=${1:-${UKIT_CACHE:-/var/cache/ukit}}
mkdir -p "$cache"
root=$cache/trixie-257
stamp=$root/.ukit-oracle-complete
# Bumped when the package list changes, so an old cached root is rebuilt.
want=3
packages=systemd,systemd-boot-efi,systemd-ukify,python3-pefile,systemd-repart,systemd-container,sbsigntool,openssl,udev,kmod,dosfstools,mtools,cpio,zstd,erofs-utils,squashfs-tools,fdisk,python3-cryptography,initramfs-tools,systemd-boot,jq,binutils,mkosi,apt,gnupg,debian-archive-keyring,ca-certificates,libarchive-tools,systemd-sysv

ready() { [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; }

if ! ready; then
        (
                flock 9
                ready && exit 0
                command -v debootstrap >/dev/null || {
                        [ "$(id -u)" = 0 ] || { echo "fetch-oracle-257: debootstrap missing and not root" >&2; exit 1; }
                        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
                }
                # debootstrap of trixie needs the trixie keyring; bookworm's
                # debian-archive-keyring has it since 2023.3+deb12u1.
                tmp=$(mktemp -d "$cache/.trixie.XXXXXX")
                trap 'umount -R "$tmp/proc" 2>/dev/null || true; rm -rf "$tmp"' EXIT
                echo "fetch-oracle-257: debootstrap trixie into $root (about 3 minutes)" >&2
                # debootstrap can stop while configuring a few packages
                # (python3-zstandard, systemd-container); finished below.
                debootstrap --variant=minbase --include="$packages" trixie "$tmp" >"$cache/.trixie-debootstrap.log" 2>&1 ||
                        echo "fetch-oracle-257: debootstrap reported an error; completing with apt-get" >&2
                [ -x "$tmp/usr/bin/apt-get" ] || { tail -n 20 "$cache/.trixie-debootstrap.log" >&2; exit 1; }
                mkdir -p "$tmp/proc"
                mount -t proc proc "$tmp/proc"
                export DEBIAN_FRONTEND=noninteractive
                chroot "$tmp" apt-get install -y -qq python3-cffi-backend dbus >/dev/null 2>&1 || true
                chroot "$tmp" apt-get -f install -y -qq >/dev/null 2>&1 || true
                chroot "$tmp" dpkg --configure -a >/dev/null 2>&1 || true
                # The tools the tests use must all be there.
                for f in usr/bin/ukify usr/lib/systemd/systemd-measure usr/bin/kernel-install \
                         usr/bin/systemd-repart usr/bin/systemd-dissect usr/bin/bootctl \
                         usr/lib/systemd/boot/efi/linuxx64.efi.stub usr/lib/systemd/boot/efi/addonx64.efi.stub \
                         usr/lib/systemd/boot/efi/systemd-bootx64.efi usr/lib/systemd/systemd-sysupdate \
                         usr/bin/mkosi; do
                        [ -e "$tmp/$f" ] || { echo "fetch-oracle-257: $f missing in the trixie root" >&2; exit 1; }
                done
                umount "$tmp/proc"
                echo "$want" >"$tmp/.ukit-oracle-complete"
                rm -rf "$root"
                mv "$tmp" "$root"
                trap - EXIT
        ) 9>"$cache/.trixie.lock"
        ready || { echo "fetch-oracle-257: no oracle root at $root" >&2; exit 1; }
fi
echo "$root"
