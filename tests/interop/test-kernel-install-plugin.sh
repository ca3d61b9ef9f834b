#!/usr/bin/env bash
# 60-ukit.install called directly with the plugin protocol of kernel-install
# (arguments + KERNEL_INSTALL_* environment), for the decisions that the
# kernel-install 252 run cannot reach:
#  - uki_generator: unset/"ukit" builds, "ukify" (60-ukify.install's) does not;
#  - a 90-uki-copy.install in /usr/lib/kernel/install.d (newer kernel-install)
#    switches to building $KERNEL_INSTALL_STAGING_AREA/uki.efi, and leaves
#    remove to it; masked by a /dev/null link in /etc/kernel/install.d it
#    does not;
#  - staged microcode*/initrd* files are added around the given initrds, in
#    60-ukify.install's order (judged from the UKI's .initrd with objcopy);
#  - file names with spaces, newlines or a leading "-" (given and staged)
#    arrive as they are: the plugin passes "--" and splits no lists;
#  - KERNEL_INSTALL_IMAGE_TYPE (kernel-install 257): "uki" builds nothing,
#    like 60-ukify.install; "pe" and "unknown" build;
#  - /etc/kernel/devicetree (here $KERNEL_INSTALL_CONF_ROOT/devicetree): the
#    file it names becomes .dtb (objcopy), also through a symlink within
#    its directory; a FIFO or a symlink to
#    /etc/shadow named there, and a FIFO as the devicetree file itself,
#    are refused with one line, without hanging, and nothing is written
#    to $BOOT.
# The plugin directories are tmpfs mounts in a private mount namespace, so
# the host's are not touched.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/kernel-install-lib.sh"

ki_init
need unshare objcopy
[ -d /usr/lib/kernel/install.d ] && [ -d /etc/kernel/install.d ] || skip "no kernel-install plugin directories"
ki_kernel

plugin=$UKIT_TOP/kernel-install/60-ukit.install
mkdir -p "$T/boot" "$T/conf" "$T/staging"
echo "quiet" >"$T/conf/cmdline"
printf 'U' >"$T/staging/microcode-intel"
printf 'S' >"$T/staging/initrd-staged"
printf 'G' >"$T/given"

cat >"$T/inner.sh" <<'INNER'
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
export KERNEL_INSTALL_LAYOUT=uki KERNEL_INSTALL_ENTRY_TOKEN=plug KERNEL_INSTALL_MACHINE_ID=0123456789abcdef0123456789abcdef
export KERNEL_INSTALL_BOOT_ROOT=$T/boot KERNEL_INSTALL_STAGING_AREA=$T/staging KERNEL_INSTALL_CONF_ROOT=$T/conf
export KERNEL_INSTALL_VERBOSE=0
uki=$T/boot/EFI/Linux/plug-$KVER.efi
add() { "$PLUGIN" add "$KVER" "$T/boot/plug/$KVER" "$KIMG" "$T/given"; }

mount -t tmpfs tmpfs /usr/lib/kernel/install.d
mount -t tmpfs tmpfs /etc/kernel/install.d

# 1. 252-style (no 90-uki-copy.install): installs into $BOOT.
add 2>"$T/1.err" || { cat "$T/1.err"; fail "1: add failed"; }
[ -f "$uki" ] || fail "1: no UKI in \$BOOT"
[ ! -e "$T/staging/uki.efi" ] || fail "1: wrote the staging area"
# .initrd = microcode, given, staged initrd, each padded to 4 bytes
objcopy -O binary --only-section=.initrd "$uki" "$T/initrd.out"
[ "$(tr -d '\0' <"$T/initrd.out")" = "UGS" ] || fail "1: initrd order: $(tr -d '\0' <"$T/initrd.out" | od -c | head -1)"
"$PLUGIN" remove "$KVER" "$T/boot/plug/$KVER" 2>/dev/null || fail "1: remove failed"
[ ! -e "$uki" ] || fail "1: remove left the UKI"

