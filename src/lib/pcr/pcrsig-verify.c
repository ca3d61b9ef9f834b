/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/pem.h>

#include "openssl-util.h"
#include "pcr-image.h"
#include "pe-profile.h"
#include "keys.h"
#include "pcrsig-verify.h"
#include "tpm2-policy.h"
#include "uki.h"
#include "util.h"

#define SDMAGIC_READ_MAX   4096u
#define PCRPKEY_READ_MAX   (64u * 1024u)

/* The boot phase words in the order systemd-pcrphase extends them. */
static const char *const boot_sequence[] = {
        "enter-initrd", "leave-initrd", "sysinit", "ready", "shutdown", "final",
};

const char *pcrsig_status_to_string(PcrSigStatus s) {
        static const char *const names[_PCRSIG_STATUS_MAX] = {
                [PCRSIG_STATUS_OK] = "ok",
                [PCRSIG_STATUS_MISMATCH] = "mismatch",
                [PCRSIG_STATUS_BAD_SIGNATURE] = "bad-signature",
                [PCRSIG_STATUS_UNKNOWN_KEY] = "unknown-key",
        };
        return (unsigned) s < _PCRSIG_STATUS_MAX ? names[s] : "?";
}

void pcrsig_audit_done(PcrSigAudit *a) {
        free(a->checks);
        for (size_t i = 0; i < a->n_phases; i++)
                free(a->phases[i]);
        *a = (PcrSigAudit) {};
}

#define seterr(err, ...) ukit_error(err, -EBADMSG, __VA_ARGS__)

static int add_phase(PcrSigAudit *a, const char *phase) {
        for (size_t i = 0; i < a->n_phases; i++)
                if (streq(a->phases[i], phase))
                        return 0;
        if (a->n_phases >= PCRSIG_VERIFY_PHASES_MAX)
                return -E2BIG;
        char *p = strdup(phase);
        if (!p)
                return -ENOMEM;
        a->phases[a->n_phases++] = p;
        return 0;
}

static int candidate_phases(PcrSigAudit *a, char *const *extra, size_t n_extra) {
        char path[128] = "";
        int r;

        r = add_phase(a, "");
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(boot_sequence); i++) {
                if (i > 0)
                        strcat(path, ":");
                strcat(path, boot_sequence[i]);         /* 59 bytes at most */
                r = add_phase(a, path);
        }
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(boot_sequence); i++)
                r = add_phase(a, boot_sequence[i]);
        for (size_t i = 0; r >= 0 && i < n_extra; i++) {
                _cleanup_free_ char *norm = NULL;
                r = pcr_phase_normalize(extra[i], true, &norm);
                if (r >= 0)
                        r = add_phase(a, norm);
        }
        return r;
}

static int load_pcrpkey(int fd, const PeImage *img, const PeSection *s, EVP_PKEY **ret, UkitError *err) {
        _cleanup_free_ void *pem = NULL;
        size_t n = 0;
        int r;

        if (!s)
                return -ENOENT;
        r = pe_read_section(fd, img, s, PCRPKEY_READ_MAX, &pem, &n);
        if (r == -EFBIG)
                return seterr(err, ".pcrpkey: larger than %u bytes", PCRPKEY_READ_MAX);
        if (r < 0)
                return r;
        _cleanup_(BIO_free_allp) BIO *bio = BIO_new_mem_buf(pem, (int) n);
        if (!bio)
                return -ENOMEM;
        EVP_PKEY *k = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
        if (!k)
                return seterr(err, ".pcrpkey: not a PEM public key");
        if (EVP_PKEY_get_base_id(k) != EVP_PKEY_RSA && EVP_PKEY_get_base_id(k) != EVP_PKEY_EC) {
                EVP_PKEY_free(k);
                return seterr(err, ".pcrpkey: neither an RSA nor an EC key");
        }
        *ret = k;
        return 0;
}

int pcrsig_keys_add(PcrSigKeys *k, EVP_PKEY *key) {
        int id = EVP_PKEY_get_base_id(key);

        if (k->n >= PCRSIG_KEYS_MAX || (id != EVP_PKEY_RSA && id != EVP_PKEY_EC)) {
                EVP_PKEY_free(key);
                return k->n >= PCRSIG_KEYS_MAX ? -E2BIG : -EINVAL;
        }
        if (pcrsig_fingerprint(key, k->fp[k->n]) < 0) {
                EVP_PKEY_free(key);
                return -EINVAL;
        }
        k->key[k->n++] = key;
        return 0;
}

void pcrsig_keys_done(PcrSigKeys *k) {
        for (size_t i = 0; i < k->n; i++)
                EVP_PKEY_free(k->key[i]);
        k->n = 0;
}

/* The key an entry with fingerprint fp is checked with: one of the given
 * keys, else (none given) .pcrpkey; NULL if there is none. */
