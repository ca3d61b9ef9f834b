#!/usr/bin/env bash
# ukit update from a url-file source into a GPT partition slot, the body
# streamed straight into the slot: judged by sfdisk (the labels) and the
# slots' bytes. A good payload (plain and xz) lands in the free slot and
# ukit writes no file but the disk (strace: no O_CREAT/O_TMPFILE, no other
# file opened for writing; TMPDIR stays empty). A server that stops
# mid-file, a body that does not match SHA256SUMS, a payload larger than
# the slot and a 404 each fail with one line and a non-zero exit, the
# free slot stays "_empty" and the other slot is byte-identical.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-http.sh"
need python3 curl sfdisk jq strace xz
W=$T/w
www=$T/www
USR=8484680c-9521-48c6-9c11-b0720656f69e
mkdir -p "$W/defs" "$www" "$T/tmpdir"
truncate -s 40M "$W/disk.img"
sfdisk -q "$W/disk.img" <<EOT
label: gpt
size=16M, type=$USR, name=usr_1
size=16M, type=$USR, name=_empty
EOT
start() { sfdisk --json "$W/disk.img" | jq ".partitiontable.partitions[$1].start"; }
psize() { sfdisk --json "$W/disk.img" | jq ".partitiontable.partitions[$1].size"; }
label() { sfdisk --json "$W/disk.img" | jq -r ".partitiontable.partitions[$1].name"; }
slot_sum() { dd if="$W/disk.img" bs=512 skip="$(start "$1")" count="$(psize "$1")" status=none | sha256sum; }
# slot_is N FILE: the first bytes of partition N (0-based) are FILE's
slot_is() {
        local sz
        sz=$(stat -c %s "$2")
        [ "$(dd if="$W/disk.img" bs=512 skip="$(start "$1")" count=$(((sz + 511) / 512)) status=none | head -c "$sz" | sha256sum)" = \
          "$(sha256sum <"$2")" ]
}
random_bytes 10000000 >"$T/usr_1.raw"
dd if="$T/usr_1.raw" of="$W/disk.img" bs=512 seek="$(start 0)" conv=notrunc status=none
slot0=$(slot_sum 0)

http_serve "$www" usr_5.raw      # usr_5.raw: stops mid-file

cat >"$W/defs/50-usr.transfer" <<EOT
[Transfer]
Verify=no
[Source]
Type=url-file
Path=http://127.0.0.1:$port
MatchPattern=usr_@v.raw usr_@v.raw.xz
[Target]
Type=partition
Path=$W/disk.img
MatchPartitionType=usr
MatchPattern=usr_@v
EOT
random_bytes 12000000 >"$T/usr_2.raw"
cp "$T/usr_2.raw" "$www/"
random_bytes 12000000 >"$T/usr_3.raw"
xz -1 -c "$T/usr_3.raw" >"$www/usr_3.raw.xz"
random_bytes 12000000 >"$T/usr_5.raw"                   # what the server would have sent
random_bytes 12000000 >"$www/usr_6.raw"                 # SHA256SUMS lists other bytes
random_bytes 17000000 >"$www/usr_7.raw"                 # larger than the 16 MiB slots
(cd "$www" && sha256sum usr_2.raw usr_3.raw.xz usr_7.raw >SHA256SUMS)
(cd "$T" && sha256sum usr_5.raw usr_3.raw) | sed 's/usr_3.raw/usr_6.raw/' >>"$www/SHA256SUMS"
echo "$(printf 'c%.0s' $(seq 64))  usr_8.raw" >>"$www/SHA256SUMS"   # listed, not on the server
u() { TMPDIR=$T/tmpdir "$UKIT" update --definitions="$W/defs" "$@"; }

# faults: one error line (besides the "Selected update" log line, as
# sysupdate has it), non-zero exit, the free slot stays "_empty", the other
# slot untouched
refused() { # WHAT VERSION PATTERN
        if u update "$2" >/dev/null 2>"$T/.out"; then fail "$1: succeeded unexpectedly"; fi
        [ "$(grep -v "^Selected update '$2' for install.$" "$T/.out" | grep -c .)" = 1 ] ||
                fail "$1: not one line: $(cat "$T/.out")"
        grep -q "$3" "$T/.out" || fail "$1: $(cat "$T/.out")"
        assert_eq "$(label 0) $(label 1)" "usr_1 _empty" "$1: labels"
        assert_eq "$(slot_sum 0)" "$slot0" "$1: the other slot"
        echo "ok $1: $(grep -v "^Selected update" "$T/.out")"
}
refused "stopped mid-file" 5 "usr_5.raw: .*transfer closed"
refused "wrong checksum" 6 "usr_6.raw: SHA-256 does not match SHA256SUMS"
refused "larger than the slot" 7 "disk.img (partition 2): the payload is larger than the partition"
refused "404" 8 "usr_8.raw: not found (HTTP 404)"
# a body that does not match is not even synced: the checksum is judged
# before the fdatasync that precedes any relabel (the good run below
# shows the fdatasync is seen)
nosan="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
strace -f -qq -e trace=fsync,fdatasync,syncfs,sync -o "$T/trace6" env ASAN_OPTIONS="$nosan" TMPDIR="$T/tmpdir" \
        "$UKIT" update --definitions="$W/defs" update 6 >/dev/null 2>&1 && fail "update 6 succeeded under strace"
