/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The HPET (IA-PC HPET specification 1.0a): a 64-bit main counter at
 * 100 MHz on the caller's nanosecond clock and three comparators, in the
 * 1 KiB register block at 0xfed00000.  Portable (no kernel headers): the
 * module calls it under its irqchip lock, arms one hrtimer from
 * vhv_hpet_next() and drives the GSIs vhv_hpet_lines() and
 * vhv_hpet_take_pulses() name.
 *
 * What the guest sees:
 * - capabilities: revision 1, 3 timers, 64-bit counter, legacy replacement
 *   capable, vendor 0x8086, period 10 ns (VHV_HPET_ID, VHV_HPET_PERIOD_FS);
 * - general configuration ENABLE_CNF (the counter runs; it stops where it
 *   is when cleared and resumes from there) and LEG_RT_CNF; the other
 *   bits read 0 and ignore writes;
 * - general interrupt status: a level-triggered timer's bit is set on
 *   each match (whether or not Tn_INT_ENB_CNF is set, as the spec says)
 *   and cleared by writing 1; edge-triggered timers never set it;
 * - timers 0 and 1 are periodic-capable, timer 2 is one-shot only; all
 *   three are 64-bit (Tn_SIZE_CAP) and take Tn_32MODE_CNF; none has FSB
 *   delivery (Tn_FSB_EN_CNF reads 0, the FSB route register reads 0);
 * - Tn_INT_ROUTE_CNF takes IOAPIC pins 20-23 only (Tn_INT_ROUTE_CAP):
 *   pins 16-19 are the PC's PCI INTx lines and the ISA pins belong to
 *   devices, and a pin is driven by one source.  Another value written is
 *   ignored (the field reads back unchanged, as the spec allows); the
 *   reset value 0 connects the timer to nothing;
 * - with ENABLE_CNF and LEG_RT_CNF both set, timer 0 drives IRQ 0 (PIC
 *   IRQ 0 and IOAPIC pin 2, GSI 0) and timer 1 IRQ 8 (GSI 8) whatever
 *   their route field says; the glue then keeps the PIT off IRQ 0;
 * - accesses: 4 bytes at a 4-byte aligned offset or 8 bytes at an 8-byte
 *   aligned one; any other size or alignment reads 0 and ignores writes,
 *   and so do offsets without a register.
 *
 * Comparators: a timer matches when the main counter steps onto its
 * comparator (compared over 32 bits in 32-bit mode, so a 32-bit timer
 * matches again every 2^32 ticks).  A periodic timer then adds its period
 * to the comparator; when the counter ran past several periods (the host
 * was late) the comparator goes to the first multiple after the counter
 * and the timer fires once.  In periodic mode a comparator write sets the
 * period, and with Tn_VAL_SET_CNF also the comparator; Tn_VAL_SET_CNF
 * clears once a write completed the register (an 8-byte write, the high
 * dword, or the low dword in 32-bit mode).  Writing the main counter
 * moves it without matching the values skipped.
 */
#ifndef VHV_IRQ_HPET_H
#define VHV_IRQ_HPET_H

#include "../portable.h"
#include "../../uapi/vhv.h"

#define VHV_HPET_BASE		VHV_HPET_ADDR
#define VHV_HPET_SIZE		0x400
#define VHV_HPET_HZ		100000000ull
#define VHV_HPET_ROUTE_CAP	0x00f00000u	/* IOAPIC pins 20-23 */

/* Register offsets. */
#define VHV_HPET_REG_CAP	0x000
#define VHV_HPET_REG_CONFIG	0x010
#define VHV_HPET_REG_ISR	0x020
#define VHV_HPET_REG_COUNTER	0x0f0
#define VHV_HPET_REG_TN_CONFIG(n)	(0x100 + 0x20 * (n))
#define VHV_HPET_REG_TN_CMP(n)		(0x108 + 0x20 * (n))
#define VHV_HPET_REG_TN_FSB(n)		(0x110 + 0x20 * (n))

/* General configuration. */
#define VHV_HPET_CFG_ENABLE	VHV_BIT(0)
#define VHV_HPET_CFG_LEGACY	VHV_BIT(1)

/* Timer configuration and capabilities. */
#define VHV_HPET_TN_LEVEL	VHV_BIT(1)	/* Tn_INT_TYPE_CNF */
#define VHV_HPET_TN_ENABLE	VHV_BIT(2)	/* Tn_INT_ENB_CNF */
#define VHV_HPET_TN_PERIODIC	VHV_BIT(3)	/* Tn_TYPE_CNF */
#define VHV_HPET_TN_PER_CAP	VHV_BIT(4)	/* Tn_PER_INT_CAP */
#define VHV_HPET_TN_SIZE_CAP	VHV_BIT(5)	/* 64-bit */
#define VHV_HPET_TN_VAL_SET	VHV_BIT(6)	/* Tn_VAL_SET_CNF */
#define VHV_HPET_TN_32BIT	VHV_BIT(8)	/* Tn_32MODE_CNF */
#define VHV_HPET_TN_ROUTE_SHIFT	9		/* Tn_INT_ROUTE_CNF, 5 bits */
#define VHV_HPET_TN_ROUTE	(0x1full << VHV_HPET_TN_ROUTE_SHIFT)
#define VHV_HPET_TN_FSB_EN	VHV_BIT(14)
#define VHV_HPET_TN_FSB_CAP	VHV_BIT(15)

