#!/usr/bin/env bash
# The whole chain on one disk: Debian's kernel-install 252 with
# 60-ukit.install (layout=uki) puts the UKI on the XBOOTLDR partition of a GPT
# disk whose ESP holds Debian's systemd-boot 252 (installed by bootctl 252);
# OVMF boots the disk, systemd-boot finds the Type #2 entry on XBOOTLDR
# (through the firmware's FAT driver) and starts it, and the booted kernel
# reports the command line and initrd we installed.
# Oracles: OVMF, systemd-boot 252, systemd-stub 252, the kernel; the guest's
# LoaderEntrySelected names our file, LoaderDevicePartUUID the ESP.
. "$(dirname "$0")/../lib.sh"
. "$UKIT_TOP/tests/vm/lib.sh"
. "$UKIT_TOP/tests/interop/kernel-install-lib.sh"

ki_init
need kernel-install bootctl
sdboot=/usr/lib/systemd/boot/efi/systemd-bootx64.efi
[ -f "$sdboot" ] || skip "systemd-boot-efi not installed ($sdboot)"
"$UKIT" build --help >/dev/null 2>&1 || skip "ukit build is not available in $UKIT"

kernel=$(vm_kernel)
kver=${kernel##*/vmlinuz-}
printf 'installed by kernel-install %s\n' "$RANDOM" >"$T/marker"
vm_initrd "$T/initrd.img" "$T/marker"

ki_disk "$T/disk.img" 256
esp_uuid=$(blkid -p -o value -s PART_ENTRY_UUID "$ESP_DEV")

# systemd-boot on the ESP, the way Debian installs it (no EFI variables:
# OVMF finds it by the removable-media path).
mkdir -p "$ESP/EFI/BOOT"
ki_bootctl --esp-path="$ESP" --boot-path="$XB" install --no-variables >"$T/bootctl-install.log" 2>&1 ||
        { cat "$T/bootctl-install.log"; fail "bootctl install failed"; }
[ -f "$ESP/EFI/BOOT/BOOTX64.EFI" ] || fail "bootctl did not install EFI/BOOT/BOOTX64.EFI"
cmp -s "$ESP/EFI/BOOT/BOOTX64.EFI" "$sdboot" || fail "EFI/BOOT/BOOTX64.EFI is not $sdboot"
# Boot the default entry at once.
printf 'timeout 0\n' >"$ESP/loader/loader.conf"

cmdline="console=ttyS0 panic=-1 ukit.scenario=kernel-install-sdboot"
conf=$T/conf
mkdir -p "$conf"
echo "layout=uki" >"$conf/install.conf"
echo "ukitvm" >"$conf/entry-token"
echo "$cmdline" >"$conf/cmdline"
KERNEL_INSTALL_CONF_ROOT=$conf KERNEL_INSTALL_PLUGINS="$UKIT_TOP/kernel-install/60-ukit.install" \
        BOOT_ROOT=$XB MACHINE_ID=0123456789abcdef0123456789abcdef \
        kernel-install add "$kver" "$kernel" "$T/initrd.img" >"$T/ki.log" 2>&1 ||
        { cat "$T/ki.log"; fail "kernel-install add failed"; }
[ -f "$XB/EFI/Linux/ukitvm-$kver.efi" ] || fail "no UKI on XBOOTLDR"
[ ! -e "$ESP/EFI/Linux" ] || [ -z "$(ls "$ESP/EFI/Linux")" ] || fail "UKI also on the ESP"
ki_bootctl --esp-path="$ESP" --boot-path="$XB" list 2>/dev/null | grep -q "id: ukitvm-$kver.efi" ||
        fail "bootctl does not list the entry"

# Detach everything: QEMU gets the image file.
sync
ki_cleanup
ki_mounts=(); ki_loops=()

log=$T/serial.log
vm_run "$T/disk.img" "$log" --no-tpm --timeout 180 || { tail -n 40 "$log" >&2; fail "no complete report from the guest"; }
echo "boot time: ${VM_BOOT_SECONDS}s"
vm_report_lines "$log" | grep -E '^(uname|cmdline|file|efivar Loader(EntrySelected|DevicePartUUID|Info)|efivar StubInfo)' | sed 's/^/guest: /'

assert_eq "$(vm_report "$log" uname)" "$kver" "guest kernel release"
assert_eq "$(vm_report "$log" cmdline)" "$cmdline" "guest /proc/cmdline"
assert_eq "$(vm_report "$log" "file /ukit/marker sha256")" "$(ki_sum "$T/marker")" "initrd content in the guest"
assert_eq "$(vm_report "$log" "efivar LoaderEntrySelected")" "ukitvm-$kver.efi" "systemd-boot's selected entry"
vm_report "$log" "efivar LoaderInfo" | grep -q "systemd-boot 252" || fail "not booted by systemd-boot 252"
partuuid=$(vm_report "$log" "efivar LoaderDevicePartUUID") || fail "no LoaderDevicePartUUID"
assert_eq "${partuuid,,}" "${esp_uuid,,}" "systemd-boot ran from the ESP"
vm_report_has "$log" "efivar StubInfo" || fail "systemd-stub did not run"

echo "PASS"
