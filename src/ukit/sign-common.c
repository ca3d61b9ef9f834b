/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>

#include "cli.h"
#include "keys.h"
#include "openssl-util.h"
#include "sign-common.h"
#include "util.h"

static int key_error(int r, const char *path) {
        switch (r) {
        case -EACCES:
                return log_error_r(r, "%s: wrong or missing passphrase for the private key", path);
        case -EOPNOTSUPP:
                return log_error_r(r, "%s: unsupported key type (Secure Boot signatures need RSA)", path);
        case -EBADMSG:
                return log_error_r(r, "%s: no usable private key found", path);
        default:
                return log_errno_r(r, "%s", path);
        }
}

int sign_load_key_and_cert(const char *key_path, const char *passphrase_file, const char *cert_path,
                           EVP_PKEY **ret_key, X509 **ret_cert) {
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
        _cleanup_(X509_freep) X509 *cert = NULL;
        int r;

        r = keys_load_private(key_path, passphrase_file, &key);
        if (r < 0)
                return key_error(r, key_path);
        if (!EVP_PKEY_is_a(key, "RSA")) {
                return log_error_r(-EOPNOTSUPP, "%s: unsupported key type %s (Secure Boot signatures need RSA)",
                                   key_path, EVP_PKEY_get0_type_name(key) ?: "unknown");
        }
        if (EVP_PKEY_get_bits(key) < SIGN_RSA_BITS_MIN) {
                return log_error_r(-EOPNOTSUPP, "%s: RSA key of %d bits is too small (at least %d)", key_path,
                                   EVP_PKEY_get_bits(key), SIGN_RSA_BITS_MIN);
        }

        r = keys_load_certificate(cert_path, &cert);
        if (r == -EBADMSG) {
                return log_error_r(r, "%s: no X.509 certificate found", cert_path);
        }
        if (r < 0)
                return log_errno_r(r, "%s", cert_path);

        if (!keys_match(key, X509_get0_pubkey(cert))) {
                return log_error_r(-EKEYREJECTED, "%s: private key does not match certificate %s", key_path, cert_path);
        }
        /* Firmware does not check validity dates, but a certificate outside
         * its validity period is a mistake (or a wrong clock) either way:
         * both ends are refused alike. */
        if (X509_cmp_current_time(X509_get0_notAfter(cert)) < 0) {
                return log_error_r(-EKEYEXPIRED, "%s: certificate has expired", cert_path);
        }
        if (X509_cmp_current_time(X509_get0_notBefore(cert)) > 0) {
                return log_error_r(-EKEYEXPIRED,
                                   "%s: certificate is not valid yet (its notBefore date is in the future)", cert_path);
        }

        *ret_key = TAKE_PTR(key);
        *ret_cert = TAKE_PTR(cert);
        return 0;
}
