#!/usr/bin/env bash
# ukit measure calculate --uki: prediction from a built UKI, with the rules of
# the stub inside it. Oracle: systemd-measure 252 on the section files, for
# UKIs assembled by objcopy (binutils, not ukit) around Debian's
# systemd-stub 252. A 252 stub does not measure .sbat/.uname, so adding them
# must not change the prediction (the stub brings its own .sbat); a stub
# identifying as ukit-stub (current
# rules) does measure .sbat.
. "${UKIT_TOP:-$(dirname "$0")/../..}/tests/lib.sh"
SM=/usr/lib/systemd/systemd-measure
STUB=/usr/lib/systemd/boot/efi/linuxx64.efi.stub
[ -x "$SM" ] || skip "systemd-measure not installed"
[ -f "$STUB" ] || skip "systemd-boot-efi not installed"
need objcopy python3
grep -q '^systemd 252' <<<"$("$SM" --version)" || skip "need systemd-measure 252 as the oracle"
grep -aq "LoaderInfo: systemd-stub 252" "$STUB" || skip "stub is not systemd-stub 252"

cd "$T"
head -c 1500000 /dev/urandom >linux
head -c 300001 /dev/urandom >initrd
printf 'ID=debian\nVERSION_ID=12\n' >osrel
printf 'console=ttyS0 root=/dev/vda1' >cmdline
printf 'sbat,1,SBAT Version,sbat,1,https://github.com/rhboot/shim/blob/main/SBAT.md\n' >sbat
printf '6.1.0-test' >uname
head -c 777 /dev/urandom >splash
openssl genrsa 2048 2>/dev/null | openssl rsa -pubout -out pcrpkey 2>/dev/null

# mkuki OUT STUB SECTION=FILE...: sections placed after the stub's image.
mkuki() {
        local out=$1 stub=$2 vma=$((0x1000000)) args=() s f
        shift 2
        for a in "$@"; do
                s=${a%%=*}; f=${a#*=}
                args+=(--add-section ".$s=$f" --change-section-vma ".$s=$(printf '0x%x' $vma)")
                vma=$(( (vma + $(stat -c %s "$f") + 0xfffff) & ~0xfffff ))
        done
        objcopy "${args[@]}" "$stub" "$out"
}

n=0
check() {       # check UKI SM-ARGS...
        local uki=$1; shift
        for j in --json=off --json=short --json=pretty; do
                for b in "" "--bank=sha1 --bank=sha256"; do
                        # shellcheck disable=SC2086
                        "$SM" calculate "$@" $b $j >exp 2>&1 || fail "systemd-measure failed"
                        # shellcheck disable=SC2086
                        "$UKIT" measure calculate --uki="$uki" $b $j >got 2>&1 || fail "ukit --uki failed: $(cat got)"
                        cmp -s exp got || { diff exp got | head; fail "--uki $uki differs from systemd-measure $*"; }
                        n=$((n + 1))
                done
        done
}

mkuki a.efi "$STUB" osrel=osrel cmdline=cmdline linux=linux initrd=initrd
check a.efi --linux=linux --osrel=osrel --cmdline=cmdline --initrd=initrd

mkuki b.efi "$STUB" osrel=osrel cmdline=cmdline uname=uname splash=splash pcrpkey=pcrpkey linux=linux initrd=initrd
check b.efi --linux=linux --osrel=osrel --cmdline=cmdline --initrd=initrd --splash=splash --pcrpkey=pcrpkey

mkuki c.efi "$STUB" linux=linux
check c.efi --linux=linux

# A stub that says it is ukit-stub: current rules, .sbat and .uname count.
# (systemd-measure 252 cannot express those; the ukit stub's identity string
# goes into the Debian stub's .sdmagic only for this rule-selection check.)
printf '#### LoaderInfo: ukit-stub 0.1 ####' >magic
objcopy --update-section .sdmagic=magic "$STUB" ukitstub.efi 2>/dev/null \
        || { objcopy --remove-section .sdmagic "$STUB" ukitstub.efi && objcopy --add-section .sdmagic=magic ukitstub.efi; }
mkuki d.efi ukitstub.efi osrel=osrel uname=uname linux=linux
objcopy -O binary --only-section=.sbat "$STUB" stub.sbat
got_d=$("$UKIT" measure calculate --uki=d.efi --phase= --bank=sha256 2>/dev/null)
want_252=$("$SM" calculate --linux=linux --osrel=osrel --phase= --bank=sha256 2>/dev/null)
[ "$got_d" != "$want_252" ] || fail "ukit-stub rules ignored .sbat/.uname"
got_files=$("$UKIT" measure calculate --linux=linux --osrel=osrel --uname=uname --sbat=stub.sbat --phase= --bank=sha256 2>/dev/null)
assert_eq "$got_d" "$got_files" "ukit-stub UKI vs the same sections as files"

# Bad input: not a PE, missing file.
head -c 4096 /dev/urandom >junk.efi
assert_fails "junk UKI" "$UKIT" measure calculate --uki=junk.efi
assert_fails "missing UKI" "$UKIT" measure calculate --uki=/nonexistent.efi
assert_fails "--uki with --linux" "$UKIT" measure calculate --uki=a.efi --linux=linux
echo "ok: $n comparisons"
