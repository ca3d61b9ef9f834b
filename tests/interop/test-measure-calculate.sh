#!/usr/bin/env bash
# ukit measure calculate == systemd-measure 252 calculate (the oracle), on
# generated inputs: all four banks and subsets, optional sections present or
# absent, empty and binary content, several phases; text (stdout and the
# stderr phase headers) and both JSON styles.
. "${UKIT_TOP:-$(dirname "$0")/../..}/tests/lib.sh"
SM=/usr/lib/systemd/systemd-measure
[ -x "$SM" ] || skip "systemd-measure not installed"
grep -q '^systemd 252' <<<"$("$SM" --version)" || skip "need systemd-measure 252 as the oracle"

cd "$T"
RANDOM=4242
head -c 1 /dev/urandom >one
: >empty
head -c 4095 /dev/urandom >bin4095
head -c 16384 /dev/urandom >bin16k          # == systemd-measure's read buffer
head -c 1048579 /dev/urandom >bin1m
head -c 5000000 /dev/urandom >bin5m         # several hasher/thread chunks
printf 'ID=debian\nVERSION_ID="12"\n' >osrel
printf 'console=ttyS0 quiet\0' >cmdline
openssl genrsa -out k.pem 2048 2>/dev/null
openssl rsa -in k.pem -pubout -out pub.pem 2>/dev/null
files=(one empty bin4095 bin16k bin1m bin5m osrel cmdline pub.pem)
pick() { echo "${files[RANDOM % ${#files[@]}]}"; }

bank_sets=("" "--bank=sha1" "--bank=SHA256" "--bank=sha384 --bank=sha512" "--bank=sha512 --bank=sha1 --bank=sha1"
           "--bank=sha1 --bank=sha256 --bank=sha384 --bank=sha512")
phase_sets=("" "--phase=" "--phase=enter-initrd" "--phase=ready --phase=enter-initrd --phase=enter-initrd"
            "--phase=enter-initrd:leave-initrd:sysinit:ready:shutdown:final --phase=::sysinit:: --phase="
            "--phase=shutdown --phase=final --phase=enter-initrd:leave-initrd")
json_modes=("" "--json=short" "--json=pretty" "-j" "--json=off")

n=0
for i in $(seq 1 40); do
        args=("--linux=$(pick)")
        for s in osrel cmdline initrd splash dtb pcrpkey; do
                [ $((RANDOM % 2)) = 0 ] && args+=("--$s=$(pick)")
        done
        # shellcheck disable=SC2206
        args+=(${bank_sets[RANDOM % ${#bank_sets[@]}]} ${phase_sets[RANDOM % ${#phase_sets[@]}]})
        j=${json_modes[RANDOM % ${#json_modes[@]}]}
        [ -n "$j" ] && args+=("$j")
        "$SM" calculate "${args[@]}" >exp.out 2>exp.err || fail "systemd-measure failed: ${args[*]}"
        "$UKIT" measure calculate "${args[@]}" >got.out 2>got.err || fail "ukit failed: ${args[*]}: $(cat got.err)"
        cmp -s exp.out got.out || { diff exp.out got.out | head; fail "stdout differs: ${args[*]}"; }
        cmp -s exp.err got.err || { diff exp.err got.err | head; fail "stderr differs: ${args[*]}"; }
        n=$((n + 1))
done

# Every section 252 knows at once, with the largest inputs.
args=(--linux=bin5m --osrel=osrel --cmdline=cmdline --initrd=bin1m --splash=bin4095 --dtb=one --pcrpkey=pub.pem)
for j in --json=short --json=pretty --json=off; do
        diff <("$SM" calculate "${args[@]}" "$j" 2>&1) <("$UKIT" measure calculate "${args[@]}" "$j" 2>&1) \
                || fail "all sections $j differ"
        n=$((n + 1))
done

# Files that are not what stat says (size 0 or unmappable in /proc): read to the end.
diff <("$SM" calculate --linux=one --cmdline=/proc/cmdline --osrel=/proc/version 2>&1) \
        <("$UKIT" measure calculate --linux=one --cmdline=/proc/cmdline --osrel=/proc/version 2>&1) \
        || fail "/proc files differ"
# A pipe as input.
diff <("$SM" calculate --linux=one --initrd=<(cat bin1m) 2>&1) <("$UKIT" measure calculate --linux=one --initrd=<(cat bin1m) 2>&1) \
        || fail "pipe input differs"

# An empty .linux: systemd-measure measures nothing at all (all-zero PCR).
diff <("$SM" calculate --linux=empty --phase= 2>&1) <("$UKIT" measure calculate --linux=empty --phase= 2>&1) \
        || fail "empty .linux differs"

# Bad input: clear one-line error, non-zero exit, nothing on stdout.
bad() {
        local what=$1; shift
        if "$UKIT" measure calculate "$@" >bad.out 2>bad.err; then fail "$what: succeeded"; fi
        [ ! -s bad.out ] || fail "$what: printed output"
        [ "$(wc -l <bad.err)" -le 2 ] || fail "$what: more than a one-line error"
        grep -q "ukit measure: " bad.err || fail "$what: no error message"
}
bad "unknown bank" --linux=one --bank=md5
bad "unknown phase" --linux=one --phase=enter-initrd:bogus
bad "missing file" --linux=one --initrd=/nonexistent
bad "directory" --linux=one --initrd=/
bad "no linux" --osrel=osrel
bad "bad json mode" --linux=one --json=yaml
chmod 000 bin4095; if [ "$(id -u)" != 0 ]; then bad "unreadable" --linux=one --dtb=bin4095; fi; chmod 644 bin4095
grep -q "/nonexistent" <("$UKIT" measure calculate --linux=one --initrd=/nonexistent 2>&1) || fail "error does not name the file"

echo "ok: $n comparisons with systemd-measure 252"
