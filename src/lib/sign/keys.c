/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Key and certificate loading through OSSL_STORE.
 *
 * OSSL_STORE is used for plain paths too: its "file" loader decodes PEM and
 * DER (and PKCS#8, traditional RSA/EC PEM, encrypted or not), and any other
 * URI scheme ("pkcs11:", "tpm2:", ...) is routed to whichever OpenSSL 3
 * provider registered it in the OpenSSL configuration. So there is exactly
 * one code path for files and tokens. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/provider.h>
#include <openssl/store.h>
#include <openssl/ui.h>

#include "fileio.h"
#include "keys.h"
#include "openssl-util.h"
#include "util.h"

/* A passphrase longer than this is not a passphrase file but a mistake. */
#define KEYS_PASSPHRASE_MAX 1024u
/* Objects looked at in one file or token before giving up. */
#define KEYS_STORE_OBJECTS_MAX 256u


/* "scheme:rest" where scheme is RFC 3986-ish. A plain path with a colon in
 * it is still a path if it exists. */
static bool is_uri(const char *s) {
        const char *c = strchr(s, ':');
        if (!c || c == s)
                return false;
        for (const char *p = s; p < c; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                      (*p >= '0' && *p <= '9') || *p == '+' || *p == '-' || *p == '.'))
                        return false;
        return access(s, F_OK) < 0;
}

/* Key and certificate files are small; a larger file is a mistake (or
 * /dev/urandom), not a key. */
#define KEYS_FILE_MAX (1024u * 1024u)

/* The file path a plain path or "file:" URI names, or NULL for any other
 * URI (a token, handled by its provider). */
static const char *file_path(const char *path_or_uri) {
        const char *path = path_or_uri;

        if (is_uri(path_or_uri)) {
                const char *rest = startswith(path_or_uri, "file:");
                if (!rest)
                        return NULL;
                path = rest;
                /* "file:///x" and "file:/x" both name /x. */
                if (startswith(path, "//"))
                        path += 2;
        }
        return path;
}

typedef struct SecretBuf {
        char *data;
        size_t size;
} SecretBuf;

static void secret_buf_done(SecretBuf *b) {
        if (b->data) {
                OPENSSL_cleanse(b->data, b->size);
                free(b->data);
        }
}

typedef struct PassphraseData {
        const char *passphrase_file;
        bool asked;             /* a passphrase was requested at all */
        bool failed;            /* reading it failed */
} PassphraseData;

/* pem_password_cb: passphrase from the file (first line), or from the
 * terminal through OpenSSL's own UI (which prompts on /dev/tty). */
static int passphrase_cb(char *buf, int size, int rwflag, void *userdata) {
        PassphraseData *d = userdata;

        d->asked = true;
        if (size <= 0)
                return -1;

        if (d->passphrase_file) {
                _cleanup_free_ char *text = NULL;
                size_t n = 0;

                if (read_file_full(d->passphrase_file, KEYS_PASSPHRASE_MAX, &text, &n) < 0) {
                        d->failed = true;
                        return -1;
                }
                /* Only the first line counts, like openssl's "-passin file:". */
                char *nl = memchr(text, '\n', n);
                if (nl)
                        n = (size_t) (nl - text);
                if (n > 0 && text[n - 1] == '\r')
                        n--;
                if (n > (size_t) size) {
                        OPENSSL_cleanse(text, n);
                        d->failed = true;
                        return -1;
                }
                memcpy(buf, text, n);
                OPENSSL_cleanse(text, n);
                return (int) n;
        }

        if (!isatty(STDIN_FILENO)) {
                /* No terminal to ask: fail instead of hanging a script. */
                d->failed = true;
                return -1;
        }
        if (EVP_read_pw_string(buf, size, "Enter passphrase for the private key: ", 0) != 0) {
                d->failed = true;
                return -1;
        }
        return (int) strlen(buf);
}

/* Opens the store and returns the first object of the wanted type (and,
 * for OSSL_STORE_INFO_PKEY, only private keys). */
static int store_load(const char *path_or_uri, int want, PassphraseData *pd, OSSL_STORE_INFO **ret) {
        /* Declared before the store: cleanups run in reverse order, and the
         * store reads from the BIO, which reads from the buffer. */
        _cleanup_(secret_buf_done) SecretBuf file = {};
        _cleanup_(BIO_freep) BIO *bio = NULL;
        _cleanup_(UI_destroy_methodp) UI_METHOD *ui = NULL;
        _cleanup_(OSSL_STORE_closep) OSSL_STORE_CTX *store = NULL;
        const char *path = file_path(path_or_uri);
        int r;

        /* A file is read here, through open_input() (regular files only, no
         * blocking on a FIFO, at most KEYS_FILE_MAX), which also gives the
         * caller a real errno (ENOENT, EACCES, EISDIR) instead of
         * OSSL_STORE's generic failure; OSSL_STORE then decodes it from
         * memory. */
        if (path) {
                r = read_input_full(path, KEYS_FILE_MAX, &file.data, &file.size);
                if (r < 0)
                        return r;
                bio = BIO_new_mem_buf(file.data, (int) file.size);
                if (!bio)
                        return -ENOMEM;
        }

        ui = UI_UTIL_wrap_read_pem_callback(passphrase_cb, 0);
        if (!ui)
                return -ENOMEM;

        ERR_clear_error();
        if (bio)
                store = OSSL_STORE_attach(bio, "file", NULL, NULL, ui, pd, NULL, NULL, NULL);
        else
                store = OSSL_STORE_open(path_or_uri, ui, pd, NULL, NULL);
        if (!store) {
                ERR_clear_error();
                return -EBADMSG;
        }
        /* Narrowing the search lets token providers skip irrelevant
         * objects; the "file" loader ignores it for PEM bundles, hence the
         * type check below as well. */
        (void) OSSL_STORE_expect(store, want);

        for (unsigned i = 0; i < KEYS_STORE_OBJECTS_MAX && !OSSL_STORE_eof(store); i++) {
                _cleanup_(OSSL_STORE_INFO_freep) OSSL_STORE_INFO *info = OSSL_STORE_load(store);
                if (!info) {
                        if (pd && pd->failed)
                                break;
                        continue;       /* an undecodable object; try the next */
                }
                if (OSSL_STORE_INFO_get_type(info) == want) {
                        ERR_clear_error();
                        *ret = TAKE_PTR(info);
                        return 0;
                }
        }
        ERR_clear_error();
        if (pd && pd->asked)
                return -EACCES;         /* encrypted, and the passphrase was wrong or missing */
        return -EBADMSG;
}

