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
 *
 * Delivery rules (82093AA datasheet, ICH I/O APIC):
 * - Fixed and lowest-priority entries are edge or level as their trigger
 *   bit says.  SMI, NMI, INIT and ExtINT entries behave as edge-triggered
 *   whatever the trigger bit says (the datasheet treats NMI and INIT as
 *   edge and requires edge for SMI and ExtINT): no remote IRR, no EOI.
 * - An edge pin sends one message per rising edge while unmasked.  An
 *   edge that arrives while the pin is masked is lost, as on hardware:
 *   unmasking does not send it.  A source pulses (asserts, deasserts).
 * - A level pin sends whenever it is asserted, unmasked and its remote IRR
 *   clear; sending sets remote IRR.  This is re-checked after every change
 *   to those three (assert, EOI, a write of the entry's low dword), so
 *   unmasking an asserted pin sends.  Writing a low dword with the trigger
 *   bit clear (edge) clears remote IRR.
 * - Entries with a reserved delivery mode (3 or 6) never send.
 * - No storm: every call sends at most one message per pin (at most
 *   VHV_IOAPIC_PINS), and a level pin sends again only after an EOI of its
 *   vector.  vhv_ioapic_eoi() ignores vectors 0-15: no LAPIC accepts those
 *   (they are illegal vectors), so an EOI for one can only be a rejected
 *   message bounced back, and a resend would loop.  A level pin with such
 *   a vector sends once and keeps remote IRR set until the guest writes
 *   the vector to the EOI register or reprograms the entry to edge.
 */
#ifndef VHV_IRQ_IOAPIC_H
#define VHV_IRQ_IOAPIC_H

#include "../portable.h"
#include "msg.h"

#define VHV_IOAPIC_PINS		24
#define VHV_IOAPIC_BASE		0xfec00000ull
#define VHV_IOAPIC_MMIO_SIZE	0x100	/* registers the guest may touch */
#define VHV_IOAPIC_VERSION	0x20

/* MMIO offsets from the base. */
#define VHV_IOAPIC_IOREGSEL	0x00	/* register index, bits 7:0 */
#define VHV_IOAPIC_IOWIN	0x10	/* the register IOREGSEL selects */
#define VHV_IOAPIC_EOI		0x40	/* write-only: vector, bits 7:0 */

/*
 * Sends one message to the local APICs; ctx is the caller's.  Called from
 * inside vhv_ioapic_set_irq(), vhv_ioapic_eoi() and vhv_ioapic_write(),
 * with whatever lock the caller holds: it must not call back into this
 * IOAPIC (queue any EOI it produces and deliver it after the call returns).
 * The entry's remote IRR is already set when a level message is sent.
 */
typedef void vhv_irq_send_fn(void *ctx, const struct vhv_irq_msg *msg);

/*
 * Optional: told of each pin whose remote IRR an EOI clears, before the
 * pin is looked at again; ctx is the one given to vhv_ioapic_init().
 * Returns true when the pin's source lets go of it at this EOI (a
 * resampled level source: irqfd's resamplefd), which the model then takes
 * as deasserted, so that the EOI does not send it again.  The same rule as
 * for send: it must not call back into this IOAPIC.
 */
typedef bool vhv_irq_eoi_fn(void *ctx, unsigned int pin);

/*
 * Guest-visible state, all of it here for save/restore.  Any contents are
 * safe (a restore may write them): reads and delivery mask what they use.
 */
struct vhv_ioapic {
	u32 id;			/* IOAPICID bits 27:24, in place */
	u32 ioregsel;		/* bits 7:0 */
	u64 redir[VHV_IOAPIC_PINS];	/* bit 14 remote IRR is the model's */
	u32 asserted;		/* pins a source holds asserted */
	vhv_irq_send_fn *send;
	vhv_irq_eoi_fn *eoi_notify;	/* NULL after vhv_ioapic_init() */
	void *ctx;
};

/* Reset state: every entry masked, id 0, no pin asserted. */
void vhv_ioapic_init(struct vhv_ioapic *io, vhv_irq_send_fn *send, void *ctx);

/*
 * A source asserts or deasserts pin.  An unmasked edge pin sends on the
 * rising edge; an unmasked level pin sends while asserted and remote IRR
 * is clear.  Returns -EINVAL for a pin >= VHV_IOAPIC_PINS.
 */
int vhv_ioapic_set_irq(struct vhv_ioapic *io, unsigned int pin, bool asserted);

/* A LAPIC EOI of a level-triggered vector: clears remote IRR of the pins
 * with that vector and sends again those still asserted.  Vectors 0-15
 * are ignored (see above). */
void vhv_ioapic_eoi(struct vhv_ioapic *io, u8 vector);

/*
 * Guest MMIO at offset from the base: 32-bit accesses at 0x00, 0x10 and
 * 0x40; any other offset reads as 0 and is ignored when written.  val and
 * the value read are the 32-bit register: narrower, wider or misaligned
 * accesses are the glue's to refuse or convert before calling.  A write
 * of the EOI register acts as vhv_ioapic_eoi() for any vector.
 */
u32 vhv_ioapic_read(struct vhv_ioapic *io, u32 offset);
void vhv_ioapic_write(struct vhv_ioapic *io, u32 offset, u32 val);

/*
 * Decodes a redirection entry into the message it sends: vector (bits 7:0,
 * passed on even where the mode ignores it), delivery mode (10:8, raw: a
 * reserved mode comes out as is, but the IOAPIC never sends one), logical
 * destination (11), destination (63:56), and level (bit 15, only for fixed
 * and lowest-priority delivery: the others are edge, see above).
 */
void vhv_ioapic_entry_msg(u64 entry, struct vhv_irq_msg *msg);

#endif /* VHV_IRQ_IOAPIC_H */
