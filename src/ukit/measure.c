/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ukit measure: predict PCR 11 for a UKI and sign the TPM2 policy for it.
 * A drop-in for systemd-measure 252 (same options, same text and JSON), plus
 * --uki (predict from a built image, with the rules of the stub inside it)
 * and a sign that needs no TPM. */
#include <ctype.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "fileio.h"
#include "json-parse.h"
#include "json.h"
#include "keys.h"
#include "measure-esp.h"
#include "measure-print.h"
#include "pcr-image.h"
#include "pcr-phases.h"
#include "pcr.h"
#include "pcrsig.h"
#include "pe.h"
#include "uki.h"
#include "util.h"
#include "verbs.h"

#define SDMAGIC_MAX             4096u
#define MEASURE_KEYS_MAX        16u
#define SYSFS_TPM               "/sys/class/tpm/tpm0"

typedef struct MeasureArgs {
        const char *sections[_UKI_SECTION_MAX];
        const char *uki;
        uint32_t uki_profile;   /* --uki-profile=N: the profile of a multi-profile UKI */
        bool uki_profile_set;
        unsigned banks;
        PcrPhases phases;
        /* Repeatable (an extension: systemd-measure takes one key): each key
         * appends its signatures, the i-th --public-key checks the i-th key. */
        const char *private_keys[MEASURE_KEYS_MAX];
        size_t n_private_keys;
        const char *public_keys[MEASURE_KEYS_MAX];
        size_t n_public_keys;
        const char *passphrase_file;
        const char *append;     /* --append: signatures to keep, new ones are added */
        JsonStyle json;
        bool json_set;          /* --json= or -j given */
        bool json_auto;         /* -j: pretty on a tty, short otherwise */
        bool current;           /* -c: start from the TPM's PCR 11 instead of the sections */
        const char *esp;        /* --esp: also predict PCR 12/13 (measure-esp.c) */
        const char *smbios_cmdline;     /* --smbios-cmdline: the SMBIOS string the stub measures */
        const char *smbios_table;       /* --smbios-table: or the one in this SMBIOS table */
} MeasureArgs;

static void args_done(MeasureArgs *a) {
        pcr_phases_done(&a->phases);
}

