#!/usr/bin/env bash
# `ukit sysext|confext merge --verity=kernel` inside the guest (Debian's 6.1
# kernel, which has device-mapper and dm-verity; this host has neither), in
# one boot (ukit-stub, OVMF, TCG). The host builds the DDIs, the guest merges
# them below a fake root on the initramfs and reports, the host asserts.
# Also: --verity=auto picks the kernel, refresh (stacked on 6.1), merges
# killed midway and the final unmerge leave no dm or loop device behind.
# Oracles: the kernel itself (a byte flipped in the backing file after the
# merge makes the read fail with EIO and dm-verity log the corruption,
# while the same flip under --verity=userspace is read back silently),
# /sys/block/dm-*, /proc/self/mountinfo (noexec), the execve() refusal,
# veritysetup on the host (the corrupted DDI really is corrupt).
. "$(dirname "$0")/../lib.sh"
. "$UKIT_TOP/tests/vm/lib.sh"
need jq veritysetup dmsetup sfdisk openssl mkfs.erofs
STUB=$UKIT_BUILD/src/stub/ukit-stub.efi
[ -f "$STUB" ] || fail "$STUB not built"
"$UKIT" sysext merge --help 2>&1 | grep -q -- '--verity' ||
        fail "ukit sysext merge has no --verity= option (kernel dm-verity activation not built)"

export SOURCE_DATE_EPOCH=1700000000
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/k.pem" -out "$T/c.crt" -subj /CN=vm-verity -days 30 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/k2.pem" -out "$T/c2.crt" -subj /CN=not-in-verity.d -days 30 2>/dev/null

# blob NAME FILE: a few hundred KB of numbered lines, so a given line can be
# found in the DDI (erofs stores the data uncompressed and in one piece).
blob() { awk -v n="$1" 'BEGIN { for (i = 0; i < 16000; i++) printf "%s-blob line %06d\n", n, i }' >"$2"; }
# tree NAME: $T/NAME/usr/share/vt/{NAME-only,NAME-blob}
tree() {
        mkdir -p "$T/$1/usr/share/vt"
        echo "$1" >"$T/$1/usr/share/vt/$1-only"
        blob "$1" "$T/$1/usr/share/vt/$1-blob"
}
sysext() { # NAME [build options]
        local n=$1; shift
        tree "$n"
        "$UKIT" sysext build --id=vmtest --version-id=1 "$@" \
                "$T/$n" "$T/$n.raw" >/dev/null || fail "sysext build $n"
}
sysext sig --private-key="$T/k.pem" --certificate="$T/c.crt"
sysext unsig
sysext sq --format=squashfs --private-key="$T/k.pem" --certificate="$T/c.crt"
sysext nocert --private-key="$T/k2.pem" --certificate="$T/c2.crt"
sysext corrupt --private-key="$T/k.pem" --certificate="$T/c.crt"
# bare erofs images with sidecar hash trees and root hashes from
# veritysetup, one with a root hash signature made by openssl
side() { # NAME
        tree "$1"
        mkdir -p "$T/$1/usr/lib/extension-release.d"
        printf 'ID=vmtest\nVERSION_ID=1\n' >"$T/$1/usr/lib/extension-release.d/extension-release.$1"
        mkfs.erofs --quiet "$T/$1.raw" "$T/$1" >/dev/null || fail "mkfs.erofs $1"
        veritysetup format "$T/$1.raw" "$T/$1.verity" | awk '/^Root hash:/ { print $3 }' >"$T/$1.roothash"
        [ -s "$T/$1.roothash" ] || fail "veritysetup format $1"
}
side side
side plainside
openssl smime -sign -in <(tr -d '\n' <"$T/side.roothash") -nocerts -inkey "$T/k.pem" -signer "$T/c.crt" \
        -noattr -binary -outform der -out "$T/side.roothash.p7s" || fail "openssl smime -sign"
