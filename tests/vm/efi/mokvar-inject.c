/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* mokvar-inject.efi: a TEST-ONLY stand-in for shim's hand-over of Machine
 * Owner Keys to Linux. Not installed, never part of a product boot chain.
 *
 * shim mirrors its MOK state into an EFI configuration table with the GUID
 * LINUX_EFI_MOK_VARIABLE_TABLE_GUID; the kernel (drivers/firmware/efi/
 * mokvar-table.c) finds it among the system table's configuration tables,
 * reserves it, and security/integrity/platform_certs/load_uefi.c loads the
 * certificates of its "MokListRT" entry (into .machine when a
 * "MokListTrustedRT" entry exists, else into .platform). We have no shim
 * with our key enrolled, so this application does exactly that hand-over
 * and nothing else:
 *
 *   1. read the prepared table \ukit\mokvar.bin from the volume it was
 *      loaded from (tests/vm/lib-mok.sh, vm_mokvar_table, builds it: packed
 *      entries {char name[256]; u64 data_size; u8 data[]}, ending with an
 *      all-zero 264-byte header), and check that it is well formed;
 *   2. copy it into EfiRuntimeServicesData pages (memory the OS must keep:
 *      the kernel only reserves the table by itself when it lies in boot
 *      services data, and it must lie in ONE memory map descriptor, which
 *      a single page allocation guarantees) and InstallConfigurationTable;
 *   3. LoadImage + StartImage of \EFI\Linux\uki.efi from the same device,
 *      so under Secure Boot the firmware verifies the UKI against db as it
 *      would verify shim's next stage.
 *
 * Any failure prints one line "mokvar-inject: ...: <status>" and returns
 * to the firmware. Built like ukit-stub (clang, x86_64-unknown-windows,
 * lld-link /subsystem:efi_application) on ukit-stub's own UEFI headers. */

#include "efi.h"
#include "proto/device-path.h"
#include "proto/loaded-image.h"
#include "proto/simple-fs.h"

/* c451ed2b-9694-45d3-baba-ed9f8988a389 (include/linux/efi.h) */
#define LINUX_EFI_MOK_VARIABLE_TABLE_GUID \
        EFI_GUID_INIT(0xc451ed2b, 0x9694, 0x45d3, 0xba, 0xba, 0xed, 0x9f, 0x89, 0x88, 0xa3, 0x89)

#define TABLE_PATH L"\\ukit\\mokvar.bin"
#define UKI_PATH L"\\EFI\\Linux\\uki.efi"

/* One entry header as the kernel reads it (struct efi_mokvar_table_entry). */
#define MOKVAR_NAME_MAX 256u
#define MOKVAR_HEADER_SIZE (MOKVAR_NAME_MAX + 8u)
/* shim's real tables are a few KiB to a few hundred KiB; anything bigger is
 * a broken test fixture. */
#define TABLE_SIZE_MAX (UINT64_C(4) << 20)

static EFI_SYSTEM_TABLE *ST;
static EFI_BOOT_SERVICES *BS;

/* clang may emit calls to these for struct copies and zeroing. */
void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memset(void *s, int c, size_t n);
void *memcpy(void *restrict dst, const void *restrict src, size_t n) {
        uint8_t *d = dst;
        const uint8_t *s = src;
        while (n--)
                *d++ = *s++;
        return dst;
}
void *memset(void *s, int c, size_t n) {
        uint8_t *p = s;
        while (n--)
                *p++ = (uint8_t) c;
        return s;
}

static void print(const CHAR16 *s) {
        ST->ConOut->OutputString(ST->ConOut, s);
}

static void print_hex(uint64_t v) {
        CHAR16 buf[19];
        unsigned n = 0;
        buf[n++] = L'0';
        buf[n++] = L'x';
        for (int shift = 60; shift >= 0; shift -= 4) {
                unsigned d = (v >> shift) & 0xf;
                if (n == 2 && d == 0 && shift > 0)
                        continue;       /* no leading zeros */
                buf[n++] = (CHAR16) (d < 10 ? L'0' + d : L'a' + d - 10);
        }
        buf[n] = 0;
        print(buf);
}

/* One line, then hand the status back to the firmware. */
static EFI_STATUS fail(const CHAR16 *what, EFI_STATUS status) {
        print(L"mokvar-inject: ");
        print(what);
        print(L": status ");
        print_hex(status);
        print(L"\r\n");
        return status;
}

/* Reads the whole file PATH from ROOT into fresh EfiRuntimeServicesData
 * pages. On success *ret_buf and *ret_size are set; the pages stay allocated
 * (they become the configuration table). */
