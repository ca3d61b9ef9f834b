/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ukit inspect: what is inside a UKI (or any PE image): sections with size,
 * SHA-256 and text (like `ukify inspect`), machine, subsystem, SBAT entries,
 * os-release PRETTY_NAME, kernel release and the Authenticode signatures
 * (who signed, not whether the signature holds: that is `ukit verify`). */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "authenticode.h"
#include "cli.h"
#include "fileio.h"
#include "json.h"
#include "osrel.h"
#include "pe.h"
#include "sbat.h"
#include "uki.h"
#include "uname.h"
#include "util.h"
#include "verbs.h"

#define INSPECT_TEXT_MAX        (1024u * 1024u)  /* text sections larger than this are not printed */
#define INSPECT_SELECT_MAX      PE_SECTIONS_MAX
#define INSPECT_CHUNK           (1024u * 1024u)

/* ukify's DEFAULT_SECTIONS_TO_SHOW: the UKI sections and how to show them. */
static const struct {
        const char *name;
        bool text;
} default_sections[] = {
        { UKI_NAME_LINUX, false },    { UKI_NAME_INITRD, false },  { UKI_NAME_UCODE, false },
        { UKI_NAME_SPLASH, false },   { UKI_NAME_DTB, false },     { UKI_NAME_DTBAUTO, false },
        { UKI_NAME_HWIDS, false },    { UKI_NAME_EFIFW, false },   { UKI_NAME_SBOM, false },
        { UKI_NAME_CMDLINE, true },   { UKI_NAME_OSREL, true },    { UKI_NAME_UNAME, true },
        { UKI_NAME_PCRPKEY, true },   { UKI_NAME_PCRSIG, true },   { UKI_NAME_SBAT, true },
        { UKI_NAME_PROFILE, true },
};

typedef struct Selection {
        char name[PE_SECTION_NAME_MAX + 1];
        bool text;
        const char *out;                /* NULL: show only; "-": raw bytes to stdout */
        bool found;
} Selection;

typedef struct InspectArgs {
        JsonStyle json;
        bool ukify_shape;               /* --json-shape=ukify */
        bool all;
        Selection sel[INSPECT_SELECT_MAX];
        size_t n_sel;
        const char *file;
} InspectArgs;

typedef struct SectionReport {
        bool shown;
        bool text_mode;
        uint8_t sha256[32];
        char *text;                     /* valid UTF-8, trailing NULs dropped; NULL otherwise */
        size_t text_len;                /* may contain NULs */
        const char *text_problem;       /* why there is no text in text mode */
} SectionReport;

typedef struct SignatureReport {
        uint16_t revision, type;
        uint32_t length;
        AuthenticodeSummary sum;
} SignatureReport;

typedef struct Report {
        const PeImage *img;
        SectionReport *sections;
        char *sbat;                     /* validated .sbat text, or NULL */
        size_t sbat_size;
        char sbat_problem[64];
        char *pretty_name;
        char osrel_problem[64];
        char *uname;
        bool uname_detected;            /* from .linux rather than .uname */
        SignatureReport sigs[AUTHENTICODE_SIGNATURES_MAX];
        size_t n_sigs;
        const char *sig_problem;
} Report;

static void report_done(Report *r) {
        if (r->sections)
                for (size_t i = 0; i < r->img->n_sections; i++)
                        free(r->sections[i].text);
        free(r->sections);
        free(r->sbat);
        free(r->pretty_name);
        free(r->uname);
        for (size_t i = 0; i < r->n_sigs; i++)
                authenticode_summary_done(&r->sigs[i].sum);
}

static void help(FILE *f) {
        fprintf(f,
                "Usage: ukit inspect [OPTIONS...] FILE\n"
                "\n"
                "Show the sections, SBAT entries, os-release, kernel release and signatures\n"
                "of a unified kernel image or any PE image.\n"
                "\n"
                "Options:\n"
                "  -h --help              Show this help\n"
                "     --json=MODE         pretty, short or off (default)\n"
                "  -j                     Same as --json=pretty\n"
                "     --all               Show all sections, not only the UKI ones\n"
                "     --json-shape=ukit|ukify\n"
                "                         ukit: file, sections, SBAT, signatures (default);\n"
                "                         ukify: one object keyed by section name, as\n"
                "                         `ukify inspect --json` 257 prints\n"
                "     --section=NAME:text|binary[@OUT]\n"
                "                         Show only the named sections (repeatable), as text\n"
                "                         or as size+hash; with @OUT also write the content\n"
                "                         to OUT (@- writes it to stdout, with no listing)\n"
                "\n"
                "See ukit-inspect(1).\n");
}

