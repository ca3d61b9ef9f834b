# Shared helpers for shell tests (interop/, vm/). Source it:
#   . "$UKIT_TOP/tests/lib.sh"
# scripts/test.sh provides UKIT (the binary), UKIT_BUILD, UKIT_TOP,
# UKIT_CACHE (downloads kept between runs) and UKIT_TMP (a fresh directory,
# removed when the test passes).
set -euo pipefail

: "${UKIT_TOP:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${UKIT_BUILD:=$UKIT_TOP/build}"
: "${UKIT:=$UKIT_BUILD/src/ukit/ukit}"
: "${UKIT_CACHE:=/var/cache/ukit}"
if [ -z "${UKIT_TMP:-}" ]; then
        UKIT_TMP=$(mktemp -d)
        trap 'rm -rf "$UKIT_TMP"' EXIT
fi
T=$UKIT_TMP

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
need() { local c; for c in "$@"; do command -v "$c" >/dev/null || skip "$c not installed"; done; }

# assert_eq ACTUAL EXPECTED WHAT
assert_eq() { [ "$1" = "$2" ] || fail "$3: got '$1', expected '$2'"; }
# assert_fails WHAT CMD...: CMD must exit non-zero
assert_fails() { local what=$1; shift; if "$@" >"$T/.out" 2>&1; then fail "$what: succeeded unexpectedly"; fi; }
# assert_files_equal A B WHAT
assert_files_equal() { cmp -s "$1" "$2" || fail "$3: $1 and $2 differ"; }
# random_bytes N: N random bytes on stdout that never begin with a gzip,
# xz or zstd magic (a random payload does once in 65536 runs, and an
# updater then takes it for compressed data)
random_bytes() {
        printf U
        head -c $(($1 - 1)) /dev/urandom
}
# at_exit CMD: run CMD when the test exits, before the EXIT trap that was
# set when at_exit was first called (a later plain "trap ... EXIT" replaces
# both)
_at_exit_cmds=()
at_exit() {
        if [ ${#_at_exit_cmds[@]} = 0 ]; then
                local prev
                prev=$(trap -p EXIT); prev=${prev#trap -- }; prev=${prev% EXIT}
                eval "_at_exit_prev=${prev:-''}"
                trap _at_exit_run EXIT
        fi
        _at_exit_cmds+=("$1")
}
_at_exit_run() {
        local c
        for c in "${_at_exit_cmds[@]}"; do eval "$c" || true; done
        eval "$_at_exit_prev"
}
# flip_byte FILE OFFSET: invert every bit of one byte in place, so the file
# is changed whatever it held there (writing a fixed byte over random data
# leaves it unchanged once in 256 runs)
flip_byte() {
        local b
        b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
        [ -n "$b" ] || fail "flip_byte: $1 has no byte at offset $2"
        printf "\\$(printf %03o $((b ^ 255)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

echo "== $(basename "$0")"

# The one getter of the tests' real kernel (interop, vm, the demo):
# debian_kernel_deb prints the path of the newest
# $UKIT_CACHE/linux-image-*-amd64 package (scripts/fetch-kernel.sh downloads
# one when there is none); debian_kernel prints the path of its kernel image,
# extracted once and cached as $UKIT_CACHE/vmlinuz-VERSION (VERSION, the
# uname -r, is what follows "vmlinuz-" in the name).
debian_kernel_deb() {
        mkdir -p "$UKIT_CACHE"
        bash "$UKIT_TOP/scripts/fetch-kernel.sh" "$UKIT_CACHE" || fail "debian_kernel: could not get a kernel package"
}

debian_kernel() {
        local deb ver tmp
        deb=$(debian_kernel_deb) || exit 1
        ver=$(basename "$deb"); ver=${ver#linux-image-}; ver=${ver%%_*}
        if [ ! -f "$UKIT_CACHE/vmlinuz-$ver" ]; then
                (
                        flock 9
                        [ -f "$UKIT_CACHE/vmlinuz-$ver" ] && exit 0
                        tmp=$(mktemp -d "$UKIT_CACHE/.extract.XXXXXX")
                        trap 'rm -rf "$tmp"' EXIT
                        dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" "./boot/vmlinuz-$ver" || exit 1
                        mv "$tmp/boot/vmlinuz-$ver" "$UKIT_CACHE/vmlinuz-$ver"
                ) 9>"$UKIT_CACHE/.extract.lock" >&2 || fail "debian_kernel: cannot extract the kernel from $deb"
        fi
        echo "$UKIT_CACHE/vmlinuz-$ver"
}

# swtpm_start [--for-qemu] DIR: starts a TPM 2.0 (swtpm) with its state in
# DIR (created; a state already there is kept: a reboot of the same TPM).
# Unix sockets only, so no two tests can collide on a TCP port:
#   default     commands on DIR/swtpm.sock, control on DIR/swtpm.sock.ctrl,
#               already started up; sets SWTPM_TCTI=swtpm:path=DIR/swtpm.sock
#               for tpm2-tools (TPM2TOOLS_TCTI) and systemd-measure
#               (--tpm2-device=), which find the control socket by its name
#   --for-qemu  one control socket DIR/swtpm.sock (QEMU's -tpmdev emulator
#               sends the data channel over it and starts the TPM up)
# Sets SWTPM_DIR (absolute: swtpm --daemon changes to /), SWTPM_SOCK and
# SWTPM_PID; logs to DIR/swtpm.log at SWTPM_LOG_LEVEL (default 1; 20 logs
# every command). Stopped by swtpm_stop DIR, or when the test exits.
_swtpm_pids=()
swtpm_start() {
        local qemu=0 dir args i
        if [ "${1:-}" = --for-qemu ]; then qemu=1; shift; fi
        [ $# = 1 ] || fail "usage: swtpm_start [--for-qemu] DIR"
        need swtpm
        mkdir -p "$1"; dir=$(cd "$1" && pwd)
        rm -f "$dir/swtpm.sock" "$dir/swtpm.sock.ctrl" "$dir/swtpm.pid"
        args=(--tpm2 --tpmstate "dir=$dir" --pid "file=$dir/swtpm.pid"
              --log "file=$dir/swtpm.log,level=${SWTPM_LOG_LEVEL:-1}" --daemon)
        if [ $qemu = 1 ]; then
                args+=(--ctrl "type=unixio,path=$dir/swtpm.sock")
        else
                args+=(--server "type=unixio,path=$dir/swtpm.sock"
                       --ctrl "type=unixio,path=$dir/swtpm.sock.ctrl"
                       --flags not-need-init,startup-clear)
        fi
        _swtpm_trap
        swtpm socket "${args[@]}" || fail "swtpm_start: swtpm failed: $(tail -n 3 "$dir/swtpm.log" 2>/dev/null)"
        for i in $(seq 100); do
                [ -s "$dir/swtpm.pid" ] && [ -S "$dir/swtpm.sock" ] && break
                sleep 0.1
        done
        [ -s "$dir/swtpm.pid" ] && [ -S "$dir/swtpm.sock" ] || fail "swtpm_start: no socket $dir/swtpm.sock after 10 s"
        SWTPM_DIR=$dir
        SWTPM_SOCK=$dir/swtpm.sock
        SWTPM_PID=$(cat "$dir/swtpm.pid")
        SWTPM_TCTI=swtpm:path=$dir/swtpm.sock
        _swtpm_pids+=("$SWTPM_PID")
}

# swtpm_stop DIR: stops the swtpm swtpm_start DIR started (by its pid) and
# waits until it is gone, so its state can be reused.
swtpm_stop() {
        local pid i
        [ -s "$1/swtpm.pid" ] || return 0
        pid=$(cat "$1/swtpm.pid")
        kill "$pid" 2>/dev/null || true
        for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        rm -f "$1/swtpm.pid"
}

# Every swtpm left running is stopped when the test exits (swtpm daemonizes
# out of the process group): chained in front of the EXIT trap present at
# the first swtpm_start, and TERM (from a timeout) exits through it.
_swtpm_trap() {
        [ -z "${_swtpm_prev_trap+set}" ] || return 0
        _swtpm_prev_trap=$(trap -p EXIT)
        _swtpm_prev_trap=${_swtpm_prev_trap#trap -- }
        _swtpm_prev_trap=${_swtpm_prev_trap% EXIT}
        eval "_swtpm_prev_trap=${_swtpm_prev_trap:-''}"
        trap '_swtpm_cleanup; eval "$_swtpm_prev_trap"' EXIT
        [ -n "$(trap -p TERM)" ] || trap 'exit 143' TERM INT HUP
}
_swtpm_cleanup() {
        local p
        for p in "${_swtpm_pids[@]}"; do kill "$p" 2>/dev/null || true; done
        _swtpm_pids=()
}
