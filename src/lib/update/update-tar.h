/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Unpacking a tar source (Type=tar, any compression libarchive reads) into
 * a new directory target. Entries that are absolute, contain "..", or
 * would be written through a symlink are refused (libarchive's secure
 * extraction, relative to the destination); owners, modes and timestamps
 * are kept as in the archive. digest gets the SHA-256 of the whole
 * archive file as read (what SHA256SUMS lists). */

#include <stdint.h>

#include "error.h"

int update_tar_extract(int in_fd, const char *dest_dir, uint8_t digest[32], UkitError *err);
