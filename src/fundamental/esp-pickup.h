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

/* What ukit-stub picks up from the ESP, one row per measurement, in the
 * order it measures them: esp_pickups[]. The stub (src/stub/stub.c,
 * addons.c, extra.c) and the prediction (src/lib/pcr/esp-predict.c) both
 * loop over this table, so the PCR 12 and 13 values they arrive at cannot
 * disagree on the order. As current systemd-stub: the add-on command lines
 * (global "loader/addons" first, then "<uki>.extra.d", joined and measured
 * as one event), then the archives packed into the initrd: credentials,
 * global credentials, sysexts ("*.raw", compatible with systemd-stub 252,
 * which knows no confexts, minus "*.confext.raw"), confexts. All add-on
 * rows come before all archive rows (the stub has steps between the two). */
typedef enum EspPickupKind {
        ESP_PICKUP_ADDONS,                      /* PE add-ons the firmware loads (src/stub/addons.c) */
        ESP_PICKUP_ARCHIVE,                     /* files packed into one cpio (src/stub/extra.c) */
} EspPickupKind;

typedef enum EspPickupId {
        ESP_PICKUP_ADDON_CMDLINE,               /* .cmdline of *.addon.efi -> PCR 12 */
        ESP_PICKUP_CREDENTIALS,                 /* <uki>.extra.d: *.cred -> .extra/credentials, PCR 12 */
        ESP_PICKUP_GLOBAL_CREDENTIALS,          /* loader/credentials: *.cred -> .extra/global_credentials, PCR 12 */
        ESP_PICKUP_SYSEXTS,                     /* <uki>.extra.d: *.raw but *.confext.raw -> .extra/sysext, PCR 13 */
        ESP_PICKUP_CONFEXTS,                    /* <uki>.extra.d: *.confext.raw -> .extra/confext, PCR 12 */
        _ESP_PICKUP_MAX,
} EspPickupId;

/* A name is taken if it ends in suffix and not in exclude (NULL: no
 * exclusion). The directories: global_dir (relative to the ESP root, '/'
 * separated; NULL: none), then, if dropin, the UKI's "<uki>.extra.d". */
typedef struct EspPickup {
        EspPickupKind kind;
        const char *global_dir;
        bool dropin;
        const char *suffix;
        const char *exclude;
        const char *target;                     /* ARCHIVE: directory in the archive */
        uint32_t dir_mode, file_mode;           /* ARCHIVE: modes in the archive */
        unsigned pcr;
        uint32_t tag;                           /* EV_EVENT_TAG id, 0: an EV_IPL event */
        const char *description;               /* the event's; NULL: the measured string itself */
} EspPickup;

extern const EspPickup esp_pickups[_ESP_PICKUP_MAX];

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
