#!/usr/bin/env bash
# `ukit sysext merge` against files that would block a reader and against
# merges that are killed or stuck, in a private mount namespace with its own
# /run (so the class lock is not shared with other tests):
# - a FIFO as the release file (directory extension, a DDI from ukit, bare
#   erofs from mkfs.erofs and squashfs from mksquashfs; a confext), as sidecar
#   .verity/.roothash, as a verity.d certificate, as the host os-release and
#   as the merge marker of a foreign mount: every merge/status/unmerge ends
#   (under `timeout`) with a reason naming the file, and the next merge for
#   another --root works;
# - the class lock: a holder is named by pid when --lock-timeout expires;
#   a merge stopped inside its namespace child (UKIT_TEST_STOP_AT) whose
#   parent is SIGKILLed leaves no process, lock, mount or loop device.
# Oracles: mkfs.erofs/mksquashfs (images made without ukit), flock(1),
# /proc, losetup, mountinfo.
. "$(dirname "$0")/../lib.sh"

if [ -z "${UKIT_IN_NS:-}" ]; then
        [ "$(id -u)" = 0 ] || skip "needs root (mounts, loop devices)"
        need unshare flock mkfs.erofs mksquashfs veritysetup losetup openssl timeout ps jq
        grep -qw overlay /proc/filesystems || skip "no overlayfs"
        [ -e /dev/loop-control ] || skip "no loop devices"
        export UKIT UKIT_TMP UKIT_TOP
        UKIT_IN_NS=1 unshare -m --propagation private bash "$0"
        exit $?
fi
mount -t tmpfs tmpfs /run
# Every ukit call is bounded: a hang fails the test instead of wedging it.
TO=60
u() { timeout -k 5 $TO "$UKIT" "$@"; }

R=$T/root; E=$R/var/lib/extensions
O=$T/other
mkdir -p "$R/etc/verity.d" "$R/usr/share" "$E" "$O/etc" "$O/usr/share" "$O/var/lib/extensions"
printf 'ID=debian\nVERSION_ID=12\n' >"$R/etc/os-release"
cp "$R/etc/os-release" "$O/etc/"
cleanup() {
        for r in "$R" "$O"; do
                "$UKIT" sysext unmerge --root="$r" -q --lock-timeout=5 >/dev/null 2>&1 || true
                "$UKIT" confext unmerge --root="$r" -q --lock-timeout=5 >/dev/null 2>&1 || true
        done
}
trap cleanup EXIT

# the other root: one good directory extension, merged after each hostile step
mkdir -p "$O/var/lib/extensions/good/usr/lib/extension-release.d" "$O/var/lib/extensions/good/usr/share/t"
echo ID=_any >"$O/var/lib/extensions/good/usr/lib/extension-release.d/extension-release.good"
echo good >"$O/var/lib/extensions/good/usr/share/t/good"
other_works() { # WHAT: merge + unmerge of the other root succeed
        u sysext merge --root="$O" -q --lock-timeout=20 || fail "$1: merge of another root failed (rc $?)"
        assert_eq "$(cat "$O/usr/share/t/good")" good "$1: other root merged"
        u sysext unmerge --root="$O" -q --lock-timeout=20 || fail "$1: unmerge of another root failed"
}
loops_of() { losetup -j "$1" | wc -l; }

# --- a FIFO as release file, in each kind of image ---
rel=usr/lib/extension-release.d
# directory extension
mkdir -p "$E/dfifo/$rel" "$E/dfifo/usr/share/t"; echo d >"$E/dfifo/usr/share/t/dfifo-only"
mkfifo "$E/dfifo/$rel/extension-release.dfifo"
# DDI made by ukit (erofs, verity)
mkdir -p "$T/ddi/$rel" "$T/ddi/usr/share/t"; echo x >"$T/ddi/usr/share/t/ddififo-only"
mkfifo "$T/ddi/$rel/extension-release.ddififo"
"$UKIT" sysext build "$T/ddi" "$E/ddififo.raw" >/dev/null || fail "sysext build with a FIFO in the tree"
# bare erofs and squashfs made by their own tools
for fs in erofs squashfs; do
        mkdir -p "$T/$fs/$rel" "$T/$fs/usr/share/t"; echo x >"$T/$fs/usr/share/t/$fs-only"
        mkfifo "$T/$fs/$rel/extension-release.${fs}fifo"
