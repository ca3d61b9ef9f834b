/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PCR hashing and prediction. Oracles: OpenSSL's one-shot EVP_Digest for the
 * (threaded, chunked) multi-bank hasher, and values printed by
 * /usr/lib/systemd/systemd-measure 252 for the PCR 11 prediction. */
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <unistd.h>

#include "pcr.h"
#include "test.h"
#include "util.h"

static void hex(const uint8_t *p, size_t n, char *out) {
        for (size_t i = 0; i < n; i++)
                sprintf(out + 2 * i, "%02x", p[i]);
}

static const EVP_MD *md_of(PcrBank b) {
        return b == PCR_BANK_SHA1 ? EVP_sha1() : b == PCR_BANK_SHA256 ? EVP_sha256() :
               b == PCR_BANK_SHA384 ? EVP_sha384() : EVP_sha512();
}

static void test_banks(void) {
        CHECK_EQ_INT(pcr_bank_from_string("SHA256"), PCR_BANK_SHA256);
        CHECK_EQ_INT(pcr_bank_from_string("sha1"), PCR_BANK_SHA1);
        CHECK_EQ_INT(pcr_bank_from_string("md5"), _PCR_BANK_INVALID);
        CHECK_EQ_INT(pcr_bank_from_string("sha3-256"), _PCR_BANK_INVALID);
        CHECK_EQ_INT(pcr_bank_digest_size(PCR_BANK_SHA384), 48);
        CHECK_EQ_INT(pcr_bank_tpm2_alg(PCR_BANK_SHA256), 0x000B);
        CHECK_EQ_STR(pcr_bank_to_string(PCR_BANK_SHA512), "sha512");
}

/* Multi-bank hasher with odd update sizes and 1..4 threads == one-shot digests. */
static void test_hasher(void) {
        size_t n = 3 * 1024 * 1024 + 12345;
        uint8_t *data = malloc(n);
        CHECK(data);
        for (size_t i = 0; i < n; i++)
                data[i] = (uint8_t) (i * 2654435761u >> 13);

        for (unsigned threads = 1; threads <= 4; threads++) {
                _cleanup_pcr_hasher_ PcrHasher *h = NULL;
                uint8_t d[_PCR_BANK_MAX][PCR_DIGEST_MAX];
                CHECK_EQ_INT(pcr_hasher_new(PCR_BANKS_ALL, threads, &h), 0);
                size_t steps[] = { 1, 4095, 300000, 1048576, 7 };
                size_t off = 0;
                for (unsigned i = 0; off < n; i++) {
                        size_t m = MIN(steps[i % ELEMENTSOF(steps)], n - off);
                        CHECK_EQ_INT(pcr_hasher_update(h, data + off, m), 0);
                        off += m;
                }
                CHECK_EQ_INT(pcr_hasher_final(h, d), 0);
                for (int b = 0; b < _PCR_BANK_MAX; b++) {
                        uint8_t ref[PCR_DIGEST_MAX];
                        CHECK(EVP_Digest(data, n, ref, NULL, md_of((PcrBank) b), NULL) == 1);
                        CHECK(memcmp(ref, d[b], pcr_bank_digest_size((PcrBank) b)) == 0);
                }
                /* After final the hasher starts over: empty stream. */
                CHECK_EQ_INT(pcr_hasher_final(h, d), 0);
                uint8_t empty[PCR_DIGEST_MAX];
                CHECK(EVP_Digest("", 0, empty, NULL, EVP_sha512(), NULL) == 1);
                CHECK(memcmp(empty, d[PCR_BANK_SHA512], 64) == 0);
        }

        /* From a file (mmap path) and zeros. */
        char path[] = "/tmp/test-pcr.XXXXXX";
        int fd = mkstemp(path);
        CHECK(fd >= 0);
        CHECK(write(fd, data, n) == (ssize_t) n);
        unlink(path);
        {
                _cleanup_pcr_hasher_ PcrHasher *h = NULL;
                uint8_t d[_PCR_BANK_MAX][PCR_DIGEST_MAX], ref[PCR_DIGEST_MAX];
                CHECK_EQ_INT(pcr_hasher_new(PCR_BANK_BIT(PCR_BANK_SHA256) | PCR_BANK_BIT(PCR_BANK_SHA384), 0, &h), 0);
                CHECK_EQ_INT(pcr_hasher_update_fd(h, fd, 100, n - 100), 0);
                CHECK_EQ_INT(pcr_hasher_final(h, d), 0);
                CHECK(EVP_Digest(data + 100, n - 100, ref, NULL, EVP_sha384(), NULL) == 1);
                CHECK(memcmp(ref, d[PCR_BANK_SHA384], 48) == 0);
                /* Beyond the end of the file: an error, not a crash. */
                CHECK_EQ_INT(pcr_hasher_update_fd(h, fd, n - 10, 11), -EIO);

                uint8_t *z = calloc(1, 200000);
                CHECK(z);
                CHECK_EQ_INT(pcr_hasher_reset(h), 0);
                CHECK_EQ_INT(pcr_hasher_update_zeros(h, 200000), 0);
                CHECK_EQ_INT(pcr_hasher_final(h, d), 0);
                CHECK(EVP_Digest(z, 200000, ref, NULL, EVP_sha256(), NULL) == 1);
                CHECK(memcmp(ref, d[PCR_BANK_SHA256], 32) == 0);
                free(z);
        }
        close(fd);
        free(data);

        PcrHasher *bad = NULL;
        CHECK_EQ_INT(pcr_hasher_new(0, 0, &bad), -EINVAL);
        CHECK_EQ_INT(pcr_hasher_new(1u << 7, 0, &bad), -EINVAL);
}

