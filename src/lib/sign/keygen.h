/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Key and certificate generation, as `ukify genkey` does it: a Secure Boot
 * signing key (RSA-2048) with a self-signed code-signing certificate, and
 * PCR signing key pairs (RSA-2048), all as PEM text in memory. Writing the
 * files is the caller's. */

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

#define KEYGEN_RSA_BITS         2048
#define KEYGEN_PCR_KEYS_MAX     16u
#define KEYGEN_VALIDITY_DEFAULT (365 * 10)      /* ukify's default, days */
#define KEYGEN_VALIDITY_MAX     36525           /* ~100 years: X509_time_adj_ex takes days as int */
#define KEYGEN_CN_MAX           64              /* X.520 ub-common-name */

typedef struct KeygenSpec {
        bool secureboot;        /* make the Secure Boot key + certificate */
        const char *cn;         /* certificate CN; NULL: "SecureBoot signing key on host FQDN" */
        long validity_days;     /* 1..KEYGEN_VALIDITY_MAX */
        size_t n_pcr;           /* PCR signing keys to make (<= KEYGEN_PCR_KEYS_MAX) */
} KeygenSpec;

/* PEM text; wiped when freed (it may be a private key). */
typedef struct KeygenPem {
        char *data;
        size_t size;
} KeygenPem;

typedef struct KeygenResult {
        KeygenPem sb_key;       /* "BEGIN RSA PRIVATE KEY" (ukify's traditional format) */
        KeygenPem sb_cert;      /* "BEGIN CERTIFICATE" */
        KeygenPem pcr_priv[KEYGEN_PCR_KEYS_MAX];
        KeygenPem pcr_pub[KEYGEN_PCR_KEYS_MAX];   /* "BEGIN PUBLIC KEY" */
        size_t n_pcr;
} KeygenResult;

/* Generate what spec asks for. -EINVAL bad spec, -ENOMEM, -EIO OpenSSL
 * failed (err says which key). Nothing is returned on failure. */
int keygen_generate(const KeygenSpec *spec, KeygenResult *ret, UkitError *err);

void keygen_result_done(KeygenResult *r);

/* "SecureBoot signing key on host FQDN", cut to KEYGEN_CN_MAX bytes with
 * "..." as ukify does. */
void keygen_default_cn(char *buf, size_t size);