static EVP_PKEY *entry_key(const PcrSigAudit *a, EVP_PKEY *pcrpkey, const uint8_t *fp) {
        if (a->keys) {
                for (size_t i = 0; i < a->keys->n; i++)
                        if (memcmp(a->keys->fp[i], fp, PCRSIG_FINGERPRINT_SIZE) == 0)
                                return a->keys->key[i];
                return NULL;
        }
        if (a->have_pcrpkey && memcmp(a->pcrpkey_fp, fp, PCRSIG_FINGERPRINT_SIZE) == 0)
                return pcrpkey;
        return NULL;
}

static bool signature_ok(EVP_PKEY *key, PcrBank bank, const uint8_t pol[32], const uint8_t *sig, size_t sig_size) {
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        if (!ctx || EVP_DigestVerifyInit(ctx, NULL, pcr_bank_md(bank), NULL, key) != 1)
                return false;
        return EVP_DigestVerify(ctx, sig, sig_size, pol, 32) == 1;
}

/* The measurement rules of the image's stub (its .sdmagic), or the current
 * ones when it has none or an unknown one (a->rules_known says which). */
static int pick_rules(int fd, const PeImage *img, PcrSigAudit *a, const UkiMeasureRules **ret) {
        const UkiMeasureRules *rules = NULL;
        const PeSection *s;
        int r;

        s = pe_find_section(img, UKI_NAME_SDMAGIC);
        if (s) {
                _cleanup_free_ void *magic = NULL;
                size_t mn = 0;
                r = pe_read_section(fd, img, s, SDMAGIC_READ_MAX, &magic, &mn);
                if (r < 0 && r != -EFBIG)
                        return r;
                if (r >= 0)
                        rules = uki_rules_for_stub(magic, mn);
        }
        a->rules_known = rules != NULL;
        if (!rules)
                rules = &uki_rules_current;
        a->rules_name = rules->name;
        *ret = rules;
        return 0;
}

/* Candidate policies: pols[p][b] for each phase p and each bank b in a->banks,
 * from the image's PCR 11 state base extended by the phase. */
