/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <pthread.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <openssl/evp.h>

#include "pcr.h"
#include "util.h"

/* Below this an update is hashed inline: waking a thread costs more. */
#define PCR_PARALLEL_MIN        (256u * 1024u)
/* Each worker walks the buffer in chunks that stay in L2 while all of its
 * banks consume them. */
#define PCR_CHUNK               (128u * 1024u)
#define PCR_THREADS_MAX         _PCR_BANK_MAX
/* mmap window for hashing files: bounds the address space we take. */
#define PCR_MAP_WINDOW          (256u * 1024u * 1024u)
#define PCR_READ_BUFFER         (1024u * 1024u)

static const struct {
        const char *name;
        size_t size;
        uint16_t tpm2_alg;
        unsigned weight;        /* relative cost per byte (SHA-NI: sha1 ~ sha256 ~ sha512/2) */
} bank_info[_PCR_BANK_MAX] = {
        [PCR_BANK_SHA1]   = { "sha1",   20, 0x0004, 1 },
        [PCR_BANK_SHA256] = { "sha256", 32, 0x000B, 1 },
        [PCR_BANK_SHA384] = { "sha384", 48, 0x000C, 2 },
        [PCR_BANK_SHA512] = { "sha512", 64, 0x000D, 2 },
};

const EVP_MD *pcr_bank_md(PcrBank b) {
        switch (b) {
        case PCR_BANK_SHA1:   return EVP_sha1();
        case PCR_BANK_SHA256: return EVP_sha256();
        case PCR_BANK_SHA384: return EVP_sha384();
        case PCR_BANK_SHA512: return EVP_sha512();
        default:              return NULL;
        }
}

const char *pcr_bank_to_string(PcrBank b) {
        return b >= 0 && b < _PCR_BANK_MAX ? bank_info[b].name : NULL;
}

PcrBank pcr_bank_from_string(const char *s) {
        if (!s)
                return _PCR_BANK_INVALID;
        for (int b = 0; b < _PCR_BANK_MAX; b++)
                if (strcasecmp(s, bank_info[b].name) == 0)
                        return (PcrBank) b;
        return _PCR_BANK_INVALID;
}

size_t pcr_bank_digest_size(PcrBank b) {
        return b >= 0 && b < _PCR_BANK_MAX ? bank_info[b].size : 0;
}

uint16_t pcr_bank_tpm2_alg(PcrBank b) {
        return b >= 0 && b < _PCR_BANK_MAX ? bank_info[b].tpm2_alg : 0;
}

int pcr_bank_digest(PcrBank b, const void *data, size_t n, uint8_t *out) {
        const EVP_MD *md = pcr_bank_md(b);
        if (!md || (!data && n > 0))
                return -EINVAL;
        if (EVP_Digest(data, n, out, NULL, md, NULL) != 1)
                return -EIO;
        return 0;
}

/* ---- PcrHasher ---------------------------------------------------------- */

typedef struct PcrWorker {
        PcrHasher *hasher;
        pthread_t thread;
        unsigned banks;
        bool running;
} PcrWorker;

struct PcrHasher {
        unsigned banks;
        EVP_MD_CTX *ctx[_PCR_BANK_MAX];

        /* workers[0] is the calling thread; 1..n_workers-1 are threads. */
        unsigned n_workers;
        PcrWorker workers[PCR_THREADS_MAX];

        pthread_mutex_t lock;
        pthread_cond_t cond_job, cond_done;
        bool sync_initialized;
        uint64_t generation;
        unsigned pending;
        bool quit;
        const uint8_t *job;
        size_t job_size;
        int job_error;
};

static int hash_banks(PcrHasher *h, unsigned banks, const uint8_t *buf, size_t n) {
        for (size_t off = 0; off < n; off += PCR_CHUNK) {
                size_t m = MIN((size_t) PCR_CHUNK, n - off);
                for (int b = 0; b < _PCR_BANK_MAX; b++)
                        if ((banks & PCR_BANK_BIT(b)) && EVP_DigestUpdate(h->ctx[b], buf + off, m) != 1)
                                return -EIO;
        }
        return 0;
}

