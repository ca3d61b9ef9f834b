/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "esp-dir.h"
#include "util.h"

bool esp_dir_next(EFI_FILE_PROTOCOL *dir, EspDirEntry *e) {
        EFI_FILE_INFO *de = esp_dir_entry_info(e);

        for (;;) {
                uint64_t size = sizeof(e->info_buf);
                if (dir->Read(dir, &size, de) != EFI_SUCCESS || size == 0)
                        return false;
                if (de->Attribute & EFI_FILE_DIRECTORY)
                        continue;
                size_t len = strlen16(de->FileName);
                if (len > ESP_NAME_MAX)
                        continue;
                for (size_t i = 0; i <= len; i++)
                        e->name[i] = de->FileName[i] < 0x80 ? (char) de->FileName[i] : 0x7f;
                e->len = len;
                return true;
        }
}

CHAR16 *esp_pickup_path(const EspPickup *p, bool global, const CHAR16 *dropin_dir) {
        if (!global) {
                if (!p->dropin || !dropin_dir)
                        return NULL;
                size_t n = strlen16(dropin_dir);
                CHAR16 *s = xmalloc((n + 1) * sizeof(CHAR16));
                if (s)
                        memcpy(s, dropin_dir, (n + 1) * sizeof(CHAR16));
                return s;
        }
        if (!p->global_dir)
                return NULL;
        size_t n = strlen8(p->global_dir);
        CHAR16 *s = xmalloc((n + 2) * sizeof(CHAR16));
        if (!s)
                return NULL;
        s[0] = L'\\';
        for (size_t i = 0; i <= n; i++)
                s[i + 1] = p->global_dir[i] == '/' ? L'\\' : (CHAR16) (unsigned char) p->global_dir[i];
        return s;
}
