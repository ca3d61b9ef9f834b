#!/usr/bin/env bash
# Randomized differential test: ukit update against systemd-sysupdate 257
# (the Debian 13 oracle root), with the machinery of lib-update-257.sh (same
# steps, same tree at the same path, stdout of "=" steps, exit codes and the
# resulting tree compared). Seeded (UKIT_SEED=N, default 303), per round:
#  - source and target file names whose versions mix digits with leading
#    zeros, numbers beyond 2^64, letters of both cases, '.', '..', '-', '_',
#    '+', ',', '~', '^', and now and then a character 257 refuses in a
#    version (' ', ':', '=', '!', UTF-8): what the version order and the
#    pattern matching have to handle;
#  - one or two transfers (two: separate directories, versions shared in
#    part, so that sets can be incomplete or only partly offered), each
#    a regular-file source and target, the target's MatchPattern with @v
#    only, or with @l/@d (TriesLeft=), or with @m/@s/@t (modes 257 refuses
#    among them); random InstancesMax=, MinVersion=, one or two
#    ProtectVersion= (valid or not);
#  - versions that compare equal but differ as strings ("1", "01", "1.0");
#  - steps: list, check-new, update, list, then sometimes vacuum, and
#    sometimes update/list of a random version (one offered, or not).
# The expected results are whatever 257 does.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-update-257.sh"

ROUNDS=${UKIT_UPDATE257_ROUNDS:-25}
# A fixed seed by default, so that CI runs what was checked; explore with
# UKIT_SEED=$RANDOM.
SEED=${UKIT_SEED:-303}
echo "seed $SEED, $ROUNDS rounds"
RANDOM=$SEED
# scenario() fails through fail(): say which round it was first
fail() { [ -f "$T/round.txt" ] && cat "$T/round.txt" >&2; echo "FAIL: $*" >&2; exit 1; }

# "list VERSION" shows the mtime of files the steps wrote: the time of the
# run, different for the two tools; such values (within a day of now) are
# masked, the rest (a file's own, or @t's) compared
step_filter() {
        local o
        o=$(cat)
        case $o in
        '{'*) jq -c --argjson now "$(date +%s)000000" 'if has("contents") then (.contents[].mtime) |=
                (if ((. - $now) | fabs) < 86400000000 then "now" else . end) else . end' <<<"$o" ;;
        ?*) echo "$o" ;;
        esac
}

# No $(...) around $RANDOM: a subshell reseeds it. rnd N sets R.
rnd() { R=$((RANDOM % $1)); }
pick() { rnd $#; shift "$R"; P=$1; }   # P = one of the arguments

# component: sets C, one piece of a version
component() {
        rnd 10
        case $R in
        0) pick 0 00 007 010; C=$P ;;
        1) C=$((RANDOM % 10)) ;;
        2) C=$((RANDOM % 200)) ;;
        3) C=0$((RANDOM % 100)) ;;
        4) C=$RANDOM$RANDOM$RANDOM$RANDOM$RANDOM ;;    # > 2^64 most of the time
        5) pick a b z A Z rc rc1 RC2 beta Beta alpha pre git; C=$P ;;
        6) pick a1 1a 2b b2 0a; C=$P ;;
        *) C=$((RANDOM % 4)) ;;
        esac
}

# genver [bad]: sets V, a version; with "bad", now and then a character
# that 257 does not accept in a version (only for file names)
genver() {
        local n k
        n=$((1 + RANDOM % 4))
        V=""
        for ((k = 0; k < n; k++)); do
                component
                if [ $k -gt 0 ]; then
                        rnd 16
                        case $R in
                        0) V+="-" ;; 1) V+="_" ;; 2) V+="+" ;; 3) V+="," ;; 4) V+=".." ;;
                        5) V+="~" ;; 6) V+="^" ;; 7) ;;
                        *) V+="." ;;
                        esac
                fi
                V+=$C
        done
        rnd 12
        case $R in
        0) V+="~rc$((RANDOM % 3))" ;;
        1) V+="^$((RANDOM % 3))" ;;
        2) V="v$V" ;;
        esac
        if [ "${1:-}" = bad ]; then
                rnd 14
                case $R in
                0) V+=" x" ;; 1) V+=":1" ;; 2) V+="=2" ;; 3) V+="!" ;; 4) V+="é" ;;
                esac
        fi
}

# Versions of this round: a pool, so that source and target share some
genpool() {
        local k
        pool=()
        for ((k = 0; k < 8; k++)); do genver bad; pool+=("$V"); done
        # equal in version order, different as strings ("1" and "01")
        rnd 3
        if [ $R = 0 ]; then pool+=("0${pool[0]}"); fi
        rnd 3
        if [ $R = 0 ]; then pool+=("${pool[1]}.0" "${pool[1]}.00"); fi
}

