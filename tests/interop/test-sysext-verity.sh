#!/usr/bin/env bash
# ukit's in-house dm-verity tree must be byte-identical to `veritysetup
# format` (cryptsetup 2.6): same hash device, same root hash, for tree depths
# 0..3, with and without salt/superblock, several hashes and block sizes;
# and `veritysetup verify` must accept ukit's hash device.
. "$(dirname "$0")/../lib.sh"
# scripts/test.sh passes UKIT=$build/ukit, but meson puts the binary in src/ukit/.
need veritysetup

uuid=0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6
salt=5a17c0ffee0123456789abcdef
n=0
check() { # BLOCKS BLOCKSIZE HASH SALT [extra veritysetup/ukit args]
        local blocks=$1 bs=$2 hash=$3 s=$4; shift 4
        local data=$T/data-$blocks-$bs
        [ -f "$data" ] || head -c $((blocks * bs)) /dev/urandom >"$data"
        rm -f "$T/ref.hash" "$T/ukit.hash"
        local ref ours
        ref=$(veritysetup format "$data" "$T/ref.hash" --hash="$hash" --data-block-size="$bs" \
                --hash-block-size="$bs" --salt="$s" --uuid="$uuid" "$@" | awk '/^Root hash:/ {print $3}')
        ours=$("$UKIT" sysext verity "$data" "$T/ukit.hash" --hash="$hash" --data-block-size="$bs" \
                --hash-block-size="$bs" --salt="$s" --uuid="$uuid" "$@")
        assert_eq "$ours" "$ref" "root hash ($blocks x $bs, $hash, salt=$s $*)"
        assert_files_equal "$T/ukit.hash" "$T/ref.hash" "hash device ($blocks x $bs, $hash, salt=$s $*)"
        if [[ " $* " != *" --no-superblock "* ]]; then
                veritysetup verify "$data" "$T/ukit.hash" "$ours" >/dev/null || fail "veritysetup verify rejects ukit's tree ($blocks x $bs)"
        fi
        n=$((n + 1))
}

for b in 1 2 127 128 129 16385; do
        check $b 4096 sha256 "$salt"
        check $b 4096 sha256 -
done
check 129 4096 sha256 "$salt" --no-superblock
check 300 4096 sha1 "$salt"
check 300 4096 sha512 "$salt"
check 1000 512 sha256 "$salt"
check 16385 512 sha256 -

# A corrupted data block must make veritysetup reject ukit's tree.
data=$T/data-129-4096
root=$("$UKIT" sysext verity "$data" "$T/ukit.hash" --salt="$salt")
flip_byte "$data" $((4096 * 77 + 5))
if veritysetup verify "$data" "$T/ukit.hash" "$root" >/dev/null 2>&1; then fail "veritysetup accepted corrupted data"; fi

# Bad input: missing file, no output left behind.
assert_fails "missing data" "$UKIT" sysext verity "$T/nope" "$T/out.hash"
[ ! -e "$T/out.hash" ] || fail "output left behind"
echo "ok: $n configurations identical to veritysetup"
