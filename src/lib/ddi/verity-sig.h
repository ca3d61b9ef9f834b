/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Root-hash signatures as systemd uses them (DPS "verity signature
 * partition"): a detached PKCS#7 over the lower-case hex root hash (no NUL,
 * no newline), without signed attributes, signer certificate embedded;
 * stored in the signature partition as compact JSON
 *   {"rootHash":"<hex>","certificateFingerprint":"<sha256 hex of cert DER>","signature":"<base64 DER>"}
 * NUL-padded to the partition size. */

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#define VERITY_SIG_PARTITION_SIZE   (16u * 1024u)       /* what systemd-repart uses */
#define VERITY_SIG_PARTITION_MAX    (4u * 1024u * 1024u) /* systemd's reader limit */
#define VERITY_SIG_DER_MAX          (1024u * 1024u)

/* Detached PKCS#7 (DER) of the hex string. */
int verity_sig_sign(const char *roothash_hex, EVP_PKEY *key, X509 *cert, uint8_t **ret_der, size_t *ret_size);

/* The JSON document (NUL-terminated, not padded). */
int verity_sig_json_build(const char *roothash_hex, X509 *cert, const uint8_t *der, size_t der_size,
                          char **ret_json, size_t *ret_size);

/* Parse a signature partition's content: JSON followed only by NULs.
 * Returns the rootHash (lower-cased hex, validated) and the decoded DER.
 * -EBADMSG malformed (not an object of strings, bad hex/base64, junk after
 * the first NUL), -E2BIG too large. Unknown keys are ignored. */
int verity_sig_json_parse(const void *data, size_t size, char **ret_roothash_hex,
                          uint8_t **ret_der, size_t *ret_der_size);

/* Check the PKCS#7 over the hex root hash against every "*.crt" (PEM) in the
 * given directories (NULL-terminated list; missing directories are fine),
 * systemd's userspace rule: the signer must be one of those certificates,
 * no chain or expiry check. 0 verified (*ret_cert_path, if non-NULL, names
 * the matching file), -ENOKEY no trusted certificate verifies it,
 * -EBADMSG the signature is not PKCS#7. */
int verity_sig_verify(const char *roothash_hex, const uint8_t *der, size_t der_size,
                      const char *const *cert_dirs, char **ret_cert_path);

/* Hex decoding (either case): -EINVAL on odd length/non-hex. Encoding:
 * hex_encode() in util.h. */
int hex_decode(const char *s, uint8_t *buf, size_t bufsz, size_t *ret_n);