static void *worker_main(void *p) {
        PcrWorker *w = p;
        PcrHasher *h = w->hasher;
        uint64_t seen = 0;

        pthread_mutex_lock(&h->lock);
        for (;;) {
                while (!h->quit && h->generation == seen)
                        pthread_cond_wait(&h->cond_job, &h->lock);
                if (h->quit)
                        break;
                seen = h->generation;
                const uint8_t *buf = h->job;
                size_t n = h->job_size;
                pthread_mutex_unlock(&h->lock);

                int r = hash_banks(h, w->banks, buf, n);

                pthread_mutex_lock(&h->lock);
                if (r < 0 && h->job_error == 0)
                        h->job_error = r;
                if (--h->pending == 0)
                        pthread_cond_signal(&h->cond_done);
        }
        pthread_mutex_unlock(&h->lock);
        return NULL;
}

/* Splits the banks over n workers by weight, heaviest first. */
static void assign_banks(PcrHasher *h, unsigned n) {
        static const PcrBank by_weight[] = { PCR_BANK_SHA512, PCR_BANK_SHA384, PCR_BANK_SHA256, PCR_BANK_SHA1 };
        unsigned load[PCR_THREADS_MAX] = {};

        for (unsigned i = 0; i < n; i++)
                h->workers[i].banks = 0;
        for (size_t i = 0; i < ELEMENTSOF(by_weight); i++) {
                PcrBank b = by_weight[i];
                unsigned best = 0;
                if (!(h->banks & PCR_BANK_BIT(b)))
                        continue;
                for (unsigned j = 1; j < n; j++)
                        if (load[j] < load[best])
                                best = j;
                h->workers[best].banks |= PCR_BANK_BIT(b);
                load[best] += bank_info[b].weight;
        }
}

static void stop_workers(PcrHasher *h) {
        if (!h->sync_initialized)
                return;
        pthread_mutex_lock(&h->lock);
        h->quit = true;
        pthread_cond_broadcast(&h->cond_job);
        pthread_mutex_unlock(&h->lock);
        for (unsigned i = 1; i < h->n_workers; i++)
                if (h->workers[i].running)
                        pthread_join(h->workers[i].thread, NULL);
        pthread_mutex_destroy(&h->lock);
        pthread_cond_destroy(&h->cond_job);
        pthread_cond_destroy(&h->cond_done);
        h->sync_initialized = false;
}

static void start_workers(PcrHasher *h, unsigned max_threads) {
        unsigned n_banks = (unsigned) __builtin_popcount(h->banks);
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        /* One thread per bank as soon as there are two CPUs, even when there
         * are fewer CPUs than banks: the total work is the same, the scheduler
         * balances it, and on a busy machine a hashing job split four ways
         * gets its fair share of the CPUs instead of half of it. */
        unsigned n = max_threads > 0 ? max_threads : (cpus >= 2 ? n_banks : 1);

        n = MIN(n, n_banks);
        n = MIN(n, (unsigned) PCR_THREADS_MAX);
        h->n_workers = 1;
        if (n >= 2 && pthread_mutex_init(&h->lock, NULL) == 0) {
                pthread_cond_init(&h->cond_job, NULL);
                pthread_cond_init(&h->cond_done, NULL);
                h->sync_initialized = true;
                assign_banks(h, n);
                for (unsigned i = 1; i < n; i++) {
                        h->workers[i].hasher = h;
                        if (pthread_create(&h->workers[i].thread, NULL, worker_main, &h->workers[i]) != 0)
                                break;
                        h->workers[i].running = true;
                        h->n_workers = i + 1;
                }
        }
        /* Fewer threads than planned (or none): rebalance over what we have. */
        assign_banks(h, h->n_workers);
}

