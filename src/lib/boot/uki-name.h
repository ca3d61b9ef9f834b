/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* File names of installed UKIs (Boot Loader Specification Type #2 entries in
 * $BOOT/EFI/Linux/) and the inputs they are made of:
 *
 *   <entry-token>-<kernel-version>.efi
 *   <entry-token>-<kernel-version>+<tries-left>.efi             (new, counting)
 *   <entry-token>-<kernel-version>+<tries-left>-<tries-done>.efi (after boots)
 *
 * The "+LEFT[-DONE]" suffix is systemd-boot's boot-counting protocol: the boot
 * loader renames the file on every attempt, systemd-bless-boot drops the
 * suffix once the boot was good. kernel-install writes "+N" when
 * /etc/kernel/tries contains N.
 *
 * Everything here is pure string handling except the *_read() helpers, which
 * read small configuration files. Returns -errno; never prints. */

#include <stdbool.h>
#include <stddef.h>

/* The file names end up on a FAT file system: 255 UCS-2 characters at most.
 * Keep the pieces well below that. */
#define UKI_ENTRY_TOKEN_MAX     64u
#define UKI_VERSION_MAX         128u
#define UKI_TRIES_MAX           999999u   /* more than any sane boot counter */
#define UKI_TRIES_FILE_MAX      64u       /* bytes read from /etc/kernel/tries */

/* Entry token: a short identifier of the installation (machine ID, os-release
 * ID/IMAGE_ID, or a literal). Valid: 1..UKI_ENTRY_TOKEN_MAX characters of
 * [A-Za-z0-9._-], not starting with '.' or '-' (hidden files / option-like
 * names), and not "." or "..". */
bool uki_entry_token_valid(const char *s);

/* Kernel version (uname -r): 1..UKI_VERSION_MAX printable ASCII characters,
 * no '/', no whitespace, no characters FAT cannot store (\ : * ? " < > |),
 * not starting with '.', and not ending in something a boot loader would
 * take for a boot counter ("+3", "+3-1"): "6.8.0-rc1+" is fine. */
bool uki_version_valid(const char *s);

/* Compose the file name. tries < 0: no boot counting. -EINVAL on an invalid
 * token/version or tries > UKI_TRIES_MAX, -ENOMEM. */
int uki_name_format(const char *token, const char *version, int tries, char **ret);

typedef struct UkiName {
        char *stem;             /* file name without "+..." and ".efi" */
        int tries_left;         /* -1 if no boot counter */
        int tries_done;         /* -1 if no "-DONE" part */
} UkiName;

#define UKI_NAME_INIT { .stem = NULL, .tries_left = -1, .tries_done = -1 }

/* Split an installed file name ("tok-6.1.0+3-1.efi"). The ".efi" suffix is
 * matched case-insensitively (FAT is case-insensitive; bootctl does the same).
 * A "+..." suffix that is not a well-formed counter stays part of the stem,
 * as systemd-boot treats it. -EINVAL if the name does not end in .efi or is
 * empty/hidden, -ENOMEM. */
int uki_name_parse(const char *filename, UkiName *ret);
void uki_name_done(UkiName *n);

/* Whether filename is the UKI of token+version, with or without a boot
 * counter: exactly what "remove" deletes. */
bool uki_name_matches(const char *filename, const char *token, const char *version);

/* Parse the content of a tries file: decimal digits, optional surrounding
 * whitespace/newline, 0..UKI_TRIES_MAX. -EINVAL otherwise. */
int uki_tries_parse(const char *text, size_t n, unsigned *ret);

/* Read a tries file. -ENOENT if it does not exist (no boot counting). */
int uki_tries_read(const char *path, unsigned *ret);

/* Resolve an entry-token spec as bootctl/kernel-install understand it:
 *   "machine-id"      the machine ID (machine_id argument)
 *   "os-id"           ID= of the os-release text
 *   "os-image-id"     IMAGE_ID= of the os-release text
 *   "literal:STRING"  STRING
 *   "auto" or NULL    entry_token_file content if given and non-empty,
 *                     else machine ID, else IMAGE_ID=, else ID=
 * Inputs may be NULL when unavailable. The result is validated with
 * uki_entry_token_valid(). -ENXIO when the requested source is unavailable,
 * -EINVAL for an unknown spec or an invalid result. */
int uki_entry_token_resolve(const char *spec,
                            const char *entry_token_file, /* content, or NULL */
                            const char *machine_id,       /* or NULL */
                            const char *os_release, size_t os_release_size, /* or NULL, 0 */
                            char **ret);

/* A machine ID is 32 lowercase hex characters (machine-id(5)); the file may
 * end in a newline. Copies it into buf (33 bytes). -EINVAL otherwise. */
int uki_machine_id_parse(const char *text, size_t n, char buf[static 33]);
