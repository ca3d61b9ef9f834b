/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The subset of the UEFI 2.10 specification ukit-stub needs, written from the
 * spec (no gnu-efi, no EDK2 headers). Only fields the stub uses are named;
 * the rest are kept as opaque pointers so the table layouts stay exact, and
 * every layout is checked with assert_cc against the spec's sizes.
 *
 * The stub is built with clang for x86_64-unknown-windows (or
 * aarch64-unknown-windows), whose default calling convention is the one UEFI
 * specifies for the architecture (Microsoft x64; AAPCS64), so EFIAPI is
 * empty and variadic firmware calls work as written. */

#include "macro.h"

assert_cc(__STDC_HOSTED__ == 0);
assert_cc(sizeof(wchar_t) == 2);        /* -fshort-wchar: L"" literals are UCS-2 */
assert_cc(sizeof(void *) == 8);
#if !defined(_WIN64) || !(defined(__x86_64__) || defined(__aarch64__))
#  error "build ukit-stub with --target=x86_64-unknown-windows or aarch64-unknown-windows"
#endif

#define EFIAPI

typedef uint64_t EFI_STATUS;
typedef void *EFI_HANDLE;
typedef void *EFI_EVENT;
typedef uint64_t EFI_PHYSICAL_ADDRESS;
typedef uint64_t EFI_TPL;
typedef uint16_t CHAR16;
typedef uint8_t BOOLEAN;

typedef struct EFI_GUID {
        uint32_t Data1;
        uint16_t Data2;
        uint16_t Data3;
        uint8_t Data4[8];
} EFI_GUID;
assert_cc(sizeof(EFI_GUID) == 16);

#define EFI_GUID_INIT(a, b, c, d0, d1, d2, d3, d4, d5, d6, d7) \
        { a, b, c, { d0, d1, d2, d3, d4, d5, d6, d7 } }

/* Status codes: errors have the top bit set (spec appendix D). */
#define EFI_ERROR_BIT (UINT64_C(1) << 63)
#define EFI_ERR(n) (EFI_ERROR_BIT | (n))
#define EFI_ERROR(s) (((s) & EFI_ERROR_BIT) != 0)
#define EFI_SUCCESS             0
#define EFI_LOAD_ERROR          EFI_ERR(1)
#define EFI_INVALID_PARAMETER   EFI_ERR(2)
#define EFI_UNSUPPORTED         EFI_ERR(3)
#define EFI_BAD_BUFFER_SIZE     EFI_ERR(4)
#define EFI_BUFFER_TOO_SMALL    EFI_ERR(5)
#define EFI_NOT_READY           EFI_ERR(6)
#define EFI_DEVICE_ERROR        EFI_ERR(7)
#define EFI_WRITE_PROTECTED     EFI_ERR(8)
#define EFI_OUT_OF_RESOURCES    EFI_ERR(9)
#define EFI_VOLUME_CORRUPTED    EFI_ERR(10)
#define EFI_VOLUME_FULL         EFI_ERR(11)
#define EFI_NO_MEDIA            EFI_ERR(12)
#define EFI_MEDIA_CHANGED       EFI_ERR(13)
#define EFI_NOT_FOUND           EFI_ERR(14)
#define EFI_ACCESS_DENIED       EFI_ERR(15)
#define EFI_NO_RESPONSE         EFI_ERR(16)
#define EFI_NO_MAPPING          EFI_ERR(17)
#define EFI_TIMEOUT             EFI_ERR(18)
#define EFI_NOT_STARTED         EFI_ERR(19)
#define EFI_ALREADY_STARTED     EFI_ERR(20)
#define EFI_ABORTED             EFI_ERR(21)
#define EFI_SECURITY_VIOLATION  EFI_ERR(26)

typedef struct EFI_TABLE_HEADER {
        uint64_t Signature;
        uint32_t Revision;
        uint32_t HeaderSize;
        uint32_t CRC32;
        uint32_t Reserved;
} EFI_TABLE_HEADER;
assert_cc(sizeof(EFI_TABLE_HEADER) == 24);

typedef enum EFI_MEMORY_TYPE {
        EfiReservedMemoryType,
        EfiLoaderCode,
        EfiLoaderData,
        EfiBootServicesCode,
        EfiBootServicesData,
        EfiRuntimeServicesCode,
        EfiRuntimeServicesData,
        EfiConventionalMemory,
        EfiUnusableMemory,
        EfiACPIReclaimMemory,
        EfiACPIMemoryNVS,
        EfiMemoryMappedIO,
        EfiMemoryMappedIOPortSpace,
        EfiPalCode,
        EfiPersistentMemory,
        EfiMaxMemoryType,
} EFI_MEMORY_TYPE;

