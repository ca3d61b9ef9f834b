#!/usr/bin/env bash
# ukit installed from source, judged by systemd 257 (the Debian 13 oracle root):
#  1. meson setup --prefix=/usr/local + meson install --destdir: the
#     kernel-install plugin lands in /usr/lib/kernel/install.d (the only
#     directories kernel-install 257 reads besides /etc), not under the
#     prefix, and runs the ukit of that prefix; the stubs follow the prefix.
#  2. The same build installed into an overlay of the 257 root; there,
#     with 60-ukify.install masked and uki_generator=ukit, kernel-install 257
#     (55-initrd stages /boot/initrd.img-VER, 90-uki-copy installs):
#     - bootctl 257 lists the UKI on the ESP, ukify 257 inspect shows the
#       initrd (sha256), uname and command line;
#     - KERNEL_INSTALL_IMAGE_TYPE as kernel-install 257 sets it: a UKI given
#       as the kernel ("uki") is installed byte for byte, not wrapped; a plain
#       file ("unknown") and a kernel ("pe") are built into UKIs;
#     - `ukit list --boot-path=DIR` calls DIR what bootctl 257 calls it: the
#       ESP when DIR is the ESP (a tmpfs on /efi), XBOOTLDR when it is not;
#     - kernel-install remove takes the UKIs away.
# The cached root is never written: it is the lower layer of an overlay whose
# upper layer is in $T.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/kernel-install-lib.sh"

ki_init
need meson ninja unshare
root257=${ORACLE_ROOT:-$UKIT_CACHE/trixie-257}
[ -x "$root257/usr/bin/kernel-install" ] && [ -x "$root257/usr/bin/ukify" ] ||
        skip "no systemd 257 oracle root at $root257 (scripts/fetch-oracle-257.sh)"
ki_kernel

# 1. Build and install from source with the default prefix of a source build.
meson setup --prefix=/usr/local "$T/b" "$UKIT_TOP" >"$T/setup.log" 2>&1 || { cat "$T/setup.log"; fail "meson setup failed"; }
ninja -C "$T/b" >"$T/ninja.log" 2>&1 || { tail -50 "$T/ninja.log"; fail "build failed"; }
meson install -C "$T/b" --destdir "$T/dest" >"$T/install.log" 2>&1 || { cat "$T/install.log"; fail "meson install failed"; }
plugin=$T/dest/usr/lib/kernel/install.d/60-ukit.install
[ -f "$plugin" ] && [ -x "$plugin" ] || { (cd "$T/dest" && find . -type f); fail "no executable plugin in /usr/lib/kernel/install.d"; }
[ ! -e "$T/dest/usr/local/lib/kernel" ] || fail "a plugin directory under the prefix: $(cd "$T/dest" && find usr/local/lib/kernel)"
[ -x "$T/dest/usr/local/bin/ukit" ] || fail "no /usr/local/bin/ukit"
[ -f "$T/dest/usr/local/lib/ukit/ukit-stub.efi" ] || fail "stub not in the prefix's lib/ukit"
grep -qx 'UKIT="${UKIT:-/usr/local/bin/ukit}"' "$plugin" || fail "the installed plugin does not run /usr/local/bin/ukit"
echo "ok: meson install layout (plugin in /usr/lib/kernel/install.d, ukit and stubs under /usr/local)"

# 2. Into an overlay of the 257 root.
mkdir -p "$T/ov/upper" "$T/ov/work" "$T/root"
mount -t overlay overlay -o "lowerdir=$root257,upperdir=$T/ov/upper,workdir=$T/ov/work" "$T/root" ||
        skip "cannot mount an overlay over the 257 root"
ki_mounts+=("$T/root")
meson install -C "$T/b" --destdir "$T/root" >"$T/install2.log" 2>&1 || { cat "$T/install2.log"; fail "meson install into the root failed"; }

cp "$KIMG" "$T/vmlinuz"
head -c 400000 /dev/urandom >"$T/initrd.img"     # a multiple of 4: no padding in .initrd
head -c 100000 /dev/urandom >"$T/not-a-kernel"
mkdir -p "$T/xb"

cat >"$T/inner.sh" <<'INNER'
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
sum() { sha256sum "$1" | cut -d' ' -f1; }
# bootctl and kernel-install 257 take a tmpfs for the ESP only with this.
export SYSTEMD_RELAX_ESP_CHECKS=1
mkdir -p /efi
mount -t tmpfs tmpfs /efi
mount -t tmpfs tmpfs "$T/xb"
mkdir -p /etc/kernel/install.d
printf 'layout=uki\nuki_generator=ukit\n' >/etc/kernel/install.conf
echo ukit257 >/etc/kernel/entry-token
echo "console=ttyS0 root=/dev/vda2 ro" >/etc/kernel/cmdline
ln -sf /dev/null /etc/kernel/install.d/60-ukify.install
cp "$T/vmlinuz" "/boot/vmlinuz-$KVER"
cp "$T/initrd.img" "/boot/initrd.img-$KVER"
uki=/efi/EFI/Linux/ukit257-$KVER.efi

# pe: Debian 13's double call, second half (no initrd argument).
[ "$(kernel-install inspect "/boot/vmlinuz-$KVER" | awk '/Kernel Image Type:/ { print $4 }')" = pe ] ||
        fail "kernel-install does not call the kernel 'pe'"
