/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Loading keys and certificates: PEM/DER files, or any OpenSSL 3 provider
 * URI through OSSL_STORE ("pkcs11:...", "file:..."), so HSM/PKCS#11 tokens
 * work. Encrypted PEM keys take a passphrase from passphrase_file when
 * given, else from the terminal; none of this prints except the prompt. */

#include <openssl/evp.h>
#include <openssl/x509.h>

/* Private key from a path or URI. -ENOENT missing file, -EBADMSG not a key
 * (or wrong passphrase: -EACCES), -EOPNOTSUPP unsupported key type. */
int keys_load_private(const char *path_or_uri, const char *passphrase_file, EVP_PKEY **ret);

/* Public key (PEM SubjectPublicKeyInfo, or the public half of a cert or private key). */
int keys_load_public(const char *path_or_uri, EVP_PKEY **ret);

/* One X.509 certificate (PEM or DER) from a path or URI. */
int keys_load_certificate(const char *path_or_uri, X509 **ret);

/* Does the private key belong to the public key/certificate? 1 yes, 0 no. */
int keys_match(EVP_PKEY *priv, EVP_PKEY *pub);

/* Load the OpenSSL 3 provider called name (e.g. "pkcs11", "tpm2") and keep
 * the default provider available, so that key and certificate URIs of that
 * provider load through the functions above. -ENOENT when it cannot be
 * loaded. */
int keys_load_provider(const char *name);

/* The cleanups (EVP_PKEY_freep, X509_freep, ...) live in openssl-util.h. */
#include "openssl-util.h"
