#!/usr/bin/env bash
# A/B rollback with automatic boot assessment, end to end: systemd-boot
# (Debian 12's 252 here; test-update-rollback-257.sh runs the same with the
# 257 of the Debian 13 oracle root) on an ESP with UKI v1 (no counter, i.e.
# good) in /EFI/Linux.
#   0. v1 is installed as ukitrb_v1.efi (no boot: the rollback boot shows
#      v1 booting without a counter).
#   1. `ukit update` (on the host, against the ESP's /EFI/Linux copied out
#      with mtools and the changes copied back) installs v2 as
#      ukitrb_v2+3.efi (a regular-file transfer with TriesLeft=3).
#   2. v2 never blesses itself: three boots of v2, each after systemd-boot
#      renamed it to +2-1, +1-2, +0-3; the fourth boot is v1 again, which
#      sees v2 as ukitrb_v2+0-3.efi.
#   3. `ukit update` installs v3 (+3); v3's initrd runs `ukit bless good`
#      (the binary and the libraries ldd lists); the next boot is v3 with no
#      counter and no LoaderBootCountPath.
# Every step is judged from what the guest prints: its /proc/cmdline (each
# UKI's own), the boot loader's LoaderEntrySelected / LoaderBootCountPath /
# LoaderInfo, and the file names the guest's vfat driver lists in /EFI/Linux.
# Oracles: systemd-boot (the counting, the sorting, the fallback), OVMF's FAT
# driver, the kernel's vfat; ukit only builds, installs and blesses.
# ROLLBACK_SDBOOT=257 (set by test-update-rollback-257.sh) selects the 257
# boot loader.
. "$(dirname "$0")/../lib.sh"
. "$UKIT_TOP/tests/vm/lib.sh"
need mdir mcopy mdel
STUB=$UKIT_BUILD/src/stub/ukit-stub.efi
[ -f "$STUB" ] || fail "$STUB not built"
"$UKIT" update --help >/dev/null 2>&1 || fail "ukit update is not available in $UKIT"

sdver=${ROLLBACK_SDBOOT:-252}
case $sdver in
252)    sdboot=/usr/lib/systemd/boot/efi/systemd-bootx64.efi
        [ -f "$sdboot" ] || skip "systemd-boot-efi not installed ($sdboot)" ;;
257)    vm_oracle_257
        sdboot=$ROOT/usr/lib/systemd/boot/efi/systemd-bootx64.efi
        [ -f "$sdboot" ] || fail "no systemd-boot 257 in the oracle root ($sdboot)" ;;
*)      fail "ROLLBACK_SDBOOT=$sdver: 252 or 257" ;;
esac
echo "systemd-boot $sdver: $sdboot"

kernel=$(vm_kernel)
GUID=4a67b082-0a4c-41cf-b6c7-440b29bb8c4f

# The guest mounts the ESP (the disk's only partition; virtio_blk is a
# module in Debian's kernel) at /efi, where `ukit bless` looks by default,
# and reports the names in /EFI/Linux; with /etc/ukit/bless in the initrd
# it blesses the boot first (and reports the names again).
cat >"$T/esp-hook.sh" <<EOF
mkdir -p /efi
i=0
while [ ! -b /dev/vda1 ] && [ \$i -lt 50 ]; do sleep 0.1; i=\$((i + 1)); done
if e=\$(mount -t vfat /dev/vda1 /efi 2>&1); then
        report "esp-files=\$(ls /efi/EFI/Linux | tr '\n' ' ' | sed 's/ \$//')"
        if [ -f /etc/ukit/bless ]; then
                if [ -f /sys/firmware/efi/efivars/LoaderBootCountPath-$GUID ]; then
                        if e=\$(/sbin/ukit bless good 2>&1); then report "bless=ok"; else report "bless=failed: \$(echo \$e)"; fi
                else
                        report "bless=no LoaderBootCountPath"
                fi
                report "esp-files-blessed=\$(ls /efi/EFI/Linux | tr '\n' ' ' | sed 's/ \$//')"
        fi
        umount /efi || report "umount=failed"
else
        report "esp-files=mount failed: \$(echo \$e)"
fi
EOF
: >"$T/bless"