done
mkfs.erofs --quiet "$E/erofsfifo.raw" "$T/erofs" >/dev/null || fail "mkfs.erofs"
mksquashfs "$T/squashfs" "$E/squashfsfifo.raw" -all-root -quiet >/dev/null || fail "mksquashfs"
# a FIFO as sidecar hash device, and as sidecar root hash
for n in vfifo rfifo; do
        mkdir -p "$T/$n/$rel" "$T/$n/usr/share/t"; echo ID=_any >"$T/$n/$rel/extension-release.$n"
        echo x >"$T/$n/usr/share/t/$n-only"
        mkfs.erofs --quiet "$E/$n.raw" "$T/$n" >/dev/null || fail "mkfs.erofs $n"
done
mkfifo "$E/vfifo.verity"; echo 00 >"$E/vfifo.roothash"
veritysetup format "$E/rfifo.raw" "$E/rfifo.verity" >/dev/null || fail "veritysetup format"
mkfifo "$E/rfifo.roothash"

set +e
u sysext merge --root="$R" --json=short >"$T/m.json" 2>"$T/m.err"
rc=$?
set -e
cat "$T/m.err"
[ $rc != 124 ] && [ $rc != 137 ] || fail "merge with FIFOs in the images hung (timeout ${TO}s)"
assert_eq "$rc" 1 "merge exit status with FIFO release files"
for n in dfifo ddififo erofsfifo squashfsfifo; do
        assert_eq "$(jq -r ".[]|select(.name==\"$n\")|.state" "$T/m.json")" failed "$n state"
        grep -q "/$n\(.raw\)\?: $rel/extension-release.$n: cannot read the release file: not a regular file" "$T/m.err" ||
                fail "$n: no reason naming the FIFO"
        [ ! -e "$R/usr/share/t/$n-only" ] || fail "$n merged"
done
grep -q "vfifo.verity: not a regular file" "$T/m.err" || fail "FIFO as .verity: no reason"
grep -q "rfifo.roothash: not a regular file" "$T/m.err" || fail "FIFO as .roothash: no reason"
for n in ddififo erofsfifo squashfsfifo vfifo rfifo; do
        assert_eq "$(loops_of "$E/$n.raw")" 0 "loop devices left for $n.raw"
