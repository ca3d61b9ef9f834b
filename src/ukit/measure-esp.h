/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* `ukit measure calculate --esp DIR --uki FILE`: PCR 12 and 13 as ukit-stub
 * will measure them from the ESP (src/lib/pcr/esp-predict.h), printed next to
 * the PCR 11 values. */

#include "json.h"
#include "pcr.h"

typedef struct MeasureEsp {
        PcrState pcr12, pcr13;
} MeasureEsp;

/* The running machine's SMBIOS structure table (Linux sysfs). */
#define MEASURE_SMBIOS_TABLE_DEFAULT "/sys/firmware/dmi/tables/DMI"

/* smbios_cmdline: the value of the machine's SMBIOS type 11
 * `io.systemd.stub.kernel-cmdline-extra=` string, or NULL; smbios_table: an
 * SMBIOS structure table file to take it from instead (the first type 11
 * structure, as the stub), or NULL. Prints a one-line error and returns an
 * exit code on failure, 0 on success. */
int measure_esp_predict(const char *esp, const char *uki, const char *smbios_cmdline, const char *smbios_table,
                        unsigned banks, MeasureEsp *ret);
/* "12:sha256=HEX" lines (header "# PCR[12] ESP DIR" on stderr, as phases). */
void measure_esp_print_text(const MeasureEsp *m, const char *esp);
/* Objects {"pcr":12,"hash":"..."} and {"pcr":13,...} in bank b's array. */
void measure_esp_print_json(JsonWriter *w, const MeasureEsp *m, PcrBank b);
