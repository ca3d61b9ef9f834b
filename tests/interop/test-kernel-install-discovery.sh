#!/usr/bin/env bash
# $BOOT discovery without --boot-path, on the real mount points, inside a
# private mount namespace (unshare -m) so the host's /boot is not touched:
#  A. only the ESP, on /boot/efi (Debian's default)  -> the UKI goes there;
#  B. the XBOOTLDR partition on /boot                -> the UKI goes there;
#  C. as B, with another file system mounted on /boot/EFI: EFI/Linux would be
#     outside the chosen partition -> refused, nothing written to it.
# The partition types come from the GPT via libblkid; blkid -p is the oracle.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/kernel-install-lib.sh"

ki_init
need unshare mountpoint
[ -d /boot ] || skip "no /boot directory to mount over"
ki_kernel
ki_disk "$T/disk.img" 256 nomount
assert_eq "$(blkid -p -o value -s PART_ENTRY_TYPE "$ESP_DEV")" "$GPT_ESP" "blkid type of $ESP_DEV"
head -c 100000 /dev/urandom >"$T/initrd.img"

cat >"$T/inner.sh" <<'INNER'
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
mounts=()
cleanup() { for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount "${mounts[$i]}" 2>/dev/null || fusermount -u "${mounts[$i]}" 2>/dev/null || true; done; }
trap cleanup EXIT
mnt_vfat() {
        if mount -t vfat "$1" "$2" 2>/dev/null; then :; else fusefat -o rw+,fsname="$1" "$1" "$2" >/dev/null 2>&1 || fail "cannot mount $1"; fi
        mounts+=("$2")
}
inst() { "$UKIT" install --entry-token=literal:disc --cmdline=quiet "$KVER" "$KIMG" "$INITRD"; }
name=disc-$KVER.efi

# A. ESP on /boot/efi, /boot itself a tmpfs (no partition type).
mount -t tmpfs tmpfs /boot; mounts+=(/boot)
mkdir /boot/efi
mnt_vfat "$ESP_DEV" /boot/efi
inst 2>"$T/a.err" || { cat "$T/a.err"; fail "A: install failed"; }
[ -f "/boot/efi/EFI/Linux/$name" ] || fail "A: UKI not on the ESP at /boot/efi"
grep -q "(esp)" "$T/a.err" || { cat "$T/a.err"; fail "A: not reported as ESP"; }
"$UKIT" list --json=short >"$T/a.json" || fail "A: list failed"
[ "$(jq -r '.[0].root + " " + .[0].partition' "$T/a.json")" = "/boot/efi esp" ] || { cat "$T/a.json"; fail "A: list"; }
"$UKIT" remove --entry-token=literal:disc "$KVER" 2>/dev/null || fail "A: remove failed"
[ ! -e "/boot/efi/EFI/Linux/$name" ] || fail "A: remove left the UKI"
cleanup; mounts=()

# B. XBOOTLDR on /boot.
mnt_vfat "$XB_DEV" /boot
inst 2>"$T/b.err" || { cat "$T/b.err"; fail "B: install failed"; }
[ -f "/boot/EFI/Linux/$name" ] || fail "B: UKI not on XBOOTLDR at /boot"
grep -q "(xbootldr)" "$T/b.err" || { cat "$T/b.err"; fail "B: not reported as XBOOTLDR"; }
sha=$(sha256sum "/boot/EFI/Linux/$name" | cut -d' ' -f1)

# C. Something else mounted on /boot/EFI: refused.
mount -t tmpfs tmpfs /boot/EFI; mounts+=(/boot/EFI)
if inst 2>"$T/c.err"; then fail "C: install through a foreign mount succeeded"; fi
grep -q "another file system" "$T/c.err" || { cat "$T/c.err"; fail "C: unclear error"; }
[ -z "$(ls -A /boot/EFI)" ] || fail "C: wrote into the foreign mount: $(ls -A /boot/EFI)"
umount /boot/EFI; unset 'mounts[${#mounts[@]}-1]'
[ "$(sha256sum "/boot/EFI/Linux/$name" | cut -d' ' -f1)" = "$sha" ] || fail "C: UKI on XBOOTLDR changed"
echo "inner: ok"
INNER

export UKIT KVER KIMG T ESP_DEV XB_DEV
export INITRD=$T/initrd.img
unshare --mount --propagation private bash "$T/inner.sh" || fail "discovery scenarios failed"
! grep -q " /boot " /proc/self/mountinfo || fail "the namespace's mounts leaked to the host"
echo "PASS"