static void help(FILE *f) {
        fprintf(f,
                "Usage: ukit measure [OPTIONS...] status|calculate|sign\n"
                "\n"
                "Pre-calculate and sign the TPM2 PCR 11 values of a unified kernel image.\n"
                "\n"
                "Commands:\n"
                "  status                 Show the current PCR 11 values (%s)\n"
                "  calculate              Calculate the expected PCR 11 values\n"
                "  sign                   Calculate and sign them (no TPM needed)\n"
                "\n"
                "Options:\n"
                "  -h --help              Show this help\n"
                "  -c --current           Start from the current PCR 11 value instead of sections\n"
                "     --phase=PHASE       Boot phase path to calculate/sign for (repeatable;\n"
                "                         \"\" = before any phase; default: the four from\n"
                "                         enter-initrd to ...:sysinit:ready)\n"
                "     --bank=DIGEST       sha1, sha256, sha384, sha512 (repeatable; default all)\n"
                "     --private-key=KEY   Private key (RSA or EC; PEM/DER path or provider URI);\n"
                "                         repeatable: signatures by each key, for key rotation\n"
                "     --private-key-passphrase-file=FILE\n"
                "                         Passphrase for an encrypted private key\n"
                "     --public-key=KEY    Public key to check the (n-th) private key against\n"
                "     --private-key-source=file|provider:NAME|engine:NAME\n"
                "                         How to read --private-key= (systemd-measure 257);\n"
                "                         a provider key is given as its URI\n"
                "     --certificate=PATH  Certificate to check the (n-th) private key against\n"
                "                         (instead of --public-key=)\n"
                "     --certificate-source=file|provider:NAME\n"
                "                         How to read --certificate=\n"
                "     --append=PATH       Keep the signatures in this JSON and add the new ones\n"
                "     --json=MODE         pretty, short or off\n"
                "  -j                     Same as --json=pretty on a tty, --json=short otherwise\n"
                "     --uki=FILE          Take the sections from a built UKI (and the\n"
                "                         measurement rules from the stub inside it)\n"
                "     --uki-profile=N     With --uki: the sections the stub uses for profile N\n"
                "                         of a multi-profile UKI (default 0)\n"
                "     --esp=DIR           With --uki (a file inside DIR): also predict PCR 12\n"
                "                         and 13 from the add-ons, credentials, sysexts and\n"
                "                         confexts ukit-stub picks up from that ESP\n"
                "     --smbios-cmdline=TEXT\n"
                "                         With --esp: the machine's SMBIOS type 11 string\n"
                "                         io.systemd.stub.kernel-cmdline-extra=TEXT (PCR 12)\n"
                "     --smbios-table[=FILE]\n"
                "                         With --esp: take that string from an SMBIOS table\n"
                "                         (default %s, this machine's)\n"
                "\n"
                "UKI section options:\n"
                "     --linux=PATH        .linux     --osrel=PATH    .osrel\n"
                "     --cmdline=PATH      .cmdline   --initrd=PATH   .initrd\n"
                "     --ucode=PATH        .ucode     --splash=PATH   .splash\n"
                "     --dtb=PATH          .dtb       --uname=PATH    .uname\n"
                "     --sbat=PATH         .sbat      --pcrpkey=PATH  .pcrpkey\n"
                "     --profile=PATH      .profile   --dtbauto=PATH  .dtbauto\n"
                "     --hwids=PATH        .hwids\n"
                "\n"
                "Accepted for systemd-measure compatibility: --no-pager, --tpm2-device=PATH\n"
                "(status reads PCR 11 from sysfs).\n"
                "\n"
                "See ukit-measure(1).\n",
                SYSFS_TPM, MEASURE_SMBIOS_TABLE_DEFAULT);
}

static int add_phase(MeasureArgs *a, const char *p) {
        int r = pcr_phases_add(&a->phases, p);
        if (r == -EINVAL)
                return log_usage("unknown boot phase in '%s' (known: enter-initrd, leave-initrd, sysinit, ready, shutdown, final)", p);
        if (r == -E2BIG)
                return log_usage("too many --phase= options (at most %u)", PCR_PHASES_MAX);
        if (r < 0)
                return log_errno(r, "phase '%s'", p);
        return 0;
}

/* The getopt values of the long options without a short form. */
enum {
        ARG_SECTION_FIRST = 0x100,
        ARG_SECTION_LAST = ARG_SECTION_FIRST + _UKI_SECTION_MAX - 1,
        ARG_UKI,
        ARG_UKI_PROFILE,
        ARG_BANK,
        ARG_PHASE,
        ARG_PRIVATE_KEY,
        ARG_PASSPHRASE,
        ARG_PUBLIC_KEY,
        ARG_JSON,
        ARG_ESP,
        ARG_SMBIOS_CMDLINE,
        ARG_SMBIOS_TABLE,
        ARG_APPEND,
        ARG_KEY_SOURCE,
        ARG_CERTIFICATE,
        ARG_CERTIFICATE_SOURCE,
        ARG_NO_PAGER,
        ARG_TPM2_DEVICE,
};

/* The options naming what to measure: sections, --uki=, --esp=, --bank=,
 * --phase=, -c. Return -1 to go on, else the exit status. */
