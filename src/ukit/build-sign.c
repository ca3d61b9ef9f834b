/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Secure Boot signing inside `ukit build` (see build-sign.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "authenticode.h"
#include "build-sign.h"
#include "cli.h"
#include "keys.h"
#include "sign-common.h"
#include "util.h"

typedef enum SignKernel {
        SIGN_KERNEL_AUTO,       /* ukify: when the kernel is not signed yet */
        SIGN_KERNEL_YES,
        SIGN_KERNEL_NO,
} SignKernel;

typedef struct BuildSign {
        /* options: command line wins over the config file */
        const char *key, *cert, *passphrase_file;
        char *cfg_key, *cfg_cert;
        SignKernel sign_kernel, cfg_sign_kernel;
        bool sign_kernel_set;

        EVP_PKEY *pkey;
        X509 *x509;

        /* buffers of the signed kernel's replacement sources */
        uint8_t kernel_checksum[4], kernel_dir[8];
        uint8_t *kernel_table;

        AuthenticodeHasher *hasher;     /* of the output, fed by the observer */
        PeWriteObserver observer;
        PeWriteObserver *observer_ptr;

        int (*prev_sections_done)(BuildContext *c);
        int (*prev_before_commit)(BuildContext *c, int fd);
        int (*prev_config)(BuildContext *c, const char *section, const char *key, const char *value);
} BuildSign;

static bool parse_bool(const char *v, bool *ret) {
        static const char *const yes[] = { "1", "yes", "true", "on" }, *const no[] = { "0", "no", "false", "off" };
        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (strcasecmp(v, yes[i]) == 0) {
                        *ret = true;
                        return true;
                }
                if (strcasecmp(v, no[i]) == 0) {
                        *ret = false;
                        return true;
                }
        }
        return false;
}

static int sign_config(BuildContext *c, const char *section, const char *key, const char *value) {
        BuildSign *s = c->ext_sign;

        if (streq(section, "UKI")) {
                char **slot = streq(key, "SecureBootPrivateKey") ? &s->cfg_key :
                              streq(key, "SecureBootCertificate") ? &s->cfg_cert : NULL;
                if (slot) {
                        free(*slot);
                        *slot = xstrdup(value);
                        if (slot == &s->cfg_key)
                                c->output_suffix = ".efi";
                        return 1;
                }
                if (streq(key, "SignKernel")) {
                        bool b;
                        if (!parse_bool(value, &b)) {
                                log_warning("SignKernel=%s: not a boolean, ignored", value);
                                return 1;
                        }
                        s->cfg_sign_kernel = b ? SIGN_KERNEL_YES : SIGN_KERNEL_NO;
                        return 1;
                }
                /* genkey's setting, meaningless for build */
                if (streq(key, "SecureBootCertificateValidity"))
                        return 1;
        }
        return s->prev_config ? s->prev_config(c, section, key, value) : 0;
}

int build_sign_option(BuildContext *c, int opt, const char *arg) {
        BuildSign *s = c->ext_sign;

        switch (opt) {
        case ARG_SB_PRIVATE_KEY:
                s->key = arg;
                break;
        case ARG_SB_CERTIFICATE:
                s->cert = arg;
                break;
        case ARG_SB_SIGN_KERNEL:
        case ARG_SB_NO_SIGN_KERNEL:
                s->sign_kernel = opt == ARG_SB_SIGN_KERNEL ? SIGN_KERNEL_YES : SIGN_KERNEL_NO;
                s->sign_kernel_set = true;
                break;
        case ARG_SB_PASSPHRASE_FILE:
                s->passphrase_file = arg;
                break;
        default:
                return EXIT_USAGE;
        }
        /* ukify names the output KERNEL.efi rather than KERNEL.unsigned.efi
         * when it signs. */
        if (s->key)
                c->output_suffix = ".efi";
        return 0;
}

static BuildSection *find_section(BuildContext *c, const char *name) {
        for (size_t i = 0; i < c->n_sections; i++)
                if (streq(c->sections[i].name, name))
                        return &c->sections[i];
        return NULL;
}

/* Signs the kernel and replaces .linux's sources by the signed kernel:
 * the kernel file with CheckSum and the certificate-table entry replaced,
 * zero padding, the table. */
