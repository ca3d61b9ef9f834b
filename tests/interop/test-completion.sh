#!/usr/bin/env bash
# Bash completion (completion/ukit.bash) against the getopt tables ukit
# parses: bash-completion's own machinery (_init_completion, _filedir) runs
# the completion function as an interactive bash would for a TAB, and
#  - `ukit TAB` must offer exactly the verbs of main.c's verbs[] table,
#    `ukit sysext TAB` the sub-verbs of sysext.c's sub_verbs[] table;
#  - `ukit VERB --TAB` must offer exactly the long options of that verb's
#    `struct option` table (read from the preprocessed source, so macros
#    such as BUILD_PCR_OPTIONS count), with "=" for those taking an argument;
#  - option arguments complete by kind: files for --linux=, the banks for
#    --pcr-banks=, the phases for --phases=, the words for --format=.
# An option added to a table but not to --help fails here.
. "$(dirname "$0")/../lib.sh"
need cc awk
comp_main=/usr/share/bash-completion/bash_completion
[ -f "$comp_main" ] || skip "bash-completion not installed"
src=$UKIT_TOP/src/ukit
[ -x "$UKIT" ] || fail "no ukit binary at $UKIT"
mkdir -p "$T/bin"
ln -s "$(realpath "$UKIT")" "$T/bin/ukit"

# complete LINE: what TAB offers at the end of LINE, sorted, one per line.
complete_line() {
        (cd "$T/files" && PATH=$T/bin:$PATH bash -c '
                . "$1"; . "$2"
                COMP_LINE=$3; COMP_POINT=${#COMP_LINE}
                read -ra COMP_WORDS <<<"$COMP_LINE"
                [[ $COMP_LINE == *" " ]] && COMP_WORDS+=("")
                COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
                COMPREPLY=()
                _ukit ukit "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
                printf "%s\n" "${COMPREPLY[@]}"' _ "$comp_main" "$UKIT_TOP/completion/ukit.bash" "$1") |
                sed '/^$/d' | sort
}
mkdir -p "$T/files/subdir"
: >"$T/files/vmlinuz-test"
: >"$T/files/initrd.img-test"

# The getopt tables: FILE#N -> "--name" or "--name=" per entry.
tables() {
        local f=$1 n=0
        cc -E -P -D_GNU_SOURCE -I"$src" $(for d in "$UKIT_TOP"/src/lib/*/; do printf -- "-I%s " "$d"; done) -I"$UKIT_TOP/src/fundamental" \
                -I"$UKIT_BUILD" "$src/$f" 2>"$T/cpp.err" >"$T/cpp.out" || { cat "$T/cpp.err" >&2; fail "cc -E $f"; }
        awk -v f="$f" '
                /struct option [a-z_]+\[\] *= *\{/ { on = 1; n++ }
                on {
                        line = $0
                        # has_arg is 0/1/2 after preprocessing (no_argument, ...)
                        while (match(line, /\{ *"[a-z0-9-]+" *, *[0-9]/)) {
                                e = substr(line, RSTART, RLENGTH); line = substr(line, RSTART + RLENGTH)
                                name = e; sub(/^\{ *"/, "", name); sub(/".*/, "", name)
                                print f "#" n " --" name (e ~ /0$/ ? "" : "=")
                        }
                        if ($0 ~ /\};/) on = 0
                }' "$T/cpp.out"
}
for f in "$src"/*.c; do tables "$(basename "$f")"; done >"$T/tables"
[ -s "$T/tables" ] || fail "no getopt tables found in $src"

# Which table each command line parses with. A new table must be added here.
declare -A table_of=(
        [build]=build.c#1 [genkey]=genkey.c#1 [inspect]=inspect.c#1
        [install]=install.c#1 [remove]=install.c#2 [list]=list.c#1
        [measure]=measure.c#1 [sign]=sign.c#1 [verify]=verify.c#1
        [update]=update.c#1 [bless]=bless.c#1
        ["sysext build"]=sysext-build.c#1 ["confext build"]=sysext-build.c#1
        ["sysext verity"]=sysext.c#1 ["confext verity"]=sysext.c#1
)
for v in status merge unmerge refresh list; do
        table_of["sysext $v"]=sysext-merge.c#1
        table_of["confext $v"]=sysext-merge.c#1
done
used=" ${table_of[*]} "
for t in $(cut -d' ' -f1 "$T/tables" | sort -u); do
        [[ $used == *" $t "* ]] || fail "getopt table $t is not mapped to a command line in this test"
done

# Verbs: main.c's table, sysext.c's dispatch.
awk '/static const Verb verbs\[\]/ { on = 1 } on && match($0, /\{ *"[a-z]+", *verb_/) {
        s = substr($0, RSTART, RLENGTH); sub(/^\{ *"/, "", s); sub(/".*/, "", s); print s } on && /\};/ { on = 0 }' \
        "$src/main.c" | sort >"$T/verbs.want"
