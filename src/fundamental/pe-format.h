/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* PE/COFF on-disk structures (Microsoft "PE Format" specification), shared by
 * the host PE library and the stub. All fields are little-endian; the structs
 * are packed and must only be used on little-endian hosts (asserted below). */

#include "macro.h"

assert_cc(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__);

/* Limits both PE parsers (the stub's src/fundamental/pe-sections.c, the
 * host's src/lib/pe/pe.c) apply, so that the host never accepts an image
 * the stub refuses: NumberOfSections (the spec's limit for images) and
 * e_lfanew (real images have it below 0x200). */
#define PE_SECTIONS_MAX         96u
#define PE_HEADER_OFFSET_MAX    (64u * 1024u)

#define PE_DOS_MAGIC            0x5A4Du         /* "MZ" */
#define PE_NT_MAGIC             0x00004550u     /* "PE\0\0" */
#define PE_OPT_MAGIC_PE32       0x010Bu
#define PE_OPT_MAGIC_PE32PLUS   0x020Bu

#define PE_MACHINE_I386         0x014Cu
#define PE_MACHINE_AMD64        0x8664u
#define PE_MACHINE_ARM64        0xAA64u
#define PE_MACHINE_RISCV64      0x5064u

#define PE_SUBSYSTEM_EFI_APPLICATION            10u
#define PE_SUBSYSTEM_EFI_BOOT_SERVICE_DRIVER    11u
#define PE_SUBSYSTEM_EFI_RUNTIME_DRIVER         12u

/* Section characteristics */
#define PE_DLLCHARACTERISTICS_NX_COMPAT 0x0100u
#define PE_SCN_CNT_CODE                 0x00000020u
#define PE_SCN_CNT_INITIALIZED_DATA     0x00000040u
#define PE_SCN_CNT_UNINITIALIZED_DATA   0x00000080u
#define PE_SCN_MEM_DISCARDABLE          0x02000000u
#define PE_SCN_MEM_EXECUTE              0x20000000u
#define PE_SCN_MEM_READ                 0x40000000u
#define PE_SCN_MEM_WRITE                0x80000000u

/* Data directory indices */
enum {
        PE_DIR_EXPORT = 0,
        PE_DIR_IMPORT = 1,
        PE_DIR_RESOURCE = 2,
        PE_DIR_EXCEPTION = 3,
        PE_DIR_SECURITY = 4,    /* certificate table: a *file offset*, not an RVA */
        PE_DIR_BASERELOC = 5,
        PE_DIR_DEBUG = 6,
        PE_DIR_MAX = 16,
};

/* WIN_CERTIFICATE */
#define WIN_CERT_REVISION_2_0           0x0200u
#define WIN_CERT_TYPE_PKCS_SIGNED_DATA  0x0002u

typedef struct _packed_ PeDosHeader {
        uint16_t e_magic;
        uint8_t  e_unused[58];
        uint32_t e_lfanew;              /* file offset of the PE signature */
} PeDosHeader;
assert_cc(sizeof(PeDosHeader) == 64);

typedef struct _packed_ PeCoffHeader {
        uint16_t Machine;
        uint16_t NumberOfSections;
        uint32_t TimeDateStamp;
        uint32_t PointerToSymbolTable;
        uint32_t NumberOfSymbols;
        uint16_t SizeOfOptionalHeader;
        uint16_t Characteristics;
} PeCoffHeader;
assert_cc(sizeof(PeCoffHeader) == 20);

typedef struct _packed_ PeDataDirectory {
        uint32_t VirtualAddress;
        uint32_t Size;
} PeDataDirectory;
assert_cc(sizeof(PeDataDirectory) == 8);

/* The fixed part of the PE32+ optional header, up to NumberOfRvaAndSizes;
 * the data directories follow. */
typedef struct _packed_ PeOptionalHeader64 {
        uint16_t Magic;
        uint8_t  MajorLinkerVersion;
        uint8_t  MinorLinkerVersion;
        uint32_t SizeOfCode;
        uint32_t SizeOfInitializedData;
        uint32_t SizeOfUninitializedData;
        uint32_t AddressOfEntryPoint;
        uint32_t BaseOfCode;
        uint64_t ImageBase;
        uint32_t SectionAlignment;
        uint32_t FileAlignment;
        uint16_t MajorOperatingSystemVersion;
        uint16_t MinorOperatingSystemVersion;
        uint16_t MajorImageVersion;
        uint16_t MinorImageVersion;
        uint16_t MajorSubsystemVersion;
        uint16_t MinorSubsystemVersion;
        uint32_t Win32VersionValue;
        uint32_t SizeOfImage;
        uint32_t SizeOfHeaders;
        uint32_t CheckSum;
        uint16_t Subsystem;
        uint16_t DllCharacteristics;
        uint64_t SizeOfStackReserve;
        uint64_t SizeOfStackCommit;
        uint64_t SizeOfHeapReserve;
        uint64_t SizeOfHeapCommit;
        uint32_t LoaderFlags;
        uint32_t NumberOfRvaAndSizes;
} PeOptionalHeader64;
assert_cc(sizeof(PeOptionalHeader64) == 112);

/* Offsets inside the optional header that PE32 and PE32+ share. */
#define PE_OPT_OFFSET_CHECKSUM          64u
#define PE_OPT_OFFSET_SUBSYSTEM         68u
#define PE_OPT64_OFFSET_DATA_DIRS       112u
#define PE_OPT32_OFFSET_DATA_DIRS       96u

#define PE_SECTION_NAME_MAX 8
typedef struct _packed_ PeSectionHeader {
        uint8_t  Name[PE_SECTION_NAME_MAX];     /* NUL-padded, not necessarily NUL-terminated */
        uint32_t VirtualSize;
        uint32_t VirtualAddress;
        uint32_t SizeOfRawData;
        uint32_t PointerToRawData;
        uint32_t PointerToRelocations;
        uint32_t PointerToLinenumbers;
        uint16_t NumberOfRelocations;
        uint16_t NumberOfLinenumbers;
        uint32_t Characteristics;
} PeSectionHeader;
assert_cc(sizeof(PeSectionHeader) == 40);

typedef struct _packed_ WinCertificateHeader {
        uint32_t dwLength;              /* including this header */
        uint16_t wRevision;
        uint16_t wCertificateType;
} WinCertificateHeader;
assert_cc(sizeof(WinCertificateHeader) == 8);

/* COFF symbol table entries are 18 bytes; a string table (u32 size first)
 * follows the table. */
#define PE_COFF_SYMBOL_SIZE 18u
