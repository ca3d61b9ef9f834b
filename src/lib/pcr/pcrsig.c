/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "keys.h"
#include "openssl-util.h"
#include "pcrsig.h"
#include "tpm2-policy.h"
#include "util.h"


void pcrsig_done(PcrSig *s) {
        for (size_t i = 0; i < s->n_entries; i++)
                free(s->entries[i].sig);
        free(s->entries);
        s->entries = NULL;
        s->n_entries = 0;
}

int pcrsig_check_keys(EVP_PKEY *priv, EVP_PKEY *pub) {
        if (!priv)
                return -EINVAL;
        if (EVP_PKEY_get_base_id(priv) != EVP_PKEY_RSA && EVP_PKEY_get_base_id(priv) != EVP_PKEY_EC)
                return -EOPNOTSUPP;
        if (pub && EVP_PKEY_eq(priv, pub) != 1)
                return -EKEYREJECTED;
        return 0;
}

int pcrsig_fingerprint(EVP_PKEY *pub, uint8_t ret[PCRSIG_FINGERPRINT_SIZE]) {
        unsigned char *der = NULL;
        int n = i2d_PublicKey(pub, &der);
        if (n <= 0)
                return -EBADMSG;
        int ok = EVP_Digest(der, (size_t) n, ret, NULL, EVP_sha256(), NULL);
        OPENSSL_free(der);
        return ok == 1 ? 0 : -EIO;
}

static int sign_digest(EVP_PKEY *priv, PcrBank bank, const uint8_t *data, size_t n, uint8_t **ret, size_t *ret_size) {
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        _cleanup_free_ uint8_t *sig = NULL;
        size_t ss = 0;

        if (!ctx)
                return -ENOMEM;
        if (EVP_DigestSignInit(ctx, NULL, pcr_bank_md(bank), NULL, priv) != 1)
                return -EIO;
        if (EVP_DigestSign(ctx, NULL, &ss, data, n) != 1 || ss == 0 || ss > PCRSIG_SIG_MAX)
                return -EIO;
        sig = malloc(ss);
        if (!sig)
                return -ENOMEM;
        if (EVP_DigestSign(ctx, sig, &ss, data, n) != 1)
                return -EIO;
        *ret = TAKE_PTR(sig);
        *ret_size = ss;
        return 0;
}

int pcrsig_sign(PcrSig *s, EVP_PKEY *priv, EVP_PKEY *pub, const PcrState *base,
                char *const *phases, size_t n_phases) {
        uint8_t fp[PCRSIG_FINGERPRINT_SIZE];
        size_t n_new = 0, total;
        int r;

        r = pcrsig_check_keys(priv, pub);
        if (r < 0)
                return r;
        r = pcrsig_fingerprint(pub ? pub : priv, fp);
        if (r < 0)
                return r;
        for (int b = 0; b < _PCR_BANK_MAX; b++)
                if (base->banks & PCR_BANK_BIT(b))
                        n_new += n_phases;
        if (!ADD_OK(s->n_entries, n_new, &total) || total > PCRSIG_ENTRIES_MAX)
                return -E2BIG;
        PcrSigEntry *e = realloc(s->entries, MAX(total, (size_t) 1) * sizeof(PcrSigEntry));
        if (!e)
                return -ENOMEM;
        s->entries = e;

        for (size_t p = 0; p < n_phases; p++) {
                PcrState st = *base;
                r = pcr_state_extend_phase(&st, phases[p]);
                if (r < 0)
                        return r;
                for (int b = 0; b < _PCR_BANK_MAX; b++) {
                        PcrSigEntry *x = s->entries + s->n_entries;
                        if (!(st.banks & PCR_BANK_BIT(b)))
                                continue;
                        *x = (PcrSigEntry) { .bank = (PcrBank) b };
                        memcpy(x->pkfp, fp, sizeof(fp));
                        memset(x->pol, 0, sizeof(x->pol));      /* a fresh session's policy */
                        r = tpm2_policy_pcr(x->pol, pcr_bank_tpm2_alg((PcrBank) b), 1u << TPM2_PCR_KERNEL_BOOT,
                                            st.value[b], pcr_bank_digest_size((PcrBank) b));
                        if (r < 0)
                                return r;
                        r = sign_digest(priv, (PcrBank) b, x->pol, sizeof(x->pol), &x->sig, &x->sig_size);
                        if (r < 0)
                                return r;
                        s->n_entries++;
                }
        }
        return 0;
}

static void json_hex(JsonWriter *w, const uint8_t *p, size_t n) {
        char buf[2 * 64 + 1];
        n = MIN(n, (size_t) 64);
        hex_encode_to(p, n, buf);
        json_string_n(w, buf, 2 * n);
}

void pcrsig_write_json(const PcrSig *s, FILE *f, JsonStyle style) {
        JsonWriter w;

        json_begin(&w, f, style == JSON_OFF ? JSON_SHORT : style);
        json_object_begin(&w);
        for (int b = 0; b < _PCR_BANK_MAX; b++) {
                bool any = false;
                for (size_t i = 0; i < s->n_entries; i++) {
                        const PcrSigEntry *e = s->entries + i;
                        if (e->bank != (PcrBank) b)
                                continue;
                        if (!any) {
                                json_key(&w, pcr_bank_to_string((PcrBank) b));
                                json_array_begin(&w);
                                any = true;
                        }
                        json_object_begin(&w);
                        json_key(&w, "pcrs");
                        json_array_begin(&w);
                        json_uint(&w, TPM2_PCR_KERNEL_BOOT);
                        json_array_end(&w);
                        json_key(&w, "pkfp");
                        json_hex(&w, e->pkfp, sizeof(e->pkfp));
                        json_key(&w, "pol");
                        json_hex(&w, e->pol, sizeof(e->pol));
                        json_key(&w, "sig");
                        {
                                /* Base64 without line breaks: 4 output bytes per 3 input bytes + NUL;
                                 * sig_size <= PCRSIG_SIG_MAX (checked when signing). */
                                char b64[4 * ((PCRSIG_SIG_MAX + 2) / 3) + 1];
                                int k = EVP_EncodeBlock((unsigned char *) b64, e->sig,
                                                        (int) MIN(e->sig_size, (size_t) PCRSIG_SIG_MAX));
                                json_string_n(&w, b64, k > 0 ? (size_t) k : 0);
                        }
                        json_object_end(&w);
                }
                if (any)
                        json_array_end(&w);
        }
        json_object_end(&w);
        json_end(&w);
}

int pcrsig_to_string(const PcrSig *s, JsonStyle style, char **ret, size_t *ret_size) {
        char *buf = NULL;
        size_t n = 0;
        FILE *f = open_memstream(&buf, &n);
        if (!f)
                return -ENOMEM;
        pcrsig_write_json(s, f, style);
        if (fclose(f) != 0) {
                free(buf);
                return -ENOMEM;
        }
        if (style != JSON_PRETTY && n > 0 && buf[n - 1] == '\n')
                buf[--n] = 0;
        *ret = buf;
        if (ret_size)
                *ret_size = n;
        return 0;
}

int pcrsig_public_key_pem(EVP_PKEY *pub, char **ret, size_t *ret_size) {
        char *buf = NULL;
        size_t n = 0;
        FILE *f = open_memstream(&buf, &n);
        if (!f)
                return -ENOMEM;
        int ok = PEM_write_PUBKEY(f, pub);
        if (fclose(f) != 0 || ok != 1) {
                free(buf);
                return ok != 1 ? -EBADMSG : -ENOMEM;
        }
        *ret = buf;
        if (ret_size)
                *ret_size = n;
        return 0;
}
