/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ukit build: a drop-in for `ukify build`. Collects the inputs as section
 * sources (fd ranges or small memory buffers) and fills a UkiBuildSpec; the
 * signing and PCR options fill its sign and pcr parts (build-sign.c,
 * build-pcr.c). uki_build() (lib/uki/uki-build.h) does the rest: layout,
 * one streaming pass through an AtomicFile, signing and measuring. */

#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "bmp.h"
#include "build-compat.h"
#include "build-config.h"
#include "config-load.h"
#include "build-hwids.h"
#include "build.h"
#include "build-pcr.h"
#include "build-profile.h"
#include "build-sign.h"
#include "cli.h"
#include "config.h"
#include "fileio.h"
#include "keys.h"
#include "osrel.h"
#include "pe-write.h"
#include "pe.h"
#include "uki-build.h"
#include "sbat.h"
#include "stub-path.h"
#include "uname.h"
#include "util.h"
#include "verbs.h"

#define TEXT_ARG_MAX    (16u * 1024u * 1024u)   /* --cmdline/--os-release/--sbat/--section text */

static const char default_sbat[] =
        "sbat,1,SBAT Version,sbat,1,https://github.com/rhboot/shim/blob/main/SBAT.md\n"
        "uki,1,UKI,uki,1,https://uapi-group.org/specifications/specs/unified_kernel_image/\n";
/* As ukify for add-ons (no --linux): a generic add-on entry. */
static const char default_addon_sbat[] =
        "sbat,1,SBAT Version,sbat,1,https://github.com/rhboot/shim/blob/main/SBAT.md\n"
        "uki-addon,1,UKI Addon,addon,1,https://www.freedesktop.org/software/systemd/man/latest/systemd-stub.html\n";
static const char sbat_header[] = "sbat,1,SBAT Version,sbat,1,https://github.com/rhboot/shim/blob/main/SBAT.md\n";

static void help(void) {
        printf("Usage: ukit build [OPTIONS...]\n"
               "\n"
               "Build a Unified Kernel Image from a stub, a kernel and resources.\n"
               "Options and semantics follow `ukify build`.\n"
               "\n"
               "  --linux=PATH            kernel image [.linux]\n"
               "  --initrd=PATH           initrd, repeatable; concatenated [.initrd]\n"
               "  --cmdline=TEXT|@PATH    kernel command line [.cmdline]\n"
               "  --os-release=TEXT|@PATH os-release [.osrel] (default /etc/os-release,\n"
               "                          then /usr/lib/os-release)\n"
               "  --uname=VERSION         kernel release [.uname] (default: from the kernel)\n"
               "  --devicetree=PATH       device tree [.dtb]\n"
               "  --devicetree-auto=PATH  device tree for automatic selection, repeatable\n"
               "                          [.dtbauto]\n"
               "  --hwids=DIR             directory of HWID JSON files [.hwids]\n"
               "  --splash=PATH           BMP splash image [.splash]\n"
               "  --microcode=PATH        microcode initrd [.ucode]\n"
               "  --pcrpkey=PATH          public key for PCR policies [.pcrpkey]\n"
               "  --sbat=TEXT|@PATH       SBAT entries, repeatable; merged with the\n"
               "                          stub's and kernel's [.sbat]\n"
               "  --section=NAME:TEXT|@PATH  additional section, repeatable\n"
               "  --stub=PATH             stub (default %s)\n"
               "  -o --output=PATH        output (default: basename of --linux + .unsigned.efi)\n"
               "  -c --config=PATH        ukify configuration file ([UKI] section)\n"
               "  -q --quiet              do not print \"Wrote FILE\"\n"
               "  --efi-arch=ARCH         check that the stub is for ARCH (x64, ia32, aa64, ...)\n"
               "  --signtool=sbsign|systemd-sbsign  accepted; ukit signs in-house\n"
               "  --signing-provider=NAME, --certificate-provider=NAME\n"
               "                          load an OpenSSL 3 provider for key/certificate URIs\n"
               "  --signing-engine=NAME   refused (OpenSSL engines are not supported)\n"
               BUILD_PROFILE_HELP
               BUILD_PCR_HELP
               BUILD_SIGN_HELP
               BUILD_COMPAT_HELP
               "  -h --help               show this help\n"
               "\n"
               "Without --linux an add-on is built (sections only, for\n"
               "<uki>.efi.extra.d/ or /loader/addons/); its default stub is\n"
               "%s.\n"
               "\n"
               "See ukit-build(1).\n",
               stub_default_path(false), stub_default_path(true));
}

/* ---- context ------------------------------------------------------------------ */

void build_context_done(BuildContext *c) {
        for (size_t i = 0; i < c->n_sections; i++)
                free(c->sections[i].sources_buf);
        free(c->sections);
        for (size_t i = 0; i < c->n_fds; i++)
                if (c->fds[i] >= 0)
                        close(c->fds[i]);
        free(c->fds);
        for (size_t i = 0; i < c->n_bufs; i++)
                free(c->bufs[i]);
        free(c->bufs);
        pe_image_free(c->stub);
        pe_image_free(c->kernel);
        free(c->initrds);
        free(c->devicetree_autos);
        free(c->sbats);
        free(c->extra_sections);
        free(c->output_buf);
        free(c->config_strings_buf);
        for (size_t i = 0; i < c->n_config_strings; i++)
                free(c->config_strings[i]);
        free(c->config_strings);
        build_pcr_done(c);
        build_sign_done(c);
        build_profile_done(c);
        build_compat_done(c);
}

