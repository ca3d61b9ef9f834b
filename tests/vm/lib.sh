# VM test harness: QEMU (q35, TCG) + OVMF 4M + one swtpm per test + a real
# Debian kernel + a busybox initrd that reports what it sees on the serial
# console (tests/vm/init documents the report lines).
#
# Source it after tests/lib.sh:
#   . "$UKIT_TOP/tests/lib.sh"
#   . "$UKIT_TOP/tests/vm/lib.sh"
#
# A typical scenario:
#   kernel=$(vm_kernel)
#   vm_initrd "$T/initrd.img" /etc/hostname            # -> /ukit/hostname
#   "$UKIT" build --linux "$kernel" --initrd "$T/initrd.img" ... -o "$T/uki.efi"
#   mkdir -p "$T/esp/EFI/BOOT" && cp "$T/uki.efi" "$T/esp/EFI/BOOT/BOOTX64.EFI"
#   vm_esp "$T/esp" "$T/esp.img"
#   vm_swtpm_start
#   vm_run "$T/esp.img" "$T/serial.log" || fail "no report"
#   assert_eq "$(vm_report "$T/serial.log" cmdline)" "console=ttyS0" cmdline
#
# Everything a function creates lives under $T; swtpm and QEMU are stopped
# by their pids when the test exits (trap on EXIT, chained with any trap the
# caller already had).

# Where the guest prints its report; see tests/vm/init.
VM_INIT=$UKIT_TOP/tests/vm/init
VM_QEMU_LOCK=/tmp/ukit-qemu.lock
# The GUID of the GPT partition vm_esp creates: scenarios compare it with
# LoaderDevicePartUUID (the stub reports the partition it was loaded from).
VM_ESP_PART_UUID=6b0d3e2a-5c1f-4e8a-9b7d-2f4a6c8e0d11
VM_ESP_DISK_GUID=1d2e3f40-5a6b-4c7d-8e9f-a0b1c2d3e4f5
VM_XBOOTLDR_PART_UUID=0f1e2d3c-4b5a-4697-8877-665544332211
VM_SNAKEOIL_KEY_ENC=/usr/share/ovmf/PkKek-1-snakeoil.key
VM_SNAKEOIL_CERT=/usr/share/ovmf/PkKek-1-snakeoil.pem
VM_OVMF_DIR=/usr/share/OVMF
# VM_ARCH=aa64 (set before sourcing): the arm64 Debian kernel and busybox
# (scripts/fetch-arm64.sh), qemu-system-aarch64 `virt` with AAVMF and a
# tpm-tis-device; the default x64 is q35 + OVMF.
VM_ARCH=${VM_ARCH:-x64}
VM_AAVMF_DIR=/usr/share/AAVMF

need qemu-system-x86_64 swtpm busybox dpkg-deb cpio gzip mkfs.vfat mcopy mmd sfdisk flock
[ -f "$VM_OVMF_DIR/OVMF_CODE_4M.fd" ] || skip "OVMF not installed ($VM_OVMF_DIR/OVMF_CODE_4M.fd)"
if [ "$VM_ARCH" = aa64 ]; then
        need qemu-system-aarch64
        [ -f "$VM_AAVMF_DIR/AAVMF_CODE.fd" ] || skip "AAVMF not installed ($VM_AAVMF_DIR/AAVMF_CODE.fd)"
fi

# _vm_arm64_dir: the cached arm64 kernel, efivarfs module and busybox.
_vm_arm64_dir() {
        bash "$UKIT_TOP/scripts/fetch-arm64.sh" "$UKIT_CACHE" || fail "could not get the arm64 kernel and busybox"
}

