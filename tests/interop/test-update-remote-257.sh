#!/usr/bin/env bash
# Signed url-file sources, ukit update against systemd-sysupdate 257: a
# loopback HTTP server (python3 http.server) offers UKIs with SHA256SUMS and
# a detached SHA256SUMS.gpg made here with gpg; both tools verify it
# (Verify=yes) against the same keyring: 257 (through its systemd-pull)
# finds it as /usr/lib/systemd/import-pubring.gpg of the oracle root, ukit
# as /etc/systemd/import-pubring.pgp of the host, both only inside this
# test's private mount namespace. Each scenario runs the same steps with
# both tools on identical copies and compares exit statuses, the --json
# list output and the target tree. Scenarios: a good signature; a key that
# is not in the keyring; SHA256SUMS changed after signing; a payload that
# does not match its signed checksum; no SHA256SUMS.gpg at all. Whatever
# 257 refuses must install nothing with ukit either.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-http.sh"
need python3 gpg curl

. "$(dirname "$0")/lib-update-257.sh"

export GNUPGHOME=$T/gnupg
mkdir -m 700 "$GNUPGHOME"
gpg --batch --quiet --passphrase '' --quick-gen-key "ukit test <test@example.invalid>" ed25519 sign never 2>/dev/null ||
        fail "gpg cannot make a key"
gpg --batch --export >"$T/pubring.gpg"
[ -s "$T/pubring.gpg" ] || fail "gpg exported no key"
# A second key, not in the keyring.
export GNUPGHOME=$T/gnupg-other
mkdir -m 700 "$GNUPGHOME"
gpg --batch --quiet --passphrase '' --quick-gen-key "other <other@example.invalid>" ed25519 sign never 2>/dev/null ||
        fail "gpg cannot make the second key"
export GNUPGHOME=$T/gnupg

# The keyring for 257: over the root's vendor keyring. For ukit: a tmpfs
# over the host's /etc/systemd in this namespace, holding only the keyring.
o257() { bash "$UKIT_TOP/scripts/oracle-257-run.sh" --bind "$T" --bind-file "$T/pubring.gpg" /usr/lib/systemd/import-pubring.gpg "$@"; }
mkdir -p /etc/systemd
mount -t tmpfs tmpfs /etc/systemd || fail "cannot mount a tmpfs over /etc/systemd in the test's namespace"
cp "$T/pubring.gpg" /etc/systemd/import-pubring.pgp

www=$T/www
mkdir -p "$www"
http_serve "$www"

# publish HOW: fresh payloads 1.0 and 2.0, SHA256SUMS and (by HOW) its signature
publish() {
        rm -rf "${www:?}"/*
        for v in 1.0 2.0; do random_bytes 300000 >"$www/uki_$v.efi"; done
        (cd "$www" && sha256sum uki_*.efi >SHA256SUMS)
        case $1 in
        good|payload) gpg --batch --quiet --detach-sign -o "$www/SHA256SUMS.gpg" "$www/SHA256SUMS" ;;
        otherkey) GNUPGHOME=$T/gnupg-other gpg --batch --quiet --detach-sign -o "$www/SHA256SUMS.gpg" "$www/SHA256SUMS" ;;
        sums)   gpg --batch --quiet --detach-sign -o "$www/SHA256SUMS.gpg" "$www/SHA256SUMS"
                sed -i 's/^\(.\)/0/' "$www/SHA256SUMS" ;;   # one checksum changed after signing
        nosig)  ;;
        esac
        # a payload that no longer matches its signed checksum
        [ "$1" != payload ] || random_bytes 300000 >"$www/uki_2.0.efi"
        [ "$1" = nosig ] || [ -s "$www/SHA256SUMS.gpg" ] || fail "no signature made"
}

defs() {
        mkfiles "$W/esp" uki_ .efi 0.1
        mkdir -p "$W/defs"
        cat >"$W/defs/50-uki.transfer" <<EOT
[Transfer]
Verify=yes
[Source]
Type=url-file
Path=http://127.0.0.1:$port
MatchPattern=uki_@v.efi
[Target]
Type=regular-file
Path=$W/esp
MatchPattern=uki_@v+@l-@d.efi uki_@v.efi
TriesLeft=3
EOT
        steps=("=--definitions=$W/defs --json=short list" "--definitions=$W/defs update 1.0"
               "--definitions=$W/defs update" "=--definitions=$W/defs --json=short list")
}

for how in good otherkey sums payload nosig; do
        eval "setup_$how() { publish $how; defs; }"
        scenario "$how"
done

# The good scenario must have installed both versions and the refusals none:
# the comparison alone would pass if both tools refused everything.
grep -q 'uki_2.0+3-0.efi f' "$T/good.257" || fail "good: 257 did not install 2.0 (check the keyring setup)"
for how in otherkey sums nosig; do
        ! grep -q 'uki_[12].0+' "$T/$how.257" || fail "$how: 257 installed a version"
        grep -q "step '--definitions=$W/defs update' rc=[1-9]" "$T/$how.ukit" || fail "$how: ukit did not fail"
done
# payload: 1.0 still matches its checksum; 2.0 must not be installed
! grep -q 'uki_2.0+' "$T/payload.ukit" || fail "payload: ukit installed the changed 2.0"
echo "$n scenarios: signed SHA256SUMS handled as systemd-sysupdate 257 handles them"
