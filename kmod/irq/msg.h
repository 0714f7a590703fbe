/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An interrupt message as the IOAPIC, an MSI write or a LAPIC ICR sends it
 * to the local APICs (the fields of an MSI address/data pair or of an
 * IOAPIC redirection entry).  Portable: also built into unit tests.
 */
#ifndef VHV_IRQ_MSG_H
#define VHV_IRQ_MSG_H

#include "../portable.h"

/* Delivery modes (ICR, redirection entry and MSI data bits 10:8). */
#define VHV_DM_FIXED		0
#define VHV_DM_LOWEST		1
#define VHV_DM_SMI		2
#define VHV_DM_NMI		4
#define VHV_DM_INIT		5
#define VHV_DM_SIPI		6
#define VHV_DM_EXTINT		7

struct vhv_irq_msg {
	u32 dest;		/* APIC id, or logical destination (8 bits in xAPIC) */
	u8 vector;
	u8 delivery_mode;	/* VHV_DM_* */
	bool dest_logical;
	bool level;		/* level-triggered: the LAPIC sets TMR, EOI goes back */
	/*
	 * From an IOAPIC entry, an MSI or an xAPIC-mode sender's ICR, whose
	 * destination has 8 bits: 0xff is everyone then, x2APIC-mode LAPICs
	 * too (their own broadcast is 0xffffffff, which 8 bits cannot name).
	 */
	bool dest8;
};

#endif /* VHV_IRQ_MSG_H */