static void test_phases(void) {
        char *s = NULL;
        CHECK_EQ_INT(pcr_phase_normalize("::enter-initrd::leave-initrd:", true, &s), 0);
        CHECK_EQ_STR(s, "enter-initrd:leave-initrd");
        free(s);
        CHECK_EQ_INT(pcr_phase_normalize("", true, &s), 0);
        CHECK_EQ_STR(s, "");
        free(s);
        CHECK_EQ_INT(pcr_phase_normalize("enter-initrd:bogus", true, &s), -EINVAL);
        CHECK_EQ_INT(pcr_phase_normalize("enter-initrd:bogus", false, &s), 0);
        CHECK_EQ_STR(s, "enter-initrd:bogus");
        free(s);
}

/* systemd-measure 252: calculate --linux=F(hello) --osrel=F(ID=debian). */
static void test_measure(void) {
        _cleanup_pcr_measure_ PcrMeasure *m = NULL;
        PcrState base, st;
        char h[2 * PCR_DIGEST_MAX + 1];

        CHECK_EQ_INT(pcr_measure_new(&uki_rules_current, PCR_BANKS_ALL, 0, &m), 0);
        /* Fed out of order, and an empty .cmdline (skipped like the stub does). */
        CHECK_EQ_INT(pcr_measure_section_begin(m, UKI_SECTION_OSREL), 0);
        CHECK_EQ_INT(pcr_measure_section_data(m, "ID=", 3), 0);
        CHECK_EQ_INT(pcr_measure_section_data(m, "debian", 6), 0);
        CHECK_EQ_INT(pcr_measure_section_begin(m, UKI_SECTION_LINUX), -EBUSY);
        CHECK_EQ_INT(pcr_measure_section_end(m), 0);
        CHECK_EQ_INT(pcr_measure_section_begin(m, UKI_SECTION_CMDLINE), 0);
        CHECK_EQ_INT(pcr_measure_section_end(m), 0);
        CHECK_EQ_INT(pcr_measure_section_begin(m, UKI_SECTION_LINUX), 0);
        CHECK_EQ_INT(pcr_measure_section_data(m, "hello", 5), 0);
        CHECK_EQ_INT(pcr_measure_section_end(m), 0);
        /* .pcrsig is never measured. */
        CHECK_EQ_INT(pcr_measure_section_begin(m, UKI_SECTION_PCRSIG), 0);
        CHECK_EQ_INT(pcr_measure_section_data(m, "{}", 2), 0);
        CHECK_EQ_INT(pcr_measure_section_end(m), 0);
        CHECK_EQ_INT(pcr_measure_finish(m, &base), 0);

        st = base;
        CHECK_EQ_INT(pcr_state_extend_phase(&st, "enter-initrd"), 0);
        hex(st.value[PCR_BANK_SHA1], 20, h);
        CHECK_EQ_STR(h, "30ba4321ca6a7a71daae5de221461ea89f9721b4");
        hex(st.value[PCR_BANK_SHA256], 32, h);
        CHECK_EQ_STR(h, "1550008119f1f6d9cb709195692b6606e5d47610ff7fabfba9a9eb6fce5f38b0");
        st = base;
        CHECK_EQ_INT(pcr_state_extend_phase(&st, "enter-initrd:leave-initrd"), 0);
        hex(st.value[PCR_BANK_SHA384], 48, h);
        CHECK_EQ_STR(h, "9c2077a63b6458d18630ae594ebf4d2bfc94140e8f005aafcb7f7997e6bf422889eeb772db6455a045c8faaf4e023e8c");
}

