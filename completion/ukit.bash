# bash completion for ukit(1)                                  -*- shell-script -*-
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Nothing here lists ukit's verbs or options: they are read from the
# `--help` output of the ukit being completed (`ukit --help`, `ukit VERB
# --help`, `ukit sysext VERB --help`), which ukit prints from the same
# option tables it parses, so completion cannot drift from the program
# (tests/interop/test-completion.sh checks both against the getopt tables).
# Only the kinds of option arguments are known here, by their placeholder
# in --help: PATH/FILE/KEY/CERT/... complete file names, DIR directories,
# a|b|c its words, BANK/DIGEST the PCR banks, PHASE the boot phases.

# _ukit_help CMD...: the --help text of CMD, cached for the shell session.
_ukit_help()
{
    local key="$*"
    if [[ -z ${_ukit_help_cache[$key]+set} ]]; then
        _ukit_help_cache[$key]=$("$@" --help 2>/dev/null)
    fi
    printf '%s\n' "${_ukit_help_cache[$key]}"
}
declare -gA _ukit_help_cache 2>/dev/null || declare -A _ukit_help_cache

# _ukit_words SECTION CMD...: the names listed under "SECTION:" in the help
# (two-space indented "name   description" lines up to the next blank line).
_ukit_words()
{
    local section=$1
    shift
    _ukit_help "$@" | awk -v s="$section:" '
        $0 == s { on = 1; next }
        on && /^$/ { exit }
        on && /^  [a-z]/ { print $1 }'
}

# _ukit_options CMD...: one line per long option: "--name" or "--name=ARG"
# (ARG as the help writes it; options seen twice keep a word list if any).
_ukit_options()
{
    # every verb takes --help, even where its usage text does not say so
    { echo --help; _ukit_help "$@"; } |
        grep -oE -- "--(\[no-\])?[a-z0-9][a-z0-9-]*(\[?=[^] ,]*(,\.\.\.)?)?" |
        awk '{
            o = $0
            if (o ~ /^--\[no-\]/) { sub(/^--\[no-\]/, "", o); print "--" o; print "--no-" o; next }
            sub(/\[=/, "=", o)
            name = o; arg = ""
            if (index(o, "=")) { name = substr(o, 1, index(o, "=") - 1); arg = substr(o, index(o, "=") + 1) }
            gsub(/[\x27"]/, "", arg)
            if (!(name in seen)) { order[++n] = name; seen[name] = 1 }
            if (arg != "" && (!(name in args) || arg ~ /^[a-z0-9-]+(\|[a-z0-9-]+)+$/)) args[name] = arg
        }
        END { for (i = 1; i <= n; i++) print order[i] (order[i] in args ? "=" args[order[i]] : "") }'
}

# _ukit_complete_arg ARG CUR: fill COMPREPLY for an option argument.
_ukit_complete_arg()
{
    local arg=$1 cur=$2 w
    if [[ $arg =~ ^[a-z0-9-]+(\|[a-z0-9-]+)+$ ]]; then
        COMPREPLY=($(compgen -W "${arg//|/ }" -- "$cur"))
        return
    fi
    case $arg in
    BANK,*)
        # a comma-separated list: complete the last element
        local done_part="" b left=""
        [[ $cur == *,* ]] && done_part=${cur%,*},
        for b in sha1 sha256 sha384 sha512; do
            [[ ,$done_part == *",$b,"* ]] || left+=" $b"
        done
        COMPREPLY=($(compgen -P "$done_part" -W "$left" -- "${cur##*,}"))
        compopt -o nospace 2>/dev/null
        ;;
    DIGEST)
        COMPREPLY=($(compgen -W "sha1 sha256 sha384 sha512" -- "$cur")) ;;
    PHASE|PATH...)
        w="enter-initrd enter-initrd:leave-initrd enter-initrd:leave-initrd:sysinit"
        w+=" enter-initrd:leave-initrd:sysinit:ready"
        COMPREPLY=($(compgen -W "$w" -- "$cur")) ;;
    MODE)
        COMPREPLY=($(compgen -W "pretty short off" -- "$cur")) ;;
    SPEC)
        COMPREPLY=($(compgen -W "auto machine-id os-id os-image-id literal:" -- "$cur")) ;;
    DIR)
        _filedir -d ;;
    *PATH*|*FILE*|KEY|CERT|SIG|DISK|*.raw)
        _filedir ;;
    *)
        COMPREPLY=() ;;
    esac
}

_ukit()
{
    local cur prev words cword split
    _init_completion -s || return

    local ukit=${words[0]} i
    local -a cmd=("$ukit")
    # The verb (and for sysext/confext the sub-verb) decide whose --help applies.
    local -a verbs
    verbs=($(_ukit_words Verbs "$ukit"))
    for ((i = 1; i < cword; i++)); do
        [[ ${words[i]} == -* ]] && continue
        if ((${#cmd[@]} == 1)) && [[ " ${verbs[*]} " == *" ${words[i]} "* ]]; then
            cmd+=("${words[i]}")
        elif ((${#cmd[@]} == 2)) && [[ ${cmd[1]} == sysext || ${cmd[1]} == confext ]] &&
            [[ " $(_ukit_words Verbs "${cmd[@]}" | tr '\n' ' ') " == *" ${words[i]} "* ]]; then
            cmd+=("${words[i]}")
        fi
    done

    if ((${#cmd[@]} == 1)); then
        COMPREPLY=($(compgen -W "${verbs[*]} --help --version" -- "$cur"))
        return
    fi

    local opts opt arg
    opts=$(_ukit_options "${cmd[@]}")

    # --opt=ARG (split by _init_completion) or --opt ARG
    if [[ $prev == --* ]]; then
        while IFS= read -r opt; do
            [[ ${opt%%=*} == "$prev" && $opt == *=* ]] || continue
            _ukit_complete_arg "${opt#*=}" "$cur"
            return
        done <<<"$opts"
    fi
    $split && return

    if [[ $cur == -* ]]; then
        local -a names=()
        while IFS= read -r opt; do
            [[ -n $opt ]] || continue
            if [[ $opt == *=* ]]; then names+=("${opt%%=*}="); else names+=("$opt"); fi
        done <<<"$opts"
        COMPREPLY=($(compgen -W "${names[*]}" -- "$cur"))
        [[ ${COMPREPLY-} == *= ]] && compopt -o nospace 2>/dev/null
        return
    fi

    # Positional arguments: sub-verbs (sysext build, measure sign), else files.
    local -a sub
    if ((${#cmd[@]} == 2)); then
        sub=($(_ukit_words Verbs "${cmd[@]}") $(_ukit_words Commands "${cmd[@]}"))
        local given=0
        for ((i = 2; i < cword; i++)); do
            [[ ${words[i]} != -* && " ${sub[*]} " == *" ${words[i]} "* ]] && given=1
        done
        if ((${#sub[@]} && !given)); then
            COMPREPLY=($(compgen -W "${sub[*]}" -- "$cur"))
            return
        fi
    fi
    _filedir
} &&
    complete -F _ukit ukit

# ex: filetype=sh
