/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ukit build: .pcrsig/.pcrpkey (see build-pcr.h for the one-pass design). */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "build-pcr.h"
#include "cli.h"
#include "keys.h"
#include "pcr.h"
#include "pcrsig.h"
#include "util.h"

#define BUILD_PCR_KEYS_MAX      16u
#define BUILD_PCR_PHASES_MAX    64u
#define BUILD_PCR_SDMAGIC_MAX   4096u
/* ukify 257 writes .pcrsig with Python's json.dumps(): ", " and ": " */
#define PCRSIG_JSON_STYLE       JSON_SPACED

static const char *const default_phases[] = {
        "enter-initrd",
        "enter-initrd:leave-initrd",
        "enter-initrd:leave-initrd:sysinit",
        "enter-initrd:leave-initrd:sysinit:ready",
};

typedef struct PcrKey {
        const char *private_key, *public_key, *phases;  /* option strings (argv or owned) */
        const char *origin;                             /* "--pcr-private-key", "[PCRSignature:x]" */
        EVP_PKEY *priv, *pub;
        char *phase_list[BUILD_PCR_PHASES_MAX];
        size_t n_phases;
} PcrKey;

typedef struct BuildPcr {
        BuildContext *c;

        /* from the command line */
        PcrKey cli[BUILD_PCR_KEYS_MAX];
        size_t n_cli, n_cli_pub, n_cli_phases;
        const char *banks_arg;
        /* from the config file: [UKI] is group 0 when it has a key */
        PcrKey cfg[BUILD_PCR_KEYS_MAX];
        char *cfg_names[BUILD_PCR_KEYS_MAX];
        size_t n_cfg;
        const char *cfg_banks;
        char **owned;
        size_t n_owned;

        PcrKey *keys;                   /* cli or cfg */
        size_t n_keys;
        unsigned banks;
        const UkiMeasureRules *rules;
        PcrMeasure *measure;
        bool section_open;

        char *pcrsig;                   /* reserved, filled during the write */
        size_t pcrsig_size;
        char *pcrpkey;
        size_t pcrpkey_size;
        bool checked, filled;
        ssize_t pcrsig_index, before_index;

        PeWriteObserver observer;
        PeWriteObserver *observer_ptr;
        int (*prev_sections_done)(BuildContext *c);
        int (*prev_config)(BuildContext *c, const char *section, const char *key, const char *value);
} BuildPcr;

static const char *keep(BuildPcr *p, const char *s) {
        char **v = reallocarray(p->owned, p->n_owned + 1, sizeof(char *));
        if (!v)
                abort();
        p->owned = v;
        return p->owned[p->n_owned++] = xstrdup(s);
}

static void key_done(PcrKey *k) {
        EVP_PKEY_free(k->priv);
        EVP_PKEY_free(k->pub);
        for (size_t i = 0; i < k->n_phases; i++)
                free(k->phase_list[i]);
        memset(k, 0, sizeof(*k));
}

void build_pcr_done(BuildContext *c) {
        BuildPcr *p = c->ext_pcr;
        if (!p)
                return;
        for (size_t i = 0; i < BUILD_PCR_KEYS_MAX; i++) {
                key_done(&p->cli[i]);
                key_done(&p->cfg[i]);
                free(p->cfg_names[i]);
        }
        for (size_t i = 0; i < p->n_owned; i++)
                free(p->owned[i]);
        free(p->owned);
        pcr_measure_free(p->measure);
        free(p->pcrsig);
        free(p->pcrpkey);
        free(p);
        c->ext_pcr = NULL;
}

/* ---- options and config --------------------------------------------------- */

static int parse_banks(const char *what, const char *arg, unsigned *ret) {
        _cleanup_free_ char *copy = xstrdup(arg);
        char *save = NULL;
        unsigned banks = 0;

        for (char *w = strtok_r(copy, ", \t\n", &save); w; w = strtok_r(NULL, ", \t\n", &save)) {
                PcrBank b = pcr_bank_from_string(w);
                if (b == _PCR_BANK_INVALID)
                        return log_usage("%s: unknown PCR bank '%s' (known: sha1, sha256, sha384, sha512)", what, w);
                banks |= PCR_BANK_BIT(b);
        }
        if (banks == 0)
                return log_usage("%s: no PCR bank given", what);
        *ret = banks;
        return 0;
}