# transfer N: the files and the definition of transfer N (1 or 2) in
# $W/srcN, $W/tgtN, $W/defs/5N-r.transfer
transfer() {
        local k n v pat=0 tl id=$1 src tgt
        mkdir -p "$W/src$id" "$W/tgt$id"
        n=$((1 + RANDOM % 6))
        src=()
        for ((k = 0; k < n; k++)); do rnd ${#pool[@]}; src+=("${pool[$R]}"); done
        n=$((RANDOM % 5))
        tgt=()
        for ((k = 0; k < n; k++)); do rnd ${#pool[@]}; tgt+=("${pool[$R]}"); done
        srcs+=("${src[@]}")
        # target pattern: @v only / with tries counters / with @m, @s or @t
        rnd 6
        case $R in
        0 | 1) pat=1 ;;
        2) pat=2 ;;
        esac
        for v in "${src[@]}"; do echo "$pre $v" >"$W/src$id/$pre$v$suf"; done
        for v in "${tgt[@]}"; do
                case $pat in
                1) rnd 3; case $R in 0) tl=+$((RANDOM % 4)) ;; 1) tl=+$((RANDOM % 4))-$((RANDOM % 3)) ;; *) tl= ;; esac ;;
                # modes 06, 0666 and 4755 do not match in 257 (world-writable, set-uid)
                2) pick "" _0644 _600 _10 _1700000000000000 _06 _0666 _4755 _0x10 _0b11; tl=$P ;;
                *) tl= ;;
                esac
                echo "old $v" >"$W/tgt$id/$pre$v$tl$suf"
        done
        {
                echo "[Transfer]"
                echo "Verify=no"
                # MinVersion=: valid or not (257 ignores "1~rc1" and "%A")
                rnd 4; if [ $R = 0 ]; then genver; echo "MinVersion=$V"; fi
                rnd 12; if [ $R = 0 ]; then echo "MinVersion=%A"; fi
                for k in 1 2; do
                        rnd 4; [ $R = 0 ] || continue
                        if [ ${#tgt[@]} -gt 0 ]; then rnd ${#tgt[@]}; V=${tgt[$R]}; else genver; fi
                        case $V in *[[:space:]%]*) ;; *) echo "ProtectVersion=$V" ;; esac
                done
                echo "[Source]"
                echo "Type=regular-file"
                echo "Path=$W/src$id"
                echo "MatchPattern=$pre@v$suf"
                echo "[Target]"
                echo "Type=regular-file"
                echo "Path=$W/tgt$id"
                case $pat in
                1) echo "MatchPattern=$pre@v+@l-@d$suf $pre@v+@l$suf $pre@v$suf"
                   echo "TriesLeft=$((1 + RANDOM % 3))"; echo "TriesDone=0" ;;
                2) pick m s t; echo "MatchPattern=$pre@v_@$P$suf $pre@v$suf" ;;
                *) echo "MatchPattern=$pre@v$suf" ;;
                esac
                rnd 3; [ $R = 0 ] || echo "InstancesMax=$((2 + RANDOM % 3))"
        } >"$W/defs/5$id-r.transfer"
}

draw() {
        local id
        rm -rf "$W"; mkdir -p "$W/defs"
        genpool
        pick uki_ img- a ""; pre=$P
        [ -n "$pre" ] || pre=x_
        pick .efi .raw "" -x86; suf=$P
        srcs=()
        transfer 1
        rnd 3; if [ $R = 0 ]; then transfer 2; fi
}

# argver: sets A, a version for "update A"/"list A" (no whitespace, no glob
# characters: run_steps splits the step into words)
argver() {
        rnd 3
        if [ $R = 0 ] || [ ${#srcs[@]} = 0 ]; then genver; else rnd ${#srcs[@]}; V=${srcs[$R]}; fi
        case $V in *[[:space:]*?[]*) A=1 ;; *) A=$V ;; esac
}

setup_round() {
        local d="--definitions=$W/defs"
        draw
        steps=("=$d --json=short list" "=$d check-new" "$d update" "=$d --json=short list")
        rnd 3; if [ $R = 0 ]; then steps+=("$d --instances-max=$((2 + RANDOM % 2)) vacuum"); fi
        rnd 2; if [ $R = 0 ]; then argver; steps+=("$d update $A" "=$d --json=short list $A"); fi
        steps+=("=$d --json=short list")
        {
                echo "--- seed $SEED, round $round (UKIT_SEED=$SEED to repeat)"
                for f in "$W"/defs/*.transfer; do echo "# ${f##*/}"; cat "$f"; done
                for f in "$W"/src* "$W"/tgt*; do echo "${f##*/}: $(ls "$f" | tr '\n' '|')"; done
                printf 'step: %s\n' "${steps[@]}"
        } >"$T/round.txt"
}

for ((round = 0; round < ROUNDS; round++)); do
        scenario round
done
echo "$n rounds: ukit update did what systemd-sysupdate 257 did (seed $SEED)"