! grep -E 'sync' "$T/trace6" || fail "a payload that does not match SHA256SUMS was synced to the disk"
echo "ok wrong checksum: not synced"
[ -z "$(ls -A "$T/tmpdir")" ] || fail "files left in TMPDIR: $(ls -A "$T/tmpdir")"

# a good payload: streamed into slot 2, and no file written but the disk
# SIGTERM while the body streams in: the slot keeps "_empty" (or, when the
# run got to the end first, is usr_2 with its bytes), slot 0 is untouched,
# and no temporary is left anywhere
termed=0
for d in 0.02 0.04 0.06 0.08 0.10 0.12; do
        rc=0
        TMPDIR=$T/tmpdir "$UKIT" update --definitions="$W/defs" update 2 >/dev/null 2>&1 &
        pid=$!; sleep "$d"; kill -TERM $pid 2>/dev/null || true; wait $pid || rc=$?
        [ $rc = 143 ] && termed=$((termed + 1))
        case "$(label 0) $(label 1)" in
        "usr_1 _empty") ;;
        "usr_1 usr_2") slot_is 1 "$T/usr_2.raw" || fail "SIGTERM after ${d}s: usr_2 labelled over other bytes"
                       sfdisk -q --part-label "$W/disk.img" 2 _empty ;;
        *) fail "SIGTERM after ${d}s: labels $(label 0) $(label 1)" ;;
        esac
        assert_eq "$(slot_sum 0)" "$slot0" "SIGTERM after ${d}s: the other slot"
        [ -z "$(ls -A "$T/tmpdir" 2>/dev/null)" ] || fail "SIGTERM after ${d}s: left in TMPDIR"
done
echo "ok SIGTERM during the stream ($termed of 6 runs stopped by it), slot still _empty"

# (LeakSanitizer cannot run under ptrace: off for this run of an ASan build)
strace -f -qq -e trace=open,openat,creat,mkdir,mkdirat,link,linkat,rename,renameat2,fdatasync -o "$T/trace" \
        env TMPDIR="$T/tmpdir" ASAN_OPTIONS="$nosan" "$UKIT" update --definitions="$W/defs" update 2 >"$T/.out" 2>&1 ||
        fail "update 2: $(cat "$T/.out")"
assert_eq "$(label 0) $(label 1)" "usr_1 usr_2" "update 2: labels"
slot_is 1 "$T/usr_2.raw" || fail "update 2: slot content"
assert_eq "$(slot_sum 0)" "$slot0" "update 2: the other slot"
grep -q "openat(.*\"$W/disk.img\", O_RDWR" "$T/trace" || fail "strace saw no write open of the disk: the check tests nothing"
grep -q "fdatasync(" "$T/trace" || fail "strace saw no fdatasync of the slot: the check of update 6 tests nothing"
bad=$(grep -E 'O_CREAT|O_TMPFILE|O_WRONLY|O_RDWR|creat\(|mkdir|link\(|linkat\(|rename' "$T/trace" | grep -v ' = -1 ' |
        grep -v "\"$W/disk.img\"" || true)
[ -z "$bad" ] || fail "files created or written besides the disk: $bad"
[ -z "$(ls -A "$T/tmpdir")" ] || fail "files left in TMPDIR: $(ls -A "$T/tmpdir")"
echo "ok streamed into the slot, no other file written"

# xz: decompressed on the way into the slot (usr_2 is the newest; vacuum
# empties usr_1 to make room, as 257 does)
u update 3 >"$T/.out" 2>&1 || fail "update 3 (xz): $(cat "$T/.out")"
assert_eq "$(label 0) $(label 1)" "usr_3 usr_2" "update 3 (xz): labels"
slot_is 0 "$T/usr_3.raw" || fail "update 3 (xz): slot content is not the decompressed payload"
echo "ok xz payload streamed"
