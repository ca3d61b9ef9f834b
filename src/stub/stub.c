/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ukit-stub: the UEFI entry point. Finds the UKI sections in its own loaded
 * image, measures them, exports the Boot Loader Interface variables, and
 * boots the embedded kernel with its command line and initrd. */

#include "addons.h"
#include "cpio.h"
#include "efi.h"
#include "esp-pickup.h"
#include "identity.h"
#include "initrd.h"
#include "linux.h"
#include "measure.h"
#include "pe-sections.h"
#include "proto/device-path.h"
#include "proto/loaded-image.h"
#include "proto/shell-parameters.h"
#include "stub.h"
#include "uki.h"
#include "util.h"

UKI_STUB_IDENTITY("ukit-stub");

/* StubFeatures bits (systemd's efivars-fundamental.h). */
#define STUB_FEATURE_REPORT_BOOT_PARTITION (UINT64_C(1) << 0)
#define STUB_FEATURE_PICK_UP_CREDENTIALS   (UINT64_C(1) << 1)
#define STUB_FEATURE_PICK_UP_SYSEXTS       (UINT64_C(1) << 2)
#define STUB_FEATURE_PICK_UP_CONFEXTS      (UINT64_C(1) << 8)
#define STUB_FEATURE_THREE_PCRS            (UINT64_C(1) << 3)
#define STUB_FEATURE_RANDOM_SEED           (UINT64_C(1) << 4)
#define STUB_FEATURE_CMDLINE_ADDONS        (UINT64_C(1) << 5)
#define STUB_FEATURE_CMDLINE_SMBIOS        (UINT64_C(1) << 6)
#define STUB_FEATURE_DEVICETREE_ADDONS     (UINT64_C(1) << 7)
#define STUB_FEATURE_MULTI_PROFILE_UKI     (UINT64_C(1) << 9)
#define STUB_FEATURE_REPORT_STUB_PARTITION (UINT64_C(1) << 10)

static const EFI_GUID loader_guid = LOADER_VARIABLE_GUID;

static void u32_to_str16(uint32_t v, CHAR16 *buf, size_t min_digits) {
        CHAR16 tmp[11];
        size_t n = 0;
        do {
                tmp[n++] = (CHAR16) (L'0' + v % 10);
                v /= 10;
        } while (v);
        while (n < min_digits && n < ELEMENTSOF(tmp))
                tmp[n++] = L'0';
        for (size_t i = 0; i < n; i++)
                buf[i] = tmp[n - 1 - i];
        buf[n] = 0;
}

/* "PREFIX MAJOR.MM" for the revision words of the spec (major << 16 | minor). */
static CHAR16 *revision_string(const CHAR16 *prefix, uint32_t rev) {
        size_t plen = strlen16(prefix);
        CHAR16 *s = xmalloc((plen + 1 + 11 + 1 + 11 + 1) * sizeof(CHAR16));
        if (!s)
                return NULL;
        memcpy(s, prefix, plen * sizeof(CHAR16));
        s[plen] = L' ';
        u32_to_str16(rev >> 16, s + plen + 1, 1);
        size_t n = strlen16(s);
        s[n] = L'.';
        u32_to_str16(rev & 0xffff, s + n + 1, 2);
        return s;
}

