/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "esp-predict.h"
#include "fileio.h"
#include "measure-esp.h"
#include "smbios.h"
#include "tpm2-pcr.h"
#include "util.h"

int measure_esp_predict(const char *esp, const char *uki, const char *smbios_cmdline, const char *smbios_table,
                        unsigned banks, MeasureEsp *ret) {
        UkitError err = UKIT_ERROR_INIT;
        _cleanup_free_ char *table = NULL;
        EspMachine m = { .smbios_cmdline = smbios_cmdline };
        int r;

        if (!uki)
                return log_usage("--esp= needs --uki=");
        if (smbios_table) {
                r = read_input_full(smbios_table, SMBIOS_TABLE_MAX, &table, &m.smbios_table_size);
                if (r < 0)
                        return log_errno(r, "%s: cannot read the SMBIOS table", smbios_table);
                m.smbios_table = (const uint8_t *) table;
                m.smbios_cmdline = smbios_oem_string(m.smbios_table, m.smbios_table_size,
                                                     "io.systemd.stub.kernel-cmdline-extra");
        }
        r = esp_predict(esp, uki, &m, banks, &ret->pcr12, &ret->pcr13, &err);
        if (r < 0) {
                const char *what = r == -EXDEV ? "the UKI is not inside the --esp directory" :
                        r == -E2BIG ? "more files than ukit-stub picks up from one directory" :
                        r == -EILSEQ ? "non-ASCII add-on or SMBIOS command lines are not predicted" :
                        r == -ENOMEDIUM ? "add-on with .dtbauto: which one the stub picks depends on the machine, give --smbios-table" :
                        strerror(-r);
                return log_error("%s: %s", err.path[0] ? err.path : esp, what);
        }
        return 0;
}

void measure_esp_print_text(const MeasureEsp *m, const char *esp) {
        const PcrState *st[2] = { &m->pcr12, &m->pcr13 };
        char buf[2 * PCR_DIGEST_MAX + 1];

        for (unsigned i = 0; i < 2; i++) {
                fflush(stdout);
                fprintf(stderr, "# PCR[%u] ESP %s\n", TPM2_PCR_KERNEL_CONFIG + i, esp);
                fflush(stderr);
                for (int b = 0; b < _PCR_BANK_MAX; b++) {
                        if (!(st[i]->banks & PCR_BANK_BIT(b)))
                                continue;
                        hex_encode_to(st[i]->value[b], pcr_bank_digest_size((PcrBank) b), buf);
                        printf("%u:%s=%s\n", TPM2_PCR_KERNEL_CONFIG + i, pcr_bank_to_string((PcrBank) b), buf);
                }
        }
}

void measure_esp_print_json(JsonWriter *w, const MeasureEsp *m, PcrBank b) {
        const PcrState *st[2] = { &m->pcr12, &m->pcr13 };
        char buf[2 * PCR_DIGEST_MAX + 1];

        for (unsigned i = 0; i < 2; i++) {
                if (!(st[i]->banks & PCR_BANK_BIT(b)))
                        continue;
                hex_encode_to(st[i]->value[b], pcr_bank_digest_size(b), buf);
                json_object_begin(w);
                json_kv_uint(w, "pcr", TPM2_PCR_KERNEL_CONFIG + i);
                json_key(w, "hash");
                json_string(w, buf);
                json_object_end(w);
        }
}
