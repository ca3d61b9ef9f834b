#!/usr/bin/env bash
# ukit update into GPT partition slots under faults, judged by sfdisk (the
# table) and the slots' bytes: SIGKILL at random points never leaves a slot
# labelled with a version whose bytes are not that version's payload, never
# a verity slot labelled before its data slot (definition order), the old
# version's slot is never touched, and the next run finishes; a set whose
# relabelling was cut short is completed; a damaged primary table is read
# from the backup and rewritten; a disk locked by someone else, a table
# damaged in both copies and a payload that does not fit are refused with
# one line naming the disk, the table unchanged.
. "$(dirname "$0")/../lib.sh"
need sfdisk jq
W=$T/w
USR=8484680c-9521-48c6-9c11-b0720656f69e
VER=77ff5f63-e7b6-4633-acf4-1565b864c0e6
mkdir -p "$W/src" "$W/defs"
truncate -s 200M "$W/disk.img"
sfdisk -q "$W/disk.img" <<EOT
label: gpt
size=64M, type=$USR, name=usr_1
size=64M, type=$USR, name=_empty
size=8M, type=$VER, name=usr-verity_1
size=8M, type=$VER, name=_empty
EOT
random_bytes 20000000 >"$W/src/usr_1.raw"
random_bytes 60000000 >"$W/src/usr_2.raw"
random_bytes 4000000 >"$W/src/usr_2.verity"
start() { sfdisk --json "$W/disk.img" | jq ".partitiontable.partitions[$1].start"; }
dd if="$W/src/usr_1.raw" of="$W/disk.img" bs=512 seek="$(start 0)" conv=notrunc status=none
for t in usr:usr_@v:.raw usr-verity:usr-verity_@v:.verity; do
        IFS=: read -r type pat suf <<<"$t"
        cat >"$W/defs/$type.transfer" <<EOT
[Source]
Type=regular-file
Path=$W/src
MatchPattern=usr_@v$suf
[Target]
Type=partition
Path=$W/disk.img
MatchPartitionType=$type
MatchPattern=$pat
EOT
done
(cd "$W/src" && sha256sum usr_2.raw usr_2.verity >SHA256SUMS)
u() { "$UKIT" update --definitions="$W/defs" "$@"; }
label() { sfdisk --json "$W/disk.img" | jq -r ".partitiontable.partitions[$1].name"; }
# slot_is N FILE: the first bytes of partition N (0-based) are FILE's
slot_is() {
        local st sz
        st=$(start "$1"); sz=$(stat -c %s "$2")
        [ "$(dd if="$W/disk.img" bs=512 skip="$st" count=$(((sz + 511) / 512)) status=none | head -c "$sz" | sha256sum)" = \
          "$(sha256sum <"$2")" ]
}

check() { # the invariants after kill $1
        sfdisk --json "$W/disk.img" >/dev/null 2>"$T/sfdisk.err" || fail "kill $1: sfdisk cannot read the table: $(cat "$T/sfdisk.err")"
        # A kill between a table copy's array and its header leaves that
        # copy damaged and the other whole, which sfdisk (and the kernel)
        # then read; the next run rebuilds it (checked after the loop).
        ! grep -v -e 'GPT table is corrupt, but the \(primary\|backup\) appears OK, so that will be used' "$T/sfdisk.err" ||
                fail "kill $1: sfdisk complains: $(cat "$T/sfdisk.err")"
        [ ! -s "$T/sfdisk.err" ] || echo "kill $1: $(cat "$T/sfdisk.err")"
        assert_eq "$(label 0) $(label 2)" "usr_1 usr-verity_1" "kill $1: the old version's labels"
        slot_is 0 "$W/src/usr_1.raw" || fail "kill $1: the old version's slot changed"
        case $(label 1) in
        _empty) [ "$(label 3)" = _empty ] || fail "kill $1: verity slot labelled before its data slot" ;;
        usr_2) slot_is 1 "$W/src/usr_2.raw" || fail "kill $1: slot labelled usr_2 holds other bytes" ;;
        *) fail "kill $1: unexpected label $(label 1)" ;;
        esac
        case $(label 3) in
        _empty) ;;
        usr-verity_2) slot_is 3 "$W/src/usr_2.verity" || fail "kill $1: slot labelled usr-verity_2 holds other bytes" ;;
        *) fail "kill $1: unexpected label $(label 3)" ;;
        esac
}