static bool partition_uuid(EFI_HANDLE device, CHAR16 buf[37]) {
        static const EFI_GUID dp_guid = EFI_DEVICE_PATH_PROTOCOL_GUID;
        EFI_DEVICE_PATH_PROTOCOL *dp;

        if (!device || BS->HandleProtocol(device, &dp_guid, (void **) &dp) != EFI_SUCCESS || !dp)
                return false;
        /* The firmware built this path; still, stop on malformed lengths. */
        for (size_t steps = 0; dp->Type != DEVICE_PATH_TYPE_END && steps < 64; steps++) {
                size_t len = device_path_node_len(dp);
                if (len < sizeof(EFI_DEVICE_PATH_PROTOCOL))
                        return false;
                if (dp->Type == DEVICE_PATH_TYPE_MEDIA && dp->SubType == DEVICE_PATH_SUBTYPE_MEDIA_HD &&
                    len >= sizeof(HARDDRIVE_DEVICE_PATH)) {
                        const HARDDRIVE_DEVICE_PATH *hd = (const HARDDRIVE_DEVICE_PATH *) dp;
                        if (hd->SignatureType != HD_SIGNATURE_TYPE_GUID)
                                return false;
                        guid_to_str16(hd->Signature, buf);
                        return true;
                }
                dp = (EFI_DEVICE_PATH_PROTOCOL *) ((uint8_t *) dp + len);
        }
        return false;
}

/* The file path of our image as "\\EFI\\BOOT\\BOOTX64.EFI": the text of the
 * media file-path nodes of the loaded image's FilePath, concatenated. */
static CHAR16 *image_identifier(const EFI_DEVICE_PATH_PROTOCOL *dp) {
        size_t total = 0, steps;
        const EFI_DEVICE_PATH_PROTOCOL *n;

        if (!dp)
                return NULL;
        for (n = dp, steps = 0; n->Type != DEVICE_PATH_TYPE_END && steps < 64; steps++) {
                size_t len = device_path_node_len(n);
                if (len < sizeof(EFI_DEVICE_PATH_PROTOCOL))
                        return NULL;
                if (n->Type == DEVICE_PATH_TYPE_MEDIA && n->SubType == DEVICE_PATH_SUBTYPE_MEDIA_FILEPATH)
                        total += (len - sizeof(EFI_DEVICE_PATH_PROTOCOL)) / sizeof(CHAR16);
                n = (const EFI_DEVICE_PATH_PROTOCOL *) ((const uint8_t *) n + len);
        }
        if (total == 0)
                return NULL;
        CHAR16 *s = xmalloc((total + 1) * sizeof(CHAR16)), *p = s;
        if (!s)
                return NULL;
        for (n = dp, steps = 0; n->Type != DEVICE_PATH_TYPE_END && steps < 64; steps++) {
                size_t len = device_path_node_len(n);
                if (n->Type == DEVICE_PATH_TYPE_MEDIA && n->SubType == DEVICE_PATH_SUBTYPE_MEDIA_FILEPATH) {
                        /* the node's string may or may not carry its NUL */
                        const CHAR16 *str = (const CHAR16 *) ((const uint8_t *) n + sizeof(EFI_DEVICE_PATH_PROTOCOL));
                        for (size_t i = 0; i < (len - sizeof(EFI_DEVICE_PATH_PROTOCOL)) / sizeof(CHAR16) && str[i]; i++)
                                *p++ = str[i];
                }
                n = (const EFI_DEVICE_PATH_PROTOCOL *) ((const uint8_t *) n + len);
        }
        *p = 0;
        return s;
}

/* StubPcr*: the PCR a kind of measurement went to, in decimal. */
static void export_pcr(const CHAR16 *name, uint32_t pcr) {
        CHAR16 number[11];

        u32_to_str16(pcr, number, 1);
        (void) efivar_set_str16(&loader_guid, name, number);
}

