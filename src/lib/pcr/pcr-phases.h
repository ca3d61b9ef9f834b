/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The list of boot-phase paths a PCR 11 policy is calculated or signed for
 * (`ukit measure --phase=`, `ukit build --phases=`): each path is a
 * ':'-separated list of phase words, normalised as systemd-measure 257 does
 * (empty words dropped, so "", ":" and "::" are the path before any phase,
 * "enter-initrd::leave-initrd" is "enter-initrd:leave-initrd"). The final
 * list is sorted and unique, in systemd-measure's order (which ukify's
 * .pcrsig inherits); an empty list becomes the four standard paths.
 *
 * ukit is stricter than systemd-measure 257, which takes any word: a word
 * other than enter-initrd, leave-initrd, sysinit, ready, shutdown, final is
 * refused (-EINVAL), since systemd-pcrphase never measures it. */

#include <stdbool.h>
#include <stddef.h>

#define PCR_PHASES_MAX 64u

typedef struct PcrPhases {
        char *list[PCR_PHASES_MAX];
        size_t n;
} PcrPhases;

void pcr_phases_done(PcrPhases *p);

/* One path. -EINVAL: unknown word; -E2BIG: more than PCR_PHASES_MAX paths. */
int pcr_phases_add(PcrPhases *p, const char *path);
/* Paths separated by whitespace or commas, as ukify 257 --phases= takes them
 * ("enter-initrd enter-initrd:leave-initrd", "enter-initrd,sysinit").
 * On error *ret_bad (if given) points into list at the offending path. An
 * empty list is -ENODATA. */
int pcr_phases_add_words(PcrPhases *p, const char *list, const char **ret_bad);
/* Sort and de-duplicate; with no path, the four standard paths. */
int pcr_phases_finish(PcrPhases *p);
