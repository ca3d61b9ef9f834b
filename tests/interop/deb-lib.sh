# Helpers for the Debian package tests (sourced after tests/lib.sh). Not a
# test itself: scripts/test.sh only runs test-*.sh.
#
#   deb_build        builds ukit's .deb from the source tree with
#                    dpkg-buildpackage (once per tree content: cached under
#                    the normal build dir, shared by the ASan run); sets
#                    DEB (the .deb) and DEB_CHANGES (the .changes)
#   deb_root_run ROOT_LOWER UPPER SCRIPT [ARG]...
#                    runs SCRIPT (a bash script text) as root inside an
#                    overlay of ROOT_LOWER (a root, or "layer:root") with the
#                    upper directory UPPER, in a private mount namespace:
#                    ROOT_LOWER is never written, nothing stays mounted. The
#                    directory of $DEB and $UKIT_CACHE are bound read-only at
#                    /deb and /cache.

deb_build() {
        need dpkg-buildpackage dh sha256sum tar
        local cache key src
        # build-asan runs the interop tests a second time: same package.
        cache=${UKIT_BUILD%-asan}/deb
        mkdir -p "$cache"
        # The tree as git sees it (tracked and new files, not ignored ones),
        # so uncommitted work is packaged and build dirs are not.
        src=$T/deb-src.tar
        if git -C "$UKIT_TOP" rev-parse --git-dir >/dev/null 2>&1; then
                (cd "$UKIT_TOP" && git ls-files -z -co --exclude-standard |
                        while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done >"$T/deb-src.list")
        else
                (cd "$UKIT_TOP" && find . -path './build*' -prune -o -path './obj-*' -prune -o -type f -print0 >"$T/deb-src.list")
        fi
        (cd "$UKIT_TOP" && tar --null -T "$T/deb-src.list" -cf "$src")
        # The key: names and contents (not times), so an unchanged tree reuses
        # the package. tests/ is not part of it: debian/rules builds with
        # -Dtests=false, so nothing under tests/ reaches the package.
        key=$(cd "$UKIT_TOP" && xargs -0 sha256sum <"$T/deb-src.list" | grep -v '  tests/' | sort -k2 |
                sha256sum | cut -c1-16)
        (
                flock 9
                [ -f "$cache/$key/done" ] && exit 0
                rm -rf "$cache"/[0-9a-f]*[0-9a-f] "$cache/work"
                mkdir -p "$cache/work/ukit" "$cache/$key"
                tar -xf "$src" -C "$cache/work/ukit"
                echo "deb_build: dpkg-buildpackage in $cache/work/ukit" >&2
                # nocheck: the build's own tests are off anyway (debian/rules);
                # noautodbgsym: the -dbgsym package is not under test.
                if ! (cd "$cache/work/ukit" && DEB_BUILD_OPTIONS="nocheck noautodbgsym" \
                        dpkg-buildpackage -us -uc -b >"$cache/$key/build.log" 2>&1); then
                        tail -n 30 "$cache/$key/build.log" >&2
                        exit 1
                fi
                mv "$cache"/work/*.deb "$cache"/work/*.changes "$cache"/work/*.buildinfo "$cache/$key/"
                rm -rf "$cache/work"
                touch "$cache/$key/done"
        ) 9>"$cache/.lock" || fail "dpkg-buildpackage failed (log: $cache/$key/build.log)"
        DEB=$(ls "$cache/$key"/ukit_*_amd64.deb)
        DEB_CHANGES=$(ls "$cache/$key"/ukit_*_amd64.changes)
        [ -f "$DEB" ] || fail "no ukit .deb in $cache/$key"
}

deb_root_run() {
        local lower=$1 upper=$2
        shift 2
        mkdir -p "$upper/upper" "$upper/work" "$upper/mnt"
        unshare --mount --propagation private -- bash -euc '
                lower=$1 up=$2 debdir=$3 cache=$4; shift 4
                m=$up/mnt
                mount -t overlay overlay -o "lowerdir=$lower,upperdir=$up/upper,workdir=$up/work" "$m"
                mount --rbind /dev "$m/dev"
                mount -t proc proc "$m/proc"
                mount -t sysfs sysfs "$m/sys" 2>/dev/null || mount --rbind /sys "$m/sys"
                mount -t tmpfs tmpfs "$m/run"
                mount -t tmpfs tmpfs "$m/tmp"
                mkdir -p "$m/deb" "$m/cache"
                mount --bind "$debdir" "$m/deb"; mount -o remount,bind,ro "$m/deb"
                mount --bind "$cache" "$m/cache"; mount -o remount,bind,ro "$m/cache"
                exec chroot "$m" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
                        HOME=/root LANG=C.UTF-8 SYSTEMD_LOG_COLOR=0 DEBIAN_FRONTEND=noninteractive \
                        bash -euo pipefail -c "$@"
        ' deb-root "$lower" "$upper" "$(dirname "$DEB")" "$UKIT_CACHE" "$@"
}
