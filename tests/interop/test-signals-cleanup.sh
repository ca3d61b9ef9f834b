#!/usr/bin/env bash
# Termination signals while ukit writes (issue 20, R3): SIGINT, SIGTERM,
# SIGHUP and SIGPIPE at several points of
#  A. a 256 MiB build (over an existing output), on a file system with
#     O_TMPFILE, and a 24 MiB build on vfat (no O_TMPFILE: named temporary);
#  B. an in-place sign of that 256 MiB UKI;
#  C. an install: the signal to ukit install alone (it must stop its ukit
#     build child) and to the whole process group;
#  D. a sysext build, while cp stages the tree, while mkfs.erofs runs and
#     while the hash tree and the DDI are made;
#  E. the 64 MiB vfat ESP of the review, 28 MiB UKIs: an interrupted
#     install of a kernel that is already installed, then an install of
#     another version that needs the space; then the same after SIGKILL
#     (nothing can clean up: the next install sweeps the stale file).
# Every time: the process ends by that very signal, no ".#ukit-*" is left,
# the target is byte-identical to before (sha256), no child is left over.
# The signal is sent when ukit (or its child) has written a given number of
# bytes (wchar in /proc/PID/io) or a given file exists: the points are
# events, not delays.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/kernel-install-lib.sh"

ki_init
need fusefat fusermount mkfs.vfat mkfs.erofs pgrep sha256sum
set -m          # background jobs get their own process group
# A signal ignored by whoever started this test stays ignored in ukit (as it
# should: nohup, "cmd &" in scripts): give ukit the default actions.
UKIT_RUN=(env --default-signal=INT,TERM,HUP,PIPE "$UKIT")

SIGNALS=(INT TERM HUP PIPE)

# The polling below forks nothing (a loaded machine forks slowly, and the
# writers are fast): /proc is read with the read builtin, naps are read
# timeouts on a pipe that never delivers.
exec {NAPFD}<> <(:)
nap() { read -r -t 0.005 -u "$NAPFD" _ || true; }

