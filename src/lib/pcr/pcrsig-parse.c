/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading .pcrsig JSON back into a PcrSig (see pcrsig.h for the format):
 * used by the .pcrsig audit (pcrsig-verify.c) and by `ukit measure sign
 * --append`. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "json-parse.h"
#include "pcrsig.h"
#include "util.h"

#define seterr(err, ...) ukit_error(err, -EBADMSG, __VA_ARGS__)

/* Strict base64 (RFC 4648, padded, no whitespace) into out. */
static int unbase64(const char *s, size_t len, uint8_t *out, size_t out_size, size_t *ret_size) {
        size_t pad = 0;
        if (len == 0 || len % 4 != 0 || len / 4 * 3 > out_size)
                return -1;
        for (size_t i = 0; i < len; i++) {
                char c = s[i];
                bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                             c == '+' || c == '/';
                if (c == '=' && i >= len - 2)
                        pad++;
                else if (!alnum || pad > 0)
                        return -1;
        }
        int k = EVP_DecodeBlock(out, (const unsigned char *) s, (int) len);
        if (k < 0 || (size_t) k < pad)
                return -1;
        *ret_size = (size_t) k - pad;
        return 0;
}

/* Validates the document's shape; returns the banks and the entry count. */
static int check_shape(const JsonValue *doc, unsigned *ret_banks, size_t *ret_entries, UkitError *err) {
        unsigned banks = 0;
        size_t total = 0;

        if (doc->type != JSON_TYPE_OBJECT)
                return seterr(err, "top level is a JSON %s, not an object",
                              json_type_to_string(doc->type));
        for (size_t i = 0; i < doc->object.n; i++) {
                const JsonMember *m = &doc->object.members[i];
                PcrBank b = pcr_bank_from_string(m->key);
                if (b == _PCR_BANK_INVALID || !streq(m->key, pcr_bank_to_string(b)))
                        return seterr(err, "unknown PCR bank \"%.32s\"", m->key);
                if (m->value->type != JSON_TYPE_ARRAY)
                        return seterr(err, "%s: not an array", m->key);
                for (size_t j = 0; j < m->value->array.n; j++) {
                        const JsonValue *e = m->value->array.items[j];
                        static const char *const fields[] = { "pcrs", "pkfp", "pol", "sig" };
                        if (e->type != JSON_TYPE_OBJECT)
                                return seterr(err, "%s[%zu]: not an object", m->key, j);
                        for (size_t f = 0; f < ELEMENTSOF(fields); f++) {
                                const JsonValue *v = json_object_find(e, fields[f]);
                                JsonType want = f == 0 ? JSON_TYPE_ARRAY : JSON_TYPE_STRING;
                                if (!v || v->type != want)
                                        return seterr(err, "%s[%zu]: \"%s\" %s", m->key, j,
                                                      fields[f], v ? "has the wrong type" : "missing");
                        }
                }
                banks |= PCR_BANK_BIT(b);
                total += m->value->array.n;
        }
        if (total > PCRSIG_ENTRIES_MAX)
                return seterr(err, "more than %u entries", PCRSIG_ENTRIES_MAX);
        *ret_banks = banks;
        *ret_entries = total;
        return 0;
}

static bool pcrs_is_11(const JsonValue *pcrs) {
        return pcrs->array.n == 1 && pcrs->array.items[0]->type == JSON_TYPE_INTEGER &&
               pcrs->array.items[0]->integer == TPM2_PCR_KERNEL_BOOT;
}

static int decode_entry(const JsonValue *e, PcrBank b, const char *bank, size_t j, PcrSigEntry *x,
                        UkitError *err) {
        const JsonValue *pkfp = json_object_find(e, "pkfp"), *pol = json_object_find(e, "pol"),
                        *sig = json_object_find(e, "sig");
        uint8_t sigv[PCRSIG_SIG_MAX];
        size_t sig_size = 0;

        *x = (PcrSigEntry) { .bank = b, .index = j, .not_pcr11 = !pcrs_is_11(json_object_find(e, "pcrs")) };
        if (unhexmem(pkfp->string.str, pkfp->string.len, x->pkfp, sizeof(x->pkfp)) < 0)
                return seterr(err, "%s[%zu]: \"pkfp\" is not %u hex digits",
                              bank, j, 2 * PCRSIG_FINGERPRINT_SIZE);
        if (unhexmem(pol->string.str, pol->string.len, x->pol, sizeof(x->pol)) < 0)
                return seterr(err, "%s[%zu]: \"pol\" is not 64 hex digits", bank, j);
        if (unbase64(sig->string.str, sig->string.len, sigv, sizeof(sigv), &sig_size) < 0)
                return seterr(err, "%s[%zu]: \"sig\" is not base64", bank, j);
        x->sig = malloc(MAX(sig_size, (size_t) 1));
        if (!x->sig)
                return -ENOMEM;
        memcpy(x->sig, sigv, sig_size);
        x->sig_size = sig_size;
        return 0;
}

int pcrsig_parse(const void *text, size_t n, PcrSig *ret, unsigned *ret_banks, UkitError *err) {
        _cleanup_json_value_ JsonValue *doc = NULL;
        _cleanup_(pcrsig_done) PcrSig s = {};
        UkitError jerr = UKIT_ERROR_INIT;
        size_t total = 0;
        unsigned banks = 0;
        int r;

        /* A section is padded (zeros past the raw data, or NULs a tool
         * appended); the JSON is what precedes them. */
        while (n > 0 && ((const char *) text)[n - 1] == 0)
                n--;
        r = json_parse(text, n, &doc, &jerr);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return seterr(err, "malformed JSON at offset %" PRIu64 ": %s", jerr.offset, jerr.what);
        r = check_shape(doc, &banks, &total, err);
        if (r < 0)
                return r;

        s.entries = calloc(MAX(total, (size_t) 1), sizeof(PcrSigEntry));
        if (!s.entries)
                return -ENOMEM;
        /* In bank order, as pcrsig_write_json() writes them. */
        for (int b = 0; b < _PCR_BANK_MAX; b++)
                for (size_t i = 0; i < doc->object.n; i++) {
                        const JsonMember *m = &doc->object.members[i];
                        if (pcr_bank_from_string(m->key) != (PcrBank) b)
                                continue;
                        for (size_t j = 0; j < m->value->array.n; j++) {
                                r = decode_entry(m->value->array.items[j], (PcrBank) b, m->key, j,
                                                 &s.entries[s.n_entries], err);
                                if (r < 0)
                                        return r;
                                s.n_entries++;
                        }
                }
        *ret = s;
        s = (PcrSig) {};
        if (ret_banks)
                *ret_banks = banks;
        return 0;
}