static int parse_input_option(MeasureArgs *a, int c, const char *arg) {
        int r;

        switch (c) {
        case ARG_SECTION_FIRST ... ARG_SECTION_LAST:
                if (c - ARG_SECTION_FIRST == UKI_SECTION_PCRSIG)
                        return log_usage("unknown option");
                a->sections[c - ARG_SECTION_FIRST] = arg;       /* last one wins, like systemd-measure */
                break;
        case ARG_ESP:
                a->esp = arg;
                break;
        case ARG_SMBIOS_CMDLINE:
                a->smbios_cmdline = arg;
                break;
        case ARG_SMBIOS_TABLE:
                a->smbios_table = arg ? arg : MEASURE_SMBIOS_TABLE_DEFAULT;
                break;
        case ARG_UKI:
                a->uki = arg;
                break;
        case ARG_UKI_PROFILE: {
                char *end;
                errno = 0;
                unsigned long v = strtoul(arg, &end, 10);
                if (errno != 0 || end == arg || *end || arg[0] == '-' || v > UINT32_MAX)
                        return log_usage("--uki-profile=%s: not a profile number (0, 1, ...)", arg);
                a->uki_profile = (uint32_t) v;
                a->uki_profile_set = true;
                break;
        }
        case ARG_BANK: {
                PcrBank b = pcr_bank_from_string(arg);
                if (b == _PCR_BANK_INVALID)
                        return log_usage("unknown bank '%s' (known: sha1, sha256, sha384, sha512)", arg);
                a->banks |= PCR_BANK_BIT(b);
                break;
        }
        case ARG_PHASE:
                r = add_phase(a, arg);
                if (r != 0)
                        return r;
                break;
        case 'c':
                a->current = true;
                break;
        }
        return -1;
}

/* The signing options: keys, certificates, their sources, --append=.
 * Return -1 to go on, else the exit status. */
static int parse_key_option(MeasureArgs *a, int c, const char *arg) {
        switch (c) {
        case ARG_PRIVATE_KEY:
                if (a->n_private_keys >= MEASURE_KEYS_MAX)
                        return log_usage("too many --private-key= options (at most %u)", MEASURE_KEYS_MAX);
                a->private_keys[a->n_private_keys++] = arg;
                break;
        case ARG_PASSPHRASE:
                a->passphrase_file = arg;
                break;
        case ARG_APPEND:
                a->append = arg;
                break;
        case ARG_KEY_SOURCE:
        case ARG_CERTIFICATE_SOURCE:
                /* Keys and certificates are loaded through OSSL_STORE, which takes
                 * a path or any provider's URI itself; an engine is not. */
                if (!streq(arg, "file") && !startswith(arg, "provider:"))
                        return log_usage("--%s=%s: only 'file' and 'provider:NAME' are supported "
                                         "(OpenSSL engines are deprecated; give the key as a provider URI)",
                                         c == ARG_KEY_SOURCE ? "private-key-source" : "certificate-source", arg);
                break;
        case ARG_CERTIFICATE:
        case ARG_PUBLIC_KEY:
                if (a->n_public_keys >= MEASURE_KEYS_MAX)
                        return log_usage("too many --public-key= options (at most %u)", MEASURE_KEYS_MAX);
                a->public_keys[a->n_public_keys++] = arg;
                break;
        }
        return -1;
}

/* Output and systemd-measure compatibility options: -j, --json=,
 * --no-pager, --tpm2-device=. Return -1 to go on, else the exit status. */
static int parse_output_option(MeasureArgs *a, int c, const char *arg) {
        switch (c) {
        case ARG_NO_PAGER:
                break;
        case ARG_TPM2_DEVICE:
                /* status reads the kernel's sysfs PCR files, as systemd-measure does
                 * unless it has to talk to the TPM; only the default device exists there. */
                if (!streq(arg, "auto") && !streq(arg, "/dev/tpmrm0") && !streq(arg, "/dev/tpm0"))
                        return log_usage("--tpm2-device=%s: only the kernel's default TPM is supported", arg);
                break;
        case 'j':
                a->json_set = a->json_auto = true;
                break;
        case ARG_JSON:
                if (json_style_from_string(arg, &a->json) < 0)
                        return log_usage("unknown --json= mode '%s' (pretty, short, off)", arg);
                a->json_set = true;
                a->json_auto = false;
                break;
        }
        return -1;
}

/* One option from getopt_long() other than -h and its errors: -1 to go on,
 * else the exit status. */