kernel-install -v add "$KVER" "/boot/vmlinuz-$KVER" >"$T/add.log" 2>&1 || { cat "$T/add.log"; fail "kernel-install add failed"; }
grep -q "^About to execute /usr/lib/kernel/install.d/60-ukit.install add" "$T/add.log" || { cat "$T/add.log"; fail "60-ukit.install did not run"; }
[ -f "$uki" ] || { cat "$T/add.log"; fail "no UKI at $uki"; }
bootctl list >"$T/bootctl.txt" 2>&1 || { cat "$T/bootctl.txt"; fail "bootctl list failed"; }
grep -q "source: /efi//EFI/Linux/ukit257-$KVER.efi (on the EFI System Partition)" "$T/bootctl.txt" ||
        { cat "$T/bootctl.txt"; fail "bootctl 257 does not list the UKI on the ESP"; }
grep -q "options: console=ttyS0 root=/dev/vda2 ro" "$T/bootctl.txt" || fail "bootctl: wrong options"
ukify inspect "$uki" --json=short >"$T/inspect.json" || fail "ukify inspect failed"
[ "$(jq -r '.".initrd".sha256' "$T/inspect.json")" = "$(sum "$T/initrd.img")" ] || fail "ukify: .initrd is not /boot/initrd.img-$KVER"
[ "$(jq -r '.".uname".text' "$T/inspect.json")" = "$KVER" ] || fail "ukify: wrong .uname"
[ "$(jq -r '.".cmdline".text' "$T/inspect.json")" = "console=ttyS0 root=/dev/vda2 ro" ] || fail "ukify: wrong .cmdline"
echo "ok: kernel-install 257 add (pe) -> UKI on the ESP, as bootctl and ukify 257 see it"

# uki: a UKI given as the kernel is installed as it is.
cp "$uki" "$T/given.efi"
[ "$(kernel-install inspect "$T/given.efi" | awk '/Kernel Image Type:/ { print $4 }')" = uki ] ||
        fail "kernel-install does not call the UKI 'uki'"
kernel-install add 9.9.9-uki "$T/given.efi" >"$T/uki.log" 2>&1 || { cat "$T/uki.log"; fail "kernel-install add of a UKI failed"; }
cmp -s "$T/given.efi" /efi/EFI/Linux/ukit257-9.9.9-uki.efi || fail "the UKI given as the kernel was not installed byte for byte"
echo "ok: image type uki -> installed byte for byte"

# unknown: any other file is built into a UKI (as 60-ukify would).
[ "$(kernel-install inspect "$T/not-a-kernel" | awk '/Kernel Image Type:/ { print $4 }')" = unknown ] ||
        fail "kernel-install does not call the file 'unknown'"
kernel-install add 9.9.9-unknown "$T/not-a-kernel" "$T/initrd.img" >"$T/unknown.log" 2>&1 || { cat "$T/unknown.log"; fail "kernel-install add (unknown) failed"; }
ukify inspect /efi/EFI/Linux/ukit257-9.9.9-unknown.efi --json=short >"$T/inspect2.json" || fail "ukify inspect (unknown) failed"
[ "$(jq -r '.".linux".sha256' "$T/inspect2.json")" = "$(sum "$T/not-a-kernel")" ] || fail "image type unknown: .linux is not the file given"
echo "ok: image type unknown -> built"

# ukit list's partition, against bootctl's "(on the ...)" for the same paths.
side() { sed -n 's/^ *source: \(.*\) (on the \(EFI System\|Extended Boot Loader\) Partition)$/\1 \2/p' | sed -e 's|//|/|' -e 's/EFI System$/esp/' -e 's/Extended Boot Loader$/xbootldr/' | sort; }
mine() { jq -r '.[] | .path + " " + .partition' | sort; }
# (bootctl checks an XBOOTLDR's partition type unless told not to)
export SYSTEMD_RELAX_XBOOTLDR_CHECKS=1
bootctl --boot-path=/efi list | side >"$T/b1"
ukit list --boot-path=/efi --json=short | mine >"$T/u1"
[ -s "$T/b1" ] || fail "bootctl --boot-path=/efi listed nothing"
cmp -s "$T/b1" "$T/u1" || { diff "$T/b1" "$T/u1" || true; fail "ukit list --boot-path=/efi disagrees with bootctl 257"; }
mkdir -p "$T/xb/EFI/Linux"
cp "$T/given.efi" "$T/xb/EFI/Linux/other-1.efi"
bootctl --esp-path=/efi --boot-path="$T/xb" list | side >"$T/b2"
ukit list --esp-path=/efi --boot-path="$T/xb" --json=short | mine >"$T/u2"
grep -q ' xbootldr$' "$T/b2" || { cat "$T/b2"; fail "bootctl does not see a separate XBOOTLDR"; }
cmp -s "$T/b2" "$T/u2" || { diff "$T/b2" "$T/u2" || true; fail "ukit list --esp-path --boot-path disagrees with bootctl 257"; }
echo "ok: ukit list classifies /efi and a second directory as bootctl 257 does"

for v in "$KVER" 9.9.9-uki 9.9.9-unknown; do
        kernel-install remove "$v" >/dev/null 2>&1 || fail "kernel-install remove $v failed"
done
[ -z "$(ls -A /efi/EFI/Linux)" ] || fail "remove left: $(ls -A /efi/EFI/Linux)"
echo "inner: ok"
INNER

ORACLE_ROOT=$T/root bash "$UKIT_TOP/scripts/oracle-257-run.sh" --bind "$T" \
        env T="$T" KVER="$KVER" bash "$T/inner.sh" || fail "kernel-install 257 scenarios failed"
[ ! -e "$root257/usr/local/bin/ukit" ] && [ ! -e "$root257/efi" ] || fail "the cached 257 root was written to"
echo "PASS"