static void *grow(void *p, size_t *n, size_t elem) {
        void *q = reallocarray(p, *n + 1, elem);
        if (!q) {
                fputs("ukit: out of memory\n", stderr);
                abort();
        }
        memset((uint8_t *) q + *n * elem, 0, elem);
        (*n)++;
        return q;
}

static char *keep_buf(BuildContext *c, char *buf) {
        c->bufs = grow(c->bufs, &c->n_bufs, sizeof(char *));
        c->bufs[c->n_bufs - 1] = buf;
        return buf;
}

static void push_str(const char ***v, size_t *n, const char *s) {
        *v = grow(*v, n, sizeof(char *));
        (*v)[*n - 1] = s;
}

/* Open an input file; the fd is owned by the context. The layout needs
 * every size before the first byte is written, so pipes and character
 * devices cannot be streamed: open_input() refuses them (and does not block
 * on a FIFO). */
static int build_open_input(BuildContext *c, const char *what, const char *path, int *ret_fd, uint64_t *ret_size) {
        int fd = open_input(path, OPEN_INPUT_ALLOW_BLOCK, 0, ret_size);
        if (fd == -EISDIR) {
                return log_error("%s: is a directory, expected a file (%s)", path, what);
        }
        if (fd == -EBADFD) {
                return log_error("%s: not a regular file (%s)", path, what);
        }
        if (fd < 0)
                return log_errno(fd, "%s: cannot open %s", path, what);
        c->fds = grow(c->fds, &c->n_fds, sizeof(int));
        c->fds[c->n_fds - 1] = fd;
        if (*ret_size > UINT32_MAX) {
                return log_error("%s: too large for a PE section (%" PRIu64 " bytes, at most 4 GiB)", path, *ret_size);
        }
        *ret_fd = fd;
        return 0;
}

static BuildSection *add_section(BuildContext *c, const char *name, uint32_t flags) {
        c->sections = grow(c->sections, &c->n_sections, sizeof(BuildSection));
        BuildSection *s = &c->sections[c->n_sections - 1];
        snprintf(s->name, sizeof(s->name), "%s", name);
        s->flags = flags;
        return s;
}

static void section_add_source(BuildSection *s, int fd, const void *data, uint64_t size) {
        build_section_add_range(s, fd, data, 0, size);
}

BuildSection *build_add_section(BuildContext *c, const char *name, uint32_t flags) {
        return add_section(c, name, flags);
}

void build_section_add_range(BuildSection *s, int fd, const void *data, uint64_t offset, uint64_t size) {
        s->sources_buf = grow(s->sources_buf, &s->n_sources, sizeof(PeSource));
        s->sources_buf[s->n_sources - 1] = (PeSource) { .fd = fd, .data = data, .offset = offset, .size = size };
        s->size += size;
}

static int add_file_section(BuildContext *c, const char *name, const char *what, const char *path,
                            BuildSection **ret) {
        int fd, r;
        uint64_t size;
        r = build_open_input(c, what, path, &fd, &size);
        if (r != 0)
                return r;
        BuildSection *s = add_section(c, name, PE_SECTION_FLAGS_DATA);
        s->path = path;
        section_add_source(s, fd, NULL, size);
        if (ret)
                *ret = s;
        return 0;
}

static void add_text_section(BuildContext *c, const char *name, const char *text, size_t n) {
        BuildSection *s = add_section(c, name, PE_SECTION_FLAGS_DATA);
        section_add_source(s, -1, text, n);
}

/* TEXT|@PATH into memory (small things only), with a good error. */
static int read_text_arg(BuildContext *c, const char *opt, const char *arg, size_t max, char **ret, size_t *ret_size) {
        char *buf;
        size_t n;
        int r = read_text_or_file(arg, max, &buf, &n);
        if (r == -EFBIG) {
                return log_error("%s: %s too large (at most %zu bytes)", arg[0] == '@' ? arg + 1 : opt, opt, max);
        }
        if (r < 0)
                return log_errno(r, "%s: cannot read %s", arg[0] == '@' ? arg + 1 : opt, opt);
        *ret = keep_buf(c, buf);
        *ret_size = n;
        return 0;
}

/* ---- options ------------------------------------------------------------------ */

enum {
        ARG_LINUX = 0x100,
        ARG_INITRD,
        ARG_CMDLINE,
        ARG_OS_RELEASE,
        ARG_UNAME,
        ARG_DEVICETREE,
        ARG_SPLASH,
        ARG_MICROCODE,
        ARG_DEVICETREE_AUTO,
        ARG_HWIDS,
        ARG_PCRPKEY,
        ARG_SBAT,
        ARG_SECTION,
        ARG_STUB,
        ARG_EFI_ARCH,
        ARG_SIGNTOOL,
        ARG_SIGNING_ENGINE,
        ARG_SIGNING_PROVIDER,
        ARG_CERTIFICATE_PROVIDER,
};

