/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for the Authenticode library: the streaming hasher against a
 * plain one-shot digest of the same bytes, the PE checksum against the
 * textbook 16-bit-word loop, certificate-table parsing of malformed tables,
 * PKCS#7 sign/parse/verify round trips, the layout (gaps, tail), and key
 * loading. The cross-check with independent tools is in
 * tests/interop/test-sign-*.sh. */
#include <fcntl.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "authenticode.h"
#include "keys.h"
#include "pe-format.h"
#include "test.h"
#include "util.h"

#define IMG_SIZE 100003u        /* odd on purpose */
#define CSUM_OFF 216u
#define SECDIR_OFF 280u

static uint8_t image[IMG_SIZE];

static unsigned seed = 1;
static unsigned rnd(void) {
        seed = seed * 1103515245u + 12345u;
        return (seed >> 8) & 0xffffff;
}

/* SHA-256 of the image without the two excluded fields, padded to 8. */
static void reference_digest(const uint8_t *p, size_t n, bool pad, uint8_t *out) {
        EVP_MD_CTX *c = EVP_MD_CTX_new();
        static const uint8_t zeros[8];
        unsigned len;

        CHECK(c);
        CHECK(EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1);
        CHECK(EVP_DigestUpdate(c, p, CSUM_OFF) == 1);
        CHECK(EVP_DigestUpdate(c, p + CSUM_OFF + 4, SECDIR_OFF - CSUM_OFF - 4) == 1);
        CHECK(EVP_DigestUpdate(c, p + SECDIR_OFF + 8, n - SECDIR_OFF - 8) == 1);
        if (pad && n % 8)
                CHECK(EVP_DigestUpdate(c, zeros, 8 - n % 8) == 1);
        CHECK(EVP_DigestFinal_ex(c, out, &len) == 1);
        EVP_MD_CTX_free(c);
}

/* The PE checksum as the PE documentation's reference loop has it: 16-bit
 * words, carry folded after each addition, CheckSum counted as zero, plus
 * the file size. */
static uint32_t reference_checksum(const uint8_t *p, size_t n) {
        uint32_t sum = 0;
        for (size_t i = 0; i < n; i += 2) {
                uint32_t w = p[i] | (i + 1 < n ? (uint32_t) p[i + 1] << 8 : 0);
                if (i >= CSUM_OFF && i < CSUM_OFF + 4)
                        w = 0;
                sum += w;
                sum = (sum & 0xffff) + (sum >> 16);
        }
        sum = (sum & 0xffff) + (sum >> 16);
        return sum + (uint32_t) n;
}

/* The checksum where carries pile up (all 0xFF: every 64-bit addition
 * carries, and the sum is a multiple of 0xFFFF), with zeros, and with
 * 0xFF only at odd or even offsets, in chunks of every alignment. */
static void test_checksum_extremes(void) {
        static const int kinds[] = { 0xff, 0x00, 0x1ff, 0x2ff };

        for (size_t t = 0; t < ELEMENTSOF(kinds); t++) {
                for (size_t i = 0; i < IMG_SIZE; i++)
                        image[i] = kinds[t] <= 0xff ? (uint8_t) kinds[t] : (i & 1) == (size_t) (kinds[t] >> 9) ? 0xff : 0;
                for (size_t step = 1; step <= 23; step += 11) {
                        AuthenticodeHasher *h = NULL;
                        uint8_t d[EVP_MAX_MD_SIZE];
                        uint64_t size = 0;
                        CHECK_EQ_INT(authenticode_hasher_new(EVP_sha256(), CSUM_OFF, SECDIR_OFF, &h), 0);
                        for (size_t off = 0, k; off < IMG_SIZE; off += k) {
                                k = MIN(off % 3 == 0 ? step : 4093 + step, IMG_SIZE - off);
                                CHECK_EQ_INT(authenticode_hasher_feed(h, image + off, k, off), 0);
                        }
                        CHECK_EQ_INT(authenticode_hasher_finish(h, true, d, NULL, &size), 0);
                        uint8_t *padded = calloc(1, size);
                        CHECK(padded);
                        memcpy(padded, image, IMG_SIZE);
                        memset(padded + SECDIR_OFF, 0, 8);
                        CHECK_EQ_INT(authenticode_hasher_pe_checksum(h, 0, 0, NULL, 0), reference_checksum(padded, size));
                        free(padded);
                        authenticode_hasher_free(h);
                }
        }
}

