/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "measure.h"
#include "proto/tcg2.h"
#include "util.h"

static EFI_TCG2_PROTOCOL *tcg2(void) {
        static const EFI_GUID guid = EFI_TCG2_PROTOCOL_GUID;
        static EFI_TCG2_PROTOCOL *cached;
        static bool probed;
        EFI_TCG2_BOOT_SERVICE_CAPABILITY caps = { .Size = sizeof(caps) };
        void *p = NULL;

        if (probed)
                return cached;
        probed = true;
        if (BS->LocateProtocol(&guid, NULL, &p) != EFI_SUCCESS || !p)
                return NULL;
        /* The protocol exists on firmware builds with TPM support even when
         * no TPM is attached; only trust it if it says a TPM is there. */
        if (((EFI_TCG2_PROTOCOL *) p)->GetCapability(p, &caps) != EFI_SUCCESS || !caps.TPMPresentFlag)
                return NULL;
        cached = p;
        return cached;
}

static EFI_CC_MEASUREMENT_PROTOCOL *cc(void) {
        static const EFI_GUID guid = EFI_CC_MEASUREMENT_PROTOCOL_GUID;
        static EFI_CC_MEASUREMENT_PROTOCOL *cached;
        static bool probed;
        void *p = NULL;

        if (probed)
                return cached;
        probed = true;
        if (BS->LocateProtocol(&guid, NULL, &p) == EFI_SUCCESS)
                cached = p;
        return cached;
}

bool measure_available(void) {
        return tcg2() || cc();
}

/* An EV_IPL event whose data is the UTF-16 description, or (tag != 0) an
 * EV_EVENT_TAG event: a TCG_PCClientTaggedEvent {u32 id, u32 size, data}
 * whose data is the description. */
static EFI_TCG2_EVENT *event_new(uint32_t index, uint32_t tag, const CHAR16 *description) {
        size_t dlen = (strlen16(description) + 1) * sizeof(CHAR16);
        size_t head = tag ? 2 * sizeof(uint32_t) : 0;
        size_t total = sizeof(EFI_TCG2_EVENT) + head + dlen;
        EFI_TCG2_EVENT *ev = xmalloc0(total);
        if (!ev)
                return NULL;
        ev->Size = (uint32_t) total;
        ev->Header.HeaderSize = sizeof(EFI_TCG2_EVENT_HEADER);
        ev->Header.HeaderVersion = EFI_TCG2_EVENT_HEADER_VERSION;
        ev->Header.PCRIndex = index;
        ev->Header.EventType = tag ? EV_EVENT_TAG : EV_IPL;
        if (tag) {
                uint32_t h[2] = { tag, (uint32_t) dlen };
                memcpy(ev->Event, h, sizeof(h));
        }
        memcpy(ev->Event + head, description, dlen);
        return ev;
}

EFI_STATUS measure_event(uint32_t pcr, const void *data, size_t size, const CHAR16 *description, bool *ret_measured) {
        return measure_tagged_event(pcr, 0, data, size, description, ret_measured);
}

EFI_STATUS measure_tagged_event(uint32_t pcr, uint32_t tag, const void *data, size_t size, const CHAR16 *description,
                                bool *ret_measured) {
        EFI_STATUS err = EFI_SUCCESS;
        bool measured = false;

        /* Tagged events go to the TPM only, as systemd-stub logs them. */
        EFI_CC_MEASUREMENT_PROTOCOL *c = tag ? NULL : cc();
        if (c) {
                uint32_t mr;
                err = c->MapPcrToMrIndex(c, pcr, &mr);
                if (err == EFI_SUCCESS) {
                        _cleanup_free_ EFI_TCG2_EVENT *ev = event_new(mr, 0, description);
                        if (!ev)
                                return EFI_OUT_OF_RESOURCES;
                        err = c->HashLogExtendEvent(c, 0, (uintptr_t) data, size, ev);
                        if (err == EFI_SUCCESS)
                                measured = true;
                }
        }

        EFI_TCG2_PROTOCOL *t = tcg2();
        if (t) {
                _cleanup_free_ EFI_TCG2_EVENT *ev = event_new(pcr, tag, description);
                if (!ev)
                        return EFI_OUT_OF_RESOURCES;
                err = t->HashLogExtendEvent(t, 0, (uintptr_t) data, size, ev);
                if (err == EFI_SUCCESS)
                        measured = true;
        }

        if (ret_measured)
                *ret_measured = measured;
        return measured || (!c && !t) ? EFI_SUCCESS : err;
}