static int phase_cmp(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* "enter-initrd enter-initrd:leave-initrd" -> sorted, unique, normalised list
 * (systemd-measure's order, which ukify's .pcrsig inherits). */
static int parse_phases(PcrKey *k) {
        if (!k->phases) {
                for (size_t i = 0; i < ELEMENTSOF(default_phases); i++)
                        k->phase_list[k->n_phases++] = xstrdup(default_phases[i]);
                return 0;
        }
        _cleanup_free_ char *copy = xstrdup(k->phases);
        char *save = NULL;
        for (char *w = strtok_r(copy, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save)) {
                char *n = NULL;
                int r = pcr_phase_normalize(w, /* strict= */ true, &n);
                if (r == -EINVAL)
                        return log_usage("%s: unknown boot phase in '%s' (known: enter-initrd, leave-initrd, sysinit, ready, shutdown, final)",
                                         k->origin, w);
                if (r < 0)
                        return log_errno(r, "%s: phase '%s'", k->origin, w);
                if (k->n_phases >= BUILD_PCR_PHASES_MAX) {
                        free(n);
                        return log_usage("%s: too many phases (at most %u)", k->origin, BUILD_PCR_PHASES_MAX);
                }
                k->phase_list[k->n_phases++] = n;
        }
        if (k->n_phases == 0)
                return log_usage("%s: empty phase list", k->origin);
        qsort(k->phase_list, k->n_phases, sizeof(char *), phase_cmp);
        size_t o = 0;
        for (size_t i = 0; i < k->n_phases; i++) {
                if (o > 0 && streq(k->phase_list[o - 1], k->phase_list[i])) {
                        free(k->phase_list[i]);
                        continue;
                }
                k->phase_list[o++] = k->phase_list[i];
        }
        k->n_phases = o;
        return 0;
}

int build_pcr_option(BuildContext *c, int opt, const char *arg) {
        BuildPcr *p = c->ext_pcr;

        if (!p)
                return log_usage("internal error: PCR options before setup");
        switch (opt) {
        case ARG_PCR_PRIVATE_KEY:
                if (p->n_cli >= BUILD_PCR_KEYS_MAX)
                        return log_usage("too many --pcr-private-key= options (at most %u)", BUILD_PCR_KEYS_MAX);
                p->cli[p->n_cli].origin = "--pcr-private-key";
                p->cli[p->n_cli++].private_key = arg;
                return 0;
        case ARG_PCR_PUBLIC_KEY:
                if (p->n_cli_pub >= BUILD_PCR_KEYS_MAX)
                        return log_usage("too many --pcr-public-key= options (at most %u)", BUILD_PCR_KEYS_MAX);
                p->cli[p->n_cli_pub++].public_key = arg;
                return 0;
        case ARG_PCR_PHASES:
                if (p->n_cli_phases >= BUILD_PCR_KEYS_MAX)
                        return log_usage("too many --phases= options (at most %u)", BUILD_PCR_KEYS_MAX);
                p->cli[p->n_cli_phases++].phases = arg;
                return 0;
        case ARG_PCR_BANKS:
                p->banks_arg = arg;
                return 0;
        default:
                return log_usage("internal error: unknown PCR option");
        }
}

static PcrKey *cfg_group(BuildPcr *p, const char *name) {
        for (size_t i = 0; i < p->n_cfg; i++)
                if (streq(p->cfg_names[i], name))
                        return &p->cfg[i];
        if (p->n_cfg >= BUILD_PCR_KEYS_MAX)
                return NULL;
        p->cfg_names[p->n_cfg] = xstrdup(name);
        p->cfg[p->n_cfg].origin = keep(p, name[0] ? name : "[UKI]");
        return &p->cfg[p->n_cfg++];
}

static int pcr_config(BuildContext *c, const char *section, const char *key, const char *value) {
        BuildPcr *p = c->ext_pcr;
        bool uki = streq(section, "UKI");
        const char *group = startswith(section, "PCRSignature:");

        if (uki && streq(key, "PCRBanks")) {
                p->cfg_banks = keep(p, value);
                return 1;
        }
        if ((uki || group) && (streq(key, "PCRPrivateKey") || streq(key, "PCRPublicKey") || streq(key, "Phases"))) {
                _cleanup_free_ char *name = group ? xasprintf("[%s]", section) : xstrdup("");
                PcrKey *k = cfg_group(p, name);
                if (!k) {
                        /* Dropping a group would leave its phases unsigned: refuse. */
                        static char msg[128];
                        snprintf(msg, sizeof(msg), "too many [PCRSignature:] groups (at most %u signing keys)",
                                 BUILD_PCR_KEYS_MAX);
                        c->config_error = msg;
                        return -E2BIG;
                }
                const char **f = streq(key, "PCRPrivateKey") ? &k->private_key :
                                 streq(key, "PCRPublicKey") ? &k->public_key : &k->phases;
                *f = keep(p, value);
                return 1;
        }
        if (p->prev_config)
                return p->prev_config(c, section, key, value);
        return 0;
}

/* ---- the write pass -------------------------------------------------------- */

/* Once per write: where .pcrsig is, and that everything measured precedes it
 * in the file (else PCR 11 would not be final when .pcrsig is copied out). */
static int check_layout(BuildPcr *p) {
        const PeLayout *l = p->c->layout;
        const PeLayoutSection *sig;

        if (p->checked)
                return 0;
        if (!l)
                return -EINVAL;
        p->pcrsig_index = pe_layout_find(l, ".pcrsig");
        if (p->pcrsig_index < 0)
                return -EINVAL;
        sig = &l->sections[p->pcrsig_index];
        p->before_index = -1;
        for (size_t i = 0; i < l->n_sections; i++) {
                const PeLayoutSection *s = &l->sections[i];
                UkiSection u = uki_section_from_name(s->name);
                if (s->raw_size == 0 || (ssize_t) i == p->pcrsig_index)
                        continue;
                if (s->raw_offset < sig->raw_offset &&
                    (p->before_index < 0 || s->raw_offset > l->sections[p->before_index].raw_offset))
                        p->before_index = (ssize_t) i;
                if (u != _UKI_SECTION_INVALID && pcr_measure_wants(p->measure, u) && s->raw_offset > sig->raw_offset)
                        return -EINVAL;
        }
        if (p->before_index < 0)
                return -EINVAL;
        p->checked = true;
        return 0;
}

static int sign_into_reserved(BuildPcr *p) {
        _cleanup_(pcrsig_done) PcrSig sig = {};
        _cleanup_free_ char *json = NULL;
        PcrState base;
        size_t n = 0;
        int r;

        r = pcr_measure_finish(p->measure, &base);
        if (r < 0)
                return r;
        for (size_t i = 0; i < p->n_keys; i++) {
                r = pcrsig_sign(&sig, p->keys[i].priv, p->keys[i].pub, &base,
                                p->keys[i].phase_list, p->keys[i].n_phases);
                if (r < 0)
                        return r;
        }
        r = pcrsig_to_string(&sig, PCRSIG_JSON_STYLE, &json, &n);
        if (r < 0)
                return r;
        if (n > p->pcrsig_size)
                return -ENOSPC;
        memcpy(p->pcrsig, json, n);     /* the rest stays ' ': JSON whitespace */
        p->filled = true;
        return 0;
}

static int obs_section_data(void *userdata, size_t index, const PeLayoutSection *s, const void *buf, size_t n) {
        BuildPcr *p = userdata;
        int r = check_layout(p);
        if (r < 0)
                return r;
        if ((ssize_t) index == p->pcrsig_index)
                return p->filled ? 0 : -EINVAL;
        if (!p->section_open) {
                UkiSection u = uki_section_from_name(s->name);
                if (u == _UKI_SECTION_INVALID || !pcr_measure_wants(p->measure, u))
                        return 0;
                r = pcr_measure_section_begin(p->measure, u);
                if (r < 0)
                        return r;
                p->section_open = true;
        }
        return pcr_measure_section_data(p->measure, buf, n);
}

static int obs_section_end(void *userdata, size_t index, const PeLayoutSection *s) {
        BuildPcr *p = userdata;
        int r = check_layout(p);
        if (r < 0)
                return r;
        if (p->section_open) {
                /* The stub measures VirtualSize bytes: the loader zero-fills
                 * beyond the raw data (.linux gets the kernel's SizeOfImage). */
                if (s->virtual_size > s->content_size) {
                        r = pcr_measure_section_zeros(p->measure, s->virtual_size - s->content_size);
                        if (r < 0)
                                return r;
                }
                r = pcr_measure_section_end(p->measure);
                if (r < 0)
                        return r;
                p->section_open = false;
        }
        if ((ssize_t) index == p->before_index && !p->filled)
                return sign_into_reserved(p);
        return 0;
}

/* ---- before the layout -------------------------------------------------------- */

/* Insert a section at index at (c->n_sections: append). */
static BuildSection *insert_section(BuildContext *c, size_t at, const char *name, const void *data, size_t n) {
        BuildSection *v = reallocarray(c->sections, c->n_sections + 1, sizeof(BuildSection));
        PeSource *src = calloc(1, sizeof(PeSource));
        if (!v || !src)
                abort();
        c->sections = v;
        memmove(&v[at + 1], &v[at], (c->n_sections - at) * sizeof(BuildSection));
        c->n_sections++;
        BuildSection *s = &c->sections[at];
        *s = (BuildSection) { .flags = PE_SECTION_FLAGS_DATA, .size = n, .sources_buf = src, .n_sources = 1 };
        snprintf(s->name, sizeof(s->name), "%s", name);
        *src = (PeSource) { .fd = -1, .data = data, .size = n };
        return s;
}

static bool have_section(const BuildContext *c, const char *name) {
        for (size_t i = 0; i < c->n_sections; i++)
                if (streq(c->sections[i].name, name))
                        return true;
        return false;
}

static int load_keys(BuildPcr *p) {
        for (size_t i = 0; i < p->n_keys; i++) {
                PcrKey *k = &p->keys[i];
                int r;

                if (!k->private_key) {
                        return log_error("%s: PCRPublicKey=/Phases= without PCRPrivateKey=", k->origin);
                }
                r = keys_load_private(k->private_key, NULL, &k->priv);
                if (r < 0)
                        return log_errno(r, "%s: cannot load PCR private key", k->private_key);
                if (k->public_key) {
                        r = keys_load_public(k->public_key, &k->pub);
                        if (r < 0)
                                return log_errno(r, "%s: cannot load PCR public key", k->public_key);
                }
                r = pcrsig_check_keys(k->priv, k->pub);
                if (r == -EOPNOTSUPP) {
                        return log_error("%s: PCR key type not supported (need RSA or EC)", k->private_key);
                }
                if (r == -EKEYREJECTED) {
                        return log_error("%s: public key does not belong to PCR private key %s", k->public_key, k->private_key);
                }
                if (r < 0)
                        return log_errno(r, "%s: unusable PCR key", k->private_key);
                r = parse_phases(k);
                if (r != 0)
                        return r;
        }
        return 0;
}

static int pick_rules(BuildPcr *p) {
        BuildContext *c = p->c;
        const PeSection *sd = pe_find_section(c->stub, ".sdmagic");

        if (sd) {
                _cleanup_free_ void *magic = NULL;
                size_t n = 0;
                int r = pe_read_section(c->stub_fd, c->stub, sd, BUILD_PCR_SDMAGIC_MAX, &magic, &n);
                if (r < 0)
                        return log_errno(r, "%s: cannot read .sdmagic", c->stub_path);
                p->rules = uki_rules_for_stub(magic, n);
        }
        if (!p->rules) {
                log_warning("%s: stub not recognised (no known .sdmagic), assuming current systemd-stub measurements",
                            c->stub_path);
                p->rules = &uki_rules_current;
        }
        return 0;
}

/* The JSON's length does not depend on the PCR values, only on its shape and
 * the signature sizes: serialise a dummy with maximal signatures. */
static int reserve_pcrsig(BuildPcr *p) {
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
                        for (int b = 0; b < _PCR_BANK_MAX; b++) {
                                if (!(p->banks & PCR_BANK_BIT(b)))
                                        continue;
                                PcrSigEntry *e = &dummy.entries[dummy.n_entries++];
                                e->bank = (PcrBank) b;
                                e->sig_size = (size_t) max;
                                e->sig = calloc(1, (size_t) max);
                                if (!e->sig)
                                        return -ENOMEM;
                        }
        }
        r = pcrsig_to_string(&dummy, PCRSIG_JSON_STYLE, &json, &n);
        if (r < 0)
                return r;
        p->pcrsig = malloc(n);
        if (!p->pcrsig)
                return -ENOMEM;
        memset(p->pcrsig, ' ', n);
        p->pcrsig_size = n;
        return 0;
}

