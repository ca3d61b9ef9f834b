/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Verity root-hash signatures: the PKCS#7 flags are those systemd-repart uses
 * (PKCS7_DETACHED|PKCS7_NOATTR|PKCS7_BINARY) and the verification mirrors
 * systemd-dissect's userspace fallback (PKCS7_NOINTERN|PKCS7_NOVERIFY against
 * the *.crt files of the verity.d directories). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>

#include "fileio.h"
#include "openssl-util.h"
#include "util.h"
#include "verity-sig.h"

#define CERT_FILE_MAX (64u * 1024u)
#define CERT_FILES_MAX 256u


int hex_decode(const char *s, uint8_t *buf, size_t bufsz, size_t *ret_n) {
        size_t l = strlen(s);
        if (l % 2 != 0 || l / 2 > bufsz)
                return -EINVAL;
        for (size_t i = 0; i < l / 2; i++) {
                int hi = unhexchar(s[2 * i]), lo = unhexchar(s[2 * i + 1]);
                if (hi < 0 || lo < 0)
                        return -EINVAL;
                buf[i] = (uint8_t) (hi << 4 | lo);
        }
        *ret_n = l / 2;
        return 0;
}


int verity_sig_sign(const char *roothash_hex, EVP_PKEY *key, X509 *cert, uint8_t **ret_der, size_t *ret_size) {
        _cleanup_(BIO_freep) BIO *in = NULL;
        _cleanup_(PKCS7_freep) PKCS7 *p7 = NULL;
        unsigned char *der = NULL;

        in = BIO_new_mem_buf(roothash_hex, (int) strlen(roothash_hex));
        if (!in)
                return -ENOMEM;
        p7 = PKCS7_sign(cert, key, NULL, in, PKCS7_DETACHED | PKCS7_NOATTR | PKCS7_BINARY);
        if (!p7) {
                ERR_clear_error();
                return -EINVAL;
        }
        int n = i2d_PKCS7(p7, &der);
        if (n <= 0)
                return -ENOMEM;
        *ret_der = der;         /* OPENSSL_malloc'ed; OPENSSL_free == free here */
        *ret_size = (size_t) n;
        return 0;
}

int verity_sig_json_build(const char *roothash_hex, X509 *cert, const uint8_t *der, size_t der_size,
                          char **ret_json, size_t *ret_size) {
        _cleanup_free_ char *b64 = NULL, *fp_hex = NULL, *json = NULL;
        unsigned char fp[EVP_MAX_MD_SIZE];
        unsigned fp_len = 0;

        if (der_size > VERITY_SIG_DER_MAX)
                return -E2BIG;
        if (X509_digest(cert, EVP_sha256(), fp, &fp_len) != 1)
                return -EINVAL;
        fp_hex = hex_encode(fp, fp_len);
        b64 = malloc(4 * ((der_size + 2) / 3) + 1);
        if (!fp_hex || !b64)
                return -ENOMEM;
        EVP_EncodeBlock((unsigned char *) b64, der, (int) der_size);
        if (asprintf(&json, "{\"rootHash\":\"%s\",\"certificateFingerprint\":\"%s\",\"signature\":\"%s\"}",
                     roothash_hex, fp_hex, b64) < 0)
                return -ENOMEM;
        *ret_size = strlen(json);
        *ret_json = TAKE_PTR(json);
        return 0;
}

/* A deliberately small JSON reader: one object whose values are strings. */
typedef struct JsonIn {
        const char *p, *end;
} JsonIn;

static void ws(JsonIn *in) {
        while (in->p < in->end && (*in->p == ' ' || *in->p == '\t' || *in->p == '\n' || *in->p == '\r'))
                in->p++;
}