int pcr_hasher_reset(PcrHasher *h) {
        for (int b = 0; b < _PCR_BANK_MAX; b++)
                if ((h->banks & PCR_BANK_BIT(b)) && EVP_DigestInit_ex(h->ctx[b], pcr_bank_md(b), NULL) != 1)
                        return -EIO;
        return 0;
}

void pcr_hasher_free(PcrHasher *h) {
        if (!h)
                return;
        stop_workers(h);
        for (int b = 0; b < _PCR_BANK_MAX; b++)
                EVP_MD_CTX_free(h->ctx[b]);
        free(h);
}

int pcr_hasher_new(unsigned banks, unsigned max_threads, PcrHasher **ret) {
        _cleanup_pcr_hasher_ PcrHasher *h = NULL;
        int r;

        if (banks == 0 || (banks & ~PCR_BANKS_ALL) || !ret)
                return -EINVAL;
        h = calloc(1, sizeof(*h));
        if (!h)
                return -ENOMEM;
        h->banks = banks;
        h->n_workers = 1;
        for (int b = 0; b < _PCR_BANK_MAX; b++)
                if (banks & PCR_BANK_BIT(b)) {
                        h->ctx[b] = EVP_MD_CTX_new();
                        if (!h->ctx[b])
                                return -ENOMEM;
                }
        r = pcr_hasher_reset(h);
        if (r < 0)
                return r;
        start_workers(h, max_threads);
        *ret = TAKE_PTR(h);
        return 0;
}

int pcr_hasher_update(PcrHasher *h, const void *buf, size_t n) {
        int r;

        if (n == 0)
                return 0;
        if (!buf)
                return -EINVAL;
        if (h->n_workers < 2 || n < PCR_PARALLEL_MIN)
                return hash_banks(h, h->banks, buf, n);

        pthread_mutex_lock(&h->lock);
        h->job = buf;
        h->job_size = n;
        h->job_error = 0;
        h->pending = h->n_workers - 1;
        h->generation++;
        pthread_cond_broadcast(&h->cond_job);
        pthread_mutex_unlock(&h->lock);

        r = hash_banks(h, h->workers[0].banks, buf, n);

        /* Always wait: the workers read buf, which the caller may reuse. */
        pthread_mutex_lock(&h->lock);
        while (h->pending > 0)
                pthread_cond_wait(&h->cond_done, &h->lock);
        if (r >= 0)
                r = h->job_error;
        h->job = NULL;
        pthread_mutex_unlock(&h->lock);
        return r;
}

int pcr_hasher_update_zeros(PcrHasher *h, uint64_t n) {
        static const uint8_t zeros[64 * 1024];
        while (n > 0) {
                size_t m = (size_t) MIN(n, (uint64_t) sizeof(zeros));
                int r = pcr_hasher_update(h, zeros, m);
                if (r < 0)
                        return r;
                n -= m;
        }
        return 0;
}

static int update_fd_read(PcrHasher *h, int fd, uint64_t off, uint64_t len, bool positional, uint64_t *ret_size) {
        _cleanup_free_ uint8_t *buf = malloc(PCR_READ_BUFFER);
        uint64_t done = 0;

        if (!buf)
                return -ENOMEM;
        while (done < len) {
                size_t want = (size_t) MIN(len - done, (uint64_t) PCR_READ_BUFFER);
                ssize_t k = positional ? pread(fd, buf, want, (off_t) (off + done)) : read(fd, buf, want);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0) {
                        if (ret_size)   /* "to the end": EOF is the end */
                                break;
                        return -EIO;
                }
                int r = pcr_hasher_update(h, buf, (size_t) k);
                if (r < 0)
                        return r;
                done += (uint64_t) k;
        }
        if (ret_size)
                *ret_size = done;
        return 0;
}

