#!/usr/bin/env bash
# ukit update from url-file (and url-tar) sources on a loopback HTTP server: SHA256SUMS.gpg
# checked with gpgv against the root's import keyring (a key made here with
# gpg); a bad signature, an unknown key, a wrong checksum, a 404 and a server
# that stops mid-file each install nothing, with a one-line reason, and leave
# no temporary file.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-http.sh"
need python3 gpg gpgv curl strace
W=$T/root
www=$T/www
mkdir -p "$www" "$W/etc/systemd" "$W/esp" "$W/etc/sysupdate.d"
export GNUPGHOME=$T/gnupg
mkdir -m 700 "$GNUPGHOME"
gpg --batch --quiet --passphrase '' --quick-gen-key "ukit test <test@example.invalid>" ed25519 sign never 2>/dev/null ||
        fail "gpg cannot make a key"
gpg --batch --export >"$W/etc/systemd/import-pubring.pgp"

http_serve "$www" uki_9.efi      # uki_9.efi: stops mid-file

cat >"$W/etc/sysupdate.d/50-uki.transfer" <<EOT
[Source]
Type=url-file
Path=http://127.0.0.1:$port
MatchPattern=uki_@v.efi
[Target]
Type=regular-file
Path=/esp
MatchPattern=uki_@v+@l-@d.efi uki_@v.efi
InstancesMax=10
EOT
u() { "$UKIT" update --root="$W" "$@"; }
publish() { # VERSION...: payloads + signed SHA256SUMS
        for v in "$@"; do [ -e "$www/uki_$v.efi" ] || random_bytes 500000 >"$www/uki_$v.efi"; done
        (cd "$www" && sha256sum uki_*.efi >SHA256SUMS && rm -f SHA256SUMS.gpg && gpg --batch --quiet --detach-sign -o SHA256SUMS.gpg SHA256SUMS)
}
none_left() { [ -z "$(find "$W/esp" -name '.#*')" ] || fail "$1: temporaries left"; }
one_line() { [ "$(grep -c . "$T/.out")" -le 2 ] && grep -q "$2" "$T/.out" || fail "$1: $(cat "$T/.out")"; }

publish 1 2
u update 1 >/dev/null 2>&1 || fail "signed update 1"
cmp "$www/uki_1.efi" "$W/esp/uki_1+3-0.efi" || fail "downloaded content"
assert_eq "$(u check-new 2>/dev/null)" 2 "check-new over HTTP"

# a signature that does not match the data
(cd "$www" && echo "$(sha256sum uki_2.efi | cut -d' ' -f1)  uki_3.efi" >>SHA256SUMS)
assert_fails "tampered SHA256SUMS" u update
one_line "tampered SHA256SUMS" "bad signature"
[ ! -e "$W/esp/uki_2+3-0.efi" ] || fail "tampered SHA256SUMS: installed"

# signed by a key not in the keyring
publish 1 2
GNUPGHOME=$T/gnupg2; mkdir -m 700 "$GNUPGHOME"; export GNUPGHOME
gpg --batch --quiet --passphrase '' --quick-gen-key "other <o@example.invalid>" ed25519 sign never 2>/dev/null
(cd "$www" && rm -f SHA256SUMS.gpg && gpg --batch --quiet --detach-sign -o SHA256SUMS.gpg SHA256SUMS)
assert_fails "unknown key" u update
one_line "unknown key" "bad signature or unknown key"
export GNUPGHOME=$T/gnupg

# no keyring: refused unless --verify=no
publish 1 2
mv "$W/etc/systemd/import-pubring.pgp" "$T/keyring"
assert_fails "no keyring" u update
one_line "no keyring" "no import keyring"
mv "$T/keyring" "$W/etc/systemd/import-pubring.pgp"

# the payload does not match SHA256SUMS
cp "$www/uki_2.efi" "$T/good2"; random_bytes 500000 >"$www/uki_2.efi"
(cd "$www" && sha256sum "$T/good2" | sed "s|$T/good2|uki_2.efi|" >SHA256SUMS && sha256sum uki_1.efi >>SHA256SUMS &&
        rm -f SHA256SUMS.gpg && gpg --batch --quiet --detach-sign -o SHA256SUMS.gpg SHA256SUMS)