static void export_variables(EFI_LOADED_IMAGE_PROTOCOL *li, uint64_t features, uint32_t profile) {
        CHAR16 uuid[37], number[11];

        (void) efivar_set_str16(&loader_guid, L"StubInfo", L"ukit-stub " UKIT_VERSION_L);
        (void) efivar_set_uint64_le(&loader_guid, L"StubFeatures", features);
        u32_to_str16(profile, number, 1);
        (void) efivar_set_str16(&loader_guid, L"StubProfile", number);

        /* Where the stub itself was loaded from (systemd 257), whatever a
         * boot loader says about its own partition in the Loader* ones. */
        bool have_uuid = partition_uuid(li->DeviceHandle, uuid);
        if (have_uuid)
                (void) efivar_set_str16(&loader_guid, L"StubDevicePartUUID", uuid);
        _cleanup_free_ CHAR16 *ident = image_identifier(li->FilePath);
        if (ident)
                (void) efivar_set_str16(&loader_guid, L"StubImageIdentifier", ident);

        /* The rest describes the boot; a boot loader that ran before us
         * knows better, so only fill in what it left unset. */
        if (have_uuid && !efivar_exists(&loader_guid, L"LoaderDevicePartUUID"))
                (void) efivar_set_str16(&loader_guid, L"LoaderDevicePartUUID", uuid);
        if (ident && !efivar_exists(&loader_guid, L"LoaderImageIdentifier"))
                (void) efivar_set_str16(&loader_guid, L"LoaderImageIdentifier", ident);
        if (!efivar_exists(&loader_guid, L"LoaderFirmwareInfo")) {
                _cleanup_free_ CHAR16 *s = revision_string(ST->FirmwareVendor ? ST->FirmwareVendor : L"unknown",
                                                           ST->FirmwareRevision);
                if (s)
                        (void) efivar_set_str16(&loader_guid, L"LoaderFirmwareInfo", s);
        }
        if (!efivar_exists(&loader_guid, L"LoaderFirmwareType")) {
                _cleanup_free_ CHAR16 *s = revision_string(L"UEFI", ST->Hdr.Revision);
                if (s)
                        (void) efivar_set_str16(&loader_guid, L"LoaderFirmwareType", s);
        }
}

/* PCR 11: for every section present (and not empty) that the shared rule set
 * uki_rules_current names, in enum order, the name with its NUL and then the
 * content (VirtualSize bytes). `ukit measure` predicts with the same rules.
 * Returns whether anything was measured. */
static bool measure_sections(const uint8_t *base, const PeSectionRef sections[_UKI_SECTION_MAX]) {
        bool any = false;

        for (int s = 0; s < _UKI_SECTION_MAX; s++) {
                if (!sections[s].present || sections[s].size == 0 ||
                    !uki_rules_measures(&uki_rules_current, (UkiSection) s))
                        continue;
                const char *name = uki_section_names[s];
                _cleanup_free_ CHAR16 *desc = utf8_to_utf16(name, strlen8(name));
                bool m1 = false, m2 = false;
                if (!desc)
                        return any;
                (void) measure_event(TPM2_PCR_KERNEL_BOOT, name, strlen8(name) + 1, desc, &m1);
                (void) measure_event(TPM2_PCR_KERNEL_BOOT, base + sections[s].rva, sections[s].size, desc, &m2);
                any = any || m1 || m2;
        }
        return any;
}

/* "@N" selects profile N (decimal, at most UINT32_MAX); *ret_tail is what
 * follows it, which must be the end or one space (dropped). */
static bool parse_profile(const CHAR16 *s, size_t n, uint32_t *ret_profile, size_t *ret_tail) {
        uint64_t v = 0;
        size_t i = 1;

        if (n < 2 || s[0] != L'@' || s[1] < L'0' || s[1] > L'9')
                return false;
        for (; i < n && s[i] >= L'0' && s[i] <= L'9'; i++) {
                v = v * 10 + (uint64_t) (s[i] - L'0');
                if (v > UINT32_MAX)
                        return false;
        }
        if (i < n && s[i] != 0 && s[i] != L' ')
                return false;
        *ret_profile = (uint32_t) v;
        *ret_tail = i < n && s[i] == L' ' ? i + 1 : i;
        return true;
}

static CHAR16 *str16_dup_n(const CHAR16 *s, size_t n) {
        size_t len = 0;
        while (len < n && s[len])
                len++;
        CHAR16 *d = xmalloc((len + 1) * sizeof(CHAR16));
        if (!d)
                return NULL;
        memcpy(d, s, len * sizeof(CHAR16));
        d[len] = 0;
        return d;
}

