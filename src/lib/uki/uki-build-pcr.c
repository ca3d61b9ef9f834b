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

/* The layout index of new section i. */
static ssize_t layout_index_of_new(const PeLayout *l, size_t i) {
        for (size_t k = 0; k < l->n_sections; k++)
                if (!l->sections[k].from_stub && l->sections[k].source_index == i)
                        return (ssize_t) k;
        return -1;
}

/* The section written last before file offset `off` (with data). */
static ssize_t section_before(const PeLayout *l, uint32_t off) {
        ssize_t best = -1;
        for (size_t i = 0; i < l->n_sections; i++) {
                const PeLayoutSection *s = &l->sections[i];
                if (s->raw_size == 0 || s->raw_offset >= off)
                        continue;
                if (best < 0 || s->raw_offset > l->sections[best].raw_offset)
                        best = (ssize_t) i;
        }
        return best;
}

/* After the layout: where each .pcrsig is, and that every section measured
 * for it precedes it in the file (else PCR 11 would not be final when the
 * .pcrsig is copied out). With profiles, the file order must be the section
 * table's (which defines the profiles), so each profile's sections precede
 * its .pcrsig and follow the previous one's. */
int uki_build_pcr_check_layout(UkiBuild *b) {
        const PeLayout *l = b->layout;
        size_t slot = 0;
        bool profiles = uki_build_find(b, UKI_NAME_PROFILE) >= 0;

        for (size_t i = 0; i < b->n_news && slot < b->n_pcrsigs; i++)
                if (streq(b->news[i].name, UKI_NAME_PCRSIG))
                        b->pcrsigs[slot++].index = layout_index_of_new(l, i);
        for (size_t k = 0; k < b->n_pcrsigs; k++) {
                struct UkiBuildPcrsig *p = &b->pcrsigs[k];
                if (p->index < 0)
                        return uki_build_fail(b, -EINVAL, b->output, "internal error: no .pcrsig in the layout");
                p->before_index = section_before(l, l->sections[p->index].raw_offset);
                if (p->before_index < 0)
                        return uki_build_fail(b, -EINVAL, b->output, "internal error: nothing before .pcrsig");
        }
        uint32_t last = 0;
        for (size_t i = 0; i < l->n_sections; i++) {
                const PeLayoutSection *s = &l->sections[i];
                UkiSection u = uki_section_from_name(s->name);
                if (s->raw_size == 0)
                        continue;
                if (profiles && s->raw_offset < last)
                        return uki_build_fail(b, -EINVAL, b->output,
                                              "internal error: sections not in table order in the file");
                last = s->raw_offset;
                if (!profiles && u != _UKI_SECTION_INVALID && u != UKI_SECTION_PCRSIG &&
                    pcr_measure_wants(b->banks[0].measure, u) &&
                    s->raw_offset > l->sections[b->pcrsigs[0].index].raw_offset)
                        return uki_build_fail(b, -EINVAL, b->output, "internal error: a measured section follows .pcrsig");
        }
        return 0;
}

/* PCR 11 from every bank's current measurement, signed into a reserved .pcrsig. */
static int sign_into_reserved(UkiBuild *b, struct UkiBuildPcrsig *slot) {
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
        memcpy(slot->buf, json, n);     /* the rest stays ' ': JSON whitespace */
        slot->filled = true;
        return 0;
}

static struct UkiBuildPcrsig *find_slot(UkiBuild *b, size_t index) {
        for (size_t k = 0; k < b->n_pcrsigs; k++)
                if (b->pcrsigs[k].index == (ssize_t) index)
                        return &b->pcrsigs[k];
        return NULL;
}

/* A bank meets layout section `index`: does it measure it, and into what?
 * The stub's profile rule (uki_profile_slot(), src/fundamental/uki.h): a
 * .profile starts the next profile from the base; the first section of a
 * name counts within the base and within each profile. */
static int bank_start(struct UkiBuildBank *k, size_t index, const PeLayoutSection *s) {
        UkiSection u = uki_section_from_name(s->name);
        int r;

        k->started = (ssize_t) index;
        k->skip = true;
        if (u == _UKI_SECTION_INVALID || find_slot(k->b, index))
                return 0;
        if (u == UKI_SECTION_PROFILE) {
                uint32_t before = k->n_profiles;
                (void) uki_profile_slot(u, 0, &k->n_profiles);
                if (before == 0) {      /* the base is complete */
                        r = pcr_measure_new(k->b->spec->pcr->rules, k->bank_bit, 1, &k->base);
                        if (r >= 0)
                                r = pcr_measure_copy_sections(k->base, k->measure);
                } else
                        r = pcr_measure_copy_sections(k->measure, k->base);
                if (r < 0)
                        return r;
                memset(k->seen, 0, sizeof(k->seen));
        }
        if (k->seen[u])
                return 0;
        k->seen[u] = true;
        if (!pcr_measure_wants(k->measure, u))
                return 0;
        r = pcr_measure_section_begin(k->measure, u);
        if (r < 0)
                return r;
        k->section_open = true;
        k->skip = false;
        return 0;
}

/* Each event names its section: the first one of a section starts it. */
static int bank_enter(struct UkiBuildBank *k, size_t index, const PeLayoutSection *s) {
        return k->started == (ssize_t) index ? 0 : bank_start(k, index, s);
}

