#!/usr/bin/env bash
# ukit build --config: ukify's INI format ([UKI] keys). A build from a config
# file must be byte-identical to the same build from command-line options;
# command-line options win over the file; Initrd= lists (space separated,
# continuation lines) come before --initrd; syntax errors name file:line.
# The oracle for the expected bytes is the command-line build plus pe_check;
# for how a file is read (comments, continuation lines), ukify 257 itself in
# the oracle root (`ukify build --summary` prints what it parsed).
. "${UKIT_TOP:-$(dirname "$0")/../..}/tests/lib.sh"
. "$UKIT_TOP/tests/interop/build-lib.sh"
build_need
KERNEL=$(build_kernel)

cd "$T"
printf 'ID=test\nVERSION_ID=2\n' >osrel
head -c 1001 /dev/urandom >i1
head -c 2002 /dev/urandom >i2
head -c 3003 /dev/urandom >i3
head -c 512 /dev/urandom >dtb

cat >ukify.conf <<EOF
# a comment
[UKI]
Linux = $KERNEL
Initrd = i1 i2
  i3
Cmdline = console=ttyS0   quiet   # inline comment
OSRelease = @osrel
Uname = 9.9.9-test
DeviceTree=dtb
SBAT = sbat,1,SBAT Version,sbat,1,https://github.com/rhboot/shim/blob/main/SBAT.md
    cfgtest,1,Config,cfgtest,1,https://example.com/
Stub = $STUB

NoSuchKey = 1

[NoSuchSection]
Foo = bar
EOF

"$UKIT" build -c ukify.conf -o from-config.efi 2>cfg.log || { cat cfg.log; fail "build from config failed"; }
"$UKIT" build --linux="$KERNEL" --initrd=i1 --initrd=i2 --initrd=i3 --cmdline='console=ttyS0 quiet' \
        --os-release=@osrel --uname=9.9.9-test --devicetree=dtb --stub="$STUB" \
        --sbat='sbat,1,SBAT Version,sbat,1,https://github.com/rhboot/shim/blob/main/SBAT.md
cfgtest,1,Config,cfgtest,1,https://example.com/' -o from-cli.efi 2>/dev/null || fail "build from options failed"
assert_files_equal from-config.efi from-cli.efi "config vs command line"
pe_check from-config.efi "$STUB" .osrel=osrel .dtb=dtb .linux="$KERNEL" || fail "pe_check"
objcopy -O binary --only-section=.cmdline from-config.efi c.bin
assert_eq "$(cat c.bin)" "console=ttyS0 quiet" ".cmdline from config"
objcopy -O binary --only-section=.sbat from-config.efi s.bin
grep -qa '^cfgtest,1,Config' s.bin || fail ".sbat lacks the config's entry"

# command line wins; config initrds come first
printf 'cli' >cmdline.cli
"$UKIT" build -c ukify.conf --cmdline=@cmdline.cli --uname=1.2.3 --initrd=i1 -o override.efi 2>/dev/null ||
        fail "build with overrides failed"
objcopy -O binary --only-section=.cmdline override.efi c2.bin
assert_eq "$(cat c2.bin)" "cli" "--cmdline overrides Cmdline="
objcopy -O binary --only-section=.uname override.efi u.bin
assert_eq "$(cat u.bin)" "1.2.3" "--uname overrides Uname="
{ cat i1; printf '\0\0\0'; cat i2; printf '\0\0'; cat i3; printf '\0'; cat i1; printf '\0\0\0'; } >initrd.expected
pe_check override.efi "$STUB" .initrd=initrd.expected || fail "config initrds before --initrd"

# unknown keys and sections warn (like ukify) and do not stop the build
grep -q "unknown config setting \[UKI\] NoSuchKey=" cfg.log || fail "no warning for an unknown key: $(cat cfg.log)"
grep -q "unknown config setting \[NoSuchSection\] Foo=" cfg.log || fail "no warning for an unknown section: $(cat cfg.log)"

# syntax error: file and line, no output
printf '[UKI]\nLinux = x\nthis line has no equals sign\n' >bad.conf
mkdir out
if "$UKIT" build -c bad.conf -o out/x.efi 2>err.log; then fail "bad config accepted"; fi
grep -q "bad.conf:3: syntax error" err.log || fail "syntax error message: $(cat err.log)"
assert_eq "$(ls -A out | wc -l)" 0 "files left after a config error"
printf 'Linux = x\n' >nosection.conf
if "$UKIT" build -c nosection.conf -o out/x.efi 2>err.log; then fail "key outside a section accepted"; fi
grep -q "nosection.conf:1:" err.log || fail "no-section error message: $(cat err.log)"