static int sign_kernel(BuildContext *c, BuildSign *s, BuildSection *sec, bool explicit) {
        _cleanup_(authenticode_image_freep) AuthenticodeImage *img = NULL;
        _cleanup_(authenticode_hasher_freep) AuthenticodeHasher *h = NULL;
        const EVP_MD *md = EVP_sha256();
        uint8_t digest[EVP_MAX_MD_SIZE], *der = NULL;
        size_t digest_size = 0, der_size = 0, table_size = 0;
        uint64_t padded;
        UkitError err = UKIT_ERROR_INIT;
        int r;

        if (!c->kernel || sec->n_sources != 1 || sec->sources_buf[0].fd < 0 || sec->sources_buf[0].offset != 0) {
                if (!explicit)
                        return 0;
                return log_error("%s: not a PE image, cannot sign the kernel", c->linux_path);
        }
        int fd = sec->sources_buf[0].fd;
        r = authenticode_image_load(fd, &img, &err);
        if (r < 0) {
                return log_error("%s: %s", c->linux_path, ukit_error_what(&err) ?: "cannot read PE image");
        }
        if (img->pe->file_size != sec->size) {
                return log_error("%s: changed while reading", c->linux_path);
        }
        if (img->signed_ && !explicit)
                return 0;       /* ukify signs only unsigned kernels by default */
        if (img->layout.checksum_offset + 4 > img->layout.security_dir_offset) {
                return log_error("%s: unexpected optional header layout", c->linux_path);
        }

        r = authenticode_digest_fd(fd, &img->layout, &md, 1, -1, &h);
        if (r >= 0)
                r = authenticode_hasher_finish(h, !img->signed_, digest, &digest_size, &padded);
        if (r < 0)
                return log_errno(r, "%s: cannot hash the kernel", c->linux_path);
        r = authenticode_sign(md, digest, digest_size, s->x509, NULL, s->pkey, &der, &der_size);
        if (r < 0)
                return log_errno(r, "%s: cannot sign the kernel", c->linux_path);
        if (img->signed_) {
                /* an additional signature next to the existing ones */
                s->kernel_table = malloc(img->table_size);
                if (!s->kernel_table) {
                        OPENSSL_free(der);
                        return log_errno(-ENOMEM, "cannot allocate");
                }
                memcpy(s->kernel_table, img->table, img->table_size);
                table_size = img->table_size;
        }
        r = authenticode_table_append(&s->kernel_table, &table_size, der, der_size);
        OPENSSL_free(der);
        if (r < 0)
                return log_errno(r, "%s: cannot build the kernel's certificate table", c->linux_path);

        uint64_t end;
        if (!ADD_OK(padded, (uint64_t) table_size, &end) || end > UINT32_MAX)
                return log_errno(-EFBIG, "%s: signed kernel too large", c->linux_path);
        le32_write(s->kernel_checksum,
                   authenticode_hasher_pe_checksum(h, (uint32_t) padded, (uint32_t) table_size, s->kernel_table, table_size));
        le32_write(s->kernel_dir, (uint32_t) padded);
        le32_write(s->kernel_dir + 4, (uint32_t) table_size);

        uint64_t cs = img->layout.checksum_offset, sd = img->layout.security_dir_offset, n = img->layout.image_size;
        const PeSource v[] = {
                { .fd = fd, .offset = 0, .size = cs },
                { .fd = -1, .data = s->kernel_checksum, .size = 4 },
                { .fd = fd, .offset = cs + 4, .size = sd - cs - 4 },
                { .fd = -1, .data = s->kernel_dir, .size = 8 },
                { .fd = fd, .offset = sd + 8, .size = n - sd - 8 },
                { .fd = -1, .data = NULL, .size = padded - n },         /* zero padding */
                { .fd = -1, .data = s->kernel_table, .size = table_size },
        };

        /* The section owns its sources array: give it a new one. */
        PeSource *copy = calloc(ELEMENTSOF(v), sizeof(PeSource));
        size_t k = 0;
        if (!copy)
                return log_errno(-ENOMEM, "cannot allocate");
        for (size_t i = 0; i < ELEMENTSOF(v); i++)
                if (v[i].size > 0)
                        copy[k++] = v[i];
        free(sec->sources_buf);
        sec->sources_buf = copy;
        sec->n_sources = k;
        sec->size = end;
        return 0;
}

static int obs_data(void *userdata, const void *buf, size_t n, uint64_t off) {
        BuildContext *c = userdata;
        BuildSign *s = c->ext_sign;

        if (!s->hasher) {
                if (!c->layout || c->layout->security_dir_offset == 0)
                        return -EBADMSG;
                int r = authenticode_hasher_new(EVP_sha256(), c->layout->checksum_offset,
                                                c->layout->security_dir_offset, &s->hasher);
                if (r < 0)
                        return r;
        }
        return authenticode_hasher_feed(s->hasher, buf, n, off);
}

/* Do the output's sections tile the file behind the headers? Then the
 * streamed (linear) digest is the Authenticode digest. */
static bool layout_is_linear(const PeLayout *l) {
        uint64_t pos = l->size_of_headers;
        bool progress = true;
        size_t done = 0;

        while (progress && done < l->n_sections) {
                progress = false;
                for (size_t i = 0; i < l->n_sections; i++)
                        if (l->sections[i].raw_size > 0 && l->sections[i].raw_offset == pos) {
                                pos += l->sections[i].raw_size;
                                done++;
                                progress = true;
                        }
                if (!progress)
                        break;
        }
        size_t with_data = 0;
        for (size_t i = 0; i < l->n_sections; i++)
                with_data += l->sections[i].raw_size > 0;
        return done == with_data && pos == l->file_size;
}