static const struct option build_options[] = {
        { "help",       no_argument,       NULL, 'h' },
        { "linux",      required_argument, NULL, ARG_LINUX },
        { "initrd",     required_argument, NULL, ARG_INITRD },
        { "cmdline",    required_argument, NULL, ARG_CMDLINE },
        { "os-release", required_argument, NULL, ARG_OS_RELEASE },
        { "uname",      required_argument, NULL, ARG_UNAME },
        { "devicetree", required_argument, NULL, ARG_DEVICETREE },
        { "splash",     required_argument, NULL, ARG_SPLASH },
        { "microcode",  required_argument, NULL, ARG_MICROCODE },
        { "devicetree-auto", required_argument, NULL, ARG_DEVICETREE_AUTO },
        { "hwids",      required_argument, NULL, ARG_HWIDS },
        { "pcrpkey",    required_argument, NULL, ARG_PCRPKEY },
        { "sbat",       required_argument, NULL, ARG_SBAT },
        { "section",    required_argument, NULL, ARG_SECTION },
        { "stub",       required_argument, NULL, ARG_STUB },
        { "output",     required_argument, NULL, 'o' },
        { "config",     required_argument, NULL, 'c' },
        { "quiet",      no_argument,       NULL, 'q' },
        { "efi-arch",   required_argument, NULL, ARG_EFI_ARCH },
        { "signtool",   required_argument, NULL, ARG_SIGNTOOL },
        { "signing-engine",       required_argument, NULL, ARG_SIGNING_ENGINE },
        { "signing-provider",     required_argument, NULL, ARG_SIGNING_PROVIDER },
        { "certificate-provider", required_argument, NULL, ARG_CERTIFICATE_PROVIDER },
        BUILD_PCR_OPTIONS,
        BUILD_PROFILE_OPTIONS,
        BUILD_SIGN_OPTIONS,
        BUILD_COMPAT_OPTIONS,
        {}
};

/* ukify's UEFI architecture names and the PE machine each stands for (0: a
 * name ukify knows, for machines ukit has no stub for). */
static const struct {
        const char *name;
        uint16_t machine;
} efi_archs[] = {
        { "x64",         PE_MACHINE_AMD64 },
        { "ia32",        PE_MACHINE_I386 },
        { "aa64",        PE_MACHINE_ARM64 },
        { "riscv64",     PE_MACHINE_RISCV64 },
        { "arm",         0 },
        { "riscv32",     0 },
        { "loongarch32", 0 },
        { "loongarch64", 0 },
};

/* ukify's options for tools that pass them (mkosi 25 passes --efi-arch and
 * --signtool always, the providers for keys in tokens). */
static int ukify_option(BuildContext *c, int opt, const char *arg) {
        int r;

        switch (opt) {
        case ARG_EFI_ARCH:
                for (size_t i = 0; i < ELEMENTSOF(efi_archs); i++)
                        if (streq(arg, efi_archs[i].name)) {
                                c->efi_arch = arg;
                                return 0;
                        }
                return log_usage("--efi-arch=%s: unknown architecture (ukify's names: x64, ia32, aa64, arm, "
                                 "riscv32, riscv64, loongarch32, loongarch64)", arg);
        case ARG_SIGNTOOL:
                /* ukit signs in-house; sbsign and systemd-sbsign take the
                 * same key and certificate options, so their result is the
                 * same image (outside the PKCS#7 encoding). */
                if (streq(arg, "sbsign") || streq(arg, "systemd-sbsign"))
                        return 0;
                if (streq(arg, "pesign"))
                        return log_usage("--signtool=pesign: not supported (ukit signs in-house with "
                                         "--secureboot-private-key= and --secureboot-certificate=, files or "
                                         "provider URIs; pesign's NSS database is not read)");
                return log_usage("--signtool=%s: unknown signing tool (sbsign, systemd-sbsign, pesign)", arg);
        case ARG_SIGNING_ENGINE:
                return log_usage("--signing-engine=%s: OpenSSL engines are not supported; use "
                                 "--signing-provider= with a provider URI as the key", arg);
        case ARG_SIGNING_PROVIDER:
        case ARG_CERTIFICATE_PROVIDER: {
                /* mkosi passes "provider:NAME" for the PCR certificate */
                const char *name = startswith(arg, "provider:") ?: arg;
                r = keys_load_provider(name);
                if (r < 0) {
                        return log_error("%s=%s: cannot load OpenSSL provider \"%s\"",
                                         opt == ARG_SIGNING_PROVIDER ? "--signing-provider" : "--certificate-provider",
                                         arg, name);
                }
                return 0;
        }
        default:
                return log_usage("internal error: unknown option");
        }
}

/* --efi-arch must name the stub's architecture (ukify picks the stub from it;
 * ukit takes the stub's). */
static int check_efi_arch(BuildContext *c) {
        if (!c->efi_arch)
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(efi_archs); i++)
                if (streq(c->efi_arch, efi_archs[i].name) && efi_archs[i].machine == c->stub->machine)
                        return 0;
        return log_error("%s: stub is for %s, but --efi-arch=%s", c->stub_path,
                         pe_machine_name(c->stub->machine) ?: "an unknown machine", c->efi_arch);
}