# --- comments and continuations as ukify 257 reads them ---
# ukify: configparser(comment_prefixes='#', inline_comment_prefixes='#',
# empty_lines_in_values=False). What ukify 257 prints is the expectation.
oracle() { bash "$UKIT_TOP/scripts/oracle-257-run.sh" --bind "$T" "$@"; }
oracle true 2>/dev/null || skip "no systemd 257 oracle root (scripts/fetch-oracle-257.sh)"
printf 'fake kernel\n' >"$T/fake-linux"
# CONF -> "cmdline=VALUE" or "error", for ukify 257 and for ukit
ukify_view() {
        local out
        if ! out=$(oracle ukify --config="$T/$1" build --linux="$T/fake-linux" --summary 2>&1); then
                echo error; return
        fi
        grep -q "^ 'cmdline':" <<<"$out" || { echo "no cmdline in: $out" >&2; echo "?"; return; }
        # the summary is a Python pprint of the parsed options
        printf 'cmdline=%s\n' "$(sed -n "s/^ 'cmdline': '\(.*\)',$/\1/p" <<<"$out")"
}
ukit_view() {
        rm -f view.efi
        if ! "$UKIT" build -c "$1" --linux="$T/fake-linux" --stub="$STUB" -o view.efi 2>view.err; then
                grep -q "^ukit build: $1:[0-9]*: " view.err || fail "$1: error does not name the file and line: $(cat view.err)"
                echo error; return
        fi
        objcopy -O binary --only-section=.cmdline view.efi view.cmdline
        printf 'cmdline=%s\n' "$(tr '\n' ' ' <view.cmdline)"
}
same_as_ukify() {
        local want got
        want=$(ukify_view "$1"); got=$(ukit_view "$1")
        [ "$want" != "?" ] || fail "$1: cannot read ukify's summary"
        assert_eq "$got" "$want" "$1 read as ukify 257 reads it"
}
# a comment line, indented or not, ends a continued value (it counts as an
# empty line): the next indented line is a key of its own, or an error
printf '[UKI]\nCmdline = a\n  # note\n  after=1\n' >comment-ends-value.conf
same_as_ukify comment-ends-value.conf
printf '[UKI]\nCmdline = a\n# note\n  b\n' >comment-then-indent.conf
same_as_ukify comment-then-indent.conf
# inline '#' after a blank, in the first line and in continuation lines
printf '[UKI]\nCmdline = a#1 b # c\n  d # e\n  f#g\n' >inline.conf
same_as_ukify inline.conf
# ';' is not a comment prefix for ukify 257: a line of its own is refused, a
# ';' inside a value is kept, ';Key=' is an (unknown) key
printf '[UKI]\n; a comment\nCmdline = a\n' >semicolon-line.conf
same_as_ukify semicolon-line.conf
printf '[UKI]\nCmdline = a ; b\n;Uname = 1\n' >semicolon-value.conf
same_as_ukify semicolon-value.conf
printf '[UKI]\nCmdline = a\n  ; b\n' >semicolon-continued.conf
same_as_ukify semicolon-continued.conf

# --- more [PCRSignature:] groups than signing keys: refused, not dropped ---
openssl genrsa -out pcr.pem 2048 2>/dev/null
{ for i in $(seq 17); do printf '[PCRSignature:g%s]\nPCRPrivateKey=%s\nPhases=enter-initrd\n\n' "$i" "$T/pcr.pem"; done; } >groups.conf
rm -rf out; mkdir out
if "$UKIT" build -c groups.conf --linux="$T/fake-linux" --stub="$STUB" -o out/g.efi 2>groups.err; then
        fail "17 [PCRSignature:] groups accepted (some silently unsigned)"
fi
assert_eq "$(wc -l <groups.err)" 1 "one error line for too many groups"
grep -q "^ukit build: groups.conf:[0-9]*: too many \[PCRSignature:\] groups" groups.err || fail "too many groups: $(cat groups.err)"
assert_eq "$(ls -A out | wc -l)" 0 "files left after too many groups"
echo "PASS"
