#!/usr/bin/env bash
# `ukit update` vs systemd-sysupdate 257 (the Debian 13 oracle root) vs the
# floor (`curl -o` + `sha256sum` + `cp` of the same bytes), same run: a
# 256 MiB payload from a loopback HTTP server (python3 http.server), url-file
# source, regular-file target (partition targets are not implemented yet;
# see ukit-update(1)), SHA256SUMS checked. ukit also runs with the
# signature (SHA256SUMS.gpg, gpgv); 257 without it, since its keyring is the
# oracle root's own /etc. The runner's cost for 257 (namespace + chroot,
# timed with `true`) is taken off. Prints medians and the ratios to the
# floor (issue 15: ukit <= 1.2x the floor and faster than sysupdate).
#   usage: bench/update.sh [RUNS] [MIB]   (UKIT=path/to/ukit)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
UKIT=$(realpath "${UKIT:-$top/build/src/ukit/ukit}")
runs=${1:-3}
mib=${2:-256}
root=$(bash "$top/scripts/fetch-oracle-257.sh")
work=$(mktemp -d "${BENCH_DIR:-/var/tmp}/ukit-bench.XXXXXX")
www=$work/www
mkdir -p "$www" "$work/tgt" "$work/defs" "$work/root/etc/systemd" "$work/root/etc/sysupdate.d"
export GNUPGHOME=$work/gnupg
mkdir -m 700 "$GNUPGHOME"
gpg --batch --quiet --passphrase '' --quick-gen-key "bench <b@example.invalid>" ed25519 sign never 2>/dev/null
gpg --batch --export >"$work/root/etc/systemd/import-pubring.pgp"
openssl rand -out "$www/img_1.raw" $((mib * 1024 * 1024))
(cd "$www" && sha256sum img_1.raw >SHA256SUMS && gpg --batch --quiet --detach-sign -o SHA256SUMS.gpg SHA256SUMS)
port=$((20000 + RANDOM % 20000))
python3 -m http.server --bind 127.0.0.1 --directory "$www" "$port" >/dev/null 2>&1 &
http_pid=$!
trap 'kill $http_pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/" >/dev/null 2>&1 && break; sleep 0.1; done
url=http://127.0.0.1:$port
transfer() { # VERIFY TARGETDIR
        printf '[Transfer]\nVerify=%s\n[Source]\nType=url-file\nPath=%s\nMatchPattern=img_@v.raw\n[Target]\nType=regular-file\nPath=%s\nMatchPattern=img_@v.raw\n' "$1" "$url" "$2"
}
transfer no "$work/tgt" >"$work/defs/50-img.transfer"
transfer yes /tgt >"$work/root/etc/sysupdate.d/50-img.transfer"
mkdir -p "$work/root/tgt"

t() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N); echo "$e - $s" | bc; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
in257() { ORACLE_ROOT=$root bash "$top/scripts/oracle-257-run.sh" --bind "$work" "$@"; }
floor() {
        curl -fso "$work/tgt/dl" "$url/img_1.raw"
        (cd "$work/tgt" && sha256sum dl >/dev/null)
        cp "$work/tgt/dl" "$work/tgt/img_1.raw" && sync -f "$work/tgt/img_1.raw"
}
for i in $(seq "$runs"); do
        rm -rf "$work/tgt"/* "$work/root/tgt"/*; sync
        t floor >>"$work/floor"
        rm -rf "$work/tgt"/*; sync
        t "$UKIT" update --definitions="$work/defs" update >>"$work/ukit"
        cmp -s "$www/img_1.raw" "$work/tgt/img_1.raw" || { echo "ukit: wrong content" >&2; exit 1; }
        t "$UKIT" update --root="$work/root" update >>"$work/ukitsig"
        cmp -s "$www/img_1.raw" "$work/root/tgt/img_1.raw" || { echo "ukit (signed): wrong content" >&2; exit 1; }
        rm -rf "$work/tgt"/*; sync
        t in257 true >>"$work/runner"
        t in257 /usr/lib/systemd/systemd-sysupdate --definitions="$work/defs" update >>"$work/su"
        cmp -s "$www/img_1.raw" "$work/tgt/img_1.raw" || { echo "sysupdate 257: wrong content" >&2; exit 1; }
done
f=$(median <"$work/floor"); u=$(median <"$work/ukit"); us=$(median <"$work/ukitsig")
r=$(median <"$work/runner"); s=$(echo "$(median <"$work/su") - $r" | bc)
printf 'payload %d MiB, %d runs, medians (s): floor %.3f  ukit %.3f  ukit+gpg %.3f  sysupdate-257 %.3f\n' "$mib" "$runs" "$f" "$u" "$us" "$s"
printf 'ukit/floor %.2f  ukit+gpg/floor %.2f  sysupdate/ukit %.2f\n' "$(echo "$u / $f" | bc -l)" "$(echo "$us / $f" | bc -l)" "$(echo "$s / $u" | bc -l)"