_vm_pids=()     # processes to stop on exit (swtpm daemons, a stray qemu)
_vm_cleanup() {
        local p
        for p in "${_vm_pids[@]}"; do
                kill "$p" 2>/dev/null || true
        done
        _vm_pids=()
}
# Chain with the caller's EXIT trap (tests/lib.sh removes $T with one) and
# make signals run it too: `timeout` sends TERM, and swtpm daemonizes out of
# our process group.
_vm_prev_trap=$(trap -p EXIT)
_vm_prev_trap=${_vm_prev_trap#trap -- }
_vm_prev_trap=${_vm_prev_trap% EXIT}
eval "_vm_prev_trap=${_vm_prev_trap:-''}"
trap '_vm_cleanup; eval "$_vm_prev_trap"' EXIT
trap 'exit 143' TERM INT HUP

# vm_log MSG: progress to stderr (the test log), never to stdout, which
# carries the functions' results.
vm_log() { echo "vm: $*" >&2; }

# Modules vm_initrd --modules can put into an initrd (plus their
# dependencies, resolved by vm_kernel from each module's modinfo).
VM_EXT_MODULES="loop dm-mod dm-bufio dm-verity overlay erofs squashfs vfat nls_cp437 nls_ascii virtio_pci virtio_blk"
# Soft dependencies ("softdep=pre: NAME") that name an alias rather than a
# module file: the module that provides it. crc32c (for libcrc32c, which
# erofs needs) is a module in Debian's 6.1; the generic C one runs on any
# CPU (TCG's default qemu64 has no SSE4.2 for crc32c-intel).
VM_EXT_MODULE_ALIASES="crc32c=crc32c_generic"

# _vm_ext_complete DIR: whether DIR (an ext/ module cache) is complete and
# has every module of $VM_EXT_MODULES (a cache made before a module was
# added to the list is made again).
_vm_ext_complete() {
        local n
        [ -f "$1/.complete" ] || return 1
        for n in $VM_EXT_MODULES; do [ -f "$1/${n//-/_}.ko" ] || return 1; done
}

# _vm_extract_ext_modules DEB VER DIR: extracts $VM_EXT_MODULES and
# everything they depend on from DEB into DIR (created; must not exist) as
# NAME.ko (NAME with '_' for '-', as the kernel names modules), each with a
# NAME.dep listing the NAMEs it needs loaded first (depends= plus
# softdep=pre:, via $VM_EXT_MODULE_ALIASES). The .deb has no modules.dep,
# so the closure is computed here: one listing pass, then one extraction
# pass per dependency level. Called with the extraction lock held.
_vm_extract_ext_modules() {
        local deb=$1 ver=$2 dir=$3 tmp
        tmp=$(mktemp -d "$UKIT_CACHE/.extract-ext.XXXXXX") || return 1
        # path of every module in the package, by normalized name
        local -A path=()
        local p n
        while read -r p; do
                n=${p##*/}; n=${n%.ko}; n=${n//-/_}
                path[$n]=$p
        done < <(dpkg-deb --fsys-tarfile "$deb" | tar -t | grep "^\./lib/modules/$ver/.*\.ko\$")
        local -A have=() alias=()
        local a
        for a in $VM_EXT_MODULE_ALIASES; do alias[${a%%=*}]=${a#*=}; done
        local want=() next d deps soft
        for n in $VM_EXT_MODULES; do want+=("${n//-/_}"); done
        mkdir -p "$dir"
        while [ ${#want[@]} -gt 0 ]; do
                local files=()
                for n in "${want[@]}"; do
                        [ -n "${path[$n]:-}" ] || { echo "vm_kernel: module $n not in $deb" >&2; rm -rf "$tmp"; return 1; }
                        files+=("${path[$n]}")
                done
                dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" "${files[@]}" ||
                        { echo "vm_kernel: cannot extract modules from $deb" >&2; rm -rf "$tmp"; return 1; }
                next=()
                for n in "${want[@]}"; do
                        # (set -e does not apply here: called after ||)
                        cp "$tmp/${path[$n]}" "$dir/$n.ko" || { rm -rf "$tmp"; return 1; }
                        have[$n]=1
                        # (the whole output is read: no SIGPIPE under pipefail)
                        deps=$(strings "$dir/$n.ko" | awk '!f && /^depends=/ { print substr($0, 9); f = 1 }' | tr ',' ' ')
                        soft=$(strings "$dir/$n.ko" | awk '!f && /^softdep=/ { f = 1
                                s = $0; sub(/^softdep=/, "", s); i = index(s, "pre:"); if (!i) next
                                s = substr(s, i + 4); sub(/post:.*/, "", s); print s }')
                        local out=()
                        for d in $deps $soft; do
                                d=${d//-/_}
                                [ -n "${path[$d]:-}" ] || d=${alias[$d]:-$d}
                                if [ -z "${path[$d]:-}" ]; then
                                        echo "vm_kernel: $n: dependency $d is not a module in $deb (built in?), ignored" >&2
                                        continue
                                fi
                                out+=("$d")
                                [ -n "${have[$d]:-}" ] || [[ " ${next[*]} " == *" $d "* ]] || next+=("$d")
                        done
                        printf '%s\n' "${out[@]}" | sed '/^$/d' >"$dir/$n.dep" || { rm -rf "$tmp"; return 1; }
                done
                want=("${next[@]}")
        done
        : >"$dir/.complete"
        rm -rf "$tmp"
}
# vm_dtbauto_fixture: the devicetree/CHID fixture of the .dtbauto tests, in
# $W: fallback.dtb, match.dtb, other.dtb (flattened devicetrees whose root
# `compatible` is "ukit,NAME", written from the format: Debian 12 hosts have
# no dtc by default) and hw/match.json, hw/other.json (ukify's --hwids
# input): "ukit,match" under CHID 3 (manufacturer, family, product, SKU,
# baseboard manufacturer and product) of the SMBIOS fields set here as
# $manu $fam $prod $sku $bbm $bbp, "ukit,other" under CHID 9 (manufacturer,
# product), which 257 tries later. The CHIDs come from python3's hashlib
# (not from ukit).
vm_dtbauto_fixture() {
        cat >"$W/mkdtb.py" <<'PY'
import struct, sys
out, compat = sys.argv[1], sys.argv[2]
strs = b"compatible\0model\0"
def prop(nameoff, val):
    b = struct.pack(">III", 3, len(val), nameoff) + val
    return b + b"\0" * (-len(b) % 4)
st = struct.pack(">I", 1) + b"\0\0\0\0" + prop(11, b"ukit test\0") + prop(0, compat.encode() + b"\0generic\0") \
     + struct.pack(">II", 2, 9)
rsv = b"\0" * 16
off_rsv = 40; off_st = off_rsv + len(rsv); off_strs = off_st + len(st); total = off_strs + len(strs)
hdr = struct.pack(">10I", 0xd00dfeed, total, off_st, off_strs, off_rsv, 17, 16, 0, len(strs), len(st))
open(out, "wb").write(hdr + rsv + st + strs)
PY
        local c
        for c in match other fallback; do python3 "$W/mkdtb.py" "$W/$c.dtb" "ukit,$c" || fail "mkdtb $c"; done
        manu=UkitCorp fam=UkitFam prod=Board9000 sku=SKU42 bbm=UkitBoards bbp=BB9
        mkdir -p "$W/hw"
        printf '{"type": "devicetree", "name": "Match", "compatible": "ukit,match", "hwids": ["%s"]}\n' \
                "$(_vm_chid "$manu" "$fam" "$prod" "$sku" "$bbm" "$bbp")" >"$W/hw/match.json"
        printf '{"type": "devicetree", "name": "Other", "compatible": "ukit,other", "hwids": ["%s"]}\n' \
                "$(_vm_chid "$manu" "$prod")" >"$W/hw/other.json"
}

# _vm_chid FIELD...: the CHID of the fields joined by '&' (UTF-16LE)
_vm_chid() {
        python3 -c '
import hashlib, sys, uuid
ns = uuid.UUID("70ffd812-4c7f-4c7d-0000-000000000000").bytes
h = bytearray(hashlib.sha1(ns + "&".join(sys.argv[1:]).encode("utf-16-le")).digest()[:16])
h[6] = (h[6] & 0x0f) | 0x50; h[8] = (h[8] & 0x3f) | 0x80
print(uuid.UUID(bytes=bytes(h)))' "$@"
}


# vm_kernel: print the path of the Debian kernel image (debian_kernel in
# tests/lib.sh; on aa64 the arm64 one from scripts/fetch-arm64.sh). Also
# caches the modules the initrd needs (efivarfs; TPM and serial are
# built in) under $UKIT_CACHE/modules-VERSION/, so later calls cost nothing.
# The modules for vm_initrd --modules ($VM_EXT_MODULES and their
# dependencies) go to $UKIT_CACHE/modules-VERSION/ext/ (a cache made before
# they existed gets them added).
# vm_oracle_257: the Debian 13 root with systemd 257 (scripts/fetch-oracle-257.sh,
# cached) as ROOT and ORACLE_ROOT, the test's directory by its real path as W,
# and in257 CMD...: runs CMD in that root with W bound at the same path.
vm_oracle_257() {
        ROOT=$(bash "$UKIT_TOP/scripts/fetch-oracle-257.sh" "$UKIT_CACHE") || fail "no systemd 257 oracle root"
        export ORACLE_ROOT=$ROOT
        W=$(realpath "$T")
}
in257() { bash "$UKIT_TOP/scripts/oracle-257-run.sh" --bind "$W" "$@"; }

vm_kernel() {
        local kernel deb ver dir tmp
        if [ "$VM_ARCH" = aa64 ]; then
                dir=$(_vm_arm64_dir) || exit 1
                ls "$dir"/vmlinuz-* | head -n1; return
        fi
        kernel=$(debian_kernel) || exit 1
        ver=${kernel##*/vmlinuz-}
        deb=$(debian_kernel_deb) || exit 1
        if [ ! -d "$UKIT_CACHE/modules-$ver" ]; then
                (
                        flock 9
                        dir=$UKIT_CACHE/modules-$ver
                        [ -d "$dir" ] && exit 0
                        tmp=$(mktemp -d "$UKIT_CACHE/.extract.XXXXXX")
                        trap 'rm -rf "$tmp"' EXIT
                        # Only what we need, not the 400 MB module tree.
                        dpkg-deb --fsys-tarfile "$deb" |
                                tar -x -C "$tmp" "./lib/modules/$ver/kernel/fs/efivarfs/efivarfs.ko" ||
                                { echo "vm_kernel: cannot extract $deb" >&2; exit 1; }
                        rm -rf "$dir.new"; mkdir -p "$dir.new"
                        cp "$tmp/lib/modules/$ver/kernel/fs/efivarfs/efivarfs.ko" "$dir.new/"
                        rm -rf "$dir"; mv "$dir.new" "$dir"
                ) 9>"$UKIT_CACHE/.extract.lock" || fail "vm_kernel: extraction failed"
        fi
        if ! _vm_ext_complete "$UKIT_CACHE/modules-$ver/ext"; then
                (
                        flock 9
                        dir=$UKIT_CACHE/modules-$ver/ext
                        _vm_ext_complete "$dir" && exit 0
                        rm -rf "$dir.new"
                        _vm_extract_ext_modules "$deb" "$ver" "$dir.new" || exit 1
                        rm -rf "$dir"; mv "$dir.new" "$dir"
                ) 9>"$UKIT_CACHE/.extract.lock" || fail "vm_kernel: extraction of the extension modules failed"
        fi
        echo "$kernel"
}

# vm_kernel_modules: the directory of the modules vm_kernel extracted (call
# vm_kernel first).
vm_kernel_modules() {
        if [ "$VM_ARCH" = aa64 ]; then echo "$(_vm_arm64_dir)/modules"; return; fi
        local k; k=$(vm_kernel)
        echo "$UKIT_CACHE/modules-${k##*/vmlinuz-}"
}

# vm_cpio OUT DIR: a reproducible newc cpio (uncompressed) of DIR's contents:
# sorted names, mtime 0, owner root. Use it for additional initrds (e.g. a
# second --initrd whose files must show up under /ukit in the guest).
vm_cpio() {
        local out=$1 dir=$2
        find "$dir" -exec touch -h -d @0 {} +
        (cd "$dir" && find . -mindepth 1 | LC_ALL=C sort |
                cpio -o -H newc --reproducible -R 0:0 --quiet) >"$out" ||
                fail "vm_cpio: cannot archive $dir"
}

# Where vm_initrd --ukit puts the binary in the guest: outside /usr and /opt
# (the sysext hierarchies) and in the init's PATH.
VM_GUEST_UKIT=/sbin/ukit

# _vm_modules_order ROOT NAME...: copies the modules NAME... and their
# dependencies (from vm_kernel's ext/ cache) to ROOT/lib/modules/ext/ and
# writes ROOT/etc/ukit/modules: one name per line, every module after the
# ones it depends on (the order /init insmods them in).
_vm_modules_order() {
        local root=$1; shift
        local ext; ext=$(vm_kernel_modules)/ext
        local -A state=()
        local order=()
        _vm_mod_visit() {
                local n=${1//-/_} d
                [ "${state[$n]:-}" = done ] && return 0
                [ "${state[$n]:-}" = busy ] && fail "vm_initrd: module dependency loop at $n"
                [ -f "$ext/$n.ko" ] || fail "vm_initrd --modules: no module $n (vm_kernel extracts: $VM_EXT_MODULES and their dependencies)"
                state[$n]=busy
                while read -r d; do
                        [ -n "$d" ] && _vm_mod_visit "$d"
                done <"$ext/$n.dep"
                state[$n]=done
                order+=("$n")
                cp "$ext/$n.ko" "$root/lib/modules/ext/"
        }
        mkdir -p "$root/lib/modules/ext"
        local m
        for m in "$@"; do _vm_mod_visit "$m"; done
        printf '%s\n' "${order[@]}" >"$root/etc/ukit/modules"
}

# _vm_add_ukit ROOT BIN: BIN as ROOT$VM_GUEST_UKIT with every shared library
# `ldd BIN` lists (in /lib/x86_64-linux-gnu, the loader's default path, so
# nothing lands in the guest's /usr) and the dynamic loader at its own path.
_vm_add_ukit() { _vm_add_bin "$1" "$2" "$VM_GUEST_UKIT"; }

# _vm_add_bin ROOT BIN DEST: the same for any dynamically linked BIN, as
# ROOT/DEST (vm_initrd --bin BIN=DEST).
_vm_add_bin() {
        local root=$1 bin=$2 dest=$3 line lib name libdir=/lib/x86_64-linux-gnu
        [ -x "$bin" ] || fail "vm_initrd --ukit/--bin: $bin: not an executable"
        local list; list=$(ldd "$bin" 2>&1) || fail "vm_initrd --ukit/--bin: ldd $bin: $list"
        if grep -q 'not found' <<<"$list"; then fail "vm_initrd --ukit/--bin: $bin: $(grep 'not found' <<<"$list" | tr -s ' \t\n' ' ')"; fi
        mkdir -p "$root$(dirname "$dest")" "$root$libdir"
        cp "$bin" "$root$dest"; chmod 755 "$root$dest"
        while read -r line; do
                case "$line" in
                *' => '/*) lib=${line#* => }; lib=${lib%% (*}; name=${line%% => *} ;;
                /*) # the loader: the path the binary asks for (PT_INTERP)
                    lib=${line%% (*}; mkdir -p "$root$(dirname "$lib")"
                    cp -L "$lib" "$root$lib" || fail "vm_initrd --ukit: cannot copy $lib"; continue ;;
                *) continue ;;  # linux-vdso.so.1
                esac
                # glibc-hwcaps variants (x86-64-v3...) may use instructions
                # TCG's qemu64 CPU lacks: take the baseline build
                if [[ "$lib" == */glibc-hwcaps/* ]]; then lib=${lib%%/glibc-hwcaps/*}/${lib##*/}; fi
                cp -L "$lib" "$root$libdir/$name" || fail "vm_initrd --ukit: cannot copy $lib"
        done <<<"$list"
}

# vm_initrd OUT [--eventlog] [--hook SCRIPT]... [--modules "NAME..."]
#           [--ukit BIN] [--bin BIN=DEST]... [SRC[=DEST]]...
# Writes a gzip'd newc initrd with busybox and tests/vm/init as /init. Each
# SRC is copied to DEST (default /ukit/BASENAME; DEST must be absolute) and
# the guest reports its sha256. --hook SCRIPT adds a shell fragment the init
# sources before "done" (it can call `report "key=value"`); --eventlog makes
# the guest dump the TCG event log (decode it with vm_eventlog).
# --modules "loop dm-verity overlay erofs squashfs": those kernel modules
# (any of $VM_EXT_MODULES) and their dependencies, insmod'ed by /init in
# dependency order, each reported as "module NAME=loaded" or "=failed: ...".
# --ukit BIN: the dynamically linked ukit binary BIN at $VM_GUEST_UKIT with
# the libraries ldd lists and the loader; /init then mounts a tmpfs on /run
# and reports "ukit=VERSION" (or "ukit=failed: ...").
# --bin BIN=DEST: any dynamically linked BIN at DEST (absolute; keep it out
# of /usr) with its libraries, as --ukit does (e.g. util-linux's blkid).
vm_initrd() {
        local out=$1; shift
        local root; root=$(mktemp -d "$T/initrd.XXXXXX")
        local bb; bb=$(command -v busybox)
        [ "$VM_ARCH" = aa64 ] && bb=$(_vm_arm64_dir)/busybox
        mkdir -p "$root/bin" "$root/lib/modules" "$root/etc/ukit" "$root/ukit"
        # busybox-static: the initrd has no libc.
        file -L "$bb" 2>/dev/null | grep 'dynamically linked' >/dev/null && fail "vm_initrd: $bb is not static (install busybox-static)"
        cp "$bb" "$root/bin/busybox"
        cp "$VM_INIT" "$root/init"; chmod 755 "$root/init"
        cp "$(vm_kernel_modules)"/*.ko "$root/lib/modules/"
        local a src dest hooks=0
        while [ $# -gt 0 ]; do
                a=$1; shift
                case "$a" in
                --eventlog) : >"$root/etc/ukit/eventlog"; continue ;;
                --hook)
                        hooks=$((hooks + 1)); mkdir -p "$root/ukit/hooks"
                        cp "$1" "$root/ukit/hooks/$(printf %02d $hooks)-$(basename "$1")"; shift; continue ;;
                --modules) # shellcheck disable=SC2086
                        _vm_modules_order "$root" $1; shift; continue ;;
                --ukit) _vm_add_ukit "$root" "$1"; shift; continue ;;
                --bin) _vm_add_bin "$root" "${1%%=*}" "${1#*=}"; shift; continue ;;
                esac
                src=${a%%=*}; dest=/ukit/$(basename "$src")
                [ "$src" != "$a" ] && dest=${a#*=}
                [ -f "$src" ] || fail "vm_initrd: $src: no such file"
                mkdir -p "$root$(dirname "$dest")"
                cp "$src" "$root$dest"
        done
        vm_cpio "$T/.initrd.cpio" "$root"
        gzip -n -6 <"$T/.initrd.cpio" >"$out" || fail "vm_initrd: gzip failed"
        rm -rf "$root" "$T/.initrd.cpio"
}

# vm_esp DIR IMG [SIZE_MIB]: a GPT disk image IMG with one EFI System
# Partition (GUID $VM_ESP_PART_UUID) holding a FAT copy of DIR. Put the UKI
# at DIR/EFI/BOOT/BOOTX64.EFI: OVMF boots it by the removable-media path,
# no boot entry needed. Built with mkfs.vfat + mtools on a plain file (no
# loop devices, no root needed). SIZE_MIB defaults to the content + 32 MiB.
vm_esp() {
        local dir=$1 img=$2 size=${3:-}
        [ -d "$dir" ] || fail "vm_esp: $dir: not a directory"
        if [ -z "$size" ]; then
                size=$(du -sm --apparent-size "$dir" | cut -f1)
                size=$((size + 32))
                [ $size -lt 64 ] && size=64
        fi
        export MTOOLS_SKIP_CHECK=1
        local fat=$T/.esp.fat start=2048 sectors=$((size * 2048))
        rm -f "$fat" "$img"
        mkfs.vfat -C -F 32 -n ESP -i 0x554b4954 "$fat" $((size * 1024)) >/dev/null ||
                fail "vm_esp: mkfs.vfat failed"
        local d f rel
        (cd "$dir" && find . -mindepth 1 -type d | LC_ALL=C sort) | while read -r d; do
                mmd -i "$fat" "::${d#.}" || exit 1
        done || fail "vm_esp: mmd failed"
        (cd "$dir" && find . -type f | LC_ALL=C sort) | while read -r f; do
                rel=${f#.}
                mcopy -i "$fat" -o "$dir$rel" "::$rel" || exit 1
        done || fail "vm_esp: mcopy failed"
        # partition at 1 MiB, 1 MiB left for the backup GPT at the end
        truncate -s $(( (size + 2) * 1024 * 1024 )) "$img"
        printf 'label: gpt\nlabel-id: %s\nstart=%d, size=%d, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=%s, name="ESP"\n' \
                "$VM_ESP_DISK_GUID" $start $sectors "$VM_ESP_PART_UUID" |
                sfdisk -q "$img" >/dev/null 2>&1 || fail "vm_esp: sfdisk failed"
        dd if="$fat" of="$img" bs=1M seek=1 conv=notrunc,sparse status=none || fail "vm_esp: dd failed"
        rm -f "$fat"
}

# vm_disk_xbootldr ESP_DIR XB_DIR IMG: a GPT disk image IMG with an EFI
# System Partition holding a FAT copy of ESP_DIR and an XBOOTLDR partition
# (type bc13c2ff-...) holding one of XB_DIR, each at least 64 MiB (content +
# 32 MiB). OVMF boots \EFI\BOOT\BOOTX64.EFI from whichever partition has
# one (put it only on XBOOTLDR to boot a UKI from there without a loader).
# Read files back with vm_disk_cat.
vm_disk_xbootldr() {
        local edir=$1 xdir=$2 img=$3 d es xs
        for d in "$edir" "$xdir"; do [ -d "$d" ] || fail "vm_disk_xbootldr: $d: not a directory"; done
        es=$(( $(du -sm --apparent-size "$edir" | cut -f1) + 32 )); [ $es -lt 64 ] && es=64
        xs=$(( $(du -sm --apparent-size "$xdir" | cut -f1) + 32 )); [ $xs -lt 64 ] && xs=64
        vm_esp "$edir" "$T/.part-esp.img" "$es"
        vm_esp "$xdir" "$T/.part-xb.img" "$xs"
        rm -f "$img"
        truncate -s $(( (es + xs + 2) * 1024 * 1024 )) "$img"
        printf 'label: gpt\nlabel-id: %s\nstart=2048, size=%d, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=%s, name="ESP"\nsize=%d, type=BC13C2FF-59E6-4262-A352-B275FD6F7172, uuid=%s, name="XBOOTLDR"\n' \
                "$VM_ESP_DISK_GUID" $((es * 2048)) "$VM_ESP_PART_UUID" $((xs * 2048)) "$VM_XBOOTLDR_PART_UUID" |
                sfdisk -q "$img" >/dev/null 2>&1 || fail "vm_disk_xbootldr: sfdisk failed"
        # vm_esp's images carry their FAT at 1 MiB
        dd if="$T/.part-esp.img" of="$img" bs=1M skip=1 seek=1 count="$es" conv=notrunc,sparse status=none &&
                dd if="$T/.part-xb.img" of="$img" bs=1M skip=1 seek=$((1 + es)) count="$xs" conv=notrunc,sparse status=none ||
                fail "vm_disk_xbootldr: dd failed"
        rm -f "$T/.part-esp.img" "$T/.part-xb.img"
}

# vm_disk_cat IMG PARTNO PATH: the file PATH (e.g. /loader/random-seed) of
# the FAT file system in partition PARTNO (1-based) of the GPT disk IMG on
# stdout (mtools; the image need not be attached). Fails if it is missing.
vm_disk_cat() {
        local start
        start=$(sfdisk -J "$1" | jq ".partitiontable.partitions[$(($2 - 1))].start") || fail "vm_disk_cat: $1: no partition $2"
        MTOOLS_SKIP_CHECK=1 mcopy -n -i "$1@@$((start * 512))" "::$3" -
}

# VM_SWTPM_LOG_LEVEL=20 makes swtpm log every TPM command in hex, which
# tests/vm/swtpm-pcr.py replays into PCR values: the way to read PCRs when
# the guest kernel has no driver for the TPM device (arm64, see
# test-stub-arm64.sh).
# vm_swtpm_start [DIR]: starts a TPM 2.0 (swtpm) with its state in DIR
# (default $T/swtpm: a fresh TPM per test) and sets VM_SWTPM_SOCK (the
# control socket QEMU talks to), VM_SWTPM_PID and VM_SWTPM_DIR. vm_run calls
# it itself when no swtpm is running; swtpm exits when QEMU disconnects, so
# vm_run stops it after each boot, and the next boot starts a new one on the
# same state (a reboot of the same machine). Stopped by vm_swtpm_stop or
# when the test exits (swtpm_start in tests/lib.sh).
vm_swtpm_start() {
        SWTPM_LOG_LEVEL=${VM_SWTPM_LOG_LEVEL:-1} swtpm_start --for-qemu "${1:-$T/swtpm}"
        VM_SWTPM_DIR=$SWTPM_DIR
        VM_SWTPM_PID=$SWTPM_PID
        VM_SWTPM_SOCK=$SWTPM_SOCK
}

# vm_swtpm_stop: stops the swtpm vm_swtpm_start started (by its pid).
vm_swtpm_stop() {
        [ -n "${VM_SWTPM_PID:-}" ] || return 0
        # By pid: callers may have set VM_SWTPM_DIR for the start only.
        kill "$VM_SWTPM_PID" 2>/dev/null || true
        local i
        for i in $(seq 30); do kill -0 "$VM_SWTPM_PID" 2>/dev/null || break; sleep 0.1; done
        VM_SWTPM_PID=; VM_SWTPM_SOCK=
}

# vm_run ESP_IMG LOG [options] [-- EXTRA_QEMU_ARGS...]
# Boots ESP_IMG (from vm_esp) in QEMU q35/TCG with OVMF, the serial console
# going to LOG, and waits until the guest prints "UKIT-REPORT done" (then
# until it powers off), QEMU exits, a --stop-on pattern appears, or the
# timeout passes; QEMU is killed in the last two cases. Options:
#   --secureboot    OVMF_CODE_4M.secboot.fd + OVMF_VARS_4M.snakeoil.fd
#                   (Secure Boot enabled, db = the snakeoil certificate),
#                   SMM on and the flash secure
#   --vars FILE     start from this OVMF_VARS copy instead (it is copied;
#                   to keep the vars after the boot use --keep-vars FILE)
#   --keep-vars F   write the final variable store to F
#   --no-rng        no virtio-rng device (OVMF then has no EFI_RNG_PROTOCOL)
#   --no-tpm        no TPM device (otherwise the swtpm from vm_swtpm_start,
#                   which is started here when it is not running)
#   --timeout N     seconds (default $UKIT_VM_TIMEOUT, else 180; TCG on a
#                   busy 2-core machine)
#   --stop-on ERE   stop as soon as the log matches ERE (e.g. a firmware
#                   refusal message); returns 2
#   --qmp SOCKET    add a std VGA and a QMP socket (for `screendump`);
#                   without it there is no display device at all
#   --mem MIB       guest memory (default 1024)
#   --at ERE CMD    once the log matches ERE, run the shell command CMD in
#                   the background while the guest keeps running (e.g.
#                   'vm_screendump "$sock" "$T/splash.png"'); repeatable
# Returns 0 when the report is complete, 2 for --stop-on, 1 otherwise.
# Sets VM_BOOT_SECONDS (QEMU start to "UKIT-REPORT done", or to the stop)
# and VM_FIRMWARE_SECONDS (QEMU start to OVMF's "BdsDxe: starting", i.e.
# the firmware's share; empty if it never started an image) and prints them. Only one QEMU runs at a time on the machine: the run holds
# flock $VM_QEMU_LOCK (waiting for it does not count into the timeout).
vm_run() {
        local esp=$1 log=$2; shift 2
        local secureboot=0 tpm=1 rng=1 timeout=${UKIT_VM_TIMEOUT:-180} stop_on="" qmp="" mem=1024 vars="" keep_vars=""
        local extra=() at_re=() at_cmd=() at_done=() i
        while [ $# -gt 0 ]; do
                case "$1" in
                --secureboot) secureboot=1; shift ;;
                --no-tpm) tpm=0; shift ;;
                --no-rng) rng=0; shift ;;
                --timeout) timeout=$2; shift 2 ;;
                --stop-on) stop_on=$2; shift 2 ;;
                --qmp) qmp=$2; shift 2 ;;
                --mem) mem=$2; shift 2 ;;
                --vars) vars=$2; shift 2 ;;
                --keep-vars) keep_vars=$2; shift 2 ;;
                --at) at_re+=("$2"); at_cmd+=("$3"); shift 3 ;;
                --) shift; extra=("$@"); break ;;
                *) fail "vm_run: unknown option $1" ;;
                esac
        done
        [ -f "$esp" ] || fail "vm_run: $esp: no such image"
        local code varsrc
        if [ "$VM_ARCH" = aa64 ] && [ $secureboot = 1 ]; then
                code=$VM_AAVMF_DIR/AAVMF_CODE.snakeoil.fd; varsrc=$VM_AAVMF_DIR/AAVMF_VARS.snakeoil.fd
        elif [ "$VM_ARCH" = aa64 ]; then
                code=$VM_AAVMF_DIR/AAVMF_CODE.fd; varsrc=$VM_AAVMF_DIR/AAVMF_VARS.fd
        elif [ $secureboot = 1 ]; then
                code=$VM_OVMF_DIR/OVMF_CODE_4M.secboot.fd; varsrc=$VM_OVMF_DIR/OVMF_VARS_4M.snakeoil.fd
        else
                code=$VM_OVMF_DIR/OVMF_CODE_4M.fd; varsrc=$VM_OVMF_DIR/OVMF_VARS_4M.fd
        fi
        [ -n "$vars" ] && varsrc=$vars
        [ -f "$code" ] && [ -f "$varsrc" ] || skip "OVMF image missing: $code / $varsrc"
        local varcopy; varcopy=$(mktemp "$T/ovmf-vars.XXXXXX")
        cp "$varsrc" "$varcopy"

        local args=(-machine "q35,accel=tcg$([ $secureboot = 1 ] && echo ,smm=on)"
                -smp 1 -m "$mem" -no-reboot -nodefaults
                -display none -monitor none -serial "file:$log"
                -drive "if=pflash,format=raw,unit=0,readonly=on,file=$code"
                -drive "if=pflash,format=raw,unit=1,file=$varcopy"
                -drive "if=none,id=esp,format=raw,file=$esp"
                -device virtio-blk-pci,drive=esp,bootindex=1)
        [ $rng = 1 ] && args+=(-device virtio-rng-pci)
        local qemu=qemu-system-x86_64 tpmdev=tpm-tis
        if [ "$VM_ARCH" = aa64 ]; then
                # AArch64 needs no SMM for a protected variable store.
                qemu=qemu-system-aarch64 tpmdev=tpm-tis-device
                args[1]=virt,accel=tcg; args=(-cpu cortex-a57 "${args[@]}")
        elif [ $secureboot = 1 ]; then
                args+=(-global driver=cfi.pflash01,property=secure,value=on
                       -global ICH9-LPC.disable_s3=1)
        fi
        if [ $tpm = 1 ]; then
                # swtpm ends when QEMU disconnects, so each boot gets its
                # own (the state directory, like the chip, stays).
                if [ -z "${VM_SWTPM_SOCK:-}" ] || [ ! -S "$VM_SWTPM_SOCK" ] ||
                   ! kill -0 "${VM_SWTPM_PID:-0}" 2>/dev/null; then
                        vm_swtpm_start "${VM_SWTPM_DIR:-$T/swtpm}"
                fi
                args+=(-chardev "socket,id=chrtpm,path=$VM_SWTPM_SOCK"
                       -tpmdev emulator,id=tpm0,chardev=chrtpm
                       -device "$tpmdev,tpmdev=tpm0")
        fi
        if [ -n "$qmp" ]; then
                args+=(-device VGA -qmp "unix:$qmp,server=on,wait=off")
        fi
        args+=("${extra[@]}")

        : >"$log"
        local lockfd rc=1 pid start now elapsed
        exec {lockfd}>"$VM_QEMU_LOCK"
        local waited=$SECONDS
        # tests/run-test.sh does not count this wait into UKIT_VM_TIMEOUT
        [ -z "${UKIT_VM_WAITING:-}" ] || : >"$UKIT_VM_WAITING"
        flock "$lockfd"
        [ -z "${UKIT_VM_WAITING:-}" ] || rm -f "$UKIT_VM_WAITING"
        [ $((SECONDS - waited)) -gt 1 ] && vm_log "waited $((SECONDS - waited))s for $VM_QEMU_LOCK"
        start=$(date +%s%N)
        vm_log "$qemu ${args[*]}"
        # `timeout` as a backstop in case this shell is killed hard.
        timeout -k 5 $((timeout + 30)) "$qemu" "${args[@]}" </dev/null >"$T/qemu.out" 2>&1 &
        pid=$!
        _vm_pids+=("$pid")
        local done_at="" started_at=""
        while :; do
                now=$(date +%s%N); elapsed=$(( (now - start) / 1000000 ))
                if [ -z "$started_at" ] && grep -qa 'BdsDxe: starting' "$log" 2>/dev/null; then
                        started_at=$elapsed
                fi
                if [ -z "$done_at" ] && grep -q '^UKIT-REPORT done' "$log" 2>/dev/null; then
                        done_at=$elapsed; rc=0
                fi
                for i in "${!at_re[@]}"; do
                        [ -z "${at_done[$i]:-}" ] || continue
                        if grep -qE "${at_re[$i]}" "$log" 2>/dev/null; then
                                at_done[$i]=1; vm_log "log matched '${at_re[$i]}': ${at_cmd[$i]}"
                                (eval "${at_cmd[$i]}") &
                        fi
                done
                if ! kill -0 "$pid" 2>/dev/null; then break; fi
                if [ -n "$done_at" ] && [ $((elapsed - done_at)) -gt 10000 ]; then
                        vm_log "guest did not power off after its report; killing qemu"; break
                fi
                if [ -z "$done_at" ] && [ -n "$stop_on" ] && grep -qE "$stop_on" "$log" 2>/dev/null; then
                        done_at=$elapsed; rc=2; vm_log "log matched '$stop_on'"; break
                fi
                if [ -z "$done_at" ] && [ $elapsed -gt $((timeout * 1000)) ]; then
                        vm_log "timeout after ${timeout}s"; break
                fi
                sleep 0.2
        done
        if kill -0 "$pid" 2>/dev/null; then
                kill "$pid" 2>/dev/null || true
        fi
        local qrc=0
        wait "$pid" 2>/dev/null || qrc=$?
        wait 2>/dev/null || true     # --at commands
        exec {lockfd}>&-
        [ $tpm = 1 ] && vm_swtpm_stop
        [ -n "$keep_vars" ] && cp "$varcopy" "$keep_vars"
        rm -f "$varcopy"
        # our own kill is no news
        sed -i '/terminating on signal 15/d' "$T/qemu.out"
        if [ -s "$T/qemu.out" ] || { [ $qrc != 0 ] && [ $rc = 1 ]; }; then
                vm_log "qemu exited with status $qrc"
                sed 's/^/vm: qemu: /' "$T/qemu.out" >&2
        fi
        local ms=${done_at:-$elapsed}
        VM_BOOT_SECONDS=$((ms / 1000)).$(printf %03d $((ms % 1000)) | cut -c1)
        VM_FIRMWARE_SECONDS=
        if [ -n "$started_at" ]; then
                VM_FIRMWARE_SECONDS=$((started_at / 1000)).$(printf %03d $((started_at % 1000)) | cut -c1)
        fi
        case $rc in
        0) vm_log "booted and reported in ${VM_BOOT_SECONDS}s (firmware started the image after ${VM_FIRMWARE_SECONDS:-?}s)" ;;
        2) vm_log "stopped after ${VM_BOOT_SECONDS}s" ;;
        *) vm_log "no complete report after ${VM_BOOT_SECONDS}s (log: $log)" ;;
        esac
        return $rc
}

# vm_qmp SOCKET JSON...: sends each JSON command (after the capabilities
# handshake) to the QMP socket of a vm_run --qmp guest; prints the replies.
vm_qmp() {
        local sock=$1; shift
        command -v socat >/dev/null || fail "vm_qmp: socat not installed"
        { echo '{"execute":"qmp_capabilities"}'; printf '%s\n' "$@"; sleep 1; } |
                socat -t 5 - "UNIX-CONNECT:$sock"
}

# vm_screendump SOCKET OUT.png: a PNG of the guest's screen right now
# (needs vm_run --qmp SOCKET). Fails when QEMU reports an error.
vm_screendump() {
        local reply
        reply=$(vm_qmp "$1" "{\"execute\":\"screendump\",\"arguments\":{\"filename\":\"$2\",\"format\":\"png\"}}") ||
                fail "vm_screendump: QMP failed"
        [[ "$reply" == *'"error"'* ]] && fail "vm_screendump: $reply"
        [ -s "$2" ] || fail "vm_screendump: no image written to $2"
}

# vm_report LOG KEY: the value of the first "UKIT-REPORT KEY=VALUE" line in
# LOG (KEY is everything before the first '=', e.g. "cmdline",
# "pcr sha256 11", "file /ukit/x sha256", "efivar StubInfo"). Returns 1 and
# prints nothing when there is no such line.
vm_report() {
        tr -d '\r' <"$1" | awk -v key="$2" '
                # no early exit: under pipefail a SIGPIPE in tr would turn
                # a hit into a failure
                !found && index($0, "UKIT-REPORT ") == 1 {
                        s = substr($0, 13); i = index(s, "=")
                        if (i > 0 && substr(s, 1, i - 1) == key) { print substr(s, i + 1); found = 1 }
                }
                END { exit !found }'
}

# vm_report_has LOG KEY: whether the report contains KEY.
vm_report_has() { vm_report "$1" "$2" >/dev/null; }

# vm_report_lines LOG: all report lines without the prefix (for printing).
vm_report_lines() { tr -d '\r' <"$1" | sed -n 's/^UKIT-REPORT //p'; }

# vm_eventlog LOG OUT: the guest's TCG event log (needs vm_initrd --eventlog)
# written to OUT, byte-exact; its sha256 is checked against the report.
vm_eventlog() {
        tr -d '\r' <"$1" | sed -n 's/^UKIT-REPORT eventlog-b64 [0-9]*=//p' | base64 -d >"$2" ||
                fail "vm_eventlog: cannot decode the event log from $1"
        [ "$(sha256sum <"$2" | cut -d' ' -f1)" = "$(vm_report "$1" "eventlog sha256")" ] ||
                fail "vm_eventlog: event log from $1 is incomplete"
}

# vm_expect_refused NAME=IMAGE... : Secure Boot is on and every IMAGE must be
# refused by the firmware. All images go into ONE boot, each on its own disk:
# OVMF makes a boot option per disk (in PCI order), tries them in turn, logs
# each one it refuses ("BdsDxe: failed to load ... Access Denied") and says
# "No bootable option" when all failed. Fails the test if any image reached
# the kernel or was not named as refused. Prints one line per image.
vm_expect_refused() {
        local extra=() devs=() slot=4 spec name img log rc=0
        for spec in "$@"; do
                name=${spec%%=*}; img=${spec#*=}
                mkdir -p "$T/esp-$name/EFI/BOOT"
                cp "$img" "$T/esp-$name/EFI/BOOT/BOOTX64.EFI"
                vm_esp "$T/esp-$name" "$T/$name.img"
                extra+=(-drive "if=none,id=$name,format=raw,file=$T/$name.img"
                        -device "virtio-blk-pci,drive=$name,addr=0x$slot,bootindex=$slot")
                devs+=("$name:Pci(0x$slot,0x0)")
                slot=$((slot + 1))
        done
        # an empty ESP as the disk vm_run boots first
        mkdir -p "$T/esp-empty"
        vm_esp "$T/esp-empty" "$T/empty.img"
        log=$T/refused.log
        vm_run "$T/empty.img" "$log" --secureboot --timeout 180 --stop-on 'No bootable option or device was found' \
                -- "${extra[@]}" || rc=$?
        grep -q 'UKIT-REPORT' "$log" && { grep -a BdsDxe "$log" | tr -d '\r' >&2; fail "an image that must be refused booted under Secure Boot"; }
        [ $rc = 2 ] || { tail -n 20 "$log" >&2; fail "the firmware did not finish trying the boot options (vm_run returned $rc)"; }
        local d path
        for d in "${devs[@]}"; do
                name=${d%%:*}; path=${d#*:}
                grep -a 'BdsDxe: failed to load' "$log" | grep -F "$path" | grep -E 'Access Denied|Security Violation' >/dev/null ||
                        { grep -a BdsDxe "$log" | tr -d '\r' >&2; fail "$name UKI: no refusal by the firmware in the log"; }
                echo "$name: refused by the firmware ($(grep -a 'BdsDxe: failed to load' "$log" | grep -F "$path" | tr -d '\r' | sed 's/.*: //'))"
        done
        echo "refusals took ${VM_BOOT_SECONDS}s"
}


# vm_snakeoil_key OUT: the snakeoil db private key (Debian ships it
# passphrase-protected, passphrase "snakeoil") decrypted to OUT, for sbsign.
# The matching certificate is $VM_SNAKEOIL_CERT.
vm_snakeoil_key() {
        openssl rsa -passin pass:snakeoil -in "$VM_SNAKEOIL_KEY_ENC" -out "$1" 2>/dev/null ||
                fail "vm_snakeoil_key: cannot decrypt $VM_SNAKEOIL_KEY_ENC"
}

# vm_uki_objcopy STUB KERNEL INITRD CMDLINE OSREL OUT: a UKI assembled the
# way ukify does it with objcopy (each section at the next free VMA after the
# stub's last section). An independent reference build for comparisons; the
# scenarios themselves use `ukit build`.
vm_uki_objcopy() {
        local stub=$1 kernel=$2 initrd=$3 cmdline=$4 osrel=$5 out=$6
        printf '%s' "$cmdline" >"$T/.cmdline"
        local align=4096 vma
        # first free VMA after the stub: max(VMA + size) over its sections
        local s_size s_vma e
        vma=0
        while read -r s_size s_vma; do
                e=$((0x$s_vma + 0x$s_size)); [ $e -gt $vma ] && vma=$e
        done < <(objdump -h -w "$stub" | awk '$1 ~ /^[0-9]+$/ { print $3, $4 }')
        local args=() name file size
        for pair in ".osrel:$osrel" ".cmdline:$T/.cmdline" ".linux:$kernel" ".initrd:$initrd"; do
                name=${pair%%:*}; file=${pair#*:}
                vma=$(( (vma + align - 1) / align * align ))
                args+=(--add-section "$name=$file" --change-section-vma "$name=$(printf 0x%x $vma)")
                size=$(stat -c %s "$file")
                vma=$((vma + size))
        done
        objcopy "${args[@]}" "$stub" "$out" || fail "vm_uki_objcopy: objcopy failed"
}

# vm_shell_boot ESP_DIR LOG EFI_FILE ARGS...: boots ESP_DIR with no
# removable-media loader, so OVMF falls through to its built-in UEFI shell,
# which runs startup.nsh: "fs0:" then "\EFI_FILE ARGS" (the load options the
# image sees). Fails the test without a report; skips when this OVMF build
# has no shell.
vm_shell_boot() {
        local dir=$1 log=$2 efi=$3 rc=0; shift 3
        printf 'fs0:\r\n\\%s %s\r\n' "$efi" "$*" >"$dir/startup.nsh"
        vm_esp "$dir" "$T/esp.img"
        vm_run "$T/esp.img" "$log" --stop-on 'Shell> $' || rc=$?
        [ $rc = 0 ] && return 0
        grep -aq 'Shell' "$log" || skip "this OVMF build has no UEFI shell"
        fail "no report (see $log)"
}

# vm_pcr12_user_cmdline BANK CMDLINE: PCR 12 after exactly one event, the
# command line as the stub measures user options (UTF-16LE with its NUL),
# computed with python3's hashlib (an oracle independent of the stub).
vm_pcr12_user_cmdline() {
        /usr/bin/python3 -c '
import hashlib, sys
bank, s = sys.argv[1], sys.argv[2]
d = hashlib.new(bank, s.encode("utf-16-le") + b"\0\0").digest()
print(hashlib.new(bank, bytes(len(d)) + d).hexdigest())' "$1" "$2"
}

# vm_need_secureboot: skip (SKIP: reason) unless OVMF's Secure Boot code and
# snakeoil variable images and the snakeoil signing key are installed.
vm_need_secureboot() {
        [ -f "$VM_OVMF_DIR/OVMF_CODE_4M.secboot.fd" ] && [ -f "$VM_OVMF_DIR/OVMF_VARS_4M.snakeoil.fd" ] ||
                skip "OVMF Secure Boot images missing"
        [ -f "$VM_SNAKEOIL_KEY_ENC" ] || skip "no snakeoil key $VM_SNAKEOIL_KEY_ENC"
}