static int candidate_policies(const PcrSigAudit *a, const PcrState *base, uint8_t (*pols)[_PCR_BANK_MAX][32]) {
        int r;

        for (size_t p = 0; p < a->n_phases; p++) {
                PcrState st = *base;
                if (a->banks == 0)
                        break;
                r = pcr_state_extend_phase(&st, a->phases[p]);
                if (r < 0)
                        return r;
                for (int b = 0; b < _PCR_BANK_MAX; b++) {
                        if (!(a->banks & PCR_BANK_BIT(b)))
                                continue;
                        r = tpm2_policy_pcr(pols[p][b], pcr_bank_tpm2_alg((PcrBank) b), 1u << TPM2_PCR_KERNEL_BOOT,
                                            st.value[b], pcr_bank_digest_size((PcrBank) b));
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

/* Judge one .pcrsig entry into c: which phase its policy matches, and
 * whether .pcrpkey signed it; a verified entry adds its bank to banks_ok. */
static void check_entry(PcrSigAudit *a, const PcrSigEntry *e, uint8_t (*pols)[_PCR_BANK_MAX][32], EVP_PKEY *pcrpkey,
                        PcrSigCheck *c) {
        EVP_PKEY *key = entry_key(a, pcrpkey, e->pkfp);

        *c = (PcrSigCheck) { .bank = e->bank, .index = e->index };
        memcpy(c->pkfp, e->pkfp, sizeof(c->pkfp));
        for (size_t p = 0; p < a->n_phases && !c->phase; p++)
                if (memcmp(pols[p][e->bank], e->pol, 32) == 0)
                        c->phase = a->phases[p];

        if (e->not_pcr11) {
                c->status = PCRSIG_STATUS_MISMATCH;
                c->detail = "\"pcrs\" is not [11]";
        } else if (!c->phase) {
                c->status = PCRSIG_STATUS_MISMATCH;
                c->detail = "policy matches no PCR 11 value of this image";
        } else if (!key) {
                c->status = PCRSIG_STATUS_UNKNOWN_KEY;
                c->detail = a->keys ? "signed by none of the given keys"
                          : a->have_pcrpkey ? "signed by a key other than .pcrpkey"
                                            : "no .pcrpkey to check it with";
        } else if (!signature_ok(key, e->bank, e->pol, e->sig, e->sig_size)) {
                c->status = PCRSIG_STATUS_BAD_SIGNATURE;
                c->detail = a->keys ? "signature does not verify with the given key of its fingerprint"
                                    : "signature does not verify with .pcrpkey";
        } else {
                c->status = PCRSIG_STATUS_OK;
                a->banks_ok |= PCR_BANK_BIT(e->bank);
        }
}

/* Reads and parses the .pcrsig section s into sig (a->banks: the banks it
 * lists). */
static int read_pcrsig(int fd, const PeImage *img, const PeSection *s, PcrSig *sig, PcrSigAudit *a, UkitError *err) {
        _cleanup_free_ void *text = NULL;
        UkitError why = UKIT_ERROR_INIT;
        size_t n = 0;
        int r;

        r = pe_read_section(fd, img, s, PCRSIG_VERIFY_SECTION_MAX, &text, &n);
        if (r == -EFBIG)
                return seterr(err, ".pcrsig: larger than %u bytes", PCRSIG_VERIFY_SECTION_MAX);
        if (r < 0)
                return r;
        r = pcrsig_parse(text, n, sig, &a->banks, &why);
        if (r == -EBADMSG)
                return seterr(err, ".pcrsig: %s", why.what);
        return r;
}

/* Loads the .pcrpkey section s (if any) into *key and its fingerprint into a. */
static int setup_key(int fd, const PeImage *img, const PeSection *s, PcrSigAudit *a, EVP_PKEY **key,
                     UkitError *err) {
        int r = load_pcrpkey(fd, img, s, key, err);
        if (r < 0 && r != -ENOENT)
                return r;
        if (*key) {
                r = pcrsig_fingerprint(*key, a->pcrpkey_fp);
                if (r < 0)
                        return seterr(err, ".pcrpkey: cannot compute the key fingerprint");
                a->have_pcrpkey = true;
        }
        return 0;
}

/* Judges every entry of sig against a->pcr11 into a->checks. */
static int check_entries(PcrSigAudit *a, const PcrSig *sig, EVP_PKEY *key) {
        _cleanup_free_ uint8_t (*pols)[_PCR_BANK_MAX][32] = NULL;
        int r;

        /* Candidate policies: one per (phase, bank). */
        pols = calloc(MAX(a->n_phases, (size_t) 1), sizeof(*pols));
        a->checks = calloc(MAX(sig->n_entries, (size_t) 1), sizeof(PcrSigCheck));
        if (!pols || !a->checks)
                return -ENOMEM;
        r = candidate_policies(a, &a->pcr11, pols);
        if (r < 0)
                return r;

        /* pcrsig_parse() gives the entries in bank order, as pcrsig.c writes them. */
        for (size_t i = 0; i < sig->n_entries; i++)
                check_entry(a, &sig->entries[i], pols, key, &a->checks[a->n_checks++]);
        return 0;
}

int pcrsig_audit_profile(int fd, const PeImage *img, uint32_t profile, unsigned banks, char *const *extra_phases,
                         size_t n_extra, const PcrSigKeys *keys, PcrSigAudit *ret, UkitError *err) {
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
        _cleanup_(pcrsig_done) PcrSig sig = {};
        const UkiMeasureRules *rules = NULL;
        const PeSection *secs[_UKI_SECTION_MAX];
        _cleanup_(pcrsig_audit_done) PcrSigAudit a = {};
        int r;

        /* The .pcrsig and .pcrpkey the stub hands on for this profile:
         * the profile's own, else the base's. */
        r = pe_profile_sections(img, profile, secs, NULL);
        if (r < 0)
                return r;
        if (secs[UKI_SECTION_PCRSIG]) {
                a.present = true;
                r = read_pcrsig(fd, img, secs[UKI_SECTION_PCRSIG], &sig, &a, err);
                if (r < 0)
                        return r;
        }

        r = pick_rules(fd, img, &a, &rules);
        if (r < 0)
                return r;
        a.keys = keys && keys->n > 0 ? keys : NULL;
        if (a.present) {
                r = setup_key(fd, img, secs[UKI_SECTION_PCRPKEY], &a, &key, err);
                if (r >= 0)
                        r = candidate_phases(&a, extra_phases, n_extra);
                if (r < 0)
                        return r;
        }

        /* PCR 11 as the stub leaves it for this profile, before any phase. */
        pcr_state_init(&a.pcr11, banks | a.banks);
        if ((banks | a.banks) != 0) {
                r = pcr_measure_pe_image_profile(fd, img, profile, rules, banks | a.banks, &a.pcr11);
                if (r < 0)
                        return r;
        }

        if (a.present) {
                r = check_entries(&a, &sig, key);
                if (r < 0)
                        return r;
        }
        *ret = a;
        a = (PcrSigAudit) {};   /* the caller owns it now */
        return 0;
}

int pcrsig_audit_image(int fd, const PeImage *img, char *const *extra_phases, size_t n_extra, const PcrSigKeys *keys,
                       PcrSigAudit *ret, UkitError *err) {
        PcrSigAudit a = {};
        int r;

        r = pcrsig_audit_profile(fd, img, 0, 0, extra_phases, n_extra, keys, &a, err);
        if (r < 0)
                return r;
        if (!a.present) {
                pcrsig_audit_done(&a);
                return -ENOENT;
        }
        *ret = a;
        return 0;
}

bool pcrsig_audit_ok(const PcrSigAudit *a, bool strict) {
        if ((!a->have_pcrpkey && !a->keys) || a->banks == 0 || a->banks_ok != a->banks)
                return false;
        for (size_t i = 0; i < a->n_checks; i++) {
                PcrSigStatus s = a->checks[i].status;
                if (s == PCRSIG_STATUS_OK || (s == PCRSIG_STATUS_UNKNOWN_KEY && !strict))
                        continue;
                return false;
        }
        return true;
}