/* Returns 1 (nothing hashed) when the file cannot be mapped at all: some
 * file systems (FUSE, some /proc files) refuse mmap, the caller reads then. */
static int update_fd_mmap(PcrHasher *h, int fd, uint64_t off, uint64_t len) {
        long ps = sysconf(_SC_PAGESIZE);
        uint64_t page = ps > 0 ? (uint64_t) ps : 4096;
        bool first = true;

        while (len > 0) {
                uint64_t start = off & ~(page - 1), skip = off - start;
                uint64_t n = MIN(len, (uint64_t) PCR_MAP_WINDOW);
                size_t map_len = (size_t) (skip + n);
                void *p = mmap(NULL, map_len, PROT_READ, MAP_PRIVATE, fd, (off_t) start);
                if (p == MAP_FAILED)
                        return first ? 1 : -errno;
                first = false;
                (void) madvise(p, map_len, MADV_SEQUENTIAL | MADV_WILLNEED);
                int r = pcr_hasher_update(h, (const uint8_t *) p + skip, (size_t) n);
                munmap(p, map_len);
                if (r < 0)
                        return r;
                off += n;
                len -= n;
        }
        return 0;
}

int pcr_hasher_update_fd(PcrHasher *h, int fd, uint64_t off, uint64_t len) {
        struct stat st;
        uint64_t end;

        if (fstat(fd, &st) < 0)
                return -errno;
        if (!ADD_OK(off, len, &end))
                return -EOVERFLOW;
        if (S_ISREG(st.st_mode)) {
                if (end > (uint64_t) st.st_size)
                        return -EIO;
                if (len == 0)
                        return 0;
                int r = update_fd_mmap(h, fd, off, len);
                if (r <= 0)
                        return r;
        }
        return update_fd_read(h, fd, off, len, true, NULL);
}

int pcr_hasher_update_fd_all(PcrHasher *h, int fd, uint64_t *ret_size) {
        struct stat st;
        int r;

        if (fstat(fd, &st) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode))
                return -EISDIR;
        /* Files in /proc and /sys claim size 0 and have content: read those
         * to the end (--cmdline=/proc/cmdline). */
        if (S_ISREG(st.st_mode) && st.st_size > 0) {
                off_t pos = lseek(fd, 0, SEEK_CUR);
                if (pos >= 0 && pos <= st.st_size) {
                        uint64_t len = (uint64_t) (st.st_size - pos);
                        r = len > 0 ? update_fd_mmap(h, fd, (uint64_t) pos, len) : 0;
                        if (r < 0)
                                return r;
                        if (r == 0) {
                                if (ret_size)
                                        *ret_size = len;
                                return 0;
                        }
                        /* not mappable: read it to the end below */
                }
        }
        uint64_t n = 0;
        r = update_fd_read(h, fd, 0, UINT64_MAX, false, &n);
        if (r < 0)
                return r;
        if (ret_size)
                *ret_size = n;
        return 0;
}

int pcr_hasher_final(PcrHasher *h, uint8_t digests[_PCR_BANK_MAX][PCR_DIGEST_MAX]) {
        for (int b = 0; b < _PCR_BANK_MAX; b++)
                if ((h->banks & PCR_BANK_BIT(b)) && EVP_DigestFinal_ex(h->ctx[b], digests[b], NULL) != 1)
                        return -EIO;
        return pcr_hasher_reset(h);
}

/* ---- PcrState ----------------------------------------------------------- */

void pcr_state_init(PcrState *s, unsigned banks) {
        memset(s, 0, sizeof(*s));
        s->banks = banks & PCR_BANKS_ALL;
}

