/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pcr-phases.h"
#include "pcr.h"
#include "util.h"

static const char *const default_phases[] = {
        "enter-initrd",
        "enter-initrd:leave-initrd",
        "enter-initrd:leave-initrd:sysinit",
        "enter-initrd:leave-initrd:sysinit:ready",
};

void pcr_phases_done(PcrPhases *p) {
        for (size_t i = 0; i < p->n; i++)
                free(p->list[i]);
        p->n = 0;
}

int pcr_phases_add(PcrPhases *p, const char *path) {
        char *n = NULL;
        int r;

        if (p->n >= PCR_PHASES_MAX)
                return -E2BIG;
        r = pcr_phase_normalize(path, /* strict= */ true, &n);
        if (r < 0)
                return r;
        p->list[p->n++] = n;
        return 0;
}

int pcr_phases_add_words(PcrPhases *p, const char *list, const char **ret_bad) {
        static const char ws[] = " \t\n\r\f\v,";      /* ukify 257 also splits on commas */
        size_t before = p->n;

        for (const char *w = list + strspn(list, ws); *w; w += strspn(w, ws)) {
                size_t len = strcspn(w, ws);
                char *word = strndup(w, len);
                int r;

                if (!word)
                        return -ENOMEM;
                r = pcr_phases_add(p, word);
                free(word);
                if (r < 0) {
                        if (ret_bad)
                                *ret_bad = w;
                        return r;
                }
                w += len;
        }
        return p->n > before ? 0 : -ENODATA;
}

static int phase_cmp(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

int pcr_phases_finish(PcrPhases *p) {
        size_t o = 0;

        if (p->n == 0) {
                for (size_t i = 0; i < ELEMENTSOF(default_phases); i++) {
                        p->list[i] = strdup(default_phases[i]);
                        if (!p->list[i])
                                return -ENOMEM;
                        p->n = i + 1;
                }
                return 0;
        }
        qsort(p->list, p->n, sizeof(char *), phase_cmp);
        for (size_t i = 0; i < p->n; i++) {
                if (o > 0 && streq(p->list[o - 1], p->list[i])) {
                        free(p->list[i]);
                        continue;
                }
                p->list[o++] = p->list[i];
        }
        p->n = o;
        return 0;
}