/* One bank's consumer (on its own thread with the fan-out). */
static int bank_section_data(void *userdata, size_t index, const PeLayoutSection *s, const void *buf, size_t n) {
        struct UkiBuildBank *k = userdata;
        int r;

        r = bank_enter(k, index, s);
        if (r < 0)
                return r;
        if (k->skip)
                return 0;
        return pcr_measure_section_data(k->measure, buf, n);
}

static int bank_section_end(void *userdata, size_t index, const PeLayoutSection *s) {
        struct UkiBuildBank *k = userdata;
        int r;

        r = bank_enter(k, index, s);
        if (r < 0)
                return r;
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

/* On the writer's thread, after the fan-out: a .pcrsig is filled once the
 * section before it has been hashed by every bank. */
static int sync_section_data(void *userdata, size_t index, const PeLayoutSection *s, const void *buf, size_t n) {
        UkiBuild *b = userdata;
        struct UkiBuildPcrsig *slot = find_slot(b, index);
        return slot && !slot->filled ? -EINVAL : 0;
}

static int sync_section_end(void *userdata, size_t index, const PeLayoutSection *s) {
        UkiBuild *b = userdata;
        int r;

        for (size_t k = 0; k < b->n_pcrsigs; k++) {
                struct UkiBuildPcrsig *slot = &b->pcrsigs[k];
                if (slot->before_index != (ssize_t) index || slot->filled)
                        continue;
                r = write_fanout_drain(b->fanout);
                if (r < 0)
                        return r;
                r = sign_into_reserved(b, slot);
                if (r < 0)
                        return r;
        }
        return 0;
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
        b->pcrsig_size = n;
        return 0;
}

static bool profile_signed(const UkiPcrSpec *p, size_t profile) {
        return !(profile < p->n_unsigned_profiles && p->unsigned_profiles[profile]);
}

/* A .pcrsig at the end of each signed profile's sections (before the next
 * .profile), or one at the end without profiles; inserted from the back, so
 * the indices found first stay valid. */
static int insert_pcrsigs(UkiBuild *b) {
        const UkiPcrSpec *p = b->spec->pcr;
        size_t n_profiles = 0, n_signed = 0;

        for (size_t i = 0; i < b->n_news; i++)
                if (streq(b->news[i].name, UKI_NAME_PROFILE))
                        n_signed += profile_signed(p, n_profiles++);
        if (n_profiles == 0)
                n_signed = 1;
        if (n_signed == 0)
                return 0;
        b->pcrsigs = calloc(n_signed, sizeof(struct UkiBuildPcrsig));
        if (!b->pcrsigs)
                return -ENOMEM;
        b->n_pcrsigs = n_signed;
        for (size_t k = 0; k < n_signed; k++) {
                struct UkiBuildPcrsig *slot = &b->pcrsigs[k];
                slot->buf = malloc(b->pcrsig_size);
                if (!slot->buf)
                        return -ENOMEM;
                memset(slot->buf, ' ', b->pcrsig_size);
                slot->source = (PeSource) { .fd = -1, .data = slot->buf, .size = b->pcrsig_size };
                slot->index = slot->before_index = -1;
        }
        if (n_profiles == 0)
                return uki_build_insert(b, b->n_news, UKI_NAME_PCRSIG, &b->pcrsigs[0].source);
        size_t end = b->n_news, slot = n_signed, profile = n_profiles;
        for (size_t i = b->n_news; i-- > 0;) {
                if (!streq(b->news[i].name, UKI_NAME_PROFILE))
                        continue;
                if (profile_signed(p, --profile)) {
                        int r = uki_build_insert(b, end, UKI_NAME_PCRSIG, &b->pcrsigs[--slot].source);
                        if (r < 0)
                                return r;
                }
                end = i;
        }
        return 0;
}

/* .pcrpkey in ukify's place: after [a leading .profile] .osrel .cmdline .dtb .dtbauto .hwids .uname .splash */
static int insert_pcrpkey(UkiBuild *b) {
        static const char *const before[] = { UKI_NAME_OSREL, UKI_NAME_CMDLINE, UKI_NAME_DTB, UKI_NAME_DTBAUTO,
                                              UKI_NAME_HWIDS, UKI_NAME_UNAME, UKI_NAME_SPLASH };
        const UkiPcrSpec *p = b->spec->pcr;
        size_t at = 0;

        /* a profile PE: its .profile comes first */
        if (b->n_news > 0 && streq(b->news[0].name, UKI_NAME_PROFILE))
                at++;
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
        if (r >= 0)
                r = insert_pcrsigs(b);
        if (r < 0)
                return uki_build_fail_errno(b, r, b->output, "cannot reserve .pcrsig");
        if (b->n_pcrsigs == 0)
                return 0;       /* no profile to sign (--sign-profile) */
        for (int k = 0; k < _PCR_BANK_MAX; k++) {
                if (!(p->banks & PCR_BANK_BIT(k)))
                        continue;
                struct UkiBuildBank *bank = &b->banks[b->n_banks++];
                bank->b = b;
                bank->bank_bit = PCR_BANK_BIT(k);
                bank->started = -1;
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

        b->sync = (PeWriteObserver) {
                .section_data = sync_section_data,
                .section_end = sync_section_end,
                .userdata = b,
        };
        b->have_sync = true;
        return 0;
}
