/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GPT reader, verity superblock and verity signature JSON: everything
 * ukit parses out of an untrusted DDI. */
#include <stdint.h>
#include <stdlib.h>

#include "gpt.h"
#include "verity-sig.h"
#include "verity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        UkitError e1 = UKIT_ERROR_INIT, e2 = UKIT_ERROR_INIT;
        GptTable t = {};
        if (gpt_read_buffer(data, size, &t, &e1) == 0)
                gpt_table_done(&t);

        VerityParams p;
        uint64_t hs;
        if (verity_superblock_parse(data, size, &p, &e2) == 0)
                (void) verity_hash_size(&p, &hs);

        char *hex = NULL;
        uint8_t *der = NULL;
        size_t n;
        if (verity_sig_json_parse(data, size, &hex, &der, &n) == 0) {
                free(hex);
                free(der);
        }
        return 0;
}
