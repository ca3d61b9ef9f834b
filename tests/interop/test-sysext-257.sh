#!/usr/bin/env bash
# sysext/confext against systemd 257 (the Debian 13 oracle root, run with
# scripts/oracle-257-run.sh), in both directions:
# - systemd-dissect 257 sees ukit's --usr images as system extensions and
#   copies /usr/bin/x out of them;
# - ukit merges usr DDIs made by systemd-repart 257 (Type=usr, CopyFiles=/usr/:/)
#   in erofs and squashfs, plain / verity / verity+signature, and the DDIs of
#   `systemd-repart --make-ddi=sysext|confext`;
# - systemd-confext 257 merges a ukit confext DDI;
# - differential: random sets of ukit DDIs (root and usr partitions, erofs and
#   squashfs, matching and non-matching release files, overlapping files)
#   merged by systemd-sysext 257 and by ukit give the same /usr and /opt.
# Signed images are merged by 257 only where device-mapper works (257 sets
# up dm-verity once it knows the root hash); ukit checks them either way.
. "$(dirname "$0")/../lib.sh"

if [ -z "${UKIT_IN_NS:-}" ]; then
        [ "$(id -u)" = 0 ] || skip "needs root (mounts, loop devices, chroot)"
        need unshare jq openssl sfdisk mkfs.erofs mksquashfs
        grep -qw overlay /proc/filesystems || skip "no overlayfs"
        [ -e /dev/loop-control ] || skip "no loop devices"
        bash "$UKIT_TOP/scripts/fetch-oracle-257.sh" >/dev/null || fail "the systemd 257 oracle root could not be made"
        export UKIT UKIT_TMP UKIT_TOP
        UKIT_IN_NS=1 unshare -m --propagation private bash "$0"
        exit $?
fi

# o257 CMD...: run in the 257 root, $T and ukit's directory at the same path
o257() { bash "$UKIT_TOP/scripts/oracle-257-run.sh" --bind "$T" --bind "$(dirname "$(realpath "$UKIT")")" "$@"; }
o257 systemd-dissect --version | head -1 | grep -q "^systemd 257" || fail "oracle is not systemd 257"
dm=no
[ -e /dev/mapper/control ] && dmsetup version >/dev/null 2>&1 && dm=yes

cleanup() {
        for r in "$T"/R*; do
                [ -d "$r" ] || continue
                "$UKIT" sysext unmerge --root="$r" -q >/dev/null 2>&1 || true
                "$UKIT" confext unmerge --root="$r" -q >/dev/null 2>&1 || true
        done
}
trap cleanup EXIT

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/k.pem" -out "$T/c.crt" -subj /CN=sysext-257 -days 30 2>/dev/null

# --- 1. ukit --usr images, judged by systemd-dissect 257 ---
mkdir -p "$T/tree/usr/bin" "$T/tree/usr/share/u"
printf '#!/bin/sh\necho x-runs\n' >"$T/tree/usr/bin/x"; chmod 755 "$T/tree/usr/bin/x"
head -c 50000 /dev/urandom >"$T/tree/usr/share/u/data"
mkdir -p "$T/d1"
for fmt in erofs squashfs; do
        for sig in plain signed; do
                keys=(); [ $sig = signed ] && keys=(--private-key="$T/k.pem" --certificate="$T/c.crt")
                "$UKIT" sysext build --usr --format=$fmt --name=u-$fmt-$sig --id=debian --version-id=13 "${keys[@]}" \
                        "$T/tree" "$T/d1/u-$fmt-$sig.raw" >/dev/null
        done
done
cat >"$T/d1/run.sh" <<'EOF'
cd "$(dirname "$0")"
for i in *.raw; do
        n=${i%.raw}
        systemd-dissect --json=short "$i" >"$n.json" 2>"$n.err" || echo "dissect failed" >>"$n.err"
        systemd-dissect --copy-from "$i" /usr/bin/x "$n.x" 2>>"$n.err" || echo "copy failed" >>"$n.err"
