/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "initrd.h"
#include "proto/load-file2.h"
#include "util.h"

typedef struct InitrdLoader {
        EFI_LOAD_FILE2_PROTOCOL load_file;      /* first: This points here */
        InitrdPiece pieces[INITRD_PIECES_MAX];
        size_t n_pieces;
        size_t size;                            /* total, with padding */
} InitrdLoader;

static size_t pad4(size_t n) {
        return (4 - (n & 3)) & 3;
}

static const struct _packed_ {
        VENDOR_DEVICE_PATH vendor;
        EFI_DEVICE_PATH_PROTOCOL end;
} initrd_device_path = {
        .vendor = {
                .Header = { DEVICE_PATH_TYPE_MEDIA, DEVICE_PATH_SUBTYPE_MEDIA_VENDOR, { sizeof(VENDOR_DEVICE_PATH), 0 } },
                .Guid = LINUX_EFI_INITRD_MEDIA_GUID,
        },
        .end = DEVICE_PATH_END_INIT,
};

static const EFI_GUID device_path_guid = EFI_DEVICE_PATH_PROTOCOL_GUID;
static const EFI_GUID load_file2_guid = EFI_LOAD_FILE2_PROTOCOL_GUID;

static EFI_STATUS EFIAPI initrd_load_file(EFI_LOAD_FILE2_PROTOCOL *this, EFI_DEVICE_PATH_PROTOCOL *file_path,
                                          BOOLEAN boot_policy, uint64_t *buffer_size, void *buffer) {
        const InitrdLoader *l = (const InitrdLoader *) this;

        /* LoadFile2 never serves boot-policy loads (UEFI 2.10 13.2). */
        if (!this || !buffer_size || !file_path)
                return EFI_INVALID_PARAMETER;
        if (boot_policy)
                return EFI_UNSUPPORTED;
        if (l->size == 0)
                return EFI_NOT_FOUND;
        if (!buffer || *buffer_size < l->size) {
                *buffer_size = l->size;
                return EFI_BUFFER_TOO_SMALL;
        }
        uint8_t *p = buffer;
        for (size_t i = 0; i < l->n_pieces; i++) {
                memcpy(p, l->pieces[i].data, l->pieces[i].size);
                p += l->pieces[i].size;
                if (i + 1 < l->n_pieces) {
                        size_t pad = pad4(l->pieces[i].size);
                        memset(p, 0, pad);
                        p += pad;
                }
        }
        *buffer_size = l->size;
        return EFI_SUCCESS;
}

EFI_STATUS initrd_register(const InitrdPiece *pieces, size_t n_pieces, EFI_HANDLE *ret_handle) {
        EFI_DEVICE_PATH_PROTOCOL *dp = (EFI_DEVICE_PATH_PROTOCOL *) &initrd_device_path;
        EFI_HANDLE h = NULL;
        EFI_STATUS err;

        /* An initrd device path that already exists belongs to a boot loader
         * that wants to provide its own; two would confuse the kernel. */
        if (BS->LocateDevicePath(&load_file2_guid, &dp, &h) == EFI_SUCCESS)
                return EFI_ALREADY_STARTED;

        InitrdLoader *l = xmalloc0(sizeof(InitrdLoader));
        if (!l)
                return EFI_OUT_OF_RESOURCES;
        l->load_file.LoadFile = initrd_load_file;
        for (size_t i = 0; i < n_pieces; i++) {
                if (pieces[i].size == 0)
                        continue;
                if (l->n_pieces >= INITRD_PIECES_MAX) {
                        free(l);
                        return EFI_OUT_OF_RESOURCES;
                }
                /* pad the previous piece; sizes are hostile (section sizes) */
                if (l->n_pieces > 0 && !ADD_OK(l->size, pad4(l->pieces[l->n_pieces - 1].size), &l->size)) {
                        free(l);
                        return EFI_OUT_OF_RESOURCES;
                }
                if (!ADD_OK(l->size, pieces[i].size, &l->size)) {
                        free(l);
                        return EFI_OUT_OF_RESOURCES;
                }
                l->pieces[l->n_pieces++] = pieces[i];
        }
        if (l->n_pieces == 0) {
                free(l);
                return EFI_NOT_FOUND;
        }

        h = NULL;
        err = BS->InstallMultipleProtocolInterfaces(&h, &device_path_guid, (void *) &initrd_device_path,
                                                    &load_file2_guid, l, NULL);
        if (err != EFI_SUCCESS) {
                free(l);
                return err;
        }
        *ret_handle = h;
        return EFI_SUCCESS;
}

EFI_STATUS initrd_unregister(EFI_HANDLE handle) {
        void *l = NULL;
        EFI_STATUS err;

        if (!handle)
                return EFI_SUCCESS;
        err = BS->HandleProtocol(handle, &load_file2_guid, &l);
        if (err != EFI_SUCCESS)
                return err;
        err = BS->UninstallMultipleProtocolInterfaces(handle, &device_path_guid, (void *) &initrd_device_path,
                                                      &load_file2_guid, l, NULL);
        if (err == EFI_SUCCESS)
                free(l);
        return err;
}
