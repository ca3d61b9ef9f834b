/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ukit-stub: the UEFI entry point. Finds the UKI sections in its own loaded
 * image, measures them, exports the Boot Loader Interface variables, and
 * boots the embedded kernel with its command line and initrd. */

#include "addons.h"
#include "cpio.h"
#include "efi.h"
#include "esp-pickup.h"
#include "initrd.h"
#include "linux.h"
#include "measure.h"
#include "pe-sections.h"
#include "proto/device-path.h"
#include "proto/loaded-image.h"
#include "stub.h"
#include "uki.h"
#include "util.h"

#ifndef UKIT_VERSION
#  error "UKIT_VERSION must be defined by the build"
#endif

/* Identity string read by `ukit measure` / `ukit inspect` to pick the
 * measurement rule set, in the same form systemd-stub uses. */
__attribute__((used, section(".sdmagic")))
static const char sdmagic[] = "#### LoaderInfo: ukit-stub " UKIT_VERSION " ####";

/* SBAT (https://github.com/rhboot/shim/blob/main/SBAT.md): the header line,
 * then one line for this component. `ukit build` merges it with the kernel's. */
__attribute__((used, section(".sbat")))
static const char sbat[] =
        "sbat,1,SBAT Version,sbat,1,https://github.com/rhboot/shim/blob/main/SBAT.md\n"
        "ukit-stub,1,ukit,ukit-stub," UKIT_VERSION ",https://uapi-group.org/specifications/specs/unified_kernel_image/\n";

/* StubFeatures bits (systemd's efivars-fundamental.h). */
#define STUB_FEATURE_REPORT_BOOT_PARTITION (UINT64_C(1) << 0)
#define STUB_FEATURE_PICK_UP_CREDENTIALS   (UINT64_C(1) << 1)
#define STUB_FEATURE_PICK_UP_SYSEXTS       (UINT64_C(1) << 2)
#define STUB_FEATURE_PICK_UP_CONFEXTS      (UINT64_C(1) << 8)
#define STUB_FEATURE_THREE_PCRS            (UINT64_C(1) << 3)
#define STUB_FEATURE_RANDOM_SEED           (UINT64_C(1) << 4)

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

static void export_variables(EFI_LOADED_IMAGE_PROTOCOL *li, uint64_t features) {
        CHAR16 uuid[37];

        (void) efivar_set_str16(&loader_guid, L"StubInfo", L"ukit-stub " UKIT_VERSION_L);
        (void) efivar_set_uint64_le(&loader_guid, L"StubFeatures", features);

        /* The rest describes the boot; a boot loader that ran before us
         * knows better, so only fill in what it left unset. */
        if (!efivar_exists(&loader_guid, L"LoaderDevicePartUUID") && partition_uuid(li->DeviceHandle, uuid))
                (void) efivar_set_str16(&loader_guid, L"LoaderDevicePartUUID", uuid);
        if (!efivar_exists(&loader_guid, L"LoaderImageIdentifier")) {
                _cleanup_free_ CHAR16 *s = image_identifier(li->FilePath);
                if (s)
                        (void) efivar_set_str16(&loader_guid, L"LoaderImageIdentifier", s);
        }
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
                (void) measure_event(UKI_PCR_KERNEL_BOOT, name, strlen8(name) + 1, desc, &m1);
                (void) measure_event(UKI_PCR_KERNEL_BOOT, base + sections[s].rva, sections[s].size, desc, &m2);
                any = any || m1 || m2;
        }
        return any;
}

/* The command line: .cmdline, unless the user passed load options and we
 * may honour them (Secure Boot off, or no .cmdline to protect). User options
 * are measured into PCR 12 so policies can tell. */