done
EOF
o257 bash "$T/d1/run.sh"
for fmt in erofs squashfs; do
        for sig in plain signed; do
                n=u-$fmt-$sig j=$T/d1/u-$fmt-$sig.json
                [ -s "$j" ] || fail "$n: systemd-dissect 257: $(cat "$T/d1/$n.err")"
                assert_eq "$(jq -r .useSystemExtension "$j")" true "$n: dissect 257 useSystemExtension"
                assert_eq "$(jq -r '.sysextRelease|join(" ")' "$j")" "ID=debian VERSION_ID=13" "$n: dissect 257 release"
                assert_eq "$(jq -r '.mounts[]|select(.designator=="usr")|.fstype' "$j")" $fmt "$n: dissect 257 fstype"
                [ $sig = plain ] || assert_eq "$(jq -r '.mounts[]|select(.designator=="usr")|.verity' "$j")" signed "$n: verity"
                [ -f "$T/d1/$n.x" ] || fail "$n: systemd-dissect 257 --copy-from /usr/bin/x: $(cat "$T/d1/$n.err")"
                assert_files_equal "$T/d1/$n.x" "$T/tree/usr/bin/x" "$n: /usr/bin/x copied out by systemd-dissect 257"
        done
done

# --- 2. ukit merges DDIs made by systemd-repart 257 ---
R=$T/R-repart
E=$R/var/lib/extensions
mkdir -p "$R/etc/verity.d" "$R/usr/share" "$E" "$R/var/lib/confexts" "$T/rp"
printf 'ID=debian\nVERSION_ID=13\n' >"$R/etc/os-release"
cp "$T/c.crt" "$R/etc/verity.d/sysext-257.crt"
: >"$T/rp/run.sh"
for fmt in erofs squashfs; do
        for mode in plain verity signed; do
                n=rp-$fmt-$mode d=$T/rp/$n
                mkdir -p "$d/defs" "$d/src/usr/lib/extension-release.d" "$d/src/usr/bin"
                printf 'ID=debian\nVERSION_ID=13\n' >"$d/src/usr/lib/extension-release.d/extension-release.$n"
                printf '#!/bin/sh\necho %s-runs\n' "$n" >"$d/src/usr/bin/$n"; chmod 755 "$d/src/usr/bin/$n"
                printf '[Partition]\nType=usr\nFormat=%s\nCopyFiles=/usr/:/\n' $fmt >"$d/defs/10-usr.conf"
                keys=
                if [ $mode != plain ]; then
                        printf 'Verity=data\nVerityMatchKey=usr\n' >>"$d/defs/10-usr.conf"
                        printf '[Partition]\nType=usr-verity\nVerity=hash\nVerityMatchKey=usr\n' >"$d/defs/20-usr-verity.conf"
                fi
                if [ $mode = signed ]; then
                        printf '[Partition]\nType=usr-verity-sig\nVerity=signature\nVerityMatchKey=usr\n' >"$d/defs/30-usr-sig.conf"
                        keys="--private-key=$T/k.pem --certificate=$T/c.crt"
                fi
                echo "systemd-repart --definitions=$d/defs --root=$d/src --empty=create --size=auto --dry-run=no $keys $E/$n.raw >$d/log 2>&1 || echo 'systemd-repart failed: $n'" >>"$T/rp/run.sh"
        done
done
# --make-ddi: a root partition (erofs, verity, signature) with /usr and /opt; confext with /etc
mkdir -p "$T/rp/mds/usr/lib/extension-release.d" "$T/rp/mds/usr/bin" "$T/rp/mds/opt/mds" \
        "$T/rp/mdc/etc/extension-release.d"
printf 'ID=debian\nVERSION_ID=13\n' >"$T/rp/mds/usr/lib/extension-release.d/extension-release.mds"
printf '#!/bin/sh\necho mds-runs\n' >"$T/rp/mds/usr/bin/mds"; chmod 755 "$T/rp/mds/usr/bin/mds"
echo opt >"$T/rp/mds/opt/mds/file"
printf 'ID=debian\nVERSION_ID=13\n' >"$T/rp/mdc/etc/extension-release.d/extension-release.mdc"
echo conf >"$T/rp/mdc/etc/mdc.conf"
cat >>"$T/rp/run.sh" <<EOF
systemd-repart --make-ddi=sysext --copy-source=$T/rp/mds --private-key=$T/k.pem --certificate=$T/c.crt $E/mds.raw >$T/rp/mds.log 2>&1 || echo 'make-ddi=sysext failed'
systemd-repart --make-ddi=confext --copy-source=$T/rp/mdc --private-key=$T/k.pem --certificate=$T/c.crt $R/var/lib/confexts/mdc.raw >$T/rp/mdc.log 2>&1 || echo 'make-ddi=confext failed'
EOF
out=$(o257 bash "$T/rp/run.sh")
[ -z "$out" ] || fail "$out"
"$UKIT" sysext merge --root="$R" --json=short >"$T/rp/merge.json" 2>"$T/rp/merge.err" || {
        cat "$T/rp/merge.err"; fail "ukit merge of systemd-repart 257 DDIs"; }
