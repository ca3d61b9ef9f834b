#!/usr/bin/env bash
# ukit measure calculate --current and status read PCR 11 from
# /sys/class/tpm/tpm0/pcr-BANK/11. In a private mount namespace a fake sysfs
# directory stands in for the TPM; the oracle is systemd-measure 252
# calculate --current on the same files (status: the files themselves).
. "${UKIT_TOP:-$(dirname "$0")/../..}/tests/lib.sh"
SM=/usr/lib/systemd/systemd-measure
[ -x "$SM" ] || skip "systemd-measure not installed"
need unshare
grep -q '^systemd 252' <<<"$("$SM" --version)" || skip "need systemd-measure 252 as the oracle"
unshare -m true 2>/dev/null || skip "cannot create a mount namespace (need CAP_SYS_ADMIN)"

mkdir -p "$T/fake/tpm0/pcr-sha1" "$T/fake/tpm0/pcr-sha256" "$T/fake/tpm0/pcr-sha384"
head -c 20 /dev/urandom | xxd -p -c 64 | tr a-f A-F >"$T/fake/tpm0/pcr-sha1/11"
head -c 32 /dev/urandom | xxd -p -c 64 | tr a-f A-F >"$T/fake/tpm0/pcr-sha256/11"
head -c 48 /dev/urandom | xxd -p -c 64 >"$T/fake/tpm0/pcr-sha384/11"
export T UKIT SM
unshare -m bash -euo pipefail -c '
        mount -t tmpfs none /sys/class
        mkdir -p /sys/class/tpm
        mount --bind "$T/fake" /sys/class/tpm
        for args in "--bank=sha1 --bank=sha256 --bank=sha384" "--bank=sha256 --phase=" "--bank=sha1 --phase=ready --phase=enter-initrd --json=pretty"; do
                # shellcheck disable=SC2086
                "$SM" calculate --current $args >"$T/exp" 2>&1
                # shellcheck disable=SC2086
                "$UKIT" measure calculate --current $args >"$T/got" 2>&1
                cmp -s "$T/exp" "$T/got" || { diff "$T/exp" "$T/got"; echo "FAIL: --current $args" >&2; exit 1; }
        done
        "$UKIT" measure status --bank=sha1 --bank=sha256 --bank=sha512 >"$T/status" 2>"$T/status.err"
        printf "11:sha1=%s\n11:sha256=%s\n" "$(tr A-F a-f <"$T/fake/tpm0/pcr-sha1/11")" \
                "$(tr A-F a-f <"$T/fake/tpm0/pcr-sha256/11")" | cmp -s - "$T/status" || { echo "FAIL: status" >&2; exit 1; }
        # a missing bank with --current is an error naming the file, no output
        if "$UKIT" measure calculate --current --bank=sha512 >"$T/bad" 2>"$T/bad.err"; then echo "FAIL: missing bank accepted" >&2; exit 1; fi
        [ ! -s "$T/bad" ] && grep -q "pcr-sha512/11" "$T/bad.err" || { echo "FAIL: missing bank error" >&2; exit 1; }
        # garbage in sysfs
        echo nothex >"$T/fake/tpm0/pcr-sha1/11"
        if "$UKIT" measure status --bank=sha1 >"$T/bad" 2>"$T/bad.err"; then echo "FAIL: garbage accepted" >&2; exit 1; fi
        grep -q "not a PCR value" "$T/bad.err" || { echo "FAIL: garbage error" >&2; exit 1; }
' || fail "see above"
assert_fails "--current with --linux" "$UKIT" measure calculate --current --linux=/dev/null
echo ok