static int parse_option(MeasureArgs *a, int c, const char *arg) {
        switch (c) {
        case ARG_SECTION_FIRST ... ARG_SECTION_LAST:
        case ARG_ESP:
        case ARG_SMBIOS_CMDLINE:
        case ARG_SMBIOS_TABLE:
        case ARG_UKI:
        case ARG_UKI_PROFILE:
        case ARG_BANK:
        case ARG_PHASE:
        case 'c':
                return parse_input_option(a, c, arg);
        case ARG_PRIVATE_KEY:
        case ARG_PASSPHRASE:
        case ARG_APPEND:
        case ARG_KEY_SOURCE:
        case ARG_CERTIFICATE_SOURCE:
        case ARG_CERTIFICATE:
        case ARG_PUBLIC_KEY:
                return parse_key_option(a, c, arg);
        case ARG_NO_PAGER:
        case ARG_TPM2_DEVICE:
        case 'j':
        case ARG_JSON:
                return parse_output_option(a, c, arg);
        default:
                return EXIT_USAGE;
        }
}

static int parse_argv(int argc, char **argv, MeasureArgs *a) {
        static const struct option options[] = {
                { "help",               no_argument,       NULL, 'h' },
                { "current",            no_argument,       NULL, 'c' },
                { "linux",              required_argument, NULL, ARG_SECTION_FIRST + UKI_SECTION_LINUX },
                { "osrel",              required_argument, NULL, ARG_SECTION_FIRST + UKI_SECTION_OSREL },
                { "cmdline",            required_argument, NULL, ARG_SECTION_FIRST + UKI_SECTION_CMDLINE },
                { "initrd",             required_argument, NULL, ARG_SECTION_FIRST + UKI_SECTION_INITRD },
                { "ucode",              required_argument, NULL, ARG_SECTION_FIRST + UKI_SECTION_UCODE },
                { "splash",             required_argument, NULL, ARG_SECTION_FIRST + UKI_SECTION_SPLASH },
                { "dtb",                required_argument, NULL, ARG_SECTION_FIRST + UKI_SECTION_DTB },
                { "uname",              required_argument, NULL, ARG_SECTION_FIRST + UKI_SECTION_UNAME },
                { "sbat",               required_argument, NULL, ARG_SECTION_FIRST + UKI_SECTION_SBAT },
                { "pcrpkey",            required_argument, NULL, ARG_SECTION_FIRST + UKI_SECTION_PCRPKEY },
                { "profile",            required_argument, NULL, ARG_SECTION_FIRST + UKI_SECTION_PROFILE },
                { "dtbauto",            required_argument, NULL, ARG_SECTION_FIRST + UKI_SECTION_DTBAUTO },
                { "hwids",              required_argument, NULL, ARG_SECTION_FIRST + UKI_SECTION_HWIDS },
                { "append",             required_argument, NULL, ARG_APPEND },
                { "private-key-source", required_argument, NULL, ARG_KEY_SOURCE },
                { "certificate",        required_argument, NULL, ARG_CERTIFICATE },
                { "certificate-source", required_argument, NULL, ARG_CERTIFICATE_SOURCE },
                { "no-pager",           no_argument,       NULL, ARG_NO_PAGER },
                { "tpm2-device",        required_argument, NULL, ARG_TPM2_DEVICE },
                { "uki",                required_argument, NULL, ARG_UKI },
                { "uki-profile",        required_argument, NULL, ARG_UKI_PROFILE },
                { "bank",               required_argument, NULL, ARG_BANK },
                { "phase",              required_argument, NULL, ARG_PHASE },
                { "private-key",        required_argument, NULL, ARG_PRIVATE_KEY },
                { "private-key-passphrase-file", required_argument, NULL, ARG_PASSPHRASE },
                { "public-key",         required_argument, NULL, ARG_PUBLIC_KEY },
                { "json",               required_argument, NULL, ARG_JSON },
                { "esp",                required_argument, NULL, ARG_ESP },
                { "smbios-cmdline",     required_argument, NULL, ARG_SMBIOS_CMDLINE },
                { "smbios-table",       optional_argument, NULL, ARG_SMBIOS_TABLE },
                {}
        };
        int c, r;

        a->json = JSON_OFF;
        optind = 0;
        opterr = 0;     /* our own one-line messages */
        while ((c = getopt_long(argc, argv, ":hjc", options, NULL)) >= 0) {
                switch (c) {
                case 'h':
                        help(stdout);
                        return 0;
                case ':':
                case '?':
                        return log_getopt_error(c, argv);
                default:
                        r = parse_option(a, c, optarg);
                        if (r >= 0)
                                return r;
                        break;
                }
        }

        if (a->banks == 0)      /* systemd-measure 252: all banks unless chosen */
                a->banks = PCR_BANKS_ALL;

        /* Sorted and de-duplicated, as systemd-measure prints them. */
        r = pcr_phases_finish(&a->phases);
        if (r < 0)
                return log_errno(r, "cannot allocate");
        return -1;      /* go on */
}

