/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Path=auto's sysfs walk against a fake sysfs tree laid out as the kernel
 * lays it out (Documentation/ABI: /sys/dev/block/M:m symlinks into
 * /sys/devices, a partition a subdirectory of its disk with a "partition"
 * attribute, device-mapper's backing devices in "slaves/"). */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "test.h"
#include "update-blockdev.h"

static char top[PATH_MAX];

static void put(const char *rel, const char *text) {
        char p[PATH_MAX * 2];
        snprintf(p, sizeof(p), "%s/%s", top, rel);
        for (char *s = strchr(p + strlen(top) + 1, '/'); s; s = strchr(s + 1, '/')) {
                *s = 0;
                mkdir(p, 0755);
                *s = '/';
        }
        if (text) {
                FILE *f = fopen(p, "we");
                CHECK(f);
                fputs(text, f);
                CHECK(fclose(f) == 0);
        } else
                mkdir(p, 0755);
}

static void link_to(const char *target, const char *rel) {
        char p[PATH_MAX * 2];
        snprintf(p, sizeof(p), "%s/%s", top, rel);
        CHECK(symlink(target, p) == 0);
}

static void disk(const char *dir, const char *name, const char *devno) {
        char p[512], v[128];
        snprintf(p, sizeof(p), "%s/dev", dir); put(p, devno);
        snprintf(p, sizeof(p), "%s/uevent", dir);
        snprintf(v, sizeof(v), "MAJOR=%.*s\nDEVNAME=%s\nDEVTYPE=disk\n", 3, devno, name);
        put(p, v);
}

static void setup(void) {
        put("dev/block", NULL);
        disk("devices/pci0000:00/virtio2/block/vda", "vda", "254:0\n");
        disk("devices/pci0000:00/virtio2/block/vda/vda2", "vda2", "254:2\n");
        put("devices/pci0000:00/virtio2/block/vda/vda2/partition", "2\n");
        disk("devices/pci0000:00/virtio2/block/vda/vda3", "vda3", "254:3\n");
        put("devices/pci0000:00/virtio2/block/vda/vda3/partition", "3\n");
        disk("devices/pci0000:00/virtio3/block/vdb", "vdb", "254:16\n");
        link_to("../../devices/pci0000:00/virtio2/block/vda", "dev/block/254:0");
        link_to("../../devices/pci0000:00/virtio2/block/vda/vda2", "dev/block/254:2");
        link_to("../../devices/pci0000:00/virtio2/block/vda/vda3", "dev/block/254:3");
        link_to("../../devices/pci0000:00/virtio3/block/vdb", "dev/block/254:16");
        /* dm-0: over vda2; dm-1: over dm-0 (stacked); dm-2: verity with data
         * and hash on one disk (vda2, vda3); dm-5: two legs on two disks */
        disk("devices/virtual/block/dm-0", "dm-0", "253:0\n");
        put("devices/virtual/block/dm-0/slaves", NULL);
        link_to("../../../../pci0000:00/virtio2/block/vda/vda2", "devices/virtual/block/dm-0/slaves/vda2");
        disk("devices/virtual/block/dm-1", "dm-1", "253:1\n");
        put("devices/virtual/block/dm-1/slaves", NULL);
        link_to("../../dm-0", "devices/virtual/block/dm-1/slaves/dm-0");
        disk("devices/virtual/block/dm-2", "dm-2", "253:2\n");
        put("devices/virtual/block/dm-2/slaves", NULL);
        link_to("../../../../pci0000:00/virtio2/block/vda/vda2", "devices/virtual/block/dm-2/slaves/vda2");
        link_to("../../../../pci0000:00/virtio2/block/vda/vda3", "devices/virtual/block/dm-2/slaves/vda3");
        disk("devices/virtual/block/dm-5", "dm-5", "253:5\n");
        put("devices/virtual/block/dm-5/slaves", NULL);
        link_to("../../../../pci0000:00/virtio2/block/vda/vda2", "devices/virtual/block/dm-5/slaves/vda2");
        link_to("../../../../pci0000:00/virtio3/block/vdb", "devices/virtual/block/dm-5/slaves/vdb");
        link_to("../../devices/virtual/block/dm-5", "dev/block/253:5");
        link_to("../../devices/virtual/block/dm-0", "dev/block/253:0");
        link_to("../../devices/virtual/block/dm-1", "dev/block/253:1");
        link_to("../../devices/virtual/block/dm-2", "dev/block/253:2");
}

static int whole(dev_t dev, dev_t *ret, char **name, UkitError *err) {
        ukit_error_clear(err);
        *name = NULL;
        return update_blockdev_whole_disk(top, dev, ret, name, err);
}

int main(void) {
        UkitError err = UKIT_ERROR_INIT;
        dev_t d;
        char *name;

        snprintf(top, sizeof(top), "%s/ukit-test-blockdev.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
        CHECK(mkdtemp(top));
        setup();

        /* a partition: its disk */
        CHECK_EQ_INT(whole(makedev(254, 2), &d, &name, &err), 0);
        CHECK(d == makedev(254, 0));
        CHECK_EQ_STR(name, "vda");
        free(name);
        /* a whole disk: itself */
        CHECK_EQ_INT(whole(makedev(254, 16), &d, &name, &err), 0);
        CHECK(d == makedev(254, 16));
        CHECK_EQ_STR(name, "vdb");
        free(name);
        /* dm-verity over vda2, and a stack of two device-mapper levels */
        CHECK_EQ_INT(whole(makedev(253, 0), &d, &name, &err), 0);
        CHECK(d == makedev(254, 0));
        CHECK_EQ_STR(name, "vda");
        free(name);
        CHECK_EQ_INT(whole(makedev(253, 1), &d, &name, &err), 0);
        CHECK(d == makedev(254, 0));
        free(name);
        /* dm-verity: data and hash partition of one disk, that disk */
        CHECK_EQ_INT(whole(makedev(253, 2), &d, &name, &err), 0);
        CHECK(d == makedev(254, 0));
        CHECK_EQ_STR(name, "vda");
        free(name);
        /* backed by two disks: the device-mapper device itself, as 257 */
        CHECK_EQ_INT(whole(makedev(253, 5), &d, &name, &err), 0);
        CHECK(d == makedev(253, 5));
        CHECK_EQ_STR(name, "dm-5");
        free(name);
        /* unknown device */
        CHECK_EQ_INT(whole(makedev(8, 0), &d, &name, &err), -ENODEV);
        /* no sysfs at all */
        ukit_error_clear(&err);
        CHECK(update_blockdev_whole_disk("/nonexistent-ukit-sysfs", makedev(254, 2), &d, &name, &err) < 0);

        /* a slave loop (dm-3 -> dm-4 -> dm-3) ends with an error, not a hang */
        disk("devices/virtual/block/dm-3", "dm-3", "253:3\n");
        disk("devices/virtual/block/dm-4", "dm-4", "253:4\n");
        put("devices/virtual/block/dm-3/slaves", NULL);
        put("devices/virtual/block/dm-4/slaves", NULL);
        link_to("../../dm-4", "devices/virtual/block/dm-3/slaves/dm-4");
        link_to("../../dm-3", "devices/virtual/block/dm-4/slaves/dm-3");
        link_to("../../devices/virtual/block/dm-3", "dev/block/253:3");
        link_to("../../devices/virtual/block/dm-4", "dev/block/253:4");
        CHECK_EQ_INT(whole(makedev(253, 3), &d, &name, &err), -ELOOP);

        char cmd[PATH_MAX + 16];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
        CHECK(system(cmd) == 0);
        TEST_DONE();
}
