/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include <openssl/evp.h>

#include "macro.h"
#include "tpm2-policy.h"

static void be32_write(uint8_t *p, uint32_t v) {
        p[0] = (uint8_t) (v >> 24);
        p[1] = (uint8_t) (v >> 16);
        p[2] = (uint8_t) (v >> 8);
        p[3] = (uint8_t) v;
}

int tpm2_marshal_pcr_selection(uint16_t hash_alg, uint32_t pcr_mask, uint8_t *buf, size_t size) {
        if (!buf || size < TPM2_PCR_SELECTION_MARSHALLED)
                return -EINVAL;
        if (pcr_mask >> (8u * TPM2_PCR_SELECT_SIZE))
                return -EINVAL;
        be32_write(buf, 1);                     /* count */
        buf[4] = (uint8_t) (hash_alg >> 8);     /* TPMS_PCR_SELECTION.hash */
        buf[5] = (uint8_t) hash_alg;
        buf[6] = TPM2_PCR_SELECT_SIZE;          /* sizeofSelect */
        for (unsigned i = 0; i < TPM2_PCR_SELECT_SIZE; i++)
                buf[7 + i] = (uint8_t) (pcr_mask >> (8u * i));  /* PCR n is bit n%8 of byte n/8 */
        return (int) TPM2_PCR_SELECTION_MARSHALLED;
}

int tpm2_policy_pcr(uint8_t policy[TPM2_SHA256_SIZE], uint16_t hash_alg, uint32_t pcr_mask,
                    const void *values, size_t values_size) {
        uint8_t buf[TPM2_SHA256_SIZE + 4 + TPM2_PCR_SELECTION_MARSHALLED + TPM2_SHA256_SIZE];
        size_t o = 0;
        int r;

        if (!policy || (!values && values_size > 0) || pcr_mask == 0)
                return -EINVAL;

        memcpy(buf, policy, TPM2_SHA256_SIZE);
        o += TPM2_SHA256_SIZE;
        be32_write(buf + o, TPM2_CC_POLICY_PCR);
        o += 4;
        r = tpm2_marshal_pcr_selection(hash_alg, pcr_mask, buf + o, sizeof(buf) - o);
        if (r < 0)
                return r;
        o += (size_t) r;
        if (EVP_Digest(values, values_size, buf + o, NULL, EVP_sha256(), NULL) != 1)
                return -EIO;
        o += TPM2_SHA256_SIZE;
        if (EVP_Digest(buf, o, policy, NULL, EVP_sha256(), NULL) != 1)
                return -EIO;
        return 0;
}
