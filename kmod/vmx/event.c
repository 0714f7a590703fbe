// SPDX-License-Identifier: GPL-2.0
/*
 * Telling the event vhv injected from the guest's own when an exit cut a
 * delivery short, and so whether it goes in again, as what, and whether
 * an injected interrupt was delivered.
 */
#include "event.h"

/*
 * The IDT-vectoring information alone does not tell the two apart for a
 * software event: vhv injects an external interrupt as INTn (length 0)
 * where IF is clear (run.c's write_event()), and the handler it starts may
 * run its own INT of the same vector before the exit, whose delivery the
 * exit cuts short (a stack page the EPT does not map yet).  The guest's
 * INT runs again by itself (RIP still points at it); going in again as an
 * interrupt too, it would arrive twice.
 *
 * What tells them apart is the VM-exit instruction length: for a delivery
 * VM entry started it is the VM-entry instruction length, 0 here, while a
 * guest's INT is at least 2 bytes (CD ib; INT3, INTO and INT1 are other
 * types).  The RIP is checked too: a delivery cut short leaves RIP where
 * it started, the entry's RIP for the injected one, and a guest's INT
 * elsewhere (its handler's code) is then told apart even by a CPU model
 * that gets the length wrong.  Only an INT at the injection's own RIP
 * (after the handler's IRET) rests on the length alone.
 *
 * A hardware event is the injected one when the information matches: an
 * interrupt or NMI cannot come from elsewhere within the entry (both
 * exit), and a hardware exception goes in again whichever it was.
 */
bool vmx_idt_is_injected(const struct vmx_injection *inj,
			 const struct vmx_idt_vectoring *idt)
{
	if (!(inj->info & VMX_INTR_INFO_VALID) ||
	    !(idt->info & VMX_INTR_INFO_VALID))
		return false;
	if ((idt->info & VMX_EVENT_BITS & ~VMX_INTR_INFO_ERROR_CODE) !=
	    (inj->info & VMX_EVENT_BITS & ~VMX_INTR_INFO_ERROR_CODE))
		return false;
	if (vmx_event_type(idt->info) < VMX_INTR_TYPE_SW_INTR)
		return true;
	/* vhv injects software events with length 0 only. */
	return idt->insn_len == 0 && idt->rip == inj->rip;
}

u32 vmx_idt_reinject(const struct vmx_injection *inj,
		     const struct vmx_idt_vectoring *idt)
{
	bool injected = vmx_idt_is_injected(inj, idt);
	u32 info = idt->info & VMX_EVENT_BITS;

	if (!(info & VMX_INTR_INFO_VALID))
		return 0;
	/*
	 * An INTn, INT3, INTO or INT1 of the guest's: an instruction, which
	 * the guest executes again (RIP still points at it).  Injected again
	 * instead, it would push the wrong return address.  One that vhv
	 * injected is an event like any other.
	 */
	if (vmx_event_type(info) >= VMX_INTR_TYPE_SW_INTR && !injected)
		return 0;
	if (injected && inj->intn_for_extint)	/* what it stands for */
		info = (info & ~VMX_INTR_INFO_TYPE) |
		       VMX_INTR_TYPE_EXT_INTR << VMX_INTR_INFO_TYPE_SHIFT;
	return info;
}

bool vmx_injected_interrupt_delivered(const struct vmx_injection *inj,
				      const struct vmx_idt_vectoring *idt)
{
	u32 type = vmx_event_type(inj->info);

	if (!(inj->info & VMX_INTR_INFO_VALID))
		return false;
	if (type != VMX_INTR_TYPE_EXT_INTR && type != VMX_INTR_TYPE_NMI &&
	    !inj->intn_for_extint)
		return false;
	return !vmx_idt_is_injected(inj, idt);
}
