#!/usr/bin/env bash
# Installs the Debian 12 packages ukit's build, tests and demo need.
# Idempotent: does nothing when everything is present.
set -euo pipefail

packages=(
        # build
        meson ninja-build pkg-config gcc clang lld libssl-dev
        libclang-rt-14-dev      # libFuzzer + sanitizer runtimes for clang (only a Recommends of clang-14)
        libblkid-dev fdisk systemd-boot fusefat gdb
        zlib1g-dev liblzma-dev libzstd-dev libarchive-dev libcurl4-openssl-dev gpgv   # update payloads (.gz .xz .zst, tar, url-file + SHA256SUMS.gpg)
        # interop oracles
        binutils sbsigntool osslsigncode pesign python3-pefile openssl
        python3-openssl   # pyOpenSSL: back- and forward-dated certificates (test-sign-badinput)
        time    # /usr/bin/time: peak memory of ukit build on a 1 GiB initrd
        netpbm graphicsmagick   # BMP oracles (ppmtobmp, gm) for the splash parser
        jq   # reads ukit's --json output in interop tests
        fwupd   # fwupdtool hwids: the CHID oracle (test-chid-fwupd)
        systemd systemd-boot-efi cpio libarchive-tools xxd
        # TPM
        swtpm swtpm-tools tpm2-tools
        # VM tests and demo
        qemu-system-x86 ovmf busybox-static dosfstools mtools socat
        qemu-system-arm qemu-efi-aarch64     # the arm64 boot (tests/vm/test-stub-arm64.sh)
        # sysext/confext: build deps + oracles (veritysetup, systemd-dissect, sgdisk)
        libcryptsetup-dev cryptsetup-bin dmsetup erofs-utils squashfs-tools systemd-container gdisk fdisk
        btrfs-progs     # Type=subvolume update targets on a loop-mounted btrfs (test-update-subvolume-257)
        # the systemd 257 oracle (a Debian 13 root, scripts/fetch-oracle-257.sh)
        debootstrap
        # the Debian package (debian/) and its checks; bash completion
        debhelper dpkg-dev lintian bash-completion
)

missing=()
for p in "${packages[@]}"; do
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
                missing+=("$p")
        fi
done

if [ ${#missing[@]} -gt 0 ]; then
        echo "deps: installing ${missing[*]}"
        if [ "$(id -u)" != 0 ]; then
                echo "deps: missing packages and not root: ${missing[*]}" >&2
                exit 1
        fi
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        # With recommends, as on the machines the tests were written on.
        apt-get install -y -qq "${missing[@]}" >/dev/null
fi
