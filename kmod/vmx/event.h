/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What an exit says of the event the entry before it injected: whether its
 * delivery completed, and what must go in again because the exit cut a
 * delivery short (IDT-vectoring information, SDM vol. 3C 28.2.3).
 * Portable: also built into the unit tests.
 */
#ifndef VHV_VMX_EVENT_H
#define VHV_VMX_EVENT_H

#include "../portable.h"
#include "vmcs.h"

/* The bits of an event field vhv keeps (12 and 30:13 are not the event's). */
#define VMX_EVENT_BITS	(VMX_INTR_INFO_VALID | VMX_INTR_INFO_ERROR_CODE | \
			 VMX_INTR_INFO_TYPE | VMX_INTR_INFO_VECTOR)

static inline u32 vmx_event_type(u32 info)
{
	return (info & VMX_INTR_INFO_TYPE) >> VMX_INTR_INFO_TYPE_SHIFT;
}

/* The event an entry injected, kept for the exit that follows it. */
struct vmx_injection {
	u32 info;		/* entry interruption information; 0: none */
	u64 rip;		/* guest RIP at that entry */
	/* info is an INTn of length 0 that stands for an external interrupt */
	bool intn_for_extint;
};

/* What an exit reports of a delivery it cut short. */
struct vmx_idt_vectoring {
	u32 info;		/* IDT-vectoring information; valid bit clear: none */
	/* VM-exit instruction length; needed (read) for software events only */
	u32 insn_len;
	u64 rip;		/* guest RIP at the exit */
};

/* Whether the delivery the exit cut short is the one the entry injected. */
bool vmx_idt_is_injected(const struct vmx_injection *inj,
			 const struct vmx_idt_vectoring *idt);

/*
 * The event to inject again at the next entry (valid bit set, type and
 * vector as VM entry takes them), or 0: none was cut short, or the guest's
 * own INTn, INT3, INTO or INT1, which runs again by itself.
 */
u32 vmx_idt_reinject(const struct vmx_injection *inj,
		     const struct vmx_idt_vectoring *idt);

/* Whether an interrupt or NMI the entry injected was delivered. */
bool vmx_injected_interrupt_delivered(const struct vmx_injection *inj,
				      const struct vmx_idt_vectoring *idt);

#endif /* VHV_VMX_EVENT_H */
