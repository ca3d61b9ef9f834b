/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* PCR 11 of a built UKI: what a stub following `rules` extends before any
 * boot phase, for the image's own sections. Shared by `ukit measure
 * calculate --uki`, `ukit build --measure` and the .pcrsig audit of `ukit
 * verify` (pcr_measure_pe_image_profile() for every profile). */

#include "pcr.h"
#include "pe.h"

/* Measures the sections of img (read from fd) in the banks of the mask:
 * those of profile 0 (pe_profile_sections(): the whole image when it has no
 * .profile). Each section counts with VirtualSize bytes, zero-filled past
 * its raw data, as the loader maps it. Returns 0 or -errno. */
int pcr_measure_pe_image(int fd, const PeImage *img, const UkiMeasureRules *rules, unsigned banks, PcrState *ret);

/* The same with the dtbauto-th .dtbauto section (counting from 0 in header
 * order) as the one the stub picked: ukify runs systemd-measure once per
 * .dtbauto. None is measured when there are fewer. */
int pcr_measure_pe_image_dtbauto(int fd, const PeImage *img, const UkiMeasureRules *rules, unsigned banks,
                                 size_t dtbauto, PcrState *ret);

/* The sections the stub uses for profile `profile` of a multi-profile UKI
 * (the base overlaid by the profile's sections). -ENOENT when the image
 * has no such profile. */
int pcr_measure_pe_image_profile(int fd, const PeImage *img, uint32_t profile, const UkiMeasureRules *rules,
                                 unsigned banks, PcrState *ret);

/* How many sections of img are called name. */
size_t pcr_image_count_sections(const PeImage *img, const char *name);