mkdir -p "$T/cfg/etc"
printf '#!/bin/sh\necho cfg-runs\n' >"$T/cfg/etc/cfg-tool"; chmod 755 "$T/cfg/etc/cfg-tool"
echo cfg >"$T/cfg/etc/vt-cfg"
"$UKIT" confext build --id=vmtest --version-id=1 --private-key="$T/k.pem" --certificate="$T/c.crt" \
        "$T/cfg" "$T/cfg.raw" >/dev/null || fail "confext build"

# offset IMG NAME LINE: byte offset of "NAME-blob line LINE" in IMG (exactly one hit)
offset() {
        local hits; hits=$(grep -obaF "$2-blob line $3" "$1" | cut -d: -f1)
        [ "$(wc -l <<<"$hits")" = 1 ] && [ -n "$hits" ] || fail "$1: '$2-blob line $3' found ${hits:-0 times}"
        echo "$hits"
}
# The byte we flip: the 'l' of "line" in line 8000 (inside a data block of
# the file, far from its inline tail), to 'X'.
sig_off=$(( $(offset "$T/sig.raw" sig 008000) + 9 ))
[ "$(dd if="$T/sig.raw" bs=1 skip=$sig_off count=1 status=none)" = l ] || fail "offset computation"
sig_block=$(( (sig_off - $(sfdisk -J "$T/sig.raw" | jq '.partitiontable.partitions[0].start') * 512) / 4096 ))
line_off=$(grep -obaF "sig-blob line 008000" "$T/sig/usr/share/vt/sig-blob" | cut -d: -f1)
cp "$T/sig/usr/share/vt/sig-blob" "$T/sig-blob.flipped"
printf X | dd of="$T/sig-blob.flipped" bs=1 seek=$((line_off + 9)) conv=notrunc status=none
sig_sha=$(sha256sum <"$T/sig/usr/share/vt/sig-blob" | cut -d' ' -f1)
flipped_sha=$(sha256sum <"$T/sig-blob.flipped" | cut -d' ' -f1)

# corrupt.raw: flipped before the merge; veritysetup confirms it is corrupt
# (and that sig.raw is not).
vcheck() { # IMG -> veritysetup verify on its data + hash partitions
        local j s0 n0 s1 n1 root
        j=$(sfdisk -J "$1")
        s0=$(jq '.partitiontable.partitions[0].start' <<<"$j"); n0=$(jq '.partitiontable.partitions[0].size' <<<"$j")
        s1=$(jq '.partitiontable.partitions[1].start' <<<"$j"); n1=$(jq '.partitiontable.partitions[1].size' <<<"$j")
        dd if="$1" of="$T/v.data" bs=512 skip="$s0" count="$n0" status=none
        dd if="$1" of="$T/v.hash" bs=512 skip="$s1" count="$n1" status=none
        root=$(jq -r '.partitiontable.partitions[0].uuid, .partitiontable.partitions[1].uuid' <<<"$j" | tr -d '\n-' | tr A-F a-f)
        veritysetup verify "$T/v.data" "$T/v.hash" "$root" >/dev/null 2>&1
}
printf X | dd of="$T/corrupt.raw" bs=1 seek=$(( $(offset "$T/corrupt.raw" corrupt 008000) + 9 )) conv=notrunc status=none
vcheck "$T/sig.raw" || fail "veritysetup rejects sig.raw"
if vcheck "$T/corrupt.raw"; then fail "veritysetup accepts corrupt.raw: test setup broken"; fi

cat >"$T/vt.env" <<EOF
SIG_OFF=$sig_off
EOF