static EFI_STATUS read_table(EFI_FILE_PROTOCOL *root, void **ret_buf, uint64_t *ret_size) {
        EFI_FILE_PROTOCOL *f = NULL;
        EFI_STATUS err;

        err = root->Open(root, &f, TABLE_PATH, EFI_FILE_MODE_READ, 0);
        if (EFI_ERROR(err))
                return fail(L"cannot open " TABLE_PATH, err);

        /* EFI_FILE_INFO with a file name of any length we could meet. */
        union {
                EFI_FILE_INFO info;
                uint8_t raw[sizeof(EFI_FILE_INFO) + 512];
        } fi;
        uint64_t fisize = sizeof(fi);
        const EFI_GUID info_guid = EFI_FILE_INFO_GUID;
        err = f->GetInfo(f, &info_guid, &fisize, &fi);
        if (EFI_ERROR(err)) {
                f->Close(f);
                return fail(L"cannot stat " TABLE_PATH, err);
        }
        uint64_t size = fi.info.FileSize;
        if (size < MOKVAR_HEADER_SIZE || size > TABLE_SIZE_MAX) {
                f->Close(f);
                return fail(TABLE_PATH L": size out of range", EFI_BAD_BUFFER_SIZE);
        }

        uint64_t pages = (size + EFI_PAGE_SIZE - 1) / EFI_PAGE_SIZE;
        EFI_PHYSICAL_ADDRESS addr = 0;
        err = BS->AllocatePages(AllocateAnyPages, EfiRuntimeServicesData, pages, &addr);
        if (EFI_ERROR(err)) {
                f->Close(f);
                return fail(L"cannot allocate runtime services data", err);
        }
        uint8_t *buf = (uint8_t *) (uintptr_t) addr;
        memset(buf, 0, pages * EFI_PAGE_SIZE);

        uint64_t done = 0;
        while (done < size) {
                uint64_t n = size - done;
                err = f->Read(f, &n, buf + done);
                if (EFI_ERROR(err) || n == 0) {
                        f->Close(f);
                        BS->FreePages(addr, pages);
                        return fail(L"cannot read " TABLE_PATH, EFI_ERROR(err) ? err : EFI_DEVICE_ERROR);
                }
                done += n;
        }
        f->Close(f);
        *ret_buf = buf;
        *ret_size = size;
        return EFI_SUCCESS;
}

/* The walk the kernel does in efi_mokvar_table_init(): entries until an
 * all-zero header, each fully inside the buffer. Also makes sure the table
 * is not followed by garbage (a sign of a broken fixture). Prints the entry
 * names, so the serial log shows what the kernel was given. */
static EFI_STATUS check_table(const uint8_t *buf, uint64_t size) {
        uint64_t off = 0;
        for (;;) {
                uint64_t end;
                if (!ADD_OK(off, (uint64_t) MOKVAR_HEADER_SIZE, &end) || end > size)
                        return fail(TABLE_PATH L": entry header past the end", EFI_VOLUME_CORRUPTED);
                const uint8_t *h = buf + off;
                uint64_t data_size;
                memcpy(&data_size, h + MOKVAR_NAME_MAX, sizeof(data_size));
                if (h[0] == 0) {
                        for (unsigned i = 0; i < MOKVAR_HEADER_SIZE; i++)
                                if (h[i] != 0)
                                        return fail(TABLE_PATH L": terminator not all zero", EFI_VOLUME_CORRUPTED);
                        if (end != size)
                                return fail(TABLE_PATH L": data after the terminator", EFI_VOLUME_CORRUPTED);
                        return EFI_SUCCESS;
                }
                bool terminated = false;
                for (unsigned i = 0; i < MOKVAR_NAME_MAX; i++)
                        if (h[i] == 0) {
                                terminated = true;
                                break;
                        }
                if (!terminated)
                        return fail(TABLE_PATH L": entry name not NUL-terminated", EFI_VOLUME_CORRUPTED);
                if (!ADD_OK(end, data_size, &end) || end > size)
                        return fail(TABLE_PATH L": entry data past the end", EFI_VOLUME_CORRUPTED);

                /* names are ASCII by construction; print them as such */
                CHAR16 name[MOKVAR_NAME_MAX];
                unsigned i;
                for (i = 0; i < MOKVAR_NAME_MAX - 1 && h[i] != 0; i++)
                        name[i] = (h[i] >= 0x20 && h[i] < 0x7f) ? h[i] : L'?';
                name[i] = 0;
                print(L"mokvar-inject: entry ");
                print(name);
                print(L", ");
                print_hex(data_size);
                print(L" bytes\r\n");
                off = end;
        }
}

/* DEV's device path + a file path node for PATH + the end node, in pool
 * memory. */