static CHAR16 *pick_cmdline(EFI_LOADED_IMAGE_PROTOCOL *li, const uint8_t *base, const PeSectionRef *cmdline,
                            bool *ret_parameters_measured) {
        const CHAR16 *opts = li->LoadOptions;
        size_t n = li->LoadOptionsSize / sizeof(CHAR16);

        *ret_parameters_measured = false;
        /* Shells and boot managers pass "" or control characters when there
         * is nothing to say; only a printable first character counts. */
        if (opts && n > 0 && opts[0] > 0x1f && (!cmdline->present || !secure_boot_enabled())) {
                size_t len = 0;
                while (len < n && opts[len])
                        len++;
                CHAR16 *s = xmalloc((len + 1) * sizeof(CHAR16));
                if (!s)
                        return NULL;
                memcpy(s, opts, len * sizeof(CHAR16));
                s[len] = 0;
                (void) measure_event(PCR_KERNEL_PARAMETERS, s, (len + 1) * sizeof(CHAR16), s,
                                     ret_parameters_measured);
                return s;
        }
        if (cmdline->present)
                return utf8_to_utf16((const char *) base + cmdline->rva, cmdline->size);
        return NULL;
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
                log_error(EFI_OUT_OF_RESOURCES, L"cannot pass a PCR signature/key section to the initrd");
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

EFI_STATUS EFIAPI efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *system_table);
EFI_STATUS EFIAPI efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *system_table) {
        static const EFI_GUID loaded_image_guid = EFI_LOADED_IMAGE_PROTOCOL_GUID;
        EFI_LOADED_IMAGE_PROTOCOL *li;
        PeSectionRef sections[_UKI_SECTION_MAX];
        EFI_HANDLE initrd_handle = NULL;
        EFI_STATUS err;
        int r;

        ST = system_table;
        BS = system_table->BootServices;
        RT = system_table->RuntimeServices;

        err = BS->HandleProtocol(image, &loaded_image_guid, (void **) &li);
        if (err != EFI_SUCCESS)
                return log_error(err, L"no loaded image protocol for the stub");

        r = pe_locate_uki_sections(li->ImageBase, li->ImageSize, true, sections);
        if (r < 0) {
                _cleanup_free_ CHAR16 *msg = utf8_to_utf16(pe_sections_error_string(r), 64);
                return log_error(EFI_LOAD_ERROR, msg ? msg : L"bad PE image");
        }
        if (!sections[UKI_SECTION_LINUX].present)
                return log_error(EFI_NOT_FOUND, L"image has no .linux section");

        const uint8_t *base = li->ImageBase;
        uint64_t features = STUB_FEATURE_REPORT_BOOT_PARTITION | STUB_FEATURE_PICK_UP_CREDENTIALS |
                STUB_FEATURE_PICK_UP_SYSEXTS | STUB_FEATURE_PICK_UP_CONFEXTS | STUB_FEATURE_THREE_PCRS;
        if (random_seed_install(li) == EFI_SUCCESS)
                features |= STUB_FEATURE_RANDOM_SEED;
        export_variables(li, features);

        if (sections[UKI_SECTION_SPLASH].present)
                (void) splash_show(base + sections[UKI_SECTION_SPLASH].rva, sections[UKI_SECTION_SPLASH].size);

        bool image_measured = measure_sections(base, sections), parameters_measured, sysext_measured = false,
             confext_measured = false;
        _cleanup_free_ CHAR16 *cmdline = pick_cmdline(li, base, &sections[UKI_SECTION_CMDLINE], &parameters_measured);
        if (image_measured)
                (void) efivar_set_str16(&loader_guid, L"StubPcrKernelImage", L"11");

        if (sections[UKI_SECTION_DTB].present)
                (void) devicetree_install(base + sections[UKI_SECTION_DTB].rva, sections[UKI_SECTION_DTB].size);

        /* The initrd, in systemd-stub's order: .initrd, credentials (PCR 12),
         * global credentials (PCR 12), sysexts (PCR 13), confexts (PCR 12),
         * then archives for the PCR signature and public key (measured as
         * sections already). */
        InitrdPiece pieces[7] = {};
        _cleanup_free_ void *cred_cpio = NULL, *global_cred_cpio = NULL, *sysext_cpio = NULL, *confext_cpio = NULL;
        _cleanup_free_ void *pcrsig_cpio = NULL, *pcrpkey_cpio = NULL;
        if (sections[UKI_SECTION_INITRD].present)
                pieces[0] = (InitrdPiece) { base + sections[UKI_SECTION_INITRD].rva, sections[UKI_SECTION_INITRD].size };
        _cleanup_free_ CHAR16 *dropin = dropin_dir(li->FilePath);
        bool m;
        /* add-on command lines (addons.c): PCR 12, before the credentials */
        if (addons_apply(image, li, dropin, sections[UKI_SECTION_CMDLINE].present, &cmdline, &m) == EFI_SUCCESS)
                parameters_measured = parameters_measured || m;
        if (dropin && extra_pack(li, dropin, &esp_pickup_credentials, L"Credentials initrd", &cred_cpio,
                                 &pieces[1].size, &m) == EFI_SUCCESS) {
                pieces[1].data = cred_cpio;
                parameters_measured = parameters_measured || m;
        }
        if (extra_pack(li, L"\\loader\\credentials", &esp_pickup_global_credentials, L"Global credentials initrd",
                       &global_cred_cpio, &pieces[2].size, &m) == EFI_SUCCESS) {
                pieces[2].data = global_cred_cpio;
                parameters_measured = parameters_measured || m;
        }
        if (dropin && extra_pack(li, dropin, &esp_pickup_sysext, L"System extension initrd", &sysext_cpio,
                                 &pieces[3].size, &m) == EFI_SUCCESS) {
                pieces[3].data = sysext_cpio;
                sysext_measured = m;
        }
        if (dropin && extra_pack(li, dropin, &esp_pickup_confext, L"Configuration extension initrd", &confext_cpio,
                                 &pieces[4].size, &m) == EFI_SUCCESS) {
                pieces[4].data = confext_cpio;
                confext_measured = m;
        }
        pieces[5].data = pcrsig_cpio = extra_cpio(base, &sections[UKI_SECTION_PCRSIG], "tpm2-pcr-signature.json",
                                                  &pieces[5].size);
        pieces[6].data = pcrpkey_cpio = extra_cpio(base, &sections[UKI_SECTION_PCRPKEY], "tpm2-pcr-public-key.pem",
                                                   &pieces[6].size);
        /* As systemd-stub 252 does: with a TPM, announce the PCRs we use for
         * parameters and sysexts even when there was nothing to measure, so
         * userspace knows where to look. */
        if (image_measured || parameters_measured)
                (void) efivar_set_str16(&loader_guid, L"StubPcrKernelParameters", L"12");
        if (image_measured || sysext_measured)
                (void) efivar_set_str16(&loader_guid, L"StubPcrInitRDSysExts", L"13");
        /* newer than 252: only when a confext was measured, as current
         * systemd-stub does */
        if (confext_measured)
                (void) efivar_set_str16(&loader_guid, L"StubPcrInitRDConfExts", L"12");

        err = initrd_register(pieces, ELEMENTSOF(pieces), &initrd_handle);
        if (err != EFI_SUCCESS && err != EFI_NOT_FOUND)
                return log_error(err, L"cannot register the initrd");

        err = linux_exec(image, cmdline, base + sections[UKI_SECTION_LINUX].rva, sections[UKI_SECTION_LINUX].size);
        (void) initrd_unregister(initrd_handle);
        return err;
}