assert_fails "wrong payload" u update
one_line "wrong payload" "SHA-256 does not match SHA256SUMS"
[ ! -e "$W/esp/uki_2+3-0.efi" ] || fail "wrong payload: installed"
none_left "wrong payload"
cp "$T/good2" "$www/uki_2.efi"

# listed but missing on the server (404), and a server that stops mid-file
publish 2
(cd "$www" && echo "$(printf 'a%.0s' $(seq 64))  uki_8.efi" >>SHA256SUMS && echo "$(printf 'b%.0s' $(seq 64))  uki_9.efi" >>SHA256SUMS &&
        rm -f SHA256SUMS.gpg && gpg --batch --quiet --detach-sign -o SHA256SUMS.gpg SHA256SUMS)
assert_fails "404" u update 8
one_line "404" "HTTP 404"
assert_fails "stopped mid-file" u update 9
grep -q 'uki_9.efi' "$T/.out" || fail "stopped mid-file: $(cat "$T/.out")"
none_left "stopped mid-file"
[ -z "$(ls "$W/esp" | grep -E 'uki_[89]')" ] || fail "partial download named: $(ls "$W/esp")"

# the body goes straight into the temporary file that becomes the entry:
# one file made in the ESP, no download copy beside it (strace; LeakSanitizer
# cannot run under ptrace)
strace -f -qq -e trace=open,openat,creat -o "$T/trace" env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
        "$UKIT" update --root="$W" update 2 >/dev/null 2>&1 || fail "update 2 after the failures"
cmp "$www/uki_2.efi" "$W/esp/uki_2+3-0.efi" || fail "uki_2 content"
made=$(grep -E "\"$W/esp[/\"].*(O_TMPFILE|O_CREAT)" "$T/trace" | grep -v ' = -1 ' || true)
[ "$(grep -c . <<<"$made")" = 1 ] || fail "files made in the ESP for one download (one expected): $made"
u --verify=no update 1 >/dev/null 2>&1 || fail "already installed"
echo "remote OK"

# url-tar: the same SHA256SUMS + signature checks, then unpacked
mkdir -p "$W/etc/sysupdate.tree.d" "$T/tree/etc"
cat >"$W/etc/sysupdate.tree.d/20-tree.transfer" <<EOT
[Source]
Type=url-tar
Path=http://127.0.0.1:$port
MatchPattern=tree_@v.tar.gz
[Target]
Type=directory
Path=/trees
MatchPattern=tree_@v
EOT
ut() { "$UKIT" update --root="$W" -C tree "$@"; }
for v in 1 2; do echo "$v" >"$T/tree/etc/version"; tar -C "$T/tree" -c . | gzip >"$www/tree_$v.tar.gz"; done
(cd "$www" && sha256sum tree_*.tar.gz >SHA256SUMS && rm -f SHA256SUMS.gpg && gpg --batch --quiet --detach-sign -o SHA256SUMS.gpg SHA256SUMS)
ut update 1 >/dev/null 2>&1 || fail "url-tar: signed update 1"
assert_eq "$(cat "$W/trees/tree_1/etc/version")" 1 "url-tar: unpacked content"
echo x >>"$www/tree_2.tar.gz"
assert_fails "url-tar: wrong payload" ut update 2
one_line "url-tar: wrong payload" "SHA-256 does not match SHA256SUMS"
[ ! -e "$W/trees/tree_2" ] || fail "url-tar: wrong payload installed"
[ -z "$(find "$W/trees" -name '.#*')" ] || fail "url-tar: temporaries left"
(cd "$www" && echo "$(sha256sum tree_2.tar.gz | cut -d' ' -f1)  tree_3.tar.gz" >>SHA256SUMS)
assert_fails "url-tar: tampered SHA256SUMS" ut update
one_line "url-tar: tampered SHA256SUMS" "bad signature"
echo "url-tar OK"