static int sign_before_commit(BuildContext *c, int fd) {
        BuildSign *s = c->ext_sign;
        uint8_t digest[EVP_MAX_MD_SIZE], *der = NULL, *table = NULL;
        size_t digest_size = 0, der_size = 0, table_size = 0;
        int r;

        if (s->prev_before_commit) {
                r = s->prev_before_commit(c, fd);
                if (r != 0)
                        return r;
        }
        if (!s->pkey)
                return 0;
        if (!s->hasher || authenticode_hasher_position(s->hasher) != c->layout->file_size) {
                return log_error("%s: internal error: the signing hash did not see the whole image", c->output);
        }
        if (!layout_is_linear(c->layout)) {
                /* Gaps between sections (only possible with unusual stubs):
                 * the digest needs the document's order; re-read the
                 * output rather than sign a digest firmware would not
                 * compute. */
                _cleanup_(authenticode_image_freep) AuthenticodeImage *img = NULL;
                const EVP_MD *md = EVP_sha256();
                UkitError err = UKIT_ERROR_INIT;
                r = authenticode_image_load(fd, &img, &err);
                if (r < 0) {
                        return log_error("%s: %s", c->output, ukit_error_what(&err) ?: "cannot re-read the output");
                }
                authenticode_hasher_free(s->hasher);
                s->hasher = NULL;
                r = authenticode_digest_fd(fd, &img->layout, &md, 1, -1, &s->hasher);
                if (r < 0)
                        return log_errno(r, "%s: cannot hash the output", c->output);
        }

        r = authenticode_hasher_finish(s->hasher, true, digest, &digest_size, NULL);
        if (r < 0)
                return log_errno(r, "%s: cannot hash the output", c->output);
        r = authenticode_sign(EVP_sha256(), digest, digest_size, s->x509, NULL, s->pkey, &der, &der_size);
        if (r < 0)
                return log_errno(r, "%s: cannot create signature", c->output);
        r = authenticode_table_append(&table, &table_size, der, der_size);
        OPENSSL_free(der);
        if (r >= 0)
                r = authenticode_hasher_write_table(s->hasher, fd, table, table_size);
        free(table);
        if (r < 0)
                return log_errno(r, "%s: cannot write the signature", c->output);
        return 0;
}

static int sign_sections_done(BuildContext *c) {
        BuildSign *s = c->ext_sign;
        int r;

        const char *key = s->key ?: s->cfg_key, *cert = s->cert ?: s->cfg_cert;
        SignKernel sk = s->sign_kernel_set ? s->sign_kernel : s->cfg_sign_kernel;

        if (!!key != !!cert)
                return log_usage("--secureboot-private-key= and --secureboot-certificate= must be specified together");
        if (sk == SIGN_KERNEL_YES && !key)
                return log_usage("--sign-kernel requires --secureboot-private-key= and --secureboot-certificate= to be specified");

        if (key) {
                /* Before anything is written: a wrong key fails the build
                 * with no output. */
                r = sign_load_key_and_cert(key, s->passphrase_file, cert, &s->pkey, &s->x509);
                if (r < 0)
                        return EXIT_FAILURE;

                BuildSection *linux_sec = find_section(c, ".linux");
                if (linux_sec && sk != SIGN_KERNEL_NO) {
                        r = sign_kernel(c, s, linux_sec, sk == SIGN_KERNEL_YES);
                        if (r != 0)
                                return r;
                }

                s->observer = (PeWriteObserver) { .data = obs_data, .userdata = c };
                s->observer_ptr = &s->observer;
                PeWriteObserver **v = reallocarray(c->observers, c->n_observers + 1, sizeof(PeWriteObserver *));
                if (!v)
                        return log_errno(-ENOMEM, "cannot allocate");
                c->observers = v;
                c->observers[c->n_observers++] = s->observer_ptr;
        }

        /* The PCR extension (chained after us) sees the final .linux. */
        if (s->prev_sections_done)
                return s->prev_sections_done(c);
        return 0;
}

int build_sign_setup(BuildContext *c) {
        BuildSign *s;

        if (c->ext_sign)
                return 0;
        s = calloc(1, sizeof(*s));
        if (!s)
                return log_errno(-ENOMEM, "cannot allocate");
        s->prev_sections_done = c->sections_done_hook;
        s->prev_before_commit = c->before_commit_hook;
        s->prev_config = c->config_hook;
        c->sections_done_hook = sign_sections_done;
        c->before_commit_hook = sign_before_commit;
        c->config_hook = sign_config;
        c->ext_sign = s;
        return 0;
}

void build_sign_done(BuildContext *c) {
        BuildSign *s = c->ext_sign;

        if (!s)
                return;
        free(s->cfg_key);
        free(s->cfg_cert);
        EVP_PKEY_free(s->pkey);
        X509_free(s->x509);
        free(s->kernel_table);
        authenticode_hasher_free(s->hasher);
        free(s);
        c->ext_sign = NULL;
}
