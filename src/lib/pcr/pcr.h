/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* PCR banks, multi-bank hashing and PCR 11 prediction.
 *
 * PcrHasher hashes one byte stream into every selected bank at once. Large
 * updates are split across worker threads by bank (sha384/sha512 cost about
 * twice sha1/sha256, so banks are balanced by weight), each worker walking the
 * same buffer in cache-sized chunks; small updates are hashed inline. The
 * caller's buffer is only read until pcr_hasher_update() returns, so a writer
 * can feed the same buffer it is about to reuse.
 *
 * PcrMeasure is the UKI-level predictor: feed each section's bytes (in any
 * order, e.g. the order a writer lays them out), then pcr_measure_finish()
 * extends the per-section digests in the stub's measurement order (from a
 * UkiMeasureRules set) into a PcrState, the virtual PCR 11 before any boot
 * phase. pcr_state_extend_phase() then adds "enter-initrd:leave-initrd:...".
 *
 * All functions return 0 or -errno and never print. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <openssl/evp.h>

#include "uki.h"

typedef enum PcrBank {
        PCR_BANK_SHA1,
        PCR_BANK_SHA256,
        PCR_BANK_SHA384,
        PCR_BANK_SHA512,
        _PCR_BANK_MAX,
        _PCR_BANK_INVALID = -1,
} PcrBank;

#define PCR_BANK_BIT(b) (1u << (b))
#define PCR_BANKS_ALL ((1u << _PCR_BANK_MAX) - 1u)
#define PCR_DIGEST_MAX 64u

/* Lower-case name, "sha256". */
const char *pcr_bank_to_string(PcrBank b);
/* Case-insensitive "sha256"/"SHA256"; _PCR_BANK_INVALID otherwise. */
PcrBank pcr_bank_from_string(const char *s);
size_t pcr_bank_digest_size(PcrBank b);
/* TPM2_ALG_ID of the bank's hash (TPM2_ALG_SHA256 = 0x000B, ...). */
uint16_t pcr_bank_tpm2_alg(PcrBank b);
/* The OpenSSL digest of a bank; NULL for an invalid bank. */
const EVP_MD *pcr_bank_md(PcrBank b);

/* Hash of a single buffer in one bank; out has pcr_bank_digest_size(b) bytes. */
int pcr_bank_digest(PcrBank b, const void *data, size_t n, uint8_t *out);

typedef struct PcrHasher PcrHasher;

/* banks: mask of PCR_BANK_BIT(); max_threads: 0 = automatic (one thread
 * per bank when there are at least two CPUs, else none), 1 = never spawn
 * threads, N = at most N (the calling thread counts as one). */
int pcr_hasher_new(unsigned banks, unsigned max_threads, PcrHasher **ret);
void pcr_hasher_free(PcrHasher *h);
static inline void pcr_hasher_freep(PcrHasher **h) {
        if (*h)
                pcr_hasher_free(*h);
}
#define _cleanup_pcr_hasher_ _cleanup_(pcr_hasher_freep)

/* Starts a new stream (implicitly done by new and final). */
int pcr_hasher_reset(PcrHasher *h);
int pcr_hasher_update(PcrHasher *h, const void *buf, size_t n);
/* n zero bytes (VirtualSize beyond the raw data of a section). */
int pcr_hasher_update_zeros(PcrHasher *h, uint64_t n);
/* len bytes of fd from off (mmap for regular files, read otherwise).
 * -EIO if the file ends early. */
int pcr_hasher_update_fd(PcrHasher *h, int fd, uint64_t off, uint64_t len);
/* Whole file from the current position to its end; ret_size: bytes hashed. */
int pcr_hasher_update_fd_all(PcrHasher *h, int fd, uint64_t *ret_size);
/* Writes the digest of each selected bank to digests[bank], then resets. */
int pcr_hasher_final(PcrHasher *h, uint8_t digests[_PCR_BANK_MAX][PCR_DIGEST_MAX]);

/* A virtual PCR in each selected bank. */
typedef struct PcrState {
        unsigned banks;
        uint8_t value[_PCR_BANK_MAX][PCR_DIGEST_MAX];
} PcrState;

/* All selected banks zero (the reset value of PCR 11). */
void pcr_state_init(PcrState *s, unsigned banks);
/* value = H(value || digest[bank]) in each bank. */
int pcr_state_extend_digests(PcrState *s, const uint8_t digests[_PCR_BANK_MAX][PCR_DIGEST_MAX]);
/* Extend with H(data) in each bank (a TPM2_PCR_Event of data). */
int pcr_state_extend_data(PcrState *s, const void *data, size_t n);

/* Boot phase words a phase path may contain (systemd-pcrphase). */
bool pcr_phase_word_is_known(const char *word, size_t n);
/* Normalises "enter-initrd::leave-initrd:" to "enter-initrd:leave-initrd"
 * (empty words dropped, as systemd-measure does). -EINVAL for an unknown
 * word when strict. The empty string is the state before any phase. */
int pcr_phase_normalize(const char *phase, bool strict, char **ret);
/* Extends each word of a normalised phase path. */
int pcr_state_extend_phase(PcrState *s, const char *phase);

typedef struct PcrMeasure PcrMeasure;

int pcr_measure_new(const UkiMeasureRules *rules, unsigned banks, unsigned max_threads, PcrMeasure **ret);
void pcr_measure_free(PcrMeasure *m);
static inline void pcr_measure_freep(PcrMeasure **m) {
        if (*m)
                pcr_measure_free(*m);
}
#define _cleanup_pcr_measure_ _cleanup_(pcr_measure_freep)

/* Whether the rules measure section s (callers can skip feeding others). */
bool pcr_measure_wants(const PcrMeasure *m, UkiSection s);
/* Content of section s: begin, any number of data calls, end. Sections
 * the rules do not measure are accepted and ignored; a section given twice
 * replaces the earlier one (-EBUSY if another section is still open). */
int pcr_measure_section_begin(PcrMeasure *m, UkiSection s);
int pcr_measure_section_data(PcrMeasure *m, const void *buf, size_t n);
int pcr_measure_section_zeros(PcrMeasure *m, uint64_t n);
int pcr_measure_section_fd(PcrMeasure *m, int fd, uint64_t off, uint64_t len);
int pcr_measure_section_end(PcrMeasure *m);
/* dst takes src's measured sections (digests and sizes), replacing its own
 * (multi-profile UKIs: the base's sections are the start of every
 * profile). Both must have the same rules and banks and no open section:
 * -EINVAL, -EBUSY otherwise. */
int pcr_measure_copy_sections(PcrMeasure *dst, const PcrMeasure *src);
/* A whole section from a file (its full content). */
int pcr_measure_section_file(PcrMeasure *m, UkiSection s, int fd);

/* The PCR 11 value before any phase: for each measured, non-empty section
 * in rule order, extend H(name "\0"), then H(content). */
int pcr_measure_finish(PcrMeasure *m, PcrState *ret);