/* What the user passed, as systemd-stub 257 reads it: from the UEFI shell
 * its arguments after our own path (the first may be "@N"), otherwise the
 * load options (which may start with "@N" and one space). Shells and boot
 * managers pass "" or control characters when there is nothing to say; only
 * a printable first character counts. *ret_cmdline is NULL without one. */
static void process_arguments(EFI_HANDLE image, EFI_LOADED_IMAGE_PROTOCOL *li, uint32_t *ret_profile,
                              CHAR16 **ret_cmdline) {
        static const EFI_GUID shell_guid = EFI_SHELL_PARAMETERS_PROTOCOL_GUID;
        EFI_SHELL_PARAMETERS_PROTOCOL *shell = NULL;
        size_t tail = 0;

        *ret_profile = 0;
        *ret_cmdline = NULL;
        if (BS->HandleProtocol(image, &shell_guid, (void **) &shell) == EFI_SUCCESS && shell) {
                size_t first = 1, total = 0;
                if (shell->Argc <= 1 || !shell->Argv)
                        return;
                if (parse_profile(shell->Argv[1], strlen16(shell->Argv[1]), ret_profile, &tail) &&
                    shell->Argv[1][tail] == 0)
                        first = 2;
                for (size_t i = first; i < shell->Argc; i++)
                        total += strlen16(shell->Argv[i]) + 1;
                if (total == 0)
                        return;
                CHAR16 *c = xmalloc(total * sizeof(CHAR16)), *p = c;
                if (!c)
                        return;
                for (size_t i = first; i < shell->Argc; i++) {
                        size_t l = strlen16(shell->Argv[i]);
                        if (p != c)
                                *p++ = L' ';
                        memcpy(p, shell->Argv[i], l * sizeof(CHAR16));
                        p += l;
                }
                *p = 0;
                *ret_cmdline = c;
                return;
        }

        const CHAR16 *opts = li->LoadOptions;
        size_t n = li->LoadOptionsSize / sizeof(CHAR16);
        if (!opts || n == 0 || opts[0] <= 0x1f)
                return;
        if (parse_profile(opts, n, ret_profile, &tail)) {
                opts += tail;
                n -= tail;
        }
        if (n > 0 && opts[0] > 0x1f)
                *ret_cmdline = str16_dup_n(opts, n);
}

/* The command line: .cmdline, unless the user passed one and we may honour
 * it (Secure Boot off, or no .cmdline to protect and no confidential VM,
 * whose host could pass it: 257's rule). User options are measured into
 * PCR 12 so policies can tell. Takes user. */
static CHAR16 *pick_cmdline(CHAR16 *user, const uint8_t *base, const PeSectionRef *cmdline,
                            bool *ret_user_in_force, bool *ret_parameters_measured) {
        *ret_parameters_measured = false;
        *ret_user_in_force = user && (!secure_boot_enabled() || (!cmdline->present && !is_confidential_vm()));
        if (*ret_user_in_force) {
                (void) measure_event(TPM2_PCR_KERNEL_CONFIG, user, (strlen16(user) + 1) * sizeof(CHAR16), user,
                                     ret_parameters_measured);
                return user;
        }
        free(user);
        if (cmdline->present)
                return utf8_to_utf16((const char *) base + cmdline->rva, cmdline->size);
        return NULL;
}

/* A profile other than 0 is measured into PCR 12 before anything else, as
 * its decimal number in UTF-16 with the NUL, tagged UKI_PROFILE. */
static bool measure_profile(uint32_t profile) {
        CHAR16 number[11];
        bool m = false;

        if (profile == 0)
                return false;
        u32_to_str16(profile, number, 1);
        (void) measure_tagged_event(TPM2_PCR_KERNEL_CONFIG, EVENT_TAG_UKI_PROFILE, number,
                                    (strlen16(number) + 1) * sizeof(CHAR16), number, &m);
        return m;
}

