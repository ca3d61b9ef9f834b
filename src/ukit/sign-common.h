/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared by `ukit sign` and `ukit build --secureboot-*`. */

#include <openssl/evp.h>
#include <openssl/x509.h>

/* The smallest RSA key UEFI firmware (and Microsoft's signing policy)
 * accepts for image signatures. */
#define SIGN_RSA_BITS_MIN 2048

/* Loads a Secure Boot signing key and its certificate and checks that they
 * belong together, the key is RSA of at least SIGN_RSA_BITS_MIN bits and
 * the certificate is within its validity period (neither expired nor
 * not valid yet). Prints a one-line error and returns -errno, or returns
 * 0. */
int sign_load_key_and_cert(const char *key_path, const char *passphrase_file, const char *cert_path,
                           EVP_PKEY **ret_key, X509 **ret_cert);