static int build_parse_argv(BuildContext *c, int argc, char **argv) {
        int opt;

        optind = 0;
        opterr = 0; /* report in our own format */
        while ((opt = getopt_long(argc, argv, ":ho:c:qj", build_options, NULL)) >= 0)
                switch (opt) {
                case 'h':
                        help();
                        return -1;
                case 'q':
                        arg_quiet = true;
                        break;
                case ARG_LINUX:      c->linux_path = optarg; break;
                case ARG_INITRD:     push_str(&c->initrds, &c->n_initrds, optarg); break;
                case ARG_CMDLINE:    c->cmdline = optarg; break;
                case ARG_OS_RELEASE: c->os_release = optarg; break;
                case ARG_UNAME:      c->uname = optarg; break;
                case ARG_DEVICETREE: c->devicetree = optarg; break;
                case ARG_SPLASH:     c->splash = optarg; break;
                case ARG_MICROCODE:  c->microcode = optarg; break;
                case ARG_DEVICETREE_AUTO: push_str(&c->devicetree_autos, &c->n_devicetree_autos, optarg); break;
                case ARG_HWIDS:      c->hwids = optarg; break;
                case ARG_PCRPKEY:    c->pcrpkey = optarg; break;
                case ARG_SBAT:       push_str(&c->sbats, &c->n_sbats, optarg); break;
                case ARG_SECTION:    push_str(&c->extra_sections, &c->n_extra_sections, optarg); break;
                case ARG_STUB:       c->stub_path = optarg; break;
                case 'o':            c->output = optarg; break;
                case 'c':            c->config = optarg; break;
                case ARG_EFI_ARCH ... ARG_CERTIFICATE_PROVIDER: {
                        int r = ukify_option(c, opt, optarg);
                        if (r != 0)
                                return r;
                        break;
                }
                case ARG_PCR_PRIVATE_KEY ... ARG_PCR_BANKS: {
                        int r = build_pcr_option(c, opt, optarg);
                        if (r != 0)
                                return r;
                        break;
                }
                case ARG_PROFILE ... ARG_SIGN_PROFILE: {
                        int r = build_profile_option(c, opt, optarg);
                        if (r != 0)
                                return r;
                        break;
                }
                case 'j':
                case ARG_COMPAT_SUMMARY ... ARG_COMPAT_SB_CERT_VALIDITY: {
                        int r = build_compat_option(c, opt == 'j' ? ARG_COMPAT_JSON_PRETTY : opt, optarg);
                        if (r != 0)
                                return r;
                        break;
                }
                case ARG_SB_PRIVATE_KEY ... ARG_SB_PASSPHRASE_FILE: {
                        int r = build_sign_option(c, opt, optarg);
                        if (r != 0)
                                return r;
                        break;
                }
                case ':':
                case '?':
                        return log_getopt_error(opt, argv);
                default:
                        return EXIT_USAGE;
                }
        if (optind < argc) {
                log_usage("unexpected argument '%s' (ukit build takes options only)", argv[optind]);
                return EXIT_USAGE;
        }
        return 0;
}

/* ---- config file (ukify's [UKI] keys; command line wins) ------------------- */

static const char *config_keep(BuildContext *c, const char *s) {
        char *d = xstrdup(s);
        c->config_strings = grow(c->config_strings, &c->n_config_strings, sizeof(char *));
        c->config_strings[c->n_config_strings - 1] = d;
        return d;
}

typedef struct ConfigState {
        BuildContext *c;
        const char *path;
        const char **initrds;   /* from the file; put before the command line's */
        size_t n_initrds;
        const char **dtbautos;  /* DeviceTreeAuto=, the same way */
        size_t n_dtbautos;
        bool sbat_from_cmdline;
} ConfigState;

/* Keys of the PCR and signing options: 1 if handled, 0 if not, <0 to
 * refuse the file with c->config_error. */
static int extension_config(BuildContext *c, const char *section, const char *key, const char *value) {
        int r = build_pcr_config(c, section, key, value);
        if (r != 0)
                return r;
        r = build_profile_config(c, section, key, value);
        if (r != 0)
                return r;
        r = build_compat_config(c, section, key, value);
        if (r != 0)
                return r;
        return build_sign_config(c, section, key, value);
}

static int config_item(void *userdata, const char *section, const char *key, const char *value, unsigned line) {
        ConfigState *st = userdata;
        BuildContext *c = st->c;
        static const struct {
                const char *key;
                size_t offset;
        } simple[] = {
                { "Linux",      offsetof(BuildContext, linux_path) },
                { "Cmdline",    offsetof(BuildContext, cmdline) },
                { "OSRelease",  offsetof(BuildContext, os_release) },
                { "Uname",      offsetof(BuildContext, uname) },
                { "DeviceTree", offsetof(BuildContext, devicetree) },
                { "Splash",     offsetof(BuildContext, splash) },
                { "Microcode",  offsetof(BuildContext, microcode) },
                { "PCRPKey",    offsetof(BuildContext, pcrpkey) },
                { "Stub",       offsetof(BuildContext, stub_path) },
                { "HWIDs",      offsetof(BuildContext, hwids) },
        };
        int r;

        if (!streq(section, "UKI")) {
                r = extension_config(c, section, key, value);
                if (r != 0)
                        return MIN(r, 0);
                log_warning("%s:%u: unknown config setting [%s] %s=", st->path, line, section, key);
                return 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(simple); i++)
                if (streq(key, simple[i].key)) {
                        const char **p = (const char **) ((uint8_t *) c + simple[i].offset);
                        if (!*p)
                                *p = config_keep(c, value);
                        return 0;
                }
        if (streq(key, "Initrd") || streq(key, "DeviceTreeAuto")) {
                /* space separated; several Initrd= lines accumulate, but
                 * of DeviceTreeAuto= the last line counts (ukify 257) */
                bool initrd = streq(key, "Initrd");
                if (!initrd)
                        st->n_dtbautos = 0;
                _cleanup_free_ char *copy = xstrdup(value);
                char *save = NULL;
                for (char *w = strtok_r(copy, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save))
                        push_str(initrd ? &st->initrds : &st->dtbautos, initrd ? &st->n_initrds : &st->n_dtbautos,
                                 config_keep(c, w));
                return 0;
        }
        if (streq(key, "SBAT")) {
                if (!st->sbat_from_cmdline)
                        push_str(&c->sbats, &c->n_sbats, config_keep(c, value));
                return 0;
        }
        if (streq(key, "EFIArch")) {
                if (!c->efi_arch)
                        c->efi_arch = config_keep(c, value);
                return 0;
        }
        r = extension_config(c, section, key, value);
        if (r != 0)
                return MIN(r, 0);
        log_warning("%s:%u: unknown config setting [UKI] %s=", st->path, line, key);
        return 0;
}