static int pcr_sections_done(BuildContext *c) {
        BuildPcr *p = c->ext_pcr;
        int r;

        if (p->prev_sections_done) {
                r = p->prev_sections_done(c);
                if (r != 0)
                        return r;
        }

        /* The command line's keys replace the config file's (ukify's rule). */
        if (p->n_cli > 0) {
                /* ukify: when given at all, one per key. */
                if (p->n_cli_pub > 0 && p->n_cli_pub != p->n_cli)
                        return log_usage("%zu --pcr-public-key= for %zu --pcr-private-key= (give one per key, or none)",
                                         p->n_cli_pub, p->n_cli);
                if (p->n_cli_phases > 0 && p->n_cli_phases != p->n_cli)
                        return log_usage("%zu --phases= for %zu --pcr-private-key= (give one per key, or none)",
                                         p->n_cli_phases, p->n_cli);
                p->keys = p->cli;
                p->n_keys = p->n_cli;
        } else {
                if (p->n_cli_pub > 0 || p->n_cli_phases > 0)
                        return log_usage("--pcr-public-key=/--phases= need --pcr-private-key=");
                p->keys = p->cfg;
                p->n_keys = p->n_cfg;
        }
        if (p->n_keys == 0)
                return 0;

        const char *banks = p->banks_arg ? p->banks_arg : p->cfg_banks;
        if (banks) {
                r = parse_banks(p->banks_arg ? "--pcr-banks" : "PCRBanks", banks, &p->banks);
                if (r != 0)
                        return r;
        } else  /* ukify passes no bank: systemd-measure signs all four */
                p->banks = PCR_BANK_BIT(PCR_BANK_SHA1) | PCR_BANK_BIT(PCR_BANK_SHA256) |
                           PCR_BANK_BIT(PCR_BANK_SHA384) | PCR_BANK_BIT(PCR_BANK_SHA512);

        r = load_keys(p);
        if (r != 0)
                return r;
        if (have_section(c, ".pcrsig")) {
                return log_error("--section=.pcrsig: conflicts with --pcr-private-key= (which generates .pcrsig)");
        }
        /* ukify 257 runs systemd-measure sign once per .dtbauto (each
         * selectable devicetree gets its own signatures); ukit signs one
         * set of sections in one pass. */
        if (have_section(c, ".dtbauto")) {
                log_error("--devicetree-auto=: not supported together with --pcr-private-key= (ukify 257 signs once per .dtbauto)");
                return EXIT_FAILURE;
        }
        r = pick_rules(p);
        if (r != 0)
                return r;

        /* .pcrpkey as ukify does: --pcrpkey=, else the key when there is
         * exactly one (with several keys, say which one with --pcrpkey=). */
        if (!have_section(c, ".pcrpkey") && p->n_keys == 1) {
                r = pcrsig_public_key_pem(p->keys[0].pub ? p->keys[0].pub : p->keys[0].priv, &p->pcrpkey, &p->pcrpkey_size);
                if (r < 0)
                        return log_errno(r, "%s: cannot export the public key", p->keys[0].private_key);
                /* in ukify's place: after .osrel .cmdline .dtb .dtbauto .hwids .uname .splash */
                static const char *const before[] = { ".osrel", ".cmdline", ".dtb", ".dtbauto", ".hwids", ".uname",
                                                      ".splash" };
                size_t at = 0;
                while (at < c->n_sections) {
                        bool found = false;
                        for (size_t i = 0; i < ELEMENTSOF(before); i++)
                                found = found || streq(c->sections[at].name, before[i]);
                        if (!found)
                                break;
                        at++;
                }
                insert_section(c, at, ".pcrpkey", p->pcrpkey, p->pcrpkey_size);
        }

        r = reserve_pcrsig(p);
        if (r < 0)
                return log_errno(r, "cannot size .pcrsig");
        r = pcr_measure_new(p->rules, p->banks, 0, &p->measure);
        if (r < 0)
                return log_errno(r, "cannot set up PCR hashing");

        /* Last, so that every measured section precedes it in the file. */
        insert_section(c, c->n_sections, ".pcrsig", p->pcrsig, p->pcrsig_size);

        p->observer = (PeWriteObserver) {
                .section_data = obs_section_data,
                .section_end = obs_section_end,
                .userdata = p,
        };
        p->observer_ptr = &p->observer;
        PeWriteObserver **v = reallocarray(c->observers, c->n_observers + 1, sizeof(PeWriteObserver *));
        if (!v)
                return log_errno(-ENOMEM, "cannot allocate");
        c->observers = v;
        c->observers[c->n_observers++] = p->observer_ptr;
        return 0;
}

int build_pcr_setup(BuildContext *c) {
        BuildPcr *p;

        if (c->ext_pcr)
                return 0;
        p = calloc(1, sizeof(*p));
        if (!p)
                return log_errno(-ENOMEM, "cannot allocate");
        p->c = c;
        p->pcrsig_index = p->before_index = -1;
        /* Chain, so other extensions can use the same hooks. */
        p->prev_sections_done = c->sections_done_hook;
        p->prev_config = c->config_hook;
        c->sections_done_hook = pcr_sections_done;
        c->config_hook = pcr_config;
        c->ext_pcr = p;
        return 0;
}
