#!/usr/bin/env bash
# Runs a command inside the systemd 257 oracle root (scripts/fetch-oracle-257.sh)
# in a private mount namespace: the root is bind-mounted onto itself (so it
# is a mount point, which systemd-dissect needs), /dev is rbound, proc and
# sysfs are mounted, and every --bind DIR is mounted at the same path inside,
# so paths given to the tool mean the same on both sides; --bind-file SRC
# DST mounts the host file SRC over the root's existing file DST (e.g. a
# test keyring over /usr/lib/systemd/import-pubring.gpg). Nothing is left on
# the host's mount table, nothing in the root is changed.
#
# usage: scripts/oracle-257-run.sh [--bind DIR]... [--bind-file SRC DST]... [--] CMD [ARG]...
#   env: UKIT_CACHE (default /var/cache/ukit), ORACLE_ROOT (overrides)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
binds=() files=()
while [ $# -gt 0 ]; do
        case "$1" in
        --bind) binds+=("$(realpath "$2")"); shift 2 ;;
        --bind-file) files+=("$(realpath "$2")" "$3"); shift 3 ;;
        --) shift; break ;;
        *) break ;;
        esac
done
[ $# -gt 0 ] || { echo "usage: oracle-257-run.sh [--bind DIR]... CMD [ARG]..." >&2; exit 2; }
root=${ORACLE_ROOT:-$(bash "$top/scripts/fetch-oracle-257.sh")}

# The inner script gets the root, the bind count, the binds, then the command.
exec unshare --mount --propagation private -- bash -euc '
        root=$1; n=$2; nf=$3; shift 3
        mount --bind "$root" "$root"
        mount --rbind /dev "$root/dev"
        mount -t proc proc "$root/proc"
        mount -t sysfs sysfs "$root/sys" 2>/dev/null || mount --rbind /sys "$root/sys"
        mkdir -p "$root/run" "$root/tmp"
        mount -t tmpfs tmpfs "$root/run"
        for ((i = 0; i < n; i++)); do
                d=$1; shift
                mkdir -p "$root$d"
                mount --bind "$d" "$root$d"
        done
        for ((i = 0; i < nf; i++)); do
                [ -f "$root$2" ] || { echo "oracle-257-run: $2 is not a file in the root" >&2; exit 2; }
                mount --bind "$1" "$root$2"
                shift 2
        done
        exec chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
                HOME=/root LANG=C.UTF-8 SYSTEMD_LOG_COLOR=0 "$@"
' oracle-257 "$root" "${#binds[@]}" "$((${#files[@]} / 2))" "${binds[@]}" "${files[@]}" "$@"