typedef enum EFI_ALLOCATE_TYPE {
        AllocateAnyPages,
        AllocateMaxAddress,
        AllocateAddress,
} EFI_ALLOCATE_TYPE;

typedef enum EFI_INTERFACE_TYPE {
        EFI_NATIVE_INTERFACE,
} EFI_INTERFACE_TYPE;

typedef enum EFI_LOCATE_SEARCH_TYPE {
        AllHandles,
        ByRegisterNotify,
        ByProtocol,
} EFI_LOCATE_SEARCH_TYPE;

#define EFI_PAGE_SIZE 4096u

typedef struct EFI_DEVICE_PATH_PROTOCOL EFI_DEVICE_PATH_PROTOCOL;

/* Simple text output (spec 12.4). */
typedef struct EFI_SIMPLE_TEXT_OUTPUT_PROTOCOL EFI_SIMPLE_TEXT_OUTPUT_PROTOCOL;
struct EFI_SIMPLE_TEXT_OUTPUT_PROTOCOL {
        void *Reset;
        EFI_STATUS (EFIAPI *OutputString)(EFI_SIMPLE_TEXT_OUTPUT_PROTOCOL *This, const CHAR16 *String);
        void *TestString;
        void *QueryMode;
        void *SetMode;
        void *SetAttribute;
        void *ClearScreen;
        void *SetCursorPosition;
        void *EnableCursor;
        void *Mode;
};
assert_cc(sizeof(EFI_SIMPLE_TEXT_OUTPUT_PROTOCOL) == 10 * 8);

/* Boot services (spec 4.4): the order of the function pointers is the ABI. */
typedef struct EFI_BOOT_SERVICES {
        EFI_TABLE_HEADER Hdr;
        void *RaiseTPL;
        void *RestoreTPL;
        EFI_STATUS (EFIAPI *AllocatePages)(EFI_ALLOCATE_TYPE Type, EFI_MEMORY_TYPE MemoryType, uint64_t Pages, EFI_PHYSICAL_ADDRESS *Memory);
        EFI_STATUS (EFIAPI *FreePages)(EFI_PHYSICAL_ADDRESS Memory, uint64_t Pages);
        void *GetMemoryMap;
        EFI_STATUS (EFIAPI *AllocatePool)(EFI_MEMORY_TYPE PoolType, uint64_t Size, void **Buffer);
        EFI_STATUS (EFIAPI *FreePool)(void *Buffer);
        void *CreateEvent;
        void *SetTimer;
        void *WaitForEvent;
        void *SignalEvent;
        void *CloseEvent;
        void *CheckEvent;
        EFI_STATUS (EFIAPI *InstallProtocolInterface)(EFI_HANDLE *Handle, const EFI_GUID *Protocol, EFI_INTERFACE_TYPE InterfaceType, void *Interface);
        EFI_STATUS (EFIAPI *ReinstallProtocolInterface)(EFI_HANDLE Handle, const EFI_GUID *Protocol, void *OldInterface, void *NewInterface);
        EFI_STATUS (EFIAPI *UninstallProtocolInterface)(EFI_HANDLE Handle, const EFI_GUID *Protocol, void *Interface);
        EFI_STATUS (EFIAPI *HandleProtocol)(EFI_HANDLE Handle, const EFI_GUID *Protocol, void **Interface);
        void *Reserved;
        void *RegisterProtocolNotify;
        void *LocateHandle;
        EFI_STATUS (EFIAPI *LocateDevicePath)(const EFI_GUID *Protocol, EFI_DEVICE_PATH_PROTOCOL **DevicePath, EFI_HANDLE *Device);
        EFI_STATUS (EFIAPI *InstallConfigurationTable)(const EFI_GUID *Guid, void *Table);
        EFI_STATUS (EFIAPI *LoadImage)(BOOLEAN BootPolicy, EFI_HANDLE ParentImageHandle, EFI_DEVICE_PATH_PROTOCOL *DevicePath, void *SourceBuffer, uint64_t SourceSize, EFI_HANDLE *ImageHandle);
        EFI_STATUS (EFIAPI *StartImage)(EFI_HANDLE ImageHandle, uint64_t *ExitDataSize, CHAR16 **ExitData);
        void *Exit;
        EFI_STATUS (EFIAPI *UnloadImage)(EFI_HANDLE ImageHandle);
        void *ExitBootServices;
        EFI_STATUS (EFIAPI *GetNextMonotonicCount)(uint64_t *Count);
        EFI_STATUS (EFIAPI *Stall)(uint64_t Microseconds);
        EFI_STATUS (EFIAPI *SetWatchdogTimer)(uint64_t Timeout, uint64_t WatchdogCode, uint64_t DataSize, CHAR16 *WatchdogData);
        void *ConnectController;
        void *DisconnectController;
        void *OpenProtocol;
        void *CloseProtocol;
        void *OpenProtocolInformation;
        void *ProtocolsPerHandle;
        EFI_STATUS (EFIAPI *LocateHandleBuffer)(EFI_LOCATE_SEARCH_TYPE SearchType, const EFI_GUID *Protocol, void *SearchKey, uint64_t *NoHandles, EFI_HANDLE **Buffer);
        EFI_STATUS (EFIAPI *LocateProtocol)(const EFI_GUID *Protocol, void *Registration, void **Interface);
        EFI_STATUS (EFIAPI *InstallMultipleProtocolInterfaces)(EFI_HANDLE *Handle, ...);
        EFI_STATUS (EFIAPI *UninstallMultipleProtocolInterfaces)(EFI_HANDLE Handle, ...);
        EFI_STATUS (EFIAPI *CalculateCrc32)(const void *Data, uint64_t DataSize, uint32_t *Crc32);
        void *CopyMem;
        void *SetMem;
        void *CreateEventEx;
} EFI_BOOT_SERVICES;
assert_cc(sizeof(EFI_BOOT_SERVICES) == 24 + 44 * 8);

