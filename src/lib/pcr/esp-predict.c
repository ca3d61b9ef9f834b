/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "chid.h"
#include "cpio.h"
#include "esp-pickup.h"
#include "esp-predict.h"
#include "fdt.h"
#include "fileio.h"
#include "hwids.h"
#include "pe-sections.h"
#include "smbios.h"

typedef char EspName[ESP_NAME_MAX + 1];

typedef struct Extender {
        PcrState *state;
        unsigned pcr;
        EspObserveFn observe;
        void *userdata;
} Extender;

static int extend(const Extender *e, const void *data, size_t n) {
        if (e->observe)
                e->observe(e->userdata, e->pcr, data, n);
        return pcr_state_extend_data(e->state, data, n);
}

static void freep_(void *p) {
        free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep_)

static char *path_join(const char *a, const char *b) {
        size_t la = strlen(a), lb = strlen(b);
        char *s = malloc(la + 1 + lb + 1);
        if (!s)
                return NULL;
        memcpy(s, a, la);
        s[la] = '/';
        memcpy(s + la + 1, b, lb + 1);
        return s;
}

static int fail_path(int r, const char *path, UkitError *err) {
        ukit_error(err, r, "%s", strerror(-r));
        return ukit_error_where(err, r, path, UKIT_ERROR_NO_OFFSET);
}

/* The regular files of dir whose names the stub takes for rule, sorted.
 * A missing directory is an empty one (the stub does the same). */
static int list_dir_into(const char *dir, const EspPickup *rule, size_t max, EspName *names, size_t *ret_n,
                         UkitError *err) {
        DIR *d = opendir(dir);
        struct dirent *de;
        size_t n = 0;

        *ret_n = 0;
        if (!d)
                return errno == ENOENT || errno == ENOTDIR ? 0 : fail_path(-errno, dir, err);
        while ((errno = 0, de = readdir(d))) {
                size_t len = strlen(de->d_name);
                struct stat st;
                if (!esp_pickup_name_ok(rule, de->d_name, len))
                        continue;
                _cleanup_free_ char *p = path_join(dir, de->d_name);
                if (!p) {
                        closedir(d);
                        return -ENOMEM;
                }
                if (stat(p, &st) < 0 || !S_ISREG(st.st_mode))
                        continue;
                if (n >= max) {
                        closedir(d);
                        return fail_path(-E2BIG, dir, err);
                }
                memcpy(names[n++], de->d_name, len + 1);
        }
        int r = errno ? -errno : 0;
        closedir(d);
        if (r < 0)
                return fail_path(r, dir, err);
        esp_sort_names(names, n);
        *ret_n = n;
        return 0;
}

/* The same into *ret_names, an array of max names (freed by the caller). */
static int list_dir(const char *dir, const EspPickup *rule, size_t max, EspName **ret_names, size_t *ret_n,
                    UkitError *err) {
        *ret_names = calloc(max, sizeof(EspName));
        if (!*ret_names)
                return -ENOMEM;
        return list_dir_into(dir, rule, max, *ret_names, ret_n, err);
}

/* The files read for one archive (pack_dir()). */
typedef char *FileData[ESP_FILES_MAX];

static void file_data_free(FileData *d) {
        for (size_t i = 0; i < ESP_FILES_MAX; i++)
                free((*d)[i]);
}

/* The archive extra_pack() in src/stub/extra.c builds for dir, extended
 * into s; nothing when no file matches. Files over the size limit are
 * skipped, as the stub skips files it cannot read. */
static int pack_dir(const Extender *s, const char *dir, const EspPickup *pk, UkitError *err) {
        _cleanup_free_ EspName *names = NULL;
        _cleanup_(file_data_free) FileData data = {};
        size_t sizes[ESP_FILES_MAX] = {}, n, m = 0;
        int r;

        r = list_dir(dir, pk, ESP_FILES_MAX, &names, &n, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *p = path_join(dir, names[i]);
                if (!p)
                        return -ENOMEM;
                struct stat st;
                if (stat(p, &st) == 0 && (uint64_t) st.st_size > ESP_FILE_SIZE_MAX)
                        continue;       /* the stub refuses to read it */
                r = read_input_full(p, ESP_FILE_SIZE_MAX, &data[m], &sizes[m]);
                if (r == -EFBIG)
                        continue;
                if (r < 0)
                        return fail_path(r, p, err);
                if (m != i)
                        memcpy(names[m], names[i], sizeof(EspName));
                m++;
        }
        if (m == 0)
                return 0;

        CpioWriter w;
        _cleanup_free_ uint8_t *buf = NULL;
        size_t total = 0;
        for (int pass = 0; pass < 2; pass++) {
                cpio_writer_init(&w, buf, total);
                cpio_put_dirs(&w, pk->target, pk->dir_mode);
                for (size_t i = 0; i < m; i++)
                        cpio_put_file(&w, pk->target, names[i], data[i], sizes[i], pk->file_mode);
                cpio_put_trailer(&w);
                if (pass == 0) {
                        total = cpio_writer_finish(&w);
                        if (total == 0)
                                return fail_path(-EINVAL, dir, err);
                        buf = malloc(total);
                        if (!buf)
                                return -ENOMEM;
                }
        }
        return cpio_writer_finish(&w) == total ? extend(s, buf, total) : -EINVAL;
}