# The guest side: sourced by /init (never `exit`).
cat >"$T/verity.sh" <<'HOOK'
. /ukit/vt.env
R=/tmp/r
E=$R/var/lib/extensions
mkdir -p $R/etc/verity.d $R/usr/share/vt $E $R/var/lib/confexts /tmp/away
printf 'ID=vmtest\nVERSION_ID=1\n' >$R/etc/os-release
echo base >$R/usr/share/vt/base
cp /ukit/c.crt $R/etc/verity.d/vt.crt
for n in sig unsig sq nocert corrupt; do cp /ukit/$n.raw $E/; done
cp /ukit/side.* /ukit/plainside.* $E/
cp /ukit/cfg.raw $R/var/lib/confexts/
vt_oneline() { tr '\n' '|' <"$1"; }
vt_dm() { # names of the dm devices, or "none"
        l=""
        for d in /sys/block/dm-*; do [ -e "$d/dm/name" ] && l="$l $(cat $d/dm/name)"; done
        echo "${l# }" | grep . || echo none
}
vt_dm_slaves() { # per device: dm-N:UUID:SLAVE,SLAVE (data and hash loop devices)
        for d in /sys/block/dm-*; do
                [ -e "$d/dm/name" ] || continue
                echo "${d##*/}:$(cat $d/dm/uuid):$(ls $d/slaves | tr '\n' ',' | sed 's/,$//')"
        done | tr '\n' ' '
}
vt_loops() { n=0; for b in /sys/block/loop*/loop/backing_file; do [ -e "$b" ] && n=$((n + 1)); done; echo $n; }
vt_flip() { printf "$2" | dd of="$1" bs=1 seek=$SIG_OFF conv=notrunc 2>/dev/null; }
vt_drop() { sync; echo 3 >/proc/sys/vm/drop_caches; }
vt_wait_dm_gone() { i=0; while [ $i -lt 50 ] && [ "$(vt_dm)" != none ]; do sleep 0.2; i=$((i + 1)); done; }
vt_merge() { # KEY CLASS ARGS...: merge, report rc, json, messages
        k=$1; c=$2; shift 2
        ukit $c merge --root=$R --json=short "$@" >/tmp/$k.json 2>/tmp/$k.err
        report "$k rc=$?"
        report "$k json=$(cat /tmp/$k.json)"
        report "$k err=$(vt_oneline /tmp/$k.err)"
}
vt_unmerge() { # KEY CLASS
        ukit $2 unmerge --root=$R >/tmp/$1.out 2>&1
        report "$1 rc=$?"
        vt_wait_dm_gone
        report "$1 dm=$(vt_dm)"
        report "$1 loops=$(vt_loops)"
}

# 1. sysext, kernel dm-verity: sig (verity.d), unsig, sq (squashfs) merge;
#    nocert (signer trusted nowhere) and corrupt fail
vt_merge m1 sysext --verity=kernel
report "m1 dm=$(vt_dm)"
report "m1 dm slaves=$(vt_dm_slaves)"
report "m1 mount=$(grep " $R/usr " /proc/self/mountinfo | cut -d' ' -f5,6,9)"
report "m1 sig-blob sha256=$(sha256sum $R/usr/share/vt/sig-blob 2>&1 | cut -d' ' -f1)"
for n in sig unsig sq nocert corrupt side plainside; do
        report "m1 cat $n-only=$(cat $R/usr/share/vt/$n-only 2>&1)"
done
report "m1 dmesg=$(dmesg | grep -i verity | tr '\n' '|')"
# 2. the backing file changes under the merged image
vt_flip $E/sig.raw X
vt_drop
dmesg -c >/dev/null
cat $R/usr/share/vt/sig-blob >/dev/null 2>/tmp/t1.err
report "t1 read rc=$?"
report "t1 read err=$(vt_oneline /tmp/t1.err)"
report "t1 dmesg=$(dmesg | grep -i verity | tr '\n' '|')"
report "t1 other file=$(cat $R/usr/share/vt/unsig-only 2>&1)"
vt_flip $E/sig.raw l
# 3. unmerge: the dm devices go away by themselves (deferred removal)
vt_unmerge u1 sysext
report "u1 usr=$(ls $R/usr/share/vt | tr '\n' ' ')"
report "u1 mounted=$(grep -c " $R/usr " /proc/self/mountinfo)"