static void test_hasher_chunking(void) {
        uint8_t want[EVP_MAX_MD_SIZE], got[EVP_MAX_MD_SIZE];
        size_t got_size;
        uint64_t size;

        for (size_t i = 0; i < IMG_SIZE; i++)
                image[i] = (uint8_t) rnd();
        reference_digest(image, IMG_SIZE, true, want);

        for (int round = 0; round < 20; round++) {
                AuthenticodeHasher *h = NULL;
                CHECK_EQ_INT(authenticode_hasher_new(EVP_sha256(), CSUM_OFF, SECDIR_OFF, &h), 0);
                size_t off = 0;
                while (off < IMG_SIZE) {
                        /* chunk sizes 1..~8K, some splitting the excluded fields */
                        size_t k = round == 0 ? IMG_SIZE : 1 + rnd() % (round < 10 ? 7 : 8192);
                        k = MIN(k, IMG_SIZE - off);
                        CHECK_EQ_INT(authenticode_hasher_feed(h, image + off, k, off), 0);
                        off += k;
                }
                CHECK_EQ_INT(authenticode_hasher_finish(h, true, got, &got_size, &size), 0);
                CHECK_EQ_INT(got_size, 32);
                CHECK_EQ_INT(size, (IMG_SIZE + 7) / 8 * 8);
                CHECK(memcmp(got, want, 32) == 0);

                /* the checksum of the padded image with an empty directory entry */
                uint8_t *padded = calloc(1, size);
                CHECK(padded);
                memcpy(padded, image, IMG_SIZE);
                memset(padded + SECDIR_OFF, 0, 8);
                CHECK_EQ_INT(authenticode_hasher_pe_checksum(h, 0, 0, NULL, 0), reference_checksum(padded, size));

                /* and with a table appended and the entry set */
                uint8_t table[24];
                for (size_t i = 0; i < sizeof(table); i++)
                        table[i] = (uint8_t) rnd();
                uint8_t *full = calloc(1, size + sizeof(table));
                CHECK(full);
                memcpy(full, padded, size);
                memcpy(full + size, table, sizeof(table));
                le32_write(full + SECDIR_OFF, (uint32_t) size);
                le32_write(full + SECDIR_OFF + 4, sizeof(table));
                CHECK_EQ_INT(authenticode_hasher_pe_checksum(h, (uint32_t) size, sizeof(table), table, sizeof(table)),
                             reference_checksum(full, size + sizeof(table)));
                free(full);
                free(padded);
                authenticode_hasher_free(h);
        }

        /* Forward jumps count as zeros; going back is refused. */
        {
                uint8_t *z = calloc(1, IMG_SIZE);
                AuthenticodeHasher *h = NULL;
                CHECK(z);
                memcpy(z, image, 1000);
                memcpy(z + 5000, image + 5000, IMG_SIZE - 5000);
                reference_digest(z, IMG_SIZE, false, want);
                CHECK_EQ_INT(authenticode_hasher_new(EVP_sha256(), CSUM_OFF, SECDIR_OFF, &h), 0);
                CHECK_EQ_INT(authenticode_hasher_feed(h, image, 1000, 0), 0);
                CHECK_EQ_INT(authenticode_hasher_feed(h, image + 5000, IMG_SIZE - 5000, 5000), 0);
                CHECK_EQ_INT(authenticode_hasher_feed(h, image, 1, 10), -EINVAL);
                CHECK_EQ_INT(authenticode_hasher_finish(h, false, got, NULL, NULL), 0);
                CHECK(memcmp(got, want, 32) == 0);
                CHECK_EQ_INT(authenticode_hasher_finish(h, false, got, NULL, NULL), -EINVAL);
                authenticode_hasher_free(h);
                free(z);
        }

        /* Overlapping excluded fields are a caller bug. */
        AuthenticodeHasher *h = NULL;
        CHECK_EQ_INT(authenticode_hasher_new(EVP_sha256(), 100, 98, &h), -EINVAL);
        CHECK(!h);
}

static void put_entry(uint8_t *p, uint32_t len, uint16_t rev, uint16_t type) {
        le32_write(p, len);
        le16_write(p + 4, rev);
        le16_write(p + 6, type);
}