/* The add-ons' .dtb, .initrd and .ucode as the stub keeps them (VirtualSize
 * bytes, zero past the raw data), in load order. */
typedef struct Blob {
        uint8_t *data;
        size_t size;
} Blob;
#define BLOBS_MAX (2u * ESP_ADDONS_MAX)
typedef struct AddonBlobs {
        Blob dtb[BLOBS_MAX], initrd[BLOBS_MAX], ucode[BLOBS_MAX];
        size_t n_dtb, n_initrd, n_ucode;
        const char *uname;                      /* the UKI's .uname, NULL: none */
        size_t uname_len;
        const EspMachine *machine;
} AddonBlobs;

static void blobs_free(AddonBlobs *b) {
        for (size_t i = 0; i < b->n_dtb; i++)
                free(b->dtb[i].data);
        for (size_t i = 0; i < b->n_initrd; i++)
                free(b->initrd[i].data);
        for (size_t i = 0; i < b->n_ucode; i++)
                free(b->ucode[i].data);
}

/* Section r of the file img[0..size) as it is in memory: VirtualSize bytes. */
static uint8_t *section_bytes(const char *img, size_t size, const PeSectionRef *r) {
        uint8_t *d = calloc(1, r->size ? r->size : 1);
        if (!d)
                return NULL;
        if (r->file_offset < size)
                memcpy(d, img + r->file_offset, MIN(MIN(r->size, r->raw_size), size - r->file_offset));
        return d;
}

static int keep_blob(Blob *list, size_t *n, const char *img, size_t size, const PeSectionRef *r) {
        if (!r->present || r->size == 0 || *n >= BLOBS_MAX)
                return 0;
        uint8_t *d = section_bytes(img, size, r);
        if (!d)
                return -ENOMEM;
        list[(*n)++] = (Blob) { d, r->size };
        return 0;
}

static bool uname_differs(const char *img, size_t size, const PeSectionRef *r, const AddonBlobs *b) {
        if (!b->uname || !r->present)
                return false;
        _cleanup_free_ uint8_t *d = section_bytes(img, size, r);
        if (!d)
                return true;
        size_t n = strnlen((const char *) d, r->size);
        return n != b->uname_len || memcmp(d, b->uname, n) != 0;
}

static bool pick_compatible(const uint8_t *data, size_t size, void *userdata) {
        const char *want = userdata, *c = fdt_root_compatible(data, size);
        return want && c && strcmp(c, want) == 0;
}

/* The add-on's .dtbauto the stub picks on machine m (dtbauto.c, no firmware
 * devicetree): the entry of the machine's CHIDs in the add-on's .hwids
 * gives the `compatible`; none matching clears sections[.dtbauto]. */
static int pick_dtbauto(const char *img, size_t size, PeSectionRef *sections, const EspMachine *m, const char *path,
                        UkitError *err) {
        if (!sections[UKI_SECTION_DTBAUTO].present)
                return 0;
        if (!m || !m->smbios_table)
                return fail_path(-ENOMEDIUM, path, err);
        SmbiosFields f;
        ChidString cs[_CHID_FIELDS_MAX];
        Chid chids[CHID_TYPES];
        HwidsEntry e;
        const char *want = NULL;
        smbios_fields_get(m->smbios_table, m->smbios_table_size, &f);
        chid_fields_stub(&f, cs);
        chid_calculate(cs, chids);
        const PeSectionRef *h = &sections[UKI_SECTION_HWIDS];
        _cleanup_free_ uint8_t *hw = h->present ? section_bytes(img, size, h) : NULL;
        if (h->present && !hw)
                return -ENOMEM;
        if (hw && hwids_match(hw, h->size, chids, HWIDS_TYPE_DEVICETREE, &e))
                want = e.compatible;
        PeSectionRef picked[_UKI_SECTION_MAX];
        if (pe_locate_uki_profile_pick(img, size, false, 0, picked, NULL, pick_compatible, (void *) want) !=
            PE_SECTIONS_OK)
                picked[UKI_SECTION_DTBAUTO] = (PeSectionRef) {};
        sections[UKI_SECTION_DTBAUTO] = picked[UKI_SECTION_DTBAUTO];
        return 0;
}

