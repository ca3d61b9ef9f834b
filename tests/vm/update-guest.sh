# vm_initrd --hook fragment of tests/vm/lib-update.sh (see there)
mkdir -p /bb && busybox --install -s /bb
export PATH=/bb:/sbin:/bin
UL=/opt/util-linux/blkid
i=0
while [ ! -b /dev/vdb ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
labels() {
        for d in /sys/class/block/vda?*; do
                printf '%s:%s ' ${d##*/} "$($UL -p -o value -s PART_ENTRY_NAME /dev/${d##*/})"
        done | sed 's/ $//'
}
