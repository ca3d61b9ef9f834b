/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ukify 257's build options outside the sections (see build-compat.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build-compat.h"
#include "build-pcr.h"
#include "cli.h"
#include "json.h"
#include "keys.h"
#include "measure-print.h"
#include "pcr-image.h"
#include "util.h"

#define COMPAT_TOOLS_MAX        64u
#define COMPAT_SDMAGIC_MAX      4096u

typedef struct BuildCompat {
        bool summary, measure, json_set;
        JsonStyle json;
        const char *tools[COMPAT_TOOLS_MAX];
        size_t n_tools;
        char *signtool, *sb_cert_dir;   /* from the config file (owned) */
        char *stub;                     /* the default stub for --efi-arch (owned) */
} BuildCompat;

int build_compat_setup(BuildContext *c) {
        if (c->ext_compat)
                return 0;
        c->ext_compat = calloc(1, sizeof(BuildCompat));
        if (!c->ext_compat)
                return log_errno(-ENOMEM, "cannot allocate");
        return 0;
}

void build_compat_done(BuildContext *c) {
        BuildCompat *x = c->ext_compat;
        if (!x)
                return;
        free(x->signtool);
        free(x->sb_cert_dir);
        free(x->stub);
        free(x);
        c->ext_compat = NULL;
}

/* ukify 257's --signtool choices; ukit signs in-house, as sbsign would. */
static const char *signtool_problem(const char *arg) {
        if (streq(arg, "sbsign") || streq(arg, "systemd-sbsign"))
                return NULL;
        if (streq(arg, "pesign"))
                return "pesign signing is not supported (ukit signs in-house with SecureBootPrivateKey= and "
                       "SecureBootCertificate=; pesign's NSS database is not read)";
        return "unknown signing tool (sbsign, systemd-sbsign, pesign)";
}

int build_compat_option(BuildContext *c, int opt, const char *arg) {
        BuildCompat *x = c->ext_compat;
        char *end;

        switch (opt) {
        case ARG_COMPAT_SUMMARY:
                x->summary = true;
                return 0;
        case ARG_COMPAT_TOOLS:
                if (x->n_tools >= COMPAT_TOOLS_MAX)
                        return log_usage("too many --tools= options (at most %u)", COMPAT_TOOLS_MAX);
                x->tools[x->n_tools++] = arg;
                return 0;
        case ARG_COMPAT_MEASURE:
        case ARG_COMPAT_NO_MEASURE:
                x->measure = opt == ARG_COMPAT_MEASURE;
                return 0;
        case ARG_COMPAT_JSON:
                if (json_style_from_string(arg, &x->json) < 0)
                        return log_usage("--json=%s: expected pretty, short or off", arg);
                x->json_set = true;
                return 0;
        case ARG_COMPAT_JSON_PRETTY:
                x->json = JSON_PRETTY;
                x->json_set = true;
                return 0;
        case ARG_COMPAT_ALL:
        case ARG_COMPAT_SB_CERT_DIR:
                return 0;
        case ARG_COMPAT_SB_CERT_NAME:
                return log_usage("--secureboot-certificate-name=%s: pesign signing is not supported (use "
                                 "--secureboot-private-key= and --secureboot-certificate=, files or provider URIs)", arg);
        case ARG_COMPAT_SB_CERT_VALIDITY:
                errno = 0;
                long v = strtol(arg, &end, 10);
                if (errno != 0 || end == arg || *end)
                        return log_usage("--secureboot-certificate-validity=%s: not a number of days", arg);
                (void) v;       /* ukify: only genkey uses it */
                return 0;
        default:
                return log_usage("internal error: unknown option");
        }
}

static int config_refuse(BuildContext *c, const char *msg) {
        c->config_error = msg;
        return -EOPNOTSUPP;
}

int build_compat_config(BuildContext *c, const char *section, const char *key, const char *value) {
        BuildCompat *x = c->ext_compat;

        if (!streq(section, "UKI"))
                return 0;
        if (streq(key, "SecureBootSigningTool")) {
                const char *problem = signtool_problem(value);
                if (problem)
                        return config_refuse(c, problem);
                free(x->signtool);
                x->signtool = xstrdup(value);
                return 1;
        }
        if (streq(key, "SecureBootCertificateDir")) {
                free(x->sb_cert_dir);
                x->sb_cert_dir = xstrdup(value);
                return 1;
        }
        if (streq(key, "SecureBootCertificateName"))
                return config_refuse(c, "SecureBootCertificateName= selects pesign signing, which is not supported "
                                        "(use SecureBootPrivateKey= and SecureBootCertificate=)");
        if (streq(key, "SigningEngine"))
                return config_refuse(c, "SigningEngine=: OpenSSL engines are not supported; use SigningProvider= "
                                        "with a provider URI as the key");
        if (streq(key, "SigningProvider") || streq(key, "CertificateProvider")) {
                /* mkosi writes "provider:NAME" for the certificate */
                const char *name = startswith(value, "provider:") ?: value;
                if (keys_load_provider(name) < 0)
                        return config_refuse(c, "cannot load the OpenSSL provider named there");
                return 1;
        }
        return 0;
}

/* ukify 257 picks linux<ARCH>.efi.stub by --efi-arch; ukit's own stubs are
 * ukit-stub.efi (x64) and ukit-stub-aa64.efi, next to each other. A default
 * that follows neither naming is kept (the stub check then names the
 * mismatch). */
