/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz what `ukit verify` parses from an image: the certificate table
 * (WIN_CERTIFICATE entries) and each PKCS#7 Authenticode signature in it,
 * up to the signature check. An input starting with "MZ" is taken as a
 * whole PE image instead: headers, Authenticode layout, then its table. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "authenticode.h"
#include "pe-format.h"
#include "pe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_table(const uint8_t *table, size_t size) {
        AuthenticodeEntry entries[AUTHENTICODE_SIGNATURES_MAX];
        size_t n = 0;

        if (authenticode_table_parse(table, size, entries, AUTHENTICODE_SIGNATURES_MAX, &n) < 0)
                return;
        for (size_t i = 0; i < n; i++) {
                AuthenticodeSignature *s = NULL;
                UkitError reason = UKIT_ERROR_INIT;

                if (entries[i].data + entries[i].data_size > table + size)
                        __builtin_trap();       /* the parser's bounds are wrong */
                if (authenticode_signature_parse(entries[i].data, entries[i].data_size, &s) < 0)
                        continue;
                if (s->digest_size > sizeof(s->digest) || s->content + s->content_size < s->content)
                        __builtin_trap();
                (void) authenticode_signature_verify(s, NULL, &reason);
                for (size_t j = 0; j < AUTHENTICODE_SIGNATURES_MAX; j++) {
                        AuthenticodeSignature *nested = NULL;
                        if (authenticode_signature_nested(s, j, &nested) == -ENOENT)
                                break;
                        if (nested)
                                (void) authenticode_signature_verify(nested, NULL, NULL);
                        authenticode_signature_free(nested);
                }
                authenticode_signature_free(s);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size >= 2 && data[0] == 'M' && data[1] == 'Z') {
                PeImage *pe = NULL;
                AuthenticodeLayout l;

                if (pe_parse_buffer(data, size, &pe, NULL) < 0)
                        return 0;
                uint64_t image_size = pe->cert_table_size > 0 ? pe->cert_table_offset : pe->file_size;
                if (pe->has_security_dir && authenticode_layout_from_pe(pe, image_size, &l) == 0) {
                        for (size_t i = 0; i < l.n_ranges; i++)
                                if (l.ranges[i].start > l.ranges[i].end || l.ranges[i].end > image_size)
                                        __builtin_trap();
                }
                if (pe->cert_table_size > 0 && (uint64_t) pe->cert_table_offset + pe->cert_table_size <= size)
                        fuzz_table(data + pe->cert_table_offset, pe->cert_table_size);
                pe_image_free(pe);
                return 0;
        }
        fuzz_table(data, size);
        return 0;
}