static int apply_config(BuildContext *c) {
        const char *path = c->config ? c->config : build_config_default_path();
        ConfigState st = { .c = c, .path = path, .sbat_from_cmdline = c->n_sbats > 0 };
        int r;

        r = config_load(path, config_item, &st, &c->config_error);
        if (r != 0) {
                free(st.initrds);
                free(st.dtbautos);
                return r;
        }
        if (st.n_initrds > 0) {
                for (size_t i = 0; i < c->n_initrds; i++)
                        push_str(&st.initrds, &st.n_initrds, c->initrds[i]);
                free(c->initrds);
                c->initrds = st.initrds;
                c->n_initrds = st.n_initrds;
        }
        if (st.n_dtbautos > 0) {
                for (size_t i = 0; i < c->n_devicetree_autos; i++)
                        push_str(&st.dtbautos, &st.n_dtbautos, c->devicetree_autos[i]);
                free(c->devicetree_autos);
                c->devicetree_autos = st.dtbautos;
                c->n_devicetree_autos = st.n_dtbautos;
        }
        return 0;
}

/* ---- inputs -> sections ------------------------------------------------------- */

static int add_osrel(BuildContext *c) {
        const char *arg = c->os_release;
        char *text;
        size_t n;
        unsigned line = 0;
        int r;

        if (!arg) {
                if (!c->linux_path)
                        return 0;
                arg = access("/etc/os-release", F_OK) == 0 ? "@/etc/os-release" : "@/usr/lib/os-release";
        }
        r = read_text_arg(c, "--os-release", arg, OSREL_SIZE_MAX, &text, &n);
        if (r != 0)
                return r;
        if (osrel_validate(text, n, &line) < 0) {
                return log_error("%s: invalid os-release syntax at line %u", arg[0] == '@' ? arg + 1 : "--os-release", line);
        }
        if (n > 0)
                add_text_section(c, ".osrel", text, n);
        return 0;
}

static int add_cmdline(BuildContext *c) {
        char *text;
        size_t n;
        int r;

        if (!c->cmdline)
                return 0;
        r = read_text_arg(c, "--cmdline", c->cmdline, TEXT_ARG_MAX, &text, &n);
        if (r != 0)
                return r;
        if (c->cmdline[0] != '@') {
                /* As ukify: a command line given as text has its whitespace
                 * normalised (single spaces, none at the ends); a file is
                 * taken verbatim. */
                size_t j = 0;
                bool space = false;
                for (size_t i = 0; i < n; i++) {
                        if (strchr(" \t\n\r\f\v", text[i])) {
                                space = j > 0;
                                continue;
                        }
                        if (space)
                                text[j++] = ' ';
                        space = false;
                        text[j++] = text[i];
                }
                n = j;
                text[n] = 0;
        }
        if (n > 0)
                add_text_section(c, ".cmdline", text, n);
        return 0;
}

static int add_splash(BuildContext *c) {
        BuildSection *s;
        BmpInfo info;
        int r;

        if (!c->splash)
                return 0;
        r = add_file_section(c, ".splash", "splash image", c->splash, &s);
        if (r != 0)
                return r;
        /* Validate without reading the image into memory. */
        if (s->size == 0) {
                return log_error("%s: not a BMP image: file is empty", c->splash);
        }
        void *p = mmap(NULL, (size_t) s->size, PROT_READ, MAP_PRIVATE, s->sources_buf[0].fd, 0);
        if (p == MAP_FAILED)
                return log_errno(-errno, "%s: cannot map splash image", c->splash);
        r = bmp_parse(p, (size_t) s->size, &info);
        munmap(p, (size_t) s->size);
        if (r < 0) {
                return log_error("%s: not a valid BMP image: %s", c->splash, bmp_error_string(r));
        }
        return 0;
}

