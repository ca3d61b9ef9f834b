#!/usr/bin/env bash
# The ukit demo: installs the Debian packages it needs, builds ukit, takes a
# real Debian kernel (from the linux-image .deb, downloaded into
# /var/cache/ukit when missing), builds a small busybox initrd, builds a UKI
# with `ukit build`, boots it in QEMU (q35, TCG) with OVMF and a swtpm, and
# prints what the booted system saw.
#
# usage: scripts/demo.sh [--secureboot] [--stub PATH]
#   --secureboot  sign the UKI with Debian's snakeoil key (ukit sign) and boot
#                 with Secure Boot on (OVMF snakeoil variables)
#   --stub PATH   the stub to build on (default: ukit build's default)
# The UKI, the ESP image and the serial log stay in BUILD/demo/.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

secureboot=0
stub_args=()
while [ $# -gt 0 ]; do
        case "$1" in
        --secureboot) secureboot=1; shift ;;
        --stub) stub_args=(--stub "$2"); shift 2 ;;
        -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "demo: unknown option $1" >&2; exit 2 ;;
        esac
done

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "Installing missing Debian packages (scripts/deps.sh)"
bash scripts/deps.sh

step "Building ukit (scripts/build.sh normal)"
build=$(bash scripts/build.sh normal "${UKIT_BUILD_PREFIX:-$top/build}")
UKIT=$build/ukit
[ -x "$UKIT" ] || UKIT=$build/src/ukit/ukit
[ -x "$UKIT" ] || { echo "demo: no ukit binary in $build" >&2; exit 1; }
echo "$UKIT"

if [ "$(id -u)" = 0 ]; then UKIT_CACHE=${UKIT_CACHE:-/var/cache/ukit}; else UKIT_CACHE=${UKIT_CACHE:-$top/build/cache}; fi
export UKIT UKIT_TOP=$top UKIT_BUILD=$build UKIT_CACHE
demo=$build/demo
rm -rf "$demo"; mkdir -p "$demo"
export UKIT_TMP=$demo
# the VM harness: vm_kernel, vm_initrd, vm_esp, vm_run, vm_report
. tests/lib.sh >/dev/null
. tests/vm/lib.sh

