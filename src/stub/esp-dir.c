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