static int add_initrds(BuildContext *c) {
        static const uint8_t pad[4] = {};
        BuildSection *s = NULL;

        if (c->n_initrds == 0)
                return 0;
        s = add_section(c, ".initrd", PE_SECTION_FLAGS_DATA);
        s->path = c->initrds[0];
        for (size_t i = 0; i < c->n_initrds; i++) {
                int fd, r;
                uint64_t size;
                r = build_open_input(c, "initrd", c->initrds[i], &fd, &size);
                if (r != 0)
                        return r;
                section_add_source(s, fd, NULL, size);
                /* As ukify: with several initrds, each is padded to 4 bytes so
                 * the next cpio archive starts aligned. */
                if (c->n_initrds > 1 && size % 4 != 0)
                        section_add_source(s, -1, pad, 4 - size % 4);
        }
        if (s->size > UINT32_MAX) {
                return log_error("%s: initrds together too large for a PE section (%" PRIu64 " bytes, at most 4 GiB)",
                                 c->initrds[0], s->size);
        }
        return 0;
}

static int add_extra_sections(BuildContext *c) {
        for (size_t i = 0; i < c->n_extra_sections; i++) {
                const char *spec = c->extra_sections[i], *colon = strchr(spec, ':');
                char name[PE_SECTION_NAME_MAX + 1];
                int r;

                if (!colon || colon == spec) {
                        log_usage("--section=%s: expected NAME:TEXT or NAME:@PATH", spec);
                        return EXIT_USAGE;
                }
                if ((size_t) (colon - spec) > PE_SECTION_NAME_MAX) {
                        return log_error("--section=%s: section name \"%.*s\" longer than %u characters", spec,
                                         (int) (colon - spec), spec, PE_SECTION_NAME_MAX);
                }
                memcpy(name, spec, (size_t) (colon - spec));
                name[colon - spec] = 0;
                for (const char *p = name; *p; p++)
                        if ((unsigned char) *p <= 0x20 || (unsigned char) *p >= 0x7f) {
                                return log_error("--section=%s: invalid section name", spec);
                        }
                for (size_t j = 0; j < c->n_sections; j++)
                        if (streq(c->sections[j].name, name)) {
                                return log_error("--section=%s: duplicate section %s", spec, name);
                        }
                if (streq(name, ".linux") || streq(name, ".sbat")) {
                        return log_error("--section=%s: section %s is generated by ukit build (use --%s)", spec, name,
                                         streq(name, ".sbat") ? "sbat" : "linux");
                }
                if (colon[1] == '@') {
                        r = add_file_section(c, name, "section content", colon + 2, NULL);
                        if (r != 0)
                                return r;
                } else
                        add_text_section(c, name, colon + 1, strlen(colon + 1));
        }
        return 0;
}

/* The .sbat of a PE file, if it has a valid one. */
static int pe_sbat(BuildContext *c, int fd, const PeImage *img, const char *path, const char **ret, size_t *ret_n) {
        const PeSection *s = img ? pe_find_section(img, ".sbat") : NULL;
        void *buf;
        size_t n;
        unsigned line = 0;
        int r;

        *ret = NULL;
        *ret_n = 0;
        if (!s)
                return 0;
        r = pe_read_section(fd, img, s, SBAT_SIZE_MAX, &buf, &n);
        if (r < 0)
                return log_errno(r, "%s: cannot read .sbat section", path);
        keep_buf(c, buf);
        /* Trailing NULs are section padding. */
        while (n > 0 && ((char *) buf)[n - 1] == 0)
                n--;
        if (sbat_validate(buf, n, &line) < 0) {
                log_warning("%s: ignoring invalid .sbat section (line %u)", path, line);
                return 0;
        }
        *ret = buf;
        *ret_n = n;
        return 0;
}

static int add_sbat(BuildContext *c) {
        const char *texts[2 + 64];
        size_t sizes[2 + 64], n = 0;
        char *merged;
        int r;

        r = pe_sbat(c, c->stub_fd, c->stub, c->stub_path, &texts[n], &sizes[n]);
        if (r != 0)
                return r;
        if (texts[n])
                n++;
        if (c->kernel) {
                r = pe_sbat(c, c->linux_fd, c->kernel, c->linux_path, &texts[n], &sizes[n]);
                if (r != 0)
                        return r;
                if (texts[n])
                        n++;
        }
        if (c->n_sbats > 64) {
                log_usage("too many --sbat options (at most 64)");
                return EXIT_USAGE;
        }
        if (c->n_sbats == 0) {
                /* As current ukify: a UKI without --sbat gets the generic "uki" entry. */
                texts[n] = c->linux_path ? default_sbat : default_addon_sbat;
                sizes[n] = strlen(texts[n]);
                n++;
        }
        for (size_t i = 0; i < c->n_sbats; i++) {
                const char *arg = c->sbats[i];
                char *text;
                size_t len;
                unsigned line = 0;

                r = read_text_arg(c, "--sbat", arg, SBAT_SIZE_MAX, &text, &len);
                if (r != 0)
                        return r;
                if (!startswith(text, "sbat,")) {
                        /* Entries without the format header: add it, rather than
                         * dropping the user's lines as ukify does. */
                        char *t = xasprintf("%s%s", sbat_header, text);
                        keep_buf(c, t);
                        text = t;
                        len = strlen(t);
                }
                if (sbat_validate(text, len, &line) < 0) {
                        return log_error("%s: invalid SBAT data at line %u", arg[0] == '@' ? arg + 1 : "--sbat", line);
                }
                texts[n] = text;
                sizes[n++] = len;
        }
        r = sbat_merge(texts, sizes, n, &merged);
        if (r < 0)
                return log_errno(r, "%s: cannot merge SBAT data", c->stub_path);
        keep_buf(c, merged);
        /* ukify terminates the section with a NUL; keep that. */
        add_text_section(c, ".sbat", merged, strlen(merged) + 1);
        return 0;
}

