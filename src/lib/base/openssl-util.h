/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Cleanup helpers for OpenSSL 3 objects, for _cleanup_(TYPE_freep): the one
 * place they are defined. Each is a no-op on NULL. */

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pkcs7.h>
#include <openssl/store.h>
#include <openssl/ui.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "util.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(ASN1_OBJECT *, ASN1_OBJECT_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(ASN1_OCTET_STRING *, ASN1_OCTET_STRING_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(BIGNUM *, BN_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(BIO *, BIO_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(BIO *, BIO_free_all)
DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_MD_CTX *, EVP_MD_CTX_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_PKEY *, EVP_PKEY_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_PKEY_CTX *, EVP_PKEY_CTX_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(OSSL_STORE_CTX *, OSSL_STORE_close)
DEFINE_TRIVIAL_CLEANUP_FUNC(OSSL_STORE_INFO *, OSSL_STORE_INFO_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(PKCS7 *, PKCS7_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(UI_METHOD *, UI_destroy_method)
DEFINE_TRIVIAL_CLEANUP_FUNC(X509 *, X509_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(X509_EXTENSION *, X509_EXTENSION_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(X509_NAME *, X509_NAME_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(X509_STORE *, X509_STORE_free)

/* For memory OpenSSL hands out (i2d_*, X509_NAME_oneline, BN_bn2hex). */
static inline void OPENSSL_freep(void *p) {
        OPENSSL_free(*(void **) p);
}

/* A certificate stack and the certificates on it. */
static inline void sk_X509_pop_freep(STACK_OF(X509) **s) {
        if (*s)
                sk_X509_pop_free(*s, X509_free);
}
