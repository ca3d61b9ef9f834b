#!/usr/bin/env bash
# Concurrent ukit install / ukit remove on one $BOOT (issue 20, R1).
#  A. 100 pairs of installs of one kernel under two names (--tries=3 and
#     --tries=no), started together: each must exit 0 and exactly one UKI
#     for the version must be left (without a lock each deleted the other's
#     file in some runs and EFI/Linux ended up empty).
#  B. 30 pairs of install racing remove: both exit 0, and the outcome is
#     one of the two serial orders (no UKI, or exactly the installed one).
#  C. A lock held by somebody else: install and remove wait, say for whom,
#     and give up after $UKIT_LOCK_TIMEOUT with an error naming the holder's
#     pid; released, the same install succeeds.
# Oracle: find/ls of EFI/Linux, flock(1) and /proc/locks for the other holder.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/kernel-install-lib.sh"

ki_init
need flock mkfifo
# The race is about names in EFI/Linux, not about the kernel: a small
# stand-in keeps 260 installs quick (ukit build does not parse --linux).
KVER=6.1.0-1-amd64
KIMG=$T/vmlinuz
head -c 300000 /dev/urandom >"$KIMG"
head -c 100000 /dev/urandom >"$T/initrd"
boot=$T/boot

inst() {
        "$UKIT" install -q --boot-path="$boot" --entry-token=literal:race --cmdline=quiet \
                --os-release=ID=race "$@" "$KVER" "$KIMG" "$T/initrd"
}

# A. install vs install
runs=${UKIT_RACE_RUNS:-100}
bad=0
for i in $(seq 1 "$runs"); do
        rm -rf "$boot"; mkdir -p "$boot"
        inst --tries=3 2>"$T/a.err" & a=$!
        inst --tries=no 2>"$T/b.err" & b=$!
        ra=0; rb=0
        wait $a || ra=$?
        wait $b || rb=$?
        n=$(find "$boot/EFI/Linux" -maxdepth 1 -name "race-$KVER*.efi" | wc -l)
        left=$(ls -A "$boot/EFI/Linux" | grep -v '\.efi$' || true)
        if [ "$ra" != 0 ] || [ "$rb" != 0 ] || [ "$n" != 1 ] || [ -n "$left" ]; then
                echo "run $i: exit $ra/$rb, $n UKIs, other files: ${left:-none}: $(ls -A "$boot/EFI/Linux" | tr '\n' ' ')"
                cat "$T/a.err" "$T/b.err"
                bad=$((bad + 1))
        fi
done
[ "$bad" = 0 ] || fail "A: $bad of $runs concurrent install pairs did not leave exactly one UKI"
echo "ok: A: $runs concurrent install pairs (--tries=3 / --tries=no), exactly one UKI each time"

# B. install vs remove
bad=0
for i in $(seq 1 30); do
        rm -rf "$boot"; mkdir -p "$boot"
        inst --tries=no 2>"$T/a.err" & a=$!
        "$UKIT" remove -q --boot-path="$boot" --entry-token=literal:race "$KVER" 2>"$T/b.err" & b=$!
        ra=0; rb=0
        wait $a || ra=$?
        wait $b || rb=$?
        list=$(ls -A "$boot/EFI/Linux" | tr '\n' ' ')
        if [ "$ra" != 0 ] || [ "$rb" != 0 ] || { [ -n "$list" ] && [ "$list" != "race-$KVER.efi " ]; }; then
                echo "run $i: exit $ra/$rb, EFI/Linux: ${list:-empty}"
                cat "$T/a.err" "$T/b.err"
                bad=$((bad + 1))
        fi
done
[ "$bad" = 0 ] || fail "B: $bad of 30 install/remove pairs ended in a state no serial order gives"
echo "ok: B: 30 install/remove pairs, each ended as one of the serial orders"

# C. somebody else holds the lock (flock(1) on the EFI/Linux directory).
rm -rf "$boot"; mkdir -p "$boot/EFI/Linux"
mkfifo "$T/release"
flock "$boot/EFI/Linux" -c "cat '$T/release' >/dev/null" & holder=$!
# flock(1) holds the lock once the lock is listed for its pid.
ino=$(stat -c %i "$boot/EFI/Linux")
for _ in $(seq 1 1000); do grep -qE "FLOCK +ADVISORY +WRITE +$holder [0-9a-f:]*:$ino " /proc/locks && break; sleep 0.01; done
grep -qE "FLOCK +ADVISORY +WRITE +$holder [0-9a-f:]*:$ino " /proc/locks || fail "C: flock(1) did not take the lock"
for verb in install remove; do
        if [ $verb = install ]; then
                UKIT_LOCK_TIMEOUT=1 inst --tries=no 2>"$T/c.err" && fail "C: install ran while the lock was held"
        else
                UKIT_LOCK_TIMEOUT=1 "$UKIT" remove -q --boot-path="$boot" --entry-token=literal:race "$KVER" 2>"$T/c.err" &&
                        fail "C: remove ran while the lock was held"
        fi
        grep -q "waiting for pid $holder (flock)" "$T/c.err" || { cat "$T/c.err"; fail "C: $verb did not say whom it waits for"; }
        grep -q "still locked by pid $holder (flock) after 1 s" "$T/c.err" || { cat "$T/c.err"; fail "C: $verb: no timeout error naming the holder"; }
        echo "ok: C: $verb: $(grep 'still locked' "$T/c.err")"
done
[ -z "$(ls -A "$boot/EFI/Linux")" ] || fail "C: something was written while the lock was held: $(ls -A "$boot/EFI/Linux")"
echo >"$T/release"
wait $holder
inst --tries=no || fail "C: install after the lock was released failed"
[ -f "$boot/EFI/Linux/race-$KVER.efi" ] || fail "C: no UKI after the lock was released"
echo "ok: C: installed once the lock was released"