static void test_rules(void) {
        static const char deb[] = "#### LoaderInfo: systemd-stub 252.39-1~deb12u2 ####";
        static const char ukit[] = "#### LoaderInfo: ukit-stub 0.1 ####\0\0";
        CHECK(uki_rules_for_stub(deb, sizeof(deb)) == &uki_rules_systemd_252);
        CHECK(uki_rules_for_stub(ukit, sizeof(ukit)) == &uki_rules_current);
        CHECK(uki_rules_for_stub("#### LoaderInfo: systemd-stub 254.5 ####", 40) == &uki_rules_systemd_253);
        CHECK(uki_rules_for_stub("#### LoaderInfo: systemd-stub 256.7 ####", 40) == &uki_rules_systemd_256);
        CHECK(uki_rules_for_stub("#### LoaderInfo: systemd-stub 257.1 ####", 40) == &uki_rules_current);
        CHECK(uki_rules_for_stub("#### LoaderInfo: systemd-boot 252 ####", 38) == NULL);
        CHECK(uki_rules_for_stub("#### LoaderInfo: systemd-stub x ####", 36) == NULL);
        CHECK(uki_rules_for_stub(deb, 20) == NULL);
        CHECK(uki_rules_for_stub(NULL, 0) == NULL);
        CHECK(uki_rules_measures(&uki_rules_systemd_252, UKI_SECTION_PCRPKEY));
        CHECK(!uki_rules_measures(&uki_rules_systemd_252, UKI_SECTION_UNAME));
        CHECK(!uki_rules_measures(&uki_rules_systemd_252, UKI_SECTION_SBAT));
        CHECK(!uki_rules_measures(&uki_rules_systemd_252, UKI_SECTION_UCODE));
        CHECK(uki_rules_measures(&uki_rules_current, UKI_SECTION_UCODE));
        CHECK(uki_rules_measures(&uki_rules_systemd_256, UKI_SECTION_UCODE));
        CHECK(!uki_rules_measures(&uki_rules_systemd_256, UKI_SECTION_PROFILE));
        CHECK(!uki_rules_measures(&uki_rules_systemd_256, UKI_SECTION_HWIDS));
        CHECK(uki_rules_measures(&uki_rules_current, UKI_SECTION_PROFILE));
        CHECK(uki_rules_measures(&uki_rules_current, UKI_SECTION_DTBAUTO));
        CHECK(uki_rules_measures(&uki_rules_current, UKI_SECTION_HWIDS));
        CHECK(!uki_rules_measures(&uki_rules_current, UKI_SECTION_PCRSIG));
        CHECK(!uki_rules_measures(&uki_rules_systemd_253, UKI_SECTION_PCRSIG));

        /* Rules change the result: .sbat counts for current, not for 252. */
        PcrState a, b;
        for (int i = 0; i < 2; i++) {
                _cleanup_pcr_measure_ PcrMeasure *m = NULL;
                CHECK_EQ_INT(pcr_measure_new(i ? &uki_rules_current : &uki_rules_systemd_252, PCR_BANK_BIT(PCR_BANK_SHA256), 1, &m), 0);
                CHECK_EQ_INT(pcr_measure_section_begin(m, UKI_SECTION_LINUX), 0);
                CHECK_EQ_INT(pcr_measure_section_data(m, "hello", 5), 0);
                CHECK_EQ_INT(pcr_measure_section_end(m), 0);
                CHECK_EQ_INT(pcr_measure_section_begin(m, UKI_SECTION_SBAT), 0);
                CHECK_EQ_INT(pcr_measure_section_data(m, "sbat,1\n", 7), 0);
                CHECK_EQ_INT(pcr_measure_section_end(m), 0);
                CHECK_EQ_INT(pcr_measure_finish(m, i ? &b : &a), 0);
        }
        CHECK(memcmp(a.value[PCR_BANK_SHA256], b.value[PCR_BANK_SHA256], 32) != 0);
        /* systemd-measure 252 calculate --linux=F(hello) --phase= --bank=sha256 */
        char h[65];
        hex(a.value[PCR_BANK_SHA256], 32, h);
        CHECK_EQ_STR(h, "eb2f3013fc6da81f5795783ca2b10862830e65a4a7bb42a5407aba2a8a196efb");
}

int main(void) {
        test_banks();
        test_hasher();
        test_phases();
        test_measure();
        test_rules();
        TEST_DONE();
}