# 20 runs, each killed at a random point of the time an uninterrupted
# run takes; a run that finished is undone (slots relabelled "_empty") so
# that every run has something to interrupt
undo() { sfdisk -q --part-label "$W/disk.img" 2 _empty; sfdisk -q --part-label "$W/disk.img" 4 _empty; }
t0=$(date +%s%N); u update >/dev/null 2>&1 || fail "uninterrupted update"; t1=$(date +%s%N)
run_us=$(((t1 - t0) / 1000))
check 0
undo
kills=0
for i in $(seq 1 20); do
        u update >/dev/null 2>&1 &
        pid=$!
        sleep "$(printf '0.%06d' $((RANDOM * 32768 % (run_us > 999999 ? 999999 : run_us))))"
        kill -KILL $pid 2>/dev/null || true
        rc=0; wait $pid 2>/dev/null || rc=$?
        [ $rc = 137 ] && kills=$((kills + 1))
        check "$i"
        [ "$(label 3)" != usr-verity_2 ] || undo
done
[ $kills -ge 5 ] || fail "only $kills of 20 runs were interrupted; the loop tests nothing"
echo "ok $kills of 20 runs killed within ${run_us} us, invariants held"
u update >/dev/null 2>&1 || fail "update after the kills"
check final
[ ! -s "$T/sfdisk.err" ] || fail "after the kills, a completed run left a damaged copy: $(cat "$T/sfdisk.err")"
assert_eq "$(label 1) $(label 3)" "usr_2 usr-verity_2" "the update finished"
u --json=short list | jq -e '.current == "2"' >/dev/null || fail "list: current is not 2"

# a set cut short between its relabels (data labelled, verity not): the
# next run keeps the data slot, writes and labels the verity slot, and
# leaves usr_1 alone (257 makes no room in a transfer that has the version
# already: systemd-sysupdate 257.13 on this disk gives the same labels)
cp "$W/disk.img" "$T/done.img"
sfdisk -q --part-label "$W/disk.img" 4 _empty
u --json=short list 2 | jq -e '.incomplete and .installed' >/dev/null || fail "cut short: 2 should be incomplete"
u list | grep -q '^● 2 .*current[+]incomplete$' || fail "cut short: list should show 2 as current+incomplete (as 257)"
u update >/dev/null 2>&1 || fail "update of a cut-short set"
assert_eq "$(label 0) $(label 1) $(label 2) $(label 3)" "usr_1 usr_2 usr-verity_1 usr-verity_2" "cut-short set completed"
slot_is 1 "$W/src/usr_2.raw" || fail "cut short: data slot rewritten"
slot_is 3 "$W/src/usr_2.verity" || fail "cut short: verity bytes"
echo "ok cut-short set completed"

# refusals, each one line naming the disk, table unchanged
sfdisk -q --part-label "$W/disk.img" 1 _empty
sfdisk -q --part-label "$W/disk.img" 2 _empty
sfdisk -q --part-label "$W/disk.img" 4 _empty
cp "$W/disk.img" "$T/before.img"
flock "$W/disk.img" sleep 3 &
sleep 0.5
assert_fails "locked" u update
grep -q "disk.img: another update is running" "$T/.out" || fail "locked: $(cat "$T/.out")"
wait
cmp -s "$W/disk.img" "$T/before.img" || fail "locked: the disk changed"

