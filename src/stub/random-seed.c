/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kernel's boot seed, as systemd-stub 257 provides it: unless the boot
 * loader already did (LoaderFeatures has RANDOM_SEED, e.g. systemd-boot),
 * the ESP of the boot disk (esp-find.c; found by partition type, so a UKI
 * on XBOOTLDR uses the ESP's file, not its own partition's) has its
 * \loader\random-seed refreshed and a LINUX_EFI_RANDOM_SEED table of
 * 32 bytes installed for the kernel.
 *
 * Both come from one SHA-256 over, each with its length: a label, the seed
 * table an earlier loader left, 32 bytes of EFI_RNG_PROTOCOL output, the
 * LoaderSystemToken variable (written by `bootctl random-seed`), the old
 * file, the monotonic counter and the time. The file gets
 * SHA-256(key || 0) (the rest of a longer file zeroed), the table
 * SHA-256(key || 1): the seed handed out is never the one stored.
 *
 * The same conditions as 257 apply: without RNG output and without a
 * previous table of 32+ bytes nothing is done under Secure Boot (the ESP is
 * not trusted alone) nor without a system token of 32+ bytes (a copied disk
 * image would repeat its seeds); a missing file is created only when the
 * firmware gave randomness; a file shorter than 32 bytes counts as empty;
 * the new file content is written before the table is installed, so a seed
 * that could not be replaced is never used. */

#include "esp-find.h"
#include "proto/rng.h"
#include "sha256.h"
#include "stub.h"
#include "util.h"

#define SEED_SIZE               32u     /* Linux's pool is 256 bits */
#define SEED_FILE_MAX           (32u * 1024u)
#define LOADER_FEATURE_RANDOM_SEED (UINT64_C(1) << 6)

static const char seed_label[] = "ukit-stub random seed v1";

static void wipe(void *p, size_t n) {
        volatile uint8_t *b = p;
        while (n--)
                *b++ = 0;
}

/* One input of the hash: its length (8 bytes, little-endian) then it. */
static void hash_input(Sha256 *h, const void *p, size_t n) {
        uint8_t len[8];
        for (unsigned i = 0; i < 8; i++)
                len[i] = (uint8_t) ((uint64_t) n >> (8 * i));
        sha256_update(h, len, sizeof(len));
        if (n > 0)
                sha256_update(h, p, n);
}

static bool loader_did_seed(void) {
        static const EFI_GUID loader_guid = LOADER_VARIABLE_GUID;
        _cleanup_free_ void *v = NULL;
        size_t n = 0;
        if (efivar_get_raw(&loader_guid, L"LoaderFeatures", &v, &n) != EFI_SUCCESS || n != 8)
                return false;
        uint64_t f = 0;
        memcpy(&f, v, sizeof(f));
        return (f & LOADER_FEATURE_RANDOM_SEED) != 0;
}

/* The previous table, the RNG and the system token into h. false when 257
 * would give up here; *seeded says whether the firmware gave randomness. */
static bool hash_machine_inputs(Sha256 *h, const LINUX_EFI_RANDOM_SEED *prev, bool *seeded) {
        static const EFI_GUID rng_guid = EFI_RNG_PROTOCOL_GUID, loader_guid = LOADER_VARIABLE_GUID;
        EFI_RNG_PROTOCOL *rng = NULL;
        uint8_t r[SEED_SIZE];

        *seeded = prev && prev->size >= SEED_SIZE;
        hash_input(h, prev ? prev->bits : NULL, prev ? prev->size : 0);

        if (BS->LocateProtocol(&rng_guid, NULL, (void **) &rng) == EFI_SUCCESS && rng &&
            rng->GetRNG(rng, NULL, sizeof(r), r) == EFI_SUCCESS) {
                *seeded = true;
                hash_input(h, r, sizeof(r));
                wipe(r, sizeof(r));
        } else {
                if (!*seeded && secure_boot_enabled())
                        return false;
                hash_input(h, NULL, 0);
        }

        void *token = NULL;
        size_t n = 0;
        EFI_STATUS err = efivar_get_raw(&loader_guid, L"LoaderSystemToken", &token, &n);
        if (err != EFI_SUCCESS) {
                token = NULL;
                n = 0;
        }
        if (n < SEED_SIZE && !*seeded) {
                free(token);
                return false;
        }
        hash_input(h, token, n);
        if (token) {
                wipe(token, n);
                free(token);
        }
        return true;
}