# 4. confext with kernel dm-verity: noexec
vt_merge c1 confext --verity=kernel
report "c1 dm=$(vt_dm)"
report "c1 mount=$(grep " $R/etc " /proc/self/mountinfo | cut -d' ' -f5,6)"
report "c1 cat=$(cat $R/etc/vt-cfg 2>&1)"
$R/etc/cfg-tool >/tmp/c1.exec 2>&1
report "c1 exec rc=$?"
report "c1 exec out=$(vt_oneline /tmp/c1.exec)"
vt_unmerge c1u confext
report "c1u etc=$([ -e $R/etc/vt-cfg ] && echo vt-cfg-present || echo bare)"

# 5. the same flip with user-space verity only: read back silently
for n in unsig sq nocert corrupt; do mv $E/$n.raw /tmp/away/; done
mv $E/side.* $E/plainside.* /tmp/away/
vt_merge m2 sysext --verity=userspace
report "m2 dm=$(vt_dm)"
vt_flip $E/sig.raw X
vt_drop
cat $R/usr/share/vt/sig-blob >/tmp/t2.out 2>/tmp/t2.err
report "t2 read rc=$?"
report "t2 read err=$(vt_oneline /tmp/t2.err)"
report "t2 sha256=$(sha256sum /tmp/t2.out | cut -d' ' -f1)"
rm -f /tmp/t2.out
vt_flip $E/sig.raw l
vt_unmerge u2 sysext

# 6. default (auto) with /dev/mapper/control present: the kernel
vt_merge m3 sysext
report "m3 dm=$(vt_dm)"
# refresh with a second image: the new merge has its own dm devices
mv /tmp/away/unsig.raw $E/
ukit sysext refresh --root=$R --json=short >/tmp/r1.json 2>/tmp/r1.err
report "r1 rc=$?"
report "r1 json=$(cat /tmp/r1.json)"
report "r1 err=$(vt_oneline /tmp/r1.err)"
vt_wait_dm_count() { i=0; while [ $i -lt 25 ] && [ "$(vt_dm | wc -w)" -gt $1 ]; do sleep 0.2; i=$((i + 1)); done; }
vt_wait_dm_count 2
report "r1 dm=$(vt_dm)"
report "r1 mounted=$(grep -c " $R/usr " /proc/self/mountinfo)"
report "r1 cat=$(cat $R/usr/share/vt/sig-only $R/usr/share/vt/unsig-only 2>&1 | tr '\n' ' ')"
vt_unmerge u3 sysext

