/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* PCR 11 of a built UKI: what a stub following `rules` extends before any
 * boot phase, for the image's own sections. Shared by `ukit measure
 * calculate --uki` and the .pcrsig audit of `ukit verify`. */

#include "pcr.h"
#include "pe.h"

/* Measures the sections the stub uses for profile `profile` of img (read
 * from fd; pe_profile_sections(): the base overlaid by the profile's
 * sections) in the banks of the mask. Each section counts with VirtualSize
 * bytes, zero-filled past its raw data, as the loader maps it. Returns 0,
 * -ENOENT when the image has no such profile, or -errno. */
int pcr_measure_pe_image_profile(int fd, const PeImage *img, uint32_t profile, const UkiMeasureRules *rules,
                                 unsigned banks, PcrState *ret);

/* Profile 0 (the only one of an image without .profile sections). */
int pcr_measure_pe_image(int fd, const PeImage *img, const UkiMeasureRules *rules, unsigned banks, PcrState *ret);
