/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The TPM PCRs a UKI stub measures into, as the Boot Loader Interface and
 * the UAPI TPM PCR registry assign them (systemd's tpm2-pcr.h). The single
 * definition for the stub (what it measures, the StubPcr* variables it
 * sets) and the host (what `ukit measure` predicts and signs). */

/* PCR 11: the UKI's sections (src/fundamental/uki.h rules), its phases */
#define TPM2_PCR_KERNEL_BOOT   11u
/* PCR 12: command line, profile, add-ons, credentials, confexts */
#define TPM2_PCR_KERNEL_CONFIG 12u
/* PCR 13: system extension images picked up by the stub */
#define TPM2_PCR_SYSEXTS       13u
