/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ukit sign: Authenticode-sign a PE image (sbsign/pesign replacement), add
 * further signatures, write or attach detached ones, remove them. The input
 * is read once: it is hashed while being copied into the temporary output,
 * and the certificate table is appended at the end. */
#include <fcntl.h>
#include <inttypes.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rsa.h>

#include "authenticode.h"
#include "cli.h"
#include "fileio.h"
#include "keys.h"
#include "openssl-util.h"
#include "sign-common.h"
#include "util.h"
#include "verbs.h"

/* A detached signature bigger than this is not one. */
#define SIGN_DETACHED_MAX       (1024u * 1024u)

typedef enum SignMode {
        MODE_SIGN,
        MODE_DETACH,
        MODE_ATTACH,
        MODE_REMOVE,
} SignMode;

typedef struct SignArgs {
        const char *key;
        const char *cert;
        const char *passphrase_file;
        const char *output;
        const char *inplace;    /* in place: the file written (a symlink resolved) */
        const char *detach;
        const char *attach;
        bool append;
        bool remove;
        const char *file;
} SignArgs;

static void help(FILE *f) {
        fprintf(f,
                "Usage: ukit sign [OPTIONS...] FILE\n"
                "\n"
                "Authenticode-sign a PE image (UKI, stub, kernel) for UEFI Secure Boot.\n"
                "Signs in place unless --output is given.\n"
                "\n"
                "Options:\n"
                "  -h --help                  Show this help\n"
                "     --key=KEY               Private key (RSA; PEM/DER path or provider URI)\n"
                "     --cert=CERT             Certificate of the key (PEM/DER path or URI)\n"
                "     --passphrase-file=FILE  Passphrase of an encrypted key (else asked on the tty)\n"
                "  -o --output=FILE           Write the result there instead of in place\n"
                "     --append                Add a signature to an already signed image\n"
                "     --detach=SIG            Write a detached PKCS#7 signature (DER) instead;\n"
                "                             the image is not modified\n"
                "     --attach=SIG            Add the detached signature SIG to the image\n"
                "     --remove                Remove all signatures\n");
}

