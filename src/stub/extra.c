/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Files picked up from the ESP next to the UKI and handed to the initrd as
 * cpio archives, the way systemd-stub does it: credentials from
 * "<uki>.efi.extra.d" and "\loader\credentials" (files ending in .cred), system
 * extensions (.raw but not .confext.raw) and configuration extensions
 * (.confext.raw) from "<uki>.efi.extra.d"; the name rules are
 * src/fundamental/esp-pickup.c's, shared with the host prediction. Each
 * archive is measured as a whole (PCR 12 for credentials and confexts, 13
 * for sysexts), so its bytes must be stable: names are sorted, contents go
 * in unchanged, no timestamps. */

#include "cpio.h"
#include "esp-dir.h"
#include "esp-pickup.h"
#include "measure.h"
#include "proto/simple-fs.h"
#include "stub.h"
#include "util.h"

typedef struct ExtraFile {
        char name[ESP_NAME_MAX + 1];            /* ASCII, as in the archive */
        void *data;
        size_t size;
} ExtraFile;

static void file_closep(EFI_FILE_PROTOCOL **f) {
        if (*f)
                (void) (*f)->Close(*f);
}

static EFI_STATUS read_file(EFI_FILE_PROTOCOL *dir, const CHAR16 *name, void **ret, size_t *ret_size) {
        static const EFI_GUID info_guid = EFI_FILE_INFO_GUID;
        _cleanup_(file_closep) EFI_FILE_PROTOCOL *f = NULL;
        uint8_t info_buf[ESP_DIRENT_SIZE];
        uint64_t info_size = sizeof(info_buf), size;
        EFI_STATUS err;

        err = dir->Open(dir, &f, name, EFI_FILE_MODE_READ, 0);
        if (err != EFI_SUCCESS)
                return err;
        err = f->GetInfo(f, &info_guid, &info_size, info_buf);
        if (err != EFI_SUCCESS)
                return err;
        size = ((EFI_FILE_INFO *) info_buf)->FileSize;
        if (size > ESP_FILE_SIZE_MAX)
                return EFI_BAD_BUFFER_SIZE;
        void *buf = xmalloc(size);
        if (!buf)
                return EFI_OUT_OF_RESOURCES;
        uint64_t got = size;
        err = f->Read(f, &got, buf);
        if (err != EFI_SUCCESS || got != size) {
                free(buf);
                return err != EFI_SUCCESS ? err : EFI_DEVICE_ERROR;
        }
        *ret = buf;
        *ret_size = size;
        return EFI_SUCCESS;
}

/* Collects the matching regular files of dir (sorted by name). */
static size_t collect(EFI_FILE_PROTOCOL *dir, const EspPickup *p, ExtraFile files[ESP_FILES_MAX]) {
        EspDirEntry e;
        size_t n = 0;

        /* a name that was not ASCII has a 0x7f in it, which the shared rules refuse */
        while (esp_dir_next(dir, &e)) {
                if (!esp_pickup_name_ok(p, e.name, e.len))
                        continue;
                if (n >= ESP_FILES_MAX) {
                        log_error(EFI_OUT_OF_RESOURCES, L"too many files in an ESP drop-in directory, ignoring the rest");
                        break;
                }
                memcpy(files[n].name, e.name, e.len + 1);
                const CHAR16 *name16 = esp_dir_entry_info(&e)->FileName;
                if (read_file(dir, name16, &files[n].data, &files[n].size) != EFI_SUCCESS) {
                        log_error(EFI_LOAD_ERROR, name16);
                        continue;
                }
                n++;
        }

        /* insertion sort: a handful of entries, and the order is measured */
        for (size_t i = 1; i < n; i++)
                for (size_t j = i; j > 0 && esp_name_cmp(files[j - 1].name, files[j].name) > 0; j--) {
                        ExtraFile t = files[j];
                        files[j] = files[j - 1];
                        files[j - 1] = t;
                }
        return n;
}

EFI_STATUS extra_pack(EFI_LOADED_IMAGE_PROTOCOL *li, const EspPickup *p, const CHAR16 *dropin_dir, void **ret,
                      size_t *ret_size, bool *ret_measured) {
        static const EFI_GUID fs_guid = EFI_SIMPLE_FILE_SYSTEM_PROTOCOL_GUID;
        _cleanup_(file_closep) EFI_FILE_PROTOCOL *root = NULL, *dir = NULL;
        EFI_SIMPLE_FILE_SYSTEM_PROTOCOL *fs;
        EFI_STATUS err;

        *ret = NULL;
        *ret_size = 0;
        *ret_measured = false;
        /* an archive row has one directory: its global one or the drop-in */
        _cleanup_free_ CHAR16 *dir_path = esp_pickup_path(p, p->global_dir != NULL, dropin_dir);
        if (!dir_path)
                return EFI_NOT_FOUND;
        if (!li->DeviceHandle || BS->HandleProtocol(li->DeviceHandle, &fs_guid, (void **) &fs) != EFI_SUCCESS ||
            fs->OpenVolume(fs, &root) != EFI_SUCCESS)
                return EFI_NOT_FOUND;
        if (root->Open(root, &dir, dir_path, EFI_FILE_MODE_READ, 0) != EFI_SUCCESS)
                return EFI_NOT_FOUND;

        /* ~17 KiB: on the heap, firmware stacks are small */
        _cleanup_free_ ExtraFile *files = xmalloc0(ESP_FILES_MAX * sizeof(ExtraFile));
        _cleanup_free_ CHAR16 *description = utf8_to_utf16(p->description, strlen8(p->description));
        if (!files || !description)
                return EFI_OUT_OF_RESOURCES;
        size_t n = collect(dir, p, files);
        if (n == 0)
                return EFI_NOT_FOUND;

        CpioWriter w;
        void *buf = NULL;
        for (int pass = 0; pass < 2; pass++) {
                cpio_writer_init(&w, buf, buf ? *ret_size : 0);
                cpio_put_dirs(&w, p->target, p->dir_mode);
                for (size_t i = 0; i < n; i++)
                        cpio_put_file(&w, p->target, files[i].name, files[i].data, files[i].size, p->file_mode);
                cpio_put_trailer(&w);
                if (pass == 0) {
                        *ret_size = cpio_writer_finish(&w);
                        buf = *ret_size ? xmalloc(*ret_size) : NULL;
                        if (!buf)
                                break;
                }
        }
        for (size_t i = 0; i < n; i++)
                free(files[i].data);
        if (!buf || cpio_writer_finish(&w) != *ret_size) {
                free(buf);
                *ret_size = 0;
                return log_error(EFI_OUT_OF_RESOURCES, description);
        }

        err = measure_tagged_event(p->pcr, p->tag, buf, *ret_size, description, ret_measured);
        if (err != EFI_SUCCESS)
                log_error(err, L"cannot measure an ESP drop-in initrd");
        *ret = buf;
        return EFI_SUCCESS;
}
