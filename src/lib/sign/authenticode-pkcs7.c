/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The PKCS#7 side of Authenticode: SpcIndirectDataContent with
 * SpcPeImageData (ASN.1 from the "Windows Authenticode Portable Executable
 * Signature Format" document), signing an image digest, and parsing and
 * verifying existing signatures. */
#include <errno.h>
#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "authenticode.h"
#include "keys.h"
#include "openssl-util.h"
#include "util.h"

#define SPC_INDIRECT_DATA_OID   "1.3.6.1.4.1.311.2.1.4"
#define SPC_PE_IMAGE_DATA_OID   "1.3.6.1.4.1.311.2.1.15"
#define SPC_SP_OPUS_INFO_OID    "1.3.6.1.4.1.311.2.1.12"
#define SPC_NESTED_SIGNATURE_OID "1.3.6.1.4.1.311.2.4.1"

/* The file link every signer writes: an "obsolete" placeholder, in UTF-16BE. */
#define SPC_OBSOLETE_LINK       "<<<Obsolete>>>"

typedef struct SpcString SpcString;
typedef struct SpcSerializedObject SpcSerializedObject;
typedef struct SpcLink SpcLink;
typedef struct SpcPeImageData SpcPeImageData;
typedef struct SpcAttributeTypeAndOptionalValue SpcAttributeTypeAndOptionalValue;
typedef struct SpcDigestInfo SpcDigestInfo;
typedef struct SpcIndirectDataContent SpcIndirectDataContent;
DECLARE_ASN1_FUNCTIONS(SpcString)
DECLARE_ASN1_FUNCTIONS(SpcSerializedObject)
DECLARE_ASN1_FUNCTIONS(SpcLink)
DECLARE_ASN1_FUNCTIONS(SpcPeImageData)
DECLARE_ASN1_FUNCTIONS(SpcAttributeTypeAndOptionalValue)
DECLARE_ASN1_FUNCTIONS(SpcDigestInfo)
DECLARE_ASN1_FUNCTIONS(SpcIndirectDataContent)

/* SpcString ::= CHOICE { unicode [0] IMPLICIT BMPSTRING, ascii [1] IMPLICIT IA5STRING } */
struct SpcString {
        int type;
        union {
                ASN1_BMPSTRING *unicode;
                ASN1_IA5STRING *ascii;
        } value;
};

ASN1_CHOICE(SpcString) = {
        ASN1_IMP(SpcString, value.unicode, ASN1_BMPSTRING, 0),
        ASN1_IMP(SpcString, value.ascii, ASN1_IA5STRING, 1),
} ASN1_CHOICE_END(SpcString)

/* SpcSerializedObject ::= SEQUENCE { classId OCTET STRING, serializedData OCTET STRING } */
struct SpcSerializedObject {
        ASN1_OCTET_STRING *class_id;
        ASN1_OCTET_STRING *serialized_data;
};

ASN1_SEQUENCE(SpcSerializedObject) = {
        ASN1_SIMPLE(SpcSerializedObject, class_id, ASN1_OCTET_STRING),
        ASN1_SIMPLE(SpcSerializedObject, serialized_data, ASN1_OCTET_STRING),
} ASN1_SEQUENCE_END(SpcSerializedObject)

/* SpcLink ::= CHOICE { url [0] IMPLICIT IA5STRING, moniker [1] IMPLICIT
 * SpcSerializedObject, file [2] EXPLICIT SpcString } */
struct SpcLink {
        int type;
        union {
                ASN1_IA5STRING *url;
                SpcSerializedObject *moniker;
                SpcString *file;
        } value;
};

ASN1_CHOICE(SpcLink) = {
        ASN1_IMP(SpcLink, value.url, ASN1_IA5STRING, 0),
        ASN1_IMP(SpcLink, value.moniker, SpcSerializedObject, 1),
        ASN1_EXP(SpcLink, value.file, SpcString, 2),
} ASN1_CHOICE_END(SpcLink)

/* SpcPeImageData ::= SEQUENCE { flags SpcPeImageFlags DEFAULT {includeResources},
 *                              file [0] EXPLICIT SpcLink OPTIONAL } */
struct SpcPeImageData {
        ASN1_BIT_STRING *flags;
        SpcLink *file;
};

ASN1_SEQUENCE(SpcPeImageData) = {
        ASN1_OPT(SpcPeImageData, flags, ASN1_BIT_STRING),
        ASN1_EXP_OPT(SpcPeImageData, file, SpcLink, 0),
} ASN1_SEQUENCE_END(SpcPeImageData)

/* SpcAttributeTypeAndOptionalValue ::= SEQUENCE { type OBJECT IDENTIFIER, value ANY OPTIONAL } */
struct SpcAttributeTypeAndOptionalValue {
        ASN1_OBJECT *type;
        ASN1_TYPE *value;
};

ASN1_SEQUENCE(SpcAttributeTypeAndOptionalValue) = {
        ASN1_SIMPLE(SpcAttributeTypeAndOptionalValue, type, ASN1_OBJECT),
        ASN1_OPT(SpcAttributeTypeAndOptionalValue, value, ASN1_ANY),
} ASN1_SEQUENCE_END(SpcAttributeTypeAndOptionalValue)

/* DigestInfo ::= SEQUENCE { digestAlgorithm AlgorithmIdentifier, digest OCTET STRING } */
struct SpcDigestInfo {
        X509_ALGOR *digest_algorithm;
        ASN1_OCTET_STRING *digest;
};

ASN1_SEQUENCE(SpcDigestInfo) = {
        ASN1_SIMPLE(SpcDigestInfo, digest_algorithm, X509_ALGOR),
        ASN1_SIMPLE(SpcDigestInfo, digest, ASN1_OCTET_STRING),
} ASN1_SEQUENCE_END(SpcDigestInfo)

/* SpcIndirectDataContent ::= SEQUENCE { data SpcAttributeTypeAndOptionalValue, messageDigest DigestInfo } */
struct SpcIndirectDataContent {
        SpcAttributeTypeAndOptionalValue *data;
        SpcDigestInfo *message_digest;
};

ASN1_SEQUENCE(SpcIndirectDataContent) = {
        ASN1_SIMPLE(SpcIndirectDataContent, data, SpcAttributeTypeAndOptionalValue),
        ASN1_SIMPLE(SpcIndirectDataContent, message_digest, SpcDigestInfo),
} ASN1_SEQUENCE_END(SpcIndirectDataContent)

IMPLEMENT_ASN1_FUNCTIONS(SpcString)
IMPLEMENT_ASN1_FUNCTIONS(SpcSerializedObject)
IMPLEMENT_ASN1_FUNCTIONS(SpcLink)
IMPLEMENT_ASN1_FUNCTIONS(SpcPeImageData)
IMPLEMENT_ASN1_FUNCTIONS(SpcAttributeTypeAndOptionalValue)
IMPLEMENT_ASN1_FUNCTIONS(SpcDigestInfo)
IMPLEMENT_ASN1_FUNCTIONS(SpcIndirectDataContent)

DEFINE_TRIVIAL_CLEANUP_FUNC(SpcPeImageData *, SpcPeImageData_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(SpcIndirectDataContent *, SpcIndirectDataContent_free)

static const EVP_MD *md_from_nid(int nid) {
        /* Only the digests Authenticode signers use; MD5 is not accepted. */
        switch (nid) {
        case NID_sha1:
                return EVP_sha1();
        case NID_sha256:
                return EVP_sha256();
        case NID_sha384:
                return EVP_sha384();
        case NID_sha512:
                return EVP_sha512();
        default:
                return NULL;
        }
}

const char *authenticode_md_name(const EVP_MD *md) {
        switch (md ? EVP_MD_get_type(md) : NID_undef) {
        case NID_sha1:
                return "sha1";
        case NID_sha256:
                return "sha256";
        case NID_sha384:
                return "sha384";
        case NID_sha512:
                return "sha512";
        default:
                return "unknown";
        }
}

/* DER of the SpcIndirectDataContent for an image digest. */
static int idc_encode(const EVP_MD *md, const uint8_t *digest, size_t digest_size, uint8_t **ret, size_t *ret_size) {
        _cleanup_(SpcIndirectDataContent_freep) SpcIndirectDataContent *idc = NULL;
        _cleanup_(SpcPeImageData_freep) SpcPeImageData *pid = NULL;
        _cleanup_(OPENSSL_freep) uint8_t *pid_der = NULL;
        uint8_t obsolete[2 * (sizeof(SPC_OBSOLETE_LINK) - 1)];
        int pid_len, len;

        /* UTF-16BE, as BMPString wants. */
        for (size_t i = 0; i < sizeof(SPC_OBSOLETE_LINK) - 1; i++) {
                obsolete[2 * i] = 0;
                obsolete[2 * i + 1] = (uint8_t) SPC_OBSOLETE_LINK[i];
        }

        pid = SpcPeImageData_new();
        if (!pid)
                return -ENOMEM;
        pid->flags = ASN1_BIT_STRING_new();
        pid->file = SpcLink_new();
        if (!pid->flags || !pid->file)
                return -ENOMEM;
        pid->file->type = 2;
        pid->file->value.file = SpcString_new();
        if (!pid->file->value.file)
                return -ENOMEM;
        pid->file->value.file->type = 0;
        pid->file->value.file->value.unicode = ASN1_BMPSTRING_new();
        if (!pid->file->value.file->value.unicode ||
            ASN1_STRING_set(pid->file->value.file->value.unicode, obsolete, sizeof(obsolete)) != 1)
                return -ENOMEM;

        pid_len = i2d_SpcPeImageData(pid, &pid_der);
        if (pid_len <= 0)
                return -ENOMEM;

        idc = SpcIndirectDataContent_new();
        if (!idc)
                return -ENOMEM;
        idc->data->type = OBJ_txt2obj(SPC_PE_IMAGE_DATA_OID, 1);
        idc->data->value = ASN1_TYPE_new();
        if (!idc->data->type || !idc->data->value)
                return -ENOMEM;
        {
                ASN1_STRING *seq = ASN1_STRING_type_new(V_ASN1_SEQUENCE);
                if (!seq || ASN1_STRING_set(seq, pid_der, pid_len) != 1) {
                        ASN1_STRING_free(seq);
                        return -ENOMEM;
                }
                ASN1_TYPE_set(idc->data->value, V_ASN1_SEQUENCE, seq);
        }
        /* AlgorithmIdentifier with explicit NULL parameters, as every signer writes it. */
        if (X509_ALGOR_set0(idc->message_digest->digest_algorithm, OBJ_nid2obj(EVP_MD_get_type(md)), V_ASN1_NULL, NULL) != 1)
                return -ENOMEM;
        if (ASN1_OCTET_STRING_set(idc->message_digest->digest, digest, (int) digest_size) != 1)
                return -ENOMEM;

        uint8_t *der = NULL;
        len = i2d_SpcIndirectDataContent(idc, &der);
        if (len <= 0)
                return -ENOMEM;
        *ret = der;
        *ret_size = (size_t) len;
        return 0;
}

/* The length of a DER tag+length header, checking it is a SEQUENCE whose
 * length covers exactly the rest of the buffer. */
static int der_sequence_header(const uint8_t *der, size_t size, size_t *ret_header) {
        const unsigned char *p = der;
        long len;
        int tag, class;

        if (size == 0 || size > LONG_MAX)
                return -EBADMSG;
        int r = ASN1_get_object(&p, &len, &tag, &class, (long) size);
        if (r & 0x80)
                return -EBADMSG;
        if (tag != V_ASN1_SEQUENCE || class != V_ASN1_UNIVERSAL || !(r & V_ASN1_CONSTRUCTED))
                return -EBADMSG;
        size_t hdr = (size_t) (p - der);
        if (hdr > size || (size_t) len != size - hdr)
                return -EBADMSG;
        *ret_header = hdr;
        return 0;
}

int authenticode_sign(const EVP_MD *md, const uint8_t *digest, size_t digest_size, X509 *cert,
                      STACK_OF(X509) *chain, EVP_PKEY *key, uint8_t **ret_der, size_t *ret_der_size) {
        _cleanup_(OPENSSL_freep) uint8_t *idc_der = NULL;
        _cleanup_(PKCS7_freep) PKCS7 *p7 = NULL;
        _cleanup_(ASN1_OBJECT_freep) ASN1_OBJECT *idc_obj = NULL, *opus_obj = NULL;
        _cleanup_(ASN1_OCTET_STRING_freep) ASN1_OCTET_STRING *md_attr = NULL;
        uint8_t content_digest[EVP_MAX_MD_SIZE];
        unsigned content_digest_size = 0;
        size_t idc_size = 0, hdr;
        PKCS7_SIGNER_INFO *si;
        int r;

        if (!md || !digest || digest_size != (size_t) EVP_MD_get_size(md) || !cert || !key || !ret_der || !ret_der_size)
                return -EINVAL;
        if (!EVP_PKEY_is_a(key, "RSA"))
                return -EOPNOTSUPP;
        if (!keys_match(key, X509_get0_pubkey(cert)))
                return -EKEYREJECTED;

        r = idc_encode(md, digest, digest_size, &idc_der, &idc_size);
        if (r < 0)
                return r;
        r = der_sequence_header(idc_der, idc_size, &hdr);
        if (r < 0)
                return r;

        idc_obj = OBJ_txt2obj(SPC_INDIRECT_DATA_OID, 1);
        opus_obj = OBJ_txt2obj(SPC_SP_OPUS_INFO_OID, 1);
        if (!idc_obj || !opus_obj)
                return -ENOMEM;

        ERR_clear_error();
        p7 = PKCS7_new();
        if (!p7 || PKCS7_set_type(p7, NID_pkcs7_signed) != 1)
                return -ENOMEM;

        si = PKCS7_add_signature(p7, cert, key, md);
        if (!si)
                return -EINVAL;
        if (PKCS7_add_certificate(p7, cert) != 1)
                return -ENOMEM;
        for (int i = 0; chain && i < sk_X509_num(chain); i++)
                if (PKCS7_add_certificate(p7, sk_X509_value(chain, i)) != 1)
                        return -ENOMEM;

        /* contentInfo: SpcIndirectDataContent as an "other" content type. */
        {
                PKCS7 *inner = PKCS7_new();
                ASN1_STRING *seq = ASN1_STRING_type_new(V_ASN1_SEQUENCE);
                if (!inner || !seq || ASN1_STRING_set(seq, idc_der, (int) idc_size) != 1) {
                        PKCS7_free(inner);
                        ASN1_STRING_free(seq);
                        return -ENOMEM;
                }
                inner->type = OBJ_dup(idc_obj);
                inner->d.other = ASN1_TYPE_new();
                if (!inner->type || !inner->d.other) {
                        ASN1_STRING_free(seq);
                        PKCS7_free(inner);
                        return -ENOMEM;
                }
                ASN1_TYPE_set(inner->d.other, V_ASN1_SEQUENCE, seq);
                if (PKCS7_set_content(p7, inner) != 1) {
                        PKCS7_free(inner);
                        return -ENOMEM;
                }
        }

        /* messageDigest covers the content octets of the SEQUENCE, not its
         * tag and length (Authenticode's departure from PKCS#7). */
        if (EVP_Digest(idc_der + hdr, idc_size - hdr, content_digest, &content_digest_size, md, NULL) != 1)
                return -EIO;
        md_attr = ASN1_OCTET_STRING_new();
        if (!md_attr || ASN1_OCTET_STRING_set(md_attr, content_digest, (int) content_digest_size) != 1)
                return -ENOMEM;

        /* No signingTime: it would make every signature differ, and
         * firmware ignores it. */
        if (PKCS7_add_signed_attribute(si, NID_pkcs9_contentType, V_ASN1_OBJECT, OBJ_dup(idc_obj)) != 1)
                return -ENOMEM;
        if (PKCS7_add_signed_attribute(si, NID_pkcs9_messageDigest, V_ASN1_OCTET_STRING, md_attr) != 1)
                return -ENOMEM;
        md_attr = NULL;         /* owned by the attribute now */
        {
                static const uint8_t empty_sequence[] = { 0x30, 0x00 };
                STACK_OF(X509_ATTRIBUTE) *attrs = PKCS7_get_signed_attributes(si);
                if (!X509at_add1_attr_by_OBJ(&attrs, opus_obj, V_ASN1_SEQUENCE, empty_sequence, sizeof(empty_sequence)))
                        return -ENOMEM;
                si->auth_attr = attrs;
        }

        if (PKCS7_SIGNER_INFO_sign(si) != 1) {
                ERR_clear_error();
                return -EIO;
        }

        uint8_t *der = NULL;
        int len = i2d_PKCS7(p7, &der);
        if (len <= 0)
                return -ENOMEM;
        *ret_der = der;
        *ret_der_size = (size_t) len;
        OPENSSL_cleanse(content_digest, sizeof(content_digest));
        return 0;
}

void authenticode_signature_free(AuthenticodeSignature *s) {
        if (!s)
                return;
        PKCS7_free(s->p7);
        free(s);
}

int authenticode_signature_parse(const uint8_t *der, size_t size, AuthenticodeSignature **ret) {
        _cleanup_(PKCS7_freep) PKCS7 *p7 = NULL;
        _cleanup_(SpcIndirectDataContent_freep) SpcIndirectDataContent *idc = NULL;
        _cleanup_(ASN1_OBJECT_freep) ASN1_OBJECT *idc_obj = NULL, *pe_obj = NULL;
        const unsigned char *p = der;
        AuthenticodeSignature *s;
        size_t hdr;
        int r;

        if (!der || !ret)
                return -EINVAL;
        if (size == 0 || size > AUTHENTICODE_TABLE_MAX)
                return -EBADMSG;

        ERR_clear_error();
        p7 = d2i_PKCS7(NULL, &p, (long) size);
        if (!p7) {
                ERR_clear_error();
                return -EBADMSG;
        }
        /* Trailing bytes: at most the 8-byte alignment padding. */
        if (size - (size_t) (p - der) >= AUTHENTICODE_ALIGN)
                return -EBADMSG;
        if (!PKCS7_type_is_signed(p7) || !p7->d.sign || !p7->d.sign->contents)
                return -EBADMSG;

        idc_obj = OBJ_txt2obj(SPC_INDIRECT_DATA_OID, 1);
        pe_obj = OBJ_txt2obj(SPC_PE_IMAGE_DATA_OID, 1);
        if (!idc_obj || !pe_obj)
                return -ENOMEM;

        PKCS7 *contents = p7->d.sign->contents;
        if (!contents->type || OBJ_cmp(contents->type, idc_obj) != 0)
                return -EBADMSG;
        if (!contents->d.other || contents->d.other->type != V_ASN1_SEQUENCE || !contents->d.other->value.sequence)
                return -EBADMSG;

        /* Authenticode has exactly one signer. */
        STACK_OF(PKCS7_SIGNER_INFO) *sis = PKCS7_get_signer_info(p7);
        if (!sis || sk_PKCS7_SIGNER_INFO_num(sis) != 1)
                return -EBADMSG;

        const ASN1_STRING *seq = contents->d.other->value.sequence;
        const uint8_t *idc_der = ASN1_STRING_get0_data(seq);
        size_t idc_size = (size_t) ASN1_STRING_length(seq);
        r = der_sequence_header(idc_der, idc_size, &hdr);
        if (r < 0)
                return r;

        p = idc_der;
        idc = d2i_SpcIndirectDataContent(NULL, &p, (long) idc_size);
        if (!idc || (size_t) (p - idc_der) != idc_size) {
                ERR_clear_error();
                return -EBADMSG;
        }
        if (!idc->data->type || OBJ_cmp(idc->data->type, pe_obj) != 0)
                return -EBADMSG;

        const ASN1_OBJECT *alg = NULL;
        X509_ALGOR_get0(&alg, NULL, NULL, idc->message_digest->digest_algorithm);
        const EVP_MD *md = md_from_nid(OBJ_obj2nid(alg));
        if (!md)
                return -EOPNOTSUPP;
        int dlen = ASN1_STRING_length(idc->message_digest->digest);
        if (dlen != EVP_MD_get_size(md))
                return -EBADMSG;

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->md = md;
        s->digest_size = (size_t) dlen;
        memcpy(s->digest, ASN1_STRING_get0_data(idc->message_digest->digest), (size_t) dlen);
        s->content = idc_der + hdr;
        s->content_size = idc_size - hdr;

        /* The signer's certificate, by issuer and serial number. */
        PKCS7_SIGNER_INFO *si = sk_PKCS7_SIGNER_INFO_value(sis, 0);
        STACK_OF(X509) *certs = p7->d.sign->cert;
        for (int i = 0; certs && si->issuer_and_serial && i < sk_X509_num(certs); i++) {
                X509 *x = sk_X509_value(certs, i);
                if (X509_NAME_cmp(X509_get_issuer_name(x), si->issuer_and_serial->issuer) == 0 &&
                    ASN1_INTEGER_cmp(X509_get0_serialNumber(x), si->issuer_and_serial->serial) == 0) {
                        s->signer = x;
                        break;
                }
        }
        s->p7 = TAKE_PTR(p7);
        *ret = s;
        return 0;
}

int authenticode_signature_nested(const AuthenticodeSignature *s, size_t index, AuthenticodeSignature **ret) {
        _cleanup_(ASN1_OBJECT_freep) ASN1_OBJECT *obj = NULL;
        size_t seen = 0;

        if (!s || !s->p7 || !ret)
                return -EINVAL;
        obj = OBJ_txt2obj(SPC_NESTED_SIGNATURE_OID, 1);
        if (!obj)
                return -ENOMEM;

        PKCS7_SIGNER_INFO *si = sk_PKCS7_SIGNER_INFO_value(PKCS7_get_signer_info(s->p7), 0);
        STACK_OF(X509_ATTRIBUTE) *attrs = si ? si->unauth_attr : NULL;
        for (int i = 0; attrs && i < sk_X509_ATTRIBUTE_num(attrs); i++) {
                X509_ATTRIBUTE *a = sk_X509_ATTRIBUTE_value(attrs, i);
                if (OBJ_cmp(X509_ATTRIBUTE_get0_object(a), obj) != 0)
                        continue;
                for (int j = 0; j < X509_ATTRIBUTE_count(a); j++, seen++) {
                        if (seen != index)
                                continue;
                        ASN1_TYPE *t = X509_ATTRIBUTE_get0_type(a, j);
                        if (!t || t->type != V_ASN1_SEQUENCE || !t->value.sequence)
                                return -EBADMSG;
                        return authenticode_signature_parse(ASN1_STRING_get0_data(t->value.sequence),
                                                            (size_t) ASN1_STRING_length(t->value.sequence), ret);
                }
        }
        return -ENOENT;
}

/* Fills err with OpenSSL's reason (or fallback) and returns r. */
static int set_reason(UkitError *err, int r, const char *fallback) {
        unsigned long e = ERR_peek_last_error();
        const char *why = e ? ERR_reason_error_string(e) : NULL;

        ukit_error(err, r, "%s", why ? why : fallback);
        ERR_clear_error();
        return r;
}

/* The signed content as a BIO. Behind a null filter, because for a memory
 * BIO PKCS7_verify() (OpenSSL 3.0) makes its own copy, which it leaks when
 * the SignedData is malformed in certain ways (found by the unit test). */
static BIO *content_bio(const AuthenticodeSignature *s) {
        BIO *mem = BIO_new_mem_buf(s->content, (int) s->content_size);
        BIO *filter = BIO_new(BIO_f_null());
        if (!mem || !filter) {
                BIO_free(mem);
                BIO_free(filter);
                return NULL;
        }
        return BIO_push(filter, mem);
}

int authenticode_signature_verify(const AuthenticodeSignature *s, STACK_OF(X509) *trusted, UkitError *err) {
        _cleanup_(BIO_free_allp) BIO *content = NULL;
        _cleanup_(X509_STORE_freep) X509_STORE *store = NULL;
        bool chain = trusted && sk_X509_num(trusted) > 0;

        if (!s || !s->p7)
                return -EINVAL;
        if (!s->signer)
                return ukit_error(err, -EBADMSG, "signer certificate missing");

        ERR_clear_error();
        content = content_bio(s);
        store = X509_STORE_new();
        if (!content || !store)
                return -ENOMEM;

        /* First the signature alone, so a bad signature and an untrusted
         * signer are told apart. */
        if (PKCS7_verify(s->p7, NULL, store, content, NULL, PKCS7_BINARY | PKCS7_NOVERIFY) != 1)
                return set_reason(err, -EBADMSG, "bad signature");
        if (!chain)
                return 0;

        for (int i = 0; i < sk_X509_num(trusted); i++)
                if (X509_STORE_add_cert(store, sk_X509_value(trusted, i)) != 1)
                        return -ENOMEM;
        /* db entries are trust anchors wherever they sit in the chain; no
         * trusted clock in firmware; Secure Boot certificates rarely carry
         * an S/MIME or code-signing EKU. */
        X509_STORE_set_flags(store, X509_V_FLAG_PARTIAL_CHAIN | X509_V_FLAG_NO_CHECK_TIME);
        X509_STORE_set_purpose(store, X509_PURPOSE_ANY);

        BIO_free_all(content);
        content = content_bio(s);
        if (!content)
                return -ENOMEM;
        if (PKCS7_verify(s->p7, NULL, store, content, NULL, PKCS7_BINARY) != 1)
                return set_reason(err, -EKEYREJECTED, "signer does not chain to a trusted certificate");
        return 0;
}
