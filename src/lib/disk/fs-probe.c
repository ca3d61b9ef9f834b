/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <blkid.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fs-probe.h"
#include "util.h"

int fs_probe(int fd, uint64_t offset, char **ret) {
        _cleanup_(blkid_free_probep) blkid_probe pr = NULL;
        const char *v = NULL;

        pr = blkid_new_probe();
        if (!pr)
                return -ENOMEM;
        if (offset > INT64_MAX || blkid_probe_set_device(pr, fd, (blkid_loff_t) offset, 0) != 0)
                return -EIO;
        blkid_probe_enable_superblocks(pr, 1);
        blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE);
        blkid_probe_enable_partitions(pr, 0);
        if (blkid_do_safeprobe(pr) != 0)
                return -EMEDIUMTYPE;
        if (blkid_probe_lookup_value(pr, "TYPE", &v, NULL) != 0 || !v)
                return -EMEDIUMTYPE;
        *ret = strdup(v);
        return *ret ? 0 : -ENOMEM;
}