/* Appends the .cmdline of the add-ons in dir to buf and keeps their
 * .dtb/.initrd/.ucode, as addons.c does with the images the firmware
 * loaded. */
static int addons_dir(const char *dir, const EspPickup *pk, char *buf, size_t *len, AddonBlobs *blobs,
                      UkitError *err) {
        _cleanup_free_ EspName *names = NULL;
        size_t n;
        int r;

        r = list_dir(dir, pk, ESP_ADDONS_MAX, &names, &n, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *p = path_join(dir, names[i]), *img = NULL;
                PeSectionRef sections[_UKI_SECTION_MAX];
                size_t size;
                if (!p)
                        return -ENOMEM;
                r = read_input_full(p, ESP_FILE_SIZE_MAX, &img, &size);
                if (r < 0)
                        return fail_path(r, p, err);
                /* what the stub skips: not a PE it accepts, nothing usable, a
                 * UKI, another .uname */
                const PeSectionRef *sec = sections;
                if (pe_locate_uki_sections(img, size, false, sections) != PE_SECTIONS_OK)
                        continue;
                if ((r = pick_dtbauto(img, size, sections, blobs->machine, p, err)) < 0)
                        return r;
                if ((!sec[UKI_SECTION_CMDLINE].present && !sec[UKI_SECTION_DTB].present &&
                     !sec[UKI_SECTION_DTBAUTO].present && !sec[UKI_SECTION_INITRD].present &&
                     !sec[UKI_SECTION_UCODE].present) ||
                    sec[UKI_SECTION_LINUX].present || uname_differs(img, size, &sec[UKI_SECTION_UNAME], blobs))
                        continue;
                const PeSectionRef *dt = &sec[sec[UKI_SECTION_DTBAUTO].present ? UKI_SECTION_DTBAUTO : UKI_SECTION_DTB];
                if ((r = keep_blob(blobs->dtb, &blobs->n_dtb, img, size, dt)) < 0 ||
                    (r = keep_blob(blobs->initrd, &blobs->n_initrd, img, size, &sec[UKI_SECTION_INITRD])) < 0 ||
                    (r = keep_blob(blobs->ucode, &blobs->n_ucode, img, size, &sec[UKI_SECTION_UCODE])) < 0)
                        return r;
                if (!sec[UKI_SECTION_CMDLINE].present)
                        continue;
                const PeSectionRef *c = &sections[UKI_SECTION_CMDLINE];
                /* in memory the section is VirtualSize bytes, zero past the
                 * raw data; the zeros end the string anyway */
                size_t have = MIN(c->size, c->raw_size);
                if (c->file_offset > size)
                        continue;
                have = MIN(have, size - c->file_offset);
                (void) esp_cmdline_append(buf, ESP_ADDONS_CMDLINE_MAX + 1, len, img + c->file_offset, have);
        }
        return 0;
}

/* One event of text (len ASCII bytes) in UTF-16LE with its NUL, as the
 * stub measures command lines; -EILSEQ for a byte that is not ASCII. */
static int extend_utf16(const Extender *s, const char *text, size_t len) {
        _cleanup_free_ uint8_t *u16 = malloc(2 * (len + 1));

        if (!u16)
                return -ENOMEM;
        for (size_t i = 0; i <= len; i++) {
                if ((unsigned char) text[i] >= 0x80)
                        return -EILSEQ;
                u16[2 * i] = (uint8_t) text[i];
                u16[2 * i + 1] = 0;
        }
        return extend(s, u16, 2 * (len + 1));
}

/* The SMBIOS `io.systemd.stub.kernel-cmdline-extra=` string: one event of
 * its UTF-16LE form with the NUL (smbios-cmdline.c); none when empty. */
static int smbios_extend(const Extender *s, const char *text, UkitError *err) {
        size_t len = strlen(text);
        if (len == 0)
                return 0;
        int r = extend_utf16(s, text, len);
        if (r == -EILSEQ)
                ukit_error(err, -EILSEQ, "non-ASCII SMBIOS command line");
        return r;
}

/* The directory of row pk to read: its global one under esp, or dropin. */
static char *pickup_dir(const EspPickup *pk, bool global, const char *esp, const char *dropin) {
        if (!global)
                return pk->dropin ? strdup(dropin) : NULL;
        return pk->global_dir ? path_join(esp, pk->global_dir) : NULL;
}

/* An add-on row: the joined command line of its directories (global first),
 * one event. */
