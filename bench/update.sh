#!/usr/bin/env bash
# `ukit update` vs systemd-sysupdate 257 (the Debian 13 oracle root) vs the
# floor, same run, a 256 MiB payload from a loopback HTTP server (python3
# http.server), url-file source, SHA256SUMS checked, two cases:
#  1. regular-file target; floor `curl -o` + `sha256sum` + `cp`. ukit also
#     runs with the signature (SHA256SUMS.gpg, gpgv), 257 without it.
#  2. (issue 15's case) a 256 MiB partition slot of a GPT disk image, with
#     checksum and signature for both tools (257 gets the bench keyring
#     mounted over its /usr/lib/systemd/import-pubring.gpg); floor `curl -o`
#     + `sha256sum` + `dd` of the same bytes into the slot (synced).
# The runner's cost for 257 (namespace + chroot, timed with `true`) is
# taken off. Prints medians and the ratios to the floor (issue 15: ukit
# <= 1.2x the floor and faster than sysupdate).
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
# case 2: slots of exactly the payload's size, A holds version 0
slot=$((mib * 1024 * 1024))
truncate -s $((2 * mib + 4))M "$work/disk.img"
printf 'label: gpt\nsize=%dMiB, type=8484680c-9521-48c6-9c11-b0720656f69e, name=usr_0\nsize=%dMiB, type=8484680c-9521-48c6-9c11-b0720656f69e, name=_empty\n' "$mib" "$mib" | sfdisk -q "$work/disk.img"
slot_b=$(sfdisk --json "$work/disk.img" | jq '.partitiontable.partitions[1].start * 512')
(cd "$www" && cp img_1.raw usr_1.raw && sha256sum img_1.raw usr_1.raw >SHA256SUMS &&
        rm -f SHA256SUMS.gpg && gpg --batch --quiet --detach-sign -o SHA256SUMS.gpg SHA256SUMS)
mkdir -p "$work/pdefs"
printf '[Transfer]\nVerify=yes\n[Source]\nType=url-file\nPath=%s\nMatchPattern=usr_@v.raw\n[Target]\nType=partition\nPath=%s\nMatchPartitionType=usr\nMatchPattern=usr_@v\n' \
        "$url" "$work/disk.img" >"$work/pdefs/50-usr.transfer"
gpg --batch --export >"$work/keyring.gpg"
slot_ok() { # the slot labelled usr_1 holds the payload
        [ "$(sfdisk --json "$work/disk.img" | jq -r '.partitiontable.partitions[1].name')" = usr_1 ] &&
                [ "$(dd if="$work/disk.img" bs=1M skip=$((slot_b / 1048576)) count="$mib" status=none | sha256sum)" = "$(sha256sum <"$www/usr_1.raw")" ]
}
empty_b() { sfdisk -q --part-label "$work/disk.img" 2 _empty; dd if=/dev/zero of="$work/disk.img" bs=1M seek=$((slot_b / 1048576)) count="$mib" conv=notrunc status=none; sync; }
pfloor() {
        curl -fso "$work/dl" "$url/usr_1.raw"
        sha256sum "$work/dl" >/dev/null
        dd if="$work/dl" of="$work/disk.img" bs=1M seek=$((slot_b / 1048576)) conv=notrunc,fdatasync status=none
        rm -f "$work/dl"
}

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
        rm -rf "$work/tgt"/*
        empty_b; t pfloor >>"$work/pfloor"
        empty_b; t "$UKIT" update --root="$work/root" --definitions="$work/pdefs" update >>"$work/pukit"
        slot_ok || { echo "ukit (partition): wrong slot" >&2; exit 1; }
        empty_b; t in257 --bind-file "$work/keyring.gpg" /usr/lib/systemd/import-pubring.gpg \
                /usr/lib/systemd/systemd-sysupdate --definitions="$work/pdefs" update >>"$work/psu"
        slot_ok || { echo "sysupdate 257 (partition): wrong slot" >&2; exit 1; }
done
f=$(median <"$work/floor"); u=$(median <"$work/ukit"); us=$(median <"$work/ukitsig")
r=$(median <"$work/runner"); s=$(echo "$(median <"$work/su") - $r" | bc)
printf 'payload %d MiB, %d runs, medians (s): floor %.3f  ukit %.3f  ukit+gpg %.3f  sysupdate-257 %.3f\n' "$mib" "$runs" "$f" "$u" "$us" "$s"
printf 'ukit/floor %.2f  ukit+gpg/floor %.2f  sysupdate/ukit %.2f\n' "$(echo "$u / $f" | bc -l)" "$(echo "$us / $f" | bc -l)" "$(echo "$s / $u" | bc -l)"
pf=$(median <"$work/pfloor"); pu=$(median <"$work/pukit"); ps=$(echo "$(median <"$work/psu") - $r" | bc)
printf 'partition slot, checksum + signature, medians (s): floor %.3f  ukit %.3f  sysupdate-257 %.3f\n' "$pf" "$pu" "$ps"
printf 'partition: ukit/floor %.2f  sysupdate/floor %.2f  sysupdate/ukit %.2f\n' "$(echo "$pu / $pf" | bc -l)" \
        "$(echo "$ps / $pf" | bc -l)" "$(echo "$ps / $pu" | bc -l)"
