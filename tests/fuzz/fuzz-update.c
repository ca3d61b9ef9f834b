/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sysupdate.d definitions, match patterns and the version order.
 * Input: "PATTERN\nNAME\n" then a transfer file. Checks: a match yields a
 * valid version; formatting the match back gives a name the pattern
 * matches again with the same version; version comparison is antisymmetric
 * and reflexive; a transfer file parses or fails with a reason. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "update-pattern.h"
#include "update-transfer.h"
#include "update-version.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool b) {
        if (!b)
                abort();
}

static void fuzz_pattern(const char *pattern, const char *name) {
        UpdatePattern p;
        UpdateMeta m, m2;
        char *back = NULL;

        if (update_pattern_parse(pattern, &p, NULL) < 0)
                return;
        if (update_pattern_match(&p, name, &m) == 1) {
                check(update_version_valid(m.version));
                if (update_pattern_format(&p, &m, &back, NULL) == 0) {
                        check(update_pattern_match(&p, back, &m2) == 1);
                        check(update_version_cmp(m.version, m2.version) == 0);
                        update_meta_done(&m2);
                        free(back);
                }
                update_meta_done(&m);
        }
        update_pattern_done(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *text, *nl1, *nl2;
        UpdateSpecifiers spec = { .image_version = "1.2", .architecture = "x86-64" };
        UpdateTransfer t;
        UkitError err = {};

        if (size > 64 * 1024)
                return 0;
        text = malloc(size + 1);
        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = 0;
        nl1 = strchr(text, '\n');
        nl2 = nl1 ? strchr(nl1 + 1, '\n') : NULL;
        if (nl1 && nl2) {
                int a, b;
                *nl1 = *nl2 = 0;
                fuzz_pattern(text, nl1 + 1);
                a = update_version_cmp(text, nl1 + 1);
                b = update_version_cmp(nl1 + 1, text);
                check((a > 0) == (b < 0) && (a == 0) == (b == 0));
                check(update_version_cmp(text, text) == 0);
                if (update_transfer_parse("/fuzz/x.transfer", nl2 + 1, &spec, &t, &err) == 0)
                        update_transfer_done(&t);
                else
                        check(err.what[0] != 0 || err.code == 0);
        }
        free(text);
        return 0;
}
