/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* systemd-measure's `calculate` output (see measure-print.h). */
#include <errno.h>
#include <stdio.h>

#include "measure-print.h"
#include "util.h"

int measure_print_text(const PcrState *base, const PcrPhases *phases) {
        for (size_t p = 0; p < phases->n; p++) {
                PcrState st = *base;
                int r = pcr_state_extend_phase(&st, phases->list[p]);
                if (r < 0)
                        return r;
                /* The header goes to stderr, the values to stdout (like systemd-measure). */
                fflush(stdout);
                fprintf(stderr, "# PCR[%u] Phase <%s>\n", TPM2_PCR_KERNEL_BOOT,
                        phases->list[p][0] ? phases->list[p] : ":");
                fflush(stderr);
                for (int b = 0; b < _PCR_BANK_MAX; b++) {
                        char hex[2 * PCR_DIGEST_MAX + 1];
                        if (!(st.banks & PCR_BANK_BIT(b)))
                                continue;
                        hex_encode_to(st.value[b], pcr_bank_digest_size((PcrBank) b), hex);
                        printf("%u:%s=%s\n", TPM2_PCR_KERNEL_BOOT, pcr_bank_to_string((PcrBank) b), hex);
                }
        }
        return 0;
}

int measure_print_json(const PcrState *base, const PcrPhases *phases, JsonStyle style, MeasurePrintExtra extra,
                       void *userdata) {
        JsonWriter w;

        json_begin(&w, stdout, style);
        json_object_begin(&w);
        for (int b = 0; b < _PCR_BANK_MAX; b++) {
                if (!(base->banks & PCR_BANK_BIT(b)))
                        continue;
                json_key(&w, pcr_bank_to_string((PcrBank) b));
                json_array_begin(&w);
                for (size_t p = 0; p < phases->n; p++) {
                        PcrState st = *base;
                        char hex[2 * PCR_DIGEST_MAX + 1];
                        size_t n = pcr_bank_digest_size((PcrBank) b);
                        int r = pcr_state_extend_phase(&st, phases->list[p]);
                        if (r < 0)
                                return r;
                        hex_encode_to(st.value[b], n, hex);
                        json_object_begin(&w);
                        if (phases->list[p][0])
                                json_kv_string(&w, "phase", phases->list[p]);
                        json_kv_uint(&w, "pcr", TPM2_PCR_KERNEL_BOOT);
                        json_key(&w, "hash");
                        json_string_n(&w, hex, 2 * n);
                        json_object_end(&w);
                }
                if (extra)
                        extra(&w, (PcrBank) b, userdata);
                json_array_end(&w);
        }
        json_object_end(&w);
        json_end(&w);
        return 0;
}