static int json_str(JsonIn *in, char **ret) {
        _cleanup_free_ char *out = NULL;
        size_t n = 0;

        if (in->p >= in->end || *in->p != '"')
                return -EBADMSG;
        in->p++;
        out = malloc((size_t) (in->end - in->p) + 1);
        if (!out)
                return -ENOMEM;
        for (;;) {
                if (in->p >= in->end)
                        return -EBADMSG;
                unsigned char c = (unsigned char) *in->p++;
                if (c == '"')
                        break;
                if (c < 0x20)
                        return -EBADMSG;
                if (c != '\\') {
                        out[n++] = (char) c;
                        continue;
                }
                if (in->p >= in->end)
                        return -EBADMSG;
                c = (unsigned char) *in->p++;
                switch (c) {
                case '"': case '\\': case '/': out[n++] = (char) c; break;
                case 'n': out[n++] = '\n'; break;
                case 't': out[n++] = '\t'; break;
                case 'r': out[n++] = '\r'; break;
                case 'b': out[n++] = '\b'; break;
                case 'f': out[n++] = '\f'; break;
                case 'u': {
                        unsigned v = 0;
                        if (in->end - in->p < 4)
                                return -EBADMSG;
                        for (int i = 0; i < 4; i++) {
                                int h = unhexchar(in->p[i]);
                                if (h < 0)
                                        return -EBADMSG;
                                v = v << 4 | (unsigned) h;
                        }
                        in->p += 4;
                        /* Only ASCII is meaningful in hex and base64 values. */
                        if (v == 0 || v >= 0x80)
                                return -EBADMSG;
                        out[n++] = (char) v;
                        break;
                }
                default:
                        return -EBADMSG;
                }
        }
        out[n] = 0;
        *ret = TAKE_PTR(out);
        return 0;
}

static int b64_decode(const char *s, uint8_t **ret, size_t *ret_n) {
        size_t l = strlen(s), pad = 0;
        _cleanup_free_ uint8_t *buf = NULL;

        if (l == 0 || l % 4 != 0 || l / 4 * 3 > VERITY_SIG_DER_MAX)
                return -EBADMSG;
        if (s[l - 1] == '=')
                pad++;
        if (s[l - 2] == '=')
                pad++;
        for (size_t i = 0; i < l - pad; i++)
                if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
                      (s[i] >= '0' && s[i] <= '9') || s[i] == '+' || s[i] == '/'))
                        return -EBADMSG;
        buf = malloc(l / 4 * 3 + 1);
        if (!buf)
                return -ENOMEM;
        int n = EVP_DecodeBlock(buf, (const unsigned char *) s, (int) l);
        if (n < 0 || (size_t) n < pad)
                return -EBADMSG;
        *ret_n = (size_t) n - pad;
        *ret = TAKE_PTR(buf);
        return 0;
}