const char *build_compat_default_stub(BuildContext *c, const char *def) {
        BuildCompat *x = c->ext_compat;
        const char *base = strrchr(def, '/') ? strrchr(def, '/') + 1 : def;
        size_t dir = (size_t) (base - def);

        if (!c->efi_arch || !c->linux_path)
                return def;
        free(x->stub);
        x->stub = NULL;
        if (streq(base, "ukit-stub.efi") && !streq(c->efi_arch, "x64"))
                x->stub = xasprintf("%.*sukit-stub-%s.efi", (int) dir, def, c->efi_arch);
        else if (startswith(base, "linux") && strlen(base) > 9 && streq(base + strlen(base) - 9, ".efi.stub"))
                x->stub = xasprintf("%.*slinux%s.efi.stub", (int) dir, def, c->efi_arch);
        return x->stub ?: def;
}

static void summary_line(const char *option, const char *value) {
        _cleanup_free_ char *e = NULL;
        if (!value)
                return;
        e = escape_str(value);
        printf("--%s=%s\n", option, e ?: "?");
}

static void summary_list(const char *option, const char *const *v, size_t n) {
        for (size_t i = 0; i < n; i++)
                summary_line(option, v[i]);
}

/* The settings after the config file was merged, as the command line that
 * means the same (ukify prints its Python namespace instead). */
static void print_summary(BuildContext *c) {
        BuildCompat *x = c->ext_compat;

        summary_line("config", c->config);
        summary_line("linux", c->linux_path);
        summary_list("initrd", c->initrds, c->n_initrds);
        summary_line("microcode", c->microcode);
        summary_line("os-release", c->os_release);
        summary_line("cmdline", c->cmdline);
        summary_line("uname", c->uname);
        summary_line("devicetree", c->devicetree);
        summary_list("devicetree-auto", c->devicetree_autos, c->n_devicetree_autos);
        summary_line("hwids", c->hwids);
        summary_line("splash", c->splash);
        summary_line("pcrpkey", c->pcrpkey);
        summary_list("sbat", c->sbats, c->n_sbats);
        summary_list("section", c->extra_sections, c->n_extra_sections);
        summary_line("efi-arch", c->efi_arch);
        summary_line("stub", c->stub_path);
        summary_line("signtool", x->signtool);
        summary_line("secureboot-certificate-dir", x->sb_cert_dir);
        summary_list("tools", x->tools, x->n_tools);
        summary_line("output", c->output);
        printf("--%s\n", x->measure ? "measure" : "no-measure");
}

int build_compat_summary(BuildContext *c) {
        BuildCompat *x = c->ext_compat;

        if (x->summary) {
                print_summary(c);
                if (fflush(stdout) != 0 || ferror(stdout))
                        return log_errno(-EIO, "cannot write output");
                return -1;
        }
        /* systemd-measure calculate needs .linux: ukify 257 fails the same way */
        if (x->measure && !c->linux_path)
                return log_usage("--measure: an add-on (no --linux=) has no PCR 11 prediction");
        return 0;
}

static const UkiMeasureRules *image_rules(int fd, const PeImage *img) {
        const PeSection *sd = pe_find_section(img, UKI_NAME_SDMAGIC);
        const UkiMeasureRules *rules = NULL;

        if (sd) {
                _cleanup_free_ void *magic = NULL;
                size_t n = 0;
                if (pe_read_section(fd, img, sd, COMPAT_SDMAGIC_MAX, &magic, &n) >= 0)
                        rules = uki_rules_for_stub(magic, n);
        }
        return rules ?: &uki_rules_current;
}

/* ukify 257 runs `systemd-measure calculate` on the measured sections, once
 * per .dtbauto (each as the selected one); the same values come from the
 * written image with the stub's measurement rules. */
int build_compat_measure(BuildContext *c) {
        BuildCompat *x = c->ext_compat;
        _cleanup_(pe_image_freep) PeImage *img = NULL;
        _cleanup_(pcr_phases_done) PcrPhases phases = {};
        _cleanup_close_ int fd = -EBADF;
        unsigned banks = 0;
        int r;

        if (!x->measure)
                return 0;
        r = build_pcr_measure_params(c, &banks, &phases);
        if (r != 0)
                return r;
        fd = open(c->output, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return log_errno(-errno, "%s: cannot open for --measure", c->output);
        r = pe_parse_fd(fd, &img, NULL);
        if (r < 0)
                return log_errno(r, "%s: cannot read for --measure", c->output);
        const UkiMeasureRules *rules = image_rules(fd, img);
        size_t n = MAX(pcr_image_count_sections(img, UKI_NAME_DTBAUTO), (size_t) 1);
        for (size_t i = 0; i < n; i++) {
                PcrState base;
                r = pcr_measure_pe_image_dtbauto(fd, img, rules, banks, i, &base);
                if (r < 0)
                        return log_errno(r, "%s: cannot measure", c->output);
                if (x->json_set && x->json != JSON_OFF)
                        r = measure_print_json(&base, &phases, x->json, NULL, NULL);
                else
                        r = measure_print_text(&base, &phases);
                if (r < 0)
                        return log_errno(r, "cannot extend phase");
        }
        if (fflush(stdout) != 0 || ferror(stdout))
                return log_errno(-EIO, "cannot write output");
        return 0;
}