# uki N [ARGS...]: $T/uki/ukitrb_vN.efi, its initrd (vm_initrd ARGS) and
# command line "... ukit.rollback=vN", os-release VERSION_ID=N.
# no_timer_check: under TCG on a loaded host the kernel's IO-APIC timer check
# can fail ("IO-APIC + timer doesn't work!", a panic, seen here at load 21),
# and one lost boot ruins the whole chain of counted boots.
mkdir -p "$T/src" "$T/uki"
uki() {
        local n=$1; shift
        vm_initrd "$T/initrd-v$n.img" --modules "virtio_pci virtio_blk vfat nls_cp437 nls_ascii" --hook "$T/esp-hook.sh" "$@"
        printf 'ID=ukitrb\nVERSION_ID=%s\nPRETTY_NAME="ukit rollback v%s"\n' "$n" "$n" >"$T/os-release-v$n"
        "$UKIT" build --stub "$STUB" --linux "$kernel" --initrd "$T/initrd-v$n.img" \
                --cmdline "console=ttyS0 quiet no_timer_check panic=-1 ukit.rollback=v$n" --os-release "@$T/os-release-v$n" \
                -o "$T/uki/ukitrb_v$n.efi" || fail "ukit build v$n failed"
}
uki 1
uki 2
uki 3 --ukit "$UKIT" "$T/bless=/etc/ukit/bless"
echo "UKI sizes: $(stat -c '%n %s' "$T"/uki/*.efi | sed "s|$T/uki/||" | tr '\n' ' ')"

mkdir -p "$T/esp/EFI/BOOT" "$T/esp/EFI/Linux" "$T/esp/loader"
cp "$sdboot" "$T/esp/EFI/BOOT/BOOTX64.EFI"
printf 'timeout 0\n' >"$T/esp/loader/loader.conf"
cp "$T/uki/ukitrb_v1.efi" "$T/esp/EFI/Linux/"
img=$T/esp.img
vm_esp "$T/esp" "$img" 160
export MTOOLS_SKIP_CHECK=1
ESP=$img@@1M     # mtools: the FAT at the partition's offset

# A writable variable store carried from boot to boot.
vars=$T/vars.fd
cp "$VM_OVMF_DIR/OVMF_VARS_4M.fd" "$vars"

# The first target pattern names the new instance (systemd-sysupdate 257
# does the same): "+@l" gives ukitrb_v2+3.efi ("+@l-@d" would give +3-0);
# the others match the names systemd-boot renames it to.
cat >"$T/defs.transfer" <<EOF
[Transfer]
Verify=no

[Source]
Type=regular-file
Path=$T/src
MatchPattern=ukitrb_v@v.efi

[Target]
Type=regular-file
Path=$T/tree/EFI/Linux
MatchPattern=ukitrb_v@v+@l.efi ukitrb_v@v+@l-@d.efi ukitrb_v@v.efi
TriesLeft=3
InstancesMax=3
EOF
mkdir -p "$T/defs"
cp "$T/defs.transfer" "$T/defs/50-uki.transfer"

