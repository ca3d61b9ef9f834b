/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The measurement inputs that come from files: a stub's .sdmagic identity
 * (rule selection) and --phase strings (normalisation + extension). */
#include <stdlib.h>
#include <string.h>

#include "pcr.h"
#include "uki.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const UkiMeasureRules *r = uki_rules_for_stub((const char *) data, size);
        if (r && r != &uki_rules_systemd_252 && r != &uki_rules_systemd_253 && r != &uki_rules_systemd_256 &&
            r != &uki_rules_current)
                abort();

        char *s = malloc(size + 1);
        if (!s)
                return 0;
        memcpy(s, data, size);
        s[size] = 0;
        for (int strict = 0; strict < 2; strict++) {
                char *n = NULL;
                if (pcr_phase_normalize(s, strict, &n) == 0) {
                        PcrState st;
                        /* normalised: no empty words, idempotent */
                        if (strstr(n, "::") || n[0] == ':' || (n[0] && n[strlen(n) - 1] == ':'))
                                abort();
                        pcr_state_init(&st, PCR_BANK_BIT(PCR_BANK_SHA256));
                        if (pcr_state_extend_phase(&st, n) < 0)
                                abort();
                        free(n);
                }
        }
        free(s);
        return 0;
}
