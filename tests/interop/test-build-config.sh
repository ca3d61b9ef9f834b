#!/usr/bin/env bash
# ukit build --config: ukify's INI format ([UKI] keys). A build from a config
# file must be byte-identical to the same build from command-line options;
# command-line options win over the file; Initrd= lists (space separated,
# continuation lines) come before --initrd; syntax errors name file:line.
# The oracle for the expected bytes is the command-line build plus pe_check.
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
echo "PASS"
