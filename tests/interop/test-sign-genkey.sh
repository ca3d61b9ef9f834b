#!/usr/bin/env bash
# ukit genkey, judged by openssl and by sbsign/sbverify using its keys; it
# never overwrites anything and writes nothing when any target exists.
. "$(dirname "$0")/../lib.sh"
# scripts/test.sh points UKIT at $UKIT_BUILD/ukit; the binary is built in src/ukit/
need openssl sbsign sbverify sha256sum
stub=/usr/lib/systemd/boot/efi/linuxx64.efi.stub
[ -f "$stub" ] || skip "$stub missing"

cd "$T"
"$UKIT" genkey --secureboot-private-key sb.key --secureboot-certificate sb.crt \
        --pcr-private-key pcr1.key --pcr-public-key pcr1.pub --pcr-private-key pcr2.key >out || fail "genkey failed"
for f in sb.key sb.crt pcr1.key pcr1.pub pcr2.key; do [ -s $f ] || fail "$f missing"; done
[ ! -e pcr2.pub ] || fail "pcr2.pub written without --pcr-public-key"
assert_eq "$(stat -c %a sb.key)" 600 "private key mode"
assert_eq "$(stat -c %a pcr1.key)" 600 "PCR private key mode"

# RSA-2048 everywhere; public halves match
for k in sb.key pcr1.key pcr2.key; do
        openssl rsa -in $k -noout -text 2>/dev/null | grep -q "Private-Key: (2048 bit" || fail "$k is not RSA-2048"
done
assert_eq "$(openssl pkey -in pcr1.key -pubout)" "$(cat pcr1.pub)" "PCR public key matches its private key"
assert_eq "$(openssl x509 -in sb.crt -noout -pubkey)" "$(openssl pkey -in sb.key -pubout)" "certificate key"

# the certificate: self-signed, CN like ukify's, 10 years by default
openssl x509 -in sb.crt -noout -subject | grep -q "CN = SecureBoot signing key on host" || fail "subject: $(openssl x509 -in sb.crt -noout -subject)"
openssl x509 -in sb.crt -noout -issuer | grep -q "CN = SecureBoot signing key on host" || fail "issuer"
openssl verify -check_ss_sig -partial_chain -CAfile sb.crt sb.crt >/dev/null || fail "certificate signature does not verify"
openssl x509 -in sb.crt -noout -checkend $((3649 * 86400)) >/dev/null || fail "certificate valid for less than ~10 years"
openssl x509 -in sb.crt -noout -checkend $((3651 * 86400)) >/dev/null && fail "certificate valid for more than 10 years"

# usable by the reference tools and by ukit
sbsign --key sb.key --cert sb.crt --output sbsigned.efi "$stub" >/dev/null 2>&1 || fail "sbsign with genkey's key"
sbverify --cert sb.crt sbsigned.efi >/dev/null 2>&1 || fail "sbverify of sbsign's signature with genkey's key"
"$UKIT" sign --key sb.key --cert sb.crt --output ukit.efi "$stub" || fail "ukit sign with genkey's key"
sbverify --cert sb.crt ukit.efi >/dev/null 2>&1 || fail "sbverify of ukit's signature with genkey's key"

# options: common name, validity
"$UKIT" genkey --secureboot-private-key sb2.key --secureboot-certificate sb2.crt \
        --secureboot-certificate-common-name "ukit test key" --secureboot-certificate-validity 30 >/dev/null || fail "genkey with options"
openssl x509 -in sb2.crt -noout -subject | grep -q "CN = ukit test key" || fail "--secureboot-certificate-common-name"
openssl x509 -in sb2.crt -noout -checkend $((29 * 86400)) >/dev/null || fail "validity < 29 days"
openssl x509 -in sb2.crt -noout -checkend $((31 * 86400)) >/dev/null && fail "validity > 31 days"

# never overwrite, and all-or-nothing
sums=$(sha256sum sb.key sb.crt pcr1.key)
assert_fails "genkey over existing files" "$UKIT" genkey --secureboot-private-key sb.key --secureboot-certificate sb.crt
grep -q "sb.key: already exists" "$T/.out" || fail "error message: $(cat "$T/.out")"
assert_fails "genkey where one of the targets exists" "$UKIT" genkey --secureboot-private-key new.key \
        --secureboot-certificate new.crt --pcr-private-key pcr1.key
[ ! -e new.key ] && [ ! -e new.crt ] || fail "partial output written"
assert_eq "$(sha256sum sb.key sb.crt pcr1.key)" "$sums" "existing keys unchanged"
ls -A | grep -q '^\.#' && fail "temporary files left behind"

# A dangling symlink (or a symlink loop) exists too (issue 20, R11).
ln -s /nonexistent dangling.key
ln -s loop.pub loop.pub
assert_fails "genkey over a dangling symlink" "$UKIT" genkey --pcr-private-key dangling.key
grep -q "dangling.key: already exists" "$T/.out" || fail "dangling symlink: $(cat "$T/.out")"
[ -L dangling.key ] || fail "the dangling symlink was replaced"
assert_fails "genkey over a symlink loop" "$UKIT" genkey --pcr-private-key fresh.key --pcr-public-key loop.pub
[ -L loop.pub ] && [ ! -e fresh.key ] || fail "symlink loop: replaced, or fresh.key written anyway"

# The race: a path that appears after every check, right before the commit.
# gdb stops ukit at its first rename/renameat2/linkat/link (the commit of
# the first file) and creates a symlink at the second target there; ukit
# must refuse it and take the first file back (all outputs or none).
if command -v gdb >/dev/null; then
        for kind in symlink file; do
                rm -f race.key race.pub
                if [ $kind = symlink ]; then make='ln -s /nonexistent race.pub'; else make='echo theirs >race.pub'; fi
                cat >race.gdb <<-EOF2
		set breakpoint pending on
		set pagination off
		break rename
		break renameat2
		break linkat
		break link
		commands 1-4
		silent
		shell [ -e race.pub ] || [ -L race.pub ] || $make
		continue
		end
		run
		EOF2
                gdb -q -batch -x race.gdb --args "$UKIT" genkey --pcr-private-key race.key --pcr-public-key race.pub \
                        >race.log 2>&1 || true
                grep -q "race.pub: already exists, refusing to overwrite" race.log ||
                        { cat race.log; fail "race ($kind): the path that appeared was not refused"; }
                if [ $kind = symlink ]; then
                        [ -L race.pub ] || fail "race: the symlink that appeared was replaced"
                else
                        assert_eq "$(cat race.pub)" theirs "race: the file that appeared"
                fi
                [ ! -e race.key ] || fail "race ($kind): race.key left behind: not all-or-nothing"
                echo "ok: a $kind appearing right before the commit is refused, nothing written"
        done
elif [ "${CI:-}" = true ]; then
        fail "gdb missing (scripts/deps.sh installs it)"
else
        echo "note: gdb not installed, race case not run"
fi

# usage errors
rc=0; "$UKIT" genkey 2>/dev/null || rc=$?; assert_eq $rc 2 "genkey without targets"
rc=0; "$UKIT" genkey --secureboot-private-key x.key 2>/dev/null || rc=$?; assert_eq $rc 2 "key without certificate"
echo "all ok"
