/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "efi.h"

typedef struct InitrdPiece {
        const void *data;
        size_t size;
} InitrdPiece;

#define INITRD_PIECES_MAX 16u

/* Publishes the concatenation of pieces (each but the last zero-padded to a
 * multiple of 4 bytes, where the kernel's cpio reader expects the next
 * archive) as the initrd through EFI_LOAD_FILE2_PROTOCOL on the
 * LINUX_EFI_INITRD_MEDIA vendor device path, where the Linux EFI stub asks
 * for it. Empty pieces are skipped. The buffers must stay valid until the
 * kernel has read them; nothing is copied until then. Fails with
 * EFI_ALREADY_STARTED if someone else (a boot loader) already registered an
 * initrd, EFI_NOT_FOUND if all pieces are empty. *ret_handle is for
 * initrd_unregister(). */
EFI_STATUS initrd_register(const InitrdPiece *pieces, size_t n_pieces, EFI_HANDLE *ret_handle);
EFI_STATUS initrd_unregister(EFI_HANDLE handle);
