/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Signed PCR policies: the JSON systemd-stub puts in .pcrsig and
 * systemd-cryptsetup/systemd-creds consume.
 *
 *   { "sha256" : [ { "pcrs" : [ 11 ], "pkfp" : HEX, "pol" : HEX, "sig" : BASE64 }, ... ], ... }
 *
 * One object per (bank, phase, key): "pol" is the TPM2 PolicyPCR digest
 * (SHA-256 session) of PCR 11 in that bank after that phase, "sig" the
 * signature over "pol" with the bank's hash (RSA PKCS#1 v1.5, or DER ECDSA),
 * "pkfp" the SHA-256 of the public key in its i2d_PublicKey() form (PKCS#1
 * RSAPublicKey / EC point), which is how the unsealing side finds the entry
 * for its key. Banks appear in bank order; within a bank, entries keep the
 * order they were added in, so signing with a second key appends (key
 * rotation: an image carries the old and the new key's signatures). */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <openssl/evp.h>

#include "error.h"
#include "json.h"
#include "pcr.h"

#define PCRSIG_FINGERPRINT_SIZE 32u
#define PCRSIG_ENTRIES_MAX      4096u
#define PCRSIG_SIG_MAX          4096u   /* RSA 16384 bits would be 2048 bytes */

typedef struct PcrSigEntry {
        PcrBank bank;
        uint8_t pkfp[PCRSIG_FINGERPRINT_SIZE];
        uint8_t pol[32];
        uint8_t *sig;
        size_t sig_size;
        /* Only set by pcrsig_parse(): the position in the bank's array, and
         * whether "pcrs" was something other than [11]. */
        size_t index;
        bool not_pcr11;
} PcrSigEntry;

typedef struct PcrSig {
        PcrSigEntry *entries;
        size_t n_entries;
} PcrSig;

void pcrsig_done(PcrSig *s);

/* The key must be RSA or EC (-EOPNOTSUPP otherwise); pub, when given, must
 * be its public half (-EKEYREJECTED otherwise). */
int pcrsig_check_keys(EVP_PKEY *priv, EVP_PKEY *pub);

int pcrsig_fingerprint(EVP_PKEY *pub, uint8_t ret[PCRSIG_FINGERPRINT_SIZE]);

/* Signs the policy for each phase (normalised phase paths; "" = before any
 * phase) in each bank of base, where base is PCR 11 after the image's
 * sections. pub may be NULL (derived from priv). Appends to s. */
int pcrsig_sign(PcrSig *s, EVP_PKEY *priv, EVP_PKEY *pub, const PcrState *base,
                char *const *phases, size_t n_phases);

void pcrsig_write_json(const PcrSig *s, FILE *f, JsonStyle style);

/* The JSON as a string (short style has no trailing newline), for .pcrsig. */
int pcrsig_to_string(const PcrSig *s, JsonStyle style, char **ret, size_t *ret_size);

/* Parses .pcrsig JSON (trailing NULs ignored) into ret, entries in bank
 * order, and the mask of banks it lists. -EBADMSG with a one-line reason
 * (no prefix) in error for malformed input or a bad field; -ENOMEM. */
int pcrsig_parse(const void *text, size_t n, PcrSig *ret, unsigned *ret_banks, UkitError *err);

/* PEM SubjectPublicKeyInfo of pub, for .pcrpkey. */
int pcrsig_public_key_pem(EVP_PKEY *pub, char **ret, size_t *ret_size);
