/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The .pcrsig audit of `ukit verify` (pcrsig-verify.c): shape checks, the
 * hex and base64 fields, the PCR 11 recomputation and entry matching.
 *
 * Two kinds of input:
 *   - starting with '{': the text of a .pcrsig, added as the .pcrsig section
 *     of a fixed small UKI (data/pcrsig-base.efi: ukify 257 made it from
 *     the systemd 257 add-on stub, with .linux, .osrel, .cmdline, .uname and
 *     .pcrpkey). The seeds signed by systemd-measure for exactly those
 *     sections reach the "ok" verdict, so mutations explore matching,
 *     fingerprints and signature checks rather than only the JSON syntax;
 *   - anything else: a whole UKI, parsed and audited as `ukit verify` does
 *     (for a multi-profile UKI: also profiles 1 to 3, each with its own
 *     .pcrsig or the base's, against PCR 11 for that profile).
 * The audit must never fail other than with a one-line reason for malformed
 * input, and its verdict must be self-consistent; given the base's .pcrpkey
 * key as --pcr-public-key, an image with that .pcrpkey gets the same
 * verdict for every entry as without it. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "fileio.h"
#include "pcrsig-verify.h"
#include "pe-write.h"
#include "pe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#include "fuzz-pcrsig-base.h"

static int base_fd = -1;
static PeImage *base;
static PcrSigKeys base_keys;    /* the base's .pcrpkey, as given keys */

static void check(bool b) {
        if (!b)
                abort();
}

/* The same verdicts entry by entry (the audit with the given keys b against
 * the one without, when they name the same key). */
static void check_same(const PcrSigAudit *a, const PcrSigAudit *b) {
        check(a->n_checks == b->n_checks && a->banks_ok == b->banks_ok);
        for (size_t i = 0; i < a->n_checks; i++)
                check(a->checks[i].status == b->checks[i].status && a->checks[i].phase != NULL ==
                      (b->checks[i].phase != NULL));
        check(pcrsig_audit_ok(a, false) == pcrsig_audit_ok(b, false));
        check(pcrsig_audit_ok(a, true) == pcrsig_audit_ok(b, true));
}

static int audit_one(int fd, const PeImage *img, uint32_t profile, const PcrSigKeys *keys, PcrSigAudit *a,
                     UkitError *err) {
        char *extra[] = { (char *) "sysinit:ready" };
        return profile == 0 ? pcrsig_audit_image(fd, img, extra, 1, keys, a, err)
                            : pcrsig_audit_profile(fd, img, profile, PCR_BANK_BIT(PCR_BANK_SHA256), extra, 1, keys, a,
                                                   err);
}

static void audit(int fd, const PeImage *img, uint32_t profile) {
        UkitError err = UKIT_ERROR_INIT;
        PcrSigAudit a = {};

        int r = audit_one(fd, img, profile, NULL, &a, &err);
        if (r == -EBADMSG) {
                /* malformed input: a reason, one line */
                check(err.what[0] != 0 && !strchr(err.what, '\n'));
                return;
        }
        if (r < 0)
                return;
        check(a.n_checks <= 4096 && a.n_phases <= PCRSIG_VERIFY_PHASES_MAX);
        for (size_t i = 0; i < a.n_checks; i++) {
                const PcrSigCheck *c = &a.checks[i];
                check(c->bank < _PCR_BANK_MAX && (a.banks & PCR_BANK_BIT(c->bank)));
                check(c->status < _PCRSIG_STATUS_MAX);
                check(c->status == PCRSIG_STATUS_OK ? !c->detail : c->detail != NULL);
                if (c->status == PCRSIG_STATUS_OK)
                        check(c->phase && (a.have_pcrpkey || a.keys) && (a.banks_ok & PCR_BANK_BIT(c->bank)));
                (void) pcrsig_status_to_string(c->status);
        }
        if (getenv("UKIT_FUZZ_DEBUG"))
                for (size_t i = 0; i < a.n_checks; i++)
                        fprintf(stderr, "%s[%zu]: %s (%s) phase=%s\n", pcr_bank_to_string(a.checks[i].bank), a.checks[i].index,
                                pcrsig_status_to_string(a.checks[i].status), a.checks[i].detail ? a.checks[i].detail : "", a.checks[i].phase ? a.checks[i].phase : "-");
        check((a.banks_ok & ~a.banks) == 0);
        check(a.present || (a.n_checks == 0 && a.banks == 0));
        check(profile == 0 || (a.pcr11.banks & PCR_BANK_BIT(PCR_BANK_SHA256)));
        (void) pcrsig_audit_ok(&a, false);
        (void) pcrsig_audit_ok(&a, true);
        if (a.present && base_keys.n > 0) {
                PcrSigAudit g = {};
                UkitError gerr = UKIT_ERROR_INIT;
                check(audit_one(fd, img, profile, &base_keys, &g, &gerr) == 0 && g.keys == &base_keys);
                if (a.have_pcrpkey && memcmp(a.pcrpkey_fp, base_keys.fp[0], PCRSIG_FINGERPRINT_SIZE) == 0)
                        check_same(&a, &g);
                for (size_t i = 0; i < g.n_checks; i++)
                        if (g.checks[i].status == PCRSIG_STATUS_OK)
                                check(memcmp(g.checks[i].pkfp, base_keys.fp[0], PCRSIG_FINGERPRINT_SIZE) == 0);
                pcrsig_audit_done(&g);
        }
        pcrsig_audit_done(&a);
}

static void init_keys(void) {
        const PeSection *s = pe_find_section(base, ".pcrpkey");
        void *pem = NULL;
        size_t n = 0;

        check(s && pe_read_section(base_fd, base, s, 65536, &pem, &n) == 0);
        BIO *bio = BIO_new_mem_buf(pem, (int) n);
        check(bio != NULL);
        EVP_PKEY *k = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
        check(k && pcrsig_keys_add(&base_keys, k) == 0);
        BIO_free(bio);
        free(pem);
}

static void init_base(void) {
        base_fd = memfd_create("fuzz-pcrsig-base", MFD_CLOEXEC);
        check(base_fd >= 0);
        check(write_full(base_fd, fuzz_base_uki, sizeof(fuzz_base_uki)) == 0);
        check(pe_parse_fd(base_fd, &base, NULL) == 0);
        init_keys();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        PeImage *img = NULL;
        PeLayout *l = NULL;
        int fd;

        if (!base)
                init_base();

        fd = memfd_create("fuzz-pcrsig", MFD_CLOEXEC);
        check(fd >= 0);
        if (size > 0 && data[0] == '{') {
                const PeSource src[] = { { .fd = -1, .data = data, .size = size } };
                const PeNewSection news[] = { { ".pcrsig", PE_SECTION_FLAGS_DATA, 0, src, 1 } };
                check(pe_layout(base_fd, base, news, 1, &(PeLayoutOptions) {}, &l, NULL) == 0);
                check(pe_write(l, fd, NULL, 0) == 0);
        } else
                check(write_full(fd, data, size) == 0);

        if (pe_parse_fd(fd, &img, NULL) == 0)
                for (uint32_t p = 0; p < 4; p++)
                        audit(fd, img, p);

        pe_image_free(img);
        pe_layout_free(l);
        close(fd);
        return 0;
}