static void test_table_parse(void) {
        AuthenticodeEntry e[AUTHENTICODE_SIGNATURES_MAX];
        uint8_t t[64] = {};
        size_t n = 99;

        /* two entries, the first 13 bytes (padded to 16), the second 24 */
        put_entry(t, 13, WIN_CERT_REVISION_2_0, WIN_CERT_TYPE_PKCS_SIGNED_DATA);
        put_entry(t + 16, 24, WIN_CERT_REVISION_2_0, WIN_CERT_TYPE_PKCS_SIGNED_DATA);
        CHECK_EQ_INT(authenticode_table_parse(t, 40, e, ELEMENTSOF(e), &n), 0);
        CHECK_EQ_INT(n, 2);
        CHECK_EQ_INT(e[0].data_size, 5);
        CHECK_EQ_INT(e[1].offset, 16);
        CHECK_EQ_INT(e[1].data_size, 16);

        /* the last entry's padding not counted in the table size */
        CHECK_EQ_INT(authenticode_table_parse(t, 29, e, ELEMENTSOF(e), &n), -EBADMSG);  /* 29 < 16 + 24 */
        put_entry(t + 16, 13, WIN_CERT_REVISION_2_0, WIN_CERT_TYPE_PKCS_SIGNED_DATA);
        CHECK_EQ_INT(authenticode_table_parse(t, 29, e, ELEMENTSOF(e), &n), 0);
        CHECK_EQ_INT(n, 2);

        /* malformed */
        n = 77;
        CHECK_EQ_INT(authenticode_table_parse(t, 0, e, ELEMENTSOF(e), &n), -EBADMSG);
        CHECK_EQ_INT(authenticode_table_parse(t, 7, e, ELEMENTSOF(e), &n), -EBADMSG);
        put_entry(t, 7, WIN_CERT_REVISION_2_0, WIN_CERT_TYPE_PKCS_SIGNED_DATA);
        CHECK_EQ_INT(authenticode_table_parse(t, 40, e, ELEMENTSOF(e), &n), -EBADMSG);
        put_entry(t, 41, WIN_CERT_REVISION_2_0, WIN_CERT_TYPE_PKCS_SIGNED_DATA);
        CHECK_EQ_INT(authenticode_table_parse(t, 40, e, ELEMENTSOF(e), &n), -EBADMSG);
        put_entry(t, 0xfffffff8u, WIN_CERT_REVISION_2_0, WIN_CERT_TYPE_PKCS_SIGNED_DATA);
        CHECK_EQ_INT(authenticode_table_parse(t, 40, e, ELEMENTSOF(e), &n), -EBADMSG);
        put_entry(t, 0, WIN_CERT_REVISION_2_0, WIN_CERT_TYPE_PKCS_SIGNED_DATA);
        CHECK_EQ_INT(authenticode_table_parse(t, 40, e, ELEMENTSOF(e), &n), -EBADMSG);
        CHECK_EQ_INT(n, 77);    /* untouched on failure */

        /* more entries than the caller has room for */
        for (size_t i = 0; i < 8; i++)
                put_entry(t + 8 * i, 8, WIN_CERT_REVISION_2_0, WIN_CERT_TYPE_PKCS_SIGNED_DATA);
        CHECK_EQ_INT(authenticode_table_parse(t, 64, e, 3, &n), -E2BIG);
        CHECK_EQ_INT(authenticode_table_parse(t, 64, e, ELEMENTSOF(e), &n), 0);
        CHECK_EQ_INT(n, 8);

        /* append keeps 8-byte alignment and counts the padding */
        uint8_t *table = NULL;
        size_t size = 0;
        const uint8_t der[13] = { 1, 2, 3 };
        CHECK_EQ_INT(authenticode_table_append(&table, &size, der, sizeof(der)), 0);
        CHECK_EQ_INT(size, 24);
        CHECK_EQ_INT(le32_read(table), 24);
        CHECK_EQ_INT(le16_read(table + 4), WIN_CERT_REVISION_2_0);
        CHECK_EQ_INT(le16_read(table + 6), WIN_CERT_TYPE_PKCS_SIGNED_DATA);
        CHECK_EQ_INT(authenticode_table_append(&table, &size, der, 8), 0);
        CHECK_EQ_INT(size, 40);
        CHECK_EQ_INT(authenticode_table_parse(table, size, e, ELEMENTSOF(e), &n), 0);
        CHECK_EQ_INT(n, 2);
        CHECK_EQ_INT(e[1].offset, 24);
        free(table);
}

