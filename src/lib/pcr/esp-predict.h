/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Prediction of what ukit-stub measures from the ESP into PCR 12 and 13
 * (`ukit measure calculate --esp DIR --uki FILE`), built from the same
 * freestanding code the stub runs: the cpio writer (src/fundamental/cpio.c),
 * the name/sort/limit rules and the add-on command line joining
 * (src/fundamental/esp-pickup.c). In the stub's order:
 *
 *   PCR 12: the joined add-on command line (global "loader/addons" first,
 *           then "<uki>.extra.d", as UTF-16 with its NUL), the SMBIOS
 *           `io.systemd.stub.kernel-cmdline-extra=` string if one is
 *           given (UTF-16 with its NUL, as the stub measures it), each
 *           add-on's .dtbauto picked by the machine's CHIDs, else .dtb (VirtualSize bytes, add-on order), the credentials
 *           archive of "<uki>.extra.d" (*.cred), the global credentials
 *           archive of "loader/credentials" (*.cred), the confext archive
 *           of "<uki>.extra.d" (*.confext.raw), then each add-on's .ucode
 *           (last add-on first) and each add-on's .initrd (systemd-stub
 *           257's order; add-ons with another .uname than the UKI's or
 *           without any usable section are skipped, as the stub skips them);
 *   PCR 13: the sysext archive of "<uki>.extra.d" (*.raw but not
 *           *.confext.raw).
 *
 * Assumptions: PCRs 12/13 start at zero (nothing measured there before the
 * stub, e.g. no systemd-boot), no load options replace the UKI's command
 * line, the firmware accepts every add-on (under Secure Boot, predict from
 * a directory holding only the add-ons that verify) and the machine is no
 * confidential VM (where the stub ignores the SMBIOS string). Not
 * predicted: non-ASCII add-on or SMBIOS command lines (-EILSEQ), more
 * files than the stub takes from one directory (-E2BIG, since which ones
 * it takes depends on the FAT directory order). */

#include "error.h"
#include "pcr.h"

/* What the stub reads from the machine, as far as the prediction needs it:
 * the SMBIOS `io.systemd.stub.kernel-cmdline-extra=` value (NULL: none) and
 * the SMBIOS structure table (NULL: unknown), from which the CHIDs pick an
 * add-on's .dtbauto through its .hwids (the machine is assumed to have no
 * firmware devicetree, as on x86). Without a table an add-on with a
 * .dtbauto is not predicted (-ENOMEDIUM). */
typedef struct EspMachine {
        const char *smbios_cmdline;
        const uint8_t *smbios_table;
        size_t smbios_table_size;
} EspMachine;

/* esp: the ESP's root directory; uki: the UKI file, inside esp; machine:
 * NULL for none of the above. On error, the optional err gets the path the
 * problem is about (err->path). */
int esp_predict(const char *esp, const char *uki, const EspMachine *machine, unsigned banks, PcrState *ret_pcr12,
                PcrState *ret_pcr13, UkitError *err);

/* The same, handing each measured buffer (PCR, bytes) to observe as well,
 * in measurement order (tests read the archives back with other tools). */
typedef void (*EspObserveFn)(void *userdata, unsigned pcr, const void *data, size_t size);
int esp_predict_observe(const char *esp, const char *uki, const EspMachine *machine, unsigned banks,
                        PcrState *ret_pcr12, PcrState *ret_pcr13, UkitError *err, EspObserveFn observe,
                        void *userdata);
