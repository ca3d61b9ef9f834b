/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Detect the kernel release ("uname -r") from a kernel image, in this order:
 *   1. x86 boot protocol: "HdrS" at 0x202, protocol >= 2.00, the
 *      kernel_version pointer at 0x20e (+0x200) -> NUL-terminated string,
 *      first word ("6.1.0-57-amd64 (debian-kernel@...) #1 SMP ...");
 *   2. an ELF image (vmlinux): a SHT_NOTE/PT_NOTE note with owner "Linux"
 *      and type 0x100 (LINUX_ELFNOTE_BUILD_SALT, which distributions set to
 *      the release; readelf shows it as "OPEN"), the note ukify reads;
 *   3. a scan of the (uncompressed) image for "Linux version " followed by
 *      the release.
 * The result is validated: 1..UNAME_MAX printable non-blank ASCII bytes,
 * starting with a digit. Returns 0 with a malloc()ed string, -ENOENT when
 * nothing was found, other -errno on I/O errors. img may be NULL; it is
 * not needed (an EFI-stub x86 kernel carries the boot header too) and kept
 * in the signature for callers that have it. Compressed payloads (arm64
 * Image.gz, EFI zboot) are not decompressed, so only method 1 or an
 * uncompressed banner finds their release. */

#include "pe.h"

#define UNAME_MAX 256u
#define UNAME_SCAN_MAX (256u * 1024u * 1024u) /* bytes scanned by method 3 */

int uname_from_kernel(int fd, const PeImage *img_or_NULL, char **ret);

/* The same on a buffer (tests, fuzzers). */
int uname_from_buffer(const void *data, size_t size, char **ret);

/* Whether s looks like a kernel release string. */
bool uname_valid(const char *s, size_t n);