static EVP_PKEY *make_key(const char *type) {
        EVP_PKEY *k = streq(type, "RSA") ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) 2048)
                                         : EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        CHECK(k);
        return k;
}

static X509 *make_cert(EVP_PKEY *k, const char *cn) {
        X509 *x = X509_new();
        CHECK(x);
        CHECK(X509_set_version(x, 2) == 1);
        CHECK(ASN1_INTEGER_set(X509_get_serialNumber(x), 42) == 1);
        CHECK(X509_gmtime_adj(X509_getm_notBefore(x), 0));
        CHECK(X509_gmtime_adj(X509_getm_notAfter(x), 3600));
        X509_NAME *n = X509_get_subject_name(x);
        CHECK(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *) cn, -1, -1, 0) == 1);
        CHECK(X509_set_issuer_name(x, n) == 1);
        CHECK(X509_set_pubkey(x, k) == 1);
        CHECK(X509_sign(x, k, EVP_sha256()) > 0);
        return x;
}

static void test_pkcs7(void) {
        EVP_PKEY *k1 = make_key("RSA"), *k2 = make_key("RSA"), *kec = make_key("EC");
        X509 *c1 = make_cert(k1, "one"), *c2 = make_cert(k2, "two");
        uint8_t digest[32], *der = NULL, *der2 = NULL;
        size_t der_size = 0, der2_size = 0;
        AuthenticodeSignature *s = NULL;
        UkitError reason = UKIT_ERROR_INIT;

        for (size_t i = 0; i < sizeof(digest); i++)
                digest[i] = (uint8_t) (i * 7);

        CHECK_EQ_INT(authenticode_sign(EVP_sha256(), digest, 32, c1, NULL, k1, &der, &der_size), 0);
        CHECK_EQ_INT(authenticode_sign(EVP_sha256(), digest, 32, c1, NULL, k1, &der2, &der2_size), 0);
        CHECK_EQ_INT(der_size, der2_size);
        CHECK(memcmp(der, der2, der_size) == 0);        /* deterministic */
        OPENSSL_free(der2);

        CHECK_EQ_INT(authenticode_sign(EVP_sha256(), digest, 32, c1, NULL, k2, &der2, &der2_size), -EKEYREJECTED);
        CHECK_EQ_INT(authenticode_sign(EVP_sha256(), digest, 32, c1, NULL, kec, &der2, &der2_size), -EOPNOTSUPP);
        CHECK_EQ_INT(authenticode_sign(EVP_sha256(), digest, 31, c1, NULL, k1, &der2, &der2_size), -EINVAL);

        CHECK_EQ_INT(authenticode_signature_parse(der, der_size, &s), 0);
        CHECK(s->md == EVP_sha256());
        CHECK_EQ_INT(s->digest_size, 32);
        CHECK(memcmp(s->digest, digest, 32) == 0);
        CHECK(s->signer);
        CHECK(X509_cmp(s->signer, c1) == 0);

        STACK_OF(X509) *t1 = sk_X509_new_null(), *t2 = sk_X509_new_null();
        CHECK(t1 && t2);
        CHECK(sk_X509_push(t1, c1));
        CHECK(sk_X509_push(t2, c2));
        CHECK_EQ_INT(authenticode_signature_verify(s, NULL, &reason), 0);
        CHECK_EQ_INT(authenticode_signature_verify(s, t1, &reason), 0);
        CHECK_EQ_INT(authenticode_signature_verify(s, t2, &reason), -EKEYREJECTED);
        CHECK(reason.what[0]);
        CHECK_EQ_INT(reason.code, -EKEYREJECTED);
        authenticode_signature_free(s);
        s = NULL;

        /* Every single-byte corruption is caught: either the parse or the
         * signature check fails (or, for bytes outside anything signed,
         * such as the embedded certificate's own signature, the result
         * still verifies against the same key: it is never a different
         * accepted digest). */
        for (size_t i = 0; i < der_size; i += 1 + i / 64) {
                der[i] ^= 0x20;
                int r = authenticode_signature_parse(der, der_size, &s);
                if (r == 0) {
                        r = authenticode_signature_verify(s, t1, NULL);
                        if (r == 0)
                                CHECK(memcmp(s->digest, digest, 32) == 0);
                        authenticode_signature_free(s);
                        s = NULL;
                }
                der[i] ^= 0x20;
        }

        /* garbage and truncation */
        CHECK_EQ_INT(authenticode_signature_parse(der, der_size / 2, &s), -EBADMSG);
        CHECK_EQ_INT(authenticode_signature_parse(digest, sizeof(digest), &s), -EBADMSG);
        CHECK(!s);

        sk_X509_free(t1);
        sk_X509_free(t2);
        OPENSSL_free(der);
        X509_free(c1);
        X509_free(c2);
        EVP_PKEY_free(k1);
        EVP_PKEY_free(k2);
        EVP_PKEY_free(kec);
}