static EFI_FILE_PROTOCOL *open_seed_file(EFI_FILE_PROTOCOL *root, bool seeded, bool *created) {
        EFI_FILE_PROTOCOL *f = NULL;
        EFI_STATUS err = root->Open(root, &f, L"\\loader\\random-seed", EFI_FILE_MODE_READ | EFI_FILE_MODE_WRITE, 0);
        *created = false;
        if (err == EFI_NOT_FOUND && seeded) {
                err = root->Open(root, &f, L"\\loader\\random-seed",
                                 EFI_FILE_MODE_READ | EFI_FILE_MODE_WRITE | EFI_FILE_MODE_CREATE, 0);
                *created = true;
        }
        return err == EFI_SUCCESS ? f : NULL;
}

/* Hashes the seed file's content (none if created or shorter than
 * SEED_SIZE) into h; *size is its length, 0 for "treat as new". The
 * content is wiped; the position is left at 0. */
static EFI_STATUS hash_seed_file(Sha256 *h, EFI_FILE_PROTOCOL *f, bool created, uint64_t *size) {
        static const EFI_GUID info_guid = EFI_FILE_INFO_GUID;
        uint64_t info_buf[(sizeof(EFI_FILE_INFO) + 256 * sizeof(CHAR16)) / 8 + 1];
        uint64_t info_size = sizeof(info_buf);

        *size = 0;
        if (!created) {
                if (f->GetInfo(f, &info_guid, &info_size, info_buf) != EFI_SUCCESS)
                        return EFI_DEVICE_ERROR;
                *size = ((EFI_FILE_INFO *) info_buf)->FileSize;
                if (*size < SEED_SIZE)
                        *size = 0;
        }
        if (*size == 0) {
                hash_input(h, NULL, 0);
                return EFI_SUCCESS;
        }
        if (*size > SEED_FILE_MAX)
                return EFI_INVALID_PARAMETER;
        _cleanup_free_ uint8_t *buf = xmalloc((size_t) *size);
        if (!buf)
                return EFI_OUT_OF_RESOURCES;
        uint64_t got = *size;
        EFI_STATUS err = f->Read(f, &got, buf);
        if (err == EFI_SUCCESS && got == *size)
                hash_input(h, buf, (size_t) got);
        else if (err == EFI_SUCCESS)
                err = EFI_DEVICE_ERROR;
        wipe(buf, (size_t) *size);
        if (err == EFI_SUCCESS)
                err = f->SetPosition(f, 0);
        return err;
}

/* Writes the new seed to the file: zeros after the first SEED_SIZE bytes of
 * a longer file (it is not truncated, as 257), then the seed. */
static EFI_STATUS write_seed_file(EFI_FILE_PROTOCOL *f, uint64_t old_size, const uint8_t seed[static SEED_SIZE]) {
        static const uint8_t zeros[512];
        EFI_STATUS err;

        if (old_size > SEED_SIZE) {
                err = f->SetPosition(f, SEED_SIZE);
                for (uint64_t left = old_size - SEED_SIZE; err == EFI_SUCCESS && left > 0;) {
                        uint64_t n = MIN(left, (uint64_t) sizeof(zeros)), w = n;
                        err = f->Write(f, &w, zeros);
                        if (err == EFI_SUCCESS && w != n)
                                err = EFI_DEVICE_ERROR;
                        left -= n;
                }
                if (err == EFI_SUCCESS)
                        err = f->Flush(f);
                if (err == EFI_SUCCESS)
                        err = f->SetPosition(f, 0);
                if (err != EFI_SUCCESS)
                        return err;
        }
        uint64_t w = SEED_SIZE;
        err = f->Write(f, &w, seed);
        if (err == EFI_SUCCESS && w != SEED_SIZE)
                err = EFI_DEVICE_ERROR;
        if (err == EFI_SUCCESS)
                err = f->Flush(f);
        return err;
}

