/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* uki_build(): .pcrpkey and .pcrsig in the same pass (see uki-build.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pcrsig.h"
#include "uki-build-private.h"
#include "util.h"

/* ukify 257 writes .pcrsig with Python's json.dumps(): ", " and ": " */
#define PCRSIG_JSON_STYLE       JSON_SPACED

/* After the layout: where .pcrsig is, and that everything measured precedes
 * it in the file (else PCR 11 would not be final when .pcrsig is copied
 * out). */
int uki_build_pcr_check_layout(UkiBuild *b) {
        const PeLayout *l = b->layout;
        const PeLayoutSection *sig;

        b->pcrsig_index = pe_layout_find(l, UKI_NAME_PCRSIG);
        if (b->pcrsig_index < 0)
                return uki_build_fail(b, -EINVAL, b->output, "internal error: no .pcrsig in the layout");
        sig = &l->sections[b->pcrsig_index];
        b->before_index = -1;
        for (size_t i = 0; i < l->n_sections; i++) {
                const PeLayoutSection *s = &l->sections[i];
                UkiSection u = uki_section_from_name(s->name);
                if (s->raw_size == 0 || (ssize_t) i == b->pcrsig_index)
                        continue;
                if (s->raw_offset < sig->raw_offset &&
                    (b->before_index < 0 || s->raw_offset > l->sections[b->before_index].raw_offset))
                        b->before_index = (ssize_t) i;
                if (u != _UKI_SECTION_INVALID && pcr_measure_wants(b->banks[0].measure, u) &&
                    s->raw_offset > sig->raw_offset)
                        return uki_build_fail(b, -EINVAL, b->output, "internal error: a measured section follows .pcrsig");
        }
        if (b->before_index < 0)
                return uki_build_fail(b, -EINVAL, b->output, "internal error: nothing before .pcrsig");
        return 0;
}

/* PCR 11 from every bank's measurement, signed into the reserved .pcrsig. */
static int sign_into_reserved(UkiBuild *b) {
        const UkiPcrSpec *p = b->spec->pcr;
        _cleanup_(pcrsig_done) PcrSig sig = {};
        _cleanup_free_ char *json = NULL;
        PcrState base, one;
        size_t n = 0;
        int r;

        pcr_state_init(&base, p->banks);
        for (size_t i = 0; i < b->n_banks; i++) {
                r = pcr_measure_finish(b->banks[i].measure, &one);
                if (r < 0)
                        return r;
                for (int k = 0; k < _PCR_BANK_MAX; k++)
                        if (one.banks & PCR_BANK_BIT(k))
                                memcpy(base.value[k], one.value[k], PCR_DIGEST_MAX);
        }
        for (size_t i = 0; i < p->n_keys; i++) {
                r = pcrsig_sign(&sig, p->keys[i].priv, p->keys[i].pub, &base,
                                (char **) p->keys[i].phases, p->keys[i].n_phases);
                if (r < 0)
                        return r;
        }
        r = pcrsig_to_string(&sig, PCRSIG_JSON_STYLE, &json, &n);
        if (r < 0)
                return r;
        if (n > b->pcrsig_size)
                return -ENOSPC;
        memcpy(b->pcrsig, json, n);     /* the rest stays ' ': JSON whitespace */
        b->filled = true;
        return 0;
}

/* One bank's consumer (on its own thread with the fan-out). */
static int bank_section_data(void *userdata, size_t index, const PeLayoutSection *s, const void *buf, size_t n) {
        struct UkiBuildBank *k = userdata;
        int r;

        if ((ssize_t) index == k->b->pcrsig_index)
                return 0;
        if (!k->section_open) {
                UkiSection u = uki_section_from_name(s->name);
                if (u == _UKI_SECTION_INVALID || !pcr_measure_wants(k->measure, u))
                        return 0;
                r = pcr_measure_section_begin(k->measure, u);
                if (r < 0)
                        return r;
                k->section_open = true;
        }
        return pcr_measure_section_data(k->measure, buf, n);
}

static int bank_section_end(void *userdata, size_t index, const PeLayoutSection *s) {
        struct UkiBuildBank *k = userdata;
        int r;

        if (!k->section_open)
                return 0;
        /* The stub measures VirtualSize bytes: the loader zero-fills beyond
         * the raw data (.linux gets the kernel's SizeOfImage). */
        if (s->virtual_size > s->content_size) {
                r = pcr_measure_section_zeros(k->measure, s->virtual_size - s->content_size);
                if (r < 0)
                        return r;
        }
        r = pcr_measure_section_end(k->measure);
        if (r < 0)
                return r;
        k->section_open = false;
        return 0;
}

/* On the writer's thread, after the fan-out: .pcrsig is filled once the
 * section before it has been hashed by every bank. */
static int sync_section_data(void *userdata, size_t index, const PeLayoutSection *s, const void *buf, size_t n) {
        UkiBuild *b = userdata;
        if ((ssize_t) index == b->pcrsig_index)
                return b->filled ? 0 : -EINVAL;
        return 0;
}

static int sync_section_end(void *userdata, size_t index, const PeLayoutSection *s) {
        UkiBuild *b = userdata;
        int r;

        if ((ssize_t) index != b->before_index || b->filled)
                return 0;
        r = write_fanout_drain(b->fanout);
        if (r < 0)
                return r;
        return sign_into_reserved(b);
}

/* The JSON's length does not depend on the PCR values, only on its shape and
 * the signature sizes: serialise a dummy with maximal signatures. */
static int reserve_pcrsig(UkiBuild *b) {
        const UkiPcrSpec *p = b->spec->pcr;
        _cleanup_(pcrsig_done) PcrSig dummy = {};
        _cleanup_free_ char *json = NULL;
        size_t n = 0, total = 0;
        int r;

        for (size_t i = 0; i < p->n_keys; i++)
                total += p->keys[i].n_phases * (size_t) __builtin_popcount(p->banks);
        dummy.entries = calloc(total ? total : 1, sizeof(PcrSigEntry));
        if (!dummy.entries)
                return -ENOMEM;
        for (size_t i = 0; i < p->n_keys; i++) {
                int max = EVP_PKEY_get_size(p->keys[i].priv);
                if (max <= 0)
                        return -EBADMSG;
                for (size_t ph = 0; ph < p->keys[i].n_phases; ph++)
                        for (int bank = 0; bank < _PCR_BANK_MAX; bank++) {
                                if (!(p->banks & PCR_BANK_BIT(bank)))
                                        continue;
                                PcrSigEntry *e = &dummy.entries[dummy.n_entries++];
                                e->bank = (PcrBank) bank;
                                e->sig_size = (size_t) max;
                                e->sig = calloc(1, (size_t) max);
                                if (!e->sig)
                                        return -ENOMEM;
                        }
        }
        r = pcrsig_to_string(&dummy, PCRSIG_JSON_STYLE, &json, &n);
        if (r < 0)
                return r;
        b->pcrsig = malloc(n);
        if (!b->pcrsig)
                return -ENOMEM;
        memset(b->pcrsig, ' ', n);
        b->pcrsig_size = n;
        return 0;
}

/* .pcrpkey in ukify's place: after .osrel .cmdline .dtb .uname .splash */
static int insert_pcrpkey(UkiBuild *b) {
        static const char *const before[] = { UKI_NAME_OSREL, UKI_NAME_CMDLINE, UKI_NAME_DTB, UKI_NAME_UNAME, UKI_NAME_SPLASH };
        const UkiPcrSpec *p = b->spec->pcr;
        size_t at = 0;

        while (at < b->n_news) {
                bool found = false;
                for (size_t i = 0; i < ELEMENTSOF(before); i++)
                        found = found || streq(b->news[at].name, before[i]);
                if (!found)
                        break;
                at++;
        }
        b->pcrpkey_source = (PeSource) { .fd = -1, .data = p->pcrpkey, .size = p->pcrpkey_size };
        return uki_build_insert(b, at, UKI_NAME_PCRPKEY, &b->pcrpkey_source);
}

int uki_build_pcr_prepare(UkiBuild *b) {
        const UkiPcrSpec *p = b->spec->pcr;
        int r;

        if (p->pcrpkey) {
                r = insert_pcrpkey(b);
                if (r < 0)
                        return uki_build_fail_errno(b, r, b->output, "cannot allocate");
        }
        r = reserve_pcrsig(b);
        if (r < 0)
                return uki_build_fail_errno(b, r, b->output, "cannot size .pcrsig");
        for (int k = 0; k < _PCR_BANK_MAX; k++) {
                if (!(p->banks & PCR_BANK_BIT(k)))
                        continue;
                struct UkiBuildBank *bank = &b->banks[b->n_banks++];
                bank->b = b;
                r = pcr_measure_new(p->rules, PCR_BANK_BIT(k), 1, &bank->measure);
                if (r < 0)
                        return uki_build_fail_errno(b, r, b->output, "cannot set up PCR hashing");
                uki_build_add_consumer(b, &(PeWriteObserver) {
                        .section_data = bank_section_data,
                        .section_end = bank_section_end,
                        .userdata = bank,
                });
        }
        if (b->n_banks == 0)
                return uki_build_fail(b, -EINVAL, b->output, "no PCR bank");

        /* Last, so that every measured section precedes it in the file. */
        b->pcrsig_source = (PeSource) { .fd = -1, .data = b->pcrsig, .size = b->pcrsig_size };
        r = uki_build_insert(b, b->n_news, UKI_NAME_PCRSIG, &b->pcrsig_source);
        if (r < 0)
                return uki_build_fail_errno(b, r, b->output, "cannot allocate");

        b->sync = (PeWriteObserver) {
                .section_data = sync_section_data,
                .section_end = sync_section_end,
                .userdata = b,
        };
        b->have_sync = true;
        return 0;
}