/* Variable attributes (spec 8.2). */
#define EFI_VARIABLE_NON_VOLATILE       0x00000001u
#define EFI_VARIABLE_BOOTSERVICE_ACCESS 0x00000002u
#define EFI_VARIABLE_RUNTIME_ACCESS     0x00000004u

/* EFI_TIME (spec 8.3): only hashed into the random seed, never read. */
typedef struct EFI_TIME {
        uint16_t Year;
        uint8_t Month, Day, Hour, Minute, Second, Pad1;
        uint32_t Nanosecond;
        int16_t TimeZone;
        uint8_t Daylight, Pad2;
} EFI_TIME;
assert_cc(sizeof(EFI_TIME) == 16);

typedef struct EFI_RUNTIME_SERVICES {
        EFI_TABLE_HEADER Hdr;
        EFI_STATUS (EFIAPI *GetTime)(EFI_TIME *Time, void *Capabilities);
        void *SetTime;
        void *GetWakeupTime;
        void *SetWakeupTime;
        void *SetVirtualAddressMap;
        void *ConvertPointer;
        EFI_STATUS (EFIAPI *GetVariable)(const CHAR16 *VariableName, const EFI_GUID *VendorGuid, uint32_t *Attributes, uint64_t *DataSize, void *Data);
        void *GetNextVariableName;
        EFI_STATUS (EFIAPI *SetVariable)(const CHAR16 *VariableName, const EFI_GUID *VendorGuid, uint32_t Attributes, uint64_t DataSize, const void *Data);
        void *GetNextHighMonotonicCount;
        void *ResetSystem;
        void *UpdateCapsule;
        void *QueryCapsuleCapabilities;
        void *QueryVariableInfo;
} EFI_RUNTIME_SERVICES;
assert_cc(sizeof(EFI_RUNTIME_SERVICES) == 24 + 14 * 8);

typedef struct EFI_CONFIGURATION_TABLE {
        EFI_GUID VendorGuid;
        void *VendorTable;
} EFI_CONFIGURATION_TABLE;
assert_cc(sizeof(EFI_CONFIGURATION_TABLE) == 24);

typedef struct EFI_SYSTEM_TABLE {
        EFI_TABLE_HEADER Hdr;
        const CHAR16 *FirmwareVendor;
        uint32_t FirmwareRevision;
        EFI_HANDLE ConsoleInHandle;
        void *ConIn;
        EFI_HANDLE ConsoleOutHandle;
        EFI_SIMPLE_TEXT_OUTPUT_PROTOCOL *ConOut;
        EFI_HANDLE StandardErrorHandle;
        EFI_SIMPLE_TEXT_OUTPUT_PROTOCOL *StdErr;
        EFI_RUNTIME_SERVICES *RuntimeServices;
        EFI_BOOT_SERVICES *BootServices;
        uint64_t NumberOfTableEntries;
        EFI_CONFIGURATION_TABLE *ConfigurationTable;
} EFI_SYSTEM_TABLE;
assert_cc(sizeof(EFI_SYSTEM_TABLE) == 120);

/* Global variable vendor (spec 3.3) and the Boot Loader Interface vendor. */
#define EFI_GLOBAL_VARIABLE_GUID \
        EFI_GUID_INIT(0x8be4df61, 0x93ca, 0x11d2, 0xaa, 0x0d, 0x00, 0xe0, 0x98, 0x03, 0x2b, 0x8c)
#define LOADER_VARIABLE_GUID \
        EFI_GUID_INIT(0x4a67b082, 0x0a4c, 0x41cf, 0xb6, 0xc7, 0x44, 0x0b, 0x29, 0xbb, 0x8c, 0x4f)
