#!/usr/bin/env bash
# Makes sure the arm64 pieces of the arm64 boot test are in the cache: the
# Debian kernel (the package linux-image-arm64 depends on) and busybox-static,
# both for arm64, downloaded from the host's Debian mirror with a private apt
# state (no `dpkg --add-architecture`: the host is not changed). Prints the
# directory holding
#   vmlinuz-VER         the kernel (an EFI-stub Image, i.e. a PE file)
#   modules/*.ko        efivarfs (a module in Debian's kernel)
#   busybox             static arm64 busybox
# usage: scripts/fetch-arm64.sh [CACHE_DIR]   (default $UKIT_CACHE or /var/cache/ukit)
set -euo pipefail
cache=${1:-${UKIT_CACHE:-/var/cache/ukit}}
out=$cache/arm64
mkdir -p "$cache"

if [ -f "$out/.complete" ]; then echo "$out"; exit 0; fi
(
        flock 9
        [ -f "$out/.complete" ] && exit 0
        tmp=$(mktemp -d "$cache/.arm64.XXXXXX")
        trap 'rm -rf "$tmp"' EXIT
        apt=$tmp/apt
        mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$tmp/debs" "$tmp/x"
        : >"$apt/status"
        cat >"$apt/apt.conf" <<CONF
APT::Architecture "arm64";
APT::Architectures { "arm64"; };
Dir::State::Lists "$apt/lists";
Dir::State::status "$apt/status";
Dir::Cache "$apt/cache";
CONF
        export APT_CONFIG=$apt/apt.conf
        apt-get update -qq -o APT::Sandbox::User=root >&2
        pkg=$(apt-cache depends linux-image-arm64 | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
        [ -n "$pkg" ] || { echo "fetch-arm64: cannot resolve linux-image-arm64" >&2; exit 1; }
        echo "fetch-arm64: downloading $pkg and busybox-static (arm64)" >&2
        (cd "$tmp/debs" && apt-get download -qq -o APT::Sandbox::User=root "$pkg" busybox-static >&2)
        ver=${pkg#linux-image-}
        dpkg-deb --fsys-tarfile "$tmp"/debs/linux-image-*.deb |
                tar -x -C "$tmp/x" --wildcards "./boot/vmlinuz-$ver" "./lib/modules/$ver/kernel/fs/efivarfs/efivarfs.ko"
        dpkg-deb -x "$tmp"/debs/busybox-static_*.deb "$tmp/x"
        rm -rf "$out.new"; mkdir -p "$out.new/modules"
        mv "$tmp/x/boot/vmlinuz-$ver" "$out.new/"
        mv "$tmp/x/lib/modules/$ver/kernel/fs/efivarfs/efivarfs.ko" "$out.new/modules/"
        mv "$tmp/x/bin/busybox" "$out.new/busybox"
        touch "$out.new/.complete"
        rm -rf "$out"; mv "$out.new" "$out"
) 9>"$cache/.arm64.lock"
[ -f "$out/.complete" ] || { echo "fetch-arm64: no arm64 files in $out" >&2; exit 1; }
echo "$out"
