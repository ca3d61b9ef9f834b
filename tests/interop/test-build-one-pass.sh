#!/usr/bin/env bash
# The one-pass signed build (issue 19: the write fan-out feeds each PCR bank
# and the Authenticode hasher on their own threads): for 1 bank and 4 banks,
# with UKIT_BUILD_THREADS=1 (inline, the sequential build) and =N (threads),
#   - the outputs are byte for byte the same,
#   - sbverify accepts the Secure Boot signature,
#   - .pcrsig equals what systemd-measure 257 sign (the oracle root) signs for
#     the sections of the built image (extracted with objcopy).
# The initrd (40 MiB) is larger than the fan-out's ring, so it wraps.
. "${UKIT_TOP:-$(dirname "$0")/../..}/tests/lib.sh"
need sbverify objcopy openssl python3
ORACLE=$(bash "$UKIT_TOP/scripts/fetch-oracle-257.sh") || fail "no systemd 257 oracle root"
STUB_IN=/usr/lib/systemd/boot/efi/linuxx64.efi.stub
STUB=$ORACLE$STUB_IN
[ -f "$STUB" ] || fail "no stub in the 257 oracle root"
o257() { bash "$UKIT_TOP/scripts/oracle-257-run.sh" --bind "$T" "$@"; }

cd "$T"
head -c 3000001 /dev/urandom >vmlinuz
head -c $((40 << 20)) /dev/urandom >initrd
printf 'ID=test\n' >osrel
openssl req -new -x509 -newkey rsa:2048 -nodes -keyout sb.key -out sb.crt -subj /CN=onepass -days 30 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out pcr.key 2>/dev/null
openssl pkey -in pcr.key -pubout -out pcr.pub
export UKIT_CONFIG_SEARCH=0

for banks in sha256 sha1,sha256,sha384,sha512; do
        for threads in 1 5; do
                out=$banks.$threads.efi
                UKIT_BUILD_THREADS=$threads "$UKIT" build --stub="$STUB" --linux=vmlinuz --initrd=initrd \
                        --os-release=@osrel --cmdline="quiet" --pcr-private-key=pcr.key --pcr-banks=$banks \
                        --secureboot-private-key=sb.key --secureboot-certificate=sb.crt -o "$out" >/dev/null \
                        || fail "$banks, threads $threads: build failed"
                sbverify --cert sb.crt "$out" >/dev/null 2>&1 || fail "$banks, threads $threads: sbverify refuses"
        done
        assert_files_equal "$banks.1.efi" "$banks.5.efi" "$banks: threaded vs sequential build"

        u=$banks.5.efi
        args=()
        for s in linux osrel cmdline initrd uname sbat pcrpkey; do
                objcopy -O binary --only-section=.$s "$u" "$u.$s" 2>/dev/null || true
                [ -s "$u.$s" ] && args+=("--$s=$T/$u.$s")
        done
        objcopy -O binary --only-section=.pcrsig "$u" "$u.pcrsig" || fail "$banks: no .pcrsig"
        bargs=(); IFS=, read -ra bl <<<"$banks"; for b in "${bl[@]}"; do bargs+=("--bank=$b"); done
        o257 /usr/lib/systemd/systemd-measure sign "${args[@]}" --private-key="$T/pcr.key" \
                --public-key="$T/pcr.pub" "${bargs[@]}" --json=short >"$u.exp" \
                || fail "$banks: systemd-measure 257 sign failed"
        python3 - "$u.pcrsig" "$u.exp" <<'PY' || fail "$banks: .pcrsig differs from systemd-measure 257's"
import json, sys
got = json.loads(open(sys.argv[1], "rb").read().rstrip(b" \0"))
exp = json.loads(open(sys.argv[2]).read())
if got != exp:
    print("got", json.dumps(got)[:300], "\nexp", json.dumps(exp)[:300], file=sys.stderr)
    sys.exit(1)
PY
done
echo "PASS"
