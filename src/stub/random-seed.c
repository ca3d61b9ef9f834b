/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kernel's boot seed: a LINUX_EFI_RANDOM_SEED configuration table (Linux
 * mixes its bytes into the entropy pool early, credited if the kernel trusts
 * the boot loader). We concatenate what a boot loader before us left in the
 * table, EFI_RNG_PROTOCOL output and the ESP's /loader/random-seed; the
 * kernel hashes the whole input, so concatenation loses nothing.
 *
 * The seed file must never be handed out twice. Without a hash function in
 * the stub the only safe refresh is fresh RNG output, so the file is used
 * (and rewritten) only when EFI_RNG_PROTOCOL works; otherwise it is left
 * alone for a boot loader or the OS (systemd-boot-random-seed.service). */

#include "proto/rng.h"
#include "proto/simple-fs.h"
#include "stub.h"
#include "util.h"

#define SEED_RNG_BYTES          32u
#define SEED_FILE_MIN           16u     /* shorter files carry too little to bother */
#define SEED_FILE_MAX           256u
#define SEED_TABLE_MAX          512u    /* Linux reads at most 1 KiB */

static void wipe(void *p, size_t n) {
        volatile uint8_t *b = p;
        while (n--)
                *b++ = 0;
}

static EFI_FILE_PROTOCOL *open_seed_file(EFI_HANDLE device) {
        static const EFI_GUID fs_guid = EFI_SIMPLE_FILE_SYSTEM_PROTOCOL_GUID;
        EFI_SIMPLE_FILE_SYSTEM_PROTOCOL *fs;
        EFI_FILE_PROTOCOL *root, *f = NULL;

        if (!device || BS->HandleProtocol(device, &fs_guid, (void **) &fs) != EFI_SUCCESS)
                return NULL;
        if (fs->OpenVolume(fs, &root) != EFI_SUCCESS)
                return NULL;
        if (root->Open(root, &f, L"\\loader\\random-seed", EFI_FILE_MODE_READ | EFI_FILE_MODE_WRITE, 0) != EFI_SUCCESS)
                f = NULL;
        (void) root->Close(root);
        return f;
}

/* Reads the open seed file f into buf (at most max bytes; a file of another
 * size than SEED_FILE_MIN..SEED_FILE_MAX is ignored) and replaces its
 * content by fresh RNG output of the same length, generated into fresh.
 * Returns the bytes read, 0 if none. */
static size_t swap_seed(EFI_FILE_PROTOCOL *f, EFI_RNG_PROTOCOL *rng, uint8_t *buf, size_t max,
                        uint8_t fresh[static SEED_FILE_MAX]) {
        static const EFI_GUID info_guid = EFI_FILE_INFO_GUID;
        uint8_t info_buf[sizeof(EFI_FILE_INFO) + 256 * sizeof(CHAR16)];
        uint64_t info_size = sizeof(info_buf), n;

        if (f->GetInfo(f, &info_guid, &info_size, info_buf) != EFI_SUCCESS)
                return 0;
        n = ((EFI_FILE_INFO *) info_buf)->FileSize;
        if (n < SEED_FILE_MIN || n > SEED_FILE_MAX || n > max)
                return 0;
        if (rng->GetRNG(rng, NULL, n, fresh) != EFI_SUCCESS)
                return 0;
        if (f->Read(f, &n, buf) != EFI_SUCCESS || n < SEED_FILE_MIN)
                return 0;
        /* Write the replacement before we hand the old content out: if that
         * fails, the old seed must not be used (it would be used again). */
        if (f->SetPosition(f, 0) != EFI_SUCCESS || f->Write(f, &n, fresh) != EFI_SUCCESS || f->Flush(f) != EFI_SUCCESS) {
                wipe(buf, n);
                return 0;
        }
        return n;
}

/* The seed file of the ESP, used and replaced (swap_seed()). Returns the
 * bytes read into buf, 0 if none. */
static size_t use_seed_file(EFI_HANDLE device, EFI_RNG_PROTOCOL *rng, uint8_t *buf, size_t max) {
        uint8_t fresh[SEED_FILE_MAX];

        EFI_FILE_PROTOCOL *f = open_seed_file(device);
        if (!f)
                return 0;
        size_t got = swap_seed(f, rng, buf, max, fresh);
        wipe(fresh, sizeof(fresh));
        (void) f->Close(f);
        return got;
}

EFI_STATUS random_seed_install(EFI_LOADED_IMAGE_PROTOCOL *li) {
        static const EFI_GUID table_guid = LINUX_EFI_RANDOM_SEED_TABLE_GUID, rng_guid = EFI_RNG_PROTOCOL_GUID;
        uint8_t seed[SEED_TABLE_MAX];
        size_t n = 0;
        EFI_RNG_PROTOCOL *rng = NULL;

        /* What an earlier boot loader (e.g. systemd-boot) put there. */
        for (size_t i = 0; i < ST->NumberOfTableEntries; i++) {
                const EFI_CONFIGURATION_TABLE *t = &ST->ConfigurationTable[i];
                if (!guid_eq(&t->VendorGuid, &table_guid) || !t->VendorTable)
                        continue;
                const LINUX_EFI_RANDOM_SEED *old = t->VendorTable;
                n = MIN((size_t) old->size, (size_t) SEED_TABLE_MAX / 2);
                memcpy(seed, old->bits, n);
                break;
        }

        if (BS->LocateProtocol(&rng_guid, NULL, (void **) &rng) == EFI_SUCCESS && rng &&
            rng->GetRNG(rng, NULL, SEED_RNG_BYTES, seed + n) == EFI_SUCCESS) {
                n += SEED_RNG_BYTES;
                n += use_seed_file(li->DeviceHandle, rng, seed + n, sizeof(seed) - n);
        }
        if (n == 0)
                return EFI_NOT_FOUND;

        LINUX_EFI_RANDOM_SEED *table = NULL;
        /* ACPI reclaim memory survives ExitBootServices() until the kernel
         * has consumed it, as the kernel's own EFI stub does it. */
        EFI_STATUS err = BS->AllocatePool(EfiACPIReclaimMemory, sizeof(*table) + n, (void **) &table);
        if (err != EFI_SUCCESS) {
                wipe(seed, sizeof(seed));
                return err;
        }
        table->size = (uint32_t) n;
        memcpy(table->bits, seed, n);
        wipe(seed, sizeof(seed));

        err = BS->InstallConfigurationTable(&table_guid, table);
        if (err != EFI_SUCCESS) {
                wipe(table, sizeof(*table) + n);
                (void) BS->FreePool(table);
        }
        return err;
}