static int parse_args(int argc, char **argv, SignArgs *a) {
        enum {
                ARG_KEY = 0x100,
                ARG_CERT,
                ARG_PASSPHRASE_FILE,
                ARG_APPEND,
                ARG_DETACH,
                ARG_ATTACH,
                ARG_REMOVE,
        };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "key", required_argument, NULL, ARG_KEY },
                { "cert", required_argument, NULL, ARG_CERT },
                { "passphrase-file", required_argument, NULL, ARG_PASSPHRASE_FILE },
                { "output", required_argument, NULL, 'o' },
                { "append", no_argument, NULL, ARG_APPEND },
                { "detach", required_argument, NULL, ARG_DETACH },
                { "attach", required_argument, NULL, ARG_ATTACH },
                { "remove", no_argument, NULL, ARG_REMOVE },
                {}
        };
        int c;

        optind = 0;
        while ((c = getopt_long(argc, argv, ":ho:", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help(stdout);
                        return 0;
                case ARG_KEY:
                        a->key = optarg;
                        break;
                case ARG_CERT:
                        a->cert = optarg;
                        break;
                case ARG_PASSPHRASE_FILE:
                        a->passphrase_file = optarg;
                        break;
                case 'o':
                        a->output = optarg;
                        break;
                case ARG_APPEND:
                        a->append = true;
                        break;
                case ARG_DETACH:
                        a->detach = optarg;
                        break;
                case ARG_ATTACH:
                        a->attach = optarg;
                        break;
                case ARG_REMOVE:
                        a->remove = true;
                        break;
                default:
                        return log_getopt_error(c, argv);
                }

        if (optind + 1 != argc)
                return log_usage(optind >= argc ? "missing FILE" : "exactly one FILE expected");
        a->file = argv[optind];

        if (!!a->detach + !!a->attach + a->remove > 1)
                return log_usage("--detach, --attach and --remove are mutually exclusive");
        if (a->detach && a->output)
                return log_usage("--detach writes SIG only; --output makes no sense with it");
        if (a->remove && a->append)
                return log_usage("--remove and --append are mutually exclusive");
        if (!a->attach && !a->remove && (!a->key || !a->cert))
                return log_usage("--key and --cert are required");
        if ((a->attach || a->remove) && (a->key || a->cert))
                return log_usage("--key/--cert make no sense with --%s", a->attach ? "attach" : "remove");
        return -1;      /* go on */
}

/* Writes the image (without its certificate table) into a temporary
 * output while hashing it, then appends table. */
static int write_image(int fd, const SignArgs *a, const struct stat *st, const AuthenticodeImage *img,
                       const EVP_MD *md, uint8_t *(*make_table)(const uint8_t *digest, size_t digest_size,
                                                                 const void *ud, size_t *ret_size, int *ret_r),
                       const void *ud) {
        _cleanup_(atomic_file_abort) AtomicFile out = ATOMIC_FILE_INIT;
        _cleanup_(authenticode_hasher_freep) AuthenticodeHasher *h = NULL;
        _cleanup_free_ uint8_t *table = NULL;
        const char *target = a->output ?: a->inplace;
        uint8_t digest[EVP_MAX_MD_SIZE];
        size_t digest_size = 0, table_size = 0;
        int r;

        r = atomic_file_open(&out, target);
        if (r < 0)
                return log_errno(r, "%s: cannot create output", target);
        /* In place, the result replaces the original: keep its owner,
         * group, ACLs and other xattrs (the mode is set on commit). */
        if (!a->output) {
                r = fd_copy_owner_xattrs(fd, out.fd);
                if (r < 0)
                        return log_errno(r, "%s: cannot keep the owner and group of the file", target);
        }

        r = authenticode_digest_fd(fd, &img->layout, &md, 1, out.fd, &h);
        if (r < 0)
                return log_errno(r, "%s: cannot read/write image", a->file);
        /* Only a new table gets the 8-byte padding; an existing one already
         * starts where the earlier signatures' digests ended. */
        r = authenticode_hasher_finish(h, !img->signed_, digest, &digest_size, NULL);
        if (r < 0)
                return log_errno(r, "%s: cannot hash image", a->file);

        if (make_table) {
                table = make_table(digest, digest_size, ud, &table_size, &r);
                if (!table)
                        return EXIT_FAILURE;    /* make_table logged */
        }

        r = authenticode_hasher_write_table(h, out.fd, table, table_size);
        if (r < 0)
                return log_errno(r, "%s: cannot write certificate table", target);

        r = atomic_file_commit(&out, st->st_mode & 07777);
        if (r < 0)
                return log_errno(r, "%s: cannot write output", target);
        return EXIT_SUCCESS;
}

typedef struct TableArgs {
        const SignArgs *a;
        const AuthenticodeImage *img;
        EVP_PKEY *key;
        X509 *cert;
        const AuthenticodeSignature *attach;    /* for --attach */
        const uint8_t *attach_der;
        size_t attach_der_size;
} TableArgs;

/* Old table (when appending) + one new entry. */
static uint8_t *table_with(const TableArgs *t, const uint8_t *der, size_t der_size, size_t *ret_size) {
        uint8_t *table = NULL;
        size_t size = 0;
        int r;

        if (t->a->append && t->img->signed_) {
                table = malloc(t->img->table_size);
                if (!table) {
                        log_errno(-ENOMEM, "out of memory");
                        return NULL;
                }
                memcpy(table, t->img->table, t->img->table_size);
                size = t->img->table_size;
        }
        r = authenticode_table_append(&table, &size, der, der_size);
        if (r < 0) {
                free(table);
                log_errno(r, "%s: cannot add signature to the certificate table", t->a->file);
                return NULL;
        }
        *ret_size = size;
        return table;
}

static uint8_t *make_signed_table(const uint8_t *digest, size_t digest_size, const void *ud, size_t *ret_size,
                                  int *ret_r) {
        const TableArgs *t = ud;
        uint8_t *der = NULL, *table;
        size_t der_size = 0;
        int r;

        r = authenticode_sign(EVP_sha256(), digest, digest_size, t->cert, NULL, t->key, &der, &der_size);
        if (r < 0) {
                log_errno(r, "%s: cannot create signature", t->a->file);
                return NULL;
        }
        table = table_with(t, der, der_size, ret_size);
        OPENSSL_free(der);
        return table;
}

static uint8_t *make_attached_table(const uint8_t *digest, size_t digest_size, const void *ud, size_t *ret_size,
                                    int *ret_r) {
        const TableArgs *t = ud;

        if (digest_size != t->attach->digest_size || memcmp(digest, t->attach->digest, digest_size) != 0) {
                log_error("%s: signature %s was made for a different image (digest mismatch)", t->a->file,
                          t->a->attach);
                return NULL;
        }
        return table_with(t, t->attach_der, t->attach_der_size, ret_size);
}

/* --attach: puts the detached signature given into the certificate table,
 * if it was made for this image. Returns the exit status. */
static int sign_attach(int fd, const SignArgs *a, const struct stat *st, const AuthenticodeImage *img) {
        _cleanup_(authenticode_signature_freep) AuthenticodeSignature *attach = NULL;
        _cleanup_free_ char *attach_der = NULL;
        size_t attach_der_size = 0;
        int r;

        r = read_input_full(a->attach, SIGN_DETACHED_MAX, &attach_der, &attach_der_size);
        if (r < 0)
                return log_errno(r, "%s", a->attach);
        r = authenticode_signature_parse((const uint8_t *) attach_der, attach_der_size, &attach);
        if (r == -EOPNOTSUPP) {
                return log_error("%s: unsupported digest algorithm in signature", a->attach);
        }
        if (r < 0) {
                return log_error("%s: not a DER PKCS#7 Authenticode signature", a->attach);
        }
        TableArgs t = {
                .a = a, .img = img, .attach = attach,
                .attach_der = (const uint8_t *) attach_der, .attach_der_size = attach_der_size,
        };
        return write_image(fd, a, st, img, attach->md, make_attached_table, &t);
}

/* --detach: writes the signature of the image to a file of its own and
 * leaves the image alone. Returns the exit status. */
static int sign_detached(int fd, const SignArgs *a, const AuthenticodeImage *img, EVP_PKEY *key, X509 *cert) {
        _cleanup_(authenticode_hasher_freep) AuthenticodeHasher *h = NULL;
        _cleanup_(atomic_file_abort) AtomicFile out = ATOMIC_FILE_INIT;
        const EVP_MD *md = EVP_sha256();
        uint8_t digest[EVP_MAX_MD_SIZE], *der = NULL;
        size_t digest_size = 0, der_size = 0;
        int r;

        r = authenticode_digest_fd(fd, &img->layout, &md, 1, -1, &h);
        if (r >= 0)
                r = authenticode_hasher_finish(h, !img->signed_, digest, &digest_size, NULL);
        if (r < 0)
                return log_errno(r, "%s: cannot hash image", a->file);
        r = authenticode_sign(md, digest, digest_size, cert, NULL, key, &der, &der_size);
        if (r < 0)
                return log_errno(r, "%s: cannot create signature", a->file);
        r = atomic_file_open(&out, a->detach);
        if (r >= 0)
                r = write_full(out.fd, der, der_size);
        OPENSSL_free(der);
        if (r >= 0)
                r = atomic_file_commit(&out, file_mode_from_umask());
        if (r < 0)
                return log_errno(r, "%s: cannot write signature", a->detach);
        return EXIT_SUCCESS;
}

int verb_sign_pe(int argc, char **argv) {
        _cleanup_(authenticode_image_freep) AuthenticodeImage *img = NULL;
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
        _cleanup_(X509_freep) X509 *cert = NULL;
        _cleanup_free_ char *inplace = NULL;
        _cleanup_close_ int fd = -1;
        SignArgs a = {};
        UkitError err = UKIT_ERROR_INIT;
        struct stat st;
        int r;

        r = parse_args(argc, argv, &a);
        if (r >= 0)
                return r;

        fd = open_input(a.file, 0, 0, NULL);
        if (fd < 0)
                return log_errno(fd, "%s", a.file);
        if (fstat(fd, &st) < 0)
                return log_errno(-errno, "%s", a.file);
        /* In place on a symlink (/boot/vmlinuz -> vmlinuz-6.x) signs the
         * file it points to and leaves the link alone. */
        if (!a.output && !a.detach) {
                inplace = realpath(a.file, NULL);
                if (!inplace)
                        return log_errno(-errno, "%s: cannot resolve path", a.file);
                a.inplace = inplace;
        }

        r = authenticode_image_load(fd, &img, &err);
        if (r < 0) {
                if (ukit_error_what(&err))
                        log_error("%s: %s", a.file, err.what);
                else
                        log_errno(r, "%s: cannot read PE image", a.file);
                return EXIT_FAILURE;
        }

        if (img->layout.uncovered > 0 && !a.remove)
                log_warning("%s: %" PRIu64 " bytes from offset 0x%" PRIx64 " lie in gaps between sections; "
                            "Authenticode does not cover them (firmware does not load them)",
                            a.file, img->layout.uncovered, img->layout.first_uncovered);

        if (a.remove) {
                if (!img->signed_) {
                        return log_error("%s: image is not signed", a.file);
                }
                return write_image(fd, &a, &st, img, EVP_sha256(), NULL, NULL);
        }

        if (img->signed_ && !a.append && !a.detach) {
                return log_error("%s: image is already signed (use --append to add a signature, --remove to drop them)",
                                 a.file);
        }

        if (a.attach)
                return sign_attach(fd, &a, &st, img);

        r = sign_load_key_and_cert(a.key, a.passphrase_file, a.cert, &key, &cert);
        if (r < 0)
                return EXIT_FAILURE;

        if (a.detach)
                return sign_detached(fd, &a, img, key, cert);

        TableArgs t = { .a = &a, .img = img, .key = key, .cert = cert };
        return write_image(fd, &a, &st, img, EVP_sha256(), make_signed_table, &t);
}
