/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The I/O APIC: 24 input pins, each routed by its redirection entry to
 * the local APICs as an interrupt message; edge and level triggering,
 * remote IRR for level pins (set on delivery, cleared by the EOI the LAPIC
 * broadcasts, the pin redelivered if still asserted), masking, the
 * IOREGSEL/IOWIN window at 0x00/0x10 and the EOI register at 0x40 (version
 * 0x20).  A source reports a pin as asserted or not; the polarity bit is
 * kept for the guest to read back (sources are virtual: "asserted" is
 * already the logical level).  Portable (no kernel headers): the module
 * calls it under its own lock; messages go out through a callback.
 */
#ifndef VHV_IRQ_IOAPIC_H
#define VHV_IRQ_IOAPIC_H

#include "../portable.h"
#include "msg.h"

#define VHV_IOAPIC_PINS		24
#define VHV_IOAPIC_BASE		0xfec00000ull
#define VHV_IOAPIC_MMIO_SIZE	0x100	/* registers the guest may touch */
#define VHV_IOAPIC_VERSION	0x20

/* Sends one message to the local APICs; ctx is the caller's. */
typedef void vhv_irq_send_fn(void *ctx, const struct vhv_irq_msg *msg);

struct vhv_ioapic {
	u32 id;			/* IOAPICID bits 27:24 */
	u32 ioregsel;
	u64 redir[VHV_IOAPIC_PINS];	/* bit 14 remote IRR is the model's */
	u32 asserted;		/* pins a source holds asserted */
	vhv_irq_send_fn *send;
	void *ctx;
};

/* Reset state: every entry masked, id 0. */
void vhv_ioapic_init(struct vhv_ioapic *io, vhv_irq_send_fn *send, void *ctx);

/*
 * A source asserts or deasserts pin.  An unmasked edge pin sends on the
 * rising edge; an unmasked level pin sends while asserted and remote IRR
 * is clear.  Returns -EINVAL for a pin >= VHV_IOAPIC_PINS.
 */
int vhv_ioapic_set_irq(struct vhv_ioapic *io, unsigned int pin, bool asserted);

/* A LAPIC EOI of a level-triggered vector: clears remote IRR of the pins
 * with that vector and sends again those still asserted. */
void vhv_ioapic_eoi(struct vhv_ioapic *io, u8 vector);

/* Guest MMIO at offset from the base: 32-bit accesses at 0x00, 0x10 and
 * 0x40; anything else reads as 0 and is ignored when written. */
u32 vhv_ioapic_read(struct vhv_ioapic *io, u32 offset);
void vhv_ioapic_write(struct vhv_ioapic *io, u32 offset, u32 val);

/* Decodes a redirection entry into the message it sends. */
void vhv_ioapic_entry_msg(u64 entry, struct vhv_irq_msg *msg);

#endif /* VHV_IRQ_IOAPIC_H */
