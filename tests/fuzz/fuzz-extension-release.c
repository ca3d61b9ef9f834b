/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* extension-release matching on arbitrary text, as host and as extension. */
#include <stdint.h>
#include <string.h>

#include "extension-release.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const char host_text[] = "ID=debian\nID_LIKE=\"ubuntu\"\nVERSION_ID=12\nSYSEXT_LEVEL=1.0\n";
        UkitError e1 = UKIT_ERROR_INIT, e2 = UKIT_ERROR_INIT, e3 = UKIT_ERROR_INIT;
        HostRelease host, h2;

        if (host_release_parse(EXT_SYSEXT, host_text, strlen(host_text), &host) != 0)
                __builtin_trap();
        host.arch = "x86-64";
        (void) extension_release_validate(EXT_SYSEXT, "foo", (const char *) data, size, &host, &e1);
        (void) extension_release_validate(EXT_CONFEXT, "foo", (const char *) data, size, &host, &e2);
        if (host_release_parse(EXT_CONFEXT, (const char *) data, size, &h2) == 0) {
                h2.arch = "x86-64";
                (void) extension_release_validate(EXT_SYSEXT, "foo", host_text, strlen(host_text), &h2, &e3);
        }
        if (size > 0 && size < 64) {
                char a[64];
                memcpy(a, data, size);
                a[size] = 0;
                (void) vercmp(a, "1.2~rc1^x-3");
                (void) ext_image_name_valid(a);
        }
        return 0;
}
