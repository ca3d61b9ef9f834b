/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Confidential VM detection, with the CPUID and MSR checks systemd-stub 257
 * makes: AMD SEV/SEV-ES/SEV-SNP (CPUID 0x8000001f EAX bit 1, then the
 * SEV_STATUS MSR 0xc0010131 bits 0-2; where the leaf hides SEV, Hyper-V's
 * isolation leaves report SNP), Intel TDX (CPUID 0x21 "IntelTDX    "). All
 * only inside a hypervisor (CPUID 1 ECX bit 31). Other architectures: never.
 * In a confidential VM the host is not trusted: SMBIOS strings and, under
 * Secure Boot, command lines it could pass are ignored. */

#include "stub.h"
#include "util.h"

#if defined(__x86_64__)
static void cpuid(uint32_t leaf, uint32_t r[4]) {
        __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(0));
}

static uint64_t rdmsr(uint32_t index) {
        uint32_t lo, hi;
        __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(index) : "memory");
        return (uint64_t) hi << 32 | lo;
}

/* The vendor string of a leaf from EBX, EDX, ECX (leaf 0) or EBX, ECX, EDX. */
static bool sig_is(const uint32_t r[4], bool edx_second, const char *want) {
        uint32_t w[3] = { r[1], edx_second ? r[3] : r[2], edx_second ? r[2] : r[3] };
        const char *c = (const char *) w;
        for (size_t i = 0; i < 12; i++)
                if (c[i] != want[i])
                        return false;
        return true;
}

static bool hyperv_snp(void) {
        uint32_t r[4];
        cpuid(0x40000000, r);
        if (r[0] < 0x40000005 || r[0] > 0x4000ffff || !sig_is(r, false, "Microsoft Hv"))
                return false;
        cpuid(0x40000003, r);
        /* isolation (EBX bit 22) without CPU management (bit 12) */
        if (!(r[1] & (1u << 22)) || (r[1] & (1u << 12)))
                return false;
        cpuid(0x4000000c, r);
        return (r[1] & 0xf) == 2;       /* SNP */
}

static bool sev(void) {
        uint32_t r[4];
        cpuid(0x80000000, r);
        if (r[0] < 0x8000001f)
                return false;
        cpuid(0x8000001f, r);
        if (!(r[0] & (1u << 1)))
                return hyperv_snp();
        return (rdmsr(0xc0010131) & 0x7) != 0;
}

static bool tdx(void) {
        uint32_t r[4];
        /* 257 compares the highest extended leaf with 0x21 */
        cpuid(0x80000000, r);
        if (r[0] < 0x21)
                return false;
        cpuid(0x21, r);
        return sig_is(r, true, "IntelTDX    ");
}

bool is_confidential_vm(void) {
        static int cached = -1;
        uint32_t r[4];

        if (cached >= 0)
                return cached;
        cpuid(1, r);
        if (!(r[2] & (1u << 31)))
                return (cached = 0);
        cpuid(0, r);
        if (sig_is(r, true, "AuthenticAMD"))
                cached = sev();
        else if (sig_is(r, true, "GenuineIntel"))
                cached = tdx();
        else
                cached = 0;
        return cached;
}
#else
bool is_confidential_vm(void) {
        return false;
}
#endif
