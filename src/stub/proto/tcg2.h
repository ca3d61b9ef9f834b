/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* EFI_TCG2_PROTOCOL (TCG EFI Protocol Specification, family 2.0, rev 1.22
 * section 6) and EFI_CC_MEASUREMENT_PROTOCOL (UEFI 2.10 section 38.2), which
 * has the same event layout but addresses measurement registers (MRs) that
 * PCR numbers are mapped onto. */

#include "efi.h"

#define EFI_TCG2_PROTOCOL_GUID \
        EFI_GUID_INIT(0x607f766c, 0x7455, 0x42be, 0x93, 0x0b, 0xe4, 0xd7, 0x6d, 0xb2, 0x72, 0x0f)
#define EFI_CC_MEASUREMENT_PROTOCOL_GUID \
        EFI_GUID_INIT(0x96751a3d, 0x72f4, 0x41a6, 0xa7, 0x94, 0xed, 0x5d, 0x0e, 0x67, 0xae, 0x6b)

#define EV_IPL 0x0000000Du
#define EV_EVENT_TAG 0x00000006u
#define EFI_TCG2_EVENT_HEADER_VERSION 1
#define EFI_CC_EVENT_HEADER_VERSION 1

typedef struct _packed_ EFI_TCG2_EVENT_HEADER {
        uint32_t HeaderSize;
        uint16_t HeaderVersion;
        uint32_t PCRIndex;      /* MrIndex for the CC protocol */
        uint32_t EventType;
} EFI_TCG2_EVENT_HEADER;
assert_cc(sizeof(EFI_TCG2_EVENT_HEADER) == 14);

typedef struct _packed_ EFI_TCG2_EVENT {
        uint32_t Size;          /* of the whole structure including Event[] */
        EFI_TCG2_EVENT_HEADER Header;
        uint8_t Event[];
} EFI_TCG2_EVENT;
assert_cc(sizeof(EFI_TCG2_EVENT) == 18);

/* Naturally aligned, unlike the event structures (EDK2 and the TCG spec
 * agree; a packed reading gets the 1.0 layout back from EDK2). */
typedef struct EFI_TCG2_BOOT_SERVICE_CAPABILITY {
        uint8_t Size;
        uint8_t StructureVersionMajor, StructureVersionMinor;
        uint8_t ProtocolVersionMajor, ProtocolVersionMinor;
        uint32_t HashAlgorithmBitmap;
        uint32_t SupportedEventLogs;
        BOOLEAN TPMPresentFlag;
        uint16_t MaxCommandSize;
        uint16_t MaxResponseSize;
        uint32_t ManufacturerID;
        uint32_t NumberOfPcrBanks;
        uint32_t ActivePcrBanks;
} EFI_TCG2_BOOT_SERVICE_CAPABILITY;
assert_cc(sizeof(EFI_TCG2_BOOT_SERVICE_CAPABILITY) == 36);

typedef struct EFI_TCG2_PROTOCOL EFI_TCG2_PROTOCOL;
struct EFI_TCG2_PROTOCOL {
        EFI_STATUS (EFIAPI *GetCapability)(EFI_TCG2_PROTOCOL *This, EFI_TCG2_BOOT_SERVICE_CAPABILITY *Capability);
        void *GetEventLog;
        EFI_STATUS (EFIAPI *HashLogExtendEvent)(EFI_TCG2_PROTOCOL *This, uint64_t Flags, EFI_PHYSICAL_ADDRESS DataToHash,
                                                uint64_t DataToHashLen, EFI_TCG2_EVENT *EfiTcgEvent);
        void *SubmitCommand;
        void *GetActivePcrBanks;
        void *SetActivePcrBanks;
        void *GetResultOfSetActivePcrBanks;
};

typedef struct EFI_CC_MEASUREMENT_PROTOCOL EFI_CC_MEASUREMENT_PROTOCOL;
struct EFI_CC_MEASUREMENT_PROTOCOL {
        void *GetCapability;
        void *GetEventLog;
        EFI_STATUS (EFIAPI *HashLogExtendEvent)(EFI_CC_MEASUREMENT_PROTOCOL *This, uint64_t Flags, EFI_PHYSICAL_ADDRESS DataToHash,
                                                uint64_t DataToHashLen, EFI_TCG2_EVENT *EfiCcEvent);
        EFI_STATUS (EFIAPI *MapPcrToMrIndex)(EFI_CC_MEASUREMENT_PROTOCOL *This, uint32_t PcrIndex, uint32_t *MrIndex);
};