static int open_stub(BuildContext *c) {
        UkitError err = UKIT_ERROR_INIT;
        int r;
        uint64_t size;

        r = build_open_input(c, "stub", c->stub_path, &c->stub_fd, &size);
        if (r != 0)
                return r;
        r = pe_parse_fd(c->stub_fd, &c->stub, &err);
        if (r == -EBADMSG || r == -EOPNOTSUPP || r == -EFBIG) {
                return log_error("%s: invalid stub: %s", c->stub_path, ukit_error_reason(&err, r));
        }
        if (r < 0)
                return log_errno(r, "%s: cannot read stub", c->stub_path);
        if (pe_is_signed(c->stub)) {
                return log_error("%s: stub is signed; refusing to build from a signed stub (use an unsigned one)", c->stub_path);
        }
        return 0;
}

static int open_linux(BuildContext *c) {
        UkitError err = UKIT_ERROR_INIT;
        uint8_t mz[2] = {};
        uint64_t size;
        int r;

        if (!c->linux_path)
                return 0;
        r = build_open_input(c, "kernel", c->linux_path, &c->linux_fd, &size);
        if (r != 0)
                return r;
        c->linux_size = size;
        if (size == 0) {
                return log_error("%s: kernel image is empty", c->linux_path);
        }
        /* A PE kernel (EFI stub) must be a valid one; anything else (an arm64
         * Image.gz, say) is embedded as is, like ukify does. */
        if (size >= 2 && pread_full(c->linux_fd, mz, 2, 0) >= 0 && le16_read(mz) == PE_DOS_MAGIC) {
                r = pe_parse_fd(c->linux_fd, &c->kernel, &err);
                if (r == -EBADMSG || r == -EOPNOTSUPP || r == -EFBIG) {
                        return log_error("%s: invalid PE kernel image: %s", c->linux_path, ukit_error_reason(&err, r));
                }
                if (r < 0)
                        return log_errno(r, "%s: cannot read kernel", c->linux_path);
                /* As ukify: a kernel without NX_COMPAT makes the UKI lose it
                 * too (firmware enforcing NX would otherwise refuse to run
                 * the kernel the stub loads). */
                if (!(c->kernel->dll_characteristics & PE_DLLCHARACTERISTICS_NX_COMPAT))
                        c->layout_opts.clear_dll_characteristics |= PE_DLLCHARACTERISTICS_NX_COMPAT;
                if (c->kernel->machine != c->stub->machine) {
                        return log_error("%s: kernel is for %s, but the stub %s is for %s", c->linux_path,
                                         pe_machine_name(c->kernel->machine) ?: "?", c->stub_path,
                                         pe_machine_name(c->stub->machine) ?: "?");
                }
        }
        if (!c->uname) {
                char *u = NULL;
                r = uname_from_kernel(c->linux_fd, c->kernel, &u);
                if (r >= 0)
                        c->uname = keep_buf(c, u);
                else if (r != -ENOENT)
                        return log_errno(r, "%s: cannot detect the kernel version", c->linux_path);
        }
        return 0;
}

/* ukify 257: every --devicetree-auto as its own .dtbauto, then .hwids. */
static int add_dtbauto_hwids(BuildContext *c) {
        int r;

        for (size_t i = 0; i < c->n_devicetree_autos; i++)
                if ((r = add_file_section(c, ".dtbauto", "devicetree", c->devicetree_autos[i], NULL)) != 0)
                        return r;
        if (c->hwids) {
                uint8_t *blob;
                size_t n;
                r = build_hwids_blob(c->hwids, &blob, &n);
                if (r != 0)
                        return r;
                add_text_section(c, ".hwids", keep_buf(c, (char *) blob), n);
        }
        return 0;
}

static int collect_sections(BuildContext *c) {
        int r;

        /* ukify 257's order: .osrel .cmdline .dtb .dtbauto .hwids .uname .splash .pcrpkey
         * .linux .initrd .ucode, then --section, then .sbat (written into the
         * stub's own .sbat when it fits, see pe-write.h); build-pcr.c puts a
         * derived .pcrpkey in its place and .pcrsig last. Same inputs, same
         * bytes as ukify. Profiles: build-profile.c. */
        r = build_profile_lead(c);
        if (r != 0)
                return r;
        r = add_osrel(c);
        if (r != 0)
                return r;
        r = add_cmdline(c);
        if (r != 0)
                return r;
        if (c->devicetree && (r = add_file_section(c, ".dtb", "devicetree", c->devicetree, NULL)) != 0)
                return r;
        r = add_dtbauto_hwids(c);
        if (r != 0)
                return r;
        if (c->uname) {
                if (strlen(c->uname) == 0 || strpbrk(c->uname, "\n")) {
                        return log_error("--uname=%s: invalid kernel release", c->uname);
                }
                add_text_section(c, ".uname", c->uname, strlen(c->uname));
        }
        r = add_splash(c);
        if (r != 0)
                return r;
        if (c->pcrpkey && (r = add_file_section(c, ".pcrpkey", "PCR public key", c->pcrpkey, NULL)) != 0)
                return r;
        if (c->linux_path) {
                /* VirtualSize = the file's length, as ukify 257 (systemd PR
                 * #36259 reverted SizeOfImage): the stub measures VirtualSize
                 * bytes, so PCR 11 is what systemd-measure predicts from the
                 * kernel file, and a .linux split back out keeps its
                 * Authenticode hash. The firmware's loader allocates the
                 * kernel's SizeOfImage from the kernel's own header. */
                BuildSection *s = add_section(c, ".linux", PE_SECTION_FLAGS_CODE);
                s->path = c->linux_path;
                section_add_source(s, c->linux_fd, NULL, c->linux_size);
        }
        r = add_initrds(c);
        if (r != 0)
                return r;
        if (c->microcode && (r = add_file_section(c, ".ucode", "microcode", c->microcode, NULL)) != 0)
                return r;
        r = add_extra_sections(c);
        if (r != 0)
                return r;
        if (build_profile_wants_sbat(c) && (r = add_sbat(c)) != 0)
                return r;
        return build_profile_join(c);
}