static EFI_STATUS file_device_path(EFI_HANDLE dev, const CHAR16 *path, EFI_DEVICE_PATH_PROTOCOL **ret) {
        const EFI_GUID dp_guid = EFI_DEVICE_PATH_PROTOCOL_GUID;
        EFI_DEVICE_PATH_PROTOCOL *dp = NULL;
        EFI_STATUS err;

        err = BS->HandleProtocol(dev, &dp_guid, (void **) &dp);
        if (EFI_ERROR(err))
                return fail(L"no device path for the boot volume", err);

        /* length of DEV's path without its end node; bounded, in case a
         * firmware hands us a path without one */
        uint64_t prefix = 0;
        for (unsigned nodes = 0;; nodes++) {
                const uint8_t *n = (const uint8_t *) dp + prefix;
                uint16_t len = (uint16_t) (n[2] | (n[3] << 8));
                if (n[0] == DEVICE_PATH_TYPE_END && n[1] == DEVICE_PATH_SUBTYPE_END_ENTIRE)
                        break;
                if (len < sizeof(EFI_DEVICE_PATH_PROTOCOL) || nodes > 64)
                        return fail(L"malformed device path of the boot volume", EFI_INVALID_PARAMETER);
                prefix += len;
        }

        uint64_t chars = 0;
        while (path[chars])
                chars++;
        uint64_t node_len = sizeof(EFI_DEVICE_PATH_PROTOCOL) + (chars + 1) * sizeof(CHAR16);
        uint64_t total = prefix + node_len + sizeof(EFI_DEVICE_PATH_PROTOCOL);

        uint8_t *out = NULL;
        err = BS->AllocatePool(EfiLoaderData, total, (void **) &out);
        if (EFI_ERROR(err))
                return fail(L"cannot allocate the device path", err);
        memcpy(out, dp, prefix);
        uint8_t *n = out + prefix;
        n[0] = DEVICE_PATH_TYPE_MEDIA;
        n[1] = DEVICE_PATH_SUBTYPE_MEDIA_FILEPATH;
        n[2] = (uint8_t) node_len;
        n[3] = (uint8_t) (node_len >> 8);
        memcpy(n + 4, path, (chars + 1) * sizeof(CHAR16));
        n += node_len;
        n[0] = DEVICE_PATH_TYPE_END;
        n[1] = DEVICE_PATH_SUBTYPE_END_ENTIRE;
        n[2] = sizeof(EFI_DEVICE_PATH_PROTOCOL);
        n[3] = 0;
        *ret = (EFI_DEVICE_PATH_PROTOCOL *) out;
        return EFI_SUCCESS;
}

EFI_STATUS EFIAPI efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *system_table);
EFI_STATUS EFIAPI efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *system_table) {
        ST = system_table;
        BS = system_table->BootServices;
        EFI_STATUS err;

        const EFI_GUID li_guid = EFI_LOADED_IMAGE_PROTOCOL_GUID;
        EFI_LOADED_IMAGE_PROTOCOL *li = NULL;
        err = BS->HandleProtocol(image, &li_guid, (void **) &li);
        if (EFI_ERROR(err))
                return fail(L"no loaded image protocol", err);

        const EFI_GUID fs_guid = EFI_SIMPLE_FILE_SYSTEM_PROTOCOL_GUID;
        EFI_SIMPLE_FILE_SYSTEM_PROTOCOL *fs = NULL;
        err = BS->HandleProtocol(li->DeviceHandle, &fs_guid, (void **) &fs);
        if (EFI_ERROR(err))
                return fail(L"boot volume has no file system", err);
        EFI_FILE_PROTOCOL *root = NULL;
        err = fs->OpenVolume(fs, &root);
        if (EFI_ERROR(err))
                return fail(L"cannot open the boot volume", err);

        void *table = NULL;
        uint64_t size = 0;
        err = read_table(root, &table, &size);
        root->Close(root);
        if (EFI_ERROR(err))
                return err;
        err = check_table(table, size);
        if (EFI_ERROR(err))
                return err;

        const EFI_GUID mokvar_guid = LINUX_EFI_MOK_VARIABLE_TABLE_GUID;
        err = BS->InstallConfigurationTable(&mokvar_guid, table);
        if (EFI_ERROR(err))
                return fail(L"InstallConfigurationTable", err);
        print(L"mokvar-inject: installed the MOK variable table, ");
        print_hex(size);
        print(L" bytes at ");
        print_hex((uint64_t) (uintptr_t) table);
        print(L"\r\n");

        EFI_DEVICE_PATH_PROTOCOL *dp = NULL;
        err = file_device_path(li->DeviceHandle, UKI_PATH, &dp);
        if (EFI_ERROR(err))
                return err;
        EFI_HANDLE uki = NULL;
        err = BS->LoadImage(false, image, dp, NULL, 0, &uki);
        BS->FreePool(dp);
        if (EFI_ERROR(err)) {
                /* a Secure Boot refusal may still hand out a handle */
                if (uki)
                        BS->UnloadImage(uki);
                return fail(L"LoadImage " UKI_PATH, err);
        }
        print(L"mokvar-inject: starting " UKI_PATH L"\r\n");
        err = BS->StartImage(uki, NULL, NULL);
        return fail(L"StartImage " UKI_PATH L" returned", err);
}