for fmt in erofs squashfs; do
        for mode in plain verity signed; do
                n=rp-$fmt-$mode
                assert_eq "$(jq -r ".[]|select(.name==\"$n\")|.state" "$T/rp/merge.json")" merged "$n state"
                assert_eq "$(jq -r ".[]|select(.name==\"$n\")|.protection" "$T/rp/merge.json")" \
                        "$([ $mode = plain ] && echo none || echo $mode)" "$n protection"
                assert_eq "$("$R/usr/bin/$n")" "$n-runs" "$n: /usr/bin/$n"
        done
done
assert_eq "$(jq -r '.[]|select(.name=="mds")|.state+" "+.protection' "$T/rp/merge.json")" "merged signed" "make-ddi=sysext"
assert_eq "$("$R/usr/bin/mds")" mds-runs "make-ddi=sysext /usr"
assert_eq "$(cat "$R/opt/mds/file")" opt "make-ddi=sysext /opt"
[ ! -e "$R/usr/usr" ] || fail "/usr/usr in the merged tree"
"$UKIT" confext merge --root="$R" --json=short >"$T/rp/cmerge.json" 2>"$T/rp/cmerge.err" || {
        cat "$T/rp/cmerge.err"; fail "ukit confext merge of a make-ddi=confext DDI"; }
assert_eq "$(jq -r '.[]|select(.name=="mdc")|.state+" "+.protection' "$T/rp/cmerge.json")" "merged signed" "make-ddi=confext"
assert_eq "$(cat "$R/etc/mdc.conf")" conf "make-ddi=confext /etc"
"$UKIT" confext unmerge --root="$R" -q
"$UKIT" sysext unmerge --root="$R" -q

# --- 3. systemd-confext 257 and ukit: DDIs and each other's merges ---
# (inside the 257 root, where both run; the merges die with its namespace)
C=$T/R-confext
mkdir -p "$C/etc" "$C/var/lib/confexts" "$T/ctree/etc/ukitc"
printf 'ID=debian\nVERSION_ID=13\n' >"$C/etc/os-release"
echo ukit-conf >"$T/ctree/etc/ukitc/conf"
"$UKIT" confext build --id=debian --version-id=13 "$T/ctree" "$C/var/lib/confexts/ukitc.raw" >/dev/null
# An ASan build of ukit needs the sanitizer runtimes of this host's compiler.
mkdir -p "$T/hostlib"
ldd "$UKIT" | awk '$1 ~ /^lib(asan|ubsan)/ && $3 ~ /^\// {print $3}' | xargs -r cp -t "$T/hostlib"
o257 bash -c "export LD_LIBRARY_PATH=$T/hostlib; mount --make-rshared / && cd $T && {
        systemd-confext merge --root=$C >c257.log 2>&1; cat $C/etc/ukitc/conf >c257.out
        $UKIT confext status --root=$C --json=short >c257-ukit.status 2>>c257.log
        $UKIT confext unmerge --root=$C >>c257.log 2>&1
        grep -q ' $C/etc ' /proc/self/mountinfo && echo 'ukit left 257 merge' >>c257.out
        $UKIT confext merge --root=$C >>c257.log 2>&1
        systemd-confext status --root=$C --json=short >c257-sd.status 2>>c257.log
        systemd-confext unmerge --root=$C >>c257.log 2>&1
        grep -q ' $C/etc ' /proc/self/mountinfo && echo '257 left ukit merge' >>c257.out; true; }"
assert_eq "$(tr '\n' ' ' <"$T/c257.out")" "ukit-conf " "systemd-confext 257 and ukit ($(tr '\n' ' ' <"$T/c257.log"))"
assert_eq "$(jq -c '.[]|select(.hierarchy=="/etc")|.extensions' "$T/c257-ukit.status")" '["ukitc"]' \
        "ukit confext status of a systemd-confext 257 merge"
assert_eq "$(jq -c '.[]|select(.hierarchy=="/etc")|.extensions' "$T/c257-sd.status")" '["ukitc"]' \
        "systemd-confext 257 status of a ukit merge"

# --- 4. differential: systemd-sysext 257 and ukit merge the same sets ---
seed=${UKIT_SYSEXT_SEED:-$(( $(date +%s) % 100000 ))}
echo "differential seed: $seed (UKIT_SYSEXT_SEED=$seed reproduces it)"
RANDOM=$seed
releases=("ID=debian VERSION_ID=13" "ID=debian VERSION_ID=12" "ID=_any" "ID=fedora VERSION_ID=13"
        "ID=debian SYSEXT_LEVEL=1" "ID=_any ARCHITECTURE=arm64" "ID=debian VERSION_ID=13 ARCHITECTURE=x86-64")