[ "$(wc -l <"$T/verbs.want")" -ge 10 ] || fail "could not read the verbs[] table of main.c"
complete_line "ukit " | grep -v '^--' >"$T/verbs.got"
diff -u "$T/verbs.want" "$T/verbs.got" || fail "ukit TAB: verbs differ from main.c's verbs[]"
complete_line "ukit ver" >"$T/got"
assert_eq "$(tr '\n' ' ' <"$T/got")" "verify version " "ukit verTAB"

# sysext.c's sub_verbs[] table: lines '{ "name", run_... },' between "sub_verbs[] = {" and "};"
awk '/sub_verbs\[\] = \{/ { on = 1; next } on && /^\};/ { on = 0 } on && match($0, /\{ *"[a-z]+"/) {
        s = substr($0, RSTART, RLENGTH); sub(/^\{ *"/, "", s); sub(/"$/, "", s); print s }' "$src/sysext.c" | sort -u >"$T/sub.want"
[ "$(wc -l <"$T/sub.want")" -ge 5 ] || fail "could not read the sub_verbs[] table of sysext.c"
for c in sysext confext; do
        complete_line "ukit $c " >"$T/sub.got"
        diff -u "$T/sub.want" "$T/sub.got" || fail "ukit $c TAB: sub-verbs differ from sysext.c"
done

# Options per command line.
checked=0
for cmdline in "${!table_of[@]}"; do
        grep "^${table_of[$cmdline]} " "$T/tables" | cut -d' ' -f2 | sort -u >"$T/opts.want"
        complete_line "ukit $cmdline --" >"$T/opts.got"
        diff -u "$T/opts.want" "$T/opts.got" >"$T/opts.diff" ||
                { cat "$T/opts.diff" >&2; fail "ukit $cmdline --TAB differs from ${table_of[$cmdline]} (- table, + completion)"; }
        checked=$((checked + 1))
done
echo "options of $checked command lines match their getopt tables"

# A prefix narrows the list.
complete_line "ukit build --pcr" >"$T/got"
assert_eq "$(tr '\n' ' ' <"$T/got")" "--pcr-banks= --pcr-private-key= --pcr-public-key= --pcrpkey= " "ukit build --pcrTAB"

# Arguments by kind.
complete_line "ukit build --linux=vml" >"$T/got"
assert_eq "$(cat "$T/got")" "vmlinuz-test" "--linux=vmlTAB (files)"
complete_line "ukit build --initrd init" >"$T/got"
assert_eq "$(cat "$T/got")" "initrd.img-test" "--initrd initTAB (files)"
complete_line "ukit list --esp-path=" >"$T/got"
assert_eq "$(cat "$T/got")" "subdir" "--esp-path=TAB (directories only)"
# The banks --help names, as a comma-separated list.
banks=$("$UKIT" build --help | grep -oE -- '--pcr-banks=[^ ]+ +[a-z0-9,]+' | awk '{print $2}' | tr ',' '\n' | sort)
[ -n "$banks" ] || fail "no bank list in ukit build --help"
complete_line "ukit build --pcr-banks=" >"$T/got"
assert_eq "$(cat "$T/got")" "$banks" "--pcr-banks=TAB"
complete_line "ukit build --pcr-banks=sha256,sha" >"$T/got"
assert_eq "$(tr '\n' ' ' <"$T/got")" "sha256,sha1 sha256,sha384 sha256,sha512 " "--pcr-banks=sha256,shaTAB"
# The phases: systemd-measure's default phase paths are the ones offered.
complete_line "ukit build --phases=" >"$T/got"
grep -qx 'enter-initrd:leave-initrd:sysinit:ready' "$T/got" || fail "--phases=TAB: $(tr '\n' ' ' <"$T/got")"
complete_line "ukit measure sign --phase=enter-initrd:leave-initrd:s" >"$T/got"
assert_eq "$(tr '\n' ' ' <"$T/got")" "enter-initrd:leave-initrd:sysinit enter-initrd:leave-initrd:sysinit:ready " "--phase=...:sTAB"
complete_line "ukit sysext build --format=" >"$T/got"
assert_eq "$(tr '\n' ' ' <"$T/got")" "erofs squashfs " "--format=TAB"
complete_line "ukit measure " >"$T/got"
assert_eq "$(tr '\n' ' ' <"$T/got")" "calculate sign status " "ukit measure TAB"
echo "completion OK"
