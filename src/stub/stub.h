/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The optional steps of the boot, each in its own file. All of them are
 * best-effort: a failure is logged and the boot goes on. */

#include "efi.h"
#include "proto/loaded-image.h"

#define UKIT_VERSION_L_(x) L##x
#define UKIT_VERSION_L_X(x) UKIT_VERSION_L_(x)
#define UKIT_VERSION_L UKIT_VERSION_L_X(UKIT_VERSION)

/* random-seed.c: refreshes the boot disk ESP's /loader/random-seed and
 * installs a LINUX_EFI_RANDOM_SEED table derived from it, EFI_RNG_PROTOCOL
 * and LoaderSystemToken, as systemd-stub 257 (unless the boot loader did).
 * EFI_SUCCESS if a seed was installed. */
EFI_STATUS random_seed_install(EFI_LOADED_IMAGE_PROTOCOL *li);

/* splash.c: centres the BMP on the GOP framebuffer. */
EFI_STATUS splash_show(const void *bmp, size_t size);

/* extra.c: packs the regular files of the directory of the archive row p
 * (src/fundamental/esp-pickup.h: its global_dir, or dropin_dir) on the UKI's
 * partition whose names p takes into a cpio under p->target/ and measures
 * the archive into p->pcr. EFI_NOT_FOUND when there is nothing to pack. */
struct EspPickup;
EFI_STATUS extra_pack(EFI_LOADED_IMAGE_PROTOCOL *li, const struct EspPickup *p, const CHAR16 *dropin_dir, void **ret,
                      size_t *ret_size, bool *ret_measured);

/* devicetree.c: installs the DTB as configuration table, through the DT fixup
 * protocol where the firmware has it. */
EFI_STATUS devicetree_install(const void *dtb, size_t size);

/* smbios-fw.c: a configuration table of the firmware by GUID, or NULL; the
 * SMBIOS structure table (3.x entry point first, as systemd-stub). */
void *config_table_find(const EFI_GUID *guid);
bool smbios_firmware_table(const uint8_t **ret_table, size_t *ret_size);

/* vmm.c: inside an AMD SEV(-ES/-SNP) or Intel TDX guest (systemd-stub 257's
 * checks). */
bool is_confidential_vm(void);

/* smbios-cmdline.c: appends SMBIOS `io.systemd.stub.kernel-cmdline-extra=`
 * to *cmdline and measures it into PCR 12, unless in a confidential VM.
 * EFI_NOT_FOUND when there is none. */
EFI_STATUS smbios_cmdline_append(CHAR16 **cmdline, bool *ret_measured);

/* dtbauto.c: picks the .dtbauto of the profile (see there) and fills
 * sections[UKI_SECTION_DTBAUTO] with it, or clears it when none matches. */
struct PeSectionRef;
void dtbauto_select(const void *image, size_t size, uint32_t profile, struct PeSectionRef *sections);
