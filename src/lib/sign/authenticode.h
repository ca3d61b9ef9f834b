/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Authenticode for PE images: the image digest, the certificate table
 * (WIN_CERTIFICATE entries) and the PKCS#7 SignedData that carries an
 * SpcIndirectDataContent/SpcPeImageData.
 *
 * The digest follows the "Windows Authenticode PE Signature Format"
 * document (see AuthenticodeLayout below); before a certificate table is
 * appended the image is padded with zeros to a multiple of 8 bytes (the
 * table must be quadword-aligned), and the padding is part of the digest,
 * as with sbsign, pesign and osslsigncode.
 *
 * Multiple signatures are several WIN_CERTIFICATE entries in one table, each
 * starting 8-byte aligned (as pesign and sbattach write them, and as EDK2's
 * DxeImageVerificationLib walks them).
 *
 * All functions return -errno; none prints. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

#include "pe.h"

#define AUTHENTICODE_TABLE_MAX          (16u * 1024u * 1024u)   /* certificate table bytes */
#define AUTHENTICODE_SIGNATURES_MAX     64u                     /* WIN_CERTIFICATE entries */
#define AUTHENTICODE_ALIGN              8u

/* What is hashed, per the Authenticode document (and as EDK2's
 * DxeImageVerificationLib, shim and sbsign do it): the headers up to
 * SizeOfHeaders without the two excluded fields, each section's raw data in
 * PointerToRawData order, then the bytes from SUM_OF_BYTES_HASHED (headers
 * plus all raw data sizes) to the certificate table. For an image whose
 * sections tile the file after the headers (every image ukit writes) this is
 * exactly the file in order ("linear"), which is what lets the hash run
 * while the image is written. Bytes in gaps between sections are not part
 * of the digest (firmware does not load them either); `uncovered` counts
 * them. */
#define AUTHENTICODE_RANGES_MAX (PE_SECTIONS_MAX + 2u)

typedef struct AuthenticodeRange {
        uint64_t start, end;
} AuthenticodeRange;

typedef struct AuthenticodeLayout {
        uint64_t checksum_offset;       /* 4 bytes: OptionalHeader.CheckSum */
        uint64_t security_dir_offset;   /* 8 bytes: DataDirectory[SECURITY] */
        uint64_t image_size;            /* bytes before the certificate table (or the file size) */
        AuthenticodeRange ranges[AUTHENTICODE_RANGES_MAX];      /* hashed, in this order */
        size_t n_ranges;
        bool linear;                    /* ranges are [0, image_size) in file order */
        uint64_t uncovered;             /* bytes of [0, image_size) in no range */
        uint64_t first_uncovered;       /* offset of the first such byte */
} AuthenticodeLayout;

/* The layout of a parsed image whose certificate table (if any) starts at
 * image_size. -EBADMSG if sections extend past image_size. */
int authenticode_layout_from_pe(const PeImage *pe, uint64_t image_size, AuthenticodeLayout *ret);

/* ---- streaming digest + PE checksum ---- */

typedef struct AuthenticodeHasher AuthenticodeHasher;

/* md: the digest (EVP_sha256() for Secure Boot). */
int authenticode_hasher_new(const EVP_MD *md, uint64_t checksum_offset, uint64_t security_dir_offset,
                            AuthenticodeHasher **ret);
void authenticode_hasher_free(AuthenticodeHasher *h);
static inline void authenticode_hasher_freep(AuthenticodeHasher **h) {
        if (*h)
                authenticode_hasher_free(*h);
}

/* Feed image bytes at file offset off. Calls must be in increasing file
 * order; a forward jump is taken as zero bytes (a sparse gap the writer
 * skipped), going backwards is -EINVAL. */
int authenticode_hasher_feed(AuthenticodeHasher *h, const void *buf, size_t n, uint64_t off);