/* Measures the sections given as files. */
static int measure_files(const MeasureArgs *a, PcrState *ret) {
        _cleanup_pcr_measure_ PcrMeasure *m = NULL;
        int r;

        r = pcr_measure_new(&uki_rules_current, a->banks, 0, &m);
        if (r < 0)
                return log_errno_r(r, "cannot set up hashing");

        for (int s = 0; s < _UKI_SECTION_MAX; s++) {
                _cleanup_close_ int fd = -1;
                if (!a->sections[s])
                        continue;
                /* Files are read to the end, pipes too (as systemd-measure
                 * does), but no device: /dev/zero would be hashed forever.
                 * The open never blocks on a FIFO. */
                fd = open_input(a->sections[s], OPEN_INPUT_ALLOW_PIPE, 0, NULL);
                if (fd < 0)
                        return log_errno_r(fd, "%s: cannot open", a->sections[s]);
                r = pcr_measure_section_file(m, (UkiSection) s, fd);
                if (r < 0)
                        return log_errno_r(r, "%s: cannot read", a->sections[s]);
        }
        r = pcr_measure_finish(m, ret);
        if (r < 0)
                return log_errno_r(r, "cannot compute PCR 11");
        return 0;
}

/* Measures the sections of a built UKI with the rules of its stub. */
static int measure_uki(const MeasureArgs *a, PcrState *ret) {
        UkitError err = UKIT_ERROR_INIT;
        _cleanup_pe_image_ PeImage *img = NULL;
        _cleanup_close_ int fd = -1;
        const UkiMeasureRules *rules = NULL;
        const PeSection *sd;
        int r;

        fd = open_input(a->uki, 0, 0, NULL);
        if (fd < 0)
                return log_errno_r(fd, "%s: cannot open", a->uki);
        r = pe_parse_fd(fd, &img, &err);
        if (r == -EBADMSG || r == -EOPNOTSUPP) {
                log_fail(&err, r, "%s: not a usable PE image", a->uki);
                return r;
        }
        if (r < 0)
                return log_errno_r(r, "%s: cannot parse", a->uki);

        sd = pe_find_section(img, UKI_NAME_SDMAGIC);
        if (sd) {
                _cleanup_free_ void *magic = NULL;
                size_t n = 0;
                r = pe_read_section(fd, img, sd, SDMAGIC_MAX, &magic, &n);
                if (r < 0)
                        return log_errno_r(r, "%s: cannot read .sdmagic", a->uki);
                rules = uki_rules_for_stub(magic, n);
        }
        if (!rules) {
                log_warning("%s: stub not recognised (no known .sdmagic), assuming current systemd-stub rules", a->uki);
                rules = &uki_rules_current;
        }
        if (!pe_find_section(img, UKI_NAME_LINUX)) {
                return log_error_r(-EBADMSG, "%s: no .linux section, not a UKI", a->uki);
        }

        r = pcr_measure_pe_image_profile(fd, img, a->uki_profile, rules, a->banks, ret);
        if (r == -ENOENT)
                return log_error_r(r, "%s: no profile %" PRIu32 " in the image", a->uki, a->uki_profile);
        if (r < 0)
                return log_errno_r(r, "%s: cannot measure its sections", a->uki);
        return 0;
}

/* PCR 11 of bank b from sysfs, as text and bytes. -ENOENT (silently) when
 * the bank is not there; other errors printed. Returns -errno. */