/* A cpio with the section's content as /.extra/NAME (mode 0444 in a 0555
 * directory, as systemd-stub lays it out for systemd in the initrd). NULL
 * and size 0 when the section is absent or the archive cannot be made. */
static void *extra_cpio(const uint8_t *base, const PeSectionRef *s, const char *name, size_t *ret_size) {
        *ret_size = 0;
        if (!s->present || s->size == 0)
                return NULL;
        size_t n = cpio_archive_one(NULL, 0, ".extra", name, base + s->rva, s->size, 0555, 0444);
        void *buf = n ? xmalloc(n) : NULL;
        if (!buf) {
                log_error(EFI_OUT_OF_RESOURCES, L"cannot pass a section to the initrd as /.extra file");
                return NULL;
        }
        *ret_size = cpio_archive_one(buf, n, ".extra", name, base + s->rva, s->size, 0555, 0444);
        return buf;
}

/* "<path of this UKI>.extra.d", the per-image drop-in directory. */
static CHAR16 *dropin_dir(const EFI_DEVICE_PATH_PROTOCOL *file_path) {
        static const CHAR16 suffix[] = L".extra.d";
        _cleanup_free_ CHAR16 *path = image_identifier(file_path);
        if (!path)
                return NULL;
        size_t n = strlen16(path);
        CHAR16 *s = xmalloc((n + ELEMENTSOF(suffix)) * sizeof(CHAR16));
        if (!s)
                return NULL;
        memcpy(s, path, n * sizeof(CHAR16));
        memcpy(s + n, suffix, sizeof(suffix));
        return s;
}

/* The initrd, in systemd-stub 257's order: .ucode (the kernel takes early
 * microcode from the first archive that has it, uncompressed), .initrd, the
 * archives of the ESP pick-ups (esp_pickups[] order: credentials, global
 * credentials, sysexts, confexts), then archives of the PCR signature,
 * public key, os-release and profile (measured as sections already, or not
 * at all for the signature). */
enum {
        PIECE_UCODE_ADDONS,                     /* 257: add-ons' .ucode, last add-on first */
        PIECE_UCODE,
        PIECE_INITRD,
        PIECE_PICKUP,                           /* + EspPickupId, archive rows only */
        PIECE_PCRSIG = PIECE_PICKUP + _ESP_PICKUP_MAX,
        PIECE_PCRPKEY,
        PIECE_OSREL,
        PIECE_PROFILE,
        PIECE_INITRD_ADDONS,                    /* 257: add-ons' .initrd, last */
        _PIECE_MAX,
};

/* One boot, filled in step by step by efi_main(). */
typedef struct Boot {
        EFI_HANDLE image;
        EFI_LOADED_IMAGE_PROTOCOL *li;
        const uint8_t *base;                    /* our loaded image */
        PeSectionRef sections[_UKI_SECTION_MAX];
        uint32_t profile;
        CHAR16 *user_cmdline;                   /* what the user passed, until pick_cmdline takes it */
        CHAR16 *cmdline;                        /* the one the kernel gets */
        bool user_cmdline_in_force;
        CHAR16 *dropin;                         /* "<uki>.extra.d" or NULL */
        bool image_measured;                    /* PCR 11 */
        bool parameters_measured;               /* PCR 12: profile, command line, add-ons, credentials */
        bool pickup_measured[_ESP_PICKUP_MAX];
        AddonBlobs *addons;                     /* add-ons' .dtb/.initrd/.ucode */
        bool addon_blobs_measured;              /* PCR 12: their tagged events */
        InitrdPiece pieces[_PIECE_MAX];
        void *buffers[_PIECE_MAX];              /* the archives we made for pieces */
        EFI_HANDLE initrd_handle;
} Boot;

static void boot_done(Boot *b) {
        free(b->user_cmdline);
        free(b->cmdline);
        free(b->dropin);
        if (b->addons)
                addon_blobs_free(b->addons);
        free(b->addons);
        for (size_t i = 0; i < _PIECE_MAX; i++)
                free(b->buffers[i]);
}

