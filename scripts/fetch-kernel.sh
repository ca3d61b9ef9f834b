#!/usr/bin/env bash
# Makes sure a Debian kernel package (the .deb of the kernel linux-image-amd64
# depends on) is in the cache directory, downloading it with apt-get when
# there is none; prints its path. The tests and the demo take their real
# kernel from it (unpacked with dpkg-deb, never installed).
# usage: scripts/fetch-kernel.sh [CACHE_DIR]   (default $UKIT_CACHE or /var/cache/ukit)
set -euo pipefail
cache=${1:-${UKIT_CACHE:-/var/cache/ukit}}
mkdir -p "$cache"

newest() { ls "$cache"/linux-image-[0-9]*-amd64_*.deb 2>/dev/null | sort -V | tail -n1 || true; }

deb=$(newest)
if [ -z "$deb" ]; then
        (
                flock 9
                [ -n "$(newest)" ] && exit 0
                if ! ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1; then
                        apt-get update -qq >&2
                fi
                pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
                      awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
                [ -n "$pkg" ] || { echo "fetch-kernel: cannot resolve linux-image-amd64" >&2; exit 1; }
                echo "fetch-kernel: downloading $pkg into $cache" >&2
                cd "$cache" && apt-get download -qq -o APT::Sandbox::User=root "$pkg" >&2
        ) 9>"$cache/.download.lock"
        deb=$(newest)
        [ -n "$deb" ] || { echo "fetch-kernel: no kernel package in $cache" >&2; exit 1; }
fi
echo "$deb"