int pcr_state_extend_digests(PcrState *s, const uint8_t digests[_PCR_BANK_MAX][PCR_DIGEST_MAX]) {
        for (int b = 0; b < _PCR_BANK_MAX; b++) {
                uint8_t buf[2 * PCR_DIGEST_MAX];
                size_t n = bank_info[b].size;
                if (!(s->banks & PCR_BANK_BIT(b)))
                        continue;
                memcpy(buf, s->value[b], n);
                memcpy(buf + n, digests[b], n);
                int r = pcr_bank_digest((PcrBank) b, buf, 2 * n, s->value[b]);
                if (r < 0)
                        return r;
        }
        return 0;
}

int pcr_state_extend_data(PcrState *s, const void *data, size_t n) {
        uint8_t d[_PCR_BANK_MAX][PCR_DIGEST_MAX];
        for (int b = 0; b < _PCR_BANK_MAX; b++)
                if (s->banks & PCR_BANK_BIT(b)) {
                        int r = pcr_bank_digest((PcrBank) b, data, n, d[b]);
                        if (r < 0)
                                return r;
                }
        return pcr_state_extend_digests(s, d);
}

static const char *const phase_words[] = {
        "enter-initrd", "leave-initrd", "sysinit", "ready", "shutdown", "final",
};

bool pcr_phase_word_is_known(const char *word, size_t n) {
        for (size_t i = 0; i < ELEMENTSOF(phase_words); i++)
                if (strlen(phase_words[i]) == n && memcmp(phase_words[i], word, n) == 0)
                        return true;
        return false;
}

int pcr_phase_normalize(const char *phase, bool strict, char **ret) {
        size_t len = strlen(phase), o = 0;
        _cleanup_free_ char *out = malloc(len + 1);

        if (!out)
                return -ENOMEM;
        for (const char *p = phase; *p;) {
                size_t n = strcspn(p, ":");
                if (n > 0) {
                        if (strict && !pcr_phase_word_is_known(p, n))
                                return -EINVAL;
                        if (o > 0)
                                out[o++] = ':';
                        memcpy(out + o, p, n);
                        o += n;
                }
                p += n;
                if (*p == ':')
                        p++;
        }
        out[o] = 0;
        *ret = TAKE_PTR(out);
        return 0;
}

int pcr_state_extend_phase(PcrState *s, const char *phase) {
        for (const char *p = phase; *p;) {
                size_t n = strcspn(p, ":");
                if (n > 0) {
                        int r = pcr_state_extend_data(s, p, n);
                        if (r < 0)
                                return r;
                }
                p += n;
                if (*p == ':')
                        p++;
        }
        return 0;
}

/* ---- PcrMeasure --------------------------------------------------------- */

struct PcrMeasure {
        const UkiMeasureRules *rules;
        unsigned banks;
        PcrHasher *hasher;

        UkiSection open;                /* _UKI_SECTION_INVALID when none */
        bool open_measured;
        uint64_t open_size;

        bool have[_UKI_SECTION_MAX];
        uint64_t size[_UKI_SECTION_MAX];
        uint8_t digest[_UKI_SECTION_MAX][_PCR_BANK_MAX][PCR_DIGEST_MAX];
};

void pcr_measure_free(PcrMeasure *m) {
        if (!m)
                return;
        pcr_hasher_free(m->hasher);
        free(m);
}

int pcr_measure_new(const UkiMeasureRules *rules, unsigned banks, unsigned max_threads, PcrMeasure **ret) {
        _cleanup_pcr_measure_ PcrMeasure *m = NULL;
        int r;

        if (!rules || !ret)
                return -EINVAL;
        m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        m->rules = rules;
        m->banks = banks;
        m->open = _UKI_SECTION_INVALID;
        r = pcr_hasher_new(banks, max_threads, &m->hasher);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(m);
        return 0;
}

bool pcr_measure_wants(const PcrMeasure *m, UkiSection s) {
        return uki_rules_measures(m->rules, s);
}