/* The loaded image, the arguments and our own UKI sections. */
static EFI_STATUS boot_open(Boot *b) {
        static const EFI_GUID loaded_image_guid = EFI_LOADED_IMAGE_PROTOCOL_GUID;
        EFI_STATUS err;

        err = BS->HandleProtocol(b->image, &loaded_image_guid, (void **) &b->li);
        if (err != EFI_SUCCESS)
                return log_error(err, L"no loaded image protocol for the stub");
        process_arguments(b->image, b->li, &b->profile, &b->user_cmdline);

        int r = pe_locate_uki_profile(b->li->ImageBase, b->li->ImageSize, true, b->profile, b->sections, NULL);
        if (r < 0) {
                _cleanup_free_ CHAR16 *msg = utf8_to_utf16(pe_sections_error_string(r), 64);
                return log_error(EFI_LOAD_ERROR, msg ? msg : L"bad PE image");
        }
        if (!b->sections[UKI_SECTION_LINUX].present)
                return log_error(EFI_NOT_FOUND, L"image has no .linux section");
        dtbauto_select(b->li->ImageBase, b->li->ImageSize, b->profile, b->sections);
        b->base = b->li->ImageBase;
        return EFI_SUCCESS;
}

static void boot_export_variables(Boot *b) {
        uint64_t features = STUB_FEATURE_REPORT_BOOT_PARTITION | STUB_FEATURE_PICK_UP_CREDENTIALS |
                STUB_FEATURE_PICK_UP_SYSEXTS | STUB_FEATURE_PICK_UP_CONFEXTS | STUB_FEATURE_THREE_PCRS |
                STUB_FEATURE_MULTI_PROFILE_UKI | STUB_FEATURE_REPORT_STUB_PARTITION | STUB_FEATURE_CMDLINE_ADDONS |
                STUB_FEATURE_CMDLINE_SMBIOS | STUB_FEATURE_DEVICETREE_ADDONS | STUB_FEATURE_RANDOM_SEED;
        /* RANDOM_SEED says the stub can pass a seed, as 257 reports it
         * whether or not this boot had one to pass. */
        (void) random_seed_install(b->li);
        export_variables(b->li, features, b->profile);
}

static const PeSectionRef *boot_section(const Boot *b, UkiSection s) {
        return b->sections[s].present ? &b->sections[s] : NULL;
}

static void boot_splash(Boot *b) {
        const PeSectionRef *s = boot_section(b, UKI_SECTION_SPLASH);
        if (s)
                (void) splash_show(b->base + s->rva, s->size);
}

static void boot_cmdline(Boot *b) {
        bool m;

        b->cmdline = pick_cmdline(b->user_cmdline, b->base, &b->sections[UKI_SECTION_CMDLINE],
                                  &b->user_cmdline_in_force, &m);
        b->user_cmdline = NULL;
        b->parameters_measured = b->parameters_measured || m;
        if (b->image_measured)
                export_pcr(L"StubPcrKernelImage", TPM2_PCR_KERNEL_BOOT);
}

/* The selected .dtbauto (dtbauto.c), else .dtb. */
static void boot_devicetree(Boot *b) {
        const PeSectionRef *s = boot_section(b, UKI_SECTION_DTBAUTO);
        if (!s)
                s = boot_section(b, UKI_SECTION_DTB);
        if (s)
                (void) devicetree_install(b->base + s->rva, s->size);
}

/* The add-on rows of esp_pickups[] (add-on command lines, PCR 12); their
 * .dtb/.initrd/.ucode are kept for later steps. */