static int parse_source_date_epoch(BuildContext *c) {
        const char *e = getenv("SOURCE_DATE_EPOCH");
        char *end;

        if (!e || !*e)
                return 0;
        errno = 0;
        unsigned long long v = strtoull(e, &end, 10);
        if (errno != 0 || *end || e[0] == '-') {
                return log_error("SOURCE_DATE_EPOCH=%s: not a number of seconds", e);
        }
        c->layout_opts.set_timestamp = true;
        c->layout_opts.timestamp = (uint32_t) MIN(v, (unsigned long long) UINT32_MAX);
        return 0;
}

/* The new sections as the library takes them (same order). */
static int build_sections_spec(BuildContext *c, UkiBuildSection **ret) {
        UkiBuildSection *v = calloc(c->n_sections ? c->n_sections : 1, sizeof(UkiBuildSection));
        if (!v)
                return log_errno(-ENOMEM, "cannot allocate");
        for (size_t i = 0; i < c->n_sections; i++) {
                BuildSection *s = &c->sections[i];
                memcpy(v[i].name, s->name, sizeof(v[i].name));
                v[i].characteristics = s->flags;
                v[i].min_virtual_size = s->min_virtual_size;
                v[i].size = s->size;
                v[i].sources = s->sources_buf;
                v[i].n_sources = s->n_sources;
                v[i].path = s->path;
        }
        *ret = v;
        return 0;
}

/* Reads the options, the config file and the inputs. 0, -1 for --help
 * (done), or an exit status. */
static int build_prepare(BuildContext *c, int argc, char **argv) {
        int r;

        r = build_sign_setup(c);
        if (r != 0)
                return r;
        r = build_pcr_setup(c);
        if (r != 0)
                return r;
        r = build_compat_setup(c);
        if (r != 0)
                return r;
        r = build_parse_argv(c, argc, argv);
        if (r != 0)
                return r;
        r = apply_config(c);
        if (r != 0)
                return r;
        r = parse_source_date_epoch(c);
        if (r != 0)
                return r;

        if (!c->stub_path)   /* no --linux: an add-on, built on the add-on stub */
                c->stub_path = build_compat_default_stub(c, stub_default_path(!c->linux_path));
        if (!c->output) {
                if (!c->linux_path)
                        return log_usage("--output= is required when --linux= is not given");
                _cleanup_free_ char *copy = xstrdup(c->linux_path);
                c->output = c->output_buf = xasprintf("%s%s", basename(copy), c->output_suffix ?: ".unsigned.efi");
        }
        r = build_compat_summary(c);
        if (r != 0)
                return r;

        r = open_stub(c);
        if (r != 0)
                return r;
        r = check_efi_arch(c);
        if (r != 0)
                return r;
        r = open_linux(c);
        if (r != 0)
                return r;
        return collect_sections(c);
}

int verb_build(int argc, char **argv) {
        _cleanup_(build_context_done) BuildContext c = { .stub_fd = -1, .linux_fd = -1 };
        _cleanup_free_ UkiBuildSection *sections = NULL;
        UkitError err = UKIT_ERROR_INIT;
        UkiBuildSpec spec;
        int r;

        r = build_prepare(&c, argc, argv);
        if (r < 0)
                return EXIT_SUCCESS; /* --help */
        if (r != 0)
                return r;

        spec = (UkiBuildSpec) {
                .stub_fd = c.stub_fd,
                .stub = c.stub,
                .stub_path = c.stub_path,
                .kernel = c.kernel,
                .kernel_path = c.linux_path,
                .layout_opts = c.layout_opts,
                .mode = file_mode_from_umask(),
        };
        /* sign first (the kernel is signed before PCR code sees .linux) */
        r = build_sign_spec(&c, (UkiSignSpec **) &spec.sign);
        if (r != 0)
                return r;
        r = build_pcr_spec(&c, (UkiPcrSpec **) &spec.pcr);
        if (r != 0)
                return r;
        r = build_sections_spec(&c, &sections);
        if (r != 0)
                return r;
        spec.sections = sections;
        spec.n_sections = c.n_sections;

        r = uki_build(&spec, c.output, &err);
        if (r < 0) {
                return log_error("%s: %s", err.path[0] ? err.path : c.output, ukit_error_reason(&err, r));
        }
        r = build_compat_measure(&c);
        if (r != 0)
                return r;
        if (!arg_quiet)
                log_info("Wrote %s", c.output);
        return EXIT_SUCCESS;
}
