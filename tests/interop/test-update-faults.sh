#!/usr/bin/env bash
# ukit update under faults: a SHA256SUMS mismatch installs nothing (one-line
# reason, no temporary left); SIGKILL at random points during an update
# never leaves a partial file under a version's name, the old version stays,
# and the next run finishes; a second update waits for nobody: it is refused
# while the first holds the lock.
. "$(dirname "$0")/../lib.sh"
W=$T/w
mkdir -p "$W/src" "$W/esp/EFI/Linux" "$W/defs"
random_bytes 1048576 >"$W/src/uki_1.efi"
cp "$W/src/uki_1.efi" "$W/esp/EFI/Linux/uki_1.efi"
random_bytes 100000000 >"$W/src/uki_2.efi"
cat >"$W/defs/50-uki.transfer" <<EOT
[Source]
Type=regular-file
Path=$W/src
MatchPattern=uki_@v.efi
[Target]
Type=regular-file
Path=$W/esp/EFI/Linux
MatchPattern=uki_@v+@l-@d.efi uki_@v.efi
TriesLeft=3
EOT
u() { "$UKIT" update --definitions="$W/defs" "$@"; }

# checksum mismatch
(cd "$W/src" && sha256sum uki_1.efi >SHA256SUMS && echo "$(printf '0%.0s' $(seq 64))  uki_2.efi" >>SHA256SUMS)
assert_fails "bad checksum" u update
[ "$(wc -l <"$T/.out")" -le 3 ] || fail "bad checksum: too much output: $(cat "$T/.out")"
grep -q 'uki_2.efi: SHA-256 does not match SHA256SUMS' "$T/.out" || fail "bad checksum: $(cat "$T/.out")"
assert_eq "$(ls -A "$W/esp/EFI/Linux")" "uki_1.efi" "bad checksum: target untouched"
(cd "$W/src" && sha256sum uki_1.efi uki_2.efi >SHA256SUMS)

# SIGKILL loop
want=$(sha256sum <"$W/src/uki_2.efi" | cut -d' ' -f1)
old=$(sha256sum <"$W/src/uki_1.efi" | cut -d' ' -f1)
for i in $(seq 1 12); do
        u update >/dev/null 2>&1 &
        pid=$!
        sleep "0.0$((RANDOM % 10))$((RANDOM % 10))"
        kill -KILL $pid 2>/dev/null || true
        wait $pid 2>/dev/null || true
        for f in "$W"/esp/EFI/Linux/uki_*; do
                case $f in
                */uki_1.efi) [ "$(sha256sum <"$f" | cut -d' ' -f1)" = "$old" ] || fail "kill $i: old version changed" ;;
                */uki_2+3-0.efi) [ "$(sha256sum <"$f" | cut -d' ' -f1)" = "$want" ] || fail "kill $i: partial file named $f" ;;
                *) fail "kill $i: unexpected $f" ;;
                esac
        done
        [ -f "$W/esp/EFI/Linux/uki_2+3-0.efi" ] && break
done
u update >/dev/null 2>&1 || fail "update after the kills"
[ -f "$W/esp/EFI/Linux/uki_2+3-0.efi" ] || fail "the update did not finish"
[ -z "$(find "$W/esp" -name '.#*')" ] || fail "temporaries left: $(find "$W/esp" -name '.#*')"
assert_eq "$(sha256sum <"$W/esp/EFI/Linux/uki_2+3-0.efi" | cut -d' ' -f1)" "$want" "installed content"

# the lock: hold the target directory's flock, then try
rm -f "$W/esp/EFI/Linux/uki_2+3-0.efi"
flock "$W/esp/EFI/Linux" sleep 3 &
sleep 0.5
assert_fails "locked" u update
grep -q 'another update is running' "$T/.out" || fail "locked: $(cat "$T/.out")"
wait
u update >/dev/null 2>&1 || fail "update after the lock"
# compressed payloads: decompressed while copying (checked against the
# tools' own decompressors); a truncated stream installs nothing
need xz zstd gzip
rm -rf "$W/src" "$W/esp"; mkdir -p "$W/src" "$W/esp/EFI/Linux"
random_bytes 3000000 >"$T/payload"
gzip -c "$T/payload" >"$W/src/uki_1.efi.gz"; xz -c "$T/payload" >"$W/src/uki_2.efi.xz"; zstd -q -c "$T/payload" >"$W/src/uki_3.efi.zst"
sed -i 's/^MatchPattern=uki_@v.efi$/MatchPattern=uki_@v.efi.gz uki_@v.efi.xz uki_@v.efi.zst/; s/^TriesLeft=3/TriesLeft=3\nInstancesMax=4/' "$W/defs/50-uki.transfer"
for v in 1 2 3; do
        u update $v >/dev/null 2>&1 || fail "update $v (compressed)"
        cmp "$T/payload" "$W/esp/EFI/Linux/uki_$v+3-0.efi" || fail "version $v not decompressed to the payload"
done
head -c 100000 "$W/src/uki_3.efi.zst" >"$W/src/uki_4.efi.zst"; head -c 100000 "$W/src/uki_2.efi.xz" >"$W/src/uki_5.efi.xz"
for v in 4 5; do
        assert_fails "truncated $v" u update $v
        grep -q 'truncated' "$T/.out" || fail "truncated $v: $(cat "$T/.out")"
        [ ! -e "$W/esp/EFI/Linux/uki_$v+3-0.efi" ] || fail "truncated $v: installed"
done
[ -z "$(find "$W/esp" -name '.#*')" ] || fail "temporaries left after truncated payloads"
# hostile source and definition files: a FIFO or a symlink offered as a
# version is never opened or installed (no hang), and a FIFO as a transfer
# definition is refused with one line naming it
rm -f "$W"/src/uki_*
mkfifo "$W/src/uki_6.efi.gz"; ln -s /etc/shadow "$W/src/uki_7.efi.gz"
before=$(ls -A "$W/esp/EFI/Linux")
rc=0; timeout 20 "$UKIT" update --definitions="$W/defs" update >"$T/.out" 2>&1 || rc=$?
[ $rc != 124 ] || fail "FIFO source: the update hung"
[ "$(ls -A "$W/esp/EFI/Linux")" = "$before" ] || fail "FIFO/symlink source: something was installed: $(ls -A "$W/esp/EFI/Linux")"
rm -f "$W/src/uki_6.efi.gz" "$W/src/uki_7.efi.gz"
mkfifo "$W/defs/60-fifo.transfer"
rc=0; timeout 20 "$UKIT" update --definitions="$W/defs" list >"$T/.out" 2>&1 || rc=$?
[ $rc != 124 ] || fail "FIFO definition: list hung"
[ $rc != 0 ] || fail "FIFO definition: accepted"
grep -q '60-fifo.transfer.*not a regular file' "$T/.out" || fail "FIFO definition: $(cat "$T/.out")"
rm -f "$W/defs/60-fifo.transfer"
[ -z "$(find "$W/esp" -name '.#*')" ] || fail "temporaries left after hostile sources"
echo "update faults OK"
