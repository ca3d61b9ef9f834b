/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The ESP pick-up rules ukit-stub and `ukit measure --esp` share
 * (src/fundamental/esp-pickup.c): the input is split at '\n' into
 * directory entry names and add-on command lines. Names that pass the
 * filter must be what the stub can put into an archive, sorting must give
 * an ordered permutation, and the joined command line must stay within its
 * buffer, NUL-terminated, without control characters or trailing spaces. */
#include <stdlib.h>
#include <string.h>

#include "esp-pickup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static char names[ESP_ADDONS_MAX][ESP_NAME_MAX + 1];
        static char buf[ESP_ADDONS_CMDLINE_MAX + 1];
        const char *suffixes[] = { ".cred", ".raw", ESP_ADDON_SUFFIX };
        size_t n = 0, len = 0, pos = 0, bufsz;

        if (size < 1 || size > 64 * 1024)
                return 0;
        const char *suffix = suffixes[data[0] % 3];
        /* small buffers too, to reach the "does not fit" path */
        bufsz = data[0] & 0x80 ? 64 : sizeof(buf);
        buf[0] = 0;
        for (size_t i = 1; i <= size; i++) {
                if (i < size && data[i] != '\n')
                        continue;
                const char *s = (const char *) data + pos + 1;
                size_t l = i - pos - 1;
                pos = i;
                size_t before = len;
                char copy[ESP_ADDONS_CMDLINE_MAX + 1];
                memcpy(copy, buf, len + 1);
                if (!esp_cmdline_append(buf, bufsz, &len, s, l) && (len != before || memcmp(copy, buf, len + 1) != 0))
                        abort();        /* failure must leave the buffer alone */
                if (len >= bufsz || strlen(buf) != len || (len > 0 && buf[len - 1] == ' '))
                        abort();
                for (size_t k = 0; k < len; k++)
                        if ((unsigned char) buf[k] < 0x20)
                                abort();
                if (!esp_name_ok(s, l, suffix))
                        continue;
                if (l > ESP_NAME_MAX || memchr(s, '/', l) || memchr(s, 0, l) || s[0] == '.')
                        abort();
                if (n < ESP_ADDONS_MAX) {
                        memcpy(names[n], s, l);
                        names[n++][l] = 0;
                }
        }
        unsigned sum_before = 0, sum_after = 0;
        for (size_t i = 0; i < n; i++)
                for (size_t k = 0; names[i][k]; k++)
                        sum_before += (unsigned char) names[i][k];
        esp_sort_names(names, n);
        for (size_t i = 0; i < n; i++) {
                if (i > 0 && esp_name_cmp(names[i - 1], names[i]) > 0)
                        abort();
                if (!esp_name_ok(names[i], strlen(names[i]), suffix))
                        abort();
                for (size_t k = 0; names[i][k]; k++)
                        sum_after += (unsigned char) names[i][k];
        }
        if (sum_before != sum_after)
                abort();
        return 0;
}