static int read_sysfs_pcr(PcrBank b, char *text, uint8_t *value);

/* The usage checks of measure_image(): which of --current, --uki= and the
 * section options go together. 0 or EXIT_USAGE (printed). */
static int measure_image_usage(const MeasureArgs *a) {
        if (a->current && a->uki)
                return log_usage("--current cannot be combined with --uki=");
        for (int s = 0; s < _UKI_SECTION_MAX; s++)
                if ((a->current || a->uki) && a->sections[s])
                        return log_usage("%s cannot be combined with --%s=", a->current ? "--current" : "--uki=",
                                         uki_section_names[s] + 1);
        if (!a->current && !a->uki && !a->sections[UKI_SECTION_LINUX])
                return log_usage("either --linux=, --uki= or --current must be specified");
        return 0;
}

/* PCR 11 of the running system (--current), of a UKI or of the section
 * files. Prints; returns -errno. */
static int measure_image(const MeasureArgs *a, PcrState *ret) {
        if (a->uki_profile_set && !a->uki)
                return log_usage("--uki-profile= needs --uki=");
        if (a->current) {
                PcrState s;
                pcr_state_init(&s, a->banks);
                for (int b = 0; b < _PCR_BANK_MAX; b++) {
                        char text[2 * PCR_DIGEST_MAX + 1];
                        if (!(a->banks & PCR_BANK_BIT(b)))
                                continue;
                        int r = read_sysfs_pcr((PcrBank) b, text, s.value[b]);
                        if (r == -ENOENT)
                                return log_error_r(r, SYSFS_TPM "/pcr-%s/%u: no such PCR bank (no TPM, or kernel too old)",
                                                   pcr_bank_to_string((PcrBank) b), TPM2_PCR_KERNEL_BOOT);
                        if (r < 0)
                                return r;
                }
                *ret = s;
                return 0;
        }
        if (a->uki)
                return measure_uki(a, ret);
        return measure_files(a, ret);
}

static JsonStyle effective_style(const MeasureArgs *a, bool json_only) {
        if (a->json_auto || (json_only && !a->json_set))
                return isatty(STDOUT_FILENO) ? JSON_PRETTY : JSON_SHORT;
        if (json_only && a->json == JSON_OFF)
                return JSON_SHORT;
        return a->json;
}

static void print_esp_json(JsonWriter *w, PcrBank b, void *userdata) {
        measure_esp_print_json(w, userdata, b);
}

static int verb_calculate(const MeasureArgs *a) {
        PcrState base;
        JsonStyle style = effective_style(a, false);
        int r;

        if (a->n_private_keys > 0 || a->n_public_keys > 0 || a->append)
                return log_usage("--private-key=/--public-key=/--certificate=/--append= only apply to 'sign'");
        r = measure_image_usage(a);
        if (r != 0)
                return r;
        r = measure_image(a, &base);
        if (r < 0)
                return EXIT_FAILURE;
        MeasureEsp esp;
        if ((a->smbios_cmdline || a->smbios_table) && !a->esp)
                return log_usage("--smbios-cmdline=/--smbios-table only apply with --esp=");
        if (a->smbios_cmdline && a->smbios_table)
                return log_usage("--smbios-cmdline= and --smbios-table cannot be combined");
        if (a->esp && (r = measure_esp_predict(a->esp, a->uki, a->smbios_cmdline, a->smbios_table, base.banks,
                                               &esp)) != 0)
                return r;

        if (style == JSON_OFF) {
                r = measure_print_text(&base, &a->phases);
                if (r < 0)
                        return log_errno(r, "cannot extend phase");
                if (a->esp)
                        measure_esp_print_text(&esp, a->esp);
        } else {
                r = measure_print_json(&base, &a->phases, style, a->esp ? print_esp_json : NULL, &esp);
                if (r < 0)
                        return log_errno(r, "cannot extend phase");
        }
        if (fflush(stdout) != 0 || ferror(stdout))
                return log_errno(-EIO, "cannot write output");
        return EXIT_SUCCESS;
}