/* Bytes fed so far (the next expected offset). */
uint64_t authenticode_hasher_position(const AuthenticodeHasher *h);
uint64_t authenticode_hasher_checksum_offset(const AuthenticodeHasher *h);
uint64_t authenticode_hasher_security_dir_offset(const AuthenticodeHasher *h);

/* Ends the image and returns the digest. With pad, first feeds the zero
 * padding up to the next multiple of 8 (for signing: where the certificate
 * table will go); without, hashes exactly what was fed (for verifying an
 * existing signature). *ret_size is the image size including any padding.
 * Call once; ret_digest must have room for EVP_MAX_MD_SIZE bytes. */
int authenticode_hasher_finish(AuthenticodeHasher *h, bool pad, uint8_t *ret_digest, size_t *ret_digest_size,
                               uint64_t *ret_size);

/* The PE CheckSum of the final file: the bytes fed (with CheckSum as zero
 * and the security directory entry left out), plus the final security
 * directory entry and certificate table. Valid after _finish(). */
uint32_t authenticode_hasher_pe_checksum(const AuthenticodeHasher *h, uint32_t security_dir_va,
                                         uint32_t security_dir_size, const void *table, size_t table_size);

/* Feeds bytes [0, layout->image_size) of fd to new hashers, one per md
 * (n_md of them, so one read serves several algorithms), not finished yet.
 * With copy_fd >= 0 the same bytes are also written there from offset 0
 * (re-signing into a new file reads the input once). */
int authenticode_digest_fd(int fd, const AuthenticodeLayout *layout, const EVP_MD *const *mds, size_t n_md,
                           int copy_fd, AuthenticodeHasher **ret_hashers);

/* ---- certificate table ---- */

typedef struct AuthenticodeEntry {
        uint64_t offset;                /* of the WIN_CERTIFICATE inside the table */
        uint32_t length;                /* dwLength, including the 8-byte header */
        uint16_t revision;
        uint16_t type;
        const uint8_t *data;            /* bCertificate, length - 8 bytes, points into the table */
        size_t data_size;
} AuthenticodeEntry;

/* Splits a certificate table into its entries. Entries of other revisions or
 * types are returned too (the caller decides); -EBADMSG when a length runs
 * past the table, is shorter than the header, or the table does not end
 * with the last entry (modulo the 8-byte padding). */
int authenticode_table_parse(const uint8_t *table, size_t size, AuthenticodeEntry *entries, size_t max,
                             size_t *ret_n);

/* Appends a WIN_CERTIFICATE (revision 2.0, PKCS_SIGNED_DATA) holding der to
 * the table in *table, *size (realloc'ed), padded to 8 bytes. */
int authenticode_table_append(uint8_t **table, size_t *size, const uint8_t *der, size_t der_size);

/* ---- PKCS#7 ---- */

/* SignedData over an image digest: one SignerInfo (issuer+serial of cert,
 * authenticated attributes contentType, messageDigest and an empty
 * SpcSpOpusInfo; no signingTime, so equal inputs give equal bytes with RSA
 * PKCS#1 v1.5), the signer certificate and any extra chain certificates.
 * -EKEYREJECTED when the key does not belong to the certificate,
 * -EOPNOTSUPP for key types other than RSA. */
int authenticode_sign(const EVP_MD *md, const uint8_t *digest, size_t digest_size, X509 *cert,
                      STACK_OF(X509) *chain, EVP_PKEY *key, uint8_t **ret_der, size_t *ret_der_size);

typedef struct AuthenticodeSignature {
        PKCS7 *p7;
        const EVP_MD *md;                       /* from the SpcIndirectDataContent DigestInfo */
        uint8_t digest[EVP_MAX_MD_SIZE];        /* the image digest that was signed */
        size_t digest_size;
        const uint8_t *content;                 /* SpcIndirectDataContent without its SEQUENCE header: */
        size_t content_size;                    /* what messageDigest covers (points into p7) */
        X509 *signer;                           /* borrowed from p7; NULL if the cert is missing */
} AuthenticodeSignature;

