#!/usr/bin/env bash
# `ukit sysext build` output judged by tools we did not write:
# systemd-dissect 252 (partition roles, arch, verity "signed", release file),
# sgdisk -v (GPT structure), veritysetup verify (data/hash pair + root hash),
# openssl smime (detached PKCS#7 over the hex root hash); reproducibility;
# bad input leaves no output.
. "$(dirname "$0")/../lib.sh"
# scripts/test.sh passes UKIT=$build/ukit, but meson puts the binary in src/ukit/.
need systemd-dissect veritysetup sgdisk sfdisk jq openssl mkfs.erofs mksquashfs
[ "$(id -u)" = 0 ] || skip "systemd-dissect needs root (loop devices)"

mkdir -p "$T/tree/usr/bin" "$T/tree/usr/share/hello"
printf '#!/bin/sh\necho hello\n' >"$T/tree/usr/bin/hello"; chmod 755 "$T/tree/usr/bin/hello"
echo data >"$T/tree/usr/share/hello/a"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/k.pem" -out "$T/c.crt" -subj /CN=ukit-test -days 30 2>/dev/null
export SOURCE_DATE_EPOCH=1700000000

root=$("$UKIT" sysext build --id=debian --version-id=12 --private-key="$T/k.pem" --certificate="$T/c.crt" \
        "$T/tree" "$T/hello.raw")
[[ $root =~ ^[0-9a-f]{64}$ ]] || fail "root hash output: $root"
ls -A "$T" | grep -q '^\.#' && fail "temporary files left behind"

sgdisk -v "$T/hello.raw" | grep -q "No problems found" || fail "sgdisk -v found problems"

j=$(systemd-dissect --json=short "$T/hello.raw") || fail "systemd-dissect rejected the image"
assert_eq "$(jq -r .useSystemExtension <<<"$j")" true "dissect: usable as system extension"
assert_eq "$(jq -r '.extensionRelease|join(" ")' <<<"$j")" 'ID=debian VERSION_ID=12' "dissect: extension-release"
jq -r '.extensionRelease|join(" ")' <<<"$j" | grep -q 'ID=.*debian' || fail "dissect: ID missing"
assert_eq "$(jq -r '.mounts[]|select(.designator=="root")|.verity' <<<"$j")" signed "dissect: root verity"
assert_eq "$(jq -r '.mounts[]|select(.designator=="root")|.fstype' <<<"$j")" erofs "dissect: fstype"
assert_eq "$(jq -r '.mounts[]|select(.designator=="root")|.architecture' <<<"$j")" x86-64 "dissect: arch"
assert_eq "$(jq -r '.mounts[]|select(.designator=="root")|.partition_uuid' <<<"$j" | tr -d -)" "${root:0:32}" "data UUID = root hash[0:16]"
assert_eq "$(jq -r '.mounts[]|select(.designator=="root-verity")|.partition_uuid' <<<"$j" | tr -d -)" "${root:32:32}" "verity UUID = root hash[16:32]"
jq -e '.mounts[]|select(.designator=="root-verity-sig")' <<<"$j" >/dev/null || fail "no signature partition"

# Extract the partitions and let cryptsetup check the tree.
part() { # N OUT
        local s n
        s=$(sfdisk -J "$T/hello.raw" | jq ".partitiontable.partitions[$1].start")
        n=$(sfdisk -J "$T/hello.raw" | jq ".partitiontable.partitions[$1].size")
        dd if="$T/hello.raw" of="$2" bs=512 skip="$s" count="$n" status=none
}
part 0 "$T/data"; part 1 "$T/hash"; part 2 "$T/sig"
veritysetup verify "$T/data" "$T/hash" "$root" || fail "veritysetup verify rejected the data/hash pair"
veritysetup dump "$T/hash" | grep -q "Data block size:.*4096" || fail "verity superblock"

# Signature partition: JSON + NUL padding, detached PKCS#7 over the hex root hash.
tr -d '\0' <"$T/sig" >"$T/sig.json"
assert_eq "$(jq -r .rootHash "$T/sig.json")" "$root" "signature rootHash"
assert_eq "$(jq -r .certificateFingerprint "$T/sig.json")" \
        "$(openssl x509 -in "$T/c.crt" -outform der | sha256sum | cut -d' ' -f1)" "certificateFingerprint"
