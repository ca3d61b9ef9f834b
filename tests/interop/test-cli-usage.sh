#!/usr/bin/env bash
# Every verb listed by `ukit --help` (and each sub-verb of measure, sysext
# and confext): --help exits 0 with a usage text on stdout; an unknown
# option, a missing option argument and an argument to a flag each give one
# "ukit VERB: ..." line (plus the "Try" hint) and exit 2, nothing else on
# stderr (glibc's own getopt messages would add an unprefixed line); a
# manual page exists (man -l renders it without warnings).
. "$(dirname "$0")/../lib.sh"
need man

verbs=$("$UKIT" --help | awk '/^Verbs:/ { v = 1; next } v && /^  [a-z]/ { print $1 }')
[ "$(echo "$verbs" | wc -w)" -ge 12 ] || fail "verb list from ukit --help looks wrong: $verbs"

# usage_error WHAT EXPECT ARGS...: exit 2, first line "ukit V: EXPECT", only the hint after it
usage_error() {
        local what=$1 expect=$2 rc; shift 2
        set +e; "$UKIT" "$@" >"$T/out" 2>"$T/err"; rc=$?; set -e
        assert_eq "$rc" 2 "$what: exit status"
        [ ! -s "$T/out" ] || fail "$what: wrote to stdout: $(cat "$T/out")"
        grep -qxF -- "ukit $1: $expect" <(head -n1 "$T/err") || fail "$what: got: $(cat "$T/err")"
        [ "$(sed 1d "$T/err" | grep -vc "^Try 'ukit [a-z]* --help'\.$")" = 0 ] || fail "$what: extra lines: $(cat "$T/err")"
}

for v in $verbs; do
        [ "$v" = version ] && continue
        subs=("")
        case $v in
        measure) subs=(calculate sign status) ;;
        sysext | confext) subs=(merge unmerge refresh status list build verity) ;;
        esac
        for s in "${subs[@]}"; do
                cmd=("$v"); [ -n "$s" ] && cmd+=("$s")
                "$UKIT" "${cmd[@]}" --help >"$T/help" 2>&1 || fail "ukit ${cmd[*]} --help failed"
                grep -q "Usage: ukit $v" "$T/help" || fail "ukit ${cmd[*]} --help: no usage line"
                usage_error "${cmd[*]} unknown option" "unknown option '--no-such-option'" "${cmd[@]}" --no-such-option
                usage_error "${cmd[*]} unknown short option" "unknown option '-Z'" "${cmd[@]}" -Z
                usage_error "${cmd[*]} --help=x" "option '--help' takes no argument" "${cmd[@]}" --help=x
        done
        page=$(ls "$UKIT_TOP"/man/ukit-"$v".[178] 2>/dev/null | head -n1)
        [ -n "$page" ] || fail "no manual page for $v"
        # an alias page (".so man8/ukit-install.8"): the page it points to
        if head -n1 "$page" | grep -q '^\.so '; then
                page=$UKIT_TOP/man/$(basename "$(head -n1 "$page" | cut -d' ' -f2)")
                [ -f "$page" ] || fail "$v: alias to a missing page $page"
        fi
        MANWIDTH=80 man --warnings -l "$page" >/dev/null 2>"$T/manerr" || fail "man $page failed"
        [ ! -s "$T/manerr" ] || fail "$page: $(cat "$T/manerr")"
done

# One verb with an option that takes an argument per kind of parser.
usage_error "sign --key" "option '--key' needs an argument" sign --key
usage_error "inspect --json" "option '--json' needs an argument" inspect --json
usage_error "sysext merge --root" "option '--root' needs an argument" sysext merge --root
usage_error "measure calculate --linux" "option '--linux' needs an argument" measure calculate --linux
usage_error "build --linux" "option '--linux' needs an argument" build --linux
echo "all verbs: one-line usage errors, --help, manual pages"