static void pkeys_free(EVP_PKEY *(*keys)[MEASURE_KEYS_MAX]) {
        for (size_t i = 0; i < MEASURE_KEYS_MAX; i++)
                EVP_PKEY_free((*keys)[i]);
}

/* The signatures of an earlier `sign` (--append), kept in front of the new
 * ones, bank by bank, as systemd-measure does. */
static int load_append(const char *path, PcrSig *sig) {
        _cleanup_free_ char *text = NULL;
        UkitError err = UKIT_ERROR_INIT;
        size_t n = 0;
        int r;

        r = read_file_full(path, JSON_PARSE_SIZE_MAX, &text, &n);
        if (r == -EFBIG) {
                return log_error_r(r, "%s: larger than %u bytes", path, JSON_PARSE_SIZE_MAX);
        }
        if (r < 0)
                return log_errno_r(r, "%s: cannot read", path);
        r = pcrsig_parse(text, n, sig, NULL, &err);
        if (r == -EBADMSG) {
                log_fail(&err, r, "%s: not a PCR signature document", path);
                return r;
        }
        if (r < 0)
                return log_errno_r(r, "%s: cannot parse", path);
        for (size_t i = 0; i < sig->n_entries; i++)
                if (sig->entries[i].not_pcr11) {
                        return log_error_r(-EOPNOTSUPP,
                                           "%s: %s[%zu] is a policy for other PCRs than 11, which ukit cannot carry over",
                                           path, pcr_bank_to_string(sig->entries[i].bank), sig->entries[i].index);
                }
        return 0;
}

static int verb_sign(const MeasureArgs *a) {
        _cleanup_(pkeys_free) EVP_PKEY *priv[MEASURE_KEYS_MAX] = {}, *pub[MEASURE_KEYS_MAX] = {};
        _cleanup_(pcrsig_done) PcrSig sig = {};
        PcrState base;
        int r;

        if (a->n_private_keys == 0)
                return log_usage("no private key specified, use --private-key=");
        if (a->n_public_keys > a->n_private_keys)
                return log_usage("more --public-key= than --private-key= options");

        /* Keys first: a bad key must fail before any hashing or output. */
        for (size_t i = 0; i < a->n_private_keys; i++) {
                const char *k = a->private_keys[i], *p = i < a->n_public_keys ? a->public_keys[i] : NULL;

                r = keys_load_private(k, a->passphrase_file, &priv[i]);
                if (r < 0)
                        return log_errno(r, "%s: cannot load private key", k);
                if (p) {
                        r = keys_load_public(p, &pub[i]);
                        if (r < 0)
                                return log_errno(r, "%s: cannot load public key", p);
                }
                r = pcrsig_check_keys(priv[i], pub[i]);
                if (r == -EOPNOTSUPP) {
                        return log_error("%s: key type not supported (need RSA or EC)", k);
                }
                if (r == -EKEYREJECTED) {
                        return log_error("%s: public key does not belong to private key %s", p, k);
                }
                if (r < 0)
                        return log_errno(r, "%s: unusable key", k);
        }

        if (a->append) {
                r = load_append(a->append, &sig);
                if (r < 0)
                        return EXIT_FAILURE;
        }

        r = measure_image_usage(a);
        if (r != 0)
                return r;
        r = measure_image(a, &base);
        if (r < 0)
                return EXIT_FAILURE;

        for (size_t i = 0; i < a->n_private_keys; i++) {
                r = pcrsig_sign(&sig, priv[i], pub[i], &base, a->phases.list, a->phases.n);
                if (r < 0)
                        return log_errno(r, "%s: signing failed", a->private_keys[i]);
        }

        pcrsig_write_json(&sig, stdout, effective_style(a, true));
        if (fflush(stdout) != 0 || ferror(stdout))
                return log_errno(-EIO, "cannot write output");
        return EXIT_SUCCESS;
}

/* PCR 11 of bank b from sysfs as lower-case hex (text, 2*size+1 bytes) and
 * binary (value). 0, -ENOENT when the bank is not there, or an exit status
 * after printing. */