/* Parses a DER PKCS#7 Authenticode signature. -EBADMSG if malformed or not
 * Authenticode, -EOPNOTSUPP for an unknown digest algorithm. */
int authenticode_signature_parse(const uint8_t *der, size_t size, AuthenticodeSignature **ret);
void authenticode_signature_free(AuthenticodeSignature *s);
static inline void authenticode_signature_freep(AuthenticodeSignature **s) {
        if (*s)
                authenticode_signature_free(*s);
}

/* Nested signatures (osslsigncode -nest, signtool /as): further complete
 * Authenticode signatures carried in the signer's unauthenticated
 * attribute SPC_NESTED_SIGNATURE. Firmware and shim check only the outer
 * one; ukit lists them. Returns the index'th, -ENOENT past the last. */
int authenticode_signature_nested(const AuthenticodeSignature *s, size_t index, AuthenticodeSignature **ret);

/* Checks the SignerInfo's signature over the content. With trusted (a
 * non-empty stack), also checks that the signer chains to one of them
 * (any of them is a trust anchor, as db entries are for firmware; validity
 * times are not checked, firmware has no trusted clock; no EKU needed).
 * 0 ok, -EBADMSG bad signature, -EKEYREJECTED untrusted chain, with the
 * reason in the optional err. */
int authenticode_signature_verify(const AuthenticodeSignature *s, STACK_OF(X509) *trusted, UkitError *err);

/* "sha256" etc. */
const char *authenticode_md_name(const EVP_MD *md);

/* ---- summary (authenticode-summary.c) ---- */

#define AUTHENTICODE_SUMMARY_SIGNERS_MAX 4u

typedef struct AuthenticodeSigner {
        char *subject, *issuer;         /* "/C=DE/CN=..." (sbverify's format), or NULL */
} AuthenticodeSigner;

/* What a table entry holds, for showing: tolerant where
 * authenticode_signature_parse() is strict (any PKCS#7 SignedData). */
typedef struct AuthenticodeSummary {
        const char *digest;             /* "sha256", or NULL if not parseable */
        AuthenticodeSigner signers[AUTHENTICODE_SUMMARY_SIGNERS_MAX];
        size_t n_signers;
        size_t n_certs;                 /* embedded certificates */
        const char *problem;            /* "malformed PKCS#7", ..., or NULL */
} AuthenticodeSummary;

/* Fills *ret (zeroed first); never fails, a problem is in ret->problem. */
void authenticode_summarize(const AuthenticodeEntry *e, AuthenticodeSummary *ret);
void authenticode_summary_done(AuthenticodeSummary *s);

/* ---- images on disk ---- */

/* Ends an output file whose image bytes [0, position) were fed to h (and
 * written to out_fd), h finished: writes table (may be empty, for an
 * unsigned result) at the image end and patches the certificate-table
 * directory entry and CheckSum. -EFBIG when the table would start beyond
 * 4 GiB (the entry is 32-bit). */
int authenticode_hasher_write_table(const AuthenticodeHasher *h, int out_fd, const uint8_t *table, size_t table_size);

typedef struct AuthenticodeImage {
        PeImage *pe;
        AuthenticodeLayout layout;      /* image_size: start of the certificate table, else the file size */
        bool signed_;                   /* has a certificate table */
        uint8_t *table;                 /* the certificate table (NULL if unsigned) */
        size_t table_size;
        AuthenticodeEntry entries[AUTHENTICODE_SIGNATURES_MAX];
        size_t n_entries;
} AuthenticodeImage;

/* Parses the PE headers of fd and reads and splits its certificate table.
 * -EBADMSG etc.; the optional err says why (I/O errors have no reason). A
 * table that is not at the very end of the file is refused: its bytes and
 * those after it could not both be covered by the digest. */
int authenticode_image_load(int fd, AuthenticodeImage **ret, UkitError *err);
void authenticode_image_free(AuthenticodeImage *img);
static inline void authenticode_image_freep(AuthenticodeImage **p) {
        if (*p)
                authenticode_image_free(*p);
}
