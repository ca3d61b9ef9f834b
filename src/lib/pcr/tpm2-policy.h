/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* TPM2 policy digests computed in software, marshalled by hand (TPM 2.0
 * Library Part 2 structures, big-endian), so that signing a PCR policy needs
 * no TPM and no tss2 dependency.
 *
 * PolicyPCR (Part 3, 23.7): policyDigest' = H(policyDigest || TPM_CC_PolicyPCR
 * || TPML_PCR_SELECTION || pcrDigest), pcrDigest = H(PCR values of the
 * selection, concatenated in selection order), H = the session's hash (we
 * use SHA-256 like systemd). A TPML_PCR_SELECTION with one bank is
 * count(u32) || hash(u16) || sizeofSelect(u8 = 3) || pcrSelect[3]. */

#include <stddef.h>
#include <stdint.h>

#define TPM2_CC_POLICY_PCR              UINT32_C(0x0000017F)
#define TPM2_CC_POLICY_AUTHORIZE        UINT32_C(0x0000016A)
#define TPM2_PCR_SELECT_SIZE            3u      /* 24 PCRs, the PC client minimum */
#define TPM2_SHA256_SIZE                32u
#define TPM2_PCR_SELECTION_MARSHALLED   (4u + 2u + 1u + TPM2_PCR_SELECT_SIZE)

/* Marshals a TPML_PCR_SELECTION of one bank (hash_alg) and a PCR mask
 * (bits 0..23). Returns the length written (TPM2_PCR_SELECTION_MARSHALLED),
 * -EINVAL for PCRs beyond 23 or a too small buffer. */
int tpm2_marshal_pcr_selection(uint16_t hash_alg, uint32_t pcr_mask, uint8_t *buf, size_t size);

/* Extends policy (32 bytes, in/out, SHA-256 session) with TPM2_PolicyPCR for
 * the PCRs in pcr_mask of bank hash_alg, whose values (each value_size bytes,
 * in ascending PCR order) are concatenated in values. */
int tpm2_policy_pcr(uint8_t policy[TPM2_SHA256_SIZE], uint16_t hash_alg, uint32_t pcr_mask,
                    const void *values, size_t values_size);
