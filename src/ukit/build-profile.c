/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ukit build: --profile, --join-profile, --sign-profile (see build-profile.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build-profile.h"
#include "cli.h"
#include "fileio.h"
#include "pe.h"
#include "util.h"

#define PROFILE_TEXT_MAX        (1024u * 1024u)
#define PROFILE_ID_MAX          256u

typedef struct Joined {
        const char *path;
        int fd;
        PeImage *img;
        char id[PROFILE_ID_MAX];        /* "" when the .profile has no ID= */
} Joined;

typedef struct BuildProfile {
        const char *profile;            /* --profile= argument (argv or owned) */
        char *profile_owned;
        char *text;                     /* its content */
        size_t text_size;
        Joined *joined;
        size_t n_joined;
        const char **sign;
        size_t n_sign;
        bool *unsigned_profiles;
} BuildProfile;

/* What ukify 257 copies from a profile PE. */
static const char *const import_names[] = {
        UKI_NAME_LINUX, UKI_NAME_OSREL, UKI_NAME_CMDLINE, UKI_NAME_INITRD, UKI_NAME_UCODE,
        UKI_NAME_SPLASH, UKI_NAME_DTB, UKI_NAME_UNAME, UKI_NAME_SBAT, UKI_NAME_PROFILE,
};

static BuildProfile *state(BuildContext *c) {
        if (!c->ext_profile) {
                c->ext_profile = calloc(1, sizeof(BuildProfile));
                if (!c->ext_profile) {
                        fputs("ukit: out of memory\n", stderr);
                        abort();
                }
        }
        return c->ext_profile;
}

void build_profile_done(BuildContext *c) {
        BuildProfile *p = c->ext_profile;
        if (!p)
                return;
        for (size_t i = 0; i < p->n_joined; i++) {
                pe_image_free(p->joined[i].img);
                if (p->joined[i].fd >= 0)
                        close(p->joined[i].fd);
        }
        free(p->joined);
        free(p->sign);
        free(p->profile_owned);
        free(p->text);
        free(p->unsigned_profiles);
        free(p);
        c->ext_profile = NULL;
}

int build_profile_option(BuildContext *c, int opt, const char *arg) {
        BuildProfile *p = state(c);

        switch (opt) {
        case ARG_PROFILE:
                p->profile = arg;
                return 0;
        case ARG_JOIN_PROFILE: {
                Joined *v = reallocarray(p->joined, p->n_joined + 1, sizeof(Joined));
                if (!v)
                        return log_errno(-ENOMEM, "cannot allocate");
                p->joined = v;
                p->joined[p->n_joined++] = (Joined) { .path = arg, .fd = -1 };
                return 0;
        }
        case ARG_SIGN_PROFILE: {
                const char **v = reallocarray(p->sign, p->n_sign + 1, sizeof(char *));
                if (!v)
                        return log_errno(-ENOMEM, "cannot allocate");
                p->sign = v;
                p->sign[p->n_sign++] = arg;
                return 0;
        }
        default:
                return log_usage("internal error: unknown profile option");
        }
}

int build_profile_config(BuildContext *c, const char *section, const char *key, const char *value) {
        if (!streq(section, "UKI") || !streq(key, "Profile"))
                return 0;
        BuildProfile *p = state(c);
        if (!p->profile)        /* the command line wins */
                p->profile = p->profile_owned = xstrdup(value);
        return 1;
}

/* --profile's content; as ukify, an empty TEXT is no --profile, and with
 * --join-profile the base's default is "ID=main". */
static int load_profile_text(BuildContext *c, BuildProfile *p) {
        const char *arg = p->profile;
        int r;

        if (p->text || (!arg && p->n_joined == 0))
                return 0;
        if (!arg || !*arg) {
                if (p->n_joined == 0)
                        return 0;
                arg = "ID=main";
        }
        r = read_text_or_file(arg, PROFILE_TEXT_MAX, &p->text, &p->text_size);
        if (r == -EFBIG)
                return log_error("%s: --profile too large (at most %u bytes)", arg[0] == '@' ? arg + 1 : "--profile",
                                 PROFILE_TEXT_MAX);
        if (r < 0)
                return log_errno(r, "%s: cannot read --profile", arg[0] == '@' ? arg + 1 : "--profile");
        if (p->text_size == 0)
                return log_error("%s: profile is empty", arg[0] == '@' ? arg + 1 : "--profile");
        (void) c;
        return 0;
}

static bool have_profile(const BuildContext *c) {
        const BuildProfile *p = c->ext_profile;
        return p && (p->n_joined > 0 || (p->profile && *p->profile));
}

bool build_profile_wants_sbat(const BuildContext *c) {
        const BuildProfile *p = c->ext_profile;
        return !have_profile(c) || p->n_joined > 0;
}

int build_profile_lead(BuildContext *c) {
        BuildProfile *p = c->ext_profile;
        int r;

        if (!have_profile(c))
                return 0;
        r = load_profile_text(c, p);
        if (r != 0)
                return r;
        if (p->n_joined > 0)
                return 0;
        BuildSection *s = build_add_section(c, UKI_NAME_PROFILE, PE_SECTION_FLAGS_DATA);
        build_section_add_range(s, -1, p->text, 0, p->text_size);
        return 0;
}

/* ID= of a .profile, leniently (as ukify's env-file reader: one KEY=VALUE
 * per line, the value may be quoted; the rest of the text need not be valid
 * os-release syntax). "" when there is none. */
static void profile_id(const char *text, size_t n, char id[static PROFILE_ID_MAX]) {
        id[0] = 0;
        for (size_t i = 0; i < n;) {
                size_t end = i;
                while (end < n && text[end] != '\n')
                        end++;
                if (end - i > 3 && memcmp(text + i, "ID=", 3) == 0) {
                        size_t a = i + 3, b = end;
                        while (b > a && strchr(" \t\r", text[b - 1]))
                                b--;
                        if (b - a >= 2 && (text[a] == '"' || text[a] == '\'') && text[b - 1] == text[a]) {
                                a++;
                                b--;
                        }
                        size_t len = MIN(b - a, (size_t) PROFILE_ID_MAX - 1);
                        memcpy(id, text + a, len);
                        id[len] = 0;    /* the last ID= wins */
                }
                i = end + 1;
        }
}

static bool imported(const char *name, bool osrel) {
        if (streq(name, UKI_NAME_OSREL))
                return osrel;
        for (size_t i = 0; i < ELEMENTSOF(import_names); i++)
                if (streq(name, import_names[i]))
                        return true;
        return false;
}

/* The sections of one profile PE, checked as ukify checks them. */
static int check_profile_pe(Joined *j, bool osrel) {
        const PeImage *img = j->img;
        size_t n = 0;

        for (size_t i = 0; i < img->n_sections; i++) {
                const PeSection *s = &img->sections[i];
                if (!imported(s->name, osrel))
                        continue;
                if (n == 0 && !streq(s->name, UKI_NAME_PROFILE))
                        return log_error("%s: not a profile PE: its first profile section is %s, not .profile",
                                         j->path, s->name);
                if (streq(s->name, UKI_NAME_LINUX) || streq(s->name, UKI_NAME_SBAT))
                        return log_error("%s: profile PE has a %s section; ukit build does not join those",
                                         j->path, s->name);
                for (size_t k = 0; k < i; k++)
                        if (streq(img->sections[k].name, s->name))
                                return log_error("%s: profile PE has more than one %s section", j->path, s->name);
                if (MIN(s->virtual_size, s->raw_size) == 0)
                        return log_error("%s: section %s of the profile PE is empty", j->path, s->name);
                n++;
        }
        if (n == 0)
                return log_error("%s: not a profile PE: no .profile section", j->path);
        return 0;
}

static int open_profile_pe(Joined *j, bool osrel) {
        UkitError err = UKIT_ERROR_INIT;
        uint64_t size;
        int r;

        j->fd = open_input(j->path, OPEN_INPUT_ALLOW_BLOCK, 0, &size);
        if (j->fd == -EISDIR || j->fd == -EBADFD)
                return log_error("%s: not a regular file (--join-profile)", j->path);
        if (j->fd < 0)
                return log_errno(j->fd, "%s: cannot open --join-profile", j->path);
        r = pe_parse_fd(j->fd, &j->img, &err);
        if (r == -EBADMSG || r == -EOPNOTSUPP || r == -EFBIG)
                return log_error("%s: not a profile PE: %s", j->path, ukit_error_reason(&err, r));
        if (r < 0)
                return log_errno(r, "%s: cannot read --join-profile", j->path);
        r = check_profile_pe(j, osrel);
        if (r != 0)
                return r;

        const PeSection *prof = pe_find_section(j->img, UKI_NAME_PROFILE);
        _cleanup_free_ void *text = NULL;
        size_t n = 0;
        r = pe_read_section(j->fd, j->img, prof, PROFILE_TEXT_MAX, &text, &n);
        if (r < 0)
                return log_errno(r, "%s: cannot read its .profile section", j->path);
        profile_id(text, n, j->id);
        return 0;
}

int build_profile_join(BuildContext *c) {
        BuildProfile *p = c->ext_profile;
        int r;

        if (!p || p->n_joined == 0)
                return 0;
        /* ukify 257 takes a profile's .osrel only when the UKI has os-release */
        bool osrel = c->os_release ? c->os_release[0] != 0 : c->linux_path != NULL;
        BuildSection *s = build_add_section(c, UKI_NAME_PROFILE, PE_SECTION_FLAGS_DATA);
        build_section_add_range(s, -1, p->text, 0, p->text_size);
        for (size_t i = 0; i < p->n_joined; i++) {
                Joined *j = &p->joined[i];
                r = open_profile_pe(j, osrel);
                if (r != 0)
                        return r;
                for (size_t k = 0; k < j->img->n_sections; k++) {
                        const PeSection *sec = &j->img->sections[k];
                        if (!imported(sec->name, osrel))
                                continue;
                        s = build_add_section(c, sec->name, PE_SECTION_FLAGS_DATA);
                        s->path = j->path;
                        build_section_add_range(s, j->fd, NULL, sec->raw_offset, MIN(sec->virtual_size, sec->raw_size));
                }
        }
        return 0;
}

static bool sign_listed(const BuildProfile *p, const char *id) {
        for (size_t i = 0; i < p->n_sign; i++)
                if (*id && streq(p->sign[i], id))
                        return true;
        return false;
}

int build_profile_pcr_spec(BuildContext *c, UkiPcrSpec *spec) {
        BuildProfile *p = c->ext_profile;
        char base_id[PROFILE_ID_MAX] = "";

        if (!p || p->n_sign == 0)
                return 0;
        if (!have_profile(c))
                return log_usage("--sign-profile= needs profiles (--profile= or --join-profile=)");
        p->unsigned_profiles = calloc(1 + p->n_joined, sizeof(bool));
        if (!p->unsigned_profiles)
                return log_errno(-ENOMEM, "cannot allocate");
        profile_id(p->text, p->text_size, base_id);
        p->unsigned_profiles[0] = !sign_listed(p, base_id);
        for (size_t i = 0; i < p->n_joined; i++)
                p->unsigned_profiles[1 + i] = !sign_listed(p, p->joined[i].id);
        spec->unsigned_profiles = p->unsigned_profiles;
        spec->n_unsigned_profiles = 1 + p->n_joined;
        return 0;
}