# esp_names: /EFI/Linux on the image as mtools lists it (long names)
esp_names() { mdir -b -i "$ESP" ::/EFI/Linux | sed 's|.*/||' | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//'; }

# update N: v1..N in the source, `ukit update` on a copy of /EFI/Linux,
# then the names it removed deleted from the image and the ones it added
# copied in.
update() {
        local n=$1 i f
        rm -rf "$T/src"/* "$T/tree"; mkdir -p "$T/tree/EFI"
        for i in $(seq 1 "$n"); do cp "$T/uki/ukitrb_v$i.efi" "$T/src/"; done
        mcopy -s -n -i "$ESP" ::/EFI/Linux "$T/tree/EFI/" || fail "mcopy out of the ESP failed"
        (cd "$T/tree/EFI/Linux" && ls | LC_ALL=C sort) >"$T/before"
        "$UKIT" update --definitions="$T/defs" update >"$T/update.log" 2>&1 ||
                { cat "$T/update.log" >&2; fail "ukit update (to v$n) failed"; }
        (cd "$T/tree/EFI/Linux" && ls | LC_ALL=C sort) >"$T/after"
        for f in $(comm -23 "$T/before" "$T/after"); do mdel -i "$ESP" "::/EFI/Linux/$f" || fail "mdel $f"; done
        for f in $(comm -13 "$T/before" "$T/after"); do mcopy -i "$ESP" "$T/tree/EFI/Linux/$f" "::/EFI/Linux/$f" || fail "mcopy $f"; done
        echo "ukit update v$n: EFI/Linux was '$(tr '\n' ' ' <"$T/before" | sed 's/ $//')', is '$(esp_names)'"
}

boots=0
# boot NAME: one boot with the carried variables; the report in $T/NAME.log
boot() {
        local log=$T/$1.log
        boots=$((boots + 1))
        vm_run "$img" "$log" --no-tpm --vars "$vars" --keep-vars "$vars" ||
                { tail -n 30 "$log" >&2; fail "$1: no complete report from the guest"; }
        LOG=$log
        echo "$1 (${VM_BOOT_SECONDS}s): $(vm_report "$log" cmdline | sed 's/.*ukit.rollback=//') entry=$(vm_report "$log" "efivar LoaderEntrySelected" || echo -)" \
                "countpath=$(vm_report "$log" "efivar LoaderBootCountPath" || echo -) files='$(vm_report "$log" esp-files || echo -)'"
}
# expect WHAT VERSION ENTRY COUNTPATH FILES: the last boot ran UKI VERSION
# (its own command line), the boot loader selected ENTRY, set
# LoaderBootCountPath to COUNTPATH ("-": not set), and the guest saw FILES
expect() {
        local what=$1 v=$2 entry=$3 countpath=$4 names=$5
        assert_eq "$(vm_report "$LOG" cmdline)" "console=ttyS0 quiet no_timer_check panic=-1 ukit.rollback=$v" "$what: booted UKI (guest /proc/cmdline)"
        local info; info=$(vm_report "$LOG" "efivar LoaderInfo" || echo none)
        [[ "$info" == "systemd-boot $sdver"* ]] || fail "$what: not booted by systemd-boot $sdver (LoaderInfo: $info)"
        assert_eq "$(vm_report "$LOG" "efivar LoaderEntrySelected" || echo -)" "$entry" "$what: LoaderEntrySelected"
        assert_eq "$(vm_report "$LOG" "efivar LoaderBootCountPath" || echo -)" "$countpath" "$what: LoaderBootCountPath"
        assert_eq "$(vm_report "$LOG" esp-files)" "$names" "$what: /EFI/Linux as the guest sees it"
}
L='\EFI\Linux\'
# eid NAME: the entry id systemd-boot gives the file NAME (as it was when
# the boot loader found it, before counting this boot): 252 keeps the
# counter in the id; 257 drops it (ids stay the same across the renames).
eid() { if [ "$sdver" = 252 ]; then echo "$1"; else echo "$1" | sed -E 's/\+[0-9]+(-[0-9]+)?\.efi$/.efi/'; fi; }

update 2
assert_eq "$(esp_names)" "ukitrb_v1.efi ukitrb_v2+3.efi" "EFI/Linux after ukit update to v2 (mdir)"

# three tries of v2, never blessed
boot v2-try1
expect "v2 try 1" v2 "$(eid ukitrb_v2+3.efi)" "${L}ukitrb_v2+2-1.efi" "ukitrb_v1.efi ukitrb_v2+2-1.efi"
boot v2-try2
expect "v2 try 2" v2 "$(eid ukitrb_v2+2-1.efi)" "${L}ukitrb_v2+1-2.efi" "ukitrb_v1.efi ukitrb_v2+1-2.efi"
boot v2-try3
expect "v2 try 3" v2 "$(eid ukitrb_v2+1-2.efi)" "${L}ukitrb_v2+0-3.efi" "ukitrb_v1.efi ukitrb_v2+0-3.efi"
# tries exhausted: back to v1
boot rollback
expect "after 3 failed tries" v1 ukitrb_v1.efi - "ukitrb_v1.efi ukitrb_v2+0-3.efi"

update 3
assert_eq "$(esp_names)" "ukitrb_v1.efi ukitrb_v2+0-3.efi ukitrb_v3+3.efi" "EFI/Linux after ukit update to v3 (mdir)"
boot v3-try1
expect "v3 try 1" v3 "$(eid ukitrb_v3+3.efi)" "${L}ukitrb_v3+2-1.efi" "ukitrb_v1.efi ukitrb_v2+0-3.efi ukitrb_v3+2-1.efi"
assert_eq "$(vm_report "$LOG" bless)" ok "v3: ukit bless good in the guest"
assert_eq "$(vm_report "$LOG" esp-files-blessed)" "ukitrb_v1.efi ukitrb_v2+0-3.efi ukitrb_v3.efi" "v3: /EFI/Linux after ukit bless good"
boot v3-blessed
expect "v3 blessed" v3 ukitrb_v3.efi - "ukitrb_v1.efi ukitrb_v2+0-3.efi ukitrb_v3.efi"
assert_eq "$(vm_report "$LOG" bless)" "no LoaderBootCountPath" "v3 blessed: nothing left to bless"

echo "$boots boots with systemd-boot $sdver: v2 tried 3 times, then v1; v3 blessed by ukit bless and booted without a counter"
echo "PASS"