/* SHA-256(key || tag). */
static void derive(const uint8_t key[static SEED_SIZE], uint8_t tag, uint8_t out[static SEED_SIZE]) {
        Sha256 h;
        sha256_init(&h);
        sha256_update(&h, key, SEED_SIZE);
        sha256_update(&h, &tag, 1);
        sha256_final(&h, out);
}

static EFI_STATUS install_table(const uint8_t key[static SEED_SIZE], LINUX_EFI_RANDOM_SEED *prev) {
        static const EFI_GUID table_guid = LINUX_EFI_RANDOM_SEED_TABLE_GUID;
        LINUX_EFI_RANDOM_SEED *table = NULL;

        /* ACPI reclaim memory survives ExitBootServices() until the kernel
         * has consumed it, as the kernel's own EFI stub does it. */
        EFI_STATUS err = BS->AllocatePool(EfiACPIReclaimMemory, sizeof(*table) + SEED_SIZE, (void **) &table);
        if (err != EFI_SUCCESS)
                return err;
        table->size = SEED_SIZE;
        derive(key, 1, table->bits);
        err = BS->InstallConfigurationTable(&table_guid, table);
        if (err != EFI_SUCCESS) {
                wipe(table, sizeof(*table) + SEED_SIZE);
                (void) BS->FreePool(table);
                return err;
        }
        /* Replaced: the old seed must not linger in memory the OS can read.
         * (It is not freed: we did not allocate it.) */
        if (prev)
                wipe(prev->bits, prev->size);
        return EFI_SUCCESS;
}

/* The file and counters into h, then the file rewritten and the table
 * installed. */
static EFI_STATUS refresh(EFI_FILE_PROTOCOL *root, Sha256 *h, bool seeded, LINUX_EFI_RANDOM_SEED *prev) {
        bool created;
        uint64_t size, count = 0;
        uint8_t key[SEED_SIZE], seed[SEED_SIZE];
        EFI_TIME now;

        EFI_FILE_PROTOCOL *f = open_seed_file(root, seeded, &created);
        if (!f)
                return EFI_NOT_FOUND;
        EFI_STATUS err = hash_seed_file(h, f, created, &size);
        if (err == EFI_SUCCESS) {
                err = BS->GetNextMonotonicCount(&count);
                if (err != EFI_SUCCESS && seeded)
                        err = EFI_SUCCESS;
        }
        if (err == EFI_SUCCESS) {
                hash_input(h, &count, sizeof(count));
                bool have_time = RT->GetTime(&now, NULL) == EFI_SUCCESS;
                hash_input(h, &now, have_time ? sizeof(now) : 0);
                sha256_final(h, key);
                derive(key, 0, seed);
                err = write_seed_file(f, size, seed);
                wipe(seed, sizeof(seed));
        }
        (void) f->Close(f);
        if (err == EFI_SUCCESS)
                err = install_table(key, prev);
        wipe(key, sizeof(key));
        return err;
}

EFI_STATUS random_seed_install(EFI_LOADED_IMAGE_PROTOCOL *li) {
        static const EFI_GUID table_guid = LINUX_EFI_RANDOM_SEED_TABLE_GUID;
        Sha256 h;
        bool seeded;

        if (loader_did_seed())
                return EFI_ALREADY_STARTED;
        EFI_FILE_PROTOCOL *root = esp_find_root(li->DeviceHandle);
        if (!root)
                return EFI_NOT_FOUND;
        LINUX_EFI_RANDOM_SEED *prev = config_table_find(&table_guid);
        sha256_init(&h);
        sha256_update(&h, seed_label, sizeof(seed_label) - 1);
        EFI_STATUS err = EFI_NOT_FOUND;
        if (hash_machine_inputs(&h, prev, &seeded))
                err = refresh(root, &h, seeded, prev);
        wipe(&h, sizeof(h));
        (void) root->Close(root);
        return err;
}