int pcr_measure_section_begin(PcrMeasure *m, UkiSection s) {
        if (s < 0 || s >= _UKI_SECTION_MAX)
                return -EINVAL;
        if (m->open != _UKI_SECTION_INVALID)
                return -EBUSY;
        m->open = s;
        m->open_measured = pcr_measure_wants(m, s);
        m->open_size = 0;
        return m->open_measured ? pcr_hasher_reset(m->hasher) : 0;
}

int pcr_measure_section_data(PcrMeasure *m, const void *buf, size_t n) {
        if (m->open == _UKI_SECTION_INVALID)
                return -EINVAL;
        if (!m->open_measured)
                return 0;
        if (!ADD_OK(m->open_size, (uint64_t) n, &m->open_size))
                return -EOVERFLOW;
        return pcr_hasher_update(m->hasher, buf, n);
}

int pcr_measure_section_zeros(PcrMeasure *m, uint64_t n) {
        if (m->open == _UKI_SECTION_INVALID)
                return -EINVAL;
        if (!m->open_measured)
                return 0;
        if (!ADD_OK(m->open_size, n, &m->open_size))
                return -EOVERFLOW;
        return pcr_hasher_update_zeros(m->hasher, n);
}

int pcr_measure_section_fd(PcrMeasure *m, int fd, uint64_t off, uint64_t len) {
        if (m->open == _UKI_SECTION_INVALID)
                return -EINVAL;
        if (!m->open_measured)
                return 0;
        if (!ADD_OK(m->open_size, len, &m->open_size))
                return -EOVERFLOW;
        return pcr_hasher_update_fd(m->hasher, fd, off, len);
}

int pcr_measure_section_end(PcrMeasure *m) {
        UkiSection s = m->open;
        int r;

        if (s == _UKI_SECTION_INVALID)
                return -EINVAL;
        m->open = _UKI_SECTION_INVALID;
        if (!m->open_measured)
                return 0;
        r = pcr_hasher_final(m->hasher, m->digest[s]);
        if (r < 0)
                return r;
        m->have[s] = true;
        m->size[s] = m->open_size;
        return 0;
}

int pcr_measure_copy_sections(PcrMeasure *dst, const PcrMeasure *src) {
        if (dst->rules != src->rules || dst->banks != src->banks)
                return -EINVAL;
        if (dst->open != _UKI_SECTION_INVALID || src->open != _UKI_SECTION_INVALID)
                return -EBUSY;
        memcpy(dst->have, src->have, sizeof(dst->have));
        memcpy(dst->size, src->size, sizeof(dst->size));
        memcpy(dst->digest, src->digest, sizeof(dst->digest));
        return 0;
}

int pcr_measure_section_file(PcrMeasure *m, UkiSection s, int fd) {
        uint64_t n = 0;
        int r = pcr_measure_section_begin(m, s);
        if (r < 0)
                return r;
        if (m->open_measured) {
                r = pcr_hasher_update_fd_all(m->hasher, fd, &n);
                if (r < 0) {
                        m->open = _UKI_SECTION_INVALID;
                        (void) pcr_hasher_reset(m->hasher);
                        return r;
                }
                m->open_size = n;
        }
        return pcr_measure_section_end(m);
}

int pcr_measure_finish(PcrMeasure *m, PcrState *ret) {
        PcrState s;
        int r;

        if (m->open != _UKI_SECTION_INVALID)
                return -EBUSY;
        pcr_state_init(&s, m->banks);
        for (int i = 0; i < _UKI_SECTION_MAX; i++) {
                /* Empty sections are skipped: the stub treats size 0 as absent. */
                if (!m->have[i] || m->size[i] == 0 || !pcr_measure_wants(m, (UkiSection) i))
                        continue;
                r = pcr_state_extend_data(&s, uki_section_names[i], strlen(uki_section_names[i]) + 1);
                if (r < 0)
                        return r;
                r = pcr_state_extend_digests(&s, (const uint8_t (*)[PCR_DIGEST_MAX]) m->digest[i]);
                if (r < 0)
                        return r;
        }
        *ret = s;
        return 0;
}
