/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "linux.h"
#include "proto/device-path.h"
#include "proto/loaded-image.h"
#include "proto/security-arch.h"
#include "util.h"

/* The kernel buffer and the device path we hand to LoadImage(); the security
 * hooks accept an image only if it is this exact buffer (SECURITY2) or this
 * exact path object (SECURITY, which sees no buffer). */
static struct {
        const void *buffer;
        size_t size;
        const EFI_DEVICE_PATH_PROTOCOL *path;
        EFI_SECURITY_ARCH_PROTOCOL *security;
        EFI_SECURITY_FILE_AUTHENTICATION_STATE orig_security;
        EFI_SECURITY2_ARCH_PROTOCOL *security2;
        EFI_SECURITY2_FILE_AUTHENTICATION orig_security2;
} override;

static EFI_STATUS EFIAPI security_hook(const EFI_SECURITY_ARCH_PROTOCOL *this, uint32_t auth_status,
                                       const EFI_DEVICE_PATH_PROTOCOL *file) {
        /* EDK2 hands us our own pointer; other firmware may pass a copy. */
        if (file && (file == override.path ||
                     (file->Type == DEVICE_PATH_TYPE_HARDWARE && file->SubType == DEVICE_PATH_SUBTYPE_HW_MEMMAP &&
                      device_path_node_len(file) == sizeof(MEMMAP_DEVICE_PATH) &&
                      memcmp(file, override.path, sizeof(MEMMAP_DEVICE_PATH)) == 0)))
                return EFI_SUCCESS;
        return override.orig_security(this, auth_status, file);
}

static EFI_STATUS EFIAPI security2_hook(const EFI_SECURITY2_ARCH_PROTOCOL *this, const EFI_DEVICE_PATH_PROTOCOL *path,
                                        void *buffer, uint64_t size, BOOLEAN boot_policy) {
        if (buffer && buffer == override.buffer && size == override.size)
                return EFI_SUCCESS;
        return override.orig_security2(this, path, buffer, size, boot_policy);
}

static void security_override_install(const void *buffer, size_t size, const EFI_DEVICE_PATH_PROTOCOL *path) {
        static const EFI_GUID s1 = EFI_SECURITY_ARCH_PROTOCOL_GUID, s2 = EFI_SECURITY2_ARCH_PROTOCOL_GUID;
        void *p;

        override.buffer = buffer;
        override.size = size;
        override.path = path;
        if (BS->LocateProtocol(&s1, NULL, &p) == EFI_SUCCESS && p) {
                override.security = p;
                override.orig_security = override.security->FileAuthenticationState;
                override.security->FileAuthenticationState = security_hook;
        }
        if (BS->LocateProtocol(&s2, NULL, &p) == EFI_SUCCESS && p) {
                override.security2 = p;
                override.orig_security2 = override.security2->FileAuthentication;
                override.security2->FileAuthentication = security2_hook;
        }
}

static void security_override_remove(void) {
        if (override.security)
                override.security->FileAuthenticationState = override.orig_security;
        if (override.security2)
                override.security2->FileAuthentication = override.orig_security2;
        override = (__typeof__(override)) {};
}

EFI_STATUS linux_exec(EFI_HANDLE parent, const CHAR16 *cmdline, const void *kernel, size_t kernel_size) {
        static const EFI_GUID loaded_image_guid = EFI_LOADED_IMAGE_PROTOCOL_GUID;
        EFI_LOADED_IMAGE_PROTOCOL *li;
        EFI_HANDLE h = NULL;
        EFI_STATUS err;

        /* A memory-mapped device path naming the buffer: becomes the kernel's
         * loaded-image FilePath and is what the SECURITY hook recognises. */
        struct _packed_ {
                MEMMAP_DEVICE_PATH memmap;
                EFI_DEVICE_PATH_PROTOCOL end;
        } dp = {
                .memmap = {
                        .Header = { DEVICE_PATH_TYPE_HARDWARE, DEVICE_PATH_SUBTYPE_HW_MEMMAP,
                                    { sizeof(MEMMAP_DEVICE_PATH), 0 } },
                        .MemoryType = EfiLoaderCode,
                        .StartingAddress = (uintptr_t) kernel,
                        .EndingAddress = (uintptr_t) kernel + kernel_size - 1,
                },
                .end = DEVICE_PATH_END_INIT,
        };

        if (kernel_size == 0)
                return log_error(EFI_LOAD_ERROR, L"empty .linux section");

        bool sb = secure_boot_enabled();
        if (sb)
                security_override_install(kernel, kernel_size, &dp.memmap.Header);
        err = BS->LoadImage(false, parent, &dp.memmap.Header, (void *) kernel, kernel_size, &h);
        if (sb)
                security_override_remove();
        if (err != EFI_SUCCESS)
                return log_error(err, L"LoadImage() of the embedded kernel failed");

        err = BS->HandleProtocol(h, &loaded_image_guid, (void **) &li);
        if (err != EFI_SUCCESS) {
                (void) BS->UnloadImage(h);
                return log_error(err, L"kernel image has no loaded image protocol");
        }
        if (cmdline) {
                li->LoadOptions = (void *) cmdline;
                li->LoadOptionsSize = (uint32_t) ((strlen16(cmdline) + 1) * sizeof(CHAR16));
        }

        err = BS->StartImage(h, NULL, NULL);
        (void) BS->UnloadImage(h);
        return log_error(err == EFI_SUCCESS ? EFI_LOAD_ERROR : err, L"kernel returned");
}
