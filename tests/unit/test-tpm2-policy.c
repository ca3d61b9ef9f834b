/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PolicyPCR digests. Oracle: the "pol" values systemd-measure 252 (which asks
 * a TPM, here swtpm, to compute them) printed for PCR 11 values it also
 * printed; plus the marshalling layout from TPM 2.0 Part 2. */
#include "test.h"
#include "tpm2-policy.h"

static void unhex(const char *s, uint8_t *out) {
        for (size_t i = 0; s[2 * i]; i++) {
                unsigned v;
                sscanf(s + 2 * i, "%2x", &v);
                out[i] = (uint8_t) v;
        }
}

static void check_pol(uint16_t alg, const char *pcr_hex, size_t pcr_size, const char *pol_hex) {
        uint8_t pcr[64], policy[32] = {}, want[32];
        unhex(pcr_hex, pcr);
        unhex(pol_hex, want);
        CHECK_EQ_INT(tpm2_policy_pcr(policy, alg, 1u << 11, pcr, pcr_size), 0);
        CHECK(memcmp(policy, want, 32) == 0);
}

int main(void) {
        uint8_t sel[16];
        static const uint8_t want_sel[] = { 0, 0, 0, 1, 0x00, 0x0B, 3, 0x00, 0x08, 0x00 };
        CHECK_EQ_INT(tpm2_marshal_pcr_selection(0x000B, 1u << 11, sel, sizeof(sel)), 10);
        CHECK(memcmp(sel, want_sel, sizeof(want_sel)) == 0);
        CHECK_EQ_INT(tpm2_marshal_pcr_selection(0x000B, 1u << 24, sel, sizeof(sel)), -EINVAL);
        CHECK_EQ_INT(tpm2_marshal_pcr_selection(0x000B, 1, sel, 9), -EINVAL);

        /* systemd-measure 252 sign --linux=F(hello) --osrel=F(ID=debian) --phase=enter-initrd */
        check_pol(0x000B, "1550008119f1f6d9cb709195692b6606e5d47610ff7fabfba9a9eb6fce5f38b0", 32,
                  "e97d511dc58fe2a93fa28adb4ce2c3eaab8846cc093b1f21eb6bcb9579486120");
        check_pol(0x0004, "30ba4321ca6a7a71daae5de221461ea89f9721b4", 20,
                  "f99ebbe57ca55f7f5cf7ad5d97d965e725282acc0946bca9cbf410eb8a63158b");
        /* ... --osrel, --phase= (no phase) */
        check_pol(0x000B, "414e4f162cec3624ccbe9820d5890572918228b5c36796f3d49785ddf368a66e", 32,
                  "030ef38847392ac799a02b3e5e514945855718b4f55071d6ef932f935ec93df4");

        uint8_t p[32] = {};
        CHECK_EQ_INT(tpm2_policy_pcr(p, 0x000B, 0, "", 0), -EINVAL);
        TEST_DONE();
}
