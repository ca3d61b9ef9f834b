/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "osrel.h"
#include "pe-profile.h"
#include "uki.h"
#include "util.h"
#include "verify-pcrsig.h"

#define PROFILE_READ_MAX (64u * 1024u)

void verify_profiles_done(VerifyProfiles *v) {
        for (uint32_t i = 0; i < v->n; i++)
                pcrsig_audit_done(&v->p[i].audit);
        free(v->p);
        *v = (VerifyProfiles) {};
}

/* The ID= of profile `profile`'s .profile section into id ("" if none). */
static int read_profile_id(int fd, const PeImage *img, uint32_t profile, char id[VERIFY_PROFILE_ID_MAX]) {
        const PeSection *secs[_UKI_SECTION_MAX];
        _cleanup_free_ void *text = NULL;
        size_t n = 0;
        int r;

        id[0] = 0;
        r = pe_profile_sections(img, profile, secs, NULL);
        if (r < 0)
                return r;
        if (!secs[UKI_SECTION_PROFILE])
                return 0;
        r = pe_read_section(fd, img, secs[UKI_SECTION_PROFILE], PROFILE_READ_MAX, &text, &n);
        if (r == -EFBIG)
                return 0;
        if (r < 0)
                return r;
        if (osrel_get(text, n, "ID", id, VERIFY_PROFILE_ID_MAX) < 0)
                id[0] = 0;
        return 0;
}

int verify_profiles_audit(int fd, const PeImage *img, char *const *phases, size_t n_phases, const PcrSigKeys *keys,
                          VerifyProfiles *ret, uint32_t *ret_bad, UkitError *err) {
        const PeSection *secs[_UKI_SECTION_MAX];
        VerifyProfiles v = {};
        uint32_t n = 0;
        int r;

        *ret = (VerifyProfiles) {};
        r = pe_profile_sections(img, 0, secs, &n);
        if (r < 0 || n == 0)
                return r;
        if (n > VERIFY_PROFILES_MAX)
                return -E2BIG;
        v.p = calloc(n, sizeof(VerifyProfile));
        if (!v.p)
                return -ENOMEM;
        for (; v.n < n; v.n++) {
                VerifyProfile *p = &v.p[v.n];
                r = pcrsig_audit_profile(fd, img, v.n, PCR_BANK_BIT(PCR_BANK_SHA256), phases, n_phases, keys,
                                         &p->audit, err);
                if (r >= 0)
                        r = read_profile_id(fd, img, v.n, p->id);
                if (r < 0) {
                        *ret_bad = v.n;
                        verify_profiles_done(&v);
                        return r;
                }
        }
        *ret = v;
        return 0;
}

bool verify_profile_ok(const VerifyProfile *p, bool strict) {
        return !p->audit.present || pcrsig_audit_ok(&p->audit, strict);
}

void verify_pcrsig_print_text(const char *prefix, const PcrSigAudit *p, bool strict) {
        char fp[2 * PCRSIG_FINGERPRINT_SIZE + 1];

        if (p->have_pcrpkey)
                hex_encode_to(p->pcrpkey_fp, sizeof(p->pcrpkey_fp), fp);
        printf("%spcrsig: %zu entr%s, PCR 11 from %s rules%s, .pcrpkey %s", prefix, p->n_checks,
               p->n_checks == 1 ? "y" : "ies", p->rules_name, p->rules_known ? "" : " (stub not recognised)",
               p->have_pcrpkey ? fp : "missing");
        if (p->keys)
                printf(", checked with the %zu given key%s instead", p->keys->n, p->keys->n == 1 ? "" : "s");
        printf("\n");
        for (size_t i = 0; i < p->n_checks; i++) {
                const PcrSigCheck *c = &p->checks[i];
                /* The phase and details come from the image's .pcrsig. */
                _cleanup_free_ char *phase = escape_str(c->phase), *detail = escape_str(c->detail);
                hex_encode_to(c->pkfp, sizeof(c->pkfp), fp);
                printf("%spcrsig %s[%zu]: phase %s%s%s, key %s: %s", prefix, pcr_bank_to_string(c->bank), c->index,
                       c->phase ? "\"" : "", c->phase ? phase : "unknown", c->phase ? "\"" : "", fp,
                       c->status == PCRSIG_STATUS_UNKNOWN_KEY ? "other key" : pcrsig_status_to_string(c->status));
                if (c->status == PCRSIG_STATUS_UNKNOWN_KEY && strict)
                        printf(" (refused by --strict-pcrsig)");
                printf("%s%s\n", c->detail ? ": " : "", detail);
        }
        for (int b = 0; b < _PCR_BANK_MAX; b++)
                if ((p->banks & PCR_BANK_BIT(b)) && !(p->banks_ok & PCR_BANK_BIT(b)))
                        printf("%spcrsig %s: no entry verifies with %s\n", prefix,
                               pcr_bank_to_string((PcrBank) b), p->keys ? "the given keys" : ".pcrpkey");
        printf("%spcrsig: %s\n", prefix, pcrsig_audit_ok(p, strict) ? "valid" : "INVALID");
}

