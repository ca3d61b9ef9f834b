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
#include "pcr-phases.h"
#include "pcr.h"
#include "pcrsig.h"
#include "util.h"

#define BUILD_PCR_KEYS_MAX      16u
#define BUILD_PCR_SDMAGIC_MAX   4096u

typedef struct PcrKey {
        const char *private_key, *public_key, *phases;  /* option strings (argv or owned) */
        const char *origin;                             /* "--pcr-private-key", "[PCRSignature:x]" */
        EVP_PKEY *priv, *pub;
        PcrPhases phase_list;
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
        char *pcrpkey;
        size_t pcrpkey_size;

        UkiPcrKey spec_keys[BUILD_PCR_KEYS_MAX];
        UkiPcrSpec spec;
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
        pcr_phases_done(&k->phase_list);
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

/* "enter-initrd enter-initrd:leave-initrd" -> sorted, unique, normalised list
 * (systemd-measure's order, which ukify's .pcrsig inherits). */
static int parse_phases(PcrKey *k) {
        const char *bad = NULL;
        int r = 0;

        if (k->phases)
                r = pcr_phases_add_words(&k->phase_list, k->phases, &bad);
        if (r == -ENODATA)
                return log_usage("%s: empty phase list", k->origin);
        if (r == -EINVAL)
                return log_usage("%s: unknown boot phase in '%.*s' (known: enter-initrd, leave-initrd, sysinit, ready, shutdown, final)",
                                 k->origin, (int) strcspn(bad, " \t\n"), bad);
        if (r == -E2BIG)
                return log_usage("%s: too many phases (at most %u)", k->origin, PCR_PHASES_MAX);
        if (r < 0)
                return log_errno(r, "%s: phases", k->origin);
        r = pcr_phases_finish(&k->phase_list);
        if (r < 0)
                return log_errno(r, "cannot allocate");
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

int build_pcr_config(BuildContext *c, const char *section, const char *key, const char *value) {
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
        return 0;
}

/* ---- the spec -------------------------------------------------------------- */

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
        const PeSection *sd = pe_find_section(c->stub, UKI_NAME_SDMAGIC);

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

int build_pcr_spec(BuildContext *c, UkiPcrSpec **ret) {
        BuildPcr *p = c->ext_pcr;
        int r;

        *ret = NULL;

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
        if (have_section(c, UKI_NAME_PCRSIG)) {
                return log_error("--section=.pcrsig: conflicts with --pcr-private-key= (which generates .pcrsig)");
        }
        /* ukify 257 runs systemd-measure sign once per .dtbauto (each
         * selectable devicetree gets its own signatures); ukit signs one
         * set of sections in one pass. */
        if (have_section(c, ".dtbauto"))
                return log_error("--devicetree-auto=: not supported together with --pcr-private-key= (ukify 257 signs once per .dtbauto)");
        r = pick_rules(p);
        if (r != 0)
                return r;

        /* .pcrpkey as ukify does: --pcrpkey=, else the key when there is
         * exactly one (with several keys, say which one with --pcrpkey=). */
        if (!have_section(c, UKI_NAME_PCRPKEY) && p->n_keys == 1) {
                r = pcrsig_public_key_pem(p->keys[0].pub ? p->keys[0].pub : p->keys[0].priv, &p->pcrpkey, &p->pcrpkey_size);
                if (r < 0)
                        return log_errno(r, "%s: cannot export the public key", p->keys[0].private_key);
        }

        for (size_t i = 0; i < p->n_keys; i++)
                p->spec_keys[i] = (UkiPcrKey) {
                        .priv = p->keys[i].priv,
                        .pub = p->keys[i].pub,
                        .phases = p->keys[i].phase_list.list,
                        .n_phases = p->keys[i].phase_list.n,
                };
        p->spec = (UkiPcrSpec) {
                .rules = p->rules,
                .banks = p->banks,
                .keys = p->spec_keys,
                .n_keys = p->n_keys,
                .pcrpkey = p->pcrpkey,
                .pcrpkey_size = p->pcrpkey_size,
        };
        *ret = &p->spec;
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
        c->ext_pcr = p;
        return 0;
}

/* ukify 257's --measure: `systemd-measure calculate` with the --pcr-banks
 * banks (none: all four) and the phase paths of every key lumped together
 * (none: the four standard ones). */
int build_pcr_measure_params(BuildContext *c, unsigned *ret_banks, PcrPhases *ret_phases) {
        BuildPcr *p = c->ext_pcr;
        const char *banks = p->banks_arg ? p->banks_arg : p->cfg_banks;
        int r;

        *ret_banks = PCR_BANK_BIT(PCR_BANK_SHA1) | PCR_BANK_BIT(PCR_BANK_SHA256) |
                     PCR_BANK_BIT(PCR_BANK_SHA384) | PCR_BANK_BIT(PCR_BANK_SHA512);
        if (banks) {
                r = parse_banks(p->banks_arg ? "--pcr-banks" : "PCRBanks", banks, ret_banks);
                if (r != 0)
                        return r;
        }
        /* ukify: the command line's groups, then the config file's */
        for (size_t i = 0; i < p->n_cli_phases + p->n_cfg; i++) {
                const PcrKey *k = i < p->n_cli_phases ? &p->cli[i] : &p->cfg[i - p->n_cli_phases];
                const char *bad = NULL;
                if (!k->phases)
                        continue;
                r = pcr_phases_add_words(ret_phases, k->phases, &bad);
                if (r == -EINVAL)
                        return log_usage("--phases=%s: unknown boot phase", k->phases);
                if (r == -E2BIG)
                        return log_usage("--phases=: too many phase paths (at most %u)", PCR_PHASES_MAX);
                if (r < 0 && r != -ENODATA)
                        return log_errno(r, "--phases=%s", k->phases);
        }
        r = pcr_phases_finish(ret_phases);
        if (r < 0)
                return log_errno(r, "cannot allocate");
        return 0;
}