static void test_layout(void) {
        PeSection sections[3] = {
                { .name = ".b", .raw_offset = 0x600, .raw_size = 0x200 },
                { .name = ".a", .raw_offset = 0x400, .raw_size = 0x200 },
                { .name = ".c", .raw_offset = 0xa00, .raw_size = 0x200 },   /* 0x200 gap before it */
        };
        PeImage pe = {
                .has_security_dir = true,
                .checksum_offset = CSUM_OFF,
                .security_dir_offset = SECDIR_OFF,
                .size_of_headers = 0x400,
                .n_sections = 2,
                .sections = sections,
        };
        AuthenticodeLayout l;

        /* tiling sections, trailing data: linear */
        CHECK_EQ_INT(authenticode_layout_from_pe(&pe, 0x900, &l), 0);
        CHECK(l.linear);
        CHECK_EQ_INT(l.uncovered, 0);
        CHECK_EQ_INT(l.n_ranges, 4);
        CHECK_EQ_INT(l.ranges[1].start, 0x400);    /* sorted by PointerToRawData */
        CHECK_EQ_INT(l.ranges[3].start, 0x800);
        CHECK_EQ_INT(l.ranges[3].end, 0x900);

        /* a gap: not linear; the tail starts at SUM_OF_BYTES_HASHED */
        pe.n_sections = 3;
        CHECK_EQ_INT(authenticode_layout_from_pe(&pe, 0xd00, &l), 0);
        CHECK(!l.linear);
        CHECK_EQ_INT(l.uncovered, 0x200);
        CHECK_EQ_INT(l.first_uncovered, 0x800);
        CHECK_EQ_INT(l.n_ranges, 5);
        CHECK_EQ_INT(l.ranges[4].start, 0xa00);    /* 0x400 + 3 * 0x200 */
        CHECK_EQ_INT(l.ranges[4].end, 0xd00);

        /* section data past the image end */
        CHECK_EQ_INT(authenticode_layout_from_pe(&pe, 0xb00, &l), -EBADMSG);
}

static void write_text(const char *path, const char *text) {
        FILE *f = fopen(path, "we");
        CHECK(f);
        CHECK(fputs(text, f) >= 0);
        CHECK(fclose(f) == 0);
}

