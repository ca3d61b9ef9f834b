/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* UKI add-ons: see addons.h. The firmware, not we, opens and verifies each
 * add-on (LoadImage with a file device path on the UKI's partition), so an
 * add-on that Secure Boot or shim refuses never contributes anything. We
 * read the sections from the loaded image in memory, i.e. exactly the bytes
 * that were verified, and never call StartImage. */

#include "addons.h"
#include "esp-dir.h"
#include "esp-pickup.h"
#include "measure.h"
#include "pe-sections.h"
#include "proto/device-path.h"
#include "proto/simple-fs.h"
#include "stub.h"
#include "util.h"

static void file_closep(EFI_FILE_PROTOCOL **f) {
        if (*f)
                (void) (*f)->Close(*f);
}

/* Sorted names of the add-ons in dir; the rest of the listing is ignored
 * once ESP_ADDONS_MAX are found. */
static size_t list_addons(EFI_FILE_PROTOCOL *dir, const EspPickup *p, char (*names)[ESP_NAME_MAX + 1]) {
        EspDirEntry e;
        size_t n = 0;

        /* a name that was not ASCII has a 0x7f in it, which esp_name_ok refuses */
        while (esp_dir_next(dir, &e)) {
                if (!esp_pickup_name_ok(p, e.name, e.len))
                        continue;
                if (n >= ESP_ADDONS_MAX) {
                        log_error(EFI_OUT_OF_RESOURCES, L"too many add-ons in one directory, ignoring the rest");
                        break;
                }
                memcpy(names[n++], e.name, e.len + 1);
        }
        esp_sort_names(names, n);
        return n;
}

/* DEVICE's path + a file path node "DIR\NAME" + end. */
static EFI_DEVICE_PATH_PROTOCOL *file_device_path(EFI_HANDLE device, const CHAR16 *dir, const char *name,
                                                  CHAR16 **ret_path) {
        static const EFI_GUID dp_guid = EFI_DEVICE_PATH_PROTOCOL_GUID;
        EFI_DEVICE_PATH_PROTOCOL *dp, *n;
        size_t dp_len = 0, steps, dlen = strlen16(dir), nlen = strlen8(name);

        if (BS->HandleProtocol(device, &dp_guid, (void **) &dp) != EFI_SUCCESS || !dp)
                return NULL;
        for (n = dp, steps = 0; n->Type != DEVICE_PATH_TYPE_END; steps++) {
                size_t l = device_path_node_len(n);
                if (l < sizeof(EFI_DEVICE_PATH_PROTOCOL) || steps >= 64)
                        return NULL;
                dp_len += l;
                n = (EFI_DEVICE_PATH_PROTOCOL *) ((uint8_t *) n + l);
        }
        size_t chars = dlen + 1 + nlen + 1, node_len = sizeof(EFI_DEVICE_PATH_PROTOCOL) + chars * sizeof(CHAR16);
        if (node_len > 0xffff)
                return NULL;
        uint8_t *buf = xmalloc(dp_len + node_len + sizeof(EFI_DEVICE_PATH_PROTOCOL));
        CHAR16 *path = xmalloc(chars * sizeof(CHAR16));
        if (!buf || !path) {
                free(buf);
                free(path);
                return NULL;
        }
        memcpy(path, dir, dlen * sizeof(CHAR16));
        path[dlen] = L'\\';
        for (size_t i = 0; i <= nlen; i++)
                path[dlen + 1 + i] = (CHAR16) (unsigned char) name[i];

        memcpy(buf, dp, dp_len);
        n = (EFI_DEVICE_PATH_PROTOCOL *) (buf + dp_len);
        n->Type = DEVICE_PATH_TYPE_MEDIA;
        n->SubType = DEVICE_PATH_SUBTYPE_MEDIA_FILEPATH;
        n->Length[0] = (uint8_t) node_len;
        n->Length[1] = (uint8_t) (node_len >> 8);
        memcpy((uint8_t *) n + sizeof(EFI_DEVICE_PATH_PROTOCOL), path, chars * sizeof(CHAR16));
        n = (EFI_DEVICE_PATH_PROTOCOL *) (buf + dp_len + node_len);
        *n = (EFI_DEVICE_PATH_PROTOCOL) DEVICE_PATH_END_INIT;
        *ret_path = path;
        return (EFI_DEVICE_PATH_PROTOCOL *) buf;
}

static void log_addon(EFI_STATUS err, const CHAR16 *what, const CHAR16 *path) {
        size_t a = strlen16(what), b = strlen16(path);
        _cleanup_free_ CHAR16 *msg = xmalloc((a + b + 1) * sizeof(CHAR16));
        if (!msg) {
                log_error(err, what);
                return;
        }
        memcpy(msg, what, a * sizeof(CHAR16));
        memcpy(msg + a, path, (b + 1) * sizeof(CHAR16));
        log_error(err, msg);
}

/* The add-on's file name, as 257 names it in its tagged events. */
static CHAR16 *name16(const char *name) {
        return utf8_to_utf16(name, strlen8(name));
}

/* Copies section s of the loaded add-on to a new entry of list. */
static void keep_blob(AddonBlob *list, size_t *n, const uint8_t *base, const PeSectionRef *s, const char *name) {
        if (!s->present || s->size == 0 || *n >= ADDON_BLOBS_MAX)
                return;
        AddonBlob b = { .name = name16(name), .data = xmalloc(s->size), .size = s->size };
        if (!b.name || !b.data) {
                free(b.name);
                free(b.data);
                log_error(EFI_OUT_OF_RESOURCES, L"no memory for an add-on section, skipping it");
                return;
        }
        memcpy(b.data, base + s->rva, s->size);
        list[(*n)++] = b;
}

static bool uname_differs(const uint8_t *base, const PeSectionRef *s, const char *uname, size_t uname_len) {
        if (!uname || !s->present)
                return false;
        const char *a = (const char *) base + s->rva;
        size_t n = 0;
        while (n < s->size && a[n])
                n++;
        return n != uname_len || memcmp(a, uname, n) != 0;
}

/* Loads one add-on through the firmware, appends its .cmdline to buf and
 * keeps its .dtb, .initrd and .ucode in blobs. */
static void apply_one(EFI_HANDLE image, EFI_HANDLE device, const CHAR16 *dir, const char *name, const char *uname,
                      size_t uname_len, char *buf, size_t *len, AddonBlobs *blobs) {
        static const EFI_GUID loaded_image_guid = EFI_LOADED_IMAGE_PROTOCOL_GUID;
        _cleanup_free_ CHAR16 *path = NULL;
        _cleanup_free_ EFI_DEVICE_PATH_PROTOCOL *dp = file_device_path(device, dir, name, &path);
        EFI_LOADED_IMAGE_PROTOCOL *ali;
        PeSectionRef sections[_UKI_SECTION_MAX];
        EFI_HANDLE h = NULL;
        EFI_STATUS err;

        if (!dp) {
                log_error(EFI_OUT_OF_RESOURCES, L"cannot make a device path for an add-on");
                return;
        }
        err = BS->LoadImage(false, image, dp, NULL, 0, &h);
        if (err != EFI_SUCCESS) {
                /* On a security violation the image is loaded but must not
                 * be started; it still has to be unloaded. */
                if (h)
                        (void) BS->UnloadImage(h);
                log_addon(err, L"add-on refused by the firmware, skipping: ", path);
                return;
        }
        const PeSectionRef *s = sections;
        if (BS->HandleProtocol(h, &loaded_image_guid, (void **) &ali) != EFI_SUCCESS || !ali->ImageBase ||
            pe_locate_uki_sections(ali->ImageBase, ali->ImageSize, true, sections) != PE_SECTIONS_OK) {
                log_addon(EFI_LOAD_ERROR, L"add-on is not a valid PE image, skipping: ", path);
                (void) BS->UnloadImage(h);
                return;
        }
        /* its .dtbauto matched as the UKI's (its own .hwids), before the
         * check below: an add-on whose only section is a .dtbauto for
         * another machine is skipped, as by 257 */
        dtbauto_select(ali->ImageBase, ali->ImageSize, 0, sections);
        if (!s[UKI_SECTION_CMDLINE].present && !s[UKI_SECTION_DTB].present &&
            !s[UKI_SECTION_DTBAUTO].present && !s[UKI_SECTION_INITRD].present && !s[UKI_SECTION_UCODE].present) {
                log_addon(EFI_NOT_FOUND, L"add-on has no .cmdline/.dtb/.dtbauto/.initrd/.ucode section, skipping: ", path);
        } else if (s[UKI_SECTION_LINUX].present) {
                /* a UKI is not an add-on: its .cmdline is not an extension */
                log_addon(EFI_UNSUPPORTED, L"add-on has a .linux section, skipping: ", path);
        } else if (uname_differs(ali->ImageBase, &s[UKI_SECTION_UNAME], uname, uname_len)) {
                log_addon(EFI_UNSUPPORTED, L"add-on .uname differs from the UKI's, skipping: ", path);
        } else {
                const uint8_t *base = ali->ImageBase;
                if (s[UKI_SECTION_CMDLINE].present &&
                    !esp_cmdline_append(buf, ESP_ADDONS_CMDLINE_MAX + 1, len, (const char *) base + s[UKI_SECTION_CMDLINE].rva,
                                        s[UKI_SECTION_CMDLINE].size))
                        log_addon(EFI_BUFFER_TOO_SMALL, L"add-on command lines too long, skipping: ", path);
                if (blobs) {
                        /* the matched .dtbauto, else .dtb (257) */
                        keep_blob(blobs->dtb, &blobs->n_dtb, base,
                                  &s[s[UKI_SECTION_DTBAUTO].present ? UKI_SECTION_DTBAUTO : UKI_SECTION_DTB], name);
                        keep_blob(blobs->initrd, &blobs->n_initrd, base, &s[UKI_SECTION_INITRD], name);
                        keep_blob(blobs->ucode, &blobs->n_ucode, base, &s[UKI_SECTION_UCODE], name);
                }
        }
        (void) BS->UnloadImage(h);
}

static void apply_dir(EFI_HANDLE image, EFI_HANDLE device, EFI_FILE_PROTOCOL *root, const EspPickup *p,
                      const CHAR16 *dir_path, const char *uname, size_t uname_len, char (*names)[ESP_NAME_MAX + 1],
                      char *buf, size_t *len, AddonBlobs *blobs) {
        _cleanup_(file_closep) EFI_FILE_PROTOCOL *dir = NULL;

        if (!dir_path || root->Open(root, &dir, dir_path, EFI_FILE_MODE_READ, 0) != EFI_SUCCESS)
                return;
        size_t n = list_addons(dir, p, names);
        for (size_t i = 0; i < n; i++)
                apply_one(image, device, dir_path, names[i], uname, uname_len, buf, len, blobs);
}

EFI_STATUS addons_apply(EFI_HANDLE image, EFI_LOADED_IMAGE_PROTOCOL *li, const EspPickup *p,
                        const CHAR16 *dropin_dir, const char *uname, size_t uname_len, CHAR16 **cmdline,
                        AddonBlobs *blobs, bool *ret_measured) {
        static const EFI_GUID fs_guid = EFI_SIMPLE_FILE_SYSTEM_PROTOCOL_GUID;
        _cleanup_(file_closep) EFI_FILE_PROTOCOL *root = NULL;
        EFI_SIMPLE_FILE_SYSTEM_PROTOCOL *fs;
        size_t len = 0;

        *ret_measured = false;
        if (!li->DeviceHandle || BS->HandleProtocol(li->DeviceHandle, &fs_guid, (void **) &fs) != EFI_SUCCESS ||
            fs->OpenVolume(fs, &root) != EFI_SUCCESS)
                return EFI_NOT_FOUND;

        /* ~8 KiB of names and 16 KiB of command line: heap, not stack */
        _cleanup_free_ char (*names)[ESP_NAME_MAX + 1] = xmalloc(ESP_ADDONS_MAX * sizeof(*names));
        _cleanup_free_ char *buf = xmalloc(ESP_ADDONS_CMDLINE_MAX + 1);
        if (!names || !buf)
                return EFI_OUT_OF_RESOURCES;
        buf[0] = 0;

        /* global_dir, then the UKI's drop-in directory */
        for (int global = 1; global >= 0; global--) {
                _cleanup_free_ CHAR16 *dir = esp_pickup_path(p, global, dropin_dir);
                apply_dir(image, li->DeviceHandle, root, p, dir, uname, uname_len, names, buf, &len, blobs);
        }
        if (len == 0)
                return EFI_NOT_FOUND;

        _cleanup_free_ CHAR16 *extra = utf8_to_utf16(buf, len);
        if (!extra)
                return EFI_OUT_OF_RESOURCES;
        EFI_STATUS err = cmdline_append(cmdline, extra, /* trim= */ true);
        if (err != EFI_SUCCESS)
                return err;
        err = measure_tagged_event(p->pcr, p->tag, extra, (strlen16(extra) + 1) * sizeof(CHAR16), extra,
                                   ret_measured);
        if (err != EFI_SUCCESS)
                log_error(err, L"cannot measure the add-on command line");
        return EFI_SUCCESS;
}

void addon_blobs_free(AddonBlobs *b) {
        AddonBlob *lists[] = { b->dtb, b->initrd, b->ucode };
        size_t counts[] = { b->n_dtb, b->n_initrd, b->n_ucode };

        for (size_t l = 0; l < ELEMENTSOF(lists); l++)
                for (size_t i = 0; i < counts[l]; i++) {
                        free(lists[l][i].name);
                        free(lists[l][i].data);
                }
        b->n_dtb = b->n_initrd = b->n_ucode = 0;
}

void addons_install_devicetrees(const AddonBlobs *b, bool *ret_measured) {
        *ret_measured = false;
        for (size_t i = 0; i < b->n_dtb; i++) {
                bool m = false;
                if (devicetree_install(b->dtb[i].data, b->dtb[i].size) != EFI_SUCCESS)
                        continue;
                (void) measure_tagged_event(TPM2_PCR_KERNEL_CONFIG, EVENT_TAG_DEVICETREE_ADDON, b->dtb[i].data,
                                            b->dtb[i].size, b->dtb[i].name, &m);
                *ret_measured = *ret_measured || m;
        }
}

void *addons_pack_initrd(const AddonBlob *list, size_t n, bool reverse, uint32_t tag, size_t *ret_size,
                         bool *ret_measured) {
        size_t total = 0;

        *ret_size = 0;
        *ret_measured = false;
        for (size_t i = 0; i < n; i++)
                total += (list[i].size + 3) & ~(size_t) 3;
        if (total == 0)
                return NULL;
        uint8_t *buf = xmalloc0(total);
        if (!buf) {
                log_error(EFI_OUT_OF_RESOURCES, L"no memory for the add-on initrds");
                return NULL;
        }
        size_t off = 0;
        for (size_t k = 0; k < n; k++) {
                const AddonBlob *a = &list[reverse ? n - 1 - k : k];
                bool m = false;
                (void) measure_tagged_event(TPM2_PCR_KERNEL_CONFIG, tag, a->data, a->size, a->name, &m);
                *ret_measured = *ret_measured || m;
                memcpy(buf + off, a->data, a->size);
                off += (a->size + 3) & ~(size_t) 3;
        }
        *ret_size = total;
        return buf;
}