step "Getting a Debian kernel (linux-image .deb in $UKIT_CACHE)"
kernel=$(vm_kernel)
kver=${kernel##*/vmlinuz-}
echo "$kernel ($(stat -c %s "$kernel") bytes)"

step "Building a busybox initrd whose /init reports what it sees"
printf 'Hello from the ukit demo, built %s on %s.\n' "$(date -u +%F)" "$(hostname)" >"$demo/hello.txt"
vm_initrd "$demo/initrd.img" "$demo/hello.txt" /etc/os-release=/ukit/host-os-release
echo "$demo/initrd.img ($(stat -c %s "$demo/initrd.img") bytes: busybox, tests/vm/init, hello.txt, the host's os-release)"

step "Building the UKI with ukit build"
cmdline="console=ttyS0 panic=-1 quiet ukit.demo=1"
printf 'ID=ukitdemo\nNAME="ukit demo"\nVERSION_ID=1\nPRETTY_NAME="ukit demo (Debian kernel %s)"\n' "$kver" >"$demo/os-release"
(set -x; "$UKIT" build "${stub_args[@]}" --linux "$kernel" --initrd "$demo/initrd.img" \
        --cmdline "$cmdline" --os-release "@$demo/os-release" --output "$demo/uki.efi")
uki=$demo/uki.efi
echo "$uki ($(stat -c %s "$uki") bytes), sections (ukit inspect):"
"$UKIT" inspect "$uki" 2>/dev/null | awk '
        /^\.[a-z0-9]+:$/ { name = substr($0, 1, length($0) - 1) }
        /^  size: / && name != "" { size = $2 }
        /^  sha256: / && name != "" { printf "  %-9s %10s bytes  sha256 %.16s...\n", name, size, $2; name = "" }' || true

if [ $secureboot = 1 ]; then
        step "Signing it for Secure Boot (ukit sign, Debian's snakeoil db key)"
        printf 'snakeoil\n' >"$demo/passphrase"
        (set -x; "$UKIT" sign --key /usr/share/ovmf/PkKek-1-snakeoil.key --passphrase-file "$demo/passphrase" \
                --cert "$VM_SNAKEOIL_CERT" --output "$demo/uki.signed.efi" "$uki")
        rm -f "$demo/passphrase"
        uki=$demo/uki.signed.efi
fi

step "Making an ESP disk image (GPT + FAT, the UKI as \\EFI\\BOOT\\BOOTX64.EFI)"
mkdir -p "$demo/esp/EFI/BOOT/BOOTX64.EFI.extra.d"
cp "$uki" "$demo/esp/EFI/BOOT/BOOTX64.EFI"
# a credential next to the UKI: the stub hands it to the OS in /.extra
printf 'demo credential\n' >"$demo/esp/EFI/BOOT/BOOTX64.EFI.extra.d/demo.cred"
vm_esp "$demo/esp" "$demo/esp.img"
echo "$demo/esp.img"

step "Booting it: QEMU q35 (TCG) + OVMF$([ $secureboot = 1 ] && echo ' with Secure Boot') + swtpm"
log=$demo/serial.log
sbopt=(); [ $secureboot = 1 ] && sbopt=(--secureboot)
if ! vm_run "$demo/esp.img" "$log" "${sbopt[@]}" --timeout 180; then
        echo "demo: the VM did not finish its report; last lines of $log:" >&2
        tail -n 30 "$log" >&2
        exit 1
fi

r() { vm_report "$log" "$1" 2>/dev/null || echo "(not reported)"; }
match() { if [ "$1" = "$2" ]; then echo "matches"; else echo "DIFFERS from '$2'"; fi; }
sb=$(r secureboot)
step "What the booted system saw (boot took ${VM_BOOT_SECONDS}s from QEMU start to the end of the report)"
printf '  %-18s %s\n' "kernel" "$(r uname)"
printf '  %-18s %s\n' "command line" "$(r cmdline)"
printf '  %-18s %s\n' "" "($(match "$(r cmdline)" "$cmdline") the UKI's .cmdline)"
case $sb in 1) sbtext=on ;; 0) sbtext=off ;; *) sbtext=$sb ;; esac
printf '  %-18s %s\n' "Secure Boot" "$sbtext (kernel lockdown: $(r lockdown))"
printf '  %-18s %s\n' "stub" "$(r 'efivar StubInfo')"
printf '  %-18s %s\n' "loaded from" "$(r 'efivar LoaderImageIdentifier') on partition $(r 'efivar LoaderDevicePartUUID')"
printf '  %-18s %s\n' "firmware" "$(r 'efivar LoaderFirmwareInfo'), $(r 'efivar LoaderFirmwareType')"
echo "  files:"
vm_report_lines "$log" | sed -n 's/^file \(.*\) sha256=\(.*\)$/\1 \2/p' | while read -r path sum; do
        host=""
        case $path in
        /ukit/hello.txt) host=$demo/hello.txt ;;
        /ukit/host-os-release) host=/etc/os-release ;;
        /.extra/credentials/demo.cred) host=$demo/esp/EFI/BOOT/BOOTX64.EFI.extra.d/demo.cred ;;
        esac
        note=""
        [ -n "$host" ] && note=" ($(match "$sum" "$(sha256sum <"$host" | cut -d' ' -f1)") the host's copy)"
        printf '    %-32s sha256 %.16s...%s\n' "$path" "$sum" "$note"
done
printf '  %-18s %s\n' "TPM" "$([ "$(r tpm)" = 1 ] && echo "present (swtpm)" || echo absent)"
for bank in sha1 sha256; do
        printf '  %-18s %s\n' "PCR 11 ($bank)" "$(r "pcr $bank 11")"
done
predicted=$("$UKIT" measure calculate --uki "$uki" --phase= --bank=sha256 2>/dev/null |
            sed -n 's/^11:sha256=//p') || true
[ -n "$predicted" ] && printf '  %-18s %s\n' "" "($(match "$(r 'pcr sha256 11')" "$predicted") ukit measure's prediction)"
printf '  %-18s %s\n' "PCR 12 (sha256)" "$(r 'pcr sha256 12') (command line overrides, credentials)"
echo "  EFI variables (vendor 4a67b082-0a4c-41cf-b6c7-440b29bb8c4f):"
vm_report_lines "$log" | sed -n 's/^efivar \([^=]*\)=\(.*\)$/    \1 = \2/p'
printf '  %-18s %s\n' "random seed" "$(r rng)"
echo
echo "Files: $demo (uki.efi, esp.img, serial.log: the full serial console)"
