/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "esp-find.h"
#include "proto/block-io.h"
#include "proto/device-path.h"
#include "util.h"

#define GPT_ENTRIES_MAX_BYTES   (1024u * 1024u)

/* The ESP's partition type GUID in its on-disk (mixed-endian) form. */
static const uint8_t esp_type[16] = {
        0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2, 0x11, 0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e, 0xc9, 0x3b,
};

typedef struct _packed_ GptHeader {
        uint8_t signature[8];
        uint32_t revision;
        uint32_t header_size;
        uint32_t header_crc32;
        uint32_t reserved;
        uint64_t my_lba, alternate_lba, first_usable_lba, last_usable_lba;
        uint8_t disk_guid[16];
        uint64_t entries_lba;
        uint32_t n_entries;
        uint32_t entry_size;
        uint32_t entries_crc32;
} GptHeader;
assert_cc(sizeof(GptHeader) == 92);

typedef struct _packed_ GptEntry {
        uint8_t type[16];
        uint8_t uuid[16];
        uint64_t first_lba, last_lba;
} GptEntry;

/* Length of dp up to its first hard-drive node (the disk's path), 0 if it
 * has none. */
static size_t disk_prefix_len(const EFI_DEVICE_PATH_PROTOCOL *dp) {
        const uint8_t *start = (const uint8_t *) dp;
        for (size_t steps = 0; dp->Type != DEVICE_PATH_TYPE_END && steps < 64; steps++) {
                size_t len = device_path_node_len(dp);
                if (len < sizeof(EFI_DEVICE_PATH_PROTOCOL))
                        return 0;
                if (dp->Type == DEVICE_PATH_TYPE_MEDIA && dp->SubType == DEVICE_PATH_SUBTYPE_MEDIA_HD)
                        return (size_t) ((const uint8_t *) dp - start);
                dp = (const EFI_DEVICE_PATH_PROTOCOL *) ((const uint8_t *) dp + len);
        }
        return 0;
}

static EFI_DEVICE_PATH_PROTOCOL *handle_path(EFI_HANDLE h) {
        static const EFI_GUID dp_guid = EFI_DEVICE_PATH_PROTOCOL_GUID;
        EFI_DEVICE_PATH_PROTOCOL *dp = NULL;
        if (!h || BS->HandleProtocol(h, &dp_guid, (void **) &dp) != EFI_SUCCESS)
                return NULL;
        return dp;
}

/* Page-aligned buffers satisfy any IoAlign a block device asks for. */
static void *read_blocks(EFI_BLOCK_IO_PROTOCOL *bio, uint64_t lba, size_t size, uint64_t *ret_pages) {
        uint32_t bs = bio->Media->BlockSize;
        size_t n = (size + bs - 1) / bs * bs;
        uint64_t pages = (n + 4095) / 4096;
        EFI_PHYSICAL_ADDRESS addr = 0;
        if (BS->AllocatePages(AllocateAnyPages, EfiLoaderData, pages, &addr) != EFI_SUCCESS)
                return NULL;
        void *buf = (void *) (uintptr_t) addr;
        if (bio->ReadBlocks(bio, bio->Media->MediaId, lba, n, buf) != EFI_SUCCESS) {
                (void) BS->FreePages(addr, pages);
                return NULL;
        }
        *ret_pages = pages;
        return buf;
}

static void free_pages(void *p, uint64_t pages) {
        if (p)
                (void) BS->FreePages((EFI_PHYSICAL_ADDRESS) (uintptr_t) p, pages);
}

static bool header_ok(GptHeader *h, uint64_t lba, uint32_t block_size) {
        static const uint8_t sig[8] = { 'E', 'F', 'I', ' ', 'P', 'A', 'R', 'T' };
        if (memcmp(h->signature, sig, 8) != 0 || h->my_lba != lba ||
            h->header_size < sizeof(GptHeader) || h->header_size > block_size ||
            h->entry_size < sizeof(GptEntry) || h->entry_size % 8 != 0 || h->n_entries == 0 ||
            (uint64_t) h->n_entries * h->entry_size > GPT_ENTRIES_MAX_BYTES)
                return false;
        uint32_t want = h->header_crc32, got = 0;
        h->header_crc32 = 0;
        EFI_STATUS err = BS->CalculateCrc32(h, h->header_size, &got);
        h->header_crc32 = want;
        return err == EFI_SUCCESS && got == want;
}