void verify_pcrsig_print_json(JsonWriter *w, const PcrSigAudit *p, bool strict) {
        char fp[2 * PCRSIG_FINGERPRINT_SIZE + 1];

        json_key(w, "pcrsig");
        if (!p) {
                json_null(w);
                return;
        }
        json_object_begin(w);
        json_kv_bool(w, "valid", pcrsig_audit_ok(p, strict));
        json_kv_string(w, "rules", p->rules_name);
        json_kv_bool(w, "stubRecognised", p->rules_known);
        json_key(w, "pcrpkeyFingerprint");
        if (p->have_pcrpkey) {
                hex_encode_to(p->pcrpkey_fp, sizeof(p->pcrpkey_fp), fp);
                json_string(w, fp);
        } else
                json_null(w);
        if (p->keys) {          /* only with --pcr-public-key: the keys checked with */
                json_key(w, "givenKeyFingerprints");
                json_array_begin(w);
                for (size_t i = 0; i < p->keys->n; i++) {
                        hex_encode_to(p->keys->fp[i], sizeof(p->keys->fp[i]), fp);
                        json_string(w, fp);
                }
                json_array_end(w);
        }
        json_key(w, "entries");
        json_array_begin(w);
        for (size_t i = 0; i < p->n_checks; i++) {
                const PcrSigCheck *c = &p->checks[i];
                json_object_begin(w);
                json_kv_string(w, "bank", pcr_bank_to_string(c->bank));
                json_kv_uint(w, "index", c->index);
                json_key(w, "phase");
                if (c->phase)
                        json_string(w, c->phase);
                else
                        json_null(w);
                hex_encode_to(c->pkfp, sizeof(c->pkfp), fp);
                json_kv_string(w, "pkfp", fp);
                json_kv_string(w, "status", pcrsig_status_to_string(c->status));
                if (c->detail)
                        json_kv_string(w, "detail", c->detail);
                json_object_end(w);
        }
        json_array_end(w);
        json_object_end(w);
}

/* `profile N "ID": ` (the ID escaped), or `profile N: ` without an ID. */
static char *profile_prefix(uint32_t i, const VerifyProfile *p) {
        _cleanup_free_ char *id = escape_str(p->id);
        if (p->id[0])
                return xasprintf("profile %" PRIu32 " \"%s\": ", i, id);
        return xasprintf("profile %" PRIu32 ": ", i);
}

void verify_profiles_print_text(const VerifyProfiles *v, bool strict) {
        char hex[2 * PCR_DIGEST_MAX + 1];

        for (uint32_t i = 0; i < v->n; i++) {
                const VerifyProfile *p = &v->p[i];
                _cleanup_free_ char *prefix = profile_prefix(i, p);
                for (int b = 0; b < _PCR_BANK_MAX; b++)
                        if (p->audit.pcr11.banks & PCR_BANK_BIT(b)) {
                                hex_encode_to(p->audit.pcr11.value[b], pcr_bank_digest_size((PcrBank) b), hex);
                                printf("%sPCR 11 %s %s\n", prefix, pcr_bank_to_string((PcrBank) b), hex);
                        }
                if (p->audit.present)
                        verify_pcrsig_print_text(prefix, &p->audit, strict);
                else
                        printf("%sno .pcrsig\n", prefix);
        }
        for (uint32_t i = 0; i < v->n; i++)
                if (!verify_profile_ok(&v->p[i], strict)) {
                        _cleanup_free_ char *prefix = profile_prefix(i, &v->p[i]);
                        prefix[strlen(prefix) - 2] = 0;         /* no ": " */
                        printf("pcrsig: INVALID for %s\n", prefix);
                }
}

void verify_profiles_print_json(JsonWriter *w, const VerifyProfiles *v, bool strict) {
        char hex[2 * PCR_DIGEST_MAX + 1];

        json_key(w, "profiles");
        json_array_begin(w);
        for (uint32_t i = 0; i < v->n; i++) {
                const VerifyProfile *p = &v->p[i];
                json_object_begin(w);
                json_kv_uint(w, "profile", i);
                json_key(w, "id");
                if (p->id[0])
                        json_string(w, p->id);
                else
                        json_null(w);
                json_kv_bool(w, "valid", verify_profile_ok(p, strict));
                json_key(w, "pcr11");
                json_object_begin(w);
                for (int b = 0; b < _PCR_BANK_MAX; b++)
                        if (p->audit.pcr11.banks & PCR_BANK_BIT(b)) {
                                hex_encode_to(p->audit.pcr11.value[b], pcr_bank_digest_size((PcrBank) b), hex);
                                json_kv_string(w, pcr_bank_to_string((PcrBank) b), hex);
                        }
                json_object_end(w);
                verify_pcrsig_print_json(w, p->audit.present ? &p->audit : NULL, strict);
                json_object_end(w);
        }
        json_array_end(w);
}
