#!/usr/bin/env bash
# Makes sure the package layer for installing ukit's .deb into the Debian 13
# root exists: man-db and bash-completion (which the systemd 257 oracle root,
# scripts/fetch-oracle-257.sh, does not hold) installed into an overlayfs
# upper directory on top of that root. The oracle root itself is never
# changed: tests mount LAYER:ORACLE as the lower layers of their own overlay.
# Built once into the cache directory, rebuilt when the oracle is; prints
# the layer's path.
#
# usage: scripts/fetch-trixie-layer.sh [CACHE_DIR]   (default $UKIT_CACHE or /var/cache/ukit)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${1:-${UKIT_CACHE:-/var/cache/ukit}}
oracle=$(bash "$top/scripts/fetch-oracle-257.sh" "$cache")
layer=$cache/trixie-257-pkg-layer
packages="man-db bash-completion"
# The layer belongs to one build of the oracle and one package list.
want="$(stat -c %Y "$oracle/.ukit-oracle-complete") $packages"
stamp=$layer.complete

ready() { [ -d "$layer" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; }

if ! ready; then
        (
                flock 9
                ready && exit 0
                tmp=$(mktemp -d "$cache/.trixie-layer.XXXXXX")
                trap 'rm -rf "$tmp"' EXIT
                mkdir "$tmp/upper" "$tmp/work" "$tmp/mnt"
                echo "fetch-trixie-layer: installing $packages over $oracle" >&2
                unshare --mount --propagation private -- bash -euc '
                        oracle=$1 tmp=$2; shift 2
                        mount -t overlay overlay -o "lowerdir=$oracle,upperdir=$tmp/upper,workdir=$tmp/work" "$tmp/mnt"
                        mount -t proc proc "$tmp/mnt/proc"
                        mount --rbind /dev "$tmp/mnt/dev"
                        mount -t tmpfs tmpfs "$tmp/mnt/tmp"
                        chroot "$tmp/mnt" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
                                sh -c "apt-get update -qq && apt-get install -y -qq --no-install-recommends $* && apt-get clean"
                ' layer "$oracle" "$tmp" $packages >"$cache/.trixie-layer.log" 2>&1 ||
                        { tail -n 20 "$cache/.trixie-layer.log" >&2; exit 1; }
                rm -rf "$tmp/upper/var/lib/apt/lists" "$tmp/upper/tmp"
                rm -rf "$layer" "$stamp"
                mv "$tmp/upper" "$layer"
                echo "$want" >"$stamp"
        ) 9>"$cache/.trixie-layer.lock"
        ready || { echo "fetch-trixie-layer: no layer at $layer" >&2; exit 1; }
fi
echo "$layer"
