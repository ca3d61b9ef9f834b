# Shared by the systemd-sysupdate 257 differential tests (test-update-257.sh,
# test-update-partition-257.sh); sourced after tests/lib.sh. The caller's
# scenarios run in a private mount namespace (the script re-executes
# itself under unshare). Besides the tree, run_steps records every GPT
# disk image in $W (*.img): its partitions as sfdisk --json lists them
# (without the node name) and the SHA-256 of each partition's bytes.
if [ -z "${UKIT_IN_NS:-}" ]; then
        [ "$(id -u)" = 0 ] || skip "needs root (chroot into the 257 root)"
        need unshare jq
        bash "$UKIT_TOP/scripts/fetch-oracle-257.sh" >/dev/null || fail "the systemd 257 oracle root could not be made"
        export UKIT UKIT_TMP UKIT_TOP
        UKIT_IN_NS=1 unshare -m --propagation private bash "$0"
        exit $?
fi

SU=/usr/lib/systemd/systemd-sysupdate
W=$T/w          # the tree under test: the same path for both tools
o257() { bash "$UKIT_TOP/scripts/oracle-257-run.sh" --bind "$T" "$@"; }
o257 $SU --version | head -1 | grep -q "^systemd 257" || fail "oracle is not systemd 257"

# dump DIR: one line per entry, independent of timestamps
dump() {
        (cd "$1" && find . -mindepth 1 ! -name '.#*' -printf '%p %y %m:%U:%G %l\n' | sort | while read -r p y m l; do
                if [ "$y" = f ]; then echo "$p f $m $(sha256sum <"$p" | cut -c1-16)"; else echo "$p $y $m $l"; fi
        done)
}

# run_steps TOOL OUT: run the scenario's steps; "=ARGS" compares stdout,
# "%ARGS" the stdout with its "features" array sorted; $ukit_sed (if set)
# is applied to ukit's arguments (where the tools must be told differently);
# a step_filter function, if the caller defines one, filters "=" output
run_steps() {
        local tool=$1 out=$2 s args rc
        : >"$out"
        for s in "${steps[@]}"; do
                args=${s#[=%]}
                # shellcheck disable=SC2086
                rc=0
                if [ "$tool" = 257 ]; then o257 $SU $args >"$T/stdout" 2>"$T/stderr" || rc=$?
                else
                        [ -z "${ukit_sed:-}" ] || args=$(sed "$ukit_sed" <<<"$args")
                        "$UKIT" update $args >"$T/stdout" 2>"$T/stderr" || rc=$?
                fi
                echo "step '${s#[=%]}' rc=$rc" >>"$out"
                case $s in
                =*) if declare -F step_filter >/dev/null; then step_filter <"$T/stdout"; else cat "$T/stdout"; fi >>"$out" ;;
                %*) jq -c '.features |= sort' "$T/stdout" >>"$out" ;;   # 257 lists them in hash order
                esac
                cat "$T/stderr" >>"$T/log.$tool"
        done
        dump "$W" >>"$out"
        dump_disks "$W" >>"$out"
}

# dump_disks DIR: the partition tables and partition contents of DIR/*.img
dump_disks() {
        local img
        for img in "$1"/*.img; do
                [ -f "$img" ] || continue
                echo "disk ${img#"$1"/}"
                sfdisk --json "$img" | jq -c '.partitiontable | del(.device, .id, .partitions), (.partitions[]? | del(.node))'
                sfdisk --json "$img" | jq -r '.partitiontable.partitions[]? | "\(.start) \(.size)"' | while read -r st sz; do
                        echo "part $st $(dd if="$img" bs=512 skip="$st" count="$sz" status=none | sha256sum | cut -c1-16)"
                done
        done
}

n=0
# scenario NAME: setup_NAME fills $W; steps=() are run by both
scenario() {
        local name=$1
        rm -rf "$W" "$T/orig"; mkdir -p "$W"
        ukit_sed=
        "setup_$name"
        cp -a "$W" "$T/orig"
        run_steps 257 "$T/$name.257"
        rm -rf "$W"; cp -a "$T/orig" "$W"
        run_steps ukit "$T/$name.ukit"
        if ! diff -u "$T/$name.257" "$T/$name.ukit" >"$T/$name.diff"; then
                cat "$T/$name.diff" >&2
                tail -n 20 "$T/log.ukit" >&2
                fail "scenario $name: ukit differs from systemd-sysupdate 257 (- 257, + ukit)"
        fi
        grep -q . "$T/$name.257" || fail "scenario $name: no output"
        echo "ok $name"
        n=$((n + 1))
}

# expect NAME ERE: 257's result of scenario NAME has a line matching ERE
# (so the scenario reached the case it is about)
expect() { grep -Eq -- "$2" "$T/$1.257" || fail "scenario $1: 257's result lacks /$2/ (the scenario tests nothing)"; }

mkfiles() { # DIR PREFIX SUFFIX VERSION...
        local d=$1 p=$2 s=$3; shift 3
        mkdir -p "$d"
        for v in "$@"; do echo "$p $v payload" >"$d/$p$v$s"; done
}