done
grep -q " $R/usr " /proc/self/mountinfo && fail "a merge happened with only failing images"
other_works "after the FIFO images"
rm -rf "$E"/*

# --- confext: a FIFO as release file in a directory extension ---
C=$R/var/lib/confexts
mkdir -p "$C/cfifo/etc/extension-release.d"; echo c >"$C/cfifo/etc/cfifo-only"
mkfifo "$C/cfifo/etc/extension-release.d/extension-release.cfifo"
set +e; u confext merge --root="$R" 2>"$T/cf.err"; rc=$?; set -e
assert_eq "$rc" 1 "confext merge with a FIFO release file"
grep -q "cfifo: etc/extension-release.d/extension-release.cfifo: cannot read the release file: not a regular file" "$T/cf.err" ||
        fail "confext FIFO: $(cat "$T/cf.err")"
[ ! -e "$R/etc/cfifo-only" ] || fail "cfifo merged"
rm -rf "$C"

# --- a FIFO as verity.d certificate: skipped, the signature is untrusted ---
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/k.pem" -out "$T/c.crt" -subj /CN=hostile -days 30 2>/dev/null
mkdir -p "$T/signed/usr/share/t"; echo s >"$T/signed/usr/share/t/signed-only"
"$UKIT" sysext build --id=_any --private-key="$T/k.pem" --certificate="$T/c.crt" "$T/signed" "$E/signed.raw" >/dev/null
mkfifo "$R/etc/verity.d/fifo.crt"
set +e; u sysext merge --root="$R" --verity=userspace 2>"$T/c.err"; rc=$?; set -e
assert_eq "$rc" 1 "merge with a FIFO in verity.d"
grep -q "signed.raw: root hash signature not made by any certificate in verity.d" "$T/c.err" || fail "FIFO certificate: $(cat "$T/c.err")"
cp "$T/c.crt" "$R/etc/verity.d/real.crt"
u sysext merge --root="$R" --verity=userspace -q || fail "merge with a real certificate next to the FIFO"
[ -f "$R/usr/share/t/signed-only" ] || fail "signed image not merged"
u sysext unmerge --root="$R" -q
rm -f "$R/etc/verity.d/fifo.crt"

# --- a FIFO as the host os-release ---
mkdir -p "$T/fos/etc" "$T/fos/var/lib/extensions"; cp -a "$O/var/lib/extensions/good" "$T/fos/var/lib/extensions/"
mkfifo "$T/fos/etc/os-release"
set +e; u sysext merge --root="$T/fos" 2>"$T/os.err"; rc=$?; set -e
assert_eq "$rc" 1 "merge with a FIFO as os-release"
grep -q "fos/etc/os-release: cannot read the host os-release: not a regular file" "$T/os.err" || fail "os-release FIFO: $(cat "$T/os.err")"

# --- a FIFO as the merge marker of a foreign mount on /usr ---
mkdir -p "$T/fm/etc" "$T/fm/usr" "$T/fake/.systemd-sysext"; cp "$R/etc/os-release" "$T/fm/etc/"
mkfifo "$T/fake/.systemd-sysext/dev" "$T/fake/.systemd-sysext/extensions"
mount --bind "$T/fake" "$T/fm/usr"
u sysext status --root="$T/fm" >"$T/st.out" 2>&1 || fail "status with a FIFO marker: $(cat "$T/st.out")"
grep -q "^/usr  *none" "$T/st.out" || fail "a FIFO marker taken for a merge: $(cat "$T/st.out")"
u sysext unmerge --root="$T/fm" >"$T/st.out" 2>&1 || fail "unmerge with a FIFO marker: $(cat "$T/st.out")"
grep -q " $T/fm/usr " /proc/self/mountinfo || fail "unmerge removed a mount that is not a merge"
umount "$T/fm/usr"

# --- the class lock: a holder is named when --lock-timeout expires ---
assert_fails "--lock-timeout=x" "$UKIT" sysext merge --root="$O" --lock-timeout=x
grep -q -- "--lock-timeout=x: expected seconds or infinity" "$T/.out" || fail "--lock-timeout=x: $(cat "$T/.out")"
# -o: only flock itself holds the lock, not the command it runs
setsid flock -o /run/ukit-sysext sleep 600 >/dev/null 2>&1 &
holder=$!
for i in $(seq 100); do grep -q FLOCK /proc/locks && [ -n "$(ls /proc/$holder/fd 2>/dev/null)" ] && break; sleep 0.1; done
set +e; u sysext merge --root="$O" --lock-timeout=0.5 2>"$T/l.err"; rc=$?; set -e
kill -- -$holder; wait $holder 2>/dev/null || true
assert_eq "$rc" 1 "merge while the lock is held"
grep -q "/run/ukit-sysext: still locked after 0.5 s by pid $holder (flock)" "$T/l.err" || fail "lock holder: $(cat "$T/l.err")"
other_works "after the lock was released"

# --- a merge stopped in its namespace child, the parent SIGKILLed ---
mkdir -p "$E/img/$rel" "$E/img/usr/share/t"; echo ID=_any >"$E/img/$rel/extension-release.img"; echo i >"$E/img/usr/share/t/img-only"
stopped() { # SID -> pids of stopped processes in that session
        local f s
        for f in /proc/[0-9]*/stat; do
                s=$(cat "$f" 2>/dev/null) || continue
                s=${s##*) }
                set -- $s
                # after "PID (COMM) ": state ppid pgrp session ...
                [ "$1" = T ] && [ "$4" = "$SID" ] && echo "${f//[^0-9]/}"
        done
        return 0
}
for point in child-started image-mounted overlay-built; do
        UKIT_TEST_STOP_AT=$point setsid "$UKIT" sysext merge --root="$R" -q >/dev/null 2>&1 &
        SID=$!
        st=
        for i in $(seq 200); do st=$(stopped); [ -n "$st" ] && break; sleep 0.1; done
        [ -n "$st" ] || { kill -9 -- -$SID; fail "$point: the merge did not stop there"; }
        [ "$st" != "$SID" ] || { kill -9 -- -$SID; fail "$point: the parent stopped, not the child"; }
        # the stopped child holds the lock (it may still create devices)
        set +e; u sysext merge --root="$O" --lock-timeout=0.2 2>"$T/l.err"; rc=$?; set -e
        assert_eq "$rc" 1 "$point: merge while a stopped merge holds the lock"
        grep -q "still locked after 0.2 s by pid $SID (ukit) and its child" "$T/l.err" || fail "$point: $(cat "$T/l.err")"
        kill -9 "$SID"; wait "$SID" 2>/dev/null || true
        other_works "$point: after SIGKILL of the parent"
        for i in $(seq 100); do [ -z "$(ps -o pid= -s "$SID")" ] && break; sleep 0.1; done
        [ -z "$(ps -o pid= -s "$SID")" ] || fail "$point: the merge child outlived its parent: $(ps -o pid,stat,comm -s "$SID")"
        grep -q " $R/usr " /proc/self/mountinfo && fail "$point: a killed merge left a mount"
done
echo ok
