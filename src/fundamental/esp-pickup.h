/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Rules for what ukit-stub picks up from the ESP, shared by the stub
 * (src/stub/addons.c) and the host prediction (src/lib/pcr/esp-predict.c), so
 * that `ukit measure calculate --esp` cannot drift from what the stub
 * measures. Freestanding.
 *
 * The name rules are those of the credential/sysext pick-up in
 * src/stub/extra.c (systemd-stub's): ASCII names (0x20..0x7e, no '/'), not
 * starting with '.', at most ESP_NAME_MAX bytes, ending in the suffix
 * (ASCII case-insensitive), sorted by plain byte comparison. */

#include "macro.h"
#include "tpm2-pcr.h"

#define ESP_NAME_MAX 255u                       /* Linux NAME_MAX, as extra.c */
#define ESP_FILES_MAX 64u                       /* per directory, as extra.c */
#define ESP_FILE_SIZE_MAX (256u * 1024u * 1024u) /* per picked-up file, as extra.c */
#define ESP_ADDONS_MAX 32u                      /* add-ons per directory */
#define ESP_ADDON_CMDLINE_MAX 4096u             /* bytes of one add-on's .cmdline used */
#define ESP_ADDONS_CMDLINE_MAX 16384u           /* bytes of all add-on command lines, joined */

#define ESP_ADDON_SUFFIX ".addon.efi"
#define ESP_ADDONS_GLOBAL_DIR "loader/addons"   /* relative to the ESP root */

/* One kind of file packed into a generated initrd (src/stub/extra.c,
 * src/lib/pcr/esp-predict.c). A name is taken if it ends in suffix and not in
 * exclude (NULL: no exclusion). As current systemd-stub: sysexts are "*.raw"
 * (compatible with systemd-stub 252, which knows no confexts) minus
 * "*.confext.raw", which are the confexts, measured into PCR 12 after the
 * credentials. Stub and prediction both pack in this order:
 * credentials, global credentials, sysexts, confexts. */
typedef struct EspPickup {
        const char *suffix;
        const char *exclude;
        const char *target;                     /* directory in the archive */
        uint32_t dir_mode, file_mode;
        unsigned pcr;
} EspPickup;

/* <uki>.extra.d: *.cred -> .extra/credentials (PCR 12) */
extern const EspPickup esp_pickup_credentials;
/* loader/credentials: *.cred -> .extra/global_credentials (PCR 12) */
extern const EspPickup esp_pickup_global_credentials;
/* <uki>.extra.d: *.raw except *.confext.raw -> .extra/sysext (PCR 13) */
extern const EspPickup esp_pickup_sysext;
/* <uki>.extra.d: *.confext.raw -> .extra/confext (PCR 12) */
extern const EspPickup esp_pickup_confext;

/* True if name[0..len) is a name the stub packs for p. */
bool esp_pickup_name_ok(const EspPickup *p, const char *name, size_t len);

/* True if name[0..len) is a name the stub picks up for suffix. */
bool esp_name_ok(const char *name, size_t len, const char *suffix);

/* Byte-wise comparison of NUL-terminated names (the sort order). */
int esp_name_cmp(const char *a, const char *b);

/* Sorts n fixed-size name slots in place (insertion sort: n is small and
 * the order is measured, so it must be the same on both sides). */
void esp_sort_names(char (*names)[ESP_NAME_MAX + 1], size_t n);

/* Appends one add-on's .cmdline (n bytes, up to the first NUL) to the joined
 * command line buf (capacity bufsz, current length *len, kept
 * NUL-terminated), the way systemd-stub mangles stub command lines: control
 * characters become spaces, trailing spaces go; an empty result adds
 * nothing; pieces are separated by one space. Input past
 * ESP_ADDON_CMDLINE_MAX is ignored. Returns false (buf unchanged) if the
 * result would not fit. */
bool esp_cmdline_append(char *buf, size_t bufsz, size_t *len, const char *piece, size_t n);