static int check_key_type(EVP_PKEY *pkey) {
        /* RSA for Secure Boot and PCR signatures, EC for PCR signatures
         * (systemd-measure accepts both); nothing else is used by any
         * consumer of ukit's signatures. */
        if (EVP_PKEY_is_a(pkey, "RSA") || EVP_PKEY_is_a(pkey, "EC"))
                return 0;
        return -EOPNOTSUPP;
}

int keys_load_private(const char *path_or_uri, const char *passphrase_file, EVP_PKEY **ret) {
        _cleanup_(OSSL_STORE_INFO_freep) OSSL_STORE_INFO *info = NULL;
        PassphraseData pd = { .passphrase_file = passphrase_file };
        int r;

        if (!path_or_uri || !ret)
                return -EINVAL;

        r = store_load(path_or_uri, OSSL_STORE_INFO_PKEY, &pd, &info);
        if (r < 0)
                return r;

        _cleanup_(EVP_PKEY_freep) EVP_PKEY *pkey = OSSL_STORE_INFO_get1_PKEY(info);
        if (!pkey)
                return -ENOMEM;
        r = check_key_type(pkey);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(pkey);
        return 0;
}

int keys_load_public(const char *path_or_uri, EVP_PKEY **ret) {
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *pkey = NULL;
        int r;

        if (!path_or_uri || !ret)
                return -EINVAL;

        /* A public key file, else a certificate, else the public half of an
         * unencrypted private key. Never prompt: a public key needs no
         * secret. */
        static const int kinds[] = { OSSL_STORE_INFO_PUBKEY, OSSL_STORE_INFO_CERT, OSSL_STORE_INFO_PKEY };
        r = -EBADMSG;
        for (size_t i = 0; i < ELEMENTSOF(kinds) && !pkey; i++) {
                _cleanup_(OSSL_STORE_INFO_freep) OSSL_STORE_INFO *info = NULL;
                PassphraseData pd = { .passphrase_file = "/dev/null" };

                r = store_load(path_or_uri, kinds[i], &pd, &info);
                if (r == -ENOENT || r == -EISDIR || r == -EBADFD || r == -EFBIG || r == -EACCES)
                        if (r != -EACCES || !pd.asked)
                                return r;
                if (r < 0)
                        continue;

                switch (kinds[i]) {
                case OSSL_STORE_INFO_PUBKEY:
                        pkey = OSSL_STORE_INFO_get1_PUBKEY(info);
                        break;
                case OSSL_STORE_INFO_CERT: {
                        X509 *x = OSSL_STORE_INFO_get0_CERT(info);
                        pkey = x ? X509_get_pubkey(x) : NULL;
                        break;
                }
                default:
                        pkey = OSSL_STORE_INFO_get1_PKEY(info);
                }
                if (!pkey)
                        return -ENOMEM;
        }
        if (!pkey)
                return r < 0 ? r : -EBADMSG;

        r = check_key_type(pkey);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(pkey);
        return 0;
}

int keys_load_certificate(const char *path_or_uri, X509 **ret) {
        _cleanup_(OSSL_STORE_INFO_freep) OSSL_STORE_INFO *info = NULL;
        PassphraseData pd = { .passphrase_file = "/dev/null" };
        int r;

        if (!path_or_uri || !ret)
                return -EINVAL;

        r = store_load(path_or_uri, OSSL_STORE_INFO_CERT, &pd, &info);
        if (r == -EACCES)
                r = -EBADMSG;   /* an encrypted key where a certificate was expected */
        if (r < 0)
                return r;

        X509 *x = OSSL_STORE_INFO_get1_CERT(info);
        if (!x)
                return -ENOMEM;
        *ret = x;
        return 0;
}

int keys_match(EVP_PKEY *priv, EVP_PKEY *pub) {
        if (!priv || !pub)
                return 0;
        return EVP_PKEY_eq(priv, pub) == 1;
}

int keys_load_provider(const char *name) {
        if (!name || !*name)
                return -EINVAL;
        /* Loading one provider explicitly stops OpenSSL from loading the
         * default one implicitly; file keys and digests still need it. */
        if (!OSSL_PROVIDER_available(NULL, "default") && !OSSL_PROVIDER_load(NULL, "default"))
                return -ENOENT;
        if (OSSL_PROVIDER_available(NULL, name))
                return 0;
        return OSSL_PROVIDER_load(NULL, name) ? 0 : -ENOENT;
}