# 7. merges killed at named points: UKIT_TEST_STOP_AT makes ukit stop
#    itself (SIGSTOP) there, then the whole process group, or only the
#    parent (the child must die with it), is SIGKILLed; after an unmerge no
#    dm device, loop device or overlay may be left
vt_stopped() { # SID -> a stopped process of that session, if any
        for f in /proc/[0-9]*/stat; do
                s=$(cat $f 2>/dev/null) || continue
                set -- ${s##*) }
                # after "PID (COMM) ": state ppid pgrp session
                [ "$1" = T ] && [ "$4" = "$SID" ] && { f=${f#/proc/}; echo "${f%/stat}"; return; }
        done
}
vt_after_kill() { # KEY: unmerge, wait, report what is left
        ukit sysext unmerge --root=$R -q --lock-timeout=60 >/tmp/uk.err 2>&1
        urc=$?
        vt_wait_dm_gone
        report "$1=$(vt_dm) $(vt_loops) $(grep -c " $R/usr " /proc/self/mountinfo) $urc$(vt_oneline /tmp/uk.err)"
}
for pt in locked swept child-started image-attached verity-checked dm-activated dm-deferred image-mounted \
          overlay-built parent-received; do
        for how in group parent; do
                [ $how = parent ] && case $pt in dm-activated|dm-deferred|image-mounted) ;; *) continue ;; esac
                UKIT_TEST_STOP_AT=$pt setsid ukit sysext merge --root=$R -q >/dev/null 2>&1 &
                SID=$!
                i=0; st=""
                while [ $i -lt 150 ] && [ -z "$st" ]; do st=$(vt_stopped); [ -n "$st" ] || sleep 0.2; i=$((i + 1)); done
                [ -n "$st" ] || st=none
                if [ $how = group ]; then kill -9 -- -$SID 2>/dev/null; else kill -9 $SID; fi
                wait $SID 2>/dev/null
                vt_after_kill "kp $pt $how"
                report "kp $pt $how stopped=$([ "$st" = none ] && echo no || echo yes)"
        done
done
# 7a. SIGKILL after a sweep of delays, with a busy loop competing for the
#     (single) CPU, so the kill also lands inside libcryptsetup and ioctls
( while :; do :; done ) &
busy=$!
for d in 0.05 0.1 0.2 0.3 0.4 0.6 0.8 1.0; do
        setsid ukit sysext merge --root=$R -q >/dev/null 2>&1 &
        p=$!
        sleep $d
        kill -9 -- -$p 2>/dev/null; kill -9 $p 2>/dev/null
        wait $p 2>/dev/null
        vt_after_kill "k $d"
done
kill $busy; wait $busy 2>/dev/null
# 7c. what a kill inside libcryptsetup leaves, made with dmsetup: a device
#     created without a table, and one whose table (over two loop devices)
#     was loaded but never resumed; libcryptsetup cannot open either
ph=$(cat /ukit/plainside.roothash)
veritysetup open /ukit/plainside.raw vt-tmp /ukit/plainside.verity "$ph" 2>/tmp/vs.err
tbl=$(dmsetup table vt-tmp 2>>/tmp/vs.err)
dmsetup create ukit-sysext-notable --notable 2>>/tmp/vs.err
dmsetup create ukit-sysext-inactive --notable 2>>/tmp/vs.err
dmsetup load --readonly ukit-sysext-inactive --table "$tbl" 2>>/tmp/vs.err
dmsetup remove vt-tmp 2>>/tmp/vs.err
report "hm made=$(dmsetup ls | cut -f1 | grep ukit-sysext | sort | xargs) $(vt_loops) $(vt_oneline /tmp/vs.err)"
ukit sysext unmerge --root=$R -q >/dev/null 2>&1
vt_wait_dm_gone
report "hm unmerge=$(dmsetup ls | grep -c ukit-sysext) $(vt_loops) $(ls /dev/mapper | grep -c ukit-sysext)"

# 7b. a device left unused by a merge killed inside libcryptsetup (made here
#     with veritysetup under ukit's naming) is swept by the next unmerge and
#     the next merge; a foreign device is left alone
ph=$(cat /ukit/plainside.roothash)
veritysetup open /ukit/plainside.raw ukit-sysext-stale1 /ukit/plainside.verity "$ph" 2>/tmp/vs.err
veritysetup open /ukit/plainside.raw other-verity /ukit/plainside.verity "$ph" 2>>/tmp/vs.err
report "s open=$(vt_dm) $(vt_oneline /tmp/vs.err)"
ukit sysext unmerge --root=$R -q >/dev/null 2>&1
report "s unmerge=$(vt_dm)"
veritysetup open /ukit/plainside.raw ukit-sysext-stale2 /ukit/plainside.verity "$ph" 2>/tmp/vs.err
ukit sysext merge --root=$R -q --json=short >/tmp/s.json 2>/dev/null
report "s merge=$(vt_dm | tr ' ' '\n' | grep -c '^ukit-sysext-stale') $(vt_dm | tr ' ' '\n' | grep -c '^other-verity$') $(grep -o '"state":"merged"' /tmp/s.json | wc -l)"
ukit sysext unmerge --root=$R -q >/dev/null 2>&1
veritysetup close other-verity 2>/dev/null
vt_wait_dm_gone
report "s end=$(vt_dm) $(vt_loops)"

# 8. device-mapper without the verity target (and no modprobe to load it)
rmmod dm_verity 2>/tmp/rm.err
report "h rmmod rc=$? $(vt_oneline /tmp/rm.err)"
vt_merge h1 sysext --verity=kernel
report "h1 dm=$(vt_dm)"
report "h1 loops=$(vt_loops)"
report "h1 mounted=$(grep -c " $R/usr " /proc/self/mountinfo)"
ukit sysext unmerge --root=$R >/dev/null 2>&1
report "dmesg tail=$(dmesg | tail -n 20 | tr '\n' '|')"
HOOK

kernel=$(vm_kernel)
vm_initrd "$T/initrd.img" --modules "loop dm-verity overlay erofs squashfs" --ukit "$UKIT" --hook "$T/verity.sh" \
        "$T/vt.env" "$T/c.crt" "$T/sig.raw" "$T/unsig.raw" "$T/sq.raw" "$T/nocert.raw" "$T/corrupt.raw" "$T/cfg.raw" \
        "$T"/side.{raw,verity,roothash,roothash.p7s} "$T"/plainside.{raw,verity,roothash} \
        "$(command -v veritysetup)=/sbin/veritysetup" "$(command -v dmsetup)=/sbin/dmsetup" "$(ldd "$(command -v veritysetup)" | awk '/libpopt/ { print $3 }')=/lib/x86_64-linux-gnu/libpopt.so.0"
"$UKIT" build --stub "$STUB" --linux "$kernel" --initrd "$T/initrd.img" --cmdline "console=ttyS0 quiet" \
        -o "$T/uki.efi" >/dev/null || fail "ukit build failed"
mkdir -p "$T/esp/EFI/BOOT"
cp "$T/uki.efi" "$T/esp/EFI/BOOT/BOOTX64.EFI"
vm_esp "$T/esp" "$T/esp.img"
log=$T/serial.log
vm_run "$T/esp.img" "$log" --no-tpm --timeout 900 || { tail -n 40 "$log" >&2; fail "boot failed (see $log)"; }
vm_report_lines "$log" | grep -Ev '^(file|efivar|pcr) ' >&2

r() { vm_report "$log" "$1" || fail "no '$1' in the report"; }
js() { jq -r "$2" <<<"$(r "$1 json")" || fail "$1 json: cannot parse: $(r "$1 json")"; }
img() { js "$1" ".[]|select(.name==\"$2\")|$3"; }

for m in loop dm_mod dm_bufio dm_verity reed_solomon overlay erofs squashfs; do
        assert_eq "$(r "module $m")" loaded "module $m"
done
[[ "$(r ukit)" == ukit* ]] || fail "ukit does not run in the guest: $(r ukit)"

# a + c + d + e: one merge of all seven sysexts
assert_eq "$(r "m1 rc")" 1 "merge exit status with failed images"
assert_eq "$(img m1 sig '.state+" "+.protection+" "+.verity+" "+.trust')" "merged signed kernel verity.d" \
        "signed DDI, certificate in verity.d"
assert_eq "$(img m1 sq '.state+" "+.protection+" "+.verity+" "+.trust')" "merged signed kernel verity.d" \
        "signed squashfs DDI"
assert_eq "$(img m1 unsig '.state+" "+.protection+" "+.verity+" "+.trust')" "merged verity kernel none" \
        "unsigned verity DDI"
assert_eq "$(img m1 side '.state+" "+.protection+" "+.verity+" "+.trust')" "merged signed kernel verity.d" \
        "sidecar image with an openssl-signed root hash"
assert_eq "$(img m1 plainside '.state+" "+.protection+" "+.verity+" "+.trust')" "merged verity kernel none" \
        "sidecar image without signature"
assert_eq "$(r "m1 cat side-only")" side "side content"
assert_eq "$(r "m1 cat plainside-only")" plainside "plainside content"
assert_eq "$(img m1 nocert .state)" failed "DDI signed by a certificate trusted nowhere"
img m1 nocert .reason | grep -q "kernel keyring" || fail "nocert reason: $(img m1 nocert .reason)"
assert_eq "$(img m1 corrupt .state)" failed "corrupted DDI"
img m1 corrupt .reason | grep -q "dm-verity check failed" || fail "corrupt reason: $(img m1 corrupt .reason)"
# the signatures reached the kernel (which has none of the keys: .secondary_trusted_keys
# holds Debian's and the built-in ones), once per signed image
assert_eq "$(r "m1 dmesg" | tr '|' '\n' | grep -c 'verity: Root hash verification failed (-ENOKEY)')" 4 \
        "kernel root hash signature checks (sig, sq, nocert, side)"
assert_eq "$(r "m1 cat sig-only")" sig "sig content"
assert_eq "$(r "m1 cat unsig-only")" unsig "unsig content"
assert_eq "$(r "m1 cat sq-only")" sq "sq content"
[[ "$(r "m1 cat nocert-only")" == *"No such file"* ]] || fail "nocert merged: $(r "m1 cat nocert-only")"
[[ "$(r "m1 cat corrupt-only")" == *"No such file"* ]] || fail "corrupt merged: $(r "m1 cat corrupt-only")"
assert_eq "$(r "m1 sig-blob sha256")" "$sig_sha" "merged sig-blob content"
# one dm-verity device per merged image, each on a loop device
dm=$(r "m1 dm")
assert_eq "$(wc -w <<<"$dm")" 5 "dm devices after the merge ($dm)"
# libcryptsetup names its verity devices' DM UUID CRYPT-VERITY-...; each
# reads from loop devices (data, hash)
for d in $(r "m1 dm slaves"); do
        [[ "$d" =~ ^dm-[0-9]+:CRYPT-VERITY-[^:]*:loop[0-9]+(,loop[0-9]+)*$ ]] || fail "dm device not a verity target on loop devices: $d"
done
assert_eq "$(wc -w <<<"$(r "m1 dm slaves")")" 5 "dm devices with slaves"
[[ "$(r "m1 mount")" == *" ro "* || "$(r "m1 mount")" == *" ro,"* ]] || fail "merged /usr mount: $(r "m1 mount")"

# b: flipped after the merge -> the kernel refuses the block
[ "$(r "t1 read rc")" != 0 ] || fail "tampered file read without error under kernel dm-verity"
[[ "$(r "t1 read err")" == *"Input/output error"* ]] || fail "tampered read: $(r "t1 read err")"
# the kernel names the data block we flipped (offset in the data partition / 4096)
r "t1 dmesg" | grep -q "device-mapper: verity: .*: data block $sig_block is corrupted" ||
        fail "no dm-verity corruption message for data block $sig_block: $(r "t1 dmesg")"
assert_eq "$(r "t1 other file")" unsig "other images unaffected"

# f: unmerge
assert_eq "$(r "u1 rc")" 0 "unmerge"
assert_eq "$(r "u1 dm")" none "dm devices after unmerge (deferred removal)"
assert_eq "$(r "u1 loops")" 0 "loop devices after unmerge"
assert_eq "$(r "u1 usr")" "base " "bare /usr after unmerge"
assert_eq "$(r "u1 mounted")" 0 "overlay on /usr after unmerge"

# g: confext
assert_eq "$(r "c1 rc")" 0 "confext merge"
assert_eq "$(img c1 cfg '.state+" "+.protection+" "+.verity+" "+.trust')" "merged signed kernel verity.d" "confext"
assert_eq "$(wc -w <<<"$(r "c1 dm")")" 1 "dm device for the confext"
assert_eq "$(r "c1 cat")" cfg "confext content"
r "c1 mount" | grep -q noexec || fail "confext mount not noexec: $(r "c1 mount")"
[ "$(r "c1 exec rc")" != 0 ] || fail "script in a confext executed: $(r "c1 exec out")"
[[ "$(r "c1 exec out")" == *"ermission denied"* ]] || fail "confext exec: $(r "c1 exec out")"
assert_eq "$(r "c1u rc")" 0 "confext unmerge"
assert_eq "$(r "c1u dm")" none "dm devices after confext unmerge"
assert_eq "$(r "c1u etc")" bare "bare /etc after confext unmerge"

# b, second half: user-space verity does not notice the flip after the merge
assert_eq "$(r "m2 rc")" 0 "userspace merge"
assert_eq "$(img m2 sig '.state+" "+.verity')" "merged userspace" "--verity=userspace"
assert_eq "$(r "m2 dm")" none "dm devices with --verity=userspace"
assert_eq "$(r "t2 read rc")" 0 "tampered read under userspace verity"
assert_eq "$(r "t2 sha256")" "$flipped_sha" "userspace verity returns the modified bytes"
assert_eq "$(r "u2 rc")" 0 "unmerge (userspace)"

# auto picks the kernel when /dev/mapper/control is there
assert_eq "$(r "m3 rc")" 0 "auto merge"
assert_eq "$(img m3 sig .verity)" kernel "--verity=auto with device-mapper"
assert_eq "$(wc -w <<<"$(r "m3 dm")")" 1 "dm device with auto"
# refresh on top (kernel dm-verity for the new set); 6.1 has no
# MOVE_MOUNT_BENEATH, so ukit stacks the new merge over the old one, which
# keeps its devices until the unmerge
assert_eq "$(r "r1 rc")" 0 "refresh"
assert_eq "$(js r1 'map(.name+":"+.state+":"+.verity)|join(" ")')" "sig:merged:kernel unsig:merged:kernel" "refresh results"
assert_eq "$(r "r1 cat")" "sig unsig " "content after refresh"
echo "after refresh: $(r "r1 mounted") overlay(s) on /usr, $(wc -w <<<"$(r "r1 dm")") dm device(s) for 2 images"
assert_eq "$(r "u3 rc")" 0 "unmerge after refresh"
assert_eq "$(r "u3 dm")" none "dm devices after the last unmerge"
assert_eq "$(r "u3 loops")" 0 "loop devices after the last unmerge"

for pt in locked swept child-started image-attached verity-checked dm-activated dm-deferred image-mounted \
          overlay-built parent-received; do
        for how in group parent; do
                [ $how = parent ] && case $pt in dm-activated|dm-deferred|image-mounted) ;; *) continue ;; esac
                assert_eq "$(r "kp $pt $how stopped")" yes "merge stopped at $pt"
                assert_eq "$(r "kp $pt $how")" "none 0 0 0" \
                        "dm devices, loop devices, overlays, unmerge status after a merge stopped at $pt, $how SIGKILLed"
        done
