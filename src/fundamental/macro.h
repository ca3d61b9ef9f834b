/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Small macros shared by host code and the stub. Freestanding: no libc. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _packed_ __attribute__((packed))
#define _pure_ __attribute__((pure))
#define _const_ __attribute__((const))
#define _noreturn_ __attribute__((noreturn))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _warn_unused_result_ __attribute__((warn_unused_result))

#define assert_cc(expr) _Static_assert(expr, #expr)

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* Hand ownership over: returns the pointer and clears the variable so the
 * cleanup handler of the old owner does nothing. */
#define TAKE_PTR(p)                             \
        ({                                      \
                __typeof__(p) _p_ = (p);        \
                (p) = NULL;                     \
                _p_;                            \
        })

#define TAKE_FD(fd)                             \
        ({                                      \
                int _fd_ = (fd);                \
                (fd) = -1;                      \
                _fd_;                           \
        })

/* Overflow-checked arithmetic on sizes that come from untrusted input.
 * Return true when the result fits; *ret is only written then. */
#define ADD_OK(a, b, ret) (!__builtin_add_overflow((a), (b), (ret)))
#define MUL_OK(a, b, ret) (!__builtin_mul_overflow((a), (b), (ret)))

/* Round v up to a multiple of the power of two a. Returns false on overflow. */
static inline bool align_up_u64(uint64_t v, uint64_t a, uint64_t *ret) {
        uint64_t r;
        if (a == 0 || (a & (a - 1)) != 0)
                return false;
        if (!ADD_OK(v, a - 1, &r))
                return false;
        *ret = r & ~(a - 1);
        return true;
}

static inline bool is_power_of_two_u64(uint64_t v) {
        return v != 0 && (v & (v - 1)) == 0;
}

/* Little-endian loads/stores that do not care about alignment. */
static inline uint16_t le16_read(const void *p) {
        const uint8_t *b = p;
        return (uint16_t) (b[0] | (b[1] << 8));
}
static inline uint32_t le32_read(const void *p) {
        const uint8_t *b = p;
        return (uint32_t) b[0] | ((uint32_t) b[1] << 8) | ((uint32_t) b[2] << 16) | ((uint32_t) b[3] << 24);
}
static inline uint64_t le64_read(const void *p) {
        return (uint64_t) le32_read(p) | ((uint64_t) le32_read((const uint8_t *) p + 4) << 32);
}
static inline void le16_write(void *p, uint16_t v) {
        uint8_t *b = p;
        b[0] = (uint8_t) v;
        b[1] = (uint8_t) (v >> 8);
}
static inline void le32_write(void *p, uint32_t v) {
        uint8_t *b = p;
        b[0] = (uint8_t) v;
        b[1] = (uint8_t) (v >> 8);
        b[2] = (uint8_t) (v >> 16);
        b[3] = (uint8_t) (v >> 24);
}
static inline void le64_write(void *p, uint64_t v) {
        le32_write(p, (uint32_t) v);
        le32_write((uint8_t *) p + 4, (uint32_t) (v >> 32));
}
