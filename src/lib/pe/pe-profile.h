/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Multi-profile UKIs on the host: the UKI sections the stub uses for one
 * profile of a parsed image, by the stub's own rule (uki_profile_slot() in
 * src/fundamental/uki.h): the base's sections, each replaced by the
 * profile's same-named one. */

#include "pe.h"
#include "uki.h"

/* Fills ret[] (NULL where absent) for profile `profile` and *ret_n_profiles
 * (optional) with the number of .profile sections. Profile 0 of an image
 * without any .profile is the base alone; any other profile that does not
 * exist is -ENOENT (ret[] is then left untouched). */
int pe_profile_sections(const PeImage *img, uint32_t profile, const PeSection *ret[_UKI_SECTION_MAX],
                        uint32_t *ret_n_profiles);
