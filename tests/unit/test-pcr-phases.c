/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The phase-list parser against systemd-measure 257 (the trixie oracle):
 *
 *   systemd-measure calculate --linux=K --bank=sha256 --phase=P
 *
 * for each P below gave the PCR 11 value noted here by its first 8 hex
 * digits; two paths are the same path exactly when 257 gives the same
 * value. The list order is 257's output order for
 *   --phase=ready --phase=enter-initrd:leave-initrd --phase=enter-initrd
 *   --phase= --phase=final --phase=shutdown --phase=::ready
 *   --phase=enter-initrd::leave-initrd
 * and the default list is 257's output without --phase=. */
#include <errno.h>
#include <stdbool.h>

#include "pcr-phases.h"
#include "macro.h"
#include "test.h"

static const struct {
        const char *path;
        const char *pcr;        /* 257's sha256 PCR 11, first 8 hex digits */
} oracle[] = {
        { "enter-initrd",                       "26e21466" },
        { "",                                   "41615bd2" },
        { ":",                                  "41615bd2" },
        { "::",                                 "41615bd2" },
        { "enter-initrd:",                      "26e21466" },
        { ":enter-initrd",                      "26e21466" },
        { "enter-initrd::leave-initrd",         "f834dd90" },
        { "enter-initrd:leave-initrd",          "f834dd90" },
        { "leave-initrd",                       "e66248e6" },
        { "sysinit",                            "abc8730b" },
        { "ready",                              "083f2acf" },
        { "ready:",                             "083f2acf" },
        { "shutdown",                           "b0034f9a" },
        { "final",                              "b3907cce" },
        { "final:final",                        "92692007" },
        { "enter-initrd:leave-initrd:sysinit:ready:shutdown:final", "b9d111a6" },
};

/* 257 takes these (it does not check words); ukit refuses them, since
 * systemd-pcrphase never measures such a word. */
static const char *const unknown[] = {
        "foo", "enter-initrd:foo", "ENTER-INITRD", "Ready", "a-b", "x:y", "enter-initrd,leave-initrd",
};

static void test_equivalence(void) {
        char *norm[ELEMENTSOF(oracle)];

        for (size_t i = 0; i < ELEMENTSOF(oracle); i++) {
                PcrPhases p = {};
                CHECK_EQ_INT(pcr_phases_add(&p, oracle[i].path), 0);
                CHECK_EQ_INT(p.n, 1);
                norm[i] = p.list[0];
        }
        for (size_t i = 0; i < ELEMENTSOF(oracle); i++)
                for (size_t j = 0; j < ELEMENTSOF(oracle); j++) {
                        bool same_pcr = strcmp(oracle[i].pcr, oracle[j].pcr) == 0;
                        bool same_path = strcmp(norm[i], norm[j]) == 0;
                        if (same_pcr != same_path)
                                fprintf(stderr, "'%s' vs '%s'\n", oracle[i].path, oracle[j].path);
                        CHECK(same_pcr == same_path);
                }
        for (size_t i = 0; i < ELEMENTSOF(oracle); i++)
                free(norm[i]);
}

static void test_unknown(void) {
        for (size_t i = 0; i < ELEMENTSOF(unknown); i++) {
                PcrPhases p = {};
                CHECK_EQ_INT(pcr_phases_add(&p, unknown[i]), -EINVAL);
                CHECK_EQ_INT(p.n, 0);
        }
}

static void test_order(void) {
        static const char *const in[] = {
                "ready", "enter-initrd:leave-initrd", "enter-initrd", "", "final", "shutdown", "::ready",
                "enter-initrd::leave-initrd",
        };
        static const char *const want[] = {
                "", "enter-initrd", "enter-initrd:leave-initrd", "final", "ready", "shutdown",
        };
        PcrPhases p = {};

        for (size_t i = 0; i < ELEMENTSOF(in); i++)
                CHECK_EQ_INT(pcr_phases_add(&p, in[i]), 0);
        CHECK_EQ_INT(pcr_phases_finish(&p), 0);
        CHECK_EQ_INT(p.n, ELEMENTSOF(want));
        for (size_t i = 0; i < ELEMENTSOF(want); i++)
                CHECK_EQ_STR(p.list[i], want[i]);
        pcr_phases_done(&p);
}

static void test_default_and_words(void) {
        static const char *const def[] = {
                "enter-initrd", "enter-initrd:leave-initrd", "enter-initrd:leave-initrd:sysinit",
                "enter-initrd:leave-initrd:sysinit:ready",
        };
        PcrPhases p = {};
        const char *bad = NULL;

        CHECK_EQ_INT(pcr_phases_finish(&p), 0);
        CHECK_EQ_INT(p.n, ELEMENTSOF(def));
        for (size_t i = 0; i < ELEMENTSOF(def); i++)
                CHECK_EQ_STR(p.list[i], def[i]);
        pcr_phases_done(&p);

        /* --phases= of ukify: one string, paths separated by whitespace */
        CHECK_EQ_INT(pcr_phases_add_words(&p, "  ready\tenter-initrd::leave-initrd\n ready ", &bad), 0);
        CHECK_EQ_INT(pcr_phases_finish(&p), 0);
        CHECK_EQ_INT(p.n, 2);
        CHECK_EQ_STR(p.list[0], "enter-initrd:leave-initrd");
        CHECK_EQ_STR(p.list[1], "ready");
        pcr_phases_done(&p);

        /* ukify 257 splits on commas too (re.split(r',|\s+')) */
        CHECK_EQ_INT(pcr_phases_add_words(&p, "sysinit,enter-initrd, final", &bad), 0);
        CHECK_EQ_INT(pcr_phases_finish(&p), 0);
        CHECK_EQ_INT(p.n, 3);
        CHECK_EQ_STR(p.list[0], "enter-initrd");
        CHECK_EQ_STR(p.list[1], "final");
        CHECK_EQ_STR(p.list[2], "sysinit");
        pcr_phases_done(&p);
        CHECK_EQ_INT(pcr_phases_add_words(&p, ",", &bad), -ENODATA);
        pcr_phases_done(&p);

        CHECK_EQ_INT(pcr_phases_add_words(&p, " \t ", &bad), -ENODATA);
        CHECK_EQ_INT(pcr_phases_add_words(&p, "ready enter-initrd:bogus final", &bad), -EINVAL);
        CHECK(strncmp(bad, "enter-initrd:bogus ", 19) == 0);
        pcr_phases_done(&p);

        for (unsigned i = 0; i < PCR_PHASES_MAX; i++)
                CHECK_EQ_INT(pcr_phases_add(&p, "ready"), 0);
        CHECK_EQ_INT(pcr_phases_add(&p, "ready"), -E2BIG);
        pcr_phases_done(&p);
}

int main(void) {
        test_equivalence();
        test_unknown();
        test_order();
        test_default_and_words();
        TEST_DONE();
}