# 2. Another generator chosen: nothing happens.
KERNEL_INSTALL_UKI_GENERATOR=ukify add 2>/dev/null || fail "2: plugin failed"
[ ! -e "$uki" ] || fail "2: built although uki_generator=ukify"
KERNEL_INSTALL_UKI_GENERATOR=ukit add 2>/dev/null || fail "2: uki_generator=ukit failed"
[ -f "$uki" ] || fail "2: uki_generator=ukit did not build"
rm -f "$uki"

# 3. Other layout: nothing.
KERNEL_INSTALL_LAYOUT=bls add 2>/dev/null || fail "3: plugin failed"
[ ! -e "$uki" ] || fail "3: built with layout=bls"

# 4. Newer kernel-install: 90-uki-copy.install present -> staging area only.
printf '#!/bin/sh\nexit 0\n' >/usr/lib/kernel/install.d/90-uki-copy.install
chmod +x /usr/lib/kernel/install.d/90-uki-copy.install
add 2>"$T/4.err" || { cat "$T/4.err"; fail "4: add failed"; }
[ -f "$T/staging/uki.efi" ] || fail "4: no staging/uki.efi"
[ ! -e "$uki" ] || fail "4: also wrote \$BOOT"
touch "$uki"
"$PLUGIN" remove "$KVER" "$T/boot/plug/$KVER" 2>/dev/null || fail "4: remove failed"
[ -e "$uki" ] || fail "4: removed although 90-uki-copy.install does that"
rm -f "$uki" "$T/staging/uki.efi"

# 5. ... masked in /etc: back to installing ourselves.
ln -s /dev/null /etc/kernel/install.d/90-uki-copy.install
add 2>"$T/5.err" || { cat "$T/5.err"; fail "5: add failed"; }
[ -f "$uki" ] || fail "5: masked 90-uki-copy.install, but no UKI in \$BOOT"
[ ! -e "$T/staging/uki.efi" ] || fail "5: wrote the staging area"
rm -f "$uki"
rm /etc/kernel/install.d/90-uki-copy.install /usr/lib/kernel/install.d/90-uki-copy.install