static void test_keys(void) {
        char dir[] = "/tmp/test-authenticode-XXXXXX", path[256], pass[256], bad[256], enc[256], cert[256];
        EVP_PKEY *k = make_key("RSA"), *got = NULL;
        X509 *c = make_cert(k, "keys"), *gotc = NULL;
        FILE *f;

        CHECK(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/k.pem", dir);
        snprintf(enc, sizeof(enc), "%s/enc.pem", dir);
        snprintf(pass, sizeof(pass), "%s/pass", dir);
        snprintf(bad, sizeof(bad), "%s/bad", dir);
        snprintf(cert, sizeof(cert), "%s/c.der", dir);

        CHECK(f = fopen(path, "we"));
        CHECK(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) == 1);
        fclose(f);
        CHECK(f = fopen(enc, "we"));
        CHECK(PEM_write_PrivateKey(f, k, EVP_aes_256_cbc(), (unsigned char *) "sesame", 6, NULL, NULL) == 1);
        fclose(f);
        CHECK(f = fopen(cert, "we"));
        CHECK(i2d_X509_fp(f, c) == 1);
        fclose(f);
        write_text(pass, "sesame\nignored second line\n");
        write_text(bad, "sesam\n");

        CHECK_EQ_INT(keys_load_private(path, NULL, &got), 0);
        CHECK(keys_match(got, k) == 1);
        EVP_PKEY_free(got);
        got = NULL;
        CHECK_EQ_INT(keys_load_private(enc, pass, &got), 0);
        CHECK(keys_match(got, k) == 1);
        EVP_PKEY_free(got);
        got = NULL;
        CHECK_EQ_INT(keys_load_private(enc, bad, &got), -EACCES);
        CHECK(!got);
        CHECK_EQ_INT(keys_load_private("/nonexistent/key.pem", NULL, &got), -ENOENT);
        CHECK_EQ_INT(keys_load_private(dir, NULL, &got), -EISDIR);
        CHECK_EQ_INT(keys_load_private(cert, NULL, &got), -EBADMSG);
        CHECK_EQ_INT(keys_load_certificate(cert, &gotc), 0);
        CHECK(X509_cmp(gotc, c) == 0);
        X509_free(gotc);
        gotc = NULL;
        CHECK_EQ_INT(keys_load_certificate(path, &gotc), -EBADMSG);
        CHECK_EQ_INT(keys_load_public(cert, &got), 0);
        CHECK(keys_match(k, got) == 1);
        EVP_PKEY_free(got);

        unlink(path);
        unlink(enc);
        unlink(pass);
        unlink(bad);
        unlink(cert);
        rmdir(dir);
        X509_free(c);
        EVP_PKEY_free(k);
}

/* authenticode_digest_fd(): the single-thread path (small), the
 * two-thread path (big) and the mapped path (non-linear) all give the
 * reference digest and checksum, and the copy is exact. */
static void test_digest_fd(void) {
        static const size_t sizes[] = { 1000, 300001, 5u * 1024u * 1024u + 3u };
        char in_path[] = "/tmp/test-authenticode-in-XXXXXX", out_path[] = "/tmp/test-authenticode-out-XXXXXX";

        for (size_t t = 0; t < ELEMENTSOF(sizes); t++)
                for (int linear = 0; linear <= 1; linear++) {
                        size_t n = sizes[t];
                        uint8_t *data = malloc(n), *copy = malloc(n), want[EVP_MAX_MD_SIZE], got[EVP_MAX_MD_SIZE];
                        int in = mkstemp(in_path), out = mkstemp(out_path);
                        AuthenticodeHasher *h = NULL;
                        const EVP_MD *md = EVP_sha256();

                        CHECK(data && copy && in >= 0 && out >= 0);
                        for (size_t i = 0; i < n; i++)
                                data[i] = (uint8_t) rnd();
                        CHECK(write(in, data, n) == (ssize_t) n);

                        AuthenticodeLayout l = {
                                .checksum_offset = CSUM_OFF,
                                .security_dir_offset = SECDIR_OFF,
                                .image_size = n,
                                .linear = linear,
                                .n_ranges = 1,
                                .ranges = { { 0, n } },
                        };
                        CHECK_EQ_INT(authenticode_digest_fd(in, &l, &md, 1, out, &h), 0);
                        CHECK_EQ_INT(authenticode_hasher_finish(h, false, got, NULL, NULL), 0);
                        reference_digest(data, n, false, want);
                        CHECK(memcmp(got, want, 32) == 0);
                        memset(data + SECDIR_OFF, 0, 8);
                        CHECK_EQ_INT(authenticode_hasher_pe_checksum(h, 0, 0, NULL, 0), reference_checksum(data, n));
                        CHECK(pread(out, copy, n, 0) == (ssize_t) n);
                        CHECK(pread(in, data, n, 0) == (ssize_t) n);
                        CHECK(memcmp(copy, data, n) == 0);

                        authenticode_hasher_free(h);
                        close(in);
                        close(out);
                        unlink(in_path);
                        unlink(out_path);
                        strcpy(in_path + strlen(in_path) - 6, "XXXXXX");
                        strcpy(out_path + strlen(out_path) - 6, "XXXXXX");
                        free(data);
                        free(copy);
                }
}

int main(void) {
        test_hasher_chunking();
        test_checksum_extremes();
        test_table_parse();
        test_pkcs7();
        test_layout();
        test_digest_fd();
        test_keys();
        TEST_DONE();
}