jq -r .signature "$T/sig.json" | base64 -d >"$T/sig.der"
printf %s "$root" >"$T/rh.txt"
openssl smime -verify -binary -inform der -in "$T/sig.der" -content "$T/rh.txt" -certfile "$T/c.crt" -nointern \
        -noverify -out /dev/null 2>/dev/null || fail "openssl rejects the root hash signature"
printf %s "${root:0:63}0" >"$T/rh-bad.txt"
if openssl smime -verify -binary -inform der -in "$T/sig.der" -content "$T/rh-bad.txt" -certfile "$T/c.crt" \
        -nointern -noverify -out /dev/null 2>/dev/null; then fail "signature verified a different root hash"; fi

# Reproducible: same inputs + SOURCE_DATE_EPOCH -> same bytes (also squashfs).
touch "$T/tree/usr/share/hello/a"
"$UKIT" sysext build --name=hello --id=debian --version-id=12 --private-key="$T/k.pem" --certificate="$T/c.crt" \
        "$T/tree" "$T/again.raw" >/dev/null
assert_files_equal "$T/hello.raw" "$T/again.raw" "reproducible erofs DDI"
"$UKIT" sysext build --format=squashfs --name=sq --id=_any "$T/tree" "$T/sq1.raw" >/dev/null
sleep 1; touch "$T/tree/usr/share/hello/a"
"$UKIT" sysext build --format=squashfs --name=sq --id=_any "$T/tree" "$T/sq2.raw" >/dev/null
assert_files_equal "$T/sq1.raw" "$T/sq2.raw" "reproducible squashfs DDI"
j=$(systemd-dissect --json=short "$T/sq1.raw") || fail "dissect squashfs"
assert_eq "$(jq -r '.mounts[]|select(.designator=="root")|.fstype' <<<"$j")" squashfs "squashfs fstype"

# --usr: a usr partition (sysext images may carry /usr only)
"$UKIT" sysext build --usr --name=hello --id=_any "$T/tree" "$T/usr.raw" >/dev/null
j=$(systemd-dissect --json=short "$T/usr.raw") || fail "dissect usr image"
jq -e '.mounts[]|select(.designator=="usr")' <<<"$j" >/dev/null || fail "no usr partition seen by dissect"
jq -e '.mounts[]|select(.designator=="usr-verity")' <<<"$j" >/dev/null || fail "no usr-verity partition seen by dissect"

# confext: release file under etc/, built from a tree with /etc.
mkdir -p "$T/ctree/etc/hello"; echo x >"$T/ctree/etc/hello/conf"
"$UKIT" confext build --id=debian --level=1 "$T/ctree" "$T/conf.raw" >/dev/null || fail "confext build"
sgdisk -v "$T/conf.raw" | grep -q "No problems found" || fail "confext GPT"

# Bad input: no output file, one-line error, non-zero exit.
assert_fails "missing tree" "$UKIT" sysext build --id=debian "$T/nope" "$T/bad1.raw"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/k2.pem" -out "$T/c2.crt" -subj /CN=other -days 30 2>/dev/null
assert_fails "key/cert mismatch" "$UKIT" sysext build --id=debian --private-key="$T/k2.pem" --certificate="$T/c.crt" "$T/tree" "$T/bad2.raw"
grep -q "does not match" "$T/.out" || fail "mismatch message: $(cat "$T/.out")"
mkdir -p "$T/tree2/usr/lib"; echo ID=x >"$T/tree2/usr/lib/os-release"
assert_fails "os-release in sysext" "$UKIT" sysext build --id=debian "$T/tree2" "$T/bad3.raw"
assert_fails "no release info" "$UKIT" sysext build "$T/tree" "$T/bad4.raw"
for f in bad1 bad2 bad3 bad4; do [ ! -e "$T/$f.raw" ] || fail "$f.raw left behind"; done
ls -A "$T" | grep -q '^\.#' && fail "temporary files left behind after errors"
echo ok
