/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The output of systemd-measure 257 `calculate`: PCR 11 after each boot
 * phase path, for `ukit measure calculate` and `ukit build --measure` (which
 * prints what ukify 257's --measure gets from systemd-measure). */

#include <stdio.h>

#include "json.h"
#include "pcr-phases.h"
#include "pcr.h"

/* Text: per phase path, "# PCR[11] Phase <PATH>" on stderr (":" for the
 * empty path), then "11:BANK=HEX" per bank on stdout. 0 or -errno. */
int measure_print_text(const PcrState *base, const PcrPhases *phases);

/* JSON: {"BANK":[{"phase":PATH,"pcr":11,"hash":HEX},...],...}, "phase"
 * left out for the empty path. extra (optional) may add array entries after
 * a bank's phases. 0 or -errno. */
typedef void (*MeasurePrintExtra)(JsonWriter *w, PcrBank bank, void *userdata);
int measure_print_json(const PcrState *base, const PcrPhases *phases, JsonStyle style, MeasurePrintExtra extra,
                       void *userdata);