static int addons_extend(const Extender *s, const EspPickup *pk, const char *esp, const char *dropin,
                         AddonBlobs *blobs, UkitError *err) {
        _cleanup_free_ char *buf = malloc(ESP_ADDONS_CMDLINE_MAX + 1);
        size_t len = 0;
        int r;

        if (!buf)
                return -ENOMEM;
        buf[0] = 0;
        for (int global = 1; global >= 0; global--) {
                if (!(global ? pk->global_dir != NULL : pk->dropin))
                        continue;
                _cleanup_free_ char *dir = pickup_dir(pk, global, esp, dropin);
                if (!dir)
                        return -ENOMEM;
                r = addons_dir(dir, pk, buf, &len, blobs, err);
                if (r < 0)
                        return r;
        }
        if (len == 0)
                return 0;
        r = extend_utf16(s, buf, len);
        return r == -EILSEQ ? fail_path(-EILSEQ, dropin, err) : r;
}

int esp_predict_observe(const char *esp, const char *uki, const EspMachine *machine, unsigned banks,
                        PcrState *ret_pcr12, PcrState *ret_pcr13, UkitError *err, EspObserveFn observe,
                        void *userdata) {
        char esp_real[PATH_MAX], uki_real[PATH_MAX];
        PcrState s12, s13;
        size_t el;
        int r;

        if (!realpath(esp, esp_real))
                return fail_path(-errno, esp, err);
        if (!realpath(uki, uki_real))
                return fail_path(-errno, uki, err);
        el = strlen(esp_real);
        if (strncmp(uki_real, esp_real, el) != 0 || (uki_real[el] != '/' && el > 1))
                return fail_path(-EXDEV, uki, err);        /* not on this ESP */
        _cleanup_free_ char *dropin = malloc(strlen(uki_real) + sizeof(".extra.d"));
        if (!dropin)
                return -ENOMEM;
        strcpy(stpcpy(dropin, uki_real), ".extra.d");

        /* the UKI's .uname: add-ons with another one are skipped */
        _cleanup_free_ char *img = NULL;
        size_t img_size;
        PeSectionRef us[_UKI_SECTION_MAX];
        _cleanup_free_ uint8_t *uname = NULL;
        r = read_input_full(uki_real, SIZE_MAX / 2, &img, &img_size);
        if (r < 0)
                return fail_path(r, uki, err);
        _cleanup_(blobs_free) AddonBlobs blobs = { .machine = machine };
        if (pe_locate_uki_sections(img, img_size, false, us) == PE_SECTIONS_OK && us[UKI_SECTION_UNAME].present) {
                uname = section_bytes(img, img_size, &us[UKI_SECTION_UNAME]);
                if (!uname)
                        return -ENOMEM;
                blobs.uname = (const char *) uname;
                blobs.uname_len = strnlen(blobs.uname, us[UKI_SECTION_UNAME].size);
        }

        pcr_state_init(&s12, banks);
        pcr_state_init(&s13, banks);
        const Extender e12 = { &s12, TPM2_PCR_KERNEL_CONFIG, observe, userdata },
                      e13 = { &s13, TPM2_PCR_SYSEXTS, observe, userdata };
        /* the stub's order: the table's; each row names its PCR */
        for (size_t i = 0; i < _ESP_PICKUP_MAX; i++) {
                const EspPickup *pk = &esp_pickups[i];
                const Extender *e = pk->pcr == TPM2_PCR_SYSEXTS ? &e13 : &e12;
                if (pk->kind == ESP_PICKUP_ADDONS) {
                        r = addons_extend(e, pk, esp_real, dropin, &blobs, err);
                        /* then the SMBIOS command line, then the add-on devicetrees */
                        if (r >= 0 && machine && machine->smbios_cmdline)
                                r = smbios_extend(&e12, machine->smbios_cmdline, err);
                        for (size_t k = 0; r >= 0 && k < blobs.n_dtb; k++)
                                r = extend(&e12, blobs.dtb[k].data, blobs.dtb[k].size);
                } else {
                        _cleanup_free_ char *dir = pickup_dir(pk, pk->global_dir != NULL, esp_real, dropin);
                        r = dir ? pack_dir(e, dir, pk, err) : -ENOMEM;
                }
                if (r < 0)
                        return r;
        }
        /* after the archives: microcode add-ons (last first), initrd add-ons */
        for (size_t k = blobs.n_ucode; k > 0; k--)
                if ((r = extend(&e12, blobs.ucode[k - 1].data, blobs.ucode[k - 1].size)) < 0)
                        return r;
        for (size_t k = 0; k < blobs.n_initrd; k++)
                if ((r = extend(&e12, blobs.initrd[k].data, blobs.initrd[k].size)) < 0)
                        return r;
        *ret_pcr12 = s12;
        *ret_pcr13 = s13;
        return 0;
}

int esp_predict(const char *esp, const char *uki, const EspMachine *machine, unsigned banks, PcrState *ret_pcr12,
                PcrState *ret_pcr13, UkitError *err) {
        return esp_predict_observe(esp, uki, machine, banks, ret_pcr12, ret_pcr13, err, NULL, NULL);
}