int verity_sig_json_parse(const void *data, size_t size, char **ret_roothash_hex,
                          uint8_t **ret_der, size_t *ret_der_size) {
        _cleanup_free_ char *root = NULL, *sig = NULL;
        _cleanup_free_ uint8_t *der = NULL;
        size_t der_size = 0;
        const char *d = data, *nul;
        JsonIn in;
        int r;

        if (size > VERITY_SIG_PARTITION_MAX)
                return -E2BIG;
        nul = memchr(d, 0, size);
        size_t len = nul ? (size_t) (nul - d) : size;
        for (size_t i = len; i < size; i++)
                if (d[i] != 0)
                        return -EBADMSG;

        in = (JsonIn) { d, d + len };
        ws(&in);
        if (in.p >= in.end || *in.p++ != '{')
                return -EBADMSG;
        ws(&in);
        if (in.p < in.end && *in.p == '}')
                in.p++;
        else
                for (;;) {
                        _cleanup_free_ char *k = NULL, *v = NULL;
                        ws(&in);
                        r = json_str(&in, &k);
                        if (r < 0)
                                return r;
                        ws(&in);
                        if (in.p >= in.end || *in.p++ != ':')
                                return -EBADMSG;
                        ws(&in);
                        r = json_str(&in, &v);
                        if (r < 0)
                                return r;
                        if (streq(k, "rootHash")) {
                                if (root)
                                        return -EBADMSG;
                                root = TAKE_PTR(v);
                        } else if (streq(k, "signature")) {
                                if (sig)
                                        return -EBADMSG;
                                sig = TAKE_PTR(v);
                        }
                        ws(&in);
                        if (in.p >= in.end)
                                return -EBADMSG;
                        char c = *in.p++;
                        if (c == '}')
                                break;
                        if (c != ',')
                                return -EBADMSG;
                }
        ws(&in);
        if (in.p != in.end || !root || !sig)
                return -EBADMSG;

        uint8_t tmp[64];
        size_t n;
        if (hex_decode(root, tmp, sizeof(tmp), &n) < 0 || n < 16)
                return -EBADMSG;
        for (char *c = root; *c; c++)
                if (*c >= 'A' && *c <= 'F')
                        *c = (char) (*c - 'A' + 'a');
        r = b64_decode(sig, &der, &der_size);
        if (r < 0)
                return r;
        *ret_roothash_hex = TAKE_PTR(root);
        *ret_der = TAKE_PTR(der);
        *ret_der_size = der_size;
        return 0;
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* 1 = this certificate verifies the signature, 0 = it does not. */
static int try_cert(PKCS7 *p7, const char *roothash_hex, const char *path) {
        _cleanup_(BIO_freep) BIO *cb = NULL, *content = NULL;
        _cleanup_(X509_freep) X509 *x = NULL;
        _cleanup_free_ char *pem = NULL;
        size_t n;
        int ok;

        if (read_input_at(AT_FDCWD, path, 0, CERT_FILE_MAX, &pem, &n) < 0)
                return 0;
        cb = BIO_new_mem_buf(pem, (int) n);
        if (!cb)
                return -ENOMEM;
        x = PEM_read_bio_X509(cb, NULL, NULL, NULL);
        if (!x) {
                ERR_clear_error();
                return 0;
        }
        STACK_OF(X509) *certs = sk_X509_new_null();
        if (!certs || !sk_X509_push(certs, x)) {
                sk_X509_free(certs);
                return -ENOMEM;
        }
        content = BIO_new_mem_buf(roothash_hex, (int) strlen(roothash_hex));
        ok = content && PKCS7_verify(p7, certs, NULL, content, NULL,
                                     PKCS7_NOINTERN | PKCS7_NOVERIFY | PKCS7_BINARY) == 1;
        ERR_clear_error();
        sk_X509_free(certs);
        return ok;
}

int verity_sig_verify(const char *roothash_hex, const uint8_t *der, size_t der_size,
                      const char *const *cert_dirs, char **ret_cert_path) {
        _cleanup_(PKCS7_freep) PKCS7 *p7 = NULL;
        const unsigned char *pp = der;

        if (der_size > VERITY_SIG_DER_MAX)
                return -EBADMSG;
        p7 = d2i_PKCS7(NULL, &pp, (long) der_size);
        if (!p7 || !PKCS7_type_is_signed(p7)) {
                ERR_clear_error();
                return -EBADMSG;
        }
        /* Every digest algorithm must be one OpenSSL knows: PKCS7_verify()
         * of OpenSSL 3.0 leaks its copy of the content BIO when it cannot
         * set up a digest (found by fuzz-sidecar). */
        const STACK_OF(X509_ALGOR) *mds = p7->d.sign ? p7->d.sign->md_algs : NULL;
        for (int i = 0; i < sk_X509_ALGOR_num(mds); i++)
                if (!EVP_get_digestbyobj(sk_X509_ALGOR_value(mds, i)->algorithm)) {
                        ERR_clear_error();
                        return -EBADMSG;
                }

        for (size_t d = 0; cert_dirs && cert_dirs[d]; d++) {
                _cleanup_free_ char **names = NULL;
                size_t n = 0;
                DIR *dir = opendir(cert_dirs[d]);
                if (!dir)
                        continue;
                names = calloc(CERT_FILES_MAX, sizeof(char *));
                if (!names) {
                        closedir(dir);
                        return -ENOMEM;
                }
                struct dirent *de;
                bool oom = false;
                while (!oom && (de = readdir(dir)) && n < CERT_FILES_MAX) {
                        size_t l = strlen(de->d_name);
                        if (l > 4 && streq(de->d_name + l - 4, ".crt") && de->d_name[0] != '.')
                                oom = !(names[n++] = strprintf("%s/%s", cert_dirs[d], de->d_name));
                }
                closedir(dir);
                if (oom) {
                        for (size_t j = 0; j < n; j++)
                                free(names[j]);
                        return -ENOMEM;
                }
                qsort(names, n, sizeof(char *), cmp_str);
                int found = -1;
                for (size_t i = 0; i < n && found < 0; i++) {
                        int r = try_cert(p7, roothash_hex, names[i]);
                        if (r < 0) {
                                for (size_t j = 0; j < n; j++)
                                        free(names[j]);
                                return r;
                        }
                        if (r > 0)
                                found = (int) i;
                }
                if (found >= 0 && ret_cert_path)
                        *ret_cert_path = TAKE_PTR(names[found]);
                for (size_t j = 0; j < n; j++)
                        free(names[j]);
                if (found >= 0)
                        return 0;
        }
        return -ENOKEY;
}