done
for d in 0.05 0.1 0.2 0.3 0.4 0.6 0.8 1.0; do
        assert_eq "$(r "k $d")" "none 0 0 0" "dm devices, loop devices, overlays after a merge killed at ${d}s under load"
done
assert_eq "$(r "hm made")" "ukit-sysext-inactive ukit-sysext-notable 2 " "dmsetup made the half-made devices"
assert_eq "$(r "hm unmerge")" "0 0 0" "dm devices, loop devices, /dev/mapper nodes after the sweep of half-made devices"
# no dm-verity target: --verity=kernel fails each image with a reason and
# leaves no half-made device behind
assert_eq "$(r "s open" | tr ' ' '\n' | sort | xargs)" "other-verity ukit-sysext-stale1" "veritysetup made the two stand-in devices"
assert_eq "$(r "s unmerge")" "other-verity" "unmerge swept the unused ukit-sysext device and kept the foreign one"
assert_eq "$(r "s merge")" "0 1 $(js r1 '[.[]|select(.state=="merged")]|length')" "merge swept the stale device, kept the foreign one, merged as before"
assert_eq "$(r "s end")" "none 0" "nothing left after the sweep test"
assert_eq "$(r "h rmmod rc")" "0 " "rmmod dm_verity"
assert_eq "$(r "h1 rc")" 1 "--verity=kernel without the dm-verity target"
assert_eq "$(js h1 'map(.name+":"+.state)|join(" ")')" "sig:failed unsig:failed" "images without the dm-verity target"
[ -n "$(img h1 sig .reason)" ] || fail "no reason without the dm-verity target"
assert_eq "$(r "h1 dm")" none "dm devices left after failed activations"
assert_eq "$(r "h1 loops")" 0 "loop devices left after failed activations"
assert_eq "$(r "h1 mounted")" 0 "nothing merged without the dm-verity target"

echo "boot with all scenarios: ${VM_BOOT_SECONDS}s"
echo ok