/* The ESP's entry from the GPT whose header is at lba; false if none. */
static bool find_esp_at(EFI_BLOCK_IO_PROTOCOL *bio, uint64_t lba, GptEntry *ret) {
        uint64_t hp = 0, ep = 0;
        uint8_t *e = NULL;
        bool found = false;
        GptHeader *h = read_blocks(bio, lba, bio->Media->BlockSize, &hp);
        if (!h)
                return false;
        if (!header_ok(h, lba, bio->Media->BlockSize))
                goto out;
        size_t n = (size_t) h->n_entries * h->entry_size;
        e = read_blocks(bio, h->entries_lba, n, &ep);
        uint32_t crc = 0;
        if (!e || BS->CalculateCrc32(e, n, &crc) != EFI_SUCCESS || crc != h->entries_crc32)
                goto out;
        for (uint32_t i = 0; i < h->n_entries && !found; i++) {
                const GptEntry *p = (const GptEntry *) (e + (size_t) i * h->entry_size);
                if (memcmp(p->type, esp_type, 16) == 0 && p->first_lba <= p->last_lba) {
                        memcpy(ret, p, sizeof(*ret));
                        found = true;
                }
        }
out:
        free_pages(e, ep);
        free_pages(h, hp);
        return found;
}

/* The simple-file-system handle on the disk at prefix (prefix_len bytes)
 * whose hard-drive node carries the partition GUID uuid. */
static EFI_HANDLE fs_handle_of(const EFI_DEVICE_PATH_PROTOCOL *prefix, size_t prefix_len, const uint8_t uuid[16]) {
        static const EFI_GUID fs_guid = EFI_SIMPLE_FILE_SYSTEM_PROTOCOL_GUID;
        EFI_HANDLE *handles = NULL, found = NULL;
        uint64_t n = 0;

        if (BS->LocateHandleBuffer(ByProtocol, &fs_guid, NULL, &n, &handles) != EFI_SUCCESS)
                return NULL;
        for (uint64_t i = 0; i < n && !found; i++) {
                EFI_DEVICE_PATH_PROTOCOL *dp = handle_path(handles[i]);
                if (!dp || disk_prefix_len(dp) != prefix_len || memcmp(dp, prefix, prefix_len) != 0)
                        continue;
                const HARDDRIVE_DEVICE_PATH *hd = (const HARDDRIVE_DEVICE_PATH *) ((const uint8_t *) dp + prefix_len);
                if (device_path_node_len(&hd->Header) >= sizeof(*hd) && hd->SignatureType == HD_SIGNATURE_TYPE_GUID &&
                    memcmp(hd->Signature, uuid, 16) == 0)
                        found = handles[i];
        }
        (void) BS->FreePool(handles);
        return found;
}

EFI_FILE_PROTOCOL *esp_find_root(EFI_HANDLE device) {
        static const EFI_GUID bio_guid = EFI_BLOCK_IO_PROTOCOL_GUID, fs_guid = EFI_SIMPLE_FILE_SYSTEM_PROTOCOL_GUID;
        static const EFI_DEVICE_PATH_PROTOCOL end = DEVICE_PATH_END_INIT;
        EFI_DEVICE_PATH_PROTOCOL *dp = handle_path(device);
        size_t plen = dp ? disk_prefix_len(dp) : 0;
        if (plen == 0)
                return NULL;

        /* The disk's own path: the partition's up to its hard-drive node. */
        _cleanup_free_ uint8_t *disk_path = xmalloc(plen + sizeof(end));
        if (!disk_path)
                return NULL;
        memcpy(disk_path, dp, plen);
        memcpy(disk_path + plen, &end, sizeof(end));
        EFI_DEVICE_PATH_PROTOCOL *rest = (EFI_DEVICE_PATH_PROTOCOL *) disk_path;
        EFI_HANDLE disk = NULL;
        EFI_BLOCK_IO_PROTOCOL *bio = NULL;
        if (BS->LocateDevicePath(&bio_guid, &rest, &disk) != EFI_SUCCESS || rest->Type != DEVICE_PATH_TYPE_END ||
            BS->HandleProtocol(disk, &bio_guid, (void **) &bio) != EFI_SUCCESS || !bio || !bio->Media ||
            bio->Media->LogicalPartition || bio->Media->BlockSize < 512 || bio->Media->BlockSize > 65536)
                return NULL;

        GptEntry esp;
        if (!find_esp_at(bio, 1, &esp) && !find_esp_at(bio, bio->Media->LastBlock, &esp))
                return NULL;
        EFI_HANDLE h = fs_handle_of(dp, plen, esp.uuid);
        EFI_SIMPLE_FILE_SYSTEM_PROTOCOL *fs = NULL;
        EFI_FILE_PROTOCOL *root = NULL;
        if (!h || BS->HandleProtocol(h, &fs_guid, (void **) &fs) != EFI_SUCCESS || !fs ||
            fs->OpenVolume(fs, &root) != EFI_SUCCESS)
                return NULL;
        return root;
}