# a damaged primary table (as an interrupted write of it would leave):
# read from the backup, the primary rewritten, sfdisk content again
flip_byte "$W/disk.img" $((512 + 60))    # the primary header's disk GUID
sfdisk --json "$W/disk.img" 2>&1 >/dev/null | grep -q . || fail "sfdisk does not notice the damaged primary"
u update 2 >/dev/null 2>&1 || fail "update with a damaged primary table"
sfdisk --json "$W/disk.img" >/dev/null 2>"$T/sfdisk.err" && [ ! -s "$T/sfdisk.err" ] || fail "primary not repaired: $(cat "$T/sfdisk.err")"
assert_eq "$(label 0) $(label 3)" "usr_2 usr-verity_2" "damaged primary: update (smallest free slot, the first)"
cp "$T/before.img" "$W/disk.img"
# a damaged backup array (a write of it interrupted before its header):
# the primary is the table, the backup is rebuilt from it
flip_byte "$W/disk.img" $(($(stat -c %s "$W/disk.img") - 33 * 512 + 10))
sfdisk --json "$W/disk.img" 2>&1 >/dev/null | grep -q 'backup GPT table is corrupt' || fail "sfdisk does not notice the damaged backup"
u update 2 >"$T/.out" 2>&1 || fail "update with a damaged backup table: $(cat "$T/.out")"
sfdisk --json "$W/disk.img" >/dev/null 2>"$T/sfdisk.err" && [ ! -s "$T/sfdisk.err" ] || fail "backup not repaired: $(cat "$T/sfdisk.err")"
sfdisk --verify "$W/disk.img" >"$T/verify.out" 2>&1 || fail "sfdisk --verify: $(cat "$T/verify.out")"
assert_eq "$(label 0) $(label 3)" "usr_2 usr-verity_2" "damaged backup: update"
cp "$T/before.img" "$W/disk.img"
# both copies damaged: refused, one line naming the disk
flip_byte "$W/disk.img" $((512 + 60))
flip_byte "$W/disk.img" $(($(stat -c %s "$W/disk.img") - 512 + 60))
cp "$W/disk.img" "$T/bad.img"
assert_fails "bad table" u update
[ "$(wc -l <"$T/.out")" = 1 ] || fail "bad table: not one line: $(cat "$T/.out")"
grep -q "disk.img: .*partition table" "$T/.out" || fail "bad table: $(cat "$T/.out")"
cmp -s "$W/disk.img" "$T/bad.img" || fail "bad table: the disk changed"
cp "$T/before.img" "$W/disk.img"

random_bytes 70000000 >"$W/src/usr_3.raw"     # 64 MiB slots
cp "$W/src/usr_2.verity" "$W/src/usr_3.verity"
rm "$W/src/SHA256SUMS"
assert_fails "too large" u update 3
grep -q "disk.img (partition [0-9]): the payload is larger than the partition" "$T/.out" || fail "too large: $(cat "$T/.out")"
assert_eq "$(label 1) $(label 3)" "_empty _empty" "too large: nothing labelled"
echo "ok refusals"

# --image= (Path=auto) is hostile input: a FIFO (no writer: must not
# block), a symlink, a directory and a character device are refused with
# one line naming it; the image itself works
mkdir -p "$W/defs-auto"
for f in "$W"/defs/*.transfer; do sed 's|^Path=.*disk.img$|Path=auto|' "$f" >"$W/defs-auto/${f##*/}"; done
grep -q '^Path=auto' "$W/defs-auto/usr.transfer" || fail "no Path=auto definitions"
ua() { timeout 20 "$UKIT" update --definitions="$W/defs-auto" "$@"; }
ua --image="$W/disk.img" --json=short list | jq -e '.all | index("2")' >/dev/null || fail "--image=disk.img: list"
mkfifo "$W/fifo"
ln -s disk.img "$W/link.img"
mkdir "$W/dir.img"
for c in fifo:"not a regular file or block device" link.img:symlink dir.img:directory /dev/null:"not a regular file"; do
        p=${c%%:*}; want=${c#*:}
        case $p in /*) ;; *) p=$W/$p ;; esac
        rc=0; ua --image="$p" list >"$T/.out" 2>&1 || rc=$?
        [ $rc != 0 ] || fail "--image=$p: accepted"
        [ $rc != 124 ] || fail "--image=$p: hung (killed after 20 s)"
        [ "$(wc -l <"$T/.out")" = 1 ] || fail "--image=$p: not one line: $(cat "$T/.out")"
        grep -q "$p.*$want\|$want.*$p" "$T/.out" || fail "--image=$p: $(cat "$T/.out")"
done
echo "ok --image= refusals"