static int parse_selection(const char *arg, Selection *ret) {
        const char *colon = strchr(arg, ':'), *mode, *at;
        size_t nl;

        if (!colon)
                return -EINVAL;
        nl = (size_t) (colon - arg);
        if (nl == 0 || nl > PE_SECTION_NAME_MAX)
                return -EINVAL;
        for (size_t i = 0; i < nl; i++)
                if (!((arg[i] >= 'a' && arg[i] <= 'z') || (arg[i] >= 'A' && arg[i] <= 'Z') ||
                      (arg[i] >= '0' && arg[i] <= '9') || arg[i] == '.' || arg[i] == '_'))
                        return -EINVAL;
        mode = colon + 1;
        at = strchr(mode, '@');
        size_t ml = at ? (size_t) (at - mode) : strlen(mode);
        Selection s = {};
        if (ml == 4 && strncmp(mode, "text", 4) == 0)
                s.text = true;
        else if (!(ml == 6 && strncmp(mode, "binary", 6) == 0))
                return -EINVAL;
        if (at) {
                if (at[1] == '\0')
                        return -EINVAL;
                s.out = at + 1;
        }
        memcpy(s.name, arg, nl);
        s.name[nl] = '\0';
        *ret = s;
        return 0;
}

static int parse_argv(int argc, char **argv, InspectArgs *a) {
        enum { ARG_JSON = 0x100, ARG_ALL, ARG_SECTION, ARG_JSON_SHAPE };
        static const struct option options[] = {
                { "help",    no_argument,       NULL, 'h' },
                { "json",    required_argument, NULL, ARG_JSON },
                { "all",     no_argument,       NULL, ARG_ALL },
                { "section", required_argument, NULL, ARG_SECTION },
                { "json-shape", required_argument, NULL, ARG_JSON_SHAPE },
                {}
        };
        int c;

        optind = 0;
        while ((c = getopt_long(argc, argv, ":hj", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help(stdout);
                        return 0;
                case 'j':
                        a->json = JSON_PRETTY;
                        break;
                case ARG_JSON:
                        if (json_style_from_string(optarg, &a->json) < 0)
                                return log_usage("--json= expects pretty, short or off, not '%s'", optarg);
                        break;
                case ARG_ALL:
                        a->all = true;
                        break;
                case ARG_JSON_SHAPE:
                        if (!streq(optarg, "ukit") && !streq(optarg, "ukify"))
                                return log_usage("--json-shape= expects ukit or ukify, not '%s'", optarg);
                        a->ukify_shape = streq(optarg, "ukify");
                        break;
                case ARG_SECTION:
                        if (a->n_sel >= INSPECT_SELECT_MAX)
                                return log_usage("too many --section= options");
                        if (parse_selection(optarg, &a->sel[a->n_sel]) < 0)
                                return log_usage("--section= expects NAME:text|binary[@OUT] with a name of 1..8 "
                                                 "characters [A-Za-z0-9._], not '%s'", optarg);
                        for (size_t i = 0; i < a->n_sel; i++)
                                if (streq(a->sel[i].name, a->sel[a->n_sel].name))
                                        return log_usage("--section=%s given twice", a->sel[i].name);
                        a->n_sel++;
                        break;
                default:
                        return log_getopt_error(c, argv);
                }

        if (optind + 1 != argc)
                return log_usage("expected exactly one FILE, see 'ukit inspect --help'");
        a->file = argv[optind];

        size_t n_stdout = 0;
        for (size_t i = 0; i < a->n_sel; i++)
                if (a->sel[i].out && streq(a->sel[i].out, "-"))
                        n_stdout++;
        if (n_stdout > 1)
                return log_usage("only one --section= can be written to stdout (@-)");
        if (n_stdout > 0 && a->json != JSON_OFF)
                return log_usage("--json= cannot be combined with writing a section to stdout (@-)");
        return -1;      /* continue */
}

/* Stream the section's bytes as stored in the file (min(VirtualSize,
 * SizeOfRawData), what ukify's pefile get_data() returns) to a hash and/or an
 * output fd, 1 MiB at a time, so a large .initrd needs no large buffer. */
static int stream_section(int fd, const PeSection *s, EVP_MD_CTX *md, int out_fd) {
        _cleanup_free_ uint8_t *buf = NULL;
        uint64_t left = pe_section_file_size(s), off = s->raw_offset;
        int r;

        buf = malloc(INSPECT_CHUNK);
        if (!buf)
                return -ENOMEM;
        while (left > 0) {
                size_t n = (size_t) MIN(left, (uint64_t) INSPECT_CHUNK);
                r = pread_full(fd, buf, n, off);
                if (r < 0)
                        return r;
                if (md && EVP_DigestUpdate(md, buf, n) != 1)
                        return -EIO;
                if (out_fd >= 0) {
                        r = write_full(out_fd, buf, n);
                        if (r < 0)
                                return r;
                }
                off += n;
                left -= n;
        }
        return 0;
}

static int section_sha256(int fd, const PeSection *s, uint8_t ret[32]) {
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        unsigned len = 0;
        int r;

        if (!md)
                return -ENOMEM;
        if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
                EVP_MD_CTX_free(md);
                return -EIO;
        }
        r = stream_section(fd, s, md, -1);
        if (r == 0 && (EVP_DigestFinal_ex(md, ret, &len) != 1 || len != 32))
                r = -EIO;
        EVP_MD_CTX_free(md);
        return r;
}

/* Strict UTF-8 (no overlong forms, no surrogates, <= U+10FFFF) without NUL:
 * only such text goes into the JSON output and the terminal. */
static bool utf8_valid(const char *s, size_t n) {
        const unsigned char *p = (const unsigned char *) s;
        for (size_t i = 0; i < n;) {
                unsigned c = p[i], len;
                uint32_t cp;
                if (c == 0)
                        return false;
                if (c < 0x80) {
                        i++;
                        continue;
                }
                if (c >= 0xc2 && c <= 0xdf)
                        len = 2, cp = c & 0x1f;
                else if (c >= 0xe0 && c <= 0xef)
                        len = 3, cp = c & 0x0f;
                else if (c >= 0xf0 && c <= 0xf4)
                        len = 4, cp = c & 0x07;
                else
                        return false;
                if (n - i < len)
                        return false;
                for (unsigned k = 1; k < len; k++) {
                        if ((p[i + k] & 0xc0) != 0x80)
                                return false;
                        cp = cp << 6 | (p[i + k] & 0x3f);
                }
                if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
                    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
                        return false;
                i += len;
        }
        return true;
}

/* Read a small section's file bytes, NUL-terminated, trailing NULs (padding)
 * dropped from the length. */
static int read_small(int fd, const PeSection *s, size_t max, char **ret, size_t *ret_n) {
        uint32_t n = pe_section_file_size(s);
        char *b;
        int r;

        if (n > max)
                return -EFBIG;
        b = malloc((size_t) n + 1);
        if (!b)
                return -ENOMEM;
        r = pread_full(fd, b, n, s->raw_offset);
        if (r < 0) {
                free(b);
                return r;
        }
        b[n] = '\0';
        while (n > 0 && b[n - 1] == '\0')
                n--;
        *ret = b;
        *ret_n = n;
        return 0;
}

static bool default_shown(const char *name, bool *ret_text) {
        for (size_t i = 0; i < ELEMENTSOF(default_sections); i++)
                if (streq(default_sections[i].name, name)) {
                        *ret_text = default_sections[i].text;
                        return true;
                }
        *ret_text = false;
        return false;
}

static int inspect_sections(int fd, InspectArgs *a, Report *rep) {
        const PeImage *img = rep->img;
        int r;

        rep->sections = calloc(img->n_sections ? img->n_sections : 1, sizeof(SectionReport));
        if (!rep->sections)
                return log_errno(-ENOMEM, "%s", a->file);

        for (size_t i = 0; i < img->n_sections; i++) {
                const PeSection *s = &img->sections[i];
                SectionReport *sr = &rep->sections[i];
                bool text;

                if (a->n_sel > 0) {
                        sr->shown = false;
                        for (size_t k = 0; k < a->n_sel; k++)
                                if (streq(a->sel[k].name, s->name)) {  /* every section of that name, as ukify */
                                        sr->shown = true;
                                        sr->text_mode = a->sel[k].text;
                                        a->sel[k].found = true;
                                        break;
                                }
                        if (!sr->shown && a->all) {
                                sr->shown = true;
                                default_shown(s->name, &sr->text_mode);
                        }
                } else {
                        sr->shown = default_shown(s->name, &text) || a->all;
                        sr->text_mode = text;
                }
                if (!sr->shown)
                        continue;

                r = section_sha256(fd, s, sr->sha256);
                if (r < 0)
                        return log_errno(r, "%s: cannot read section %s", a->file, s->name);

                if (sr->text_mode) {
                        char *t = NULL;
                        size_t n = 0;
                        r = read_small(fd, s, INSPECT_TEXT_MAX, &t, &n);
                        if (r == -EFBIG)
                                sr->text_problem = "(too large to show)";
                        else if (r < 0)
                                return log_errno(r, "%s: cannot read section %s", a->file, s->name);
                        else if (!utf8_valid(t, n)) {
                                sr->text_problem = "(not valid UTF-8)";
                                free(t);
                        } else {
                                sr->text = t;
                                sr->text_len = n;
                        }
                }
        }

        for (size_t k = 0; k < a->n_sel; k++)
                if (!a->sel[k].found) {
                        return log_error("%s: no section %s", a->file, a->sel[k].name);
                }
        return 0;
}

static int extract_sections(int fd, const InspectArgs *a, const PeImage *img) {
        int r;

        for (size_t k = 0; k < a->n_sel; k++) {
                const Selection *sel = &a->sel[k];
                const PeSection *s;

                if (!sel->out)
                        continue;
                s = pe_find_section(img, sel->name);
                if (!s)
                        continue;       /* reported by inspect_sections() */

                if (streq(sel->out, "-")) {
                        r = stream_section(fd, s, NULL, STDOUT_FILENO);
                        if (r < 0)
                                return log_errno(r, "%s: cannot write section %s to stdout", a->file, s->name);
                        continue;
                }

                _cleanup_(atomic_file_abort) AtomicFile out = ATOMIC_FILE_INIT;
                r = atomic_file_open(&out, sel->out);
                if (r < 0)
                        return log_errno(r, "%s: cannot create", sel->out);
                r = stream_section(fd, s, NULL, out.fd);
                if (r < 0)
                        return log_errno(r, "%s: cannot write section %s", sel->out, s->name);
                r = atomic_file_commit(&out, file_mode_from_umask());
                if (r < 0)
                        return log_errno(r, "%s: cannot write", sel->out);
        }
        return 0;
}

static void inspect_sbat(int fd, Report *rep) {
        const PeSection *s = pe_find_section(rep->img, UKI_NAME_SBAT);
        char *t = NULL;
        size_t n = 0;
        unsigned line = 0;
        int r;

        if (!s)
                return;
        r = read_small(fd, s, SBAT_SIZE_MAX, &t, &n);
        if (r < 0) {
                snprintf(rep->sbat_problem, sizeof rep->sbat_problem, "%s",
                         r == -EFBIG ? "too large" : "unreadable");
                return;
        }
        r = sbat_validate(t, n, &line);
        if (r < 0) {
                if (line > 0)
                        snprintf(rep->sbat_problem, sizeof rep->sbat_problem, "invalid (line %u)", line);
                else
                        snprintf(rep->sbat_problem, sizeof rep->sbat_problem, "invalid");
                free(t);
                return;
        }
        rep->sbat = t;
        rep->sbat_size = n;
}

static void inspect_osrel(int fd, Report *rep) {
        const PeSection *s = pe_find_section(rep->img, UKI_NAME_OSREL);
        static char buf[OSREL_LINE_MAX + 1];
        _cleanup_free_ char *t = NULL;
        size_t n = 0;
        unsigned line = 0;
        int l;

        if (!s)
                return;
        if (read_small(fd, s, OSREL_SIZE_MAX, &t, &n) < 0) {
                snprintf(rep->osrel_problem, sizeof rep->osrel_problem, "too large or unreadable");
                return;
        }
        if (osrel_validate(t, n, &line) < 0) {
                snprintf(rep->osrel_problem, sizeof rep->osrel_problem, "invalid (line %u)", line);
                return;
        }
        /* os-release(5): PRETTY_NAME, falling back to NAME. */
        l = osrel_get(t, n, "PRETTY_NAME", buf, sizeof buf);
        if (l < 0)
                l = osrel_get(t, n, "NAME", buf, sizeof buf);
        if (l >= 0 && utf8_valid(buf, (size_t) l))
                rep->pretty_name = strdup(buf);
}

static void inspect_uname(int fd, Report *rep) {
        const PeSection *s = pe_find_section(rep->img, UKI_NAME_UNAME);
        char *t = NULL;
        size_t n = 0;

        if (s) {
                if (read_small(fd, s, UNAME_MAX + 2, &t, &n) == 0) {
                        while (n > 0 && (t[n - 1] == '\n' || t[n - 1] == ' '))
                                t[--n] = '\0';
                        if (uname_valid(t, n)) {
                                rep->uname = t;
                                return;
                        }
                        free(t);
                }
                return;
        }

        /* No .uname: look into the kernel itself, as `ukit build` would. */
        s = pe_find_section(rep->img, UKI_NAME_LINUX);
        if (!s || pe_section_file_size(s) == 0)
                return;
        size_t len = MIN((size_t) pe_section_file_size(s), (size_t) UNAME_SCAN_MAX);
        long pg = sysconf(_SC_PAGESIZE);
        uint64_t start = s->raw_offset - s->raw_offset % (uint64_t) (pg > 0 ? pg : 4096);
        size_t delta = (size_t) (s->raw_offset - start);
        void *m = mmap(NULL, len + delta, PROT_READ, MAP_PRIVATE, fd, (off_t) start);
        if (m == MAP_FAILED)
                return;
        if (uname_from_buffer((const uint8_t *) m + delta, len, &t) == 0) {
                rep->uname = t;
                rep->uname_detected = true;
        }
        munmap(m, len + delta);
}

static void inspect_signatures(int fd, Report *rep) {
        const PeImage *img = rep->img;
        _cleanup_free_ uint8_t *table = NULL;
        AuthenticodeEntry entries[AUTHENTICODE_SIGNATURES_MAX];
        size_t n = 0;
        uint64_t end;
        int r;

        if (!pe_is_signed(img))
                return;
        if (img->cert_table_size > AUTHENTICODE_TABLE_MAX) {
                rep->sig_problem = "certificate table too large";
                return;
        }
        if (!ADD_OK((uint64_t) img->cert_table_offset, (uint64_t) img->cert_table_size, &end) ||
            end > img->file_size) {
                rep->sig_problem = "certificate table beyond the end of the file";
                return;
        }
        table = malloc(img->cert_table_size);
        if (!table || pread_full(fd, table, img->cert_table_size, img->cert_table_offset) < 0) {
                rep->sig_problem = "certificate table unreadable";
                return;
        }
        r = authenticode_table_parse(table, img->cert_table_size, entries, ELEMENTSOF(entries), &n);
        if (r < 0) {
                rep->sig_problem = r == -E2BIG ? "too many certificate table entries" : "malformed certificate table";
                return;
        }
        for (size_t i = 0; i < n; i++) {
                SignatureReport *sr = &rep->sigs[rep->n_sigs++];
                sr->revision = entries[i].revision;
                sr->type = entries[i].type;
                sr->length = entries[i].length;
                authenticode_summarize(&entries[i], &sr->sum);
        }
}

static const char *subsystem_name(uint16_t s) {
        switch (s) {
        case PE_SUBSYSTEM_EFI_APPLICATION:              return "EFI application";
        case PE_SUBSYSTEM_EFI_BOOT_SERVICE_DRIVER:      return "EFI boot service driver";
        case PE_SUBSYSTEM_EFI_RUNTIME_DRIVER:           return "EFI runtime driver";
        case 13:                                        return "EFI ROM";
        default:                                        return NULL;
        }
}

/* Indent every line of text by four spaces (ukify's layout). */
static void print_indented(const char *t) {
        const char *p = t;
        size_t n = strlen(t);
        while (n > 0 && (t[n - 1] == '\n' || t[n - 1] == ' ' || t[n - 1] == '\t' || t[n - 1] == '\r'))
                n--;
        while (p < t + n) {
                const char *nl = memchr(p, '\n', (size_t) (t + n - p));
                size_t l = nl ? (size_t) (nl - p) : (size_t) (t + n - p);
                /* Section text comes from the image: no control characters
                 * reach the terminal (tabs stay). */
                _cleanup_free_ char *e = escape_controls(p, l, ESCAPE_KEEP_NEWLINE);
                printf("    %s\n", e);
                p += l + 1;
        }
}

static void print_text(const InspectArgs *a, const Report *rep) {
        const PeImage *img = rep->img;
        const char *m = pe_machine_name(img->machine), *ss = subsystem_name(img->subsystem);
        char h[65];

        _cleanup_free_ char *file_e = escape_str(a->file), *uname_e = escape_str(rep->uname),
                            *pretty_e = escape_str(rep->pretty_name);

        /* Every string that comes from the image (or a file name) is
         * printed through escape_controls(). */
        printf("File: %s\n", file_e);
        if (m)
                printf("Machine: %s\n", m);
        else
                printf("Machine: 0x%04x\n", img->machine);
        if (ss)
                printf("Subsystem: %s\n", ss);
        else
                printf("Subsystem: %u\n", img->subsystem);
        printf("Sections: %u\n", img->n_sections);
        if (rep->uname)
                printf("Uname: %s%s\n", uname_e, rep->uname_detected ? " (detected from .linux)" : "");
        if (rep->pretty_name)
                printf("OS release: %s\n", pretty_e);
        else if (rep->osrel_problem[0])
                printf("OS release: %s\n", rep->osrel_problem);

        if (rep->sbat) {
                size_t pos = 0;
                SbatEntry e;
                printf("SBAT:\n");
                while (sbat_next(rep->sbat, rep->sbat_size, &pos, &e) > 0) {
                        _cleanup_free_ char *f0 = escape_controls(e.field[0], e.field_len[0], 0),
                                            *f2 = escape_controls(e.field[2], e.field_len[2], 0),
                                            *f3 = escape_controls(e.field[3], e.field_len[3], 0),
                                            *f4 = escape_controls(e.field[4], e.field_len[4], 0);
                        printf("    %s generation %u (%s %s %s)\n", f0, e.generation, f2, f3, f4);
                }
        } else if (rep->sbat_problem[0])
                printf("SBAT: %s\n", rep->sbat_problem);

        if (rep->sig_problem)
                printf("Signed: yes, but %s\n", rep->sig_problem);
        else if (rep->n_sigs == 0)
                printf("Signed: no\n");
        else {
                printf("Signed: yes, %zu signature%s\n", rep->n_sigs, rep->n_sigs == 1 ? "" : "s");
                for (size_t i = 0; i < rep->n_sigs; i++) {
                        const SignatureReport *sr = &rep->sigs[i];
                        printf("    signature %zu: %u bytes, %s%s%s\n", i + 1, sr->length,
                               sr->sum.problem ? sr->sum.problem : "PKCS#7 SignedData",
                               sr->sum.digest ? ", digest " : "", sr->sum.digest ? sr->sum.digest : "");
                        for (size_t j = 0; j < sr->sum.n_signers; j++) {
                                _cleanup_free_ char *subj = escape_str(sr->sum.signers[j].subject),
                                                    *iss = escape_str(sr->sum.signers[j].issuer);
                                if (sr->sum.signers[j].subject)
                                        printf("        subject: %s\n", subj);
                                if (sr->sum.signers[j].issuer)
                                        printf("        issuer:  %s\n", iss);
                        }
                }
        }

        for (size_t i = 0; i < img->n_sections; i++) {
                const SectionReport *sr = &rep->sections[i];
                const PeSection *s = &img->sections[i];
                if (!sr->shown)
                        continue;
                _cleanup_free_ char *name_e = escape_str(s->name);
                hex_encode_to(sr->sha256, sizeof sr->sha256, h);
                printf("%s:\n  size: %u bytes\n  sha256: %s\n", name_e, pe_section_size(s), h);
                if (pe_section_file_size(s) != pe_section_size(s))
                        printf("  in file: %u bytes\n", pe_section_file_size(s));
                if (sr->text_mode) {
                        if (sr->text) {
                                printf("  text:\n");
                                print_indented(sr->text);
                        } else
                                printf("  text: %s\n", sr->text_problem ? sr->text_problem : "");
                }
        }
}

static void json_kv_opt(JsonWriter *w, const char *k, const char *v) {
        json_key(w, k);
        if (v && utf8_valid(v, strlen(v)))
                json_string(w, v);
        else
                json_null(w);
}

/* ukify 257's section text: trailing NULs dropped, inner NULs as "\0". */
static void json_ukify_text(JsonWriter *w, const SectionReport *sr) {
        size_t n = 0, len = 0;

        for (size_t i = 0; i < sr->text_len; i++)
                n += sr->text[i] ? 1 : 2;
        _cleanup_free_ char *t = malloc(n + 1);
        if (!t) {
                json_string(w, "(out of memory)");
                return;
        }
        for (size_t i = 0; i < sr->text_len; i++) {
                if (!sr->text[i])
                        t[len++] = '\\';
                t[len++] = sr->text[i] ? sr->text[i] : '0';
        }
        json_string_n(w, t, len);
}

/* `ukify inspect --json` 257: {NAME: {"size", "sha256"[, "text"]}, ...}, size
 * being the bytes in the file (min(VirtualSize, SizeOfRawData)); a name that
 * repeats keeps its first place and the last section's values (a Python
 * dict); short is json.dump()'s one line with ", " and ": ". */
static void print_json_ukify(const InspectArgs *a, const Report *rep) {
        const PeImage *img = rep->img;
        JsonWriter w;
        char h[65];

        json_begin(&w, stdout, a->json == JSON_SHORT ? JSON_SPACED : a->json);
        json_object_begin(&w);
        for (size_t i = 0; i < img->n_sections; i++) {
                bool earlier = false;
                size_t last = i;
                if (!rep->sections[i].shown)
                        continue;
                for (size_t k = 0; k < img->n_sections; k++)
                        if (rep->sections[k].shown && streq(img->sections[k].name, img->sections[i].name)) {
                                earlier = earlier || k < i;
                                last = k;
                        }
                if (earlier)
                        continue;
                const SectionReport *sr = &rep->sections[last];
                json_key(&w, img->sections[i].name);
                json_object_begin(&w);
                json_kv_uint(&w, "size", pe_section_file_size(&img->sections[last]));
                hex_encode_to(sr->sha256, sizeof sr->sha256, h);
                json_kv_string(&w, "sha256", h);
                if (sr->text_mode) {
                        json_key(&w, "text");
                        if (sr->text)
                                json_ukify_text(&w, sr);
                        else
                                json_string(&w, sr->text_problem ?: "(not valid UTF-8)");
                }
                json_object_end(&w);
        }
        json_object_end(&w);
        json_end(&w);
}

static void print_json(const InspectArgs *a, const Report *rep) {
        const PeImage *img = rep->img;
        JsonWriter w;
        char h[65];

        json_begin(&w, stdout, a->json);
        json_object_begin(&w);
        json_kv_opt(&w, "file", a->file);
        json_kv_opt(&w, "machine", pe_machine_name(img->machine));
        json_kv_uint(&w, "machine_type", img->machine);
        json_kv_opt(&w, "subsystem", subsystem_name(img->subsystem));
        json_kv_uint(&w, "subsystem_type", img->subsystem);

        json_key(&w, "sections");
        json_object_begin(&w);
        for (size_t i = 0; i < img->n_sections; i++) {
                const SectionReport *sr = &rep->sections[i];
                const PeSection *s = &img->sections[i];
                if (!sr->shown)
                        continue;
                /* Names may repeat (several .dtbauto): keep JSON keys unique
                 * with "#N" on the second and later ones. */
                unsigned dup = 1;
                for (size_t k = 0; k < i; k++)
                        if (rep->sections[k].shown && streq(img->sections[k].name, s->name))
                                dup++;
                if (dup > 1) {
                        char key[PE_SECTION_NAME_MAX + 16];
                        snprintf(key, sizeof key, "%s#%u", s->name, dup);
                        json_key(&w, key);
                } else
                        json_key(&w, s->name);
                json_object_begin(&w);
                json_kv_uint(&w, "size", pe_section_size(s));
                json_kv_uint(&w, "file_size", pe_section_file_size(s));
                hex_encode_to(sr->sha256, sizeof sr->sha256, h);
                json_kv_string(&w, "sha256", h);
                if (sr->text_mode)
                        json_kv_opt(&w, "text", sr->text);
                json_object_end(&w);
        }
        json_object_end(&w);

        json_key(&w, "sbat");
        if (rep->sbat) {
                static const char *const keys[SBAT_FIELDS_MAX] = {
                        "component", "generation", "vendor_name", "vendor_package_name", "vendor_version", "vendor_url",
                };
                size_t pos = 0;
                SbatEntry e;
                json_array_begin(&w);
                while (sbat_next(rep->sbat, rep->sbat_size, &pos, &e) > 0) {
                        json_object_begin(&w);
                        for (unsigned f = 0; f < SBAT_FIELDS_MAX; f++) {
                                json_key(&w, keys[f]);
                                if (f == 1)
                                        json_uint(&w, e.generation);
                                else if (utf8_valid(e.field[f], e.field_len[f]))
                                        json_string_n(&w, e.field[f], e.field_len[f]);
                                else
                                        json_null(&w);
                        }
                        json_object_end(&w);
                }
                json_array_end(&w);
        } else
                json_null(&w);
        if (rep->sbat_problem[0])
                json_kv_string(&w, "sbat_problem", rep->sbat_problem);

        json_kv_opt(&w, "os_release_pretty_name", rep->pretty_name);
        if (rep->osrel_problem[0])
                json_kv_string(&w, "os_release_problem", rep->osrel_problem);
        json_kv_opt(&w, "uname", rep->uname);
        if (rep->uname)
                json_kv_string(&w, "uname_source", rep->uname_detected ? UKI_NAME_LINUX : UKI_NAME_UNAME);

        json_kv_bool(&w, "signed", pe_is_signed(img));
        if (rep->sig_problem)
                json_kv_string(&w, "signature_problem", rep->sig_problem);
        json_key(&w, "signatures");
        json_array_begin(&w);
        for (size_t i = 0; i < rep->n_sigs; i++) {
                const SignatureReport *sr = &rep->sigs[i];
                json_object_begin(&w);
                json_kv_uint(&w, "length", sr->length);
                json_kv_uint(&w, "revision", sr->revision);
                json_kv_uint(&w, "type", sr->type);
                json_kv_opt(&w, "digest", sr->sum.digest);
                json_kv_uint(&w, "certificates", sr->sum.n_certs);
                if (sr->sum.problem)
                        json_kv_string(&w, "problem", sr->sum.problem);
                json_key(&w, "signers");
                json_array_begin(&w);
                for (size_t j = 0; j < sr->sum.n_signers; j++) {
                        json_object_begin(&w);
                        json_kv_opt(&w, "subject", sr->sum.signers[j].subject);
                        json_kv_opt(&w, "issuer", sr->sum.signers[j].issuer);
                        json_object_end(&w);
                }
                json_array_end(&w);
                json_object_end(&w);
        }
        json_array_end(&w);
        json_object_end(&w);
        json_end(&w);
}

int verb_inspect(int argc, char **argv) {
        UkitError err = UKIT_ERROR_INIT;
        _cleanup_pe_image_ PeImage *img = NULL;
        _cleanup_close_ int fd = -1;
        InspectArgs a = { .json = JSON_OFF };
        _cleanup_(report_done) Report rep = {};
        bool to_stdout = false;
        int r;

        r = parse_argv(argc, argv, &a);
        if (r >= 0)
                return r;

        fd = open_input(a.file, 0, 0, NULL);
        if (fd < 0)
                return log_errno(fd, "%s", a.file);
        r = pe_parse_fd(fd, &img, &err);
        if (r == -EBADMSG || r == -EOPNOTSUPP || r == -EFBIG) {
                return log_fail(&err, r, "%s: not a usable PE image", a.file);
        }
        if (r < 0)
                return log_errno(r, "%s", a.file);

        rep.img = img;
        r = inspect_sections(fd, &a, &rep);
        if (r != 0)
                return r;
        inspect_sbat(fd, &rep);
        inspect_osrel(fd, &rep);
        inspect_uname(fd, &rep);
        inspect_signatures(fd, &rep);

        r = extract_sections(fd, &a, img);
        if (r != 0)
                return r;

        for (size_t k = 0; k < a.n_sel; k++)
                if (a.sel[k].out && streq(a.sel[k].out, "-"))
                        to_stdout = true;
        if (!to_stdout) {
                if (a.json != JSON_OFF && a.ukify_shape)
                        print_json_ukify(&a, &rep);
                else if (a.json != JSON_OFF)
                        print_json(&a, &rep);
                else
                        print_text(&a, &rep);
        }
        if (fflush(stdout) != 0 || ferror(stdout))
                return log_errno(-EIO, "cannot write to stdout");
        return EXIT_SUCCESS;
}