static int read_sysfs_pcr(PcrBank b, char *text, uint8_t *value) {
        _cleanup_free_ char *path = NULL, *buf = NULL;
        size_t n = 0, want = 2 * pcr_bank_digest_size(b);
        int r;

        path = xasprintf(SYSFS_TPM "/pcr-%s/%u", pcr_bank_to_string(b), TPM2_PCR_KERNEL_BOOT);
        r = read_file_full(path, 4096, &buf, &n);
        if (r == -ENOENT)
                return r;
        if (r < 0)
                return log_errno_r(r, "%s: cannot read", path);
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
                buf[--n] = 0;
        for (size_t i = 0; i < n; i++)
                buf[i] = (char) tolower((unsigned char) buf[i]);
        if (n != want || strspn(buf, "0123456789abcdef") != n)
                return log_error_r(-EBADMSG, "%s: not a PCR value", path);
        memcpy(text, buf, n + 1);
        for (size_t i = 0; i < n / 2; i++) {
                unsigned v;
                sscanf(buf + 2 * i, "%2x", &v);
                value[i] = (uint8_t) v;
        }
        return 0;
}

static int verb_status(const MeasureArgs *a) {
        JsonStyle style = effective_style(a, false);
        JsonWriter w;
        bool any = false;

        if (style != JSON_OFF) {
                json_begin(&w, stdout, style);
                json_object_begin(&w);
        }
        for (int b = 0; b < _PCR_BANK_MAX; b++) {
                char text[2 * PCR_DIGEST_MAX + 1];
                uint8_t value[PCR_DIGEST_MAX];
                int r;

                if (!(a->banks & PCR_BANK_BIT(b)))
                        continue;
                r = read_sysfs_pcr((PcrBank) b, text, value);
                if (r == -ENOENT)
                        continue;
                if (r < 0)
                        return EXIT_FAILURE;
                if (style == JSON_OFF) {
                        if (!any) {
                                fflush(stdout);
                                fprintf(stderr, "# PCR[%u] kernel-boot\n", TPM2_PCR_KERNEL_BOOT);
                                fflush(stderr);
                        }
                        printf("%u:%s=%s\n", TPM2_PCR_KERNEL_BOOT, pcr_bank_to_string((PcrBank) b), text);
                } else {
                        json_key(&w, pcr_bank_to_string((PcrBank) b));
                        json_array_begin(&w);
                        json_object_begin(&w);
                        json_kv_uint(&w, "pcr", TPM2_PCR_KERNEL_BOOT);
                        json_kv_string(&w, "hash", text);
                        json_object_end(&w);
                        json_array_end(&w);
                }
                any = true;
        }
        if (!any && style == JSON_OFF) {
                return log_error(SYSFS_TPM ": no PCR banks readable (no TPM, or kernel too old)");
        }
        if (style != JSON_OFF) {
                json_object_end(&w);
                json_end(&w);
        }
        return EXIT_SUCCESS;
}

static const struct {
        const char *name;
        int (*run)(const MeasureArgs *a);
} measure_commands[] = {
        { "calculate", verb_calculate },
        { "sign",      verb_sign },
        { "status",    verb_status },
};

int verb_measure(int argc, char **argv) {
        MeasureArgs a = {};
        const char *cmd;
        int r;

        r = parse_argv(argc, argv, &a);
        if (r >= 0) {
                args_done(&a);
                return r;
        }
        if (optind >= argc) {
                args_done(&a);
                return log_usage("missing command: status, calculate or sign");
        }
        cmd = argv[optind];
        r = -1;
        if (optind + 1 < argc)
                r = log_usage("unexpected argument '%s'", argv[optind + 1]);
        for (size_t i = 0; r < 0 && i < ELEMENTSOF(measure_commands); i++)
                if (streq(cmd, measure_commands[i].name))
                        r = measure_commands[i].run(&a);
        if (r < 0)
                r = log_usage("unknown command '%s' (status, calculate, sign)", cmd);
        args_done(&a);
        return r;
}