static void boot_addons(Boot *b) {
        const PeSectionRef *uname = boot_section(b, UKI_SECTION_UNAME);
        const char *u = uname ? (const char *) b->base + uname->rva : NULL;
        size_t ulen = 0;
        bool m;

        while (u && ulen < uname->size && u[ulen])
                ulen++;

        b->addons = xmalloc0(sizeof(AddonBlobs));
        for (size_t i = 0; i < _ESP_PICKUP_MAX; i++) {
                if (esp_pickups[i].kind != ESP_PICKUP_ADDONS)
                        continue;
                if (addons_apply(b->image, b->li, &esp_pickups[i], b->dropin, u, ulen, &b->cmdline, b->addons,
                                 &m) == EFI_SUCCESS)
                        b->pickup_measured[i] = m;
        }
}

/* The add-on devicetrees (PCR 12, tagged), after the SMBIOS command line. */
static void boot_addon_devicetrees(Boot *b) {
        bool m;

        if (!b->addons)
                return;
        addons_install_devicetrees(b->addons, &m);
        b->addon_blobs_measured = b->addon_blobs_measured || m;
}

static void addon_piece(Boot *b, unsigned piece, const AddonBlob *list, size_t n, bool reverse, uint32_t tag) {
        size_t size;
        bool m;

        b->buffers[piece] = addons_pack_initrd(list, n, reverse, tag, &size, &m);
        b->pieces[piece] = (InitrdPiece) { b->buffers[piece], size };
        b->addon_blobs_measured = b->addon_blobs_measured || m;
}

/* The add-ons' microcode (reversed: the kernel takes the first it finds)
 * and initrds as two initrd pieces, each add-on measured into PCR 12
 * tagged, in that order, as 257. */
static void boot_addon_pieces(Boot *b) {
        if (!b->addons)
                return;
        addon_piece(b, PIECE_UCODE_ADDONS, b->addons->ucode, b->addons->n_ucode, true, EVENT_TAG_UCODE_ADDON);
        addon_piece(b, PIECE_INITRD_ADDONS, b->addons->initrd, b->addons->n_initrd, false, EVENT_TAG_INITRD_ADDON);
}

/* SMBIOS type 11 io.systemd.stub.kernel-cmdline-extra= (PCR 12). */
static void boot_smbios_cmdline(Boot *b) {
        bool m;

        if (smbios_cmdline_append(&b->cmdline, &m) == EFI_SUCCESS)
                b->parameters_measured = b->parameters_measured || m;
}

/* The archive rows of esp_pickups[] (credentials, sysexts, confexts). */
static void boot_pickup_archives(Boot *b) {
        for (size_t i = 0; i < _ESP_PICKUP_MAX; i++) {
                InitrdPiece *piece = &b->pieces[PIECE_PICKUP + i];
                void **buf = &b->buffers[PIECE_PICKUP + i];
                size_t size;
                bool m;
                if (esp_pickups[i].kind != ESP_PICKUP_ARCHIVE)
                        continue;
                if (extra_pack(b->li, &esp_pickups[i], b->dropin, buf, &size, &m) == EFI_SUCCESS) {
                        *piece = (InitrdPiece) { *buf, size };
                        b->pickup_measured[i] = m;
                }
        }
}

/* The initrd pieces that are our own sections: as they are, or as a
 * /.extra file. */
static void boot_section_pieces(Boot *b) {
        static const struct {
                unsigned piece;
                UkiSection section;
                const char *extra_name;         /* NULL: the section itself */
        } map[] = {
                { PIECE_UCODE,   UKI_SECTION_UCODE,   NULL },
                { PIECE_INITRD,  UKI_SECTION_INITRD,  NULL },
                { PIECE_PCRSIG,  UKI_SECTION_PCRSIG,  "tpm2-pcr-signature.json" },
                { PIECE_PCRPKEY, UKI_SECTION_PCRPKEY, "tpm2-pcr-public-key.pem" },
                { PIECE_OSREL,   UKI_SECTION_OSREL,   "os-release" },
                { PIECE_PROFILE, UKI_SECTION_PROFILE, "profile" },
        };

        for (size_t i = 0; i < ELEMENTSOF(map); i++) {
                InitrdPiece *piece = &b->pieces[map[i].piece];
                const PeSectionRef *s = &b->sections[map[i].section];
                if (!map[i].extra_name) {
                        if (s->present)
                                *piece = (InitrdPiece) { b->base + s->rva, s->size };
                        continue;
                }
                piece->data = b->buffers[map[i].piece] = extra_cpio(b->base, s, map[i].extra_name, &piece->size);
        }
}