/*
 * A comparator this many ticks or more ahead of the counter's time base
 * (91 years at 100 MHz) is never reached: it keeps every time the model
 * hands out below 2^62 ns.
 */
#define VHV_HPET_FAR_TICKS	(1ull << 58)

struct vhv_hpet_timer {
	u64 config;	/* the writable bits of Tn_CONF: LEVEL, ENABLE, PERIODIC,
			 * VAL_SET, 32BIT, ROUTE (capabilities are added on read) */
	u64 cmp;	/* the comparator (32 bits in 32-bit mode) */
	u64 period;	/* periodic mode: what a match adds to cmp */
};

struct vhv_hpet {
	u64 config;	/* ENABLE_CNF, LEG_RT_CNF */
	u64 isr;	/* Tn_INT_STS of level-triggered timers */
	u64 counter;	/* stopped: the main counter; running: its value at base_ns */
	u64 base_ns;	/* running: when the counter was `counter` */
	u64 seen;	/* the counter value up to which matches were taken */
	struct vhv_hpet_timer timer[VHV_HPET_TIMERS];
	u32 pulses;	/* GSIs that edge-triggered matches pulse, not yet taken */
};

/* Power-on state: counter stopped at 0, every timer off, comparators ~0. */
void vhv_hpet_reset(struct vhv_hpet *h);

/*
 * Guest accesses at offset (0 .. VHV_HPET_SIZE-1) of size bytes.  Both
 * first take the matches up to now_ns (vhv_hpet_update), so a read of the
 * status or a comparator is current.  now_ns must not go backwards.
 */
u64 vhv_hpet_read(struct vhv_hpet *h, u32 offset, u8 size, u64 now_ns);
void vhv_hpet_write(struct vhv_hpet *h, u32 offset, u8 size, u64 val, u64 now_ns);

/* Takes the comparator matches up to now_ns. */
void vhv_hpet_update(struct vhv_hpet *h, u64 now_ns);

/* The main counter's value at now_ns (no matches taken). */
u64 vhv_hpet_counter(const struct vhv_hpet *h, u64 now_ns);

/*
 * GSIs (bit n = GSI n) that level-triggered timers hold asserted: status
 * set, interrupt enabled, the HPET enabled and routed somewhere.
 */
u32 vhv_hpet_lines(const struct vhv_hpet *h);

/* GSIs that edge-triggered matches since the last call pulse; cleared. */
u32 vhv_hpet_take_pulses(struct vhv_hpet *h);

/* Whether legacy replacement routing is in force (the PIT is off IRQ 0). */
bool vhv_hpet_legacy(const struct vhv_hpet *h);

/*
 * When (ns, absolute) the next match that changes an interrupt line comes:
 * false if none (the HPET stopped, or no timer enabled, routed, and, if
 * level-triggered, with its status clear).  It may be <= now_ns (a match
 * not yet taken).  A periodic timer whose period is below min_period_ns is
 * taken no sooner than now_ns + min_period_ns: a guest cannot make the
 * host's timer fire faster than that (it catches up, firing once).
 */
bool vhv_hpet_next(const struct vhv_hpet *h, u64 now_ns, u64 min_period_ns,
		   u64 *when_ns);

/*
 * State for save/restore (struct vhv_hpet_state in uapi/vhv.h).
 * vhv_hpet_save: the caller took the matches up to now_ns first
 * (vhv_hpet_update) so none is left pending; the counter is saved as it
 * reads at now_ns.  vhv_hpet_restore: -EINVAL (nothing changed) for a
 * state this HPET cannot be in: other capabilities, unknown or reserved
 * bits, a route outside Tn_INT_ROUTE_CAP (0 aside), periodic mode or a
 * period on timer 2, values above 32 bits in 32-bit mode, a status bit for
 * an edge-triggered timer, non-zero reserved fields.  The counter runs on
 * from the saved value at now_ns if ENABLE_CNF is set; no match between
 * save and restore is taken.  Pending pulses are dropped: the caller
 * re-applies vhv_hpet_lines() and re-arms.
 */
void vhv_hpet_save(const struct vhv_hpet *h, u64 now_ns, struct vhv_hpet_state *s);
int vhv_hpet_restore(struct vhv_hpet *h, const struct vhv_hpet_state *s, u64 now_ns);

#endif /* VHV_IRQ_HPET_H */