# PIDS: PID and all its descendants.
tree_pids() {
        local stack=("$1") p kids
        PIDS=()
        while [ ${#stack[@]} -gt 0 ]; do
                p=${stack[-1]}
                unset 'stack[-1]'
                PIDS+=("$p")
                kids=()
                read -r -a kids <"/proc/$p/task/$p/children" 2>/dev/null || true
                stack+=("${kids[@]}")
        done
}
# WCHAR: the most bytes written by PID or a descendant whose comm matches
# the ERE COMM (write/pwrite/copy_file_range, from /proc/PID/io).
max_wchar() {
        local p c k v
        WCHAR=0
        tree_pids "$1"
        for p in "${PIDS[@]}"; do
                read -r c <"/proc/$p/comm" 2>/dev/null || continue
                [[ $c =~ ^($2)$ ]] || continue
                while read -r k v; do
                        [ "$k" = wchar: ] && [ "$v" -gt "$WCHAR" ] && WCHAR=$v
                done <"/proc/$p/io" 2>/dev/null || true
        done
}
# wait_wchar PID BYTES [COMM]: until one of them has written BYTES.
wait_wchar() {
        while kill -0 "$1" 2>/dev/null; do
                max_wchar "$1" "${3:-.*}"
                [ "$WCHAR" -ge "$2" ] && return 0
                nap
        done
        fail "pid $1 ended before ${3:-it} had written $2 bytes"
}
# wait_glob PID GLOB: until GLOB matches a path.
wait_glob() {
        local m
        while kill -0 "$1" 2>/dev/null; do
                for m in $2; do [ -e "$m" ] && return 0; done
                nap
        done
        fail "pid $1 ended before $2 appeared"
}
# signal_now WHAT SIG TARGET PID DIR: send SIG to TARGET (pid or -pgid),
# check PID's exit status, that nothing is left in DIR and no child runs.
signal_now() {
        local what=$1 sig=$2 to=$3 pid=$4 dir=$5 rc=0 left k
        tree_pids "$pid"
        local kids=("${PIDS[@]:1}")
        kill -s "$sig" -- "$to"
        wait "$pid" || rc=$?
        assert_eq "$rc" "$((128 + $(kill -l "$sig")))" "$what: exit status after SIG$sig"
        left=$(ls -A "$dir" | grep '^\.#ukit-' || true)
        [ -z "$left" ] || fail "$what: SIG$sig left $left in $dir"
        for k in "${kids[@]}"; do
                kill -0 "$k" 2>/dev/null && fail "$what: child $k ($(cat /proc/"$k"/comm)) still runs after SIG$sig"
        done
        echo "ok: $what: SIG$sig: exit $rc, nothing left${kids[0]:+, its child ended}"
}
# signal_at WHAT SIG TARGET PID DIR BYTES [COMM]: at BYTES written.
signal_at() {
        wait_wchar "$4" "$6" "${7:-.*}"
        signal_now "$1 at $(($6 >> 20)) MiB" "$2" "$3" "$4" "$5"
}

# A vfat file system (no O_TMPFILE): the kernel's driver, else fusefat.
mount_vfat() {         # IMG MB DIR
        truncate -s "$2M" "$1"
        mkfs.vfat -F 32 "$1" >/dev/null
        mkdir -p "$3"
        if ! mount -t vfat -o loop "$1" "$3" 2>/dev/null; then
                fusefat -o rw+ "$1" "$3" >/dev/null 2>&1 || fail "fusefat $1"
        fi
        ki_mounts+=("$3")
}

head -c 300000 /dev/urandom >"$T/vmlinuz"
head -c 1000 /dev/urandom >"$T/initrd-small"
head -c 256M /dev/urandom >"$T/initrd256"
out=$T/out
mkdir -p "$out"
"$UKIT" genkey --secureboot-private-key="$T/sb.key" --secureboot-certificate="$T/sb.crt" >/dev/null
# Signed builds: the output then goes through the hashing buffer in 4 MiB
# writes (unsigned ones are one copy_file_range), so there are points.
SIGN=(--secureboot-private-key="$T/sb.key" --secureboot-certificate="$T/sb.crt")

points=($((16 << 20)) $((96 << 20)) $((176 << 20)))

# ---- A. build
# Arrays, not functions: "function &" would fork a subshell, and the
# signal would go to it instead of ukit.
build=("${UKIT_RUN[@]}" build --linux="$T/vmlinuz" --os-release=ID=sig)
"${build[@]}" --initrd="$T/initrd-small" -o "$out/uki.efi" 2>/dev/null
before=$(ki_sum "$out/uki.efi")
for sig in "${SIGNALS[@]}"; do
        for p in "${points[@]}"; do
                "${build[@]}" "${SIGN[@]}" --initrd="$T/initrd256" -o "$out/uki.efi" 2>/dev/null & pid=$!
                signal_at "A build" "$sig" "$pid" "$pid" "$out" "$p"
                assert_eq "$(ki_sum "$out/uki.efi")" "$before" "A: the previous output after SIG$sig"
        done
done

vfat=$T/vfat
mount_vfat "$T/vfat.img" 64 "$vfat"
head -c 24M /dev/urandom >"$T/initrd24"
"${build[@]}" --initrd="$T/initrd-small" -o "$vfat/uki.efi" 2>/dev/null
vbefore=$(ki_sum "$vfat/uki.efi")
for sig in "${SIGNALS[@]}"; do
        "${build[@]}" "${SIGN[@]}" --initrd="$T/initrd24" -o "$vfat/uki.efi" 2>/dev/null & pid=$!
        signal_at "A build on vfat" "$sig" "$pid" "$pid" "$vfat" $((8 << 20))
        assert_eq "$(ki_sum "$vfat/uki.efi")" "$vbefore" "A vfat: the previous output after SIG$sig"
done

# ---- B. sign in place
"${build[@]}" --initrd="$T/initrd256" -o "$out/big.efi" 2>/dev/null
big=$(ki_sum "$out/big.efi")
for s in "${!SIGNALS[@]}"; do
        sig=${SIGNALS[$s]}
        "${UKIT_RUN[@]}" sign --key="$T/sb.key" --cert="$T/sb.crt" "$out/big.efi" & pid=$!
        signal_at "B sign in place" "$sig" "$pid" "$pid" "$out" "${points[$((s % 3))]}"
        assert_eq "$(ki_sum "$out/big.efi")" "$big" "B: the image after SIG$sig"
done

# ---- C. install, signal to ukit install only, then to the process group
boot=$T/boot
mkdir -p "$boot"
printf '[UKI]\nSecureBootPrivateKey=%s\nSecureBootCertificate=%s\n' "$T/sb.key" "$T/sb.crt" >"$T/uki.conf"
inst=("${UKIT_RUN[@]}" install -q --boot-path="$boot" --entry-token=literal:sig --cmdline=quiet --os-release=ID=sig)
"${inst[@]}" 6.1.0-1 "$T/vmlinuz" "$T/initrd-small" 2>/dev/null
uki=$boot/EFI/Linux/sig-6.1.0-1.efi
ibefore=$(ki_sum "$uki")
for to in pid group; do
        for s in "${!SIGNALS[@]}"; do
                sig=${SIGNALS[$s]}
                "${inst[@]}" -c "$T/uki.conf" 6.1.0-1 "$T/vmlinuz" "$T/initrd256" 2>/dev/null & pid=$!
                dest=$pid; [ $to = group ] && dest=-$pid
                signal_at "C install (signal to the $to)" "$sig" "$dest" "$pid" "$boot/EFI/Linux" \
                        "${points[$((s % 3))]}" ukit
                assert_eq "$(ki_sum "$uki")" "$ibefore" "C: the installed UKI after SIG$sig"
                assert_eq "$(ls -A "$boot/EFI/Linux")" "sig-6.1.0-1.efi" "C: EFI/Linux after SIG$sig"
        done
done

# ---- D. sysext build
src=$T/tree
mkdir -p "$src/usr/share/sig"
for i in $(seq 1 12); do head -c 16M /dev/urandom >"$src/usr/share/sig/f$i"; done
sx=("${UKIT_RUN[@]}" sysext build --id=_any "$src" "$out/sig.raw")
"${sx[@]}" >/dev/null
sbefore=$(ki_sum "$out/sig.raw")
for sig in "${SIGNALS[@]}"; do
        "${sx[@]}" >/dev/null & pid=$!
        signal_at "D sysext build, cp staging" "$sig" "$pid" "$pid" "$out" $((32 << 20)) cp
        "${sx[@]}" >/dev/null & pid=$!
        signal_at "D sysext build, mkfs.erofs" "$sig" "$pid" "$pid" "$out" $((32 << 20)) mkfs.erofs
        "${sx[@]}" >/dev/null & pid=$!
        wait_glob "$pid" "$out/.#ukit-build-*/hash.img"
        signal_now "D sysext build, verity and DDI" "$sig" "$pid" "$pid" "$out"
        assert_eq "$(ki_sum "$out/sig.raw")" "$sbefore" "D: the previous image after SIG$sig"
done

# ---- E. the 64 MiB vfat ESP
esp=$T/esp
mount_vfat "$T/esp.img" 64 "$esp"
# 28 MiB UKIs: two fit, two plus what an interrupted third leaves do not.
head -c 28M /dev/urandom >"$T/initrd28"
einst=("${UKIT_RUN[@]}" install --boot-path="$esp" --entry-token=literal:esp --cmdline=quiet --os-release=ID=esp)
"${einst[@]}" 6.1.0-1 "$T/vmlinuz" "$T/initrd28" >/dev/null 2>&1
e1=$(ki_sum "$esp/EFI/Linux/esp-6.1.0-1.efi")
"${einst[@]}" 6.1.0-1 "$T/vmlinuz" "$T/initrd28" >/dev/null 2>&1 & pid=$!
signal_at "E install on a 64 MiB vfat ESP" TERM "-$pid" "$pid" "$esp/EFI/Linux" $((21 << 20)) ukit
"${einst[@]}" 6.1.0-2 "$T/vmlinuz" "$T/initrd28" >/dev/null 2>"$T/e.err" || { cat "$T/e.err"; fail "E: the install after SIGTERM failed"; }
assert_eq "$(ki_sum "$esp/EFI/Linux/esp-6.1.0-1.efi")" "$e1" "E: the first UKI after SIGTERM"
echo "ok: E: installed 6.1.0-2 next to it"

# SIGKILL: nothing can clean up; the next install sweeps.
"$UKIT" remove -q --boot-path="$esp" --entry-token=literal:esp 6.1.0-2
"${einst[@]}" 6.1.0-1 "$T/vmlinuz" "$T/initrd28" >/dev/null 2>&1 & pid=$!
wait_wchar "$pid" $((21 << 20)) ukit
kill -KILL -- "-$pid"   # set -m: the job is its own process group
wait "$pid" || true
while pgrep -g "$pid" >/dev/null; do nap; done
stale=$(ls -A "$esp/EFI/Linux" | grep '^\.#ukit-' || true)
[ -n "$stale" ] || fail "E: SIGKILL on vfat left no temporary file: the sweep below would test nothing"
echo "ok: E: SIGKILL left $stale ($(( $(stat -c %s "$esp/EFI/Linux/$stale") >> 20 )) MiB)"
"${einst[@]}" 6.1.0-2 "$T/vmlinuz" "$T/initrd28" >/dev/null 2>"$T/e.err" || { cat "$T/e.err"; fail "E: the install after SIGKILL failed"; }
grep -q "removed .* KiB of temporary files" "$T/e.err" || { cat "$T/e.err"; fail "E: no word of the sweep"; }
[ -z "$(ls -A "$esp/EFI/Linux" | grep '^\.#ukit-')" ] || fail "E: the stale temporary file is still there"
assert_eq "$(ki_sum "$esp/EFI/Linux/esp-6.1.0-1.efi")" "$e1" "E: the first UKI after SIGKILL"
echo "ok: E: the next install swept it and succeeded: $(grep 'removed' "$T/e.err")"
