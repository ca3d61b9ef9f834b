/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Listing an ESP directory for the pick-ups (addons.c, extra.c): one regular
 * file at a time, its name narrowed to ASCII for the shared name rules of
 * src/fundamental/esp-pickup.h. What to take, how many and what to say about
 * the rest stays with the callers. */

#include "efi.h"
#include "esp-pickup.h"
#include "proto/simple-fs.h"

/* Room for an entry with an ESP_NAME_MAX-character name and its NUL; a
 * longer one fails the read. */
#define ESP_DIRENT_SIZE (sizeof(EFI_FILE_INFO) + (ESP_NAME_MAX + 2) * sizeof(CHAR16))

typedef struct EspDirEntry {
        uint64_t info_buf[ESP_DIRENT_SIZE / sizeof(uint64_t) + 1];     /* an EFI_FILE_INFO, 8-byte aligned */
        char name[ESP_NAME_MAX + 1];    /* FileName narrowed to ASCII, NUL-terminated */
        size_t len;                     /* of name */
} EspDirEntry;

static inline EFI_FILE_INFO *esp_dir_entry_info(EspDirEntry *e) {
        return (EFI_FILE_INFO *) e->info_buf;
}

/* Reads dir's next entry that is not a directory and whose name has at most
 * ESP_NAME_MAX characters into *e. A character outside ASCII becomes 0x7f in
 * e->name, which esp_name_ok() refuses, so such a file is never taken.
 * Returns false at the end of the listing or when the read fails, which it
 * does for an entry too large for the buffer: the file protocol cannot skip
 * one, so the listing stops there. */
bool esp_dir_next(EFI_FILE_PROTOCOL *dir, EspDirEntry *e);

/* The directory of row p to open on the UKI's partition: "\" + its
 * global_dir with '\' for '/' (global), or a copy of dropin_dir (the UKI's
 * "<uki>.extra.d"). NULL when p has no such directory (or out of memory). */
CHAR16 *esp_pickup_path(const EspPickup *p, bool global, const CHAR16 *dropin_dir);