# 6. Odd file names: spaces, a newline, a leading "-" (R10).
odd=$T/odd
mkdir -p "$odd/stage" "$odd/-dir"
printf 'M' >"$odd/stage/microcode with space"
printf 'A' >"$odd/stage/initrd-1 a b"
printf 'B' >"$odd/stage/initrd-2
nl"
printf 'G' >"$odd/-dir/-given
name"
cp "$KIMG" "$odd/-dir/vmlinuz with space"
KERNEL_INSTALL_STAGING_AREA=$odd/stage "$PLUGIN" add "$KVER" "$T/boot/plug/$KVER" "$odd/-dir/vmlinuz with space" "$odd/-dir/-given
name" 2>"$T/6.err" || { cat "$T/6.err"; fail "6: add with odd file names failed"; }
objcopy -O binary --only-section=.initrd "$uki" "$T/initrd6.out"
[ "$(tr -d '\0' <"$T/initrd6.out")" = "MGAB" ] || fail "6: initrd order: $(tr -d '\0' <"$T/initrd6.out" | od -c | head -1)"
rm -f "$uki"
# ukit install itself: "--" ends the options, a path may start with "-".
(cd "$odd" && "$UKIT" install --quiet --entry-token=literal:plug --boot-path="$T/boot" -- "$KVER" "-dir/vmlinuz with space" "-dir/-given
name") 2>"$T/6b.err" || { cat "$T/6b.err"; fail "6: ukit install -- with a path starting with '-' failed"; }
objcopy -O binary --only-section=.initrd "$uki" "$T/initrd6b.out"
[ "$(tr -d '\0' <"$T/initrd6b.out")" = "G" ] || fail "6: ukit install --: wrong .initrd"
"$PLUGIN" remove "$KVER" "$T/boot/plug/$KVER" 2>/dev/null || fail "6: remove failed"
[ ! -e "$uki" ] || fail "6: remove left the UKI"

# 7. Image types as kernel-install 257 sets them.
KERNEL_INSTALL_IMAGE_TYPE=uki add 2>"$T/7.err" || { cat "$T/7.err"; fail "7: image type uki: plugin failed"; }
[ ! -e "$uki" ] || fail "7: built a UKI around a UKI"
for type in pe unknown; do
        KERNEL_INSTALL_IMAGE_TYPE=$type add 2>"$T/7.err" || { cat "$T/7.err"; fail "7: image type $type: add failed"; }
        [ -f "$uki" ] || fail "7: image type $type: no UKI"
        rm -f "$uki"
done

# 8. The devicetree lookup: a good one, then hostile ones.
echo " board.dtb " >"$T/conf/devicetree"
printf 'DTB-CONTENT' >"$T/conf/board.dtb"
add 2>"$T/8.err" || { cat "$T/8.err"; fail "8: add with a devicetree failed"; }
objcopy -O binary --only-section=.dtb "$uki" "$T/dtb.out"
[ "$(cat "$T/dtb.out")" = DTB-CONTENT ] || fail "8: .dtb is not the named devicetree"
rm -f "$uki"
# a symlink inside the directory (an alias) is followed, as 60-ukify.install does
mv "$T/conf/board.dtb" "$T/conf/board-real.dtb"; ln -s board-real.dtb "$T/conf/board.dtb"
add 2>"$T/8.err" || { cat "$T/8.err"; fail "8: add with a devicetree alias failed"; }
objcopy -O binary --only-section=.dtb "$uki" "$T/dtb.out"
[ "$(cat "$T/dtb.out")" = DTB-CONTENT ] || fail "8: .dtb is not the alias's target"
rm -f "$uki" "$T/conf/board-real.dtb"
boot_files() { find "$T/boot" -printf '%P %s\n' | sort; }
before=$(boot_files)
dt_refused() { # WHAT PATTERN
        local rc=0
        timeout 30 "$PLUGIN" add "$KVER" "$T/boot/plug/$KVER" "$KIMG" "$T/given" 2>"$T/8.err" || rc=$?
        [ $rc != 124 ] || fail "8: $1: the plugin hung"
        [ $rc != 0 ] || fail "8: $1: accepted"
        [ "$(grep -c . "$T/8.err")" = 1 ] || fail "8: $1: not one line: $(cat "$T/8.err")"
        grep -q -- "$2" "$T/8.err" || fail "8: $1: $(cat "$T/8.err")"
        ! grep -q 'root:' "$T/8.err" || fail "8: $1: /etc/shadow's content in the message"
        [ "$(boot_files)" = "$before" ] || fail "8: $1: \$BOOT changed: $(boot_files)"
        echo "8: $1 refused: $(cat "$T/8.err")"
}
rm "$T/conf/board.dtb"; mkfifo "$T/conf/board.dtb"
dt_refused "FIFO as the devicetree" "board.dtb.*not a regular file"
rm "$T/conf/board.dtb"; ln -s /etc/shadow "$T/conf/board.dtb"
dt_refused "symlink to /etc/shadow as the devicetree" "board.dtb.*symlink"
rm "$T/conf/board.dtb"; rm "$T/conf/devicetree"; mkfifo "$T/conf/devicetree"
dt_refused "FIFO as the devicetree file" "devicetree.*not a regular file"
rm "$T/conf/devicetree"
printf 'bo\033[2Jard.dtb\n' >"$T/conf/devicetree"      # an escape sequence in the name
dt_refused "escape sequence in a missing name" 'bo^\[\[2Jard.dtb not found'
! grep -q "$(printf '\033')" "$T/8.err" || fail "8: the escape character reached the message"
rm "$T/conf/devicetree"
echo "inner: ok"
INNER

export UKIT KVER KIMG T
export PLUGIN=$plugin
unshare --mount --propagation private bash "$T/inner.sh" || fail "plugin scenarios failed"
[ ! -e /usr/lib/kernel/install.d/90-uki-copy.install ] || [ -n "$(dpkg -S /usr/lib/kernel/install.d/90-uki-copy.install 2>/dev/null)" ] ||
        fail "the namespace leaked into the host's plugin directory"
echo "PASS"