/* As systemd-stub 252 does: with a TPM, announce the PCRs we use for
 * parameters and sysexts even when there was nothing to measure, so
 * userspace knows where to look. */
static void boot_export_pcrs(Boot *b) {
        bool parameters = b->parameters_measured || b->addon_blobs_measured ||
                          b->pickup_measured[ESP_PICKUP_ADDON_CMDLINE] ||
                          b->pickup_measured[ESP_PICKUP_CREDENTIALS] ||
                          b->pickup_measured[ESP_PICKUP_GLOBAL_CREDENTIALS];

        if (b->image_measured || parameters)
                export_pcr(L"StubPcrKernelParameters", TPM2_PCR_KERNEL_CONFIG);
        if (b->image_measured || b->pickup_measured[ESP_PICKUP_SYSEXTS])
                export_pcr(L"StubPcrInitRDSysExts", TPM2_PCR_SYSEXTS);
        /* newer than 252: only when a confext was measured, as current
         * systemd-stub does */
        if (b->pickup_measured[ESP_PICKUP_CONFEXTS])
                export_pcr(L"StubPcrInitRDConfExts", TPM2_PCR_KERNEL_CONFIG);
}

static EFI_STATUS boot_linux(Boot *b) {
        const PeSectionRef *kernel = &b->sections[UKI_SECTION_LINUX];
        EFI_STATUS err;

        err = initrd_register(b->pieces, ELEMENTSOF(b->pieces), &b->initrd_handle);
        if (err != EFI_SUCCESS && err != EFI_NOT_FOUND)
                return log_error(err, L"cannot register the initrd");
        err = linux_exec(b->image, b->cmdline, b->base + kernel->rva, kernel->size);
        (void) initrd_unregister(b->initrd_handle);
        return err;
}

/* The boot as named steps, in systemd-stub 257's order: PCR 12 first gets
 * the profile, then PCR 11 the sections, then the splash is shown (nothing
 * is used unmeasured); then the command line and what extends it (PCR 12:
 * the user's, the add-ons'; further command line sources go right after
 * boot_addons), then the initrd pieces (PCR 12 and 13). */
EFI_STATUS EFIAPI efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *system_table);
EFI_STATUS EFIAPI efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *system_table) {
        _cleanup_(boot_done) Boot b = { .image = image };
        EFI_STATUS err;

        ST = system_table;
        BS = system_table->BootServices;
        RT = system_table->RuntimeServices;

        err = boot_open(&b);
        if (err != EFI_SUCCESS)
                return err;
        boot_export_variables(&b);
        b.parameters_measured = measure_profile(b.profile);             /* PCR 12 */
        b.image_measured = measure_sections(b.base, b.sections);        /* PCR 11 */
        boot_splash(&b);
        boot_cmdline(&b);                                               /* PCR 12 if the user's */
        b.dropin = dropin_dir(b.li->FilePath);
        boot_addons(&b);                                                /* PCR 12 */
        boot_smbios_cmdline(&b);                                        /* PCR 12 */
        /* after the add-ons, as 257: their .dtbauto is matched against the
         * firmware's own devicetree, not the UKI's */
        boot_devicetree(&b);
        boot_addon_devicetrees(&b);                                     /* PCR 12 */
        boot_pickup_archives(&b);                                       /* PCR 12, 13 */
        boot_addon_pieces(&b);                                          /* PCR 12 */
        boot_section_pieces(&b);
        boot_export_pcrs(&b);
        return boot_linux(&b);
}