letters=(a b c d e f)
cases=20
# dump ROOT: every path, type and mode under usr/ and opt/ (not the merge
# markers), the file hashes and the merged names; the same script on both sides
cat >"$T/dump.sh" <<'EOF2'
dump() {
        ( cd "$1" || exit 1
          for h in usr opt; do [ ! -d $h ] || find $h -name .systemd-sysext -prune -o -printf '%p %y %m\n'; done | sort
          for h in usr opt; do [ ! -d $h ] || find $h -name .systemd-sysext -prune -o -type f -print0; done |
                sort -z | xargs -0r sha256sum
          if [ -f usr/.systemd-sysext/extensions ]; then tr '\n' ' ' <usr/.systemd-sysext/extensions; else echo "(nothing merged)"; fi )
}
EOF2
. "$T/dump.sh"
: >"$T/diff.sh"
for ((i = 0; i < cases; i++)); do
        for side in a b; do
                mkdir -p "$T/R-$i-$side/etc" "$T/R-$i-$side/usr/share/common" "$T/R-$i-$side/var/lib/extensions"
                printf 'ID=debian\nVERSION_ID=13\n' >"$T/R-$i-$side/etc/os-release"
                echo host >"$T/R-$i-$side/usr/share/common/host"
        done
        k=$((1 + RANDOM % 3))
        for ((j = 0; j < k; j++)); do
                n=${letters[RANDOM % 6]}${letters[RANDOM % 6]}$i$j
                src=$T/src-$n
                mkdir -p "$src/usr/share/common" "$src/usr/share/$n" "$src/usr/bin"
                echo "$n" >"$src/usr/share/common/who"
                head -c $((RANDOM * 3)) /dev/urandom >"$src/usr/share/$n/blob"
                printf '#!/bin/sh\necho %s\n' "$n" >"$src/usr/bin/$n"; chmod 755 "$src/usr/bin/$n"
                [ $((RANDOM % 3)) = 0 ] && ln -s "../share/$n/blob" "$src/usr/bin/$n-link"
                layout=root
                if [ $((RANDOM % 2)) = 0 ]; then layout=usr; else
                        [ $((RANDOM % 2)) = 0 ] && mkdir -p "$src/opt/$n" && echo "$n" >"$src/opt/$n/f"
                fi
                fmt=erofs; [ $((RANDOM % 2)) = 0 ] && fmt=squashfs
                mkdir -p "$src/usr/lib/extension-release.d"
                printf '%s\n' ${releases[RANDOM % ${#releases[@]}]} >"$src/usr/lib/extension-release.d/extension-release.$n"
                args=(--format=$fmt --name=$n); [ $layout = usr ] && args+=(--usr)
                "$UKIT" sysext build "${args[@]}" "$src" "$T/R-$i-a/var/lib/extensions/$n.raw" >/dev/null ||
                        fail "case $i: ukit sysext build ${args[*]} failed"
                cp "$T/R-$i-a/var/lib/extensions/$n.raw" "$T/R-$i-b/var/lib/extensions/"
                echo "case $i: $n $layout $fmt $(tr '\n' ' ' <"$src/usr/lib/extension-release.d/extension-release.$n")"
        done
        echo "systemd-sysext merge --root=$T/R-$i-b >$T/R-$i-b.log 2>&1; dump $T/R-$i-b >$T/R-$i-b.dump; systemd-sysext unmerge --root=$T/R-$i-b >>$T/R-$i-b.log 2>&1" >>"$T/diff.sh"
done
o257 bash -c "mount --make-rshared / && . $T/dump.sh && . $T/diff.sh"
for ((i = 0; i < cases; i++)); do
        "$UKIT" sysext merge --root="$T/R-$i-a" -q 2>"$T/R-$i-a.log" || { cat "$T/R-$i-a.log"; fail "case $i: ukit merge"; }
        dump "$T/R-$i-a" >"$T/R-$i-a.dump"
        "$UKIT" sysext unmerge --root="$T/R-$i-a" -q
        if ! cmp -s "$T/R-$i-a.dump" "$T/R-$i-b.dump"; then
                diff "$T/R-$i-a.dump" "$T/R-$i-b.dump" | head -20
                cat "$T/R-$i-b.log"
                fail "case $i: ukit and systemd-sysext 257 merged different trees"
        fi
done
echo "differential: $cases cases, merged trees identical ($(cat "$T"/R-*-a.dump | grep -c ' f ') files compared)"
echo ok
