/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "esp-pickup.h"

static char ascii_lower(char c) {
        return c >= 'A' && c <= 'Z' ? (char) (c + 32) : c;
}

bool esp_name_ok(const char *name, size_t len, const char *suffix) {
        size_t m = 0;

        if (!name || !suffix || len == 0 || len > ESP_NAME_MAX || name[0] == '.')
                return false;
        for (size_t i = 0; i < len; i++)
                if ((unsigned char) name[i] < 0x20 || (unsigned char) name[i] > 0x7e || name[i] == '/')
                        return false;
        while (suffix[m])
                m++;
        if (m > len)
                return false;
        for (size_t i = 0; i < m; i++)
                if (ascii_lower(name[len - m + i]) != ascii_lower(suffix[i]))
                        return false;
        return true;
}

const EspPickup esp_pickups[_ESP_PICKUP_MAX] = {
        [ESP_PICKUP_ADDON_CMDLINE] = {
                .kind = ESP_PICKUP_ADDONS, .global_dir = ESP_ADDONS_GLOBAL_DIR, .dropin = true,
                .suffix = ESP_ADDON_SUFFIX, .pcr = TPM2_PCR_KERNEL_CONFIG,
        },
        [ESP_PICKUP_CREDENTIALS] = {
                .kind = ESP_PICKUP_ARCHIVE, .dropin = true, .suffix = ".cred",
                .target = ".extra/credentials", .dir_mode = 0500, .file_mode = 0400,
                .pcr = TPM2_PCR_KERNEL_CONFIG, .description = "Credentials initrd",
        },
        [ESP_PICKUP_GLOBAL_CREDENTIALS] = {
                .kind = ESP_PICKUP_ARCHIVE, .global_dir = "loader/credentials", .suffix = ".cred",
                .target = ".extra/global_credentials", .dir_mode = 0500, .file_mode = 0400,
                .pcr = TPM2_PCR_KERNEL_CONFIG, .description = "Global credentials initrd",
        },
        [ESP_PICKUP_SYSEXTS] = {
                .kind = ESP_PICKUP_ARCHIVE, .dropin = true, .suffix = ".raw", .exclude = ".confext.raw",
                .target = ".extra/sysext", .dir_mode = 0555, .file_mode = 0444,
                .pcr = TPM2_PCR_SYSEXTS, .description = "System extension initrd",
        },
        [ESP_PICKUP_CONFEXTS] = {
                .kind = ESP_PICKUP_ARCHIVE, .dropin = true, .suffix = ".confext.raw",
                .target = ".extra/confext", .dir_mode = 0555, .file_mode = 0444,
                .pcr = TPM2_PCR_KERNEL_CONFIG, .description = "Configuration extension initrd",
        },
};

bool esp_pickup_name_ok(const EspPickup *p, const char *name, size_t len) {
        return p && esp_name_ok(name, len, p->suffix) && !(p->exclude && esp_name_ok(name, len, p->exclude));
}

int esp_name_cmp(const char *a, const char *b) {
        for (; *a && *a == *b; a++, b++)
                ;
        return (unsigned char) *a - (unsigned char) *b;
}

void esp_sort_names(char (*names)[ESP_NAME_MAX + 1], size_t n) {
        char t[ESP_NAME_MAX + 1];

        for (size_t i = 1; i < n; i++)
                for (size_t j = i; j > 0 && esp_name_cmp(names[j - 1], names[j]) > 0; j--) {
                        for (size_t k = 0; k <= ESP_NAME_MAX; k++) {
                                t[k] = names[j][k];
                                names[j][k] = names[j - 1][k];
                                names[j - 1][k] = t[k];
                        }
                }
}

bool esp_cmdline_append(char *buf, size_t bufsz, size_t *len, const char *piece, size_t n) {
        size_t end = 0, start = *len, need;

        if (!buf || bufsz == 0 || start >= bufsz)
                return false;
        n = MIN(n, (size_t) ESP_ADDON_CMDLINE_MAX);
        /* the used part ends at the first NUL; trailing spaces and control
         * characters (which become spaces) do not count */
        for (size_t i = 0; i < n && piece[i]; i++)
                if ((unsigned char) piece[i] > 0x20)
                        end = i + 1;
        if (end == 0)
                return true;
        need = start + (start > 0) + end;
        if (need >= bufsz)
                return false;
        if (start > 0)
                buf[start++] = ' ';
        for (size_t i = 0; i < end; i++)
                buf[start + i] = (unsigned char) piece[i] < 0x20 ? ' ' : piece[i];
        buf[need] = 0;
        *len = need;
        return true;
}
